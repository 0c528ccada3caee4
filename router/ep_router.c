/*  ep_router: intake, validation, plane selection, dispatch, in-flight
    deadlines, worker liveness, reports, journal and query.  */
#include <czmq.h>
#include <stdarg.h>
#include <malloc.h>
#include <sodium.h>
#include <string.h>
#include "ep_router.h"
#include "ep_guard.h"
#include "ep_inflight.h"
#include "ep_journal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_security.h"
#include "ep_validate.h"
#include "ep_sock.h"
#include "ep_wire.h"
#include "ep_arena.h"
#include "ep_metrics.h"
#include "ep_outbox.h"
#include "ep_utf8.h"

#define S_BATCH         1024            //  messages read per socket per turn
#define S_BATCH_BYTES   (60 * 1024)     //  a batch of dispatches, at most (EP_MAX_MSG)
#define S_SLICES        4096            //  reports of one worker message sliced at most
#define S_QUERY_LIMIT   1000            //  reports per query reply
#define S_STATE_MS      1000            //  plane state and stats at least this often
#define S_RETRY_MS      1               //  dispatch retry while the HWM is reached
#define S_PLANES        3               //  PLANE_UNSPECIFIED, PAPER, LIVE
#define S_METRICS_MS    250             //  metrics rendered at most this often
#define S_RECENT        64              //  reconcile request ids remembered
#define S_JOURNAL_RETRY_MS 1000         //  a failed commit is tried again this often
#define S_RESTORE_WAIT_MS  2000         //  a restore waits this long for what preceded it
#define S_RESTORES      8               //  restores waiting at once
#define S_SEND_MARGIN_MS   1000         //  a live answer's way back to the router, at most

//  How long after its dispatch a live order may still be sent (see
//  s_stamp_live); ep_router_new refuses a configuration where it is not
//  positive.
static int64_t
s_send_budget_ms (const ep_config_t *config)
{
    return config->live_deadline_ms - config->timeout_ms - S_SEND_MARGIN_MS;
}

typedef struct {
    char session [64];                  //  the worker process we accept reports from
    int64_t last_heard_ms;              //  its last heartbeat or report
    bool alive;                         //  heard within worker_timeout_ms
    uint64_t processed_through;         //  highest router_seq it reported on
    char key [41];                      //  its public key, under CURVE
    uint64_t probe_sent;                //  the newest probe of exec.<plane>'s subscriptions
    int64_t probe_sent_ms;              //  and when
    uint64_t probe_heard;               //  the newest the plane's worker repeated
    char heard_session [64];            //  the last worker message's session
    uint64_t heard_number;              //  and its number
} s_worker_t;

//  A restore that waits for the worker's messages sent before it.
typedef struct {
    zframe_t *identity;                 //  who asked
    uint8_t *data;                      //  the RestoreRequest
    size_t size;
    ep_peer_t peer;
    int64_t until_ms;                   //  answered by then in any case
} s_waiting_restore_t;

struct _ep_router_t {
    ep_config_t config;                 //  endpoints, deadlines, journal path
    zsock_t *intake;                    //  PULL: OrderIntents from strategies
    zsock_t *outcomes;                  //  PUB: reports, plane state, stats
    zsock_t *control;                   //  SUB: PlaneCommands
    zsock_t *dispatch;                  //  XPUB (NODROP): intents to workers
    zsock_t *results;                   //  PULL: worker reports and heartbeats
    zsock_t *query;                     //  ROUTER: report replay, worker restore
    ep_journal_t *journal;              //  the durable record
    ep_guard_t *guard;                  //  who may do what (CURVE keys and roles)
    ep_inflight_t *inflight;            //  dispatched, not yet terminal
    uint64_t last_seq;                  //  newest report seq
    uint64_t last_router_seq;           //  newest intent acceptance number
    char boot [40];                     //  this start's id, sent with dispatches
    //  Applied plane state (strings owned here)
    int plane;
    uint64_t epoch;
    bool halted;
    char issued_by [128];
    char reason [256];
    uint64_t changed_at_seq;
    uint64_t last_command_epoch;
    char last_command_issued_by [128];
    bool last_command_applied;
    char last_command_outcome [512];
    bool state_dirty;                   //  publish plane state after this turn
    int64_t next_state_ms;              //  when plane state is due anyway
    s_worker_t worker [S_PLANES];       //  by plane
    ep_outbox_t outbox;                 //  reports to publish after commit
    ep_outbox_t pending;                //  dispatches waiting for room (back-pressure)
    ep_arena_t arena;                   //  intents and worker messages are decoded here
    uint8_t *batch;                     //  a Dispatch of several (s_batch_dispatches)
    size_t batch_size, batch_capacity;
    s_waiting_restore_t restores [S_RESTORES];
    size_t n_restores;                  //  restores waiting
    char refused_claim [64];            //  the last live session refused the plane
    uint64_t next_probe;                //  probes rise across starts: wall-clock based
    ep_stats_t stats;                   //  counters published on `stats`
    int64_t malformed_logged_ms;        //  rate limit for malformed-intake logs
    uint64_t malformed_unlogged;        //  malformed since that log line
    bool failed;                        //  the journal failed: stop
    bool draining;                      //  stopping: waiting for answers
    int64_t drain_started_ms;           //  since then
    int64_t drain_until_ms;             //  and no longer than this
    bool outcomes_unbound;              //  being bound anew (key removed)
    bool dispatch_unbound;              //  likewise
    char recent_requests [S_RECENT][64];//  reconcile request ids seen lately
    size_t recent_next;                 //  where the next one goes
    //  Prometheus metrics and the health check (router/metrics)
    ep_metrics_t *metrics;              //  NULL: not configured
    ep_prom_t prom;                     //  rendered again for each update
    int64_t next_metrics_ms;
    uint64_t terminal [S_PLANES][EP_STATUS_COUNT][EP_FAILURE_COUNT];  //  intents by outcome
    ep_histogram_t commit_seconds;      //  journal commits that wrote something
    ep_histogram_t commit_writes;       //  rows a commit wrote
    ep_histogram_t dispatch_batch;      //  intents per dispatch message
};

//  Packs any protobuf-c message into a malloc'd buffer; NULL on out of memory.
static uint8_t *
s_pack (const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *data = malloc (*size ? *size : 1);
    if (data)
        protobuf_c_message_pack (message, data);
    return data;
}

//  Packs dispatch with its intent (field 1) as the bytes it was decoded
//  from, instead of encoding it again; NULL on out of memory.
static uint8_t *
s_pack_around (ep_dispatch_t *dispatch, const uint8_t *intent, size_t intent_size,
               size_t *size)
{
    ep_intent_t *decoded = dispatch->intent;
    dispatch->intent = NULL;
    size_t rest = execplane__v1__dispatch__get_packed_size (dispatch);
    uint8_t head [EP_WIRE_HEAD_MAX];
    size_t head_size = ep_wire_field_head (head, 1, intent_size);
    *size = head_size + intent_size + rest;
    uint8_t *data = malloc (*size);
    if (data) {
        memcpy (data, head, head_size);
        memcpy (data + head_size, intent, intent_size);
        execplane__v1__dispatch__pack (dispatch, data + head_size + intent_size);
    }
    dispatch->intent = decoded;
    return data;
}

//  A live dispatch names the worker session the router adopted for the
//  plane (only that worker may submit it) and the wall-clock time after
//  which it must not be sent: early enough that a request sent just
//  before it is answered, or timed out by the worker (live/timeout_ms),
//  before the router's own deadline, so that the router's deadline fires
//  only when the worker is gone, and never before an order leaves.
static void
s_stamp_live (ep_router_t *self, ep_dispatch_t *dispatch, bool submission)
{
    dispatch->worker_session = self->worker [EP_PLANE (LIVE)].session;
    if (submission)
        dispatch->not_after_ms = zclock_time () + s_send_budget_ms (&self->config);
}

static void
s_fail (ep_router_t *self, const char *what)
{
    if (!self->failed)
        ep_log_error ("%s: stopping, nothing more will be accepted", what);
    self->failed = true;
}

//  --------------------------------------------------------------------------
//  Reports

//  Journals report (stamping its seq) and queues it for publication after
//  the commit. plane_payload is the plane's report as produced, or NULL.
static void
s_emit (ep_router_t *self, ep_report_t *report, ep_origin_t origin, bool late,
        const uint8_t *plane_payload, size_t plane_size)
{
    report->seq = ++self->last_seq;
    //  Nothing is published that a client could not decode: a reason cut
    //  inside a character, or a plane's that holds bytes that are no text.
    char clean [1024];
    char *given = report->reason;
    if (given && !ep_utf8_text_valid (given, strlen (given))) {
        char cut [sizeof clean];
        snprintf (cut, sizeof cut, "%s", given);
        ep_utf8_trim (cut);             //  a snprintf that ran out of room
        ep_utf8_clean (clean, sizeof clean, cut, strlen (cut));
        report->reason = clean;
    }
    size_t size;
    uint8_t *data = s_pack (&report->base, &size);
    report->reason = given;
    if (!data) {
        s_fail (self, "out of memory");
        return;
    }
    ep_journal_report_t record = {
        .seq = report->seq, .router_seq = report->router_seq,
        .strategy_id = report->strategy_id, .plane = report->plane,
        .status = report->status, .terminal = report->terminal,
        .origin = origin, .late = late,
        .plane_payload = plane_payload, .plane_size = plane_size,
        .payload = data, .size = size
    };
    if (ep_journal_begin (self->journal) || ep_journal_add_report (self->journal, &record)) {
        free (data);
        s_fail (self, "journal write failed");
        return;
    }
    char topic [EP_ID_MAX + 16];
    if (report->sender_key && *report->sender_key)
        snprintf (topic, sizeof topic, "refused.%s", report->sender_key);
    else
        ep_outcome_topic (topic, sizeof topic, report->strategy_id);
    if (ep_outbox_push (&self->outbox, topic, data, size, 0)) {
        free (data);
        s_fail (self, "out of memory");
        return;
    }
    self->stats.reports++;
    if (late)
        self->stats.late_reports++;
    if (report->terminal && !late && report->plane >= 0 && report->plane < S_PLANES
    &&  report->status >= 0 && report->status < EP_STATUS_COUNT
    &&  report->failure >= 0 && report->failure < EP_FAILURE_COUNT)
        self->terminal [report->plane][report->status][report->failure]++;
}

//  A terminal report the router makes on behalf of an in-flight intent.
static void
s_emit_for_entry (ep_router_t *self, ep_inflight_entry_t *entry, int status, int failure,
                  const char *reason)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = entry->intent_id;
    report.strategy_id = entry->strategy_id;
    report.symbol = entry->symbol;
    report.side = entry->side;
    report.plane = entry->plane;
    report.plane_epoch = entry->plane_epoch;
    report.status = status;
    report.failure = failure;
    report.reason = (char *) reason;
    report.filled_qty_e8 = entry->filled_qty_e8;
    report.avg_price_e8 = entry->avg_price_e8;
    report.terminal = true;
    report.router_seq = entry->router_seq;
    report.safety = entry->safety;
    ep_log_intent (EP_LOG_WARN, entry->strategy_id, entry->intent_id,
                   " (router_seq %llu): %s %s: %s", (unsigned long long) entry->router_seq,
                   ep_status_name (status), ep_failure_name (failure), reason);
    s_emit (self, &report, EP_ORIGIN_ROUTER, false, NULL, 0);
}

//  The terminal report of an in-flight intent its plane never answered.
static void
s_expire (ep_router_t *self, ep_inflight_entry_t *entry, const char *why)
{
    bool live = entry->plane == EP_PLANE (LIVE);
    char reason [256];
    snprintf (reason, sizeof reason, "%s%s", why,
              live ? "; it may have reached the venue: reconcile before acting" : "");
    s_emit_for_entry (self, entry,
                      live ? EP_STATUS (UNKNOWN) : EP_STATUS (FAILED),
                      live ? EP_FAILURE (SEND_UNKNOWN) : EP_FAILURE (PLANE_UNAVAILABLE),
                      reason);
    ep_inflight_remove (self->inflight, entry->router_seq);
}

//  --------------------------------------------------------------------------
//  Plane state

//  The applied plane state: what is journaled (durable) and, with the
//  rest, what is published.
static void
s_durable_state (ep_router_t *self, ep_plane_state_t *state)
{
    execplane__v1__plane_state__init (state);
    state->plane = self->plane;
    state->epoch = self->epoch;
    state->halted = self->halted;
    state->issued_by = self->issued_by;
    state->reason = self->reason;
    state->changed_at_seq = self->changed_at_seq;
}

static void
s_publish_state (ep_router_t *self)
{
    ep_plane_state_t state;
    s_durable_state (self, &state);
    state.paper_alive = self->worker [EP_PLANE (PAPER)].alive;
    state.live_alive = self->worker [EP_PLANE (LIVE)].alive;
    state.last_seq = self->last_seq;
    state.last_command_epoch = self->last_command_epoch;
    state.last_command_issued_by = self->last_command_issued_by;
    state.last_command_applied = self->last_command_applied;
    state.last_command_outcome = self->last_command_outcome;
    size_t size;
    uint8_t *data = s_pack (&state.base, &size);
    if (data) {
        ep_sock_send2 (self->outcomes, "plane", data, size, ZMQ_DONTWAIT);
        free (data);
    }
}

//  Saved whenever a command applies.
static int
s_save_state (ep_router_t *self)
{
    ep_plane_state_t state;
    s_durable_state (self, &state);
    size_t size;
    uint8_t *data = s_pack (&state.base, &size);
    int rc = data ? ep_journal_save_state (self->journal, data, size) : -1;
    free (data);
    return rc;
}

//  Remembers a reconcile request id; returns true if it was seen lately
//  (ep-meta repeats a command until it sees its outcome).
static bool
s_repeated_request (ep_router_t *self, const char *request_id)
{
    if (!*request_id)
        return false;
    for (size_t i = 0; i < S_RECENT; i++)
        if (streq (self->recent_requests [i], request_id))
            return true;
    snprintf (self->recent_requests [self->recent_next], sizeof self->recent_requests [0],
              "%s", request_id);
    self->recent_next = (self->recent_next + 1) % S_RECENT;
    return false;
}

//  What the router has of an intent's fills: the plane's last cumulative
//  figures and how many fills its reports carried.
typedef struct {
    int64_t filled_qty_e8;
    int64_t avg_price_e8;
    uint32_t fills;
} s_known_fills_t;

//  The number of an order's fills known once report is added to known
//  ones: a report that numbers its fills past a gap counts from its own
//  numbering, so that the gap is told once.
static uint32_t
s_fills_after (uint32_t known, const ep_report_t *report)
{
    uint32_t count = known + (uint32_t) report->n_fills;
    uint32_t numbered = report->first_fill + (uint32_t) report->n_fills;
    return numbered > count ? numbered : count;
}

static void
s_collect_known_fills (void *arg, uint64_t seq, const void *payload, size_t size)
{
    (void) seq;
    s_known_fills_t *known = arg;
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    if (report) {
        known->filled_qty_e8 = report->filled_qty_e8;
        known->avg_price_e8 = report->avg_price_e8;
        known->fills = s_fills_after (known->fills, report);
        execplane__v1__execution_report__free_unpacked (report, NULL);
    }
}

//  What the router has of router_seq's fills: its plane's journaled reports.
static s_known_fills_t
s_known_fills (ep_router_t *self, uint64_t router_seq)
{
    s_known_fills_t known = { 0 };
    ep_journal_plane_reports (self->journal, router_seq, s_collect_known_fills, &known);
    return known;
}

//  RECONCILE: the meta layer asks the live plane what the venue knows of an
//  intent whose outcome is settled as far as the router is concerned
//  (typically UNKNOWN). The router forwards it to the live worker as a
//  dispatch marked reconcile; the plane's answer comes back as a report
//  marked reconciled. Observation only: nothing is ever submitted again.
static void
s_handle_reconcile (ep_router_t *self, ep_command_t *command, const char *sender,
                    const uint8_t *data, size_t size)
{
    char outcome [512];
    if (s_repeated_request (self, command->request_id)) {
        //  A repeat of a request already handled: journaled, not acted on.
        snprintf (outcome, sizeof outcome, "ignored: repeat of request %s", command->request_id);
        if (ep_journal_begin (self->journal)
        ||  ep_journal_add_command (self->journal, self->last_seq, command->kind,
                                    EP_PLANE (LIVE), command->epoch, command->issued_by, sender,
                                    command->reason, false, outcome, data, size))
            s_fail (self, "journal write failed");
        return;
    }
    bool applied = false;
    uint64_t router_seq = 0;
    int plane = 0;
    uint64_t epoch = 0;
    bool dispatched = false;
    void *payload = NULL;
    size_t payload_size = 0;
    int found = ep_journal_find_intent (self->journal, command->strategy_id, command->intent_id,
                                        &router_seq);
    if (found == 1)
        found = ep_journal_intent (self->journal, router_seq, &plane, &epoch, &dispatched,
                                   &payload, &payload_size);
    ep_inflight_entry_t *entry = found == 1 ? ep_inflight_find (self->inflight, router_seq)
                                            : NULL;
    if (found < 0)
        snprintf (outcome, sizeof outcome, "refused: the journal could not be read");
    else
    if (found == 0)
        snprintf (outcome, sizeof outcome, "refused: no intent %s%s%s", command->intent_id,
                  *command->strategy_id ? " of strategy " : "", command->strategy_id);
    else
    if (found == 2)
        snprintf (outcome, sizeof outcome, "refused: intent_id %s is used by more than one "
                  "strategy: name the strategy", command->intent_id);
    else
    if (!dispatched || plane != EP_PLANE (LIVE))
        snprintf (outcome, sizeof outcome, "refused: intent %s (router_seq %llu) was not "
                  "dispatched to the live plane", command->intent_id,
                  (unsigned long long) router_seq);
    else
    if (entry && !entry->zombie)
        snprintf (outcome, sizeof outcome, "refused: intent %s (router_seq %llu) is still in "
                  "flight: the live plane follows it", command->intent_id,
                  (unsigned long long) router_seq);
    else
    if (!self->worker [EP_PLANE (LIVE)].alive)
        snprintf (outcome, sizeof outcome, "refused: no live worker is alive");
    else {
        ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, payload_size, payload);
        ep_wire_drop_unknown (intent ? &intent->base : NULL);
        ep_dispatch_t dispatch;
        execplane__v1__dispatch__init (&dispatch);
        dispatch.intent = intent;
        dispatch.plane = EP_PLANE (LIVE);
        dispatch.plane_epoch = epoch;
        dispatch.router_seq = router_seq;
        dispatch.router_boot = self->boot;
        dispatch.reconcile = true;
        dispatch.request_id = command->request_id;
        s_stamp_live (self, &dispatch, false);
        s_known_fills_t known = s_known_fills (self, router_seq);
        dispatch.known_filled_qty_e8 = known.filled_qty_e8;
        dispatch.known_avg_price_e8 = known.avg_price_e8;
        dispatch.known_fills = known.fills;
        size_t packed_size = 0;
        uint8_t *packed = intent ? s_pack (&dispatch.base, &packed_size) : NULL;
        if (packed && ep_outbox_push (&self->pending, ep_exec_topic (EP_PLANE (LIVE)), packed,
                                    packed_size, 0) == 0) {
            applied = true;
            snprintf (outcome, sizeof outcome, "applied: RECONCILE %s (router_seq %llu) "
                      "forwarded to the live plane", command->intent_id,
                      (unsigned long long) router_seq);
        }
        else {
            free (packed);
            snprintf (outcome, sizeof outcome, "refused: out of memory");
        }
        if (intent)
            execplane__v1__order_intent__free_unpacked (intent, NULL);
    }
    free (payload);
    self->last_command_epoch = command->epoch;
    ep_utf8_copy (self->last_command_issued_by, sizeof self->last_command_issued_by,
                  command->issued_by);
    self->last_command_applied = applied;
    ep_utf8_trim (outcome);             //  a long id may have cut it short
    ep_utf8_copy (self->last_command_outcome, sizeof self->last_command_outcome, outcome);
    self->state_dirty = true;
    (applied ? ep_log_info : ep_log_warn) ("control: RECONCILE from %s (%s): %s",
                                           command->issued_by, sender, outcome);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_command (self->journal, self->last_seq, command->kind, EP_PLANE (LIVE),
                                command->epoch, command->issued_by, sender, command->reason,
                                applied, outcome, data, size))
        s_fail (self, "journal write failed");
}

static void
s_handle_command (ep_router_t *self, const uint8_t *data, size_t size, const char *sender)
{
    //  Its text first: every string must be UTF-8 without control
    //  characters (protobuf-c checks nothing, and would cut at a NUL).
    const char *bad_field = NULL;
    int bad = ep_wire_check_text (&execplane__v1__plane_command__descriptor, data, size, true,
                                  &bad_field);
    ep_command_t *command = bad ? NULL
                                : execplane__v1__plane_command__unpack (NULL, size, data);
    char outcome [256];
    bool applied = false;
    if (!command) {
        if (bad > 0)
            snprintf (outcome, sizeof outcome, "refused: %s is not UTF-8 text without control "
                      "characters", bad_field);
        else
            snprintf (outcome, sizeof outcome, "refused: undecodable PlaneCommand");
        ep_log_warn ("control: command from %s (%zu bytes) %s", sender, size, outcome);
        //  Its sender learns why from the plane state, if it named itself
        //  in text the router can repeat.
        ep_command_t *readable = bad > 0
            ? execplane__v1__plane_command__unpack (NULL, size, data) : NULL;
        if (readable && strcmp (bad_field, "issued_by")
        &&  ep_utf8_text_valid (readable->issued_by, strlen (readable->issued_by))) {
            self->last_command_epoch = readable->epoch;
            ep_utf8_copy (self->last_command_issued_by, sizeof self->last_command_issued_by,
                          readable->issued_by);
            self->last_command_applied = false;
            ep_utf8_copy (self->last_command_outcome, sizeof self->last_command_outcome, outcome);
            self->state_dirty = true;
        }
        if (readable)
            execplane__v1__plane_command__free_unpacked (readable, NULL);
        if (ep_journal_begin (self->journal)
        ||  ep_journal_add_command (self->journal, self->last_seq, 0, 0, 0, "", sender, "",
                                    false, outcome, data, size))
            s_fail (self, "journal write failed");
        return;
    }
    if (command->kind == EP_COMMAND (RECONCILE)) {
        s_handle_reconcile (self, command, sender, data, size);
        execplane__v1__plane_command__free_unpacked (command, NULL);
        return;
    }
    const char *kind = ep_command_name (command->kind);
    if (!kind || command->kind == EP_COMMAND (COMMAND_KIND_UNSPECIFIED))
        snprintf (outcome, sizeof outcome, "refused: unknown command kind %d", command->kind);
    else
    if (command->kind == EP_COMMAND (SELECT)
    &&  command->plane != EP_PLANE (PAPER) && command->plane != EP_PLANE (LIVE))
        snprintf (outcome, sizeof outcome, "refused: SELECT needs plane PAPER or LIVE");
    else
    if (command->epoch <= self->epoch)
        snprintf (outcome, sizeof outcome, "refused: epoch %llu is not above the current %llu",
                  (unsigned long long) command->epoch, (unsigned long long) self->epoch);
    else {
        applied = true;
        if (command->kind == EP_COMMAND (SELECT))
            self->plane = command->plane;
        else
            self->halted = command->kind == EP_COMMAND (HALT);
        self->epoch = command->epoch;
        ep_utf8_copy (self->issued_by, sizeof self->issued_by, command->issued_by);
        ep_utf8_copy (self->reason, sizeof self->reason, command->reason);
        self->changed_at_seq = self->last_seq;
        snprintf (outcome, sizeof outcome, "applied: %s%s%s, epoch %llu", kind,
                  command->kind == EP_COMMAND (SELECT) ? " " : "",
                  command->kind == EP_COMMAND (SELECT) ? ep_plane_name (command->plane) : "",
                  (unsigned long long) command->epoch);
    }
    self->last_command_epoch = command->epoch;
    ep_utf8_copy (self->last_command_issued_by, sizeof self->last_command_issued_by,
                  command->issued_by);
    self->last_command_applied = applied;
    ep_utf8_trim (outcome);             //  a long id may have cut it short
    ep_utf8_copy (self->last_command_outcome, sizeof self->last_command_outcome, outcome);
    self->state_dirty = true;
    (applied ? ep_log_info : ep_log_warn) ("control: %s from %s (%s): %s",
        kind ? kind : "?", command->issued_by, sender, outcome);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_command (self->journal, self->last_seq, command->kind, command->plane,
                                command->epoch, command->issued_by, sender, command->reason,
                                applied, outcome, data, size)
    ||  (applied && s_save_state (self)))
        s_fail (self, "journal write failed");
    execplane__v1__plane_command__free_unpacked (command, NULL);
}

//  --------------------------------------------------------------------------
//  Intake

//  Logs and journals a refusal (an `events` row of kind `refused`). Only
//  those the guard picks get one (ep_guard_record_refusal); the others are
//  summed up once per interval (s_summarize_refusals).
static void
s_journal_refusal (ep_router_t *self, const char *detail)
{
    ep_log_warn ("%s", detail);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_event (self->journal, self->last_seq, "refused", detail))
        s_fail (self, "journal write failed");
}

//  The refusals counted without a row of their own, in one row per interval
//  (or at once if final): the journal's rows stay bounded under a flood.
static void
s_summarize_refusals (ep_router_t *self, bool final)
{
    char detail [512];
    if (ep_guard_refusal_summary (self->guard, final, detail, sizeof detail))
        s_journal_refusal (self, detail);
}

//  Counts a refusal of key on domain and, within the guard's budget, logs
//  and journals it as format says.
static void
s_refuse (ep_router_t *self, ep_refusal_kind_t kind, const char *domain, const char *key,
          const char *format, ...) __attribute__ ((format (printf, 5, 6)));

static void
s_refuse (ep_router_t *self, ep_refusal_kind_t kind, const char *domain, const char *key,
          const char *format, ...)
{
    self->stats.unauthorized++;
    if (!ep_guard_record_refusal (self->guard, kind, domain, key ? key : ""))
        return;
    char detail [512];
    va_list args;
    va_start (args, format);
    vsnprintf (detail, sizeof detail, format, args);
    va_end (args);
    ep_utf8_trim (detail);
    s_journal_refusal (self, detail);
}

//  Checks a message's sender against domain; a refusal is counted, and
//  logged and journaled within the guard's budget.
static bool
s_admitted (ep_router_t *self, const char *domain, const char *user_id, ep_peer_t *peer)
{
    char why [256];
    if (ep_guard_check (self->guard, domain, user_id, peer, why, sizeof why))
        return true;
    s_refuse (self, EP_REFUSAL_MESSAGE, domain, user_id, "%s: refused %s: %s", domain,
              peer->sender, why);
    return false;
}

static void
s_count_malformed (ep_router_t *self, const char *why, size_t size)
{
    self->stats.malformed++;
    self->malformed_unlogged++;
    int64_t now = ep_sock_clock_ms ();
    if (now - self->malformed_logged_ms >= 1000) {
        ep_log_warn ("intake: %llu malformed message(s) dropped without report; last: %s "
                     "(%zu bytes)", (unsigned long long) self->malformed_unlogged, why, size);
        self->malformed_logged_ms = now;
        self->malformed_unlogged = 0;
    }
}

//  The sender's own stream, for what cannot be told to a strategy: its
//  public key (Z85) under CURVE, "insecure" without.
static const char *
s_sender_key (const ep_peer_t *peer)
{
    const char *colon = strchr (peer->sender, ':');     //  names hold no colon; keys may
    return ep_security_curve () && colon ? colon + 1 : "insecure";
}

//  Whose stream an intent's reports go to. An intent goes to its
//  strategy's stream (outcome.<strategy_id>) only if its strategy_id is
//  valid and its sender may speak for that strategy. Anything else is told
//  to the sender alone, on its own stream (refused.<sender key>, empty
//  strategy_id): a key that may not speak for a strategy must never put
//  anything in that strategy's topic, journal view or query replay, not
//  even a refusal. Returns true for the strategy's stream; else false with
//  the failure and the reason.
static bool
s_attribute (const ep_peer_t *peer, const ep_intent_t *intent, int *failure, char *reason,
             size_t size)
{
    if (!ep_id_valid (intent->strategy_id)) {
        *failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, size, "strategy_id must be 1 to %d characters of A-Z a-z 0-9 . _ : -",
                  EP_ID_MAX);
        return false;
    }
    if (ep_security_curve () && !ep_key_info_speaks_for (&peer->info, intent->strategy_id)) {
        *failure = EP_FAILURE (UNAUTHORIZED);
        snprintf (reason, size, "key %s may not speak for strategy %s", peer->info.name,
                  intent->strategy_id);
        return false;
    }
    return true;
}

//  Under CURVE only a safety key sends a Safety Sell.
static bool
s_may_send_safety (const ep_peer_t *peer, const ep_intent_t *intent, char *reason, size_t size)
{
    if (!ep_security_curve () || !intent->safety || peer->info.role == EP_ROLE_SAFETY)
        return true;
    snprintf (reason, size, "only a safety key may send a Safety Sell (key %s is a %s key)",
              peer->info.name, ep_role_name (peer->info.role));
    return false;
}

//  The router's decision on an intent that will not be dispatched.
static void
s_reject (ep_router_t *self, const ep_intent_t *intent, uint64_t router_seq, int plane,
          int failure, const char *reason, const char *sender_key)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = intent->intent_id;
    report.strategy_id = sender_key ? "" : intent->strategy_id;
    report.sender_key = sender_key ? (char *) sender_key : "";
    //  Only text the router accepts is echoed back.
    report.symbol = ep_id_valid (intent->symbol) ? intent->symbol : "";
    report.side = intent->side;
    report.plane = plane;
    report.plane_epoch = self->epoch;
    report.status = EP_STATUS (REJECTED);
    report.failure = failure;
    report.reason = (char *) reason;
    report.terminal = true;
    report.router_seq = router_seq;
    report.safety = intent->safety;
    s_emit (self, &report, EP_ORIGIN_ROUTER, false, NULL, 0);
    self->stats.rejected++;
}

static void
s_handle_intent (ep_router_t *self, const uint8_t *data, size_t size, const ep_peer_t *peer)
{
    //  Its text first: protobuf-c would cut an id at a NUL.
    const char *bad_field = NULL;
    ep_text_t text = ep_validate_text (data, size, &bad_field);
    if (text == EP_TEXT_UNREADABLE) {
        s_count_malformed (self, "intent_id or strategy_id is not UTF-8 text without NUL", size);
        return;
    }
    //  Decoded into the arena, which is reset when the intent is handled.
    ep_intent_t *intent = execplane__v1__order_intent__unpack (&self->arena.allocator, size,
                                                               data);
    if (!intent) {
        ep_arena_reset (&self->arena);
        s_count_malformed (self, "not an OrderIntent", size);
        return;
    }
    //  Unknown fields are ignored, and never forwarded to a worker: the
    //  intent is forwarded as it came only if it has none.
    bool verbatim = intent->base.n_unknown_fields == 0;
    ep_wire_drop_unknown_in (&intent->base, &self->arena.allocator);
    uint64_t router_seq = ++self->last_router_seq;
    int plane = self->plane;
    int failure = EP_FAILURE (FAILURE_NONE);
    char reason [512] = "";
    if (ep_journal_begin (self->journal)) {
        s_fail (self, "journal write failed");
        goto out;
    }
    bool attributed = s_attribute (peer, intent, &failure, reason, sizeof reason);
    if (!attributed)
        ;
    else
    if (!ep_id_valid (intent->intent_id)) {
        failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, sizeof reason, "intent_id must be 1 to %d characters of A-Z a-z 0-9 "
                  ". _ : -", EP_ID_MAX);
    }
    else
    if (text == EP_TEXT_BAD_FIELD) {
        failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, sizeof reason, "%s is not UTF-8 text without NUL", bad_field);
    }
    else
    if (!s_may_send_safety (peer, intent, reason, sizeof reason))
        failure = EP_FAILURE (UNAUTHORIZED);
    else {
        int claim = ep_journal_claim (self->journal, intent->strategy_id, intent->intent_id,
                                      router_seq);
        if (claim < 0) {
            s_fail (self, "journal write failed");
            goto out;
        }
        if (claim == 0) {
            failure = EP_FAILURE (DUPLICATE_INTENT);
            snprintf (reason, sizeof reason, "intent_id %s was already used by strategy %s",
                      intent->intent_id, intent->strategy_id);
        }
        else
        if (!ep_validate_intent (intent, reason, sizeof reason))
            failure = EP_FAILURE (INVALID_INTENT);
        else
        if (self->halted && !intent->safety) {
            failure = EP_FAILURE (PLANE_HALTED);
            snprintf (reason, sizeof reason, "execution is halted (by %s: %s)",
                      self->issued_by, self->reason);
        }
        else
        if (!self->worker [plane].alive) {
            failure = EP_FAILURE (PLANE_UNAVAILABLE);
            snprintf (reason, sizeof reason, "no %s worker is alive",
                      plane == EP_PLANE (LIVE) ? "live" : "paper");
        }
    }
    bool dispatched = failure == EP_FAILURE (FAILURE_NONE);
    //  An intent told to its sender alone is journaled under no strategy.
    if (ep_journal_add_intent (self->journal, router_seq, attributed ? intent->strategy_id : "",
                               intent->intent_id, plane, self->epoch, dispatched, peer->sender,
                               data, size)) {
        s_fail (self, "journal write failed");
        goto out;
    }
    if (dispatched) {
        int64_t deadline = plane == EP_PLANE (LIVE) ? self->config.live_deadline_ms
                                                    : self->config.paper_deadline_ms;
        ep_dispatch_t dispatch;
        execplane__v1__dispatch__init (&dispatch);
        dispatch.intent = intent;
        dispatch.plane = plane;
        dispatch.plane_epoch = self->epoch;
        dispatch.router_seq = router_seq;
        dispatch.router_boot = self->boot;
        if (plane == EP_PLANE (LIVE))
            s_stamp_live (self, &dispatch, true);
        size_t packed_size;
        uint8_t *packed = verbatim ? s_pack_around (&dispatch, data, size, &packed_size)
                                   : s_pack (&dispatch.base, &packed_size);
        if (!packed
        ||  !ep_inflight_add (self->inflight, router_seq, intent, plane, self->epoch,
                              ep_sock_clock_ms () + deadline, false)
        ||  ep_outbox_push (&self->pending, ep_exec_topic (plane), packed, packed_size,
                          router_seq)) {
            free (packed);
            s_fail (self, "out of memory");
            goto out;
        }
        self->stats.accepted++;
    }
    else {
        if (!attributed) {
            char shown [EP_ID_MAX + 1];     //  its id as sent may hold anything printable
            ep_utf8_clean (shown, sizeof shown, intent->intent_id, strlen (intent->intent_id));
            ep_log_warn ("intake: intent %s from %s refused, told to the sender alone: %s",
                         shown, peer->sender, reason);
        }
        s_reject (self, intent, router_seq, plane, failure, reason,
                  attributed ? NULL : s_sender_key (peer));
    }
out:
    ep_arena_reset (&self->arena);
}

//  --------------------------------------------------------------------------
//  Workers

//  A plane's worker is alive while it is heard (heartbeats within
//  worker_timeout_ms) and subscribed to exec.<plane>: what is dispatched to
//  a worker that is not subscribed is lost, so then the plane is treated
//  as unavailable, and its intents are rejected at once.
//
//  Whether it is subscribed, only the worker can say: libzmq hands over a
//  subscription's end without saying whose connection ended, and any
//  worker key could send unsubscriptions or subscribe and go. So each
//  time a subscription to exec.<plane> starts or ends, the router sends a
//  probe there, and the plane's worker repeats the newest it heard in
//  every message: it is subscribed if it has repeated one and, since the
//  latest was sent, repeated that one too or had worker_timeout_ms to.
static bool
s_subscribed (ep_router_t *self, const s_worker_t *worker, int64_t now)
{
    return worker->probe_heard > 0
        && (worker->probe_heard >= worker->probe_sent
            || now - worker->probe_sent_ms < self->config.worker_timeout_ms);
}
static void
s_set_alive (ep_router_t *self, int plane, bool alive, const char *why)
{
    s_worker_t *worker = &self->worker [plane];
    if (alive && !s_subscribed (self, worker, ep_sock_clock_ms ()))
        alive = false;
    if (worker->alive == alive)
        return;
    worker->alive = alive;
    self->state_dirty = true;
    char detail [256];
    snprintf (detail, sizeof detail, "%s worker %s %s: %s", ep_plane_name (plane),
              worker->session, alive ? "alive" : "lost", why);
    (alive ? ep_log_info : ep_log_warn) ("%s", detail);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_event (self->journal, self->last_seq, "worker", detail))
        s_fail (self, "journal write failed");
}

//  Makes session the plane's worker: the only one whose reports count.
//  The session is bound to the key that presented it (key: its Z85 public
//  key, "" when insecure): the router names the session in every live
//  dispatch, so another worker key could learn it and speak as it.
static void
s_adopt (ep_router_t *self, int plane, const char *session, const char *key, const char *why)
{
    s_worker_t *worker = &self->worker [plane];
    if (strcmp (worker->session, session)) {
        worker->alive = false;
        snprintf (worker->session, sizeof worker->session, "%s", session);
        snprintf (worker->key, sizeof worker->key, "%s", key);
        worker->probe_heard = 0;        //  the new worker proves its own subscription
    }
    worker->last_heard_ms = ep_sock_clock_ms ();
    s_set_alive (self, plane, true, why);
}

//  True if key may speak as the plane's adopted session: the key that
//  presented it (always, when insecure).
static bool
s_session_key_matches (const s_worker_t *worker, const char *key)
{
    return !ep_security_curve () || !*worker->key || (key && streq (worker->key, key));
}

//  A report a plane produced, for the intent it names.
//  A plane answered on an intent whose terminal report the router already
//  made (deadline, restart): the report is late. If the plane says the order
//  still rests, it is a "zombie": kept in the table (acked, no deadline) so
//  that a restarted worker is restored with it, exactly as the plane and
//  ep-replay see the book; its later reports stay late.
static ep_inflight_entry_t *
s_track_zombie (ep_router_t *self, ep_inflight_entry_t *entry, const ep_report_t *report,
                int plane, uint64_t epoch, const void *intent_payload, size_t intent_size)
{
    if (ep_journal_begin (self->journal)) {
        s_fail (self, "journal write failed");
        return entry;
    }
    if (report->terminal) {
        if (entry) {
            ep_inflight_remove (self->inflight, report->router_seq);
            if (ep_journal_set_zombie (self->journal, report->router_seq, false))
                s_fail (self, "journal write failed");
        }
        return NULL;
    }
    if (!entry) {
        ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, intent_size,
                                                                   intent_payload);
        if (intent) {
            entry = ep_inflight_add (self->inflight, report->router_seq, intent, plane, epoch,
                                     0, true);
            execplane__v1__order_intent__free_unpacked (intent, NULL);
        }
        if (!entry) {
            s_fail (self, "out of memory");
            return NULL;
        }
        entry->zombie = true;
        if (ep_journal_set_zombie (self->journal, report->router_seq, true))
            s_fail (self, "journal write failed");
    }
    entry->filled_qty_e8 = report->filled_qty_e8;
    entry->avg_price_e8 = report->avg_price_e8;
    return entry;
}

//  Leaves out of report's fills those the router has (known of them): a
//  plane may repeat fills that a router that stopped could have missed.
//  Tells of fills that never reached the router. Returns how many fills
//  it left out; the caller puts them back before freeing the report.
static size_t
s_new_fills (ep_router_t *self, ep_report_t *report, uint32_t known)
{
    if (report->first_fill > known) {
        self->stats.fill_gaps++;
        ep_log_intent (EP_LOG_WARN, report->strategy_id, report->intent_id,
                       " (router_seq %llu): fills %u to %u never reached the router: "
                       "the plane's cumulative figures stand",
                       (unsigned long long) report->router_seq, known + 1, report->first_fill);
        char detail [256];
        snprintf (detail, sizeof detail, "router_seq %llu: fills %u to %u missing",
                  (unsigned long long) report->router_seq, known + 1, report->first_fill);
        if (ep_journal_begin (self->journal)
        ||  ep_journal_add_event (self->journal, self->last_seq, "fill-gap", detail))
            s_fail (self, "journal write failed");
        return 0;
    }
    size_t repeated = known - report->first_fill;
    if (repeated > report->n_fills)
        repeated = report->n_fills;
    report->fills += repeated;
    report->n_fills -= repeated;
    report->first_fill += (uint32_t) repeated;
    return repeated;
}

//  A report a plane produced, for the intent it names; produced is its
//  bytes as the plane sent them (NULL: pack it).
static void
s_plane_report (ep_router_t *self, int plane, ep_report_t *report, const ep_slice_t *produced)
{
    uint64_t plane_epoch = report->plane_epoch;    //  as the plane said
    ep_inflight_entry_t *entry = ep_inflight_find (self->inflight, report->router_seq);
    if (entry && entry->plane != plane)
        entry = NULL;
    bool late = !entry || entry->zombie;
    uint32_t known_fills = entry ? entry->fills : 0;
    if (late) {
        //  Either its terminal report was already made, or the worker names
        //  an intent it was never sent, which is ignored.
        int journaled_plane = 0;
        uint64_t epoch = 0;
        bool dispatched = false;
        void *payload = NULL;
        size_t size = 0;
        int found = ep_journal_intent (self->journal, report->router_seq, &journaled_plane,
                                       &epoch, &dispatched, &payload, &size);
        if (found <= 0 || !dispatched || journaled_plane != plane) {
            self->stats.fenced_reports++;
            ep_log_intent (EP_LOG_WARN, report->strategy_id, report->intent_id,
                           ": the %s worker reported on it as router_seq %llu, which was never "
                           "dispatched to it: ignored", ep_plane_name (plane),
                           (unsigned long long) report->router_seq);
            if (ep_journal_begin (self->journal)
            ||  ep_journal_add_event (self->journal, self->last_seq, "bogus-report",
                                      report->intent_id))
                s_fail (self, "journal write failed");
            free (payload);
            return;
        }
        if (!entry)
            known_fills = s_known_fills (self, report->router_seq).fills;
        report->plane_epoch = epoch;
        entry = s_track_zombie (self, entry, report, plane, epoch, payload, size);
        free (payload);
    }
    else {
        entry->acked = true;
        entry->filled_qty_e8 = report->filled_qty_e8;
        entry->avg_price_e8 = report->avg_price_e8;
        report->plane_epoch = entry->plane_epoch;
    }
    size_t repeated = s_new_fills (self, report, known_fills);
    if (entry)
        entry->fills = s_fills_after (known_fills, report);
    //  The plane's report as produced, less the fills the router had.
    size_t plane_size = produced ? produced->size : 0;
    uint8_t *plane_payload = NULL;
    if (!produced || repeated) {
        uint64_t router_epoch = report->plane_epoch;
        report->plane_epoch = plane_epoch;
        plane_payload = s_pack (&report->base, &plane_size);
        report->plane_epoch = router_epoch;
        if (!plane_payload) {
            s_fail (self, "out of memory");
            report->fills -= repeated;
            report->n_fills += repeated;
            return;
        }
    }
    report->plane = plane;
    bool plane_terminal = report->terminal;
    char reason [512];
    char *plane_reason = report->reason;    //  owned by the unpacked message
    if (late) {
        //  A reconciliation answers after the terminal report by design; any
        //  other late report says that it is late.
        if (!report->reconciled) {
            snprintf (reason, sizeof reason, "late: arrived after this intent's terminal "
                      "report; the plane said %s%s: %s", ep_status_name (report->status),
                      plane_terminal ? " (terminal)" : "", report->reason);
            report->reason = reason;
        }
        report->terminal = false;
    }
    s_emit (self, report, EP_ORIGIN_PLANE, late,
            plane_payload ? plane_payload : produced->data, plane_size);
    //  Put back what belongs to the unpacked message: free_unpacked frees it.
    report->reason = plane_reason;
    report->fills -= repeated;
    report->n_fills += repeated;
    free (plane_payload);
    if (!late && plane_terminal)
        ep_inflight_remove (self->inflight, report->router_seq);
}

static void
s_handle_result (ep_router_t *self, const char *kind, const uint8_t *data, size_t size,
                 const char *user_id)
{
    ep_peer_t peer;
    if (!s_admitted (self, "results", user_id, &peer))
        return;
    //  Decoded into the arena, which is reset when the message is handled.
    ep_worker_msg_t *message = execplane__v1__worker_message__unpack (&self->arena.allocator,
                                                                      size, data);
    ep_wire_drop_unknown_in (message ? &message->base : NULL, &self->arena.allocator);
    if (!message || (message->plane != EP_PLANE (PAPER) && message->plane != EP_PLANE (LIVE))) {
        ep_log_warn ("results: undecodable worker message (%zu bytes) ignored", size);
        ep_arena_reset (&self->arena);
        return;
    }
    int plane = message->plane;
    if (ep_security_curve () && peer.info.plane != plane) {
        //  A worker key serves its own plane only.
        s_refuse (self, EP_REFUSAL_MESSAGE, "results", user_id, "results: refused %s: a %s "
                  "worker key may not report for %s", peer.sender,
                  ep_plane_name (peer.info.plane), ep_plane_name (plane));
        ep_arena_reset (&self->arena);
        return;
    }
    s_worker_t *worker = &self->worker [plane];
    if (streq (worker->session, message->session) && !s_session_key_matches (worker, user_id)) {
        s_refuse (self, EP_REFUSAL_MESSAGE, "results", user_id, "results: refused %s: %s "
                  "worker session %s belongs to another key", peer.sender,
                  ep_plane_name (plane), message->session);
        ep_arena_reset (&self->arena);
        return;
    }
    //  A worker that stops says so: its plane is unavailable at once, and
    //  the next worker need not wait for worker_timeout_ms to take over.
    if (streq (kind, "bye")) {
        if (streq (worker->session, message->session))
            s_set_alive (self, plane, false, "it stopped");
        ep_arena_reset (&self->arena);
        return;
    }
    if (strcmp (worker->heard_session, message->session))
        snprintf (worker->heard_session, sizeof worker->heard_session, "%s", message->session);
    worker->heard_number = message->number;
    if (strcmp (worker->session, message->session)) {
        if (worker->alive) {
            //  Another worker serves this plane: its reports would realize
            //  intents twice, so they are fenced off.
            self->stats.fenced_reports += message->n_reports;
            if (message->n_reports) {
                ep_log_warn ("%s worker %s is not the plane's worker (%s is): %zu report(s) "
                             "fenced", ep_plane_name (plane), message->session, worker->session,
                             message->n_reports);
                if (ep_journal_begin (self->journal)
                ||  ep_journal_add_event (self->journal, self->last_seq, "fenced",
                                          message->session))
                    s_fail (self, "journal write failed");
            }
            ep_arena_reset (&self->arena);
            return;
        }
        s_adopt (self, plane, message->session, user_id ? user_id : "", "first heartbeat");
    }
    worker->last_heard_ms = ep_sock_clock_ms ();
    if (message->probe > worker->probe_heard)
        worker->probe_heard = message->probe;
    s_set_alive (self, plane, true, "heartbeat");
    if (streq (kind, "reports")) {
        //  Each report's bytes as the plane produced them, for the journal.
        ep_slice_t produced [S_SLICES];
        size_t n_produced = ep_wire_fields (data, size, 4, produced, S_SLICES);
        for (size_t i = 0; i < message->n_reports && !self->failed; i++)
            s_plane_report (self, plane, message->reports [i],
                            n_produced == message->n_reports && i < S_SLICES ? &produced [i]
                                                                             : NULL);
        if (message->tick > worker->processed_through)
            worker->processed_through = message->tick;
    }
    ep_arena_reset (&self->arena);
}

//  --------------------------------------------------------------------------
//  Query: report replay and worker restore


//  Sends [identity][kind][message] on query; frees nothing.
static void
s_reply (ep_router_t *self, zframe_t *identity, const char *kind, const ProtobufCMessage *message)
{
    size_t size;
    uint8_t *data = s_pack (message, &size);
    if (!data)
        return;
    void *handle = zsock_resolve (self->query);
    zmq_send (handle, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, kind, strlen (kind), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, data, size, ZMQ_DONTWAIT);
    free (data);
}

//  Answers a claim (restore) with [identity]["refused"][why], and logs it
//  once per claiming session, since a standby worker asks again every few
//  seconds.
static void
s_refuse_claim (ep_router_t *self, zframe_t *identity, const char *session, const char *why)
{
    void *handle = zsock_resolve (self->query);
    zmq_send (handle, zframe_data (identity), zframe_size (identity), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, "refused", 7, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (handle, why, strlen (why), ZMQ_DONTWAIT);
    if (strcmp (self->refused_claim, session)) {
        snprintf (self->refused_claim, sizeof self->refused_claim, "%s", session);
        ep_log_warn ("query: live worker %s may not claim the plane: %s", session, why);
    }
}

//  Copies of each report payload must outlive the journal cursor: the
//  reports are collected into owned copies, then packed into the reply.
typedef struct {
    ep_query_reply_t reply;
    ProtobufCBinaryData items [S_QUERY_LIMIT];
    const ep_peer_t *peer;              //  who asks: a strategy key sees its own only
} s_query_t;

//  True if the report in payload was told to the sender whose key this is
//  (its own stream: a refusal journaled under no strategy).
static bool
s_told_to (const void *payload, size_t size, const char *key)
{
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    bool told = report && streq (report->sender_key, key);
    if (report)
        execplane__v1__execution_report__free_unpacked (report, NULL);
    return told;
}

static void
s_copy_payload (void *arg, uint64_t seq, const char *strategy_id, const void *payload,
                size_t size)
{
    (void) seq;
    s_query_t *query = arg;
    if (ep_security_curve ()
    &&  (query->peer->info.role == EP_ROLE_STRATEGY || query->peer->info.role == EP_ROLE_SAFETY)
    &&  !(*strategy_id ? ep_key_info_speaks_for (&query->peer->info, strategy_id)
                       : s_told_to (payload, size, s_sender_key (query->peer))))
        return;
    uint8_t *copy = malloc (size ? size : 1);
    if (!copy)
        return;
    memcpy (copy, payload, size);
    ProtobufCBinaryData *item = &query->reply.reports [query->reply.n_reports++];
    item->data = copy;
    item->len = size;
}

static void
s_serve_reports (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                 const ep_peer_t *peer)
{
    ep_query_request_t *request = execplane__v1__query_request__unpack (NULL, size, data);
    if (!request)
        return;
    static s_query_t query;
    execplane__v1__query_reply__init (&query.reply);
    query.reply.reports = query.items;
    query.peer = peer;
    unsigned limit = request->limit && request->limit < S_QUERY_LIMIT ? request->limit
                                                                      : S_QUERY_LIMIT;
    uint64_t through = 0;
    uint64_t from = request->from_seq ? request->from_seq : 1;
    if (ep_journal_reports (self->journal, from, request->to_seq, request->strategy_id, limit,
                            s_copy_payload, &query, &through) >= 0) {
        query.reply.through_seq = through;
        query.reply.head_seq = self->last_seq;
        s_reply (self, identity, "reports", &query.reply.base);
    }
    for (size_t i = 0; i < query.reply.n_reports; i++)
        free (query.items [i].data);
    execplane__v1__query_request__free_unpacked (request, NULL);
}

typedef struct {
    ep_router_t *router;
    int plane;
    zlistx_t *orders;                   //  ep_resting_order_t *, owned
} s_restore_t;

static void
s_collect_fill (void *arg, uint64_t seq, const void *payload, size_t size)
{
    (void) seq;
    ep_resting_order_t *order = arg;
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    if (!report)
        return;
    for (size_t i = 0; i < report->n_fills; i++)
        if (ep_wire_fills_append (&order->fills, &order->n_fills, report->fills [i]))
            break;
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
s_free_order (ep_resting_order_t *order)
{
    ep_wire_fills_free (order->fills, order->n_fills);
    if (order->dispatch) {
        if (order->dispatch->intent)
            execplane__v1__order_intent__free_unpacked (order->dispatch->intent, NULL);
        free (order->dispatch);
    }
    free (order);
}

static void
s_collect_resting (void *arg, ep_inflight_entry_t *entry)
{
    s_restore_t *restore = arg;
    if (entry->plane != restore->plane || !entry->acked)
        return;
    int plane;
    uint64_t epoch;
    bool dispatched;
    void *payload = NULL;
    size_t size = 0;
    if (ep_journal_intent (restore->router->journal, entry->router_seq, &plane, &epoch,
                           &dispatched, &payload, &size) != 1)
        return;
    ep_resting_order_t *order = calloc (1, sizeof *order);
    ep_dispatch_t *dispatch = calloc (1, sizeof *dispatch);
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    ep_wire_drop_unknown (intent ? &intent->base : NULL);
    free (payload);
    if (!order || !dispatch || !intent) {
        free (order);
        free (dispatch);
        if (intent)
            execplane__v1__order_intent__free_unpacked (intent, NULL);
        return;
    }
    execplane__v1__resting_order__init (order);
    execplane__v1__dispatch__init (dispatch);
    dispatch->intent = intent;
    dispatch->plane = plane;
    dispatch->plane_epoch = epoch;
    dispatch->router_seq = entry->router_seq;
    dispatch->router_boot = restore->router->boot;
    order->dispatch = dispatch;
    ep_journal_plane_reports (restore->router->journal, entry->router_seq, s_collect_fill, order);
    zlistx_add_end (restore->orders, order);
}

static int
s_compare_orders (const void *a, const void *b)
{
    uint64_t x = ((const ep_resting_order_t *) a)->dispatch->router_seq;
    uint64_t y = ((const ep_resting_order_t *) b)->dispatch->router_seq;
    return x < y ? -1 : x > y;
}

//  Holds a restore until the messages its worker pushed before asking are
//  read (they travel on another socket): a report the worker sent just
//  before must be in the reply's view, or the worker would be told of an
//  order it has already finished. Returns true if it was held.
static bool
s_hold_restore (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                const ep_peer_t *peer, const ep_restore_request_t *request, int64_t until_ms)
{
    s_worker_t *worker = &self->worker [request->plane];
    bool heard = streq (worker->heard_session, request->session)
              && worker->heard_number >= request->through_number;
    if (heard || !request->through_number || ep_sock_clock_ms () >= until_ms
    ||  self->n_restores == S_RESTORES)
        return false;
    s_waiting_restore_t *waiting = &self->restores [self->n_restores];
    waiting->data = malloc (size ? size : 1);
    if (!waiting->data)
        return false;
    memcpy (waiting->data, data, size);
    waiting->size = size;
    waiting->identity = zframe_dup (identity);
    waiting->peer = *peer;
    waiting->until_ms = until_ms;
    self->n_restores++;
    return true;
}

static void
s_serve_restore (ep_router_t *self, zframe_t *identity, const uint8_t *data, size_t size,
                 const ep_peer_t *peer, int64_t until_ms)
{
    ep_restore_request_t *request = execplane__v1__restore_request__unpack (NULL, size, data);
    if (!request)
        return;
    int plane = request->plane;
    if (ep_security_curve ()
    &&  (peer->info.role != EP_ROLE_WORKER || peer->info.plane != plane)) {
        s_refuse (self, EP_REFUSAL_MESSAGE, "query", peer->sender, "query: restore of the %s "
                  "plane refused to %s: not that plane's worker key",
                  ep_plane_name (plane) ? ep_plane_name (plane) : "?", peer->sender);
        execplane__v1__restore_request__free_unpacked (request, NULL);
        return;
    }
    if ((plane != EP_PLANE (PAPER) && plane != EP_PLANE (LIVE))
    ||  s_hold_restore (self, identity, data, size, peer, request, until_ms)) {
        execplane__v1__restore_request__free_unpacked (request, NULL);
        return;
    }
    //  Only one live worker may ever submit: while the adopted one is alive,
    //  another live worker's claim is refused (it stands by, and claims the
    //  plane once the adopted one is gone). A paper worker that asks takes
    //  over from the one before (paper realizes nothing outside).
    s_worker_t *adopted = &self->worker [plane];
    const char *key = ep_security_curve () ? s_sender_key (peer) : "";
    char why [256] = "";
    if (streq (adopted->session, request->session) && !s_session_key_matches (adopted, key))
        snprintf (why, sizeof why, "worker session %s belongs to another key",
                  request->session);
    else
    if (plane == EP_PLANE (LIVE) && adopted->alive && strcmp (adopted->session, request->session))
        snprintf (why, sizeof why, "the live plane is served by worker session %s: another "
                  "live worker may claim it only once that one is gone", adopted->session);
    if (*why) {
        s_refuse_claim (self, identity, request->session, why);
        execplane__v1__restore_request__free_unpacked (request, NULL);
        return;
    }
    //  The worker that asks to be restored is the plane's worker from now
    //  on: reports from an earlier one are fenced off.
    s_adopt (self, plane, request->session, key, "restored");
    s_restore_t restore = { self, plane, zlistx_new () };
    zlistx_set_comparator (restore.orders, s_compare_orders);
    ep_inflight_each (self->inflight, s_collect_resting, &restore);
    zlistx_sort (restore.orders);
    ep_restore_reply_t reply;
    execplane__v1__restore_reply__init (&reply);
    reply.n_orders = zlistx_size (restore.orders);
    reply.orders = calloc (reply.n_orders + 1, sizeof *reply.orders);
    size_t n = 0;
    for (ep_resting_order_t *order = zlistx_first (restore.orders); order && reply.orders;
         order = zlistx_next (restore.orders))
        reply.orders [n++] = order;
    reply.n_orders = n;
    reply.processed_through = self->worker [plane].processed_through;
    reply.router_boot = self->boot;
    s_reply (self, identity, "restore", &reply.base);
    ep_log_info ("%s worker %s restored with %zu resting order(s), processed through %llu",
                 ep_plane_name (plane), request->session, n,
                 (unsigned long long) reply.processed_through);
    free (reply.orders);
    for (ep_resting_order_t *order = zlistx_first (restore.orders); order;
         order = zlistx_next (restore.orders))
        s_free_order (order);
    zlistx_destroy (&restore.orders);
    execplane__v1__restore_request__free_unpacked (request, NULL);
}

//  Restores held for their worker's messages: each is tried again (and
//  answered once they are read, or at its bound).
static void
s_serve_waiting_restores (ep_router_t *self)
{
    size_t count = self->n_restores;
    s_waiting_restore_t waiting [S_RESTORES];
    memcpy (waiting, self->restores, count * sizeof *waiting);
    self->n_restores = 0;
    for (size_t i = 0; i < count; i++) {
        s_serve_restore (self, waiting [i].identity, waiting [i].data, waiting [i].size,
                         &waiting [i].peer, waiting [i].until_ms);
        zframe_destroy (&waiting [i].identity);
        free (waiting [i].data);
    }
}

static void
s_handle_query (ep_router_t *self)
{
    zmsg_t *msg = zmsg_recv_nowait (self->query);
    if (!msg)
        return;
    zframe_t *identity = zmsg_pop (msg);
    char *kind = zmsg_popstr (msg);
    zframe_t *body = zmsg_pop (msg);
    ep_peer_t peer;
    if (identity && kind && body
    &&  s_admitted (self, "query", zframe_meta (body, "User-Id"), &peer)) {
        if (streq (kind, "reports") && ep_security_curve () && peer.info.role == EP_ROLE_WORKER)
            //  A worker is restored through query; it reads no report.
            s_refuse (self, EP_REFUSAL_MESSAGE, "query", peer.sender, "query: refused %s: a "
                      "worker key may only ask to be restored, not read reports", peer.sender);
        else
        if (streq (kind, "reports"))
            s_serve_reports (self, identity, zframe_data (body), zframe_size (body), &peer);
        else
        if (streq (kind, "restore"))
            s_serve_restore (self, identity, zframe_data (body), zframe_size (body), &peer,
                             ep_sock_clock_ms () + S_RESTORE_WAIT_MS);
    }
    zframe_destroy (&identity);
    zstr_free (&kind);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Start-up recovery

//  An entry's cumulative fill is its plane's last word on it.
static void
s_restore_fill_totals (ep_router_t *self, ep_inflight_entry_t *entry)
{
    s_known_fills_t known = s_known_fills (self, entry->router_seq);
    entry->filled_qty_e8 = known.filled_qty_e8;
    entry->avg_price_e8 = known.avg_price_e8;
    entry->fills = known.fills;
}

static void
s_recover_intent (void *arg, uint64_t router_seq, int plane, uint64_t epoch, bool acked,
                  const void *payload, size_t size)
{
    ep_router_t *self = arg;
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    if (!intent)
        return;
    ep_inflight_entry_t *entry = ep_inflight_add (self->inflight, router_seq, intent, plane,
                                                  epoch, 0, acked);
    execplane__v1__order_intent__free_unpacked (intent, NULL);
    if (!entry) {
        s_fail (self, "out of memory");
        return;
    }
    if (acked) {
        //  A resting order stays in flight; its cumulative fill is its
        //  plane's last word on it.
        s_restore_fill_totals (self, entry);
        return;
    }
    s_expire (self, entry, "the router restarted before the plane answered");
}

//  A zombie: its terminal report is made, but its plane holds it resting.
static void
s_recover_zombie (void *arg, uint64_t router_seq, int plane, uint64_t epoch, bool acked,
                  const void *payload, size_t size)
{
    (void) acked;
    ep_router_t *self = arg;
    ep_intent_t *intent = execplane__v1__order_intent__unpack (NULL, size, payload);
    ep_inflight_entry_t *entry = intent
        ? ep_inflight_add (self->inflight, router_seq, intent, plane, epoch, 0, true) : NULL;
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    if (!entry) {
        s_fail (self, "out of memory");
        return;
    }
    entry->zombie = true;
    s_restore_fill_totals (self, entry);
}

static int
s_recover (ep_router_t *self)
{
    void *payload = NULL;
    size_t size = 0;
    if (ep_journal_load_state (self->journal, &payload, &size))
        return -1;
    self->plane = EP_PLANE (PAPER);         //  a new journal starts on paper
    if (size) {
        ep_plane_state_t *state = execplane__v1__plane_state__unpack (NULL, size, payload);
        if (!state) {
            free (payload);
            ep_log_error ("journal: the saved plane state does not decode");
            return -1;
        }
        self->plane = state->plane;
        self->epoch = state->epoch;
        self->halted = state->halted;
        //  Cleaned: a journal written before text was checked may hold a
        //  string cut inside a character, which no client could decode.
        ep_utf8_clean (self->issued_by, sizeof self->issued_by, state->issued_by,
                       strlen (state->issued_by));
        ep_utf8_clean (self->reason, sizeof self->reason, state->reason, strlen (state->reason));
        self->changed_at_seq = state->changed_at_seq;
        execplane__v1__plane_state__free_unpacked (state, NULL);
    }
    free (payload);
    self->last_seq = ep_journal_last_seq (self->journal);
    self->last_router_seq = ep_journal_last_router_seq (self->journal);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
        self->worker [plane].processed_through =
            ep_journal_processed_through (self->journal, plane);
    char detail [128];
    snprintf (detail, sizeof detail, "boot %s, last seq %llu, last router_seq %llu",
              self->boot, (unsigned long long) self->last_seq,
              (unsigned long long) self->last_router_seq);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_event (self->journal, self->last_seq, "start", detail)
    ||  ep_journal_open_intents (self->journal, s_recover_intent, self)
    ||  ep_journal_zombies (self->journal, s_recover_zombie, self)
    ||  self->failed
    ||  ep_journal_commit (self->journal))
        return -1;
    ep_log_info ("started on plane %s epoch %llu%s: %s; %zu intent(s) still in flight",
                 ep_plane_name (self->plane), (unsigned long long) self->epoch,
                 self->halted ? " (halted)" : "", detail,
                 ep_inflight_count (self->inflight, 0));
    return 0;
}

//  --------------------------------------------------------------------------
//  The loop

static void
s_check_timers (ep_router_t *self, int64_t now)
{
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        s_worker_t *worker = &self->worker [plane];
        if (worker->alive && now - worker->last_heard_ms >= self->config.worker_timeout_ms)
            s_set_alive (self, plane, false, "no heartbeat");
        else
        if (worker->alive && !s_subscribed (self, worker, now))
            s_set_alive (self, plane, false, "it did not confirm its subscription to its "
                         "intents within worker_timeout_ms");
        char why [128];
        snprintf (why, sizeof why, "no answer from the %s plane within %lld ms",
                  plane == EP_PLANE (LIVE) ? "live" : "paper",
                  (long long) (plane == EP_PLANE (LIVE) ? self->config.live_deadline_ms
                                                        : self->config.paper_deadline_ms));
        ep_inflight_entry_t *entry;
        while (!self->failed && (entry = ep_inflight_expired (self->inflight, plane, now)))
            s_expire (self, entry, why);
    }
}

//  Publishes the committed reports, then sends what waits for dispatch
//  until the high-water mark pushes back.
//  Paper dispatches ready together go in one message (Dispatch.batch):
//  a message per intent would cost each a send, a receive and their
//  encryption. Builds the batch in self->batch from the pending queue's
//  head; returns how many dispatches it holds (1: send the head alone).
//  Dispatches that expired in between are left out, and popped with it.
static size_t
s_batch_dispatches (ep_router_t *self)
{
    ep_outbox_t *queue = &self->pending;
    ep_outbox_item_t *head = ep_outbox_at (queue, 0);
    if (strcmp (head->topic, ep_exec_topic (EP_PLANE (PAPER))))
        return 1;
    self->batch_size = 0;
    size_t taken = 0, batched = 0;
    size_t most = (size_t) ep_config_batch (&self->config);
    ep_outbox_item_t *item;
    while (batched < most && (item = ep_outbox_at (queue, taken))) {
        if (strcmp (item->topic, head->topic))
            break;
        if (item->router_seq && !ep_inflight_find (self->inflight, item->router_seq)) {
            taken++;
            continue;
        }
        uint8_t field [EP_WIRE_HEAD_MAX];
        size_t field_size = ep_wire_field_head (field, 11, item->size);
        size_t size = self->batch_size + field_size + item->size;
        if (batched && size > S_BATCH_BYTES)
            break;
        if (size > self->batch_capacity) {
            size_t capacity = self->batch_capacity ? self->batch_capacity * 2 : 64 * 1024;
            while (capacity < size)
                capacity *= 2;
            uint8_t *batch = realloc (self->batch, capacity);
            if (!batch)
                break;
            self->batch = batch;
            self->batch_capacity = capacity;
        }
        memcpy (self->batch + self->batch_size, field, field_size);
        memcpy (self->batch + self->batch_size + field_size, item->data, item->size);
        self->batch_size = size;
        batched++;
        taken++;
    }
    return batched > 1 ? taken : 1;
}

static void
s_flush (ep_router_t *self)
{
    ep_outbox_item_t *item;
    while ((item = ep_outbox_at (&self->outbox, 0))) {
        ep_sock_send2 (self->outcomes, item->topic, item->data, item->size, 0);
        ep_outbox_pop (&self->outbox);
    }
    while ((item = ep_outbox_at (&self->pending, 0))) {
        //  One that waited past its deadline already has its terminal
        //  report: its plane must not run it now.
        if (item->router_seq && !ep_inflight_find (self->inflight, item->router_seq)) {
            ep_outbox_pop (&self->pending);
            continue;
        }
        //  While dispatch is bound anew, nobody would get it: hold it.
        if (self->dispatch_unbound)
            break;
        size_t taken = s_batch_dispatches (self);
        int rc = taken > 1
            ? ep_sock_send2 (self->dispatch, item->topic, self->batch, self->batch_size,
                             ZMQ_DONTWAIT)
            : ep_sock_send2 (self->dispatch, item->topic, item->data, item->size, ZMQ_DONTWAIT);
        if (rc)
            break;                      //  EAGAIN: a worker's queue is full
        ep_histogram_observe (&self->dispatch_batch, (double) (taken > 1 ? taken : 1));
        while (taken--)
            ep_outbox_pop (&self->pending);
    }
}

//  --------------------------------------------------------------------------
//  Metrics (Prometheus text on router/metrics) and health

static void
s_init_histograms (ep_router_t *self)
{
    static const double seconds [] = { 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3,
                                       10e-3, 20e-3, 50e-3, 100e-3, 500e-3, 1, 5 };
    static const double counts [] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096 };
    ep_histogram_init (&self->commit_seconds, seconds, sizeof seconds / sizeof *seconds);
    ep_histogram_init (&self->commit_writes, counts, sizeof counts / sizeof *counts);
    ep_histogram_init (&self->dispatch_batch, counts, 9);   //  1 to 256
}

static void
s_update_metrics (ep_router_t *self, int64_t now)
{
    ep_prom_t *prom = &self->prom;
    ep_prom_reset (prom);
    char labels [256];
    struct { const char *name, *help; uint64_t value; } counters [] = {
        { "execplane_intake_messages_total", "Messages read on intake", self->stats.intake_messages },
        { "execplane_intake_malformed_total", "Intake messages dropped as malformed, without report",
          self->stats.malformed },
        { "execplane_intents_accepted_total", "Intents accepted and dispatched", self->stats.accepted },
        { "execplane_intents_rejected_total", "Intents rejected by the router", self->stats.rejected },
        { "execplane_reports_total", "Reports journaled and published", self->stats.reports },
        { "execplane_late_reports_total", "Reports after their intent's terminal report",
          self->stats.late_reports },
        { "execplane_fenced_reports_total", "Plane reports refused: wrong session or epoch",
          self->stats.fenced_reports },
        { "execplane_unauthorized_total", "Messages, subscriptions and handshakes refused",
          self->stats.unauthorized },
        { "execplane_fill_gaps_total", "Plane reports that numbered fills the router never got",
          self->stats.fill_gaps },
    };
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        ep_prom_family (prom, counters [i].name, "counter", counters [i].help);
        ep_prom_int (prom, counters [i].name, "", (int64_t) counters [i].value);
    }
    ep_prom_family (prom, "execplane_intents_total", "counter",
                    "Intents by terminal outcome: plane, status and failure");
    for (int plane = 0; plane < S_PLANES; plane++)
        for (int status = 0; status < EP_STATUS_COUNT; status++)
            for (int failure = 0; failure < EP_FAILURE_COUNT; failure++)
                if (self->terminal [plane][status][failure]) {
                    snprintf (labels, sizeof labels, "plane=\"%s\",status=\"%s\",failure=\"%s\"",
                              ep_plane_name (plane) ? ep_plane_name (plane) : "NONE",
                              ep_status_name (status), ep_failure_name (failure));
                    ep_prom_int (prom, "execplane_intents_total", labels,
                                 (int64_t) self->terminal [plane][status][failure]);
                }
    ep_prom_family (prom, "execplane_in_flight", "gauge",
                    "Intents dispatched and not yet terminal, by plane");
    ep_prom_family (prom, "execplane_active_plane", "gauge",
                    "1 for the plane the meta layer selected, 0 for the other");
    ep_prom_family (prom, "execplane_worker_alive", "gauge",
                    "1 while the plane's worker is heard within worker_timeout_ms");
    ep_prom_family (prom, "execplane_worker_silence_seconds", "gauge",
                    "Time since the plane's worker was last heard (-1: never)");
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        snprintf (labels, sizeof labels, "plane=\"%s\"", ep_plane_name (plane));
        ep_prom_int (prom, "execplane_in_flight", labels,
                     (int64_t) ep_inflight_count (self->inflight, plane));
        ep_prom_int (prom, "execplane_active_plane", labels, self->plane == plane);
        ep_prom_int (prom, "execplane_worker_alive", labels, self->worker [plane].alive);
        ep_prom_double (prom, "execplane_worker_silence_seconds", labels,
                        self->worker [plane].last_heard_ms
                        ? (double) (now - self->worker [plane].last_heard_ms) / 1e3 : -1);
    }
    ep_prom_family (prom, "execplane_plane_epoch", "gauge", "The applied plane state's epoch");
    ep_prom_int (prom, "execplane_plane_epoch", "", (int64_t) self->epoch);
    ep_prom_family (prom, "execplane_halted", "gauge", "1 while the router is halted");
    ep_prom_int (prom, "execplane_halted", "", self->halted);
    ep_prom_family (prom, "execplane_report_last_seq", "gauge", "The newest report's seq");
    ep_prom_int (prom, "execplane_report_last_seq", "", (int64_t) self->last_seq);
    bool journal_ok = !self->failed && !ep_journal_owing (self->journal);
    ep_prom_family (prom, "execplane_journal_writable", "gauge",
                    "1 while journal commits succeed");
    ep_prom_int (prom, "execplane_journal_writable", "", journal_ok);
    ep_prom_family (prom, "execplane_journal_commit_seconds", "histogram",
                    "Time a journal commit took (synchronous=FULL: it waits for the disk)");
    ep_prom_histogram (prom, "execplane_journal_commit_seconds", "", &self->commit_seconds);
    ep_prom_family (prom, "execplane_journal_commit_rows", "histogram",
                    "Rows one journal commit wrote (the group commit's batch)");
    ep_prom_histogram (prom, "execplane_journal_commit_rows", "", &self->commit_writes);
    ep_prom_family (prom, "execplane_dispatch_batch_size", "histogram",
                    "Intents one dispatch message carried");
    ep_prom_histogram (prom, "execplane_dispatch_batch_size", "", &self->dispatch_batch);

    bool worker_ok = self->plane > 0 && self->plane < S_PLANES && self->worker [self->plane].alive;
    char health [256];
    snprintf (health, sizeof health, "\"journal\":\"%s\",\"active_plane\":\"%s\","
              "\"active_worker_alive\":%s,\"halted\":%s",
              journal_ok ? "writable" : "failing",
              ep_plane_name (self->plane) ? ep_plane_name (self->plane) : "NONE",
              worker_ok ? "true" : "false", self->halted ? "true" : "false");
    ep_metrics_update (self->metrics, prom, journal_ok && worker_ok, health);
}

static void
s_publish_stats (ep_router_t *self)
{
    self->stats.in_flight_paper = ep_inflight_count (self->inflight, EP_PLANE (PAPER));
    self->stats.in_flight_live = ep_inflight_count (self->inflight, EP_PLANE (LIVE));
    self->stats.last_seq = self->last_seq;
    self->stats.last_router_seq = self->last_router_seq;
    size_t size;
    uint8_t *data = s_pack (&self->stats.base, &size);
    if (data) {
        ep_sock_send2 (self->outcomes, "stats", data, size, ZMQ_DONTWAIT);
        free (data);
    }
    //  Once a burst is over, the memory it took goes back to the system:
    //  the router's footprint follows what it holds, not its busiest second.
    if (ep_inflight_count (self->inflight, 0) == 0 && !ep_outbox_count (&self->outbox)
    &&  !ep_outbox_count (&self->pending))
        malloc_trim (0);
}

//  Reads up to S_BATCH two-frame messages from socket and hands each to fn.
typedef void (s_frames_fn) (ep_router_t *self, const char *kind, const uint8_t *data, size_t size,
                            const char *user_id);

static void
s_drain2 (ep_router_t *self, zsock_t *socket, s_frames_fn *fn)
{
    void *handle = zsock_resolve (socket);
    for (int i = 0; i < S_BATCH && !self->failed; i++) {
        zmq_msg_t head, body;
        zmq_msg_init (&head);
        if (zmq_msg_recv (&head, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&head);
            break;
        }
        zmq_msg_init (&body);
        bool two = zmq_msg_more (&head) && zmq_msg_recv (&body, handle, 0) >= 0;
        //  Anything beyond two frames is not ours: skip it.
        while (zmq_msg_more (two ? &body : &head)) {
            zmq_msg_t extra;
            zmq_msg_init (&extra);
            zmq_msg_recv (&extra, handle, 0);
            bool more = zmq_msg_more (&extra);
            zmq_msg_close (&extra);
            if (!more)
                break;
        }
        if (two) {
            char kind [32];
            size_t len = zmq_msg_size (&head) < sizeof kind - 1 ? zmq_msg_size (&head)
                                                                  : sizeof kind - 1;
            memcpy (kind, zmq_msg_data (&head), len);
            kind [len] = 0;
            fn (self, kind, zmq_msg_data (&body), zmq_msg_size (&body),
                zmq_msg_gets (&head, "User-Id"));
        }
        zmq_msg_close (&head);
        zmq_msg_close (&body);
    }
}

static void
s_on_control (ep_router_t *self, const char *topic, const uint8_t *data, size_t size,
              const char *user_id)
{
    if (!streq (topic, "control.plane"))
        return;
    ep_peer_t peer;
    char why [256];
    if (!ep_guard_check (self->guard, "control", user_id, &peer, why, sizeof why)) {
        //  Journaled with its sender (within the guard's budget, like every
        //  refusal), never decoded, never applied.
        self->stats.unauthorized++;
        if (!ep_guard_record_refusal (self->guard, EP_REFUSAL_MESSAGE, "control",
                                      user_id ? user_id : ""))
            return;
        char outcome [512];
        snprintf (outcome, sizeof outcome, "refused: %s", why);
        ep_log_warn ("control: command from %s %s", peer.sender, outcome);
        if (ep_journal_begin (self->journal)
        ||  ep_journal_add_command (self->journal, self->last_seq, 0, 0, 0, "", peer.sender, "",
                                    false, outcome, data, size))
            s_fail (self, "journal write failed");
        return;
    }
    s_handle_command (self, data, size, peer.sender);
}

static void
s_drain_intake (ep_router_t *self)
{
    void *handle = zsock_resolve (self->intake);
    for (int i = 0; i < S_BATCH && !self->failed; i++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        //  Every message read counts, multi-frame ones too (as malformed).
        self->stats.intake_messages++;
        ep_peer_t peer;
        //  A sender not (or no longer) allowed here never reaches the decoder.
        if (!s_admitted (self, "intake", zmq_msg_gets (&msg, "User-Id"), &peer))
            ;
        else
        if (zmq_msg_more (&msg))
            s_count_malformed (self, "more than one frame", zmq_msg_size (&msg));
        else
            s_handle_intent (self, zmq_msg_data (&msg), zmq_msg_size (&msg), &peer);
        //  Drop the rest of a multi-frame message.
        while (zmq_msg_more (&msg)) {
            zmq_msg_close (&msg);
            zmq_msg_init (&msg);
            zmq_msg_recv (&msg, handle, 0);
        }
        zmq_msg_close (&msg);
    }
}

//  True if a subscriber with this key may subscribe to topic on domain:
//  a worker to its own plane's intents only; a monitor or meta key to
//  anything on outcomes; a strategy or safety key to the plane state and
//  stats only (its reports come through the query path, filtered to its
//  strategies, since a topic prefix cannot keep outcome.a from outcome.ab).
static bool
s_may_subscribe (const ep_peer_t *peer, const char *domain, const char *topic, size_t len)
{
    if (!ep_security_curve ())
        return true;
    ep_role_t role = peer->info.role;
    if (streq (domain, "dispatch")) {
        const char *mine = ep_exec_topic (peer->info.plane);
        return role == EP_ROLE_WORKER && mine && len == strlen (mine)
            && memcmp (topic, mine, len) == 0;
    }
    if (role == EP_ROLE_MONITOR || role == EP_ROLE_META)
        return true;
    //  Its own refusals: keys are all 40 characters, so no key's topic is
    //  a prefix of another's.
    char own [64];
    snprintf (own, sizeof own, "refused.%s", s_sender_key (peer));
    return (len == 5 && memcmp (topic, "plane", 5) == 0)
        || (len == 5 && memcmp (topic, "stats", 5) == 0)
        || (len == strlen (own) && memcmp (topic, own, len) == 0);
}

//  Sends a hello on exec.<plane>, with a new probe of who is subscribed
//  (see s_subscribed). A worker that (re)subscribes to its intents learns
//  from it at once which start of the router it is talking to: a dispatch
//  with no intent, only router_boot. One that restored from an earlier
//  start restores again (a report it sent to a router that then died is
//  lost with it).
static void
s_probe (ep_router_t *self, int plane)
{
    s_worker_t *worker = &self->worker [plane];
    worker->probe_sent = ++self->next_probe;
    worker->probe_sent_ms = ep_sock_clock_ms ();
    ep_dispatch_t hello;
    execplane__v1__dispatch__init (&hello);
    hello.plane = plane;
    hello.router_boot = self->boot;
    hello.probe = worker->probe_sent;
    uint8_t data [96];
    size_t size = execplane__v1__dispatch__pack (&hello, data);
    ep_sock_send2 (self->dispatch, ep_exec_topic (plane), data, size, ZMQ_DONTWAIT);
}

//  A subscription to a plane's intents started or ended: probe them.
static void
s_subscriptions_changed (ep_router_t *self, zsock_t *socket, const char *topic, size_t len)
{
    if (socket != self->dispatch)
        return;
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        const char *mine = ep_exec_topic (plane);
        if (len == strlen (mine) && memcmp (topic, mine, len) == 0)
            s_probe (self, plane);
    }
}

//  A subscription (or unsubscription) the sender's key may not make:
//  counted, logged and journaled (the guard limits how often).
static void
s_refuse_subscription (ep_router_t *self, const char *domain, const ep_peer_t *peer,
                       bool subscribe, const char *topic, size_t size)
{
    char shown [65];                    //  the topic as sent may hold anything
    ep_utf8_clean (shown, sizeof shown, topic, size);
    s_refuse (self, EP_REFUSAL_SUBSCRIPTION, domain, peer->sender, "%s: refused %s the %s to "
              "\"%s\"", domain, peer->sender, subscribe ? "subscription" : "unsubscription",
              shown);
}

//  An XPUB in manual mode hands each (un)subscription over; it is applied
//  to the subscriber's connection only if its key allows it.
static void
s_drain_subscriptions (ep_router_t *self, zsock_t *socket, const char *domain)
{
    void *handle = zsock_resolve (socket);
    for (int i = 0; i < S_BATCH; i++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        const uint8_t *data = zmq_msg_data (&msg);
        size_t size = zmq_msg_size (&msg);
        const char *user_id = zmq_msg_gets (&msg, "User-Id");
        ep_peer_t peer;
        bool curve = ep_security_curve ();
        //  When a subscriber goes, libzmq itself hands over its
        //  unsubscriptions, with no sender: they are already done. They
        //  are those the connection asked for, applied or not, so they say
        //  nothing of whose subscription ended: a probe finds out.
        bool departed = curve && size >= 1 && data [0] == 0 && !user_id;
        if (departed)
            s_subscriptions_changed (self, socket, (const char *) data + 1, size - 1);
        if (!departed && size >= 1 && (data [0] == 0 || data [0] == 1)
        &&  s_admitted (self, domain, user_id, &peer)) {
            const char *topic = (const char *) data + 1;
            bool subscribe = data [0] == 1;
            //  An unsubscription is authorized like a subscription: a key
            //  may only take back what it may have.
            if (!s_may_subscribe (&peer, domain, topic, size - 1))
                s_refuse_subscription (self, domain, &peer, subscribe, topic, size - 1);
            else
            if (subscribe) {
                zmq_setsockopt (handle, ZMQ_SUBSCRIBE, topic, size - 1);
                s_subscriptions_changed (self, socket, topic, size - 1);
            }
            else {
                //  Applied to the sender's own connection only.
                zmq_setsockopt (handle, ZMQ_UNSUBSCRIBE, topic, size - 1);
                s_subscriptions_changed (self, socket, topic, size - 1);
            }
        }
        zmq_msg_close (&msg);
    }
}

//  A key removed from the allow-list must lose the connections it has.
//  Receiving sockets check every message's key; the two publishing
//  sockets cannot, so they are bound anew: every subscriber reconnects
//  through ZAP, where a removed key is refused. Subscribers fill the gap
//  through query; a worker's in-flight intents end by their deadline.
static void
s_unbind (zsock_t *socket, const char *endpoint, const char *name, bool *unbound)
{
    ep_log_warn ("%s: a key was removed: binding %s anew so that every subscriber is checked "
                 "again", name, endpoint);
    if (zsock_unbind (socket, "%s", endpoint) == 0)
        *unbound = true;
    else
        ep_log_error ("%s: unbinding %s failed: %s", name, endpoint, zmq_strerror (zmq_errno ()));
}

//  The listener closes in the background: bind again once the port is free.
static void
s_rebind (zsock_t *socket, const char *endpoint, const char *name, bool *unbound)
{
    if (*unbound && zsock_bind (socket, "%s", endpoint) >= 0) {
        *unbound = false;
        ep_log_info ("%s: bound %s again", name, endpoint);
    }
}

static void
s_reload_keys (ep_router_t *self)
{
    s_rebind (self->outcomes, self->config.outcomes, "outcomes", &self->outcomes_unbound);
    s_rebind (self->dispatch, self->config.dispatch, "dispatch", &self->dispatch_unbound);
    if (ep_guard_reload (self->guard) <= 0)
        return;
    s_unbind (self->outcomes, self->config.outcomes, "outcomes", &self->outcomes_unbound);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        ep_peer_t peer;
        char why [256];
        if (self->worker [plane].key [0]
        &&  !ep_guard_check (self->guard, "dispatch", self->worker [plane].key, &peer, why,
                             sizeof why)) {
            s_unbind (self->dispatch, self->config.dispatch, "dispatch", &self->dispatch_unbound);
            break;
        }
    }
}

//  Answers pending ZAP requests; journals refusals within the guard's budget.
static void
s_handle_zap (ep_router_t *self)
{
    for (int i = 0; i < 64; i++) {
        ep_zap_refusal_t refusal;
        zmq_pollitem_t item = { zsock_resolve (ep_guard_zap (self->guard)), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 0) <= 0)
            break;
        if (ep_zap_handle (ep_guard_zap_handler (self->guard), &refusal) == 1) {
            s_refuse (self, EP_REFUSAL_HANDSHAKE, refusal.domain, refusal.key,
                      "%s: refused the handshake of key %s: %s", refusal.domain,
                      refusal.key [0] ? refusal.key : "?", refusal.why);
        }
    }
}

//  --------------------------------------------------------------------------
//  Stopping, and a journal that cannot commit

static void
s_count_unanswered (void *arg, ep_inflight_entry_t *entry)
{
    if (!entry->acked && !entry->zombie)
        (*(size_t *) arg)++;
}

//  Dispatched intents the planes have not answered yet.
static size_t
s_unanswered (ep_router_t *self)
{
    size_t count = 0;
    ep_inflight_each (self->inflight, s_count_unanswered, &count);
    return count;
}

//  Asked to stop (a first SIGTERM or SIGINT): from now on no intent or
//  command is read, and the planes get up to drain_ms to answer what they
//  were given. Returns true when it is time to go.
static bool
s_drained (ep_router_t *self, int64_t now)
{
    if (!zsys_interrupted)
        return false;
    size_t unanswered = s_unanswered (self);
    if (!self->draining) {
        self->draining = true;
        self->drain_started_ms = now;
        self->drain_until_ms = now + self->config.drain_ms;
        ep_log_info ("stopping: %zu dispatched intent(s) unanswered, waiting up to %lld ms "
                     "for them", unanswered, (long long) self->config.drain_ms);
    }
    if (unanswered == 0 && ep_outbox_count (&self->pending) == 0) {
        ep_log_info ("stopping: every dispatched intent answered, in %lld ms",
                     (long long) (now - self->drain_started_ms));
        return true;
    }
    if (now >= self->drain_until_ms) {
        ep_log_warn ("stopping: %zu dispatched intent(s) still unanswered after %lld ms: "
                     "the next start settles them", unanswered,
                     (long long) (now - self->drain_started_ms));
        return true;
    }
    return false;
}

static void
s_postpone_entry (void *arg, ep_inflight_entry_t *entry)
{
    if (!entry->acked)
        entry->deadline_ms += *(int64_t *) arg;
}

//  A commit failed (a full disk, an I/O error). Nothing of this turn is
//  published or dispatched, and nothing more is read: intake's queues fill
//  and then its senders block. The same writes are tried again every second
//  until they commit; then the turn's work goes out as usual, and the time
//  spent is given back to the deadlines and heartbeats that would otherwise
//  have run out while nothing was read. Returns 0 once committed, or -1 if
//  the router is asked to stop first (what was not committed was never
//  published).
static int
s_wait_for_journal (ep_router_t *self)
{
    int64_t since = ep_sock_clock_ms ();
    char first_error [256];
    snprintf (first_error, sizeof first_error, "%s", ep_journal_error (self->journal));
    ep_log_error ("journal: cannot commit (%s): %zu write(s) held; nothing is read or "
                  "published until they commit, tried again every %d ms", first_error,
                  ep_journal_owed_writes (self->journal), S_JOURNAL_RETRY_MS);
    unsigned retries = 0;
    while (true) {
        zmq_poll (NULL, 0, S_JOURNAL_RETRY_MS);     //  a signal ends it early
        int64_t now = ep_sock_clock_ms ();
        if (s_drained (self, now)) {
            ep_log_error ("journal: stopping with %zu write(s) never committed; none of "
                          "them was published", ep_journal_owed_writes (self->journal));
            return -1;
        }
        if (self->metrics)
            s_update_metrics (self, now);
        if (ep_journal_retry (self->journal) == 0)
            break;
        //  Logged after 1, 2, 4 ... 64 retries, then every 64th.
        retries++;
        if ((retries <= 64 && (retries & (retries - 1)) == 0) || retries % 64 == 0)
            ep_log_error ("journal: still cannot commit after %u retries, %lld ms (%s)",
                          retries, (long long) (now - since), ep_journal_error (self->journal));
    }
    int64_t waited = ep_sock_clock_ms () - since;
    ep_inflight_each (self->inflight, s_postpone_entry, &waited);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
        self->worker [plane].last_heard_ms += waited;
    char detail [512];
    snprintf (detail, sizeof detail, "commits failed for %lld ms (%s); nothing was read "
              "or published meanwhile", (long long) waited, first_error);
    ep_log_info ("journal: committed again: %s", detail);
    if (ep_journal_begin (self->journal)
    ||  ep_journal_add_event (self->journal, self->last_seq, "journal", detail))
        s_fail (self, "journal write failed");
    return 0;
}

int
ep_router_run (ep_router_t *self)
{
    zsock_t *zap = ep_guard_zap (self->guard);
    zmq_pollitem_t items [] = {
        { zsock_resolve (self->control), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->results), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->query), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->dispatch), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->outcomes), 0, ZMQ_POLLIN, 0 },
        //  Insecure, there is no ZAP handler: a placeholder that asks for nothing.
        { zsock_resolve (zap ? zap : self->control), 0, zap ? ZMQ_POLLIN : 0, 0 },
        { zsock_resolve (self->intake), 0, ZMQ_POLLIN, 0 },
    };
    self->state_dirty = true;
    int64_t next_stats_ms = 0;
    while (!self->failed) {
        int64_t now = ep_sock_clock_ms ();
        if (s_drained (self, now))
            break;
        items [0].events = self->draining ? 0 : ZMQ_POLLIN;
        //  Back-pressure: while dispatches wait for room, intake is not read.
        bool backlog = ep_outbox_count (&self->pending) > 0;
        int count = backlog || self->draining ? 6 : 7;
        ep_security_nag ();
        int64_t wake = self->next_state_ms;
        int64_t deadline = ep_inflight_next_deadline (self->inflight);
        if (deadline < wake)
            wake = deadline;
        if (self->draining && self->drain_until_ms < wake)
            wake = self->drain_until_ms;
        for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
            if (self->worker [plane].alive) {
                int64_t lost = self->worker [plane].last_heard_ms + self->config.worker_timeout_ms;
                if (lost < wake)
                    wake = lost;
            }
        long timeout = backlog ? S_RETRY_MS : (wake > now ? (long) (wake - now) : 0);
        if ((self->outcomes_unbound || self->dispatch_unbound || self->n_restores)
        &&  timeout > 10)
            timeout = 10;               //  binding anew, or restores wait: look again soon
        if (zmq_poll (items, count, timeout) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            ep_log_error ("poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_drain2 (self, self->control, s_on_control);
        if (items [1].revents & ZMQ_POLLIN)
            s_drain2 (self, self->results, s_handle_result);
        if (items [5].revents & ZMQ_POLLIN)
            s_handle_zap (self);
        if (items [3].revents & ZMQ_POLLIN)
            s_drain_subscriptions (self, self->dispatch, "dispatch");
        if (items [4].revents & ZMQ_POLLIN)
            s_drain_subscriptions (self, self->outcomes, "outcomes");
        if (count == 7 && (items [6].revents & ZMQ_POLLIN))
            s_drain_intake (self);
        s_reload_keys (self);
        s_summarize_refusals (self, false);
        now = ep_sock_clock_ms ();
        s_check_timers (self, now);
        if (self->failed)
            break;
        size_t writes = ep_journal_open_writes (self->journal);
        int64_t commit_start = writes ? zclock_usecs () : 0;
        if (ep_journal_commit (self->journal) == 0) {
            if (writes) {
                ep_histogram_observe (&self->commit_seconds,
                                      (double) (zclock_usecs () - commit_start) / 1e6);
                ep_histogram_observe (&self->commit_writes, (double) writes);
            }
        }
        else {
            if (!ep_journal_owing (self->journal)) {
                s_fail (self, "journal commit failed");
                break;
            }
            if (s_wait_for_journal (self)) {
                self->failed = true;
                break;
            }
            now = ep_sock_clock_ms ();
        }
        s_flush (self);
        if (self->state_dirty || now >= self->next_state_ms) {
            s_publish_state (self);
            self->state_dirty = false;
            self->next_state_ms = now + S_STATE_MS;
        }
        //  Malformed messages counted since the last log line are logged
        //  within a second or so, not only when the next one arrives.
        if (self->malformed_unlogged && now - self->malformed_logged_ms >= 1000) {
            ep_log_warn ("intake: %llu malformed message(s) dropped without report",
                         (unsigned long long) self->malformed_unlogged);
            self->malformed_logged_ms = now;
            self->malformed_unlogged = 0;
        }
        if (now >= next_stats_ms) {
            s_publish_stats (self);
            next_stats_ms = now + S_STATE_MS;
        }
        if (self->metrics && now >= self->next_metrics_ms) {
            s_update_metrics (self, now);
            self->next_metrics_ms = now + S_METRICS_MS;
        }
        //  Queries read only what is committed, so they come after the commit.
        if (self->n_restores)
            s_serve_waiting_restores (self);
        if (items [2].revents & ZMQ_POLLIN)
            for (int i = 0; i < 64; i++)
                s_handle_query (self);
    }
    if (self->failed) {
        s_fail (self, "journal failure");
        return -1;
    }
    //  Stopping does not lose the refusals counted since the last summary.
    s_summarize_refusals (self, true);
    if (self->failed || ep_journal_commit (self->journal))
        ep_log_error ("journal: the last summary of refusals was not committed");
    return 0;
}

//  --------------------------------------------------------------------------
//  Lifecycle

ep_router_t *
ep_router_new (const ep_config_t *config, const char *ready_file, char *err, size_t err_size)
{
    ep_router_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    ep_arena_init (&self->arena);
    self->config = *config;
    self->next_probe = (uint64_t) zclock_time () * 1000;
    if (s_send_budget_ms (config) <= 0) {
        snprintf (err, err_size, "router/live_deadline_ms (%lld) must exceed live/timeout_ms "
                  "(%lld) by more than %d ms: a live order is sent only while its answer can "
                  "still come back before the router's deadline",
                  (long long) config->live_deadline_ms, (long long) config->timeout_ms,
                  S_SEND_MARGIN_MS);
        free (self);
        return NULL;
    }
    execplane__v1__stats__init (&self->stats);
    uint8_t nonce [8];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (self->boot, sizeof self->boot, nonce, sizeof nonce);
    self->inflight = ep_inflight_new ();
    self->journal = ep_journal_open (config->journal, streq (config->journal_sync, "full"),
                                     err, err_size);
    if (!self->inflight || !self->journal)
        goto fail;
    if (s_recover (self)) {
        snprintf (err, err_size, "journal %s: recovery failed (see the log)", config->journal);
        goto fail;
    }
    //  A worker sends all the reports of one tick as one message: an intent
    //  that crosses hundreds of resting orders makes one far larger than any
    //  intent, so results takes up to EP_MAX_REPLY.
    //  Under CURVE the ZAP handler must be there before any socket binds.
    self->guard = ep_guard_new (&self->config, err, err_size);
    if (!self->guard)
        goto fail;
    //  The ZAP domain of each socket is its name. Outcomes and dispatch are
    //  XPUBs in manual mode: each subscription is checked against the
    //  subscriber's key before it is applied.
    struct { zsock_t **socket; int type; char *endpoint; int64_t max_msg; const char *name; }
    binds [] = {
        { &self->intake,   ZMQ_PULL,   self->config.intake,   EP_MAX_MSG,   "intake" },
        { &self->outcomes, ZMQ_XPUB,   self->config.outcomes, EP_MAX_MSG,   "outcomes" },
        { &self->control,  ZMQ_SUB,    self->config.control,  EP_MAX_MSG,   "control" },
        { &self->dispatch, ZMQ_XPUB,   self->config.dispatch, EP_MAX_MSG,   "dispatch" },
        { &self->results,  ZMQ_PULL,   self->config.results,  EP_MAX_REPLY, "results" },
        { &self->query,    ZMQ_ROUTER, self->config.query,    EP_MAX_MSG,   "query" },
    };
    for (size_t i = 0; i < sizeof binds / sizeof binds [0]; i++) {
        zsock_t *socket = ep_sock_server_new (binds [i].type, binds [i].max_msg, binds [i].name);
        if (!socket) {
            snprintf (err, err_size, "cannot create the %s socket", binds [i].name);
            goto fail;
        }
        *binds [i].socket = socket;
        //  At the HWM, dispatch pushes back (never drops) and so stops
        //  intake, whose senders then block; outcomes drop for a subscriber
        //  that does not keep up: it fills the gap from query.
        if (binds [i].type == ZMQ_XPUB) {
            zsock_set_xpub_manual (socket, 1);
            zsock_set_sndhwm (socket, (int) self->config.hwm);
        }
        if (socket == self->dispatch)
            zsock_set_sndhwm (socket, (int) (self->config.hwm / ep_config_batch (&self->config)));
        if (socket == self->dispatch)
            zsock_set_xpub_nodrop (socket, 1);
        if (socket == self->intake)
            zsock_set_rcvhwm (socket, (int) self->config.hwm);
        if (zsock_bind (socket, "%s", binds [i].endpoint) < 0) {
            snprintf (err, err_size, "cannot bind %s %s: %s", binds [i].name,
                      binds [i].endpoint, zmq_strerror (zmq_errno ()));
            goto fail;
        }
        //  Keep what was bound, so a tcp://host:* wildcard becomes a port.
        const char *bound = zsock_endpoint (socket);
        if (bound)
            snprintf (binds [i].endpoint, EP_ENDPOINT_MAX, "%s", bound);
    }
    zsock_set_subscribe (self->control, "control.plane");
    s_init_histograms (self);
    if (*self->config.router_metrics) {
        //  Stalled: no update for three times the longest turn between updates.
        self->metrics = ep_metrics_start (self->config.router_metrics, 3 * S_STATE_MS + 2000,
                                          err, err_size);
        if (!self->metrics)
            goto fail;
        //  The ready file names the port taken (127.0.0.1:0 picks one).
        snprintf (self->config.router_metrics, sizeof self->config.router_metrics, "%s",
                  ep_metrics_address (self->metrics));
    }
    if (ready_file && ep_config_save (&self->config, ready_file)) {
        snprintf (err, err_size, "cannot write %s", ready_file);
        goto fail;
    }
    ep_log_info ("intake %s, outcomes %s, control %s, dispatch %s, results %s, query %s, "
                 "journal %s", self->config.intake, self->config.outcomes,
                 self->config.control, self->config.dispatch, self->config.results,
                 self->config.query, self->config.journal);
    return self;
fail:
    ep_router_destroy (&self);
    return NULL;
}

void
ep_router_destroy (ep_router_t **self_p)
{
    ep_router_t *self = *self_p;
    if (!self)
        return;
    if (self->journal) {
        if (!self->failed) {
            ep_journal_begin (self->journal);
            ep_journal_add_event (self->journal, self->last_seq, "stop", self->boot);
        }
        ep_journal_commit (self->journal);
        //  What was committed may still be published before the sockets go.
        if (self->outcomes && self->dispatch && !self->failed)
            s_flush (self);
    }
    ep_metrics_stop (&self->metrics);
    ep_prom_free (&self->prom);
    zsock_destroy (&self->intake);
    zsock_destroy (&self->outcomes);
    zsock_destroy (&self->control);
    zsock_destroy (&self->dispatch);
    zsock_destroy (&self->results);
    zsock_destroy (&self->query);
    ep_guard_destroy (&self->guard);
    ep_journal_destroy (&self->journal);
    ep_inflight_destroy (&self->inflight);
    ep_outbox_clear (&self->outbox);
    ep_outbox_clear (&self->pending);
    free (self->batch);
    ep_arena_destroy (&self->arena);
    for (size_t i = 0; i < self->n_restores; i++) {
        zframe_destroy (&self->restores [i].identity);
        free (self->restores [i].data);
    }
    free (self);
    *self_p = NULL;
}
