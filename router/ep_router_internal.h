/*  ep_router_internal: the router's state, and the modules that act on it.

    Private to router/ and its unit tests. ep_router.c owns the lifecycle
    and the loop; each module below owns one noun of the router and is a
    set of verbs on the router's state:

        ep_intake          intents read from strategies: decoding, who may
                           speak for what, the checks, dispatch or refusal
        ep_target          the order a CANCEL or REPLACE means, and where
        ep_control         the applied plane state and the plane commands
                           (epochs, SELECT, HALT and RESUME, RECONCILE)
        ep_plane_link      each plane's worker: liveness, subscription
                           probes, adoption and the session's key (fencing)
        ep_reports         reports: journaled then queued; deadlines,
                           late reports, zombies, fills told twice
        ep_query           report replay and the restore of a worker
        ep_recovery        what a start reads back from the journal
        ep_access          admission of a message's sender, and refusals
        ep_subscriptions   subscriptions to the publishing sockets, and a
                           key removed from the allow-list
        ep_delivery        what leaves after the commit: reports published,
                           dispatches sent (in batches) under back-pressure
        ep_commit          the turn's commit, and a journal that cannot commit
        ep_drain           stopping: the planes' last answers
        ep_router_metrics  Prometheus metrics, health, and `stats`
        ep_lease           active or standby on a PostgreSQL journal: the
                           lease taken, watched, and confirmed

    Errors are values: what can fail returns an ep_router_status_t, and the
    loop alone decides to stop on it. A module function that fails leaves
    what it did before the failure (journal rows in the open transaction,
    messages queued): the router stops without committing the turn.  */
#ifndef EP_ROUTER_INTERNAL_H_INCLUDED
#define EP_ROUTER_INTERNAL_H_INCLUDED

#include <czmq.h>
#include "ep_router.h"
#include "ep_arena.h"
#include "ep_buf.h"
#include "ep_guard.h"
#include "ep_inflight.h"
#include "ep_journal.h"
#include "ep_metrics.h"
#include "ep_outbox.h"
#include "ep_unknown.h"
#include "ep_validate.h"
#include "ep_wire.h"

#define EP_ROUTER_BATCH         1024    //  messages read per socket per turn
#define EP_ROUTER_BATCH_BYTES   (60 * 1024) //  a batch of dispatches, at most (EP_MAX_MSG)
#define EP_ROUTER_SLICES        4096    //  reports of one worker message sliced at most
#define EP_ROUTER_QUERY_LIMIT   1000    //  reports per query reply
#define EP_ROUTER_STATE_MS      1000    //  plane state and stats at least this often
#define EP_ROUTER_RETRY_MS      1       //  dispatch retry while the HWM is reached
#define EP_ROUTER_PLANES        3       //  PLANE_UNSPECIFIED, PAPER, LIVE
#define EP_ROUTER_METRICS_MS    250     //  metrics rendered at most this often
#define EP_ROUTER_RECENT        64      //  reconcile request ids remembered
#define EP_ROUTER_JOURNAL_RETRY_MS 1000 //  a failed commit is tried again this often
#define EP_ROUTER_RESTORE_WAIT_MS  2000 //  a restore waits this long for what preceded it
#define EP_ROUTER_RESTORES      8       //  restores waiting at once
#define EP_ROUTER_SEND_MARGIN_MS   1000 //  a live answer's way back to the router, at most

//  Why a module function failed; the router stops on anything but OK.
typedef enum {
    EP_ROUTER_OK = 0,
    EP_ROUTER_JOURNAL_WRITE,            //  a journal write failed
    EP_ROUTER_NO_MEMORY,                //  out of memory
    EP_ROUTER_JOURNAL_COMMIT,           //  a commit failed, and cannot be retried
    EP_ROUTER_UNCOMMITTED,              //  asked to stop while a commit was owed
    EP_ROUTER_JOURNAL_SYNC,             //  a sync of the journal failed: what it
                                        //  covered may not be on disk
    EP_ROUTER_LEASE_LOST                //  another router took the lease (PostgreSQL):
                                        //  nothing more is committed or published
} ep_router_status_t;

//  The text of a status, as the router logs it ("journal write failed").
const char *ep_router_strerror (ep_router_status_t status);

//  EP_ROUTER_OK for EP_JOURNAL_OK, else EP_ROUTER_JOURNAL_WRITE.
ep_router_status_t ep_router_journaled (ep_journal_status_t status);

//  --------------------------------------------------------------------------
//  The state, by module

//  One plane's worker, as ep_plane_link sees it.
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
    char definition [65];               //  the plane definition it runs ("" before one)
    char refused_definition [65];       //  the last one refused it the plane, if any
} ep_worker_t;

//  ep_definitions: every plane definition the router has seen.
typedef struct {
    Execplane__V1__PlaneDefinition **items;     //  owned, oldest first
    size_t count;
    size_t capacity;
} ep_definitions_t;

//  ep_plane_link: the workers, by plane.
typedef struct {
    ep_worker_t worker [EP_ROUTER_PLANES];
    uint64_t next_probe;                //  probes rise across starts: wall-clock based
    char refused_claim [64];            //  the last live session refused the plane
} ep_plane_link_t;

//  ep_control: the applied plane state (strings owned here) and the last
//  command's fate, as published on `plane`.
typedef struct {
    int plane;                          //  where intents go
    uint64_t epoch;                     //  every applied command raises it
    bool halted;                        //  only Safety Sells are accepted
    char issued_by [128];               //  of the command that made this state
    char reason [256];                  //  likewise
    uint64_t changed_at_seq;            //  the report seq when it applied
    uint64_t last_command_epoch;        //  the last command read, applied or not
    char last_command_issued_by [128];
    bool last_command_applied;
    char last_command_outcome [512];
    uint64_t orphans_found;             //  venue orders the live plane's audit does not know
    char last_orphan [256];             //  the newest of them, as one line
    bool dirty;                         //  publish plane state after this turn
    int64_t next_ms;                    //  when plane state is due anyway
    char recent [EP_ROUTER_RECENT][64]; //  reconcile request ids seen lately
    size_t recent_next;                 //  where the next one goes
} ep_control_t;

//  The router's sockets.
typedef struct {
    zsock_t *intake;                    //  PULL: OrderIntents from strategies
    zsock_t *outcomes;                  //  XPUB: reports, plane state, stats
    zsock_t *control;                   //  SUB: PlaneCommands
    zsock_t *dispatch;                  //  XPUB (NODROP): intents to workers
    zsock_t *results;                   //  PULL: worker reports and heartbeats
    zsock_t *query;                     //  ROUTER: report replay, worker restore
    bool outcomes_unbound;              //  being bound anew (key removed)
    bool dispatch_unbound;              //  likewise
} ep_router_sockets_t;

//  A restore that waits for the worker's messages sent before it.
typedef struct {
    zframe_t *identity;                 //  who asked
    uint8_t *data;                      //  the RestoreRequest
    size_t size;
    ep_peer_t peer;
    int64_t until_ms;                   //  answered by then in any case
} ep_waiting_restore_t;

//  ep_query: restores held back.
typedef struct {
    ep_waiting_restore_t waiting [EP_ROUTER_RESTORES];
    size_t count;                       //  restores waiting
} ep_restores_t;

//  ep_commit: how far the journal is durable (journal_sync = full). A
//  turn that only dispatches paper intents commits without waiting for the
//  disk; the next synced commit, or an explicit sync, makes it durable
//  before anything else leaves the router (ep_commit_plan).
typedef struct {
    bool deferring;                     //  journal_sync = full: commits sync on demand
    bool unsynced;                      //  a commit since the last sync is not on disk
    size_t deferrable;                  //  this turn's writes that may wait: paper
                                        //  intents it dispatches, and their claims
    uint64_t synced;                    //  commits that waited for the disk
    uint64_t deferred;                  //  commits that did not
    uint64_t normal;                    //  commits under journal_sync = normal
    uint64_t syncs;                     //  syncs of the log alone, for turns that wrote
                                        //  nothing
    uint64_t unsynced_sends;            //  messages (other than paper dispatches) sent
                                        //  while a commit was not on disk: always 0
} ep_durability_t;

//  ep_lease: which router of those on one PostgreSQL journal serves.
typedef struct {
    bool standby;                       //  waiting for the lease: nothing recovered
                                        //  or bound yet
    uint64_t epoch;                     //  the lease held (0: none, SQLite)
    uint64_t takeovers;                 //  standby to active, since this start
    int64_t took_ms;                    //  the last: from the lock to serving (-1: none)
    int64_t locked_ms;                  //  when the lock was obtained (monotonic)
    int64_t next_ms;                    //  the active's next confirmation
    bool unconfirmed;                   //  the last confirmation could not reach the
                                        //  database: no plane state or stats go out
    int64_t unconfirmed_ms;             //  since then
} ep_lease_t;

//  ep_router_metrics: what router/metrics renders.
typedef struct {
    ep_metrics_t *server;               //  NULL: not configured
    ep_prom_t prom;                     //  rendered again for each update
    int64_t next_ms;                    //  the next update
    uint64_t terminal [EP_ROUTER_PLANES][EP_STATUS_COUNT][EP_FAILURE_COUNT];  //  intents by outcome
    ep_histogram_t commit_seconds;      //  journal commits that wrote something
    ep_histogram_t commit_writes;       //  rows a commit wrote
    ep_histogram_t dispatch_batch;      //  intents per dispatch message
    ep_histogram_t intake_to_terminal [EP_ROUTER_PLANES];   //  an intent read to its end
                                                            //  journaled, by plane
} ep_router_metrics_t;

struct _ep_router_t {
    ep_config_t config;                 //  endpoints, deadlines, journal path
    ep_router_sockets_t sock;           //  bound by ep_router_new
    ep_journal_t *journal;              //  the durable record
    ep_guard_t *guard;                  //  who may do what (CURVE keys and roles)
    ep_inflight_t *inflight;            //  dispatched, not yet terminal
    ep_unknown_t unknown;               //  live orders ended UNKNOWN its cancels reach
    uint64_t last_seq;                  //  newest report seq
    uint64_t last_router_seq;           //  newest intent acceptance number
    char boot [40];                     //  this start's id, sent with dispatches
    ep_control_t state;                 //  the applied plane state
    ep_plane_link_t link;               //  the planes' workers
    ep_definitions_t definitions;       //  the plane definitions seen, approved or not
    ep_outbox_t outbox;                 //  reports to publish after commit
    ep_outbox_t pending;                //  dispatches waiting for room (back-pressure)
    ep_buf_t batch;                     //  a Dispatch of several (ep_delivery_batch)
    ep_arena_t arena;                   //  intents and worker messages are decoded here
    ep_restores_t restores;             //  restores waiting for their worker's messages
    ep_stats_t stats;                   //  counters published on `stats`
    struct {
        int64_t logged_ms;              //  rate limit for malformed-intake logs
        uint64_t unlogged;              //  malformed since that log line
    } malformed;
    struct {
        bool on;                        //  stopping: waiting for answers
        int64_t started_ms;             //  since then
        int64_t until_ms;               //  and no longer than this
    } drain;
    ep_router_status_t failure;         //  why the loop stopped (OK: it did not fail)
    ep_durability_t durability;         //  which commits are on disk yet
    ep_router_metrics_t metrics;        //  Prometheus metrics and the health check
    ep_lease_t lease;                   //  active or standby (ep_lease)
    char *ready_file;                   //  written once serving (NULL: none)
};

//  The wall clock, in microseconds since the epoch (report times only:
//  nothing the router decides reads it).
int64_t ep_router_wall_us (void);

//  Packs any protobuf-c message into a malloc'd buffer; NULL on out of memory.
uint8_t *ep_router_pack (const ProtobufCMessage *message, size_t *size);

//  Reads the next message part waiting on handle into msg, without
//  waiting. Returns true; or false if none waits, msg then closed.
bool ep_router_recv (void *handle, zmq_msg_t *msg);

//  Begins the turn's transaction if needed and journals an event (kind is a
//  short word, see ep_journal_add_event) at the newest seq.
ep_router_status_t ep_router_event (ep_router_t *self, const char *kind, const char *detail);

//  --------------------------------------------------------------------------
//  ep_definitions

//  The id of a definition's text: its SHA-256, 64 lowercase hex digits.
void ep_definition_id (const char *text, char id [65]);

//  The definition seen as id, or NULL.
Execplane__V1__PlaneDefinition *ep_definitions_find (ep_router_t *self, const char *id);

//  A worker of plane presents text, described as description: the
//  definition is recorded (journaled) if it is new, or its description
//  if it had none. Returns whether it may serve the plane (approved, not
//  revoked); if not, why ("live definition 3f2a9c1b0d4e is not approved").
//  *status is set on a journal failure.
bool ep_definitions_present (ep_router_t *self, int plane, const char *text,
                             const char *description, char id [65], char *why,
                             size_t why_size, ep_router_status_t *status);

//  Whether the definition id may serve plane; if not, why.
bool ep_definitions_may_serve (ep_router_t *self, int plane, const char *id, char *why,
                               size_t why_size);

//  Applies APPROVE or REVOKE (command) of its definition_id by issued_by.
//  Returns whether it was applied; outcome says what happened or why not.
bool ep_definitions_decide (ep_router_t *self, const ep_command_t *command,
                            char *outcome, size_t outcome_size, ep_router_status_t *status);

//  Reads the definitions the journal keeps (at start). Returns 0, or -1.
int ep_definitions_load (ep_router_t *self);

//  The plane's definition problem for PlaneState: "" if none.
void ep_definitions_problem (ep_router_t *self, int plane, char *why, size_t why_size);

void ep_definitions_clear (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_intake

//  Reads up to a batch of intents from intake and handles each.
ep_router_status_t ep_intake_drain (ep_router_t *self);

//  Handles one intake message from an admitted sender: the intent is
//  journaled and either dispatched (queued in pending, entered in flight)
//  or refused with a report. A message that is no readable intent is only
//  counted (malformed), and takes no router_seq. On failure what was
//  journaled (or entered in flight) stays, uncommitted: the router stops.
ep_router_status_t ep_intake_handle (ep_router_t *self, const uint8_t *data, size_t size,
                                     const ep_peer_t *peer);

//  Whose stream an intent's reports go to: its strategy's only if its
//  strategy_id is valid and (curve) its sender may speak for it. Returns
//  true for the strategy's stream; else false with the failure and reason.
bool ep_intake_attribute (const ep_peer_t *peer, const ep_intent_t *intent, bool curve,
                          int *failure, char *reason, size_t size);

//  Under CURVE (curve) only a safety key sends a Safety Sell. Returns true
//  if the sender may send intent; else false with the reason.
bool ep_intake_may_send_safety (const ep_peer_t *peer, const ep_intent_t *intent, bool curve,
                                char *reason, size_t size);

//  Counts a malformed message, logging at most once a second.
void ep_intake_count_malformed (ep_router_t *self, const char *why, size_t size);

//  Logs the malformed messages counted since the last log line, if a
//  second has passed.
void ep_intake_log_malformed (ep_router_t *self, int64_t now);

//  --------------------------------------------------------------------------
//  ep_target

//  The order a CANCEL or REPLACE means, where it is held.
typedef struct {
    uint64_t router_seq;                //  its acceptance number; 0: not reachable
    int plane;                          //  the plane that holds it
    uint64_t epoch;                     //  the epoch it was dispatched under
} ep_target_t;

//  Judges the target of a CANCEL or REPLACE intent (valid, claimed): on
//  *failure FAILURE_NONE, target says where to send it; else the failure
//  (INVALID_INTENT: the strategy has no such intent, it is no order, or a
//  REPLACE changes its symbol or side; TOO_LATE: the router has its
//  terminal report; INTERNAL: the journal cannot be read) and its reason.
//  A CANCEL of a live order whose terminal report is UNKNOWN (and which
//  its plane has not since said ended) is sent like one of an order in
//  flight: to the live plane and epoch that held it, which cancels it by
//  its client order id (it may rest at the venue).
//  Returns EP_ROUTER_NO_MEMORY, or EP_ROUTER_OK.
ep_router_status_t ep_target_judge (ep_router_t *self, const ep_intent_t *intent,
                                    ep_target_t *target, int *failure, char *reason,
                                    size_t size);

//  A CANCEL's dispatch to a live order that ended UNKNOWN (its target not
//  in flight) carries the fills the router has of it (known_*), as a
//  reconciliation's does; any other dispatch is left as it is.
void ep_target_stamp_known (ep_router_t *self, ep_dispatch_t *dispatch);

//  The router's own cancels (CANCEL_ALL, HALT with cancel_open): a CANCEL
//  of every open order (in flight or a zombie, or a live order that ended
//  UNKNOWN and is remembered in self->unknown; not a cancel, not being
//  canceled by the router already) of strategy_id ("" or NULL: every
//  strategy) on plane (0: every plane), each its own intent ("<kind>.<its
//  router_seq>", under the target's strategy) journaled with sender and,
//  as an event, its cause; dispatched to the target's plane and epoch
//  with Dispatch.cause. An order on a plane with no living worker is left.
//  *sent and *left count them. Returns EP_ROUTER_OK, or why the router
//  must stop (what was queued before stays).
ep_router_status_t ep_target_cancel_open (ep_router_t *self, const char *strategy_id, int plane,
                                          const char *kind, const char *cause,
                                          const char *sender, size_t *sent, size_t *left);

//  Remembers a live order (not a cancel) whose terminal report the router
//  just made or took as UNKNOWN, for its own cancels (self->unknown).
void ep_target_remember_unknown (ep_router_t *self, const ep_inflight_entry_t *entry);

//  A plane's report on router_seq after its terminal report: a word that
//  the order rests (a zombie now) or ended forgets it; an UNKNOWN keeps it.
void ep_target_late_word (ep_router_t *self, uint64_t router_seq, int status, bool terminal);

//  At start: remembers the newest EP_UNKNOWN_MAX live orders the journal
//  holds as ended UNKNOWN, with no later word of their plane that they
//  ended or rest. Returns EP_ROUTER_OK, or why not.
ep_router_status_t ep_target_recover_unknown (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_control

//  What became of a plane command.
typedef enum {
    EP_CONTROL_APPLIED = 0,
    EP_CONTROL_NOT_A_COMMAND,           //  a topic other than control.plane: ignored
    EP_CONTROL_UNAUTHORIZED,            //  its sender may not send commands
    EP_CONTROL_NOT_TEXT,                //  a string is not UTF-8 text without controls
    EP_CONTROL_UNDECODABLE,             //  not a PlaneCommand
    EP_CONTROL_UNKNOWN_KIND,            //  no command of that kind
    EP_CONTROL_NO_PLANE,                //  SELECT of neither PAPER nor LIVE
    EP_CONTROL_STALE_EPOCH,             //  its epoch is not above the current one
    EP_CONTROL_REPEATED,                //  a reconcile request seen lately: ignored
    EP_CONTROL_REFUSED                  //  a reconcile the router cannot forward
} ep_control_verdict_t;

//  A verdict's text ("refused: epoch is not above the current one").
const char *ep_control_strerror (ep_control_verdict_t verdict);

//  Checks the text of the PlaneCommand in data, then decodes it into
//  *command (the caller frees it). Returns EP_CONTROL_APPLIED (meaning:
//  readable) or why not, with the outcome text in outcome; *command is
//  then NULL.
ep_control_verdict_t ep_control_read (const uint8_t *data, size_t size, ep_command_t **command,
                                      char *outcome, size_t outcome_size);

//  Applies a SELECT, HALT or RESUME to state: only a known kind, a SELECT
//  of PAPER or LIVE, and an epoch above the current one apply. On
//  EP_CONTROL_APPLIED the plane state is changed (at report seq at_seq);
//  otherwise it is unchanged. Either way the outcome is written, and
//  state's last command and dirty flag are left to the caller.
ep_control_verdict_t ep_control_apply (ep_control_t *state, const ep_command_t *command,
                                       uint64_t at_seq, char *outcome, size_t outcome_size);

//  Handles a message read on control (topic, the sender's User-Id): the
//  sender is checked, the command applied or refused, journaled, and the
//  plane state marked for publication. *verdict (if not NULL) says what
//  became of it.
ep_router_status_t ep_control_on_message (ep_router_t *self, const char *topic,
                                          const uint8_t *data, size_t size,
                                          const char *user_id, ep_control_verdict_t *verdict);

//  Publishes the plane state on `plane` (dropped if nobody keeps up).
void ep_control_publish (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_plane_link

//  Whether a worker message may speak for its plane's session.
typedef enum {
    EP_LINK_ACCEPTED = 0,               //  it is (or now becomes) the plane's worker
    EP_LINK_UNAUTHORIZED,               //  its sender may not send results
    EP_LINK_UNDECODABLE,                //  no WorkerMessage of a plane
    EP_LINK_WRONG_PLANE,                //  a worker key of another plane
    EP_LINK_FOREIGN_KEY,                //  the session is bound to another key
    EP_LINK_FENCED,                     //  another worker serves the plane
    EP_LINK_UNAPPROVED                  //  its plane definition is not approved: not
                                        //  adopted, its message ignored
} ep_link_verdict_t;

const char *ep_link_strerror (ep_link_verdict_t verdict);

//  True while the worker is known to be subscribed to exec.<plane> (see
//  ep_plane_link.c).
bool ep_link_subscribed (const ep_router_t *self, const ep_worker_t *worker, int64_t now);

//  Marks the plane's worker alive or lost (alive only while subscribed);
//  a change is logged, journaled and published.
ep_router_status_t ep_link_set_alive (ep_router_t *self, int plane, bool alive, const char *why);

//  Makes session, presented by key (Z85, "" when insecure), the plane's worker.
ep_router_status_t ep_link_adopt (ep_router_t *self, int plane, const char *session,
                                  const char *key, const char *why);

//  Whether a worker message of session on plane, from peer (user_id: its
//  key, NULL insecure), may speak for the plane: EP_LINK_ACCEPTED,
//  EP_LINK_WRONG_PLANE (curve: a worker key of another plane) or
//  EP_LINK_FOREIGN_KEY (the plane's session, presented by another key).
ep_link_verdict_t ep_link_admits (const ep_router_t *self, int plane, const char *session,
                                  const ep_peer_t *peer, const char *user_id, bool curve);

//  True if key may speak as the worker's adopted session.
bool ep_link_session_key_matches (const ep_worker_t *worker, const char *key, bool curve);

//  Whether a live or paper worker session may claim the plane (a
//  restore). Returns true, or false with why.
bool ep_link_may_claim (const ep_router_t *self, int plane, const char *session,
                        const char *key, bool curve, char *why, size_t why_size);

//  Sends a probe (and the router's boot) on exec.<plane>.
void ep_link_probe (ep_router_t *self, int plane);

//  Marks workers lost that went silent or did not confirm their subscription.
ep_router_status_t ep_link_check (ep_router_t *self, int64_t now);

//  Handles a message read on results: kind ("reports", "heartbeat",
//  "bye"), the sender's User-Id. *verdict (if not NULL) says whether it
//  was taken as the plane's worker's.
ep_router_status_t ep_link_on_message (ep_router_t *self, const char *kind,
                                       const uint8_t *data, size_t size, const char *user_id,
                                       ep_link_verdict_t *verdict);

//  --------------------------------------------------------------------------
//  ep_reports

//  Journals report (stamping its seq) and queues it for publication after
//  the commit. plane_payload is the plane's report as produced, or NULL.
//  On failure nothing is queued and the stats are unchanged (the seq is
//  taken: the router stops without committing).
ep_router_status_t ep_reports_emit (ep_router_t *self, ep_report_t *report, ep_origin_t origin,
                                    bool late, const uint8_t *plane_payload, size_t plane_size);

//  Makes the terminal report of an in-flight intent its plane never
//  answered (FAILED on paper, UNKNOWN on live), and removes the entry.
ep_router_status_t ep_reports_expire (ep_router_t *self, ep_inflight_entry_t *entry,
                                      const char *why);

//  Expires every intent whose plane did not answer by its deadline.
ep_router_status_t ep_reports_expire_due (ep_router_t *self, int64_t now);

//  What the router has of an intent's fills.
typedef struct {
    int64_t filled_qty_e8;              //  the plane's last cumulative figures
    int64_t avg_price_e8;
    uint32_t fills;                     //  how many fills its reports carried
} ep_known_fills_t;

//  What the journal holds of router_seq's fills (its plane's reports).
ep_known_fills_t ep_reports_known_fills (ep_router_t *self, uint64_t router_seq);

//  Takes a report a plane produced, for the intent it names; produced is
//  its bytes as the plane sent them (NULL: pack it). A report on an intent
//  never dispatched to plane is fenced (counted, journaled as an event);
//  one after the intent's terminal report is published late, and a
//  resting order then kept as a zombie; fills the router has are left
//  out. On return report holds what it was decoded with (its fills,
//  reason, terminal flag), stamped with its seq, plane and epoch.
ep_router_status_t ep_reports_from_plane (ep_router_t *self, int plane, ep_report_t *report,
                                          const ep_slice_t *produced);

//  --------------------------------------------------------------------------
//  ep_query

//  True if peer may read the report in payload, journaled under
//  strategy_id ("": a refusal told to its sender alone): under CURVE
//  (curve) a strategy or safety key reads its strategies' reports and its
//  own refusals only.
bool ep_query_shows (const ep_peer_t *peer, const char *strategy_id, const void *payload,
                     size_t size, bool curve);

//  True if peer may ask to restore plane: under CURVE, only that plane's
//  worker key.
bool ep_query_may_restore (const ep_peer_t *peer, int plane, bool curve);

//  The most intents one "intents" request may ask about; more is refused.
#define EP_QUERY_INTENTS_MAX    256

//  True if peer may ask what became of strategy_id's intents ("intents"):
//  under CURVE, a monitor key about any strategy, a strategy or safety key
//  about those it speaks for, no other key.
bool ep_query_may_ask_fate (const ep_peer_t *peer, const char *strategy_id, bool curve);

//  Answers up to 64 requests waiting on query.
ep_router_status_t ep_query_drain (ep_router_t *self);

//  Tries again the restores held for their worker's messages.
ep_router_status_t ep_query_serve_waiting (ep_router_t *self);

//  Frees the restores still held.
void ep_query_clear (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_recovery

//  Reads back the plane state, the seqs and the intents in flight; the
//  ones no plane answered get their terminal reports; commits. Returns
//  EP_ROUTER_OK, or why not (logged).
ep_router_status_t ep_recovery_run (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_access

//  The sender's own stream: its public key (Z85) under CURVE, "insecure" without.
const char *ep_access_sender_key (const ep_peer_t *peer, bool curve);

//  Checks a message's sender against domain; a refusal is counted, and
//  logged and journaled within the guard's budget (*status).
bool ep_access_admitted (ep_router_t *self, const char *domain, const char *user_id,
                         ep_peer_t *peer, ep_router_status_t *status);

//  Counts a refusal of key on domain and, within the guard's budget, logs
//  and journals it as format says.
ep_router_status_t ep_access_refuse (ep_router_t *self, ep_refusal_kind_t kind,
                                     const char *domain, const char *key,
                                     const char *format, ...)
                                     __attribute__ ((format (printf, 5, 6)));

//  Journals the refusals counted without a row of their own: once per
//  interval, or at once if final.
ep_router_status_t ep_access_summarize (ep_router_t *self, bool final);

//  Answers pending ZAP requests; journals refusals within the budget.
ep_router_status_t ep_access_handle_zap (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_subscriptions

//  True if a subscriber with this key may (un)subscribe to topic on domain.
bool ep_subscriptions_allowed (const ep_peer_t *peer, const char *domain, const char *topic,
                               size_t len, bool curve);

//  Applies or refuses the (un)subscriptions waiting on socket (domain: its name).
ep_router_status_t ep_subscriptions_drain (ep_router_t *self, zsock_t *socket,
                                           const char *domain);

//  Binds again what was unbound; re-reads the allow-list, and unbinds the
//  publishing sockets a removed key may still be connected to.
void ep_subscriptions_reload_keys (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_delivery

//  How long after its dispatch a live order may still be sent; positive
//  in any configuration ep_router_new accepts.
int64_t ep_delivery_send_budget_ms (const ep_config_t *config);

//  Names the adopted live session in dispatch and, for a submission, the
//  time after which it must not be sent.
void ep_delivery_stamp_live (ep_router_t *self, ep_dispatch_t *dispatch, bool submission);

//  Packs dispatch around its intent's bytes as decoded from; NULL on out of memory.
uint8_t *ep_delivery_pack_around (ep_dispatch_t *dispatch, const uint8_t *intent,
                                  size_t intent_size, size_t *size);

//  Builds a batch of the paper dispatches at the head of pending into
//  self->batch; returns how many pending items it covers (1: send the
//  head alone).
size_t ep_delivery_batch (ep_router_t *self);

//  Publishes the committed reports, then sends the dispatches until the
//  high-water mark pushes back.
void ep_delivery_flush (ep_router_t *self);

//  Sends the paper dispatches at the head of pending (those before the
//  first of another plane) until the high-water mark pushes back: what
//  may leave once the turn is committed, before it is on disk.
void ep_delivery_paper (ep_router_t *self);

//  --------------------------------------------------------------------------
//  ep_commit and ep_drain

//  What a turn's commit must be.
typedef enum {
    EP_COMMIT_NONE = 0,                 //  nothing written, nothing to make durable
    EP_COMMIT_DEFERRED,                 //  commit without waiting for the disk
    EP_COMMIT_SYNCED,                   //  commit, and wait for the disk
    EP_COMMIT_SYNC_ONLY                 //  nothing written: sync what earlier turns
                                        //  committed, before something leaves
} ep_commit_plan_t;

//  What the decision looks at.
typedef struct {
    size_t writes;                      //  the turn's journal writes
    size_t deferrable;                  //  of them, paper intents it dispatches and
                                        //  their duplicate-id claims
    bool unsynced;                      //  an earlier commit is not on disk yet
    bool goes_out;                      //  the turn publishes, answers, or updates
                                        //  stats or metrics (anything but paper dispatches)
} ep_commit_turn_t;

//  Does this turn need durability? A turn whose writes are all deferrable,
//  and from which nothing but paper dispatches leaves, need not wait for
//  the disk; any other that wrote must; one that wrote nothing syncs only
//  if something leaves while an earlier commit is not on disk.
ep_commit_plan_t ep_commit_plan (const ep_commit_turn_t *turn);

//  Commits the turn as ep_commit_plan says (goes_out: see there); a commit
//  that fails for a full disk is retried until it commits. Returns
//  EP_ROUTER_OK, or EP_ROUTER_JOURNAL_COMMIT, EP_ROUTER_JOURNAL_SYNC, or
//  EP_ROUTER_UNCOMMITTED if asked to stop first.
ep_router_status_t ep_commit_turn (ep_router_t *self, bool goes_out);

//  Makes every commit so far durable, before something other than a paper
//  dispatch leaves. Returns EP_ROUTER_OK or EP_ROUTER_JOURNAL_SYNC (logged).
ep_router_status_t ep_commit_durable (ep_router_t *self);

//  Notes that a message other than a paper dispatch leaves now: counted
//  (durability.unsynced_sends) if a commit is not on disk yet.
void ep_commit_sent (ep_router_t *self);

//  Starts (on) or ends deferring syncs for the loop, under journal_sync =
//  full; ending makes what was committed durable. Returns EP_ROUTER_OK or
//  why not (logged).
ep_router_status_t ep_commit_defer (ep_router_t *self, bool on);

//  Where the loop ends: what the last turn wrote after its commit (a
//  worker adopted while its restore was served) is committed, durably,
//  and syncs are deferred no more (they can change only between
//  transactions). Returns EP_ROUTER_OK or why not (logged).
ep_router_status_t ep_commit_end (ep_router_t *self);

//  True when a stop was asked and it is time to go (see ep_drain.c).
bool ep_drain_due (ep_router_t *self, int64_t now);

//  --------------------------------------------------------------------------
//  ep_lease

//  At start, once the journal is open: the lease taken (active), or held
//  by another router (standby). Returns 0, or -1 with the reason in err.
int ep_lease_start (ep_router_t *self, char *err, size_t err_size);

//  The standby's wait: tries for the lease every router/takeover_ms, the
//  metrics kept up, until it is taken (0) or the router is asked to stop
//  (1). Returns -1 on a failure it cannot wait out (logged).
int ep_lease_wait (ep_router_t *self);

//  Taken over: the takeover's time, counted and logged, once serving.
void ep_lease_serving (ep_router_t *self);

//  The active, each router/takeover_ms (due at self->lease.next_ms):
//  whether the lease is still its own. While that cannot be told (the
//  database unreachable) and the router is one of a list (router/member),
//  self->lease.unconfirmed: the plane state and stats, which no commit
//  precedes, are not published, and clients move to the other router
//  (what a turn writes waits for its commit, which cannot be made either).
//  Returns
//  EP_ROUTER_OK, or EP_ROUTER_LEASE_LOST.
ep_router_status_t ep_lease_confirm (ep_router_t *self, int64_t now);

//  --------------------------------------------------------------------------
//  ep_router_metrics

void ep_router_metrics_init (ep_router_t *self);
void ep_router_metrics_update (ep_router_t *self, int64_t now);

//  Counts a report's terminal outcome for the metrics.
void ep_router_metrics_count (ep_router_t *self, const ep_report_t *report, bool late);

//  Publishes the counters on `stats`, and gives memory back once idle.
void ep_router_metrics_publish_stats (ep_router_t *self);

#endif
