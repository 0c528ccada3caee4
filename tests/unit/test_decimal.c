/*  test_decimal: ep_decimal parses and formats e8 fixed point exactly.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ep_decimal.h"

//  Parses text, expecting error; checks the output was left untouched
static void
s_expect_error (const char *text, bool allow_negative, ep_decimal_error_t expected)
{
    int64_t value = 4242;
    ep_decimal_error_t rc = ep_decimal_parse (text, allow_negative, &value);
    if (rc != expected)
        fail_msg ("\"%s\" (allow_negative %d): got error %d, expected %d",
                  text, allow_negative, rc, expected);
    assert_int_equal (value, 4242);
}

static void
s_expect_value (const char *text, bool allow_negative, int64_t expected)
{
    int64_t value = 4242;
    ep_decimal_error_t rc = ep_decimal_parse (text, allow_negative, &value);
    if (rc != EP_DECIMAL_OK)
        fail_msg ("\"%s\": got error %d (%s)", text, rc, ep_decimal_strerror (rc));
    if (value != expected)
        fail_msg ("\"%s\": got %" PRId64 ", expected %" PRId64, text, value, expected);
}

//  format(value) parses back to value, and the text is the shortest form
static void
s_round_trip (int64_t value)
{
    char buf [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (value, buf);
    int64_t back = 0;
    ep_decimal_error_t rc = ep_decimal_parse (buf, true, &back);
    if (rc != EP_DECIMAL_OK || back != value)
        fail_msg ("%" PRId64 " -> \"%s\" -> rc %d, %" PRId64, value, buf, rc, back);
    size_t len = strlen (buf);
    assert_true (len < EP_DECIMAL_BUFSIZE);
    if (strchr (buf, '.'))
        assert_true (buf [len - 1] != '0');
}

static void
test_decimal_formats_exact_shortest_text (void **state)
{
    (void) state;
    char buf [EP_DECIMAL_BUFSIZE];
    assert_string_equal (ep_decimal_format (0, buf), "0");
    assert_string_equal (ep_decimal_format (1, buf), "0.00000001");
    assert_string_equal (ep_decimal_format (12345678, buf), "0.12345678");
    assert_string_equal (ep_decimal_format (100000000, buf), "1");
    assert_string_equal (ep_decimal_format (-50000000, buf), "-0.5");
    assert_string_equal (ep_decimal_format (-1, buf), "-0.00000001");
    assert_string_equal (ep_decimal_format (10025000000, buf), "100.25");
    assert_string_equal (ep_decimal_format (1000000000000, buf), "10000");
    assert_string_equal (ep_decimal_format (INT64_MAX, buf), "92233720368.54775807");
    assert_string_equal (ep_decimal_format (INT64_MIN, buf), "-92233720368.54775808");
    //  Returns its buffer, for use inside printf arguments
    assert_ptr_equal (ep_decimal_format (5, buf), buf);
}

static void
test_decimal_parses_valid_text (void **state)
{
    (void) state;
    s_expect_value ("0", false, 0);
    s_expect_value ("1", false, 100000000);
    s_expect_value ("0.00000001", false, 1);
    s_expect_value ("0.5", false, 50000000);
    s_expect_value ("100.25", false, 10025000000);
    s_expect_value ("0.10000000", false, 10000000);
    s_expect_value ("0.0", false, 0);
    s_expect_value ("-0.5", true, -50000000);
    s_expect_value ("-0", true, 0);
    s_expect_value ("92233720368.54775807", false, INT64_MAX);
    s_expect_value ("-92233720368.54775808", true, INT64_MIN);
}

static void
test_decimal_allows_leading_zeros (void **state)
{
    (void) state;
    s_expect_value ("007.5", false, 750000000);
    s_expect_value ("00", false, 0);
    s_expect_value ("-007.5", true, -750000000);
    //  Leading zeros do not count towards overflow
    s_expect_value ("000000000000000000000000000092233720368.54775807", false, INT64_MAX);
}

static void
test_decimal_round_trips_edge_values (void **state)
{
    (void) state;
    const int64_t values [] = {
        0, 1, -1, 10, 99999999, 100000000, 100000001, -100000000,
        12345678, 50000000, -50000000, 100000000000000000LL,
        INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
        INT64_MAX / 100000000 * 100000000, INT64_MIN / 100000000 * 100000000
    };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++)
        s_round_trip (values [i]);
}

//  xorshift64*: fixed seed, so a failure reproduces
static uint64_t
s_next (uint64_t *seed)
{
    *seed ^= *seed >> 12;
    *seed ^= *seed << 25;
    *seed ^= *seed >> 27;
    return *seed * 2685821657736338717ULL;
}

static void
test_decimal_round_trips_random_sweep (void **state)
{
    (void) state;
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = s_next (&seed);
        //  Full range, and small values with few digits, both signs
        s_round_trip ((int64_t) bits);
        s_round_trip ((int64_t) (bits % 100000000000ULL) - 50000000000LL);
        s_round_trip ((int64_t) (bits % 1000) * 100000);
    }
}

static void
test_decimal_parse_n_ignores_bytes_past_len (void **state)
{
    (void) state;
    int64_t value = 0;
    assert_int_equal (ep_decimal_parse_n ("1.5xyz", 3, false, &value), EP_DECIMAL_OK);
    assert_int_equal (value, 150000000);
    //  An embedded NUL inside len is junk, not an end
    assert_int_equal (ep_decimal_parse_n ("1\0" "5", 3, false, &value), EP_DECIMAL_SYNTAX);
    assert_int_equal (ep_decimal_parse_n ("", 0, false, &value), EP_DECIMAL_EMPTY);
    assert_int_equal (ep_decimal_parse_n (NULL, 0, false, &value), EP_DECIMAL_EMPTY);
    assert_int_equal (ep_decimal_parse (NULL, false, &value), EP_DECIMAL_EMPTY);
    assert_int_equal (value, 150000000);
}

static void
test_decimal_rejects_overflow (void **state)
{
    (void) state;
    s_expect_error ("92233720368.54775808", false, EP_DECIMAL_OVERFLOW);
    s_expect_error ("92233720368.54775808", true, EP_DECIMAL_OVERFLOW);
    s_expect_error ("-92233720368.54775809", true, EP_DECIMAL_OVERFLOW);
    s_expect_error ("92233720369", false, EP_DECIMAL_OVERFLOW);
    s_expect_error ("100000000000", false, EP_DECIMAL_OVERFLOW);
    s_expect_error ("99999999999999999999999999999999", false, EP_DECIMAL_OVERFLOW);
    s_expect_error ("18446744073709551616", false, EP_DECIMAL_OVERFLOW);
}

static void
test_decimal_rejects_nine_decimals (void **state)
{
    (void) state;
    s_expect_error ("1.123456789", false, EP_DECIMAL_TOO_PRECISE);
    s_expect_error ("0.000000001", false, EP_DECIMAL_TOO_PRECISE);
    //  Even when the ninth is a zero: the text promises a precision we lack
    s_expect_error ("0.100000000", false, EP_DECIMAL_TOO_PRECISE);
    s_expect_error ("-1.123456789", true, EP_DECIMAL_TOO_PRECISE);
}

static void
test_decimal_rejects_signs (void **state)
{
    (void) state;
    s_expect_error ("-1", false, EP_DECIMAL_NEGATIVE);
    s_expect_error ("-0", false, EP_DECIMAL_NEGATIVE);
    s_expect_error ("+1", false, EP_DECIMAL_NEGATIVE);
    s_expect_error ("+1", true, EP_DECIMAL_NEGATIVE);
    s_expect_error ("--1", false, EP_DECIMAL_NEGATIVE);
    s_expect_error ("--1", true, EP_DECIMAL_SYNTAX);
    s_expect_error ("-+1", true, EP_DECIMAL_SYNTAX);
    s_expect_error ("-", true, EP_DECIMAL_SYNTAX);
    s_expect_error ("-.5", true, EP_DECIMAL_SYNTAX);
    s_expect_error ("-.5", false, EP_DECIMAL_NEGATIVE);
    s_expect_error ("1-", true, EP_DECIMAL_SYNTAX);
}

static void
test_decimal_rejects_junk (void **state)
{
    (void) state;
    s_expect_error ("", false, EP_DECIMAL_EMPTY);
    const char *junk [] = {
        ".", "1.", ".5", "1e5", "1E5", " 1", "1 ", "0x10", "1,5",
        "\xd9\xa1",                     //  ARABIC-INDIC DIGIT ONE
        "\xef\xbc\x91",                 //  FULLWIDTH DIGIT ONE
        "1..5", "1.5.", "1.2.3", "abc", "inf", "nan", "1_000", "\t1", "1\n",
        "1.\xd9\xa1"
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk [0]; i++) {
        s_expect_error (junk [i], false, EP_DECIMAL_SYNTAX);
        s_expect_error (junk [i], true, EP_DECIMAL_SYNTAX);
    }
}

static void
test_decimal_reports_junk_before_precision_and_overflow (void **state)
{
    (void) state;
    //  A line that is not a number says so, whatever else is wrong with it
    s_expect_error ("99999999999999999999x", false, EP_DECIMAL_SYNTAX);
    s_expect_error ("1.1234567890x", false, EP_DECIMAL_SYNTAX);
    s_expect_error ("99999999999999999999.123456789", false, EP_DECIMAL_TOO_PRECISE);
}

static void
test_decimal_strerror_describes_every_error (void **state)
{
    (void) state;
    assert_string_equal (ep_decimal_strerror (EP_DECIMAL_TOO_PRECISE), "more than 8 decimals");
    for (int rc = EP_DECIMAL_OK; rc <= EP_DECIMAL_OVERFLOW; rc++) {
        const char *text = ep_decimal_strerror ((ep_decimal_error_t) rc);
        assert_non_null (text);
        assert_true (strlen (text) > 0);
    }
    assert_non_null (ep_decimal_strerror ((ep_decimal_error_t) 99));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_decimal_formats_exact_shortest_text),
        cmocka_unit_test (test_decimal_parses_valid_text),
        cmocka_unit_test (test_decimal_allows_leading_zeros),
        cmocka_unit_test (test_decimal_round_trips_edge_values),
        cmocka_unit_test (test_decimal_round_trips_random_sweep),
        cmocka_unit_test (test_decimal_parse_n_ignores_bytes_past_len),
        cmocka_unit_test (test_decimal_rejects_overflow),
        cmocka_unit_test (test_decimal_rejects_nine_decimals),
        cmocka_unit_test (test_decimal_rejects_signs),
        cmocka_unit_test (test_decimal_rejects_junk),
        cmocka_unit_test (test_decimal_reports_junk_before_precision_and_overflow),
        cmocka_unit_test (test_decimal_strerror_describes_every_error),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
