/*  ep-router: the router daemon.  */
#include <czmq.h>
#include <stdio.h>
#include "ep_cli.h"
#include "ep_config.h"
#include "ep_security.h"
#include "ep_signal.h"
#include "ep_log.h"
#include "ep_router.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-router [--config FILE] [--ready-file FILE] [--cert NAME] [--insecure] [--log-json]\n"
        "\n"
        "Realizes each OrderIntent pushed to intake on the plane the meta layer\n"
        "selected, journals everything, and publishes the outcomes.\n"
        "\n"
        "  --config FILE      ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                     ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                     /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --ready-file FILE  once every socket is bound, write the configuration\n"
        "                     with the bound endpoints there (tcp://host:* binds\n"
        "                     an ephemeral port; so does port 0 for router/metrics)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default router)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --log-json         log one JSON object per line (ts, level, component,\n"
        "                     strategy_id and intent_id where there is one, msg)\n"
        "  --version          print the version and exit\n"
        "  --help             this text\n"
        "\n"
        "Configuration (section router): intake, outcomes, control, dispatch,\n"
        "results, query (ZeroMQ endpoints); journal (the SQLite file, or a\n"
        "postgresql:// connection string: the journal in PostgreSQL);\n"
        "journal_sync (SQLite; full: each commit waits for the disk; normal: only\n"
        "checkpoints do); paper_deadline_ms, live_deadline_ms (an intent unanswered\n"
        "this long ends FAILED or UNKNOWN); worker_timeout_ms, heartbeat_ms;\n"
        "drain_ms (how long a stop waits for answers); hwm, socket_buffer;\n"
        "takeover_ms (PostgreSQL: how often a standby tries for the lease, and\n"
        "the active confirms it is still its own);\n"
        "metrics (HOST:PORT on loopback: /metrics and /healthz over HTTP).\n"
        "Section security: curve, certs (the allow-list is certs/public, read\n"
        "again every second).\n"
        "\n"
        "Logs go to standard error. On SIGINT or SIGTERM the router stops reading\n"
        "intake, waits up to drain_ms for the planes' answers, commits and exits;\n"
        "a second signal ends it at once. A journal that cannot be written stops\n"
        "reading and publishing until it can (retried every second).\n"
        "\n"
        "Exit: 0 clean stop, 1 failure, 2 bad usage or configuration.\n");
}

int
main (int argc, char *argv [])
{
    const char *ready_file;
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-router", "router", EP_CLI_DAEMON, s_usage);
    if (ep_cli_parse_one (&cli, argc, argv, "ready-file", &ready_file) == EP_CLI_EXIT)
        return cli.exit_code;
    ep_config_t config;
    int setup = ep_security_daemon_start (&cli, "router", &config);
    if (setup)
        return setup;
    char err [512];
    zsys_init ();
    ep_signal_catch ("ep-router");
    //  A file size limit reached fails the write (EFBIG) rather than the process.
    signal (SIGXFSZ, SIG_IGN);
    ep_router_t *router = ep_router_new (&config, ready_file, err, sizeof err);
    if (!router) {
        fprintf (stderr, "ep-router: %s\n", err);
        return 1;
    }
    int rc = ep_router_run (router);
    ep_router_destroy (&router);
    ep_log_info ("stopped%s", rc ? " after a failure" : "");
    return rc ? 1 : 0;
}
