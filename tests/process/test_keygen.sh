#!/usr/bin/env bash
# ep-keygen writes a certificate pair (public 0644, secret 0600) with its
# role metadata, never prints the secret key, refuses to replace a pair
# without --force, answers bad usage with exit 2 and one line, and --set
# writes the default set of seven pairs once.
source "$(dirname "$0")/lib.sh"

KEYGEN=$BIN/ep-keygen
CERTS=$WORK/certs
n=0

# keygen EXPECTED_RC ARGS...: runs ep-keygen with its output in
# $WORK/keygen.N.out and .log (kept for the secret scan at the end).
keygen () {
    local expected=$1; shift
    n=$((n + 1))
    OUT=$WORK/keygen.$n.out
    ERR=$WORK/keygen.$n.log
    local rc=0
    "$KEYGEN" "$@" > "$OUT" 2> "$ERR" || rc=$?
    [ "$rc" = "$expected" ] || { cat "$ERR" >&2; fail "ep-keygen $* exited $rc, expected $expected"; }
}

mode () { stat -c %a "$1"; }
meta () { sed -n "s/^    $2 = \"\\(.*\\)\"\$/\\1/p" "$1"; }

keygen 0 --help
grep -q "Usage: ep-keygen" "$OUT" || fail "--help does not show the usage"
grep -q -- "--set" "$OUT" && grep -q -- "--force" "$OUT" || fail "--help does not cover --set and --force"

# --- one pair --------------------------------------------------------------
keygen 0 --role strategy --name alpha --strategy a --strategy b.2 --certs "$CERTS"
[ "$(mode "$CERTS")" = 700 ] || fail "the certs folder is $(mode "$CERTS"), expected 700"
[ "$(mode "$CERTS/public/alpha")" = 644 ] || fail "public/alpha is $(mode "$CERTS/public/alpha")"
[ "$(mode "$CERTS/alpha_secret")" = 600 ] || fail "alpha_secret is $(mode "$CERTS/alpha_secret")"
for file in "$CERTS/public/alpha" "$CERTS/alpha_secret"; do
    [ "$(meta "$file" role)" = strategy ] || fail "$file: role is not strategy"
    [ "$(meta "$file" name)" = alpha ] || fail "$file: name is not alpha"
    [ "$(meta "$file" strategies)" = a,b.2 ] || fail "$file: strategies are not a,b.2"
    [ "$(meta "$file" created-by)" = ep-keygen ] || fail "$file: created-by is not ep-keygen"
done
grep -q secret-key "$CERTS/public/alpha" && fail "the public certificate holds a secret key"
public=$(meta "$CERTS/public/alpha" public-key)
[ ${#public} = 40 ] || fail "no public key in public/alpha"
[ "$(meta "$CERTS/alpha_secret" public-key)" = "$public" ] || fail "the pair's public keys differ"
[ ${#public} = 40 ] && grep -q -F -- "$public" "$OUT" || fail "the public key is not printed"
grep -q -F "$CERTS/public/alpha" "$OUT" && grep -q -F "$CERTS/alpha_secret" "$OUT" \
    || fail "the two paths are not printed"
[ ! -s "$ERR" ] || fail "ep-keygen wrote on stderr: $(cat "$ERR")"

keygen 0 --role worker --name paper1 --plane paper --certs "$CERTS"
[ "$(meta "$CERTS/public/paper1" plane)" = paper ] || fail "the worker's plane is not paper"
[ "$(meta "$CERTS/public/paper1" role)" = worker ] || fail "the worker's role is not worker"
[ -z "$(meta "$CERTS/public/paper1" strategies)" ] || fail "a worker key lists strategies"

# The default folder is the configuration's security/certs.
printf 'security\n    certs = %s\n' "$WORK/configured" > "$WORK/config.zpl"
keygen 0 --role monitor --name watcher --config "$WORK/config.zpl"
[ -f "$WORK/configured/public/watcher" ] && [ -f "$WORK/configured/watcher_secret" ] \
    || fail "--config's security/certs was not used"

# --- no silent replacement -------------------------------------------------
before=$(cat "$CERTS/public/alpha" "$CERTS/alpha_secret" | sha256sum)
keygen 1 --role strategy --name alpha --strategy a --certs "$CERTS"
[ "$(wc -l < "$ERR")" = 1 ] || fail "a refused overwrite must say one line, said: $(cat "$ERR")"
grep -q "already exists" "$ERR" || fail "the refusal does not say the pair exists"
[ "$(cat "$CERTS/public/alpha" "$CERTS/alpha_secret" | sha256sum)" = "$before" ] \
    || fail "a refused overwrite changed the pair"
rm "$CERTS/public/alpha"
keygen 1 --role strategy --name alpha --strategy a --certs "$CERTS"
[ -f "$CERTS/alpha_secret" ] || fail "a refused overwrite removed the secret"
keygen 0 --role strategy --name alpha --strategy a --certs "$CERTS" --force
[ "$(meta "$CERTS/public/alpha" public-key)" != "$public" ] || fail "--force kept the old key"
[ "$(meta "$CERTS/public/alpha" strategies)" = a ] || fail "--force kept the old metadata"
[ "$(mode "$CERTS/public/alpha")" = 644 ] && [ "$(mode "$CERTS/alpha_secret")" = 600 ] \
    || fail "--force left the modes $(mode "$CERTS/public/alpha") / $(mode "$CERTS/alpha_secret")"
[ -z "$(find "$CERTS" -name '.*' ! -name . )" ] || fail "temporary files left: $(find "$CERTS" -name '.*')"

# --- bad usage: exit 2, one line, nothing written --------------------------
files_before=$(find "$WORK" -path "$WORK/keygen.*" -prune -o -print | sort | sha256sum)
bad_usage=(
    "--role king --name k"
    "--role meta --name a%20b"
    "--role meta --name .hidden"
    "--role meta --name x_secret"
    "--role meta --name 12345678901234567890123456789012345678901234567890123456789012345"
    "--role strategy --name s"
    "--role safety --name s"
    "--role strategy --name s --strategy a%20b"
    "--role worker --name w"
    "--role worker --name w --plane moon"
    "--role meta --name m --plane paper"
    "--role meta --name m --strategy a"
    "--name m"
    "--role meta"
    "--role meta --name m --bogus"
    "--role meta --name m extra"
    "--role meta --name"
    "--set --role meta"
    "--set --force"
)
for args in "${bad_usage[@]}"; do
    # shellcheck disable=SC2086  # split on purpose; %20 stands for a space
    set -- $args
    set -- "${@//%20/ }"
    keygen 2 "$@" --certs "$CERTS"
    [ "$(wc -l < "$ERR")" = 1 ] || fail "ep-keygen $args: not one line on stderr: $(cat "$ERR")"
    grep -q "^ep-keygen: " "$ERR" || fail "ep-keygen $args: the error does not name the program"
done
[ "$(find "$WORK" -path "$WORK/keygen.*" -prune -o -print | sort | sha256sum)" = "$files_before" ] \
    || fail "bad usage wrote files"

# --- the default set -------------------------------------------------------
SET=$WORK/set
keygen 0 --set --certs "$SET"
[ "$(grep -c '^wrote ' "$OUT")" = 7 ] || fail "--set did not say it wrote 7 pairs: $(cat "$OUT")"
for name in router paper live strategy meta safety monitor; do
    [ "$(mode "$SET/public/$name")" = 644 ] || fail "--set: public/$name is not 0644"
    [ "$(mode "$SET/${name}_secret")" = 600 ] || fail "--set: ${name}_secret is not 0600"
    [ "$(meta "$SET/public/$name" name)" = "$name" ] || fail "--set: $name is not named $name"
done
for pair in router:router paper:worker live:worker strategy:strategy meta:meta safety:safety \
            monitor:monitor; do
    [ "$(meta "$SET/public/${pair%%:*}" role)" = "${pair#*:}" ] || fail "--set: ${pair%%:*} is not a ${pair#*:} key"
done
[ "$(meta "$SET/public/paper" plane)" = paper ] || fail "--set: paper's plane"
[ "$(meta "$SET/public/live" plane)" = live ] || fail "--set: live's plane"
[ "$(meta "$SET/public/strategy" strategies)" = demo ] || fail "--set: strategy does not speak for demo"
[ "$(meta "$SET/public/safety" strategies)" = demo ] || fail "--set: safety does not speak for demo"

# Idempotent: a second run keeps every file as it is.
snapshot () { (cd "$SET" && find . -type f | sort | xargs sha256sum; find . | sort) | sha256sum; }
before=$(snapshot)
keygen 0 --set --certs "$SET"
[ "$(grep -c '^kept ' "$OUT")" = 7 ] || fail "a second --set did not keep all 7: $(cat "$OUT")"
[ "$(snapshot)" = "$before" ] || fail "a second --set changed the files"
# A removed public certificate stays removed (it is how a key is revoked).
rm "$SET/public/strategy"
keygen 0 --set --certs "$SET"
[ ! -e "$SET/public/strategy" ] || fail "--set re-admitted a removed key"
keygen 0 --set --certs "$WORK/set2" --strategy s1 --strategy s2
[ "$(meta "$WORK/set2/public/strategy" strategies)" = s1,s2 ] || fail "--set --strategy ignored"
[ "$(meta "$WORK/set2/public/safety" strategies)" = s1,s2 ] || fail "--set --strategy ignored for safety"

# --- no secret key in anything ep-keygen printed ----------------------------
secrets=0
while IFS= read -r file; do
    secret=$(meta "$file" secret-key)
    [ ${#secret} = 40 ] || fail "$file: no secret key in it"
    secrets=$((secrets + 1))
    if grep -l -F -- "$secret" "$WORK"/keygen.*; then
        fail "the secret key of $file was printed (files above)"
    fi
done < <(find "$WORK" -name '*_secret')
[ "$secrets" -ge 17 ] || fail "only $secrets secret files to check"
pass "ep-keygen writes 0644/0600 pairs with their roles, keeps secrets off its output, refuses overwrites and bad usage, and --set is idempotent"
