/*  ep-paper: the paper worker, a thin daemon around the paper book and one
    link to the router (ep_worker_link).

    It executes each intent dispatched on exec.paper in the book, and
    pushes the reports of each intent to the router as one message, so a
    tick's reports arrive together or not at all. Before it executes
    anything it claims the plane from the router, whose answer holds the
    plane's resting orders, and carries on from them; it does so again
    whenever the router restarts.  */
#include <czmq.h>
#include "ep_buf.h"
#include "ep_cli.h"
#include "ep_config.h"
#include "ep_decimal.h"
#include "ep_security.h"
#include "ep_signal.h"
#include "ep_instruments_file.h"
#include "ep_log.h"
#include "ep_metrics.h"
#include "ep_names.h"
#include "ep_paper_book.h"
#include "ep_wire.h"
#include "ep_worker_link.h"

#define S_REPORTS_BYTES (256 * 1024)    //  a reports message is sent from this size

typedef struct {
    ep_config_t config;                 //  endpoints and paper settings
    ep_paper_book_t *book;              //  the fill engine
    ep_instruments_t instruments;       //  paper/instruments, or empty
    ep_worker_link_t *link;             //  the sockets to the router
    uint64_t processed_through;         //  intents up to here are not ours to run
    ep_buf_t message;                   //  the message being built
    bool failed;                        //  out of memory while building
    bool open;                          //  a reports message is being built
    uint64_t tick;                      //  the last intent it reports on
    long delay_us;                      //  test only: a slow plane, per intent
    long delay_count;                   //  for this many intents (0: all)
    long delayed;                       //  intents slowed so far
    uint64_t executed;                  //  intents run through the book
    uint64_t reports [EP_STATUS_COUNT];      //  reports made, by status
    uint64_t fills;                     //  fills in them
    uint64_t restores;                  //  restores from the router
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
    ep_worker_link_head (self->link, tick, &message);
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

//  Sends the reports built so far, if any. One message carries the
//  reports of every intent executed since the last: its tick is the last
//  of them (a field repeated later in a message overrides the first).
static void
s_send_reports (void *arg)
{
    s_worker_t *self = arg;
    if (!self->open)
        return;
    uint8_t tick [EP_WIRE_HEAD_MAX];
    s_append (self, tick, ep_wire_varint_field (tick, 3, self->tick));
    if (self->failed)
        ep_log_error ("out of memory building a reports message: not sent");
    else
        ep_worker_link_send (self->link, "reports", self->message.data, self->message.size, 0);
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

static bool
s_metrics (void *arg, ep_prom_t *prom, char *health, size_t health_size)
{
    s_worker_t *self = arg;
    bool restored = ep_worker_link_claimed (self->link);
    ep_prom_one (prom, "execplane_paper_intents_executed_total", "counter",
                 "Intents the paper plane executed",
                 (int64_t) self->executed);
    ep_prom_family (prom, "execplane_paper_reports_total", "counter",
                    "Reports the paper plane made, by status");
    for (int status = 1; status < EP_STATUS_COUNT; status++) {
        char labels [64];
        snprintf (labels, sizeof labels, "status=\"%s\"", ep_status_name (status));
        ep_prom_int (prom, "execplane_paper_reports_total", labels, (int64_t) self->reports [status]);
    }
    ep_prom_one (prom, "execplane_paper_fills_total", "counter",
                 "Fills in those reports",
                 (int64_t) self->fills);
    ep_prom_one (prom, "execplane_paper_resting_orders", "gauge",
                 "Orders resting in the paper book",
                 (int64_t) ep_paper_book_resting (self->book));
    ep_prom_one (prom, "execplane_paper_processed_through", "gauge",
                 "The router_seq of the last intent the plane ran",
                 (int64_t) self->processed_through);
    ep_prom_one (prom, "execplane_worker_restores_total", "counter",
                 "Times the worker rebuilt its state from the router",
                 (int64_t) self->restores);
    ep_prom_one (prom, "execplane_worker_restored", "gauge",
                 "1 once the worker has restored from the router that runs now",
                 restored);
    snprintf (health, health_size, "\"plane\":\"PAPER\",\"restored_from_router\":%s",
              restored ? "true" : "false");
    return restored;
}

//  Claims the plane from the router and rebuilds the book from the
//  resting orders in its answer. Returns 0, or -1 if interrupted first.
static int
s_restore (s_worker_t *self)
{
    s_send_reports (self);
    ep_restore_reply_t *reply = ep_worker_link_claim (self->link);
    if (!reply)
        return -1;
    ep_paper_config_t paper = { self->config.slippage_bps, self->config.liquidity_cap_e8,
                                &self->instruments };
    ep_paper_book_destroy (&self->book);
    self->book = ep_paper_book_new (&paper);
    assert (self->book);                //  the config was validated at start
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
    ep_log_info ("session %s: restored %zu resting order(s); intents up to router_seq "
                 "%llu were run before", ep_worker_link_session (self->link), reply->n_orders,
                 (unsigned long long) self->processed_through);
    execplane__v1__restore_reply__free_unpacked (reply, NULL);
    self->restores++;
    ep_worker_link_heartbeat (self->link);
    return 0;
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
    if (ep_worker_link_new_router (self->link, dispatch->router_boot) && s_restore (self))
        return -1;
    if (dispatch->router_seq > self->processed_through) {
        if (self->delay_us && (!self->delay_count || self->delayed++ < self->delay_count))
            nanosleep (&(struct timespec) { self->delay_us / 1000000,
                                            self->delay_us % 1000000 * 1000 }, NULL);
        s_reports_for (self, dispatch->router_seq);
        size_t before = self->message.size;
        //  A cancel's reports (the target's and its own) leave with the
        //  rest of the tick's, in the same message
        if (ep_paper_book_dispatch (self->book, dispatch, s_emit, self) < 0) {
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
s_dispatch (void *arg, const uint8_t *data, size_t size)
{
    s_worker_t *self = arg;
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
        ep_worker_link_probe (self->link, dispatch->probe);
        //  The router's hello: a router that started anew holds its own
        //  view of the resting orders.
        if (ep_worker_link_new_router (self->link, dispatch->router_boot))
            s_restore (self);
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
        "  --config FILE   ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                  ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                  /etc/execplane/execplane.zpl; none: built-in defaults)\n"
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
        "paper/liquidity_cap, paper/instruments (the fill rules, and the venue's\n"
        "rules per symbol: a file, read at start); paper/description (of the plane's\n"
        "definition, which the router serves only once approved: ep-meta planes);\n"
        "paper/metrics (HOST:PORT on loopback: /metrics and /healthz over HTTP);\n"
        "security/curve, security/certs.\n"
        "\n"
        "Logs go to standard error. Stops on SIGINT or SIGTERM.\n"
        "\n"
        "Exit: 0 clean stop, 1 failure, 2 bad usage or configuration.\n");
}

//  Reads a --test-delay-* number; -1 if it is not one.
static long
s_delay_value (int opt, const char *text)
{
    long long value;
    if (ep_cli_number (text, 0, 10000000, &value)) {
        fprintf (stderr, "ep-paper: --%s takes a number from 0 to 10000000\n",
                 opt == 'd' ? "test-delay-us" : "test-delay-count");
        return -1;
    }
    return (long) value;
}

//  Reads the command line: returns -1 to go on, or the exit code.
static int
s_options (int argc, char *argv [], ep_cli_t *cli, long *delay_us, long *delay_count)
{
    static const struct option own [] = {
        { "test-delay-us", required_argument, 0, 'd' },
        { "test-delay-count", required_argument, 0, 'n' },
        { 0, 0, 0, 0 }
    };
    ep_cli_init (cli, "ep-paper", "paper", EP_CLI_DAEMON, s_usage);
    int opt;
    while ((opt = ep_cli_next (cli, argc, argv, own)) > 0) {
        long value = s_delay_value (opt, optarg);
        if (value < 0)
            return 2;
        *(opt == 'd' ? delay_us : delay_count) = value;
    }
    return opt == EP_CLI_EXIT ? cli->exit_code : -1;
}

static void s_worker_destroy (s_worker_t **self_p);

//  The paper plane's definition (malloc'd; NULL on out of memory): what
//  decides how it fills: its fill rules, their settings, and its
//  instrument table (by the SHA-256 of its canonical text).
static char *
s_definition (const s_worker_t *self)
{
    char *table = ep_instruments_format (&self->instruments);
    if (!table)
        return NULL;
    char digest [65] = "none", cap [EP_DECIMAL_BUFSIZE];
    if (self->instruments.count)
        ep_security_sha256_hex (table, strlen (table), digest);
    free (table);
    return zsys_sprintf ("plane = PAPER\n"
                         "fills = paper fill rules 1 (ep_paper_book)\n"
                         "slippage_bps = %lld\n"
                         "liquidity_cap = %s\n"
                         "instruments = %s%s\n",
                         (long long) self->config.slippage_bps,
                         ep_decimal_format (self->config.liquidity_cap_e8, cap),
                         self->instruments.count ? "sha256:" : "", digest);
}

//  Sets the worker up: its configuration, the book and the link. Returns
//  NULL with the exit code in *rc.
static s_worker_t *
s_worker_new (const ep_cli_t *cli, int *rc)
{
    char err [512];
    s_worker_t *self = calloc (1, sizeof *self);
    //  Before any secret is read: none of them may reach a core file.
    *rc = self ? ep_security_daemon_start (cli, "paper", &self->config) : 1;
    if (*rc)
        goto fail;
    if (*self->config.paper_instruments
    &&  ep_instruments_load (self->config.paper_instruments, &self->instruments, err,
                             sizeof err)) {
        fprintf (stderr, "ep-paper: paper/instruments: %s\n", err);
        *rc = 2;
        goto fail;
    }
    ep_paper_config_t paper = { self->config.slippage_bps, self->config.liquidity_cap_e8,
                                &self->instruments };
    self->book = ep_paper_book_new (&paper);
    if (!self->book) {
        fprintf (stderr, "ep-paper: invalid paper configuration\n");
        *rc = 2;
        goto fail;
    }
    zsys_init ();
    ep_signal_catch ("ep-paper");
    char *definition = s_definition (self);
    ep_worker_link_config_t link = {
        .plane = EP_PLANE (PAPER), .topic = "exec.paper", .config = &self->config,
        //  Dispatches come in batches (ep_config_batch).
        .rcvhwm = (int) (self->config.hwm / ep_config_batch (&self->config)),
        .sndhwm = (int) self->config.hwm, .metrics = self->config.paper_metrics, .batch = 1024,
        .definition = definition, .description = self->config.paper_description
    };
    ep_worker_link_handler_t handler = {
        .dispatch = s_dispatch, .before_heartbeat = s_send_reports,
        .after_dispatches = s_send_reports, .metrics = s_metrics, .arg = self
    };
    if (!definition)
        snprintf (err, sizeof err, "out of memory");
    self->link = definition ? ep_worker_link_new (&link, &handler, err, sizeof err) : NULL;
    zstr_free (&definition);
    if (!self->link) {
        fprintf (stderr, "ep-paper: %s\n", err);
        *rc = 1;
        goto fail;
    }
    ep_worker_link_subscribe (self->link);
    ep_log_info ("session %s: dispatch %s, results %s, plane definition %s",
                 ep_worker_link_session (self->link), self->config.dispatch,
                 self->config.results, ep_worker_link_definition (self->link));
    return self;
fail:
    s_worker_destroy (&self);
    return NULL;
}

//  Restores from the router, then executes what it dispatches until
//  interrupted.
static void
s_worker_run (s_worker_t *self)
{
    if (s_restore (self) == 0)
        ep_worker_link_run (self->link);
}

//  Sends the last reports and says goodbye: the plane is unavailable from
//  now on, and the next worker need not wait for the router to miss it.
static void
s_worker_destroy (s_worker_t **self_p)
{
    s_worker_t *self = *self_p;
    if (!self)
        return;
    if (self->link) {
        s_send_reports (self);
        ep_worker_link_bye (self->link);
        ep_log_info ("session %s: stopping", ep_worker_link_session (self->link));
    }
    ep_worker_link_destroy (&self->link);
    ep_paper_book_destroy (&self->book);
    ep_instruments_clear (&self->instruments);
    ep_buf_free (&self->message);
    free (self);
    *self_p = NULL;
}

int
main (int argc, char *argv [])
{
    ep_cli_t cli;
    long delay_us = 0, delay_count = 0;
    int rc = s_options (argc, argv, &cli, &delay_us, &delay_count);
    if (rc >= 0)
        return rc;
    s_worker_t *worker = s_worker_new (&cli, &rc);
    if (!worker)
        return rc;
    worker->delay_us = delay_us;
    worker->delay_count = delay_count;
    s_worker_run (worker);
    s_worker_destroy (&worker);
    return 0;
}
