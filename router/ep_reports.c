/*  ep_reports: every report the router publishes is journaled first, then
    queued in the outbox until the turn commits. The router makes the
    terminal report of an intent its plane did not answer in time; a
    plane's report is checked against what was dispatched to it (late,
    bogus), its fills against those the router already has.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_names.h"
#include "ep_utf8.h"

//  The report's reason, if it is not text a client could decode, cleaned
//  into clean (a reason cut inside a character, or a plane's that holds
//  bytes that are no text); else the reason itself.
static char *
s_clean_reason (char *given, char *clean, size_t size)
{
    if (!given || ep_utf8_text_valid (given, strlen (given)))
        return given;
    char cut [1024];
    snprintf (cut, sizeof cut, "%s", given);
    ep_utf8_trim (cut);                 //  a snprintf that ran out of room
    ep_utf8_clean (clean, size, cut, strlen (cut));
    return clean;
}

ep_router_status_t
ep_reports_emit (ep_router_t *self, ep_report_t *report, ep_origin_t origin, bool late,
                 const uint8_t *plane_payload, size_t plane_size)
{
    report->seq = ++self->last_seq;
    //  Nothing is published that a client could not decode.
    char clean [1024];
    char *given = report->reason;
    report->reason = s_clean_reason (given, clean, sizeof clean);
    //  The environment that produced it: the plane's worker's definition
    char *plane_definition = report->plane_definition;
    bool on_plane = report->plane == EP_PLANE (PAPER) || report->plane == EP_PLANE (LIVE);
    if (on_plane)
        report->plane_definition = self->link.worker [report->plane].definition;
    //  Its times, outside determinism: when the intent was read, and now
    int64_t intake_us = report->intake_us, journaled_us = ep_router_wall_us ();
    if (!intake_us) {
        ep_inflight_entry_t *entry = ep_inflight_find (self->inflight, report->router_seq);
        report->intake_us = entry ? entry->intake_us
                          : ep_journal_intake_us (self->journal, report->router_seq);
    }
    report->journaled_us = journaled_us;
    if (report->terminal && on_plane && report->intake_us && !late)
        ep_histogram_observe (&self->metrics.intake_to_terminal [report->plane],
                              (double) (journaled_us - report->intake_us) / 1e6);
    size_t size;
    uint8_t *data = ep_router_pack (&report->base, &size);
    report->reason = given;
    report->plane_definition = plane_definition;
    report->intake_us = intake_us;
    report->journaled_us = 0;
    if (!data)
        return EP_ROUTER_NO_MEMORY;
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
        return EP_ROUTER_JOURNAL_WRITE;
    }
    char topic [EP_ID_MAX + 16];
    if (report->sender_key && *report->sender_key)
        snprintf (topic, sizeof topic, "refused.%s", report->sender_key);
    else
        ep_outcome_topic (topic, sizeof topic, report->strategy_id);
    if (ep_outbox_push (&self->outbox, topic, data, size, 0)) {
        free (data);
        return EP_ROUTER_NO_MEMORY;
    }
    self->stats.reports++;
    if (late)
        self->stats.late_reports++;
    ep_router_metrics_count (self, report, late);
    return EP_ROUTER_OK;
}

//  A terminal report the router makes on behalf of an in-flight intent.
static ep_router_status_t
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
    report.target_intent_id = entry->target_intent_id;
    ep_log_intent (EP_LOG_WARN, entry->strategy_id, entry->intent_id,
                   " (router_seq %llu): %s %s: %s", (unsigned long long) entry->router_seq,
                   ep_status_name (status), ep_failure_name (failure), reason);
    return ep_reports_emit (self, &report, EP_ORIGIN_ROUTER, false, NULL, 0);
}

ep_router_status_t
ep_reports_expire (ep_router_t *self, ep_inflight_entry_t *entry, const char *why)
{
    bool live = entry->plane == EP_PLANE (LIVE);
    char reason [256];
    snprintf (reason, sizeof reason, "%s%s", why,
              live ? "; it may have reached the venue: reconcile before acting" : "");
    ep_router_status_t status = s_emit_for_entry (
        self, entry, live ? EP_STATUS (UNKNOWN) : EP_STATUS (FAILED),
        live ? EP_FAILURE (SEND_UNKNOWN) : EP_FAILURE (PLANE_UNAVAILABLE), reason);
    if (live)
        ep_target_remember_unknown (self, entry);
    ep_inflight_remove (self->inflight, entry->router_seq);
    return status;
}

ep_router_status_t
ep_reports_expire_due (ep_router_t *self, int64_t now)
{
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        char why [128];
        snprintf (why, sizeof why, "no answer from the %s plane within %lld ms",
                  plane == EP_PLANE (LIVE) ? "live" : "paper",
                  (long long) (plane == EP_PLANE (LIVE) ? self->config.live_deadline_ms
                                                        : self->config.paper_deadline_ms));
        ep_inflight_entry_t *entry;
        while ((entry = ep_inflight_expired (self->inflight, plane, now))) {
            ep_router_status_t status = ep_reports_expire (self, entry, why);
            if (status)
                return status;
        }
    }
    return EP_ROUTER_OK;
}

//  --------------------------------------------------------------------------
//  Fills

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
    ep_known_fills_t *known = arg;
    ep_report_t *report = execplane__v1__execution_report__unpack (NULL, size, payload);
    if (report) {
        known->filled_qty_e8 = report->filled_qty_e8;
        known->avg_price_e8 = report->avg_price_e8;
        known->fills = s_fills_after (known->fills, report);
        execplane__v1__execution_report__free_unpacked (report, NULL);
    }
}

ep_known_fills_t
ep_reports_known_fills (ep_router_t *self, uint64_t router_seq)
{
    ep_known_fills_t known = { 0 };
    ep_journal_plane_reports (self->journal, router_seq, s_collect_known_fills, &known);
    return known;
}

//  Leaves out of report's fills those the router has (known of them): a
//  plane may repeat fills that a router that stopped could have missed.
//  Tells of fills that never reached the router. Returns how many fills
//  it left out; the caller puts them back before freeing the report.
static size_t
s_new_fills (ep_router_t *self, ep_report_t *report, uint32_t known, ep_router_status_t *status)
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
        ep_router_status_t journaled = ep_router_event (self, "fill-gap", detail);
        if (journaled)
            *status = journaled;
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

//  --------------------------------------------------------------------------
//  Late reports and zombies

//  A plane answered on an intent whose terminal report the router already
//  made (deadline, restart): the report is late. If the plane says the order
//  still rests, it is a "zombie": kept in the table (acked, no deadline) so
//  that a restarted worker is restored with it, exactly as the plane and
//  ep-replay see the book; its later reports stay late. Returns the entry
//  the report updates, if any.
static ep_inflight_entry_t *
s_track_zombie (ep_router_t *self, ep_inflight_entry_t *entry, const ep_report_t *report,
                int plane, uint64_t epoch, const void *intent_payload, size_t intent_size,
                ep_router_status_t *status)
{
    if (ep_journal_begin (self->journal)) {
        *status = EP_ROUTER_JOURNAL_WRITE;
        return entry;
    }
    if (report->terminal) {
        if (entry) {
            ep_inflight_remove (self->inflight, report->router_seq);
            *status = ep_router_journaled (
                ep_journal_set_zombie (self->journal, report->router_seq, false));
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
            *status = EP_ROUTER_NO_MEMORY;
            return NULL;
        }
        entry->zombie = true;
        *status = ep_router_journaled (
            ep_journal_set_zombie (self->journal, report->router_seq, true));
    }
    entry->filled_qty_e8 = report->filled_qty_e8;
    entry->avg_price_e8 = report->avg_price_e8;
    return entry;
}

//  True if the report names the intent it reports on: the same intent_id
//  under the same strategy. A report that gives another intent's router_seq
//  (a worker that outlived a router whose last commits were lost with its
//  machine, and numbers that were given again since) must not touch it.
static bool
s_names (const ep_report_t *report, const char *intent_id, const char *strategy_id)
{
    return streq (report->intent_id ? report->intent_id : "", intent_id)
        && streq (report->strategy_id ? report->strategy_id : "", strategy_id);
}

//  Fences off a report on an intent it was never sent, or that is not the
//  one it names. Returns the status of journaling the event.
static ep_router_status_t
s_fence (ep_router_t *self, int plane, const ep_report_t *report, const char *why)
{
    self->stats.fenced_reports++;
    ep_log_intent (EP_LOG_WARN, report->strategy_id, report->intent_id,
                   ": the %s worker reported on it as router_seq %llu, %s: ignored",
                   ep_plane_name (plane), (unsigned long long) report->router_seq, why);
    return ep_router_event (self, "bogus-report", report->intent_id);
}

//  A report on an intent that is not in flight on its plane (or is a
//  zombie): either its terminal report was already made, or the worker
//  names an intent it was never sent, which is fenced off (*bogus).
//  Returns the entry the report updates, if any, and the fills known.
static ep_inflight_entry_t *
s_late (ep_router_t *self, int plane, ep_report_t *report, ep_inflight_entry_t *entry,
        uint32_t *known_fills, bool *bogus, ep_router_status_t *status)
{
    int journaled_plane = 0;
    uint64_t epoch = 0;
    bool dispatched = false;
    void *payload = NULL;
    size_t size = 0;
    int found = ep_journal_intent (self->journal, report->router_seq, &journaled_plane,
                                   &epoch, &dispatched, &payload, &size);
    ep_intent_t *intent = found > 0
        ? execplane__v1__order_intent__unpack (NULL, size, payload) : NULL;
    const char *why = found <= 0 || !dispatched || journaled_plane != plane
                    ? "which was never dispatched to it"
                    : !intent ? "whose journaled intent cannot be read"
                    : !s_names (report, intent->intent_id, intent->strategy_id)
                    ? "which is another intent" : NULL;
    if (intent)
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    if (why) {
        *status = s_fence (self, plane, report, why);
        *bogus = true;
        free (payload);
        return NULL;
    }
    if (!entry)
        *known_fills = ep_reports_known_fills (self, report->router_seq).fills;
    report->plane_epoch = epoch;
    entry = s_track_zombie (self, entry, report, plane, epoch, payload, size, status);
    free (payload);
    return entry;
}

//  Publishes a plane's report: marked late (and not terminal) after the
//  intent's terminal report, with plane_payload as the plane produced it.
static ep_router_status_t
s_publish (ep_router_t *self, int plane, ep_report_t *report, bool late,
           const uint8_t *plane_payload, size_t plane_size)
{
    report->plane = plane;
    char reason [512];
    char *plane_reason = report->reason;    //  owned by the unpacked message
    if (late) {
        //  A reconciliation answers after the terminal report by design; any
        //  other late report says that it is late.
        if (!report->reconciled) {
            snprintf (reason, sizeof reason, "late: arrived after this intent's terminal "
                      "report; the plane said %s%s: %s", ep_status_name (report->status),
                      report->terminal ? " (terminal)" : "", report->reason);
            report->reason = reason;
        }
        report->terminal = false;
    }
    ep_router_status_t status = ep_reports_emit (self, report, EP_ORIGIN_PLANE, late,
                                                 plane_payload, plane_size);
    report->reason = plane_reason;      //  free_unpacked frees it
    return status;
}

ep_router_status_t
ep_reports_from_plane (ep_router_t *self, int plane, ep_report_t *report,
                       const ep_slice_t *produced)
{
    ep_router_status_t status = EP_ROUTER_OK;
    uint64_t plane_epoch = report->plane_epoch;    //  as the plane said
    ep_inflight_entry_t *entry = ep_inflight_find (self->inflight, report->router_seq);
    if (entry && entry->plane != plane)
        entry = NULL;
    if (entry && !s_names (report, entry->intent_id, entry->strategy_id))
        return s_fence (self, plane, report, "which is another intent");
    bool late = !entry || entry->zombie;
    uint32_t known_fills = entry ? entry->fills : 0;
    if (late) {
        bool bogus = false;
        entry = s_late (self, plane, report, entry, &known_fills, &bogus, &status);
        if (bogus)
            return status;
    }
    else {
        entry->acked = true;
        entry->filled_qty_e8 = report->filled_qty_e8;
        entry->avg_price_e8 = report->avg_price_e8;
        report->plane_epoch = entry->plane_epoch;
    }
    size_t repeated = s_new_fills (self, report, known_fills, &status);
    if (entry)
        entry->fills = s_fills_after (known_fills, report);
    //  The plane's report as produced, less the fills the router had.
    size_t plane_size = produced ? produced->size : 0;
    uint8_t *plane_payload = NULL;
    if (!produced || repeated) {
        uint64_t router_epoch = report->plane_epoch;
        report->plane_epoch = plane_epoch;
        plane_payload = ep_router_pack (&report->base, &plane_size);
        report->plane_epoch = router_epoch;
        if (!plane_payload) {
            report->fills -= repeated;
            report->n_fills += repeated;
            return EP_ROUTER_NO_MEMORY;
        }
    }
    bool plane_terminal = report->terminal;
    ep_router_status_t published = s_publish (self, plane, report, late,
                                              plane_payload ? plane_payload : produced->data,
                                              plane_size);
    report->terminal = plane_terminal;
    //  Put back what belongs to the unpacked message.
    report->fills -= repeated;
    report->n_fills += repeated;
    free (plane_payload);
    if (late)
        ep_target_late_word (self, report->router_seq, report->status, plane_terminal);
    else
    if (plane_terminal) {
        if (plane == EP_PLANE (LIVE) && report->status == EP_STATUS (UNKNOWN))
            ep_target_remember_unknown (self, entry);
        ep_inflight_remove (self->inflight, report->router_seq);
    }
    return status ? status : published;
}
