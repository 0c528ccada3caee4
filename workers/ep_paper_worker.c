/*  ep-paper: the paper worker, a thin loop around the paper book.

    It subscribes to exec.paper, executes each dispatched intent in the book,
    and pushes the reports of each intent to the router as one message, so
    a tick's reports arrive together or not at all. Before it executes
    anything it asks the router for the plane's resting orders and carries
    on from them; it does so again whenever the router restarts.  */
#include <czmq.h>
#include <getopt.h>
#include <sodium.h>
#include "ep_buf.h"
#include "ep_config.h"
#include "ep_security.h"
#include "ep_restore.h"
#include "ep_signal.h"
#include "ep_log.h"
#include "ep_metrics.h"
#include "ep_names.h"
#include "ep_paper_book.h"
#include "ep_sock.h"
#include "ep_wire.h"

#define S_RESTORE_RETRY_MS 2500         //  ask again when the router is silent
#define S_REPORTS_BYTES (256 * 1024)    //  a reports message is sent from this size
#define S_METRICS_MS 250                //  metrics rendered at most this often

typedef struct {
    ep_config_t config;                 //  endpoints and paper settings
    ep_paper_book_t *book;              //  the fill engine
    zsock_t *intents;                   //  SUB exec.paper
    zsock_t *results;                   //  PUSH reports and heartbeats
    zsock_t *query;                     //  DEALER restore requests
    char session [33];                  //  this process's id, in every message
    char boot [40];                     //  the router start we restored from
    uint64_t processed_through;         //  intents up to here are not ours to run
    int64_t next_heartbeat_ms;          //  when the next heartbeat is due
    ep_buf_t message;                   //  the message being built
    bool failed;                        //  out of memory while building
    bool open;                          //  a reports message is being built
    uint64_t tick;                      //  the last intent it reports on
    uint64_t number;                    //  of the last worker message sent
    uint64_t probe;                     //  the router's newest probe heard on exec.paper
    long delay_us;                      //  test only: a slow plane, per intent
    long delay_count;                   //  for this many intents (0: all)
    long delayed;                       //  intents slowed so far
    //  Prometheus metrics and the health check (paper/metrics)
    ep_metrics_t *metrics;              //  NULL: not configured
    ep_prom_t prom;
    int64_t next_metrics_ms;
    uint64_t executed;                  //  intents run through the book
    uint64_t reports [EP_STATUS_COUNT];      //  reports made, by status
    uint64_t fills;                     //  fills in them
    uint64_t restores;                  //  restores from the router
    bool restored;                      //  from the router that runs now
} s_worker_t;

//  Appends size bytes to the message (or marks it failed).
static void
s_append (s_worker_t *self, const void *data, size_t size)
{
    if (ep_buf_append (&self->message, data, size))
        self->failed = true;
}

//  Starts a WorkerMessage: plane, session and tick, without reports.
static void
s_begin (s_worker_t *self, uint64_t tick)
{
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = EP_PLANE (PAPER);
    message.session = self->session;
    message.tick = tick;
    message.number = ++self->number;
    message.probe = self->probe;
    ep_buf_clear (&self->message);
    self->failed = false;
    uint8_t head [128];
    size_t size = execplane__v1__worker_message__get_packed_size (&message);
    assert (size <= sizeof head);
    execplane__v1__worker_message__pack (&message, head);
    s_append (self, head, size);
}

//  Appends a report as field 4 (reports): protobuf messages concatenate.
static void
s_emit (void *arg, const ep_report_t *report)
{
    s_worker_t *self = arg;
    if (report->status >= 0 && report->status < EP_STATUS_COUNT)
        self->reports [report->status]++;
    self->fills += report->n_fills;
    size_t size = execplane__v1__execution_report__get_packed_size (report);
    uint8_t head [EP_WIRE_HEAD_MAX];
    s_append (self, head, ep_wire_field_head (head, 4, size));
    if (ep_buf_reserve (&self->message, size) == 0) {
        execplane__v1__execution_report__pack (report, self->message.data + self->message.size);
        self->message.size += size;
    }
    else
        self->failed = true;
}

static void
s_send (s_worker_t *self, const char *kind)
{
    if (self->failed)
        ep_log_error ("out of memory building a %s message: not sent", kind);
    else
        ep_sock_send2 (self->results, kind, self->message.data, self->message.size, 0);
}

//  Sends the reports built so far, if any. One message carries the
//  reports of every intent executed since the last: its tick is the last
//  of them (a field repeated later in a message overrides the first).
static void
s_send_reports (s_worker_t *self)
{
    if (!self->open)
        return;
    uint8_t tick [EP_WIRE_HEAD_MAX];
    s_append (self, tick, ep_wire_varint_field (tick, 3, self->tick));
    s_send (self, "reports");
    self->open = false;
}

//  The reports of the intent at router_seq follow (s_emit).
static void
s_reports_for (s_worker_t *self, uint64_t router_seq)
{
    if (self->open && self->message.size > S_REPORTS_BYTES)
        s_send_reports (self);
    if (!self->open) {
        s_begin (self, router_seq);
        self->open = true;
    }
    self->tick = router_seq;
}

static void
s_update_metrics (s_worker_t *self)
{
    ep_prom_t *prom = &self->prom;
    ep_prom_reset (prom);
    ep_prom_family (prom, "execplane_paper_intents_executed_total", "counter",
                    "Intents the paper plane executed");
    ep_prom_int (prom, "execplane_paper_intents_executed_total", "", (int64_t) self->executed);
    ep_prom_family (prom, "execplane_paper_reports_total", "counter",
                    "Reports the paper plane made, by status");
    for (int status = 1; status < EP_STATUS_COUNT; status++) {
        char labels [64];
        snprintf (labels, sizeof labels, "status=\"%s\"", ep_status_name (status));
        ep_prom_int (prom, "execplane_paper_reports_total", labels, (int64_t) self->reports [status]);
    }
    ep_prom_family (prom, "execplane_paper_fills_total", "counter", "Fills in those reports");
    ep_prom_int (prom, "execplane_paper_fills_total", "", (int64_t) self->fills);
    ep_prom_family (prom, "execplane_paper_resting_orders", "gauge",
                    "Orders resting in the paper book");
    ep_prom_int (prom, "execplane_paper_resting_orders", "",
                 (int64_t) ep_paper_book_resting (self->book));
    ep_prom_family (prom, "execplane_paper_processed_through", "gauge",
                    "The router_seq of the last intent the plane ran");
    ep_prom_int (prom, "execplane_paper_processed_through", "", (int64_t) self->processed_through);
    ep_prom_family (prom, "execplane_worker_restores_total", "counter",
                    "Times the worker rebuilt its state from the router");
    ep_prom_int (prom, "execplane_worker_restores_total", "", (int64_t) self->restores);
    ep_prom_family (prom, "execplane_worker_restored", "gauge",
                    "1 once the worker has restored from the router that runs now");
    ep_prom_int (prom, "execplane_worker_restored", "", self->restored);
    char health [128];
    snprintf (health, sizeof health, "\"plane\":\"PAPER\",\"restored_from_router\":%s",
              self->restored ? "true" : "false");
    ep_metrics_update (self->metrics, prom, self->restored, health);
    self->next_metrics_ms = ep_sock_clock_ms () + S_METRICS_MS;
}

static void
s_heartbeat (s_worker_t *self)
{
    s_send_reports (self);
    s_begin (self, 0);
    s_send (self, "hb");
    self->next_heartbeat_ms = ep_sock_clock_ms () + self->config.heartbeat_ms;
}

//  Asks the router for the plane's resting orders and rebuilds the book
//  from them. Returns 0, or -1 if interrupted first.
static int
s_restore (s_worker_t *self)
{
    self->restored = false;
    while (!zsys_interrupted) {
        if (self->metrics)
            s_update_metrics (self);    //  unhealthy until restored
        //  A heartbeat first, on the reports' own way: the router answers
        //  once it has read it, so every report sent before is in its view.
        s_heartbeat (self);
        ep_restore_reply_t *reply = ep_restore_ask (self->query, EP_PLANE (PAPER), self->session,
                                                    self->number, S_RESTORE_RETRY_MS);
        if (!reply)
            continue;                   //  the router is not there yet: ask again
        ep_paper_config_t paper = { self->config.slippage_bps, self->config.liquidity_cap_e8 };
        ep_paper_book_destroy (&self->book);
        self->book = ep_paper_book_new (&paper);
        assert (self->book);            //  the config was validated at start
        for (size_t i = 0; i < reply->n_orders; i++) {
            ep_resting_order_t *order = reply->orders [i];
            if (!order->dispatch || !order->dispatch->intent
            ||  ep_paper_book_restore (self->book, order->dispatch->intent,
                                       order->dispatch->router_seq, order->fills,
                                       order->n_fills))
                ep_log_error ("restore: resting order %llu could not be restored",
                              order->dispatch ? (unsigned long long) order->dispatch->router_seq
                                              : 0ULL);
        }
        self->processed_through = reply->processed_through;
        snprintf (self->boot, sizeof self->boot, "%s", reply->router_boot);
        ep_log_info ("session %s: restored %zu resting order(s); intents up to router_seq "
                     "%llu were run before", self->session, reply->n_orders,
                     (unsigned long long) self->processed_through);
        execplane__v1__restore_reply__free_unpacked (reply, NULL);
        self->restores++;
        self->restored = true;
        s_heartbeat (self);
        return 0;
    }
    return -1;
}

//  One dispatch, alone or from a batch. Returns -1 if interrupted.
static int
s_execute (s_worker_t *self, const ep_dispatch_t *dispatch, size_t size)
{
    if (!dispatch->intent || dispatch->plane != EP_PLANE (PAPER)) {
        ep_log_error ("undecodable dispatch (%zu bytes) ignored", size);
        return 0;
    }
    //  A router that restarted may hold a different view of resting orders.
    if (strcmp (dispatch->router_boot, self->boot)) {
        s_send_reports (self);
        if (s_restore (self))
            return -1;
    }
    if (dispatch->router_seq > self->processed_through) {
        if (self->delay_us && (!self->delay_count || self->delayed++ < self->delay_count))
            nanosleep (&(struct timespec) { self->delay_us / 1000000,
                                            self->delay_us % 1000000 * 1000 }, NULL);
        s_reports_for (self, dispatch->router_seq);
        size_t before = self->message.size;
        if (ep_paper_book_execute (self->book, dispatch->intent, dispatch->router_seq,
                                   s_emit, self) < 0) {
            ep_log_intent (EP_LOG_ERROR, dispatch->intent->strategy_id,
                           dispatch->intent->intent_id, ": out of memory, not executed");
            self->message.size = before;
        }
        self->processed_through = dispatch->router_seq;
        self->executed++;
    }
    return 0;
}

static void
s_handle_dispatch (s_worker_t *self, const uint8_t *data, size_t size)
{
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, size, data);
    if (!dispatch) {
        ep_log_error ("undecodable dispatch (%zu bytes) ignored", size);
        return;
    }
    if (dispatch->n_batch) {
        for (size_t i = 0; i < dispatch->n_batch; i++)
            if (s_execute (self, dispatch->batch [i], size))
                break;
    }
    else
    if (!dispatch->intent && dispatch->plane == EP_PLANE (PAPER)) {
        //  Heard on our own subscription: repeated in every message, so
        //  the router knows this connection still receives its intents.
        if (dispatch->probe > self->probe)
            self->probe = dispatch->probe;
        //  The router's hello: a router that started anew holds its own
        //  view of the resting orders.
        if (strcmp (dispatch->router_boot, self->boot)) {
            s_send_reports (self);
            s_restore (self);
        }
    }
    else
        s_execute (self, dispatch, size);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-paper [--config FILE] [--cert NAME] [--insecure] [--log-json]\n"
        "\n"
        "The paper execution plane's worker: executes intents dispatched on\n"
        "exec.paper deterministically (no I/O, no clock in the fill engine) and\n"
        "reports the outcomes to the router. At start, and whenever the router\n"
        "restarts, it rebuilds its book from the router's resting orders.\n"
        "\n"
        "  --config FILE   ZPL configuration (default: built-in defaults)\n"
        "  --cert NAME     this program's certificate: CERTS/NAME_secret (default paper)\n"
        "  --insecure      run without CURVE, in the clear (logged as a warning)\n"
        "  --log-json      log one JSON object per line (ts, level, component,\n"
        "                  strategy_id and intent_id where there is one, msg)\n"
        "  --test-delay-us US     for tests: a slow plane, US microseconds per intent\n"
        "  --test-delay-count N   for tests: only the first N intents are slow\n"
        "  --version       print the version and exit\n"
        "  --help          this text\n"
        "\n"
        "Configuration: router/dispatch, router/results, router/query (where the\n"
        "router is), router/heartbeat_ms, router/hwm; paper/slippage_bps,\n"
        "paper/liquidity_cap (the fill rules); paper/metrics (HOST:PORT on\n"
        "loopback: /metrics and /healthz over HTTP); security/curve, security/certs.\n"
        "\n"
        "Logs go to standard error. Stops on SIGINT or SIGTERM.\n"
        "Exit: 0 clean stop, 1 failure, 2 bad usage or configuration.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config", required_argument, 0, 'c' },
        { "insecure", no_argument, 0, 'i' },
        { "cert", required_argument, 0, 'C' },
        { "test-delay-us", required_argument, 0, 'd' },
        { "test-delay-count", required_argument, 0, 'n' },
        { "log-json", no_argument, 0, 'J' },
        { "version", no_argument, 0, 'V' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *config_path = NULL;
    bool insecure = false;
    const char *cert = "paper";
    long delay_us = 0, delay_count = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'c': config_path = optarg; break;
            case 'i': insecure = true; break;
            case 'C': cert = optarg; break;
            case 'd':
            case 'n': {
                char *end;
                long value = strtol (optarg, &end, 10);
                if (*optarg == 0 || *end || value < 0 || value > 10000000) {
                    fprintf (stderr, "ep-paper: --%s takes a number from 0 to 10000000\n",
                             opt == 'd' ? "test-delay-us" : "test-delay-count");
                    return 2;
                }
                *(opt == 'd' ? &delay_us : &delay_count) = value;
                break;
            }
            case 'J': ep_log_json (true); break;
            case 'V': printf ("ep-paper (execplane) %s\n", EP_VERSION); return 0;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "ep-paper: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    ep_log_init ("paper");
    //  Before any secret is read: none of them may reach a core file.
    if (ep_security_no_dumps ())
        return 1;
    s_worker_t self = { .delay_us = delay_us, .delay_count = delay_count };
    char err [512];
    int setup = ep_security_setup ("ep-paper", config_path, insecure, cert, &self.config);
    if (setup)
        return setup;
    ep_paper_config_t paper = { self.config.slippage_bps, self.config.liquidity_cap_e8 };
    self.book = ep_paper_book_new (&paper);
    if (!self.book) {
        fprintf (stderr, "ep-paper: invalid paper configuration\n");
        return 2;
    }
    zsys_init ();
    ep_signal_catch ("ep-paper");
    if (sodium_init () < 0)
        return 1;
    uint8_t nonce [16];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (self.session, sizeof self.session, nonce, sizeof nonce);
    self.intents = ep_sock_new (ZMQ_SUB, self.config.dispatch, false, err, sizeof err);
    if (self.intents) {
        //  Dispatches come in batches (ep_config_batch).
        zsock_set_rcvhwm (self.intents, (int) (self.config.hwm / ep_config_batch (&self.config)));
        zsock_set_subscribe (self.intents, "exec.paper");
        self.results = ep_sock_new (ZMQ_PUSH, self.config.results, false, err, sizeof err);
    }
    if (self.results) {
        zsock_set_sndhwm (self.results, (int) self.config.hwm);
        self.query = ep_sock_new (ZMQ_DEALER, self.config.query, false, err, sizeof err);
    }
    if (!self.query) {
        fprintf (stderr, "ep-paper: %s\n", err);
        return 1;
    }
    ep_log_info ("session %s: dispatch %s, results %s", self.session, self.config.dispatch,
                 self.config.results);
    if (*self.config.paper_metrics) {
        self.metrics = ep_metrics_start (self.config.paper_metrics, 3 * S_RESTORE_RETRY_MS,
                                         err, sizeof err);
        if (!self.metrics) {
            fprintf (stderr, "ep-paper: %s\n", err);
            return 1;
        }
    }
    int rc = s_restore (&self);
    void *intents = zsock_resolve (self.intents);
    while (rc == 0 && !zsys_interrupted) {
        ep_security_nag ();
        int64_t now = ep_sock_clock_ms ();
        if (now >= self.next_heartbeat_ms)
            s_heartbeat (&self);
        zmq_pollitem_t item = { intents, 0, ZMQ_POLLIN, 0 };
        long timeout = (long) (self.next_heartbeat_ms - now);
        if (zmq_poll (&item, 1, timeout > 0 ? timeout : 0) < 0)
            continue;
        for (int i = 0; i < 1024 && (item.revents & ZMQ_POLLIN); i++) {
            zmq_msg_t topic, body;
            zmq_msg_init (&topic);
            zmq_msg_init (&body);
            if (zmq_msg_recv (&topic, intents, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&topic);
                zmq_msg_close (&body);
                break;
            }
            if (zmq_msg_more (&topic) && zmq_msg_recv (&body, intents, 0) >= 0)
                s_handle_dispatch (&self, zmq_msg_data (&body), zmq_msg_size (&body));
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
            if (ep_sock_clock_ms () >= self.next_heartbeat_ms)
                s_heartbeat (&self);
        }
        s_send_reports (&self);
        if (self.metrics && ep_sock_clock_ms () >= self.next_metrics_ms)
            s_update_metrics (&self);
    }
    s_send_reports (&self);
    //  After its last reports: the plane is unavailable from now on, and
    //  the next worker need not wait for the router to miss it.
    s_begin (&self, 0);
    if (!self.failed)                   //  never waits: the router may be gone
        ep_sock_send2 (self.results, "bye", self.message.data, self.message.size, ZMQ_DONTWAIT);
    ep_log_info ("session %s: stopping", self.session);
    ep_metrics_stop (&self.metrics);
    ep_prom_free (&self.prom);
    zsock_destroy (&self.intents);
    zsock_destroy (&self.query);
    zsock_destroy (&self.results);
    ep_paper_book_destroy (&self.book);
    ep_buf_free (&self.message);
    return 0;
}
