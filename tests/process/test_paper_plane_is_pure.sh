#!/usr/bin/env bash
# The paper plane is a pure library: its object code calls nothing but
# memory, string and formatting functions and the schema's initialisers
# (and, built position-independent, the GOT the linker provides):
# no I/O, no clock, no randomness, no floating point.
source "$(dirname "$0")/lib.sh"

lib=$BIN/../planes/paper/libep_paper.a
[ -f "$lib" ] || fail "no $lib"
allowed='^(calloc|malloc|realloc|free|memcpy|memmove|memset|memcmp|strcmp|strlen|snprintf|__assert_fail|__divti3|__modti3|__divmodti4|__udivti3|__umodti3|__stack_chk_fail|__snprintf_chk|__memcpy_chk|__asan_.*|__ubsan_.*|__sanitizer_.*|_GLOBAL_OFFSET_TABLE_|execplane__v1__[a-z_]+__init)$'
nm -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u > "$WORK/symbols.txt"
[ -s "$WORK/symbols.txt" ] || fail "nm listed no symbols"
if grep -v -E "$allowed" "$WORK/symbols.txt" > "$WORK/forbidden.txt"; then
    fail "the paper plane calls: $(tr '\n' ' ' < "$WORK/forbidden.txt")"
fi
# No floating-point instructions in its code either.
if objdump -d "$lib" | grep -E -q '\b(cvtsi2s[sd]|cvtts[sd]2si|mulsd|divsd|addsd|subsd|mulss|divss|fld|fstp)\b'; then
    fail "floating-point instructions in the paper plane"
fi
pass "the paper plane calls only $(wc -l < "$WORK/symbols.txt") allowed functions and no floating point"
