#!/usr/bin/env bash
# The systemd units as installed: `cmake --install` writes ep-router,
# ep-paper and ep-live services and execplane.target, their ExecStart on
# the installed programs (with --log-json), restarting on failure, with the
# hardening options; systemd-analyze verifies them (the man pages they name
# included, by path outside /usr, with no MANPATH) and rates each service's exposure as OK (at most 2.5 of 10).
source "$(dirname "$0")/lib.sh"
command -v systemd-analyze > /dev/null || fail "systemd-analyze is missing (apt install systemd)"
BUILD=$(dirname "$BIN")
PREFIX=$WORK/prefix
cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" 2>&1 \
    || fail "cmake --install: $(tail -n 5 "$WORK/install.log")"
UNITS=$(find "$PREFIX" -path '*/systemd/system' -type d)
[ -n "$UNITS" ] || fail "no systemd/system folder installed"

for d in router paper live; do
    unit=$UNITS/ep-$d.service
    [ -f "$unit" ] || fail "ep-$d.service not installed"
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    read -r program _ <<< "$exec_start"
    [ "$program" = "$PREFIX/bin/ep-$d" ] && [ -x "$program" ] \
        || fail "ep-$d.service starts '$program', not the installed ep-$d"
    [[ $exec_start == *--log-json* && $exec_start == *"--config /etc/execplane/execplane.zpl"* ]] \
        || fail "ep-$d.service: ExecStart=$exec_start"
    for setting in Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
                   PrivateTmp=yes CapabilityBoundingSet= MemoryDenyWriteExecute=yes \
                   "SystemCallFilter=@system-service" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"; do
        grep -qx -- "$setting" "$unit" || fail "ep-$d.service lacks $setting"
    done
    grep -q '^@' "$unit" && fail "ep-$d.service has an unreplaced placeholder"
    exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 \
               | sed -n 's/.*Overall exposure level for ep-[a-z]*\.service: \([0-9.]*\).*/\1/p')
    [ -n "$exposure" ] || fail "systemd-analyze security did not rate ep-$d.service"
    awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }' || fail "ep-$d.service exposure $exposure > 2.5"
    pass "ep-$d.service: $PREFIX/bin/ep-$d, hardened, exposure $exposure"
done
[ -f "$UNITS/execplane.target" ] || fail "execplane.target not installed"
# Installed outside /usr, the units name their man pages by path, so that
# man (which systemd-analyze verify runs on each) finds them with no MANPATH.
for unit in ep-router.service ep-paper.service ep-live.service execplane.target; do
    docs=$(sed -n 's/^Documentation=//p' "$UNITS/$unit")
    [ -n "$docs" ] || fail "$unit names no documentation"
    for doc in $docs; do
        [[ $doc == man:$PREFIX/share/man/man1/ep-*.1 ]] && [ -f "${doc#man:}" ] \
            || fail "$unit: Documentation=$doc is not an installed man page by path"
    done
done
(cd "$WORK" && env -u MANPATH systemd-analyze verify "$UNITS"/ep-*.service "$UNITS/execplane.target") \
    > "$WORK/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$WORK/verify.log")"
[ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify warns: $(cat "$WORK/verify.log")"
pass "systemd-analyze verify, without MANPATH: no finding"
# Under /usr (a package's DESTDIR install), the pages are named as man:ep-router(1).
DESTDIR=$WORK/destdir cmake --install "$BUILD" --prefix /usr > "$WORK/install-usr.log" 2>&1 \
    || fail "cmake --install --prefix /usr: $(tail -n 5 "$WORK/install-usr.log")"
[ "$(sed -n 's/^Documentation=//p' "$(find "$WORK/destdir" -name execplane.target)")" \
    = "man:ep-router(1) man:ep-paper(1) man:ep-live(1)" ] \
    || fail "under /usr, execplane.target does not name man:ep-router(1)...: $(grep Documentation "$(find "$WORK/destdir" -name execplane.target)")"
pass "under /usr the units name their man pages as man:NAME(1)"
[ -f "$PREFIX/share/execplane/execplane.zpl.example" ] || fail "the example configuration is not installed"
# The example configuration is one the router accepts.
# Its paths and ports aside: this test's own, ephemeral.
sed -e 's|/var/lib/execplane|'"$WORK"'|; s|/etc/execplane/certs|'"$WORK"'/certs|' \
    -e 's|127\.0\.0\.1:946[0-9]|127.0.0.1:0|' \
    -e '/^router$/a\    intake = tcp://127.0.0.1:!\n    outcomes = tcp://127.0.0.1:!\n    control = tcp://127.0.0.1:!\n    dispatch = tcp://127.0.0.1:!\n    results = tcp://127.0.0.1:!\n    query = tcp://127.0.0.1:!' \
    "$PREFIX/share/execplane/execplane.zpl.example" > "$WORK/example.zpl"
grep -q 'intake = tcp://127.0.0.1:!' "$WORK/example.zpl" && ! grep -q ':946' "$WORK/example.zpl" \
    || fail "the example configuration was not made local: $(cat "$WORK/example.zpl")"
"$BIN/ep-keygen" --set --certs "$WORK/certs" > /dev/null
"$BIN/ep-router" --config "$WORK/example.zpl" --ready-file "$WORK/example-ready.zpl" \
    2> "$WORK/example.log" &
PIDS+=($!)
wait_until 10 test -f "$WORK/example-ready.zpl"
pass "the example configuration starts a router"
