/*  ep_paper_book: the paper execution plane's fill engine.

    A pure library: no I/O, no clock, no randomness, no floating point. Its
    input is the stream of intents dispatched to the paper plane, in
    router_seq order; its output is execution reports. Logical time is the
    router_seq of the intent being executed: it stamps each report's
    logical_ts, and the fill ids derive from the order's own router_seq, so
    every byte of every report derives from the input stream and the config.

    Rules (one "tick" per executed intent):
    1. Crossing: before the new intent itself, every resting order on the
       same symbol, oldest first, is checked against the new intent's
       ref_price_e8. A resting BUY crosses when ref <= limit, a SELL when
       ref >= limit. A crossing order fills at its limit price, at most
       liquidity_cap_e8 per tick (0 = no cap); one report per order filled.
       The cap bounds each order's fill separately, not the tick's total.
       Only the ref decides: the new intent's own side, type and limit play
       no part, and resting orders never match one another.
    2. MARKET: fills at ref_price moved against the taker by slippage_bps:
       BUY pays ref * (10000 + bps) / 10000 rounded up, SELL receives
       ref * (10000 - bps) / 10000 rounded down (rounding never favours the
       taker). TIF unspecified means IOC. IOC fills min(qty, cap) and the
       remainder ends EXPIRED; FOK fills entirely or ends EXPIRED with
       nothing filled. GTC is not accepted for MARKET (router rejects it);
       should one arrive, it is treated as IOC: a market order never rests.
    3. LIMIT: marketable when BUY ref <= limit or SELL ref >= limit, and then
       fills at the limit price, up to the cap. GTC: what is not filled
       rests (ACCEPTED when nothing filled, PARTIALLY_FILLED otherwise) until
       later ticks cross it; IOC: the remainder ends EXPIRED; FOK: all or
       EXPIRED with nothing. No slippage applies to LIMIT. The router
       requires a tif for LIMIT; without one the book treats it as IOC. An
       order that rests is first crossed by the next tick, not its own.
    4. One report per order per tick: status, the tick's new fills, the
       cumulative filled quantity and the average price
       (sum(qty * price) / sum(qty), rounded down; 0 while nothing is
       filled), terminal when FILLED or EXPIRED. A report carries at most
       one fill. Fees are zero. fill_id is "<router_seq>.<n>", n counting the
       order's fills from 1; venue_order_id is "paper-<router_seq>";
       logical_ts is the tick, router_seq the order's own; plane is PAPER,
       failure FAILURE_NONE, seq and plane_epoch 0 (the router stamps them).
       The reason is short fixed text with exact decimals, e.g. "filled at
       100.5 (ref 100, 50 bps slippage)", "resting (GTC): ref 100 does not
       cross limit 99", "crossed by ref 99: filled 2 at limit 100, 4 of 5
       filled, resting (GTC)", "FOK: cannot fill 5 entirely (cap 2)".

    Cancel and replace (the order lifecycle), at the logical time of the
    CANCEL or REPLACE intent, its own router_seq N:
    5. CANCEL of the order at target_router_seq: if it still rests at N,
       what is left of it is removed. Two reports, in this order: the
       target's own, CANCELED and terminal, with its fills so far (no new
       fill; filled quantity and average price as reported before), its
       reason naming the cancel ("canceled by intent c1: 2 of 5 filled, 3
       canceled", or the router's cause when the cancel is the router's own,
       "canceled (cancel-all by ops: end of day): ..."), target_intent_id
       empty; then the cancel's, CANCELED / FAILURE_NONE, terminal, with
       the target's symbol, side and venue_order_id, target_intent_id the
       target's, nothing filled, its reason saying what was canceled
       ("canceled intent t1: 3 of 5 left canceled, 2 filled"). If nothing
       rests at target_router_seq (the target filled, expired, was
       canceled, never rested, or no such order), one report: the cancel's,
       REJECTED / TOO_LATE, terminal, with target_intent_id and no
       venue_order_id, and the book is unchanged. Its reason cannot say
       how the target ended: a restarted book knows only what rests, and
       the reason must not depend on a restart; the target's own stream
       says how it ended.
    6. REPLACE of the order at target_router_seq: the replacement must be a
       LIMIT on the target's symbol and side, else one REJECTED /
       INVALID_INTENT report (no venue_order_id, like every rejection) and
       nothing changes; if the target no longer rests, one REJECTED /
       TOO_LATE report and nothing is placed.
       Otherwise the target is canceled as in 5 (reason "replaced by intent
       r1: ..."), then the REPLACE executes as a new LIMIT order under its
       own router_seq, by rules 1 to 4 (its ref crosses the other resting
       orders; the target is already gone). There is no separate report for
       the cancel part: the replacement's own reports are the REPLACE
       intent's lifecycle, and each carries target_intent_id. A rejected
       REPLACE crosses nothing.
    7. Races, decided by logical time alone: a fill of the target caused by
       an intent before N happened (it is in the target's reports, and the
       cancel removes only what remained); an intent after N finds nothing
       of the target to fill. The book identifies the target only by
       target_router_seq: the router resolved target_intent_id and checked
       the strategy.

    The instrument rules (config.instruments, the table ep-live exports):
    0. When the table is not empty, a PLACE, or a REPLACE's new order, that
       breaks its symbol's rules (ep_instrument_check; a symbol not in the
       table) is one REJECTED / INVALID_INTENT report whose reason names
       the rule and the values ("instrument rules: LOT_SIZE: qty 0.0005 is
       below its minimum 0.001"); it crosses nothing and changes nothing
       (a REPLACE cancels nothing). Nothing is ever rounded to fit.

    The caller validates intents (ids, enums, positive quantities and prices
    no larger than EP_MAX_E8) before they reach the book.  */
#ifndef EP_PAPER_BOOK_H_INCLUDED
#define EP_PAPER_BOOK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "ep_instrument.h"
#include "ep_wire.h"

typedef struct {
    int64_t slippage_bps;       //  0..10000
    int64_t liquidity_cap_e8;   //  max quantity per fill per tick; 0 = no cap
    const ep_instruments_t *instruments;    //  rule 0; NULL or empty: none (copied)
} ep_paper_config_t;

typedef struct _ep_paper_book_t ep_paper_book_t;

//  Receives each report the book produces, in order. The report and
//  everything it points to belong to the book and are valid only during the
//  call: pack or copy it there. It must not call into the book.
typedef void (ep_paper_emit_fn) (void *arg, const ep_report_t *report);

//  Creates an empty book. Returns NULL if the config is out of range
//  (slippage_bps outside 0..10000, negative cap) or on out of memory.
ep_paper_book_t *ep_paper_book_new (const ep_paper_config_t *config);

//  Destroys the book and NULLs *self_p. Safe on a NULL *self_p.
void ep_paper_book_destroy (ep_paper_book_t **self_p);

//  Executes one PLACE intent at tick router_seq, emitting the reports for
//  resting orders it crosses and then its own report(s), in that order.
//  router_seq must be greater than that of every intent executed or
//  restored before. Returns the number of reports emitted (>= 1), or -1 on
//  out of memory, in which case nothing was emitted and the book is
//  unchanged. The intent's action is PLACE: ep_paper_book_dispatch takes
//  any action.
int ep_paper_book_execute (ep_paper_book_t *self, const ep_intent_t *intent,
                           uint64_t router_seq, ep_paper_emit_fn *emit, void *arg);

//  Executes a CANCEL intent at tick router_seq (rule 5) on the order at
//  target_router_seq. cause, when neither NULL nor empty, is the plane
//  command that made the cancel, named in the target's reason in place of
//  the intent. router_seq as for ep_paper_book_execute. Returns the
//  reports emitted (2 when it took effect, 1 when too late); it allocates
//  nothing, so it cannot fail.
int ep_paper_book_cancel (ep_paper_book_t *self, const ep_intent_t *intent,
                          uint64_t router_seq, uint64_t target_router_seq, const char *cause,
                          ep_paper_emit_fn *emit, void *arg);

//  Executes a REPLACE intent at tick router_seq (rule 6) on the order at
//  target_router_seq. Returns the reports emitted (>= 1), or -1 on out of
//  memory, in which case nothing was emitted and the book is unchanged.
int ep_paper_book_replace (ep_paper_book_t *self, const ep_intent_t *intent,
                           uint64_t router_seq, uint64_t target_router_seq,
                           ep_paper_emit_fn *emit, void *arg);

//  Executes one dispatched intent by its action, at tick
//  dispatch->router_seq: PLACE as ep_paper_book_execute, CANCEL and
//  REPLACE as above with dispatch->target_router_seq (and, for a CANCEL,
//  dispatch->cause). An action the book does not know gets one report,
//  REJECTED / INVALID_INTENT, and changes nothing. dispatch->intent is
//  not NULL. Returns as the function it calls.
int ep_paper_book_dispatch (ep_paper_book_t *self, const ep_dispatch_t *dispatch,
                            ep_paper_emit_fn *emit, void *arg);

//  Puts back a resting GTC limit order that an earlier book accepted, with
//  the fills it already reported (in order), so that a restarted worker
//  carries on exactly as the one before it would have. Emits nothing.
//  Orders may be restored in any order: each symbol's orders are kept
//  oldest (lowest router_seq) first. A REPLACE's order is restored like a
//  PLACE's, and its later reports carry its target_intent_id again; a
//  canceled order is not among those the router hands back. Returns 0, or
//  -1 if the order would not rest (a CANCEL, not GTC LIMIT, already fully
//  filled, a fill with qty <= 0 or price < 0) or on out of memory; on -1
//  the book is unchanged.
int ep_paper_book_restore (ep_paper_book_t *self, const ep_intent_t *intent,
                           uint64_t router_seq, ep_fill_t *const *fills, size_t fill_count);

//  Number of orders resting in the book.
size_t ep_paper_book_resting (const ep_paper_book_t *self);

#endif
