/*  ep_venue_binance: Binance Spot REST (POST/GET/DELETE /api/v3/order, POST
    /api/v3/order/cancelReplace, PUT /api/v3/order/amend/keepPriority),
    signed with an HMAC-SHA256 secret or an Ed25519 private key, through libcurl with no connection reuse, HTTP/1.1,
    no redirects, TLS verification on, explicit connect and total timeouts.
    Included by the files of planes/live and by tests only: everything else
    builds a venue with ep_venue_new and knows it through ep_venue.h.  */
#ifndef EP_VENUE_BINANCE_H_INCLUDED
#define EP_VENUE_BINANCE_H_INCLUDED

#include "ep_instrument.h"
#include "ep_venue.h"

typedef struct {
    const char *base_url;               //  https://HOST[:PORT]; http:// only to loopback
    const char *api_key;                //  sent in X-MBX-APIKEY; never logged; copied
    const char *api_secret;             //  HMAC: signs; never logged; copied (the caller zeroes
                                        //  its own); NULL with an Ed25519 key
    const char *private_key_pem;        //  Ed25519: a PKCS#8 PEM private key that signs
    size_t private_key_pem_size;        //  instead (read, never kept as text); else NULL
    const char *stream_url;             //  the user data stream: "auto" (the venue's for
                                        //  base_url), "off", or ws(s)://...; NULL: off
    int64_t recv_window_ms;             //  1..60000
    int64_t connect_timeout_ms;         //  libcurl CURLOPT_CONNECTTIMEOUT_MS
    int64_t timeout_ms;                 //  libcurl CURLOPT_TIMEOUT_MS; above the venue's 10 s
} ep_binance_config_t;

//  Returns NULL with the reason in err on a bad config or out of memory.
//  Plain http:// is refused except to 127.0.0.1, localhost or [::1] (the
//  key travels in a header). timeout_ms must be at least connect_timeout_ms;
//  keeping it above the venue's 10 s is the caller's policy to enforce.
ep_venue_t *ep_venue_binance_new (const ep_binance_config_t *config, char *err, size_t err_size);

//  hex (lowercase) of HMAC-SHA256 (secret, total_params).
void ep_binance_sign (const char *secret, const char *total_params, char hex [65]);

//  The signature of a request's parameters as the venue's key signs it:
//  the HMAC's hex, or the Ed25519 signature's base64 percent-encoded for
//  a query string or form body (at most EP_BINANCE_SIGNATURE_MAX bytes
//  with the NUL).
#define EP_BINANCE_SIGNATURE_MAX 272
void ep_binance_sign_params (ep_venue_t *venue, const char *params,
                             char signature [EP_BINANCE_SIGNATURE_MAX]);

//  Classifies the outcome in result (curl_code, request_size, http_status,
//  retry_after and body are set) for op on client_order_id, an order for
//  qty_e8: parses the body, fills the venue fields, and sets status,
//  failure, terminal and reason. An answer whose figures contradict the
//  order (executedQty above qty_e8, origQty other than qty_e8, fills
//  beyond executedQty) is UNKNOWN / SEND_UNKNOWN and terminal, for any
//  op, with distrusted set and none of its figures kept. A query the venue
//  answers with -2013 ("Order does not exist.") is no news with absent
//  set: Binance may say so for tens of seconds after it took an order, so
//  the venue's absence_margin_ms is 60 s. Pure: no I/O, no clock.
void ep_binance_classify (ep_venue_op_t op, const char *client_order_id, int64_t qty_e8,
                          ep_venue_result_t *result);

//  Classifies the answer to a cancel-replace or an amend (op) of the
//  order target_client_order_id into client_order_id, an order for qty_e8.
//  The result's order fields are the new order's, classified as a
//  submission's (an amend's as the amended order's state); its target_
//  fields say what became of the target: target_known with target_status
//  CANCELED when the cancel part took effect (for an amend: the order was
//  amended in place, and what had executed was the target's), or
//  target_code when the cancel part failed (-2011: the target is not open;
//  then nothing was placed, REJECTED / VENUE_REJECTED). A -2021 with
//  newOrderResult FAILURE is the new order's rejection after the target
//  was canceled. Pure: no I/O, no clock.
void ep_binance_classify_change (ep_venue_op_t op, const char *target_client_order_id,
                                 const char *client_order_id, int64_t qty_e8,
                                 ep_venue_result_t *result);

//  Classifies the answer to an EP_VENUE_TIME (GET /api/v3/time: its
//  serverTime in result->server_time_ms) or EP_VENUE_RULES (GET
//  /api/v3/exchangeInfo: the body, read by ep_binance_instruments): the
//  reason says what was read or why not, failure as a request's would be
//  (FAILURE_NONE when read), status STATUS_UNSPECIFIED, never terminal.
//  Pure: no I/O, no clock.
void ep_binance_classify_info (ep_venue_op_t op, ep_venue_result_t *result);

//  Classifies the answer to an EP_VENUE_TRADES request (GET
//  /api/v3/myTrades?orderId=venue_order_id): its trades in result->fills,
//  in the venue's order, each with its id, price, quantity, commission and
//  commission asset; failure FAILURE_NONE when read, else why not (a trade
//  of another order, or one not whole, is SEND_UNKNOWN with nothing kept).
//  Status STATUS_UNSPECIFIED, never terminal. Pure: no I/O, no clock.
void ep_binance_classify_trades (const char *venue_order_id, ep_venue_result_t *result);

//  Classifies the answer to an EP_VENUE_OPEN_ORDERS request (GET
//  /api/v3/openOrders): the orders in result->open, each with its client
//  order id, the venue's id, symbol, side, status and quantities; failure
//  FAILURE_NONE when read (an order not whole makes the list unread:
//  SEND_UNKNOWN, nothing kept). Status STATUS_UNSPECIFIED, never
//  terminal. Pure: no I/O, no clock.
void ep_binance_classify_open (ep_venue_result_t *result);

//  Reads exchangeInfo's answer (size bytes of body) into table: per symbol
//  its status, the order types this product sends (MARKET, LIMIT) and the
//  filters PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL, MIN_NOTIONAL,
//  PERCENT_PRICE and PERCENT_PRICE_BY_SIDE; others are passed over.
//  Returns 0, or -1 with the reason in error and table empty: a symbol
//  without a name, status, order types or filters, a filter of these with
//  a field missing or not a decimal, a symbol listed twice. Pure.
int ep_binance_instruments (const char *body, size_t size, ep_instruments_t *table,
                            char *error, size_t error_size);

//  Reads exchangeInfo's rateLimits (size bytes of body) into limits:
//  REQUEST_WEIGHT per 1 MINUTE, ORDERS per 10 SECOND and per 1 DAY (the
//  lowest, if one is listed twice); other limits (RAW_REQUESTS, other
//  intervals) are passed over, and a kind not listed is 0. Returns 0, or
//  -1 with the reason in error and limits all 0: the answer is not JSON,
//  or an entry lacks its type, interval, intervalNum or a positive limit.
//  Pure.
int ep_binance_rate_limits (const char *body, size_t size, ep_venue_limits_t *limits,
                            char *error, size_t error_size);

//  Ed25519 API keys (rest-api.md, "Ed25519 Keys"). Reads the private key
//  of pem (size bytes: a PKCS#8 PEM, as Binance's key generator writes it)
//  into sodium_malloc memory, read-only, which ep_binance_ed25519_free
//  zeroes and frees. Returns it, or NULL with the reason in err (which
//  never holds any of the key).
unsigned char *ep_binance_ed25519_load (const char *pem, size_t size, char *err,
                                        size_t err_size);

//  The signature of payload under secret, as Binance takes it: the base64
//  (standard alphabet, padded) of the Ed25519 signature, into signature
//  (at least 89 bytes). Returns 0, or -1 if size is too small.
int ep_binance_ed25519_sign (const unsigned char *secret, const char *payload,
                             char *signature, size_t size);

//  Zeroes and frees a key ep_binance_ed25519_load made; NULLs *secret_p.
void ep_binance_ed25519_free (unsigned char **secret_p);

#endif
