/*  test_buf: the core's growable memory keeps what it holds across growth,
    a ring gives its items back in order across wrap-around and growth,
    and the average price rounds as the planes report it.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ep_buf.h"
#include "ep_decimal.h"

static void
test_buf_appends_across_growth (void **state)
{
    (void) state;
    ep_buf_t buf = { 0 };
    for (unsigned i = 0; i < 10000; i++) {
        uint8_t byte = (uint8_t) (i * 7);
        assert_int_equal (ep_buf_append (&buf, &byte, 1), 0);
    }
    assert_int_equal (buf.size, 10000);
    assert_true (buf.capacity >= buf.size);
    for (unsigned i = 0; i < 10000; i++)
        assert_int_equal (buf.data [i], (uint8_t) (i * 7));
    ep_buf_clear (&buf);
    assert_int_equal (buf.size, 0);
    assert_int_equal (ep_buf_append_text (&buf, "abc", 3), 0);
    assert_int_equal (buf.size, 3);
    assert_string_equal ((char *) buf.data, "abc");
    ep_buf_free (&buf);
    assert_null (buf.data);
}

static void
test_buf_refuses_a_size_that_overflows (void **state)
{
    (void) state;
    ep_buf_t buf = { 0 };
    assert_int_equal (ep_buf_append (&buf, "x", 1), 0);
    assert_int_equal (ep_buf_reserve (&buf, SIZE_MAX), -1);
    assert_int_equal (buf.size, 1);
    assert_int_equal (buf.data [0], 'x');
    ep_buf_free (&buf);
}

//  Pushes and drops interleaved so that the ring wraps, then grows while
//  wrapped: every item comes out once, in order.
static void
test_ring_keeps_order_across_wrap_and_growth (void **state)
{
    (void) state;
    ep_ring_t ring = EP_RING_INIT (uint64_t);
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 7 + round % 5; i++, next_in++)
            assert_int_equal (ep_ring_push (&ring, &next_in), 0);
        size_t take = 5 + (size_t) round % 3;
        for (size_t i = 0; i < take && i < ring.count; i++)
            assert_int_equal (*(uint64_t *) ep_ring_at (&ring, i), next_out + i);
        take = take < ring.count ? take : ring.count;
        ep_ring_drop (&ring, take);
        next_out += take;
    }
    assert_int_equal (ring.count, next_in - next_out);
    for (size_t i = 0; i < ring.count; i++)
        assert_int_equal (*(uint64_t *) ep_ring_at (&ring, i), next_out + i);
    assert_null (ep_ring_at (&ring, ring.count));
    ep_ring_drop (&ring, SIZE_MAX);
    assert_int_equal (ring.count, 0);
    ep_ring_free (&ring);
}

static void
test_avg_price_rounds_down_and_refuses_overflow (void **state)
{
    (void) state;
    int64_t avg = -1;
    //  1 at 3 and 2 at 4: 11 / 3 = 3.66666666...
    __int128 notional = (__int128) 100000000 * 300000000 + (__int128) 200000000 * 400000000;
    assert_true (ep_decimal_avg_price (notional, 300000000, &avg));
    assert_int_equal (avg, 366666666);
    assert_true (ep_decimal_avg_price (ep_decimal_notional (1100000000), 300000000, &avg));
    assert_int_equal (avg, 366666666);
    assert_true (ep_decimal_avg_price (-notional, 300000000, &avg));
    assert_int_equal (avg, -366666667);
    assert_true (ep_decimal_avg_price (notional, 0, &avg));
    assert_int_equal (avg, 0);
    avg = 5;
    assert_false (ep_decimal_avg_price ((__int128) INT64_MAX * 4, 1, &avg));
    assert_int_equal (avg, 5);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_buf_appends_across_growth),
        cmocka_unit_test (test_buf_refuses_a_size_that_overflows),
        cmocka_unit_test (test_ring_keeps_order_across_wrap_and_growth),
        cmocka_unit_test (test_avg_price_rounds_down_and_refuses_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
