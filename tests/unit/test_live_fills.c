/*  test_live_fills: an amend's new order counts from its base. Every venue
    observation of the renamed venue order (its cumulative figures, its
    trades) is rebased by what it executed before the amend, which was the
    target's; without a base nothing changes.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_fills.h"

#define E8 100000000LL

//  The venue order as a status query gives it
static ep_venue_result_t
s_result (int status, int64_t executed_e8, int64_t quote_e8)
{
    ep_venue_result_t result;
    memset (&result, 0, sizeof result);
    result.status = status;
    result.executed_qty_e8 = executed_e8;
    result.cum_quote_e8 = quote_e8;
    result.avg_price_e8 = ep_live_avg_price (executed_e8, quote_e8);
    snprintf (result.venue_order_id, sizeof result.venue_order_id, "77");
    snprintf (result.reason, sizeof result.reason, "venue %s", "X");
    return result;
}

//  0.7 at 200 executed before the amend
static ep_audit_order_t
s_known (int64_t base_e8, int64_t base_quote_e8)
{
    ep_audit_order_t known;
    memset (&known, 0, sizeof known);
    snprintf (known.client_order_id, sizeof known.client_order_id, "epNew");
    known.base_qty_e8 = base_e8;
    known.base_quote_e8 = base_quote_e8;
    return known;
}

static void
test_cumulative_figures_count_from_the_base (void **state)
{
    (void) state;
    ep_audit_order_t known = s_known (70000000, 140 * E8);
    //  1.2 executed in all: 0.7 at 200 before, 0.5 at 210 after
    ep_venue_result_t result = s_result (EP_STATUS (FILLED), 120000000, 245 * E8);
    ep_live_rebase (&known, &result, NULL);
    assert_int_equal (result.status, EP_STATUS (FILLED));
    assert_int_equal (result.executed_qty_e8, 50000000);
    assert_int_equal (result.cum_quote_e8, 105 * E8);
    assert_int_equal (result.avg_price_e8, 210 * E8);
    assert_non_null (strstr (result.reason, "0.7 of venue order 77 executed under the order "
                                            "it amends"));
}

static void
test_nothing_beyond_the_base_is_accepted (void **state)
{
    (void) state;
    ep_audit_order_t known = s_known (70000000, 140 * E8);
    ep_venue_result_t result = s_result (EP_STATUS (PARTIALLY_FILLED), 70000000, 140 * E8);
    ep_live_rebase (&known, &result, NULL);
    assert_int_equal (result.status, EP_STATUS (ACCEPTED));
    assert_int_equal (result.executed_qty_e8, 0);
    assert_int_equal (result.cum_quote_e8, 0);
    assert_int_equal (result.avg_price_e8, 0);
}

static void
test_less_than_the_base_is_never_below_zero (void **state)
{
    (void) state;
    ep_audit_order_t known = s_known (70000000, 140 * E8);
    ep_venue_result_t result = s_result (EP_STATUS (CANCELED), 30000000, 60 * E8);
    ep_live_rebase (&known, &result, NULL);
    assert_int_equal (result.executed_qty_e8, 0);
    assert_int_equal (result.cum_quote_e8, 0);
    assert_non_null (strstr (result.reason, "less than the 0.7 before the amend"));
    //  No status: no figures to rebase
    result = s_result (EP_STATUS (STATUS_UNSPECIFIED), 0, 0);
    ep_live_rebase (&known, &result, NULL);
    assert_int_equal (result.executed_qty_e8, 0);
    assert_string_equal (result.reason, "venue X");
}

static void
test_the_trades_before_the_amend_are_dropped (void **state)
{
    (void) state;
    ep_audit_order_t known = s_known (70000000, 140 * E8);
    ep_venue_fill_t fills [4] = {
        { .qty_e8 = 40000000, .trade_id = "1" }, { .qty_e8 = 30000000, .trade_id = "2" },
        { .qty_e8 = 50000000, .trade_id = "3" }, { .qty_e8 = 10000000, .trade_id = "4" }
    };
    ep_venue_result_t trades;
    memset (&trades, 0, sizeof trades);
    trades.fills = fills;
    trades.fill_count = 4;
    ep_live_rebase (&known, NULL, &trades);
    assert_int_equal (trades.fill_count, 2);
    assert_string_equal (trades.fills [0].trade_id, "3");
    assert_string_equal (trades.fills [1].trade_id, "4");
    //  Trades that do not make up the base tell nothing
    ep_venue_fill_t odd [2] = {
        { .qty_e8 = 50000000, .trade_id = "1" }, { .qty_e8 = 50000000, .trade_id = "2" }
    };
    trades.fills = odd;
    trades.fill_count = 2;
    ep_live_rebase (&known, NULL, &trades);
    assert_int_equal (trades.fill_count, 0);
}

static void
test_without_a_base_nothing_changes (void **state)
{
    (void) state;
    ep_audit_order_t known = s_known (0, 0);
    ep_venue_result_t result = s_result (EP_STATUS (PARTIALLY_FILLED), 70000000, 140 * E8);
    ep_venue_fill_t fills [1] = { { .qty_e8 = 70000000, .trade_id = "1" } };
    ep_venue_result_t trades;
    memset (&trades, 0, sizeof trades);
    trades.fills = fills;
    trades.fill_count = 1;
    ep_live_rebase (&known, &result, &trades);
    assert_int_equal (result.status, EP_STATUS (PARTIALLY_FILLED));
    assert_int_equal (result.executed_qty_e8, 70000000);
    assert_int_equal (result.cum_quote_e8, 140 * E8);
    assert_string_equal (result.reason, "venue X");
    assert_int_equal (trades.fill_count, 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cumulative_figures_count_from_the_base),
        cmocka_unit_test (test_nothing_beyond_the_base_is_accepted),
        cmocka_unit_test (test_less_than_the_base_is_never_below_zero),
        cmocka_unit_test (test_the_trades_before_the_amend_are_dropped),
        cmocka_unit_test (test_without_a_base_nothing_changes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
