/*  ep_target: the order a CANCEL or REPLACE means, and whether it can still
    be reached. Intents are keyed by (strategy_id, intent_id), so the
    target is looked up under the intent's own strategy: a strategy names
    only its own orders, and a key speaks for another strategy's orders
    only if it may speak for that strategy (ep_intake_attribute). An order
    still in flight is where the intent goes (the plane and plane epoch
    that hold it, whatever plane is selected now); one whose terminal
    report the router has makes the intent TOO_LATE.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_names.h"

//  Why a target that is not in flight cannot be reached: how it ended.
static void
s_too_late (ep_router_t *self, uint64_t router_seq, const char *target_id, int *failure,
            char *reason, size_t size)
{
    int status = 0;
    int ended = ep_journal_ending (self->journal, router_seq, &status);
    *failure = EP_FAILURE (TOO_LATE);
    if (ended == 1)
        snprintf (reason, size, "the target %s already ended %s", target_id,
                  ep_status_name (status) ? ep_status_name (status) : "?");
    else
        snprintf (reason, size, "the target %s is no longer open", target_id);
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
        //  A zombie's terminal report is made: for its strategy it has ended.
        if (!dispatched || !entry || entry->zombie)
            s_too_late (self, router_seq, target_id, failure, reason, size);
        else
            target->router_seq = router_seq;
    }
    execplane__v1__order_intent__free_unpacked (order, NULL);
    return EP_ROUTER_OK;
}
