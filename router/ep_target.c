/*  ep_target: the order a CANCEL or REPLACE means, and whether it can still
    be reached. Intents are keyed by (strategy_id, intent_id), so the
    target is looked up under the intent's own strategy: a strategy names
    only its own orders, and a key speaks for another strategy's orders
    only if it may speak for that strategy (ep_intake_attribute). An order
    still in flight is where the intent goes (the plane and plane epoch
    that hold it, whatever plane is selected now); one whose terminal
    report the router has makes the intent TOO_LATE, except for a CANCEL of
    a live order that ended UNKNOWN / SEND_UNKNOWN (its answer was lost: it
    may rest at the venue) and that its plane has not since said ended:
    that cancel goes to the live plane and epoch that held the order, which
    cancels it by its client order id. Paper has no such orders.

    The router's own cancels (CANCEL_ALL, HALT with cancel_open) are
    intents too: each gets a router_seq, an intent_id of its own
    ("<kind>.<router_seq>") under the target's strategy, is journaled with
    the sender of the command, and its cause (the command, as the target's
    report names it) is journaled as an event "cancel-cause" whose detail
    starts with the cancel's router_seq, so that a replay can repeat it.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_sock.h"

//  The plane's last word on an intent: its newest plane report.
typedef struct {
    bool said;                          //  the plane reported on it
    int status;                         //  the newest report's status
    bool terminal;                      //  and whether the plane made it terminal
} s_word_t;

static void
s_collect_word (void *arg, uint64_t seq, const void *payload, size_t size)
{
    (void) seq;
    s_word_t *word = arg;
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    if (report) {
        word->said = true;
        word->status = report->status;
        word->terminal = report->terminal;
        execplane__v1__execution_report__free_unpacked (report, NULL);
    }
}

//  How router_seq ended, as the router knows it now: the status of its
//  terminal report, or, when that was UNKNOWN, of the plane's later word
//  that it ended (a late or reconciled report). *reachable: it ended
//  UNKNOWN and the plane has not said since that it ended. Returns 1 if
//  it has a terminal report, 0 if not, -1 on failure.
static int
s_ending (ep_router_t *self, uint64_t router_seq, int *status, bool *reachable)
{
    *reachable = false;
    int ended = ep_journal_ending (self->journal, router_seq, status);
    if (ended != 1 || *status != EP_STATUS (UNKNOWN))
        return ended;
    s_word_t word = { 0 };
    if (ep_journal_plane_reports (self->journal, router_seq, s_collect_word, &word))
        return -1;
    if (word.said && word.terminal && word.status != EP_STATUS (UNKNOWN))
        *status = word.status;
    else
        *reachable = true;
    return 1;
}

//  Why a target that is not in flight cannot be reached: how it ended.
static void
s_too_late (ep_router_t *self, uint64_t router_seq, const char *target_id, int *failure,
            char *reason, size_t size)
{
    int status = 0;
    bool reachable;
    int ended = s_ending (self, router_seq, &status, &reachable);
    *failure = EP_FAILURE (TOO_LATE);
    if (ended == 1)
        snprintf (reason, size, "the target %s already ended %s", target_id,
                  ep_status_name (status) ? ep_status_name (status) : "?");
    else
        snprintf (reason, size, "the target %s is no longer open", target_id);
}

//  Whether a CANCEL still reaches a live order that is not in flight (or
//  is a zombie): it ended UNKNOWN, and its plane has not said since that
//  it ended. On a journal failure, *failure INTERNAL.
static bool
s_unknown_reachable (ep_router_t *self, uint64_t router_seq, int *failure, char *reason,
                     size_t size, const char *target_id)
{
    int status = 0;
    bool reachable = false;
    if (s_ending (self, router_seq, &status, &reachable) < 0) {
        *failure = EP_FAILURE (INTERNAL);
        snprintf (reason, size, "the journal could not tell how %s ended", target_id);
        return false;
    }
    return reachable;
}

//  The checks on the target's own intent: it is an order, and a REPLACE
//  keeps its symbol and side.
static bool
s_order_matches (const ep_intent_t *intent, const ep_intent_t *order, int *failure,
                 char *reason, size_t size)
{
    *failure = EP_FAILURE (INVALID_INTENT);
    if (order->action == EP_ACTION (CANCEL))
        snprintf (reason, size, "the target %s is a CANCEL, not an order", order->intent_id);
    else
    if (intent->action == EP_ACTION (REPLACE)
    &&  (strcmp (intent->symbol, order->symbol) || intent->side != order->side))
        snprintf (reason, size, "a REPLACE keeps the target's symbol and side (%s is %s %s)",
                  order->intent_id, order->symbol,
                  ep_side_name (order->side) ? ep_side_name (order->side) : "?");
    else {
        *failure = EP_FAILURE (FAILURE_NONE);
        return true;
    }
    return false;
}

ep_router_status_t
ep_target_judge (ep_router_t *self, const ep_intent_t *intent, ep_target_t *target,
                 int *failure, char *reason, size_t size)
{
    memset (target, 0, sizeof *target);
    const char *target_id = intent->target_intent_id;
    uint64_t router_seq = 0;
    int found = ep_journal_find_intent (self->journal, intent->strategy_id, target_id,
                                        &router_seq);
    void *payload = NULL;
    size_t payload_size = 0;
    bool dispatched = false;
    if (found == 1
    &&  ep_journal_intent (self->journal, router_seq, &target->plane, &target->epoch,
                           &dispatched, &payload, &payload_size) != 1)
        found = -1;
    if (found < 0) {
        *failure = EP_FAILURE (INTERNAL);
        snprintf (reason, size, "the journal could not tell what %s is", target_id);
        return EP_ROUTER_OK;
    }
    if (found == 0) {
        *failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, size, "strategy %s has no intent %s", intent->strategy_id, target_id);
        return EP_ROUTER_OK;
    }
    ep_intent_t *order = execplane__v1__order_intent__unpack (NULL, payload_size, payload);
    free (payload);
    if (!order)
        return EP_ROUTER_NO_MEMORY;     //  it was decoded once, when it came in
    if (s_order_matches (intent, order, failure, reason, size)) {
        ep_inflight_entry_t *entry = ep_inflight_find (self->inflight, router_seq);
        bool open = dispatched && entry && !entry->zombie;
        //  A zombie's terminal report is made: for its strategy it has
        //  ended, unless that report was a live order's UNKNOWN: it may
        //  rest at the venue, and a cancel is what the trader needs most.
        bool unknown = !open && dispatched && target->plane == EP_PLANE (LIVE)
                    && intent->action == EP_ACTION (CANCEL)
                    && s_unknown_reachable (self, router_seq, failure, reason, size,
                                            target_id);
        if (open || unknown)
            target->router_seq = router_seq;
        else
        if (*failure != EP_FAILURE (INTERNAL))
            s_too_late (self, router_seq, target_id, failure, reason, size);
    }
    execplane__v1__order_intent__free_unpacked (order, NULL);
    return EP_ROUTER_OK;
}

void
ep_target_stamp_known (ep_router_t *self, ep_dispatch_t *dispatch)
{
    uint64_t target = dispatch->target_router_seq;
    if (!target || dispatch->plane != EP_PLANE (LIVE)
    ||  ep_inflight_find (self->inflight, target))
        return;
    //  Ended UNKNOWN: its plane follows it no more. What the router has of
    //  its fills, so that only what is new is told, as for a reconciliation
    ep_known_fills_t known = ep_reports_known_fills (self, target);
    dispatch->known_filled_qty_e8 = known.filled_qty_e8;
    dispatch->known_avg_price_e8 = known.avg_price_e8;
    dispatch->known_fills = known.fills;
}

//  --------------------------------------------------------------------------
//  The router's own cancels

//  What a sweep of open orders collects (ep_inflight_each may not add).
typedef struct {
    ep_router_t *router;
    const char *strategy_id;            //  "": every strategy
    int plane;                          //  0: every plane
    uint64_t *seqs;                     //  the targets' router_seqs
    size_t count, size;
    bool out_of_memory;
} s_sweep_t;

static void
s_sweep_add (s_sweep_t *sweep, uint64_t router_seq)
{
    if (sweep->count == sweep->size) {
        size_t size = sweep->size ? sweep->size * 2 : 64;
        uint64_t *seqs = realloc (sweep->seqs, size * sizeof *seqs);
        if (!seqs) {
            sweep->out_of_memory = true;
            return;
        }
        sweep->seqs = seqs;
        sweep->size = size;
    }
    sweep->seqs [sweep->count++] = router_seq;
}

static void
s_collect_open (void *arg, ep_inflight_entry_t *entry)
{
    s_sweep_t *sweep = arg;
    //  A zombie is included: its terminal report is made, yet its plane
    //  holds it resting (on live, with its balance locked at the venue).
    if (entry->action == EP_ACTION (CANCEL)
    ||  (*sweep->strategy_id && strcmp (entry->strategy_id, sweep->strategy_id))
    ||  (sweep->plane && entry->plane != sweep->plane))
        return;
    //  Already being canceled by the router: a repeat sends no second cancel.
    if (entry->canceled_by && ep_inflight_find (sweep->router->inflight, entry->canceled_by))
        return;
    s_sweep_add (sweep, entry->router_seq);
}

//  The live orders that ended UNKNOWN: they may rest at the venue.
static void
s_collect_unknown (s_sweep_t *sweep)
{
    ep_router_t *self = sweep->router;
    if (sweep->plane && sweep->plane != EP_PLANE (LIVE))
        return;
    for (size_t i = 0; i < self->unknown.count; i++) {
        ep_unknown_entry_t *entry = &self->unknown.entries [i];
        if ((*sweep->strategy_id && strcmp (entry->strategy_id, sweep->strategy_id))
        ||  ep_inflight_find (self->inflight, entry->router_seq)
        ||  (entry->canceled_by && ep_inflight_find (self->inflight, entry->canceled_by)))
            continue;
        s_sweep_add (sweep, entry->router_seq);
    }
}

static int
s_compare_seqs (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

//  An order the router cancels: in flight (or a zombie), or ended UNKNOWN.
typedef struct {
    uint64_t router_seq;
    int plane;
    uint64_t plane_epoch;
    char strategy_id [EP_ID_MAX + 1];
    char intent_id [EP_ID_MAX + 1];
    bool unknown;                       //  ended UNKNOWN: not in flight
} s_order_t;

//  Finds router_seq among the orders in flight, then the UNKNOWN ones.
static bool
s_order_find (ep_router_t *self, uint64_t router_seq, s_order_t *order)
{
    memset (order, 0, sizeof *order);
    order->router_seq = router_seq;
    ep_inflight_entry_t *entry = ep_inflight_find (self->inflight, router_seq);
    ep_unknown_entry_t *unknown = entry ? NULL : ep_unknown_find (&self->unknown, router_seq);
    if (entry) {
        order->plane = entry->plane;
        order->plane_epoch = entry->plane_epoch;
        snprintf (order->strategy_id, sizeof order->strategy_id, "%s", entry->strategy_id);
        snprintf (order->intent_id, sizeof order->intent_id, "%s", entry->intent_id);
    }
    else
    if (unknown) {
        order->plane = EP_PLANE (LIVE);
        order->plane_epoch = unknown->plane_epoch;
        order->unknown = true;
        snprintf (order->strategy_id, sizeof order->strategy_id, "%s", unknown->strategy_id);
        snprintf (order->intent_id, sizeof order->intent_id, "%s", unknown->intent_id);
    }
    return entry || unknown;
}

//  Makes, journals and queues the router's cancel of target. Returns
//  EP_ROUTER_OK (*sent says whether it went), or why the router must stop.
static ep_router_status_t
s_cancel_one (ep_router_t *self, const s_order_t *target, const char *kind,
              const char *cause, const char *sender, bool *sent)
{
    *sent = false;
    uint64_t router_seq = ++self->last_router_seq;
    char intent_id [EP_ID_MAX + 1];
    snprintf (intent_id, sizeof intent_id, "%s.%llu", kind, (unsigned long long) router_seq);
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = intent_id;
    intent.strategy_id = (char *) target->strategy_id;
    intent.action = EP_ACTION (CANCEL);
    intent.target_intent_id = (char *) target->intent_id;
    int claim = ep_journal_claim (self->journal, intent.strategy_id, intent_id, router_seq);
    if (claim < 0)
        return EP_ROUTER_JOURNAL_WRITE;
    if (claim == 0)                     //  the strategy took that id: leave this one
        return EP_ROUTER_OK;
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.intent = &intent;
    dispatch.plane = target->plane;
    dispatch.plane_epoch = target->plane_epoch;
    dispatch.router_seq = router_seq;
    dispatch.router_boot = self->boot;
    dispatch.target_router_seq = target->router_seq;
    dispatch.cause = (char *) cause;
    if (target->plane == EP_PLANE (LIVE))
        ep_delivery_stamp_live (self, &dispatch, true);
    ep_target_stamp_known (self, &dispatch);
    size_t intent_size, packed_size;
    uint8_t *payload = ep_router_pack (&intent.base, &intent_size);
    uint8_t *packed = ep_router_pack (&dispatch.base, &packed_size);
    char detail [1024];
    snprintf (detail, sizeof detail, "%llu cancels %llu: %s", (unsigned long long) router_seq,
              (unsigned long long) target->router_seq, cause);
    ep_router_status_t status = EP_ROUTER_OK;
    if (!payload || !packed)
        status = EP_ROUTER_NO_MEMORY;
    else
    if (ep_journal_add_intent (self->journal, router_seq, intent.strategy_id, intent_id,
                               target->plane, target->plane_epoch, true, sender, payload,
                               intent_size)
    ||  ep_journal_add_event (self->journal, self->last_seq, "cancel-cause", detail))
        status = EP_ROUTER_JOURNAL_WRITE;
    else {
        int64_t deadline = target->plane == EP_PLANE (LIVE) ? self->config.live_deadline_ms
                                                            : self->config.paper_deadline_ms;
        if (!ep_inflight_add (self->inflight, router_seq, &intent, target->plane,
                              target->plane_epoch, ep_sock_clock_ms () + deadline, false)
        ||  ep_outbox_push (&self->pending, ep_exec_topic (dispatch.plane), packed,
                            packed_size, router_seq))
            status = EP_ROUTER_NO_MEMORY;
        else {
            packed = NULL;              //  the outbox owns it
            ep_inflight_entry_t *open = ep_inflight_find (self->inflight, target->router_seq);
            ep_unknown_entry_t *unknown = ep_unknown_find (&self->unknown, target->router_seq);
            if (open)
                open->canceled_by = router_seq;
            else
            if (unknown)
                unknown->canceled_by = router_seq;
            self->stats.accepted++;
            *sent = true;
        }
    }
    free (payload);
    free (packed);
    return status;
}

ep_router_status_t
ep_target_cancel_open (ep_router_t *self, const char *strategy_id, int plane, const char *kind,
                       const char *cause, const char *sender, size_t *sent, size_t *left)
{
    *sent = *left = 0;
    s_sweep_t sweep = { .router = self, .strategy_id = strategy_id ? strategy_id : "",
                        .plane = plane };
    ep_inflight_each (self->inflight, s_collect_open, &sweep);
    s_collect_unknown (&sweep);
    if (sweep.out_of_memory) {
        free (sweep.seqs);
        return EP_ROUTER_NO_MEMORY;
    }
    //  In router_seq order, so that the journal and a replay read the same.
    if (sweep.count)
        qsort (sweep.seqs, sweep.count, sizeof *sweep.seqs, s_compare_seqs);
    ep_router_status_t status = ep_journal_begin (self->journal) ? EP_ROUTER_JOURNAL_WRITE
                                                                 : EP_ROUTER_OK;
    for (size_t i = 0; i < sweep.count && !status; i++) {
        s_order_t target;
        bool went = false;
        //  A plane without a living worker would not hear it: left, and said so.
        if (!s_order_find (self, sweep.seqs [i], &target)
        ||  !self->link.worker [target.plane].alive)
            ;
        else
            status = s_cancel_one (self, &target, kind, cause, sender, &went);
        if (went)
            (*sent)++;
        else
            (*left)++;
    }
    free (sweep.seqs);
    return status;
}

//  --------------------------------------------------------------------------
//  The live orders that ended UNKNOWN

//  Logs an order dropped from the bounded set.
static void
s_log_dropped (uint64_t dropped)
{
    if (dropped)
        ep_log_warn ("router: more than %d live orders ended UNKNOWN: router_seq %llu is "
                     "no longer swept by cancel-all and the kill switch (a cancel that "
                     "names it still reaches it)", EP_UNKNOWN_MAX,
                     (unsigned long long) dropped);
}

void
ep_target_remember_unknown (ep_router_t *self, const ep_inflight_entry_t *entry)
{
    if (!entry || entry->plane != EP_PLANE (LIVE) || entry->action == EP_ACTION (CANCEL))
        return;
    uint64_t dropped = 0;
    if (!ep_unknown_add (&self->unknown, entry->router_seq, entry->strategy_id,
                         entry->intent_id, entry->plane_epoch, &dropped) && !dropped)
        ep_log_warn ("router: out of memory: router_seq %llu, ended UNKNOWN, is not swept by "
                     "cancel-all and the kill switch", (unsigned long long) entry->router_seq);
    s_log_dropped (dropped);
}

void
ep_target_late_word (ep_router_t *self, uint64_t router_seq, int status, bool terminal)
{
    if (!(terminal && status == EP_STATUS (UNKNOWN)))
        ep_unknown_remove (&self->unknown, router_seq);
}

typedef struct {
    ep_router_t *router;
    ep_router_status_t status;
} s_recover_t;

static void
s_recover_unknown (void *arg, uint64_t router_seq, int plane, uint64_t epoch, bool acked,
                   const void *payload, size_t size)
{
    (void) acked;
    s_recover_t *recover = arg;
    ep_router_t *self = recover->router;
    int ending = 0;
    bool reachable = false;
    if (recover->status || plane != EP_PLANE (LIVE))
        return;
    if (s_ending (self, router_seq, &ending, &reachable) < 0) {
        recover->status = EP_ROUTER_JOURNAL_WRITE;
        return;
    }
    ep_intent_t *intent = reachable
        ? execplane__v1__order_intent__unpack (NULL, size, payload) : NULL;
    if (intent && intent->action != EP_ACTION (CANCEL)) {
        uint64_t dropped = 0;
        if (!ep_unknown_add (&self->unknown, router_seq, intent->strategy_id,
                             intent->intent_id, epoch, &dropped) && !dropped)
            recover->status = EP_ROUTER_NO_MEMORY;
        s_log_dropped (dropped);
    }
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
}

ep_router_status_t
ep_target_recover_unknown (ep_router_t *self)
{
    s_recover_t recover = { self, EP_ROUTER_OK };
    if (ep_journal_ended_unknown (self->journal, EP_PLANE (LIVE), EP_STATUS (UNKNOWN),
                                  EP_UNKNOWN_MAX, s_recover_unknown, &recover))
        return EP_ROUTER_JOURNAL_WRITE;
    if (self->unknown.count)
        ep_log_info ("router: %zu live order(s) ended UNKNOWN are swept by cancel-all and "
                     "the kill switch", self->unknown.count);
    return recover.status;
}
