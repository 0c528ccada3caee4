#!/usr/bin/env bash
# run_fuzzer.sh FUZZER CORPUS [LIBFUZZER OPTIONS...]: runs FUZZER over the
# checked-in CORPUS and then on fresh inputs, writing what it finds to a
# scratch folder, never into the corpus.
set -euo pipefail
fuzzer=$(realpath "$1") corpus=$(realpath "$2")
shift 2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ep-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"                           # crash files land here, printed on failure
"$fuzzer" "$@" "$scratch" "$corpus"
