/*  test_json: the JSON-lines form of intents, reports, plane state and
    stats, and the enum names it is built on. The format tests compare with
    literal text on purpose: the exact line is the contract monitors read.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_json.h"
#include "ep_names.h"

#define FULL_INTENT \
    "{\"intent_id\":\"i-1\",\"strategy_id\":\"strat.a\",\"symbol\":\"BTC-USD\"," \
    "\"side\":\"SELL\",\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"0.5\"," \
    "\"limit_price\":\"100.25\",\"ref_price\":\"99.12345678\"," \
    "\"decided_at\":1700000000123456789,\"safety\":true,\"action\":\"PLACE\"," \
    "\"target_intent_id\":\"\"}"

//  Parses line, expecting failure with exactly message; checks the intent
//  came back cleared
static void
s_expect_error (const char *line, const char *message)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [256] = "untouched";
    int rc = ep_json_intent_parse (line, &intent, err, sizeof err);
    if (rc != -1)
        fail_msg ("accepted: %s", line);
    if (strcmp (err, message) != 0)
        fail_msg ("for %s\n  got:      %s\n  expected: %s", line, err, message);
    assert_null (strchr (err, '\n'));
    assert_string_equal (intent.intent_id, "");
    assert_string_equal (intent.symbol, "");
    assert_int_equal (intent.qty_e8, 0);
    assert_int_equal (intent.side, EP_SIDE (SIDE_UNSPECIFIED));
    ep_json_intent_clear (&intent);
}

static void
test_json_parses_full_intent_field_by_field (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [256];
    assert_int_equal (ep_json_intent_parse (FULL_INTENT, &intent, err, sizeof err), 0);
    assert_string_equal (intent.intent_id, "i-1");
    assert_string_equal (intent.strategy_id, "strat.a");
    assert_string_equal (intent.symbol, "BTC-USD");
    assert_int_equal (intent.side, EP_SIDE (SELL));
    assert_int_equal (intent.type, EP_TYPE (LIMIT));
    assert_int_equal (intent.tif, EP_TIF (IOC));
    assert_int_equal (intent.qty_e8, 50000000);
    assert_int_equal (intent.limit_price_e8, 10025000000);
    assert_int_equal (intent.ref_price_e8, 9912345678);
    assert_int_equal (intent.decided_at, 1700000000123456789LL);
    assert_true (intent.safety);
    ep_json_intent_clear (&intent);
    //  Cleared back to the generated defaults
    assert_ptr_equal (intent.intent_id, protobuf_c_empty_string);
    assert_int_equal (intent.qty_e8, 0);
    assert_false (intent.safety);
}

//  ep-send's CANCEL and REPLACE lines: the action by name, PLACE by default.
static void
test_json_parses_cancel_and_replace_lines (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [256];
    assert_int_equal (ep_json_intent_parse ("{\"action\":\"CANCEL\",\"intent_id\":\"c1\","
                                            "\"strategy_id\":\"s1\",\"target_intent_id\":"
                                            "\"o1\"}", &intent, err, sizeof err), 0);
    assert_int_equal (intent.action, EP_ACTION (CANCEL));
    assert_string_equal (intent.target_intent_id, "o1");
    assert_string_equal (intent.intent_id, "c1");
    ep_json_intent_clear (&intent);
    assert_ptr_equal (intent.target_intent_id, protobuf_c_empty_string);
    assert_int_equal (intent.action, EP_ACTION (PLACE));
    assert_int_equal (ep_json_intent_parse ("{\"action\":\"REPLACE\",\"target_intent_id\":"
                                            "\"o1\",\"qty\":\"2\"}", &intent, err,
                                            sizeof err), 0);
    assert_int_equal (intent.action, EP_ACTION (REPLACE));
    ep_json_intent_clear (&intent);
    s_expect_error ("{\"action\":\"AMEND\"}",
                    "action: unknown value \"AMEND\" (expected PLACE, CANCEL or REPLACE)");
}

static void
test_json_absent_keys_keep_defaults (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [256];
    assert_int_equal (ep_json_intent_parse ("{\"qty\":\"2\"}\n", &intent, err, sizeof err), 0);
    assert_int_equal (intent.qty_e8, 200000000);
    assert_ptr_equal (intent.intent_id, protobuf_c_empty_string);
    assert_int_equal (intent.side, EP_SIDE (SIDE_UNSPECIFIED));
    assert_int_equal (intent.limit_price_e8, 0);
    ep_json_intent_clear (&intent);

    assert_int_equal (ep_json_intent_parse (" { } ", &intent, err, sizeof err), 0);
    assert_ptr_equal (intent.symbol, protobuf_c_empty_string);
    ep_json_intent_clear (&intent);
}

static void
test_json_parse_keeps_caller_values_as_owned_copies (void **state)
{
    (void) state;
    //  A caller may preset fields the line leaves out; clear must then
    //  free only copies, never the caller's own string
    static const char strategy [] = "preset";
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.strategy_id = (char *) strategy;
    intent.safety = 1;
    char err [256];
    assert_int_equal (ep_json_intent_parse ("{\"symbol\":\"ETH-USD\"}", &intent, err, sizeof err), 0);
    assert_string_equal (intent.strategy_id, "preset");
    assert_ptr_not_equal (intent.strategy_id, strategy);
    assert_string_equal (intent.symbol, "ETH-USD");
    assert_true (intent.safety);
    ep_json_intent_clear (&intent);

    //  On error the caller's string is not freed either
    intent.strategy_id = (char *) strategy;
    assert_int_equal (ep_json_intent_parse ("{\"symbol\":\"X\",\"qty\":1}", &intent, err, sizeof err), -1);
    assert_ptr_equal (intent.strategy_id, protobuf_c_empty_string);
    assert_ptr_equal (intent.symbol, protobuf_c_empty_string);
}

static void
test_json_accepts_unspecified_enum_names (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.side = EP_SIDE (BUY);
    char err [256];
    assert_int_equal (ep_json_intent_parse ("{\"side\":\"SIDE_UNSPECIFIED\",\"tif\":\"FOK\","
                                            "\"type\":\"MARKET\"}", &intent, err, sizeof err), 0);
    assert_int_equal (intent.side, EP_SIDE (SIDE_UNSPECIFIED));
    assert_int_equal (intent.tif, EP_TIF (FOK));
    assert_int_equal (intent.type, EP_TYPE (MARKET));
    ep_json_intent_clear (&intent);
}

static void
test_json_rejects_number_for_decimal (void **state)
{
    (void) state;
    s_expect_error ("{\"qty\":0.5}", "qty: must be a string such as \"0.5\", not a number");
    s_expect_error ("{\"qty\":1}", "qty: must be a string such as \"0.5\", not a number");
    s_expect_error ("{\"limit_price\":100.25}",
                    "limit_price: must be a string such as \"0.5\", not a number");
    s_expect_error ("{\"ref_price\":null}", "ref_price: must be a string such as \"0.5\", not null");
}

static void
test_json_rejects_bad_decimal_naming_key (void **state)
{
    (void) state;
    s_expect_error ("{\"qty\":\"1.123456789\"}", "qty: more than 8 decimals (\"1.123456789\")");
    s_expect_error ("{\"limit_price\":\"92233720368.54775808\"}",
                    "limit_price: too large (\"92233720368.54775808\")");
    s_expect_error ("{\"qty\":\"1e5\"}", "qty: not a decimal number (\"1e5\")");
    s_expect_error ("{\"qty\":\" 1\"}", "qty: not a decimal number (\" 1\")");
    s_expect_error ("{\"qty\":\"+1\"}", "qty: sign not allowed (\"+1\")");
    s_expect_error ("{\"qty\":\"\"}", "qty: empty (expected a decimal such as \"0.5\")");
}

static void
test_json_rejects_negative_qty_and_prices (void **state)
{
    (void) state;
    s_expect_error ("{\"qty\":\"-1\"}", "qty: must not be negative (\"-1\")");
    s_expect_error ("{\"limit_price\":\"-0.5\"}", "limit_price: must not be negative (\"-0.5\")");
    s_expect_error ("{\"ref_price\":\"-0\"}", "ref_price: must not be negative (\"-0\")");
}

static void
test_json_rejects_unknown_enum_names (void **state)
{
    (void) state;
    s_expect_error ("{\"side\":\"BUYY\"}", "side: unknown value \"BUYY\" (expected BUY or SELL)");
    s_expect_error ("{\"side\":\"buy\"}", "side: unknown value \"buy\" (expected BUY or SELL)");
    s_expect_error ("{\"type\":\"STOP\"}", "type: unknown value \"STOP\" (expected MARKET or LIMIT)");
    s_expect_error ("{\"tif\":\"DAY\"}", "tif: unknown value \"DAY\" (expected GTC, IOC or FOK)");
    //  A name from another enum is not this one's
    s_expect_error ("{\"side\":\"LIMIT\"}", "side: unknown value \"LIMIT\" (expected BUY or SELL)");
    s_expect_error ("{\"side\":1}", "side: must be a string (BUY or SELL), not a number");
}

static void
test_json_rejects_unknown_key (void **state)
{
    (void) state;
    s_expect_error ("{\"intent_id\":\"a\",\"foo\":1}", "unknown key \"foo\"");
    s_expect_error ("{\"qty_e8\":\"1\"}", "unknown key \"qty_e8\"");
    s_expect_error ("{\"Qty\":\"1\"}", "unknown key \"Qty\"");
}

static void
test_json_rejects_non_object (void **state)
{
    (void) state;
    s_expect_error ("[1,2]", "not a JSON object");
    s_expect_error ("5", "not a JSON object");
    s_expect_error ("\"qty\"", "not a JSON object");
    s_expect_error ("null", "not a JSON object");
    s_expect_error ("", "empty line (expected a JSON object)");
    s_expect_error (" \t\r\n", "empty line (expected a JSON object)");
}

static void
test_json_rejects_invalid_json (void **state)
{
    (void) state;
    s_expect_error ("{", "invalid JSON at column 1: string or '}' expected near end of file");
    s_expect_error ("{\"qty\":\"1\"} x", "invalid JSON at column 13: end of file expected near 'x'");
    s_expect_error ("{\"qty\":\"1\",\"qty\":\"2\"}",
                    "invalid JSON at column 16: duplicate object key near '\"qty\"'");
    s_expect_error ("{\"symbol\":\"a\\u0000b\"}",
                    "invalid JSON at column 20: \\u0000 is not allowed in a string");
    s_expect_error ("{\"decided_at\":99999999999999999999}",
                    "invalid JSON at column 34: too big integer near '99999999999999999999'");
}

static void
test_json_rejects_wrong_types (void **state)
{
    (void) state;
    s_expect_error ("{\"symbol\":{\"a\":\"b\"}}", "symbol: must be a string, not an object");
    s_expect_error ("{\"intent_id\":[\"a\"]}", "intent_id: must be a string, not an array");
    s_expect_error ("{\"strategy_id\":7}", "strategy_id: must be a string, not a number");
    s_expect_error ("{\"intent_id\":true}", "intent_id: must be a string, not a boolean");
    s_expect_error ("{\"qty\":{\"v\":\"1\"}}", "qty: must be a string such as \"0.5\", not an object");
    s_expect_error ("{\"decided_at\":\"17\"}", "decided_at: must be an integer, not a string");
    s_expect_error ("{\"decided_at\":1.5}",
                    "decided_at: must be an integer, not a number with a fraction or exponent");
    s_expect_error ("{\"decided_at\":1e3}",
                    "decided_at: must be an integer, not a number with a fraction or exponent");
    s_expect_error ("{\"safety\":1}", "safety: must be true or false, not a number");
    s_expect_error ("{\"safety\":\"true\"}", "safety: must be true or false, not a string");
    s_expect_error ("{\"tif\":null}", "tif: must be a string (GTC, IOC or FOK), not null");
}

static void
test_json_error_after_valid_strings_frees_them (void **state)
{
    (void) state;
    //  The strings parsed before the bad key are freed (the sanitizer
    //  build proves no leak) and the intent is back to defaults
    s_expect_error ("{\"intent_id\":\"i\",\"strategy_id\":\"s\",\"symbol\":\"x\",\"side\":\"UP\"}",
                    "side: unknown value \"UP\" (expected BUY or SELL)");
}

static void
test_json_error_quotes_value_on_one_short_line (void **state)
{
    (void) state;
    //  Control characters are escaped and long values cut
    s_expect_error ("{\"side\":\"B\\nUY\"}", "side: unknown value \"B\\u000aUY\" (expected BUY or SELL)");
    s_expect_error ("{\"qty\":\"1234567890123456789012345678901234567890123\"}",
                    "qty: too large (\"1234567890123456789012345678901234567890\"...)");
    s_expect_error ("{\"a\\\"b\":1}", "unknown key \"a\\\"b\"");
}

static void
test_json_parse_tolerates_null_err (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    assert_int_equal (ep_json_intent_parse ("{\"qty\":1}", &intent, NULL, 0), -1);
    char tiny [8];
    assert_int_equal (ep_json_intent_parse ("{\"qty\":1}", &intent, tiny, sizeof tiny), -1);
    assert_string_equal (tiny, "qty: mu");
    assert_int_equal (ep_json_intent_parse (NULL, &intent, tiny, sizeof tiny), -1);
}

static void
test_json_intent_clear_leaves_generated_defaults_alone (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    ep_json_intent_clear (&intent);
    ep_json_intent_clear (&intent);
    assert_ptr_equal (intent.symbol, protobuf_c_empty_string);
    ep_json_intent_clear (NULL);
}

static void
test_json_formats_intent_exactly (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "i-1";
    intent.strategy_id = "strat.a";
    intent.symbol = "BTC-USD";
    intent.side = EP_SIDE (SELL);
    intent.type = EP_TYPE (LIMIT);
    intent.tif = EP_TIF (IOC);
    intent.qty_e8 = 50000000;
    intent.limit_price_e8 = 10025000000;
    intent.ref_price_e8 = 9912345678;
    intent.decided_at = 1700000000123456789LL;
    intent.safety = 1;
    char *line = ep_json_intent_format (&intent);
    assert_string_equal (line, FULL_INTENT);
    free (line);
}

static void
test_json_intent_round_trips_through_format (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [256];
    assert_int_equal (ep_json_intent_parse (FULL_INTENT, &intent, err, sizeof err), 0);
    char *line = ep_json_intent_format (&intent);
    assert_string_equal (line, FULL_INTENT);
    ep_intent_t again;
    execplane__v1__order_intent__init (&again);
    assert_int_equal (ep_json_intent_parse (line, &again, err, sizeof err), 0);
    assert_string_equal (again.symbol, intent.symbol);
    assert_int_equal (again.ref_price_e8, intent.ref_price_e8);
    free (line);
    ep_json_intent_clear (&again);
    ep_json_intent_clear (&intent);
}

static void
test_json_formats_report_exactly (void **state)
{
    (void) state;
    ep_fill_t fill1, fill2;
    execplane__v1__fill__init (&fill1);
    execplane__v1__fill__init (&fill2);
    fill1.fill_id = "f-1";
    fill1.qty_e8 = 30000000;
    fill1.price_e8 = 10000000000;
    fill1.fee_e8 = 1500;
    fill1.fee_asset = "BNB";
    fill2.fill_id = "f-2";
    fill2.qty_e8 = 20000000;
    fill2.price_e8 = 10050000000;
    fill2.fee_e8 = -1;
    ep_fill_t *fills [] = { &fill1, &fill2 };

    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.seq = 42;
    report.intent_id = "i-1";
    report.strategy_id = "strat.a";
    report.symbol = "BTC-USD";
    report.side = EP_SIDE (BUY);
    report.plane = EP_PLANE (PAPER);
    report.plane_epoch = 3;
    report.status = EP_STATUS (FILLED);
    report.failure = EP_FAILURE (FAILURE_NONE);
    report.reason = "filled \"fully\"";
    report.n_fills = 2;
    report.fills = fills;
    report.filled_qty_e8 = 50000000;
    report.avg_price_e8 = 10020000000;
    report.terminal = 1;
    report.venue_order_id = "v-9";
    report.logical_ts = 1001;
    report.router_seq = 77;
    report.safety = 0;
    report.net_filled_qty_e8 = 49998500;
    report.plane_definition = "3f2a9c1b";
    char *line = ep_json_report_format (&report);
    assert_string_equal (line,
        "{\"seq\":42,\"intent_id\":\"i-1\",\"strategy_id\":\"strat.a\",\"symbol\":\"BTC-USD\","
        "\"side\":\"BUY\",\"plane\":\"PAPER\",\"plane_epoch\":3,\"status\":\"FILLED\","
        "\"failure\":\"FAILURE_NONE\",\"reason\":\"filled \\\"fully\\\"\","
        "\"fills\":[{\"fill_id\":\"f-1\",\"qty\":\"0.3\",\"price\":\"100\",\"fee\":\"0.000015\","
        "\"fee_asset\":\"BNB\",\"trade_time_ms\":0},{\"fill_id\":\"f-2\",\"qty\":\"0.2\",\"price\":\"100.5\","
        "\"fee\":\"-0.00000001\",\"fee_asset\":\"\",\"trade_time_ms\":0}],"
        "\"filled_qty\":\"0.5\",\"avg_price\":\"100.2\",\"terminal\":true,"
        "\"venue_order_id\":\"v-9\",\"logical_ts\":1001,\"router_seq\":77,\"safety\":false,\"reconciled\":false,\"first_fill\":0,\"sender_key\":\"\",\"target_intent_id\":\"\",\"net_filled_qty\":\"0.499985\",\"plane_definition\":\"3f2a9c1b\",\"intake_us\":0,\"journaled_us\":0,\"venue_time_ms\":0}");
    free (line);
}

static void
test_json_formats_default_report_with_every_key (void **state)
{
    (void) state;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    char *line = ep_json_report_format (&report);
    assert_string_equal (line,
        "{\"seq\":0,\"intent_id\":\"\",\"strategy_id\":\"\",\"symbol\":\"\","
        "\"side\":\"SIDE_UNSPECIFIED\",\"plane\":\"PLANE_UNSPECIFIED\",\"plane_epoch\":0,"
        "\"status\":\"STATUS_UNSPECIFIED\",\"failure\":\"FAILURE_NONE\",\"reason\":\"\","
        "\"fills\":[],\"filled_qty\":\"0\",\"avg_price\":\"0\",\"terminal\":false,"
        "\"venue_order_id\":\"\",\"logical_ts\":0,\"router_seq\":0,\"safety\":false,\"reconciled\":false,\"first_fill\":0,\"sender_key\":\"\",\"target_intent_id\":\"\",\"net_filled_qty\":\"0\",\"plane_definition\":\"\",\"intake_us\":0,\"journaled_us\":0,\"venue_time_ms\":0}");
    free (line);
}

static void
test_json_formats_unknown_enum_as_number (void **state)
{
    (void) state;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.side = (Execplane__V1__Side) 9;
    report.plane = (Execplane__V1__Plane) 3;
    report.status = (Execplane__V1__Status) 42;
    report.failure = (Execplane__V1__Failure) 99;
    report.intent_id = "i-1";
    report.status = (Execplane__V1__Status) 42;
    char *line = ep_json_report_format (&report);
    assert_string_equal (line,
        "{\"seq\":0,\"intent_id\":\"i-1\",\"strategy_id\":\"\",\"symbol\":\"\","
        "\"side\":9,\"plane\":3,\"plane_epoch\":0,\"status\":42,\"failure\":99,\"reason\":\"\","
        "\"fills\":[],\"filled_qty\":\"0\",\"avg_price\":\"0\",\"terminal\":false,"
        "\"venue_order_id\":\"\",\"logical_ts\":0,\"router_seq\":0,\"safety\":false,\"reconciled\":false,\"first_fill\":0,\"sender_key\":\"\",\"target_intent_id\":\"\",\"net_filled_qty\":\"0\",\"plane_definition\":\"\",\"intake_us\":0,\"journaled_us\":0,\"venue_time_ms\":0}");
    free (line);
}

static void
test_json_formats_extreme_numbers_exactly (void **state)
{
    (void) state;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.seq = INT64_MAX;
    report.plane_epoch = (uint64_t) INT64_MAX + 1;
    report.logical_ts = UINT64_MAX;
    report.filled_qty_e8 = INT64_MIN;
    report.avg_price_e8 = INT64_MAX;
    char *line = ep_json_report_format (&report);
    //  Past INT64_MAX, exact digits in a string rather than a wrapped number
    assert_string_equal (line,
        "{\"seq\":9223372036854775807,\"intent_id\":\"\",\"strategy_id\":\"\",\"symbol\":\"\","
        "\"side\":\"SIDE_UNSPECIFIED\",\"plane\":\"PLANE_UNSPECIFIED\","
        "\"plane_epoch\":\"9223372036854775808\",\"status\":\"STATUS_UNSPECIFIED\","
        "\"failure\":\"FAILURE_NONE\",\"reason\":\"\",\"fills\":[],"
        "\"filled_qty\":\"-92233720368.54775808\",\"avg_price\":\"92233720368.54775807\","
        "\"terminal\":false,\"venue_order_id\":\"\",\"logical_ts\":\"18446744073709551615\","
        "\"router_seq\":0,\"safety\":false,\"reconciled\":false,\"first_fill\":0,\"sender_key\":\"\",\"target_intent_id\":\"\",\"net_filled_qty\":\"0\",\"plane_definition\":\"\",\"intake_us\":0,\"journaled_us\":0,\"venue_time_ms\":0}");
    free (line);
}

static void
test_json_formats_invalid_utf8_with_replacement (void **state)
{
    (void) state;
    //  A venue's reason need not be UTF-8; the report is still written
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.reason = "bad \xff byte, ok \xc3\xa9, overlong \xc0\xaf, cut \xe2\x82";
    char *line = ep_json_report_format (&report);
    assert_non_null (line);
    assert_non_null (strstr (line,
        "\"reason\":\"bad \xef\xbf\xbd byte, ok \xc3\xa9, overlong \xef\xbf\xbd\xef\xbf\xbd,"
        " cut \xef\xbf\xbd\xef\xbf\xbd\","));
    free (line);
}

static void
test_json_formats_plane_state_exactly (void **state)
{
    (void) state;
    ep_plane_state_t plane_state;
    execplane__v1__plane_state__init (&plane_state);
    plane_state.plane = EP_PLANE (LIVE);
    plane_state.epoch = 5;
    plane_state.halted = 1;
    plane_state.issued_by = "ops";
    plane_state.reason = "drawdown";
    plane_state.changed_at_seq = 120;
    plane_state.paper_alive = 1;
    plane_state.live_alive = 0;
    plane_state.last_seq = 130;
    plane_state.last_command_epoch = 4;
    plane_state.last_command_issued_by = "meta";
    plane_state.last_command_applied = 0;
    plane_state.last_command_outcome = "stale epoch";
    plane_state.orphans_found = 2;
    plane_state.last_orphan = "epX BTCUSDT BUY 1";
    plane_state.paper_definition = "aa01";
    plane_state.live_definition = "";
    plane_state.paper_definition_problem = "";
    plane_state.live_definition_problem = "live definition bb02 is not approved";
    char *line = ep_json_plane_state_format (&plane_state);
    assert_string_equal (line,
        "{\"plane\":\"LIVE\",\"epoch\":5,\"halted\":true,\"issued_by\":\"ops\","
        "\"reason\":\"drawdown\",\"changed_at_seq\":120,\"paper_alive\":true,"
        "\"live_alive\":false,\"last_seq\":130,\"last_command_epoch\":4,"
        "\"last_command_issued_by\":\"meta\",\"last_command_applied\":false,"
        "\"last_command_outcome\":\"stale epoch\",\"orphans_found\":2,"
        "\"last_orphan\":\"epX BTCUSDT BUY 1\",\"paper_definition\":\"aa01\","
        "\"live_definition\":\"\",\"paper_definition_problem\":\"\","
        "\"live_definition_problem\":\"live definition bb02 is not approved\"}");
    free (line);

    plane_state.plane = (Execplane__V1__Plane) 7;
    line = ep_json_plane_state_format (&plane_state);
    assert_true (strncmp (line, "{\"plane\":7,\"epoch\":5,", 21) == 0);
    free (line);
}

static void
test_json_formats_stats_exactly (void **state)
{
    (void) state;
    ep_stats_t stats;
    execplane__v1__stats__init (&stats);
    stats.intake_messages = 1;
    stats.malformed = 2;
    stats.accepted = 3;
    stats.rejected = 4;
    stats.reports = 5;
    stats.late_reports = 6;
    stats.fenced_reports = 7;
    stats.in_flight_paper = 8;
    stats.in_flight_live = 9;
    stats.last_seq = 10;
    stats.last_router_seq = 11;
    stats.unauthorized = 12;
    stats.fill_gaps = 13;
    stats.chain_row = 14;
    stats.chain_head = "0123456789abcdef";
    char *line = ep_json_stats_format (&stats);
    assert_string_equal (line,
        "{\"intake_messages\":1,\"malformed\":2,\"accepted\":3,\"rejected\":4,"
        "\"reports\":5,\"late_reports\":6,\"fenced_reports\":7,\"in_flight_paper\":8,"
        "\"in_flight_live\":9,\"last_seq\":10,\"last_router_seq\":11,\"unauthorized\":12,"
        "\"fill_gaps\":13,\"chain_row\":14,\"chain_head\":\"0123456789abcdef\"}");
    free (line);
}

static void
test_json_formats_plane_definition_exactly (void **state)
{
    (void) state;
    ep_json_definition_t definition;
    execplane__v1__plane_definition__init (&definition);
    char *line = ep_json_definition_format (&definition);
    assert_string_equal (line,
        "{\"id\":\"\",\"plane\":\"PLANE_UNSPECIFIED\",\"text\":\"\",\"description\":\"\","
        "\"seen_at_seq\":0,\"approved\":false,\"revoked\":false,\"decided_by\":\"\","
        "\"decision_reason\":\"\",\"decided_at_seq\":0}");
    free (line);

    definition.id = "3f2a9c1b0d4e";
    definition.plane = EP_PLANE (LIVE);
    definition.text = "plane = live\nbase_url = http://127.0.0.1:1\n";
    definition.description = "the fake venue";
    definition.seen_at_seq = 12;
    definition.approved = 0;
    definition.revoked = 1;
    definition.decided_by = "ep-meta:ops@host:1";
    definition.decision_reason = "moved to \"production\"";
    definition.decided_at_seq = (uint64_t) INT64_MAX + 1;
    line = ep_json_definition_format (&definition);
    assert_string_equal (line,
        "{\"id\":\"3f2a9c1b0d4e\",\"plane\":\"LIVE\","
        "\"text\":\"plane = live\\nbase_url = http://127.0.0.1:1\\n\","
        "\"description\":\"the fake venue\",\"seen_at_seq\":12,\"approved\":false,"
        "\"revoked\":true,\"decided_by\":\"ep-meta:ops@host:1\","
        "\"decision_reason\":\"moved to \\\"production\\\"\","
        "\"decided_at_seq\":\"9223372036854775808\"}");
    free (line);
}

//  Every value of one generated enum has our name for it, and back
static void
s_check_enum (const ProtobufCEnumDescriptor *descriptor,
              const char *(*name) (int), int (*parse) (const char *))
{
    for (unsigned i = 0; i < descriptor->n_values; i++) {
        const ProtobufCEnumValue *value = &descriptor->values [i];
        const char *ours = name (value->value);
        if (!ours || strcmp (ours, value->name) != 0)
            fail_msg ("%s %d: ours %s, proto %s", descriptor->name,
                      value->value, ours ? ours : "NULL", value->name);
        assert_int_equal (parse (value->name), value->value);
    }
    assert_null (name ((int) descriptor->n_values));
    assert_null (name (-1));
}

static void
test_names_match_every_proto_enum_value (void **state)
{
    (void) state;
    s_check_enum (&execplane__v1__side__descriptor, ep_side_name, ep_side_parse);
    s_check_enum (&execplane__v1__order_type__descriptor, ep_type_name, ep_type_parse);
    s_check_enum (&execplane__v1__time_in_force__descriptor, ep_tif_name, ep_tif_parse);
    s_check_enum (&execplane__v1__plane__descriptor, ep_plane_name, ep_plane_parse);
    s_check_enum (&execplane__v1__status__descriptor, ep_status_name, ep_status_parse);
    s_check_enum (&execplane__v1__failure__descriptor, ep_failure_name, ep_failure_parse);
    s_check_enum (&execplane__v1__command_kind__descriptor, ep_command_name, ep_command_parse);
    s_check_enum (&execplane__v1__action__descriptor, ep_action_name, ep_action_parse);
    assert_string_equal (ep_command_name (EP_COMMAND (HALT)), "HALT");
    assert_string_equal (ep_failure_name (EP_FAILURE (FAILURE_NONE)), "FAILURE_NONE");
    assert_int_equal (EP_STATUS_COUNT, execplane__v1__status__descriptor.n_values);
    assert_int_equal (EP_FAILURE_COUNT, execplane__v1__failure__descriptor.n_values);
}

static void
test_names_parse_only_exact_names (void **state)
{
    (void) state;
    assert_int_equal (ep_side_parse ("BUY"), EP_SIDE (BUY));
    assert_int_equal (ep_side_parse ("buy"), -1);
    assert_int_equal (ep_side_parse ("BUY "), -1);
    assert_int_equal (ep_side_parse (""), -1);
    assert_int_equal (ep_side_parse (NULL), -1);
    assert_int_equal (ep_side_parse ("LIMIT"), -1);
    assert_int_equal (ep_command_parse ("RESUME"), EP_COMMAND (RESUME));
    assert_int_equal (ep_status_parse ("PARTIALLY_FILLED"), EP_STATUS (PARTIALLY_FILLED));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_json_parses_full_intent_field_by_field),
        cmocka_unit_test (test_json_parses_cancel_and_replace_lines),
        cmocka_unit_test (test_json_absent_keys_keep_defaults),
        cmocka_unit_test (test_json_parse_keeps_caller_values_as_owned_copies),
        cmocka_unit_test (test_json_accepts_unspecified_enum_names),
        cmocka_unit_test (test_json_rejects_number_for_decimal),
        cmocka_unit_test (test_json_rejects_bad_decimal_naming_key),
        cmocka_unit_test (test_json_rejects_negative_qty_and_prices),
        cmocka_unit_test (test_json_rejects_unknown_enum_names),
        cmocka_unit_test (test_json_rejects_unknown_key),
        cmocka_unit_test (test_json_rejects_non_object),
        cmocka_unit_test (test_json_rejects_invalid_json),
        cmocka_unit_test (test_json_rejects_wrong_types),
        cmocka_unit_test (test_json_error_after_valid_strings_frees_them),
        cmocka_unit_test (test_json_error_quotes_value_on_one_short_line),
        cmocka_unit_test (test_json_parse_tolerates_null_err),
        cmocka_unit_test (test_json_intent_clear_leaves_generated_defaults_alone),
        cmocka_unit_test (test_json_formats_intent_exactly),
        cmocka_unit_test (test_json_intent_round_trips_through_format),
        cmocka_unit_test (test_json_formats_report_exactly),
        cmocka_unit_test (test_json_formats_default_report_with_every_key),
        cmocka_unit_test (test_json_formats_unknown_enum_as_number),
        cmocka_unit_test (test_json_formats_extreme_numbers_exactly),
        cmocka_unit_test (test_json_formats_invalid_utf8_with_replacement),
        cmocka_unit_test (test_json_formats_plane_state_exactly),
        cmocka_unit_test (test_json_formats_stats_exactly),
        cmocka_unit_test (test_json_formats_plane_definition_exactly),
        cmocka_unit_test (test_names_match_every_proto_enum_value),
        cmocka_unit_test (test_names_parse_only_exact_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
