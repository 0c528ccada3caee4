/*  ep_venue_binance: Binance Spot REST through libcurl.

    Three guarantees shape this file. A request is performed at most once:
    a fresh connection that is never reused, HTTP/1.1, no redirects, no
    "Expect: 100-continue", so nothing inside libcurl has a reason to send
    it again. Every outcome is classified, and "maybe sent" is never
    mistaken for "not sent": only a libcurl failure with nothing written
    (CURLINFO_REQUEST_SIZE == 0) is NOT_SENT, and everything the venue
    could have acted on without telling us is UNKNOWN. And nothing secret
    (key, secret, signature) reaches a result, so nothing secret can reach
    the audit, a report or a log line through it: not as sent, and not
    JSON-escaped either. Every text of the venue's that a result carries
    is valid UTF-8 without control characters, cut at a character boundary.
    The key and the secret live in sodium_malloc memory (guarded, kept out
    of core dumps, zeroed when freed).  */
#include <assert.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_decimal.h"
#include "ep_utf8.h"
#include "ep_venue_binance.h"

#define S_ORDER_PATH        "/api/v3/order"
#define S_BODY_MAX          (1024 * 1024)   //  a longer answer is cut: libcurl 23, UNKNOWN
#define S_RECV_WINDOW_MAX   60000           //  the venue's ceiling, ms
#define S_SIGNATURE_HEX     64
#define S_SIGNATURE_PARAM   "&signature="
#define S_SCRUB_MIN         8               //  shorter needles would scrub innocent text
#define S_TEXT_MAX          2048            //  a formatted text before it is cut to its place
#define S_USER_AGENT        "execplane-live"
#define S_CODE_NO_SUCH_ORDER -2013          //  "Order does not exist."
//  One "does not exist" is no proof of absence: Binance may say it for tens
//  of seconds after creation. Absence is conclusive this long after the
//  attempt's recvWindow closed (after which the venue cannot newly accept it).
#define S_ABSENCE_MARGIN_MS 60000

#define streq(a, b) (strcmp ((a), (b)) == 0)

typedef struct {
    char *base_url;             //  scheme://host[:port], no trailing '/'
    char *api_key;              //  X-MBX-APIKEY; sodium_malloc'd (zeroed when freed)
    char *api_secret;           //  HMAC key; sodium_malloc'd (zeroed when freed)
    int64_t recv_window_ms;     //  sent as recvWindow
    long connect_timeout_ms;    //  CURLOPT_CONNECTTIMEOUT_MS
    long timeout_ms;            //  CURLOPT_TIMEOUT_MS
} s_binance_t;

//  What the classification learned from the answer, before the operation
//  gives it its final meaning
typedef enum {
    S_OUTCOME_WIRE,             //  libcurl failed: NOT_SENT or UNKNOWN
    S_OUTCOME_UNKNOWN,          //  an answer that may hide an execution
    S_OUTCOME_VENUE_ERROR,      //  the venue's error JSON, classified
    S_OUTCOME_ORDER             //  an order state, parsed and ours
} s_outcome_t;

//  ---------------------------------------------------------------------
//  Small text helpers

//  vsnprintf whose truncation is intended, at a character boundary: texts
//  carry the venue's words, and a character cut in two would not decode
static void __attribute__ ((format (printf, 3, 0)))
s_vprintf (char *buf, size_t size, const char *format, va_list args)
{
    assert (size > 0 && size < S_TEXT_MAX);
    char whole [S_TEXT_MAX];
    vsnprintf (whole, sizeof (whole), format, args);
    ep_utf8_copy (buf, size, whole);
}

static void
s_printf (char *buf, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  snprintf whose truncation is intended: reasons are cut, never overrun
static void
s_printf (char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_vprintf (buf, size, format, args);
    va_end (args);
}

static bool
s_appendf (char *buf, size_t size, size_t *len, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Appends at *len; false (and buf unusable) if it did not fit
static bool
s_appendf (char *buf, size_t size, size_t *len, const char *format, ...)
{
    if (*len >= size)
        return false;
    va_list args;
    va_start (args, format);
    int written = vsnprintf (buf + *len, size - *len, format, args);
    va_end (args);
    if (written < 0 || (size_t) written >= size - *len)
        return false;
    *len += (size_t) written;
    return true;
}

//  Copies len bytes of the venue's text into buf as one line of valid
//  UTF-8: a venue's message ends up in reasons, logs, the journal and the
//  audit, where a newline would forge a line and a broken character would
//  not decode (ill-formed bytes become '?', control characters spaces)
static void
s_copy_printable (char *buf, size_t size, const char *text, size_t len)
{
    if (size == 0)
        return;
    ep_utf8_clean (buf, size, text, len);
}

//  ASCII only: a locale must not change what "insufficient balance" matches
static bool
s_contains_nocase (const char *haystack, const char *needle)
{
    size_t needle_len = strlen (needle);
    for (const char *start = haystack; *start; start++) {
        size_t index = 0;
        while (index < needle_len && start [index]) {
            char a = start [index], b = needle [index];
            if (a >= 'A' && a <= 'Z')
                a = (char) (a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char) (b - 'A' + 'a');
            if (a != b)
                break;
            index++;
        }
        if (index == needle_len)
            return true;
    }
    return false;
}

//  Overwrites every occurrence of needle in text [0..len) with '*', same
//  length, so a body stays the shape it was (and JSON stays JSON)
static void
s_scrub_raw (char *text, size_t len, const char *needle)
{
    size_t needle_len = needle ? strlen (needle) : 0;
    if (!text || needle_len < S_SCRUB_MIN || needle_len > len)
        return;
    for (size_t at = 0; at + needle_len <= len; at++)
        if (memcmp (text + at, needle, needle_len) == 0) {
            memset (text + at, '*', needle_len);
            at += needle_len - 1;
        }
}

static int
s_hex_digit (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

//  The \uXXXX escape at text (len bytes left), or -1 if there is none
static long
s_unicode_escape (const char *text, size_t len)
{
    if (len < 6 || text [0] != '\\' || text [1] != 'u')
        return -1;
    long code = 0;
    for (size_t index = 2; index < 6; index++) {
        int digit = s_hex_digit (text [index]);
        if (digit < 0)
            return -1;
        code = code * 16 + digit;
    }
    return code;
}

//  One unit of text as a JSON decoder reads it: an escape (\n, \/,
//  \u0041, a surrogate pair), or one plain byte. Writes the bytes it
//  stands for to out (up to 4) and their count to *out_len; returns the
//  raw bytes it takes (at least 1)
static size_t
s_json_unit (const char *text, size_t len, char out [4], size_t *out_len)
{
    *out_len = 1;
    out [0] = text [0];
    if (text [0] != '\\' || len < 2)
        return 1;
    static const char names [] = "\"\\/bfnrt";
    static const char decoded [] = "\"\\/\b\f\n\r\t";
    const char *simple = text [1] ? strchr (names, text [1]) : NULL;
    if (simple) {
        out [0] = decoded [simple - names];
        return 2;
    }
    long code = s_unicode_escape (text, len);
    if (code < 0)
        return 1;               //  not an escape: the backslash itself
    size_t used = 6;
    if (code >= 0xd800 && code <= 0xdbff) {
        long low = s_unicode_escape (text + 6, len - 6);
        if (low < 0xdc00 || low > 0xdfff)
            return 1;           //  a lone surrogate decodes to nothing we match
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        used = 12;
    }
    else
    if (code >= 0xdc00 && code <= 0xdfff)
        return 1;
    //  UTF-8, as the decoder would hand the string over
    if (code < 0x80)
        out [0] = (char) code;
    else
    if (code < 0x800) {
        out [0] = (char) (0xc0 | (code >> 6));
        out [1] = (char) (0x80 | (code & 0x3f));
        *out_len = 2;
    }
    else
    if (code < 0x10000) {
        out [0] = (char) (0xe0 | (code >> 12));
        out [1] = (char) (0x80 | ((code >> 6) & 0x3f));
        out [2] = (char) (0x80 | (code & 0x3f));
        *out_len = 3;
    }
    else {
        out [0] = (char) (0xf0 | (code >> 18));
        out [1] = (char) (0x80 | ((code >> 12) & 0x3f));
        out [2] = (char) (0x80 | ((code >> 6) & 0x3f));
        out [3] = (char) (0x80 | (code & 0x3f));
        *out_len = 4;
    }
    return used;
}

//  Overwrites with '*' every stretch of text [0..len) that a JSON decoder
//  would read as needle, escaped or not ("\u0073\u0065..." for "se..."):
//  each raw byte of the stretch becomes a '*', so JSON stays JSON and the
//  decoded strings no longer hold it
static void
s_scrub_decoded (char *text, size_t len, const char *needle)
{
    size_t needle_len = needle ? strlen (needle) : 0;
    if (!text || needle_len < S_SCRUB_MIN)
        return;
    char unit [4];
    size_t unit_len;
    size_t at = 0;
    while (at < len) {
        size_t first = s_json_unit (text + at, len - at, unit, &unit_len);
        size_t raw = at, matched = 0;
        while (matched < needle_len && raw < len) {
            size_t used = s_json_unit (text + raw, len - raw, unit, &unit_len);
            if (unit_len > needle_len - matched || memcmp (unit, needle + matched, unit_len))
                break;
            matched += unit_len;
            raw += used;
        }
        if (matched == needle_len) {
            memset (text + at, '*', raw - at);
            at = raw;
        }
        else
            at += first;
    }
    sodium_memzero (unit, sizeof (unit));
}

//  Scrubs needle from text as sent and as a JSON decoder would read it
static void
s_scrub (char *text, size_t len, const char *needle)
{
    s_scrub_raw (text, len, needle);
    s_scrub_decoded (text, len, needle);
}

static bool
s_client_id_valid (const char *id)
{
    size_t len = strlen (id);
    if (len < 1 || len > EP_VENUE_CLIENT_ID_MAX)
        return false;
    for (size_t index = 0; index < len; index++) {
        char c = id [index];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  ---------------------------------------------------------------------
//  Signing

void
ep_binance_sign (const char *secret, const char *total_params, char hex [65])
{
    assert (secret);
    assert (total_params);
    assert (hex);
    crypto_auth_hmacsha256_state state;
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init (&state, (const unsigned char *) secret, strlen (secret));
    crypto_auth_hmacsha256_update (&state, (const unsigned char *) total_params,
                                   strlen (total_params));
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_bin2hex (hex, S_SIGNATURE_HEX + 1, mac, sizeof (mac));
    //  The state holds key material derived from the secret
    sodium_memzero (&state, sizeof (state));
    sodium_memzero (mac, sizeof (mac));
}

//  ---------------------------------------------------------------------
//  Requests

static int
s_refuse (ep_venue_request_t *request, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  prepare's failure: the reason goes where the parameters would have
static int
s_refuse (ep_venue_request_t *request, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (request->params, sizeof (request->params), format, args);
    va_end (args);
    return -1;
}

static const char *
s_side_text (int side)
{
    switch (side) {
        case EP_SIDE (BUY):  return "BUY";
        case EP_SIDE (SELL): return "SELL";
        default:             return NULL;
    }
}

static const char *
s_tif_text (int tif)
{
    switch (tif) {
        case EP_TIF (GTC): return "GTC";
        case EP_TIF (IOC): return "IOC";
        case EP_TIF (FOK): return "FOK";
        default:           return NULL;
    }
}

static int
s_prepare (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
           const char *client_order_id, int64_t now_ms, ep_venue_request_t *request)
{
    assert (self);
    assert (intent);
    assert (client_order_id);
    assert (request);
    s_binance_t *binance = (s_binance_t *) self->state;
    memset (request, 0, sizeof (*request));
    request->op = op;

    //  Every value below goes into the signed string unencoded, so each is
    //  held to characters that need no URL encoding (and cannot inject a
    //  parameter: no '&', '=', '%', '+' or space)
    if (!s_client_id_valid (client_order_id))
        return s_refuse (request, "client order id is not 1..%d of [A-Za-z0-9_-]",
                         EP_VENUE_CLIENT_ID_MAX);
    if (!intent->symbol || !ep_id_valid (intent->symbol))
        return s_refuse (request, "symbol is not 1..%d of [A-Za-z0-9._:-]", EP_ID_MAX);
    if (now_ms <= 0)
        return s_refuse (request, "timestamp %" PRId64 " is not a time", now_ms);

    snprintf (request->client_order_id, sizeof (request->client_order_id), "%s",
              client_order_id);
    snprintf (request->symbol, sizeof (request->symbol), "%s", intent->symbol);
    snprintf (request->path, sizeof (request->path), "%s", S_ORDER_PATH);
    request->timestamp_ms = now_ms;
    request->recv_window_ms = binance->recv_window_ms;
    request->qty_e8 = intent->qty_e8;

    char *params = request->params;
    size_t size = sizeof (request->params);
    size_t len = 0;
    bool fits = true;
    if (op == EP_VENUE_SUBMIT) {
        snprintf (request->method, sizeof (request->method), "POST");
        const char *side = s_side_text (intent->side);
        if (!side)
            return s_refuse (request, "side %d is neither BUY nor SELL", intent->side);
        if (intent->qty_e8 <= 0 || intent->qty_e8 > EP_MAX_E8)
            return s_refuse (request, "quantity is not in (0, 10^9]");
        char qty [EP_DECIMAL_BUFSIZE];
        ep_decimal_format (intent->qty_e8, qty);
        fits = s_appendf (params, size, &len, "symbol=%s&side=%s", intent->symbol, side);
        if (intent->type == EP_TYPE (LIMIT)) {
            const char *tif = s_tif_text (intent->tif);
            if (!tif)
                return s_refuse (request, "LIMIT needs GTC, IOC or FOK");
            if (intent->limit_price_e8 <= 0 || intent->limit_price_e8 > EP_MAX_E8)
                return s_refuse (request, "limit price is not in (0, 10^9]");
            char price [EP_DECIMAL_BUFSIZE];
            ep_decimal_format (intent->limit_price_e8, price);
            fits = fits && s_appendf (params, size, &len,
                                      "&type=LIMIT&timeInForce=%s&quantity=%s&price=%s",
                                      tif, qty, price);
        }
        else
        if (intent->type == EP_TYPE (MARKET)) {
            //  Binance refuses timeInForce and price on MARKET (-1106). The
            //  contract's MARKET IOC/FOK is a plain MARKET order here: on
            //  Binance a MARKET order never rests, it fills what the book
            //  holds and expires the rest, which is what IOC asks
            if (intent->tif == EP_TIF (GTC))
                return s_refuse (request, "a MARKET order cannot be GTC: it never rests");
            fits = fits && s_appendf (params, size, &len, "&type=MARKET&quantity=%s", qty);
        }
        else
            return s_refuse (request, "order type %d is neither MARKET nor LIMIT", intent->type);
        fits = fits && s_appendf (params, size, &len,
                                  "&newClientOrderId=%s&newOrderRespType=FULL",
                                  client_order_id);
    }
    else
    if (op == EP_VENUE_QUERY || op == EP_VENUE_CANCEL) {
        snprintf (request->method, sizeof (request->method), "%s",
                  op == EP_VENUE_QUERY ? "GET" : "DELETE");
        fits = s_appendf (params, size, &len, "symbol=%s&origClientOrderId=%s",
                          intent->symbol, client_order_id);
    }
    else
        return s_refuse (request, "operation %d is not submit, query or cancel", (int) op);

    fits = fits && s_appendf (params, size, &len, "&recvWindow=%" PRId64 "&timestamp=%" PRId64,
                              binance->recv_window_ms, now_ms);
    if (!fits)
        return s_refuse (request, "parameters do not fit in %d bytes", EP_VENUE_PARAMS_MAX);
    return 0;
}

//  ---------------------------------------------------------------------
//  Classification

//  The reason, written once the classification is known
static void
s_classify_as (ep_venue_result_t *result, int status, int failure, bool terminal,
               const char *format, ...) __attribute__ ((format (printf, 5, 6)));

static void
s_classify_as (ep_venue_result_t *result, int status, int failure, bool terminal,
               const char *format, ...)
{
    result->status = status;
    result->failure = failure;
    result->terminal = terminal;
    va_list args;
    va_start (args, format);
    s_vprintf (result->reason, sizeof (result->reason), format, args);
    va_end (args);
}

//  libcurl's own words if it left any, else its text for the code
static const char *
s_curl_text (const ep_venue_result_t *result)
{
    return result->curl_error [0] ? result->curl_error
                                  : curl_easy_strerror ((CURLcode) result->curl_code);
}

//  The venue's error object is {"code": int, "msg": string}, both there
static bool
s_parse_venue_error (const json_t *json, ep_venue_result_t *result)
{
    if (!json_is_object (json))
        return false;
    json_t *code = json_object_get (json, "code");
    json_t *msg = json_object_get (json, "msg");
    if (!json_is_integer (code) || !json_is_string (msg))
        return false;
    json_int_t value = json_integer_value (code);
    if (value < INT_MIN || value > INT_MAX)
        return false;
    result->venue_code = (int) value;
    s_copy_printable (result->venue_msg, sizeof (result->venue_msg),
                      json_string_value (msg), json_string_length (msg));
    return true;
}

//  Codes after which the request may have reached the matching engine
static bool
s_code_maybe_executed (int code)
{
    return code == -1000 || code == -1001 || code == -1006 || code == -1007 || code == -1008;
}

static bool
s_code_auth (int code)
{
    return code == -1002 || code == -1022 || code == -2014 || code == -2015;
}

//  A decimal string field that must be there and must parse, or NULL
static const char *
s_parse_decimal (const json_t *object, const char *key, int64_t *value_e8)
{
    json_t *field = json_object_get (object, key);
    if (!json_is_string (field))
        return key;
    if (ep_decimal_parse_n (json_string_value (field), json_string_length (field),
                            false, value_e8) != EP_DECIMAL_OK)
        return key;
    return NULL;
}

//  An integer id as text, or false
static bool
s_parse_id (const json_t *object, const char *key, char *buf, size_t size)
{
    json_t *field = json_object_get (object, key);
    if (!json_is_integer (field))
        return false;
    s_printf (buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value (field));
    return true;
}

//  Parses an order answer into result. Returns NULL, or what was wrong
//  with it (written into problem) when it cannot be trusted as ours.
static const char *
s_parse_order (const json_t *json, ep_venue_op_t op, const char *client_order_id,
               ep_venue_result_t *result, char *problem, size_t problem_size)
{
    if (!json_is_object (json)) {
        s_printf (problem, problem_size, "a body that is not an order object");
        return problem;
    }
    //  Binance echoes a cancelled order's id as origClientOrderId (its
    //  clientOrderId is the cancel request's own id)
    const char *echo_key = op == EP_VENUE_CANCEL ? "origClientOrderId" : "clientOrderId";
    json_t *echo = json_object_get (json, echo_key);
    if (!json_is_string (echo)) {
        s_printf (problem, problem_size, "no %s", echo_key);
        return problem;
    }
    s_copy_printable (result->echoed_client_id, sizeof (result->echoed_client_id),
                      json_string_value (echo), json_string_length (echo));
    if (json_string_length (echo) != strlen (client_order_id)
    ||  memcmp (json_string_value (echo), client_order_id, strlen (client_order_id)) != 0) {
        s_printf (problem, problem_size, "%s \"%s\", not ours \"%s\"",
                  echo_key, result->echoed_client_id, client_order_id);
        return problem;
    }
    if (!s_parse_id (json, "orderId", result->venue_order_id, sizeof (result->venue_order_id))) {
        s_printf (problem, problem_size, "no integer orderId");
        return problem;
    }
    json_t *status = json_object_get (json, "status");
    if (!json_is_string (status)) {
        s_printf (problem, problem_size, "no status");
        return problem;
    }
    s_copy_printable (result->venue_status, sizeof (result->venue_status),
                      json_string_value (status), json_string_length (status));

    const char *bad = s_parse_decimal (json, "origQty", &result->orig_qty_e8);
    if (!bad)
        bad = s_parse_decimal (json, "executedQty", &result->executed_qty_e8);
    if (!bad)
        bad = s_parse_decimal (json, "cummulativeQuoteQty", &result->cum_quote_e8);
    if (bad) {
        s_printf (problem, problem_size, "%s missing or not a decimal", bad);
        return problem;
    }
    if (result->executed_qty_e8 > 0) {
        //  cum_quote * 1e8 fits in 128 bits; rounded down, as the paper plane does
        __int128 avg = (__int128) result->cum_quote_e8 * 100000000 / result->executed_qty_e8;
        if (avg > INT64_MAX) {
            s_printf (problem, problem_size, "an average price out of range");
            return problem;
        }
        result->avg_price_e8 = (int64_t) avg;
    }

    //  FULL answers a submission with the fills it made; query and cancel
    //  carry only the cumulative figures
    if (op == EP_VENUE_SUBMIT) {
        json_t *fills = json_object_get (json, "fills");
        if (!json_is_array (fills)) {
            s_printf (problem, problem_size, "no fills array");
            return problem;
        }
        size_t count = json_array_size (fills);
        if (count > 0) {
            result->fills = (ep_venue_fill_t *) calloc (count, sizeof (ep_venue_fill_t));
            if (!result->fills) {
                s_printf (problem, problem_size, "no memory for %zu fills", count);
                return problem;
            }
        }
        result->fill_count = count;
        for (size_t index = 0; index < count; index++) {
            json_t *entry = json_array_get (fills, index);
            ep_venue_fill_t *fill = &result->fills [index];
            bad = json_is_object (entry) ? NULL : "fill";
            if (!bad)
                bad = s_parse_decimal (entry, "price", &fill->price_e8);
            if (!bad)
                bad = s_parse_decimal (entry, "qty", &fill->qty_e8);
            if (!bad)
                bad = s_parse_decimal (entry, "commission", &fill->fee_e8);
            json_t *asset = json_object_get (entry, "commissionAsset");
            if (!bad && (!json_is_string (asset)
                         || json_string_length (asset) >= sizeof (fill->fee_asset)))
                bad = "commissionAsset";
            if (!bad && !s_parse_id (entry, "tradeId", fill->trade_id, sizeof (fill->trade_id)))
                bad = "tradeId";
            if (bad) {
                s_printf (problem, problem_size, "fill %zu: %s missing or malformed", index, bad);
                return problem;
            }
            s_copy_printable (fill->fee_asset, sizeof (fill->fee_asset),
                              json_string_value (asset), json_string_length (asset));
        }
    }
    return NULL;
}

//  The venue's order status, as this contract reads it
typedef struct {
    const char *name;           //  as Binance spells it
    int status;                 //  ours
    int failure;                //  ours
    bool terminal;              //  the order will not change any more
} s_status_map_t;

static const s_status_map_t s_status_map [] = {
    { "NEW",              EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "PENDING_NEW",      EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "PARTIALLY_FILLED", EP_STATUS (PARTIALLY_FILLED), EP_FAILURE (FAILURE_NONE),    false },
    { "FILLED",           EP_STATUS (FILLED),           EP_FAILURE (FAILURE_NONE),    true },
    { "CANCELED",         EP_STATUS (CANCELED),         EP_FAILURE (FAILURE_NONE),    true },
    //  Still working until the cancel lands; fills may yet come
    { "PENDING_CANCEL",   EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "EXPIRED",          EP_STATUS (EXPIRED),          EP_FAILURE (FAILURE_NONE),    true },
    { "EXPIRED_IN_MATCH", EP_STATUS (EXPIRED),          EP_FAILURE (FAILURE_NONE),    true },
    { "REJECTED",         EP_STATUS (REJECTED),         EP_FAILURE (VENUE_REJECTED),  true },
};

static void
s_classify_order (ep_venue_result_t *result)
{
    const s_status_map_t *map = NULL;
    for (size_t index = 0; index < sizeof (s_status_map) / sizeof (s_status_map [0]); index++)
        if (streq (result->venue_status, s_status_map [index].name))
            map = &s_status_map [index];
    if (!map) {
        //  A state we cannot read says nothing about what executed
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue status \"%s\" is not one we know (order %s): "
                       "execution status unknown",
                       result->venue_status, result->venue_order_id);
        return;
    }
    char executed [EP_DECIMAL_BUFSIZE], orig [EP_DECIMAL_BUFSIZE], avg [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (result->executed_qty_e8, executed);
    ep_decimal_format (result->orig_qty_e8, orig);
    ep_decimal_format (result->avg_price_e8, avg);
    if (result->executed_qty_e8 == 0)
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s, nothing filled of %s (order %s)",
                       map->name, orig, result->venue_order_id);
    else
    if (result->executed_qty_e8 == result->orig_qty_e8)
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s %s at avg %s (order %s)",
                       map->name, executed, avg, result->venue_order_id);
    else
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s %s of %s at avg %s (order %s)",
                       map->name, executed, orig, avg, result->venue_order_id);
}

//  Drops the figures an answer gave; what the venue said in words stays
static void
s_forget_order (ep_venue_result_t *result)
{
    free (result->fills);
    result->fills = NULL;
    result->fill_count = 0;
    result->orig_qty_e8 = 0;
    result->executed_qty_e8 = 0;
    result->cum_quote_e8 = 0;
    result->avg_price_e8 = 0;
}

//  The venue's figures are not taken on trust: an order for qty_e8 cannot
//  have executed more, nor be of another quantity, nor have fills beyond
//  what executed. Returns NULL, or what contradicts the order (in problem)
static const char *
s_check_figures (int64_t qty_e8, const ep_venue_result_t *result,
                 char *problem, size_t problem_size)
{
    char sent [EP_DECIMAL_BUFSIZE], said [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (qty_e8, sent);
    if (result->executed_qty_e8 > qty_e8) {
        s_printf (problem, problem_size, "the venue says executedQty %s of an order for %s",
                  ep_decimal_format (result->executed_qty_e8, said), sent);
        return problem;
    }
    if (result->orig_qty_e8 != qty_e8) {
        s_printf (problem, problem_size, "the venue says origQty %s of an order for %s",
                  ep_decimal_format (result->orig_qty_e8, said), sent);
        return problem;
    }
    int64_t filled = 0;
    for (size_t index = 0; index < result->fill_count; index++) {
        filled += result->fills [index].qty_e8;
        if (filled > result->executed_qty_e8) {
            char executed [EP_DECIMAL_BUFSIZE];
            s_printf (problem, problem_size, "the venue's fills add up to more than its "
                      "executedQty %s (order for %s)",
                      ep_decimal_format (result->executed_qty_e8, executed), sent);
            return problem;
        }
    }
    return NULL;
}

//  Classifies as a submission would be; the operation adjusts afterwards
static s_outcome_t
s_classify_answer (ep_venue_op_t op, const char *client_order_id, int64_t qty_e8,
                   ep_venue_result_t *result)
{
    if (result->curl_code != CURLE_OK) {
        if (result->request_size == 0)
            s_classify_as (result, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                           "libcurl %d (%s): nothing was sent",
                           result->curl_code, s_curl_text (result));
        else
        if (result->request_size < 0)
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "libcurl %d (%s), bytes sent unknown: execution status unknown",
                           result->curl_code, s_curl_text (result));
        else
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "libcurl %d (%s) after %" PRId64 " bytes sent: "
                           "execution status unknown",
                           result->curl_code, s_curl_text (result), result->request_size);
        return S_OUTCOME_WIRE;
    }

    json_error_t error;
    json_t *json = result->body && result->body_size > 0
                 ? json_loadb (result->body, result->body_size, JSON_REJECT_DUPLICATES, &error)
                 : NULL;
    bool venue_error = s_parse_venue_error (json, result);
    long http = result->http_status;
    char venue [sizeof (result->venue_msg) + 64];
    if (venue_error)
        s_printf (venue, sizeof (venue), "%d %s (HTTP %ld)", result->venue_code,
                  result->venue_msg, http);
    else
        s_printf (venue, sizeof (venue), "HTTP %ld", http);

    s_outcome_t outcome = S_OUTCOME_VENUE_ERROR;
    if (http >= 500 && http <= 599) {
        //  Binance: "do NOT treat this as a failure operation"
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue %s: execution status unknown", venue);
        outcome = S_OUTCOME_UNKNOWN;
    }
    else
    if (venue_error && s_code_maybe_executed (result->venue_code)) {
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue %s: execution status unknown", venue);
        outcome = S_OUTCOME_UNKNOWN;
    }
    else
    if (http == 418 || http == 429
    ||  (venue_error && (result->venue_code == -1003 || result->venue_code == -1015))) {
        char retry [sizeof (result->retry_after) + 32] = "";
        if (result->retry_after [0])
            s_printf (retry, sizeof (retry), "; Retry-After: %s", result->retry_after);
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true,
                       "venue rate limit%s: %s%s",
                       http == 418 ? ", IP banned" : "", venue, retry);
    }
    else
    if (http == 401 || (venue_error && http >= 400 && http <= 499
                        && s_code_auth (result->venue_code)))
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true,
                       "venue auth failed: %s", venue);
    else
    if (http >= 400 && http <= 499) {
        if (!venue_error) {
            //  Not the venue speaking (a proxy, a WAF, a wrong URL): we
            //  cannot tell whether the order got through
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "HTTP %ld without the venue's error JSON: "
                           "execution status unknown", http);
            outcome = S_OUTCOME_UNKNOWN;
        }
        else
        if (result->venue_code == -2010
        &&  s_contains_nocase (result->venue_msg, "insufficient balance"))
            s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (INSUFFICIENT_FUNDS), true,
                           "venue rejected: %s", venue);
        else
            s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                           "venue rejected: %s", venue);
    }
    else
    if (http >= 200 && http <= 299) {
        char problem [sizeof (result->reason) - 64];
        if (!json) {
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "HTTP %ld with an unparseable body: execution status unknown", http);
            outcome = S_OUTCOME_UNKNOWN;
        }
        else
        if (s_parse_order (json, op, client_order_id, result, problem, sizeof (problem))) {
            //  Half-read figures must not pass for the order's
            s_forget_order (result);
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "HTTP %ld with %s: execution status unknown", http, problem);
            outcome = S_OUTCOME_UNKNOWN;
        }
        else
        if (s_check_figures (qty_e8, result, problem, sizeof (problem))) {
            //  Whatever it says filled is no more ours to report than a
            //  stranger's: the order's fate is unknown until someone looks
            s_forget_order (result);
            result->distrusted = true;
            s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                           "%s (order %s): not trusted; execution status unknown",
                           problem, result->venue_order_id);
            outcome = S_OUTCOME_UNKNOWN;
        }
        else {
            s_classify_order (result);
            outcome = result->status == EP_STATUS (UNKNOWN) ? S_OUTCOME_UNKNOWN
                                                             : S_OUTCOME_ORDER;
        }
    }
    else {
        //  1xx, 3xx (redirects are not followed), or no status at all
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "unexpected %s: execution status unknown", venue);
        outcome = S_OUTCOME_UNKNOWN;
    }
    json_decref (json);
    return outcome;
}

void
ep_binance_classify (ep_venue_op_t op, const char *client_order_id, int64_t qty_e8,
                     ep_venue_result_t *result)
{
    assert (client_order_id);
    assert (result);
    //  Start from nothing the venue said, so a second call cannot mix answers
    s_forget_order (result);
    result->venue_code = 0;
    result->venue_msg [0] = '\0';
    result->venue_status [0] = '\0';
    result->venue_order_id [0] = '\0';
    result->echoed_client_id [0] = '\0';
    result->distrusted = false;
    result->absent = false;

    s_outcome_t outcome = s_classify_answer (op, client_order_id, qty_e8, result);
    //  An order the venue contradicts is UNKNOWN whatever asked about it:
    //  following it further would report figures nobody can trust
    if (op == EP_VENUE_SUBMIT || outcome == S_OUTCOME_ORDER || result->distrusted)
        return;

    //  A query or a cancel that failed changes nothing we know about the
    //  order: no status, the failure kept for the record, never terminal
    char reason [sizeof (result->reason)];
    memcpy (reason, result->reason, sizeof (reason));
    if (op == EP_VENUE_QUERY && outcome == S_OUTCOME_VENUE_ERROR
    &&  result->venue_code == S_CODE_NO_SUCH_ORDER) {
        result->absent = true;
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), EP_FAILURE (FAILURE_NONE), false,
                       "the venue does not (yet) know order %s: %d %s (HTTP %ld); "
                       "one not-found is no proof of absence",
                       client_order_id, result->venue_code, result->venue_msg,
                       result->http_status);
    }
    else
    if (op == EP_VENUE_CANCEL && outcome == S_OUTCOME_VENUE_ERROR && result->venue_code == -2011)
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), EP_FAILURE (VENUE_REJECTED), false,
                       "cancel rejected: %d %s (HTTP %ld); "
                       "the order's state is unknown to this call",
                       result->venue_code, result->venue_msg, result->http_status);
    else
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), result->failure, false,
                       "%s failed, no news of the order: %s",
                       op == EP_VENUE_QUERY ? "query" : "cancel", reason);
}

//  ---------------------------------------------------------------------
//  Sending

//  The answer as it arrives
typedef struct {
    char *data;                 //  body so far, NUL-terminated once done
    size_t size;                //  bytes in data
    size_t capacity;            //  bytes allocated
    char retry_after [32];      //  the last response's Retry-After
} s_sink_t;

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_sink_t *sink = (s_sink_t *) arg;
    size_t len = size * count;
    if (len > S_BODY_MAX - sink->size)
        return 0;               //  libcurl fails the transfer with CURLE_WRITE_ERROR
    if (sink->size + len + 1 > sink->capacity) {
        size_t capacity = (sink->size + len + 1) * 2;
        if (capacity > S_BODY_MAX + 1)
            capacity = S_BODY_MAX + 1;
        char *grown = (char *) realloc (sink->data, capacity);
        if (!grown)
            return 0;
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy (sink->data + sink->size, data, len);
    sink->size += len;
    sink->data [sink->size] = '\0';
    return len;
}

static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_sink_t *sink = (s_sink_t *) arg;
    size_t len = size * count;
    static const char name [] = "retry-after:";
    size_t name_len = sizeof (name) - 1;
    //  Each response starts with its status line: only the last one's
    //  header counts (there is one response, unless a 1xx precedes it)
    if (len >= 5 && memcmp (data, "HTTP/", 5) == 0)
        sink->retry_after [0] = '\0';
    else
    if (len > name_len) {
        size_t index = 0;
        while (index < name_len) {
            char c = data [index];
            if (c >= 'A' && c <= 'Z')
                c = (char) (c - 'A' + 'a');
            if (c != name [index])
                break;
            index++;
        }
        if (index == name_len) {
            const char *value = data + name_len;
            const char *end = data + len;
            while (value < end && (*value == ' ' || *value == '\t'))
                value++;
            while (end > value && (end [-1] == '\r' || end [-1] == '\n'
                                   || end [-1] == ' ' || end [-1] == '\t'))
                end--;
            s_copy_printable (sink->retry_after, sizeof (sink->retry_after),
                              value, (size_t) (end - value));
        }
    }
    return len;
}

//  Zeroes what each list entry holds (the key header) before freeing it
static void
s_headers_free (struct curl_slist *headers)
{
    for (struct curl_slist *entry = headers; entry; entry = entry->next)
        sodium_memzero (entry->data, strlen (entry->data));
    curl_slist_free_all (headers);
}

static struct curl_slist *
s_headers_append (struct curl_slist *headers, bool *ok, const char *line)
{
    if (!*ok)
        return headers;
    struct curl_slist *appended = curl_slist_append (headers, line);
    if (!appended) {
        *ok = false;
        return headers;
    }
    return appended;
}

static void
s_send (ep_venue_t *self, const ep_venue_request_t *request, ep_venue_result_t *result)
{
    assert (self);
    assert (request);
    assert (result);
    s_binance_t *binance = (s_binance_t *) self->state;
    bool has_body = streq (request->method, "POST");
    assert (has_body || streq (request->method, "GET") || streq (request->method, "DELETE"));
    assert (request->params [0]);

    //  totalParams is the query string followed by the body: with every
    //  parameter in one place, it is simply the parameters as sent
    char signature [S_SIGNATURE_HEX + 1];
    ep_binance_sign (binance->api_secret, request->params, signature);
    size_t signed_size = strlen (request->params) + strlen (S_SIGNATURE_PARAM)
                       + S_SIGNATURE_HEX + 1;
    size_t url_size = strlen (binance->base_url) + strlen (request->path) + 1
                    + (has_body ? 0 : signed_size);
    size_t key_header_size = strlen ("X-MBX-APIKEY: ") + strlen (binance->api_key) + 1;
    char *signed_params = (char *) malloc (signed_size);
    char *url = (char *) malloc (url_size);
    char *key_header = (char *) malloc (key_header_size);
    char errbuf [CURL_ERROR_SIZE] = "";
    s_sink_t sink;
    memset (&sink, 0, sizeof (sink));
    struct curl_slist *headers = NULL;
    CURL *curl = NULL;
    CURLcode code = CURLE_OUT_OF_MEMORY;
    long request_size = 0;

    if (!signed_params || !url || !key_header)
        goto classify;          //  nothing was tried: NOT_SENT
    snprintf (signed_params, signed_size, "%s" S_SIGNATURE_PARAM "%s", request->params, signature);
    snprintf (url, url_size, "%s%s%s%s", binance->base_url, request->path,
              has_body ? "" : "?", has_body ? "" : signed_params);
    snprintf (key_header, key_header_size, "X-MBX-APIKEY: %s", binance->api_key);

    bool ok = true;
    headers = s_headers_append (headers, &ok, key_header);
    //  An empty Expect: libcurl never waits for "100 Continue", and never
    //  sends the request again after a "417 Expectation Failed"
    headers = s_headers_append (headers, &ok, "Expect:");
    if (has_body)
        headers = s_headers_append (headers, &ok,
                                    "Content-Type: application/x-www-form-urlencoded");
    curl = ok ? curl_easy_init () : NULL;
    if (!curl) {
        code = CURLE_FAILED_INIT;
        goto classify;
    }

    //  One setopt failing (an option this libcurl lacks) stops us before
    //  anything leaves: a weaker transfer is not one we perform
    code = CURLE_OK;
#define S_SET(option, value) do { \
        if (code == CURLE_OK) \
            code = curl_easy_setopt (curl, option, value); \
    } while (0)
    S_SET (CURLOPT_ERRORBUFFER, errbuf);
    S_SET (CURLOPT_URL, url);
    S_SET (CURLOPT_PROTOCOLS_STR, "http,https");
    //  The venue directly: no proxy taken from the environment
    S_SET (CURLOPT_PROXY, "");
    //  No connection reuse: libcurl re-sends a request by itself when a
    //  reused connection turns out dead (Curl_retry_request)
    S_SET (CURLOPT_FRESH_CONNECT, 1L);
    S_SET (CURLOPT_FORBID_REUSE, 1L);
    //  HTTP/2 has its own retry paths (refused streams); 1.1 has none here
    S_SET (CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
    S_SET (CURLOPT_FOLLOWLOCATION, 0L);
    S_SET (CURLOPT_MAXREDIRS, 0L);
    S_SET (CURLOPT_SSL_VERIFYPEER, 1L);
    S_SET (CURLOPT_SSL_VERIFYHOST, 2L);
    S_SET (CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
    //  TLS early data (0-RTT) can be replayed by the network: libcurl
    //  7.88 never sends it and has no option for it; later versions keep
    //  it off unless CURLSSLOPT_EARLYDATA is set, which we never set
    S_SET (CURLOPT_CONNECTTIMEOUT_MS, binance->connect_timeout_ms);
    S_SET (CURLOPT_TIMEOUT_MS, binance->timeout_ms);
    //  Timeouts without SIGALRM: safe in a threaded process
    S_SET (CURLOPT_NOSIGNAL, 1L);
    S_SET (CURLOPT_USERAGENT, S_USER_AGENT);
    S_SET (CURLOPT_HTTPHEADER, headers);
    S_SET (CURLOPT_WRITEFUNCTION, s_on_body);
    S_SET (CURLOPT_WRITEDATA, &sink);
    S_SET (CURLOPT_HEADERFUNCTION, s_on_header);
    S_SET (CURLOPT_HEADERDATA, &sink);
    if (has_body) {
        S_SET (CURLOPT_POST, 1L);
        S_SET (CURLOPT_POSTFIELDSIZE, (long) strlen (signed_params));
        S_SET (CURLOPT_POSTFIELDS, signed_params);
    }
    else
    if (streq (request->method, "DELETE"))
        S_SET (CURLOPT_CUSTOMREQUEST, "DELETE");
    else
        S_SET (CURLOPT_HTTPGET, 1L);
#undef S_SET
    if (code != CURLE_OK)
        goto classify;

    //  Once, never again: whatever happens is classified, not retried
    code = curl_easy_perform (curl);

    //  Read after every outcome: 0 after a failure proves nothing left.
    //  If libcurl cannot say, -1 keeps us on the "maybe sent" side
    if (curl_easy_getinfo (curl, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK)
        request_size = -1;
    long http_status = 0;
    if (curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &http_status) == CURLE_OK)
        result->http_status = http_status;
    curl_off_t elapsed_us = 0;
    if (curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME_T, &elapsed_us) == CURLE_OK)
        result->elapsed_us = (int64_t) elapsed_us;

classify:
    result->curl_code = (int) code;
    result->request_size = (int64_t) request_size;
    if (code != CURLE_OK) {
        const char *text = errbuf [0] ? errbuf : curl_easy_strerror (code);
        s_copy_printable (result->curl_error, sizeof (result->curl_error), text, strlen (text));
    }
    snprintf (result->retry_after, sizeof (result->retry_after), "%s", sink.retry_after);
    result->body = sink.data;
    result->body_size = sink.size;

    //  The venue could echo what we sent, as sent or JSON-escaped; the audit
    //  keeps this body and the error text, so neither may carry the
    //  signature, key or secret. Scrubbed before the body is decoded, and
    //  what the decoding gave is scrubbed again after
    const char *secrets [] = { signature, binance->api_key, binance->api_secret };
    size_t n_secrets = sizeof (secrets) / sizeof (secrets [0]);
    for (size_t index = 0; index < n_secrets; index++) {
        s_scrub (result->body, result->body_size, secrets [index]);
        s_scrub (result->curl_error, strlen (result->curl_error), secrets [index]);
        s_scrub (result->retry_after, strlen (result->retry_after), secrets [index]);
    }
    ep_binance_classify (request->op, request->client_order_id, request->qty_e8, result);
    char *texts [] = { result->reason, result->venue_msg, result->venue_status,
                       result->echoed_client_id, result->venue_order_id };
    for (size_t index = 0; index < n_secrets; index++)
        for (size_t text = 0; text < sizeof (texts) / sizeof (texts [0]); text++)
            s_scrub_raw (texts [text], strlen (texts [text]), secrets [index]);

    if (curl)
        curl_easy_cleanup (curl);
    s_headers_free (headers);
    if (signed_params)
        sodium_memzero (signed_params, signed_size);
    if (url)
        sodium_memzero (url, url_size);
    if (key_header)
        sodium_memzero (key_header, key_header_size);
    sodium_memzero (signature, sizeof (signature));
    free (signed_params);
    free (url);
    free (key_header);
}

//  ---------------------------------------------------------------------
//  Construction

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_init_code = CURLE_FAILED_INIT;

//  curl_global_init is not thread-safe in every libcurl build: once only
static void
s_curl_init (void)
{
    s_curl_init_code = curl_global_init (CURL_GLOBAL_DEFAULT);
}

//  A copy of text in sodium_malloc memory: guarded pages, locked when the
//  system allows, left out of core dumps, and zeroed by sodium_free.
//  NULL if out of memory.
static char *
s_secret_dup (const char *text)
{
    size_t size = strlen (text) + 1;
    char *copy = (char *) sodium_malloc (size);
    if (copy)
        memcpy (copy, text, size);
    return copy;
}

//  sodium_free zeroes the key and secret before they go back
static void
s_binance_free (s_binance_t **binance_p)
{
    s_binance_t *binance = *binance_p;
    if (!binance)
        return;
    free (binance->base_url);
    sodium_free (binance->api_key);
    sodium_free (binance->api_secret);
    free (binance);
    *binance_p = NULL;
}

static void
s_destroy (ep_venue_t **self_p)
{
    assert (self_p);
    ep_venue_t *self = *self_p;
    if (!self)
        return;
    s_binance_t *binance = (s_binance_t *) self->state;
    s_binance_free (&binance);
    free (self);
    *self_p = NULL;
}

//  The key travels in a header: printable ASCII, no space, nothing that
//  could end the header line
static bool
s_key_valid (const char *key)
{
    if (!key || !*key)
        return false;
    for (const char *c = key; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return false;
    return true;
}

//  The key rides in a header, so plain HTTP only to this machine (the fake
//  venue); anywhere else it is HTTPS
static bool
s_base_url_valid (const char *url)
{
    if (!url)
        return false;
    const char *host = NULL;
    if (strncmp (url, "https://", 8) == 0)
        host = url + 8;
    else
    if (strncmp (url, "http://", 7) == 0) {
        host = url + 7;
        static const char *const loopback [] = { "127.0.0.1", "localhost", "[::1]" };
        bool local = false;
        for (size_t index = 0; index < sizeof (loopback) / sizeof (loopback [0]); index++) {
            size_t len = strlen (loopback [index]);
            if (strncmp (host, loopback [index], len) == 0
            &&  (host [len] == '\0' || host [len] == ':' || host [len] == '/'))
                local = true;
        }
        if (!local)
            return false;
    }
    else
        return false;
    if (!*host || *host == '/')
        return false;
    //  No query, fragment or user info: the path is appended to it as is
    for (const char *c = url; *c; c++)
        if (*c == '?' || *c == '#' || *c == '@' || *c <= 0x20 || *c == 0x7f)
            return false;
    return true;
}

ep_venue_t *
ep_venue_binance_new (const ep_binance_config_t *config, char *err, size_t err_size)
{
    assert (config);
    char unused [1];
    if (!err || err_size == 0) {
        err = unused;
        err_size = sizeof (unused);
    }
    if (!s_base_url_valid (config->base_url)) {
        s_printf (err, err_size, "base URL must be https://HOST[:PORT] "
                  "(http:// only for 127.0.0.1, localhost or [::1])");
        return NULL;
    }
    if (!s_key_valid (config->api_key)) {
        s_printf (err, err_size, "API key missing or not printable ASCII without spaces");
        return NULL;
    }
    if (!config->api_secret || !*config->api_secret) {
        s_printf (err, err_size, "API secret missing");
        return NULL;
    }
    if (config->recv_window_ms < 1 || config->recv_window_ms > S_RECV_WINDOW_MAX) {
        s_printf (err, err_size, "recvWindow %" PRId64 " ms is not in 1..%d",
                  config->recv_window_ms, S_RECV_WINDOW_MAX);
        return NULL;
    }
    if (config->connect_timeout_ms < 1 || config->connect_timeout_ms > LONG_MAX) {
        s_printf (err, err_size, "connect timeout %" PRId64 " ms is not positive",
                  config->connect_timeout_ms);
        return NULL;
    }
    if (config->timeout_ms < config->connect_timeout_ms || config->timeout_ms > LONG_MAX) {
        s_printf (err, err_size, "total timeout %" PRId64 " ms is below the connect timeout",
                  config->timeout_ms);
        return NULL;
    }
    if (sodium_init () < 0) {
        s_printf (err, err_size, "libsodium failed to initialise");
        return NULL;
    }
    pthread_once (&s_curl_once, s_curl_init);
    if (s_curl_init_code != CURLE_OK) {
        s_printf (err, err_size, "libcurl failed to initialise: %s",
                  curl_easy_strerror (s_curl_init_code));
        return NULL;
    }

    ep_venue_t *self = (ep_venue_t *) calloc (1, sizeof (ep_venue_t));
    s_binance_t *binance = (s_binance_t *) calloc (1, sizeof (s_binance_t));
    if (binance) {
        binance->base_url = strdup (config->base_url);
        binance->api_key = s_secret_dup (config->api_key);
        binance->api_secret = s_secret_dup (config->api_secret);
    }
    if (!self || !binance || !binance->base_url || !binance->api_key || !binance->api_secret) {
        s_binance_free (&binance);
        free (self);
        s_printf (err, err_size, "out of memory");
        return NULL;
    }
    self->state = binance;
    size_t len = strlen (binance->base_url);
    while (len > 0 && binance->base_url [len - 1] == '/')
        binance->base_url [--len] = '\0';
    binance->recv_window_ms = config->recv_window_ms;
    binance->connect_timeout_ms = (long) config->connect_timeout_ms;
    binance->timeout_ms = (long) config->timeout_ms;

    self->name = "binance";
    self->absence_margin_ms = S_ABSENCE_MARGIN_MS;
    self->prepare = s_prepare;
    self->send = s_send;
    self->destroy = s_destroy;
    return self;
}
