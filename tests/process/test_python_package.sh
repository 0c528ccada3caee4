#!/usr/bin/env bash
# The Python client as pip installs it from the tree, offline (no index,
# no build isolation: Debian's setuptools and wheel build it), from the
# folder examples/python (pyproject.toml, setup.py): into a venv that sees
# Debian's python3-zmq and python3-protobuf (which satisfy the declared
# dependencies, pyzmq and protobuf), where `import execplane_client` works
# from anywhere; the distribution's version is the C library's; its
# execplane_pb2 is the one protoc makes from the schema (as the build's),
# or the file EXECPLANE_PB2 names (a --target install); without protoc or
# EXECPLANE_PB2 the build stops and says what to install. The source tree
# is left as it was (the build writes to a scratch folder).
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(dirname "$BIN")
PKG=$SRC/examples/python
PY=/usr/bin/python3
[ -x "$PY" ] || fail "no $PY (apt install python3)"
"$PY" -c '
import importlib.util, sys
missing = [m for m in ("venv", "ensurepip", "pip", "setuptools", "wheel") if not importlib.util.find_spec(m)]
sys.exit("missing: " + " ".join(missing) if missing else 0)' 2> "$WORK/modules.log" \
    || fail "$PY cannot build and install offline (apt install python3-venv python3-pip python3-setuptools python3-wheel; scripts/deps does): $(tail -n 1 "$WORK/modules.log")"
command -v protoc > /dev/null || fail "no protoc (apt install protobuf-compiler): the package's execplane_pb2 is made by it"
[ -f "$BUILD/python/execplane_pb2.py" ] || fail "no $BUILD/python/execplane_pb2.py"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $BUILD/CMakeCache.txt"

# Nothing fetched: no index, no user configuration, and a proxy that
# refuses every connection.
export PIP_NO_INDEX=1 PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
export http_proxy=http://127.0.0.1:1 https_proxy=http://127.0.0.1:1
unset PYTHONPATH EXECPLANE_PB2
tree_before=$(find "$PKG" | sort)

"$PY" -m venv --system-site-packages "$WORK/venv" > "$WORK/venv.log" 2>&1 \
    || fail "python3 -m venv: $(tail -n 3 "$WORK/venv.log")"
"$WORK/venv/bin/python" -m pip install --no-index --no-build-isolation "$PKG" > "$WORK/pip.log" 2>&1 \
    || fail "pip install --no-index --no-build-isolation examples/python: $(tail -n 20 "$WORK/pip.log")"
pass "pip installed examples/python into a venv, offline"

cd "$WORK" || fail "cd $WORK"
"$WORK/venv/bin/python" - > "$WORK/import.out" 2> "$WORK/import.log" <<'PY' || fail "import: $(cat "$WORK/import.log")"
import importlib.metadata as metadata
import os
import sys
import execplane_client
import execplane_pb2 as pb
from execplane_client import Monitor, Strategy   # noqa: F401, what a strategy imports
site = os.path.join(sys.prefix, "lib")
for module in (execplane_client, pb):
    if not module.__file__.startswith(site):
        sys.exit(f"{module.__name__} imported from {module.__file__}, not the venv")
print(metadata.version("execplane-client"))
print(" ".join(sorted(metadata.requires("execplane-client"))))
print(execplane_client.__file__)
print(pb.__file__)
print(pb.Status.Name(pb.FILLED), pb.Failure.Name(pb.RATE_LIMITED))
PY
{ read -r got_version; read -r requires; read -r client_file; read -r pb2_file; read -r names; } < "$WORK/import.out"
[ "$got_version" = "$version" ] || fail "the package's version is $got_version, the library's $version"
[ "$requires" = "protobuf pyzmq" ] || fail "the declared dependencies: $requires"
[ "$names" = "FILLED RATE_LIMITED" ] || fail "execplane_pb2's names: $names"
cmp -s "$client_file" "$PKG/execplane_client.py" || fail "the installed execplane_client.py is not examples/python's"
cmp -s "$pb2_file" "$BUILD/python/execplane_pb2.py" || fail "the installed execplane_pb2.py is not what protoc makes of the schema"
pass "import execplane_client from the venv: version $got_version, requires $requires, execplane_pb2 from the schema"

# --target, with Debian's pip and the build's execplane_pb2.py (marked, to
# tell it apart from one protoc would make).
{ cat "$BUILD/python/execplane_pb2.py"; echo "# the build's copy"; } > "$WORK/marked_pb2.py"
EXECPLANE_PB2=$WORK/marked_pb2.py "$PY" -m pip install --no-index --no-build-isolation --no-deps \
    --target "$WORK/target" "$PKG" > "$WORK/pip-target.log" 2>&1 \
    || fail "pip install --target with EXECPLANE_PB2: $(tail -n 20 "$WORK/pip-target.log")"
cmp -s "$WORK/target/execplane_pb2.py" "$WORK/marked_pb2.py" || fail "EXECPLANE_PB2 was not the file installed"
PYTHONPATH=$WORK/target "$PY" -c 'import execplane_client, sys; sys.exit(not execplane_client.__file__.startswith(sys.argv[1]))' \
    "$WORK/target" 2> "$WORK/target-import.log" || fail "import from --target: $(cat "$WORK/target-import.log")"
pass "pip install --target with EXECPLANE_PB2: that file installed, import execplane_client works"

# Neither protoc nor EXECPLANE_PB2: the build stops, saying what to do.
mkdir "$WORK/nobin"
rc=0
PATH=$WORK/nobin "$WORK/venv/bin/python" -m pip install --no-index --no-build-isolation --force-reinstall \
    --no-deps "$PKG" > "$WORK/pip-noprotoc.log" 2>&1 || rc=$?
[ $rc != 0 ] || fail "pip installed without protoc nor EXECPLANE_PB2"
grep -q "no protoc on PATH (apt install protobuf-compiler); or set EXECPLANE_PB2" "$WORK/pip-noprotoc.log" \
    || fail "without protoc the build did not say why: $(tail -n 20 "$WORK/pip-noprotoc.log")"
pass "without protoc nor EXECPLANE_PB2 the build stops and says what to install"

[ "$(find "$PKG" | sort)" = "$tree_before" ] || fail "pip wrote into examples/python: $(diff <(echo "$tree_before") <(find "$PKG" | sort))"
pass "examples/python is as it was"
