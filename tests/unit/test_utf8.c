/*  test_utf8: text the product accepts, cleans and cuts; and the wire check
    that finds a string protobuf-c would take as it is (or cut at a NUL).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ep_utf8.h"
#include "ep_wire.h"

static bool
s_valid (const char *s)
{
    return ep_utf8_text_valid (s, strlen (s));
}

static void
test_well_formed_text_is_accepted (void **state)
{
    (void) state;
    assert_true (s_valid (""));
    assert_true (s_valid ("demo-1"));
    assert_true (s_valid ("\xc3\xa9t\xc3\xa9"));               //  été
    assert_true (s_valid ("\xe2\x82\xac 1"));                   //  € 1
    assert_true (s_valid ("\xf0\x9f\x98\x80"));                 //  U+1F600
    assert_true (s_valid ("\xf4\x8f\xbf\xbf"));                 //  U+10FFFF
}

static void
test_ill_formed_text_is_refused (void **state)
{
    (void) state;
    assert_false (s_valid ("\xff"));
    assert_false (s_valid ("\xc3"));                            //  cut short
    assert_false (s_valid ("\xc3\x28"));                        //  no continuation
    assert_false (s_valid ("\xc0\xaf"));                        //  overlong '/'
    assert_false (s_valid ("\xe0\x80\xaf"));                    //  overlong
    assert_false (s_valid ("\xed\xa0\x80"));                    //  surrogate D800
    assert_false (s_valid ("\xf4\x90\x80\x80"));                //  above U+10FFFF
    assert_false (s_valid ("\x80"));                            //  a lone continuation
    assert_false (ep_utf8_text_valid ("ab\0cd", 5));            //  a NUL inside
    assert_false (ep_utf8_well_formed ("ab\0cd", 5));
}

static void
test_control_characters_are_refused_as_text (void **state)
{
    (void) state;
    assert_false (s_valid ("a\nb"));
    assert_false (s_valid ("a\tb"));
    assert_false (s_valid ("a\x7f"));
    assert_false (s_valid ("a\xc2\x85"));                       //  U+0085, a C1 control
    assert_true (ep_utf8_well_formed ("a\tb\n", 4));            //  well-formed all the same
}

//  200 'é' cut to fit 255 bytes: 127 whole characters, never half of one.
static void
test_a_cut_falls_between_characters (void **state)
{
    (void) state;
    char long_text [401];
    for (int i = 0; i < 200; i++)
        memcpy (long_text + 2 * i, "\xc3\xa9", 2);
    long_text [400] = 0;
    char kept [256];
    assert_true (ep_utf8_copy (kept, sizeof kept, long_text));
    assert_int_equal (strlen (kept), 254);
    assert_true (s_valid (kept));
    assert_false (ep_utf8_copy (kept, sizeof kept, "short"));
    assert_string_equal (kept, "short");
    assert_int_equal (ep_utf8_prefix ("\xe2\x82\xac\xe2\x82\xac", 4), 3);
    assert_int_equal (ep_utf8_prefix ("abc", 10), 3);
}

static void
test_a_trailing_half_character_is_trimmed (void **state)
{
    (void) state;
    char text [16];
    strcpy (text, "ab\xe2\x82");                                //  € cut by a snprintf
    ep_utf8_trim (text);
    assert_string_equal (text, "ab");
    strcpy (text, "ab\xe2\x82\xac");
    ep_utf8_trim (text);
    assert_string_equal (text, "ab\xe2\x82\xac");
    strcpy (text, "abc");
    ep_utf8_trim (text);
    assert_string_equal (text, "abc");
}

static void
test_untrusted_text_is_cleaned (void **state)
{
    (void) state;
    char out [64];
    assert_int_equal (ep_utf8_clean (out, sizeof out, "a\xff" "b\nc\xc3\xa9", 7), 7);
    assert_string_equal (out, "a?b c\xc3\xa9");
    //  Whole characters only, within the room.
    assert_int_equal (ep_utf8_clean (out, 4, "\xc3\xa9\xc3\xa9", 4), 2);
    assert_string_equal (out, "\xc3\xa9");
    assert_true (s_valid (out));
}

//  An OrderIntent whose symbol (field 3) is what the test gives.
static size_t
s_intent (uint8_t *out, const char *intent_id, const char *symbol, size_t symbol_size)
{
    size_t n = 0;
    out [n++] = 0x0a;
    out [n++] = (uint8_t) strlen (intent_id);
    memcpy (out + n, intent_id, strlen (intent_id));
    n += strlen (intent_id);
    out [n++] = 0x1a;
    out [n++] = (uint8_t) symbol_size;
    memcpy (out + n, symbol, symbol_size);
    return n + symbol_size;
}

static void
test_the_wire_check_names_the_field (void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *intent = &execplane__v1__order_intent__descriptor;
    uint8_t data [64];
    const char *field = NULL;
    size_t size = s_intent (data, "x-1", "BTCUSDT", 7);
    assert_int_equal (ep_wire_check_text (intent, data, size, true, &field), 0);
    size = s_intent (data, "x-1", "BTC\0USDT", 8);
    assert_int_equal (ep_wire_check_text (intent, data, size, false, &field), 3);
    assert_string_equal (field, "symbol");
    size = s_intent (data, "x-1", "a\tb", 3);
    assert_int_equal (ep_wire_check_text (intent, data, size, false, &field), 0);
    assert_int_equal (ep_wire_check_text (intent, data, size, true, &field), 3);
    //  In a submessage: a Dispatch (field 1 = the intent) is refused at field 1.
    uint8_t dispatch [80] = { 0x0a };
    size = s_intent (data, "x-1", "\xc3\x28", 2);
    dispatch [1] = (uint8_t) size;
    memcpy (dispatch + 2, data, size);
    assert_int_equal (ep_wire_check_text (&execplane__v1__dispatch__descriptor, dispatch,
                                          size + 2, false, &field), 1);
    assert_string_equal (field, "intent");
    //  Not a message at all.
    uint8_t junk [] = { 0x0a, 0x7f, 'a' };
    assert_int_equal (ep_wire_check_text (intent, junk, sizeof junk, true, &field), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_well_formed_text_is_accepted),
        cmocka_unit_test (test_ill_formed_text_is_refused),
        cmocka_unit_test (test_control_characters_are_refused_as_text),
        cmocka_unit_test (test_a_cut_falls_between_characters),
        cmocka_unit_test (test_a_trailing_half_character_is_trimmed),
        cmocka_unit_test (test_untrusted_text_is_cleaned),
        cmocka_unit_test (test_the_wire_check_names_the_field),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
