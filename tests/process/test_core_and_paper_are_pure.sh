#!/usr/bin/env bash
# The pure core and the paper plane are pure libraries: their object code
# calls nothing but memory, string and formatting functions and the
# schema's initialisers (and, built position-independent, the GOT the
# linker provides): no I/O, no clock, no randomness, no floating point.
source "$(dirname "$0")/lib.sh"

allowed='^(calloc|malloc|realloc|free|memcpy|memmove|memset|memcmp|memchr|strcmp|strncmp|strlen|strnlen|strdup|snprintf|__assert_fail|__divti3|__modti3|__divmodti4|__udivti3|__umodti3|__stack_chk_fail|__snprintf_chk|__memcpy_chk|__asan_.*|__ubsan_.*|__sanitizer_.*|_GLOBAL_OFFSET_TABLE_|execplane__v1__[a-z_]+__(init|descriptor)|protobuf_c_.*)$'
for lib in "$BIN/../core/libep_core.a" "$BIN/../planes/paper/libep_paper.a"; do
    [ -f "$lib" ] || fail "no $lib"
    name=$(basename "$lib")
    nm -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u > "$WORK/$name.symbols"
    [ -s "$WORK/$name.symbols" ] || fail "nm listed no symbols in $name"
    # Symbols the core or the library itself defines are calls within, not out.
    nm --defined-only "$BIN/../core/libep_core.a" "$lib" | awk 'NF == 3 { print $3 }' \
        | sort -u > "$WORK/$name.defined"
    comm -23 "$WORK/$name.symbols" "$WORK/$name.defined" > "$WORK/$name.calls"
    if grep -v -E "$allowed" "$WORK/$name.calls" > "$WORK/$name.forbidden"; then
        fail "$name calls: $(tr '\n' ' ' < "$WORK/$name.forbidden")"
    fi
    # No floating-point instructions in its code either.
    if objdump -d "$lib" | grep -E -q '\b(cvtsi2s[sd]|cvtts[sd]2si|mulsd|divsd|addsd|subsd|mulss|divss|fld|fstp)\b'; then
        fail "floating-point instructions in $name"
    fi
    echo "$name calls only $(wc -l < "$WORK/$name.calls") allowed functions and no floating point"
done
pass "the core and the paper plane are pure"
