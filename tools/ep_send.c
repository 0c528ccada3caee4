/*  ep-send: the strategy-side tool, on libexecplane. Reads intents as JSON
    lines and pushes them to the router's intake; with --wait, prints every
    report on the intents it sent until each has its terminal report.  */
#include <czmq.h>
#include "execplane/execplane.h"
#include "ep_cli.h"

#define S_LINE_MAX 65536
#define S_ID_MAX   64                   //  the longest intent_id the router takes
#define S_NAMED_MAX 10                  //  intents never read named in the summary
#define S_TURN_MS  250

//  text is 1 to S_ID_MAX characters an intent_id may hold: A-Z a-z 0-9 . _ : -
static bool
s_id_text (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= S_ID_MAX
        && strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")
           == length;
}

//  Puts prefix before *id, if *id is set (a string of the parsed intent's,
//  ours to free). Returns 0, or -1 with error set.
static int
s_prefix (char **id, const char *what, const char *prefix, execplane_error_t *error)
{
    if (!prefix || !*id || !**id)
        return 0;
    size_t length = strlen (prefix) + strlen (*id);
    if (length > S_ID_MAX) {
        snprintf (error->text, sizeof error->text, "%s \"%.64s\" with --id-prefix is %zu "
                  "characters, more than %d", what, *id, length, S_ID_MAX);
        return -1;
    }
    char *prefixed = malloc (length + 1);
    if (!prefixed) {
        snprintf (error->text, sizeof error->text, "out of memory");
        return -1;
    }
    size_t head = strlen (prefix);
    memcpy (prefixed, prefix, head);
    memcpy (prefixed + head, *id, length - head + 1);
    free (*id);
    *id = prefixed;
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-send [--file FILE] [--wait] [--timeout SECONDS] [--id-prefix TEXT] [--config FILE] [--cert NAME] [--insecure]\n"
        "\n"
        "Reads OrderIntents as JSON lines (standard input, or FILE) and pushes each\n"
        "to the router. A line that does not parse is refused with an error naming\n"
        "the line and is not sent; the others are. Keys: intent_id, strategy_id,\n"
        "symbol, side (BUY|SELL), type (MARKET|LIMIT), tif (GTC|IOC|FOK), qty,\n"
        "limit_price, ref_price (exact decimal strings such as \"0.5\"), decided_at\n"
        "(integer), safety (bool), action (PLACE|CANCEL|REPLACE, default PLACE),\n"
        "target_intent_id (the order a CANCEL or REPLACE means). A CANCEL carries\n"
        "only intent_id, strategy_id and target_intent_id; a REPLACE also the\n"
        "complete new LIMIT order.\n"
        "\n"
        "  --file FILE        read intents from FILE instead of standard input\n"
        "  --wait             print every report on the sent intents as JSON lines,\n"
        "                     until each has its terminal report; with several\n"
        "                     routers (README \"Two routers\"), an intent the router\n"
        "                     that was lost never read is named on standard error\n"
        "                     (\"ep-send: never read: STRATEGY/INTENT ...\")\n"
        "  --timeout SECONDS  give up waiting for the router, for room to send an\n"
        "                     intent (back-pressure), or for the reports after this\n"
        "                     long (default 60)\n"
        "  --id-prefix TEXT   put TEXT before every intent_id and target_intent_id\n"
        "                     (an id is unique per strategy forever: sending the same\n"
        "                     file again needs new ids, e.g. --id-prefix run2-)\n"
        "  --config FILE      ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                     ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                     /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default strategy)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --version          print the version and exit\n"
        "  --help             this text\n"
        "\n"
        "Exit: 0 all sent (and, with --wait, all terminal); 1 a line was refused,\n"
        "the router did not answer, reports were missing at the timeout, or an intent\n"
        "was never read; 2 bad usage or configuration.\n");
}

//  What the sending and the waiting counted, for the summary.
typedef struct {
    size_t sent, unsent, refused;       //  lines
    size_t duplicates;                  //  reports DUPLICATE_INTENT
    char duplicate [S_ID_MAX + 1];      //  the first one's intent_id
    size_t never_read;
    char unread [S_NAMED_MAX][2 * EXECPLANE_ID_BUFSIZE];    //  the first few
} s_tally_t;

//  Sends every line of input as an intent; a line that does not read is
//  refused, said, and not sent.
static void
s_send_lines (execplane_strategy_t *strategy, FILE *input, const char *prefix, s_tally_t *tally)
{
    size_t line_no = 0;
    char *line = NULL;
    size_t line_size = 0;
    ssize_t len;
    while ((len = getline (&line, &line_size, input)) >= 0 && !zsys_interrupted) {
        line_no++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
            line [--len] = 0;
        if (len == 0)
            continue;
        execplane_intent_t intent;
        execplane_error_t error;
        if (len > S_LINE_MAX)
            snprintf (error.text, sizeof error.text, "longer than %d bytes", S_LINE_MAX);
        if (len > S_LINE_MAX || execplane_intent_from_json (line, &intent, &error)) {
            fprintf (stderr, "ep-send: line %zu refused, not sent: %s\n", line_no, error.text);
            tally->refused++;
            continue;
        }
        if (s_prefix (&intent.intent_id, "intent_id", prefix, &error)
        ||  s_prefix (&intent.target_intent_id, "target_intent_id", prefix, &error)) {
            fprintf (stderr, "ep-send: line %zu refused, not sent: %s\n", line_no, error.text);
            execplane_intent_clear (&intent);
            tally->refused++;
            continue;
        }
        if (execplane_strategy_send (strategy, &intent, &error) == 0)
            tally->sent++;
        else {
            fprintf (stderr, "ep-send: line %zu not sent: %s\n", line_no, error.text);
            tally->unsent++;
        }
        execplane_intent_clear (&intent);
    }
    free (line);
}

//  Prints every report until each intent sent has its terminal one, or the
//  deadline; says each intent the router that was lost never read.
static void
s_wait (execplane_strategy_t *strategy, int64_t deadline, s_tally_t *tally)
{
    while (!zsys_interrupted) {
        char strategy_id [EXECPLANE_ID_BUFSIZE], intent_id [EXECPLANE_ID_BUFSIZE];
        while (execplane_strategy_never_read (strategy, strategy_id, intent_id)) {
            fprintf (stderr, "ep-send: never read: %s/%s (the router was lost before it read "
                     "it; the router that took over has no report on it, and nothing re-sends "
                     "it)\n", strategy_id, intent_id);
            if (tally->never_read < S_NAMED_MAX)
                snprintf (tally->unread [tally->never_read], sizeof tally->unread [0], "%s/%s",
                          strategy_id, intent_id);
            tally->never_read++;
        }
        if (execplane_strategy_owed (strategy) == 0)
            break;
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        //  A turn at least every S_TURN_MS, for the intents never read.
        execplane_report_t *report = execplane_strategy_next (strategy, left > S_TURN_MS
                                                                        ? S_TURN_MS : (int) left);
        if (!report)
            continue;
        char *json = execplane_report_to_json (report);
        if (json)
            printf ("%s\n", json);
        free (json);
        if (report->failure == EXECPLANE__V1__FAILURE__DUPLICATE_INTENT
        &&  tally->duplicates++ == 0)
            snprintf (tally->duplicate, sizeof tally->duplicate, "%s", report->intent_id);
        execplane_report_free (report);
    }
    fflush (stdout);
}

//  Says what went wrong, if anything; returns the exit code.
static int
s_summary (execplane_strategy_t *strategy, bool wait, long long timeout_s, const s_tally_t *tally)
{
    int rc = tally->refused || tally->unsent ? 1 : 0;
    size_t owed = execplane_strategy_owed (strategy);
    if (wait && owed > 0) {
        fprintf (stderr, "ep-send: %zu intent(s) without a terminal report after %lld s\n",
                 owed, timeout_s);
        rc = 1;
    }
    if (tally->never_read) {
        fprintf (stderr, "ep-send: %zu intent(s) never read (", tally->never_read);
        for (size_t i = 0; i < tally->never_read && i < S_NAMED_MAX; i++)
            fprintf (stderr, "%s%s", i ? ", " : "", tally->unread [i]);
        fprintf (stderr, "%s): the router was lost before reading them\n",
                 tally->never_read > S_NAMED_MAX ? ", ..." : "");
        rc = 1;
    }
    if (tally->duplicates)
        fprintf (stderr, "ep-send: %zu intent(s) rejected as DUPLICATE_INTENT (%s%s): each "
                 "intent_id was used before by its strategy, and an id is unique per strategy "
                 "forever (the journal keeps them, across restarts), so sending the same intents "
                 "again repeats them; give them new ids, or run with --id-prefix TEXT\n",
                 tally->duplicates, tally->duplicate, tally->duplicates > 1 ? ", ..." : "");
    if (tally->refused)
        fprintf (stderr, "ep-send: %zu line(s) refused, %zu intent(s) sent\n", tally->refused,
                 tally->sent);
    return rc;
}

int
main (int argc, char *argv [])
{
    static const struct option own [] = {
        { "file", required_argument, 0, 'f' },
        { "wait", no_argument, 0, 'w' },
        { "timeout", required_argument, 0, 't' },
        { "id-prefix", required_argument, 0, 'p' },
        { 0, 0, 0, 0 }
    };
    const char *file = NULL;
    const char *prefix = NULL;
    bool wait = false;
    long long timeout_s = 60;
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-send", "strategy", EP_CLI_CLIENT, s_usage);
    int opt;
    while ((opt = ep_cli_next (&cli, argc, argv, own)) > 0) {
        switch (opt) {
            case 'f': file = optarg; break;
            case 'w': wait = true; break;
            case 't':
                if (ep_cli_number (optarg, 1, 86400, &timeout_s)) {
                    fprintf (stderr, "ep-send: --timeout takes 1 to 86400 seconds\n");
                    return 2;
                }
                break;
            case 'p':
                if (!s_id_text (optarg)) {
                    fprintf (stderr, "ep-send: --id-prefix takes 1 to %d of A-Z a-z 0-9 . _ : -\n",
                             S_ID_MAX);
                    return 2;
                }
                prefix = optarg;
                break;
        }
    }
    if (opt == EP_CLI_EXIT)
        return cli.exit_code;
    execplane_options_t connect = { .config = cli.config_path, .cert = cli.cert,
                                    .insecure = cli.insecure };
    FILE *input = file ? fopen (file, "r") : stdin;
    if (!input) {
        fprintf (stderr, "ep-send: cannot read %s: %s\n", file, strerror (errno));
        return 1;
    }
    int64_t deadline = zclock_mono () + timeout_s * 1000;
    connect.timeout_ms = (int) (timeout_s * 1000);
    execplane_error_t error;
    execplane_strategy_t *strategy = execplane_strategy_new (&connect, &error);
    if (!strategy) {
        if (error.code == EXECPLANE_ECONFIG || error.code == EXECPLANE_ECERT)
            ep_cli_config_error ("ep-send", error.text);
        else
            fprintf (stderr, "ep-send: %s\n", error.text);
        if (input != stdin)
            fclose (input);
        return error.code == EXECPLANE_ECONFIG ? 2 : 1;
    }
    //  Give a worker that is starting up a moment to be heard (bounded).
    execplane_strategy_await_worker (strategy, 3000);
    s_tally_t tally = { 0 };
    s_send_lines (strategy, input, prefix, &tally);
    if (input != stdin)
        fclose (input);
    if (wait)
        s_wait (strategy, deadline, &tally);
    int rc = s_summary (strategy, wait, timeout_s, &tally);
    execplane_strategy_destroy (&strategy);
    return rc;
}
