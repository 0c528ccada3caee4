/*  ep_live_governor: the venue's rate limits, as the live plane keeps
    within them. Pure: no I/O, no clock.  */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_governor.h"

#define S_WEIGHT_WINDOW EP_LIVE_GOVERNOR_WEIGHT_WINDOW_S
#define S_ORDER_WINDOW EP_LIVE_GOVERNOR_ORDER_WINDOW_S
#define S_EMPTY INT64_MIN
#define S_DEFAULT_WEIGHT 6000
#define S_DEFAULT_ORDERS_10S 100
#define S_DEFAULT_ORDERS_DAY 200000
#define S_DEFAULT_429_S 60          //  a 429 without Retry-After: to the minute's end at most
#define S_DEFAULT_418_S 120         //  a 418 without Retry-After: Binance's shortest ban
#define S_DAY_RECHECK_MS 60000      //  the day's order limit reached: looked at again
#define S_VENUE_TOO_MUCH_WEIGHT -1003
#define S_VENUE_TOO_MANY_ORDERS -1015

//  Seconds, rounded down (also for negative times).
static int64_t
s_second (int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

//  The buckets of a window of window seconds (window + 1 of them): the
//  one of second s counts while now's second is s + window at most.
static int
s_index (int64_t second, int window)
{
    return (int) (((second % (window + 1)) + (window + 1)) % (window + 1));
}

//  What the buckets count at now_ms.
static int64_t
s_sum (const int64_t *counts, const int64_t *seconds, int window, int64_t now_ms)
{
    int64_t now_s = s_second (now_ms), sum = 0;
    for (int index = 0; index <= window; index++)
        if (seconds [index] != S_EMPTY && seconds [index] >= now_s - window
        &&  seconds [index] <= now_s)
            sum += counts [index];
    return sum;
}

//  Adds count to the bucket of now's second.
static void
s_add (int64_t *counts, int64_t *seconds, int window, int64_t now_ms, int64_t count)
{
    int64_t now_s = s_second (now_ms);
    int index = s_index (now_s, window);
    if (seconds [index] != now_s) {
        seconds [index] = now_s;
        counts [index] = 0;
    }
    counts [index] += count;
}

//  The earliest time from now_ms at which the buckets count room at most:
//  they drop out oldest first. All gone: that time, whatever room.
static int64_t
s_free_at (const int64_t *counts, const int64_t *seconds, int window, int64_t now_ms,
           int64_t room)
{
    int64_t used = s_sum (counts, seconds, window, now_ms);
    int64_t now_s = s_second (now_ms);
    int64_t at = now_ms;
    for (int64_t second = now_s - window; used > room && second <= now_s; second++) {
        int index = s_index (second, window);
        if (seconds [index] != second || counts [index] == 0)
            continue;
        used -= counts [index];
        at = (second + window + 1) * 1000;
    }
    return at;
}

void
ep_live_governor_init (ep_live_governor_t *self, const ep_live_limits_t *limits)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->limits = (ep_live_limits_t) { S_DEFAULT_WEIGHT, S_DEFAULT_ORDERS_10S,
                                        S_DEFAULT_ORDERS_DAY };
    for (int index = 0; index <= S_WEIGHT_WINDOW; index++)
        self->weight_second [index] = S_EMPTY;
    for (int index = 0; index <= S_ORDER_WINDOW; index++)
        self->orders_second [index] = S_EMPTY;
    self->orders_day = -1;
    if (limits)
        ep_live_governor_set_limits (self, limits);
}

void
ep_live_governor_set_limits (ep_live_governor_t *self, const ep_live_limits_t *limits)
{
    assert (self && limits);
    if (limits->weight_per_minute > 0)
        self->limits.weight_per_minute = limits->weight_per_minute;
    if (limits->orders_per_10s > 0)
        self->limits.orders_per_10s = limits->orders_per_10s;
    if (limits->orders_per_day > 0)
        self->limits.orders_per_day = limits->orders_per_day;
}

int64_t
ep_live_governor_weight_used (const ep_live_governor_t *self, int64_t now_ms)
{
    assert (self);
    return s_sum (self->weight, self->weight_second, S_WEIGHT_WINDOW, now_ms);
}

int64_t
ep_live_governor_orders_10s (const ep_live_governor_t *self, int64_t now_ms)
{
    assert (self);
    return s_sum (self->orders, self->orders_second, S_ORDER_WINDOW, now_ms);
}

int64_t
ep_live_governor_blocked_ms (const ep_live_governor_t *self, int64_t now_ms)
{
    assert (self);
    return self->blocked_until_ms > now_ms ? self->blocked_until_ms - now_ms : 0;
}

//  The weight a request of kind may bring the minute's count up to.
static int64_t
s_cap (const ep_live_governor_t *self, ep_live_governor_kind_t kind)
{
    int64_t limit = self->limits.weight_per_minute;
    if (kind == EP_LIVE_GOVERNOR_QUERY)
        return limit - limit * EP_LIVE_GOVERNOR_RESERVE_PCT / 100;
    return limit;
}

int64_t
ep_live_governor_when (const ep_live_governor_t *self, ep_live_governor_kind_t kind,
                       int64_t weight, int64_t now_ms, char *why, size_t why_size)
{
    assert (self);
    if (why && why_size)
        why [0] = '\0';
    if (self->blocked_until_ms > now_ms) {
        if (why)
            snprintf (why, why_size, "%s", self->banned ? "the venue's IP ban (418)"
                                                        : "the venue's 429 (Retry-After)");
        return self->blocked_until_ms;
    }
    int64_t at = now_ms;
    int64_t cap = s_cap (self, kind);
    int64_t room = cap - (weight > 0 ? weight : 0);
    if (ep_live_governor_weight_used (self, now_ms) > room) {
        at = s_free_at (self->weight, self->weight_second, S_WEIGHT_WINDOW, now_ms,
                        room < 0 ? 0 : room);
        if (why)
            snprintf (why, why_size, "the request weight limit of %lld a minute%s",
                      (long long) self->limits.weight_per_minute,
                      kind == EP_LIVE_GOVERNOR_QUERY ? " (less the reserve queries leave)"
                                                     : "");
    }
    if (kind == EP_LIVE_GOVERNOR_PLACE) {
        int64_t room_orders = self->limits.orders_per_10s - 1;
        if (ep_live_governor_orders_10s (self, now_ms) > room_orders) {
            int64_t order_at = s_free_at (self->orders, self->orders_second, S_ORDER_WINDOW,
                                          now_ms, room_orders < 0 ? 0 : room_orders);
            if (order_at > at) {
                at = order_at;
                if (why)
                    snprintf (why, why_size, "the order limit of %lld per 10 s",
                              (long long) self->limits.orders_per_10s);
            }
        }
        if (self->orders_day >= self->limits.orders_per_day
        &&  now_ms - self->orders_day_ms < 86400000) {
            int64_t day_at = now_ms + S_DAY_RECHECK_MS;
            if (day_at > at) {
                at = day_at;
                if (why)
                    snprintf (why, why_size, "the order limit of %lld a day",
                              (long long) self->limits.orders_per_day);
            }
        }
    }
    return at;
}

void
ep_live_governor_sent (ep_live_governor_t *self, ep_live_governor_kind_t kind, int64_t weight,
                       int64_t now_ms)
{
    assert (self);
    s_add (self->weight, self->weight_second, S_WEIGHT_WINDOW, now_ms, weight);
    if (kind == EP_LIVE_GOVERNOR_PLACE) {
        s_add (self->orders, self->orders_second, S_ORDER_WINDOW, now_ms, 1);
        if (self->orders_day >= 0)
            self->orders_day++;
    }
}

bool
ep_live_governor_heard (ep_live_governor_t *self, long http_status, int venue_code,
                        int64_t used_weight, int64_t orders_10s, int64_t orders_1d,
                        int64_t retry_after_s, int64_t now_ms)
{
    assert (self);
    //  Upward only: the venue counts what others on this IP send too
    int64_t own = ep_live_governor_weight_used (self, now_ms);
    if (used_weight > own)
        s_add (self->weight, self->weight_second, S_WEIGHT_WINDOW, now_ms, used_weight - own);
    own = ep_live_governor_orders_10s (self, now_ms);
    if (orders_10s > own)
        s_add (self->orders, self->orders_second, S_ORDER_WINDOW, now_ms, orders_10s - own);
    if (orders_1d >= 0) {
        self->orders_day = orders_1d;
        self->orders_day_ms = now_ms;
    }
    bool limited = http_status == 429 || http_status == 418
                || venue_code == S_VENUE_TOO_MUCH_WEIGHT || venue_code == S_VENUE_TOO_MANY_ORDERS;
    if (!limited)
        return false;
    bool ban = http_status == 418;
    int64_t seconds = retry_after_s > 0 ? retry_after_s : ban ? S_DEFAULT_418_S : S_DEFAULT_429_S;
    int64_t until = now_ms + seconds * 1000;
    self->blocks++;
    if (until <= self->blocked_until_ms)
        return false;           //  within the block already told
    self->blocked_until_ms = until;
    self->banned = ban;
    return true;
}

int64_t
ep_live_governor_poll_ms (const ep_live_governor_t *self, int64_t poll_ms, size_t followed,
                          int64_t query_weight, int64_t now_ms)
{
    assert (self);
    int64_t budget = self->limits.weight_per_minute * EP_LIVE_GOVERNOR_POLL_PCT / 100;
    if (budget < 1)
        budget = 1;
    int64_t weight = query_weight > 0 ? query_weight : 1;
    //  The followed orders' queries fit in the budget each minute
    int64_t interval = (int64_t) followed * weight * 60000 / budget;
    if (interval < poll_ms)
        interval = poll_ms;
    //  Beyond the budget's share used, further apart in proportion
    int64_t used = ep_live_governor_weight_used (self, now_ms);
    if (used > budget)
        interval = interval * used / budget;
    int64_t longest = poll_ms > EP_LIVE_GOVERNOR_MAX_POLL_MS ? poll_ms
                                                             : EP_LIVE_GOVERNOR_MAX_POLL_MS;
    return interval > longest ? longest : interval;
}
