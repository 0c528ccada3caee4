/*  test_live_governor: the venue's rate limits as the live plane keeps
    within them. What fits is sent now; queries stop short of the limit
    and leave a reserve that cancels and submissions may use; weight frees
    as the minute passes; the venue's counts correct the plane's upward,
    never down; submissions wait for the order count, cancels do not;
    after a 429 (or -1003, -1015) nothing is sent until its Retry-After,
    after a 418 until the ban's; queries of many resting orders are spaced
    out, never beyond two minutes; published limits replace the defaults.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_governor.h"

#define T0 1000000              //  a monotonic time, at the start of a second

static ep_live_governor_t
s_governor (int64_t weight, int64_t orders_10s)
{
    ep_live_governor_t governor;
    ep_live_limits_t limits = { weight, orders_10s, 0 };
    ep_live_governor_init (&governor, &limits);
    return governor;
}

static void
test_defaults_are_binances_until_the_venue_publishes_its_own (void **state)
{
    (void) state;
    ep_live_governor_t governor;
    ep_live_governor_init (&governor, NULL);
    assert_int_equal (governor.limits.weight_per_minute, 6000);
    assert_int_equal (governor.limits.orders_per_10s, 100);
    ep_live_limits_t published = { 1200, 50, 0 };
    ep_live_governor_set_limits (&governor, &published);
    assert_int_equal (governor.limits.weight_per_minute, 1200);
    assert_int_equal (governor.limits.orders_per_10s, 50);
    assert_int_equal (governor.limits.orders_per_day, 200000);
}

static void
test_a_request_within_the_limit_is_sent_now_and_counted (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (100, 10);
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0, NULL, 0),
                      T0);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_PLACE, 1, T0 + 10);
    assert_int_equal (ep_live_governor_weight_used (&governor, T0 + 20), 5);
    assert_int_equal (ep_live_governor_orders_10s (&governor, T0 + 20), 1);
}

static void
test_queries_leave_a_reserve_that_cancels_and_submissions_may_use (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (100, 10);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_QUERY, 88, T0);
    char why [128];
    //  88 + 4 is beyond 90: the query waits, naming the limit
    int64_t at = ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0 + 500, why,
                                        sizeof why);
    assert_true (at > T0 + 500);
    assert_non_null (strstr (why, "request weight limit of 100 a minute"));
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_CANCEL, 1, T0 + 500,
                                             NULL, 0), T0 + 500);
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_PLACE, 1, T0 + 500,
                                             NULL, 0), T0 + 500);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_CANCEL, 12, T0 + 500);
    //  The whole limit used: nothing more
    assert_true (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_CANCEL, 1, T0 + 600, NULL,
                                        0) > T0 + 600);
}

static void
test_weight_frees_as_the_minute_passes (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (100, 10);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_CANCEL, 60, T0 + 300);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_CANCEL, 40, T0 + 5300);
    //  Full; the first 60 drop out a whole minute after their second ended
    int64_t at = ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_CANCEL, 10, T0 + 6000,
                                        NULL, 0);
    assert_int_equal (at, T0 + 61000);
    assert_true (at - (T0 + 300) >= 60000);
    assert_int_equal (ep_live_governor_weight_used (&governor, at - 1), 100);
    assert_int_equal (ep_live_governor_weight_used (&governor, at), 40);
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_CANCEL, 10, at, NULL,
                                             0), at);
    assert_int_equal (ep_live_governor_weight_used (&governor, T0 + 66000), 0);
}

static void
test_the_venues_count_corrects_the_plane_upward_never_down (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (100, 10);
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0);
    //  Someone else on this IP used 84 more
    assert_false (ep_live_governor_heard (&governor, 200, 0, 88, -1, -1, -1, T0 + 100));
    assert_int_equal (ep_live_governor_weight_used (&governor, T0 + 100), 88);
    assert_true (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0 + 100, NULL,
                                        0) > T0 + 100);
    //  The venue's window turned over: its smaller count changes nothing
    assert_false (ep_live_governor_heard (&governor, 200, 0, 4, -1, -1, -1, T0 + 200));
    assert_int_equal (ep_live_governor_weight_used (&governor, T0 + 200), 88);
    //  The orders likewise
    assert_false (ep_live_governor_heard (&governor, 200, 0, -1, 10, 10, -1, T0 + 300));
    assert_int_equal (ep_live_governor_orders_10s (&governor, T0 + 300), 10);
}

static void
test_submissions_wait_for_the_order_count_and_cancels_do_not (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (6000, 3);
    for (int order = 0; order < 3; order++)
        ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_PLACE, 1, T0 + order * 1000);
    char why [128];
    int64_t at = ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_PLACE, 1, T0 + 2500, why,
                                        sizeof why);
    assert_int_equal (at, T0 + 11000);
    assert_string_equal (why, "the order limit of 3 per 10 s");
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_CANCEL, 1, T0 + 2500,
                                             NULL, 0), T0 + 2500);
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0 + 2500,
                                             NULL, 0), T0 + 2500);
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_PLACE, 1, at, NULL, 0),
                      at);
    //  The day's limit reached, as the venue counts it
    ep_live_limits_t day = { 0, 0, 5 };
    ep_live_governor_set_limits (&governor, &day);
    ep_live_governor_heard (&governor, 200, 0, -1, -1, 5, -1, T0 + 20000);
    at = ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_PLACE, 1, T0 + 20000, why,
                                sizeof why);
    assert_true (at > T0 + 20000);
    assert_string_equal (why, "the order limit of 5 a day");
}

static void
test_after_a_429_nothing_is_sent_until_its_retry_after (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (6000, 100);
    assert_true (ep_live_governor_heard (&governor, 429, -1003, 10, -1, -1, 7, T0));
    char why [128];
    ep_live_governor_kind_t kinds [] = { EP_LIVE_GOVERNOR_CANCEL, EP_LIVE_GOVERNOR_PLACE,
                                         EP_LIVE_GOVERNOR_INFO, EP_LIVE_GOVERNOR_QUERY };
    for (size_t kind = 0; kind < 4; kind++) {
        assert_int_equal (ep_live_governor_when (&governor, kinds [kind], 1, T0 + 6999, why,
                                                 sizeof why), T0 + 7000);
        assert_string_equal (why, "the venue's 429 (Retry-After)");
        assert_int_equal (ep_live_governor_when (&governor, kinds [kind], 1, T0 + 7000, NULL,
                                                 0), T0 + 7000);
    }
    assert_int_equal (ep_live_governor_blocked_ms (&governor, T0 + 2000), 5000);
    assert_int_equal (ep_live_governor_blocked_ms (&governor, T0 + 8000), 0);
    assert_int_equal (governor.blocks, 1);
}

static void
test_a_418_bans_every_request_until_its_retry_after (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (6000, 100);
    assert_true (ep_live_governor_heard (&governor, 418, -1003, -1, -1, -1, 120, T0));
    char why [128];
    assert_int_equal (ep_live_governor_when (&governor, EP_LIVE_GOVERNOR_QUERY, 4, T0 + 60000,
                                             why, sizeof why), T0 + 120000);
    assert_string_equal (why, "the venue's IP ban (418)");
    assert_true (governor.banned);
    //  A shorter block heard inside it changes nothing
    assert_false (ep_live_governor_heard (&governor, 429, -1003, -1, -1, -1, 7, T0 + 1000));
    assert_int_equal (ep_live_governor_blocked_ms (&governor, T0 + 1000), 119000);
}

static void
test_codes_1003_and_1015_block_too_for_a_default_minute_without_retry_after (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (6000, 100);
    assert_true (ep_live_governor_heard (&governor, 400, -1015, -1, -1, -1, -1, T0));
    assert_int_equal (ep_live_governor_blocked_ms (&governor, T0), 60000);
    ep_live_governor_t other = s_governor (6000, 100);
    assert_true (ep_live_governor_heard (&other, 0, -1003, -1, -1, -1, -1, T0));
    assert_int_equal (ep_live_governor_blocked_ms (&other, T0), 60000);
    //  Any other refusal blocks nothing
    ep_live_governor_t third = s_governor (6000, 100);
    assert_false (ep_live_governor_heard (&third, 400, -2010, -1, -1, -1, -1, T0));
    assert_int_equal (ep_live_governor_blocked_ms (&third, T0), 0);
}

static void
test_queries_are_spaced_out_as_resting_orders_grow_never_beyond_two_minutes (void **state)
{
    (void) state;
    ep_live_governor_t governor = s_governor (6000, 100);
    //  Few orders: every poll_ms
    assert_int_equal (ep_live_governor_poll_ms (&governor, 1000, 10, 4, T0), 1000);
    //  200 orders of weight 4 in half of 6000 a minute: 16 s apart
    assert_int_equal (ep_live_governor_poll_ms (&governor, 1000, 200, 4, T0), 16000);
    //  Beyond half the limit used, further apart in proportion
    ep_live_governor_sent (&governor, EP_LIVE_GOVERNOR_QUERY, 4500, T0);
    assert_int_equal (ep_live_governor_poll_ms (&governor, 1000, 200, 4, T0), 24000);
    //  Never beyond two minutes while orders rest
    ep_live_governor_t small = s_governor (100, 100);
    assert_int_equal (ep_live_governor_poll_ms (&small, 1000, 200, 4, T0), 120000);
    assert_int_equal (ep_live_governor_poll_ms (&small, 300000, 1, 4, T0), 300000);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults_are_binances_until_the_venue_publishes_its_own),
        cmocka_unit_test (test_a_request_within_the_limit_is_sent_now_and_counted),
        cmocka_unit_test (test_queries_leave_a_reserve_that_cancels_and_submissions_may_use),
        cmocka_unit_test (test_weight_frees_as_the_minute_passes),
        cmocka_unit_test (test_the_venues_count_corrects_the_plane_upward_never_down),
        cmocka_unit_test (test_submissions_wait_for_the_order_count_and_cancels_do_not),
        cmocka_unit_test (test_after_a_429_nothing_is_sent_until_its_retry_after),
        cmocka_unit_test (test_a_418_bans_every_request_until_its_retry_after),
        cmocka_unit_test (test_codes_1003_and_1015_block_too_for_a_default_minute_without_retry_after),
        cmocka_unit_test (test_queries_are_spaced_out_as_resting_orders_grow_never_beyond_two_minutes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
