/*  ep_router_metrics: what the router tells of itself. Prometheus text and
    a health check on router/metrics (when configured), and the counters
    published on `stats`.  */
#include <czmq.h>
#include <malloc.h>
#include "ep_router_internal.h"
#include "ep_names.h"
#include "ep_sock.h"

void
ep_router_metrics_init (ep_router_t *self)
{
    static const double seconds [] = { 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3,
                                       10e-3, 20e-3, 50e-3, 100e-3, 500e-3, 1, 5 };
    static const double counts [] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096 };
    ep_histogram_init (&self->metrics.commit_seconds, seconds, sizeof seconds / sizeof *seconds);
    ep_histogram_init (&self->metrics.commit_writes, counts, sizeof counts / sizeof *counts);
    ep_histogram_init (&self->metrics.dispatch_batch, counts, 9);   //  1 to 256
    static const double latency [] = { 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                                       25e-3, 50e-3, 100e-3, 250e-3, 1, 5, 30 };
    for (int plane = 0; plane < EP_ROUTER_PLANES; plane++)
        ep_histogram_init (&self->metrics.intake_to_terminal [plane], latency,
                           sizeof latency / sizeof *latency);
}

void
ep_router_metrics_count (ep_router_t *self, const ep_report_t *report, bool late)
{
    if (report->terminal && !late && report->plane >= 0 && report->plane < EP_ROUTER_PLANES
    &&  report->status >= 0 && report->status < EP_STATUS_COUNT
    &&  report->failure >= 0 && report->failure < EP_FAILURE_COUNT)
        self->metrics.terminal [report->plane][report->status][report->failure]++;
}

//  The counters, each a family of one sample.
static void
s_counters (ep_router_t *self, ep_prom_t *prom)
{
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
}

//  The intents by terminal outcome, and the gauges of each plane.
static void
s_planes (ep_router_t *self, ep_prom_t *prom, int64_t now)
{
    char labels [256];
    ep_prom_family (prom, "execplane_intents_total", "counter",
                    "Intents by terminal outcome: plane, status and failure");
    for (int plane = 0; plane < EP_ROUTER_PLANES; plane++)
        for (int status = 0; status < EP_STATUS_COUNT; status++)
            for (int failure = 0; failure < EP_FAILURE_COUNT; failure++)
                if (self->metrics.terminal [plane][status][failure]) {
                    snprintf (labels, sizeof labels, "plane=\"%s\",status=\"%s\",failure=\"%s\"",
                              ep_plane_name (plane) ? ep_plane_name (plane) : "NONE",
                              ep_status_name (status), ep_failure_name (failure));
                    ep_prom_int (prom, "execplane_intents_total", labels,
                                 (int64_t) self->metrics.terminal [plane][status][failure]);
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
        ep_prom_int (prom, "execplane_active_plane", labels, self->state.plane == plane);
        ep_prom_int (prom, "execplane_worker_alive", labels, self->link.worker [plane].alive);
        ep_prom_double (prom, "execplane_worker_silence_seconds", labels,
                        self->link.worker [plane].last_heard_ms
                        ? (double) (now - self->link.worker [plane].last_heard_ms) / 1e3 : -1);
    }
}

//  The journal's commits by how they reached the disk, its syncs alone,
//  and what left before a commit was on disk (always 0).
static void
s_durability (ep_router_t *self, ep_prom_t *prom)
{
    const ep_durability_t *d = &self->durability;
    ep_prom_family (prom, "execplane_journal_commits_total", "counter",
                    "Journal commits: sync=full waited for the disk, sync=deferred did not "
                    "(paper dispatches only), sync=normal under journal_sync = normal");
    ep_prom_int (prom, "execplane_journal_commits_total", "sync=\"full\"", (int64_t) d->synced);
    ep_prom_int (prom, "execplane_journal_commits_total", "sync=\"deferred\"",
                 (int64_t) d->deferred);
    ep_prom_int (prom, "execplane_journal_commits_total", "sync=\"normal\"", (int64_t) d->normal);
    ep_prom_one (prom, "execplane_journal_syncs_total", "counter",
                 "Syncs of the journal's log alone, for a turn that wrote nothing but "
                 "sent what must follow an earlier deferred commit",
                 (int64_t) d->syncs);
    ep_prom_one (prom, "execplane_unsynced_sends_total", "counter",
                 "Messages other than paper dispatches sent while a commit was not on disk "
                 "(always 0)",
                 (int64_t) d->unsynced_sends);
}

//  text (valid UTF-8) as a JSON string, quotes included, into out.
static void
s_json_quote (const char *text, char *out, size_t size)
{
    size_t len = 0;
    out [len++] = '"';
    for (const char *c = text; *c && len + 8 < size; c++) {
        if (*c == '"' || *c == '\\')
            len += (size_t) snprintf (out + len, size - len, "\\%c", *c);
        else
        if ((unsigned char) *c < 0x20)
            len += (size_t) snprintf (out + len, size - len, "\\u%04x", (unsigned char) *c);
        else
            out [len++] = *c;
    }
    out [len++] = '"';
    out [len] = '\0';
}

//  Active or standby, the lease's epoch, and the takeovers.
static void
s_lease (ep_router_t *self, ep_prom_t *prom)
{
    ep_prom_one (prom, "execplane_router_active", "gauge",
                 "1 while this router serves, 0 while it is a standby waiting for the lease",
                 !self->lease.standby);
    ep_prom_one (prom, "execplane_lease_epoch", "gauge",
                 "The epoch of the lease this router holds (PostgreSQL; 0: none)",
                 (int64_t) self->lease.epoch);
    ep_prom_one (prom, "execplane_takeovers_total", "counter",
                 "Times this router went from standby to active",
                 (int64_t) self->lease.takeovers);
    ep_prom_family (prom, "execplane_takeover_seconds", "gauge",
                    "The last takeover: from the lease's lock obtained to serving (-1: none)");
    ep_prom_double (prom, "execplane_takeover_seconds", "",
                    self->lease.took_ms < 0 ? -1 : (double) self->lease.took_ms / 1e3);
}

//  What /healthz says of the lease.
static void
s_lease_health (ep_router_t *self, char *out, size_t size)
{
    snprintf (out, size, "\"role\":\"%s\",\"lease_epoch\":%llu,\"takeovers\":%llu,"
              "\"last_takeover_ms\":%lld", self->lease.standby ? "standby" : "active",
              (unsigned long long) self->lease.epoch,
              (unsigned long long) self->lease.takeovers, (long long) self->lease.took_ms);
}

void
ep_router_metrics_update (ep_router_t *self, int64_t now)
{
    if (self->lease.standby) {
        //  Nothing recovered yet: the lease alone. Healthy: ready to take over.
        ep_prom_t *prom = &self->metrics.prom;
        ep_prom_reset (prom);
        s_lease (self, prom);
        char health [256];
        s_lease_health (self, health, sizeof health);
        ep_metrics_update (self->metrics.server, prom, true, health);
        return;
    }
    ep_prom_t *prom = &self->metrics.prom;
    ep_prom_reset (prom);
    s_counters (self, prom);
    s_planes (self, prom, now);
    ep_prom_one (prom, "execplane_plane_epoch", "gauge",
                 "The applied plane state's epoch",
                 (int64_t) self->state.epoch);
    ep_prom_one (prom, "execplane_halted", "gauge",
                 "1 while the router is halted",
                 self->state.halted);
    ep_prom_one (prom, "execplane_report_last_seq", "gauge",
                 "The newest report's seq",
                 (int64_t) self->last_seq);
    bool journal_ok = !self->failure && !ep_journal_owing (self->journal);
    //  The chain's head, to record outside the machine (ep-replay --head)
    ep_chain_head_t head;
    ep_journal_chain_head (self->journal, &head);
    char labels [64];
    snprintf (labels, sizeof labels, "head=\"%.16s\"", head.hex);
    ep_prom_family (prom, "execplane_journal_chain_row", "gauge",
                    "The journal's hash chain as committed: its newest row, labelled with the "
                    "first 16 hex digits of its hash (ep-replay --verify --head ROW:HEX)");
    ep_prom_int (prom, "execplane_journal_chain_row", labels, head.id);
    ep_prom_one (prom, "execplane_journal_writable", "gauge",
                 "1 while journal commits succeed",
                 journal_ok);
    s_durability (self, prom);
    s_lease (self, prom);
    ep_prom_family (prom, "execplane_journal_commit_seconds", "histogram",
                    "Time a journal commit took, with its sync if it waited for the disk");
    ep_prom_histogram (prom, "execplane_journal_commit_seconds", "", &self->metrics.commit_seconds);
    ep_prom_family (prom, "execplane_journal_commit_rows", "histogram",
                    "Rows one journal commit wrote (the group commit's batch)");
    ep_prom_histogram (prom, "execplane_journal_commit_rows", "", &self->metrics.commit_writes);
    ep_prom_family (prom, "execplane_intake_to_terminal_seconds", "histogram",
                    "From the router reading an intent to journaling its terminal report, "
                    "by plane (wall clock)");
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        char plane_label [32];
        snprintf (plane_label, sizeof plane_label, "plane=\"%s\"", ep_plane_name (plane));
        ep_prom_histogram (prom, "execplane_intake_to_terminal_seconds", plane_label,
                           &self->metrics.intake_to_terminal [plane]);
    }
    ep_prom_family (prom, "execplane_dispatch_batch_size", "histogram",
                    "Intents one dispatch message carried");
    ep_prom_histogram (prom, "execplane_dispatch_batch_size", "", &self->metrics.dispatch_batch);

    bool worker_ok = self->state.plane > 0 && self->state.plane < EP_ROUTER_PLANES && self->link.worker [self->state.plane].alive;
    //  The active plane's definition, and why it does not serve if it does not
    char problem [512] = "", quoted [1100];
    if (self->state.plane > 0 && self->state.plane < EP_ROUTER_PLANES)
        ep_definitions_problem (self, self->state.plane, problem, sizeof problem);
    s_json_quote (problem, quoted, sizeof quoted);
    char health [1900], lease [256];
    s_lease_health (self, lease, sizeof lease);
    snprintf (health, sizeof health, "%s,\"journal\":\"%s\",\"active_plane\":\"%s\","
              "\"active_worker_alive\":%s,\"halted\":%s,\"active_definition\":\"%s\","
              "\"definition_problem\":%s", lease,
              journal_ok ? "writable" : "failing",
              ep_plane_name (self->state.plane) ? ep_plane_name (self->state.plane) : "NONE",
              worker_ok ? "true" : "false", self->state.halted ? "true" : "false",
              self->state.plane > 0 && self->state.plane < EP_ROUTER_PLANES
              ? self->link.worker [self->state.plane].definition : "", quoted);
    ep_metrics_update (self->metrics.server, prom, journal_ok && worker_ok, health);
}

void
ep_router_metrics_publish_stats (ep_router_t *self)
{
    self->stats.in_flight_paper = ep_inflight_count (self->inflight, EP_PLANE (PAPER));
    self->stats.in_flight_live = ep_inflight_count (self->inflight, EP_PLANE (LIVE));
    self->stats.last_seq = self->last_seq;
    self->stats.last_router_seq = self->last_router_seq;
    ep_chain_head_t head;
    ep_journal_chain_head (self->journal, &head);
    char prefix [17];
    snprintf (prefix, sizeof prefix, "%.16s", head.hex);
    self->stats.chain_row = (uint64_t) head.id;
    self->stats.chain_head = prefix;
    size_t size;
    uint8_t *data = ep_router_pack (&self->stats.base, &size);
    self->stats.chain_head = (char *) protobuf_c_empty_string;
    if (data) {
        ep_sock_send2 (self->sock.outcomes, "stats", data, size, ZMQ_DONTWAIT);
        free (data);
    }
    //  Once a burst is over, the memory it took goes back to the system:
    //  the router's footprint follows what it holds, not its busiest second.
    if (ep_inflight_count (self->inflight, 0) == 0 && !ep_outbox_count (&self->outbox)
    &&  !ep_outbox_count (&self->pending))
        malloc_trim (0);
}
