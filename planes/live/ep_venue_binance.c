/*  ep_venue_binance: the Binance Spot venue: its configuration, the
    requests it prepares (POST/GET/DELETE /api/v3/order, cancel-replace,
    amend, and the unsigned GET /api/v3/time and /api/v3/exchangeInfo) and
    its life.

    Three guarantees shape the adapter. A request is performed at most
    once (ep_binance_http.c). Every outcome is classified, and "maybe
    sent" is never mistaken for "not sent" (ep_binance_parse.c). And
    nothing secret (key, secret, signature) reaches a result, so nothing
    secret can reach the audit, a report or a log line through it: not as
    sent, and not JSON-escaped either (ep_binance_text.c). Every text of
    the venue's that a result carries is valid UTF-8 without control
    characters, cut at a character boundary. The key and the secret live
    in sodium_malloc memory (guarded, kept out of core dumps, zeroed when
    freed).  */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_decimal.h"

#define S_ORDER_PATH        "/api/v3/order"
#define S_REPLACE_PATH      "/api/v3/order/cancelReplace"
#define S_AMEND_PATH        "/api/v3/order/amend/keepPriority"
#define S_TIME_PATH         "/api/v3/time"
#define S_RULES_PATH        "/api/v3/exchangeInfo"
#define S_TRADES_PATH       "/api/v3/myTrades"
#define S_OPEN_PATH         "/api/v3/openOrders"
#define S_RECV_WINDOW_MAX   60000           //  the venue's ceiling, ms
//  One "does not exist" is no proof of absence: Binance may say it for tens
//  of seconds after creation. Absence is conclusive this long after the
//  attempt's recvWindow closed (after which the venue cannot newly accept it).
#define S_ABSENCE_MARGIN_MS 60000

//  ---------------------------------------------------------------------
//  Requests

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

//  The parameters of a submission, appended at *len in request->params
//  (*fits false if they did not fit). Returns 0, or -1 (s_refuse) if the
//  intent cannot be expressed.
static int
s_submit_params (const ep_intent_t *intent, const char *client_order_id,
                 ep_venue_request_t *request, size_t *len_p, bool *fits_p)
{
    char *params = request->params;
    size_t size = sizeof (request->params);
    size_t len = *len_p;
    bool fits = true;
    const char *side = s_side_text (intent->side);
    if (!side)
        return s_refuse (request, "side %d is neither BUY nor SELL", intent->side);
    if (intent->qty_e8 <= 0 || intent->qty_e8 > EP_MAX_E8)
        return s_refuse (request, "quantity is not in (0, 10^9]");
    char qty [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (intent->qty_e8, qty);
    fits = ep_binance_appendf (params, size, &len, "symbol=%s&side=%s", intent->symbol, side);
    if (intent->type == EP_TYPE (LIMIT)) {
        const char *tif = s_tif_text (intent->tif);
        if (!tif)
            return s_refuse (request, "LIMIT needs GTC, IOC or FOK");
        if (intent->limit_price_e8 <= 0 || intent->limit_price_e8 > EP_MAX_E8)
            return s_refuse (request, "limit price is not in (0, 10^9]");
        char price [EP_DECIMAL_BUFSIZE];
        ep_decimal_format (intent->limit_price_e8, price);
        fits = fits && ep_binance_appendf (params, size, &len,
                                           "&type=LIMIT&timeInForce=%s&quantity=%s&price=%s",
                                           tif, qty, price);
    }
    else
    if (intent->type == EP_TYPE (MARKET)) {
        //  Binance refuses timeInForce and price on MARKET (-1106). A
        //  MARKET order never rests: it fills what the book holds and
        //  expires the rest, which is what IOC (and no tif) asks. FOK it
        //  cannot honour, and a FOK sent as a plain MARKET could fill in
        //  part: refused, never altered.
        if (intent->tif == EP_TIF (GTC))
            return s_refuse (request, "a MARKET order cannot be GTC: it never rests");
        if (intent->tif == EP_TIF (FOK))
            return s_refuse (request, "a MARKET FOK cannot be honoured: a MARKET order "
                             "may fill in part and expire the rest (send IOC, or a LIMIT "
                             "FOK)");
        fits = fits && ep_binance_appendf (params, size, &len, "&type=MARKET&quantity=%s", qty);
    }
    else
        return s_refuse (request, "order type %d is neither MARKET nor LIMIT", intent->type);
    fits = fits && ep_binance_appendf (params, size, &len,
                                       "&newClientOrderId=%s&newOrderRespType=FULL",
                                       client_order_id);
    *len_p = len;
    *fits_p = fits;
    return 0;
}

static int
s_prepare_info (ep_venue_t *self, ep_venue_op_t op, ep_venue_request_t *request)
{
    (void) self;
    assert (request);
    memset (request, 0, sizeof (*request));
    request->op = op;
    snprintf (request->method, sizeof (request->method), "GET");
    if (op == EP_VENUE_TIME)
        snprintf (request->path, sizeof (request->path), "%s", S_TIME_PATH);
    else
    if (op == EP_VENUE_RULES)
        snprintf (request->path, sizeof (request->path), "%s", S_RULES_PATH);
    else
        return s_refuse (request, "operation %d is not the venue's time or rules", (int) op);
    return 0;
}

static int
s_prepare_trades (ep_venue_t *self, const char *symbol, const char *venue_order_id,
                  const char *client_order_id, int64_t now_ms, ep_venue_request_t *request)
{
    assert (self && symbol && venue_order_id && client_order_id && request);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    memset (request, 0, sizeof (*request));
    request->op = EP_VENUE_TRADES;
    if (!ep_id_valid (symbol))
        return s_refuse (request, "symbol is not 1..%d of [A-Za-z0-9._:-]", EP_ID_MAX);
    size_t len = strlen (venue_order_id);
    if (len == 0 || len >= sizeof (request->venue_order_id)
    ||  strspn (venue_order_id, "0123456789") != len)
        return s_refuse (request, "the venue's order id '%.40s' is not a number", venue_order_id);
    snprintf (request->method, sizeof (request->method), "GET");
    snprintf (request->path, sizeof (request->path), "%s", S_TRADES_PATH);
    snprintf (request->symbol, sizeof (request->symbol), "%s", symbol);
    snprintf (request->client_order_id, sizeof (request->client_order_id), "%s",
              client_order_id);
    snprintf (request->venue_order_id, sizeof (request->venue_order_id), "%s", venue_order_id);
    request->timestamp_ms = now_ms;
    request->recv_window_ms = binance->recv_window_ms;
    size_t at = 0;
    if (!ep_binance_appendf (request->params, sizeof (request->params), &at,
                             "symbol=%s&orderId=%s&recvWindow=%" PRId64 "&timestamp=%" PRId64,
                             symbol, venue_order_id, binance->recv_window_ms, now_ms))
        return s_refuse (request, "parameters do not fit in %d bytes", EP_VENUE_PARAMS_MAX);
    return 0;
}

static int
s_prepare_open (ep_venue_t *self, int64_t now_ms, ep_venue_request_t *request)
{
    assert (self && request);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    memset (request, 0, sizeof (*request));
    request->op = EP_VENUE_OPEN_ORDERS;
    snprintf (request->method, sizeof (request->method), "GET");
    snprintf (request->path, sizeof (request->path), "%s", S_OPEN_PATH);
    request->timestamp_ms = now_ms;
    request->recv_window_ms = binance->recv_window_ms;
    size_t at = 0;
    ep_binance_appendf (request->params, sizeof (request->params), &at,
                        "recvWindow=%" PRId64 "&timestamp=%" PRId64,
                        binance->recv_window_ms, now_ms);
    return 0;
}

//  Whether an exchangeInfo answer came whole, to be read; if not, why in err.
static bool
s_info_came (const ep_venue_result_t *result, char *err, size_t err_size)
{
    if (result->failure == EP_FAILURE (FAILURE_NONE) && result->body)
        return true;
    ep_binance_printf (err, err_size, "%s", result->reason);
    return false;
}

static int
s_read_rules (ep_venue_t *self, const ep_venue_result_t *result, ep_instruments_t *table,
              char *err, size_t err_size)
{
    (void) self;
    assert (result && table && err);
    if (s_info_came (result, err, err_size))
        return ep_binance_instruments (result->body, result->body_size, table, err, err_size);
    *table = (ep_instruments_t) { 0 };
    return -1;
}

static int
s_read_limits (ep_venue_t *self, const ep_venue_result_t *result, ep_venue_limits_t *limits,
               char *err, size_t err_size)
{
    (void) self;
    assert (result && limits && err);
    *limits = (ep_venue_limits_t) { 0 };
    return s_info_came (result, err, err_size)
         ? ep_binance_rate_limits (result->body, result->body_size, limits, err, err_size) : -1;
}

//  Binance's weights (rest-api.md): an order 1, a query 4, a cancel 1, a
//  cancel-replace 1, an amend 4, the time 1, exchangeInfo of every symbol
//  20, an order's trades (myTrades with orderId) 5, the open orders of
//  every symbol 80
static int64_t
s_weight (ep_venue_t *self, ep_venue_op_t op)
{
    (void) self;
    switch (op) {
        case EP_VENUE_QUERY:    return 4;
        case EP_VENUE_AMEND:    return 4;
        case EP_VENUE_RULES:    return 20;
        case EP_VENUE_TRADES:   return 5;
        case EP_VENUE_OPEN_ORDERS: return 80;
        default:                return 1;
    }
}

//  Ends the parameters of request, len bytes so far, with the venue's guard
//  window and the timestamp. Returns 0, or -1 with the reason if they do
//  not fit (fits false: an earlier part did not).
static int
s_finish_params (ep_venue_request_t *request, size_t len, bool fits)
{
    fits = fits && ep_binance_appendf (request->params, sizeof (request->params), &len,
                                       "&recvWindow=%" PRId64 "&timestamp=%" PRId64,
                                       request->recv_window_ms, request->timestamp_ms);
    if (!fits)
        return s_refuse (request, "parameters do not fit in %d bytes", EP_VENUE_PARAMS_MAX);
    return 0;
}

static int
s_prepare (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
           const char *client_order_id, int64_t now_ms, int64_t window_ms,
           ep_venue_request_t *request)
{
    assert (self);
    assert (intent);
    assert (client_order_id);
    assert (request);
    ep_binance_t *binance = (ep_binance_t *) self->state;
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
    //  The venue's own guard: past it, it no longer takes the request
    request->recv_window_ms = window_ms > 0 && window_ms < binance->recv_window_ms
                            ? window_ms : binance->recv_window_ms;
    request->qty_e8 = intent->qty_e8;

    char *params = request->params;
    size_t size = sizeof (request->params);
    size_t len = 0;
    bool fits = true;
    if (op == EP_VENUE_SUBMIT) {
        snprintf (request->method, sizeof (request->method), "POST");
        if (s_submit_params (intent, client_order_id, request, &len, &fits))
            return -1;
    }
    else
    if (op == EP_VENUE_QUERY || op == EP_VENUE_CANCEL) {
        snprintf (request->method, sizeof (request->method), "%s",
                  op == EP_VENUE_QUERY ? "GET" : "DELETE");
        fits = ep_binance_appendf (params, size, &len, "symbol=%s&origClientOrderId=%s",
                                   intent->symbol, client_order_id);
    }
    else
        return s_refuse (request, "operation %d is not submit, query or cancel", (int) op);

    return s_finish_params (request, len, fits);
}

//  A cancel-replace (POST cancelReplace, STOP_ON_FAILURE: nothing placed if
//  the cancel fails) or a keep-priority amend (PUT, the quantity only) of
//  the order target_client_order_id into the order of intent
static int
s_prepare_change (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                  const char *target_client_order_id, const char *client_order_id,
                  int64_t now_ms, int64_t window_ms, ep_venue_request_t *request)
{
    assert (self);
    assert (intent);
    assert (target_client_order_id);
    if (op != EP_VENUE_CANCEL_REPLACE && op != EP_VENUE_AMEND) {
        memset (request, 0, sizeof (*request));
        return s_refuse (request, "operation %d is not cancel-replace or amend", (int) op);
    }
    //  The checks and the fields every request shares
    if (s_prepare (self, EP_VENUE_QUERY, intent, client_order_id, now_ms, window_ms, request))
        return -1;
    request->op = op;
    if (!s_client_id_valid (target_client_order_id))
        return s_refuse (request, "target client order id is not 1..%d of [A-Za-z0-9_-]",
                         EP_VENUE_CLIENT_ID_MAX);
    snprintf (request->target_client_order_id, sizeof (request->target_client_order_id), "%s",
              target_client_order_id);
    char *params = request->params;
    size_t size = sizeof (request->params);
    size_t len = 0;
    bool fits = true;
    params [0] = '\0';
    if (op == EP_VENUE_CANCEL_REPLACE) {
        snprintf (request->method, sizeof (request->method), "POST");
        snprintf (request->path, sizeof (request->path), "%s", S_REPLACE_PATH);
        if (intent->type != EP_TYPE (LIMIT))
            return s_refuse (request, "a replacing order must be a LIMIT");
        if (s_submit_params (intent, client_order_id, request, &len, &fits))
            return -1;
        fits = fits && ep_binance_appendf (params, size, &len,
                                           "&cancelReplaceMode=STOP_ON_FAILURE"
                                           "&cancelOrigClientOrderId=%s", target_client_order_id);
    }
    else {
        snprintf (request->method, sizeof (request->method), "PUT");
        snprintf (request->path, sizeof (request->path), "%s", S_AMEND_PATH);
        if (intent->qty_e8 <= 0 || intent->qty_e8 > EP_MAX_E8)
            return s_refuse (request, "quantity is not in (0, 10^9]");
        char qty [EP_DECIMAL_BUFSIZE];
        ep_decimal_format (intent->qty_e8, qty);
        fits = ep_binance_appendf (params, size, &len,
                                   "symbol=%s&origClientOrderId=%s&newClientOrderId=%s&newQty=%s",
                                   intent->symbol, target_client_order_id, client_order_id, qty);
    }
    return s_finish_params (request, len, fits);
}

//  ---------------------------------------------------------------------
//  Construction

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
s_binance_free (ep_binance_t **binance_p)
{
    ep_binance_t *binance = *binance_p;
    if (!binance)
        return;
    free (binance->base_url);
    free (binance->stream_url);
    sodium_free (binance->api_key);
    sodium_free (binance->api_secret);
    ep_binance_ed25519_free (&binance->ed25519);
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
    ep_binance_t *binance = (ep_binance_t *) self->state;
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
        ep_binance_printf (err, err_size, "base URL must be https://HOST[:PORT] "
                           "(http:// only for 127.0.0.1, localhost or [::1])");
        return NULL;
    }
    if (!s_key_valid (config->api_key)) {
        ep_binance_printf (err, err_size, "API key missing or not printable ASCII without spaces");
        return NULL;
    }
    bool hmac = config->api_secret && *config->api_secret;
    if (hmac == (config->private_key_pem != NULL)) {
        ep_binance_printf (err, err_size, hmac ? "an API secret and a private key: give one"
                                               : "API secret or private key missing");
        return NULL;
    }
    if (config->recv_window_ms < 1 || config->recv_window_ms > S_RECV_WINDOW_MAX) {
        ep_binance_printf (err, err_size, "recvWindow %" PRId64 " ms is not in 1..%d",
                           config->recv_window_ms, S_RECV_WINDOW_MAX);
        return NULL;
    }
    if (config->connect_timeout_ms < 1 || config->connect_timeout_ms > LONG_MAX) {
        ep_binance_printf (err, err_size, "connect timeout %" PRId64 " ms is not positive",
                           config->connect_timeout_ms);
        return NULL;
    }
    if (config->timeout_ms < config->connect_timeout_ms || config->timeout_ms > LONG_MAX) {
        ep_binance_printf (err, err_size,
                           "total timeout %" PRId64 " ms is below the connect timeout",
                           config->timeout_ms);
        return NULL;
    }
    if (sodium_init () < 0) {
        ep_binance_printf (err, err_size, "libsodium failed to initialise");
        return NULL;
    }
    if (ep_binance_curl_init (err, err_size))
        return NULL;

    ep_venue_t *self = (ep_venue_t *) calloc (1, sizeof (ep_venue_t));
    ep_binance_t *binance = (ep_binance_t *) calloc (1, sizeof (ep_binance_t));
    if (binance) {
        binance->base_url = strdup (config->base_url);
        binance->api_key = s_secret_dup (config->api_key);
        if (hmac)
            binance->api_secret = s_secret_dup (config->api_secret);
        binance->stream_url = strdup (config->stream_url ? config->stream_url : "off");
    }
    if (!self || !binance || !binance->base_url || !binance->api_key
    ||  (hmac && !binance->api_secret) || !binance->stream_url) {
        s_binance_free (&binance);
        free (self);
        ep_binance_printf (err, err_size, "out of memory");
        return NULL;
    }
    if (!hmac) {
        char why [256];
        binance->ed25519 = ep_binance_ed25519_load (config->private_key_pem,
                                                    config->private_key_pem_size, why,
                                                    sizeof why);
        if (!binance->ed25519) {
            s_binance_free (&binance);
            free (self);
            ep_binance_printf (err, err_size, "private key: %s", why);
            return NULL;
        }
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
    self->prepare_change = s_prepare_change;
    self->prepare_info = s_prepare_info;
    self->prepare_trades = s_prepare_trades;
    self->prepare_open = s_prepare_open;
    self->read_rules = s_read_rules;
    self->weight = s_weight;
    self->read_limits = s_read_limits;
    self->stream_url = ep_binance_stream_url;
    self->stream_request = ep_binance_stream_request;
    self->stream_read = ep_binance_stream_read;
    self->send = ep_binance_send;
    self->destroy = s_destroy;
    return self;
}
