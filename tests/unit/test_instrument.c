/*  test_instrument: the venue's trading rules, checked as filters.md states
    them (its own example values), each refusal naming the rule and the
    values and never rounding; the table's text form reads back what it
    wrote, and a bad line is refused with its number.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "ep_instrument.h"

#define E8(x) ((int64_t) (x) * 100000000)     //  whole numbers only

//  filters.md's example values: PRICE_FILTER 0.000001 / 100000 / 0.000001,
//  LOT_SIZE 0.001 / 100000 / 0.001, NOTIONAL 10 / 10000 (not on MARKET),
//  PERCENT_PRICE_BY_SIDE bid 1.2 / 0.2, ask 5 / 0.8; a MARKET_LOT_SIZE of
//  0 / 1000 / 0.
static ep_instrument_t
s_example (void)
{
    ep_instrument_t instrument = {
        .symbol = "BTCUSDT", .trading = true, .market = true, .limit = true,
        .price = { 100, E8 (100000), 100 },
        .lot = { 100000, E8 (100000), 100000 },
        .market_lot = { 0, E8 (1000), 0 },
        .min_notional_e8 = E8 (10), .max_notional_e8 = E8 (10000),
        .bid_up_e8 = 120000000, .bid_down_e8 = 20000000,
        .ask_up_e8 = E8 (5), .ask_down_e8 = 80000000,
    };
    return instrument;
}

static ep_intent_t
s_limit (int side, int64_t qty_e8, int64_t price_e8, int64_t ref_e8)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "i-1";
    intent.strategy_id = "s";
    intent.symbol = "BTCUSDT";
    intent.side = side;
    intent.type = EP_TYPE (LIMIT);
    intent.tif = EP_TIF (GTC);
    intent.qty_e8 = qty_e8;
    intent.limit_price_e8 = price_e8;
    intent.ref_price_e8 = ref_e8;
    return intent;
}

//  Checks intent; returns the reason it was refused, or "" if it passed.
static const char *
s_refusal (const ep_instrument_t *instrument, const ep_intent_t *intent)
{
    static char reason [256];
    strcpy (reason, "");
    bool passed = ep_instrument_check (instrument, intent, reason, sizeof reason);
    assert_true (passed == (reason [0] == '\0'));
    return reason;
}

static void
test_an_order_within_every_rule_passes (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    ep_intent_t intent = s_limit (EP_SIDE (BUY), 50000000, E8 (100), E8 (100));
    assert_string_equal (s_refusal (&example, &intent), "");
}

static void
test_price_filter (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    ep_intent_t intent = s_limit (EP_SIDE (BUY), E8 (1), 50, 0);
    assert_string_equal (s_refusal (&example, &intent),
                         "PRICE_FILTER: price 0.0000005 is below its minimum 0.000001");
    intent.limit_price_e8 = 10000000000100;
    assert_string_equal (s_refusal (&example, &intent),
                         "PRICE_FILTER: price 100000.000001 is above its maximum 100000");
    intent.limit_price_e8 = E8 (20) + 50;
    assert_string_equal (s_refusal (&example, &intent),
                         "PRICE_FILTER: price 20.0000005 is not a multiple of tickSize "
                         "0.000001 (nothing is rounded)");
    //  "Any of the above variables can be set to 0, which disables that rule"
    example.price = (ep_instrument_range_t) { 0, 0, 0 };
    assert_string_equal (s_refusal (&example, &intent), "");
}

static void
test_lot_size_and_market_lot_size (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    ep_intent_t intent = s_limit (EP_SIDE (BUY), 50000, E8 (100000), 0);
    assert_string_equal (s_refusal (&example, &intent),
                         "LOT_SIZE: qty 0.0005 is below its minimum 0.001");
    intent.qty_e8 = 150000;
    assert_string_equal (s_refusal (&example, &intent),
                         "LOT_SIZE: qty 0.0015 is not a multiple of stepSize 0.001 "
                         "(nothing is rounded)");
    //  MARKET_LOT_SIZE binds MARKET orders only
    intent.qty_e8 = E8 (2000);
    intent.limit_price_e8 = E8 (1);
    assert_string_equal (s_refusal (&example, &intent), "");
    intent.type = EP_TYPE (MARKET);
    intent.tif = EP_TIF (IOC);
    intent.limit_price_e8 = 0;
    assert_string_equal (s_refusal (&example, &intent),
                         "MARKET_LOT_SIZE: qty 2000 is above its maximum 1000");
}

static void
test_notional (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    ep_intent_t intent = s_limit (EP_SIDE (BUY), 9000000, E8 (100), E8 (100));
    assert_string_equal (s_refusal (&example, &intent),
                         "NOTIONAL: price x qty 9 is below minNotional 10");
    intent.qty_e8 = 10000100000;
    assert_string_equal (s_refusal (&example, &intent),
                         "NOTIONAL: price x qty 10000.1 is above maxNotional 10000");
    //  applyMinToMarket / applyMaxToMarket false: a MARKET order passes,
    //  true: it is checked at its ref_price
    intent.type = EP_TYPE (MARKET);
    intent.tif = EP_TIF (IOC);
    intent.limit_price_e8 = 0;
    intent.qty_e8 = 9000000;
    assert_string_equal (s_refusal (&example, &intent), "");
    example.min_notional_market = true;
    assert_string_equal (s_refusal (&example, &intent),
                         "NOTIONAL: price x qty 9 is below minNotional 10");
    intent.ref_price_e8 = 0;            //  no reference: the venue's to judge
    assert_string_equal (s_refusal (&example, &intent), "");
}

static void
test_percent_price_by_side (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    //  A BUY within [ref x 0.2, ref x 1.2], a SELL within [ref x 0.8, ref x 5]
    ep_intent_t buy = s_limit (EP_SIDE (BUY), E8 (1), E8 (120), E8 (100));
    assert_string_equal (s_refusal (&example, &buy), "");
    buy.limit_price_e8 = 12000000100;
    assert_string_equal (s_refusal (&example, &buy),
                         "PERCENT_PRICE_BY_SIDE: BUY price 120.000001 is above 100 x 1.2 "
                         "(ref_price x bidMultiplierUp)");
    ep_intent_t sell = s_limit (EP_SIDE (SELL), E8 (1), 7999999900, E8 (100));
    assert_string_equal (s_refusal (&example, &sell),
                         "PERCENT_PRICE_BY_SIDE: SELL price 79.999999 is below 100 x 0.8 "
                         "(ref_price x askMultiplierDown)");
    sell.limit_price_e8 = E8 (500);
    assert_string_equal (s_refusal (&example, &sell), "");
}

static void
test_status_and_order_types (void **state)
{
    (void) state;
    ep_instrument_t example = s_example ();
    ep_intent_t intent = s_limit (EP_SIDE (BUY), E8 (1), E8 (100), E8 (100));
    example.limit = false;
    assert_string_equal (s_refusal (&example, &intent),
                         "symbol BTCUSDT does not accept LIMIT orders");
    example.trading = false;
    assert_string_equal (s_refusal (&example, &intent), "symbol BTCUSDT is not trading");
}

static void
test_table_refuses_an_unknown_symbol_unless_empty (void **state)
{
    (void) state;
    ep_instruments_t table = { 0 };
    ep_intent_t intent = s_limit (EP_SIDE (BUY), E8 (1), E8 (100), E8 (100));
    intent.symbol = "NOTACOIN";
    char reason [256] = "";
    assert_true (ep_instruments_check (&table, &intent, reason, sizeof reason));
    ep_instrument_t example = s_example ();
    assert_int_equal (ep_instruments_put (&table, &example), 0);
    assert_false (ep_instruments_check (&table, &intent, reason, sizeof reason));
    assert_string_equal (reason, "symbol NOTACOIN is not in the instrument table");
    intent.symbol = "BTCUSDT";
    assert_true (ep_instruments_check (&table, &intent, reason, sizeof reason));
    ep_instruments_clear (&table);
}

static void
test_text_form_reads_back_what_it_wrote (void **state)
{
    (void) state;
    ep_instruments_t table = { 0 };
    ep_instrument_t example = s_example ();
    ep_instrument_t other = s_example ();
    strcpy (other.symbol, "ETHUSDT");
    strcpy (other.base, "ETH");
    strcpy (other.quote, "USDT");
    other.market = false;
    other.trading = false;
    other.max_notional_market = true;
    assert_int_equal (ep_instruments_put (&table, &example), 0);
    assert_int_equal (ep_instruments_put (&table, &other), 0);
    char *text = ep_instruments_format (&table);
    assert_non_null (text);
    assert_non_null (strstr (text, "BTCUSDT status=TRADING types=LIMIT,MARKET "
                                   "price=0.000001:100000:0.000001 lot=0.001:100000:0.001 "
                                   "market_lot=0:1000:0 notional=10:10000:0:0 "
                                   "percent=1.2:0.2:5:0.8\n"));
    assert_non_null (strstr (text, "percent=1.2:0.2:5:0.8 base=ETH quote=USDT\n"));
    ep_instruments_t read = { 0 };
    char error [256] = "";
    assert_int_equal (ep_instruments_parse (&read, text, strlen (text), error, sizeof error), 0);
    assert_int_equal (read.count, 2);
    assert_memory_equal (read.items, table.items, 2 * sizeof *table.items);
    free (text);
    ep_instruments_clear (&read);
    ep_instruments_clear (&table);
}

static void
test_bad_lines_are_refused_with_their_number (void **state)
{
    (void) state;
    const char *cases [][2] = {
        { "# ok\nBTCUSDT status=TRADING lot=0.001:1:0.001x\n",
          "line 2: BTCUSDT: cannot read lot=0.001:1:0.001x" },
        { "BTCUSDT types=LIMIT,STOP_LOSS\n", "line 1: BTCUSDT: cannot read types=LIMIT,STOP_LOSS" },
        { "BTCUSDT price=1:2\n", "line 1: BTCUSDT: cannot read price=1:2" },
        { "BTCUSDT colour=blue\n", "line 1: BTCUSDT: cannot read colour=blue" },
        { "BTCUSDT notional=1:2:3:0\n", "line 1: BTCUSDT: cannot read notional=1:2:3:0" },
        { "BTCUSDT status=TRADING\n\nBTCUSDT status=TRADING\n", "line 3: BTCUSDT is listed twice" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 status=TRADING\n",
          "line 1: a symbol longer than 31 characters" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        ep_instruments_t table = { 0 };
        char error [256] = "";
        assert_int_equal (ep_instruments_parse (&table, cases [index][0],
                                                strlen (cases [index][0]), error, sizeof error), -1);
        assert_string_equal (error, cases [index][1]);
        assert_int_equal (table.count, 0);
        assert_null (table.items);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_an_order_within_every_rule_passes),
        cmocka_unit_test (test_price_filter),
        cmocka_unit_test (test_lot_size_and_market_lot_size),
        cmocka_unit_test (test_notional),
        cmocka_unit_test (test_percent_price_by_side),
        cmocka_unit_test (test_status_and_order_types),
        cmocka_unit_test (test_table_refuses_an_unknown_symbol_unless_empty),
        cmocka_unit_test (test_text_form_reads_back_what_it_wrote),
        cmocka_unit_test (test_bad_lines_are_refused_with_their_number),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
