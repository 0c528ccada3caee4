/*  test_live_rules: the venue's clock and trading rules as the live plane
    keeps them. The clock is asked for first, then the rules; the offset is
    the venue's time less this host's at the middle of the round trip;
    nothing that places an order may be sent while the clock is unknown or
    off beyond the bound; a refused timestamp has the clock measured again
    at once, a filter refusal the rules read again (at most once a minute);
    an order that breaks its symbol's rules is refused naming the rule; a
    venue without the information checks nothing.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_rules.h"

#define E8(x) ((int64_t) (x) * 100000000)

static const ep_live_rules_config_t s_config = {
    .clock_check_ms = 300000, .clock_max_offset_ms = 10000, .rules_refresh_ms = 3600000
};

//  The venue's rules: BTCUSDT, lots of 1.
static int
s_read_rules (ep_venue_t *venue, const ep_venue_result_t *result, ep_instruments_t *table,
              char *err, size_t err_size)
{
    (void) venue;
    *table = (ep_instruments_t) { 0 };
    if (result->failure != EP_FAILURE (FAILURE_NONE)) {
        snprintf (err, err_size, "not read");
        return -1;
    }
    ep_instrument_t btc = { .symbol = "BTCUSDT", .trading = true, .market = true,
                            .limit = true, .lot = { E8 (1), E8 (100), E8 (1) } };
    return ep_instruments_put (table, &btc);
}

static ep_venue_t s_venue = { .name = "test", .read_rules = s_read_rules };

static ep_intent_t
s_intent (int64_t qty_e8)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "i";
    intent.strategy_id = "s";
    intent.symbol = "BTCUSDT";
    intent.side = EP_SIDE (BUY);
    intent.type = EP_TYPE (MARKET);
    intent.tif = EP_TIF (IOC);
    intent.qty_e8 = qty_e8;
    intent.ref_price_e8 = E8 (100);
    return intent;
}

//  The venue's clock read at server_ms, the round trip taking elapsed_ms.
static void
s_time (ep_live_rules_t *rules, int64_t server_ms, int64_t sent_wall_ms, int64_t elapsed_ms,
        int64_t now_ms)
{
    ep_venue_request_t request = { .op = EP_VENUE_TIME };
    ep_venue_result_t result = { .server_time_ms = server_ms, .elapsed_us = elapsed_ms * 1000,
                                 .failure = EP_FAILURE (FAILURE_NONE) };
    ep_live_rules_on_info (rules, &s_venue, &request, &result, sent_wall_ms, now_ms);
}

static void
s_rules (ep_live_rules_t *rules, int failure, int64_t now_ms)
{
    ep_venue_request_t request = { .op = EP_VENUE_RULES };
    ep_venue_result_t result = { .failure = failure };
    snprintf (result.reason, sizeof result.reason, "the venue's rules: read");
    ep_live_rules_on_info (rules, &s_venue, &request, &result, 0, now_ms);
}

static bool
s_may_place (ep_live_rules_t *rules, int64_t qty_e8, int *status, int *failure, char *reason)
{
    ep_intent_t intent = s_intent (qty_e8);
    return ep_live_rules_may_place (rules, &intent, status, failure, reason, 512);
}

static void
test_the_clock_is_asked_first_then_the_rules_then_nothing_until_due (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_TIME);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_RULES);
    assert_int_equal (ep_live_rules_due (&rules, 0), 0);      //  both asked, unanswered
    s_time (&rules, 1000000, 1000000, 40, 10);
    s_rules (&rules, EP_FAILURE (FAILURE_NONE), 10);
    assert_int_equal (ep_live_rules_due (&rules, 10 + 299999), 0);
    assert_int_equal (ep_live_rules_due (&rules, 10 + 300000), EP_VENUE_TIME);
    assert_int_equal (ep_live_rules_due (&rules, 10 + 3600000), EP_VENUE_RULES);
    ep_live_rules_clear (&rules);
}

static void
test_the_offset_is_taken_at_the_middle_of_the_round_trip (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    assert_int_equal (ep_live_rules_venue_time (&rules, 5000), 5000);   //  not measured
    //  Sent at 1,000,000 by this host, 40 ms round trip, the venue read
    //  998,020: its clock is 2,000 ms behind (998,020 - 1,000,020)
    s_time (&rules, 998020, 1000000, 40, 0);
    assert_true (rules.clock_known);
    assert_int_equal (rules.offset_ms, -2000);
    assert_int_equal (ep_live_rules_venue_time (&rules, 1500000), 1498000);
    ep_live_rules_clear (&rules);
}

static void
test_nothing_places_while_the_clock_is_unknown_or_too_far_off (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_TIME);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_RULES);
    int status, failure;
    char reason [512], why [600];
    assert_false (s_may_place (&rules, E8 (1), &status, &failure, reason));
    assert_int_equal (status, EP_STATUS (FAILED));
    assert_int_equal (failure, EP_FAILURE (NOT_SENT));
    assert_string_equal (reason, "not sent: the host's clock: the venue's clock is not "
                                 "measured yet");
    assert_false (ep_live_rules_healthy (&rules, why, sizeof why));
    //  A failed measurement keeps it unknown, saying why
    ep_venue_request_t request = { .op = EP_VENUE_TIME };
    ep_venue_result_t result = { .failure = EP_FAILURE (NOT_SENT) };
    snprintf (result.reason, sizeof result.reason, "the venue's clock: not read: refused");
    ep_live_rules_on_info (&rules, &s_venue, &request, &result, 0, 0);
    assert_false (s_may_place (&rules, E8 (1), &status, &failure, reason));
    assert_non_null (strstr (reason, "not read: refused"));
    assert_int_equal (ep_live_rules_due (&rules, 4999), 0);
    assert_int_equal (ep_live_rules_due (&rules, 5000), EP_VENUE_TIME);
    //  Measured within the bound: it places
    s_time (&rules, 1003000, 1000000, 0, 5000);
    assert_true (s_may_place (&rules, E8 (1), &status, &failure, reason));
    assert_true (ep_live_rules_healthy (&rules, why, sizeof why));
    //  Off beyond the bound: it does not
    s_time (&rules, 1012000, 1000000, 0, 400000);
    assert_false (s_may_place (&rules, E8 (1), &status, &failure, reason));
    assert_non_null (strstr (reason, "12000 ms behind the venue's, beyond "
                                     "live/clock_max_offset_ms (10000)"));
    assert_int_equal (rules.refused, 3);
    ep_live_rules_clear (&rules);
}

static void
test_a_refused_timestamp_measures_the_clock_again_now (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_TIME);
    s_time (&rules, 1000000, 1000000, 0, 0);
    ep_venue_result_t answer = { .clock_fault = true };
    ep_live_rules_on_answer (&rules, &answer, 1000);
    assert_int_equal (rules.clock_faults, 1);
    assert_int_equal (ep_live_rules_due (&rules, 1000), EP_VENUE_TIME);
    ep_live_rules_clear (&rules);
}

static void
test_a_filter_refusal_reads_the_rules_again_at_most_once_a_minute (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    s_time (&rules, 1000000, 1000000, 0, 0);
    assert_int_equal (ep_live_rules_due (&rules, 0), EP_VENUE_RULES);
    s_rules (&rules, EP_FAILURE (FAILURE_NONE), 0);
    ep_venue_result_t answer = { .venue_code = -1013 };
    ep_live_rules_on_answer (&rules, &answer, 1000);
    assert_int_equal (ep_live_rules_due (&rules, 59999), 0);
    assert_int_equal (ep_live_rules_due (&rules, 60000), EP_VENUE_RULES);
    ep_live_rules_clear (&rules);
}

static void
test_an_order_that_breaks_its_symbols_rules_is_refused_naming_the_rule (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, true);
    s_time (&rules, 1000000, 1000000, 0, 0);
    int status, failure;
    char reason [512];
    //  Until the rules are read, only the venue checks
    assert_true (s_may_place (&rules, E8 (1) / 2, &status, &failure, reason));
    s_rules (&rules, EP_FAILURE (FAILURE_NONE), 0);
    assert_false (s_may_place (&rules, E8 (1) / 2, &status, &failure, reason));
    assert_int_equal (status, EP_STATUS (REJECTED));
    assert_int_equal (failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (reason, "not sent: the venue's rules: LOT_SIZE: qty 0.5 is below its "
                                 "minimum 1");
    assert_true (s_may_place (&rules, E8 (2), &status, &failure, reason));
    //  A later read that fails keeps the rules read before
    s_rules (&rules, EP_FAILURE (RATE_LIMITED), 5000);
    assert_false (s_may_place (&rules, E8 (1) / 2, &status, &failure, reason));
    ep_live_rules_clear (&rules);
}

static void
test_a_venue_without_clock_or_rules_checks_nothing (void **state)
{
    (void) state;
    ep_live_rules_t rules;
    ep_live_rules_init (&rules, &s_config, false);
    assert_int_equal (ep_live_rules_due (&rules, 0), 0);
    int status, failure;
    char reason [512], why [600];
    assert_true (s_may_place (&rules, 1, &status, &failure, reason));
    assert_true (ep_live_rules_healthy (&rules, why, sizeof why));
    assert_int_equal (ep_live_rules_venue_time (&rules, 7), 7);
    ep_live_rules_clear (&rules);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_clock_is_asked_first_then_the_rules_then_nothing_until_due),
        cmocka_unit_test (test_the_offset_is_taken_at_the_middle_of_the_round_trip),
        cmocka_unit_test (test_nothing_places_while_the_clock_is_unknown_or_too_far_off),
        cmocka_unit_test (test_a_refused_timestamp_measures_the_clock_again_now),
        cmocka_unit_test (test_a_filter_refusal_reads_the_rules_again_at_most_once_a_minute),
        cmocka_unit_test (test_an_order_that_breaks_its_symbols_rules_is_refused_naming_the_rule),
        cmocka_unit_test (test_a_venue_without_clock_or_rules_checks_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
