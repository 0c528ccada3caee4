/*  ep_paper_book: the paper execution plane's fill engine.

    The resting orders, by symbol, are ep_paper_orders'. Every report is
    built in one scratch report owned by the book: nothing is allocated for
    an intent that does not rest. What an intent does is decided, and
    whatever it needs allocated, before its first report goes out, so that
    a failure leaves nothing half done.  */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_buf.h"
#include "ep_decimal.h"
#include "ep_names.h"
#include "ep_paper_book.h"
#include "ep_paper_orders.h"

#define S_BPS           10000

//  What executing the new intent does, decided before anything is emitted.
typedef struct {
    bool limit;                 //  LIMIT rules (else MARKET)
    Execplane__V1__TimeInForce tif;   //  effective: GTC, IOC or FOK
    bool marketable;            //  the ref allows a fill
    int64_t price_e8;           //  price of the fill, if any
    int64_t fill_e8;            //  quantity filled this tick, 0 if none
    Execplane__V1__Status status;  //  of the intent's report
    bool rests;                 //  stays in the book afterwards
} s_outcome_t;

struct _ep_paper_book_t {
    ep_paper_config_t config;   //  validated at construction
    ep_instruments_t instruments;   //  rule 0: the book's own copy
    ep_paper_orders_t orders;   //  the resting orders, by symbol
    uint64_t last_seq;          //  highest router_seq executed or restored
    bool started;               //  last_seq is meaningful
    ep_report_t report;         //  scratch, handed to emit
    ep_fill_t fill;             //  scratch: a report has at most one fill
    ep_fill_t *fill_p;          //  report.fills points here
    char fill_id [48];          //  "<router_seq>.<n>"
    char venue_order_id [32];   //  "paper-<router_seq>"
    char reason [256];          //  person-readable, deterministic
};


//  Division rounding towards minus and plus infinity; divisor > 0.
static __int128
s_div_floor (__int128 numerator, __int128 divisor)
{
    __int128 quotient = numerator / divisor;
    return (numerator % divisor < 0)? quotient - 1: quotient;
}

static __int128
s_div_ceil (__int128 numerator, __int128 divisor)
{
    __int128 quotient = numerator / divisor;
    return (numerator % divisor > 0)? quotient + 1: quotient;
}

//  The MARKET fill price: ref moved against the taker, rounded so that
//  rounding never favours the taker.
static int64_t
s_market_price (const ep_paper_book_t *self, bool buy, int64_t ref_e8)
{
    int64_t bps = self->config.slippage_bps;
    if (buy)
        return (int64_t) s_div_ceil ((__int128) ref_e8 * (S_BPS + bps), S_BPS);
    else
        return (int64_t) s_div_floor ((__int128) ref_e8 * (S_BPS - bps), S_BPS);
}

//  The quantity one order may fill this tick.
static int64_t
s_capped (const ep_paper_book_t *self, int64_t remaining_e8)
{
    int64_t cap = self->config.liquidity_cap_e8;
    return (cap > 0 && cap < remaining_e8)? cap: remaining_e8;
}

static bool
s_crosses (bool buy, int64_t ref_e8, int64_t limit_e8)
{
    return buy? ref_e8 <= limit_e8: ref_e8 >= limit_e8;
}

//  An optional string of a hand-built intent may be NULL.
static char *
s_text (char *text)
{
    return text? text: (char *) "";
}

static void
s_order_fill (ep_paper_order_t *order, int64_t qty_e8, int64_t price_e8)
{
    order->filled_e8 += qty_e8;
    order->notional += (__int128) qty_e8 * price_e8;
    order->fill_count++;
}

//  Builds the order's report for this tick in the scratch report, without
//  handing it out. The reason is already in self->reason.
static ep_report_t *
s_report (ep_paper_book_t *self, const ep_paper_order_t *order, uint64_t tick,
          Execplane__V1__Status status, int64_t fill_qty_e8, int64_t fill_price_e8)
{
    ep_report_t *report = &self->report;
    execplane__v1__execution_report__init (report);
    report->intent_id = order->intent_id;
    report->strategy_id = order->strategy_id;
    report->target_intent_id = order->target_intent_id;
    report->symbol = order->symbol;
    report->side = order->side;
    report->plane = EP_PLANE (PAPER);
    report->status = status;
    report->failure = EP_FAILURE (FAILURE_NONE);
    report->reason = self->reason;
    if (fill_qty_e8 > 0) {
        execplane__v1__fill__init (&self->fill);
        snprintf (self->fill_id, sizeof (self->fill_id), "%" PRIu64 ".%" PRIu64,
                  order->router_seq, order->fill_count);
        self->fill.fill_id = self->fill_id;
        self->fill.qty_e8 = fill_qty_e8;
        self->fill.price_e8 = fill_price_e8;
        self->fill_p = &self->fill;
        report->n_fills = 1;
        report->fills = &self->fill_p;
    }
    //  The fills reported before this report's: numbered, so a gap shows.
    report->first_fill = (uint32_t) order->fill_count - (uint32_t) report->n_fills;
    report->filled_qty_e8 = order->filled_e8;
    //  At most the highest fill price: it fits.
    ep_decimal_avg_price (order->notional, order->filled_e8, &report->avg_price_e8);
    report->terminal = status == EP_STATUS (FILLED) || status == EP_STATUS (EXPIRED)
                    || status == EP_STATUS (CANCELED) || status == EP_STATUS (REJECTED);
    snprintf (self->venue_order_id, sizeof (self->venue_order_id), "paper-%" PRIu64,
              order->router_seq);
    report->venue_order_id = self->venue_order_id;
    report->logical_ts = tick;
    report->router_seq = order->router_seq;
    report->safety = order->safety;
    return report;
}

//  Builds the order's report for this tick and hands it to emit.
static void
s_emit (ep_paper_book_t *self, const ep_paper_order_t *order, uint64_t tick,
        Execplane__V1__Status status, int64_t fill_qty_e8, int64_t fill_price_e8,
        ep_paper_emit_fn *emit, void *arg)
{
    emit (arg, s_report (self, order, tick, status, fill_qty_e8, fill_price_e8));
}

//  Emits the intent's one report, REJECTED with failure, at its own tick:
//  nothing of it was done. The reason is already in self->reason.
static void
s_reject (ep_paper_book_t *self, const ep_intent_t *intent, uint64_t router_seq,
          Execplane__V1__Failure failure, ep_paper_emit_fn *emit, void *arg)
{
    ep_paper_order_t order;
    ep_paper_order_init (&order, intent, router_seq);
    order.symbol = s_text (intent->symbol);
    ep_report_t *report = s_report (self, &order, router_seq, EP_STATUS (REJECTED), 0, 0);
    report->failure = failure;
    report->venue_order_id = (char *) "";       //  no order was made or touched
    emit (arg, report);
}

//  Rule 0: whether the order of intent keeps its symbol's rules; if not,
//  the reason is in self->reason.
static bool
s_keeps_the_rules (ep_paper_book_t *self, const ep_intent_t *intent)
{
    char why [sizeof self->reason - 32];
    if (ep_instruments_check (&self->instruments, intent, why, sizeof why))
        return true;
    snprintf (self->reason, sizeof (self->reason), "instrument rules: %s", why);
    return false;
}

//  Fills every resting order on the symbol that ref crosses, oldest first,
//  one report each, and drops the ones completed. Returns the reports
//  emitted.
static int
s_cross (ep_paper_book_t *self, ep_paper_symbol_t *symbol, int64_t ref_e8, uint64_t tick,
         ep_paper_emit_fn *emit, void *arg)
{
    int reports = 0;
    size_t kept = 0;
    int64_t best_bid = INT64_MIN;
    int64_t best_ask = INT64_MAX;
    char ref [EP_DECIMAL_BUFSIZE], qty [EP_DECIMAL_BUFSIZE], limit [EP_DECIMAL_BUFSIZE];
    char filled [EP_DECIMAL_BUFSIZE], total [EP_DECIMAL_BUFSIZE];

    for (size_t index = 0; index < symbol->count; index++) {
        ep_paper_order_t *order = symbol->orders [index];
        bool buy = order->side == EP_SIDE (BUY);
        if (s_crosses (buy, ref_e8, order->limit_e8)) {
            int64_t fill_e8 = s_capped (self, order->qty_e8 - order->filled_e8);
            s_order_fill (order, fill_e8, order->limit_e8);
            bool done = order->filled_e8 >= order->qty_e8;
            snprintf (self->reason, sizeof (self->reason),
                      "crossed by ref %s: filled %s at limit %s, %s of %s filled%s",
                      ep_decimal_format (ref_e8, ref), ep_decimal_format (fill_e8, qty),
                      ep_decimal_format (order->limit_e8, limit),
                      ep_decimal_format (order->filled_e8, filled),
                      ep_decimal_format (order->qty_e8, total), done? "": ", resting (GTC)");
            s_emit (self, order, tick, done? EP_STATUS (FILLED): EP_STATUS (PARTIALLY_FILLED),
                    fill_e8, order->limit_e8, emit, arg);
            reports++;
            if (done) {
                free (order);
                self->orders.resting--;
                continue;
            }
        }
        symbol->orders [kept++] = order;
        if (buy) {
            if (order->limit_e8 > best_bid)
                best_bid = order->limit_e8;
        }
        else
        if (order->limit_e8 < best_ask)
            best_ask = order->limit_e8;
    }
    //  The scan saw every order, so the bounds are exact again
    symbol->count = kept;
    symbol->best_bid = best_bid;
    symbol->best_ask = best_ask;
    return reports;
}

//  Decides what the new intent does this tick, without touching the book.
static void
s_decide (const ep_paper_book_t *self, const ep_intent_t *intent, s_outcome_t *outcome)
{
    bool buy = intent->side == EP_SIDE (BUY);
    outcome->limit = intent->type == EP_TYPE (LIMIT);
    if (outcome->limit) {
        //  The router requires a tif for LIMIT; if none came, never rest
        outcome->tif = intent->tif == EP_TIF (GTC) || intent->tif == EP_TIF (FOK)
                     ? intent->tif: EP_TIF (IOC);
        outcome->marketable = s_crosses (buy, intent->ref_price_e8, intent->limit_price_e8);
        outcome->price_e8 = intent->limit_price_e8;
    }
    else {
        //  A market order never rests: unspecified and (defensively) GTC are IOC
        outcome->tif = intent->tif == EP_TIF (FOK)? EP_TIF (FOK): EP_TIF (IOC);
        outcome->marketable = true;
        outcome->price_e8 = s_market_price (self, buy, intent->ref_price_e8);
    }
    int64_t fillable_e8 = s_capped (self, intent->qty_e8);
    if (!outcome->marketable
    || (outcome->tif == EP_TIF (FOK) && fillable_e8 < intent->qty_e8))
        outcome->fill_e8 = 0;
    else
        outcome->fill_e8 = fillable_e8;

    outcome->rests = false;
    if (outcome->fill_e8 == intent->qty_e8)
        outcome->status = EP_STATUS (FILLED);
    else
    if (outcome->tif == EP_TIF (GTC)) {
        outcome->status = outcome->fill_e8 > 0
                        ? EP_STATUS (PARTIALLY_FILLED): EP_STATUS (ACCEPTED);
        outcome->rests = true;
    }
    else
        outcome->status = EP_STATUS (EXPIRED);
}

//  Writes the reason of the new intent's report.
static void
s_reason_new (ep_paper_book_t *self, const ep_intent_t *intent, const s_outcome_t *outcome)
{
    char ref [EP_DECIMAL_BUFSIZE], qty [EP_DECIMAL_BUFSIZE], price [EP_DECIMAL_BUFSIZE];
    char fill [EP_DECIMAL_BUFSIZE], cap [EP_DECIMAL_BUFSIZE];
    char at [128];
    ep_decimal_format (intent->ref_price_e8, ref);
    ep_decimal_format (intent->qty_e8, qty);
    ep_decimal_format (outcome->price_e8, price);
    ep_decimal_format (outcome->fill_e8, fill);

    if (outcome->limit)
        snprintf (at, sizeof (at), "at limit %s (ref %s)", price, ref);
    else
        snprintf (at, sizeof (at), "at %s (ref %s, %" PRId64 " bps slippage)",
                  price, ref, self->config.slippage_bps);

    const char *outcome_name = outcome->rests? "resting (GTC)"
                             : outcome->tif == EP_TIF (FOK)? "FOK expired": "IOC expired";
    if (outcome->status == EP_STATUS (FILLED))
        snprintf (self->reason, sizeof (self->reason), "filled %s", at);
    else
    if (outcome->fill_e8 > 0)
        snprintf (self->reason, sizeof (self->reason), "filled %s of %s %s, %s",
                  fill, qty, at, outcome->rests? "resting (GTC)": "IOC remainder expired");
    else
    if (!outcome->marketable)
        snprintf (self->reason, sizeof (self->reason), "%s: ref %s does not cross limit %s",
                  outcome_name, ref, price);
    else
        snprintf (self->reason, sizeof (self->reason), "FOK: cannot fill %s entirely (cap %s)",
                  qty, ep_decimal_format (self->config.liquidity_cap_e8, cap));
}

//  A new order, prepared before anything is emitted: its outcome, and
//  what it needs to rest, allocated.
typedef struct {
    s_outcome_t outcome;        //  what it does this tick
    ep_paper_symbol_t *symbol;         //  its symbol, NULL if that never had orders
    ep_paper_order_t *resting;         //  allocated and reserved if it rests, else NULL
} s_place_t;

//  Decides the intent's own outcome and allocates whatever it needs to rest.
//  Returns 0, or -1 on out of memory with the book unchanged (a symbol left
//  empty by a failure here is invisible from outside).
static int
s_place_prepare (ep_paper_book_t *self, const ep_intent_t *intent, uint64_t router_seq,
                 s_place_t *place)
{
    place->symbol = ep_paper_orders_lookup (&self->orders, intent->symbol);
    s_decide (self, intent, &place->outcome);
    place->resting = NULL;
    if (place->outcome.rests) {
        place->resting = ep_paper_order_new (intent, router_seq);
        if (!place->resting)
            return -1;
        if (!place->symbol)
            place->symbol = ep_paper_orders_insert (&self->orders, intent->symbol);
        if (!place->symbol || ep_paper_orders_reserve (place->symbol)) {
            free (place->resting);
            return -1;
        }
    }
    return 0;
}

//  Runs a prepared order: the tick's crossing, its own report, and it rests
//  if it does. Cannot fail. Returns the reports emitted.
static int
s_place_run (ep_paper_book_t *self, const ep_intent_t *intent, uint64_t router_seq,
             s_place_t *place, ep_paper_emit_fn *emit, void *arg)
{
    ep_paper_symbol_t *symbol = place->symbol;
    int reports = 0;
    if (symbol && symbol->count > 0
    && (intent->ref_price_e8 <= symbol->best_bid || intent->ref_price_e8 >= symbol->best_ask))
        reports = s_cross (self, symbol, intent->ref_price_e8, router_seq, emit, arg);

    ep_paper_order_t order;
    ep_paper_order_init (&order, intent, router_seq);
    if (place->outcome.fill_e8 > 0)
        s_order_fill (&order, place->outcome.fill_e8, place->outcome.price_e8);
    s_reason_new (self, intent, &place->outcome);
    s_emit (self, &order, router_seq, place->outcome.status, place->outcome.fill_e8,
            place->outcome.price_e8, emit, arg);
    reports++;

    if (place->resting) {
        place->resting->filled_e8 = order.filled_e8;
        place->resting->notional = order.notional;
        place->resting->fill_count = order.fill_count;
        ep_paper_orders_add (&self->orders, symbol, place->resting);
    }
    return reports;
}

//  A resting order that a CANCEL or REPLACE names, and where it rests.
typedef struct {
    ep_paper_order_t *order;    //  NULL if it no longer rests
    ep_paper_symbol_t *symbol;  //  its symbol, if it rests
    size_t index;               //  its position there, if it rests
} s_target_t;

//  Finds the resting order at target_router_seq, which a CANCEL or REPLACE
//  names; its order is NULL if none rests (it ended, or never rested).
static s_target_t
s_target_find (const ep_paper_book_t *self, uint64_t target_router_seq)
{
    s_target_t found = { NULL, NULL, 0 };
    found.order = ep_paper_orders_find (&self->orders, target_router_seq, &found.symbol,
                                        &found.index);
    return found;
}

//  Ends a resting target at tick: takes it out of the book and emits its
//  CANCELED report, fills so far kept. by says what canceled it, as the
//  reason's head. The target is freed after: the caller must not use it.
static void
s_cancel_target (ep_paper_book_t *self, const s_target_t *found, uint64_t tick,
                 const char *by, ep_paper_emit_fn *emit, void *arg)
{
    ep_paper_order_t *target = found->order;
    char filled [EP_DECIMAL_BUFSIZE], total [EP_DECIMAL_BUFSIZE], left [EP_DECIMAL_BUFSIZE];
    ep_paper_orders_remove (&self->orders, found->symbol, found->index);
    snprintf (self->reason, sizeof (self->reason), "%s: %s of %s filled, %s canceled", by,
              ep_decimal_format (target->filled_e8, filled),
              ep_decimal_format (target->qty_e8, total),
              ep_decimal_format (target->qty_e8 - target->filled_e8, left));
    s_emit (self, target, tick, EP_STATUS (CANCELED), 0, 0, emit, arg);
    free (target);
}

//  Writes the reason of a cancel or replace whose target no longer rests.
static void
s_reason_too_late (ep_paper_book_t *self, const ep_intent_t *intent)
{
    snprintf (self->reason, sizeof (self->reason),
              "too late: no resting order for intent %s (it had already ended, or never rested)",
              s_text (intent->target_intent_id));
}

static void
s_tick_done (ep_paper_book_t *self, uint64_t router_seq)
{
    self->last_seq = router_seq;
    self->started = true;
}


//  --------------------------------------------------------------------------
//  Creates an empty book. Returns NULL if the config is out of range or on
//  out of memory.

ep_paper_book_t *
ep_paper_book_new (const ep_paper_config_t *config)
{
    assert (config);
    if (config->slippage_bps < 0 || config->slippage_bps > S_BPS
    ||  config->liquidity_cap_e8 < 0)
        return NULL;
    ep_paper_book_t *self = (ep_paper_book_t *) calloc (1, sizeof (ep_paper_book_t));
    if (!self)
        return NULL;
    self->config = *config;
    self->config.instruments = &self->instruments;
    for (size_t index = 0; config->instruments && index < config->instruments->count; index++)
        if (ep_instruments_put (&self->instruments, &config->instruments->items [index])) {
            ep_paper_book_destroy (&self);
            return NULL;
        }
    return self;
}


//  --------------------------------------------------------------------------
//  Destroys the book and NULLs *self_p.

void
ep_paper_book_destroy (ep_paper_book_t **self_p)
{
    assert (self_p);
    ep_paper_book_t *self = *self_p;
    if (!self)
        return;
    ep_paper_orders_clear (&self->orders);
    ep_instruments_clear (&self->instruments);
    free (self);
    *self_p = NULL;
}


//  --------------------------------------------------------------------------
//  Executes one PLACE intent at tick router_seq. Returns the reports emitted, or
//  -1 on out of memory with nothing emitted and the book unchanged.

int
ep_paper_book_execute (ep_paper_book_t *self, const ep_intent_t *intent,
                       uint64_t router_seq, ep_paper_emit_fn *emit, void *arg)
{
    assert (self);
    assert (intent);
    assert (emit);
    assert (intent->action == EP_ACTION (PLACE));
    assert (!self->started || router_seq > self->last_seq);

    if (!s_keeps_the_rules (self, intent)) {
        s_reject (self, intent, router_seq, EP_FAILURE (INVALID_INTENT), emit, arg);
        s_tick_done (self, router_seq);
        return 1;
    }
    //  Whatever the order needs to rest is allocated before a single report
    //  goes out
    s_place_t place;
    if (s_place_prepare (self, intent, router_seq, &place))
        return -1;
    int reports = s_place_run (self, intent, router_seq, &place, emit, arg);
    s_tick_done (self, router_seq);
    return reports;
}


//  --------------------------------------------------------------------------
//  Executes a CANCEL at tick router_seq on the order at target_router_seq.
//  Returns the reports emitted; cannot fail.

int
ep_paper_book_cancel (ep_paper_book_t *self, const ep_intent_t *intent,
                      uint64_t router_seq, uint64_t target_router_seq, const char *cause,
                      ep_paper_emit_fn *emit, void *arg)
{
    assert (self);
    assert (intent);
    assert (emit);
    assert (!self->started || router_seq > self->last_seq);

    s_target_t found = s_target_find (self, target_router_seq);
    const ep_paper_order_t *target = found.order;
    if (!target) {
        s_reason_too_late (self, intent);
        s_reject (self, intent, router_seq, EP_FAILURE (TOO_LATE), emit, arg);
        s_tick_done (self, router_seq);
        return 1;
    }
    //  The cancel's own report names the target's order: build it first,
    //  while the target exists
    ep_paper_order_t order;
    ep_paper_order_init (&order, intent, router_seq);
    order.symbol = found.symbol->name;
    order.side = target->side;
    char left [EP_DECIMAL_BUFSIZE], total [EP_DECIMAL_BUFSIZE], filled [EP_DECIMAL_BUFSIZE];
    char canceled_reason [sizeof self->reason];
    snprintf (canceled_reason, sizeof canceled_reason,
              "canceled intent %s: %s of %s left canceled, %s filled", target->intent_id,
              ep_decimal_format (target->qty_e8 - target->filled_e8, left),
              ep_decimal_format (target->qty_e8, total),
              ep_decimal_format (target->filled_e8, filled));
    char by [sizeof self->reason];
    if (cause && *cause)
        snprintf (by, sizeof by, "canceled (%s)", cause);
    else
        snprintf (by, sizeof by, "canceled by intent %s", intent->intent_id);

    s_cancel_target (self, &found, router_seq, by, emit, arg);
    memcpy (self->reason, canceled_reason, sizeof self->reason);
    ep_report_t *report = s_report (self, &order, router_seq, EP_STATUS (CANCELED), 0, 0);
    //  The cancel has no order of its own: it names the one it canceled
    snprintf (self->venue_order_id, sizeof (self->venue_order_id), "paper-%" PRIu64,
              target_router_seq);
    emit (arg, report);
    s_tick_done (self, router_seq);
    return 2;
}


//  --------------------------------------------------------------------------
//  Executes a REPLACE at tick router_seq on the order at target_router_seq.
//  Returns the reports emitted, or -1 on out of memory with nothing emitted
//  and the book unchanged.

int
ep_paper_book_replace (ep_paper_book_t *self, const ep_intent_t *intent,
                       uint64_t router_seq, uint64_t target_router_seq,
                       ep_paper_emit_fn *emit, void *arg)
{
    assert (self);
    assert (intent);
    assert (emit);
    assert (!self->started || router_seq > self->last_seq);

    s_target_t found = s_target_find (self, target_router_seq);
    const ep_paper_order_t *target = found.order;
    //  Each refusal leaves the book as it was: nothing canceled, nothing placed
    Execplane__V1__Failure failure = EP_FAILURE (FAILURE_NONE);
    if (intent->type != EP_TYPE (LIMIT)) {
        snprintf (self->reason, sizeof (self->reason),
                  "a replacement is a LIMIT order: nothing canceled");
        failure = EP_FAILURE (INVALID_INTENT);
    }
    else
    if (!s_keeps_the_rules (self, intent))
        failure = EP_FAILURE (INVALID_INTENT);
    else
    if (!target) {
        s_reason_too_late (self, intent);
        failure = EP_FAILURE (TOO_LATE);
    }
    else
    if (target->side != intent->side || strcmp (found.symbol->name, s_text (intent->symbol))) {
        snprintf (self->reason, sizeof (self->reason),
                  "a replacement keeps its target's symbol and side: intent %s is %s %s,"
                  " this is %s %s; nothing canceled", target->intent_id,
                  ep_side_name (target->side), found.symbol->name, ep_side_name (intent->side),
                  s_text (intent->symbol));
        failure = EP_FAILURE (INVALID_INTENT);
    }
    if (failure != EP_FAILURE (FAILURE_NONE)) {
        s_reject (self, intent, router_seq, failure, emit, arg);
        s_tick_done (self, router_seq);
        return 1;
    }
    s_place_t place;
    if (s_place_prepare (self, intent, router_seq, &place))
        return -1;
    char by [sizeof self->reason];
    snprintf (by, sizeof by, "replaced by intent %s", intent->intent_id);
    //  The target goes first: the replacement's own ref never fills it
    s_cancel_target (self, &found, router_seq, by, emit, arg);
    int reports = 1 + s_place_run (self, intent, router_seq, &place, emit, arg);
    s_tick_done (self, router_seq);
    return reports;
}


//  --------------------------------------------------------------------------
//  Executes one dispatched intent by its action. Returns as the function it
//  calls.

int
ep_paper_book_dispatch (ep_paper_book_t *self, const ep_dispatch_t *dispatch,
                        ep_paper_emit_fn *emit, void *arg)
{
    assert (self);
    assert (dispatch);
    assert (dispatch->intent);
    const ep_intent_t *intent = dispatch->intent;
    uint64_t router_seq = dispatch->router_seq;
    switch (intent->action) {
        case EP_ACTION (PLACE):
            return ep_paper_book_execute (self, intent, router_seq, emit, arg);
        case EP_ACTION (CANCEL):
            return ep_paper_book_cancel (self, intent, router_seq, dispatch->target_router_seq,
                                         dispatch->cause, emit, arg);
        case EP_ACTION (REPLACE):
            return ep_paper_book_replace (self, intent, router_seq,
                                          dispatch->target_router_seq, emit, arg);
        default:
            assert (!self->started || router_seq > self->last_seq);
            snprintf (self->reason, sizeof (self->reason), "unknown action %d",
                      (int) intent->action);
            s_reject (self, intent, router_seq, EP_FAILURE (INVALID_INTENT), emit, arg);
            s_tick_done (self, router_seq);
            return 1;
    }
}


//  --------------------------------------------------------------------------
//  Puts back a resting GTC limit order with its prior fills. Returns 0, or
//  -1 if it would not rest or on out of memory, the book unchanged.

int
ep_paper_book_restore (ep_paper_book_t *self, const ep_intent_t *intent,
                       uint64_t router_seq, ep_fill_t *const *fills, size_t fill_count)
{
    assert (self);
    assert (intent);
    assert (fills || fill_count == 0);
    if (intent->action == EP_ACTION (CANCEL) || intent->type != EP_TYPE (LIMIT)
    ||  intent->tif != EP_TIF (GTC) || intent->qty_e8 <= 0)
        return -1;

    //  The fills must leave something to fill; comparing with what remains
    //  keeps the running sum from overflowing
    int64_t filled_e8 = 0;
    __int128 notional = 0;
    for (size_t index = 0; index < fill_count; index++) {
        const ep_fill_t *fill = fills [index];
        if (!fill || fill->qty_e8 <= 0 || fill->price_e8 < 0
        ||  fill->qty_e8 >= intent->qty_e8 - filled_e8)
            return -1;
        filled_e8 += fill->qty_e8;
        notional += (__int128) fill->qty_e8 * fill->price_e8;
    }
    ep_paper_symbol_t *symbol = ep_paper_orders_lookup (&self->orders, intent->symbol);
    ep_paper_order_t *order = ep_paper_order_new (intent, router_seq);
    if (!order)
        return -1;
    if (!symbol)
        symbol = ep_paper_orders_insert (&self->orders, intent->symbol);
    if (!symbol || ep_paper_orders_reserve (symbol)) {
        free (order);
        return -1;
    }
    order->filled_e8 = filled_e8;
    order->notional = notional;
    order->fill_count = fill_count;
    ep_paper_orders_add (&self->orders, symbol, order);
    if (!self->started || router_seq > self->last_seq)
        self->last_seq = router_seq;
    self->started = true;
    return 0;
}


//  --------------------------------------------------------------------------
//  Number of orders resting in the book.

size_t
ep_paper_book_resting (const ep_paper_book_t *self)
{
    assert (self);
    return self->orders.resting;
}
