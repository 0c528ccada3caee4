/*  ep-live: the live worker, a daemon around the live plane (ep_live_plane)
    and one link to the router (ep_worker_link). It claims the plane, then
    hands each dispatch on exec.live to the plane (a placement, a
    reconciliation, a cancel or a replace, a sweep for orphans), which
    writes each attempt to its audit before the venue sees it and reports
    every outcome through the link. A router that starts anew is claimed
    again; the plane resynchronizes with the orders it holds. What it
    presents as the plane's definition is ep_live_presenter's. The main
    thread owns the sockets and the plane; the plane's sender thread only
    performs requests, so heartbeats go on while one waits.  */
#include <czmq.h>
#include <signal.h>
#include "ep_cli.h"
#include "ep_live_plane.h"
#include "ep_live_presenter.h"
#include "ep_log.h"
#include "ep_security.h"
#include "ep_signal.h"
#include "ep_worker_link.h"

typedef struct {
    ep_config_t config;                 //  endpoints, venue and audit settings
    ep_live_plane_t *plane;             //  the plane, its venue and its audit
    ep_worker_link_t *link;             //  the sockets to the router
    ep_live_presenter_t presenter;      //  the definition presented, as the rules stand
} s_worker_t;

//  Sends one report to the router, as a worker message of its own.
static void
s_emit (void *arg, const ep_dispatch_t *dispatch, ep_report_t *report)
{
    s_worker_t *self = arg;         //  the link outlives the plane
    ep_worker_link_report (self->link, dispatch->router_seq, report);
}

//  The plane's metrics, the claim, and the health check's verdict.
static bool
s_metrics (void *arg, ep_prom_t *prom, char *health, size_t health_size)
{
    s_worker_t *self = arg;
    bool claimed = ep_worker_link_claimed (self->link);
    char plane [1600] = "\"audit\":\"writable\"";
    bool healthy = true;
    if (self->plane) {
        ep_live_plane_metrics (self->plane, prom);
        healthy = ep_live_plane_health (self->plane, plane, sizeof plane);
    }
    ep_prom_one (prom, "execplane_worker_restored", "gauge",
                 "1 once the worker has claimed the plane from the router that runs now",
                 claimed);
    const char *instruments = self->presenter.instruments;
    snprintf (health, health_size,
              "\"plane\":\"LIVE\",\"claimed_from_router\":%s,\"instruments\":\"%s\",%s",
              claimed ? "true" : "false", *instruments ? instruments : "not read", plane);
    return claimed && healthy;
}

//  Claims the plane and resynchronizes the plane with the router's view;
//  returns 0, or -1 if interrupted. recover: first what the last run left.
static int
s_claim (s_worker_t *self, bool recover)
{
    ep_restore_reply_t *reply = ep_worker_link_claim (self->link);
    if (!reply)
        return -1;
    //  Subscribed once it serves the plane: a worker standing by reads none.
    if (recover) {
        ep_worker_link_subscribe (self->link);
        ep_live_plane_recover (self->plane);
    }
    size_t missed = ep_live_plane_resync (self->plane, reply);
    ep_log_info ("session %s: plane claimed from router start %s: %zu live order(s) in "
                 "flight there, %zu of them followed again from the router's fills",
                 ep_worker_link_session (self->link), ep_worker_link_boot (self->link),
                 reply->n_orders, missed);
    execplane__v1__restore_reply__free_unpacked (reply, NULL);
    return 0;
}

static void
s_dispatch (void *arg, const uint8_t *data, size_t size)
{
    s_worker_t *self = arg;
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, size, data);
    if (!dispatch || dispatch->plane != EP_PLANE (LIVE)) {
        ep_log_error ("undecodable dispatch (%zu bytes) ignored", size);
        if (dispatch)
            execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return;
    }
    ep_worker_link_probe (self->link, dispatch->probe);
    //  A router that started anew (its hello, or a dispatch from it).
    if (ep_worker_link_new_router (self->link, dispatch->router_boot))
        s_claim (self, false);
    ep_live_plane_dispatch (self->plane, dispatch);
}

//  The plane's turn: its sender's answer and its stream's frames, if any
//  came, its time-driven work, then whether the rules read change its definition.
static void
s_plane_turn (void *arg)
{
    s_worker_t *self = arg;
    ep_live_plane_on_answer (self->plane, 0);
    ep_live_plane_on_stream (self->plane);
    if (ep_live_presenter_check (&self->presenter))
        s_claim (self, false);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-live [--config FILE] [--cert NAME] [--insecure] [--log-json]\n"
        "       ep-live --export-instruments FILE [--config FILE]\n"
        "\n"
        "The live execution plane's worker: submits intents dispatched on exec.live\n"
        "to the venue (live/venue, live/base_url), writing each attempt to the audit\n"
        "(live/audit) before it is sent and its result after; never retries; follows\n"
        "resting orders by the venue's user data stream (each frame audited first),\n"
        "or by status queries (live/poll_ms) while there is none; cancels and\n"
        "replaces them, each sent once. An attempt with no result written (the\n"
        "worker died) is UNKNOWN at the next start, never sent. One ep-live per\n"
        "audit (the file is locked), and one serves the plane: it sends only what\n"
        "the router dispatches to its own session.\n"
        "\n"
        "The plane's definition names the digest of the venue's trading rules: it is\n"
        "claimed once they are read, and again under a new definition (served once\n"
        "approved) when a later read (live/rules_refresh_ms) finds them changed.\n"
        "\n"
        "Venue keys: live/keys (mode 600, else refused): `api_key = ...` and either\n"
        "`api_secret = ...` (HMAC) or an Ed25519 private key (the stream needs one):\n"
        "its PEM block, or `private_key_file = PATH`. Or EP_VENUE_API_KEY and\n"
        "EP_VENUE_API_SECRET (taken out of the environment once read). They never\n"
        "reach a log, the audit, the journal or a report.\n"
        "\n"
        "  --export-instruments FILE\n"
        "                  read the venue's trading rules once, write them to FILE\n"
        "                  (for paper/instruments: paper then refuses what the venue\n"
        "                  would) and exit: 0 written, 1 not\n"
        "  --config FILE   ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                  ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                  /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --cert NAME     this program's certificate: CERTS/NAME_secret (default live)\n"
        "  --insecure      run without CURVE, in the clear (logged as a warning)\n"
        "  --log-json      log one JSON object per line (ts, level, component,\n"
        "                  strategy_id and intent_id where there is one, msg)\n"
        "  --version       print the version and exit\n"
        "  --help          this text\n"
        "\n"
        "Configuration: router/dispatch, router/results, router/query (where the\n"
        "router is), router/heartbeat_ms, router/hwm; live/venue, live/base_url,\n"
        "live/keys, live/audit, live/description (of the plane's definition, which\n"
        "the router serves only once approved: ep-meta planes), live/recv_window_ms,\n"
        "live/connect_timeout_ms, live/timeout_ms (per request), live/poll_ms,\n"
        "live/clock_check_ms,\n"
        "live/clock_max_offset_ms, live/rules_refresh_ms, live/stream_url,\n"
        "live/stream_ping_ms, live/stream_stall_ms, live/stream_poll_ms,\n"
        "live/stream_backoff_max_ms; live/metrics (HOST:PORT on loopback: /metrics\n"
        "and /healthz over HTTP); security/curve, security/certs.\n"
        "\n"
        "Logs go to standard error. On SIGINT or SIGTERM the request in flight\n"
        "finishes and is written down; requests still queued are reported FAILED\n"
        "NOT_SENT.\n"
        "\n"
        "Exit: 0 clean stop, 1 failure, 2 bad usage or configuration.\n");
}

static void s_worker_destroy (s_worker_t **self_p);

//  Sets the worker up: its configuration, the venue with its keys, the
//  audit (locked: another ep-live on the same audit stops here), the link
//  and the plane. Returns NULL with the exit code in *rc.
static s_worker_t *
s_worker_new (const ep_cli_t *cli, int *rc)
{
    char err [2048];
    ep_venue_t *venue = NULL;
    ep_audit_t *audit = NULL;
    s_worker_t *self = calloc (1, sizeof *self);
    //  Before any secret is read: none of them may reach a core file.
    *rc = self ? ep_security_daemon_start (cli, "live", &self->config) : 1;
    if (*rc)
        goto fail;
    *rc = 2;
    if (!ep_venue_known (self->config.venue)) {
        fprintf (stderr, "ep-live: unknown venue '%s' (known: %s)\n", self->config.venue,
                 ep_venue_names ());
        goto fail;
    }
    *rc = 1;
    //  A full disk fails a write (the audit keeps the result), not the process.
    signal (SIGXFSZ, SIG_IGN);
    venue = ep_venue_new (self->config.venue, &self->config, err, sizeof err);
    audit = venue ? ep_audit_open (self->config.audit, err, sizeof err) : NULL;
    if (!audit)
        goto fail_err;
    zsys_init ();
    ep_signal_catch ("ep-live");
    ep_worker_link_config_t link = {         //  the definition: ep_live_presenter's, once read
        .plane = EP_PLANE (LIVE), .topic = "exec.live", .config = &self->config,
        .rcvhwm = (int) self->config.hwm, .metrics = self->config.live_metrics, .batch = 256,
        .definition = NULL, .description = self->config.live_description
    };
    ep_worker_link_handler_t handler = {
        .dispatch = s_dispatch, .turn = s_plane_turn, .metrics = s_metrics, .arg = self
    };
    self->link = ep_worker_link_new (&link, &handler, err, sizeof err);
    if (!self->link)
        goto fail_err;
    ep_live_plane_config_t plane = ep_live_plane_settings (&self->config);
    plane.venue = venue;
    plane.audit = audit;
    plane.session = ep_worker_link_session (self->link);
    plane.emit = s_emit;
    plane.emit_arg = self;
    //  The sweeps' and the stream's news go straight to the router
    plane.orphans = ep_worker_link_orphans;
    plane.stream.event = ep_worker_link_stream_event;
    plane.orphans_arg = plane.stream.event_arg = self->link;
    self->plane = ep_live_plane_new (&plane);
    if (!self->plane) {
        snprintf (err, sizeof err, "out of memory");
        goto fail_err;
    }
    ep_worker_link_watch (self->link, ep_live_plane_sender (self->plane), s_plane_turn);
    if (ep_live_plane_stream (self->plane))
        ep_worker_link_watch (self->link, ep_live_plane_stream (self->plane), s_plane_turn);
    self->presenter = (ep_live_presenter_t) { .config = &self->config, .venue = venue,
                                              .plane = self->plane, .link = self->link };
    *rc = 0;
    return self;
fail_err:
    fprintf (stderr, "ep-live: %s\n", err);
fail:
    ep_audit_destroy (&audit);
    ep_venue_destroy (&venue);
    s_worker_destroy (&self);
    return NULL;
}

//  Reads the venue's rules, claims the plane, takes up what the last run
//  left, and serves until interrupted.
static void
s_worker_run (s_worker_t *self)
{
    //  The definition names the rules' digest: none is presented without.
    //  The plane first, so the router takes this session's reports. Then
    //  what the last run left: attempts with no result are UNKNOWN, never
    //  sent again; resting orders are followed again.
    if (ep_live_presenter_first (&self->presenter) || s_claim (self, true))
        return;
    ep_worker_link_run (self->link);
}

//  The request in flight finishes and is written down, the requests queued
//  are reported unsent, and the router hears that the plane is gone.
static void
s_worker_destroy (s_worker_t **self_p)
{
    s_worker_t *self = *self_p;
    if (!self)
        return;
    if (self->plane) {
        ep_log_info ("session %s: stopping", ep_worker_link_session (self->link));
        ep_live_plane_stop (self->plane);
    }
    //  After its last reports: the next worker may claim the plane at once.
    if (self->link && ep_worker_link_claimed (self->link))
        ep_worker_link_bye (self->link);
    ep_live_plane_destroy (&self->plane);
    ep_worker_link_destroy (&self->link);
    free (self);
    *self_p = NULL;
}

int
main (int argc, char *argv [])
{
    const char *export_path;
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-live", "live", EP_CLI_DAEMON, s_usage);
    if (ep_cli_parse_one (&cli, argc, argv, "export-instruments", &export_path) == EP_CLI_EXIT)
        return cli.exit_code;
    if (export_path) {
        char err [2048];
        int code = ep_venue_export_rules (cli.config_path, export_path, err, sizeof err);
        if (code)
            fprintf (stderr, "ep-live: --export-instruments: %s\n", err);
        return code;
    }
    int rc;
    s_worker_t *worker = s_worker_new (&cli, &rc);
    if (!worker)
        return rc;
    s_worker_run (worker);
    s_worker_destroy (&worker);
    return 0;
}
