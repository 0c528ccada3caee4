#!/usr/bin/env bash
# A client started from another folder, without --config, finds its
# configuration as users expect: $EXECPLANE_CONFIG, then ./execplane.zpl,
# then the user's ($XDG_CONFIG_HOME/execplane/execplane.zpl, else
# ~/.config/execplane/execplane.zpl), then the system's
# (/etc/execplane/execplane.zpl: tested in a private mount namespace, with a
# folder of this test's bound in its place). A relative path in the file
# (security/certs) is relative to the file's folder. Every error about the
# configuration names the file used, or the places tried.
source "$(dirname "$0")/lib.sh"
write_config
start_router

ELSEWHERE=$WORK/elsewhere       # the working folder: no configuration, no certificates
EMPTY_HOME=$WORK/empty-home     # a HOME without a user configuration
mkdir -p "$ELSEWHERE" "$EMPTY_HOME"

# client NAME [ENV...]: ep-meta status from $ELSEWHERE, with ENV and without
# EXECPLANE_CONFIG or XDG_CONFIG_HOME unless ENV sets them; stdout and
# stderr in $WORK/NAME.out and .err.
client () {
    local name=$1; shift
    local rc=0
    (cd "$ELSEWHERE" && env -u EXECPLANE_CONFIG -u XDG_CONFIG_HOME "$@" "$BIN/ep-meta" --timeout 10 status) \
        > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
    return $rc
}
# answered NAME: the client printed the plane state
answered () { jq -e '.plane' "$WORK/$1.out" > /dev/null 2>&1; }

# Without any configuration: the defaults, relative to the working folder,
# and the error lists the places tried.
rc=0; client none HOME="$EMPTY_HOME" || rc=$?
[ $rc = 1 ] || fail "without a configuration ep-meta exited $rc: $(cat "$WORK/none.err")"
for place in '$EXECPLANE_CONFIG' ./execplane.zpl "$EMPTY_HOME/.config/execplane/execplane.zpl" \
             /etc/execplane/execplane.zpl "working folder $ELSEWHERE"; do
    grep -qF -- "$place" "$WORK/none.err" || fail "the error does not name $place: $(cat "$WORK/none.err")"
done
pass "no configuration: the error names the places tried and the working folder"

# $EXECPLANE_CONFIG
conf_in "$WORK/env"
client env HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/env/execplane.zpl" \
    || fail "through EXECPLANE_CONFIG: $(cat "$WORK/env.err")"
answered env || fail "through EXECPLANE_CONFIG: no plane state: $(cat "$WORK/env.out")"
pass "EXECPLANE_CONFIG found, its certs relative to its folder"

# The user's: $XDG_CONFIG_HOME, then ~/.config
conf_in "$WORK/xdg/execplane"
client xdg HOME="$EMPTY_HOME" XDG_CONFIG_HOME="$WORK/xdg" || fail "through XDG_CONFIG_HOME: $(cat "$WORK/xdg.err")"
answered xdg || fail "through XDG_CONFIG_HOME: no plane state"
conf_in "$WORK/home/.config/execplane"
client home HOME="$WORK/home" || fail "through ~/.config: $(cat "$WORK/home.err")"
answered home || fail "through ~/.config: no plane state"
pass "the user's configuration found (XDG_CONFIG_HOME and ~/.config)"

# The working folder's comes before the user's; EXECPLANE_CONFIG before both;
# --config before everything.
printf 'router\n    jurnal = x\n' > "$WORK/bad.zpl"
cp "$WORK/bad.zpl" "$ELSEWHERE/execplane.zpl"
rc=0; client cwd HOME="$WORK/home" || rc=$?
[ $rc = 2 ] && grep -qF "config execplane.zpl line 2: unknown key router/jurnal" "$WORK/cwd.err" \
    && grep -qF "(from the working folder)" "$WORK/cwd.err" \
    || fail "./execplane.zpl not used before the user's, or its error unnamed (exit $rc): $(cat "$WORK/cwd.err")"
client env-first HOME="$WORK/home" EXECPLANE_CONFIG="$WORK/env/execplane.zpl" \
    || fail "EXECPLANE_CONFIG did not come before ./execplane.zpl: $(cat "$WORK/env-first.err")"
rm "$ELSEWHERE/execplane.zpl"
rc=0; (cd "$ELSEWHERE" && env -u XDG_CONFIG_HOME HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/bad.zpl" \
    "$BIN/ep-meta" --config "$WORK/env/execplane.zpl" --timeout 10 status) \
    > "$WORK/given.out" 2> "$WORK/given.err" || rc=$?
[ $rc = 0 ] || fail "--config did not come before EXECPLANE_CONFIG: $(cat "$WORK/given.err")"
pass "--config, then EXECPLANE_CONFIG, then ./execplane.zpl, then the user's"

# Errors name the file used: a bad file through EXECPLANE_CONFIG, one that
# is not there, and certificates missing where a found file says.
rc=0; client bad HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/bad.zpl" || rc=$?
[ $rc = 2 ] && grep -qF "config $WORK/bad.zpl line 2: unknown key router/jurnal" "$WORK/bad.err" \
    || fail "a bad file through EXECPLANE_CONFIG (exit $rc): $(cat "$WORK/bad.err")"
rc=0; client missing HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/missing.zpl" || rc=$?
[ $rc = 2 ] && grep -qF "config $WORK/missing.zpl: no such file; config $WORK/missing.zpl (from EXECPLANE_CONFIG)" \
    "$WORK/missing.err" || fail "a missing EXECPLANE_CONFIG (exit $rc): $(cat "$WORK/missing.err")"
mkdir -p "$WORK/nocerts"
sed 's|^\( *certs *= *\).*|\1nowhere|' "$READY" > "$WORK/nocerts/execplane.zpl"
rc=0; client xdg-tried HOME="$EMPTY_HOME" XDG_CONFIG_HOME="$WORK" EXECPLANE_CONFIG= || rc=$?
# (XDG_CONFIG_HOME=$WORK: $WORK/execplane/execplane.zpl is not there; an
# empty EXECPLANE_CONFIG counts as not set)
[ $rc = 1 ] && grep -qF "$WORK/execplane/execplane.zpl" "$WORK/xdg-tried.err" \
    || fail "an empty EXECPLANE_CONFIG or XDG_CONFIG_HOME not looked at (exit $rc): $(cat "$WORK/xdg-tried.err")"
rc=0; client nocerts2 HOME="$EMPTY_HOME" EXECPLANE_CONFIG="$WORK/nocerts/execplane.zpl" || rc=$?
[ $rc = 1 ] && grep -qF "$WORK/nocerts/nowhere/meta_secret" "$WORK/nocerts2.err" \
    && grep -qF "config $WORK/nocerts/execplane.zpl (from EXECPLANE_CONFIG)" "$WORK/nocerts2.err" \
    || fail "missing certificates do not name the folder and the file (exit $rc): $(cat "$WORK/nocerts2.err")"
pass "errors name the configuration file used"

# The system's, /etc/execplane/execplane.zpl, in a private mount namespace:
# /etc replaced by a folder of links to the real /etc's entries (bound
# elsewhere first) and an execplane folder of this test's.
# A user namespace where allowed (any user); else, as root, a mount
# namespace alone. (unshare makes its mounts private: none is seen outside.)
if unshare --user --map-root-user --mount true 2> "$WORK/unshare.err"; then
    UNSHARE=(unshare --user --map-root-user --mount)
elif [ "$(id -u)" = 0 ] && unshare --mount true 2>> "$WORK/unshare.err"; then
    UNSHARE=(unshare --mount)
else
    echo "SKIP: the system path: no mount namespace allowed here: $(tr '\n' ' ' < "$WORK/unshare.err")"
    exit 0
fi
conf_in "$WORK/system/execplane"
mkdir -p "$WORK/real-etc"
cat > "$WORK/system.sh" <<'EOS'
set -eu
WORK=$1; BIN=$2; ELSEWHERE=$3; HOME_DIR=$4
mount --bind /etc "$WORK/real-etc"
for entry in "$WORK"/real-etc/* "$WORK"/real-etc/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    [ "$name" = execplane ] || ln -s "$entry" "$WORK/system/$name"
done
mount --bind "$WORK/system" /etc
cd "$ELSEWHERE"
exec env -u EXECPLANE_CONFIG -u XDG_CONFIG_HOME HOME="$HOME_DIR" "$BIN/ep-meta" --timeout 10 status
EOS
rc=0
"${UNSHARE[@]}" bash "$WORK/system.sh" "$WORK" "$BIN" "$ELSEWHERE" "$EMPTY_HOME" \
    > "$WORK/system.out" 2> "$WORK/system.err" || rc=$?
[ $rc = 0 ] && answered system || fail "through /etc/execplane (exit $rc): $(cat "$WORK/system.err")"
[ ! -e /etc/execplane/execplane.zpl ] || [ "$(readlink -f /etc/execplane)" != "$WORK/system/execplane" ] \
    || fail "the bind mount leaked out of the namespace"
pass "the system's configuration found in /etc/execplane"
