/*  ep-tap: the monitor, on libexecplane. Prints reports as JSON lines, in
    seq order, each once; --from-seq first replays the journal through the
    router's query socket, then follows live, with no gap and no duplicate.  */
#include <czmq.h>
#include "execplane/execplane.h"
#include "ep_cli.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-tap [--strategy ID] [--from-seq N] [--count N] [--timeout SECONDS] [--chain] [--config FILE] [--cert NAME] [--insecure]\n"
        "\n"
        "Prints execution reports as JSON lines, in seq order, each exactly once.\n"
        "\n"
        "  --strategy ID      only this strategy's reports\n"
        "  --from-seq N       start at report seq N (1: everything ever journaled),\n"
        "                     then follow live; default: what comes from now on\n"
        "  --count N          exit 0 after N reports\n"
        "  --timeout SECONDS  exit after this long; exit 1 if --count was not reached\n"
        "  --chain            also print the journal's chain head as it moves, a line\n"
        "                     {\"chain_row\":N,\"chain_head\":\"HEX\"} among the reports:\n"
        "                     kept elsewhere, it proves the journal later\n"
        "                     (ep-replay --verify --head N:HEX)\n"
        "  --config FILE      ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                     ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                     /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default monitor)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --version          print the version and exit\n"
        "  --help             this text\n"
        "\n"
        "Exit: 0 --count reports printed, or stopped by a signal or the timeout without\n"
        "--count; 1 the router did not answer, or fewer than --count reports; 2 bad\n"
        "usage or configuration.\n");
}

static int
s_number (const char *text, const char *what, long long max, long long *value)
{
    if (ep_cli_number (text, 1, max, value)) {
        fprintf (stderr, "ep-tap: %s takes a whole number from 1 to %lld\n", what, max);
        return -1;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    static const struct option own [] = {
        { "strategy", required_argument, 0, 's' },
        { "from-seq", required_argument, 0, 'f' },
        { "count", required_argument, 0, 'n' },
        { "timeout", required_argument, 0, 't' },
        { "chain", no_argument, 0, 'c' },
        { 0, 0, 0, 0 }
    };
    bool chain = false;
    const char *strategy = NULL;
    long long from_seq = 0, count = 0, timeout_s = 0;
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-tap", "monitor", EP_CLI_CLIENT, s_usage);
    int opt;
    while ((opt = ep_cli_next (&cli, argc, argv, own)) > 0) {
        switch (opt) {
            case 's': strategy = optarg; break;
            case 'f': if (s_number (optarg, "--from-seq", INT64_MAX, &from_seq)) return 2; break;
            case 'n': if (s_number (optarg, "--count", INT64_MAX, &count)) return 2; break;
            case 't': if (s_number (optarg, "--timeout", 86400, &timeout_s)) return 2; break;
            case 'c': chain = true; break;
        }
    }
    if (opt == EP_CLI_EXIT)
        return cli.exit_code;
    execplane_options_t connect = { .config = cli.config_path, .cert = cli.cert,
                                    .insecure = cli.insecure };
    int64_t deadline = timeout_s ? zclock_mono () + timeout_s * 1000 : -1;
    //  Without --timeout, the router gets the library's default time to answer.
    connect.timeout_ms = (int) (timeout_s * 1000);
    execplane_error_t error;
    execplane_monitor_t *monitor = execplane_monitor_new (&connect, strategy, (uint64_t) from_seq,
                                                          &error);
    if (!monitor) {
        if (error.code == EXECPLANE_ECONFIG || error.code == EXECPLANE_ECERT)
            ep_cli_config_error ("ep-tap", error.text);
        else
            fprintf (stderr, "ep-tap: %s\n", error.text);
        return error.code == EXECPLANE_ECONFIG || error.code == EXECPLANE_EINVAL ? 2 : 1;
    }
    if (chain)
        execplane_monitor_watch_chain (monitor);
    long long printed = 0;
    while (!zsys_interrupted && (count == 0 || printed < count)) {
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0)
                break;
            wait = (int) left;
        }
        //  With --chain, a turn at least every second, for the head
        if (chain && (wait < 0 || wait > 1000))
            wait = 1000;
        uint64_t row;
        char head [17];
        if (chain && execplane_monitor_chain (monitor, &row, head)) {
            printf ("{\"chain_row\":%llu,\"chain_head\":\"%s\"}\n", (unsigned long long) row,
                    head);
            fflush (stdout);
        }
        execplane_report_t *report = execplane_monitor_next (monitor, wait);
        if (!report)
            continue;
        char *json = execplane_report_to_json (report);
        if (json) {
            printf ("%s\n", json);
            fflush (stdout);
            printed++;
        }
        free (json);
        execplane_report_free (report);
    }
    execplane_monitor_destroy (&monitor);
    if (count && printed < count) {
        fprintf (stderr, "ep-tap: %lld of %lld report(s) before the %s\n", printed, count,
                 zsys_interrupted ? "interrupt" : "timeout");
        return 1;
    }
    return 0;
}
