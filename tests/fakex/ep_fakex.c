/*  ep-fakex: a local fake of the Binance Spot REST subset the live plane
    uses (POST/GET/DELETE /api/v3/order), with fault injection, so tests can
    drive the live plane without an exchange. Listens on 127.0.0.1 only.
    Binance's own rules (filters, balances, the clock, rate limits, a moving
    price...) apply only when their options are given (--help).

    Threads: libmicrohttpd runs one polling thread per daemon (main and
    control). The main thread owns the main port's listening socket: it
    accepts there and hands each connection to the main daemon, so the
    refuse fault can close the socket and reopen it later without
    restarting a daemon. One mutex guards the book, the counts, the fault
    mode and the hung requests. With --ws-port, fakex_ws serves the
    WebSocket API from a thread of its own; the book's hooks publish the
    user data stream's events with this mutex held, so they leave in the
    book's order (fakex_ws's own mutex is only ever taken inside ours).  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ep_decimal.h"
#include "ep_log.h"
#include "fakex_account.h"
#include "fakex_book.h"
#include "fakex_params.h"
#include "fakex_rules.h"
#include "fakex_ws.h"

#define S_DEFAULT_KEY       "fakex-test-key"
#define S_DEFAULT_SECRET    "fakex-test-secret"
#define S_BODY_MAX          (64 * 1024)     //  larger bodies are answered 413
#define S_RECV_WINDOW       5000            //  Binance's default, ms
#define S_RECV_WINDOW_MAX   60000           //  and its ceiling
#define S_SWITCH_TIMEOUT_S  5               //  a fault switch waits this for the port
#define S_IDLE_TIMEOUT_S    120             //  an idle connection is closed after this
#define S_AHEAD_MS          1000            //  --strict-clock: this far ahead is refused
#define S_WEIGHT_WINDOW_MS  60000           //  --rate-limits: the weight window
#define S_ORDER_WINDOW_MS   10000           //  and the order count's
#define S_DAY_MS            86400000

#define streq(a, b) (strcmp ((a), (b)) == 0)

//  The fault modes, in the order --help lists them
typedef enum {
    S_FAULT_NONE, S_FAULT_REFUSE, S_FAULT_CLOSE_EARLY, S_FAULT_HANG,
    S_FAULT_HTTP_500, S_FAULT_HTTP_503, S_FAULT_CODE_1007, S_FAULT_TRUNCATED,
    S_FAULT_WRONG_ID, S_FAULT_HTTP_429, S_FAULT_HTTP_418, S_FAULT_INSUFFICIENT,
    S_FAULT_DUPLICATE, S_FAULT_BAD_SIGNATURE, S_FAULT_OVERFILL, S_FAULT_WRONG_QTY,
    S_FAULT_ECHO_SECRET, S_FAULT_HOLD, S_FAULT_FILL_WINS, S_FAULT_CANCEL_UNKNOWN,
    S_FAULT_COUNT
} s_fault_t;

typedef struct {
    const char *name;           //  as --fault and /fakex/fault spell it
    bool places;                //  the request goes through the venue first
    unsigned int status;        //  a canned answer's HTTP status, when it does not
    int code;                   //  the canned answer's Binance code
    const char *msg;            //  and message
    const char *retry_after;    //  its Retry-After header, or NULL
} s_fault_spec_t;

//  refuse and close-early act before a request is read; one that slips
//  through (a switch in mid-request) is served as under none
static const s_fault_spec_t s_faults [S_FAULT_COUNT] = {
    [S_FAULT_NONE]          = { "none", true, 0, 0, NULL, NULL },
    [S_FAULT_REFUSE]        = { "refuse", true, 0, 0, NULL, NULL },
    [S_FAULT_CLOSE_EARLY]   = { "close-early", true, 0, 0, NULL, NULL },
    [S_FAULT_HANG]          = { "hang", true, 0, 0, NULL, NULL },
    [S_FAULT_HTTP_500]      = { "http-500", true, 0, 0, NULL, NULL },
    [S_FAULT_HTTP_503]      = { "http-503", false, 503, -1008,
        "Server is currently overloaded with other requests. "
        "Please try again in a few minutes.", NULL },
    [S_FAULT_CODE_1007]     = { "code-1007", true, 0, 0, NULL, NULL },
    [S_FAULT_TRUNCATED]     = { "truncated", true, 0, 0, NULL, NULL },
    [S_FAULT_WRONG_ID]      = { "wrong-id", true, 0, 0, NULL, NULL },
    [S_FAULT_HTTP_429]      = { "http-429", false, 429, -1003,
        "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.", "7" },
    [S_FAULT_HTTP_418]      = { "http-418", false, 418, -1003,
        "Way too much request weight used; IP banned until 1700000000000. "
        "Please use WebSocket Streams for live updates to avoid bans.", "120" },
    [S_FAULT_INSUFFICIENT]  = { "insufficient", false, 400, -2010,
        "Account has insufficient balance for requested action.", NULL },
    [S_FAULT_DUPLICATE]     = { "duplicate", true, 400, -2010, "Duplicate order sent.", NULL },
    [S_FAULT_BAD_SIGNATURE] = { "bad-signature", false, 400, -1022,
        "Signature for this request is not valid.", NULL },
    [S_FAULT_OVERFILL]      = { "overfill", true, 0, 0, NULL, NULL },
    [S_FAULT_WRONG_QTY]     = { "wrong-qty", true, 0, 0, NULL, NULL },
    //  Its message is made per request, around the key and the secret
    [S_FAULT_ECHO_SECRET]   = { "echo-secret", false, 400, -1100, NULL, NULL },
    [S_FAULT_HOLD]          = { "hold", true, 0, 0, NULL, NULL },
    [S_FAULT_FILL_WINS]     = { "fill-wins", true, 0, 0, NULL, NULL },
    [S_FAULT_CANCEL_UNKNOWN] = { "cancel-unknown", true, 0, 0, NULL, NULL },
};

static const char *s_msg_1007 =
    "Timeout waiting for response from backend server. "
    "Send status unknown; execution status unknown.";
static const char *s_html_500 =
    "<html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>500 Internal Server Error</h1></body></html>\n";
static const char *s_json_type = "application/json;charset=UTF-8";

//  One HTTP request, from its URI to its end
typedef struct _s_request_t s_request_t;
struct _s_request_t {
    char *uri;                  //  as received, query string included
    char *body;                 //  the body so far, NUL-terminated
    size_t body_size;           //  bytes in body
    bool started;               //  the handler has seen the headers
    bool too_large;             //  the body passed S_BODY_MAX and was dropped
    bool hung;                  //  suspended by the hang fault, never answered
    struct MHD_Connection *connection;      //  its connection, while hung
    s_request_t *next;          //  next hung request
};

typedef struct {
    char *client_id;            //  newClientOrderId as sent, decoded
    int64_t requests;           //  order requests received with it
} s_count_t;

//  One request to /api/v3 as it arrived (GET /fakex/requests)
typedef struct {
    int64_t ms;                 //  the server's clock
    char what [48];             //  "METHOD PATH"
} s_arrival_t;

//  One order request as it was read (GET /fakex/receipts)
typedef struct {
    char *client_id;            //  newClientOrderId as sent, decoded
    int64_t us;                 //  the host's wall clock (CLOCK_REALTIME), microseconds
} s_receipt_t;

//  Requests counted per client order id
typedef struct {
    s_count_t *counts;
    size_t size;                //  counts in use
    size_t max;                 //  counts allocated
} s_counter_t;

//  In which asset the commission is charged (--fee-asset)
typedef enum { S_FEE_USDT, S_FEE_BNB, S_FEE_BASE, S_FEE_QUOTE } s_fee_t;

typedef struct {
    //  Set before the daemons start, read-only after
    const char *api_key;        //  the one key X-MBX-APIKEY must carry
    const char *api_secret;     //  HMAC key; never logged
    bool hold;                  //  --hold: queries never fill a resting order
    int wake [2];               //  pipe: a fault switch wakes the main thread
    fakex_rules_t *rules;       //  --exchange-info, or NULL: read through s_rules,
                                //  replaced whole by POST /fakex/rules
    const char *rules_path;     //  --exchange-info's FILE, or NULL
    s_fee_t fee;                //  --fee-asset
    bool strict_clock;          //  --strict-clock
    bool fault_queries;         //  --fault-queries
    int64_t absent_ms;          //  --absent-ms
    bool path;                  //  --price-path given
    int64_t path_step_ms;       //  --path-step-ms
    int64_t path_start_ms;      //  when the path starts (the server's clock) and
    int64_t path_end_ms;        //  reaches its last price: the main thread's,
                                //  set as it prints the ready line
    bool rate_on;               //  --rate-limits
    int64_t weight_limit;       //  --weight-limit
    int64_t order_limit;        //  --order-limit-10s
    int64_t ban_ms;             //  --ban-ms
    char ban_retry_after [24];  //  --ban-retry-after: the http-418 fault's, or ""
    int64_t start_mono_ms;      //  the rate windows count from here
    bool ed25519;               //  --ed25519-public-key: signatures are Ed25519
    unsigned char ed25519_key [FAKEX_ED25519_KEY_BYTES];
    fakex_ws_t *ws;             //  --ws-port, or NULL

    pthread_mutex_t mutex;      //  guards every field below
    fakex_rules_t **retired;    //  rules POST /fakex/rules replaced: kept until the end,
    size_t retired_size;        //  as a request may still read them
    pthread_cond_t applied;     //  the main thread applied a fault switch
    fakex_book_t *book;         //  every order placed
    s_counter_t orders;         //  order requests per (new) client order id
    s_counter_t cancels;        //  cancel, cancel-replace and amend requests per
                                //  client order id of the order they cancel
    s_fault_t fault;            //  what the next order requests meet
    fakex_account_t *account;   //  --balances, or NULL
    int64_t weight_window;      //  --rate-limits: the current minute's index
    int64_t used_weight;        //  weight used in it
    int64_t order_window;       //  the current 10 s window's index
    int64_t orders_10s;         //  orders placed in it
    int64_t order_day;          //  the current day's index
    int64_t orders_1d;          //  orders placed in it
    int64_t retry_until_ms;     //  monotonic: a 429's Retry-After ends here
    int64_t banned_until_ms;    //  monotonic: the 418 ban ends here, or 0
    uint64_t switches;          //  fault switches requested so far
    uint64_t applied_switches;  //  of those, applied to the main port
    int reopen_errno;           //  why the main port did not reopen, or 0
    bool stopping;              //  shutting down: hang nothing more
    s_request_t *hung;          //  requests the hang fault suspended
    s_arrival_t *arrivals;      //  every /api/v3 request on the main port, in order
    size_t arrivals_size;
    size_t arrivals_max;
    s_receipt_t *receipts;      //  every POST /api/v3/order with a client order id, in order
    size_t receipts_size;
    size_t receipts_max;
    fakex_account_t *positions; //  --ws-port without --balances: balances from
                                //  0 that fills move, for outboundAccountPosition
    int64_t execution_id;       //  the last executionReport's I
} s_fakex_t;

typedef struct {
    s_fakex_t *fakex;           //  the venue
    bool control;               //  serves /fakex/* only
} s_listener_t;

static const char *const s_order_post_params [] = {
    "symbol", "side", "type", "timeInForce", "quantity", "price", "newClientOrderId",
    "newOrderRespType", "recvWindow", "timestamp", "signature", NULL
};
static const char *const s_order_get_params [] = {
    "symbol", "orderId", "origClientOrderId", "recvWindow", "timestamp", "signature", NULL
};
static const char *const s_order_delete_params [] = {
    "symbol", "orderId", "origClientOrderId", "newClientOrderId", "recvWindow",
    "timestamp", "signature", NULL
};

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-fakex --port N --price DECIMAL [--fault MODE] [--api-key K] [--api-secret S]\n"
        "                [--control-port M] [--hold] [--ed25519-public-key FILE] [--ws-port W]\n"
        "                [VENUE RULES...]\n"
        "       ep-fakex --sign PARAMS [--api-secret S]\n"
        "\n"
        "A fake Binance Spot venue on 127.0.0.1 for tests: POST, GET and DELETE\n"
        "/api/v3/order (signed as Binance signs: X-MBX-APIKEY header, HMAC-SHA256\n"
        "hex signature of the query string followed by the form body, timestamp\n"
        "within recvWindow), plus GET /api/v3/ping and /api/v3/time. Every order\n"
        "fills against one price: MARKET and marketable LIMIT orders fill at once at\n"
        "--price; a non-marketable LIMIT IOC/FOK expires; a non-marketable LIMIT GTC\n"
        "rests, and each later GET on it fills half, then the rest, at its limit\n"
        "price. Commission: 0.1%% of each fill's notional, in USDT. Answers are FULL.\n"
        "Prints 'ep-fakex listening on 127.0.0.1:PORT' once ready (after\n"
        "'ep-fakex control on 127.0.0.1:M' when there is a control port, and after\n"
        "'ep-fakex ws on 127.0.0.1:W' when there is a WebSocket API).\n"
        "\n"
        "  --port N           main port (0: any free port; the line above names it)\n"
        "  --price DECIMAL    the price orders fill at (> 0, at most 8 decimals)\n"
        "  --fault MODE       the fault mode to start in (default none)\n"
        "  --api-key K        the API key requests must carry (default %s)\n"
        "  --api-secret S     the HMAC secret (default %s);\n"
        "                     both defaults are fixed test values, not secrets\n"
        "  --control-port M   a second listener serving only /fakex/* (0: any port)\n"
        "  --hold             a status query never fills a resting order, in every mode\n"
        "                     (only a fill-wins cancel fills one)\n"
        "  --sign PARAMS      print the signature of PARAMS under the secret and exit\n"
        "                     (HMAC only, whatever --ed25519-public-key says)\n"
        "  --ed25519-public-key FILE\n"
        "                     the API key is an Ed25519 one: FILE is its PEM PUBLIC KEY\n"
        "                     (as openssl pkey -pubout writes it), and every signed\n"
        "                     endpoint takes as signature the base64 Ed25519 signature\n"
        "                     (percent-encoded) of the text HMAC would cover, instead\n"
        "                     of HMAC; a bad one is 400 -1022 as under HMAC\n"
        "  --ws-port W        serve Binance's WebSocket API on 127.0.0.1:W (0: any free\n"
        "                     port; the line above names it) at /ws-api/v3 (any other\n"
        "                     path: 404), one JSON request per text frame, answered\n"
        "                     {id, status, result} or {id, status, error: {code, msg}}:\n"
        "                     session.logon {apiKey, timestamp, recvWindow, signature}\n"
        "                     (base64 Ed25519 signature of the other parameters sorted\n"
        "                     by name, name=value joined by &; needs\n"
        "                     --ed25519-public-key, else 400 -4056; a wrong key 401\n"
        "                     -2015, a bad signature 400 -1022, a timestamp outside\n"
        "                     recvWindow (default 5000; --strict-clock and\n"
        "                     --clock-offset-ms apply) 400 -1021),\n"
        "                     userDataStream.subscribe (after a logon, else 401 -1002;\n"
        "                     result {subscriptionId}, from 0 per connection),\n"
        "                     userDataStream.unsubscribe (eventStreamTerminated first,\n"
        "                     then result {}), ping (result {}); any other method 400\n"
        "                     -1100. Ping frames are answered with pongs. A subscribed\n"
        "                     connection gets {subscriptionId, event} frames, in the\n"
        "                     book's order: an executionReport for every order placed\n"
        "                     (NEW), each fill (TRADE, with t, L, l, n, N as myTrades\n"
        "                     lists the fill), cancel (CANCELED: c the cancel's\n"
        "                     newClientOrderId or fakexCancel<orderId>, C the order's\n"
        "                     id), expiry (EXPIRED), amend (REPLACED) and both halves of\n"
        "                     a cancel-replace; and after each fill an\n"
        "                     outboundAccountPosition of the assets it touched (base,\n"
        "                     quote, commission): --balances' free and locked, else\n"
        "                     balances of our own that start at 0, nothing locked. A\n"
        "                     connection with 10000 events unsent is closed\n"
        "Venue rules, each off unless given (then as Binance Spot documents it):\n"
        "  --exchange-info FILE\n"
        "                     serve GET /api/v3/exchangeInfo (unsigned, weight 20;\n"
        "                     ?symbol= narrows it) from FILE, an exchangeInfo JSON\n"
        "                     document (tests/fakex/exchange_info.json), and enforce it\n"
        "                     on each new order (POST /api/v3/order and a\n"
        "                     cancel-replace's): an unlisted symbol is -1121 Invalid\n"
        "                     symbol.; a status other than TRADING -2010 Market is\n"
        "                     closed.; a MARKET order where orderTypes lacks MARKET\n"
        "                     -2010 Market orders are not supported for this symbol. (a\n"
        "                     LIMIT one: -1014); PRICE_FILTER, LOT_SIZE,\n"
        "                     MARKET_LOT_SIZE, NOTIONAL, MIN_NOTIONAL,\n"
        "                     PERCENT_PRICE_BY_SIDE (the symbol's price as the average)\n"
        "                     and MAX_NUM_ORDERS are 400 -1013 Filter failure: NAME. A\n"
        "                     refused order is not placed (a cancel-replace's target is\n"
        "                     canceled first: -2021, as for its other refusals)\n"
        "  --symbol-price SYMBOL=DECIMAL\n"
        "                     SYMBOL trades at DECIMAL; others at --price (repeatable,\n"
        "                     up to 32 symbols)\n"
        "  --balances LIST    free balances per asset, e.g. \"USDT=10000,BTC=1,BNB=5\". A\n"
        "                     new order costing more than the free balance (BUY:\n"
        "                     quantity times its price, a MARKET one's at the symbol's\n"
        "                     price, in the quote asset; SELL: the quantity in the base\n"
        "                     asset) is -2010 Account has insufficient balance for\n"
        "                     requested action.; fills move the balances (BUY pays the\n"
        "                     quote and receives the base, SELL the reverse, the\n"
        "                     commission leaves its asset); resting orders lock what\n"
        "                     they would cost. Base and quote come from --exchange-info,\n"
        "                     else from the symbol's suffix (USDT, USDC, FDUSD, BUSD,\n"
        "                     TUSD, BTC, ETH, BNB, EUR)\n"
        "  --fee-asset BNB|BASE|QUOTE\n"
        "                     the asset the 0.1%% commission is charged in, as\n"
        "                     commissionAsset says: BNB (the quote commission at the\n"
        "                     price of BNB<quote>; with --balances and too little free\n"
        "                     BNB, the asset received, as Binance does), the base (0.1%%\n"
        "                     of the quantity) or the quote asset. Default: USDT,\n"
        "                     whatever the symbol\n"
        "  --strict-clock     Binance's timestamp rule: 1000 ms or more ahead of the\n"
        "                     server's clock is -1021 Timestamp for this request was\n"
        "                     1000ms ahead of the server's time.; older than recvWindow\n"
        "                     is -1021 Timestamp for this request is outside of the\n"
        "                     recvWindow. (default: outside recvWindow either way)\n"
        "  --clock-offset-ms N\n"
        "                     the server's clock runs N ms (may be negative) from the\n"
        "                     host's: /api/v3/time, the timestamp check, the times\n"
        "                     answered\n"
        "  --rate-limits      every /api/v3 answer carries X-MBX-USED-WEIGHT-1M\n"
        "                     (weights: order 1, query 4, cancel 1, cancel-replace 1,\n"
        "                     amend 4, exchangeInfo 20, time and ping 1, openOrders 6\n"
        "                     (80 without a symbol), account 20, myTrades 5 (20 without\n"
        "                     an orderId)); answers to placed orders carry\n"
        "                     X-MBX-ORDER-COUNT-10S and -1D. A request over the minute's\n"
        "                     weight is 429 -1003 with Retry-After (to the minute's\n"
        "                     end); one more order than the 10 s limit is 429 -1015; any\n"
        "                     request inside a 429's Retry-After is 418 -1003, an IP ban\n"
        "                     (Retry-After: the ban's length) in which every request is\n"
        "                     418 until it ends; its end starts a fresh weight window.\n"
        "                     Windows are minutes, 10 s and days of the monotonic clock\n"
        "                     from the start\n"
        "  --weight-limit N   weight per minute (default 6000)\n"
        "  --order-limit-10s N\n"
        "                     orders per 10 s (default 100)\n"
        "  --ban-ms N         the 418 ban's length (default 120000, Binance's least)\n"
        "  --ban-retry-after N\n"
        "                     the Retry-After, in seconds, of the http-418 fault's answer\n"
        "                     (default 120)\n"
        "  --fault-queries    hang, http-500, http-503, code-1007 and truncated strike\n"
        "                     status queries (GET /api/v3/order) too\n"
        "  --market-liquidity DECIMAL\n"
        "                     a MARKET order fills at most DECIMAL and the rest expires\n"
        "                     (status EXPIRED, executedQty below origQty)\n"
        "  --price-path P1,P2,...\n"
        "                     with --path-step-ms N: the price (of every symbol without\n"
        "                     --symbol-price; --price may be left out) is P1 from the\n"
        "                     ready line, P2 N ms later, and so on, staying at the last.\n"
        "                     A resting LIMIT order fills whole at its limit price as\n"
        "                     soon as the price reaches it (a BUY at or above, a SELL at\n"
        "                     or below), with no query needed; queries fill nothing\n"
        "                     (--hold and the holding modes hold it still)\n"
        "  --path-step-ms N   the path's step, in ms\n"
        "  --absent-ms N      an order is invisible for N ms after it is placed: a\n"
        "                     status query answers -2013 Order does not exist., a cancel\n"
        "                     (or a cancel-replace of it) -2011 Unknown order sent., as\n"
        "                     Binance answers for an order it does not know\n"
        "  --config FILE      accepted like every execplane program; ep-fakex has no\n"
        "                     configuration keys, so it is not read\n"
        "  --help             this text\n"
        "\n"
        "Also served, signed, whatever the options: GET /api/v3/account (balances free\n"
        "and locked; none without --balances), GET /api/v3/openOrders (optional\n"
        "symbol) and GET /api/v3/myTrades?symbol=&orderId= (each fill with its\n"
        "commission and commissionAsset), in Binance's shapes.\n"
        "\n"
        "Test endpoints, never faulted: POST /fakex/fault?mode=MODE switches the mode\n"
        "for the following order requests (400 on an unknown mode); GET /fakex/fault\n"
        "names the current one; GET /fakex/counts answers {client order id: number\n"
        "of POST /api/v3/order requests received with it}. A request is counted as\n"
        "soon as it is read, before any check, in every mode that reads it.\n"
        "POST /fakex/rules reads --exchange-info's FILE again: its rules are in\n"
        "force from the next request on (answers {symbols}; 400, the rules before\n"
        "kept, if it does not read; 400 without --exchange-info, whose\n"
        "exchangeInfo lists no symbol).\n"
        "GET /fakex/rate answers {rate_limits, used_weight, weight_limit,\n"
        "banned_until_ms, retry_until_ms, orders_10s} (times on the server's clock, 0\n"
        "when none). With --rate-limits, exchangeInfo's rateLimits say --weight-limit\n"
        "and --order-limit-10s. GET /fakex/requests answers {requests: [[ms, \"METHOD\n"
        "PATH\"], ...]}: every /api/v3 request the main port read, in order, with the\n"
        "server's clock when it was read (before any check or fault).\n"
        "GET /fakex/receipts answers [{client_order_id, received_us}, ...]: every\n"
        "POST /api/v3/order the main port read with a newClientOrderId, in order,\n"
        "with the host's wall clock (CLOCK_REALTIME, microseconds, never shifted by\n"
        "--clock-offset-ms) when its request had been read, before any check.\n"
        "POST /fakex/trade?origClientOrderId=ID&quantity=Q executes one trade of Q on\n"
        "the open order ID at its limit price (its commission as for any fill), as if\n"
        "the market had crossed it: 200 {id, orderId, symbol, price, qty, commission,\n"
        "commissionAsset}, 404 if no such open order, 400 if Q is not above 0 or is\n"
        "more than the order has left.\n"
        "With --ws-port: POST /fakex/ws?mode=MODE switches the stream: normal; drop\n"
        "(every connection closed now, then normal); down (every connection closed,\n"
        "upgrades refused with 503 until normal); stall (connections kept open but\n"
        "nothing read, answered, ponged or sent until normal); late (events queued, and\n"
        "sent once normal: a stream that lags). Events made while down or stalled are\n"
        "dropped, never sent later. GET /fakex/ws (and the POST)\n"
        "answers {mode, connections (open now), logons, subscriptions, events_sent,\n"
        "events_dropped (counts since the start)}; GET /fakex/ws/events answers\n"
        "[[send_time_us, \"FRAME\"], ...], the last 10000 events sent, oldest first,\n"
        "each frame as sent, with when it was sent on the server's clock. Each\n"
        "executionReport sent is also logged with its E and its send time.\n"
        "\n"
        "Fault modes (they apply to POST /api/v3/order, and to cancels as below):\n"
        "  none           the venue as described above\n"
        "  refuse         the main port is closed: connections are refused. With\n"
        "                 --control-port, switching to another mode there reopens it;\n"
        "                 without it, refuse is one-way until ep-fakex restarts\n"
        "  close-early    the connection is closed once the request line and headers\n"
        "                 are read, before the body; nothing is counted or placed\n"
        "  hang           the order is placed (and filled as usual) but never\n"
        "                 answered; the server keeps serving everything else\n"
        "  http-500       the order is placed; the answer is 500 with an HTML body\n"
        "  http-503       not placed; 503 with code -1008\n"
        "  code-1007      the order is placed; the answer is 408 with code -1007\n"
        "  truncated      the order is placed; the answer is 200 with the first half\n"
        "                 of its JSON\n"
        "  wrong-id       the order is placed; the answer is 200 with another\n"
        "                 clientOrderId\n"
        "  http-429       not placed; 429 with Retry-After: 7 and code -1003\n"
        "  http-418       not placed; 418 with Retry-After: 120 (--ban-retry-after)\n"
        "                 and code -1003\n"
        "  insufficient   not placed; 400 with code -2010 (insufficient balance)\n"
        "  duplicate      the order is placed (as an earlier request with its client\n"
        "                 order id would have); the answer is 400 with code -2010\n"
        "                 (Duplicate order sent.)\n"
        "  bad-signature  not placed; 400 with code -1022\n"
        "  overfill       the order is placed; the answer is 200 and says more executed\n"
        "                 (executedQty) than the order's quantity\n"
        "  wrong-qty      the order is placed; the answer is 200 with twice its quantity\n"
        "                 as origQty\n"
        "  echo-secret    not placed; 400 with code -1100 whose message quotes the API\n"
        "                 key and secret with every character JSON-escaped (\\u0073...)\n"
        "  hold           as none, but a status query leaves a resting order as it is\n"
        "  fill-wins      as hold, but a cancel, cancel-replace or amend finds its order\n"
        "                 filled whole (at its limit price) just before it arrives: -2011\n"
        "  cancel-unknown as hold, but a cancel, cancel-replace or amend is answered\n"
        "                 -2011 (Unknown order sent.) while its order is left as it is,\n"
        "                 still open: a venue that lies or lags\n"
        "Cancels (DELETE /api/v3/order), cancel-replaces (POST\n"
        "/api/v3/order/cancelReplace) and amends (PUT /api/v3/order/amend/keepPriority)\n"
        "meet the same modes: hang, http-500, code-1007 and truncated act first (cancel,\n"
        "replace, amend) and then answer so; the modes that do not place answer\n"
        "without acting. GET /fakex/counts?kind=cancel counts them per client order id\n"
        "of the order they cancel (a cancel-replace's new order, and an amend's new id,\n"
        "count among the orders).\n"
        "The modes that do not place answer without checking the request; those that\n"
        "place answer an invalid request with its usual error.\n"
        "\n"
        "Exit: 0 after SIGINT or SIGTERM (or after --sign); 1 if a port cannot be\n"
        "bound; 2 on bad usage.\n",
        S_DEFAULT_KEY, S_DEFAULT_SECRET);
}

//  The Retry-After a canned fault answer carries, or NULL
static const char *
s_fault_retry_after (const s_fakex_t *self, s_fault_t fault)
{
    if (fault == S_FAULT_HTTP_418 && self->ban_retry_after [0])
        return self->ban_retry_after;
    return s_faults [fault].retry_after;
}

//  --clock-offset-ms: set once before the daemons start
static int64_t s_clock_offset_ms;

//  The server's clock: the host's, shifted by --clock-offset-ms
static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000 + s_clock_offset_ms;
}

//  The host's wall clock in microseconds, unshifted (GET /fakex/receipts:
//  compared with the clocks of other processes on the host)
static int64_t
s_host_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  The rate limits' clock
static int64_t
s_mono_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  --rate-limits: the headers every answer of the request being handled
//  carries. Each handler thread serves one request at a time from start to
//  answer, so the state is per thread and reset as each request begins.
static __thread struct {
    bool weight;                //  X-MBX-USED-WEIGHT-1M is due
    int64_t used_weight;
    bool orders;                //  X-MBX-ORDER-COUNT-10S and -1D are due
    int64_t orders_10s;
    int64_t orders_1d;
    char retry_after [24];      //  a Retry-After the answer carries, or ""
} s_headers;

static int
s_fault_parse (const char *name)
{
    for (int fault = 0; name && fault < S_FAULT_COUNT; fault++)
        if (streq (name, s_faults [fault].name))
            return fault;
    return -1;
}

//  Binance's client order id rule
static bool
s_client_id_ok (const char *id)
{
    size_t len = id ? strlen (id) : 0;
    if (len < 1 || len > FAKEX_CLIENT_ID_MAX)
        return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
           || *c == '_' || *c == '-'))
            return false;
    return true;
}

static bool
s_symbol_ok (const char *symbol)
{
    size_t len = strlen (symbol);
    if (len < 1 || len > FAKEX_SYMBOL_MAX)
        return false;
    for (const char *c = symbol; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
           || *c == '-' || *c == '_' || *c == '.'))
            return false;
    return true;
}

//  Digits only, at most 18 of them, so no overflow
static bool
s_parse_count (const char *text, int64_t *value)
{
    size_t len = text ? strlen (text) : 0;
    if (len < 1 || len > 18)
        return false;
    int64_t result = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        result = result * 10 + (*c - '0');
    }
    *value = result;
    return true;
}

//  ---------------------------------------------------------------------
//  Answers

static enum MHD_Result
s_reply (struct MHD_Connection *connection, unsigned int status, const char *content_type,
         const char *body, size_t size, const char *retry_after)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (!retry_after && *s_headers.retry_after)
        retry_after = s_headers.retry_after;
    if (retry_after)
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    char number [24];
    if (s_headers.weight) {
        snprintf (number, sizeof number, "%" PRId64, s_headers.used_weight);
        MHD_add_response_header (response, "X-MBX-USED-WEIGHT-1M", number);
    }
    if (s_headers.orders) {
        snprintf (number, sizeof number, "%" PRId64, s_headers.orders_10s);
        MHD_add_response_header (response, "X-MBX-ORDER-COUNT-10S", number);
        snprintf (number, sizeof number, "%" PRId64, s_headers.orders_1d);
        MHD_add_response_header (response, "X-MBX-ORDER-COUNT-1D", number);
    }
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

//  Answers json (and takes it); NULL means we ran out of memory on the way
static enum MHD_Result
s_reply_json (struct MHD_Connection *connection, unsigned int status, json_t *json,
              const char *retry_after)
{
    char *text = json ? json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (json);
    if (!text) {
        static const char *oom = "{\"code\":-1000,\"msg\":\"Out of memory.\"}";
        return s_reply (connection, 500, s_json_type, oom, strlen (oom), NULL);
    }
    enum MHD_Result rc = s_reply (connection, status, s_json_type, text, strlen (text),
                                  retry_after);
    free (text);
    return rc;
}

//  A Binance error body: {"code":-1022,"msg":"..."}
static json_t *
s_error (int code, const char *msg)
{
    return json_pack ("{s:i, s:s}", "code", code, "msg", msg);
}

static json_t *
s_mandatory (const char *name)
{
    char msg [160];
    snprintf (msg, sizeof msg,
              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
    return s_error (-1102, msg);
}

static json_t *
s_illegal (const char *name, const char *legal)
{
    char msg [200];
    snprintf (msg, sizeof msg, "Illegal characters found in parameter '%s'; legal range is '%s'.",
              name, legal);
    return s_error (-1100, msg);
}

//  Our own endpoints answer {"error": "..."}
static enum MHD_Result
s_reply_fakex_error (struct MHD_Connection *connection, unsigned int status, const char *text)
{
    return s_reply_json (connection, status, json_pack ("{s:s}", "error", text), NULL);
}

static int
s_error_code (json_t *answer)
{
    return (int) json_integer_value (json_object_get (answer, "code"));
}

//  ---------------------------------------------------------------------
//  Request checks shared by the order endpoints

//  Before the parameters: the body's size and type. NULL if fine.
static json_t *
s_body_check (struct MHD_Connection *connection, s_request_t *request, unsigned int *status)
{
    if (request->too_large) {
        *status = 413;
        return s_error (-1000, "Request body too large.");
    }
    const char *type = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *form = "application/x-www-form-urlencoded";
    if (request->body_size > 0 && type && strncasecmp (type, form, strlen (form)) != 0) {
        *status = 400;
        return s_error (-1100, "Illegal characters found in a parameter: "
                               "the body must be application/x-www-form-urlencoded.");
    }
    return NULL;
}

static json_t *
s_params_error (fakex_params_error_t error, unsigned int *status)
{
    *status = 400;
    switch (error) {
        case FAKEX_PARAMS_DUPLICATE:
            return s_error (-1101, "Duplicate values for a parameter detected.");
        case FAKEX_PARAMS_TOO_MANY:
            return s_error (-1101, "Too many parameters sent for this endpoint.");
        case FAKEX_PARAMS_NOMEM:
            *status = 500;
            return s_error (-1000, "An unknown error occurred while processing the request.");
        default:
            return s_error (-1100, "Illegal characters found in a parameter.");
    }
}

//  A parameter's value, NULL when not sent or empty (Binance treats both
//  as not sent)
static const char *
s_param (fakex_params_t *params, const char *name)
{
    const char *value = fakex_params_get (params, name);
    return value && *value ? value : NULL;
}

//  What every signed endpoint checks: the API key, the signature, the
//  timestamp against recvWindow, and that it knows every parameter sent.
//  Returns NULL if all pass, else the error to answer.
static json_t *
s_check_signed (s_fakex_t *self, struct MHD_Connection *connection, fakex_params_t *params,
                const char *const *known, int64_t now_ms, unsigned int *status)
{
    const char *key = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "X-MBX-APIKEY");
    if (!key || !streq (key, self->api_key)) {
        *status = 401;
        return s_error (-2015, "Invalid API-key, IP, or permissions for action.");
    }
    *status = 400;
    if (!s_param (params, "signature"))
        return s_mandatory ("signature");
    if (self->ed25519 ? !fakex_params_verify_ed25519 (params, self->ed25519_key)
                      : !fakex_params_verify (params, self->api_secret))
        return s_error (-1022, "Signature for this request is not valid.");
    int64_t timestamp, window = S_RECV_WINDOW;
    if (!s_parse_count (s_param (params, "timestamp"), &timestamp))
        return s_mandatory ("timestamp");
    const char *window_text = fakex_params_get (params, "recvWindow");
    if (window_text && !s_parse_count (window_text, &window))
        return s_illegal ("recvWindow", "^[0-9]{1,18}$");
    if (window > S_RECV_WINDOW_MAX)
        return s_error (-1131, "recvWindow must be less than 60000.");
    if (self->strict_clock) {
        //  Binance's rule: 1000 ms ahead or more, or older than recvWindow
        if (timestamp >= now_ms + S_AHEAD_MS)
            return s_error (-1021, "Timestamp for this request was 1000ms ahead of the "
                                   "server's time.");
        if (now_ms - timestamp > window)
            return s_error (-1021, "Timestamp for this request is outside of the recvWindow.");
    }
    else
    if (timestamp < now_ms - window || timestamp > now_ms + window)
        return s_error (-1021, "Timestamp for this request is outside of the recvWindow.");
    size_t sent = fakex_params_size (params), read = 0;
    for (size_t index = 0; index < sent; index++)
        for (const char *const *name = known; *name; name++)
            if (streq (*name, fakex_params_name (params, index))) {
                read++;
                break;
            }
    if (read < sent) {
        char msg [160];
        snprintf (msg, sizeof msg,
                  "Not all sent parameters were read; read '%zu' parameter(s) but was sent '%zu'.",
                  read, sent);
        return s_error (-1104, msg);
    }
    return NULL;
}

static json_t *
s_decimal_param (fakex_params_t *params, const char *name, int64_t *value)
{
    const char *text = s_param (params, name);
    if (!text)
        return s_mandatory (name);
    switch (ep_decimal_parse (text, false, value)) {
        case EP_DECIMAL_OK:
            return NULL;
        case EP_DECIMAL_TOO_PRECISE:
            return s_error (-1111, "Precision is over the maximum defined for this asset.");
        case EP_DECIMAL_OVERFLOW:
            return s_error (-1013, streq (name, "price") ? "Invalid price." : "Invalid quantity.");
        default:
            return s_illegal (name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$");
    }
}

//  Reads a new order's parameters into *order. NULL if they are complete
//  and well-formed, else the error to answer.
static json_t *
s_order_parse (fakex_params_t *params, fakex_order_t *order)
{
    memset (order, 0, sizeof *order);
    const char *symbol = s_param (params, "symbol");
    if (!symbol)
        return s_mandatory ("symbol");
    if (!s_symbol_ok (symbol))
        return s_illegal ("symbol", "^[A-Z0-9-_.]{1,20}$");
    strcpy (order->symbol, symbol);

    const char *side = s_param (params, "side");
    if (!side)
        return s_mandatory ("side");
    if (streq (side, "BUY"))
        order->side = FAKEX_BUY;
    else
    if (streq (side, "SELL"))
        order->side = FAKEX_SELL;
    else
        return s_error (-1117, "Invalid side.");

    const char *type = s_param (params, "type");
    if (!type)
        return s_mandatory ("type");
    if (streq (type, "MARKET"))
        order->type = FAKEX_MARKET;
    else
    if (streq (type, "LIMIT"))
        order->type = FAKEX_LIMIT;
    else
        return s_error (-1116, "Invalid orderType.");

    json_t *error = s_decimal_param (params, "quantity", &order->qty_e8);
    if (error)
        return error;
    if (order->qty_e8 == 0)
        return s_error (-1013, "Invalid quantity.");

    const char *tif = s_param (params, "timeInForce");
    if (order->type == FAKEX_MARKET) {
        //  Binance refuses both on a MARKET order
        if (tif)
            return s_error (-1106, "Parameter 'timeInForce' sent when not required.");
        if (s_param (params, "price"))
            return s_error (-1106, "Parameter 'price' sent when not required.");
    }
    else {
        error = s_decimal_param (params, "price", &order->price_e8);
        if (error)
            return error;
        if (order->price_e8 == 0)
            return s_error (-1013, "Invalid price.");
        if (!tif)
            return s_mandatory ("timeInForce");
        if (streq (tif, "GTC"))
            order->tif = FAKEX_GTC;
        else
        if (streq (tif, "IOC"))
            order->tif = FAKEX_IOC;
        else
        if (streq (tif, "FOK"))
            order->tif = FAKEX_FOK;
        else
            return s_error (-1115, "Invalid timeInForce.");
    }

    const char *client_id = s_param (params, "newClientOrderId");
    if (!client_id)
        return s_mandatory ("newClientOrderId");
    if (!s_client_id_ok (client_id))
        return s_illegal ("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$");
    strcpy (order->client_id, client_id);

    //  Any of the three is accepted; the answer is always FULL
    const char *resp_type = fakex_params_get (params, "newOrderRespType");
    if (resp_type && !streq (resp_type, "ACK") && !streq (resp_type, "RESULT")
    &&  !streq (resp_type, "FULL"))
        return s_illegal ("newOrderRespType", "ACK|RESULT|FULL");
    return NULL;
}

//  Reads which order a GET or DELETE means. NULL if well-formed.
static json_t *
s_order_ref (fakex_params_t *params, const char **symbol, int64_t *order_id,
             const char **client_id)
{
    *symbol = s_param (params, "symbol");
    if (!*symbol)
        return s_mandatory ("symbol");
    if (!s_symbol_ok (*symbol))
        return s_illegal ("symbol", "^[A-Z0-9-_.]{1,20}$");
    const char *id_text = s_param (params, "orderId");
    *order_id = 0;
    if (id_text && (!s_parse_count (id_text, order_id) || *order_id == 0))
        return s_illegal ("orderId", "^[1-9][0-9]{0,17}$");
    *client_id = s_param (params, "origClientOrderId");
    if (!id_text && !*client_id)
        return s_error (-1102, "Param 'origClientOrderId' or 'orderId' must be sent, "
                               "but both were empty/null!");
    return NULL;
}

//  ---------------------------------------------------------------------
//  The order endpoints

//  Called with the mutex held
static void
s_count (s_counter_t *self, const char *client_id)
{
    for (size_t index = 0; index < self->size; index++)
        if (streq (self->counts [index].client_id, client_id)) {
            self->counts [index].requests++;
            return;
        }
    if (self->size == self->max) {
        size_t max = self->max ? self->max * 2 : 64;
        s_count_t *counts = realloc (self->counts, max * sizeof *counts);
        if (!counts) {
            ep_log_error ("out of memory: an order request was not counted");
            return;
        }
        self->counts = counts;
        self->max = max;
    }
    char *copy = strdup (client_id);
    if (!copy) {
        ep_log_error ("out of memory: an order request was not counted");
        return;
    }
    self->counts [self->size].client_id = copy;
    self->counts [self->size].requests = 1;
    self->size++;
}

//  Notes when an order request was read, for GET /fakex/receipts. Called
//  with the mutex held.
static void
s_receipt (s_fakex_t *self, const char *client_id, int64_t received_us)
{
    if (self->receipts_size == self->receipts_max) {
        size_t max = self->receipts_max ? self->receipts_max * 2 : 1024;
        s_receipt_t *receipts = realloc (self->receipts, max * sizeof *receipts);
        if (!receipts) {
            ep_log_error ("out of memory: an order request's receipt is not noted");
            return;
        }
        self->receipts = receipts;
        self->receipts_max = max;
    }
    char *copy = strdup (client_id);
    if (!copy) {
        ep_log_error ("out of memory: an order request's receipt is not noted");
        return;
    }
    self->receipts [self->receipts_size++] = (s_receipt_t) { copy, received_us };
}

//  ---------------------------------------------------------------------
//  The venue's rules (each off unless its option is given). Called with
//  the mutex held.

//  Whether resting orders are held: --hold or a mode that holds
static bool
s_holds (s_fakex_t *self)
{
    return self->hold || self->fault == S_FAULT_HOLD || self->fault == S_FAULT_FILL_WINS
        || self->fault == S_FAULT_CANCEL_UNKNOWN;
}

//  The rules in force (NULL: none): those --exchange-info read, or the
//  last POST /fakex/rules read. A request reads them once, whole: the ones
//  replaced stay valid until the end.
static fakex_rules_t *
s_rules (s_fakex_t *self)
{
    return __atomic_load_n (&self->rules, __ATOMIC_ACQUIRE);
}

//  --price-path: fills what the price has crossed by now
static void
s_advance (s_fakex_t *self, int64_t now_ms)
{
    if (self->path) {
        fakex_book_hold (self->book, s_holds (self));
        size_t filled = fakex_book_advance (self->book, now_ms);
        if (filled)
            ep_log_info ("price path: %zu resting order(s) filled", filled);
    }
}

//  What the open orders lock of asset: a BUY its remaining quantity times
//  its price in the quote asset, a SELL its remaining quantity in the base
static int64_t
s_locked (s_fakex_t *self, const char *asset)
{
    int64_t locked = 0;
    size_t size = fakex_book_size (self->book);
    for (size_t index = 0; index < size; index++) {
        const fakex_order_t *order = fakex_book_at (self->book, index);
        if (!fakex_order_is_open (order))
            continue;
        char base [FAKEX_ASSET_MAX + 1], quote [FAKEX_ASSET_MAX + 1];
        fakex_rules_assets (s_rules (self), order->symbol, base, quote);
        int64_t remaining = order->qty_e8 - order->executed_e8;
        if (order->side == FAKEX_BUY && streq (quote, asset))
            locked += (int64_t) ((__int128) remaining * order->price_e8 / 100000000);
        else
        if (order->side == FAKEX_SELL && streq (base, asset))
            locked += remaining;
    }
    return locked;
}

//  --balances: whether the free balance pays for the order (a MARKET BUY
//  at the symbol's current price)
static bool
s_funds_ok (s_fakex_t *self, const fakex_order_t *order, int64_t now_ms)
{
    char base [FAKEX_ASSET_MAX + 1], quote [FAKEX_ASSET_MAX + 1];
    fakex_rules_assets (s_rules (self), order->symbol, base, quote);
    const char *asset = order->side == FAKEX_BUY ? quote : base;
    __int128 cost = order->qty_e8;
    if (order->side == FAKEX_BUY) {
        int64_t price = order->type == FAKEX_LIMIT ? order->price_e8
                      : fakex_book_price (self->book, order->symbol, now_ms);
        cost = cost * price / 100000000;
    }
    __int128 available = (__int128) fakex_account_total (self->account, asset)
                       - s_locked (self, asset);
    return cost <= available;
}

//  The book's fee function: --fee-asset. USDT (the default) leaves the
//  book's own: 0.1% of the notional in USDT.
static void
s_fee (void *arg, const fakex_order_t *order, int64_t qty_e8, int64_t price_e8,
       int64_t *commission_e8, char *asset)
{
    s_fakex_t *self = arg;
    if (self->fee == S_FEE_USDT)
        return;
    char base [FAKEX_ASSET_MAX + 1], quote [FAKEX_ASSET_MAX + 1];
    fakex_rules_assets (s_rules (self), order->symbol, base, quote);
    if (self->fee == S_FEE_QUOTE)
        snprintf (asset, FAKEX_ASSET_MAX + 1, "%s", quote);
    else
    if (self->fee == S_FEE_BASE) {
        snprintf (asset, FAKEX_ASSET_MAX + 1, "%s", base);
        *commission_e8 = qty_e8 / 1000;
    }
    else {
        //  BNB: the quote commission at BNB's price in the quote asset
        snprintf (asset, FAKEX_ASSET_MAX + 1, "BNB");
        if (streq (quote, "BNB"))
            return;
        char symbol [FAKEX_SYMBOL_MAX + 1];
        snprintf (symbol, sizeof symbol, "BNB%.*s", FAKEX_SYMBOL_MAX - 3, quote);
        int64_t bnb_price = streq (base, "BNB") ? price_e8
                          : fakex_book_price (self->book, symbol, order->update_ms);
        int64_t in_bnb = (int64_t) ((__int128) *commission_e8 * 100000000 / bnb_price);
        //  Too little BNB: Binance charges the asset received instead
        if (self->account
        &&  fakex_account_total (self->account, "BNB") - s_locked (self, "BNB") < in_bnb) {
            bool buy = order->side == FAKEX_BUY;
            snprintf (asset, FAKEX_ASSET_MAX + 1, "%s", buy ? base : quote);
            if (buy)
                *commission_e8 = qty_e8 / 1000;
        }
        else
            *commission_e8 = in_bnb;
    }
}

//  --ws-port: an executionReport for a change of order to every
//  subscriber, c and C as Binance sets them (C only on a cancel or an
//  amend). Called with the mutex held, so events leave in the book's order.
static void
s_report (s_fakex_t *self, const fakex_order_t *order, const fakex_trade_t *trade,
          const char *exec_type, const char *client_id, const char *orig_client_id)
{
    if (!self->ws)
        return;
    //  Made even with nobody subscribed: the down and stall modes count
    //  what they drop
    fakex_ws_publish (self->ws, fakex_execution_report_json (
        order, trade, exec_type, client_id ? client_id : order->client_id,
        orig_client_id ? orig_client_id : "", s_now_ms (), ++self->execution_id));
}

//  The book's report function: an order placed (before it matches) and
//  one that expired as placed
static void
s_on_report (void *arg, const fakex_order_t *order, fakex_report_t kind)
{
    s_report (arg, order, NULL, kind == FAKEX_REPORT_NEW ? "NEW" : "EXPIRED", NULL, NULL);
}

//  --ws-port: the balances of the assets a trade touched, free and locked,
//  as outboundAccountPosition says them
static void
s_position (s_fakex_t *self, fakex_account_t *account, const char *const *assets, size_t size,
            int64_t now_ms)
{
    json_t *balances = json_array ();
    for (size_t index = 0; balances && index < size; index++) {
        bool seen = false;
        for (size_t before = 0; before < index; before++)
            seen = seen || streq (assets [before], assets [index]);
        if (seen)
            continue;
        int64_t locked = s_locked (self, assets [index]);
        //  Our own balances lock nothing: they start at 0, not at a deposit
        if (account == self->positions)
            locked = 0;
        json_array_append_new (balances, json_pack ("{s:s,s:o,s:o}", "a", assets [index],
            "f", fakex_decimal8 (fakex_account_total (account, assets [index]) - locked),
            "l", fakex_decimal8 (locked)));
    }
    fakex_ws_publish (self->ws, json_pack ("{s:s,s:I,s:I,s:o}", "e", "outboundAccountPosition",
                                           "E", (json_int_t) now_ms, "u", (json_int_t) now_ms,
                                           "B", balances ? balances : json_array ()));
}

//  Moves account's balances by a fill: the quote, the base, the commission
static bool
s_move (fakex_account_t *account, const fakex_order_t *order, const fakex_trade_t *trade,
        const char *base, const char *quote)
{
    bool buy = order->side == FAKEX_BUY;
    return fakex_account_add (account, quote, buy ? -trade->quote_e8 : trade->quote_e8)
        && fakex_account_add (account, base, buy ? trade->qty_e8 : -trade->qty_e8)
        && fakex_account_add (account, trade->commission_asset, -trade->commission_e8);
}

//  The book's trade function: --balances moves with every fill; --ws-port
//  sends its executionReport, then the balances it moved
static void
s_on_trade (void *arg, const fakex_order_t *order, const fakex_trade_t *trade)
{
    s_fakex_t *self = arg;
    char base [FAKEX_ASSET_MAX + 1], quote [FAKEX_ASSET_MAX + 1];
    fakex_rules_assets (s_rules (self), order->symbol, base, quote);
    fakex_account_t *account = self->account ? self->account : self->positions;
    if (account && !s_move (account, order, trade, base, quote))
        ep_log_error ("out of memory: a fill did not move the balances");
    if (!self->ws)
        return;
    s_report (self, order, trade, "TRADE", NULL, NULL);
    const char *assets [] = { base, quote, trade->commission_asset };
    s_position (self, account, assets, 3, trade->time_ms);
}

//  --rate-limits: seconds until a monotonic time, rounded up, as text
static void
s_retry_after (int64_t until_ms, int64_t now_ms)
{
    int64_t seconds = until_ms > now_ms ? (until_ms - now_ms + 999) / 1000 : 1;
    snprintf (s_headers.retry_after, sizeof s_headers.retry_after, "%" PRId64, seconds);
}

//  --rate-limits: admits a request of weight, or answers why not (429 over
//  the minute's limit, 418 banned or asking again inside a 429's
//  Retry-After) and sets its headers either way
static json_t *
s_rate_admit (s_fakex_t *self, int64_t weight, unsigned int *status)
{
    int64_t now = s_mono_ms ();
    char msg [200];
    json_t *answer = NULL;
    if (self->banned_until_ms && now >= self->banned_until_ms) {
        //  A real ban outlasts the minute: its end starts a fresh window
        self->banned_until_ms = 0;
        self->retry_until_ms = 0;
        self->used_weight = 0;
        self->weight_window = (now - self->start_mono_ms) / S_WEIGHT_WINDOW_MS;
        ep_log_info ("rate limits: the IP ban ended");
    }
    if (!self->banned_until_ms && now < self->retry_until_ms) {
        self->banned_until_ms = now + self->ban_ms;
        ep_log_info ("rate limits: asked again inside Retry-After: IP banned for %" PRId64 " ms",
                     self->ban_ms);
    }
    int64_t window = (now - self->start_mono_ms) / S_WEIGHT_WINDOW_MS;
    if (window != self->weight_window) {
        self->weight_window = window;
        self->used_weight = 0;
    }
    if (self->banned_until_ms) {
        *status = 418;
        s_retry_after (self->banned_until_ms, now);
        snprintf (msg, sizeof msg, "Way too much request weight used; IP banned until %" PRId64
                  ". Please use WebSocket Streams for live updates to avoid bans.",
                  s_now_ms () + (self->banned_until_ms - now));
        answer = s_error (-1003, msg);
    }
    else
    if (self->used_weight + weight > self->weight_limit) {
        *status = 429;
        self->retry_until_ms = self->start_mono_ms + (window + 1) * S_WEIGHT_WINDOW_MS;
        s_retry_after (self->retry_until_ms, now);
        snprintf (msg, sizeof msg, "Too much request weight used; current limit is %" PRId64
                  " request weight per 1 MINUTE. Please use WebSocket Streams for live updates "
                  "to avoid polling the API.", self->weight_limit);
        answer = s_error (-1003, msg);
    }
    else
        self->used_weight += weight;
    s_headers.weight = true;
    s_headers.used_weight = self->used_weight;
    return answer;
}

//  --rate-limits: rolls the order count windows; true if one more order
//  fits in this 10 s window
static bool
s_rate_orders_ok (s_fakex_t *self, int64_t now)
{
    int64_t window = (now - self->start_mono_ms) / S_ORDER_WINDOW_MS;
    if (window != self->order_window) {
        self->order_window = window;
        self->orders_10s = 0;
    }
    int64_t day = (now - self->start_mono_ms) / S_DAY_MS;
    if (day != self->order_day) {
        self->order_day = day;
        self->orders_1d = 0;
    }
    return self->orders_10s < self->order_limit;
}

//  An order was placed: counted, and its answer carries the counts
static void
s_rate_count_order (s_fakex_t *self)
{
    if (!self->rate_on)
        return;
    self->orders_10s++;
    self->orders_1d++;
    s_headers.orders = true;
    s_headers.orders_10s = self->orders_10s;
    s_headers.orders_1d = self->orders_1d;
}

//  Whether the venue takes a new order: its order rate, the symbol's
//  rules, the balance. NULL if it does, else the refusal, *status set.
static json_t *
s_admit_order (s_fakex_t *self, const fakex_order_t *order, int64_t now_ms, unsigned int *status)
{
    *status = 400;
    if (self->rate_on) {
        int64_t now = s_mono_ms ();
        if (!s_rate_orders_ok (self, now)) {
            char msg [120];
            *status = 429;
            self->retry_until_ms = self->start_mono_ms
                                 + (self->order_window + 1) * S_ORDER_WINDOW_MS;
            s_retry_after (self->retry_until_ms, now);
            snprintf (msg, sizeof msg, "Too many new orders; current limit is %" PRId64
                      " orders per 10 SECOND.", self->order_limit);
            return s_error (-1015, msg);
        }
    }
    fakex_rules_t *rules = s_rules (self);
    if (rules) {
        size_t open = 0, size = fakex_book_size (self->book);
        for (size_t index = 0; index < size; index++) {
            const fakex_order_t *other = fakex_book_at (self->book, index);
            if (fakex_order_is_open (other) && streq (other->symbol, order->symbol))
                open++;
        }
        int code;
        char msg [120];
        if (!fakex_rules_check (rules, order,
                                fakex_book_price (self->book, order->symbol, now_ms), open,
                                &code, msg, sizeof msg))
            return s_error (code, msg);
    }
    if (self->account && !s_funds_ok (self, order, now_ms))
        return s_error (-2010, "Account has insufficient balance for requested action.");
    return NULL;
}

static const char *
s_query (s_request_t *request)
{
    const char *mark = strchr (request->uri, '?');
    return mark ? mark + 1 : "";
}

//  Suspends the connection for good (until shutdown resumes it to close it)
static enum MHD_Result
s_hang (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    pthread_mutex_lock (&self->mutex);
    if (self->stopping) {
        pthread_mutex_unlock (&self->mutex);
        return MHD_NO;
    }
    request->hung = true;
    request->connection = connection;
    request->next = self->hung;
    self->hung = request;
    MHD_suspend_connection (connection);
    pthread_mutex_unlock (&self->mutex);
    return MHD_YES;
}

//  Appends text to buf (at *len, size bytes) with every byte as a \u00XX
//  escape: the JSON a venue might send that quotes it. False if it did not fit.
static bool
s_append_escaped (char *buf, size_t size, size_t *len, const char *text)
{
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (*len + 7 > size)
            return false;
        *len += (size_t) snprintf (buf + *len, size - *len, "\\u%04x", *c);
    }
    return true;
}

//  The echo-secret answer: a -1100 error quoting the key and secret, each
//  character escaped, so that only a JSON decoder shows them
static enum MHD_Result
s_reply_echo_secret (s_fakex_t *self, struct MHD_Connection *connection)
{
    char body [2048];
    size_t len = (size_t) snprintf (body, sizeof body, "{\"code\":-1100,\"msg\":\"Illegal "
                                    "characters found in a parameter of the request signed "
                                    "for API-key ");
    bool fits = s_append_escaped (body, sizeof body, &len, self->api_key);
    if (fits && len + 16 < sizeof body)
        len += (size_t) snprintf (body + len, sizeof body - len, " with secret ");
    fits = fits && s_append_escaped (body, sizeof body, &len, self->api_secret);
    if (!fits || len + 3 > sizeof body)
        return s_reply_json (connection, 500, s_error (-1000, "Key or secret too long."), NULL);
    len += (size_t) snprintf (body + len, sizeof body - len, ".\"}");
    enum MHD_Result rc = s_reply (connection, 400, s_json_type, body, len, NULL);
    sodium_memzero (body, sizeof body);
    return rc;
}

static enum MHD_Result
s_order_post (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    //  The request has been read whole: its receipt time
    int64_t received_us = s_host_us ();
    unsigned int status = 400;
    fakex_params_t *params = NULL;
    fakex_params_error_t params_error;
    json_t *answer = s_body_check (connection, request, &status);
    if (!answer) {
        params = fakex_params_new (s_query (request), request->body, &params_error);
        if (!params)
            answer = s_params_error (params_error, &status);
    }
    //  Counted before anything else is decided, whatever the outcome
    const char *client_id = params ? s_param (params, "newClientOrderId") : NULL;
    pthread_mutex_lock (&self->mutex);
    if (client_id) {
        s_count (&self->orders, client_id);
        s_receipt (self, client_id, received_us);
    }
    s_fault_t fault = self->fault;
    pthread_mutex_unlock (&self->mutex);
    const s_fault_spec_t *spec = &s_faults [fault];
    //  Ids go into logs only when they are plain
    char log_id [FAKEX_CLIENT_ID_MAX + 1];
    snprintf (log_id, sizeof log_id, "%s", s_client_id_ok (client_id) ? client_id : "-");

    if (!spec->places) {
        json_decref (answer);
        fakex_params_destroy (&params);
        ep_log_info ("POST order %s: fault %s, not placed -> %u %d",
                     log_id, spec->name, spec->status, spec->code);
        if (fault == S_FAULT_ECHO_SECRET)
            return s_reply_echo_secret (self, connection);
        return s_reply_json (connection, spec->status, s_error (spec->code, spec->msg),
                             s_fault_retry_after (self, fault));
    }
    int64_t now_ms = s_now_ms ();
    fakex_order_t wanted, order;
    fakex_fill_t fill;
    bool placed = false, filled = false;
    if (!answer)
        answer = s_check_signed (self, connection, params, s_order_post_params, now_ms, &status);
    if (!answer)
        answer = s_order_parse (params, &wanted);
    fakex_params_destroy (&params);
    if (!answer) {
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        answer = s_admit_order (self, &wanted, now_ms, &status);
        fakex_book_error_t rc = answer ? FAKEX_BOOK_OK
                              : fakex_book_place (self->book, &wanted, now_ms, &order, &fill,
                                                  &filled);
        if (!answer && rc == FAKEX_BOOK_OK)
            s_rate_count_order (self);
        pthread_mutex_unlock (&self->mutex);
        //  A refusal by the venue's rules placed nothing: rc is OK then
        if (rc == FAKEX_BOOK_DUPLICATE)
            answer = s_error (-2010, "Duplicate order sent.");
        else
        if (rc == FAKEX_BOOK_NOTIONAL)
            answer = s_error (-1013, "Filter failure: NOTIONAL");
        else
        if (rc == FAKEX_BOOK_NOMEM) {
            status = 500;
            answer = s_error (-1000, "An unknown error occurred while processing the request.");
        }
        placed = !answer && rc == FAKEX_BOOK_OK;
    }
    if (fault == S_FAULT_HANG) {
        json_decref (answer);
        ep_log_info ("POST order %s: fault hang, %s, never answered",
                     log_id, placed ? "placed" : "not placed");
        return s_hang (self, connection, request);
    }
    if (!placed) {
        ep_log_info ("POST order %s: rejected -> %u %d", log_id, status, s_error_code (answer));
        return s_reply_json (connection, status, answer, NULL);
    }
    ep_log_info ("POST order %s: order %" PRId64 " placed, fault %s", log_id, order.order_id,
                 spec->name);
    if (fault == S_FAULT_HTTP_500)
        return s_reply (connection, 500, "text/html", s_html_500, strlen (s_html_500), NULL);
    if (fault == S_FAULT_CODE_1007)
        return s_reply_json (connection, 408, s_error (-1007, s_msg_1007), NULL);
    if (fault == S_FAULT_DUPLICATE)
        return s_reply_json (connection, spec->status, s_error (spec->code, spec->msg), NULL);
    char wrong_id [FAKEX_CLIENT_ID_MAX + 1];
    snprintf (wrong_id, sizeof wrong_id, "fakexWrongId%" PRId64, order.order_id);
    answer = fakex_order_full_json (&order, filled ? &fill : NULL,
                                    fault == S_FAULT_WRONG_ID ? wrong_id : NULL);
    if (answer && (fault == S_FAULT_OVERFILL || fault == S_FAULT_WRONG_QTY)) {
        //  Figures a venue must not be trusted with: more executed than
        //  ordered, or an order of another quantity
        char text [EP_DECIMAL_BUFSIZE];
        const char *key = fault == S_FAULT_OVERFILL ? "executedQty" : "origQty";
        int64_t value = fault == S_FAULT_OVERFILL ? order.executed_e8 + order.qty_e8
                                                   : 2 * order.qty_e8;
        json_object_set_new (answer, key, json_string (ep_decimal_format (value, text)));
    }
    if (fault == S_FAULT_TRUNCATED && answer) {
        char *text = json_dumps (answer, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (answer);
        if (!text)
            return MHD_NO;
        enum MHD_Result rc = s_reply (connection, 200, s_json_type, text, strlen (text) / 2, NULL);
        free (text);
        return rc;
    }
    return s_reply_json (connection, 200, answer, NULL);
}

static enum MHD_Result
s_reply_canned (s_fakex_t *self, struct MHD_Connection *connection, s_fault_t fault,
                const char *what);
static enum MHD_Result
s_reply_acted (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request,
               s_fault_t fault, unsigned int status, json_t *answer, const char *what);

//  --absent-ms: whether the order was placed too recently to be seen yet
static bool
s_absent (s_fakex_t *self, const char *symbol, int64_t order_id, const char *client_id,
          bool open_only, int64_t now_ms)
{
    fakex_order_t seen;
    return self->absent_ms > 0
        && fakex_book_find (self->book, symbol, order_id, client_id, open_only, &seen)
        && now_ms - seen.time_ms < self->absent_ms;
}

//  GET /api/v3/order: the order's state (a resting one fills as the book
//  says, unless the mode holds it)
static enum MHD_Result
s_order_query (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status = 400;
    int64_t now_ms = s_now_ms ();
    //  --fault-queries: the modes that can strike a query do
    pthread_mutex_lock (&self->mutex);
    s_fault_t fault = self->fault;
    pthread_mutex_unlock (&self->mutex);
    if (!self->fault_queries
    ||  (fault != S_FAULT_HANG && fault != S_FAULT_HTTP_500 && fault != S_FAULT_HTTP_503
      && fault != S_FAULT_CODE_1007 && fault != S_FAULT_TRUNCATED))
        fault = S_FAULT_NONE;
    if (fault == S_FAULT_HTTP_503)
        return s_reply_canned (self, connection, fault, "GET order");
    fakex_params_t *params = NULL;
    fakex_params_error_t params_error;
    json_t *answer = s_body_check (connection, request, &status);
    if (!answer) {
        params = fakex_params_new (s_query (request), request->body, &params_error);
        if (!params)
            answer = s_params_error (params_error, &status);
    }
    if (!answer)
        answer = s_check_signed (self, connection, params, s_order_get_params, now_ms, &status);
    const char *symbol = NULL, *client_id = NULL;
    int64_t order_id = 0;
    if (!answer)
        answer = s_order_ref (params, &symbol, &order_id, &client_id);
    if (!answer) {
        fakex_order_t order;
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        fakex_book_hold (self->book, s_holds (self));
        bool found = !s_absent (self, symbol, order_id, client_id, false, now_ms)
                  && fakex_book_query (self->book, symbol, order_id, client_id, now_ms, &order);
        pthread_mutex_unlock (&self->mutex);
        if (found) {
            status = 200;
            answer = fakex_order_query_json (&order);
            ep_log_info ("GET order %s: order %" PRId64 " -> 200", order.client_id,
                         order.order_id);
        }
        else {
            answer = s_error (-2013, "Order does not exist.");
            ep_log_info ("GET order: not found -> 400");
        }
    }
    else
        ep_log_info ("GET order: rejected -> %u %d", status, s_error_code (answer));
    fakex_params_destroy (&params);
    if (fault != S_FAULT_NONE)
        return s_reply_acted (self, connection, request, fault, status, answer, "GET order");
    return s_reply_json (connection, status, answer, NULL);
}

//  ---------------------------------------------------------------------
//  Cancels, cancel-replaces and amends

static const char *const s_replace_params [] = {
    "symbol", "side", "type", "timeInForce", "quantity", "price", "newClientOrderId",
    "newOrderRespType", "cancelReplaceMode", "cancelOrigClientOrderId", "cancelOrderId",
    "cancelNewClientOrderId", "recvWindow", "timestamp", "signature", NULL
};
static const char *const s_amend_params [] = {
    "symbol", "orderId", "origClientOrderId", "newClientOrderId", "newQty", "recvWindow",
    "timestamp", "signature", NULL
};

//  Reads the parameters of a cancel, cancel-replace or amend and counts it
//  (target_key names the order it cancels, new_key the order it makes, if
//  any) before anything is decided. Returns the fault mode it meets; on a
//  malformed request *answer is the error.
static s_fault_t
s_change_begin (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request,
                const char *target_key, const char *new_key, fakex_params_t **params,
                json_t **answer, unsigned int *status)
{
    fakex_params_error_t params_error;
    *status = 400;
    *params = NULL;
    *answer = s_body_check (connection, request, status);
    if (!*answer) {
        *params = fakex_params_new (s_query (request), request->body, &params_error);
        if (!*params)
            *answer = s_params_error (params_error, status);
    }
    const char *target = *params ? s_param (*params, target_key) : NULL;
    const char *made = *params && new_key ? s_param (*params, new_key) : NULL;
    pthread_mutex_lock (&self->mutex);
    if (target)
        s_count (&self->cancels, target);
    if (made)
        s_count (&self->orders, made);
    s_fault_t fault = self->fault;
    pthread_mutex_unlock (&self->mutex);
    return fault;
}

//  The canned answer of a mode that does not act
static enum MHD_Result
s_reply_canned (s_fakex_t *self, struct MHD_Connection *connection, s_fault_t fault,
                const char *what)
{
    const s_fault_spec_t *spec = &s_faults [fault];
    ep_log_info ("%s: fault %s, not done -> %u %d", what, spec->name, spec->status, spec->code);
    if (fault == S_FAULT_ECHO_SECRET)
        return s_reply_echo_secret (self, connection);
    return s_reply_json (connection, spec->status, s_error (spec->code, spec->msg),
                         s_fault_retry_after (self, fault));
}

//  The answer to a request that acted (status 200), or any under hang, as
//  the fault mode has it: never answered, 500 with HTML, 408 -1007, the
//  first half of its JSON, or as is
static enum MHD_Result
s_reply_acted (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request,
               s_fault_t fault, unsigned int status, json_t *answer, const char *what)
{
    if (fault == S_FAULT_HANG) {
        json_decref (answer);
        ep_log_info ("%s: fault hang, never answered", what);
        return s_hang (self, connection, request);
    }
    if (status != 200 || !answer)
        return s_reply_json (connection, status, answer, NULL);
    ep_log_info ("%s: done, fault %s", what, s_faults [fault].name);
    if (fault == S_FAULT_HTTP_500) {
        json_decref (answer);
        return s_reply (connection, 500, "text/html", s_html_500, strlen (s_html_500), NULL);
    }
    if (fault == S_FAULT_CODE_1007) {
        json_decref (answer);
        return s_reply_json (connection, 408, s_error (-1007, s_msg_1007), NULL);
    }
    if (fault == S_FAULT_TRUNCATED) {
        char *text = json_dumps (answer, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (answer);
        if (!text)
            return MHD_NO;
        enum MHD_Result rc = s_reply (connection, 200, s_json_type, text, strlen (text) / 2, NULL);
        free (text);
        return rc;
    }
    return s_reply_json (connection, 200, answer, NULL);
}

//  DELETE /api/v3/order
static enum MHD_Result
s_order_cancel (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    json_t *answer;
    s_fault_t fault = s_change_begin (self, connection, request, "origClientOrderId", NULL,
                                      &params, &answer, &status);
    if (!s_faults [fault].places) {
        json_decref (answer);
        fakex_params_destroy (&params);
        return s_reply_canned (self, connection, fault, "DELETE order");
    }
    int64_t now_ms = s_now_ms ();
    const char *symbol = NULL, *client_id = NULL, *cancel_id = NULL;
    int64_t order_id = 0;
    if (!answer)
        answer = s_check_signed (self, connection, params, s_order_delete_params, now_ms,
                                 &status);
    if (!answer)
        answer = s_order_ref (params, &symbol, &order_id, &client_id);
    if (!answer) {
        cancel_id = s_param (params, "newClientOrderId");
        if (cancel_id && !s_client_id_ok (cancel_id))
            answer = s_illegal ("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$");
    }
    if (!answer) {
        fakex_order_t order;
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        //  The fill that wins the race lands just before the cancel
        if (fault == S_FAULT_FILL_WINS)
            fakex_book_fill_open (self->book, symbol, order_id, client_id, now_ms);
        //  A venue that lies or lags: it knows no such order, which stays
        //  open; so does one too recent to be seen (--absent-ms)
        bool found = fault != S_FAULT_CANCEL_UNKNOWN
                  && !s_absent (self, symbol, order_id, client_id, true, now_ms)
                  && fakex_book_cancel (self->book, symbol, order_id, client_id, now_ms, &order);
        char fresh_id [FAKEX_CLIENT_ID_MAX + 1];
        if (found) {
            snprintf (fresh_id, sizeof fresh_id, "fakexCancel%" PRId64, order.order_id);
            s_report (self, &order, NULL, "CANCELED", cancel_id ? cancel_id : fresh_id,
                      order.client_id);
        }
        pthread_mutex_unlock (&self->mutex);
        if (found) {
            status = 200;
            answer = fakex_order_cancel_json (&order, cancel_id ? cancel_id : fresh_id, now_ms);
        }
        else
            answer = s_error (-2011, "Unknown order sent.");
    }
    fakex_params_destroy (&params);
    return s_reply_acted (self, connection, request, fault, status, answer, "DELETE order");
}

//  The -2021/-2022 answer of a cancel-replace that did not do both parts
static json_t *
s_replace_failed (json_t *cancel_answer, bool canceled, json_t *place_answer)
{
    json_t *json = json_pack ("{s:i,s:s,s:{s:s,s:s,s:o,s:o}}",
        "code", -2021, "msg", "Order cancel-replace partially failed.",
        "data", "cancelResult", canceled ? "SUCCESS" : "FAILURE",
        "newOrderResult", place_answer ? "FAILURE" : "NOT_ATTEMPTED",
        "cancelResponse", cancel_answer ? cancel_answer : json_null (),
        "newOrderResponse", place_answer ? place_answer : json_null ());
    return json;
}

//  Cancels the target and places the new order (STOP_ON_FAILURE): the
//  answer, its status set
static json_t *
s_replace_do (s_fakex_t *self, fakex_params_t *params, s_fault_t fault, int64_t now_ms,
              unsigned int *status)
{
    fakex_order_t wanted, old, order;
    fakex_fill_t fill;
    bool filled = false;
    json_t *answer = s_order_parse (params, &wanted);
    if (answer)
        return answer;
    const char *mode = s_param (params, "cancelReplaceMode");
    if (!mode)
        return s_mandatory ("cancelReplaceMode");
    if (!streq (mode, "STOP_ON_FAILURE") && !streq (mode, "ALLOW_FAILURE"))
        return s_illegal ("cancelReplaceMode", "STOP_ON_FAILURE|ALLOW_FAILURE");
    const char *target = s_param (params, "cancelOrigClientOrderId");
    if (!target)
        return s_error (-1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be "
                               "sent, but both were empty/null!");
    pthread_mutex_lock (&self->mutex);
    s_advance (self, now_ms);
    if (fault == S_FAULT_FILL_WINS)
        fakex_book_fill_open (self->book, wanted.symbol, 0, target, now_ms);
    bool canceled = fault != S_FAULT_CANCEL_UNKNOWN
                 && !s_absent (self, wanted.symbol, 0, target, true, now_ms)
                 && fakex_book_cancel (self->book, wanted.symbol, 0, target, now_ms, &old);
    char cancel_id [FAKEX_CLIENT_ID_MAX + 1];
    if (canceled) {
        snprintf (cancel_id, sizeof cancel_id, "fakexCancel%" PRId64, old.order_id);
        s_report (self, &old, NULL, "CANCELED", cancel_id, old.client_id);
    }
    //  The new order meets the venue's rules as POST /api/v3/order does
    unsigned int refused_status = 400;
    json_t *refusal = canceled ? s_admit_order (self, &wanted, now_ms, &refused_status) : NULL;
    fakex_book_error_t rc = canceled && !refusal
                          ? fakex_book_place (self->book, &wanted, now_ms, &order, &fill, &filled)
                          : FAKEX_BOOK_OK;
    if (canceled && !refusal && rc == FAKEX_BOOK_OK)
        s_rate_count_order (self);
    pthread_mutex_unlock (&self->mutex);
    if (!canceled)
        return s_replace_failed (s_error (-2011, "Unknown order sent."), false, NULL);
    json_t *cancel_answer = fakex_order_cancel_json (&old, cancel_id, now_ms);
    if (refusal)
        return s_replace_failed (cancel_answer, true, refusal);
    if (rc != FAKEX_BOOK_OK)
        return s_replace_failed (cancel_answer, true,
                                 rc == FAKEX_BOOK_DUPLICATE
                                 ? s_error (-2010, "Duplicate order sent.")
                                 : s_error (-1013, "Filter failure: NOTIONAL"));
    *status = 200;
    return json_pack ("{s:s,s:s,s:o,s:o}", "cancelResult", "SUCCESS",
                      "newOrderResult", "SUCCESS", "cancelResponse", cancel_answer,
                      "newOrderResponse", fakex_order_full_json (&order, filled ? &fill : NULL,
                                                                 NULL));
}

//  POST /api/v3/order/cancelReplace
static enum MHD_Result
s_order_replace (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    json_t *answer;
    s_fault_t fault = s_change_begin (self, connection, request, "cancelOrigClientOrderId",
                                      "newClientOrderId", &params, &answer, &status);
    if (!s_faults [fault].places) {
        json_decref (answer);
        fakex_params_destroy (&params);
        return s_reply_canned (self, connection, fault, "POST cancelReplace");
    }
    int64_t now_ms = s_now_ms ();
    if (!answer)
        answer = s_check_signed (self, connection, params, s_replace_params, now_ms, &status);
    if (!answer)
        answer = s_replace_do (self, params, fault, now_ms, &status);
    fakex_params_destroy (&params);
    return s_reply_acted (self, connection, request, fault, status, answer,
                          "POST cancelReplace");
}

//  Lowers the order's quantity in place: the answer, its status set
static json_t *
s_amend_do (s_fakex_t *self, fakex_params_t *params, s_fault_t fault, int64_t now_ms,
            unsigned int *status)
{
    const char *symbol = NULL, *client_id = NULL;
    int64_t order_id = 0, new_qty = 0;
    json_t *answer = s_order_ref (params, &symbol, &order_id, &client_id);
    if (!answer)
        answer = s_decimal_param (params, "newQty", &new_qty);
    const char *new_id = s_param (params, "newClientOrderId");
    if (!answer && new_id && !s_client_id_ok (new_id))
        answer = s_illegal ("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$");
    if (answer)
        return answer;
    fakex_order_t order;
    pthread_mutex_lock (&self->mutex);
    if (fault == S_FAULT_FILL_WINS)
        fakex_book_fill_open (self->book, symbol, order_id, client_id, now_ms);
    fakex_book_amend_t rc = fault == S_FAULT_CANCEL_UNKNOWN
                          ? FAKEX_AMEND_UNKNOWN
                          : fakex_book_amend (self->book, symbol, order_id, client_id, new_id,
                                              new_qty, now_ms, &order);
    if (rc == FAKEX_AMEND_OK)
        s_report (self, &order, NULL, "REPLACED", NULL,
                  client_id ? client_id : new_id ? "" : order.client_id);
    pthread_mutex_unlock (&self->mutex);
    if (rc == FAKEX_AMEND_UNKNOWN)
        return s_error (-2011, "Unknown order sent.");
    if (rc == FAKEX_AMEND_INCREASE)
        return s_error (-2038, "Order amend (quantity increase) is not supported.");
    if (rc == FAKEX_AMEND_BELOW_EXECUTED)
        return s_error (-1013, "Invalid quantity.");
    *status = 200;
    return fakex_order_amended_json (&order, client_id ? client_id : "", now_ms,
                                     order.order_id);
}

//  PUT /api/v3/order/amend/keepPriority
static enum MHD_Result
s_order_amend (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    json_t *answer;
    s_fault_t fault = s_change_begin (self, connection, request, "origClientOrderId",
                                      "newClientOrderId", &params, &answer, &status);
    if (!s_faults [fault].places) {
        json_decref (answer);
        fakex_params_destroy (&params);
        return s_reply_canned (self, connection, fault, "PUT amend");
    }
    int64_t now_ms = s_now_ms ();
    if (!answer)
        answer = s_check_signed (self, connection, params, s_amend_params, now_ms, &status);
    if (!answer)
        answer = s_amend_do (self, params, fault, now_ms, &status);
    fakex_params_destroy (&params);
    return s_reply_acted (self, connection, request, fault, status, answer, "PUT amend");
}

//  ---------------------------------------------------------------------
//  Exchange information, the account, open orders, trades

static const char *const s_account_params [] = {
    "omitZeroBalances", "recvWindow", "timestamp", "signature", NULL
};
static const char *const s_open_orders_params [] = {
    "symbol", "recvWindow", "timestamp", "signature", NULL
};
static const char *const s_my_trades_params [] = {
    "symbol", "orderId", "startTime", "endTime", "fromId", "limit", "recvWindow", "timestamp",
    "signature", NULL
};

//  Reads and checks a signed request's parameters. NULL if they pass, else
//  the error to answer; *params is set either way (NULL if unread).
static json_t *
s_signed_begin (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request,
                const char *const *known, int64_t now_ms, fakex_params_t **params,
                unsigned int *status)
{
    fakex_params_error_t params_error;
    *status = 400;
    *params = NULL;
    json_t *answer = s_body_check (connection, request, status);
    if (!answer) {
        *params = fakex_params_new (s_query (request), request->body, &params_error);
        if (!*params)
            answer = s_params_error (params_error, status);
    }
    if (!answer)
        answer = s_check_signed (self, connection, *params, known, now_ms, status);
    return answer;
}

//  A symbol parameter: well-formed, and listed when there are rules
static json_t *
s_symbol_check (s_fakex_t *self, const char *symbol)
{
    if (!s_symbol_ok (symbol))
        return s_illegal ("symbol", "^[A-Z0-9-_.]{1,20}$");
    fakex_rules_t *rules = s_rules (self);
    if (rules && !fakex_rules_has (rules, symbol))
        return s_error (-1121, "Invalid symbol.");
    return NULL;
}

//  GET /api/v3/exchangeInfo: the document (--exchange-info; without it, one
//  that lists no symbol: no rule to enforce), with the server's time, and
//  only the symbol asked for if one is
static enum MHD_Result
s_exchange_info (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    fakex_params_error_t params_error;
    fakex_params_t *params = fakex_params_new (s_query (request), NULL, &params_error);
    unsigned int status = 400;
    if (!params)
        return s_reply_json (connection, status, s_params_error (params_error, &status), NULL);
    const char *symbol = s_param (params, "symbol");
    json_t *answer = symbol ? s_symbol_check (self, symbol) : NULL;
    if (!answer) {
        fakex_rules_t *rules = s_rules (self);
        answer = rules ? json_deep_copy (fakex_rules_json (rules))
                       : json_pack ("{s:s,s:[],s:[],s:[]}", "timezone", "UTC", "rateLimits",
                                    "exchangeFilters", "symbols");
        status = 200;
        if (answer)
            json_object_set_new (answer, "serverTime", json_integer (s_now_ms ()));
        if (answer && self->rate_on)
            //  The limits this venue enforces are the ones it publishes
            json_object_set_new (answer, "rateLimits", json_pack (
                "[{s:s,s:s,s:i,s:I},{s:s,s:s,s:i,s:I},{s:s,s:s,s:i,s:i}]",
                "rateLimitType", "REQUEST_WEIGHT", "interval", "MINUTE", "intervalNum", 1,
                "limit", (json_int_t) self->weight_limit,
                "rateLimitType", "ORDERS", "interval", "SECOND", "intervalNum", 10,
                "limit", (json_int_t) self->order_limit,
                "rateLimitType", "ORDERS", "interval", "DAY", "intervalNum", 1,
                "limit", 200000));
        json_t *symbols = json_object_get (answer, "symbols");
        for (size_t index = json_array_size (symbols); symbol && index-- > 0;) {
            const char *name = json_string_value (
                json_object_get (json_array_get (symbols, index), "symbol"));
            if (!name || !streq (name, symbol))
                json_array_remove (symbols, index);
        }
    }
    fakex_params_destroy (&params);
    return s_reply_json (connection, status, answer, NULL);
}

//  GET /api/v3/account: the balances (--balances), free and locked
static enum MHD_Result
s_account (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    int64_t now_ms = s_now_ms ();
    json_t *answer = s_signed_begin (self, connection, request, s_account_params, now_ms,
                                     &params, &status);
    const char *omit = params ? s_param (params, "omitZeroBalances") : NULL;
    if (!answer && omit && !streq (omit, "true") && !streq (omit, "false"))
        answer = s_illegal ("omitZeroBalances", "true|false");
    if (!answer) {
        json_t *balances = json_array ();
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        size_t size = self->account ? fakex_account_size (self->account) : 0;
        for (size_t index = 0; balances && index < size; index++) {
            const char *asset = fakex_account_asset (self->account, index);
            int64_t locked = s_locked (self, asset);
            int64_t free_e8 = fakex_account_total (self->account, asset) - locked;
            if (omit && streq (omit, "true") && free_e8 == 0 && locked == 0)
                continue;
            json_array_append_new (balances, json_pack ("{s:s,s:o,s:o}", "asset", asset,
                                                        "free", fakex_decimal8 (free_e8),
                                                        "locked", fakex_decimal8 (locked)));
        }
        pthread_mutex_unlock (&self->mutex);
        status = 200;
        answer = json_pack ("{s:i,s:i,s:i,s:i,s:{s:o,s:o,s:o,s:o},s:b,s:b,s:b,s:b,s:b,s:b,"
                            "s:I,s:s,s:o,s:[s],s:i}",
            "makerCommission", 10, "takerCommission", 10, "buyerCommission", 0,
            "sellerCommission", 0, "commissionRates",
            "maker", fakex_decimal8 (100000), "taker", fakex_decimal8 (100000),
            "buyer", fakex_decimal8 (0), "seller", fakex_decimal8 (0),
            "canTrade", 1, "canWithdraw", 1, "canDeposit", 1, "brokered", 0,
            "requireSelfTradePrevention", 0, "preventSor", 0,
            "updateTime", (json_int_t) now_ms, "accountType", "SPOT",
            "balances", balances ? balances : json_null (), "permissions", "SPOT", "uid", 1);
    }
    fakex_params_destroy (&params);
    return s_reply_json (connection, status, answer, NULL);
}

//  GET /api/v3/openOrders: what rests, on one symbol or all
static enum MHD_Result
s_open_orders (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    int64_t now_ms = s_now_ms ();
    json_t *answer = s_signed_begin (self, connection, request, s_open_orders_params, now_ms,
                                     &params, &status);
    const char *symbol = params ? s_param (params, "symbol") : NULL;
    if (!answer && symbol)
        answer = s_symbol_check (self, symbol);
    if (!answer) {
        answer = json_array ();
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        size_t size = fakex_book_size (self->book);
        for (size_t index = 0; answer && index < size; index++) {
            const fakex_order_t *order = fakex_book_at (self->book, index);
            if (fakex_order_is_open (order) && (!symbol || streq (symbol, order->symbol)))
                json_array_append_new (answer, fakex_order_query_json (order));
        }
        pthread_mutex_unlock (&self->mutex);
        status = 200;
    }
    fakex_params_destroy (&params);
    return s_reply_json (connection, status, answer, NULL);
}

//  GET /api/v3/myTrades: the symbol's fills, or one order's
static enum MHD_Result
s_my_trades (s_fakex_t *self, struct MHD_Connection *connection, s_request_t *request)
{
    unsigned int status;
    fakex_params_t *params;
    int64_t now_ms = s_now_ms ();
    json_t *answer = s_signed_begin (self, connection, request, s_my_trades_params, now_ms,
                                     &params, &status);
    const char *symbol = params ? s_param (params, "symbol") : NULL;
    const char *id_text = params ? s_param (params, "orderId") : NULL;
    const char *from_text = params ? s_param (params, "fromId") : NULL;
    const char *limit_text = params ? s_param (params, "limit") : NULL;
    int64_t order_id = 0, from_id = 0, limit = 500;
    if (!answer && !symbol)
        answer = s_mandatory ("symbol");
    if (!answer)
        answer = s_symbol_check (self, symbol);
    if (!answer && id_text && !s_parse_count (id_text, &order_id))
        answer = s_illegal ("orderId", "^[0-9]{1,18}$");
    if (!answer && from_text && !s_parse_count (from_text, &from_id))
        answer = s_illegal ("fromId", "^[0-9]{1,18}$");
    if (!answer && limit_text && (!s_parse_count (limit_text, &limit) || limit < 1
                                  || limit > 1000))
        answer = s_error (-1100, "Illegal characters found in parameter 'limit'; "
                                 "legal range is '1-1000'.");
    if (!answer) {
        answer = json_array ();
        pthread_mutex_lock (&self->mutex);
        s_advance (self, now_ms);
        size_t size = fakex_book_trades (self->book), listed = 0;
        for (size_t index = 0; answer && index < size && (int64_t) listed < limit; index++) {
            const fakex_trade_t *trade = fakex_book_trade_at (self->book, index);
            if (streq (trade->symbol, symbol) && (!id_text || trade->order_id == order_id)
            &&  trade->trade_id >= from_id) {
                json_array_append_new (answer, fakex_trade_json (trade));
                listed++;
            }
        }
        pthread_mutex_unlock (&self->mutex);
        status = 200;
    }
    fakex_params_destroy (&params);
    return s_reply_json (connection, status, answer, NULL);
}

//  ---------------------------------------------------------------------
//  The test endpoints

static json_t *
s_counts_json (const s_counter_t *self)
{
    json_t *json = json_object ();
    for (size_t index = 0; json && index < self->size; index++)
        //  A key that is not UTF-8 cannot be a JSON key: it is left out
        json_object_set_new (json, self->counts [index].client_id,
                             json_integer (self->counts [index].requests));
    return json;
}

//  Switches the fault mode and waits until the main port matches it.
//  Returns 0, or the errno of a failed reopen.
static int
s_fault_switch (s_fakex_t *self, s_fault_t fault)
{
    pthread_mutex_lock (&self->mutex);
    self->fault = fault;
    uint64_t ticket = ++self->switches;
    char byte = 1;
    if (write (self->wake [1], &byte, 1) < 0) {
        //  A full pipe already holds a wake-up
    }
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += S_SWITCH_TIMEOUT_S;
    int rc = 0;
    while (self->applied_switches < ticket && !self->stopping && rc == 0)
        rc = pthread_cond_timedwait (&self->applied, &self->mutex, &deadline);
    int error = self->applied_switches >= ticket ? self->reopen_errno
              : rc == ETIMEDOUT ? ETIMEDOUT : 0;
    pthread_mutex_unlock (&self->mutex);
    return error;
}

//  POST /fakex/trade?origClientOrderId=ID&quantity=Q: one trade of Q on
//  the open order ID at its limit price, as if the market crossed it
static enum MHD_Result
s_fakex_trade (s_fakex_t *self, struct MHD_Connection *connection, const char *method,
               s_request_t *request)
{
    if (!streq (method, "POST"))
        return s_reply_fakex_error (connection, 405,
                                    "use POST /fakex/trade?origClientOrderId=ID&quantity=Q");
    fakex_params_error_t params_error;
    fakex_params_t *params = fakex_params_new (s_query (request), request->body, &params_error);
    const char *client_id = params ? s_param (params, "origClientOrderId") : NULL;
    const char *qty_text = params ? s_param (params, "quantity") : NULL;
    int64_t qty_e8 = 0;
    bool qty_ok = qty_text && ep_decimal_parse (qty_text, false, &qty_e8) == EP_DECIMAL_OK
               && qty_e8 > 0;
    fakex_book_trade_t rc = FAKEX_TRADE_QTY;
    fakex_trade_t trade;
    if (client_id && qty_ok) {
        pthread_mutex_lock (&self->mutex);
        rc = fakex_book_trade (self->book, client_id, qty_e8, s_now_ms (), &trade);
        pthread_mutex_unlock (&self->mutex);
    }
    fakex_params_destroy (&params);
    if (!client_id)
        return s_reply_fakex_error (connection, 400, "origClientOrderId is missing");
    if (rc == FAKEX_TRADE_UNKNOWN)
        return s_reply_fakex_error (connection, 404, "no open order with that origClientOrderId");
    if (rc != FAKEX_TRADE_OK)
        return s_reply_fakex_error (connection, 400, "quantity must be above 0, at most 8 "
                                    "decimals, and at most what the order has left");
    ep_log_info ("test trade %" PRId64 " on order %" PRId64, trade.trade_id, trade.order_id);
    return s_reply_json (connection, 200, json_pack ("{s:I,s:I,s:s,s:o,s:o,s:o,s:s}",
        "id", (json_int_t) trade.trade_id, "orderId", (json_int_t) trade.order_id,
        "symbol", trade.symbol, "price", fakex_decimal8 (trade.price_e8),
        "qty", fakex_decimal8 (trade.qty_e8), "commission", fakex_decimal8 (trade.commission_e8),
        "commissionAsset", trade.commission_asset), NULL);
}

//  GET or POST /fakex/ws?mode=MODE, GET /fakex/ws/events
static enum MHD_Result
s_fakex_ws (s_fakex_t *self, struct MHD_Connection *connection, const char *url,
            const char *method, s_request_t *request)
{
    if (!self->ws)
        return s_reply_fakex_error (connection, 404, "no WebSocket API: start with --ws-port");
    if (streq (url, "/fakex/ws/events")) {
        if (!streq (method, "GET"))
            return s_reply_fakex_error (connection, 405, "use GET");
        return s_reply_json (connection, 200, fakex_ws_events_json (self->ws), NULL);
    }
    if (streq (method, "POST")) {
        fakex_params_error_t params_error;
        fakex_params_t *params = fakex_params_new (s_query (request), request->body,
                                                   &params_error);
        const char *mode = params ? fakex_params_get (params, "mode") : NULL;
        bool known = mode && fakex_ws_set_mode (self->ws, mode);
        fakex_params_destroy (&params);
        if (!known)
            return s_reply_fakex_error (connection, 400, "mode is normal, drop, down, stall or late");
    }
    else
    if (!streq (method, "GET"))
        return s_reply_fakex_error (connection, 405, "use GET, or POST /fakex/ws?mode=MODE");
    return s_reply_json (connection, 200, fakex_ws_status_json (self->ws), NULL);
}

//  POST /fakex/rules: --exchange-info's FILE read again, its rules in force
//  from the next request on (the rules before stay if it does not read)
static enum MHD_Result
s_fakex_rules (s_fakex_t *self, struct MHD_Connection *connection, const char *method)
{
    if (!streq (method, "POST"))
        return s_reply_fakex_error (connection, 405, "use POST");
    if (!self->rules_path)
        return s_reply_fakex_error (connection, 400, "no rules to read again: no --exchange-info");
    char error [256];
    fakex_rules_t *rules = fakex_rules_load (self->rules_path, error, sizeof error);
    if (!rules) {
        char text [400];
        snprintf (text, sizeof text, "%s not read again: %s; the rules before stay",
                  self->rules_path, error);
        ep_log_error ("%s", text);
        return s_reply_fakex_error (connection, 400, text);
    }
    size_t symbols = json_array_size (json_object_get (fakex_rules_json (rules), "symbols"));
    pthread_mutex_lock (&self->mutex);
    fakex_rules_t **retired = realloc (self->retired,
                                       (self->retired_size + 1) * sizeof *retired);
    if (retired) {
        self->retired = retired;
        self->retired [self->retired_size++] = s_rules (self);
        __atomic_store_n (&self->rules, rules, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock (&self->mutex);
    if (!retired) {
        fakex_rules_destroy (&rules);
        return s_reply_fakex_error (connection, 500, "out of memory");
    }
    ep_log_info ("rules read again from %s: %zu symbol(s)", self->rules_path, symbols);
    return s_reply_json (connection, 200, json_pack ("{s:I}", "symbols", (json_int_t) symbols),
                         NULL);
}

static enum MHD_Result
s_fakex_endpoint (s_fakex_t *self, struct MHD_Connection *connection, const char *url,
                  const char *method, s_request_t *request)
{
    if (streq (url, "/fakex/counts")) {
        if (!streq (method, "GET"))
            return s_reply_fakex_error (connection, 405, "use GET");
        fakex_params_error_t params_error;
        fakex_params_t *params = fakex_params_new (s_query (request), NULL, &params_error);
        const char *kind = params ? fakex_params_get (params, "kind") : NULL;
        bool cancels = kind && streq (kind, "cancel");
        bool known = !kind || cancels || streq (kind, "order");
        fakex_params_destroy (&params);
        if (!known)
            return s_reply_fakex_error (connection, 400, "kind is order or cancel");
        pthread_mutex_lock (&self->mutex);
        json_t *counts = s_counts_json (cancels ? &self->cancels : &self->orders);
        pthread_mutex_unlock (&self->mutex);
        return s_reply_json (connection, 200, counts, NULL);
    }
    if (streq (url, "/fakex/fault")) {
        if (streq (method, "GET")) {
            pthread_mutex_lock (&self->mutex);
            const char *name = s_faults [self->fault].name;
            pthread_mutex_unlock (&self->mutex);
            return s_reply_json (connection, 200, json_pack ("{s:s}", "mode", name), NULL);
        }
        if (!streq (method, "POST"))
            return s_reply_fakex_error (connection, 405, "use POST /fakex/fault?mode=MODE");
        fakex_params_error_t params_error;
        fakex_params_t *params = fakex_params_new (s_query (request), request->body,
                                                   &params_error);
        int fault = params ? s_fault_parse (fakex_params_get (params, "mode")) : -1;
        fakex_params_destroy (&params);
        if (fault < 0)
            return s_reply_fakex_error (connection, 400,
                                        "unknown or missing fault mode (see --help)");
        int error = s_fault_switch (self, (s_fault_t) fault);
        ep_log_info ("fault mode is now %s", s_faults [fault].name);
        if (error) {
            char text [160];
            snprintf (text, sizeof text, "mode set, but the main port did not reopen: %s",
                      strerror (error));
            ep_log_error ("%s", text);
            return s_reply_fakex_error (connection, 500, text);
        }
        return s_reply_json (connection, 200, json_pack ("{s:s}", "mode", s_faults [fault].name),
                             NULL);
    }
    if (streq (url, "/fakex/requests")) {
        if (!streq (method, "GET"))
            return s_reply_fakex_error (connection, 405, "use GET");
        pthread_mutex_lock (&self->mutex);
        json_t *list = json_array ();
        for (size_t index = 0; list && index < self->arrivals_size; index++)
            json_array_append_new (list, json_pack ("[I,s]",
                                                    (json_int_t) self->arrivals [index].ms,
                                                    self->arrivals [index].what));
        pthread_mutex_unlock (&self->mutex);
        return s_reply_json (connection, 200, json_pack ("{s:o}", "requests", list), NULL);
    }
    if (streq (url, "/fakex/receipts")) {
        if (!streq (method, "GET"))
            return s_reply_fakex_error (connection, 405, "use GET");
        pthread_mutex_lock (&self->mutex);
        json_t *list = json_array ();
        for (size_t index = 0; list && index < self->receipts_size; index++)
            json_array_append_new (list, json_pack ("{s:s,s:I}",
                                                    "client_order_id",
                                                    self->receipts [index].client_id,
                                                    "received_us",
                                                    (json_int_t) self->receipts [index].us));
        pthread_mutex_unlock (&self->mutex);
        return s_reply_json (connection, 200, list, NULL);
    }
    if (streq (url, "/fakex/rate")) {
        if (!streq (method, "GET"))
            return s_reply_fakex_error (connection, 405, "use GET");
        pthread_mutex_lock (&self->mutex);
        int64_t now = s_mono_ms ();
        bool banned = self->banned_until_ms > now;
        bool window_current = (now - self->start_mono_ms) / S_WEIGHT_WINDOW_MS
                           == self->weight_window;
        json_t *answer = json_pack ("{s:b,s:I,s:I,s:I,s:I,s:I}",
            "rate_limits", self->rate_on,
            "used_weight", (json_int_t) (window_current && !(self->banned_until_ms && !banned)
                                         ? self->used_weight : 0),
            "weight_limit", (json_int_t) self->weight_limit,
            "banned_until_ms", (json_int_t) (banned ? s_now_ms () + self->banned_until_ms - now
                                                    : 0),
            "retry_until_ms", (json_int_t) (self->retry_until_ms > now
                                            ? s_now_ms () + self->retry_until_ms - now : 0),
            "orders_10s", (json_int_t) self->orders_10s);
        pthread_mutex_unlock (&self->mutex);
        return s_reply_json (connection, 200, answer, NULL);
    }
    if (streq (url, "/fakex/rules"))
        return s_fakex_rules (self, connection, method);
    if (streq (url, "/fakex/trade"))
        return s_fakex_trade (self, connection, method, request);
    if (streq (url, "/fakex/ws") || streq (url, "/fakex/ws/events"))
        return s_fakex_ws (self, connection, url, method, request);
    return s_reply_fakex_error (connection, 404, "no such fakex endpoint");
}

//  ---------------------------------------------------------------------
//  libmicrohttpd callbacks

//  Called once per request with the URI as sent: the only place the raw
//  query string (which the signature covers) is available
static void *
s_request_new (void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void) cls;
    (void) connection;
    s_request_t *request = calloc (1, sizeof *request);
    if (request) {
        request->uri = strdup (uri);
        request->body = calloc (1, 1);
        if (!request->uri || !request->body) {
            free (request->uri);
            free (request->body);
            free (request);
            request = NULL;
        }
    }
    return request;
}

static void
s_request_done (void *cls, struct MHD_Connection *connection, void **req_cls,
                enum MHD_RequestTerminationCode toe)
{
    s_fakex_t *self = cls;
    s_request_t *request = *req_cls;
    (void) connection;
    (void) toe;
    if (!request)
        return;
    if (request->hung) {
        pthread_mutex_lock (&self->mutex);
        for (s_request_t **link = &self->hung; *link; link = &(*link)->next)
            if (*link == request) {
                *link = request->next;
                break;
            }
        pthread_mutex_unlock (&self->mutex);
    }
    free (request->uri);
    free (request->body);
    free (request);
    *req_cls = NULL;
}

static void
s_request_append (s_request_t *request, const char *data, size_t size)
{
    if (request->too_large || request->body_size + size > S_BODY_MAX) {
        request->too_large = true;
        return;
    }
    char *body = realloc (request->body, request->body_size + size + 1);
    if (!body) {
        request->too_large = true;
        return;
    }
    memcpy (body + request->body_size, data, size);
    request->body_size += size;
    body [request->body_size] = '\0';
    request->body = body;
}

//  --rate-limits: a request's weight, as Binance counts it
static int64_t
s_weight (const char *url, const char *method, s_request_t *request)
{
    if (streq (url, "/api/v3/order"))
        return streq (method, "GET") ? 4 : 1;
    if (streq (url, "/api/v3/order/amend/keepPriority"))
        return 4;
    if (streq (url, "/api/v3/exchangeInfo") || streq (url, "/api/v3/account"))
        return 20;
    bool open_orders = streq (url, "/api/v3/openOrders");
    if (open_orders || streq (url, "/api/v3/myTrades")) {
        fakex_params_error_t params_error;
        fakex_params_t *params = fakex_params_new (s_query (request), request->body,
                                                   &params_error);
        bool narrow = params && s_param (params, open_orders ? "symbol" : "orderId");
        fakex_params_destroy (&params);
        return open_orders ? (narrow ? 6 : 80) : (narrow ? 5 : 20);
    }
    return 1;
}

//  Notes a request's arrival for GET /fakex/requests
static void
s_arrived (s_fakex_t *self, const char *method, const char *url)
{
    pthread_mutex_lock (&self->mutex);
    if (self->arrivals_size == self->arrivals_max) {
        size_t max = self->arrivals_max ? self->arrivals_max * 2 : 1024;
        s_arrival_t *arrivals = realloc (self->arrivals, max * sizeof *arrivals);
        if (!arrivals) {
            pthread_mutex_unlock (&self->mutex);
            ep_log_error ("out of memory: a request's arrival is not noted");
            return;
        }
        self->arrivals = arrivals;
        self->arrivals_max = max;
    }
    s_arrival_t *arrival = &self->arrivals [self->arrivals_size++];
    arrival->ms = s_now_ms ();
    snprintf (arrival->what, sizeof arrival->what, "%s %s", method, url);
    pthread_mutex_unlock (&self->mutex);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    s_listener_t *listener = cls;
    s_fakex_t *self = listener->fakex;
    s_request_t *request = *req_cls;
    (void) version;
    if (!request)
        return MHD_NO;          //  out of memory when it began
    bool is_order = streq (url, "/api/v3/order");
    if (!request->started) {
        //  Headers read, body not yet: where close-early strikes
        request->started = true;
        if (!listener->control && is_order && streq (method, "POST")) {
            pthread_mutex_lock (&self->mutex);
            bool close_early = self->fault == S_FAULT_CLOSE_EARLY;
            pthread_mutex_unlock (&self->mutex);
            if (close_early) {
                ep_log_info ("POST order: fault close-early, connection closed unread");
                return MHD_NO;
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        s_request_append (request, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (request->hung)
        return MHD_NO;          //  resumed at shutdown, only to be closed

    memset (&s_headers, 0, sizeof s_headers);
    if (strncmp (url, "/fakex/", 7) == 0)
        return s_fakex_endpoint (self, connection, url, method, request);
    if (listener->control)
        return s_reply_fakex_error (connection, 404, "the control port serves /fakex/* only");
    s_arrived (self, method, url);
    if (self->rate_on) {
        unsigned int status = 400;
        pthread_mutex_lock (&self->mutex);
        json_t *refusal = s_rate_admit (self, s_weight (url, method, request), &status);
        pthread_mutex_unlock (&self->mutex);
        if (refusal) {
            ep_log_info ("%s %s: rate limits -> %u", method, url, status);
            return s_reply_json (connection, status, refusal, NULL);
        }
    }
    if (is_order) {
        if (streq (method, "POST"))
            return s_order_post (self, connection, request);
        if (streq (method, "GET"))
            return s_order_query (self, connection, request);
        if (streq (method, "DELETE"))
            return s_order_cancel (self, connection, request);
        return s_reply_json (connection, 405, s_error (-1000, "Method not allowed."), NULL);
    }
    if (streq (url, "/api/v3/order/cancelReplace") && streq (method, "POST"))
        return s_order_replace (self, connection, request);
    if (streq (url, "/api/v3/order/amend/keepPriority") && streq (method, "PUT"))
        return s_order_amend (self, connection, request);
    if (streq (url, "/api/v3/ping") && streq (method, "GET"))
        return s_reply_json (connection, 200, json_object (), NULL);
    if (streq (url, "/api/v3/time") && streq (method, "GET"))
        return s_reply_json (connection, 200,
                             json_pack ("{s:I}", "serverTime", (json_int_t) s_now_ms ()), NULL);
    if (streq (url, "/api/v3/exchangeInfo") && streq (method, "GET"))
        return s_exchange_info (self, connection, request);
    if (streq (url, "/api/v3/account") && streq (method, "GET"))
        return s_account (self, connection, request);
    if (streq (url, "/api/v3/openOrders") && streq (method, "GET"))
        return s_open_orders (self, connection, request);
    if (streq (url, "/api/v3/myTrades") && streq (method, "GET"))
        return s_my_trades (self, connection, request);
    return s_reply_json (connection, 404, s_error (-1000, "Unknown path."), NULL);
}

//  libmicrohttpd's own messages go through ep_log; nothing after a
//  "signature=" survives, in case a message ever quotes a request
static void __attribute__ ((format (printf, 2, 0)))
s_mhd_log (void *cls, const char *format, va_list args)
{
    (void) cls;
    char line [512];
    vsnprintf (line, sizeof line, format, args);
    char *signature = strstr (line, "signature=");
    if (signature)
        signature [strlen ("signature=")] = '\0';
    size_t len = strlen (line);
    while (len > 0 && line [len - 1] == '\n')
        line [--len] = '\0';
    ep_log_warn ("microhttpd: %s", line);
}

//  ---------------------------------------------------------------------
//  Sockets and the main thread

//  A listening socket on 127.0.0.1:port (0: any free port); sets *bound
//  to the port it got. Returns -1 with errno set on failure.
static int
s_listen (uint16_t port, uint16_t *bound)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    //  SO_REUSEADDR lets refuse reopen the port over TIME_WAIT connections
    if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
    ||  bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0
    ||  listen (fd, 128) < 0
    ||  getsockname (fd, (struct sockaddr *) &addr, &len) < 0) {
        int error = errno;
        close (fd);
        errno = error;
        return -1;
    }
    if (bound)
        *bound = ntohs (addr.sin_port);
    return fd;
}

static struct MHD_Daemon *
s_daemon_start (s_listener_t *listener, int listen_fd)
{
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME
                       | MHD_USE_ERROR_LOG;
    if (listen_fd < 0)
        return MHD_start_daemon (flags | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
                                 s_handle, listener,
                                 MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                                 MHD_OPTION_URI_LOG_CALLBACK, s_request_new, NULL,
                                 MHD_OPTION_NOTIFY_COMPLETED, s_request_done, listener->fakex,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) S_IDLE_TIMEOUT_S,
                                 MHD_OPTION_END);
    return MHD_start_daemon (flags, 0, NULL, NULL, s_handle, listener,
                             MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                             MHD_OPTION_URI_LOG_CALLBACK, s_request_new, NULL,
                             MHD_OPTION_NOTIFY_COMPLETED, s_request_done, listener->fakex,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) S_IDLE_TIMEOUT_S,
                             MHD_OPTION_LISTEN_SOCKET, (MHD_socket) listen_fd,
                             MHD_OPTION_END);
}

//  Opens or closes the main port to match the fault mode, then releases
//  the handlers waiting for that
static void
s_apply_fault (s_fakex_t *self, int *listen_fd, uint16_t port)
{
    pthread_mutex_lock (&self->mutex);
    uint64_t ticket = self->switches;
    bool refuse = self->fault == S_FAULT_REFUSE;
    pthread_mutex_unlock (&self->mutex);
    int error = 0;
    if (refuse && *listen_fd >= 0) {
        close (*listen_fd);
        *listen_fd = -1;
        ep_log_info ("refuse: main port %u closed", port);
    }
    else
    if (!refuse && *listen_fd < 0) {
        *listen_fd = s_listen (port, NULL);
        if (*listen_fd < 0) {
            error = errno;
            ep_log_error ("could not reopen main port %u: %s", port, strerror (error));
        }
        else
            ep_log_info ("main port %u reopened", port);
    }
    pthread_mutex_lock (&self->mutex);
    self->applied_switches = ticket;
    self->reopen_errno = error;
    pthread_cond_broadcast (&self->applied);
    pthread_mutex_unlock (&self->mutex);
}

static void
s_accept (int listen_fd, struct MHD_Daemon *daemon)
{
    for (;;) {
        struct sockaddr_in addr;
        socklen_t len = sizeof addr;
        int fd = accept4 (listen_fd, (struct sockaddr *) &addr, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                ep_log_warn ("accept failed: %s", strerror (errno));
            return;
        }
        //  MHD closes the socket itself when it cannot take it
        if (MHD_add_connection (daemon, fd, (struct sockaddr *) &addr, len) != MHD_YES)
            ep_log_warn ("a connection could not be handed to libmicrohttpd");
    }
}

//  Serves until SIGINT or SIGTERM
static void
s_run (s_fakex_t *self, int signal_fd, int *listen_fd, uint16_t port, struct MHD_Daemon *daemon)
{
    for (;;) {
        struct pollfd items [3] = {
            { .fd = signal_fd, .events = POLLIN },
            { .fd = self->wake [0], .events = POLLIN },
            { .fd = *listen_fd, .events = POLLIN }
        };
        nfds_t count = *listen_fd >= 0 ? 3 : 2;
        //  --price-path: wake at each step to fill what the price crossed,
        //  and each second after its end (a hold may have been lifted)
        int timeout = -1;
        if (self->path) {
            int64_t now = s_now_ms ();
            int64_t into = now - self->path_start_ms;
            int64_t wait = now >= self->path_end_ms || into < 0 ? 1000
                         : self->path_step_ms - into % self->path_step_ms + 1;
            timeout = (int) (wait < 1000 ? wait : 1000);
        }
        int ready = poll (items, count, timeout);
        if (self->path) {
            pthread_mutex_lock (&self->mutex);
            s_advance (self, s_now_ms ());
            pthread_mutex_unlock (&self->mutex);
        }
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            ep_log_error ("poll failed: %s", strerror (errno));
            return;
        }
        if (items [0].revents) {
            struct signalfd_siginfo info;
            if (read (signal_fd, &info, sizeof info) == sizeof info)
                ep_log_info ("signal %u: stopping", info.ssi_signo);
            return;
        }
        if (items [1].revents) {
            char drain [64];
            while (read (self->wake [0], drain, sizeof drain) > 0)
                ;
            s_apply_fault (self, listen_fd, port);
        }
        //  Only if the socket polled is still the one open
        if (count == 3 && *listen_fd == items [2].fd && items [2].revents)
            s_accept (*listen_fd, daemon);
    }
}

//  An optionally signed count, for --clock-offset-ms
static bool
s_parse_signed (const char *text, int64_t *value)
{
    bool negative = *text == '-';
    if (!s_parse_count (text + (negative || *text == '+'), value))
        return false;
    if (negative)
        *value = -*value;
    return true;
}

//  A decimal above 0 with at most 8 decimals, of an option; prints why not
static bool
s_parse_price (const char *option, const char *text, int64_t *value)
{
    ep_decimal_error_t error = ep_decimal_parse (text, false, value);
    if (error == EP_DECIMAL_OK && *value > 0)
        return true;
    fprintf (stderr, "ep-fakex: %s takes a decimal above 0 with at most 8 decimals%s%s\n",
             option, error != EP_DECIMAL_OK ? ": " : "",
             error != EP_DECIMAL_OK ? ep_decimal_strerror (error) : "");
    return false;
}

#define S_SYMBOL_PRICES_MAX 32      //  --symbol-price may be given this often
#define S_PATH_MAX          1024    //  --price-path may list this many prices

static bool
s_parse_port (const char *text, uint16_t *port)
{
    int64_t value;
    if (strlen (text) > 5 || !s_parse_count (text, &value) || value > 65535)
        return false;
    *port = (uint16_t) value;
    return true;
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "port", required_argument, 0, 'p' },
        { "price", required_argument, 0, 'P' },
        { "fault", required_argument, 0, 'f' },
        { "api-key", required_argument, 0, 'k' },
        { "api-secret", required_argument, 0, 's' },
        { "control-port", required_argument, 0, 'C' },
        { "sign", required_argument, 0, 'S' },
        { "hold", no_argument, 0, 'H' },
        { "config", required_argument, 0, 'c' },
        { "help", no_argument, 0, 'h' },
        { "exchange-info", required_argument, 0, 'X' },
        { "symbol-price", required_argument, 0, 'y' },
        { "balances", required_argument, 0, 'B' },
        { "fee-asset", required_argument, 0, 'F' },
        { "strict-clock", no_argument, 0, 'T' },
        { "clock-offset-ms", required_argument, 0, 'O' },
        { "rate-limits", no_argument, 0, 'R' },
        { "weight-limit", required_argument, 0, 'W' },
        { "order-limit-10s", required_argument, 0, 'L' },
        { "ban-ms", required_argument, 0, 'N' },
        { "ban-retry-after", required_argument, 0, 'b' },
        { "fault-queries", no_argument, 0, 'Q' },
        { "market-liquidity", required_argument, 0, 'M' },
        { "price-path", required_argument, 0, 'A' },
        { "path-step-ms", required_argument, 0, 'E' },
        { "absent-ms", required_argument, 0, 'Z' },
        { "ed25519-public-key", required_argument, 0, 'K' },
        { "ws-port", required_argument, 0, 'w' },
        { 0, 0, 0, 0 }
    };
    const char *info_path = NULL, *balances_text = NULL, *path_text = NULL;
    const char *symbol_prices [S_SYMBOL_PRICES_MAX];
    size_t symbol_price_count = 0;
    s_fee_t fee = S_FEE_USDT;
    bool strict_clock = false, rate_on = false, fault_queries = false;
    int64_t weight_limit = 6000, order_limit = 100, ban_ms = 120000, liquidity_e8 = 0;
    int64_t path_step_ms = 0, absent_ms = 0, ban_retry_after = 0;
    bool have_step = false;
    const char *price_text = NULL, *fault_text = "none", *sign_text = NULL;
    const char *api_key = S_DEFAULT_KEY, *api_secret = S_DEFAULT_SECRET;
    uint16_t port = 0, control_port = 0, ws_port = 0;
    bool have_port = false, have_control = false, hold = false, have_ws = false;
    const char *ed25519_path = NULL;
    //  getopt stays quiet: a usage error is one line, ours
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'p':
            case 'C':
                if (!s_parse_port (optarg, opt == 'p' ? &port : &control_port)) {
                    fprintf (stderr, "ep-fakex: --%s takes a port number from 0 to 65535\n",
                             opt == 'p' ? "port" : "control-port");
                    return 2;
                }
                *(opt == 'p' ? &have_port : &have_control) = true;
                break;
            case 'P': price_text = optarg; break;
            case 'f': fault_text = optarg; break;
            case 'k': api_key = optarg; break;
            case 's': api_secret = optarg; break;
            case 'S': sign_text = optarg; break;
            case 'H': hold = true; break;
            case 'c': break;
            case 'h': s_usage (stdout); return 0;
            case 'X': info_path = optarg; break;
            case 'y':
                if (symbol_price_count == S_SYMBOL_PRICES_MAX) {
                    fprintf (stderr, "ep-fakex: --symbol-price at most %d times\n",
                             S_SYMBOL_PRICES_MAX);
                    return 2;
                }
                symbol_prices [symbol_price_count++] = optarg;
                break;
            case 'B': balances_text = optarg; break;
            case 'F':
                if (streq (optarg, "BNB"))
                    fee = S_FEE_BNB;
                else
                if (streq (optarg, "BASE"))
                    fee = S_FEE_BASE;
                else
                if (streq (optarg, "QUOTE"))
                    fee = S_FEE_QUOTE;
                else {
                    fprintf (stderr, "ep-fakex: --fee-asset is BNB, BASE or QUOTE\n");
                    return 2;
                }
                break;
            case 'T': strict_clock = true; break;
            case 'O':
                if (!s_parse_signed (optarg, &s_clock_offset_ms)) {
                    fprintf (stderr, "ep-fakex: --clock-offset-ms takes a whole number of ms\n");
                    return 2;
                }
                break;
            case 'R': rate_on = true; break;
            case 'b':
                if (!s_parse_count (optarg, &ban_retry_after) || ban_retry_after == 0) {
                    fprintf (stderr, "ep-fakex: --ban-retry-after takes a whole number above 0\n");
                    return 2;
                }
                break;
            case 'W':
            case 'L':
            case 'N':
            case 'E':
            case 'Z': {
                int64_t value;
                const char *name = opt == 'W' ? "weight-limit" : opt == 'L' ? "order-limit-10s"
                                 : opt == 'N' ? "ban-ms" : opt == 'E' ? "path-step-ms"
                                 : "absent-ms";
                if (!s_parse_count (optarg, &value) || (opt != 'Z' && value == 0)) {
                    fprintf (stderr, "ep-fakex: --%s takes a whole number%s\n", name,
                             opt != 'Z' ? " above 0" : "");
                    return 2;
                }
                *(opt == 'W' ? &weight_limit : opt == 'L' ? &order_limit
                  : opt == 'N' ? &ban_ms : opt == 'E' ? &path_step_ms : &absent_ms) = value;
                if (opt == 'E')
                    have_step = true;
                break;
            }
            case 'Q': fault_queries = true; break;
            case 'M':
                if (!s_parse_price ("--market-liquidity", optarg, &liquidity_e8))
                    return 2;
                break;
            case 'A': path_text = optarg; break;
            case 'K': ed25519_path = optarg; break;
            case 'w':
                if (!s_parse_port (optarg, &ws_port)) {
                    fprintf (stderr, "ep-fakex: --ws-port takes a port number from 0 to 65535\n");
                    return 2;
                }
                have_ws = true;
                break;
            default:
                fprintf (stderr, "ep-fakex: unknown option or missing value in '%s' (see --help)\n",
                         argv [optind - 1]);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "ep-fakex: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    if (!*api_key || !*api_secret) {
        fprintf (stderr, "ep-fakex: --api-key and --api-secret may not be empty\n");
        return 2;
    }
    if (sodium_init () < 0) {
        fprintf (stderr, "ep-fakex: libsodium failed to initialise\n");
        return 1;
    }
    if (sign_text) {
        char signature [FAKEX_SIGNATURE_BUFSIZE];
        fakex_params_sign (api_secret, sign_text, signature);
        printf ("%s\n", signature);
        return 0;
    }
    if (!have_port) {
        fprintf (stderr, "ep-fakex: --port is required (see --help)\n");
        return 2;
    }
    int64_t price_e8 = 0;
    ep_decimal_error_t price_error = price_text ? ep_decimal_parse (price_text, false, &price_e8)
                                                : EP_DECIMAL_EMPTY;
    //  A price path stands for --price, which may then be left out
    if (path_text && !price_text)
        price_error = EP_DECIMAL_OK, price_e8 = 1;
    if (price_error != EP_DECIMAL_OK || price_e8 <= 0) {
        fprintf (stderr, "ep-fakex: --price takes a decimal above 0 with at most 8 decimals%s%s\n",
                 price_error != EP_DECIMAL_OK ? ": " : "",
                 price_error != EP_DECIMAL_OK ? ep_decimal_strerror (price_error) : "");
        return 2;
    }
    int64_t path [S_PATH_MAX];
    size_t path_size = 0;
    if (path_text) {
        if (!have_step) {
            fprintf (stderr, "ep-fakex: --price-path needs --path-step-ms\n");
            return 2;
        }
        char copy [S_PATH_MAX * 24];
        if (strlen (path_text) >= sizeof copy) {
            fprintf (stderr, "ep-fakex: --price-path is too long\n");
            return 2;
        }
        strcpy (copy, path_text);
        char *saved = NULL;
        for (char *item = strtok_r (copy, ",", &saved); item; item = strtok_r (NULL, ",", &saved)) {
            if (path_size == S_PATH_MAX) {
                fprintf (stderr, "ep-fakex: --price-path lists at most %d prices\n", S_PATH_MAX);
                return 2;
            }
            if (!s_parse_price ("--price-path", item, &path [path_size++]))
                return 2;
        }
        if (path_size == 0) {
            fprintf (stderr, "ep-fakex: --price-path lists no price\n");
            return 2;
        }
        if (!price_text)
            price_e8 = path [0];
    }
    else
    if (have_step) {
        fprintf (stderr, "ep-fakex: --path-step-ms needs --price-path\n");
        return 2;
    }
    int fault = s_fault_parse (fault_text);
    if (fault < 0) {
        fprintf (stderr, "ep-fakex: unknown --fault mode '%s' (see --help)\n", fault_text);
        return 2;
    }
    char symbols [S_SYMBOL_PRICES_MAX][FAKEX_SYMBOL_MAX + 1];
    int64_t symbol_price_e8 [S_SYMBOL_PRICES_MAX];
    for (size_t index = 0; index < symbol_price_count; index++) {
        const char *eq = strchr (symbol_prices [index], '=');
        size_t len = eq ? (size_t) (eq - symbol_prices [index]) : 0;
        if (len > 0 && len <= FAKEX_SYMBOL_MAX) {
            snprintf (symbols [index], sizeof symbols [index], "%.*s", (int) len,
                      symbol_prices [index]);
        }
        if (len == 0 || len > FAKEX_SYMBOL_MAX || !s_symbol_ok (symbols [index])) {
            fprintf (stderr, "ep-fakex: --symbol-price takes SYMBOL=DECIMAL\n");
            return 2;
        }
        if (!s_parse_price ("--symbol-price", eq + 1, &symbol_price_e8 [index]))
            return 2;
    }
    char error [256];
    fakex_rules_t *rules = NULL;
    fakex_account_t *account = NULL;
    if (info_path && !(rules = fakex_rules_load (info_path, error, sizeof error))) {
        fprintf (stderr, "ep-fakex: --exchange-info: %s\n", error);
        return 2;
    }
    if (balances_text && !(account = fakex_account_new (balances_text, error, sizeof error))) {
        fprintf (stderr, "ep-fakex: --balances: %s\n", error);
        fakex_rules_destroy (&rules);
        return 2;
    }
    unsigned char ed25519_key [FAKEX_ED25519_KEY_BYTES];
    if (ed25519_path && !fakex_ed25519_key_load (ed25519_path, ed25519_key, error, sizeof error)) {
        fprintf (stderr, "ep-fakex: --ed25519-public-key: %s\n", error);
        fakex_rules_destroy (&rules);
        fakex_account_destroy (&account);
        return 2;
    }
    ep_log_init ("fakex");

    //  Signals arrive on a descriptor the main loop polls; blocked before
    //  any thread starts, so no libmicrohttpd thread takes them
    sigset_t stop_signals;
    sigemptyset (&stop_signals);
    sigaddset (&stop_signals, SIGINT);
    sigaddset (&stop_signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &stop_signals, NULL);
    signal (SIGPIPE, SIG_IGN);

    int rc = 1;
    s_fakex_t fakex = {
        .api_key = api_key,
        .api_secret = api_secret,
        .wake = { -1, -1 },
        .fault = (s_fault_t) fault,
        .hold = hold,
        .rules = rules,
        .rules_path = info_path,
        .account = account,
        .fee = fee,
        .strict_clock = strict_clock,
        .fault_queries = fault_queries,
        .absent_ms = absent_ms,
        .path = path_size > 0,
        .path_step_ms = path_step_ms,
        .rate_on = rate_on,
        .weight_limit = weight_limit,
        .order_limit = order_limit,
        .ban_ms = ban_ms,
        .start_mono_ms = s_mono_ms ()
    };
    if (ban_retry_after)
        snprintf (fakex.ban_retry_after, sizeof fakex.ban_retry_after, "%" PRId64,
                  ban_retry_after);
    s_fakex_t *self = &fakex;
    if (ed25519_path) {
        self->ed25519 = true;
        memcpy (self->ed25519_key, ed25519_key, sizeof ed25519_key);
    }
    pthread_mutex_init (&self->mutex, NULL);
    pthread_cond_init (&self->applied, NULL);
    s_listener_t main_listener = { self, false };
    s_listener_t control_listener = { self, true };
    struct MHD_Daemon *main_daemon = NULL, *control_daemon = NULL;
    int listen_fd = -1, control_fd = -1;
    int signal_fd = signalfd (-1, &stop_signals, SFD_CLOEXEC);
    self->book = fakex_book_new (price_e8);
    bool book_ok = self->book != NULL;
    for (size_t index = 0; book_ok && index < symbol_price_count; index++)
        book_ok = fakex_book_set_price (self->book, symbols [index], symbol_price_e8 [index]);
    if (book_ok) {
        fakex_book_set_liquidity (self->book, liquidity_e8);
        fakex_book_set_hooks (self->book, s_fee, s_on_trade, self);
        fakex_book_set_report (self->book, s_on_report);
    }
    if (book_ok && have_ws && !self->account)
        book_ok = (self->positions = fakex_account_new ("", error, sizeof error)) != NULL;
    if (signal_fd < 0 || !book_ok || pipe2 (self->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        ep_log_error ("could not set up: %s", strerror (errno));
        goto out;
    }
    listen_fd = s_listen (port, &port);
    if (listen_fd < 0) {
        fprintf (stderr, "ep-fakex: cannot listen on 127.0.0.1:%u: %s\n", port, strerror (errno));
        goto out;
    }
    if (have_control) {
        control_fd = s_listen (control_port, &control_port);
        if (control_fd < 0) {
            fprintf (stderr, "ep-fakex: cannot listen on 127.0.0.1:%u: %s\n", control_port,
                     strerror (errno));
            goto out;
        }
    }
    main_daemon = s_daemon_start (&main_listener, -1);
    if (have_control) {
        control_daemon = s_daemon_start (&control_listener, control_fd);
        if (control_daemon)
            control_fd = -1;        //  the daemon owns it now
    }
    if (!main_daemon || (have_control && !control_daemon)) {
        fprintf (stderr, "ep-fakex: libmicrohttpd failed to start\n");
        goto out;
    }
    if (have_ws) {
        fakex_ws_config_t ws_config = {
            .api_key = api_key,
            .ed25519_key = self->ed25519 ? self->ed25519_key : NULL,
            .clock_offset_ms = s_clock_offset_ms,
            .strict_clock = strict_clock
        };
        //  Events are published under the mutex: the server is in place first
        pthread_mutex_lock (&self->mutex);
        self->ws = fakex_ws_start (&ws_config, ws_port, &ws_port);
        pthread_mutex_unlock (&self->mutex);
        if (!self->ws) {
            fprintf (stderr, "ep-fakex: cannot serve WebSocket on 127.0.0.1:%u\n", ws_port);
            goto out;
        }
    }
    //  Starting in refuse: the port is bound (so it can be named), then closed
    s_apply_fault (self, &listen_fd, port);
    //  The path starts as the venue says it is ready
    if (self->path) {
        pthread_mutex_lock (&self->mutex);
        self->path_start_ms = s_now_ms ();
        self->path_end_ms = self->path_start_ms + (int64_t) (path_size - 1) * path_step_ms;
        bool path_ok = fakex_book_set_path (self->book, path, path_size, path_step_ms,
                                            self->path_start_ms);
        pthread_mutex_unlock (&self->mutex);
        if (!path_ok) {
            ep_log_error ("out of memory for the price path");
            goto out;
        }
    }

    char price_buf [EP_DECIMAL_BUFSIZE];
    ep_log_info ("listening on 127.0.0.1:%u%s, price %s, fault %s", port,
                 have_control ? " with a control port" : "",
                 ep_decimal_format (price_e8, price_buf), s_faults [fault].name);
    if (have_control)
        printf ("ep-fakex control on 127.0.0.1:%u\n", control_port);
    if (have_ws)
        printf ("ep-fakex ws on 127.0.0.1:%u\n", ws_port);
    printf ("ep-fakex listening on 127.0.0.1:%u\n", port);
    fflush (stdout);

    s_run (self, signal_fd, &listen_fd, port, main_daemon);
    rc = 0;

out:
    //  Nothing may hang from now on; hung connections are resumed so that
    //  libmicrohttpd can close them (it refuses to stop with any suspended).
    //  Resumed outside the mutex: a suspended connection cannot go away.
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    size_t hung = 0;
    for (s_request_t *request = self->hung; request; request = request->next)
        hung++;
    struct MHD_Connection **connections = calloc (hung + 1, sizeof *connections);
    hung = 0;
    for (s_request_t *request = self->hung; connections && request; request = request->next)
        connections [hung++] = request->connection;
    pthread_cond_broadcast (&self->applied);
    pthread_mutex_unlock (&self->mutex);
    for (size_t index = 0; index < hung; index++)
        MHD_resume_connection (connections [index]);
    free (connections);
    if (main_daemon)
        MHD_stop_daemon (main_daemon);
    if (control_daemon)
        MHD_stop_daemon (control_daemon);
    //  After the daemons: no handler publishes any more
    fakex_ws_stop (&self->ws);
    if (listen_fd >= 0)
        close (listen_fd);
    if (control_fd >= 0)
        close (control_fd);
    if (signal_fd >= 0)
        close (signal_fd);
    for (int end = 0; end < 2; end++)
        if (self->wake [end] >= 0)
            close (self->wake [end]);
    s_counter_t *counters [] = { &self->orders, &self->cancels };
    for (size_t counter = 0; counter < 2; counter++) {
        for (size_t index = 0; index < counters [counter]->size; index++)
            free (counters [counter]->counts [index].client_id);
        free (counters [counter]->counts);
    }
    free (self->arrivals);
    for (size_t index = 0; index < self->receipts_size; index++)
        free (self->receipts [index].client_id);
    free (self->receipts);
    fakex_book_destroy (&self->book);
    fakex_rules_destroy (&self->rules);
    for (size_t index = 0; index < self->retired_size; index++)
        fakex_rules_destroy (&self->retired [index]);
    free (self->retired);
    fakex_account_destroy (&self->account);
    fakex_account_destroy (&self->positions);
    pthread_cond_destroy (&self->applied);
    pthread_mutex_destroy (&self->mutex);
    if (rc == 0)
        ep_log_info ("stopped");
    return rc;
}
