/*  ep_control: the applied plane state, and the plane commands that change
    it. Only ep-meta's keys send commands; a command applies only if its
    epoch is above the current one, so that a stale or replayed command
    never undoes a newer one. Every command is journaled with what became
    of it, and its fate is published with the plane state.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_sock.h"
#include "ep_utf8.h"

const char *
ep_control_strerror (ep_control_verdict_t verdict)
{
    switch (verdict) {
        case EP_CONTROL_APPLIED:        return "applied";
        case EP_CONTROL_NOT_A_COMMAND:  return "ignored: not on control.plane";
        case EP_CONTROL_UNAUTHORIZED:   return "refused: the sender may not send commands";
        case EP_CONTROL_NOT_TEXT:       return "refused: a string is not UTF-8 text";
        case EP_CONTROL_UNDECODABLE:    return "refused: undecodable PlaneCommand";
        case EP_CONTROL_UNKNOWN_KIND:   return "refused: unknown command kind";
        case EP_CONTROL_NO_PLANE:       return "refused: SELECT needs plane PAPER or LIVE";
        case EP_CONTROL_STALE_EPOCH:    return "refused: the epoch is not above the current";
        case EP_CONTROL_REPEATED:       return "ignored: a repeated request";
        case EP_CONTROL_REFUSED:        return "refused: the intent cannot be reconciled";
    }
    return "?";
}

//  The applied plane state: what is journaled (durable) and, with the
//  rest, what is published.
static void
s_durable_state (ep_router_t *self, ep_plane_state_t *state)
{
    execplane__v1__plane_state__init (state);
    state->plane = self->state.plane;
    state->epoch = self->state.epoch;
    state->halted = self->state.halted;
    state->issued_by = self->state.issued_by;
    state->reason = self->state.reason;
    state->changed_at_seq = self->state.changed_at_seq;
}

//  The definition a plane's worker runs, or while none serves it the one
//  refused it: what PlaneState names.
static char *
s_definition_shown (ep_router_t *self, int plane)
{
    ep_worker_t *worker = &self->link.worker [plane];
    return !worker->alive && *worker->refused_definition ? worker->refused_definition
                                                          : worker->definition;
}

void
ep_control_publish (ep_router_t *self)
{
    ep_plane_state_t state;
    s_durable_state (self, &state);
    state.paper_alive = self->link.worker [EP_PLANE (PAPER)].alive;
    state.live_alive = self->link.worker [EP_PLANE (LIVE)].alive;
    state.last_seq = self->last_seq;
    state.last_command_epoch = self->state.last_command_epoch;
    state.last_command_issued_by = self->state.last_command_issued_by;
    state.last_command_applied = self->state.last_command_applied;
    state.last_command_outcome = self->state.last_command_outcome;
    state.orphans_found = self->state.orphans_found;
    state.last_orphan = self->state.last_orphan;
    //  Each plane's definition: the one its worker runs, or the one refused
    char paper_problem [512], live_problem [512];
    ep_definitions_problem (self, EP_PLANE (PAPER), paper_problem, sizeof paper_problem);
    ep_definitions_problem (self, EP_PLANE (LIVE), live_problem, sizeof live_problem);
    state.paper_definition_problem = paper_problem;
    state.live_definition_problem = live_problem;
    state.paper_definition = s_definition_shown (self, EP_PLANE (PAPER));
    state.live_definition = s_definition_shown (self, EP_PLANE (LIVE));
    size_t size;
    uint8_t *data = ep_router_pack (&state.base, &size);
    if (data) {
        ep_sock_send2 (self->sock.outcomes, "plane", data, size, ZMQ_DONTWAIT);
        free (data);
    }
}

//  Saved whenever a command applies.
static ep_router_status_t
s_save_state (ep_router_t *self)
{
    ep_plane_state_t state;
    s_durable_state (self, &state);
    size_t size;
    uint8_t *data = ep_router_pack (&state.base, &size);
    ep_router_status_t status = data
        ? ep_router_journaled (ep_journal_save_state (self->journal, data, size))
        : EP_ROUTER_JOURNAL_WRITE;
    free (data);
    return status;
}

//  The last command's fate, published with the plane state (its sender
//  learns there why it was refused).
static void
s_record_command (ep_control_t *state, uint64_t epoch, const char *issued_by, bool applied,
                  char *outcome)
{
    state->last_command_epoch = epoch;
    ep_utf8_copy (state->last_command_issued_by, sizeof state->last_command_issued_by,
                  issued_by);
    state->last_command_applied = applied;
    ep_utf8_trim (outcome);             //  a long id may have cut it short
    ep_utf8_copy (state->last_command_outcome, sizeof state->last_command_outcome, outcome);
    state->dirty = true;
}

//  Journals a command (command NULL: one that is not read) and its fate.
static ep_router_status_t
s_journal_command (ep_router_t *self, const ep_command_t *command, int plane, const char *sender,
                   bool applied, const char *outcome, const uint8_t *data, size_t size)
{
    if (ep_journal_begin (self->journal))
        return EP_ROUTER_JOURNAL_WRITE;
    return ep_router_journaled (
        command ? ep_journal_add_command (self->journal, self->last_seq, command->kind, plane,
                                          command->epoch, command->issued_by, sender,
                                          command->reason, applied, outcome, data, size)
                : ep_journal_add_command (self->journal, self->last_seq, 0, 0, 0, "", sender,
                                          "", false, outcome, data, size));
}

//  --------------------------------------------------------------------------
//  Remembers a request id; returns true if it was seen lately
//  (ep-meta repeats a command until it sees its outcome).
static bool
s_repeated_request (ep_control_t *state, const char *request_id)
{
    if (!*request_id)
        return false;
    for (size_t i = 0; i < EP_ROUTER_RECENT; i++)
        if (streq (state->recent [i], request_id))
            return true;
    snprintf (state->recent [state->recent_next], sizeof state->recent [0], "%s", request_id);
    state->recent_next = (state->recent_next + 1) % EP_ROUTER_RECENT;
    return false;
}

//  Requests (RECONCILE, SWEEP_OPEN, CANCEL_ALL) carry a request id, which
//  ep-meta repeats until it sees the outcome: a repeat of a request handled
//  lately is journaled and not acted on. Returns true (with *verdict and
//  *status) if command is one.
static bool
s_repeat (ep_router_t *self, const ep_command_t *command, int plane, const char *sender,
          const uint8_t *data, size_t size, ep_control_verdict_t *verdict,
          ep_router_status_t *status)
{
    if (!s_repeated_request (&self->state, command->request_id))
        return false;
    char outcome [512];
    snprintf (outcome, sizeof outcome, "ignored: repeat of request %s", command->request_id);
    *verdict = EP_CONTROL_REPEATED;
    *status = s_journal_command (self, command, plane, sender, false, outcome, data, size);
    return true;
}

//  A request handled: its outcome recorded for the plane state, logged
//  and journaled.
static ep_router_status_t
s_request_done (ep_router_t *self, const ep_command_t *command, int plane, const char *sender,
                bool applied, char *outcome, const uint8_t *data, size_t size)
{
    s_record_command (&self->state, command->epoch, command->issued_by, applied, outcome);
    (applied ? ep_log_info : ep_log_warn) ("control: %s from %s (%s): %s",
                                           ep_command_name (command->kind), command->issued_by,
                                           sender, outcome);
    return s_journal_command (self, command, plane, sender, applied, outcome, data, size);
}

//  RECONCILE: the meta layer asks the live plane what the venue knows of an
//  intent whose outcome is settled as far as the router is concerned
//  (typically UNKNOWN). The router forwards it to the live worker as a
//  dispatch marked reconcile; the plane's answer comes back as a report
//  marked reconciled. Observation only: nothing is ever submitted again.

//  The intent a reconcile names, as journaled.
typedef struct {
    int found;                          //  ep_journal_find_intent's, then ep_journal_intent's
    uint64_t router_seq;
    int plane;
    uint64_t epoch;
    bool dispatched;
    void *payload;                      //  the OrderIntent, owned
    size_t size;
} s_target_t;

//  If the journaled intent is a CANCEL, the target it names (owned), else
//  NULL. A cancel has no order of its own at the venue to ask about: its
//  target's stream tells whether it took effect.
static char *
s_cancel_target (const s_target_t *target)
{
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, target->size,
                                                               target->payload);
    char *target_id = intent && intent->action == EP_ACTION (CANCEL)
                    ? strdup (intent->target_intent_id) : NULL;
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    return target_id;
}

//  Finds what command names; returns true if it may be reconciled, else
//  false with why in outcome.
static bool
s_reconcilable (ep_router_t *self, const ep_command_t *command, s_target_t *target,
                char *outcome, size_t size)
{
    target->found = ep_journal_find_intent (self->journal, command->strategy_id,
                                            command->intent_id, &target->router_seq);
    if (target->found == 1)
        target->found = ep_journal_intent (self->journal, target->router_seq, &target->plane,
                                           &target->epoch, &target->dispatched,
                                           &target->payload, &target->size);
    ep_inflight_entry_t *entry = target->found == 1
        ? ep_inflight_find (self->inflight, target->router_seq) : NULL;
    unsigned long long router_seq = target->router_seq;
    char *cancel_target = target->found == 1 ? s_cancel_target (target) : NULL;
    bool reconcilable = false;
    if (target->found < 0)
        snprintf (outcome, size, "refused: the journal could not be read");
    else
    if (target->found == 0)
        snprintf (outcome, size, "refused: no intent %s%s%s", command->intent_id,
                  *command->strategy_id ? " of strategy " : "", command->strategy_id);
    else
    if (target->found == 2)
        snprintf (outcome, size, "refused: intent_id %s is used by more than one "
                  "strategy: name the strategy", command->intent_id);
    else
    if (cancel_target)
        snprintf (outcome, size, "refused: intent %s (router_seq %llu) is a CANCEL: "
                  "reconcile its target %s, whose own stream tells whether it was canceled",
                  command->intent_id, router_seq, cancel_target);
    else
    if (!target->dispatched || target->plane != EP_PLANE (LIVE))
        snprintf (outcome, size, "refused: intent %s (router_seq %llu) was not "
                  "dispatched to the live plane", command->intent_id, router_seq);
    else
    if (entry && !entry->zombie)
        snprintf (outcome, size, "refused: intent %s (router_seq %llu) is still in "
                  "flight: the live plane follows it", command->intent_id, router_seq);
    else
    if (!self->link.worker [EP_PLANE (LIVE)].alive)
        snprintf (outcome, size, "refused: no live worker is alive");
    else
        reconcilable = true;
    free (cancel_target);
    return reconcilable;
}

//  Packs dispatch and queues it for the live worker. Returns true if
//  queued; on false (out of memory) nothing is.
static bool
s_queue_live (ep_router_t *self, ep_dispatch_t *dispatch)
{
    size_t packed_size = 0;
    uint8_t *packed = ep_router_pack (&dispatch->base, &packed_size);
    bool queued = packed && ep_outbox_push (&self->pending, ep_exec_topic (EP_PLANE (LIVE)),
                                            packed, packed_size, 0) == 0;
    if (!queued)
        free (packed);
    return queued;
}

//  Queues the reconcile dispatch of target for the live worker, with the
//  fills the router has. Returns true if queued.
static bool
s_forward_reconcile (ep_router_t *self, const ep_command_t *command, const s_target_t *target)
{
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, target->size,
                                                               target->payload);
    ep_wire_drop_unknown (intent ? &intent->base : NULL);
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.intent = intent;
    dispatch.plane = EP_PLANE (LIVE);
    dispatch.plane_epoch = target->epoch;
    dispatch.router_seq = target->router_seq;
    dispatch.router_boot = self->boot;
    dispatch.reconcile = true;
    dispatch.request_id = command->request_id;
    ep_delivery_stamp_live (self, &dispatch, false);
    ep_known_fills_t known = ep_reports_known_fills (self, target->router_seq);
    dispatch.known_filled_qty_e8 = known.filled_qty_e8;
    dispatch.known_avg_price_e8 = known.avg_price_e8;
    dispatch.known_fills = known.fills;
    bool queued = intent && s_queue_live (self, &dispatch);
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    return queued;
}

//  What a request to the live plane does once it is known not to be a
//  repeat: returns true if it went to the plane, with the outcome written
//  either way.
typedef bool (s_live_request_fn) (ep_router_t *self, const ep_command_t *command,
                                  char *outcome, size_t outcome_size);

//  A request to the live plane (RECONCILE, SWEEP_OPEN): a repeat is
//  journaled and ignored; else forward acts on it, and the outcome is
//  recorded, logged and journaled.
static ep_router_status_t
s_live_request (ep_router_t *self, const ep_command_t *command, const char *sender,
                const uint8_t *data, size_t size, ep_control_verdict_t *verdict,
                s_live_request_fn *forward)
{
    ep_router_status_t status = EP_ROUTER_OK;
    if (s_repeat (self, command, EP_PLANE (LIVE), sender, data, size, verdict, &status))
        return status;
    char outcome [512];
    bool applied = forward (self, command, outcome, sizeof outcome);
    *verdict = applied ? EP_CONTROL_APPLIED : EP_CONTROL_REFUSED;
    return s_request_done (self, command, EP_PLANE (LIVE), sender, applied, outcome, data, size);
}

//  RECONCILE, not a repeat: forwarded only if the intent may be reconciled.
static bool
s_reconcile (ep_router_t *self, const ep_command_t *command, char *outcome, size_t outcome_size)
{
    s_target_t target = { 0 };
    bool applied = false;
    if (s_reconcilable (self, command, &target, outcome, outcome_size)) {
        applied = s_forward_reconcile (self, command, &target);
        if (applied)
            snprintf (outcome, outcome_size, "applied: RECONCILE %s (router_seq %llu) "
                      "forwarded to the live plane", command->intent_id,
                      (unsigned long long) target.router_seq);
        else
            snprintf (outcome, outcome_size, "refused: out of memory");
    }
    free (target.payload);
    return applied;
}

//  SWEEP_OPEN: the meta layer asks the live plane to compare the venue's
//  open orders with its audit; what it finds comes back as events
//  ("orphan", "open-orders-swept") and in the plane state. Observation
//  only: nothing is canceled or adopted.
static bool
s_sweep_open (ep_router_t *self, const ep_command_t *command, char *outcome,
              size_t outcome_size)
{
    if (!self->link.worker [EP_PLANE (LIVE)].alive) {
        snprintf (outcome, outcome_size, "refused: SWEEP_OPEN (request %s): no live worker "
                  "is alive", command->request_id);
        return false;
    }
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.plane = EP_PLANE (LIVE);
    dispatch.router_boot = self->boot;
    dispatch.sweep_open = true;
    dispatch.request_id = command->request_id;
    ep_delivery_stamp_live (self, &dispatch, false);
    bool applied = s_queue_live (self, &dispatch);
    snprintf (outcome, outcome_size, applied
              ? "applied: SWEEP_OPEN (request %s): the live plane compares the venue's "
                "open orders with its audit (events orphan, open-orders-swept)"
              : "refused: SWEEP_OPEN (request %s): out of memory", command->request_id);
    return applied;
}

//  --------------------------------------------------------------------------
//  CANCEL_ALL, and HALT with cancel_open (the kill switch): the router
//  cancels the open orders itself. CANCEL_ALL changes no plane state and
//  takes no epoch: like RECONCILE, a request id lets the router ignore the
//  repeats ep-meta sends until it sees the outcome, and an order already
//  being canceled by the router gets no second cancel.

//  Cancels what is open (filters: strategy_id, plane) for command; appends
//  what was sent to outcome.
static ep_router_status_t
s_cancel_open (ep_router_t *self, const ep_command_t *command, const char *strategy_id,
               int plane, const char *sender, char *outcome, size_t size)
{
    bool halt = command->kind == EP_COMMAND (HALT);
    const char *kind = halt ? "kill-switch" : "cancel-all";
    char cause [512];
    snprintf (cause, sizeof cause, "%s by %s: %s", halt ? "halt --cancel-open" : "cancel-all",
              command->issued_by, command->reason);
    size_t sent = 0, left = 0;
    ep_router_status_t status = ep_target_cancel_open (self, strategy_id, plane, kind, cause,
                                                       sender, &sent, &left);
    size_t used = strlen (outcome);
    snprintf (outcome + used, size - used, "; %zu cancel(s) sent%s", sent,
              left ? ", some left: no living worker on their plane" : "");
    return status;
}

static ep_router_status_t
s_cancel_all (ep_router_t *self, const ep_command_t *command, const char *sender,
              const uint8_t *data, size_t size, ep_control_verdict_t *verdict)
{
    ep_router_status_t status = EP_ROUTER_OK;
    if (s_repeat (self, command, command->plane, sender, data, size, verdict, &status))
        return status;
    char outcome [512];
    bool plane_ok = command->plane == EP_PLANE (PLANE_UNSPECIFIED)
                 || command->plane == EP_PLANE (PAPER) || command->plane == EP_PLANE (LIVE);
    bool strategy_ok = !*command->strategy_id || ep_id_valid (command->strategy_id);
    if (!plane_ok || !strategy_ok) {
        snprintf (outcome, sizeof outcome, "refused: CANCEL_ALL (request %s) filters %s",
                  command->request_id, !plane_ok ? "plane PAPER, LIVE or none"
                                                 : "a valid strategy_id or none");
        *verdict = EP_CONTROL_REFUSED;
    }
    else {
        //  The request id names the outcome for the ep-meta that sent it.
        snprintf (outcome, sizeof outcome, "applied: CANCEL_ALL (request %s) of %s%s on %s",
                  command->request_id, *command->strategy_id ? "strategy " : "every strategy",
                  command->strategy_id, command->plane ? ep_plane_name (command->plane)
                                                       : "every plane");
        status = s_cancel_open (self, command, command->strategy_id, command->plane, sender,
                                outcome, sizeof outcome);
        *verdict = EP_CONTROL_APPLIED;
    }
    ep_router_status_t done = s_request_done (self, command, command->plane, sender,
                                              *verdict == EP_CONTROL_APPLIED, outcome, data,
                                              size);
    return status ? status : done;
}

//  APPROVE, REVOKE: a plane definition (ep_definitions), by request id.
static ep_router_status_t
s_decide (ep_router_t *self, const ep_command_t *command, const char *sender,
          const uint8_t *data, size_t size, ep_control_verdict_t *verdict)
{
    ep_router_status_t status = EP_ROUTER_OK;
    if (s_repeat (self, command, 0, sender, data, size, verdict, &status))
        return status;
    char outcome [512];
    bool applied = ep_definitions_decide (self, command, outcome, sizeof outcome, &status);
    *verdict = applied ? EP_CONTROL_APPLIED : EP_CONTROL_REFUSED;
    ep_router_status_t done = s_request_done (self, command, 0, sender, applied, outcome, data,
                                              size);
    return status ? status : done;
}

//  --------------------------------------------------------------------------
//  SELECT, HALT, RESUME

ep_control_verdict_t
ep_control_read (const uint8_t *data, size_t size, ep_command_t **command, char *outcome,
                 size_t outcome_size)
{
    //  Its text first: every string must be UTF-8 without control
    //  characters (protobuf-c checks nothing, and would cut at a NUL).
    const char *bad_field = NULL;
    int bad = ep_wire_check_text (&execplane__v1__plane_command__descriptor, data, size, true,
                                  &bad_field);
    *command = bad ? NULL : execplane__v1__plane_command__unpack (NULL, size, data);
    if (*command)
        return EP_CONTROL_APPLIED;
    if (bad > 0) {
        snprintf (outcome, outcome_size, "refused: %s is not UTF-8 text without control "
                  "characters", bad_field);
        return EP_CONTROL_NOT_TEXT;
    }
    snprintf (outcome, outcome_size, "refused: undecodable PlaneCommand");
    return EP_CONTROL_UNDECODABLE;
}

ep_control_verdict_t
ep_control_apply (ep_control_t *state, const ep_command_t *command, uint64_t at_seq,
                  char *outcome, size_t outcome_size)
{
    const char *kind = ep_command_name (command->kind);
    bool select = command->kind == EP_COMMAND (SELECT);
    if (!kind || command->kind == EP_COMMAND (COMMAND_KIND_UNSPECIFIED)
    ||  command->kind == EP_COMMAND (RECONCILE) || command->kind == EP_COMMAND (CANCEL_ALL)
    ||  command->kind == EP_COMMAND (SWEEP_OPEN) || command->kind == EP_COMMAND (APPROVE)
    ||  command->kind == EP_COMMAND (REVOKE)) {
        snprintf (outcome, outcome_size, "refused: unknown command kind %d", command->kind);
        return EP_CONTROL_UNKNOWN_KIND;
    }
    if (select && command->plane != EP_PLANE (PAPER) && command->plane != EP_PLANE (LIVE)) {
        snprintf (outcome, outcome_size, "refused: SELECT needs plane PAPER or LIVE");
        return EP_CONTROL_NO_PLANE;
    }
    if (command->epoch <= state->epoch) {
        snprintf (outcome, outcome_size, "refused: epoch %llu is not above the current %llu",
                  (unsigned long long) command->epoch, (unsigned long long) state->epoch);
        return EP_CONTROL_STALE_EPOCH;
    }
    if (select)
        state->plane = command->plane;
    else
        state->halted = command->kind == EP_COMMAND (HALT);
    state->epoch = command->epoch;
    ep_utf8_copy (state->issued_by, sizeof state->issued_by, command->issued_by);
    ep_utf8_copy (state->reason, sizeof state->reason, command->reason);
    state->changed_at_seq = at_seq;
    snprintf (outcome, outcome_size, "applied: %s%s%s, epoch %llu", kind, select ? " " : "",
              select ? ep_plane_name (command->plane) : "", (unsigned long long) command->epoch);
    return EP_CONTROL_APPLIED;
}

//  A command that cannot be read: logged and journaled; its sender learns
//  why from the plane state, if it named itself in text the router can
//  repeat.
static ep_router_status_t
s_unreadable (ep_router_t *self, const uint8_t *data, size_t size, const char *sender,
              ep_control_verdict_t verdict, char *outcome)
{
    ep_log_warn ("control: command from %s (%zu bytes) %s", sender, size, outcome);
    ep_command_t *readable = verdict == EP_CONTROL_NOT_TEXT
        ? execplane__v1__plane_command__unpack (NULL, size, data) : NULL;
    const char *bad_field = NULL;
    if (readable)
        ep_wire_check_text (&execplane__v1__plane_command__descriptor, data, size, true,
                            &bad_field);
    if (readable && bad_field && strcmp (bad_field, "issued_by")
    &&  ep_utf8_text_valid (readable->issued_by, strlen (readable->issued_by)))
        s_record_command (&self->state, readable->epoch, readable->issued_by, false, outcome);
    if (readable)
        execplane__v1__plane_command__free_unpacked (readable, NULL);
    return s_journal_command (self, NULL, 0, sender, false, outcome, data, size);
}

static ep_router_status_t
s_handle_command (ep_router_t *self, const uint8_t *data, size_t size, const char *sender,
                  ep_control_verdict_t *verdict)
{
    char outcome [512];
    ep_command_t *command;
    *verdict = ep_control_read (data, size, &command, outcome, sizeof outcome);
    if (!command)
        return s_unreadable (self, data, size, sender, *verdict, outcome);
    ep_router_status_t status;
    if (command->kind == EP_COMMAND (RECONCILE))
        status = s_live_request (self, command, sender, data, size, verdict, s_reconcile);
    else
    if (command->kind == EP_COMMAND (CANCEL_ALL))
        status = s_cancel_all (self, command, sender, data, size, verdict);
    else
    if (command->kind == EP_COMMAND (SWEEP_OPEN))
        status = s_live_request (self, command, sender, data, size, verdict, s_sweep_open);
    else
    if (command->kind == EP_COMMAND (APPROVE) || command->kind == EP_COMMAND (REVOKE))
        status = s_decide (self, command, sender, data, size, verdict);
    else {
        *verdict = ep_control_apply (&self->state, command, self->last_seq, outcome,
                                     sizeof outcome);
        bool applied = *verdict == EP_CONTROL_APPLIED;
        const char *kind = ep_command_name (command->kind);
        //  The kill switch: halted first, so that nothing new is placed
        //  while its cancels go out.
        status = applied && command->kind == EP_COMMAND (HALT) && command->cancel_open
            ? s_cancel_open (self, command, "", 0, sender, outcome, sizeof outcome)
            : EP_ROUTER_OK;
        s_record_command (&self->state, command->epoch, command->issued_by, applied, outcome);
        (applied ? ep_log_info : ep_log_warn) ("control: %s from %s (%s): %s",
            kind ? kind : "?", command->issued_by, sender, outcome);
        if (!status)
            status = s_journal_command (self, command, command->plane, sender, applied,
                                        outcome, data, size);
        if (!status && applied)
            status = s_save_state (self);
    }
    execplane__v1__plane_command__free_unpacked (command, NULL);
    return status;
}

ep_router_status_t
ep_control_on_message (ep_router_t *self, const char *topic, const uint8_t *data, size_t size,
                       const char *user_id, ep_control_verdict_t *verdict)
{
    ep_control_verdict_t ignored;
    if (!verdict)
        verdict = &ignored;
    *verdict = EP_CONTROL_NOT_A_COMMAND;
    if (!streq (topic, "control.plane"))
        return EP_ROUTER_OK;
    *verdict = EP_CONTROL_UNAUTHORIZED;
    ep_peer_t peer;
    char why [256];
    if (ep_guard_check (self->guard, "control", user_id, &peer, why, sizeof why))
        return s_handle_command (self, data, size, peer.sender, verdict);
    //  Journaled with its sender (within the guard's budget, like every
    //  refusal), never decoded, never applied.
    self->stats.unauthorized++;
    if (!ep_guard_record_refusal (self->guard, EP_REFUSAL_MESSAGE, "control",
                                  user_id ? user_id : ""))
        return EP_ROUTER_OK;
    char outcome [512];
    snprintf (outcome, sizeof outcome, "refused: %s", why);
    ep_log_warn ("control: command from %s %s", peer.sender, outcome);
    return s_journal_command (self, NULL, 0, peer.sender, false, outcome, data, size);
}
