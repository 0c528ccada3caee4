/*  test_venue_binance: the Binance Spot adapter. Signing against the
    documentation's own vectors, the client order id, the exact parameters
    sent, every classification rule (one table row each), and `send` end to
    end against small loopback servers: what goes on the wire, that it goes
    once, and what libcurl reports for a peer that refuses, closes early or
    hangs. No network beyond 127.0.0.1.  */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include "ep_utf8.h"
#include "ep_venue_binance.h"
#include "test_ed25519_pem.h"

#define E8(units)   ((int64_t) (units) * 100000000LL)

//  Binance's documentation example: public values, not secrets
#define DOC_KEY     "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define DOC_SECRET  "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

#define ID          "epOurId_0123456789-abcdefghijklmno"
#define OTHER_ID    "epSomebodyElse_0123456789-abcdefgh"
#define NOW_MS      1700000000123LL
#define ORDER_QTY   50000000LL      //  0.5: the quantity the canned answers are for

//  ---------------------------------------------------------------------
//  Helpers

static ep_intent_t
s_intent (Execplane__V1__Side side, Execplane__V1__OrderType type,
          Execplane__V1__TimeInForce tif, int64_t qty_e8, int64_t limit_e8)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) "intent-1";
    intent.strategy_id = (char *) "strat-1";
    intent.symbol = (char *) "BTCUSDT";
    intent.side = side;
    intent.type = type;
    intent.tif = tif;
    intent.qty_e8 = qty_e8;
    intent.limit_price_e8 = limit_e8;
    intent.ref_price_e8 = E8 (250);
    return intent;
}

static ep_venue_t *
s_venue_at (const char *base_url, int64_t connect_timeout_ms, int64_t timeout_ms)
{
    ep_binance_config_t config = {
        .base_url = base_url,
        .api_key = DOC_KEY,
        .api_secret = DOC_SECRET,
        .recv_window_ms = 5000,
        .connect_timeout_ms = connect_timeout_ms,
        .timeout_ms = timeout_ms
    };
    char err [256] = "";
    ep_venue_t *venue = ep_venue_binance_new (&config, err, sizeof (err));
    if (!venue)
        fail_msg ("ep_venue_binance_new: %s", err);
    return venue;
}

static ep_venue_t *
s_venue (void)
{
    return s_venue_at ("https://testnet.binance.vision", 1000, 15000);
}

//  A result as send leaves it before classification
static void
s_wire (ep_venue_result_t *result, int curl_code, int64_t request_size, long http_status,
        const char *retry_after, const char *body)
{
    ep_venue_result_reset (result);
    result->curl_code = curl_code;
    result->request_size = request_size;
    result->http_status = http_status;
    snprintf (result->retry_after, sizeof (result->retry_after), "%s",
              retry_after ? retry_after : "");
    if (curl_code)
        snprintf (result->curl_error, sizeof (result->curl_error), "%s",
                  curl_easy_strerror ((CURLcode) curl_code));
    if (body) {
        result->body = strdup (body);
        assert_non_null (result->body);
        result->body_size = strlen (body);
    }
}

//  ---------------------------------------------------------------------
//  Signing

static void
test_signature_matches_binance_documentation_example (void **state)
{
    (void) state;
    char hex [65];
    ep_binance_sign (DOC_SECRET,
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559", hex);
    assert_string_equal (hex, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

static void
test_signature_covers_query_string_then_body_without_separator (void **state)
{
    (void) state;
    //  Example 3: totalParams is the query string directly followed by the body
    char hex [65];
    ep_binance_sign (DOC_SECRET,
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
        "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", hex);
    assert_string_equal (hex, "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
}

//  ---------------------------------------------------------------------
//  Client order id

static bool
s_client_id_shape_ok (const char *id)
{
    size_t len = strlen (id);
    if (len < 1 || len > 36)
        return false;
    for (size_t index = 0; index < len; index++) {
        char c = id [index];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void
test_client_order_id_is_pinned_and_deterministic (void **state)
{
    (void) state;
    //  Pinned: a changed derivation would give a re-run intent a new id
    char first [EP_VENUE_CLIENT_ID_MAX + 1], second [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id ("strat-1", "intent-1", first);
    ep_venue_client_order_id ("strat-1", "intent-1", second);
    assert_string_equal (first, second);
    assert_string_equal (first, "epX-Z8uDfWlKoyrOaCEr2fXXhIWMUUXszY");
    assert_int_equal (strlen (first), 34);
    assert_true (s_client_id_shape_ok (first));
}

static void
test_client_order_id_fits_binance_syntax_for_any_ids (void **state)
{
    (void) state;
    const char *ids [] = { "a", "intent-1", "x.y:z-0", "0123456789012345678901234567890123456789"
                           "012345678901234567890123" };
    for (size_t s = 0; s < 4; s++)
        for (size_t i = 0; i < 4; i++) {
            char id [EP_VENUE_CLIENT_ID_MAX + 1];
            ep_venue_client_order_id (ids [s], ids [i], id);
            assert_true (s_client_id_shape_ok (id));
            assert_memory_equal (id, "ep", 2);
        }
}

static void
test_client_order_id_differs_when_the_pair_differs (void **state)
{
    (void) state;
    char a [EP_VENUE_CLIENT_ID_MAX + 1], b [EP_VENUE_CLIENT_ID_MAX + 1];
    //  The separator keeps the boundary: ("a","bc") is not ("ab","c")
    ep_venue_client_order_id ("a", "bc", a);
    ep_venue_client_order_id ("ab", "c", b);
    assert_string_not_equal (a, b);
    assert_string_equal (a, "epYkzk4iqhl9pDv_O8tHF-W-Fe5ScqSi5C");
    assert_string_equal (b, "eplhfFBjV9PUa7Zg295SU94tp5HjYd9RxH");
    ep_venue_client_order_id ("strat-1", "intent-1", a);
    ep_venue_client_order_id ("strat-1", "intent-2", b);
    assert_string_not_equal (a, b);
    ep_venue_client_order_id ("strat-2", "intent-1", b);
    assert_string_not_equal (a, b);
    ep_venue_client_order_id ("intent-1", "strat-1", b);
    assert_string_not_equal (a, b);
}

//  ---------------------------------------------------------------------
//  Requests

static void
test_market_order_sends_no_time_in_force_and_no_price (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    //  A MARKET IOC intent: Binance refuses timeInForce and price on MARKET
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC),
                                   50000000, E8 (999));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.method, "POST");
    assert_string_equal (request.path, "/api/v3/order");
    assert_string_equal (request.params,
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5&newClientOrderId=" ID
        "&newOrderRespType=FULL&recvWindow=5000&timestamp=1700000000123");
    assert_null (strstr (request.params, "timeInForce"));
    assert_null (strstr (request.params, "price"));
    assert_null (strstr (request.params, "signature"));
    assert_int_equal (request.op, EP_VENUE_SUBMIT);
    assert_int_equal (request.timestamp_ms, NOW_MS);
    assert_int_equal (request.recv_window_ms, 5000);
    assert_string_equal (request.client_order_id, ID);
    assert_string_equal (request.symbol, "BTCUSDT");

    //  IOC and unspecified are the same plain MARKET order
    char ioc [EP_VENUE_PARAMS_MAX];
    snprintf (ioc, sizeof (ioc), "%s", request.params);
    intent.tif = EP_TIF (TIF_UNSPECIFIED);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.params, ioc);
    venue->destroy (&venue);
    assert_null (venue);
}

static void
test_limit_order_sends_price_and_time_in_force (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_intent_t intent = s_intent (EP_SIDE (SELL), EP_TYPE (LIMIT), EP_TIF (GTC),
                                   125000000, 25025000000LL);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.params,
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1.25&price=250.25"
        "&newClientOrderId=" ID "&newOrderRespType=FULL&recvWindow=5000&timestamp=1700000000123");
    intent.tif = EP_TIF (FOK);
    intent.qty_e8 = 1;
    intent.limit_price_e8 = E8 (30000);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.params,
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=FOK&quantity=0.00000001&price=30000"
        "&newClientOrderId=" ID "&newOrderRespType=FULL&recvWindow=5000&timestamp=1700000000123");
    assert_null (strstr (request.params, "signature"));
    venue->destroy (&venue);
}

static void
test_query_and_cancel_name_the_order_by_client_id (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC), E8 (1), E8 (1));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_QUERY, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.path, "/api/v3/order");
    assert_string_equal (request.params, "symbol=BTCUSDT&origClientOrderId=" ID
                         "&recvWindow=5000&timestamp=1700000000123");
    assert_int_equal (venue->prepare (venue, EP_VENUE_CANCEL, &intent, ID, NOW_MS, 0, &request), 0);
    assert_string_equal (request.method, "DELETE");
    assert_string_equal (request.params, "symbol=BTCUSDT&origClientOrderId=" ID
                         "&recvWindow=5000&timestamp=1700000000123");
    assert_null (strstr (request.params, "signature"));
    venue->destroy (&venue);
}

static void
test_prepare_refuses_what_binance_cannot_express (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_venue_request_t request;
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (TIF_UNSPECIFIED),
                                   E8 (1), E8 (1));
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    assert_non_null (strstr (request.params, "LIMIT"));

    intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC), E8 (1), 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (GTC), E8 (1), 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    //  "MARKET orders have no FOK": one could fill in part, so it is refused
    intent = s_intent (EP_SIDE (SELL), EP_TYPE (MARKET), EP_TIF (FOK), E8 (1), 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    assert_non_null (strstr (request.params, "a MARKET FOK cannot be honoured"));
    intent = s_intent (EP_SIDE (SIDE_UNSPECIFIED), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (ORDER_TYPE_UNSPECIFIED), EP_TIF (IOC), E8 (1), 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), 0, 0);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);

    //  Nothing can smuggle a parameter into the signed string
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    intent.symbol = (char *) "BTCUSDT&side=SELL";
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), -1);
    assert_null (strstr (request.params, "side=SELL"));
    intent.symbol = (char *) "BTCUSDT";
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, "ep&x=1", NOW_MS, 0,
                                      &request), -1);
    assert_int_equal (venue->prepare (venue, EP_VENUE_QUERY, &intent,
                                      "ep0123456789012345678901234567890123456789", NOW_MS, 0,
                                      &request), -1);
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, "", NOW_MS, 0, &request), -1);
    venue->destroy (&venue);
}

static void
test_venue_refuses_plain_http_beyond_this_machine_and_bad_windows (void **state)
{
    (void) state;
    ep_binance_config_t config = {
        .base_url = "http://api.binance.com", .api_key = DOC_KEY, .api_secret = DOC_SECRET,
        .recv_window_ms = 5000, .connect_timeout_ms = 1000, .timeout_ms = 15000
    };
    char err [256];
    //  The key rides in a header: never in clear text over a network
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    assert_non_null (strstr (err, "https"));
    config.base_url = "http://127.0.0.1.evil.example:80";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.base_url = "file:///etc/passwd";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.base_url = "https://api.binance.com?x=1";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));

    config.base_url = "https://api.binance.com";
    config.recv_window_ms = 60001;
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.recv_window_ms = 0;
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.recv_window_ms = 5000;
    config.api_key = "two words";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.api_key = "key\r\nX-Injected: 1";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    config.api_key = DOC_KEY;
    config.api_secret = "";
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    //  No error text leaks the secret
    config.api_secret = DOC_SECRET;
    config.timeout_ms = 10;
    assert_null (ep_venue_binance_new (&config, err, sizeof (err)));
    assert_null (strstr (err, DOC_SECRET));

    config.timeout_ms = 15000;
    config.base_url = "http://127.0.0.1:8080/";
    ep_venue_t *venue = ep_venue_binance_new (&config, err, sizeof (err));
    assert_non_null (venue);
    assert_string_equal (venue->name, "binance");
    venue->destroy (&venue);
}

//  ---------------------------------------------------------------------
//  Classification: one row per rule

#define ORDER_JSON(echo_key, id, status, orig, executed, cum, tail) \
    "{\"symbol\":\"BTCUSDT\",\"orderId\":12,\"orderListId\":-1,\"" echo_key "\":\"" id "\"," \
    "\"transactTime\":1700000000200,\"price\":\"0.00000000\",\"origQty\":\"" orig "\"," \
    "\"executedQty\":\"" executed "\",\"cummulativeQuoteQty\":\"" cum "\"," \
    "\"status\":\"" status "\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\"" tail "}"

#define FILL_ONE ",\"fills\":[{\"price\":\"250.25000000\",\"qty\":\"0.50000000\"," \
    "\"commission\":\"0.12512500\",\"commissionAsset\":\"USDT\",\"tradeId\":7}]"

#define SUBMIT_ORDER(status, executed, cum, fills) \
    ORDER_JSON ("clientOrderId", ID, status, "0.50000000", executed, cum, fills)
#define QUERY_ORDER(status, executed, cum) \
    ORDER_JSON ("clientOrderId", ID, status, "0.50000000", executed, cum, "")
#define CANCEL_ORDER(orig_id, status, executed, cum) \
    ORDER_JSON ("origClientOrderId", orig_id, status, "0.50000000", executed, cum, \
                ",\"clientOrderId\":\"cancel-1\"")

#define ERROR_JSON(code, msg) "{\"code\":" #code ",\"msg\":\"" msg "\"}"

#define SUBMIT      EP_VENUE_SUBMIT
#define QUERY       EP_VENUE_QUERY
#define CANCEL      EP_VENUE_CANCEL
#define NO_FAILURE  EP_FAILURE (FAILURE_NONE)
#define NO_STATUS   EP_STATUS (STATUS_UNSPECIFIED)      //  no news of the order

typedef struct {
    const char *name;           //  the rule this row proves
    ep_venue_op_t op;
    int curl_code;
    int64_t request_size;
    long http_status;
    const char *retry_after;
    const char *body;
    int status;                 //  expected
    int failure;                //  expected
    bool terminal;              //  expected
    const char *contains;       //  the reason must contain this
    const char *contains_too;   //  and this, if not NULL
} row_t;

static const row_t s_rows [] = {
    //  Nothing left: NOT_SENT
    { "refused connection", SUBMIT, CURLE_COULDNT_CONNECT, 0, 0, NULL, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, "libcurl 7", "nothing was sent" },
    { "unresolved host", SUBMIT, CURLE_COULDNT_RESOLVE_HOST, 0, 0, NULL, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, "libcurl 6", "nothing was sent" },
    { "TLS handshake failed", SUBMIT, CURLE_SSL_CONNECT_ERROR, 0, 0, NULL, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, "libcurl 35", NULL },
    { "bad certificate", SUBMIT, CURLE_PEER_FAILED_VERIFICATION, 0, 0, NULL, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, "libcurl 60", NULL },
    { "connect timeout", SUBMIT, CURLE_OPERATION_TIMEDOUT, 0, 0, NULL, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, "libcurl 28", "nothing was sent" },

    //  Maybe sent: UNKNOWN
    { "timeout after sending", SUBMIT, CURLE_OPERATION_TIMEDOUT, 312, 0, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "libcurl 28", "312 bytes sent" },
    { "empty reply after sending", SUBMIT, CURLE_GOT_NOTHING, 312, 0, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "libcurl 52", NULL },
    { "reset after sending", SUBMIT, CURLE_RECV_ERROR, 312, 0, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "libcurl 56", NULL },
    { "answer cut mid-body", SUBMIT, CURLE_PARTIAL_FILE, 312, 200, NULL, "{\"symbol\":",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "libcurl 18", NULL },
    { "request size unknown", SUBMIT, CURLE_SEND_ERROR, -1, 0, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "libcurl 55", NULL },
    { "HTTP 500 with HTML", SUBMIT, 0, 312, 500, NULL, "<html>500</html>",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 500", "unknown" },
    { "HTTP 503 with -1008", SUBMIT, 0, 312, 503, NULL, ERROR_JSON (-1008, "Server is busy."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1008 Server is busy.", "HTTP 503" },
    { "HTTP 502 empty", SUBMIT, 0, 312, 502, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 502", NULL },
    { "HTTP 503 even with a rejection code", SUBMIT, 0, 312, 503, NULL,
      ERROR_JSON (-2010, "Account has insufficient balance for requested action."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 503", NULL },
    { "code -1000", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1000, "An unknown error occurred."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1000", NULL },
    { "code -1001", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1001, "Internal error."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1001", NULL },
    { "code -1006", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1006, "Unexpected response."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1006", NULL },
    { "code -1007 on 408", SUBMIT, 0, 312, 408, NULL,
      ERROR_JSON (-1007, "Timeout waiting for response from backend server."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1007", "HTTP 408" },
    { "code -1007 on 200", SUBMIT, 0, 312, 200, NULL, ERROR_JSON (-1007, "Timeout."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1007", NULL },
    { "code -1008 on 429", SUBMIT, 0, 312, 429, "5", ERROR_JSON (-1008, "Server is busy."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "-1008", NULL },
    { "200 truncated", SUBMIT, 0, 312, 200, NULL, "{\"symbol\":\"BTCUSDT\",\"orderId\":12,",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "unparseable", NULL },
    { "200 empty", SUBMIT, 0, 312, 200, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "unparseable", NULL },
    { "200 not an object", SUBMIT, 0, 312, 200, NULL, "[1,2]",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 200", NULL },
    { "200 another client id", SUBMIT, 0, 312, 200, NULL,
      ORDER_JSON ("clientOrderId", OTHER_ID, "FILLED", "0.5", "0.5", "125.125", FILL_ONE),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "not ours", OTHER_ID },
    { "200 without client id", SUBMIT, 0, 312, 200, NULL,
      "{\"orderId\":12,\"status\":\"FILLED\"}",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "no clientOrderId", NULL },
    { "200 with a float quantity", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("FILLED", "5e-1", "125.125", FILL_ONE),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "executedQty", NULL },
    { "200 with 9 decimals", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("FILLED", "0.500000001", "125.125", FILL_ONE),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "executedQty", NULL },
    { "200 with a bad fill price", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("FILLED", "0.5", "125.125",
                    ",\"fills\":[{\"price\":\"abc\",\"qty\":\"0.5\",\"commission\":\"0\","
                    "\"commissionAsset\":\"USDT\",\"tradeId\":7}]"),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "fill 0", "price" },
    { "200 submit without fills", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("FILLED", "0.5", "125.125", ""),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "fills", NULL },
    { "200 with a string orderId", SUBMIT, 0, 312, 200, NULL,
      "{\"clientOrderId\":\"" ID "\",\"orderId\":\"12\",\"status\":\"NEW\"}",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "orderId", NULL },
    { "200 with duplicate keys", SUBMIT, 0, 312, 200, NULL,
      "{\"clientOrderId\":\"" ID "\",\"clientOrderId\":\"" OTHER_ID "\"}",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "unparseable", NULL },
    { "404 HTML", SUBMIT, 0, 312, 404, NULL, "<html>Not Found</html>",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 404", "error JSON" },
    { "403 WAF page", SUBMIT, 0, 312, 403, NULL, "<html>Forbidden</html>",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 403", NULL },
    { "400 JSON without msg", SUBMIT, 0, 312, 400, NULL, "{\"code\":-2010}",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 400", NULL },
    { "400 empty", SUBMIT, 0, 312, 400, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 400", NULL },
    { "302 not followed", SUBMIT, 0, 312, 302, NULL, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HTTP 302", NULL },

    //  Rate limits
    { "429 with -1003 and Retry-After", SUBMIT, 0, 312, 429, "7",
      ERROR_JSON (-1003, "Too much request weight used."),
      EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true, "Retry-After: 7", "-1003" },
    { "429 bare", SUBMIT, 0, 312, 429, NULL, NULL,
      EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true, "HTTP 429", NULL },
    { "-1015 on 400", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1015, "Too many new orders; current limit is 50 orders per 10 SECOND."),
      EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true, "-1015", NULL },
    { "-1003 on 400", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1003, "Too many requests."),
      EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true, "-1003", NULL },
    { "418 IP ban", SUBMIT, 0, 312, 418, "120",
      ERROR_JSON (-1003, "Way too much request weight used; IP banned until 1700000000000."),
      EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true, "IP banned", "Retry-After: 120" },

    //  Authentication
    { "401 bare", SUBMIT, 0, 312, 401, NULL, NULL,
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true, "HTTP 401", NULL },
    { "401 with -2015", SUBMIT, 0, 312, 401, NULL,
      ERROR_JSON (-2015, "Invalid API-key, IP, or permissions for action."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true, "-2015", NULL },
    { "-1002", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1002, "You are not authorized to execute this request."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true, "-1002", NULL },
    { "-1022", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1022, "Signature for this request is not valid."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true,
      "-1022 Signature for this request is not valid. (HTTP 400)", NULL },
    { "-2014", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-2014, "API-key format invalid."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true, "-2014", NULL },
    { "-2015 on 403", SUBMIT, 0, 312, 403, NULL,
      ERROR_JSON (-2015, "Invalid API-key, IP, or permissions for action."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true, "-2015", "HTTP 403" },

    //  Rejections
    { "-2010 insufficient balance", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-2010, "Account has insufficient balance for requested action."),
      EP_STATUS (REJECTED), EP_FAILURE (INSUFFICIENT_FUNDS), true,
      "venue rejected: -2010 Account has insufficient balance for requested action. (HTTP 400)",
      NULL },
    { "-2010 insufficient balance, other case", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-2010, "ACCOUNT HAS INSUFFICIENT BALANCE"),
      EP_STATUS (REJECTED), EP_FAILURE (INSUFFICIENT_FUNDS), true, "-2010", NULL },
    //  errors.md: "Duplicate order sent." -- "The clOrdId is already in use":
    //  the order exists, so it is followed, not concluded
    { "-2010 duplicate", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-2010, "Duplicate order sent."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, "Duplicate order sent.",
      "it is followed by status queries" },
    { "-2010 market closed", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-2010, "Market is closed."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-2010", NULL },
    { "-1013 filter", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1013, "Filter failure: LOT_SIZE"),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "LOT_SIZE", NULL },
    { "-1021 timestamp", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1021, "Timestamp for this request is outside of the recvWindow."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-1021", NULL },
    { "-1100 illegal characters", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1100, "Illegal characters found in a parameter."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-1100", NULL },
    { "-1121 bad symbol", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-1121, "Invalid symbol."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-1121", NULL },
    { "-1106 parameter not required", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1106, "Parameter 'timeInForce' sent when not required."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-1106", NULL },
    { "any other venue code", SUBMIT, 0, 312, 400, NULL, ERROR_JSON (-9999, "Something new."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "-9999 Something new.", NULL },
    { "a message with a newline stays one line", SUBMIT, 0, 312, 400, NULL,
      ERROR_JSON (-1013, "line one\\nline two"),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "line one line two", NULL },

    //  Accepted: the venue's status, ours
    { "NEW", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("NEW", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (ACCEPTED), NO_FAILURE, false, "venue NEW", "(order 12)" },
    { "PENDING_NEW", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("PENDING_NEW", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (ACCEPTED), NO_FAILURE, false, "PENDING_NEW", NULL },
    { "PARTIALLY_FILLED", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("PARTIALLY_FILLED", "0.20000000", "50.00000000",
                    ",\"fills\":[{\"price\":\"250.00000000\",\"qty\":\"0.20000000\","
                    "\"commission\":\"0.05\",\"commissionAsset\":\"USDT\",\"tradeId\":7}]"),
      EP_STATUS (PARTIALLY_FILLED), NO_FAILURE, false,
      "venue PARTIALLY_FILLED 0.2 of 0.5 at avg 250 (order 12)", NULL },
    { "FILLED", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("FILLED", "0.50000000", "125.12500000", FILL_ONE),
      EP_STATUS (FILLED), NO_FAILURE, true, "venue FILLED 0.5 at avg 250.25 (order 12)", NULL },
    { "CANCELED", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("CANCELED", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (CANCELED), NO_FAILURE, true, "venue CANCELED", NULL },
    { "EXPIRED", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("EXPIRED", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (EXPIRED), NO_FAILURE, true, "venue EXPIRED", NULL },
    { "EXPIRED_IN_MATCH", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("EXPIRED_IN_MATCH", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (EXPIRED), NO_FAILURE, true, "EXPIRED_IN_MATCH", NULL },
    { "REJECTED", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("REJECTED", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true, "venue REJECTED", NULL },
    { "PENDING_CANCEL", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("PENDING_CANCEL", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (ACCEPTED), NO_FAILURE, false, "PENDING_CANCEL", NULL },
    { "a status we do not know", SUBMIT, 0, 312, 200, NULL,
      SUBMIT_ORDER ("HALTED_FOR_LUNCH", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, "HALTED_FOR_LUNCH", "unknown" },
    { "201 is a 2xx too", SUBMIT, 0, 312, 201, NULL,
      SUBMIT_ORDER ("NEW", "0.00000000", "0.00000000", ",\"fills\":[]"),
      EP_STATUS (ACCEPTED), NO_FAILURE, false, "venue NEW", NULL },

    //  Query: an order state, or no news
    { "query NEW", QUERY, 0, 200, 200, NULL, QUERY_ORDER ("NEW", "0.00000000", "0.00000000"),
      EP_STATUS (ACCEPTED), NO_FAILURE, false, "venue NEW", NULL },
    { "query PARTIALLY_FILLED", QUERY, 0, 200, 200, NULL,
      QUERY_ORDER ("PARTIALLY_FILLED", "0.25000000", "62.50000000"),
      EP_STATUS (PARTIALLY_FILLED), NO_FAILURE, false, "0.25 of 0.5 at avg 250", NULL },
    { "query FILLED", QUERY, 0, 200, 200, NULL,
      QUERY_ORDER ("FILLED", "0.50000000", "125.12500000"),
      EP_STATUS (FILLED), NO_FAILURE, true, "venue FILLED 0.5 at avg 250.25", NULL },
    { "query CANCELED", QUERY, 0, 200, 200, NULL,
      QUERY_ORDER ("CANCELED", "0.10000000", "25.00000000"),
      EP_STATUS (CANCELED), NO_FAILURE, true, "venue CANCELED 0.1 of 0.5", NULL },
    //  errors.md: -2026 ORDER_ARCHIVED "Order was canceled or expired with no
    //  executed qty over 90 days ago and has been archived."
    { "query -2026 concludes", QUERY, 0, 200, 400, NULL,
      ERROR_JSON (-2026, "Order was canceled or expired with no executed qty over 90 days "
                         "ago and has been archived."),
      EP_STATUS (EXPIRED), NO_FAILURE, true, "the venue archived order",
      "canceled or expired with nothing executed" },
    { "query -2013 is no news", QUERY, 0, 200, 400, NULL,
      ERROR_JSON (-2013, "Order does not exist."),
      NO_STATUS, NO_FAILURE, false, "does not (yet) know", "no proof of absence" },
    { "query refused connection", QUERY, CURLE_COULDNT_CONNECT, 0, 0, NULL, NULL,
      NO_STATUS, EP_FAILURE (NOT_SENT), false, "query failed", "libcurl 7" },
    { "query timeout", QUERY, CURLE_OPERATION_TIMEDOUT, 200, 0, NULL, NULL,
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "query failed", "libcurl 28" },
    { "query 503", QUERY, 0, 200, 503, NULL, NULL,
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "HTTP 503", NULL },
    { "query 429", QUERY, 0, 200, 429, "3", ERROR_JSON (-1003, "Too many requests."),
      NO_STATUS, EP_FAILURE (RATE_LIMITED), false, "Retry-After: 3", NULL },
    { "query -1022", QUERY, 0, 200, 400, NULL, ERROR_JSON (-1022, "Signature not valid."),
      NO_STATUS, EP_FAILURE (VENUE_AUTH_FAILED), false, "-1022", NULL },
    { "query another client id", QUERY, 0, 200, 200, NULL,
      ORDER_JSON ("clientOrderId", OTHER_ID, "FILLED", "0.5", "0.5", "125", ""),
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "not ours", NULL },
    { "query unknown status", QUERY, 0, 200, 200, NULL,
      QUERY_ORDER ("WHATEVER", "0", "0"),
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "WHATEVER", NULL },

    //  Cancel: the order's state, or the cancel's failure
    { "cancel CANCELED", CANCEL, 0, 200, 200, NULL,
      CANCEL_ORDER (ID, "CANCELED", "0.00000000", "0.00000000"),
      EP_STATUS (CANCELED), NO_FAILURE, true, "venue CANCELED", NULL },
    { "cancel CANCELED after a partial fill", CANCEL, 0, 200, 200, NULL,
      CANCEL_ORDER (ID, "CANCELED", "0.20000000", "50.00000000"),
      EP_STATUS (CANCELED), NO_FAILURE, true, "0.2 of 0.5 at avg 250", NULL },
    { "cancel echoing another order", CANCEL, 0, 200, 200, NULL,
      CANCEL_ORDER (OTHER_ID, "CANCELED", "0.00000000", "0.00000000"),
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "origClientOrderId", "not ours" },
    { "cancel -2011", CANCEL, 0, 200, 400, NULL, ERROR_JSON (-2011, "Unknown order sent."),
      NO_STATUS, EP_FAILURE (VENUE_REJECTED), false, "-2011 Unknown order sent.",
      "unknown to this call" },
    { "cancel timeout", CANCEL, CURLE_OPERATION_TIMEDOUT, 200, 0, NULL, NULL,
      NO_STATUS, EP_FAILURE (SEND_UNKNOWN), false, "cancel failed", NULL },
    { "cancel -1022", CANCEL, 0, 200, 400, NULL, ERROR_JSON (-1022, "Signature not valid."),
      NO_STATUS, EP_FAILURE (VENUE_AUTH_FAILED), false, "-1022", NULL },
};

static void
test_every_classification_rule_holds (void **state)
{
    (void) state;
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    for (size_t index = 0; index < sizeof (s_rows) / sizeof (s_rows [0]); index++) {
        const row_t *row = &s_rows [index];
        s_wire (&result, row->curl_code, row->request_size, row->http_status,
                row->retry_after, row->body);
        ep_binance_classify (row->op, ID, ORDER_QTY, &result);
        if (result.status != row->status || result.failure != row->failure
        ||  result.terminal != row->terminal
        ||  !strstr (result.reason, row->contains)
        ||  (row->contains_too && !strstr (result.reason, row->contains_too)))
            fail_msg ("row \"%s\": got status %d failure %d terminal %d reason \"%s\"; "
                      "want %d %d %d containing \"%s\" and \"%s\"",
                      row->name, result.status, result.failure, (int) result.terminal,
                      result.reason, row->status, row->failure, (int) row->terminal,
                      row->contains, row->contains_too ? row->contains_too : "");
        //  A reason is one line
        assert_null (strchr (result.reason, '\n'));
    }
    ep_venue_result_reset (&result);
}

static void
test_full_answer_with_two_fills_is_parsed_exactly (void **state)
{
    (void) state;
    const char *body =
        "{\"symbol\":\"BTCUSDT\",\"orderId\":28457,\"orderListId\":-1,"
        "\"clientOrderId\":\"" ID "\",\"transactTime\":1507725176595,"
        "\"price\":\"0.00000000\",\"origQty\":\"0.50000000\",\"executedQty\":\"0.50000000\","
        "\"origQuoteOrderQty\":\"0.00000000\",\"cummulativeQuoteQty\":\"125.10000000\","
        "\"status\":\"FILLED\",\"timeInForce\":\"GTC\",\"type\":\"MARKET\",\"side\":\"BUY\","
        "\"workingTime\":1507725176595,\"selfTradePreventionMode\":\"NONE\",\"fills\":["
        "{\"price\":\"250.00000000\",\"qty\":\"0.30000000\",\"commission\":\"0.07500000\","
        "\"commissionAsset\":\"USDT\",\"tradeId\":101},"
        "{\"price\":\"250.50000000\",\"qty\":\"0.20000000\",\"commission\":\"0.00005010\","
        "\"commissionAsset\":\"BNB\",\"tradeId\":9007199254740993}]}";
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    s_wire (&result, 0, 300, 200, NULL, body);
    ep_binance_classify (EP_VENUE_SUBMIT, ID, ORDER_QTY, &result);

    assert_int_equal (result.status, EP_STATUS (FILLED));
    assert_int_equal (result.failure, EP_FAILURE (FAILURE_NONE));
    assert_true (result.terminal);
    assert_string_equal (result.venue_status, "FILLED");
    assert_string_equal (result.venue_order_id, "28457");
    assert_string_equal (result.echoed_client_id, ID);
    assert_int_equal (result.orig_qty_e8, 50000000);
    assert_int_equal (result.executed_qty_e8, 50000000);
    assert_int_equal (result.cum_quote_e8, 12510000000LL);
    assert_int_equal (result.avg_price_e8, 25020000000LL);     //  125.1 / 0.5
    assert_int_equal (result.venue_code, 0);
    assert_int_equal (result.fill_count, 2);
    assert_int_equal (result.fills [0].qty_e8, 30000000);
    assert_int_equal (result.fills [0].price_e8, 25000000000LL);
    assert_int_equal (result.fills [0].fee_e8, 7500000);
    assert_string_equal (result.fills [0].fee_asset, "USDT");
    assert_string_equal (result.fills [0].trade_id, "101");
    assert_int_equal (result.fills [1].qty_e8, 20000000);
    assert_int_equal (result.fills [1].price_e8, 25050000000LL);
    assert_int_equal (result.fills [1].fee_e8, 5010);
    assert_string_equal (result.fills [1].fee_asset, "BNB");
    //  Beyond a double's exact integers: the id is never a double
    assert_string_equal (result.fills [1].trade_id, "9007199254740993");
    assert_string_equal (result.reason, "venue FILLED 0.5 at avg 250.2 (order 28457)");

    //  Classifying again gives the same, without leaking the first fills
    ep_binance_classify (EP_VENUE_SUBMIT, ID, ORDER_QTY, &result);
    assert_int_equal (result.fill_count, 2);
    assert_int_equal (result.avg_price_e8, 25020000000LL);
    ep_venue_result_reset (&result);
    assert_null (result.body);
    assert_null (result.fills);
}

static void
test_average_price_is_rounded_down (void **state)
{
    (void) state;
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    s_wire (&result, 0, 300, 200, NULL,
            QUERY_ORDER ("PARTIALLY_FILLED", "0.30000000", "100.00000000"));
    ep_binance_classify (EP_VENUE_QUERY, ID, ORDER_QTY, &result);
    assert_int_equal (result.status, EP_STATUS (PARTIALLY_FILLED));
    assert_int_equal (result.avg_price_e8, 33333333333LL);    //  333.33333333(3...)
    assert_int_equal (result.fill_count, 0);
    ep_venue_result_reset (&result);
}

static void
test_answer_for_another_client_id_is_unknown_and_keeps_no_fills (void **state)
{
    (void) state;
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    s_wire (&result, 0, 300, 200, NULL,
            ORDER_JSON ("clientOrderId", OTHER_ID, "FILLED", "0.5", "0.5", "125.125", FILL_ONE));
    ep_binance_classify (EP_VENUE_SUBMIT, ID, ORDER_QTY, &result);
    assert_int_equal (result.status, EP_STATUS (UNKNOWN));
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    assert_true (result.terminal);
    assert_string_equal (result.echoed_client_id, OTHER_ID);
    //  Another order's fills are not ours to report
    assert_int_equal (result.fill_count, 0);
    assert_int_equal (result.executed_qty_e8, 0);
    ep_venue_result_reset (&result);
}

static void
test_truncated_json_and_html_4xx_are_unknown (void **state)
{
    (void) state;
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    const char *full = SUBMIT_ORDER ("FILLED", "0.50000000", "125.12500000", FILL_ONE);
    //  Every proper prefix of a good answer is UNKNOWN, never a guess
    for (size_t len = 0; len < strlen (full); len++) {
        char *cut = strndup (full, len);
        assert_non_null (cut);
        s_wire (&result, 0, 300, 200, NULL, cut);
        free (cut);
        ep_binance_classify (EP_VENUE_SUBMIT, ID, ORDER_QTY, &result);
        assert_int_equal (result.status, EP_STATUS (UNKNOWN));
        assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    }
    s_wire (&result, 0, 300, 400, NULL, "<html><body>Bad Request</body></html>");
    ep_binance_classify (EP_VENUE_SUBMIT, ID, ORDER_QTY, &result);
    assert_int_equal (result.status, EP_STATUS (UNKNOWN));
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    ep_venue_result_reset (&result);
}

//  ---------------------------------------------------------------------
//  The venue's figures and its text are not taken on trust

static void
test_venue_figures_that_contradict_the_order_make_it_unknown (void **state)
{
    (void) state;
    typedef struct {
        const char *name;
        ep_venue_op_t op;
        const char *body;
        const char *contains;
    } case_t;
    const case_t cases [] = {
        { "submit overfilled", SUBMIT,
          ORDER_JSON ("clientOrderId", ID, "FILLED", "0.50000000", "1.00000000", "250.25",
                      ",\"fills\":[{\"price\":\"250.25\",\"qty\":\"1\",\"commission\":\"0\","
                      "\"commissionAsset\":\"USDT\",\"tradeId\":7}]"),
          "the venue says executedQty 1 of an order for 0.5" },
        { "submit of another quantity", SUBMIT,
          ORDER_JSON ("clientOrderId", ID, "FILLED", "2.00000000", "0.50000000", "125.125",
                      FILL_ONE),
          "the venue says origQty 2 of an order for 0.5" },
        { "submit whose fills exceed executedQty", SUBMIT,
          ORDER_JSON ("clientOrderId", ID, "PARTIALLY_FILLED", "0.50000000", "0.20000000",
                      "50", FILL_ONE),
          "fills add up to more than its executedQty 0.2" },
        { "query overfilled", QUERY,
          ORDER_JSON ("clientOrderId", ID, "FILLED", "0.50000000", "2.00000000", "500", ""),
          "the venue says executedQty 2 of an order for 0.5" },
        { "query of another quantity", QUERY,
          ORDER_JSON ("clientOrderId", ID, "NEW", "0.40000000", "0", "0", ""),
          "the venue says origQty 0.4 of an order for 0.5" },
        { "cancel overfilled", CANCEL,
          CANCEL_ORDER (ID, "CANCELED", "0.60000000", "150"),
          "the venue says executedQty 0.6 of an order for 0.5" },
    };
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        const case_t *c = &cases [index];
        s_wire (&result, 0, 300, 200, NULL, c->body);
        ep_binance_classify (c->op, ID, ORDER_QTY, &result);
        //  UNKNOWN and terminal for a query too: "no news" would keep
        //  following an order whose figures nobody can trust
        if (result.status != EP_STATUS (UNKNOWN)
        ||  result.failure != EP_FAILURE (SEND_UNKNOWN) || !result.terminal
        ||  !result.distrusted || !strstr (result.reason, c->contains)
        ||  !strstr (result.reason, "not trusted"))
            fail_msg ("%s: status %d failure %d terminal %d distrusted %d reason \"%s\"",
                      c->name, result.status, result.failure, (int) result.terminal,
                      (int) result.distrusted, result.reason);
        //  None of its figures is passed on as the order's
        assert_int_equal (result.executed_qty_e8, 0);
        assert_int_equal (result.cum_quote_e8, 0);
        assert_int_equal (result.fill_count, 0);
        assert_null (result.fills);
    }
    //  The same kind of answer for the quantity it states is trusted
    s_wire (&result, 0, 300, 200, NULL,
            ORDER_JSON ("clientOrderId", ID, "FILLED", "2.00000000", "2.00000000", "500",
                        ",\"fills\":[{\"price\":\"250\",\"qty\":\"2\",\"commission\":\"0\","
                        "\"commissionAsset\":\"USDT\",\"tradeId\":7}]"));
    ep_binance_classify (SUBMIT, ID, E8 (2), &result);
    assert_int_equal (result.status, EP_STATUS (FILLED));
    assert_false (result.distrusted);
    assert_int_equal (result.executed_qty_e8, E8 (2));
    ep_venue_result_reset (&result);
}

//  Every text a result holds: valid UTF-8 without control characters
static void
s_assert_texts_valid (const ep_venue_result_t *result)
{
    const char *texts [] = { result->reason, result->venue_msg, result->venue_status,
                             result->echoed_client_id, result->curl_error,
                             result->retry_after };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++)
        if (!ep_utf8_text_valid (texts [index], strlen (texts [index])))
            fail_msg ("text %zu is not valid UTF-8 text: \"%s\"", index, texts [index]);
}

//  A message of 200 'é' (400 bytes) is longer than the place it is copied
//  to: it is cut between two characters, never inside one, with or
//  without an ASCII byte before it that shifts where the cut falls
static void
test_a_long_venue_message_is_cut_at_a_character_boundary (void **state)
{
    (void) state;
    char accents [401] = "";
    for (int index = 0; index < 200; index++)
        strcat (accents, "\xc3\xa9");
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    for (int shift = 0; shift < 2; shift++) {
        char body [600], echo [700];
        snprintf (body, sizeof (body), "{\"code\":-1013,\"msg\":\"%s%s\"}",
                  shift ? "a" : "", accents);
        s_wire (&result, 0, 300, 400, NULL, body);
        ep_binance_classify (SUBMIT, ID, ORDER_QTY, &result);
        assert_int_equal (result.failure, EP_FAILURE (VENUE_REJECTED));
        s_assert_texts_valid (&result);
        assert_non_null (strstr (result.reason, "\xc3\xa9\xc3\xa9"));
        assert_true (strlen (result.venue_msg) >= sizeof (result.venue_msg) - 2);

        //  An echoed client id is quoted in the reason, cut to its place
        snprintf (echo, sizeof (echo),
                  "{\"clientOrderId\":\"%s%s\",\"orderId\":1,\"status\":\"NEW\"}",
                  shift ? "a" : "", accents);
        s_wire (&result, 0, 300, 200, NULL, echo);
        ep_binance_classify (SUBMIT, ID, ORDER_QTY, &result);
        assert_int_equal (result.status, EP_STATUS (UNKNOWN));
        s_assert_texts_valid (&result);
        assert_non_null (strstr (result.reason, "not ours"));
    }
    ep_venue_result_reset (&result);
}

//  ---------------------------------------------------------------------
//  send, end to end, on loopback

typedef enum {
    SERVER_ANSWER,              //  read the request, write the canned answer
    SERVER_ECHO,                //  answer 400 quoting the request and `extra`
    SERVER_CLOSE_EARLY,         //  read the request, close without a word
    SERVER_HANG,                //  read the request, never answer
    SERVER_FLOOD                //  answer 200 with more than the body cap
} server_mode_t;

typedef struct {
    int listener;               //  127.0.0.1, ephemeral port
    int port;                   //  its port
    server_mode_t mode;         //  what each connection meets
    const char *answer;         //  raw HTTP answer (SERVER_ANSWER)
    const char *extra;          //  quoted in the echo too (SERVER_ECHO)
    bool escape_all;            //  the echo writes every character as \uXXXX
    char request [16384];       //  the first request as read
    size_t request_size;        //  bytes in request
    atomic_int connections;     //  connections accepted
    atomic_bool stop;           //  the test is done
    pthread_t thread;
} server_t;

//  Reads one request (headers, then Content-Length bytes) into buf
static size_t
s_read_request (int fd, char *buf, size_t size)
{
    size_t len = 0;
    size_t need = 0;            //  total once the headers are in
    while (len + 1 < size) {
        struct pollfd item = { .fd = fd, .events = POLLIN };
        if (poll (&item, 1, 2000) <= 0)
            break;
        ssize_t got = recv (fd, buf + len, size - 1 - len, 0);
        if (got <= 0)
            break;
        len += (size_t) got;
        buf [len] = '\0';
        char *end = strstr (buf, "\r\n\r\n");
        if (end && need == 0) {
            size_t body = 0;
            char *field = strcasestr (buf, "\r\nContent-Length:");
            if (field && field < end)
                body = strtoul (field + strlen ("\r\nContent-Length:"), NULL, 10);
            need = (size_t) (end + 4 - buf) + body;
        }
        if (need && len >= need)
            break;
    }
    buf [len] = '\0';
    return len;
}

static void
s_write_all (int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t sent = send (fd, data, len, MSG_NOSIGNAL);
        if (sent <= 0)
            return;
        data += sent;
        len -= (size_t) sent;
    }
}

static void
s_serve (server_t *server, int fd)
{
    char scratch [16384];
    bool first = atomic_load (&server->connections) == 1;
    char *buf = first ? server->request : scratch;
    size_t len = s_read_request (fd, buf, sizeof (scratch));
    if (first)
        server->request_size = len;

    if (server->mode == SERVER_ANSWER)
        s_write_all (fd, server->answer, strlen (server->answer));
    else
    if (server->mode == SERVER_ECHO) {
        //  {"code":-1100,"msg":"<request and extra, JSON-escaped>"}
        char body [40000];
        size_t at = (size_t) snprintf (body, sizeof (body), "{\"code\":-1100,\"msg\":\"");
        const char *parts [2] = { buf, server->extra ? server->extra : "" };
        for (int part = 0; part < 2; part++)
            for (const char *c = parts [part]; *c && at + 8 < sizeof (body); c++) {
                if (server->escape_all)
                    //  Upper and lower case hex in turn: JSON reads both
                    at += (size_t) snprintf (body + at, sizeof (body) - at,
                                             (c - parts [part]) % 2 ? "\\u%04X" : "\\u%04x",
                                             (unsigned char) *c);
                else
                if (*c == '"' || *c == '\\')
                    at += (size_t) snprintf (body + at, sizeof (body) - at, "\\%c", *c);
                else
                if ((unsigned char) *c < 0x20)
                    at += (size_t) snprintf (body + at, sizeof (body) - at, "\\u%04x", *c);
                else
                    body [at++] = *c;
            }
        at += (size_t) snprintf (body + at, sizeof (body) - at, "\"}");
        char head [256];
        int head_len = snprintf (head, sizeof (head),
                                 "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\nConnection: close\r\n\r\n", at);
        s_write_all (fd, head, (size_t) head_len);
        s_write_all (fd, body, at);
    }
    else
    if (server->mode == SERVER_HANG) {
        //  Until the client gives up (or the test ends)
        while (!atomic_load (&server->stop)) {
            struct pollfd item = { .fd = fd, .events = POLLIN };
            if (poll (&item, 1, 50) > 0 && recv (fd, scratch, sizeof (scratch), 0) <= 0)
                break;
        }
    }
    else
    if (server->mode == SERVER_FLOOD) {
        size_t total = 2 * 1024 * 1024;
        char head [256];
        int head_len = snprintf (head, sizeof (head),
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\nConnection: close\r\n\r\n", total);
        s_write_all (fd, head, (size_t) head_len);
        memset (scratch, ' ', sizeof (scratch));
        for (size_t sent = 0; sent < total; sent += sizeof (scratch))
            s_write_all (fd, scratch, sizeof (scratch));
    }
    //  SERVER_CLOSE_EARLY: nothing, just the close
}

static void *
s_server_run (void *arg)
{
    server_t *server = (server_t *) arg;
    while (true) {
        struct pollfd item = { .fd = server->listener, .events = POLLIN };
        int ready = poll (&item, 1, 20);
        if (ready <= 0) {
            if (atomic_load (&server->stop))
                break;          //  and the backlog is empty: nothing more came
            continue;
        }
        int fd = accept (server->listener, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add (&server->connections, 1);
        s_serve (server, fd);
        close (fd);
    }
    return NULL;
}

static int
s_listen_loopback (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof (address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = 0;
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof (address)), 0);
    socklen_t size = sizeof (address);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &size), 0);
    *port = ntohs (address.sin_port);
    return fd;
}

static server_t *
s_server_start (server_mode_t mode, const char *answer)
{
    server_t *server = (server_t *) calloc (1, sizeof (server_t));
    assert_non_null (server);
    server->listener = s_listen_loopback (&server->port);
    assert_int_equal (listen (server->listener, 8), 0);
    server->mode = mode;
    server->answer = answer;
    atomic_init (&server->connections, 0);
    atomic_init (&server->stop, false);
    assert_int_equal (pthread_create (&server->thread, NULL, s_server_run, server), 0);
    return server;
}

//  Stops the server and returns the number of connections it saw
static int
s_server_stop (server_t *server)
{
    atomic_store (&server->stop, true);
    pthread_join (server->thread, NULL);
    close (server->listener);
    return atomic_load (&server->connections);
}

static ep_venue_t *
s_venue_for (const server_t *server, int64_t timeout_ms)
{
    char url [64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d", server->port);
    return s_venue_at (url, timeout_ms < 1000 ? timeout_ms : 1000, timeout_ms);
}

//  The raw answer a test server gives, with a correct Content-Length
static char *
s_http_answer (const char *status_line, const char *extra_headers, const char *body)
{
    size_t size = strlen (body) + 512;
    char *answer = (char *) malloc (size);
    assert_non_null (answer);
    snprintf (answer, size, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%s"
              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
              status_line, extra_headers, strlen (body), body);
    return answer;
}

static void
test_send_to_a_closed_port_is_not_sent (void **state)
{
    (void) state;
    //  A port that was free a moment ago: nothing listens there
    int port;
    int fd = s_listen_loopback (&port);
    close (fd);
    char url [64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d", port);
    ep_venue_t *venue = s_venue_at (url, 1000, 2000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (result.curl_code, CURLE_COULDNT_CONNECT);
    assert_int_equal (result.request_size, 0);
    assert_int_equal (result.http_status, 0);
    assert_int_equal (result.status, EP_STATUS (FAILED));
    assert_int_equal (result.failure, EP_FAILURE (NOT_SENT));
    assert_true (result.terminal);
    assert_non_null (strstr (result.reason, "libcurl 7"));
    assert_non_null (strstr (result.reason, "nothing was sent"));
    assert_true (result.curl_error [0]);
    assert_null (strstr (result.curl_error, "signature"));
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_send_that_cannot_connect_in_time_is_not_sent (void **state)
{
    (void) state;
    //  A listener whose accept queue is full: Linux drops further SYNs, so
    //  the connect times out on loopback, as it would against a dead host
    int port;
    int listener = s_listen_loopback (&port);
    assert_int_equal (listen (listener, 0), 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof (address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    int fillers [4];
    for (int index = 0; index < 4; index++) {
        fillers [index] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true (fillers [index] >= 0);
        connect (fillers [index], (struct sockaddr *) &address, sizeof (address));
    }
    usleep (200 * 1000);

    char url [64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d", port);
    ep_venue_t *venue = s_venue_at (url, 300, 300);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    //  28 (timed out); 7 where the kernel answers an overflow with a reset
    assert_true (result.curl_code == CURLE_OPERATION_TIMEDOUT
                 || result.curl_code == CURLE_COULDNT_CONNECT);
    assert_int_equal (result.request_size, 0);
    assert_int_equal (result.status, EP_STATUS (FAILED));
    assert_int_equal (result.failure, EP_FAILURE (NOT_SENT));
    assert_non_null (strstr (result.reason, "nothing was sent"));
    for (int index = 0; index < 4; index++)
        close (fillers [index]);
    close (listener);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_send_posts_the_signed_body_once_with_key_header (void **state)
{
    (void) state;
    char *answer = s_http_answer ("200 OK", "",
        SUBMIT_ORDER ("FILLED", "0.50000000", "125.12500000", FILL_ONE));
    server_t *server = s_server_start (SERVER_ANSWER, answer);
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), 50000000, 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);

    assert_int_equal (result.curl_code, 0);
    assert_int_equal (result.http_status, 200);
    assert_true (result.request_size > 0);
    assert_true (result.elapsed_us > 0);
    assert_int_equal (result.status, EP_STATUS (FILLED));
    assert_int_equal (result.fill_count, 1);
    assert_string_equal (result.venue_order_id, "12");

    //  On the wire: HTTP/1.1 POST, key header, form body = params + signature
    char signature [65], expected_body [EP_VENUE_PARAMS_MAX + 80];
    ep_binance_sign (DOC_SECRET, request.params, signature);
    snprintf (expected_body, sizeof (expected_body), "%s&signature=%s", request.params, signature);
    const char *wire = server->request;
    assert_memory_equal (wire, "POST /api/v3/order HTTP/1.1\r\n",
                         strlen ("POST /api/v3/order HTTP/1.1\r\n"));
    assert_non_null (strstr (wire, "\r\nX-MBX-APIKEY: " DOC_KEY "\r\n"));
    assert_non_null (strstr (wire, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    assert_null (strcasestr (wire, "\r\nExpect:"));
    const char *body = strstr (wire, "\r\n\r\n");
    assert_non_null (body);
    assert_string_equal (body + 4, expected_body);
    //  The signature goes on the wire, never into the result
    assert_null (strstr (result.reason, signature));
    free (answer);
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_send_puts_query_and_cancel_parameters_in_the_query_string (void **state)
{
    (void) state;
    const ep_venue_op_t ops [2] = { EP_VENUE_QUERY, EP_VENUE_CANCEL };
    const char *bodies [2] = {
        QUERY_ORDER ("NEW", "0.00000000", "0.00000000"),
        CANCEL_ORDER (ID, "CANCELED", "0.00000000", "0.00000000")
    };
    const int statuses [2] = { EP_STATUS (ACCEPTED), EP_STATUS (CANCELED) };
    for (int index = 0; index < 2; index++) {
        char *answer = s_http_answer ("200 OK", "", bodies [index]);
        server_t *server = s_server_start (SERVER_ANSWER, answer);
        ep_venue_t *venue = s_venue_for (server, 5000);
        //  The order the canned answers are about: 0.5
        ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC),
                                       ORDER_QTY, E8 (1));
        ep_venue_request_t request;
        assert_int_equal (venue->prepare (venue, ops [index], &intent, ID, NOW_MS, 0, &request), 0);
        ep_venue_result_t result;
        memset (&result, 0, sizeof (result));
        venue->send (venue, &request, &result);
        assert_int_equal (s_server_stop (server), 1);
        assert_int_equal (result.status, statuses [index]);

        char signature [65], line [EP_VENUE_PARAMS_MAX + 160];
        ep_binance_sign (DOC_SECRET, request.params, signature);
        snprintf (line, sizeof (line), "%s /api/v3/order?%s&signature=%s HTTP/1.1\r\n",
                  request.method, request.params, signature);
        assert_memory_equal (server->request, line, strlen (line));
        assert_non_null (strstr (server->request, "\r\nX-MBX-APIKEY: " DOC_KEY "\r\n"));
        //  No body
        const char *end = strstr (server->request, "\r\n\r\n");
        assert_non_null (end);
        assert_string_equal (end + 4, "");
        free (answer);
        free (server);
        ep_venue_result_reset (&result);
        venue->destroy (&venue);
    }
}

static void
test_send_reads_retry_after_on_429 (void **state)
{
    (void) state;
    char *answer = s_http_answer ("429 Too Many Requests",
                                  "Retry-After:  7 \r\nX-MBX-USED-WEIGHT-1M: 6004\r\n"
                                  "x-mbx-order-count-10s: 12\r\nX-MBX-ORDER-COUNT-1D: x9\r\n",
                                  ERROR_JSON (-1003, "Too much request weight used."));
    server_t *server = s_server_start (SERVER_ANSWER, answer);
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    assert_int_equal (result.http_status, 429);
    assert_string_equal (result.retry_after, "7");
    assert_int_equal (result.retry_after_s, 7);
    //  The rate-limit headers, whatever their case; a count that is not
    //  one is absent
    assert_int_equal (result.used_weight_1m, 6004);
    assert_int_equal (result.order_count_10s, 12);
    assert_int_equal (result.order_count_1d, -1);
    assert_int_equal (result.venue_code, -1003);
    assert_int_equal (result.status, EP_STATUS (REJECTED));
    assert_int_equal (result.failure, EP_FAILURE (RATE_LIMITED));
    assert_non_null (strstr (result.reason, "Retry-After: 7"));
    free (answer);
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_rate_limits_and_weights_are_binances (void **state)
{
    (void) state;
    const char *info =
        "{\"rateLimits\":["
        "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
        "\"limit\":1200},"
        "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
        "\"limit\":50},"
        "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
        "\"limit\":160000},"
        "{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\",\"intervalNum\":5,"
        "\"limit\":61000}],\"symbols\":[]}";
    ep_venue_limits_t limits;
    char err [256];
    assert_int_equal (ep_binance_rate_limits (info, strlen (info), &limits, err, sizeof err), 0);
    assert_int_equal (limits.weight_per_minute, 1200);
    assert_int_equal (limits.orders_per_10s, 50);
    assert_int_equal (limits.orders_per_day, 160000);
    //  None listed: none read
    assert_int_equal (ep_binance_rate_limits ("{}", 2, &limits, err, sizeof err), 0);
    assert_int_equal (limits.weight_per_minute, 0);
    const char *bad = "{\"rateLimits\":[{\"rateLimitType\":\"ORDERS\"}]}";
    assert_int_equal (ep_binance_rate_limits (bad, strlen (bad), &limits, err, sizeof err), -1);
    assert_non_null (strstr (err, "rateLimits entry 0"));
    //  The weights rest-api.md gives
    ep_venue_t *venue = s_venue ();
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_SUBMIT), 1);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_QUERY), 4);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_CANCEL), 1);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_CANCEL_REPLACE), 1);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_AMEND), 4);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_TIME), 1);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_RULES), 20);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_TRADES), 5);
    assert_int_equal (ep_venue_weight (venue, EP_VENUE_OPEN_ORDERS), 80);
    venue->destroy (&venue);
}

static void
test_send_to_a_peer_that_closes_early_is_unknown_and_not_resent (void **state)
{
    (void) state;
    server_t *server = s_server_start (SERVER_CLOSE_EARLY, NULL);
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    //  One connection: libcurl did not try again on a fresh one
    assert_int_equal (s_server_stop (server), 1);
    assert_true (server->request_size > 0);
    //  libcurl 7.88 reports an empty reply (52); a reset would be 56
    assert_true (result.curl_code == CURLE_GOT_NOTHING || result.curl_code == CURLE_RECV_ERROR);
    assert_true (result.request_size > 0);
    assert_int_equal (result.status, EP_STATUS (UNKNOWN));
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    assert_true (result.terminal);
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_send_to_a_peer_that_hangs_times_out_unknown (void **state)
{
    (void) state;
    server_t *server = s_server_start (SERVER_HANG, NULL);
    ep_venue_t *venue = s_venue_for (server, 400);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    assert_int_equal (result.curl_code, CURLE_OPERATION_TIMEDOUT);
    assert_true (result.request_size > 0);
    assert_true (result.elapsed_us >= 300000);    //  about the timeout, give or take
    assert_int_equal (result.http_status, 0);
    assert_int_equal (result.status, EP_STATUS (UNKNOWN));
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    assert_non_null (strstr (result.reason, "libcurl 28"));
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_send_cuts_an_oversized_answer_and_calls_it_unknown (void **state)
{
    (void) state;
    server_t *server = s_server_start (SERVER_FLOOD, NULL);
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    assert_int_equal (result.curl_code, CURLE_WRITE_ERROR);
    assert_true (result.body_size <= 1024 * 1024);
    assert_int_equal (result.status, EP_STATUS (UNKNOWN));
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

static void
test_nothing_secret_reaches_the_result_even_when_the_venue_echoes_it (void **state)
{
    (void) state;
    server_t *server = s_server_start (SERVER_ECHO, NULL);
    //  A venue that quotes our whole request, and even the shared secret
    server->extra = " secret " DOC_SECRET;
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC), E8 (1), E8 (2));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    assert_null (strstr (request.params, "signature"));
    assert_null (strstr (request.params, DOC_KEY));
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    char signature [65];
    ep_binance_sign (DOC_SECRET, request.params, signature);
    //  The server did see them...
    assert_non_null (strstr (server->request, signature));
    assert_non_null (strstr (server->request, DOC_KEY));
    //  ...and the result keeps none of them, yet still classifies the echo
    assert_int_equal (result.status, EP_STATUS (REJECTED));
    assert_int_equal (result.failure, EP_FAILURE (VENUE_REJECTED));
    assert_int_equal (result.venue_code, -1100);
    const char *secrets [3] = { signature, DOC_KEY, DOC_SECRET };
    for (int index = 0; index < 3; index++) {
        assert_non_null (result.body);
        assert_null (strstr (result.body, secrets [index]));
        assert_null (strstr (result.reason, secrets [index]));
        assert_null (strstr (result.venue_msg, secrets [index]));
        assert_null (strstr (result.curl_error, secrets [index]));
    }
    //  Scrubbed in place, same length: the body is still the venue's JSON
    assert_non_null (strstr (result.body, "signature=****"));
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

//  Control characters (escaped in the JSON) become spaces in the message;
//  bytes that are not UTF-8 in a header become '?'
static void
test_venue_text_with_invalid_bytes_and_controls_is_made_valid (void **state)
{
    (void) state;
    const char *body = "{\"code\":-1003,\"msg\":\"slow\\u001bdown\\u0007now\\u009f\\r\\n"
                       "\xc3\xa9t\xc3\xa9\"}";
    char *answer = s_http_answer ("429 Too Many Requests", "Retry-After: 7\xff\xc3\x28\x01\r\n",
                                  body);
    server_t *server = s_server_start (SERVER_ANSWER, answer);
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), ORDER_QTY, 0);
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    assert_int_equal (result.failure, EP_FAILURE (RATE_LIMITED));
    s_assert_texts_valid (&result);
    assert_string_equal (result.venue_msg, "slow down now   \xc3\xa9t\xc3\xa9");
    assert_string_equal (result.retry_after, "7?\?( ");
    assert_non_null (strstr (result.reason, "Retry-After: 7?\?("));
    free (answer);
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

//  The same venue, answering with every character JSON-escaped ("\u0073"
//  for "s"): what the decoder would read is scrubbed, in the body as in
//  every text decoded from it
static void
test_nothing_secret_reaches_the_result_when_the_venue_echoes_it_escaped (void **state)
{
    (void) state;
    server_t *server = s_server_start (SERVER_ECHO, NULL);
    server->extra = " secret " DOC_SECRET;
    server->escape_all = true;
    ep_venue_t *venue = s_venue_for (server, 5000);
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC), E8 (1), E8 (2));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS, 0, &request), 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    venue->send (venue, &request, &result);
    assert_int_equal (s_server_stop (server), 1);
    char signature [65];
    ep_binance_sign (DOC_SECRET, request.params, signature);
    assert_int_equal (result.venue_code, -1100);
    assert_int_equal (result.failure, EP_FAILURE (VENUE_REJECTED));
    assert_non_null (result.body);
    //  The body decodes, and what it decodes to holds no secret
    json_error_t error;
    json_t *json = json_loadb (result.body, result.body_size, 0, &error);
    assert_non_null (json);
    const char *msg = json_string_value (json_object_get (json, "msg"));
    assert_non_null (msg);
    const char *secrets [3] = { signature, DOC_KEY, DOC_SECRET };
    for (int index = 0; index < 3; index++) {
        assert_null (strstr (msg, secrets [index]));
        assert_null (strstr (result.body, secrets [index]));
        assert_null (strstr (result.reason, secrets [index]));
        assert_null (strstr (result.venue_msg, secrets [index]));
        //  Nor any part of it long enough to matter
        char head [9];
        snprintf (head, sizeof (head), "%s", secrets [index]);
        assert_null (strstr (msg, head));
    }
    //  What the venue said around them is still there
    assert_non_null (strstr (msg, "POST /api/v3/order HTTP/1.1"));
    assert_non_null (strstr (msg, " secret ****"));
    json_decref (json);
    free (server);
    ep_venue_result_reset (&result);
    venue->destroy (&venue);
}

//  Binance's -2013 to a query is its word that it has no such order: the
//  plane reads it as `absent`, conclusive only after the venue's margin
static void
test_order_the_venue_does_not_know_is_absent_after_a_margin (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    assert_int_equal (venue->absence_margin_ms, 60000);
    venue->destroy (&venue);

    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    s_wire (&result, 0, 200, 400, NULL, ERROR_JSON (-2013, "Order does not exist."));
    ep_binance_classify (EP_VENUE_QUERY, ID, ORDER_QTY, &result);
    assert_true (result.absent);
    assert_int_equal (result.status, EP_STATUS (STATUS_UNSPECIFIED));
    //  Any other error, or -2013 to a cancel, says nothing of absence
    s_wire (&result, 0, 200, 400, NULL, ERROR_JSON (-1022, "Signature not valid."));
    ep_binance_classify (EP_VENUE_QUERY, ID, ORDER_QTY, &result);
    assert_false (result.absent);
    s_wire (&result, 0, 200, 400, NULL, ERROR_JSON (-2013, "Order does not exist."));
    ep_binance_classify (EP_VENUE_CANCEL, ID, ORDER_QTY, &result);
    assert_false (result.absent);
    ep_venue_result_reset (&result);
}

//  ---------------------------------------------------------------------
//  Cancel-replace and amend

#define TARGET_ID   "epTheTarget_0123456789-abcdefghijk"

static void
test_cancel_replace_stops_on_failure_and_names_both_orders (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC),
                                   ORDER_QTY, E8 (250));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare_change (venue, EP_VENUE_CANCEL_REPLACE, &intent, TARGET_ID,
                                             ID, NOW_MS, 0, &request), 0);
    assert_int_equal (request.op, EP_VENUE_CANCEL_REPLACE);
    assert_string_equal (request.method, "POST");
    assert_string_equal (request.path, "/api/v3/order/cancelReplace");
    assert_string_equal (request.params,
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price=250"
        "&newClientOrderId=" ID "&newOrderRespType=FULL&cancelReplaceMode=STOP_ON_FAILURE"
        "&cancelOrigClientOrderId=" TARGET_ID "&recvWindow=5000&timestamp=1700000000123");
    assert_string_equal (request.client_order_id, ID);
    assert_string_equal (request.target_client_order_id, TARGET_ID);
    assert_int_equal (request.qty_e8, ORDER_QTY);
    assert_null (strstr (request.params, "signature"));
    //  A replacing order is a LIMIT; the target's id is held to Binance's syntax
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), ORDER_QTY, 0);
    assert_int_equal (venue->prepare_change (venue, EP_VENUE_CANCEL_REPLACE, &intent, TARGET_ID,
                                             ID, NOW_MS, 0, &request), -1);
    intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC), ORDER_QTY, E8 (250));
    assert_int_equal (venue->prepare_change (venue, EP_VENUE_CANCEL_REPLACE, &intent, "a&b=c",
                                             ID, NOW_MS, 0, &request), -1);
    assert_int_equal (venue->prepare_change (venue, EP_VENUE_SUBMIT, &intent, TARGET_ID,
                                             ID, NOW_MS, 0, &request), -1);
    venue->destroy (&venue);
}

static void
test_amend_keeps_priority_and_sends_only_the_new_quantity (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC),
                                   ORDER_QTY, E8 (250));
    ep_venue_request_t request;
    assert_int_equal (venue->prepare_change (venue, EP_VENUE_AMEND, &intent, TARGET_ID, ID,
                                             NOW_MS, 0, &request), 0);
    assert_string_equal (request.method, "PUT");
    assert_string_equal (request.path, "/api/v3/order/amend/keepPriority");
    assert_string_equal (request.params, "symbol=BTCUSDT&origClientOrderId=" TARGET_ID
                         "&newClientOrderId=" ID "&newQty=0.5"
                         "&recvWindow=5000&timestamp=1700000000123");
    venue->destroy (&venue);
}

#define REPLACED_JSON(cancel, place) \
    "{\"cancelResult\":\"SUCCESS\",\"newOrderResult\":\"SUCCESS\",\"cancelResponse\":" cancel \
    ",\"newOrderResponse\":" place "}"
#define TARGET_CANCELED \
    ORDER_JSON ("origClientOrderId", TARGET_ID, "CANCELED", "0.50000000", "0.20000000", \
                "50.00000000", ",\"clientOrderId\":\"x\"")
#define REPLACE_FAILED(code, cancel_result, cancel, place_result, place) \
    "{\"code\":" #code ",\"msg\":\"Order cancel-replace partially failed.\",\"data\":{" \
    "\"cancelResult\":\"" cancel_result "\",\"newOrderResult\":\"" place_result "\"," \
    "\"cancelResponse\":" cancel ",\"newOrderResponse\":" place "}}"
#define AMENDED_JSON(echo, qty, executed) \
    "{\"transactTime\":1700000000300,\"executionId\":75,\"amendedOrder\":{" \
    "\"symbol\":\"BTCUSDT\",\"orderId\":12,\"orderListId\":-1,\"origClientOrderId\":\"" \
    TARGET_ID "\",\"clientOrderId\":\"" echo "\",\"price\":\"250.00000000\",\"qty\":\"" qty \
    "\",\"executedQty\":\"" executed "\",\"preventedQty\":\"0.00000000\"," \
    "\"quoteOrderQty\":\"0.00000000\",\"cumulativeQuoteQty\":\"0.00000000\"," \
    "\"status\":\"NEW\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\"}}"

typedef struct {
    const char *name;
    ep_venue_op_t op;
    int curl_code;
    int64_t request_size;
    long http_status;
    const char *body;
    int status, failure;        //  the new order's, expected
    bool target_known;          //  the cancel part took effect
    int target_code;            //  the cancel part's code when it failed
    const char *contains;
} change_row_t;

static const change_row_t s_change_rows [] = {
    { "replaced: target canceled, new order rests", EP_VENUE_CANCEL_REPLACE, 0, 300, 200,
      REPLACED_JSON (TARGET_CANCELED, SUBMIT_ORDER ("NEW", "0.00000000", "0.00000000",
                                                    ",\"fills\":[]")),
      EP_STATUS (ACCEPTED), NO_FAILURE, true, 0, "venue NEW" },
    { "cancel part -2011: nothing placed", EP_VENUE_CANCEL_REPLACE, 0, 300, 400,
      REPLACE_FAILED (-2021, "FAILURE", ERROR_JSON (-2011, "Unknown order sent."),
                      "NOT_ATTEMPTED", "null"),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), false, -2011, "nothing was placed" },
    { "new order refused after the cancel", EP_VENUE_CANCEL_REPLACE, 0, 300, 400,
      REPLACE_FAILED (-2021, "SUCCESS", TARGET_CANCELED, "FAILURE",
                      ERROR_JSON (-2010, "Account has insufficient balance for requested action.")),
      EP_STATUS (REJECTED), EP_FAILURE (INSUFFICIENT_FUNDS), true, 0, "target was canceled" },
    { "both failed", EP_VENUE_CANCEL_REPLACE, 0, 300, 400,
      REPLACE_FAILED (-2022, "FAILURE", ERROR_JSON (-2011, "Unknown order sent."),
                      "FAILURE", ERROR_JSON (-1013, "Filter failure: PRICE_FILTER")),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), false, -2011, "-1013" },
    { "replace timeout", EP_VENUE_CANCEL_REPLACE, CURLE_OPERATION_TIMEDOUT, 300, 0, NULL,
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "execution status unknown" },
    { "replace refused connection", EP_VENUE_CANCEL_REPLACE, CURLE_COULDNT_CONNECT, 0, 0, NULL,
      EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), false, 0, "nothing was sent" },
    { "replace 5xx", EP_VENUE_CANCEL_REPLACE, 0, 300, 502, "<html>bad gateway</html>",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "HTTP 502" },
    { "replace -1007", EP_VENUE_CANCEL_REPLACE, 0, 300, 408,
      ERROR_JSON (-1007, "Timeout waiting for response from backend server."),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "-1007" },
    { "replace truncated", EP_VENUE_CANCEL_REPLACE, 0, 300, 200, "{\"cancelResult\":\"SUCC",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "unparseable" },
    { "amended in place", EP_VENUE_AMEND, 0, 300, 200,
      AMENDED_JSON (ID, "0.50000000", "0.00000000"),
      EP_STATUS (ACCEPTED), NO_FAILURE, true, 0, "venue NEW" },
    { "amend answered for another id", EP_VENUE_AMEND, 0, 300, 200,
      AMENDED_JSON (OTHER_ID, "0.50000000", "0.00000000"),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "not ours" },
    { "amend of another quantity", EP_VENUE_AMEND, 0, 300, 200,
      AMENDED_JSON (ID, "0.40000000", "0.00000000"),
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "not trusted" },
    { "amend -2011", EP_VENUE_AMEND, 0, 300, 400, ERROR_JSON (-2011, "Unknown order sent."),
      EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), false, -2011, "nothing was placed" },
    { "amend 5xx", EP_VENUE_AMEND, 0, 300, 500, "",
      EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, 0, "execution status unknown" },
};

static void
test_every_change_classification_rule_holds (void **state)
{
    (void) state;
    ep_venue_result_t result;
    memset (&result, 0, sizeof (result));
    for (size_t index = 0; index < sizeof (s_change_rows) / sizeof (s_change_rows [0]); index++) {
        const change_row_t *row = &s_change_rows [index];
        s_wire (&result, row->curl_code, row->request_size, row->http_status, NULL, row->body);
        ep_binance_classify_change (row->op, TARGET_ID, ID, ORDER_QTY, &result);
        if (result.status != row->status || result.failure != row->failure
        ||  result.target_known != row->target_known || result.target_code != row->target_code
        ||  !strstr (result.reason, row->contains))
            fail_msg ("row \"%s\": got status %d failure %d target %d/%d reason \"%s\"; "
                      "want %d %d %d/%d containing \"%s\"", row->name, result.status,
                      result.failure, (int) result.target_known, result.target_code,
                      result.reason, row->status, row->failure, (int) row->target_known,
                      row->target_code, row->contains);
        if (result.target_known)
            assert_int_equal (result.target_status, EP_STATUS (CANCELED));
        assert_null (strchr (result.reason, '\n'));
    }
    //  The target's figures come from the cancel's answer on it
    s_wire (&result, 0, 300, 200, NULL,
            REPLACED_JSON (TARGET_CANCELED, SUBMIT_ORDER ("NEW", "0.00000000", "0.00000000",
                                                          ",\"fills\":[]")));
    ep_binance_classify_change (EP_VENUE_CANCEL_REPLACE, TARGET_ID, ID, ORDER_QTY, &result);
    assert_int_equal (result.target_executed_qty_e8, 20000000);
    assert_int_equal (result.target_cum_quote_e8, E8 (50));
    assert_string_equal (result.target_venue_status, "CANCELED");
    ep_venue_result_reset (&result);
}

static void
test_send_puts_an_amend_and_posts_a_cancel_replace_with_signed_bodies (void **state)
{
    (void) state;
    const ep_venue_op_t ops [2] = { EP_VENUE_AMEND, EP_VENUE_CANCEL_REPLACE };
    const char *lines [2] = { "PUT /api/v3/order/amend/keepPriority HTTP/1.1\r\n",
                              "POST /api/v3/order/cancelReplace HTTP/1.1\r\n" };
    const char *bodies [2] = {
        AMENDED_JSON (ID, "0.50000000", "0.00000000"),
        REPLACED_JSON (TARGET_CANCELED, SUBMIT_ORDER ("NEW", "0.00000000", "0.00000000",
                                                      ",\"fills\":[]"))
    };
    for (int index = 0; index < 2; index++) {
        char *answer = s_http_answer ("200 OK", "", bodies [index]);
        server_t *server = s_server_start (SERVER_ANSWER, answer);
        ep_venue_t *venue = s_venue_for (server, 5000);
        ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (LIMIT), EP_TIF (GTC),
                                       ORDER_QTY, E8 (250));
        ep_venue_request_t request;
        assert_int_equal (venue->prepare_change (venue, ops [index], &intent, TARGET_ID, ID,
                                                 NOW_MS, 0, &request), 0);
        ep_venue_result_t result;
        memset (&result, 0, sizeof (result));
        venue->send (venue, &request, &result);
        assert_int_equal (s_server_stop (server), 1);
        assert_int_equal (result.status, EP_STATUS (ACCEPTED));
        assert_true (result.target_known);
        assert_int_equal (result.target_status, EP_STATUS (CANCELED));

        char signature [65], expected_body [EP_VENUE_PARAMS_MAX + 80];
        ep_binance_sign (DOC_SECRET, request.params, signature);
        snprintf (expected_body, sizeof (expected_body), "%s&signature=%s", request.params,
                  signature);
        assert_memory_equal (server->request, lines [index], strlen (lines [index]));
        assert_non_null (strstr (server->request, "\r\nX-MBX-APIKEY: " DOC_KEY "\r\n"));
        const char *body = strstr (server->request, "\r\n\r\n");
        assert_non_null (body);
        assert_string_equal (body + 4, expected_body);
        free (answer);
        free (server);
        ep_venue_result_reset (&result);
        venue->destroy (&venue);
    }
}

//  The venue's guard: recvWindow is the time left before the intent's
//  deadline when that is shorter than the configured window (5000 here)
static void
test_recv_window_is_bounded_by_the_time_left (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_intent_t intent = s_intent (EP_SIDE (BUY), EP_TYPE (MARKET), EP_TIF (IOC), E8 (1), 0);
    ep_venue_request_t request;
    int64_t windows [][2] = { { 1500, 1500 }, { 0, 5000 }, { 9000, 5000 }, { 1, 1 } };
    for (size_t index = 0; index < 4; index++) {
        assert_int_equal (venue->prepare (venue, EP_VENUE_SUBMIT, &intent, ID, NOW_MS,
                                          windows [index][0], &request), 0);
        assert_int_equal (request.recv_window_ms, windows [index][1]);
        char expected [64];
        snprintf (expected, sizeof expected, "&recvWindow=%lld&", (long long) windows [index][1]);
        assert_non_null (strstr (request.params, expected));
    }
    venue->destroy (&venue);
}

//  ---------------------------------------------------------------------
//  The venue's clock and rules, and its word on our timestamp

static void
test_info_requests_are_unsigned_gets (void **state)
{
    (void) state;
    ep_venue_t *venue = s_venue ();
    ep_venue_request_t request;
    assert_int_equal (venue->prepare_info (venue, EP_VENUE_TIME, &request), 0);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.path, "/api/v3/time");
    assert_string_equal (request.params, "");           //  no timestamp, no signature
    assert_int_equal (venue->prepare_info (venue, EP_VENUE_RULES, &request), 0);
    assert_string_equal (request.path, "/api/v3/exchangeInfo");
    assert_int_equal (venue->prepare_info (venue, EP_VENUE_SUBMIT, &request), -1);
    venue->destroy (&venue);
}

static void
test_time_answer_gives_the_venue_clock (void **state)
{
    (void) state;
    ep_venue_result_t result = { 0 };
    //  rest-api.md: {"serverTime": 1499827319559}
    s_wire (&result, 0, 80, 200, NULL, "{\"serverTime\":1499827319559}");
    ep_binance_classify_info (EP_VENUE_TIME, &result);
    assert_int_equal (result.server_time_ms, 1499827319559);
    assert_int_equal (result.failure, EP_FAILURE (FAILURE_NONE));
    assert_int_equal (result.status, EP_STATUS (STATUS_UNSPECIFIED));
    assert_false (result.terminal);
    s_wire (&result, 0, 80, 200, NULL, "{\"serverTime\":\"soon\"}");
    ep_binance_classify_info (EP_VENUE_TIME, &result);
    assert_int_equal (result.server_time_ms, 0);
    assert_int_not_equal (result.failure, EP_FAILURE (FAILURE_NONE));
    assert_non_null (strstr (result.reason, "no serverTime"));
    s_wire (&result, 0, 80, 429, "7", ERROR_JSON (-1003, "Too many requests."));
    ep_binance_classify_info (EP_VENUE_RULES, &result);
    assert_int_equal (result.failure, EP_FAILURE (RATE_LIMITED));
    assert_non_null (strstr (result.reason, "the venue's rules: not read"));
    s_wire (&result, CURLE_COULDNT_CONNECT, 0, 0, NULL, NULL);
    ep_binance_classify_info (EP_VENUE_TIME, &result);
    assert_int_equal (result.failure, EP_FAILURE (NOT_SENT));
    assert_false (result.terminal);
    ep_venue_result_reset (&result);
}

//  errors.md: -1021 INVALID_TIMESTAMP "Timestamp for this request was
//  1000ms ahead of the server's time." / "...is outside of the recvWindow."
static void
test_a_refused_timestamp_is_a_clock_fault (void **state)
{
    (void) state;
    ep_venue_result_t result = { 0 };
    s_wire (&result, 0, 312, 400, NULL,
            ERROR_JSON (-1021, "Timestamp for this request was 1000ms ahead of the server's time."));
    ep_binance_classify (EP_VENUE_SUBMIT, ID, E8 (1), &result);
    assert_true (result.clock_fault);
    assert_int_equal (result.status, EP_STATUS (REJECTED));
    assert_int_equal (result.failure, EP_FAILURE (VENUE_REJECTED));
    assert_non_null (strstr (result.reason, "the host's clock is off"));
    s_wire (&result, 0, 200, 400, NULL,
            ERROR_JSON (-1021, "Timestamp for this request is outside of the recvWindow."));
    ep_binance_classify (EP_VENUE_QUERY, ID, E8 (1), &result);
    assert_true (result.clock_fault);
    assert_false (result.terminal);                      //  a query: no news of the order
    s_wire (&result, 0, 312, 400, NULL, ERROR_JSON (-1013, "Filter failure: LOT_SIZE"));
    ep_binance_classify (EP_VENUE_SUBMIT, ID, E8 (1), &result);
    assert_false (result.clock_fault);
    ep_venue_result_reset (&result);
}

//  rest-api.md's myTrades answer: each trade of the order with its fee
static void
test_an_orders_trades_carry_their_fees (void **state)
{
    (void) state;
    ep_venue_result_t result = { 0 };
    s_wire (&result, 0, 200, 200, NULL,
        "[{\"symbol\":\"BNBBTC\",\"id\":28457,\"orderId\":100234,\"orderListId\":-1,"
        "\"price\":\"4.00000100\",\"qty\":\"12.00000000\",\"quoteQty\":\"48.000012\","
        "\"commission\":\"10.10000000\",\"commissionAsset\":\"BNB\",\"time\":1499865549590,"
        "\"isBuyer\":true,\"isMaker\":false,\"isBestMatch\":true}]");
    ep_binance_classify_trades ("100234", &result);
    assert_int_equal (result.failure, EP_FAILURE (FAILURE_NONE));
    assert_int_equal (result.fill_count, 1);
    assert_string_equal (result.fills [0].trade_id, "28457");
    assert_int_equal (result.fills [0].qty_e8, E8 (12));
    assert_int_equal (result.fills [0].price_e8, 400000100);
    assert_int_equal (result.fills [0].fee_e8, 1010000000);
    assert_string_equal (result.fills [0].fee_asset, "BNB");
    //  A trade of another order is not taken on trust
    ep_binance_classify_trades ("999", &result);
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    assert_int_equal (result.fill_count, 0);
    assert_non_null (strstr (result.reason, "trade 0 is not of order 999"));
    ep_venue_result_reset (&result);
}

//  rest-api.md's openOrders answer: each order with its ids, side, status
//  and quantities; one that is not whole leaves the list unread
static void
test_open_orders_are_read_whole_or_not_at_all (void **state)
{
    (void) state;
    ep_venue_result_t result = { 0 };
    s_wire (&result, 0, 200, 200, NULL,
        "[{\"symbol\":\"LTCBTC\",\"orderId\":1,\"orderListId\":-1,\"clientOrderId\":\"myOrder1\","
        "\"price\":\"0.1\",\"origQty\":\"1.0\",\"executedQty\":\"0.0\",\"cummulativeQuoteQty\":"
        "\"0.0\",\"status\":\"NEW\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\","
        "\"stopPrice\":\"0.0\",\"icebergQty\":\"0.0\",\"time\":1499827319559,\"updateTime\":"
        "1499827319559,\"isWorking\":true,\"origQuoteOrderQty\":\"0.000000\",\"workingTime\":"
        "1499827319559,\"selfTradePreventionMode\":\"NONE\"}]");
    ep_binance_classify_open (&result);
    assert_int_equal (result.failure, EP_FAILURE (FAILURE_NONE));
    assert_int_equal (result.open_count, 1);
    assert_string_equal (result.open [0].client_order_id, "myOrder1");
    assert_string_equal (result.open [0].venue_order_id, "1");
    assert_string_equal (result.open [0].symbol, "LTCBTC");
    assert_int_equal (result.open [0].side, EP_SIDE (BUY));
    assert_string_equal (result.open [0].status, "NEW");
    assert_int_equal (result.open [0].qty_e8, E8 (1));
    assert_int_equal (result.open [0].executed_qty_e8, 0);
    assert_false (result.terminal);
    s_wire (&result, 0, 200, 200, NULL, "[{\"symbol\":\"LTCBTC\",\"orderId\":1}]");
    ep_binance_classify_open (&result);
    assert_int_equal (result.failure, EP_FAILURE (SEND_UNKNOWN));
    assert_int_equal (result.open_count, 0);
    assert_non_null (strstr (result.reason, "the open orders could not be read"));
    ep_venue_result_reset (&result);
}

//  ---------------------------------------------------------------------
//  exchangeInfo

//  rest-api.md's exchangeInfo answer, with filters.md's example filters.
static const char s_exchange_info [] =
    "{\"timezone\":\"UTC\",\"serverTime\":1565246363776,\"rateLimits\":[],"
    "\"exchangeFilters\":[],\"symbols\":["
    "{\"symbol\":\"ETHBTC\",\"status\":\"TRADING\",\"baseAsset\":\"ETH\","
    "\"quoteAsset\":\"BTC\",\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\","
    "\"STOP_LOSS\",\"STOP_LOSS_LIMIT\",\"TAKE_PROFIT\",\"TAKE_PROFIT_LIMIT\"],"
    "\"filters\":["
    "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.00000100\","
    "\"maxPrice\":\"100000.00000000\",\"tickSize\":\"0.00000100\"},"
    "{\"filterType\":\"PERCENT_PRICE_BY_SIDE\",\"bidMultiplierUp\":\"1.2\","
    "\"bidMultiplierDown\":\"0.2\",\"askMultiplierUp\":\"5\",\"askMultiplierDown\":\"0.8\","
    "\"avgPriceMins\":1},"
    "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.00100000\",\"maxQty\":\"100000.00000000\","
    "\"stepSize\":\"0.00100000\"},"
    "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"10.00000000\",\"applyMinToMarket\":false,"
    "\"maxNotional\":\"10000.00000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5},"
    "{\"filterType\":\"ICEBERG_PARTS\",\"limit\":10},"
    "{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"0.00100000\","
    "\"maxQty\":\"100000.00000000\",\"stepSize\":\"0.00100000\"},"
    "{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":25}],"
    "\"permissions\":[],\"permissionSets\":[[\"SPOT\",\"MARGIN\"]]},"
    "{\"symbol\":\"BNBBTC\",\"status\":\"BREAK\",\"orderTypes\":[\"LIMIT\"],\"filters\":["
    "{\"filterType\":\"PERCENT_PRICE\",\"multiplierUp\":\"1.3000\","
    "\"multiplierDown\":\"0.7000\",\"avgPriceMins\":5},"
    "{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":\"0.00100000\",\"applyToMarket\":true,"
    "\"avgPriceMins\":5}]}]}";

static void
test_exchange_info_becomes_the_instrument_table (void **state)
{
    (void) state;
    ep_instruments_t table;
    char error [256] = "";
    assert_int_equal (ep_binance_instruments (s_exchange_info, strlen (s_exchange_info), &table,
                                              error, sizeof error), 0);
    assert_int_equal (table.count, 2);
    const ep_instrument_t *eth = ep_instruments_find (&table, "ETHBTC");
    assert_non_null (eth);
    assert_true (eth->trading && eth->market && eth->limit);
    assert_string_equal (eth->base, "ETH");
    assert_string_equal (eth->quote, "BTC");
    assert_int_equal (eth->price.min_e8, 100);
    assert_int_equal (eth->price.max_e8, 10000000000000);
    assert_int_equal (eth->price.step_e8, 100);
    assert_int_equal (eth->lot.min_e8, 100000);
    assert_int_equal (eth->lot.step_e8, 100000);
    assert_int_equal (eth->market_lot.max_e8, 10000000000000);
    assert_int_equal (eth->min_notional_e8, 1000000000);
    assert_int_equal (eth->max_notional_e8, 1000000000000);
    assert_false (eth->min_notional_market || eth->max_notional_market);
    assert_int_equal (eth->bid_up_e8, 120000000);
    assert_int_equal (eth->bid_down_e8, 20000000);
    assert_int_equal (eth->ask_up_e8, 500000000);
    assert_int_equal (eth->ask_down_e8, 80000000);
    const ep_instrument_t *bnb = ep_instruments_find (&table, "BNBBTC");
    assert_non_null (bnb);
    assert_false (bnb->trading || bnb->market);
    assert_true (bnb->limit);
    //  PERCENT_PRICE holds for both sides; MIN_NOTIONAL's applyToMarket
    assert_int_equal (bnb->bid_up_e8, 130000000);
    assert_int_equal (bnb->ask_down_e8, 70000000);
    assert_int_equal (bnb->min_notional_e8, 100000);
    assert_true (bnb->min_notional_market);
    ep_instruments_clear (&table);
}

static void
test_exchange_info_that_cannot_be_read_whole_is_refused (void **state)
{
    (void) state;
    const char *cases [][2] = {
        { "not json", "exchangeInfo: '[' or '{' expected near 'not'" },
        { "{\"symbols\":{}}", "exchangeInfo: no symbols array" },
        { "{\"symbols\":[{\"status\":\"TRADING\",\"orderTypes\":[],\"filters\":[]}]}",
          "exchangeInfo: symbol 0: a symbol without a usable name" },
        { "{\"symbols\":[{\"symbol\":\"A\",\"status\":\"TRADING\",\"orderTypes\":[]}]}",
          "exchangeInfo: symbol 0: A: status, orderTypes or filters missing" },
        { "{\"symbols\":[{\"symbol\":\"A\",\"status\":\"TRADING\",\"orderTypes\":[],"
          "\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.001\",\"maxQty\":\"1e3\","
          "\"stepSize\":\"0.001\"}]}]}",
          "exchangeInfo: symbol 0: A: filter LOT_SIZE: maxQty missing or not a decimal" },
        { "{\"symbols\":[{\"symbol\":\"A\",\"status\":\"TRADING\",\"orderTypes\":[],\"filters\":[]},"
          "{\"symbol\":\"A\",\"status\":\"TRADING\",\"orderTypes\":[],\"filters\":[]}]}",
          "exchangeInfo: symbol 1: A is listed twice" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        ep_instruments_t table;
        char error [256] = "";
        assert_int_equal (ep_binance_instruments (cases [index][0], strlen (cases [index][0]),
                                                  &table, error, sizeof error), -1);
        assert_string_equal (error, cases [index][1]);
        assert_int_equal (table.count, 0);
    }
}

//  ---------------------------------------------------------------------
//  Ed25519 keys

//  A PKCS#8 PEM of the Ed25519 key whose seed is seed_hex, as Binance's
//  key generator writes one.

//  RFC 8032's test vectors 1 and 2 (section 7.1), signed as Binance takes
//  a signature: base64, standard alphabet, padded
static void
test_ed25519_signatures_match_rfc_8032 (void **state)
{
    (void) state;
    const char *vectors [][3] = {
        { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33b"
          "acc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
        { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "r",
          "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e1599"
          "6e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
    };
    assert_true (sodium_init () >= 0);
    for (size_t index = 0; index < 2; index++) {
        char pem [256], err [256] = "";
        test_pem_of_seed (vectors [index][0], pem, sizeof pem);
        unsigned char *secret = ep_binance_ed25519_load (pem, strlen (pem), err, sizeof err);
        assert_non_null (secret);
        unsigned char expected [64];
        assert_int_equal (sodium_hex2bin (expected, sizeof expected, vectors [index][2], 128,
                                          NULL, NULL, NULL), 0);
        char expected_base64 [100], signature [100];
        sodium_bin2base64 (expected_base64, sizeof expected_base64, expected, sizeof expected,
                           sodium_base64_VARIANT_ORIGINAL);
        assert_int_equal (ep_binance_ed25519_sign (secret, vectors [index][1], signature,
                                                   sizeof signature), 0);
        assert_string_equal (signature, expected_base64);
        assert_int_equal (ep_binance_ed25519_sign (secret, "", signature, 88), -1);
        ep_binance_ed25519_free (&secret);
        assert_null (secret);
    }
}

//  The venue's documentation's own vector (fix-api.md, "the Ed25519
//  private key used in the example computation" and its "Computed
//  signature"): its key, as a PEM, signs its payload (the logon fields
//  joined by SOH) into exactly its signature
static void
test_ed25519_signature_matches_the_venue_documentation (void **state)
{
    (void) state;
    const char *pem = "-----BEGIN PRIVATE KEY-----\n"
                      "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n"
                      "-----END PRIVATE KEY-----\n";
    char err [256] = "", signature [100];
    assert_true (sodium_init () >= 0);
    unsigned char *secret = ep_binance_ed25519_load (pem, strlen (pem), err, sizeof err);
    assert_non_null (secret);
    assert_int_equal (ep_binance_ed25519_sign (secret, "A\001EXAMPLE\001SPOT\0011\001"
                                               "20240627-11:17:25.223", signature,
                                               sizeof signature), 0);
    assert_string_equal (signature, "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5"
                                    "UdlGPrQHrgtS3CvsRURC1oj73j8gCA==");
    ep_binance_ed25519_free (&secret);
}

//  A key that is not an Ed25519 PKCS#8 PEM is refused, and the reason
//  quotes none of it
static void
test_ed25519_key_that_is_not_one_is_refused (void **state)
{
    (void) state;
    char pem [256], err [256];
    test_pem_of_seed ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", pem,
                   sizeof pem);
    const char *bad [] = {
        "api_secret = 0123456789",
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
        //  An RSA key's PKCS#8 starts otherwise
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    };
    for (size_t index = 0; index < 3; index++) {
        strcpy (err, "");
        assert_null (ep_binance_ed25519_load (bad [index], strlen (bad [index]), err, sizeof err));
        assert_true (strlen (err) > 0);
        assert_null (strstr (err, "MIIE"));
        assert_null (strstr (err, "0123456789"));
    }
    //  Cut short: the seed is not whole
    pem [40] = '\0';
    strcat (pem, "\n-----END PRIVATE KEY-----\n");
    assert_null (ep_binance_ed25519_load (pem, strlen (pem), err, sizeof err));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_signature_matches_binance_documentation_example),
        cmocka_unit_test (test_order_the_venue_does_not_know_is_absent_after_a_margin),
        cmocka_unit_test (test_signature_covers_query_string_then_body_without_separator),
        cmocka_unit_test (test_client_order_id_is_pinned_and_deterministic),
        cmocka_unit_test (test_client_order_id_fits_binance_syntax_for_any_ids),
        cmocka_unit_test (test_client_order_id_differs_when_the_pair_differs),
        cmocka_unit_test (test_market_order_sends_no_time_in_force_and_no_price),
        cmocka_unit_test (test_limit_order_sends_price_and_time_in_force),
        cmocka_unit_test (test_query_and_cancel_name_the_order_by_client_id),
        cmocka_unit_test (test_prepare_refuses_what_binance_cannot_express),
        cmocka_unit_test (test_venue_refuses_plain_http_beyond_this_machine_and_bad_windows),
        cmocka_unit_test (test_every_classification_rule_holds),
        cmocka_unit_test (test_full_answer_with_two_fills_is_parsed_exactly),
        cmocka_unit_test (test_average_price_is_rounded_down),
        cmocka_unit_test (test_answer_for_another_client_id_is_unknown_and_keeps_no_fills),
        cmocka_unit_test (test_truncated_json_and_html_4xx_are_unknown),
        cmocka_unit_test (test_venue_figures_that_contradict_the_order_make_it_unknown),
        cmocka_unit_test (test_a_long_venue_message_is_cut_at_a_character_boundary),
        cmocka_unit_test (test_venue_text_with_invalid_bytes_and_controls_is_made_valid),
        cmocka_unit_test (test_send_to_a_closed_port_is_not_sent),
        cmocka_unit_test (test_send_that_cannot_connect_in_time_is_not_sent),
        cmocka_unit_test (test_send_posts_the_signed_body_once_with_key_header),
        cmocka_unit_test (test_send_puts_query_and_cancel_parameters_in_the_query_string),
        cmocka_unit_test (test_send_reads_retry_after_on_429),
        cmocka_unit_test (test_rate_limits_and_weights_are_binances),
        cmocka_unit_test (test_send_to_a_peer_that_closes_early_is_unknown_and_not_resent),
        cmocka_unit_test (test_send_to_a_peer_that_hangs_times_out_unknown),
        cmocka_unit_test (test_send_cuts_an_oversized_answer_and_calls_it_unknown),
        cmocka_unit_test (test_nothing_secret_reaches_the_result_even_when_the_venue_echoes_it),
        cmocka_unit_test (test_nothing_secret_reaches_the_result_when_the_venue_echoes_it_escaped),
        cmocka_unit_test (test_cancel_replace_stops_on_failure_and_names_both_orders),
        cmocka_unit_test (test_amend_keeps_priority_and_sends_only_the_new_quantity),
        cmocka_unit_test (test_every_change_classification_rule_holds),
        cmocka_unit_test (test_send_puts_an_amend_and_posts_a_cancel_replace_with_signed_bodies),
        cmocka_unit_test (test_recv_window_is_bounded_by_the_time_left),
        cmocka_unit_test (test_info_requests_are_unsigned_gets),
        cmocka_unit_test (test_ed25519_signatures_match_rfc_8032),
        cmocka_unit_test (test_ed25519_signature_matches_the_venue_documentation),
        cmocka_unit_test (test_ed25519_key_that_is_not_one_is_refused),
        cmocka_unit_test (test_time_answer_gives_the_venue_clock),
        cmocka_unit_test (test_a_refused_timestamp_is_a_clock_fault),
        cmocka_unit_test (test_an_orders_trades_carry_their_fees),
        cmocka_unit_test (test_open_orders_are_read_whole_or_not_at_all),
        cmocka_unit_test (test_exchange_info_becomes_the_instrument_table),
        cmocka_unit_test (test_exchange_info_that_cannot_be_read_whole_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
