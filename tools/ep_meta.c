/*  ep-meta: the meta controller. Publishes a PlaneCommand on control.plane,
    repeating it until the router's plane broadcast shows the outcome, and
    prints the router's plane state; lists the plane definitions the router
    has seen (its query socket, frame "definitions").  */
#include <czmq.h>
#include <sodium.h>
#include "ep_cli.h"
#include "ep_config.h"
#include "ep_security.h"
#include "ep_follow.h"
#include "ep_json.h"
#include "ep_names.h"
#include "ep_sock.h"
#include "ep_utf8.h"

#define S_REPEAT_MS 200                 //  publish again this often until confirmed

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-meta select paper|live --reason TEXT [options]\n"
        "  or:  ep-meta halt [--cancel-open] --reason TEXT [options]\n"
        "  or:  ep-meta resume --reason TEXT [options]\n"
        "  or:  ep-meta status [options]\n"
        "  or:  ep-meta reconcile INTENT_ID [--strategy ID] [--reason TEXT] [options]\n"
        "  or:  ep-meta reconcile --open [--reason TEXT] [options]\n"
        "  or:  ep-meta cancel-all [--strategy ID] [--plane paper|live] --reason TEXT [options]\n"
        "  or:  ep-meta planes [--pending] [--plane paper|live] [options]\n"
        "  or:  ep-meta approve DEFINITION_ID --reason TEXT [options]\n"
        "  or:  ep-meta revoke DEFINITION_ID --reason TEXT [options]\n"
        "\n"
        "Selects the execution plane, halts or resumes execution (Safety Sells pass\n"
        "a halt), or prints the router's plane state as JSON. A command carries an\n"
        "epoch one above the router's current one; the router applies a command\n"
        "only with a strictly higher epoch and journals every command it reads.\n"
        "\n"
        "reconcile asks the live plane what the venue knows of an intent whose\n"
        "outcome is UNKNOWN (it queries, never resubmits) and prints the resulting\n"
        "report, marked reconciled. reconcile --open asks it to compare the venue's\n"
        "open orders with its audit: an open order with this product's client order\n"
        "id prefix that the audit never placed is an orphan, journaled (event\n"
        "orphan) and counted in the plane state (orphans_found, last_orphan), never\n"
        "canceled or adopted; it prints the plane state once the router took it.\n"
        "\n"
        "cancel-all cancels every resting order (of one strategy, on one plane, when\n"
        "given), each on the plane that holds it, naming the command in the order's\n"
        "report; it prints the plane state whose last command outcome says how many\n"
        "cancels were sent. halt --cancel-open is the kill switch: it halts and\n"
        "cancels every resting order on every plane.\n"
        "\n"
        "A plane's worker presents its plane definition (the canonical text of\n"
        "everything that decides how the plane executes; its id is the text's\n"
        "SHA-256, 64 lowercase hex digits) with the operator's description of it\n"
        "(paper/description, live/description); the router adopts the worker only\n"
        "once that definition is approved. planes prints every definition the\n"
        "router has seen, oldest first, one JSON object a line (id, plane, text,\n"
        "description, seen_at_seq, approved, revoked, decided_by, decision_reason,\n"
        "decided_at_seq). approve approves a definition the router has seen and\n"
        "that has a description; revoke revokes one: its plane then takes no new\n"
        "order (what rests on it is still followed and may be canceled). Neither\n"
        "carries an epoch: each is confirmed by the outcome that names its request,\n"
        "and prints the plane state with that outcome.\n"
        "\n"
        "  --reason TEXT      why (journaled with the command; required but for\n"
        "                     reconcile, status and planes)\n"
        "  --strategy ID      reconcile: the intent's strategy (needed when the\n"
        "                     intent_id is used by more than one); cancel-all: only\n"
        "                     this strategy's orders\n"
        "  --plane PLANE      cancel-all: only the orders on paper or live; planes:\n"
        "                     only the definitions of that plane (paper or live, in\n"
        "                     either case)\n"
        "  --pending          planes: only the definitions neither approved nor revoked\n"
        "  --cancel-open      halt: also cancel every resting order (the kill switch)\n"
        "  --open             reconcile: the venue's open orders against the audit\n"
        "  --as NAME          issued_by (default: ep-meta:USER@HOST:PID)\n"
        "  --epoch N          use epoch N instead of the current one plus one\n"
        "  --timeout SECONDS  wait this long for the router (default 10)\n"
        "  --config FILE      ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                     ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                     /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --cert NAME        this program's certificate: CERTS/NAME_secret (default meta)\n"
        "  --insecure         run without CURVE, in the clear (logged as a warning)\n"
        "  --version          print the version and exit\n"
        "  --help             this text\n"
        "\n"
        "Exit: 0 applied (status, planes: printed); 1 refused, or no confirmation\n"
        "(planes: no answer) in time; 2 bad usage or configuration.\n");
}

//  Waits for the next plane state on sub; NULL on timeout.
static ep_plane_state_t *
s_next_state (zsock_t *sub, int64_t deadline)
{
    while (!zsys_interrupted) {
        int64_t left = deadline - ep_sock_clock_ms ();
        if (left <= 0)
            return NULL;
        zsock_set_rcvtimeo (sub, (int) left);
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            return NULL;
        char *topic = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        ep_plane_state_t *state = topic && body && streq (topic, "plane")
            ? execplane__v1__plane_state__unpack (NULL, zframe_size (body), zframe_data (body))
            : NULL;
        zstr_free (&topic);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
        if (state)
            return state;
    }
    return NULL;
}

static void
s_print (const ep_plane_state_t *state)
{
    char *json = ep_json_plane_state_format (state);
    if (json)
        printf ("%s\n", json);
    free (json);
}

//  Publishes a RECONCILE until the router says what became of it, then
//  waits for the live plane's reconciled report on the intent and prints it.
static int
s_reconcile (const ep_config_t *config, ep_command_t *command, int64_t deadline)
{
    char err [512];
    uint8_t nonce [12];
    char request_id [2 * sizeof nonce + 1];
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (request_id, sizeof request_id, nonce, sizeof nonce);
    command->request_id = request_id;
    uint8_t data [1024];
    if (execplane__v1__plane_command__get_packed_size (command) > sizeof data) {
        fprintf (stderr, "ep-meta: --reason or --as too long\n");
        return 2;
    }
    size_t size = execplane__v1__plane_command__pack (command, data);
    ep_follow_t *follow = ep_follow_new (config, 0, err, sizeof err);
    zsock_t *control = follow ? ep_sock_new (ZMQ_PUB, config->control, false, err, sizeof err)
                              : NULL;
    if (!control) {
        fprintf (stderr, "ep-meta: %s\n", err);
        ep_follow_destroy (&follow);
        return 1;
    }
    int rc = 1;
    bool forwarded = false;
    const char *why = "no answer from the router";
    if (ep_follow_ready (follow, (int) (deadline - ep_sock_clock_ms ())) == 0) {
        while (!zsys_interrupted && ep_sock_clock_ms () < deadline) {
            //  Repeated until the router's plane state shows the outcome (the
            //  router ignores repeats of the same request id).
            if (!forwarded)
                ep_sock_send2 (control, "control.plane", data, size, 0);
            ep_report_t *report = ep_follow_next (follow, S_REPEAT_MS);
            if (report) {
                bool ours = report->reconciled && streq (report->intent_id, command->intent_id)
                         && (!*command->strategy_id
                             || streq (report->strategy_id, command->strategy_id));
                if (ours) {
                    char *json = ep_json_report_format (report);
                    if (json)
                        printf ("%s\n", json);
                    free (json);
                    rc = 0;
                }
                execplane__v1__execution_report__free_unpacked (report, NULL);
                if (rc == 0)
                    break;
            }
            const ep_plane_state_t *state = ep_follow_plane (follow);
            if (state && streq (state->last_command_issued_by, command->issued_by)) {
                if (!state->last_command_applied
                &&  strncmp (state->last_command_outcome, "ignored", 7)) {
                    fprintf (stderr, "ep-meta: reconcile %s %s\n", command->intent_id,
                             state->last_command_outcome);
                    why = NULL;
                    break;
                }
                forwarded = forwarded || state->last_command_applied;
                if (forwarded)
                    why = "no reconciled report from the live plane";
            }
        }
    }
    if (rc && why)
        fprintf (stderr, "ep-meta: reconcile %s: %s in time\n", command->intent_id, why);
    zsock_destroy (&control);
    ep_follow_destroy (&follow);
    return rc;
}

//  A random request id, so that the router acts on a command repeated
//  until confirmed only once.
static void
s_request_id (char *request_id, size_t size)
{
    uint8_t nonce [12];
    assert (size >= 2 * sizeof nonce + 1);
    randombytes_buf (nonce, sizeof nonce);
    sodium_bin2hex (request_id, size, nonce, sizeof nonce);
}

//  Largest command ep-meta sends, packed.
#define S_COMMAND_MAX 1024

//  Packs command into data (S_COMMAND_MAX bytes) and opens the control
//  socket. Returns 0, 2 if the command is too long to send, or 1 if the
//  socket fails; says why on stderr.
static int
s_control_open (const ep_config_t *config, const ep_command_t *command,
                uint8_t data [S_COMMAND_MAX], size_t *size, zsock_t **control)
{
    if (execplane__v1__plane_command__get_packed_size (command) > S_COMMAND_MAX) {
        fprintf (stderr, "ep-meta: --reason or --as too long\n");
        return 2;
    }
    *size = execplane__v1__plane_command__pack (command, data);
    char err [512];
    *control = ep_sock_new (ZMQ_PUB, config->control, false, err, sizeof err);
    if (!*control) {
        fprintf (stderr, "ep-meta: %s\n", err);
        return 1;
    }
    return 0;
}

//  A plane definition's id: its SHA-256 as 64 lowercase hex digits.
static bool
s_definition_id_valid (const char *id)
{
    size_t i;
    for (i = 0; id [i]; i++)
        if (!((id [i] >= '0' && id [i] <= '9') || (id [i] >= 'a' && id [i] <= 'f')))
            return false;
    return i == 64;
}

//  Reads the verb and its arguments from argv [optind] on into *command
//  (and the plane named, for select). A reconcile's reason defaults to
//  "reconcile". Returns 0, or 2 with the reason on stderr.
static int
s_verb_parse (const char *verb, bool open, int argc, char *argv [], ep_command_t *command,
              const char **plane_name, const char **reason)
{
    if (verb && streq (verb, "select")) {
        *plane_name = optind < argc ? argv [optind++] : NULL;
        command->kind = EP_COMMAND (SELECT);
        if (*plane_name && streq (*plane_name, "paper"))
            command->plane = EP_PLANE (PAPER);
        else
        if (*plane_name && streq (*plane_name, "live"))
            command->plane = EP_PLANE (LIVE);
        else {
            fprintf (stderr, "ep-meta: select takes paper or live\n");
            return 2;
        }
    }
    else
    if (verb && streq (verb, "halt"))
        command->kind = EP_COMMAND (HALT);
    else
    if (verb && streq (verb, "resume"))
        command->kind = EP_COMMAND (RESUME);
    else
    if (verb && streq (verb, "reconcile") && open) {
        command->kind = EP_COMMAND (SWEEP_OPEN);
        if (!*reason)
            *reason = "reconcile --open";
    }
    else
    if (verb && streq (verb, "reconcile")) {
        command->kind = EP_COMMAND (RECONCILE);
        command->intent_id = optind < argc ? argv [optind++] : NULL;
        if (!command->intent_id || !ep_id_valid (command->intent_id)) {
            fprintf (stderr, "ep-meta: reconcile takes an INTENT_ID, or --open\n");
            return 2;
        }
        if (!*reason)
            *reason = "reconcile";
    }
    else
    if (verb && streq (verb, "cancel-all"))
        command->kind = EP_COMMAND (CANCEL_ALL);
    else
    if (verb && (streq (verb, "approve") || streq (verb, "revoke"))) {
        command->kind = streq (verb, "approve") ? EP_COMMAND (APPROVE) : EP_COMMAND (REVOKE);
        command->definition_id = optind < argc ? argv [optind++] : NULL;
        if (!command->definition_id || !s_definition_id_valid (command->definition_id)) {
            fprintf (stderr, "ep-meta: %s takes a DEFINITION_ID (64 lowercase hex digits, "
                     "as ep-meta planes prints it)\n", verb);
            return 2;
        }
    }
    else
    if (!verb || (!streq (verb, "status") && !streq (verb, "planes"))) {
        fprintf (stderr, "ep-meta: expected select, halt, resume, reconcile, cancel-all, "
                 "planes, approve, revoke or status (try --help)\n");
        return 2;
    }
    if (optind < argc) {
        fprintf (stderr, "ep-meta: unexpected argument '%s' (try --help)\n", argv [optind]);
        return 2;
    }
    return 0;
}

//  The command's issued_by: --as, else ep-meta:USER@HOST:PID.
static void
s_issued_by (const char *as, char *issued_by, size_t size)
{
    if (as)
        snprintf (issued_by, size, "%s", as);
    else {
        const char *user = getenv ("USER");
        char host [128] = "localhost";
        gethostname (host, sizeof host - 1);
        snprintf (issued_by, size, "ep-meta:%s@%s:%d", user ? user : "unknown",
                  host, (int) getpid ());
    }
}

//  What one plane state says of the command ep-meta sends: S_PENDING if
//  nothing yet, 0 applied (the state printed) or 1 refused (why on stderr).
#define S_PENDING (-1)
typedef int (s_settled_fn) (const ep_plane_state_t *state, const ep_command_t *command,
                            const char *verb, const char *plane_name);

//  A request (CANCEL_ALL, SWEEP_OPEN) is settled by the outcome that names
//  its request id.
static int
s_request_settled (const ep_plane_state_t *state, const ep_command_t *command,
                   const char *verb, const char *plane_name)
{
    (void) plane_name;
    if (!streq (state->last_command_issued_by, command->issued_by)
    ||  !strstr (state->last_command_outcome, command->request_id))
        return S_PENDING;
    if (!state->last_command_applied) {
        fprintf (stderr, "ep-meta: %s %s\n", verb, state->last_command_outcome);
        return 1;
    }
    s_print (state);
    return 0;
}

//  A command that takes an epoch is settled by the plane state of that
//  epoch: ours applied it; a refusal of ours, or another's command, took it.
static int
s_epoch_settled (const ep_plane_state_t *state, const ep_command_t *command,
                 const char *verb, const char *plane_name)
{
    bool mine = streq (state->issued_by, command->issued_by) && state->epoch == command->epoch;
    bool refused = !mine && state->last_command_epoch == command->epoch
                && streq (state->last_command_issued_by, command->issued_by)
                && !state->last_command_applied;
    bool superseded = !mine && state->epoch >= command->epoch;
    if (mine) {
        s_print (state);
        //  Applied all the same: a worker may start later. But say what
        //  intents meet until then.
        bool live = state->plane == EP_PLANE (LIVE);
        if (command->kind == EP_COMMAND (SELECT)
        &&  (state->plane == EP_PLANE (PAPER) || live)
        &&  !(live ? state->live_alive : state->paper_alive))
            fprintf (stderr, "ep-meta: warning: select %s applied, but the %s plane has no "
                     "worker: every intent is REJECTED / PLANE_UNAVAILABLE until one is up "
                     "(%s; see ep-meta status, %s_alive)\n", plane_name ? plane_name : "",
                     live ? "live" : "paper", live ? "ep-live" : "ep-paper",
                     live ? "live" : "paper");
        return 0;
    }
    if (refused || superseded) {
        fprintf (stderr, "ep-meta: %s %s refused by the router: %s\n", verb,
                 plane_name ? plane_name : "",
                 refused ? state->last_command_outcome
                         : "another command took this epoch first");
        return 1;
    }
    return S_PENDING;
}

//  Publishes command until the router's plane state on sub settles it, as
//  settled judges, or deadline. Returns 0 applied, 1 refused or no
//  confirmation in time, 2 too long to send; says why on stderr.
static int
s_publish (zsock_t *sub, const ep_config_t *config, const ep_command_t *command,
           const char *verb, const char *plane_name, int64_t deadline, long long timeout_s,
           s_settled_fn *settled)
{
    uint8_t data [S_COMMAND_MAX];
    size_t size;
    zsock_t *control;
    int opened = s_control_open (config, command, data, &size, &control);
    if (opened)
        return opened;
    int rc = S_PENDING;
    while (rc == S_PENDING && !zsys_interrupted && ep_sock_clock_ms () < deadline) {
        //  A PUB drops what it sends before the router's subscription lands,
        //  so the command goes out again until its outcome is seen.
        ep_sock_send2 (control, "control.plane", data, size, 0);
        int64_t until = ep_sock_clock_ms () + S_REPEAT_MS;
        if (until > deadline)
            until = deadline;
        ep_plane_state_t *state;
        while (rc == S_PENDING && (state = s_next_state (sub, until))) {
            rc = settled (state, command, verb, plane_name);
            execplane__v1__plane_state__free_unpacked (state, NULL);
        }
    }
    if (rc == S_PENDING)
        fprintf (stderr, "ep-meta: %s: no confirmation from the router within %lld s\n",
                 verb, timeout_s);
    zsock_destroy (&control);
    return rc == S_PENDING ? 1 : rc;
}

//  Prints the reply's definitions of plane (all if unspecified), only the
//  pending ones if pending. Returns 0, or 1 if the reply is not a list.
static int
s_print_definitions (const uint8_t *data, size_t size, bool pending, int plane)
{
    Execplane__V1__DefinitionList *list
        = execplane__v1__definition_list__unpack (NULL, size, data);
    if (!list) {
        fprintf (stderr, "ep-meta: planes: the router's answer is not a definition list\n");
        return 1;
    }
    for (size_t i = 0; i < list->n_definitions; i++) {
        const ep_json_definition_t *definition = list->definitions [i];
        if ((pending && (definition->approved || definition->revoked))
        ||  (plane != EP_PLANE (PLANE_UNSPECIFIED) && (int) definition->plane != plane))
            continue;
        char *json = ep_json_definition_format (definition);
        if (json)
            printf ("%s\n", json);
        free (json);
    }
    execplane__v1__definition_list__free_unpacked (list, NULL);
    fflush (stdout);
    return 0;
}

//  Asks the router's query socket for the definitions it has seen and
//  prints them. Returns 0, or 1 if no answer came by deadline.
static int
s_planes (const ep_config_t *config, bool pending, int plane, int64_t deadline,
          long long timeout_s)
{
    char err [512];
    zsock_t *query = ep_sock_new (ZMQ_DEALER, config->query, false, err, sizeof err);
    if (!query) {
        fprintf (stderr, "ep-meta: %s\n", err);
        return 1;
    }
    int rc = S_PENDING;
    int64_t ask_at = 0;
    while (rc == S_PENDING && !zsys_interrupted) {
        int64_t now = ep_sock_clock_ms ();
        if (now >= deadline)
            break;
        //  Asked again now and then, in case the first ask was lost while
        //  the router restarted; a stale answer is as good as a fresh one.
        if (now >= ask_at) {
            ep_sock_send2 (query, "definitions", "", 0, ZMQ_DONTWAIT);
            ask_at = now + 1000;
        }
        int64_t until = ask_at < deadline ? ask_at : deadline;
        zsock_set_rcvtimeo (query, (int) (until - now));
        zmsg_t *msg = zmsg_recv (query);
        if (!msg)
            continue;
        char *kind = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        if (kind && body && streq (kind, "definitions"))
            rc = s_print_definitions (zframe_data (body), zframe_size (body), pending, plane);
        zstr_free (&kind);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    if (rc == S_PENDING)
        fprintf (stderr, "ep-meta: planes: no answer from the router at %s within %lld s\n",
                 config->query, timeout_s);
    zsock_destroy (&query);
    return rc == S_PENDING ? 1 : rc;
}

//  What the command line said beyond the verb.
typedef struct {
    const char *reason, *as, *strategy, *plane;
    bool cancel_open, open, pending;
    unsigned long long epoch;
    long long timeout_s;
} s_line_t;

//  Checks that line's options go with verb and fills command in from them.
//  Returns 0, or 2 (bad usage, already said).
static int
s_command_check (const char *verb, const s_line_t *line, ep_command_t *command)
{
    bool is_cancel_all = command->kind == EP_COMMAND (CANCEL_ALL);
    bool is_halt = command->kind == EP_COMMAND (HALT);
    bool is_planes = streq (verb, "planes");
    const char *misplaced = line->plane && !is_cancel_all && !is_planes ? "plane"
                          : line->pending && !is_planes ? "pending"
                          : line->cancel_open && !is_halt ? "cancel-open"
                          : line->open && command->kind != EP_COMMAND (SWEEP_OPEN) ? "open"
                          : line->strategy && !is_cancel_all
                            && command->kind != EP_COMMAND (RECONCILE) ? "strategy" : NULL;
    if (misplaced) {
        fprintf (stderr, "ep-meta: --%s does not go with %s (try --help)\n", misplaced, verb);
        return 2;
    }
    if (line->plane) {
        command->plane = strcasecmp (line->plane, "paper") == 0 ? EP_PLANE (PAPER)
                       : strcasecmp (line->plane, "live") == 0 ? EP_PLANE (LIVE)
                       : EP_PLANE (PLANE_UNSPECIFIED);
        if (command->plane == EP_PLANE (PLANE_UNSPECIFIED)) {
            fprintf (stderr, "ep-meta: --plane takes paper or live\n");
            return 2;
        }
    }
    if (line->strategy && is_cancel_all && !ep_id_valid (line->strategy)) {
        fprintf (stderr, "ep-meta: --strategy is not a valid strategy_id\n");
        return 2;
    }
    command->cancel_open = line->cancel_open;
    if (!streq (verb, "status") && !is_planes && (!line->reason || !*line->reason)) {
        fprintf (stderr, "ep-meta: %s needs --reason TEXT\n", verb);
        return 2;
    }
    //  The router refuses any other text; say so here, before sending.
    bool reason_bad = line->reason && !ep_utf8_text_valid (line->reason, strlen (line->reason));
    if (reason_bad || (line->as && !ep_utf8_text_valid (line->as, strlen (line->as)))) {
        fprintf (stderr, "ep-meta: --%s is not UTF-8 text without control characters\n",
                 reason_bad ? "reason" : "as");
        return 2;
    }
    return 0;
}

//  Reads the options into line; returns -1 to go on, or the exit code.
static int
s_options (int argc, char *argv [], ep_cli_t *cli, s_line_t *line)
{
    static const struct option own [] = {
        { "reason", required_argument, 0, 'r' },
        { "strategy", required_argument, 0, 's' },
        { "as", required_argument, 0, 'a' },
        { "epoch", required_argument, 0, 'e' },
        { "timeout", required_argument, 0, 't' },
        { "plane", required_argument, 0, 'p' },
        { "cancel-open", no_argument, 0, 'c' },
        { "open", no_argument, 0, 'o' },
        { "pending", no_argument, 0, 'P' },
        { 0, 0, 0, 0 }
    };
    ep_cli_init (cli, "ep-meta", "meta", EP_CLI_CLIENT | EP_CLI_ARGUMENTS, s_usage);
    int opt;
    char *end;
    while ((opt = ep_cli_next (cli, argc, argv, own)) > 0) {
        switch (opt) {
            case 'r': line->reason = optarg; break;
            case 's': line->strategy = optarg; break;
            case 'a': line->as = optarg; break;
            case 'p': line->plane = optarg; break;
            case 'c': line->cancel_open = true; break;
            case 'o': line->open = true; break;
            case 'P': line->pending = true; break;
            case 'e':
                errno = 0;
                line->epoch = strtoull (optarg, &end, 10);
                if (errno || *end || line->epoch == 0 || optarg [0] == '-') {
                    fprintf (stderr, "ep-meta: --epoch takes a whole number above 0\n");
                    return 2;
                }
                break;
            case 't':
                if (ep_cli_number (optarg, 1, 3600, &line->timeout_s)) {
                    fprintf (stderr, "ep-meta: --timeout takes 1 to 3600 seconds\n");
                    return 2;
                }
                break;
        }
    }
    return opt == EP_CLI_EXIT ? cli->exit_code : -1;
}

int
main (int argc, char *argv [])
{
    s_line_t line = { .timeout_s = 10 };
    ep_cli_t cli;
    int exit_code = s_options (argc, argv, &cli, &line);
    if (exit_code >= 0)
        return exit_code;
    const char *reason = line.reason;
    const char *verb = optind < argc ? argv [optind++] : NULL;
    const char *plane_name = NULL;
    ep_command_t command;
    execplane__v1__plane_command__init (&command);
    if (s_verb_parse (verb, line.open, argc, argv, &command, &plane_name, &reason))
        return 2;
    line.reason = reason;
    if (s_command_check (verb, &line, &command))
        return 2;
    bool is_status = streq (verb, "status");
    bool is_cancel_all = command.kind == EP_COMMAND (CANCEL_ALL);
    long long timeout_s = line.timeout_s;
    ep_config_t config;
    char err [512];
    int setup = ep_security_setup ("ep-meta", cli.config_path, cli.insecure, cli.cert, &config);
    if (setup)
        return setup;
    zsys_init ();
    zsys_catch_interrupts ();
    int64_t deadline = ep_sock_clock_ms () + timeout_s * 1000;
    if (streq (verb, "planes"))
        return s_planes (&config, line.pending, command.plane, deadline, timeout_s);
    zsock_t *sub = ep_sock_new (ZMQ_SUB, config.outcomes, false, err, sizeof err);
    if (!sub) {
        fprintf (stderr, "ep-meta: %s\n", err);
        return 1;
    }
    zsock_set_subscribe (sub, "plane");
    ep_plane_state_t *state = s_next_state (sub, deadline);
    if (!state) {
        fprintf (stderr, "ep-meta: no plane state from the router at %s within %lld s\n",
                 config.outcomes, timeout_s);
        zsock_destroy (&sub);
        return 1;
    }
    if (is_status) {
        s_print (state);
        execplane__v1__plane_state__free_unpacked (state, NULL);
        zsock_destroy (&sub);
        return 0;
    }
    char issued_by [256];
    s_issued_by (line.as, issued_by, sizeof issued_by);
    if (command.kind == EP_COMMAND (RECONCILE)) {
        execplane__v1__plane_state__free_unpacked (state, NULL);
        zsock_destroy (&sub);
        command.strategy_id = line.strategy ? (char *) line.strategy : "";
        command.issued_by = issued_by;
        command.reason = (char *) reason;
        return s_reconcile (&config, &command, deadline);
    }
    command.issued_by = issued_by;
    command.reason = (char *) reason;
    if (is_cancel_all || command.kind == EP_COMMAND (SWEEP_OPEN)
    ||  command.kind == EP_COMMAND (APPROVE) || command.kind == EP_COMMAND (REVOKE)) {
        //  No epoch: none of these changes the selected plane.
        execplane__v1__plane_state__free_unpacked (state, NULL);
        command.strategy_id = line.strategy ? (char *) line.strategy : "";
        char request_id [32];
        s_request_id (request_id, sizeof request_id);
        command.request_id = request_id;
        const char *name = is_cancel_all ? "cancel-all"
                         : command.kind == EP_COMMAND (SWEEP_OPEN) ? "reconcile --open" : verb;
        int rc = s_publish (sub, &config, &command, name, NULL, deadline, timeout_s,
                            s_request_settled);
        zsock_destroy (&sub);
        return rc;
    }
    command.epoch = line.epoch ? line.epoch : state->epoch + 1;
    execplane__v1__plane_state__free_unpacked (state, NULL);
    int rc = s_publish (sub, &config, &command, verb, plane_name, deadline, timeout_s,
                        s_epoch_settled);
    zsock_destroy (&sub);
    return rc;
}
