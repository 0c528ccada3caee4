/*  test_paper_book: the paper plane's fill rules, one behaviour per test,
    and the determinism the contract promises (identical input, identical
    report bytes).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_paper_book.h"

#define E8(units)   ((int64_t) (units) * 100000000LL)

//  Every report a book emitted: unpacked copies to inspect, and the packed
//  bytes (each preceded by its length) to compare books byte for byte.
typedef struct {
    ep_report_t **reports;      //  unpacked copies, in emission order
    size_t count;               //  reports collected
    size_t capacity;            //  reports allocated
    uint8_t *bytes;             //  length-prefixed packed reports
    size_t size;                //  bytes used
    size_t bytes_capacity;      //  bytes allocated
} collector_t;

static void
s_collect (void *arg, const ep_report_t *report)
{
    collector_t *collector = (collector_t *) arg;
    size_t length = execplane__v1__execution_report__get_packed_size (report);
    if (collector->size + length + 4 > collector->bytes_capacity) {
        size_t capacity = (collector->bytes_capacity + length + 4) * 2;
        collector->bytes = (uint8_t *) realloc (collector->bytes, capacity);
        assert_non_null (collector->bytes);
        collector->bytes_capacity = capacity;
    }
    uint8_t *prefix = collector->bytes + collector->size;
    for (int shift = 0; shift < 4; shift++)
        prefix [shift] = (uint8_t) (length >> (8 * shift));
    uint8_t *packed = prefix + 4;
    assert_int_equal (execplane__v1__execution_report__pack (report, packed), length);
    collector->size += length + 4;

    if (collector->count == collector->capacity) {
        collector->capacity = collector->capacity? collector->capacity * 2: 16;
        collector->reports = (ep_report_t **) realloc (collector->reports,
                                 collector->capacity * sizeof (ep_report_t *));
        assert_non_null (collector->reports);
    }
    ep_report_t *copy = execplane__v1__execution_report__unpack (NULL, length, packed);
    assert_non_null (copy);
    collector->reports [collector->count++] = copy;
}

static void
s_collector_clear (collector_t *collector)
{
    for (size_t index = 0; index < collector->count; index++)
        execplane__v1__execution_report__free_unpacked (collector->reports [index], NULL);
    free (collector->reports);
    free (collector->bytes);
    memset (collector, 0, sizeof (*collector));
}

static ep_intent_t
s_intent (const char *id, const char *symbol, Execplane__V1__Side side,
          Execplane__V1__OrderType type, Execplane__V1__TimeInForce tif,
          int64_t qty_e8, int64_t limit_e8, int64_t ref_e8)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) id;
    intent.strategy_id = (char *) "strat-1";
    intent.symbol = (char *) symbol;
    intent.side = side;
    intent.type = type;
    intent.tif = tif;
    intent.qty_e8 = qty_e8;
    intent.limit_price_e8 = limit_e8;
    intent.ref_price_e8 = ref_e8;
    return intent;
}

static ep_intent_t
s_market (const char *id, const char *symbol, Execplane__V1__Side side,
          Execplane__V1__TimeInForce tif, int64_t qty_e8, int64_t ref_e8)
{
    return s_intent (id, symbol, side, EP_TYPE (MARKET), tif, qty_e8, 0, ref_e8);
}

static ep_intent_t
s_limit (const char *id, const char *symbol, Execplane__V1__Side side,
         Execplane__V1__TimeInForce tif, int64_t qty_e8, int64_t limit_e8, int64_t ref_e8)
{
    return s_intent (id, symbol, side, EP_TYPE (LIMIT), tif, qty_e8, limit_e8, ref_e8);
}

static ep_paper_book_t *
s_book (int64_t slippage_bps, int64_t cap_e8)
{
    ep_paper_config_t config = { .slippage_bps = slippage_bps, .liquidity_cap_e8 = cap_e8 };
    ep_paper_book_t *book = ep_paper_book_new (&config);
    assert_non_null (book);
    return book;
}

//  Executes one intent and checks it emitted `expected` reports.
static void
s_run (ep_paper_book_t *book, collector_t *collector, const ep_intent_t *intent,
       uint64_t router_seq, int expected)
{
    size_t before = collector->count;
    int reports = ep_paper_book_execute (book, intent, router_seq, s_collect, collector);
    assert_int_equal (reports, expected);
    assert_int_equal (collector->count - before, (size_t) expected);
}

//  Asserts the shape of one report, and of its one fill if fill_qty > 0.
static void
s_assert_report (const ep_report_t *report, Execplane__V1__Status status,
                 int64_t fill_qty_e8, int64_t fill_price_e8,
                 int64_t filled_e8, int64_t avg_e8)
{
    assert_int_equal (report->status, status);
    assert_int_equal (report->failure, EP_FAILURE (FAILURE_NONE));
    assert_int_equal (report->plane, EP_PLANE (PAPER));
    if (fill_qty_e8 > 0) {
        assert_int_equal (report->n_fills, 1);
        assert_int_equal (report->fills [0]->qty_e8, fill_qty_e8);
        assert_int_equal (report->fills [0]->price_e8, fill_price_e8);
        assert_int_equal (report->fills [0]->fee_e8, 0);
    }
    else
        assert_int_equal (report->n_fills, 0);
    assert_int_equal (report->filled_qty_e8, filled_e8);
    assert_int_equal (report->avg_price_e8, avg_e8);
    assert_int_equal (report->terminal,
                      status == EP_STATUS (FILLED) || status == EP_STATUS (EXPIRED)
                   || status == EP_STATUS (CANCELED) || status == EP_STATUS (REJECTED));
}

//  A CANCEL of target: its order fields are left empty.
static ep_intent_t
s_cancel (const char *id, const char *target)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) id;
    intent.strategy_id = (char *) "strat-1";
    intent.action = EP_ACTION (CANCEL);
    intent.target_intent_id = (char *) target;
    return intent;
}

//  A REPLACE of target by a GTC LIMIT.
static ep_intent_t
s_replace (const char *id, const char *target, const char *symbol, Execplane__V1__Side side,
           int64_t qty_e8, int64_t limit_e8, int64_t ref_e8)
{
    ep_intent_t intent = s_limit (id, symbol, side, EP_TIF (GTC), qty_e8, limit_e8, ref_e8);
    intent.action = EP_ACTION (REPLACE);
    intent.target_intent_id = (char *) target;
    return intent;
}

//  Dispatches one intent as the worker does (target_router_seq for a
//  CANCEL or REPLACE) and checks it emitted `expected` reports.
static void
s_dispatch (ep_paper_book_t *book, collector_t *collector, ep_intent_t *intent,
            uint64_t router_seq, uint64_t target_router_seq, int expected)
{
    ep_dispatch_t dispatch = EXECPLANE__V1__DISPATCH__INIT;
    dispatch.intent = intent;
    dispatch.router_seq = router_seq;
    dispatch.target_router_seq = target_router_seq;
    dispatch.plane = EP_PLANE (PAPER);
    size_t before = collector->count;
    int reports = ep_paper_book_dispatch (book, &dispatch, s_collect, collector);
    assert_int_equal (reports, expected);
    assert_int_equal (collector->count - before, (size_t) expected);
}

//  Asserts a rejection: the intent's one report, nothing done.
static void
s_assert_rejected (const ep_report_t *report, const char *intent_id,
                   Execplane__V1__Failure failure)
{
    assert_string_equal (report->intent_id, intent_id);
    assert_int_equal (report->status, EP_STATUS (REJECTED));
    assert_int_equal (report->failure, failure);
    assert_true (report->terminal);
    assert_int_equal (report->n_fills, 0);
    assert_int_equal (report->filled_qty_e8, 0);
    assert_string_equal (report->venue_order_id, "");
}


//  --- Configuration --------------------------------------------------------

static void
test_config_out_of_range_is_refused (void **state)
{
    (void) state;
    ep_paper_config_t config = { .slippage_bps = 10001, .liquidity_cap_e8 = 0 };
    assert_null (ep_paper_book_new (&config));
    config.slippage_bps = -1;
    assert_null (ep_paper_book_new (&config));
    config.slippage_bps = 0;
    config.liquidity_cap_e8 = -1;
    assert_null (ep_paper_book_new (&config));

    config.slippage_bps = 10000;
    config.liquidity_cap_e8 = 0;
    ep_paper_book_t *book = ep_paper_book_new (&config);
    assert_non_null (book);
    assert_int_equal (ep_paper_book_resting (book), 0);
    ep_paper_book_destroy (&book);
    assert_null (book);
    ep_paper_book_destroy (&book);      //  safe on NULL
}


//  --- MARKET -----------------------------------------------------------------

static void
test_market_buy_pays_slippage_rounded_up (void **state)
{
    (void) state;
    //  1.00000001 * 1.0003 = 1.000300010003: the taker pays the next e8 up
    ep_paper_book_t *book = s_book (3, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (2), 100000001);
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (2), 100030002, E8 (2), 100030002);
    assert_string_equal (out.reports [0]->reason,
                         "filled at 1.00030002 (ref 1.00000001, 3 bps slippage)");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_sell_receives_slippage_rounded_down (void **state)
{
    (void) state;
    //  1.00000001 * 0.9997 = 0.999700009997: the taker receives the e8 below
    ep_paper_book_t *book = s_book (3, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (2), 100000001);
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (2), 99970000, E8 (2), 99970000);
    assert_string_equal (out.reports [0]->reason,
                         "filled at 0.9997 (ref 1.00000001, 3 bps slippage)");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_slippage_exact_needs_no_rounding (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (50, 0);
    collector_t out = { 0 };
    ep_intent_t buy = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (100));
    ep_intent_t sell = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (FOK), E8 (1), E8 (100));
    s_run (book, &out, &buy, 1, 1);
    s_run (book, &out, &sell, 2, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (1), 10050000000, E8 (1), 10050000000);
    s_assert_report (out.reports [1], EP_STATUS (FILLED), E8 (1), 9950000000, E8 (1), 9950000000);
    assert_string_equal (out.reports [0]->reason, "filled at 100.5 (ref 100, 50 bps slippage)");
    assert_string_equal (out.reports [1]->reason, "filled at 99.5 (ref 100, 50 bps slippage)");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_ioc_with_cap_expires_with_partial_fill (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (5), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), E8 (2), E8 (100), E8 (2), E8 (100));
    assert_string_equal (out.reports [0]->reason,
                         "filled 2 of 5 at 100 (ref 100, 0 bps slippage), IOC remainder expired");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_ioc_within_cap_fills_entirely (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (5));
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (5), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (5), E8 (100), E8 (5), E8 (100));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_unspecified_tif_behaves_as_ioc (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t capped = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (TIF_UNSPECIFIED),
                                   E8 (5), E8 (100));
    ep_intent_t within = s_market ("m2", "AAA", EP_SIDE (BUY), EP_TIF (TIF_UNSPECIFIED),
                                   E8 (1), E8 (100));
    s_run (book, &out, &capped, 1, 1);
    s_run (book, &out, &within, 2, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), E8 (2), E8 (100), E8 (2), E8 (100));
    s_assert_report (out.reports [1], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (1), E8 (100));
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_gtc_is_treated_as_ioc (void **state)
{
    (void) state;
    //  The router rejects it; should one arrive, it still never rests
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (5), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), E8 (2), E8 (100), E8 (2), E8 (100));
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_fok_with_cap_below_qty_expires_unfilled (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (10, E8 (2));
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (FOK), E8 (5), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    assert_string_equal (out.reports [0]->reason, "FOK: cannot fill 5 entirely (cap 2)");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_fok_within_cap_fills_entirely (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (10, E8 (5));
    collector_t out = { 0 };
    ep_intent_t intent = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (FOK), E8 (5), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (5), 10010000000, E8 (5), 10010000000);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_market_extremes_do_not_overflow (void **state)
{
    (void) state;
    //  The largest price and qty with full slippage: the products need 128 bits
    ep_paper_book_t *book = s_book (10000, 0);
    collector_t out = { 0 };
    ep_intent_t buy = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), EP_MAX_E8, EP_MAX_E8);
    ep_intent_t sell = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), EP_MAX_E8, EP_MAX_E8);
    s_run (book, &out, &buy, 1, 1);
    s_run (book, &out, &sell, 2, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), EP_MAX_E8, 2 * EP_MAX_E8,
                     EP_MAX_E8, 2 * EP_MAX_E8);
    s_assert_report (out.reports [1], EP_STATUS (FILLED), EP_MAX_E8, 0, EP_MAX_E8, 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}


//  --- LIMIT ------------------------------------------------------------------

static void
test_limit_gtc_marketable_fills_at_limit_price (void **state)
{
    (void) state;
    //  Slippage is for MARKET only; a marketable limit fills at its limit
    ep_paper_book_t *book = s_book (50, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (GTC),
                                  E8 (3), E8 (101), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (3), E8 (101), E8 (3), E8 (101));
    assert_string_equal (out.reports [0]->reason, "filled at limit 101 (ref 100)");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_gtc_not_marketable_rests_accepted (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (GTC),
                                  E8 (3), E8 (99), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (ACCEPTED), 0, 0, 0, 0);
    assert_string_equal (out.reports [0]->reason, "resting (GTC): ref 100 does not cross limit 99");
    assert_int_equal (ep_paper_book_resting (book), 1);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_gtc_marketable_with_cap_rests_partially_filled (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (SELL), EP_TIF (GTC),
                                  E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (99), E8 (2), E8 (99));
    assert_string_equal (out.reports [0]->reason,
                         "filled 2 of 5 at limit 99 (ref 100), resting (GTC)");
    assert_int_equal (ep_paper_book_resting (book), 1);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_is_marketable_when_ref_equals_limit (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t buy = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (100), E8 (100));
    ep_intent_t sell = s_limit ("l2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100), E8 (100));
    s_run (book, &out, &buy, 1, 1);
    s_run (book, &out, &sell, 2, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (1), E8 (100));
    s_assert_report (out.reports [1], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (1), E8 (100));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_ioc_marketable_fills_at_limit_price (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (25, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (SELL), EP_TIF (IOC),
                                  E8 (4), 9950000000, E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (4), 9950000000, E8 (4), 9950000000);
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_ioc_not_marketable_expires_unfilled (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (SELL), EP_TIF (IOC),
                                  E8 (4), E8 (101), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    assert_string_equal (out.reports [0]->reason, "IOC expired: ref 100 does not cross limit 101");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_ioc_with_cap_expires_with_partial_fill (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (IOC),
                                  E8 (5), E8 (101), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), E8 (2), E8 (101), E8 (2), E8 (101));
    assert_string_equal (out.reports [0]->reason,
                         "filled 2 of 5 at limit 101 (ref 100), IOC remainder expired");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_fok_marketable_fills_entirely (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (5));
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (FOK),
                                  E8 (5), E8 (101), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (5), E8 (101), E8 (5), E8 (101));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_fok_not_marketable_expires_unfilled (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (FOK),
                                  E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    assert_string_equal (out.reports [0]->reason, "FOK expired: ref 100 does not cross limit 99");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_fok_with_cap_below_qty_expires_unfilled (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 150000000);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("l1", "AAA", EP_SIDE (SELL), EP_TIF (FOK),
                                  E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &intent, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    assert_string_equal (out.reports [0]->reason, "FOK: cannot fill 5 entirely (cap 1.5)");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_limit_without_tif_never_rests (void **state)
{
    (void) state;
    //  The router requires a tif for LIMIT; should none come, treat it as IOC
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t away = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (TIF_UNSPECIFIED),
                                E8 (5), E8 (99), E8 (100));
    ep_intent_t capped = s_limit ("l2", "AAA", EP_SIDE (BUY), EP_TIF (TIF_UNSPECIFIED),
                                  E8 (5), E8 (101), E8 (100));
    s_run (book, &out, &away, 1, 1);
    s_run (book, &out, &capped, 2, 1);
    s_assert_report (out.reports [0], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    s_assert_report (out.reports [1], EP_STATUS (EXPIRED), E8 (2), E8 (101), E8 (2), E8 (101));
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}


//  --- Resting orders -------------------------------------------------------

static void
test_resting_buy_crossed_only_by_crossing_ref_on_same_symbol (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t rest = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (3), E8 (100), E8 (102));
    s_run (book, &out, &rest, 1, 1);

    //  Another symbol, however low its ref: no cross
    ep_intent_t other = s_market ("o1", "BBB", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (90));
    s_run (book, &out, &other, 2, 1);
    assert_string_equal (out.reports [1]->intent_id, "o1");
    //  The same symbol, ref above the limit: no cross
    ep_intent_t above = s_market ("o2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), 10000000001);
    s_run (book, &out, &above, 3, 1);
    assert_string_equal (out.reports [2]->intent_id, "o2");
    assert_int_equal (ep_paper_book_resting (book), 1);

    //  The same symbol at the limit: the resting order fills first
    ep_intent_t cross = s_market ("o3", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &cross, 4, 2);
    const ep_report_t *crossed = out.reports [3];
    assert_string_equal (crossed->intent_id, "r1");
    s_assert_report (crossed, EP_STATUS (FILLED), E8 (3), E8 (100), E8 (3), E8 (100));
    assert_int_equal (crossed->router_seq, 1);
    assert_int_equal (crossed->logical_ts, 4);
    assert_string_equal (crossed->fills [0]->fill_id, "1.1");
    assert_string_equal (crossed->venue_order_id, "paper-1");
    assert_string_equal (crossed->reason, "crossed by ref 100: filled 3 at limit 100, 3 of 3 filled");
    assert_string_equal (out.reports [4]->intent_id, "o3");
    assert_int_equal (ep_paper_book_resting (book), 0);

    //  Gone: a later crossing ref emits nothing for it
    ep_intent_t again = s_market ("o4", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (50));
    s_run (book, &out, &again, 5, 1);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_resting_sell_crossed_when_ref_at_or_above_limit (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t rest = s_limit ("r1", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (2), E8 (100), E8 (99));
    s_run (book, &out, &rest, 1, 1);
    assert_int_equal (out.reports [0]->status, EP_STATUS (ACCEPTED));

    ep_intent_t below = s_limit ("o1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (99), 9999999999);
    s_run (book, &out, &below, 2, 1);
    assert_int_equal (ep_paper_book_resting (book), 1);

    ep_intent_t above = s_limit ("o2", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (99), E8 (120));
    s_run (book, &out, &above, 3, 2);
    assert_string_equal (out.reports [2]->intent_id, "r1");
    s_assert_report (out.reports [2], EP_STATUS (FILLED), E8 (2), E8 (100), E8 (2), E8 (100));
    assert_int_equal (out.reports [2]->logical_ts, 3);
    //  The crossing intent itself is judged on its own: 120 > 99, no fill
    assert_string_equal (out.reports [3]->intent_id, "o2");
    s_assert_report (out.reports [3], EP_STATUS (EXPIRED), 0, 0, 0, 0);
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_resting_orders_cross_oldest_first (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t first = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (99), E8 (110));
    ep_intent_t second = s_limit ("r2", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (101), E8 (110));
    ep_intent_t third = s_limit ("r3", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (95), E8 (110));
    ep_intent_t fourth = s_limit ("r4", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (1), E8 (120), E8 (110));
    s_run (book, &out, &first, 1, 1);
    s_run (book, &out, &second, 2, 1);
    s_run (book, &out, &third, 3, 1);
    s_run (book, &out, &fourth, 4, 1);
    assert_int_equal (ep_paper_book_resting (book), 4);

    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (98));
    assert_int_equal (ep_paper_book_execute (book, &cross, 5, s_collect, &out), 3);
    assert_string_equal (out.reports [4]->intent_id, "r1");
    assert_string_equal (out.reports [5]->intent_id, "r2");
    assert_string_equal (out.reports [6]->intent_id, "m1");
    assert_int_equal (ep_paper_book_resting (book), 2);

    //  The survivors still cross in age order: r3 (BUY 95), r4 (SELL 120)
    ep_intent_t low = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (90));
    s_run (book, &out, &low, 6, 2);
    assert_string_equal (out.reports [7]->intent_id, "r3");
    ep_intent_t high = s_market ("m3", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (130));
    s_run (book, &out, &high, 7, 2);
    assert_string_equal (out.reports [9]->intent_id, "r4");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_crossing_caps_each_order_separately (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t first = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (100), E8 (110));
    ep_intent_t second = s_limit ("r2", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (100), E8 (110));
    s_run (book, &out, &first, 1, 1);
    s_run (book, &out, &second, 2, 1);
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &cross, 3, 3);
    s_assert_report (out.reports [2], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (100), E8 (2), E8 (100));
    s_assert_report (out.reports [3], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (100), E8 (2), E8 (100));
    s_assert_report (out.reports [4], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (1), E8 (100));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_partial_fills_under_cap_accumulate_across_ticks (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (100), E8 (99));
    s_run (book, &out, &order, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (100), E8 (2), E8 (100));

    ep_intent_t tick2 = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (99));
    s_run (book, &out, &tick2, 2, 2);
    s_assert_report (out.reports [1], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (100), E8 (4), E8 (100));
    assert_string_equal (out.reports [1]->reason,
                         "crossed by ref 99: filled 2 at limit 100, 4 of 5 filled, resting (GTC)");

    ep_intent_t tick3 = s_market ("m3", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &tick3, 3, 2);
    s_assert_report (out.reports [3], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (5), E8 (100));
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_fill_ids_and_logical_ts_follow_router_seq (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (1));
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (3), E8 (100), E8 (99));
    ep_intent_t tick17 = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    ep_intent_t tick42 = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &order, 10, 1);
    s_run (book, &out, &tick17, 17, 2);
    s_run (book, &out, &tick42, 42, 2);

    const char *fill_ids [] = { "10.1", "10.2", "17.1", "10.3", "42.1" };
    const uint64_t logical_ts [] = { 10, 17, 17, 42, 42 };
    const uint64_t router_seqs [] = { 10, 10, 17, 10, 42 };
    const char *venue_ids [] = { "paper-10", "paper-10", "paper-17", "paper-10", "paper-42" };
    for (size_t index = 0; index < 5; index++) {
        const ep_report_t *report = out.reports [index];
        assert_int_equal (report->n_fills, 1);
        assert_string_equal (report->fills [0]->fill_id, fill_ids [index]);
        assert_int_equal (report->logical_ts, logical_ts [index]);
        assert_int_equal (report->router_seq, router_seqs [index]);
        assert_string_equal (report->venue_order_id, venue_ids [index]);
    }
    assert_int_equal (out.reports [3]->status, EP_STATUS (FILLED));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_report_carries_intent_identity (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t intent = s_limit ("intent-7", "ETHUSDT", EP_SIDE (SELL), EP_TIF (GTC),
                                  E8 (1), E8 (100), E8 (99));
    intent.strategy_id = (char *) "mean-revert";
    intent.safety = 1;
    intent.decided_at = 12345;
    s_run (book, &out, &intent, 3, 1);
    ep_intent_t cross = s_market ("m1", "ETHUSDT", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &cross, 4, 2);

    for (size_t index = 0; index < 2; index++) {
        const ep_report_t *report = out.reports [index];
        assert_int_equal (report->seq, 0);
        assert_int_equal (report->plane_epoch, 0);
        assert_string_equal (report->intent_id, "intent-7");
        assert_string_equal (report->strategy_id, "mean-revert");
        assert_string_equal (report->symbol, "ETHUSDT");
        assert_int_equal (report->side, EP_SIDE (SELL));
        assert_int_equal (report->plane, EP_PLANE (PAPER));
        assert_int_equal (report->failure, EP_FAILURE (FAILURE_NONE));
        assert_true (report->safety);
        assert_int_equal (report->router_seq, 3);
    }
    assert_false (out.reports [2]->safety);
    assert_string_equal (out.reports [2]->strategy_id, "strat-1");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}


//  --- Restore --------------------------------------------------------------

//  Restores into `to` each of the intents that still rest in the book that
//  produced `history`, with the fills `history` reported for it.
static void
s_restore_from (ep_paper_book_t *to, const collector_t *history,
                const ep_intent_t *intents, const uint64_t *seqs, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        ep_fill_t *fills [16];
        size_t fill_count = 0;
        bool terminal = false;
        for (size_t report = 0; report < history->count; report++) {
            const ep_report_t *r = history->reports [report];
            if (strcmp (r->intent_id, intents [index].intent_id) != 0)
                continue;
            for (size_t fill = 0; fill < r->n_fills; fill++) {
                assert_true (fill_count < 16);
                fills [fill_count++] = r->fills [fill];
            }
            terminal = terminal || r->terminal;
        }
        if (!terminal)
            assert_int_equal (ep_paper_book_restore (to, &intents [index], seqs [index],
                                                     fills, fill_count), 0);
    }
}

static void
test_restored_book_continues_byte_identically (void **state)
{
    (void) state;
    ep_paper_book_t *original = s_book (5, E8 (2));
    collector_t history = { 0 };
    ep_intent_t before [] = {
        s_limit ("b1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (100), E8 (99)),
        s_limit ("s1", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (3), E8 (105), E8 (99)),
        s_limit ("b2", "BBB", EP_SIDE (BUY), EP_TIF (GTC), E8 (7), E8 (50), E8 (51)),
        s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100)),
        s_limit ("b3", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (101), E8 (100)),
        s_limit ("s2", "BBB", EP_SIDE (SELL), EP_TIF (GTC), E8 (6), E8 (48), E8 (49)),
    };
    const uint64_t seqs [] = { 1, 2, 3, 4, 6, 9 };
    for (size_t index = 0; index < 6; index++)
        assert_true (ep_paper_book_execute (original, &before [index], seqs [index],
                                            s_collect, &history) >= 1);
    //  s1 untouched, b2 and s2 each filled once
    assert_int_equal (ep_paper_book_resting (original), 3);

    ep_paper_book_t *restored = s_book (5, E8 (2));
    s_restore_from (restored, &history, before, seqs, 6);
    assert_int_equal (ep_paper_book_resting (restored), 3);

    ep_intent_t after [] = {
        s_market ("m2", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (106)),
        s_market ("m3", "BBB", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (47)),
        s_limit ("l1", "BBB", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (40), E8 (48)),
        s_market ("m4", "AAA", EP_SIDE (SELL), EP_TIF (FOK), E8 (1), E8 (105)),
        s_limit ("l2", "BBB", EP_SIDE (SELL), EP_TIF (GTC), E8 (1), E8 (60), E8 (48)),
        s_market ("m5", "BBB", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (48)),
    };
    collector_t expected = { 0 };
    collector_t actual = { 0 };
    for (size_t index = 0; index < 6; index++) {
        int a = ep_paper_book_execute (original, &after [index], 20 + index, s_collect, &expected);
        int b = ep_paper_book_execute (restored, &after [index], 20 + index, s_collect, &actual);
        assert_int_equal (a, b);
    }
    assert_true (expected.count > 6);   //  the restored orders did report
    assert_int_equal (expected.size, actual.size);
    assert_memory_equal (expected.bytes, actual.bytes, expected.size);
    assert_int_equal (ep_paper_book_resting (original), ep_paper_book_resting (restored));

    //  Fill numbering carried on: s2 had "9.1" before the restart
    bool saw_s2_second = false;
    for (size_t index = 0; index < actual.count; index++) {
        const ep_report_t *report = actual.reports [index];
        if (strcmp (report->intent_id, "s2") == 0 && report->n_fills == 1
        &&  strcmp (report->fills [0]->fill_id, "9.2") == 0) {
            assert_int_equal (report->filled_qty_e8, E8 (4));
            saw_s2_second = true;
        }
    }
    assert_true (saw_s2_second);

    s_collector_clear (&history);
    s_collector_clear (&expected);
    s_collector_clear (&actual);
    ep_paper_book_destroy (&original);
    ep_paper_book_destroy (&restored);
}

static void
test_restore_refuses_orders_that_would_not_rest (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    ep_intent_t market = s_market ("m1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (2), E8 (100));
    ep_intent_t ioc = s_limit ("l1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (2), E8 (100), E8 (101));
    ep_intent_t fok = s_limit ("l2", "AAA", EP_SIDE (BUY), EP_TIF (FOK), E8 (2), E8 (100), E8 (101));
    ep_intent_t gtc = s_limit ("l3", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (2), E8 (100), E8 (101));
    assert_int_equal (ep_paper_book_restore (book, &market, 1, NULL, 0), -1);
    assert_int_equal (ep_paper_book_restore (book, &ioc, 2, NULL, 0), -1);
    assert_int_equal (ep_paper_book_restore (book, &fok, 3, NULL, 0), -1);

    ep_fill_t one, two;
    execplane__v1__fill__init (&one);
    execplane__v1__fill__init (&two);
    one.qty_e8 = E8 (1);
    one.price_e8 = E8 (100);
    two = one;
    ep_fill_t *fills [] = { &one, &two };
    //  Already fully filled, or more than filled
    assert_int_equal (ep_paper_book_restore (book, &gtc, 4, fills, 2), -1);
    two.qty_e8 = E8 (3);
    assert_int_equal (ep_paper_book_restore (book, &gtc, 4, fills, 2), -1);
    //  Fills no book could have reported
    one.price_e8 = -1;
    assert_int_equal (ep_paper_book_restore (book, &gtc, 4, fills, 1), -1);
    one.price_e8 = E8 (100);
    one.qty_e8 = 0;
    assert_int_equal (ep_paper_book_restore (book, &gtc, 4, fills, 1), -1);
    one.qty_e8 = E8 (1);
    assert_int_equal (ep_paper_book_resting (book), 0);

    assert_int_equal (ep_paper_book_restore (book, &gtc, 4, fills, 1), 0);
    assert_int_equal (ep_paper_book_resting (book), 1);
    ep_paper_book_destroy (&book);
}

static void
test_restored_orders_cross_oldest_first (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t newer = s_limit ("r5", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (100), E8 (101));
    ep_intent_t older = s_limit ("r3", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (1), E8 (100), E8 (101));
    assert_int_equal (ep_paper_book_restore (book, &newer, 5, NULL, 0), 0);
    assert_int_equal (ep_paper_book_restore (book, &older, 3, NULL, 0), 0);
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &cross, 6, 3);
    assert_string_equal (out.reports [0]->intent_id, "r3");
    assert_string_equal (out.reports [1]->intent_id, "r5");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_average_price_is_rounded_down (void **state)
{
    (void) state;
    //  Fills before a restart at other prices than the limit (a config
    //  change, say): 100.00000002 + 100.00000002 + 100 = 300.00000004, / 3
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("r1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (3), E8 (100), E8 (101));
    ep_fill_t one;
    execplane__v1__fill__init (&one);
    one.fill_id = (char *) "7.1";
    one.qty_e8 = E8 (1);
    one.price_e8 = 10000000002;
    ep_fill_t *fills [] = { &one, &one };
    assert_int_equal (ep_paper_book_restore (book, &order, 7, fills, 2), 0);

    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (100));
    s_run (book, &out, &cross, 8, 2);
    s_assert_report (out.reports [0], EP_STATUS (FILLED), E8 (1), E8 (100), E8 (3), 10000000001);
    assert_string_equal (out.reports [0]->fills [0]->fill_id, "7.3");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}


//  --- Cancel and replace ---------------------------------------------------

static void
test_cancel_removes_a_resting_order (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &order, 3, 1);
    ep_intent_t cancel = s_cancel ("c1", "t1");
    s_dispatch (book, &out, &cancel, 5, 3, 2);
    assert_int_equal (ep_paper_book_resting (book), 0);

    //  The target's own stream ends first, then the cancel's
    const ep_report_t *target = out.reports [1];
    assert_string_equal (target->intent_id, "t1");
    s_assert_report (target, EP_STATUS (CANCELED), 0, 0, 0, 0);
    assert_string_equal (target->reason, "canceled by intent c1: 0 of 5 filled, 5 canceled");
    assert_string_equal (target->target_intent_id, "");
    assert_int_equal (target->router_seq, 3);
    assert_int_equal (target->logical_ts, 5);
    const ep_report_t *own = out.reports [2];
    assert_string_equal (own->intent_id, "c1");
    s_assert_report (own, EP_STATUS (CANCELED), 0, 0, 0, 0);
    assert_string_equal (own->target_intent_id, "t1");
    assert_string_equal (own->symbol, "AAA");
    assert_int_equal (own->side, EP_SIDE (BUY));
    assert_int_equal (own->router_seq, 5);
    assert_int_equal (own->logical_ts, 5);
    assert_string_equal (own->reason, "canceled intent t1: 5 of 5 left canceled, 0 filled");
    assert_string_equal (own->venue_order_id, "paper-3");

    //  A ref that would have crossed it finds nothing
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (90));
    s_run (book, &out, &cross, 6, 1);
    assert_string_equal (out.reports [3]->intent_id, "m1");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_cancel_of_partly_filled_order_keeps_its_fills (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (5), E8 (100), E8 (101));
    s_run (book, &out, &order, 1, 1);
    s_assert_report (out.reports [0], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (100), E8 (2), E8 (100));
    ep_intent_t cancel = s_cancel ("c1", "t1");
    s_dispatch (book, &out, &cancel, 2, 1, 2);
    const ep_report_t *target = out.reports [1];
    s_assert_report (target, EP_STATUS (CANCELED), 0, 0, E8 (2), E8 (100));
    assert_int_equal (target->first_fill, 1);
    assert_string_equal (target->reason, "canceled by intent c1: 2 of 5 filled, 3 canceled");
    assert_string_equal (out.reports [2]->reason, "canceled intent t1: 3 of 5 left canceled, 2 filled");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

//  Runs a cancel at router_seq at that must be too late (then a sweep at
//  at + 10), and checks that it changed nothing:
//  the book's later reports are those of a book that never saw it.
static void
s_assert_too_late (ep_paper_book_t *book, ep_paper_book_t *twin, uint64_t target_router_seq,
                   uint64_t at)
{
    collector_t out = { 0 }, with = { 0 }, without = { 0 };
    ep_intent_t cancel = s_cancel ("c1", "t1");
    s_dispatch (book, &out, &cancel, at, target_router_seq, 1);
    s_assert_rejected (out.reports [0], "c1", EP_FAILURE (TOO_LATE));
    assert_string_equal (out.reports [0]->target_intent_id, "t1");
    assert_string_equal (out.reports [0]->reason,
                         "too late: no resting order for intent t1 (it had already ended,"
                         " or never rested)");
    assert_int_equal (ep_paper_book_resting (book), ep_paper_book_resting (twin));
    ep_intent_t sweep = s_market ("m9", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (1), E8 (1));
    s_run (book, &with, &sweep, at + 10, (int) ep_paper_book_resting (book) + 1);
    s_run (twin, &without, &sweep, at + 10, (int) ep_paper_book_resting (twin) + 1);
    assert_int_equal (with.size, without.size);
    assert_memory_equal (with.bytes, without.bytes, with.size);
    s_collector_clear (&out);
    s_collector_clear (&with);
    s_collector_clear (&without);
}

static void
test_cancel_after_target_filled_is_too_late (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0), *twin = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    ep_intent_t other = s_limit ("o1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (90), E8 (100));
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (95));
    ep_paper_book_t *books [] = { book, twin };
    for (int which = 0; which < 2; which++) {
        s_run (books [which], &out, &order, 1, 1);
        s_run (books [which], &out, &other, 2, 1);
        s_run (books [which], &out, &cross, 3, 2);      //  t1 FILLED
    }
    s_assert_too_late (book, twin, 1, 50);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
    ep_paper_book_destroy (&twin);
}

static void
test_cancel_after_ioc_expired_is_too_late (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0), *twin = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (IOC), E8 (5), E8 (99), E8 (100));
    ep_intent_t other = s_limit ("o1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (90), E8 (100));
    s_run (book, &out, &order, 1, 1);
    s_run (twin, &out, &order, 1, 1);
    s_run (book, &out, &other, 2, 1);
    s_run (twin, &out, &other, 2, 1);
    s_assert_too_late (book, twin, 1, 50);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
    ep_paper_book_destroy (&twin);
}

static void
test_cancel_of_unknown_order_is_too_late (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0), *twin = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t other = s_limit ("o1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (90), E8 (100));
    s_run (book, &out, &other, 2, 1);
    s_run (twin, &out, &other, 2, 1);
    s_assert_too_late (book, twin, 7, 50);              //  no order ever had 7
    s_assert_too_late (book, twin, 0, 70);              //  nor 0 (no target resolved)
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
    ep_paper_book_destroy (&twin);
}

static void
test_replace_cancels_resting_target_and_places_new_order (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (95), E8 (100));
    s_run (book, &out, &order, 1, 1);
    ep_intent_t replace = s_replace ("r1", "t1", "AAA", EP_SIDE (BUY), E8 (4), E8 (97), E8 (100));
    s_dispatch (book, &out, &replace, 4, 1, 2);
    assert_int_equal (ep_paper_book_resting (book), 1);
    const ep_report_t *target = out.reports [1];
    assert_string_equal (target->intent_id, "t1");
    s_assert_report (target, EP_STATUS (CANCELED), 0, 0, 0, 0);
    assert_string_equal (target->reason, "replaced by intent r1: 0 of 5 filled, 5 canceled");
    assert_string_equal (target->target_intent_id, "");
    const ep_report_t *own = out.reports [2];
    assert_string_equal (own->intent_id, "r1");
    s_assert_report (own, EP_STATUS (ACCEPTED), 0, 0, 0, 0);
    assert_string_equal (own->target_intent_id, "t1");
    assert_string_equal (own->venue_order_id, "paper-4");

    //  The replacement has its own lifecycle, under its own router_seq;
    //  the old limit (95) would not have crossed at 96
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (96));
    s_run (book, &out, &cross, 5, 2);
    const ep_report_t *fill = out.reports [3];
    assert_string_equal (fill->intent_id, "r1");
    s_assert_report (fill, EP_STATUS (FILLED), E8 (4), E8 (97), E8 (4), E8 (97));
    assert_string_equal (fill->fills [0]->fill_id, "4.1");
    assert_string_equal (fill->target_intent_id, "t1");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_replace_of_partly_filled_target_keeps_its_fills (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (SELL), EP_TIF (GTC), E8 (5), E8 (100), E8 (101));
    s_run (book, &out, &order, 1, 1);
    //  The replacement is marketable at once: it fills up to the cap and rests
    ep_intent_t replace = s_replace ("r1", "t1", "AAA", EP_SIDE (SELL), E8 (3), E8 (102), E8 (103));
    s_dispatch (book, &out, &replace, 2, 1, 2);
    s_assert_report (out.reports [1], EP_STATUS (CANCELED), 0, 0, E8 (2), E8 (100));
    assert_string_equal (out.reports [1]->reason, "replaced by intent r1: 2 of 5 filled, 3 canceled");
    const ep_report_t *own = out.reports [2];
    s_assert_report (own, EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (102), E8 (2), E8 (102));
    assert_string_equal (own->target_intent_id, "t1");
    assert_int_equal (ep_paper_book_resting (book), 1);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_replace_with_other_symbol_or_side_is_refused (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (95), E8 (100));
    ep_intent_t other = s_limit ("o1", "BBB", EP_SIDE (SELL), EP_TIF (GTC), E8 (5), E8 (200), E8 (100));
    s_run (book, &out, &order, 1, 1);
    s_run (book, &out, &other, 2, 1);
    //  Its ref (1) would cross o1 and t1 if it were run: refused, it crosses nothing
    ep_intent_t symbol = s_replace ("r1", "t1", "BBB", EP_SIDE (BUY), E8 (4), E8 (97), E8 (1));
    s_dispatch (book, &out, &symbol, 3, 1, 1);
    s_assert_rejected (out.reports [2], "r1", EP_FAILURE (INVALID_INTENT));
    assert_string_equal (out.reports [2]->reason,
                         "a replacement keeps its target's symbol and side: intent t1 is BUY AAA,"
                         " this is BUY BBB; nothing canceled");
    ep_intent_t side = s_replace ("r2", "t1", "AAA", EP_SIDE (SELL), E8 (4), E8 (97), E8 (1));
    s_dispatch (book, &out, &side, 4, 1, 1);
    s_assert_rejected (out.reports [3], "r2", EP_FAILURE (INVALID_INTENT));
    ep_intent_t market = s_replace ("r3", "t1", "AAA", EP_SIDE (BUY), E8 (4), E8 (97), E8 (1));
    market.type = EP_TYPE (MARKET);
    s_dispatch (book, &out, &market, 5, 1, 1);
    s_assert_rejected (out.reports [4], "r3", EP_FAILURE (INVALID_INTENT));
    assert_int_equal (ep_paper_book_resting (book), 2);

    //  t1 is still there, untouched: a later cancel takes all of it
    ep_intent_t cancel = s_cancel ("c1", "t1");
    s_dispatch (book, &out, &cancel, 6, 1, 2);
    assert_string_equal (out.reports [5]->reason, "canceled by intent c1: 0 of 5 filled, 5 canceled");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_replace_of_ended_target_is_too_late_and_places_nothing (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    ep_intent_t cross = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (5), E8 (98));
    s_run (book, &out, &order, 1, 1);
    s_run (book, &out, &cross, 2, 2);
    ep_intent_t replace = s_replace ("r1", "t1", "AAA", EP_SIDE (BUY), E8 (4), E8 (97), E8 (100));
    s_dispatch (book, &out, &replace, 3, 1, 1);
    s_assert_rejected (out.reports [3], "r1", EP_FAILURE (TOO_LATE));
    assert_string_equal (out.reports [3]->target_intent_id, "t1");
    assert_int_equal (ep_paper_book_resting (book), 0);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

//  The race a cancel decides by logical time: t1 rests at 1; m1 at 2
//  fills part of it; the cancel at 3 takes the rest; m2 at 4 fills nothing
//  of it.
static void
test_fill_before_cancel_counts_and_none_after (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, E8 (2));
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    ep_intent_t before = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (98));
    ep_intent_t cancel = s_cancel ("c1", "t1");
    ep_intent_t after = s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (98));
    s_run (book, &out, &order, 1, 1);
    s_run (book, &out, &before, 2, 2);
    s_assert_report (out.reports [1], EP_STATUS (PARTIALLY_FILLED), E8 (2), E8 (99), E8 (2), E8 (99));
    s_dispatch (book, &out, &cancel, 3, 1, 2);
    s_assert_report (out.reports [3], EP_STATUS (CANCELED), 0, 0, E8 (2), E8 (99));
    s_run (book, &out, &after, 4, 1);
    assert_int_equal (out.count, 6);
    assert_string_equal (out.reports [5]->intent_id, "m2");
    for (size_t index = 5; index < out.count; index++)
        assert_string_not_equal (out.reports [index]->intent_id, "t1");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_cancel_made_for_a_command_names_it (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &order, 1, 1);
    ep_intent_t cancel = s_cancel ("c1", "t1");
    ep_dispatch_t dispatch = EXECPLANE__V1__DISPATCH__INIT;
    dispatch.intent = &cancel;
    dispatch.router_seq = 2;
    dispatch.target_router_seq = 1;
    dispatch.cause = (char *) "cancel-all by ops: end of day";
    assert_int_equal (ep_paper_book_dispatch (book, &dispatch, s_collect, &out), 2);
    assert_string_equal (out.reports [1]->reason,
                         "canceled (cancel-all by ops: end of day): 0 of 5 filled, 5 canceled");
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

static void
test_unknown_action_is_rejected (void **state)
{
    (void) state;
    ep_paper_book_t *book = s_book (0, 0);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100));
    s_run (book, &out, &order, 1, 1);
    ep_intent_t odd = s_limit ("x1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (5), E8 (1), E8 (1));
    odd.action = (Execplane__V1__Action) 9;
    s_dispatch (book, &out, &odd, 2, 1, 1);
    s_assert_rejected (out.reports [1], "x1", EP_FAILURE (INVALID_INTENT));
    assert_int_equal (ep_paper_book_resting (book), 1);
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

//  After a restart the router hands back what still rests: never a
//  canceled order, and a replacement as the REPLACE intent. The restored
//  book carries on byte for byte as the first.
static void
test_restored_book_after_cancels_continues_byte_identically (void **state)
{
    (void) state;
    ep_paper_book_t *original = s_book (0, E8 (1));
    collector_t history = { 0 };
    ep_intent_t before [] = {
        s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (99), E8 (100)),
        s_limit ("t2", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (98), E8 (100)),
        s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (97)),
        s_cancel ("c1", "t1"),
        s_replace ("r1", "t2", "AAA", EP_SIDE (BUY), E8 (3), E8 (96), E8 (100)),
    };
    const uint64_t seqs [] = { 1, 2, 3, 4, 5 };
    const uint64_t targets [] = { 0, 0, 0, 1, 2 };
    for (size_t index = 0; index < 5; index++)
        s_dispatch (original, &history, &before [index], seqs [index], targets [index],
                    index == 2? 3: index < 2? 1: 2);
    assert_int_equal (ep_paper_book_resting (original), 1);

    //  What the router would hand back: every intent without a terminal
    //  report that rests (s_restore_from skips the ended); the CANCEL
    //  ended, the canceled and replaced orders ended
    ep_paper_book_t *restored = s_book (0, E8 (1));
    s_restore_from (restored, &history, &before [4], &seqs [4], 1);
    assert_int_equal (ep_paper_book_restore (restored, &before [3], 4, NULL, 0), -1);
    assert_int_equal (ep_paper_book_resting (restored), 1);

    ep_intent_t after [] = {
        s_market ("m2", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (90)),
        s_cancel ("c2", "r1"),
        s_cancel ("c3", "r1"),
    };
    const uint64_t after_targets [] = { 0, 5, 5 };
    collector_t expected = { 0 }, actual = { 0 };
    for (size_t index = 0; index < 3; index++) {
        int reports = index == 1? 2: 1 + (index == 0);
        s_dispatch (original, &expected, &after [index], 10 + index, after_targets [index], reports);
        s_dispatch (restored, &actual, &after [index], 10 + index, after_targets [index], reports);
    }
    assert_int_equal (expected.size, actual.size);
    assert_memory_equal (expected.bytes, actual.bytes, expected.size);
    //  The replacement's fill and its cancel carry its target
    assert_string_equal (actual.reports [0]->intent_id, "r1");
    assert_string_equal (actual.reports [0]->target_intent_id, "t2");
    assert_string_equal (actual.reports [0]->fills [0]->fill_id, "5.1");
    assert_string_equal (actual.reports [2]->reason, "canceled by intent c2: 1 of 3 filled, 2 canceled");
    s_assert_rejected (actual.reports [4], "c3", EP_FAILURE (TOO_LATE));
    s_collector_clear (&history);
    s_collector_clear (&expected);
    s_collector_clear (&actual);
    ep_paper_book_destroy (&original);
    ep_paper_book_destroy (&restored);
}


//  --- Determinism ----------------------------------------------------------

static uint64_t
s_xorshift (uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

#define STREAM_SIZE 10000

//  A fixed, varied stream: five symbols whose refs random-walk, both sides,
//  every type and TIF, limits either side of the ref.
static ep_intent_t *
s_stream_new (char (*ids) [16])
{
    static const char *symbols [] = { "AAA", "BBB", "CCC", "DDD", "EEE" };
    static const char *strategies [] = { "alpha", "beta", "gamma" };
    static const Execplane__V1__TimeInForce market_tifs [] = {
        EP_TIF (TIF_UNSPECIFIED), EP_TIF (IOC), EP_TIF (FOK), EP_TIF (GTC)
    };
    static const Execplane__V1__TimeInForce limit_tifs [] = {
        EP_TIF (GTC), EP_TIF (GTC), EP_TIF (IOC), EP_TIF (FOK)
    };
    int64_t refs [5] = { E8 (100), E8 (100), E8 (100), E8 (100), E8 (100) };
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    ep_intent_t *stream = (ep_intent_t *) calloc (STREAM_SIZE, sizeof (ep_intent_t));
    assert_non_null (stream);

    for (size_t index = 0; index < STREAM_SIZE; index++) {
        size_t symbol = s_xorshift (&seed) % 5;
        refs [symbol] += ((int64_t) (s_xorshift (&seed) % 201) - 100) * 1000000;
        if (refs [symbol] < E8 (1))
            refs [symbol] = E8 (1);
        Execplane__V1__Side side = s_xorshift (&seed) % 2? EP_SIDE (BUY): EP_SIDE (SELL);
        int64_t qty_e8 = (int64_t) (1 + s_xorshift (&seed) % 500) * 1000000;
        snprintf (ids [index], 16, "i%zu", index);
        ep_intent_t *intent = &stream [index];
        if (s_xorshift (&seed) % 2) {
            int64_t limit_e8 = refs [symbol] + ((int64_t) (s_xorshift (&seed) % 401) - 200) * 1000000;
            if (limit_e8 < 1)
                limit_e8 = 1;
            *intent = s_limit (ids [index], symbols [symbol], side,
                               limit_tifs [s_xorshift (&seed) % 4], qty_e8, limit_e8, refs [symbol]);
        }
        else
            *intent = s_market (ids [index], symbols [symbol], side,
                                market_tifs [s_xorshift (&seed) % 4], qty_e8, refs [symbol]);
        intent->strategy_id = (char *) strategies [index % 3];
        intent->safety = index % 7 == 0;
    }
    return stream;
}

static void
test_identical_streams_give_identical_reports (void **state)
{
    (void) state;
    char (*ids) [16] = (char (*) [16]) calloc (STREAM_SIZE, 16);
    assert_non_null (ids);
    ep_intent_t *stream = s_stream_new (ids);
    ep_paper_book_t *first = s_book (7, E8 (2));
    ep_paper_book_t *second = s_book (7, E8 (2));
    collector_t one = { 0 };
    collector_t two = { 0 };
    for (size_t index = 0; index < STREAM_SIZE; index++) {
        //  Gaps in router_seq, as when another plane takes some intents
        uint64_t router_seq = 3 * index + 1;
        assert_true (ep_paper_book_execute (first, &stream [index], router_seq, s_collect, &one) >= 1);
        assert_true (ep_paper_book_execute (second, &stream [index], router_seq, s_collect, &two) >= 1);
    }
    assert_int_equal (one.count, two.count);
    assert_int_equal (one.size, two.size);
    assert_memory_equal (one.bytes, two.bytes, one.size);
    assert_int_equal (ep_paper_book_resting (first), ep_paper_book_resting (second));

    //  Non-trivial: every outcome occurs, and each intent ends exactly once
    //  or still rests
    size_t filled = 0, expired_empty = 0, expired_partial = 0, partial = 0;
    size_t accepted = 0, crossed = 0, terminal = 0;
    for (size_t index = 0; index < one.count; index++) {
        const ep_report_t *report = one.reports [index];
        filled += report->status == EP_STATUS (FILLED);
        expired_empty += report->status == EP_STATUS (EXPIRED) && report->filled_qty_e8 == 0;
        expired_partial += report->status == EP_STATUS (EXPIRED) && report->filled_qty_e8 > 0;
        partial += report->status == EP_STATUS (PARTIALLY_FILLED);
        accepted += report->status == EP_STATUS (ACCEPTED);
        crossed += report->logical_ts != report->router_seq;
        terminal += report->terminal;
    }
    assert_true (filled > 100);
    assert_true (expired_empty > 100);
    assert_true (expired_partial > 100);
    assert_true (partial > 100);
    assert_true (accepted > 100);
    assert_true (crossed > 100);
    assert_int_equal (terminal + ep_paper_book_resting (first), STREAM_SIZE);

    s_collector_clear (&one);
    s_collector_clear (&two);
    ep_paper_book_destroy (&first);
    ep_paper_book_destroy (&second);
    free (stream);
    free (ids);
}


//  Turns part of a stream into cancels and replaces of earlier intents (any
//  of them: resting, ended or never rested), and fills targets [index]
//  with the target's router_seq (3 * j + 1, as the runs below number them).
static void
s_stream_lifecycle (ep_intent_t *stream, char (*ids) [16], uint64_t *targets)
{
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    for (size_t index = 1; index < STREAM_SIZE; index++) {
        targets [index] = 0;
        uint64_t pick = s_xorshift (&seed) % 10;
        if (pick > 2)
            continue;
        //  Mostly a recent one, which is likelier to rest still
        size_t back = 1 + s_xorshift (&seed) % (index < 40? index: 40);
        size_t target = index - back;
        if (stream [target].action != EP_ACTION (PLACE))
            continue;
        ep_intent_t *intent = &stream [index];
        intent->target_intent_id = ids [target];
        targets [index] = 3 * target + 1;
        if (pick < 2) {
            intent->action = EP_ACTION (CANCEL);
            intent->symbol = (char *) "";
            intent->side = EP_SIDE (SIDE_UNSPECIFIED);
            intent->type = EP_TYPE (ORDER_TYPE_UNSPECIFIED);
            intent->tif = EP_TIF (TIF_UNSPECIFIED);
            intent->qty_e8 = intent->limit_price_e8 = intent->ref_price_e8 = 0;
        }
        else {
            //  Same symbol and side, but one in eight is refused for its side
            intent->action = EP_ACTION (REPLACE);
            intent->symbol = stream [target].symbol;
            intent->side = stream [target].side;
            if (s_xorshift (&seed) % 8 == 0)
                intent->side = intent->side == EP_SIDE (BUY)? EP_SIDE (SELL): EP_SIDE (BUY);
            intent->strategy_id = stream [target].strategy_id;
            intent->type = EP_TYPE (LIMIT);
            intent->tif = EP_TIF (GTC);
            intent->ref_price_e8 = stream [target].ref_price_e8;
            intent->limit_price_e8 = intent->ref_price_e8
                                   + ((int64_t) (s_xorshift (&seed) % 401) - 200) * 1000000;
            if (intent->limit_price_e8 < 1)
                intent->limit_price_e8 = 1;
        }
    }
}

//  Two books given the same stream with cancels and replaces agree byte
//  for byte; so does a third restarted halfway from the resting orders.
static void
test_streams_with_cancels_and_replaces_give_identical_reports (void **state)
{
    (void) state;
    char (*ids) [16] = (char (*) [16]) calloc (STREAM_SIZE, 16);
    uint64_t *targets = (uint64_t *) calloc (STREAM_SIZE, sizeof (uint64_t));
    bool *ended = (bool *) calloc (STREAM_SIZE, sizeof (bool));
    assert_non_null (ids);
    assert_non_null (targets);
    assert_non_null (ended);
    ep_intent_t *stream = s_stream_new (ids);
    s_stream_lifecycle (stream, ids, targets);
    ep_paper_book_t *first = s_book (7, E8 (2));
    ep_paper_book_t *second = s_book (7, E8 (2));
    uint64_t *seqs = (uint64_t *) calloc (STREAM_SIZE, sizeof (uint64_t));
    assert_non_null (seqs);
    collector_t one = { 0 };
    collector_t two = { 0 };
    collector_t three = { 0 };
    ep_paper_book_t *restarted = NULL;
    collector_t half = { 0 };
    for (size_t index = 0; index < STREAM_SIZE; index++) {
        //  Halfway, a third book restarts from what rests in the first, as
        //  a worker restarts from the router's resting orders
        if (index == STREAM_SIZE / 2) {
            half = one;
            restarted = s_book (7, E8 (2));
            s_restore_from (restarted, &one, stream, seqs, index);
        }
        ep_dispatch_t dispatch = EXECPLANE__V1__DISPATCH__INIT;
        dispatch.intent = &stream [index];
        dispatch.router_seq = seqs [index] = 3 * index + 1;
        dispatch.target_router_seq = targets [index];
        assert_true (ep_paper_book_dispatch (first, &dispatch, s_collect, &one) >= 1);
        assert_true (ep_paper_book_dispatch (second, &dispatch, s_collect, &two) >= 1);
        if (restarted)
            assert_true (ep_paper_book_dispatch (restarted, &dispatch, s_collect, &three) >= 1);
    }
    assert_int_equal (one.count, two.count);
    assert_int_equal (one.size, two.size);
    assert_memory_equal (one.bytes, two.bytes, one.size);
    assert_int_equal (ep_paper_book_resting (first), ep_paper_book_resting (second));
    assert_int_equal (three.size, one.size - half.size);
    assert_memory_equal (three.bytes, one.bytes + half.size, three.size);
    assert_int_equal (ep_paper_book_resting (first), ep_paper_book_resting (restarted));

    //  Each intent ends exactly once, nothing reports after its end, and
    //  every case occurs
    size_t canceled_targets = 0, cancels_done = 0, too_late = 0, invalid = 0;
    size_t replacements = 0, terminal = 0;
    for (size_t index = 0; index < one.count; index++) {
        const ep_report_t *report = one.reports [index];
        size_t intent = (size_t) (report->router_seq - 1) / 3;
        assert_false (ended [intent]);
        ended [intent] = report->terminal;
        terminal += report->terminal;
        bool lifecycle = stream [intent].action != EP_ACTION (PLACE);
        canceled_targets += report->status == EP_STATUS (CANCELED) && !lifecycle;
        cancels_done += report->status == EP_STATUS (CANCELED) && lifecycle;
        too_late += report->failure == EP_FAILURE (TOO_LATE);
        invalid += report->failure == EP_FAILURE (INVALID_INTENT);
        replacements += stream [intent].action == EP_ACTION (REPLACE)
                     && report->status != EP_STATUS (REJECTED) && report->logical_ts == report->router_seq;
    }
    assert_true (canceled_targets > 100);
    assert_true (cancels_done > 100);
    assert_true (too_late > 100);
    assert_true (invalid > 10);
    assert_true (replacements > 50);
    assert_int_equal (canceled_targets, cancels_done + replacements);
    assert_int_equal (terminal + ep_paper_book_resting (first), STREAM_SIZE);

    s_collector_clear (&one);
    s_collector_clear (&two);
    s_collector_clear (&three);
    ep_paper_book_destroy (&first);
    ep_paper_book_destroy (&second);
    ep_paper_book_destroy (&restarted);
    free (stream);
    free (seqs);
    free (ended);
    free (targets);
    free (ids);
}


//  Rule 0: with an instrument table, an order that breaks its symbol's
//  rules is REJECTED / INVALID_INTENT naming the rule, crosses nothing and
//  changes nothing; a REPLACE that does cancels nothing. The book keeps its
//  own copy of the table.
static void
test_orders_that_break_the_instrument_rules_are_refused_and_change_nothing (void **state)
{
    (void) state;
    ep_instruments_t table = { 0 };
    ep_instrument_t aaa = {
        .symbol = "AAA", .trading = true, .market = true, .limit = true,
        .lot = { E8 (1), E8 (100), E8 (1) }, .price = { 0, 0, 1000000 },
    };
    assert_int_equal (ep_instruments_put (&table, &aaa), 0);
    ep_paper_config_t config = { .slippage_bps = 0, .liquidity_cap_e8 = 0, .instruments = &table };
    ep_paper_book_t *book = ep_paper_book_new (&config);
    assert_non_null (book);
    ep_instruments_clear (&table);
    collector_t out = { 0 };
    ep_intent_t order = s_limit ("t1", "AAA", EP_SIDE (BUY), EP_TIF (GTC), E8 (5), E8 (95), E8 (100));
    s_run (book, &out, &order, 1, 1);
    //  Its ref (1) would cross t1 if it ran
    ep_intent_t fraction = s_market ("m1", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1) / 2, E8 (1));
    s_run (book, &out, &fraction, 2, 1);
    s_assert_rejected (out.reports [1], "m1", EP_FAILURE (INVALID_INTENT));
    assert_string_equal (out.reports [1]->reason,
                         "instrument rules: LOT_SIZE: qty 0.5 is below its minimum 1");
    ep_intent_t unknown = s_market ("m2", "ZZZ", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (1));
    s_run (book, &out, &unknown, 3, 1);
    assert_string_equal (out.reports [2]->reason,
                         "instrument rules: symbol ZZZ is not in the instrument table");
    ep_intent_t tick = s_replace ("r1", "t1", "AAA", EP_SIDE (BUY), E8 (5), E8 (96) + 1, E8 (1));
    s_dispatch (book, &out, &tick, 4, 1, 1);
    s_assert_rejected (out.reports [3], "r1", EP_FAILURE (INVALID_INTENT));
    assert_string_equal (out.reports [3]->reason,
                         "instrument rules: PRICE_FILTER: price 96.00000001 is not a multiple "
                         "of tickSize 0.01 (nothing is rounded)");
    assert_int_equal (ep_paper_book_resting (book), 1);
    //  t1 rests untouched: a valid order's ref fills all of it
    ep_intent_t valid = s_market ("m3", "AAA", EP_SIDE (SELL), EP_TIF (IOC), E8 (1), E8 (90));
    s_run (book, &out, &valid, 5, 2);
    s_assert_report (out.reports [4], EP_STATUS (FILLED), E8 (5), E8 (95), E8 (5), E8 (95));
    s_collector_clear (&out);
    ep_paper_book_destroy (&book);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_config_out_of_range_is_refused),
        cmocka_unit_test (test_market_buy_pays_slippage_rounded_up),
        cmocka_unit_test (test_market_sell_receives_slippage_rounded_down),
        cmocka_unit_test (test_market_slippage_exact_needs_no_rounding),
        cmocka_unit_test (test_market_ioc_with_cap_expires_with_partial_fill),
        cmocka_unit_test (test_market_ioc_within_cap_fills_entirely),
        cmocka_unit_test (test_market_unspecified_tif_behaves_as_ioc),
        cmocka_unit_test (test_market_gtc_is_treated_as_ioc),
        cmocka_unit_test (test_market_fok_with_cap_below_qty_expires_unfilled),
        cmocka_unit_test (test_market_fok_within_cap_fills_entirely),
        cmocka_unit_test (test_market_extremes_do_not_overflow),
        cmocka_unit_test (test_limit_gtc_marketable_fills_at_limit_price),
        cmocka_unit_test (test_limit_gtc_not_marketable_rests_accepted),
        cmocka_unit_test (test_limit_gtc_marketable_with_cap_rests_partially_filled),
        cmocka_unit_test (test_limit_is_marketable_when_ref_equals_limit),
        cmocka_unit_test (test_limit_ioc_marketable_fills_at_limit_price),
        cmocka_unit_test (test_limit_ioc_not_marketable_expires_unfilled),
        cmocka_unit_test (test_limit_ioc_with_cap_expires_with_partial_fill),
        cmocka_unit_test (test_limit_fok_marketable_fills_entirely),
        cmocka_unit_test (test_limit_fok_not_marketable_expires_unfilled),
        cmocka_unit_test (test_limit_fok_with_cap_below_qty_expires_unfilled),
        cmocka_unit_test (test_limit_without_tif_never_rests),
        cmocka_unit_test (test_resting_buy_crossed_only_by_crossing_ref_on_same_symbol),
        cmocka_unit_test (test_resting_sell_crossed_when_ref_at_or_above_limit),
        cmocka_unit_test (test_resting_orders_cross_oldest_first),
        cmocka_unit_test (test_crossing_caps_each_order_separately),
        cmocka_unit_test (test_partial_fills_under_cap_accumulate_across_ticks),
        cmocka_unit_test (test_fill_ids_and_logical_ts_follow_router_seq),
        cmocka_unit_test (test_report_carries_intent_identity),
        cmocka_unit_test (test_restored_book_continues_byte_identically),
        cmocka_unit_test (test_restore_refuses_orders_that_would_not_rest),
        cmocka_unit_test (test_restored_orders_cross_oldest_first),
        cmocka_unit_test (test_average_price_is_rounded_down),
        cmocka_unit_test (test_identical_streams_give_identical_reports),
        cmocka_unit_test (test_cancel_removes_a_resting_order),
        cmocka_unit_test (test_cancel_of_partly_filled_order_keeps_its_fills),
        cmocka_unit_test (test_cancel_after_target_filled_is_too_late),
        cmocka_unit_test (test_cancel_after_ioc_expired_is_too_late),
        cmocka_unit_test (test_cancel_of_unknown_order_is_too_late),
        cmocka_unit_test (test_replace_cancels_resting_target_and_places_new_order),
        cmocka_unit_test (test_replace_of_partly_filled_target_keeps_its_fills),
        cmocka_unit_test (test_replace_with_other_symbol_or_side_is_refused),
        cmocka_unit_test (test_replace_of_ended_target_is_too_late_and_places_nothing),
        cmocka_unit_test (test_fill_before_cancel_counts_and_none_after),
        cmocka_unit_test (test_cancel_made_for_a_command_names_it),
        cmocka_unit_test (test_unknown_action_is_rejected),
        cmocka_unit_test (test_restored_book_after_cancels_continues_byte_identically),
        cmocka_unit_test (test_streams_with_cancels_and_replaces_give_identical_reports),
        cmocka_unit_test (test_orders_that_break_the_instrument_rules_are_refused_and_change_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
