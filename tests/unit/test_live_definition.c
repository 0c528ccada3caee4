/*  test_live_definition: the live plane's definition names the digest of
    the venue's rules (its instrument table, ep_live_instruments_digest).
    The digest is that of the table's canonical text: the order in which
    exchangeInfo lists the symbols does not change it, one tick size that
    changes does; so does the definition's text (and its id), while the
    same settings and rules give the same text every time.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_venue_binance.h"
#include "ep_live_plane.h"

//  One symbol of exchangeInfo, with its tick size and status.
static void
s_symbol (char *out, size_t size, const char *symbol, const char *base, const char *status,
          const char *tick)
{
    snprintf (out, size,
        "{\"symbol\":\"%s\",\"status\":\"%s\",\"baseAsset\":\"%s\",\"quoteAsset\":\"USDT\","
        "\"orderTypes\":[\"LIMIT\",\"MARKET\"],\"filters\":["
        "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01000000\","
        "\"maxPrice\":\"1000000.00000000\",\"tickSize\":\"%s\"},"
        "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.00001000\",\"maxQty\":\"9000.00000000\","
        "\"stepSize\":\"0.00001000\"},"
        "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\",\"applyMinToMarket\":true,"
        "\"maxNotional\":\"9000000.00000000\",\"applyMaxToMarket\":false,"
        "\"avgPriceMins\":5}]}",
        symbol, status, base, tick);
}

//  exchangeInfo listing BTCUSDT (tick btc_tick), ETHUSDT and BNBUSDT, in
//  that order or (reversed) the other way round; its table into table.
static void
s_read (const char *btc_tick, bool reversed, ep_instruments_t *table)
{
    char symbols [3][1024];
    s_symbol (symbols [0], sizeof symbols [0], "BTCUSDT", "BTC", "TRADING", btc_tick);
    s_symbol (symbols [1], sizeof symbols [1], "ETHUSDT", "ETH", "TRADING", "0.01000000");
    s_symbol (symbols [2], sizeof symbols [2], "BNBUSDT", "BNB", "BREAK", "0.10000000");
    char body [8192];
    snprintf (body, sizeof body,
              "{\"timezone\":\"UTC\",\"serverTime\":1765000000000,\"rateLimits\":[],"
              "\"exchangeFilters\":[],\"symbols\":[%s,%s,%s]}",
              symbols [reversed ? 2 : 0], symbols [1], symbols [reversed ? 0 : 2]);
    char error [256];
    assert_int_equal (ep_binance_instruments (body, strlen (body), table, error, sizeof error), 0);
    assert_int_equal (table->count, 3);
}

static void
s_digest (const char *btc_tick, bool reversed, char digest [65])
{
    ep_instruments_t table;
    s_read (btc_tick, reversed, &table);
    assert_int_equal (ep_live_instruments_digest (&table, digest), 0);
    assert_int_equal (strlen (digest), 64);
    ep_instruments_clear (&table);
}

static void
test_the_digest_does_not_depend_on_the_order_of_the_symbols (void **state)
{
    (void) state;
    char forward [65], reversed [65];
    s_digest ("0.01000000", false, forward);
    s_digest ("0.01000000", true, reversed);
    assert_string_equal (forward, reversed);
    //  The canonical text itself: sorted by symbol, whatever the listing
    ep_instruments_t one, other;
    s_read ("0.01000000", false, &one);
    s_read ("0.01000000", true, &other);
    char *text_one = ep_instruments_format (&one);
    char *text_other = ep_instruments_format (&other);
    assert_non_null (text_one);
    assert_string_equal (text_one, text_other);
    const char *bnb = strstr (text_one, "\nBNBUSDT ");
    const char *btc = strstr (text_one, "\nBTCUSDT ");
    const char *eth = strstr (text_one, "\nETHUSDT ");
    assert_true (bnb && btc && eth && bnb < btc && btc < eth);
    assert_non_null (strstr (btc, "price=0.01:1000000:0.01"));
    free (text_one);
    free (text_other);
    ep_instruments_clear (&one);
    ep_instruments_clear (&other);
}

static void
test_the_digest_changes_when_one_tick_size_changes (void **state)
{
    (void) state;
    char before [65], after [65], again [65];
    s_digest ("0.01000000", false, before);
    s_digest ("0.10000000", false, after);
    s_digest ("0.01000000", true, again);
    assert_string_not_equal (before, after);
    assert_string_equal (before, again);
    //  An empty table has a digest too (a venue that lists no symbol)
    ep_instruments_t empty = { 0 };
    char none [65];
    assert_int_equal (ep_live_instruments_digest (&empty, none), 0);
    assert_int_equal (strlen (none), 64);
    assert_string_not_equal (none, before);
}

static void
test_the_definition_names_the_digest (void **state)
{
    (void) state;
    ep_config_t config;
    memset (&config, 0, sizeof config);
    snprintf (config.base_url, sizeof config.base_url, "https://api.binance.com");
    snprintf (config.stream_url, sizeof config.stream_url, "auto");
    config.rules_refresh_ms = 3600000;
    ep_venue_t venue = { .name = "binance", .account = "0123456789abcdef", .key_kind = "hmac" };
    char before [65], after [65];
    s_digest ("0.01000000", false, before);
    s_digest ("0.10000000", true, after);
    char *one = ep_live_definition (&config, &venue, before);
    char *same = ep_live_definition (&config, &venue, before);
    char *changed = ep_live_definition (&config, &venue, after);
    assert_non_null (one);
    assert_non_null (same);
    assert_non_null (changed);
    char line [100];
    snprintf (line, sizeof line, "\ninstruments = %s\n", before);
    assert_non_null (strstr (one, line));
    assert_non_null (strstr (one, "\nrules = the venue's (exchangeInfo), read every 3600000 ms\n"));
    assert_string_equal (one, same);
    assert_string_not_equal (one, changed);
    snprintf (line, sizeof line, "\ninstruments = %s\n", after);
    assert_non_null (strstr (changed, line));
    free (one);
    free (same);
    free (changed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_digest_does_not_depend_on_the_order_of_the_symbols),
        cmocka_unit_test (test_the_digest_changes_when_one_tick_size_changes),
        cmocka_unit_test (test_the_definition_names_the_digest),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
