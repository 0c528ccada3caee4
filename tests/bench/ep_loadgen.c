/*  ep-loadgen: the benchmark's load generator and monitor.

    Forks one process per strategy; each pushes its share of the intents
    (MARKET orders, packed once per send like a real strategy would) to the
    router's intake, as fast as it can or paced at a rate. The parent is a
    monitor on the outcomes socket: it counts the terminal reports of this
    run and measures, for each, the time from its send to its arrival. The
    send time travels in the intent_id ("TAG-K-I-MICROSECONDS", on the
    CLOCK_MONOTONIC every process of the machine shares).

    Prints one JSON object: intents, terminal, lost, elapsed_ms,
    intents_per_s and the latency percentiles p50_us, p99_us, p999_us,
    max_us. Exits 0 when every intent's terminal report arrived.

    With --send-times FILE, each intent's send time on the wall clock
    (CLOCK_REALTIME, which other processes' timestamps can be compared
    with) is kept in memory the strategies share with this process, and
    written to FILE once they are done, one line an intent: its intent_id
    and the time in microseconds.  */
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "bench_util.h"
#include "ep_config.h"
#include "ep_security.h"
#include "ep_sock.h"
#include "ep_wire.h"

#define S_MAX_STRATEGIES 64
#define S_PACE_US        100             //  paced faster than this: no sleep for an intent due sooner

typedef struct {
    const char *config_path;
    bool insecure;
    const char *strategy_cert;          //  the strategies' certificate
    const char *monitor_cert;           //  the monitor's
    const char *tag;                    //  this run's intent_id prefix
    long intents;                       //  in all
    int strategies;                     //  processes, ids s1..sK
    long rate;                          //  intents/s in all; 0: as fast as possible
    long timeout_s;                     //  no new report this long: give up
    const char *send_times;             //  --send-times FILE, or NULL
} s_args_t;

//  --send-times: what each intent's line needs, filled by its strategy in
//  memory shared with the parent (mapped before the forks)
typedef struct {
    int64_t mono_us;                    //  the stamp in its intent_id
    int64_t real_us;                    //  the wall clock when it was sent
} s_sent_t;

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
s_wall_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

//  One strategy: waits for the go byte on ready_fd, then pushes count
//  intents, paced at rate per second (0: unpaced); with sent, notes each
//  one's send times there. Returns an exit code.
static int
s_strategy (const s_args_t *args, int k, long count, long rate, int go_fd, s_sent_t *sent)
{
    ep_config_t config;
    if (ep_security_setup ("ep-loadgen", args->config_path, args->insecure,
                           args->strategy_cert, &config))
        return 2;
    char err [256];
    zsock_t *intake = ep_sock_new (ZMQ_PUSH, config.intake, false, err, sizeof err);
    if (!intake) {
        fprintf (stderr, "ep-loadgen: strategy %d: %s\n", k, err);
        return 1;
    }
    zsock_set_linger (intake, (int) args->timeout_s * 1000);
    char go;
    if (read (go_fd, &go, 1) != 1) {
        zsock_destroy (&intake);
        return 1;
    }
    char strategy_id [16], intent_id [EP_ID_MAX + 1];
    snprintf (strategy_id, sizeof strategy_id, "s%d", k);
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.strategy_id = strategy_id;
    intent.intent_id = intent_id;
    intent.symbol = "BTCUSDT";
    intent.type = EP_TYPE (MARKET);
    intent.qty_e8 = 100000000;
    intent.ref_price_e8 = 10000000000;
    uint8_t buffer [512];
    void *handle = zsock_resolve (intake);
    int64_t start = s_now_us ();
    bool dense = rate > 1000000 / S_PACE_US;
    for (long i = 0; i < count; i++) {
        //  Paced, each intent waits for its time. Above one intent per
        //  S_PACE_US, one due within S_PACE_US goes at once: sleeping for
        //  each of 50,000 intents a second would cost this process most of
        //  a core in timer wake-ups, which the stack under test would miss.
        //  Each intent's send time is taken when it goes.
        if (rate) {
            int64_t due = start + i * 1000000 / rate;
            if (!dense || due - s_now_us () >= S_PACE_US) {
                struct timespec at = { due / 1000000, due % 1000000 * 1000 };
                clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
            }
        }
        int64_t now = s_now_us ();
        int64_t wall = sent ? s_wall_us () : 0;
        snprintf (intent_id, sizeof intent_id, "%s-%d-%ld-%" PRId64, args->tag, k, i, now);
        intent.side = i % 2 ? EP_SIDE (SELL) : EP_SIDE (BUY);
        intent.decided_at = now;
        size_t size = execplane__v1__order_intent__pack (&intent, buffer);
        if (zmq_send (handle, buffer, size, 0) < 0) {
            fprintf (stderr, "ep-loadgen: strategy %d: send: %s\n", k, zmq_strerror (zmq_errno ()));
            break;
        }
        if (sent)
            sent [i] = (s_sent_t) { now, wall };
    }
    zsock_destroy (&intake);
    return 0;
}

static int64_t
s_percentile (const int64_t *sorted, long count, double p)
{
    if (count == 0)
        return 0;
    long at = (long) (p * (double) (count - 1) + 0.5);
    return sorted [at];
}

//  The send time at the end of "TAG-K-I-MICROSECONDS", if it is this run's.
static bool
s_sent_at (const char *intent_id, const char *tag, size_t tag_len, int64_t *sent_us)
{
    if (strncmp (intent_id, tag, tag_len) || intent_id [tag_len] != '-')
        return false;
    const char *dash = strrchr (intent_id, '-');
    char *end;
    *sent_us = strtoll (dash + 1, &end, 10);
    return *end == 0;
}

static int
s_monitor (const s_args_t *args, int go_fds [], int strategies)
{
    ep_config_t config;
    if (ep_security_setup ("ep-loadgen", args->config_path, args->insecure,
                           args->monitor_cert, &config))
        return 2;
    char err [256];
    zsock_t *outcomes = ep_sock_new (ZMQ_SUB, config.outcomes, false, err, sizeof err);
    if (!outcomes) {
        fprintf (stderr, "ep-loadgen: %s\n", err);
        return 1;
    }
    zsock_set_rcvhwm (outcomes, 0);
    zsock_set_subscribe (outcomes, "outcome.");
    zsock_set_subscribe (outcomes, "plane");
    void *handle = zsock_resolve (outcomes);
    int64_t *latency = malloc ((size_t) args->intents * sizeof *latency);
    if (!latency)
        return 1;
    size_t tag_len = strlen (args->tag);
    long terminal = 0;
    bool subscribed = false;
    int64_t start = 0, last = 0;
    int64_t give_up = s_now_us () + 10 * 1000000;   //  to hear the router at all
    while (terminal < args->intents && s_now_us () < give_up && !zsys_interrupted) {
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        for (int i = 0; i < 1024; i++) {
            zmq_msg_t topic, body;
            zmq_msg_init (&topic);
            if (zmq_msg_recv (&topic, handle, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&topic);
                break;
            }
            zmq_msg_init (&body);
            if (zmq_msg_more (&topic))
                zmq_msg_recv (&body, handle, 0);
            int64_t now = s_now_us ();
            if (!subscribed) {
                //  The first message of any kind: the subscription is in
                //  place, the strategies may go.
                subscribed = true;
                start = now;
                for (int k = 0; k < strategies; k++)
                    if (write (go_fds [k], "g", 1) != 1)
                        fprintf (stderr, "ep-loadgen: strategy %d is gone\n", k + 1);
            }
            //  Only a report is progress: the router's plane state comes
            //  every second whether intents are answered or not.
            if (zmq_msg_size (&topic) > 8 && memcmp (zmq_msg_data (&topic), "outcome.", 8) == 0) {
                give_up = now + args->timeout_s * 1000000;
                ep_report_t *report = execplane__v1__execution_report__unpack (
                    NULL, zmq_msg_size (&body), zmq_msg_data (&body));
                int64_t sent;
                if (report && report->terminal
                &&  s_sent_at (report->intent_id, args->tag, tag_len, &sent)
                &&  terminal < args->intents) {
                    latency [terminal++] = now - sent;
                    last = now;
                }
                if (report)
                    execplane__v1__execution_report__free_unpacked (report, NULL);
            }
            zmq_msg_close (&topic);
            zmq_msg_close (&body);
        }
    }
    zsock_destroy (&outcomes);
    qsort (latency, (size_t) terminal, sizeof *latency, bench_compare_i64);
    double elapsed_ms = terminal && last > start ? (double) (last - start) / 1000.0 : 0;
    printf ("{\"intents\":%ld,\"strategies\":%d,\"rate\":%ld,\"terminal\":%ld,\"lost\":%ld,"
            "\"elapsed_ms\":%.1f,\"intents_per_s\":%.0f,\"p50_us\":%" PRId64 ","
            "\"p99_us\":%" PRId64 ",\"p999_us\":%" PRId64 ",\"max_us\":%" PRId64 "}\n",
            args->intents, strategies, args->rate, terminal, args->intents - terminal,
            elapsed_ms, elapsed_ms > 0 ? (double) terminal * 1000.0 / elapsed_ms : 0,
            s_percentile (latency, terminal, 0.50), s_percentile (latency, terminal, 0.99),
            s_percentile (latency, terminal, 0.999), terminal ? latency [terminal - 1] : 0);
    free (latency);
    return terminal == args->intents ? 0 : 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-loadgen --config FILE --tag TAG [--intents N] [--strategies K]\n"
        "                  [--rate PER_SECOND] [--timeout SECONDS] [--insecure]\n"
        "                  [--send-times FILE]\n"
        "\n"
        "The benchmark's load: K strategy processes (ids s1..sK) push N MARKET\n"
        "intents in all, unpaced or at PER_SECOND in all, while this process\n"
        "follows the outcomes as a monitor and times each intent from its send\n"
        "to its terminal report. Prints one JSON object. TAG makes this run's\n"
        "intent_ids unique in the journal.\n"
        "\n"
        "  --cert NAME           the strategies' certificate (default strategy)\n"
        "  --monitor-cert NAME   the monitor's certificate (default monitor)\n"
        "  --timeout SECONDS     give up after this long without a report (default 30)\n"
        "  --send-times FILE     write each intent's send time to FILE once all are\n"
        "                        sent, one line each: INTENT_ID MICROSECONDS, on the\n"
        "                        wall clock (CLOCK_REALTIME), to set beside the times\n"
        "                        of other processes (a venue's receipt)\n");
}

static long
s_number (const char *text, long lo, long hi, const char *what)
{
    char *end;
    long value = strtol (text, &end, 10);
    if (!*text || *end || value < lo || value > hi) {
        fprintf (stderr, "ep-loadgen: %s must be a number from %ld to %ld\n", what, lo, hi);
        exit (2);
    }
    return value;
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config", required_argument, 0, 'c' },
        { "tag", required_argument, 0, 't' },
        { "intents", required_argument, 0, 'n' },
        { "strategies", required_argument, 0, 'k' },
        { "rate", required_argument, 0, 'r' },
        { "timeout", required_argument, 0, 'T' },
        { "cert", required_argument, 0, 'C' },
        { "monitor-cert", required_argument, 0, 'M' },
        { "insecure", no_argument, 0, 'i' },
        { "send-times", required_argument, 0, 'S' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    s_args_t args = { .strategy_cert = "strategy", .monitor_cert = "monitor",
                      .intents = 100000, .strategies = 1, .timeout_s = 30 };
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'c': args.config_path = optarg; break;
            case 't': args.tag = optarg; break;
            case 'n': args.intents = s_number (optarg, 1, 100000000, "--intents"); break;
            case 'k': args.strategies = (int) s_number (optarg, 1, S_MAX_STRATEGIES, "--strategies"); break;
            case 'r': args.rate = s_number (optarg, 0, 10000000, "--rate"); break;
            case 'T': args.timeout_s = s_number (optarg, 1, 3600, "--timeout"); break;
            case 'C': args.strategy_cert = optarg; break;
            case 'M': args.monitor_cert = optarg; break;
            case 'i': args.insecure = true; break;
            case 'S': args.send_times = optarg; break;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc || !args.tag || !ep_id_valid (args.tag) || strlen (args.tag) > 16) {
        fprintf (stderr, "ep-loadgen: --tag (1 to 16 of [A-Za-z0-9._:]) is required; see --help\n");
        return 2;
    }
    //  The file is made before any intent goes, so a path that cannot be
    //  written is said at once.
    FILE *times = NULL;
    s_sent_t *sent = NULL;
    size_t sent_bytes = (size_t) args.intents * sizeof *sent;
    if (args.send_times) {
        times = fopen (args.send_times, "w");
        if (!times) {
            fprintf (stderr, "ep-loadgen: --send-times %s: %s\n", args.send_times, strerror (errno));
            return 2;
        }
        sent = mmap (NULL, sent_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sent == MAP_FAILED) {
            fprintf (stderr, "ep-loadgen: cannot map memory for the send times: %s\n",
                     strerror (errno));
            fclose (times);
            return 1;
        }
    }
    //  The strategies are forked before any ZeroMQ context exists.
    pid_t pids [S_MAX_STRATEGIES];
    int go_fds [S_MAX_STRATEGIES];
    long first [S_MAX_STRATEGIES + 1];  //  strategy k's first intent, counted over all
    first [0] = 0;
    for (int k = 0; k < args.strategies; k++) {
        int fds [2];
        if (pipe (fds)) {
            perror ("ep-loadgen: pipe");
            return 1;
        }
        long share = args.intents / args.strategies + (k < args.intents % args.strategies);
        first [k + 1] = first [k] + share;
        pids [k] = fork ();
        if (pids [k] == 0) {
            close (fds [1]);
            for (int j = 0; j < k; j++)
                close (go_fds [j]);
            //  exit, not _exit: CZMQ's atexit handler waits for the
            //  socket's linger, so every queued intent leaves.
            exit (s_strategy (&args, k + 1, share,
                              args.rate ? (args.rate + args.strategies - 1) / args.strategies : 0,
                              fds [0], sent ? sent + first [k] : NULL));
        }
        close (fds [0]);
        go_fds [k] = fds [1];
        if (pids [k] < 0) {
            perror ("ep-loadgen: fork");
            return 1;
        }
    }
    int rc = s_monitor (&args, go_fds, args.strategies);
    for (int k = 0; k < args.strategies; k++)
        close (go_fds [k]);                 //  a strategy never told to go ends
    for (int k = 0; k < args.strategies; k++) {
        int status;
        if (waitpid (pids [k], &status, 0) == pids [k]
        &&  !(WIFEXITED (status) && WEXITSTATUS (status) == 0))
            rc = 1;
    }
    if (times) {
        //  Every strategy has exited: what each noted is there. An intent
        //  never sent (a strategy that failed) has no line.
        for (int k = 0; k < args.strategies; k++)
            for (long i = 0; i < first [k + 1] - first [k]; i++) {
                const s_sent_t *one = &sent [first [k] + i];
                if (one->real_us)
                    fprintf (times, "%s-%d-%ld-%" PRId64 " %" PRId64 "\n",
                             args.tag, k + 1, i, one->mono_us, one->real_us);
            }
        if (fclose (times)) {
            fprintf (stderr, "ep-loadgen: --send-times %s: %s\n", args.send_times, strerror (errno));
            rc = 1;
        }
        munmap (sent, sent_bytes);
    }
    return rc;
}
