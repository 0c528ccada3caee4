/*  ep_venue: what the live plane asks of a venue, and what it learns back.

    A venue is a small object with operations on one order, submit, query
    and cancel, and two that change an order (cancel-replace, amend), each
    done in two steps so that the attempt can be
    written down before anything leaves: `prepare` builds the request (the
    parameters as they will be sent, minus the signature, are what the
    audit records), then `send` performs it exactly once (never a retry, of
    any kind, at any layer) and classifies the outcome. A second venue is one
    new file that fills in an ep_venue_t, and a line in ep_venue_new.  */
#ifndef EP_VENUE_H_INCLUDED
#define EP_VENUE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_config.h"
#include "ep_instrument.h"
#include "ep_wire.h"

#define EP_VENUE_PARAMS_MAX 1024
#define EP_VENUE_CLIENT_ID_MAX 36       //  ^[A-Za-z0-9_-]{1,36}$
#define EP_VENUE_FEE_ASSET_MAX 16       //  a fee asset's name, with its NUL

typedef enum {
    EP_VENUE_SUBMIT = 1,                //  place a new order
    EP_VENUE_QUERY = 2,                 //  read an order's state by client order id
    EP_VENUE_CANCEL = 3,                //  cancel an open order by client order id
    EP_VENUE_CANCEL_REPLACE = 4,        //  cancel an open order, then place a new one
                                        //  (nothing placed if the cancel fails)
    EP_VENUE_AMEND = 5,                 //  lower an open order's quantity in place
    EP_VENUE_TIME = 6,                  //  the venue's clock (about no order, unsigned)
    EP_VENUE_RULES = 7,                 //  its trading rules per symbol (likewise)
    EP_VENUE_TRADES = 8,                //  the trades of one order, with their fees
    EP_VENUE_OPEN_ORDERS = 9            //  every order open on the account
} ep_venue_op_t;

typedef struct {
    ep_venue_op_t op;
    char method [8];                    //  "POST", "GET", "DELETE", "PUT"
    char path [64];                     //  "/api/v3/order"
    char params [EP_VENUE_PARAMS_MAX];  //  as sent, without signature or key: audited
    int64_t timestamp_ms;               //  the venue's `timestamp`
    int64_t recv_window_ms;             //  the venue's `recvWindow`
    char client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
    char symbol [EP_ID_MAX + 1];
    int64_t qty_e8;                     //  the order's quantity (what a submission sends)
    //  Cancel-replace and amend: the order replaced (its client order id);
    //  client_order_id and qty_e8 are then the new order's.
    char target_client_order_id [EP_VENUE_CLIENT_ID_MAX + 1];
    char venue_order_id [32];           //  EP_VENUE_TRADES: the venue's id of the order
} ep_venue_request_t;

typedef struct {
    int64_t qty_e8;
    int64_t price_e8;
    int64_t fee_e8;                     //  commission, in fee_asset
    char fee_asset [EP_VENUE_FEE_ASSET_MAX];
    char trade_id [32];
    int64_t time_ms;                    //  the venue's time of the trade (0: not told)
} ep_venue_fill_t;

//  An order open at the venue, as EP_VENUE_OPEN_ORDERS lists it.
typedef struct {
    char client_order_id [64];
    char venue_order_id [32];
    char symbol [EP_ID_MAX + 1];
    int side;                           //  EP_SIDE (...)
    char status [24];                   //  as the venue spells it
    int64_t qty_e8;
    int64_t executed_qty_e8;
} ep_venue_open_t;

typedef struct {
    //  The wire: what libcurl saw
    int curl_code;                      //  CURLcode; 0 when a response came
    char curl_error [256];              //  libcurl's error text, "" if none
    int64_t request_size;               //  bytes sent; 0 after a failure proves nothing left
    long http_status;                   //  0 when no response came
    int64_t elapsed_us;                 //  from send to the end of the response
    char retry_after [32];              //  the Retry-After header, "" if none
    //  The venue's rate-limit headers (-1: absent; 0 in a result no venue
    //  filled in, which says nothing either)
    int64_t retry_after_s;              //  Retry-After, in seconds
    int64_t used_weight_1m;             //  X-MBX-USED-WEIGHT-1M: the IP's weight this minute
    int64_t order_count_10s;            //  X-MBX-ORDER-COUNT-10S: the account's orders
    int64_t order_count_1d;             //  X-MBX-ORDER-COUNT-1D
    char *body;                         //  the raw response body (malloc'd, NUL-terminated)
    size_t body_size;
    //  The venue: what it said (zero/empty where it said nothing). Its text
    //  is valid UTF-8 without control characters, cut at a character
    //  boundary, and holds no key, secret or signature.
    int venue_code;                     //  its error code, e.g. -2010
    bool clock_fault;                   //  it refused our timestamp: the host's clock
                                        //  is off by more than it allows
    int64_t server_time_ms;             //  EP_VENUE_TIME: the venue's clock; 0 if not told
    char venue_msg [256];               //  its error message
    char venue_status [24];             //  the order status as spelled, e.g. "FILLED"
    char venue_order_id [32];           //  its order id
    char echoed_client_id [64];         //  the client order id it echoed
    int64_t orig_qty_e8;                //  the order's quantity
    int64_t executed_qty_e8;            //  cumulative filled quantity
    int64_t cum_quote_e8;               //  cumulative quote amount (sum of qty * price)
    int64_t avg_price_e8;               //  cum_quote / executed, rounded down; 0 if none
    int64_t venue_time_ms;              //  the venue's time of the order's last change
                                        //  (transactTime, updateTime; 0: not told)
    ep_venue_fill_t *fills;             //  this response's fills (submit only), malloc'd
    size_t fill_count;
    ep_venue_open_t *open;              //  EP_VENUE_OPEN_ORDERS: the orders, malloc'd
    size_t open_count;
    //  The classification: every outcome explicit
    int status;                         //  EP_STATUS (...); STATUS_UNSPECIFIED: no news (query)
    int failure;                        //  EP_FAILURE (...)
    bool terminal;                      //  the order is done at the venue, or we can't know
    bool distrusted;                    //  the venue's figures contradict the order (UNKNOWN)
    bool absent;                        //  the venue said it has no such order: proof of
                                        //  absence only after the venue's absence_margin_ms
    char reason [512];                  //  carries the venue code and message or libcurl code
    //  Cancel-replace and amend: the fields above are the new order's;
    //  these are what became of the order it replaces (the target).
    bool target_known;                  //  the venue told the target's state
    int target_status;                  //  EP_STATUS (...): CANCELED when the cancel took effect
    char target_venue_status [24];      //  as spelled
    int64_t target_executed_qty_e8;     //  its cumulative figures, as the venue gave them
    int64_t target_cum_quote_e8;
    int target_code;                    //  the venue's code for a cancel part that failed
                                        //  (e.g. -2011): then nothing was placed
} ep_venue_result_t;

//  Frees what a result holds and zeroes it, ready for reuse.
void ep_venue_result_reset (ep_venue_result_t *result);

//  The venue's rate limits, as it publishes them (0: none of that kind).
typedef struct {
    int64_t weight_per_minute;          //  the IP's request weight a minute
    int64_t orders_per_10s;             //  the account's new orders per 10 seconds
    int64_t orders_per_day;             //  and per day
} ep_venue_limits_t;

//  What one frame of the venue's user data stream says.
typedef enum {
    EP_VENUE_STREAM_OTHER = 0,          //  nothing the plane acts on; problem says if unreadable
    EP_VENUE_STREAM_ANSWER,             //  the answer to our request request_id: ok, or problem
    EP_VENUE_STREAM_ORDER,              //  an order changed: order, and its trade if one
    EP_VENUE_STREAM_ACCOUNT,            //  balances changed: balances
    EP_VENUE_STREAM_ENDED               //  the venue ends the subscription or the connection
} ep_venue_stream_kind_t;

//  An asset's balance, as the stream tells it.
typedef struct {
    char asset [EP_VENUE_FEE_ASSET_MAX];
    int64_t free_e8;
    int64_t locked_e8;
} ep_venue_balance_t;

#define EP_VENUE_STREAM_BALANCES 16     //  balances read from one event, at most

typedef struct {
    ep_venue_stream_kind_t kind;
    char request_id [40];               //  ANSWER: the request's id
    bool ok;                            //  ANSWER: it succeeded
    char problem [256];                 //  ANSWER: why not; OTHER: why unreadable; ENDED: why
    int64_t event_time_ms;              //  the venue's time of the event (0: not told)
    //  ORDER: the order (echoed_client_id is its client order id) as a
    //  status query would give it: status, terminal, venue_status,
    //  venue_order_id, orig_qty_e8, executed_qty_e8, cum_quote_e8,
    //  avg_price_e8, reason; and in fills the event's own trade (0 or 1).
    ep_venue_result_t order;
    char orig_client_order_id [64];     //  ORDER: a cancel's: the order it canceled
    bool trade;                         //  ORDER: the event is a trade (fills [0])
    ep_venue_balance_t balances [EP_VENUE_STREAM_BALANCES];    //  ACCOUNT
    size_t balance_count;
} ep_venue_stream_event_t;

//  Frees what an event holds and zeroes it, ready for reuse.
void ep_venue_stream_event_reset (ep_venue_stream_event_t *event);

typedef struct _ep_venue_t ep_venue_t;
struct _ep_venue_t {
    const char *name;                   //  "binance"
    void *state;                        //  the venue's own
    char account [17];                  //  the API key's fingerprint: 16 hex digits of its
                                        //  SHA-256 (names the account, reveals no key)
    const char *key_kind;               //  "hmac" or "ed25519"
    //  An `absent` answer on an order proves it was never placed only
    //  this long after its attempt's receive window closed (after which
    //  the venue cannot newly accept it): before, the venue may not know
    //  an order it took yet.
    int64_t absence_margin_ms;

    //  Builds the request for op on the order of intent (query and cancel
    //  use its symbol), with client_order_id, stamped now_ms (the venue's
    //  time), valid for window_ms after it at the venue if the venue has such
    //  a guard (0, or more than the venue's configured window: that window).
    //  Returns 0, or -1 with the reason in request->params if the intent
    //  cannot be expressed for this venue.
    int (*prepare) (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                    const char *client_order_id, int64_t now_ms, int64_t window_ms,
                    ep_venue_request_t *request);

    //  Builds a cancel-replace or an amend (op) of the order
    //  target_client_order_id into the order of intent, named
    //  client_order_id, stamped now_ms and valid for window_ms as prepare's.
    //  Returns 0, or -1 with the reason in request->params. NULL: the venue
    //  has no such operation.
    int (*prepare_change) (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                           const char *target_client_order_id, const char *client_order_id,
                           int64_t now_ms, int64_t window_ms, ep_venue_request_t *request);

    //  Builds the request for the venue's own information (op
    //  EP_VENUE_TIME or EP_VENUE_RULES), which is about no order and is
    //  not signed. Returns 0, or -1 with the reason in request->params.
    //  NULL: the venue offers neither (the plane then measures no clock
    //  and checks no rules: the venue's own checks are the only ones).
    int (*prepare_info) (ep_venue_t *self, ep_venue_op_t op, ep_venue_request_t *request);

    //  Builds the request for the trades of the order venue_order_id (the
    //  venue's id) on symbol, client_order_id ours, stamped now_ms: its
    //  answer lists them in result->fills, each with its fee and fee asset.
    //  Returns 0, or -1 with the reason in request->params. NULL: the venue
    //  cannot list an order's trades (fills learned by a status query then
    //  carry no fee).
    int (*prepare_trades) (ep_venue_t *self, const char *symbol, const char *venue_order_id,
                           const char *client_order_id, int64_t now_ms,
                           ep_venue_request_t *request);

    //  Builds the request for every order open on the account, stamped
    //  now_ms: its answer lists them in result->open. Returns 0, or -1 with
    //  the reason in request->params. NULL: the venue cannot list them (no
    //  sweep for orphans).
    int (*prepare_open) (ep_venue_t *self, int64_t now_ms, ep_venue_request_t *request);

    //  Reads the rules an EP_VENUE_RULES result's body carries into table.
    //  Returns 0, or -1 with the reason in err and table empty.
    int (*read_rules) (ep_venue_t *self, const ep_venue_result_t *result,
                       ep_instruments_t *table, char *err, size_t err_size);

    //  The weight of a request for op in the venue's rate limit. NULL: 1.
    int64_t (*weight) (ep_venue_t *self, ep_venue_op_t op);

    //  Reads the rate limits an EP_VENUE_RULES result's body carries into
    //  limits (a kind it does not publish: 0). Returns 0, or -1 with the
    //  reason in err. NULL: the venue publishes none.
    int (*read_limits) (ep_venue_t *self, const ep_venue_result_t *result,
                        ep_venue_limits_t *limits, char *err, size_t err_size);

    //  The venue's user data stream: where it is (a ws:// or wss:// URL),
    //  or NULL (none: the plane follows orders by polling). Its key may
    //  not allow one (the reason then in err).
    const char *(*stream_url) (ep_venue_t *self, char *err, size_t err_size);

    //  Writes into text the stream's request of step (0: log on with the
    //  key, stamped now_ms; 1: subscribe to the account's events), named
    //  request_id. Returns 0, or -1 if it does not fit. Never logged: it
    //  may carry the key and a signature.
    int (*stream_request) (ep_venue_t *self, int step, int64_t now_ms, const char *request_id,
                           char *text, size_t size);

    //  Reads one frame of the stream (text, NUL-terminated) into event
    //  (which the caller has reset). The key, if the venue echoes it, is
    //  scrubbed from text in place, so that text may be kept.
    void (*stream_read) (ep_venue_t *self, char *text, ep_venue_stream_event_t *event);

    //  Signs and performs request once, then classifies the outcome into
    //  result (which the caller has reset). Blocks up to the total timeout.
    //  Safe to call from one thread other than the one that prepares.
    void (*send) (ep_venue_t *self, const ep_venue_request_t *request, ep_venue_result_t *result);

    //  Frees the venue and NULLs *self_p.
    void (*destroy) (ep_venue_t **self_p);
};

//  Whether name is a venue ep_venue_new can build ("binance").
bool ep_venue_known (const char *name);

//  The venues ep_venue_new knows, for a message: "binance".
const char *ep_venue_names (void);

//  Builds the venue config->venue at config->base_url with its request
//  settings (live/recv_window_ms, live/connect_timeout_ms, live/timeout_ms)
//  and its keys: `api_key = ...` and `api_secret = ...` lines in the file
//  config->keys, or EP_VENUE_API_KEY and EP_VENUE_API_SECRET, which are
//  taken out of the environment once read (one of them alone is not used,
//  and taken out too). A keys file open to group or others is refused.
//  Every copy of a key made on the way is zeroed; the venue keeps its own.
//  Returns NULL with the reason in err (an unknown venue, no keys, a bad
//  setting, out of memory).
ep_venue_t *ep_venue_new (const char *name, const ep_config_t *config, char *err,
                          size_t err_size);

//  Reads the venue's trading rules into table with one request, waiting
//  for its answer (up to the venue's timeouts). Returns 0, or -1 with the
//  reason in err and table empty.
int ep_venue_fetch_rules (ep_venue_t *venue, ep_instruments_t *table, char *err,
                          size_t err_size);

//  The weight of a request for op on venue (self->weight, else 1).
int64_t ep_venue_weight (ep_venue_t *venue, ep_venue_op_t op);

//  Reads the venue's trading rules once, as the configuration file
//  config_path (NULL: the defaults) names the venue, and writes them to
//  path (for paper/instruments). Returns the exit code: 0 written, 1 not
//  (the venue's answer, the file), 2 a bad configuration; with the reason
//  in err.
int ep_venue_export_rules (const char *config_path, const char *path, char *err,
                           size_t err_size);

//  Destroys the venue (self->destroy), if any, and NULLs *self_p.
void ep_venue_destroy (ep_venue_t **self_p);

//  The client order id of an intent: derived from (strategy_id, intent_id)
//  only, so the same intent can never produce two different ids:
//  "ep" followed by 32 characters of base64url of their SHA-256.
void ep_venue_client_order_id (const char *strategy_id, const char *intent_id,
                               char out [EP_VENUE_CLIENT_ID_MAX + 1]);

#endif
