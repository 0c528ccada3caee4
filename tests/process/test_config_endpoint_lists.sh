#!/usr/bin/env bash
# Endpoint lists (README "Two routers"): a router socket key may list one
# endpoint per router. A router binds only its own, the one at
# router/member; several without a member is refused before the journal is
# touched, naming the key and what to set. Lists that cannot be used (an
# empty item, one written with zsock_attach's '@' or '>', lists of
# different lengths, a member beyond them) are refused by every program
# alike, ep-send and the Python client word for word. A single endpoint
# needs no member (the rest of the suite runs on it).
source "$(dirname "$0")/lib.sh"
use_python

write_router_pair
# Several endpoints and no member: refused, and the journal not created.
grep -v "member" "$WORK/router-a.zpl" > "$WORK/no-member.zpl"
rc=0
"$BIN/ep-router" --config "$WORK/no-member.zpl" > "$WORK/no-member.out" 2> "$WORK/no-member.err" || rc=$?
[ "$rc" != 0 ] || fail "a router with two endpoints per key and no router/member started"
grep -q "router/intake lists 2 endpoints, one for each router: set router/member to the position (1 to 2) of this router's own, the one it binds" "$WORK/no-member.err" \
    || fail "the refusal does not say what to set: $(cat "$WORK/no-member.err")"
[ ! -e "$JOURNAL" ] || fail "a router that cannot tell its own endpoint opened the journal"

# Member 2 binds the second endpoint of each list, and only it.
start_router "$WORK/router-b.zpl"
for key in intake outcomes control dispatch results query; do
    list=$(sed -n "s/^ *$key *= *//p" "$WORK/router-b.zpl")
    own=${list#*,}; other=${list%%,*}
    ss -Hltn "( sport = :${own##*:} )" | grep -q . || fail "router B does not listen on its $key $own"
    ! ss -Hltn "( sport = :${other##*:} )" | grep -q . || fail "router B listens on router A's $key $other"
    grep -q "^    $key = \"$other,$own\"" "$READY" || fail "the ready file does not list both $key endpoints: $(grep " $key " "$READY")"
done

# Lists that cannot be used: judged alike by ep-send and the Python client.
case_file () {
    local name=$1 intake=$2 rest=$3 member=${4:-}
    {
        echo "router"
        echo "    intake = $intake"
        for key in outcomes control dispatch results query; do echo "    $key = $rest"; done
        [ -z "$member" ] || echo "    member = $member"
    } > "$WORK/case-$name.zpl"
}
case_file empty "tcp://127.0.0.1:1,,tcp://127.0.0.1:2" "tcp://127.0.0.1:3,tcp://127.0.0.1:4"
case_file trailing "tcp://127.0.0.1:1," "tcp://127.0.0.1:3"
case_file bind "@tcp://127.0.0.1:1,tcp://127.0.0.1:2" "tcp://127.0.0.1:3,tcp://127.0.0.1:4"
case_file uneven "tcp://127.0.0.1:1,tcp://127.0.0.1:2" "tcp://127.0.0.1:3"
case_file member "tcp://127.0.0.1:1,tcp://127.0.0.1:2" "tcp://127.0.0.1:3,tcp://127.0.0.1:4" 3
case_file many "$(seq -s, -f 'tcp://127.0.0.1:%g' 1 9)" "tcp://127.0.0.1:3"
for name in empty trailing bind uneven member many; do
    rc=0
    "$BIN/ep-send" --config "$WORK/case-$name.zpl" < /dev/null > /dev/null 2> "$WORK/c.err" || rc=$?
    echo "$name $rc $(cat "$WORK/c.err")"
done > "$WORK/lists-c.txt"
"$PY" - "$WORK" > "$WORK/lists-py.txt" 2> "$WORK/lists-py.err" <<'PY' || fail "the cases in Python: $(cat "$WORK/lists-py.err")"
import sys
from execplane_client import ConfigError, load_config
for name in ("empty", "trailing", "bind", "uneven", "member", "many"):
    try:
        load_config(f"{sys.argv[1]}/case-{name}.zpl")
        print(name, 0)
    except ConfigError as error:
        print(name, 2, f"ep-send: {error}")
PY
diff "$WORK/lists-c.txt" "$WORK/lists-py.txt" > "$WORK/lists.diff" \
    || fail "the Python client judges the lists otherwise than ep-send: $(cat "$WORK/lists.diff")"
awk '$2 != 2 { print; bad = 1 } END { exit bad }' "$WORK/lists-c.txt" > "$WORK/lists.bad" \
    || fail "a list that cannot be used was accepted: $(cat "$WORK/lists.bad")"
grep -q "^empty 2 ep-send: config .*: router/intake: \"tcp://127.0.0.1:1,,tcp://127.0.0.1:2\": an empty endpoint in the list" "$WORK/lists-c.txt" \
    || fail "an empty endpoint: $(grep '^empty' "$WORK/lists-c.txt")"
grep -q "^bind 2 .*write the endpoint without '@'" "$WORK/lists-c.txt" || fail "'@': $(grep '^bind' "$WORK/lists-c.txt")"
grep -q "^uneven 2 .*router/outcomes lists 1 endpoint(s) but router/intake 2" "$WORK/lists-c.txt" \
    || fail "uneven lists: $(grep '^uneven' "$WORK/lists-c.txt")"
grep -q "^member 2 .*router/member is 3 but the lists name 2 router(s)" "$WORK/lists-c.txt" \
    || fail "a member beyond the lists: $(grep '^member' "$WORK/lists-c.txt")"
pass "several endpoints without a member refused before the journal; member 2 binds its own only; $(wc -l < "$WORK/lists-c.txt") unusable lists refused alike in C and Python"
