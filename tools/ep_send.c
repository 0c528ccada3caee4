/*  ep-send: the strategy-side tool. Reads intents as JSON lines and pushes
    them to the router's intake; with --wait, follows the outcomes and
    prints every report on the intents it sent until each has its terminal
    report.  */
#include <czmq.h>
#include <getopt.h>
#include "ep_config.h"
#include "ep_security.h"
#include "ep_follow.h"
#include "ep_json.h"
#include "ep_sock.h"

#define S_LINE_MAX 65536

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-send [--file FILE] [--wait] [--timeout SECONDS] [--config FILE] [--insecure]\n"
        "\n"
        "Reads OrderIntents as JSON lines (standard input, or FILE) and pushes each\n"
        "to the router. A line that does not parse is refused with an error naming\n"
        "the line and is not sent; the others are. Keys: intent_id, strategy_id,\n"
        "symbol, side (BUY|SELL), type (MARKET|LIMIT), tif (GTC|IOC|FOK), qty,\n"
        "limit_price, ref_price (exact decimal strings such as \"0.5\"), decided_at\n"
        "(integer), safety (bool).\n"
        "\n"
        "  --file FILE        read intents from FILE instead of standard input\n"
        "  --wait             print every report on the sent intents as JSON lines,\n"
        "                     until each has its terminal report\n"
        "  --timeout SECONDS  give up waiting for the router or the reports after\n"
        "                     this long (default 60)\n"
        "  --config FILE      ZPL configuration (default: built-in defaults)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default strategy)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --help             this text\n"
        "\n"
        "Exit: 0 all sent (and, with --wait, all terminal); 1 a line was refused,\n"
        "the router did not answer, or reports were missing at the timeout; 2 bad usage.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "file", required_argument, 0, 'f' },
        { "wait", no_argument, 0, 'w' },
        { "timeout", required_argument, 0, 't' },
        { "config", required_argument, 0, 'c' },
        { "insecure", no_argument, 0, 'i' },
        { "cert", required_argument, 0, 'C' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *config_path = NULL, *file = NULL;
    bool wait = false;
    long timeout_s = 60;
    bool insecure = false;
    const char *cert = "strategy";
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'f': file = optarg; break;
            case 'w': wait = true; break;
            case 't': {
                char *end;
                timeout_s = strtol (optarg, &end, 10);
                if (*end || timeout_s <= 0 || timeout_s > 86400) {
                    fprintf (stderr, "ep-send: --timeout takes 1 to 86400 seconds\n");
                    return 2;
                }
                break;
            }
            case 'c': config_path = optarg; break;
            case 'i': insecure = true; break;
            case 'C': cert = optarg; break;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "ep-send: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    ep_config_t config;
    char err [512];
    int setup = ep_security_setup ("ep-send", config_path, insecure, cert, &config);
    if (setup)
        return setup;
    FILE *input = file ? fopen (file, "r") : stdin;
    if (!input) {
        fprintf (stderr, "ep-send: cannot read %s: %s\n", file, strerror (errno));
        return 1;
    }
    zsys_init ();
    zsys_catch_interrupts ();
    int64_t deadline = ep_sock_clock_ms () + timeout_s * 1000;
    //  The follower shows the router is up (and, with --wait, brings the
    //  reports); its plane state says whether a worker is there to execute.
    ep_follow_t *follow = ep_follow_new (&config, 0, err, sizeof err);
    zsock_t *intake = follow ? ep_sock_new (ZMQ_PUSH, config.intake, false, err, sizeof err)
                             : NULL;
    if (!intake) {
        fprintf (stderr, "ep-send: %s\n", err);
        ep_follow_destroy (&follow);
        return 1;
    }
    //  Intents still queued at exit get until the timeout to leave.
    zsock_set_linger (intake, (int) (timeout_s * 1000));
    if (ep_follow_ready (follow, (int) (deadline - ep_sock_clock_ms ())) < 0) {
        fprintf (stderr, "ep-send: no answer from the router at %s within %ld s\n",
                 config.outcomes, timeout_s);
        zsock_set_linger (intake, 0);   //  nothing was sent
        zsock_destroy (&intake);
        ep_follow_destroy (&follow);
        return 1;
    }
    //  Give a worker that is starting up a moment to be heard (bounded).
    const ep_plane_state_t *state = ep_follow_plane (follow);
    for (int64_t until = ep_sock_clock_ms () + 3000;
         state && !(state->plane == EP_PLANE (LIVE) ? state->live_alive : state->paper_alive)
         && ep_sock_clock_ms () < until && !zsys_interrupted;)
        state = ep_follow_next_plane (follow, (int) (until - ep_sock_clock_ms ()));

    zhashx_t *waiting = zhashx_new ();  //  "strategy\x1fintent" -> terminal reports owed
    size_t owed = 0, sent = 0, refused = 0, line_no = 0;
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    while ((len = getline (&line, &line_size, input)) >= 0 && !zsys_interrupted) {
        line_no++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
            line [--len] = 0;
        if (len == 0)
            continue;
        ep_intent_t intent;
        execplane__v1__order_intent__init (&intent);
        char why [512];
        if (len > S_LINE_MAX)
            snprintf (why, sizeof why, "longer than %d bytes", S_LINE_MAX);
        if (len > S_LINE_MAX || ep_json_intent_parse (line, &intent, why, sizeof why)) {
            fprintf (stderr, "ep-send: line %zu refused, not sent: %s\n", line_no, why);
            refused++;
            continue;
        }
        size_t size = execplane__v1__order_intent__get_packed_size (&intent);
        uint8_t *data = malloc (size ? size : 1);
        execplane__v1__order_intent__pack (&intent, data);
        if (zmq_send (zsock_resolve (intake), data, size, 0) == (int) size) {
            sent++;
            if (wait) {
                char key [2 * EP_ID_MAX + 64];
                snprintf (key, sizeof key, "%s\x1f%s", intent.strategy_id, intent.intent_id);
                uintptr_t count = (uintptr_t) zhashx_lookup (waiting, key);
                zhashx_update (waiting, key, (void *) (count + 1));
                owed++;
            }
        }
        free (data);
        ep_json_intent_clear (&intent);
    }
    free (line);
    if (input != stdin)
        fclose (input);

    int rc = refused ? 1 : 0;
    while (wait && owed > 0 && !zsys_interrupted) {
        int64_t left = deadline - ep_sock_clock_ms ();
        ep_report_t *report = left > 0 ? ep_follow_next (follow, (int) left) : NULL;
        if (!report)
            break;
        char key [2 * EP_ID_MAX + 64];
        snprintf (key, sizeof key, "%s\x1f%s", report->strategy_id, report->intent_id);
        uintptr_t count = (uintptr_t) zhashx_lookup (waiting, key);
        if (count > 0) {
            char *json = ep_json_report_format (report);
            if (json)
                printf ("%s\n", json);
            free (json);
            if (report->terminal) {
                owed--;
                if (count == 1)
                    zhashx_delete (waiting, key);
                else
                    zhashx_update (waiting, key, (void *) (count - 1));
            }
        }
        execplane__v1__execution_report__free_unpacked (report, NULL);
    }
    fflush (stdout);
    if (wait && owed > 0) {
        fprintf (stderr, "ep-send: %zu intent(s) without a terminal report after %ld s\n",
                 owed, timeout_s);
        rc = 1;
    }
    if (refused)
        fprintf (stderr, "ep-send: %zu line(s) refused, %zu intent(s) sent\n", refused, sent);
    zhashx_destroy (&waiting);
    zsock_destroy (&intake);
    ep_follow_destroy (&follow);
    return rc;
}
