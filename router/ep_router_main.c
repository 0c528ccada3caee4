/*  ep-router: the router daemon.  */
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include "ep_config.h"
#include "ep_security.h"
#include "ep_signal.h"
#include "ep_log.h"
#include "ep_router.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-router [--config FILE] [--ready-file FILE] [--insecure]\n"
        "\n"
        "Realizes each OrderIntent pushed to intake on the plane the meta layer\n"
        "selected, journals everything, and publishes the outcomes.\n"
        "\n"
        "  --config FILE      ZPL configuration (default: built-in defaults)\n"
        "  --ready-file FILE  once every socket is bound, write the configuration\n"
        "                     with the bound endpoints there (tcp://host:* binds\n"
        "                     an ephemeral port)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default router)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --help             this text\n"
        "\n"
        "Stops cleanly on SIGINT or SIGTERM. Exit: 0 clean stop, 1 failure, 2 bad usage.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "config", required_argument, 0, 'c' },
        { "ready-file", required_argument, 0, 'r' },
        { "insecure", no_argument, 0, 'i' },
        { "cert", required_argument, 0, 'C' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *config_path = NULL;
    const char *ready_file = NULL;
    bool insecure = false;
    const char *cert = "router";
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'c': config_path = optarg; break;
            case 'r': ready_file = optarg; break;
            case 'i': insecure = true; break;
            case 'C': cert = optarg; break;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "ep-router: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    ep_log_init ("router");
    ep_config_t config;
    char err [512];
    int setup = ep_security_setup ("ep-router", config_path, insecure, cert, &config);
    if (setup)
        return setup;
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
