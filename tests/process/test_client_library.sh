#!/usr/bin/env bash
# The client library as users get it: `cmake --install` puts the programs,
# libexecplane, its headers, the schema, execplane.pc and the CMake package
# under a prefix; a small program (tests/install/client_check.c) is built
# out of the tree against that copy, once with nothing but the pkg-config
# line (whose Cflags carry no private dependency's -I, and whose Libs let
# the program find the library without LD_LIBRARY_PATH) and once with
# find_package (execplane), and each build runs against the real stack: it
# sends intents and waits for their terminal reports (a repeated id comes
# back REJECTED / DUPLICATE_INTENT), cancels and replaces intents that
# have ended (each answered by its own terminal report), follows one
# strategy's reports as a monitor, and checks the errors the library
# gives. The journal shows what the cancel and the replace carried on the
# wire, decoded with the installed schema. The installed ep-send runs from
# the prefix and finds the installed library.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(dirname "$BIN")
PREFIX=$WORK/prefix

command -v protoc > /dev/null || fail "no protoc (apt install protobuf-compiler): it decodes the journaled intents"
command -v xxd > /dev/null || fail "no xxd: it turns the journaled intents back into bytes"

cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" 2>&1 \
    || fail "cmake --install: $(tail -n 5 "$WORK/install.log")"
for f in bin/ep-router bin/ep-paper bin/ep-live bin/ep-send bin/ep-tap bin/ep-meta \
         bin/ep-replay bin/ep-keygen include/execplane/execplane.h \
         include/execplane/execplane.pb-c.h share/execplane/execplane.proto; do
    [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
pc=$(find "$PREFIX" -name execplane.pc)
[ -n "$pc" ] || fail "no execplane.pc installed"
config_cmake=$(find "$PREFIX" -name execplaneConfig.cmake)
[ -n "$config_cmake" ] || fail "no execplaneConfig.cmake installed"
libdir=$(dirname "$(find "$PREFIX" -name 'libexecplane.so.0.2')")
pass "installed under $PREFIX"

# A sanitized build's library needs the sanitizers' runtime in its users.
flags=()
grep -q '^EP_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" && flags=(-fsanitize=address,undefined)

export PKG_CONFIG_PATH=$(dirname "$pc")
[ "$(pkg-config --modversion execplane)" = 0.2.0 ] || fail "pkg-config --modversion execplane"
[ "$(pkg-config --variable=schemadir execplane)/execplane.proto" -ef "$PREFIX/share/execplane/execplane.proto" ] \
    || fail "pkg-config's schemadir does not hold the installed schema"
# The compile flags are the installed headers' and protobuf-c's (whose
# header execplane.pb-c.h includes), nothing of the library's private
# dependencies (CZMQ and ZeroMQ would bring -I for pgm, nss, krb5...).
cflags=$(pkg-config --cflags execplane)
allowed=("-I$(pkg-config --variable=includedir execplane)/execplane")
read -r -a protobuf_c_cflags <<< "$(pkg-config --cflags libprotobuf-c)"
allowed+=("${protobuf_c_cflags[@]}")
for flag in $cflags; do
    ok=
    for a in "${allowed[@]}"; do [ "$flag" = "$a" ] && ok=1; done
    [ -n "$ok" ] || fail "pkg-config --cflags execplane carries $flag (all: $cflags)"
done
[ "${cflags%% *}" = "${allowed[0]}" ] && [ -d "${allowed[0]#-I}" ] \
    && [ "${allowed[0]#-I}" -ef "$PREFIX/include/execplane" ] \
    || fail "pkg-config --cflags execplane does not name the installed headers: $cflags"
pass "pkg-config --cflags execplane: $cflags"
# Built with nothing but the pkg-config line: no -Wl,-rpath of our own.
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror "${flags[@]}" -o "$WORK/check-pkg" "$SRC/tests/install/client_check.c" \
    $(pkg-config --cflags --libs execplane) 2> "$WORK/cc.log" \
    || fail "the pkg-config build failed: $(cat "$WORK/cc.log")"
# It finds the installed library without LD_LIBRARY_PATH (the .pc's Libs
# carry the rpath of its libdir), and runs so below.
used=$(env -u LD_LIBRARY_PATH ldd "$WORK/check-pkg" | awk '$1 == "libexecplane.so.0.2" { print $3 }')
[ -n "$used" ] && [ "$used" -ef "$libdir/libexecplane.so.0.2" ] \
    || fail "the pkg-config build does not find the installed library by itself: ${used:-none found}"
pass "built with pkg-config alone; it loads $used"

cmake -S "$SRC/tests/install" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_C_FLAGS="${flags[*]}" -DCMAKE_BUILD_RPATH="$libdir" > "$WORK/consumer.log" 2>&1 \
    && cmake --build "$WORK/consumer" >> "$WORK/consumer.log" 2>&1 \
    || fail "the find_package build failed: $(tail -n 20 "$WORK/consumer.log")"
[ "$(cat "$WORK/consumer/schema.txt")" -ef "$PREFIX/share/execplane/execplane.proto" ] \
    || fail "execplane_SCHEMA is not the installed schema: $(cat "$WORK/consumer/schema.txt")"
pass "built with find_package (execplane)"

write_config
start_router
start_paper
# A router nobody runs: port 1 on loopback refuses every connection.
sed 's|tcp://127\.0\.0\.1:[0-9]*|tcp://127.0.0.1:1|g' "$READY" > "$WORK/dead.zpl"

for build in check-pkg consumer/client_check; do
    strategy=alpha; [ $build = check-pkg ] || strategy=beta
    out=$(env -u LD_LIBRARY_PATH "$WORK/$build" "$READY" "$strategy" 20 "$WORK/dead.zpl" 2> "$WORK/check.log") \
        || fail "$build: $(cat "$WORK/check.log") $out"
    [ "$(jq -r '[.version, .sent, .filled, .monitor_seen, .failures] | @csv' <<< "$out")" \
        = '"0.2.0",21,20,21,0' ] || fail "$build: $out"
    [ "$(jq -r '.duplicate | [.status, .failure, .strategy_id] | @csv' <<< "$out")" \
        = "\"REJECTED\",\"DUPLICATE_INTENT\",\"$strategy\"" ] || fail "$build: $out"
    # Their targets had filled: REJECTED / TOO_LATE, naming the target.
    n=0
    for action in cancel replace; do
        [ "$(jq -r ".$action | [.intent_id, .status, .failure, .terminal, .target_intent_id] | @csv" <<< "$out")" \
            = "\"cc-$action\",\"REJECTED\",\"TOO_LATE\",true,\"cc-$n\"" ] \
            || fail "$build: the $action's report: $out"
        n=$((n + 1))
    done
    pass "$build: $out"

    # What the library put on the wire, as the router journaled it: a
    # CANCEL that names its target and carries no order field, and a
    # REPLACE that carries its target and the complete new order.
    decoded () {
        sql "SELECT hex(payload) FROM intents WHERE strategy_id = '$strategy' AND intent_id = '$1'" \
            | xxd -r -p \
            | protoc --decode=execplane.v1.OrderIntent --proto_path="$PREFIX/share/execplane" execplane.proto
    }
    [ "$(decoded cc-cancel)" = "$(printf '%s\n' 'intent_id: "cc-cancel"' "strategy_id: \"$strategy\"" \
                                  'action: CANCEL' 'target_intent_id: "cc-0"')" ] \
        || fail "$build: the cancel as sent: $(decoded cc-cancel)"
    [ "$(decoded cc-replace)" = "$(printf '%s\n' 'intent_id: "cc-replace"' "strategy_id: \"$strategy\"" \
                                   'symbol: "BTCUSDT"' 'side: BUY' 'type: LIMIT' 'tif: GTC' \
                                   'qty_e8: 25000000' 'limit_price_e8: 10000000000' \
                                   'ref_price_e8: 10000000000' 'action: REPLACE' \
                                   'target_intent_id: "cc-1"')" ] \
        || fail "$build: the replace as sent: $(decoded cc-replace)"
    pass "$build: the cancel and the replace as sent: action, target, and the new order's fields"
done
[ "$(sql "SELECT COUNT(*) FROM intents WHERE strategy_id IN ('alpha', 'beta')")" = 46 ] \
    || fail "the journal does not hold the 46 intents sent"

# The installed programs find the installed library.
used=$(ldd "$PREFIX/bin/ep-send" | awk '$1 == "libexecplane.so.0.2" { print $3 }')
[ -n "$used" ] && [ "$used" -ef "$libdir/libexecplane.so.0.2" ] \
    || fail "the installed ep-send does not use the installed library: ${used:-none found}"
out=$(echo '{"intent_id":"inst-1","strategy_id":"alpha","symbol":"BTCUSDT","side":"SELL","type":"MARKET","qty":"1","ref_price":"100"}' \
      | "$PREFIX/bin/ep-send" --config "$READY" --wait --timeout 20)
[ "$(jq -r .status <<< "$out")" = FILLED ] || fail "the installed ep-send: $out"
pass "the installed ep-send: $(jq -c '{intent_id, status}' <<< "$out")"
