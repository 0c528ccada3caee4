/*  client_check: a strategy and a monitor on libexecplane, built out of the
    tree against an installed copy (pkg-config or find_package), then run
    against a real stack.

    Usage: client_check CONFIG STRATEGY N DEAD_CONFIG
    Sends N MARKET intents for STRATEGY and the first one again, waits for
    each terminal report (in reverse order; the repeat's too), then cancels
    the first (cc-cancel) and replaces the second (cc-replace), both ended
    by then, and waits for those two terminal reports, then follows
    STRATEGY's reports from seq 1 as a monitor. DEAD_CONFIG names a router
    that does not answer. Prints one JSON line; exit 0 if every check held.
    The caller checks, from the journal, what the cancel and the replace
    carried on the wire.  */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <execplane.h>

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { \
    failures++; fprintf (stderr, "client_check: " __VA_ARGS__); fputc ('\n', stderr); } } while (0)

//  A name, or "?" for a value the proto does not define.
static const char *
s_name (const char *name)
{
    return name ? name : "?";
}

int
main (int argc, char *argv [])
{
    if (argc != 5) {
        fprintf (stderr, "usage: client_check CONFIG STRATEGY N DEAD_CONFIG\n");
        return 2;
    }
    const char *config = argv [1], *strategy_id = argv [2];
    int n = atoi (argv [3]);
    execplane_error_t error;

    //  Decimals, both ways, and a refusal.
    int64_t qty;
    char text [EXECPLANE_DECIMAL_BUFSIZE];
    CHECK (execplane_decimal_parse ("0.25", false, &qty, &error) == 0 && qty == 25000000,
           "0.25 parsed as %" PRId64, qty);
    CHECK (strcmp (execplane_decimal_format (qty, text), "0.25") == 0, "0.25 formatted as %s", text);
    CHECK (execplane_decimal_parse ("1.123456789", false, &qty, &error) == -1
           && error.code == EXECPLANE_EINVAL && strstr (error.text, "8 decimals"),
           "nine decimals: %s", error.text);

    //  The names of a report's status and failure, as the proto spells
    //  them; none for a value it does not define.
    CHECK (strcmp (execplane_status_name (EXECPLANE__V1__STATUS__FILLED), "FILLED") == 0
           && strcmp (execplane_failure_name (EXECPLANE__V1__FAILURE__RATE_LIMITED),
                      "RATE_LIMITED") == 0
           && !execplane_status_name (42) && !execplane_failure_name (-1),
           "the status and failure names");

    //  Errors that say what is wrong.
    execplane_options_t options = { .config = "/nonexistent/execplane.zpl" };
    CHECK (!execplane_strategy_new (&options, &error) && error.code == EXECPLANE_ECONFIG,
           "a missing config: code %d, %s", error.code, error.text);
    options = (execplane_options_t) { .config = argv [4], .timeout_ms = 300 };
    CHECK (!execplane_monitor_new (&options, NULL, 0, &error) && error.code == EXECPLANE_ETIMEOUT,
           "no router: code %d, %s", error.code, error.text);

    options = (execplane_options_t) { .config = config };
    execplane_strategy_t *strategy = execplane_strategy_new (&options, &error);
    if (!strategy) {
        fprintf (stderr, "client_check: %s\n", error.text);
        return 1;
    }
    execplane_options_t as_monitor = { .config = config, .cert = "monitor" };
    CHECK (!execplane_monitor_new (&as_monitor, NULL, 0, &error)
           && error.code == EXECPLANE_EIDENTITY, "a second identity: code %d", error.code);
    CHECK (execplane_strategy_await_worker (strategy, 10000) == 0, "no worker alive");

    //  N intents, then the first again.
    char ids [n][32];
    for (int i = 0; i <= n; i++) {
        execplane_intent_t intent;
        char json [256];
        snprintf (ids [i % n], sizeof ids [i % n], "cc-%d", i % n);
        snprintf (json, sizeof json,
                  "{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\","
                  "\"side\":\"BUY\",\"type\":\"MARKET\",\"qty\":\"0.25\",\"ref_price\":\"100\"}",
                  ids [i % n], strategy_id);
        CHECK (execplane_intent_from_json (json, &intent, &error) == 0, "%s", error.text);
        CHECK (execplane_strategy_send (strategy, &intent, &error) == 0, "%s", error.text);
        execplane_intent_clear (&intent);
    }
    CHECK (execplane_strategy_owed (strategy) == (size_t) n + 1, "owed %zu",
           execplane_strategy_owed (strategy));
    //  The first id has two terminal reports, in whichever order the router
    //  made them: the intent's fill, and the repeat's rejection.
    int filled = 0;
    char *duplicate_json = NULL;
    for (int i = n - 1; i >= -1; i--) {
        const char *id = ids [i < 0 ? 0 : i];
        execplane_report_t *report = execplane_strategy_wait (strategy, id, 10000);
        CHECK (report && strcmp (report->intent_id, id) == 0, "no terminal report for %s", id);
        if (report && report->status == EXECPLANE__V1__STATUS__FILLED
        &&  report->filled_qty_e8 == 25000000)
            filled++;
        else
        if (report && report->status == EXECPLANE__V1__STATUS__REJECTED
        &&  report->failure == EXECPLANE__V1__FAILURE__DUPLICATE_INTENT && !duplicate_json)
            duplicate_json = execplane_report_to_json (report);
        else
            CHECK (false, "%s: an unexpected report: %s / %s", id,
                   s_name (report ? execplane_status_name (report->status) : "none"),
                   s_name (report ? execplane_failure_name (report->failure) : "none"));
        execplane_report_free (report);
    }
    CHECK (duplicate_json, "the repeated id was not rejected as a duplicate");
    CHECK (execplane_strategy_owed (strategy) == 0, "still owed: %zu",
           execplane_strategy_owed (strategy));

    //  A cancel and a replace, each an intent of its own with its own
    //  terminal report. Their targets had filled, so the router answers
    //  REJECTED / TOO_LATE.
    CHECK (execplane_strategy_cancel (strategy, "cc-cancel", strategy_id, NULL, &error) == -1
           && error.code == EXECPLANE_EINVAL, "a cancel without a target: code %d", error.code);
    CHECK (execplane_strategy_replace (strategy, ids [1], NULL, &error) == -1
           && error.code == EXECPLANE_EINVAL, "a replace without an order: code %d", error.code);
    CHECK (execplane_strategy_owed (strategy) == 0, "a refused call sent something");
    CHECK (execplane_strategy_cancel (strategy, "cc-cancel", strategy_id, ids [0], &error) == 0,
           "cancel: %s", error.text);
    execplane_intent_t order;
    char order_json [256];
    snprintf (order_json, sizeof order_json,
              "{\"intent_id\":\"cc-replace\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\","
              "\"side\":\"BUY\",\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"0.25\","
              "\"limit_price\":\"100\",\"ref_price\":\"100\"}", strategy_id);
    CHECK (execplane_intent_from_json (order_json, &order, &error) == 0, "%s", error.text);
    CHECK (execplane_strategy_replace (strategy, ids [1], &order, &error) == 0,
           "replace: %s", error.text);
    CHECK (order.action == EXECPLANE__V1__ACTION__PLACE && !*order.target_intent_id,
           "replace changed the order it was given");
    execplane_intent_clear (&order);
    CHECK (execplane_strategy_owed (strategy) == 2, "owed %zu after a cancel and a replace",
           execplane_strategy_owed (strategy));
    char *action_json [2] = { NULL, NULL };
    const char *action_ids [2] = { "cc-cancel", "cc-replace" };
    const char *action_names [2] = { "CANCEL", "REPLACE" };
    const char *target_ids [2] = { ids [0], ids [1] };
    for (int i = 0; i < 2; i++) {
        execplane_report_t *report = execplane_strategy_wait (strategy, action_ids [i], 10000);
        CHECK (report, "no terminal report for %s", action_ids [i]);
        if (!report)
            continue;
        //  Their targets had filled: too late, and the report names the target.
        CHECK (report->terminal && report->status == EXECPLANE__V1__STATUS__REJECTED
               && report->failure == EXECPLANE__V1__FAILURE__TOO_LATE,
               "%s (%s): %s / %s: %s", action_ids [i], action_names [i],
               s_name (execplane_status_name (report->status)),
               s_name (execplane_failure_name (report->failure)), report->reason);
        CHECK (report->target_intent_id && strcmp (report->target_intent_id, target_ids [i]) == 0,
               "%s names target '%s'", action_ids [i],
               report->target_intent_id ? report->target_intent_id : "");
        CHECK (strcmp (report->strategy_id, strategy_id) == 0, "%s: a report of %s",
               action_ids [i], report->strategy_id);
        action_json [i] = execplane_report_to_json (report);
        execplane_report_free (report);
    }
    CHECK (execplane_strategy_owed (strategy) == 0, "still owed after the cancel and replace: %zu",
           execplane_strategy_owed (strategy));
    CHECK (!execplane_strategy_wait (strategy, "never-sent", 100), "a report for an unsent intent");
    execplane_strategy_destroy (&strategy);
    CHECK (!strategy, "destroy did not clear the handle");

    //  The monitor: this strategy's reports from the start, in seq order.
    execplane_monitor_t *monitor = execplane_monitor_new (&as_monitor, strategy_id, 1, &error);
    CHECK (monitor, "monitor: %s", error.text);
    int seen = 0;
    uint64_t last_seq = 0;
    for (int i = 0; monitor && i <= n; i++) {
        execplane_report_t *report = execplane_monitor_next (monitor, 10000);
        CHECK (report, "the monitor saw %d of %d reports", seen, n + 1);
        if (!report)
            break;
        CHECK (strcmp (report->strategy_id, strategy_id) == 0, "a report of %s", report->strategy_id);
        CHECK (report->seq > last_seq, "seq %" PRIu64 " after %" PRIu64, report->seq, last_seq);
        last_seq = report->seq;
        seen++;
        execplane_report_free (report);
    }
    const execplane_plane_state_t *plane = monitor ? execplane_monitor_plane (monitor) : NULL;
    CHECK (plane && plane->paper_alive, "no plane state, or paper not alive");
    execplane_monitor_destroy (&monitor);

    printf ("{\"version\":\"%s\",\"sent\":%d,\"filled\":%d,\"monitor_seen\":%d,\"duplicate\":%s,"
            "\"cancel\":%s,\"replace\":%s,\"failures\":%d}\n", execplane_version (), n + 1,
            filled, seen, duplicate_json ? duplicate_json : "null",
            action_json [0] ? action_json [0] : "null", action_json [1] ? action_json [1] : "null",
            failures);
    free (duplicate_json);
    free (action_json [0]);
    free (action_json [1]);
    return failures ? 1 : 0;
}
