/*  ep_intake: the intents strategies push. Each readable intent gets a
    router_seq, is journaled, and is either dispatched to the selected
    plane or refused with a terminal report. The checks, in order: whose
    stream its reports go to (attribution), its ids and text, the Safety
    Sell key rule, duplicates (a journal claim), validation, a CANCEL's or
    REPLACE's target (ep_target), halt (which lets a CANCEL through), and a
    live worker for the plane. A CANCEL or REPLACE goes to the plane and
    epoch that hold its target, whatever plane is selected.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_security.h"
#include "ep_sock.h"
#include "ep_utf8.h"

void
ep_intake_count_malformed (ep_router_t *self, const char *why, size_t size)
{
    self->stats.malformed++;
    self->malformed.unlogged++;
    int64_t now = ep_sock_clock_ms ();
    if (now - self->malformed.logged_ms >= 1000) {
        ep_log_warn ("intake: %llu malformed message(s) dropped without report; last: %s "
                     "(%zu bytes)", (unsigned long long) self->malformed.unlogged, why, size);
        self->malformed.logged_ms = now;
        self->malformed.unlogged = 0;
    }
}

//  Malformed messages counted since the last log line are logged within a
//  second or so, not only when the next one arrives.
void
ep_intake_log_malformed (ep_router_t *self, int64_t now)
{
    if (self->malformed.unlogged && now - self->malformed.logged_ms >= 1000) {
        ep_log_warn ("intake: %llu malformed message(s) dropped without report",
                     (unsigned long long) self->malformed.unlogged);
        self->malformed.logged_ms = now;
        self->malformed.unlogged = 0;
    }
}

//  An intent goes to its strategy's stream (outcome.<strategy_id>) only if
//  its strategy_id is valid and its sender may speak for that strategy.
//  Anything else is told to the sender alone, on its own stream
//  (refused.<sender key>, empty strategy_id): a key that may not speak for
//  a strategy must never put anything in that strategy's topic, journal
//  view or query replay, not even a refusal.
bool
ep_intake_attribute (const ep_peer_t *peer, const ep_intent_t *intent, bool curve,
                     int *failure, char *reason, size_t size)
{
    if (!ep_id_valid (intent->strategy_id)) {
        *failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, size, "strategy_id must be 1 to %d characters of A-Z a-z 0-9 . _ : -",
                  EP_ID_MAX);
        return false;
    }
    if (curve && !ep_key_info_speaks_for (&peer->info, intent->strategy_id)) {
        *failure = EP_FAILURE (UNAUTHORIZED);
        snprintf (reason, size, "key %s may not speak for strategy %s", peer->info.name,
                  intent->strategy_id);
        return false;
    }
    return true;
}

bool
ep_intake_may_send_safety (const ep_peer_t *peer, const ep_intent_t *intent, bool curve,
                           char *reason, size_t size)
{
    if (!curve || !intent->safety || peer->info.role == EP_ROLE_SAFETY)
        return true;
    snprintf (reason, size, "only a safety key may send a Safety Sell (key %s is a %s key)",
              peer->info.name, ep_role_name (peer->info.role));
    return false;
}

//  An intent as intake reads it.
typedef struct {
    const uint8_t *data;                //  as it came
    size_t size;
    ep_intent_t *intent;                //  decoded (in the arena)
    ep_text_t text;                     //  what its text allows
    const char *bad_field;              //  on EP_TEXT_BAD_FIELD
    uint64_t router_seq;                //  its acceptance number
    int plane;                          //  where it goes: the plane selected, or its target's
    uint64_t epoch;                     //  likewise, the epoch
    uint64_t target_router_seq;         //  a CANCEL's or REPLACE's target, once judged
    int64_t read_us;                    //  when it was read (wall clock)
    bool attributed;                    //  told to its strategy's stream
    int failure;                        //  FAILURE_NONE: dispatch it
    size_t claim_writes;                //  the journal writes of its duplicate-id claim
    char reason [512];
} s_intent_t;

//  A CANCEL or REPLACE goes where its target is held, if it can still be
//  reached; refused (and reported on the selected plane) if not.
static ep_router_status_t
s_check_target (ep_router_t *self, s_intent_t *in)
{
    ep_target_t target;
    ep_router_status_t status = ep_target_judge (self, in->intent, &target, &in->failure,
                                                 in->reason, sizeof in->reason);
    if (!status && !in->failure) {
        in->plane = target.plane;
        in->epoch = target.epoch;
        in->target_router_seq = target.router_seq;
    }
    return status;
}

//  The checks once the intent is attributed, its text and the safety rule
//  passed: duplicates, validation, a target, halt, a live worker.
static ep_router_status_t
s_check_claimed (ep_router_t *self, s_intent_t *in)
{
    ep_intent_t *intent = in->intent;
    size_t writes = ep_journal_open_writes (self->journal);
    int claim = ep_journal_claim (self->journal, intent->strategy_id, intent->intent_id,
                                  in->router_seq);
    in->claim_writes = ep_journal_open_writes (self->journal) - writes;
    if (claim < 0)
        return EP_ROUTER_JOURNAL_WRITE;
    if (claim == 0) {
        in->failure = EP_FAILURE (DUPLICATE_INTENT);
        snprintf (in->reason, sizeof in->reason, "intent_id %s was already used by strategy %s",
                  intent->intent_id, intent->strategy_id);
    }
    else
    if (!ep_validate_intent (intent, in->reason, sizeof in->reason))
        in->failure = EP_FAILURE (INVALID_INTENT);
    if (!in->failure && intent->action != EP_ACTION (PLACE)) {
        ep_router_status_t status = s_check_target (self, in);
        if (status)
            return status;
    }
    //  HALT stops what would place an order; a CANCEL only takes one away.
    if (in->failure)
        ;
    else
    if (self->state.halted && !intent->safety && intent->action != EP_ACTION (CANCEL)) {
        in->failure = EP_FAILURE (PLANE_HALTED);
        snprintf (in->reason, sizeof in->reason, "execution is halted (by %s: %s)",
                  self->state.issued_by, self->state.reason);
    }
    else
    if (!self->link.worker [in->plane].alive) {
        char why [512];
        ep_definitions_problem (self, in->plane, why, sizeof why);
        in->failure = EP_FAILURE (PLANE_UNAVAILABLE);
        snprintf (in->reason, sizeof in->reason, "no %s worker is alive%s%.400s",
                  in->plane == EP_PLANE (LIVE) ? "live" : "paper", *why ? ": " : "", why);
    }
    else
    if (intent->action != EP_ACTION (CANCEL)
    &&  !ep_definitions_may_serve (self, in->plane, self->link.worker [in->plane].definition,
                                   in->reason, sizeof in->reason))
        //  A revoked definition places nothing new; what rests is still
        //  followed, and may be canceled
        in->failure = EP_FAILURE (PLANE_UNAVAILABLE);
    return EP_ROUTER_OK;
}

//  Decides: sets in->attributed, and in->failure with its reason unless
//  the intent is to be dispatched.
static ep_router_status_t
s_judge (ep_router_t *self, const ep_peer_t *peer, s_intent_t *in)
{
    bool curve = ep_security_curve ();
    in->failure = EP_FAILURE (FAILURE_NONE);
    in->attributed = ep_intake_attribute (peer, in->intent, curve, &in->failure, in->reason,
                                          sizeof in->reason);
    if (!in->attributed)
        return EP_ROUTER_OK;
    if (!ep_id_valid (in->intent->intent_id)) {
        in->failure = EP_FAILURE (INVALID_INTENT);
        snprintf (in->reason, sizeof in->reason, "intent_id must be 1 to %d characters of "
                  "A-Z a-z 0-9 . _ : -", EP_ID_MAX);
    }
    else
    if (in->text == EP_TEXT_BAD_FIELD) {
        in->failure = EP_FAILURE (INVALID_INTENT);
        snprintf (in->reason, sizeof in->reason, "%s is not UTF-8 text without NUL",
                  in->bad_field);
    }
    else
    if (!ep_intake_may_send_safety (peer, in->intent, curve, in->reason, sizeof in->reason))
        in->failure = EP_FAILURE (UNAUTHORIZED);
    else
        return s_check_claimed (self, in);
    return EP_ROUTER_OK;
}

//  Queues the intent's dispatch and enters it in flight with its plane's
//  deadline. verbatim: forwarded as the bytes it came in.
static ep_router_status_t
s_dispatch (ep_router_t *self, s_intent_t *in, bool verbatim)
{
    int plane = in->plane;
    int64_t deadline = plane == EP_PLANE (LIVE) ? self->config.live_deadline_ms
                                                : self->config.paper_deadline_ms;
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.intent = in->intent;
    dispatch.plane = plane;
    dispatch.plane_epoch = in->epoch;
    dispatch.router_seq = in->router_seq;
    dispatch.router_boot = self->boot;
    dispatch.target_router_seq = in->target_router_seq;
    if (plane == EP_PLANE (LIVE))
        ep_delivery_stamp_live (self, &dispatch, true);
    ep_target_stamp_known (self, &dispatch);
    size_t packed_size;
    uint8_t *packed = verbatim
        ? ep_delivery_pack_around (&dispatch, in->data, in->size, &packed_size)
        : ep_router_pack (&dispatch.base, &packed_size);
    ep_inflight_entry_t *entry = packed
        ? ep_inflight_add (self->inflight, in->router_seq, in->intent, plane, in->epoch,
                           ep_sock_clock_ms () + deadline, false) : NULL;
    if (!entry
    ||  ep_outbox_push (&self->pending, ep_exec_topic (plane), packed, packed_size,
                        in->router_seq)) {
        free (packed);
        return EP_ROUTER_NO_MEMORY;
    }
    entry->intake_us = in->read_us;
    self->stats.accepted++;
    return EP_ROUTER_OK;
}

//  The router's decision on an intent that will not be dispatched: a
//  REJECTED report, to its strategy or (not attributed) to its sender alone.
static ep_router_status_t
s_reject (ep_router_t *self, const s_intent_t *in, const ep_peer_t *peer)
{
    const ep_intent_t *intent = in->intent;
    const char *sender_key = NULL;
    if (!in->attributed) {
        char shown [EP_ID_MAX + 1];     //  its id as sent may hold anything printable
        ep_utf8_clean (shown, sizeof shown, intent->intent_id, strlen (intent->intent_id));
        ep_log_warn ("intake: intent %s from %s refused, told to the sender alone: %s",
                     shown, peer->sender, in->reason);
        sender_key = ep_access_sender_key (peer, ep_security_curve ());
    }
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = intent->intent_id;
    report.strategy_id = sender_key ? "" : intent->strategy_id;
    report.sender_key = sender_key ? (char *) sender_key : "";
    //  Only text the router accepts is echoed back.
    report.symbol = ep_id_valid (intent->symbol) ? intent->symbol : "";
    report.side = intent->side;
    report.plane = in->plane;
    report.plane_epoch = in->epoch;
    report.target_intent_id = ep_id_valid (intent->target_intent_id)
                            ? intent->target_intent_id : "";
    report.status = EP_STATUS (REJECTED);
    report.failure = in->failure;
    report.reason = (char *) in->reason;
    report.terminal = true;
    report.router_seq = in->router_seq;
    report.safety = intent->safety;
    report.intake_us = in->read_us;
    ep_router_status_t status = ep_reports_emit (self, &report, EP_ORIGIN_ROUTER, false,
                                                 NULL, 0);
    self->stats.rejected++;
    return status;
}

//  Decides on a decoded intent, journals it, and dispatches or rejects it.
static ep_router_status_t
s_take (ep_router_t *self, s_intent_t *in, const ep_peer_t *peer, bool verbatim)
{
    in->router_seq = ++self->last_router_seq;
    in->plane = self->state.plane;
    in->epoch = self->state.epoch;
    in->reason [0] = 0;
    if (ep_journal_begin (self->journal))
        return EP_ROUTER_JOURNAL_WRITE;
    ep_router_status_t status = s_judge (self, peer, in);
    if (status)
        return status;
    bool dispatched = in->failure == EP_FAILURE (FAILURE_NONE);
    size_t writes = ep_journal_open_writes (self->journal);
    //  An intent told to its sender alone is journaled under no strategy.
    if (ep_journal_add_intent (self->journal, in->router_seq,
                               in->attributed ? in->intent->strategy_id : "",
                               in->intent->intent_id, in->plane, in->epoch, dispatched,
                               peer->sender, in->data, in->size))
        return EP_ROUTER_JOURNAL_WRITE;
    //  A paper intent it dispatches, and its claim, need not be on disk
    //  before the paper worker runs it (ep_commit.c).
    if (dispatched && in->plane == EP_PLANE (PAPER))
        self->durability.deferrable += in->claim_writes
                                     + ep_journal_open_writes (self->journal) - writes;
    return dispatched ? s_dispatch (self, in, verbatim) : s_reject (self, in, peer);
}

ep_router_status_t
ep_intake_handle (ep_router_t *self, const uint8_t *data, size_t size, const ep_peer_t *peer)
{
    s_intent_t in = { .data = data, .size = size, .read_us = ep_router_wall_us () };
    //  Its text first: protobuf-c would cut an id at a NUL.
    in.text = ep_validate_text (data, size, &in.bad_field);
    if (in.text == EP_TEXT_UNREADABLE) {
        ep_intake_count_malformed (self, "intent_id or strategy_id is not UTF-8 text without "
                                   "NUL", size);
        return EP_ROUTER_OK;
    }
    //  Decoded into the arena, which is reset when the intent is handled.
    in.intent = execplane__v1__order_intent__unpack (&self->arena.allocator, size, data);
    if (!in.intent) {
        ep_arena_reset (&self->arena);
        ep_intake_count_malformed (self, "not an OrderIntent", size);
        return EP_ROUTER_OK;
    }
    //  Unknown fields are ignored, and never forwarded to a worker: the
    //  intent is forwarded as it came only if it has none.
    bool verbatim = in.intent->base.n_unknown_fields == 0;
    ep_wire_drop_unknown_in (&in.intent->base, &self->arena.allocator);
    ep_router_status_t status = s_take (self, &in, peer, verbatim);
    ep_arena_reset (&self->arena);
    return status;
}

ep_router_status_t
ep_intake_drain (ep_router_t *self)
{
    ep_router_status_t status = EP_ROUTER_OK;
    void *handle = zsock_resolve (self->sock.intake);
    for (int i = 0; i < EP_ROUTER_BATCH && !status; i++) {
        zmq_msg_t msg;
        if (!ep_router_recv (handle, &msg))
            break;
        //  Every message read counts, multi-frame ones too (as malformed).
        self->stats.intake_messages++;
        ep_peer_t peer;
        //  A sender not (or no longer) allowed here never reaches the decoder.
        if (!ep_access_admitted (self, "intake", zmq_msg_gets (&msg, "User-Id"), &peer, &status))
            ;
        else
        if (zmq_msg_more (&msg))
            ep_intake_count_malformed (self, "more than one frame", zmq_msg_size (&msg));
        else
            status = ep_intake_handle (self, zmq_msg_data (&msg), zmq_msg_size (&msg), &peer);
        //  Drop the rest of a multi-frame message.
        while (zmq_msg_more (&msg)) {
            zmq_msg_close (&msg);
            zmq_msg_init (&msg);
            zmq_msg_recv (&msg, handle, 0);
        }
        zmq_msg_close (&msg);
    }
    return status;
}
