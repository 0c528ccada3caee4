#!/usr/bin/env bash
# The Python client finds and reads its configuration as the C programs do
# (test_config_lookup is theirs): strategy.py and monitor.py, started through
# their launcher from a folder with no configuration and no certificates,
# find it through $EXECPLANE_CONFIG, $XDG_CONFIG_HOME and ~/.config, read
# the certificates where the file's relative "certs = certs" says (its own
# folder), and get their intents' terminal reports from the real stack;
# ./execplane.zpl comes before the user's, $EXECPLANE_CONFIG before it.
# Its errors are ep-send's, word for word and with its exit status (the
# same certificate, "strategy"): a missing $EXECPLANE_CONFIG names it, no
# file anywhere names the places tried, and every file the C reader
# refuses (unknown names, names given twice, bad indentation, invalid ZPL,
# each key's value out of range or too long, ...) is refused with its
# message. The client knows every key the router writes, with the same
# built-in defaults.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PY_GEN=$(dirname "$BIN")/python
[ -f "$PY_GEN/execplane_pb2.py" ] || fail "no $PY_GEN/execplane_pb2.py: protoc was not found at build time"
# Debian's interpreter, with python3-zmq and python3-protobuf
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c "import zmq, google.protobuf" 2> "$WORK/import.log" \
    || fail "$PY cannot import zmq and google.protobuf (apt install python3-zmq python3-protobuf): $(tail -n 1 "$WORK/import.log")"
RUN=$SRC/examples/python/run

write_config
start_router
start_paper

ELSEWHERE=$WORK/elsewhere       # the working folder: no configuration, no certificates
EMPTY_HOME=$WORK/empty-home     # a HOME without a user configuration
mkdir -p "$ELSEWHERE" "$EMPTY_HOME"

# py NAME [ENV...] -- SCRIPT [ARG...]: the launcher runs SCRIPT (strategy.py,
# monitor.py) from $ELSEWHERE, with ENV and without EXECPLANE_CONFIG,
# XDG_CONFIG_HOME or PYTHONPATH unless ENV sets them; stdout and stderr
# in $WORK/NAME.out and .err; returns its exit status.
py () {
    local name=$1 envs=() rc=0; shift
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    (cd "$ELSEWHERE" && env -u EXECPLANE_CONFIG -u XDG_CONFIG_HOME -u PYTHONPATH -u EXECPLANE_PYTHON \
        EXECPLANE_BUILD="$(dirname "$BIN")" ${envs[@]+"${envs[@]}"} timeout 60 "$RUN" "$@") \
        > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    return $rc
}
# filled NAME STRATEGY: strategy.py printed STRATEGY's one intent FILLED
filled () {
    [ "$(cat "$WORK/$1.out")" = "$2-py-0 FILLED FAILURE_NONE 0.5 at 64000.25" ] \
        || fail "$1: strategy.py printed: $(cat "$WORK/$1.out") $(cat "$WORK/$1.err")"
}
# c_send NAME [ENV...]: ep-send (the same certificate) from $ELSEWHERE as
# py runs a script; "STATUS MESSAGE" (its stderr without "ep-send: ") in
# $WORK/NAME.c
c_send () {
    local name=$1 rc=0; shift
    (cd "$ELSEWHERE" && env -u EXECPLANE_CONFIG -u XDG_CONFIG_HOME "$@" "$BIN/ep-send" --timeout 10) \
        < /dev/null > /dev/null 2> "$WORK/$name.c.err" || rc=$?
    echo "$rc $(sed 's/^ep-send: //' "$WORK/$name.c.err")" > "$WORK/$name.c"
}
# same_as_c NAME SCRIPT STATUS: the script exited STATUS, and said what
# ep-send says in $WORK/NAME.c, with its own name
same_as_c () {
    local name=$1 script=$2 rc=$3
    [ "$rc $(sed "s/^$script: //" "$WORK/$name.err")" = "$(cat "$WORK/$name.c")" ] \
        || fail "$name: $script said (exit $rc): $(cat "$WORK/$name.err"); ep-send: $(cat "$WORK/$name.c")"
}

# $EXECPLANE_CONFIG, its certificates relative to its folder
conf_in "$WORK/env"
py env HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/env/execplane.zpl" -- strategy.py alpha 1 \
    || fail "strategy.py through EXECPLANE_CONFIG: $(cat "$WORK/env.err")"
filled env alpha
[ ! -e "$ELSEWHERE/certs" ] && [ ! -e "$ELSEWHERE/var" ] || fail "certificates in the working folder: this proves nothing"
py monitor HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/env/execplane.zpl" -- monitor.py --from-seq 1 --count 1 \
    --timeout 10 || fail "monitor.py through EXECPLANE_CONFIG: $(cat "$WORK/monitor.err")"
tail -n +2 "$WORK/monitor.out" | jq -e 'select(.intent_id == "alpha-py-0")' > /dev/null \
    || fail "monitor.py through EXECPLANE_CONFIG did not replay alpha-py-0: $(cat "$WORK/monitor.out")"
pass "strategy.py and monitor.py from another folder: found through EXECPLANE_CONFIG, certs relative to its folder, FILLED"

# The user's: $XDG_CONFIG_HOME, then ~/.config
conf_in "$WORK/xdg/execplane"
py xdg HOME="$EMPTY_HOME" XDG_CONFIG_HOME="$WORK/xdg" -- strategy.py beta 1 \
    || fail "strategy.py through XDG_CONFIG_HOME: $(cat "$WORK/xdg.err")"
filled xdg beta
conf_in "$WORK/home/.config/execplane"
py home HOME="$WORK/home" -- strategy.py demo 1 || fail "strategy.py through ~/.config: $(cat "$WORK/home.err")"
filled home demo
pass "strategy.py: the user's configuration found (XDG_CONFIG_HOME and ~/.config), FILLED"

# ./execplane.zpl before the user's, $EXECPLANE_CONFIG before it; the
# error names the file and how it was found, as ep-send's does.
printf 'router\n    jurnal = x\n' > "$ELSEWHERE/execplane.zpl"
rc=0; py cwd HOME="$WORK/home" -- strategy.py det 1 || rc=$?
c_send cwd HOME="$WORK/home"
grep -qF "config execplane.zpl line 2: unknown key router/jurnal (did you mean router/journal?); config execplane.zpl (from the working folder)" \
    "$WORK/cwd.err" || fail "./execplane.zpl not used before the user's (exit $rc): $(cat "$WORK/cwd.err")"
same_as_c cwd strategy.py $rc
py env-first HOME="$WORK/home" EXECPLANE_CONFIG="$WORK/env/execplane.zpl" -- strategy.py hr 1 \
    || fail "EXECPLANE_CONFIG did not come before ./execplane.zpl: $(cat "$WORK/env-first.err")"
filled env-first hr
rm "$ELSEWHERE/execplane.zpl"
pass "EXECPLANE_CONFIG, then ./execplane.zpl, then the user's"

# A missing $EXECPLANE_CONFIG: an error naming it (exit 2), ep-send's
for script in strategy.py monitor.py; do
    args=(kp 1); [ $script = strategy.py ] || args=(--count 1 --timeout 5)
    rc=0; py "missing-$script" HOME="$WORK/home" EXECPLANE_CONFIG="$WORK/missing.zpl" -- "$script" "${args[@]}" || rc=$?
    [ "$rc $(cat "$WORK/missing-$script.err")" = "2 $script: config $WORK/missing.zpl: no such file; config $WORK/missing.zpl (from EXECPLANE_CONFIG)" ] \
        || fail "$script with a missing EXECPLANE_CONFIG (exit $rc): $(cat "$WORK/missing-$script.err")"
done
c_send missing-strategy.py HOME="$WORK/home" EXECPLANE_CONFIG="$WORK/missing.zpl"
same_as_c missing-strategy.py strategy.py 2
pass "a missing EXECPLANE_CONFIG: exit 2, named, as ep-send says it"

# No file anywhere: the built-in defaults, relative to the working folder
# (no certificates there); the error lists the places tried. An empty
# EXECPLANE_CONFIG counts as not set; XDG_CONFIG_HOME is looked in.
rc=0; py none HOME="$EMPTY_HOME" XDG_CONFIG_HOME="$WORK" EXECPLANE_CONFIG= -- strategy.py kr 1 || rc=$?
c_send none HOME="$EMPTY_HOME" XDG_CONFIG_HOME="$WORK" EXECPLANE_CONFIG=
same_as_c none strategy.py $rc
for place in '$EXECPLANE_CONFIG (not set)' ./execplane.zpl "$WORK/execplane/execplane.zpl" \
             /etc/execplane/execplane.zpl "working folder $ELSEWHERE" var/certs/strategy_secret; do
    grep -qF -- "$place" "$WORK/none.err" || fail "the error does not name $place: $(cat "$WORK/none.err")"
done
pass "no configuration: exit $rc, the places tried named, as ep-send names them"

# Every key the router writes (its ready file: all of them) is one the
# client knows; the ones the test left alone have the same defaults.
export PYTHONPATH=$PY_GEN:$SRC/examples/python       # for the snippets below
"$PY" - "$READY" "$CFG" > "$WORK/keys.out" 2>&1 <<'PY' || fail "the client's keys: $(cat "$WORK/keys.out")"
import sys
from execplane_client import CONFIG_KEYS, DEFAULTS, load_config, _parse_zpl
written = _parse_zpl(open(sys.argv[1]).read().split("\n"))
mine = _parse_zpl(open(sys.argv[2]).read().split("\n"))
config = load_config(sys.argv[1])
assert sorted(written) == sorted(CONFIG_KEYS), f"keys: router {sorted(written)}, client {sorted(CONFIG_KEYS)}"
for key, value in written.items():
    kind = CONFIG_KEYS[key][0]
    if key not in mine and kind != "path" and not key.endswith("/description"):
        assert value == DEFAULTS[key], f"{key}: the router's default {value!r}, the client's {DEFAULTS[key]!r}"
    assert config[key] == value, f"{key}: the router wrote {value!r}, the client read {config[key]!r}"
print(len(written))
PY
pass "the client knows the $(cat "$WORK/keys.out") keys the router writes, with its defaults"

# Strictness: each file the C reader refuses, or reads oddly, judged by both.
STRICT=$WORK/strict
mkdir -p "$STRICT"
"$PY" - "$STRICT" <<'PY' || fail "cannot write the strict cases"
import sys
from execplane_client import CONFIG_KEYS
folder = sys.argv[1]
cases = {
    "unknown-key": "router\n    jurnal = x\n",
    "unknown-section": "ruter\n    intake = x\n",
    "section-twice": "router\n    hwm = 100\nrouter\n",
    "key-twice": "router\n    hwm = 100\n    hwm = 200\n",
    "tab": "router\n\thwm = 100\n",
    "key-first": "    curve = 1\n",
    "indent-2": "router\n  hwm = 100\n",
    "indent-8": "router\n        hwm = 100\n",
    "no-name": "router\n    = 5\n",
    "long-name": "router\n    " + "a" * 70 + " = 1\n",
    "slash-name": "router/intake = x\n",
    "unterminated": 'router\n    intake = "tcp://x\n',
    "comment-indent-2": "router\n  # note\n    hwm = 100\n",
    "junk-after-name": "router junk\n",
    "junk-after-quote": 'router\n    hwm = "100" x\n',
    "empty-number": "router\n    hwm\n",
    "not-a-number": "router\n    hwm = lots\n",
    "journal-sync": "router\n    journal_sync = fast\n",
    "metrics-any": "router\n    metrics = 0.0.0.0:9460\n",
    "metrics-port": "paper\n    metrics = 127.0.0.1:99999\n",
    "metrics-no-port": "live\n    metrics = 127.0.0.1\n",
    "metrics-v6": "live\n    metrics = [::2]:80\n",
    "metrics-zero": "router\n    metrics = 127.0.0.01:80\n",
    "cap-exponent": "paper\n    liquidity_cap = 1e5\n",
    "cap-precise": "paper\n    liquidity_cap = 0.123456789\n",
    "certs-too-long": "security\n    certs = " + "c" * 1100 + "\n",
    "curve-off": 'security\n    curve = " +0"\n',
    # Read, not refused: the certificates are then looked for where they say
    "odd-but-fine": ('router = x  # note\n    hwm = " +100"\n    metrics = localhost:+80\n'
                     "paper\n    metrics = [::1]:0\n    liquidity_cap = 0.5\nlive\n"
                     "    metrics = 127.1.2.3:9\n    # indented comment\nsecurity # note\r\n"
                     '    certs = "sub dir/../c"   # quoted\n'),
    "empty-certs": "security\n    certs\n",
    "single-quotes": "security\n    certs = 'q'\n",
}
# Each key's value just out of what the C reader takes: its message names
# its own range or size, so a client that differs says so.
for key, (kind, limits, _) in CONFIG_KEYS.items():
    section, name = key.split("/")
    value = {"int": lambda: str(limits[1] + 1), "decimal": lambda: "-1"}.get(kind, lambda: "x" * limits)()
    cases[f"value-{section}-{name}"] = f"{section}\n    {name} = {value}\n"
for name, text in cases.items():
    with open(f"{folder}/{name}.zpl", "w") as file:
        file.write(text)
PY
mkdir -p "$STRICT/folder.zpl"   # a folder: refused as one
for file in "$STRICT"/*.zpl; do
    c_send "strict" HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$file"
    echo "${file##*/} $(cat "$WORK/strict.c")"
done > "$WORK/strict-c.txt"
grep -q "^folder.zpl 2 config $STRICT/folder.zpl: is a folder, not a file" "$WORK/strict-c.txt" \
    || fail "ep-send took a folder for its configuration: $(grep '^folder.zpl' "$WORK/strict-c.txt")"
(cd "$ELSEWHERE" && env -u XDG_CONFIG_HOME HOME="$EMPTY_HOME" "$PY" - "$STRICT"/*.zpl) > "$WORK/strict-py.txt" 2> "$WORK/strict-py.err" <<'PY' || fail "the strict cases in Python: $(cat "$WORK/strict-py.err")"
import os, sys
from execplane_client import ConfigError, ExecplaneError, Strategy
for path in sys.argv[1:]:
    os.environ["EXECPLANE_CONFIG"] = path
    try:
        Strategy(None, timeout=0.1).close()
        print(os.path.basename(path), "0 accepted")
    except ExecplaneError as error:
        print(os.path.basename(path), 2 if isinstance(error, ConfigError) else 1, error)
PY
# security/curve = 0 is said in each one's words (--insecure, insecure=True)
sed -i 's/ needs insecure=True;/ needs --insecure on the command line;/' "$WORK/strict-py.txt"
diff "$WORK/strict-c.txt" "$WORK/strict-py.txt" > "$WORK/strict.diff" \
    || fail "the Python client judges these files otherwise than ep-send: $(head -n 20 "$WORK/strict.diff")"
# ... and they are judged as written to be: read (then no certificate
# where they say: exit 1), or refused (exit 2)
awk '{ read = $1 ~ /^(odd-but-fine|empty-certs|single-quotes)\.zpl$/
       if ($2 != (read ? 1 : 2)) { print; bad = 1 } } END { exit bad }' "$WORK/strict-c.txt" \
    > "$WORK/strict.unexpected" || fail "not judged as written to be: $(cat "$WORK/strict.unexpected")"
pass "$(grep -c . "$WORK/strict-c.txt") files judged as ep-send judges them, word for word ($(grep -c ' 2 ' "$WORK/strict-c.txt") refused)"
