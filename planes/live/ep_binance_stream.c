/*  ep_binance_stream: Binance's user data stream on the WebSocket API
    (web-socket-api.md, user-data-stream.md): where it is, the two
    requests that open it (session.logon, signed with the Ed25519 key,
    then userDataStream.subscribe), and what its frames say. Everything
    here is pure but the signature; nothing is logged.  */
#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_decimal.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)

#define S_STREAM_MAIN       "wss://ws-api.binance.com:443/ws-api/v3"
#define S_STREAM_TESTNET    "wss://ws-api.testnet.binance.vision/ws-api/v3"

//  Whether url is base (with or without a trailing '/').
static bool
s_is_base (const char *url, const char *base)
{
    size_t len = strlen (base);
    return strncmp (url, base, len) == 0 && (url [len] == '\0' || streq (url + len, "/"));
}

const char *
ep_binance_stream_url (ep_venue_t *self, char *err, size_t err_size)
{
    assert (self && err);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    const char *url = binance->stream_url;
    if (!url || streq (url, "off")) {
        ep_binance_printf (err, err_size, "live/stream_url is off");
        return NULL;
    }
    if (!binance->ed25519) {
        ep_binance_printf (err, err_size, "the user data stream needs an Ed25519 API key (its "
                           "session.logon takes no other)");
        return NULL;
    }
    if (!streq (url, "auto"))
        return url;
    if (s_is_base (binance->base_url, "https://testnet.binance.vision"))
        return S_STREAM_TESTNET;
    if (s_is_base (binance->base_url, "https://api.binance.com"))
        return S_STREAM_MAIN;
    ep_binance_printf (err, err_size, "no user data stream is known for %s: set live/stream_url",
                       binance->base_url);
    return NULL;
}

int
ep_binance_stream_request (ep_venue_t *self, int step, int64_t now_ms, const char *request_id,
                           char *text, size_t size)
{
    assert (self && request_id && text);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    json_t *request = json_pack ("{s:s, s:s}", "id", request_id, "method",
                                 step == 0 ? "session.logon" : "userDataStream.subscribe");
    if (request && step == 0 && binance->ed25519) {
        //  The parameters but the signature, sorted by name, as name=value&...
        char payload [600], signature [100];
        ep_binance_printf (payload, sizeof payload, "apiKey=%s&timestamp=%" PRId64,
                           binance->api_key, now_ms);
        ep_binance_ed25519_sign (binance->ed25519, payload, signature, sizeof signature);
        json_object_set_new (request, "params",
                             json_pack ("{s:s, s:s, s:I}", "apiKey", binance->api_key,
                                        "signature", signature, "timestamp",
                                        (json_int_t) now_ms));
        sodium_memzero (payload, sizeof payload);
        sodium_memzero (signature, sizeof signature);
    }
    char *dumped = request ? json_dumps (request, JSON_COMPACT) : NULL;
    json_decref (request);
    int rc = dumped && strlen (dumped) < size ? 0 : -1;
    if (rc == 0)
        memcpy (text, dumped, strlen (dumped) + 1);
    if (dumped) {
        sodium_memzero (dumped, strlen (dumped));
        free (dumped);
    }
    return rc;
}

//  A string field of at most size - 1 bytes into buf; false if missing.
static bool
s_string (const json_t *object, const char *key, char *buf, size_t size)
{
    json_t *field = json_object_get (object, key);
    if (!json_is_string (field) || json_string_length (field) >= size)
        return false;
    ep_binance_copy_printable (buf, size, json_string_value (field),
                               json_string_length (field));
    return true;
}

//  The trade an executionReport of execution type TRADE carries. Returns
//  NULL, or the field that is missing or malformed.
static const char *
s_read_trade (const json_t *event, ep_venue_result_t *order)
{
    order->fills = (ep_venue_fill_t *) calloc (1, sizeof (ep_venue_fill_t));
    if (!order->fills)
        return "memory for the trade";
    order->fill_count = 1;
    ep_venue_fill_t *fill = &order->fills [0];
    const char *bad = ep_binance_parse_decimal (event, "l", &fill->qty_e8);
    if (!bad)
        bad = ep_binance_parse_decimal (event, "L", &fill->price_e8);
    if (!bad)
        bad = ep_binance_parse_decimal (event, "n", &fill->fee_e8);
    //  N is null when no commission was charged
    if (!bad && !json_is_null (json_object_get (event, "N"))
    &&  !s_string (event, "N", fill->fee_asset, sizeof fill->fee_asset))
        bad = "N";
    if (!bad && !ep_binance_parse_id (event, "t", fill->trade_id, sizeof fill->trade_id))
        bad = "t";
    if (!bad && (fill->qty_e8 <= 0 || fill->price_e8 <= 0 || fill->fee_e8 < 0))
        bad = "l, L or n (not positive)";
    json_t *time = json_object_get (event, "T");
    fill->time_ms = json_is_integer (time) ? (int64_t) json_integer_value (time) : 0;
    return bad;
}

//  An executionReport: the order's state, and its trade if it is one.
static void
s_read_order (const json_t *event, ep_venue_stream_event_t *out)
{
    ep_venue_result_t *order = &out->order;
    char exec_type [24] = "";
    const char *bad = NULL;
    if (!s_string (event, "c", order->echoed_client_id, sizeof order->echoed_client_id))
        bad = "c";
    else
    if (!s_string (event, "X", order->venue_status, sizeof order->venue_status))
        bad = "X";
    else
    if (!s_string (event, "x", exec_type, sizeof exec_type))
        bad = "x";
    else
    if (!ep_binance_parse_id (event, "i", order->venue_order_id, sizeof order->venue_order_id))
        bad = "i";
    if (!bad)
        bad = ep_binance_parse_decimal (event, "q", &order->orig_qty_e8);
    if (!bad)
        bad = ep_binance_parse_decimal (event, "z", &order->executed_qty_e8);
    if (!bad)
        bad = ep_binance_parse_decimal (event, "Z", &order->cum_quote_e8);
    if (!bad && (order->executed_qty_e8 < 0 || order->executed_qty_e8 > order->orig_qty_e8
                 || order->cum_quote_e8 < 0))
        bad = "z or Z (beyond the order)";
    out->trade = !bad && streq (exec_type, "TRADE");
    if (out->trade)
        bad = s_read_trade (event, order);
    //  C names the order a cancel canceled; "" otherwise
    s_string (event, "C", out->orig_client_order_id, sizeof out->orig_client_order_id);
    if (!bad && !ep_decimal_avg_price (ep_decimal_notional (order->cum_quote_e8),
                                       order->executed_qty_e8, &order->avg_price_e8))
        bad = "Z (its average price does not fit)";
    if (bad) {
        //  The client order id, if it was read, says which order to ask about
        ep_binance_printf (out->problem, sizeof out->problem,
                           "executionReport: %s missing or malformed", bad);
        out->kind = EP_VENUE_STREAM_OTHER;
        ep_binance_forget_order (order);
        out->trade = false;
        return;
    }
    out->kind = EP_VENUE_STREAM_ORDER;
    json_t *time = json_object_get (event, "T");
    order->venue_time_ms = json_is_integer (time) ? (int64_t) json_integer_value (time) : 0;
    ep_binance_classify_order (order);
}

//  An outboundAccountPosition: the balances it lists.
static void
s_read_account (const json_t *event, ep_venue_stream_event_t *out)
{
    json_t *balances = json_object_get (event, "B");
    size_t index;
    json_t *entry;
    out->kind = EP_VENUE_STREAM_ACCOUNT;
    json_array_foreach (balances, index, entry) {
        if (out->balance_count == EP_VENUE_STREAM_BALANCES)
            break;
        ep_venue_balance_t *balance = &out->balances [out->balance_count];
        if (!s_string (entry, "a", balance->asset, sizeof balance->asset)
        ||  ep_binance_parse_decimal (entry, "f", &balance->free_e8)
        ||  ep_binance_parse_decimal (entry, "l", &balance->locked_e8)) {
            ep_binance_printf (out->problem, sizeof out->problem,
                               "outboundAccountPosition: balance %zu malformed", index);
            out->kind = EP_VENUE_STREAM_OTHER;
            out->balance_count = 0;
            return;
        }
        out->balance_count++;
    }
}

//  The answer to one of our requests.
static void
s_read_answer (const json_t *json, ep_venue_stream_event_t *out)
{
    out->kind = EP_VENUE_STREAM_ANSWER;
    json_t *id = json_object_get (json, "id");
    if (json_is_string (id))
        s_string (json, "id", out->request_id, sizeof out->request_id);
    else
    if (json_is_integer (id))
        ep_binance_printf (out->request_id, sizeof out->request_id, "%" JSON_INTEGER_FORMAT,
                           json_integer_value (id));
    json_int_t status = json_integer_value (json_object_get (json, "status"));
    out->ok = status == 200;
    if (out->ok)
        return;
    json_t *error = json_object_get (json, "error");
    char msg [200] = "";
    s_string (error, "msg", msg, sizeof msg);
    ep_binance_printf (out->problem, sizeof out->problem, "HTTP status %" JSON_INTEGER_FORMAT
                       ", code %" JSON_INTEGER_FORMAT ": %s", status,
                       json_integer_value (json_object_get (error, "code")), msg);
}

void
ep_binance_stream_read (ep_venue_t *self, char *text, ep_venue_stream_event_t *out)
{
    assert (self && text && out);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    //  session.logon's answer echoes the key: never kept anywhere
    ep_binance_scrub (text, strlen (text), binance->api_key);
    json_error_t error;
    json_t *json = json_loads (text, JSON_REJECT_DUPLICATES, &error);
    json_t *event = json_object_get (json, "event");
    const char *type = json_string_value (json_object_get (event, "e"));
    out->kind = EP_VENUE_STREAM_OTHER;
    if (!json_is_object (json))
        ep_binance_printf (out->problem, sizeof out->problem, "not a JSON object: %s",
                           error.text);
    else
    if (json_object_get (json, "status"))
        s_read_answer (json, out);
    else
    if (!type)
        ep_binance_printf (out->problem, sizeof out->problem, "neither an answer nor an event");
    else {
        json_t *time = json_object_get (event, "E");
        out->event_time_ms = json_is_integer (time) ? (int64_t) json_integer_value (time) : 0;
        if (streq (type, "executionReport"))
            s_read_order (event, out);
        else
        if (streq (type, "outboundAccountPosition"))
            s_read_account (event, out);
        else
        if (streq (type, "eventStreamTerminated") || streq (type, "serverShutdown")) {
            out->kind = EP_VENUE_STREAM_ENDED;
            ep_binance_printf (out->problem, sizeof out->problem, "the venue sent %s", type);
        }
    }
    json_decref (json);
}
