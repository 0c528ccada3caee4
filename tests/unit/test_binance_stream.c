/*  test_binance_stream: Binance's user data stream as the adapter speaks
    it: where it is, session.logon signed with the Ed25519 key as the
    documentation says (checked against RFC 8032's key 1), and what each
    kind of frame is read as, the documentation's examples included.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "ep_venue_binance.h"
#include "test_ed25519_pem.h"

#define S_KEY       "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"

//  A venue at base_url with RFC 8032's key 1 (or an HMAC secret if !ed25519).
static ep_venue_t *
s_venue (const char *base_url, const char *stream_url, bool ed25519)
{
    char pem [256], err [256] = "";
    test_pem_of_seed (TEST_SEED_1, pem, sizeof pem);
    ep_binance_config_t config = {
        .base_url = base_url, .api_key = S_KEY, .stream_url = stream_url,
        .api_secret = ed25519 ? NULL : "an-hmac-secret-0123456789",
        .private_key_pem = ed25519 ? pem : NULL, .private_key_pem_size = strlen (pem),
        .recv_window_ms = 5000, .connect_timeout_ms = 1000, .timeout_ms = 15000
    };
    ep_venue_t *venue = ep_venue_binance_new (&config, err, sizeof err);
    assert_non_null (venue);
    return venue;
}

static void
test_stream_url_follows_the_base_url_and_the_key (void **state)
{
    (void) state;
    char err [256] = "";
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    assert_string_equal (venue->stream_url (venue, err, sizeof err),
                         "wss://ws-api.testnet.binance.vision/ws-api/v3");
    ep_venue_destroy (&venue);
    venue = s_venue ("https://api.binance.com/", "auto", true);
    assert_string_equal (venue->stream_url (venue, err, sizeof err),
                         "wss://ws-api.binance.com:443/ws-api/v3");
    ep_venue_destroy (&venue);
    venue = s_venue ("http://127.0.0.1:9", "auto", true);
    assert_null (venue->stream_url (venue, err, sizeof err));
    assert_non_null (strstr (err, "set live/stream_url"));
    ep_venue_destroy (&venue);
    venue = s_venue ("http://127.0.0.1:9", "ws://127.0.0.1:10/ws-api/v3", true);
    assert_string_equal (venue->stream_url (venue, err, sizeof err),
                         "ws://127.0.0.1:10/ws-api/v3");
    ep_venue_destroy (&venue);
    venue = s_venue ("https://testnet.binance.vision", "off", true);
    assert_null (venue->stream_url (venue, err, sizeof err));
    assert_non_null (strstr (err, "off"));
    ep_venue_destroy (&venue);
    //  session.logon takes only an Ed25519 key
    venue = s_venue ("https://testnet.binance.vision", "auto", false);
    assert_null (venue->stream_url (venue, err, sizeof err));
    assert_non_null (strstr (err, "needs an Ed25519 API key"));
    ep_venue_destroy (&venue);
}

//  session.logon: apiKey and timestamp, signed as "apiKey=...&timestamp=..."
//  (the parameters sorted by name), the signature base64 and verifiable
//  under the key's public half; then userDataStream.subscribe.
static void
test_logon_is_signed_as_the_documentation_says (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    char text [1024];
    assert_int_equal (venue->stream_request (venue, 0, 1649729878532, "logon-1", text,
                                             sizeof text), 0);
    json_t *json = json_loads (text, 0, NULL);
    assert_non_null (json);
    assert_string_equal (json_string_value (json_object_get (json, "id")), "logon-1");
    assert_string_equal (json_string_value (json_object_get (json, "method")), "session.logon");
    json_t *params = json_object_get (json, "params");
    assert_string_equal (json_string_value (json_object_get (params, "apiKey")), S_KEY);
    assert_int_equal (json_integer_value (json_object_get (params, "timestamp")), 1649729878532);
    const char *signature = json_string_value (json_object_get (params, "signature"));
    assert_non_null (signature);
    unsigned char raw [64], public_key [32];
    size_t raw_size = 0;
    assert_int_equal (sodium_base642bin (raw, sizeof raw, signature, strlen (signature), NULL,
                                         &raw_size, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal (raw_size, 64);
    assert_int_equal (sodium_hex2bin (public_key, 32, TEST_PUBLIC_1, 64, NULL, NULL, NULL), 0);
    const char *payload = "apiKey=" S_KEY "&timestamp=1649729878532";
    assert_int_equal (crypto_sign_verify_detached (raw, (const unsigned char *) payload,
                                                   strlen (payload), public_key), 0);
    json_decref (json);
    assert_int_equal (venue->stream_request (venue, 1, 0, "subscribe-2", text, sizeof text), 0);
    assert_string_equal (text, "{\"id\":\"subscribe-2\",\"method\":\"userDataStream.subscribe\"}");
    assert_int_equal (venue->stream_request (venue, 0, 1, "logon-3", text, 64), -1);
    ep_venue_destroy (&venue);
}

//  Reads text (copied: reading may scrub it) into event.
static void
s_read (ep_venue_t *venue, const char *text, ep_venue_stream_event_t *event)
{
    char *copy = strdup (text);
    memset (event, 0, sizeof *event);
    venue->stream_read (venue, copy, event);
    free (copy);
}

//  user-data-stream.md's executionReport, as a trade
static const char *s_trade =
    "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1499405658658,"
    "\"s\":\"ETHBTC\",\"c\":\"mUvoqJxFIILMdfAW5iGSOW\",\"S\":\"BUY\",\"o\":\"LIMIT\","
    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"0.10264410\",\"P\":\"0.00000000\","
    "\"F\":\"0.00000000\",\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\","
    "\"r\":\"NONE\",\"i\":4293153,\"l\":\"0.25000000\",\"z\":\"0.75000000\","
    "\"L\":\"0.10264410\",\"n\":\"0.00002500\",\"N\":\"BNB\",\"T\":1499405658657,\"t\":77,"
    "\"I\":8641984,\"w\":true,\"m\":false,\"M\":false,\"O\":1499405658657,"
    "\"Z\":\"0.07698307\",\"Y\":\"0.02566102\",\"Q\":\"0.00000000\",\"W\":1499405658657,"
    "\"V\":\"NONE\"}}";

static void
test_a_trade_is_read_with_its_fee (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    s_read (venue, s_trade, &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ORDER);
    assert_int_equal (event.event_time_ms, 1499405658658);
    assert_true (event.trade);
    assert_string_equal (event.order.echoed_client_id, "mUvoqJxFIILMdfAW5iGSOW");
    assert_string_equal (event.order.venue_order_id, "4293153");
    assert_string_equal (event.order.venue_status, "PARTIALLY_FILLED");
    assert_int_equal (event.order.status, EP_STATUS (PARTIALLY_FILLED));
    assert_false (event.order.terminal);
    assert_int_equal (event.order.orig_qty_e8, 100000000);
    assert_int_equal (event.order.executed_qty_e8, 75000000);
    assert_int_equal (event.order.cum_quote_e8, 7698307);
    assert_int_equal (event.order.fill_count, 1);
    assert_int_equal (event.order.fills [0].qty_e8, 25000000);
    assert_int_equal (event.order.fills [0].price_e8, 10264410);
    assert_int_equal (event.order.fills [0].fee_e8, 2500);
    assert_string_equal (event.order.fills [0].fee_asset, "BNB");
    assert_string_equal (event.order.fills [0].trade_id, "77");
    ep_venue_stream_event_reset (&event);
    ep_venue_destroy (&venue);
}

//  A cancel's report names the cancel's own id in c and the order in C; a
//  report that is not a trade has no fill, and N may be null
static void
test_a_cancel_names_the_order_canceled (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    s_read (venue, "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":5,"
                   "\"c\":\"cancel-1\",\"C\":\"order-1\",\"x\":\"CANCELED\",\"X\":\"CANCELED\","
                   "\"i\":9,\"q\":\"2\",\"z\":\"0.5\",\"Z\":\"100\",\"l\":\"0\",\"L\":\"0\","
                   "\"n\":\"0\",\"N\":null,\"t\":-1}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ORDER);
    assert_false (event.trade);
    assert_int_equal (event.order.fill_count, 0);
    assert_string_equal (event.order.echoed_client_id, "cancel-1");
    assert_string_equal (event.orig_client_order_id, "order-1");
    assert_int_equal (event.order.status, EP_STATUS (CANCELED));
    assert_true (event.order.terminal);
    assert_int_equal (event.order.avg_price_e8, 20000000000);
    ep_venue_stream_event_reset (&event);
    ep_venue_destroy (&venue);
}

//  A report with a figure missing, or beyond the order, is not read as
//  one: it says what is wrong and which order it was about
static void
test_a_report_not_whole_is_not_an_order_event (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    s_read (venue, "{\"event\":{\"e\":\"executionReport\",\"c\":\"order-1\",\"x\":\"TRADE\","
                   "\"X\":\"FILLED\",\"i\":9,\"q\":\"2\",\"Z\":\"100\"}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_OTHER);
    assert_non_null (strstr (event.problem, "executionReport: z missing or malformed"));
    assert_string_equal (event.order.echoed_client_id, "order-1");
    ep_venue_stream_event_reset (&event);
    s_read (venue, "{\"event\":{\"e\":\"executionReport\",\"c\":\"order-1\",\"x\":\"TRADE\","
                   "\"X\":\"FILLED\",\"i\":9,\"q\":\"2\",\"z\":\"3\",\"Z\":\"100\"}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_OTHER);
    assert_non_null (strstr (event.problem, "beyond the order"));
    ep_venue_stream_event_reset (&event);
    //  A trade without its trade id
    s_read (venue, "{\"event\":{\"e\":\"executionReport\",\"c\":\"o\",\"x\":\"TRADE\","
                   "\"X\":\"FILLED\",\"i\":9,\"q\":\"2\",\"z\":\"2\",\"Z\":\"100\","
                   "\"l\":\"2\",\"L\":\"50\",\"n\":\"0\",\"N\":\"USDT\"}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_OTHER);
    assert_non_null (strstr (event.problem, "t missing"));
    assert_int_equal (event.order.fill_count, 0);
    ep_venue_stream_event_reset (&event);
    ep_venue_destroy (&venue);
}

//  user-data-stream.md's outboundAccountPosition
static void
test_balances_are_read (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    s_read (venue, "{\"subscriptionId\":0,\"event\":{\"e\":\"outboundAccountPosition\","
                   "\"E\":1564034571105,\"u\":1564034571073,\"B\":[{\"a\":\"ETH\","
                   "\"f\":\"10000.000000\",\"l\":\"0.000000\"},{\"a\":\"USDT\","
                   "\"f\":\"10580.00000000\",\"l\":\"70.00000000\"}]}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ACCOUNT);
    assert_int_equal (event.balance_count, 2);
    assert_string_equal (event.balances [0].asset, "ETH");
    assert_int_equal (event.balances [0].free_e8, 1000000000000);
    assert_int_equal (event.balances [1].locked_e8, 7000000000);
    ep_venue_stream_event_reset (&event);
    ep_venue_destroy (&venue);
}

//  Answers: success, a refusal with its code and words; the logon's answer
//  echoes the key, which reading scrubs from the text itself
static void
test_answers_are_read_and_the_key_scrubbed (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    char text [] = "{\"id\":\"logon-1\",\"status\":200,\"result\":{\"apiKey\":\"" S_KEY "\","
                   "\"authorizedSince\":1649729878532,\"userDataStream\":false}}";
    memset (&event, 0, sizeof event);
    venue->stream_read (venue, text, &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ANSWER);
    assert_true (event.ok);
    assert_string_equal (event.request_id, "logon-1");
    assert_null (strstr (text, S_KEY));
    ep_venue_stream_event_reset (&event);
    s_read (venue, "{\"id\":\"logon-2\",\"status\":400,\"error\":{\"code\":-1022,"
                   "\"msg\":\"Signature for this request is not valid.\"}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ANSWER);
    assert_false (event.ok);
    assert_non_null (strstr (event.problem, "code -1022: Signature for this request"));
    ep_venue_stream_event_reset (&event);
    ep_venue_destroy (&venue);
}

static void
test_the_venue_ending_the_stream_is_read (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ("https://testnet.binance.vision", "auto", true);
    ep_venue_stream_event_t event;
    s_read (venue, "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\","
                   "\"E\":1728973001334}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ENDED);
    assert_non_null (strstr (event.problem, "eventStreamTerminated"));
    s_read (venue, "{\"event\":{\"e\":\"serverShutdown\",\"E\":1770123456789}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_ENDED);
    s_read (venue, "{\"event\":{\"e\":\"balanceUpdate\",\"E\":1}}", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_OTHER);
    assert_string_equal (event.problem, "");
    s_read (venue, "not json", &event);
    assert_int_equal (event.kind, EP_VENUE_STREAM_OTHER);
    assert_non_null (strstr (event.problem, "not a JSON object"));
    ep_venue_destroy (&venue);
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stream_url_follows_the_base_url_and_the_key),
        cmocka_unit_test (test_logon_is_signed_as_the_documentation_says),
        cmocka_unit_test (test_a_trade_is_read_with_its_fee),
        cmocka_unit_test (test_a_cancel_names_the_order_canceled),
        cmocka_unit_test (test_a_report_not_whole_is_not_an_order_event),
        cmocka_unit_test (test_balances_are_read),
        cmocka_unit_test (test_answers_are_read_and_the_key_scrubbed),
        cmocka_unit_test (test_the_venue_ending_the_stream_is_read),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
