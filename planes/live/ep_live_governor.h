/*  ep_live_governor: the venue's rate limits, as the live plane keeps
    within them.

    It counts what the plane sends: the request weight in the last minute
    and the orders placed in the last 10 seconds (one-second buckets over a
    sliding window, which never counts less than the venue's fixed windows
    do), each corrected upward by what the venue says it counted
    (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S). After a 429 or a 418 (or
    the codes -1003, -1015) nothing at all may be sent until the answer's
    Retry-After has passed: sending inside it turns a 429 into an IP ban.

    For the request at hand it says: send now, or wait until a time. By
    class:
    - cancels (and queries a cancel asked for) may use the whole limit;
    - submissions, replaces and the venue's clock and rules likewise, and
      placements also wait for the order count (per 10 s and per day);
    - status queries stop short of the limit, leaving a reserve (10%) for
      the two above.
    It also says how far apart one order's status queries should be: every
    poll_ms while the orders followed fit in half the limit, spaced out in
    proportion beyond that, never further apart than max_poll_ms.

    Pure: no I/O and no clock of its own; every time is the caller's
    monotonic now_ms.  */
#ifndef EP_LIVE_GOVERNOR_H_INCLUDED
#define EP_LIVE_GOVERNOR_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_venue.h"

#define EP_LIVE_GOVERNOR_WEIGHT_WINDOW_S 60
#define EP_LIVE_GOVERNOR_ORDER_WINDOW_S 10
#define EP_LIVE_GOVERNOR_RESERVE_PCT 10     //  of the weight, kept from queries
#define EP_LIVE_GOVERNOR_POLL_PCT 50        //  queries spread to fit in this share
#define EP_LIVE_GOVERNOR_MAX_POLL_MS 120000 //  one query per order at least this often

//  What a request is to the governor.
typedef enum {
    EP_LIVE_GOVERNOR_CANCEL = 0,        //  a cancel, or a query a cancel asked for
    EP_LIVE_GOVERNOR_PLACE = 1,         //  a submission or a replace: places an order
    EP_LIVE_GOVERNOR_INFO = 2,          //  the venue's clock or rules
    EP_LIVE_GOVERNOR_QUERY = 3          //  a status query (a poll, a reconciliation)
} ep_live_governor_kind_t;

//  The venue's published limits (ep_venue.h; 0: none of that kind).
typedef ep_venue_limits_t ep_live_limits_t;

typedef struct {
    ep_live_limits_t limits;
    //  Weight sent, by second (index: second % buckets), and the second
    //  each bucket holds (INT64_MIN: none). One bucket more than the
    //  window has seconds: a bucket is dropped once all it holds is a
    //  whole window old.
    int64_t weight [EP_LIVE_GOVERNOR_WEIGHT_WINDOW_S + 1];
    int64_t weight_second [EP_LIVE_GOVERNOR_WEIGHT_WINDOW_S + 1];
    int64_t orders [EP_LIVE_GOVERNOR_ORDER_WINDOW_S + 1];
    int64_t orders_second [EP_LIVE_GOVERNOR_ORDER_WINDOW_S + 1];
    int64_t orders_day;                 //  the venue's last X-MBX-ORDER-COUNT-1D, -1: unknown
    int64_t orders_day_ms;              //  when it said so
    int64_t blocked_until_ms;           //  nothing is sent before it (429/418); 0: none
    bool banned;                        //  the block is an IP ban (418)
    uint64_t blocks;                    //  429s and 418s heard
} ep_live_governor_t;

//  Starts with nothing counted, under limits (each 0 taken as Binance's:
//  6000 weight a minute, 100 orders per 10 s, 200000 a day).
void ep_live_governor_init (ep_live_governor_t *self, const ep_live_limits_t *limits);

//  The venue published new limits (each 0: keep the one held).
void ep_live_governor_set_limits (ep_live_governor_t *self, const ep_live_limits_t *limits);

//  When a request of kind and weight may be sent: now_ms if now, else the
//  earliest time it may (monotonic). If it must wait, why (when not NULL)
//  names the limit: "an IP ban (418)", "a 429's Retry-After", "the request
//  weight limit of 6000 a minute", "the order limit of 100 per 10 s", ...
int64_t ep_live_governor_when (const ep_live_governor_t *self, ep_live_governor_kind_t kind,
                               int64_t weight, int64_t now_ms, char *why, size_t why_size);

//  A request of kind and weight was sent at now_ms: counted.
void ep_live_governor_sent (ep_live_governor_t *self, ep_live_governor_kind_t kind,
                            int64_t weight, int64_t now_ms);

//  What the venue said in an answer received at now_ms: its counts (-1:
//  not said), its HTTP status, its error code and Retry-After in seconds
//  (-1: none). Returns true if it starts a block (429, 418, -1003,
//  -1015): nothing is sent until blocked_until_ms.
bool ep_live_governor_heard (ep_live_governor_t *self, long http_status, int venue_code,
                             int64_t used_weight, int64_t orders_10s, int64_t orders_1d,
                             int64_t retry_after_s, int64_t now_ms);

//  The weight counted in the last minute, and the orders in the last 10 s.
int64_t ep_live_governor_weight_used (const ep_live_governor_t *self, int64_t now_ms);
int64_t ep_live_governor_orders_10s (const ep_live_governor_t *self, int64_t now_ms);

//  Milliseconds until the block ends (0: none).
int64_t ep_live_governor_blocked_ms (const ep_live_governor_t *self, int64_t now_ms);

//  How far apart one order's status queries should be when followed
//  orders rest, each query of query_weight, given poll_ms.
int64_t ep_live_governor_poll_ms (const ep_live_governor_t *self, int64_t poll_ms,
                                  size_t followed, int64_t query_weight, int64_t now_ms);

#endif
