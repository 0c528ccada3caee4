/*  test_live_plane_cancel: the live plane's cancels and replaces against an
    in-process fake venue (an ep_venue_t in this file, no HTTP), a real
    audit in a private folder, and clocks the test sets. Each answer is
    taken with ep_live_plane_on_answer, a blocking receive: nothing here
    waits on time.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ep_audit.h"
#include "ep_live_plane.h"

#define S_SESSION   "session-a"
#define S_POLL_MS   100
#define S_WAIT_MS   10000           //  an answer the sender owes: never reached when all is well
#define S_ANSWERS   8
#define S_SEEN      16
#define S_QTY       100000000       //  1
#define S_PRICE     5000000000000   //  50000

//  ---------------------------------------------------------------------
//  The fake venue: scripted answers, and what it saw

typedef struct {
    const char *audit_path;
    ep_venue_result_t answers [S_ANSWERS];
    size_t n_answers, next;
    int sends;
    ep_venue_op_t ops [S_SEEN];
    char targets [S_SEEN][EP_VENUE_CLIENT_ID_MAX + 1];  //  the order each named first
    int unfinished [S_SEEN];        //  attempt rows without a result when it was sent
} fake_t;

static int
s_unfinished_rows (const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int count = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
    &&  sqlite3_prepare_v2 (db, "SELECT count(*) FROM attempts WHERE finished_us IS NULL",
                            -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        count = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return count;
}

static void
s_fake_fill (ep_venue_op_t op, const ep_intent_t *intent, const char *client_order_id,
             int64_t now_ms, int64_t window_ms, ep_venue_request_t *request)
{
    memset (request, 0, sizeof *request);
    request->op = op;
    snprintf (request->method, sizeof request->method, "%s",
              op == EP_VENUE_SUBMIT || op == EP_VENUE_CANCEL_REPLACE ? "POST"
            : op == EP_VENUE_CANCEL ? "DELETE" : op == EP_VENUE_AMEND ? "PUT" : "GET");
    snprintf (request->path, sizeof request->path, "/order");
    snprintf (request->client_order_id, sizeof request->client_order_id, "%s", client_order_id);
    snprintf (request->symbol, sizeof request->symbol, "%s", intent->symbol);
    snprintf (request->params, sizeof request->params, "op=%d&id=%s", (int) op, client_order_id);
    request->timestamp_ms = now_ms;
    request->recv_window_ms = window_ms > 0 && window_ms < 1000 ? window_ms : 1000;
    request->qty_e8 = intent->qty_e8;
}

static int
s_fake_prepare (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                const char *client_order_id, int64_t now_ms, int64_t window_ms,
                ep_venue_request_t *request)
{
    (void) self;
    s_fake_fill (op, intent, client_order_id, now_ms, window_ms, request);
    return 0;
}

static int
s_fake_prepare_change (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                       const char *target_client_order_id, const char *client_order_id,
                       int64_t now_ms, int64_t window_ms, ep_venue_request_t *request)
{
    (void) self;
    s_fake_fill (op, intent, client_order_id, now_ms, window_ms, request);
    snprintf (request->target_client_order_id, sizeof request->target_client_order_id, "%s",
              target_client_order_id);
    return 0;
}

static void
s_fake_send (ep_venue_t *self, const ep_venue_request_t *request, ep_venue_result_t *result)
{
    fake_t *fake = self->state;
    if (fake->sends < S_SEEN) {
        fake->ops [fake->sends] = request->op;
        snprintf (fake->targets [fake->sends], sizeof fake->targets [0], "%s",
                  request->target_client_order_id [0] ? request->target_client_order_id
                                                      : request->client_order_id);
        fake->unfinished [fake->sends] = s_unfinished_rows (fake->audit_path);
    }
    fake->sends++;
    if (fake->next >= fake->n_answers) {
        result->status = EP_STATUS (UNKNOWN);
        result->failure = EP_FAILURE (SEND_UNKNOWN);
        result->terminal = true;
        snprintf (result->reason, sizeof result->reason, "the script has no answer");
        return;
    }
    *result = fake->answers [fake->next++];
}

static void
s_fake_destroy (ep_venue_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

//  Scripts the next answer: an order's state at the venue.
static ep_venue_result_t *
s_answer_order (fake_t *fake, int status, bool terminal, int64_t executed_e8)
{
    assert_true (fake->n_answers < S_ANSWERS);
    ep_venue_result_t *answer = &fake->answers [fake->n_answers++];
    memset (answer, 0, sizeof *answer);
    answer->http_status = 200;
    answer->status = status;
    answer->terminal = terminal;
    answer->orig_qty_e8 = S_QTY;
    answer->executed_qty_e8 = executed_e8;
    answer->cum_quote_e8 = executed_e8 / 100000000 * S_PRICE
                         + executed_e8 % 100000000 * (S_PRICE / 100000000);
    const char *name = status == EP_STATUS (CANCELED) ? "CANCELED"
                     : status == EP_STATUS (FILLED) ? "FILLED" : "NEW";
    snprintf (answer->venue_status, sizeof answer->venue_status, "%s", name);
    snprintf (answer->venue_order_id, sizeof answer->venue_order_id, "4242");
    snprintf (answer->reason, sizeof answer->reason, "venue %s", name);
    return answer;
}

//  Scripts the next answer: no order state (a failed cancel or query),
//  with the venue's code if it gave one.
static ep_venue_result_t *
s_answer_failure (fake_t *fake, int status, int failure, bool terminal, int venue_code)
{
    assert_true (fake->n_answers < S_ANSWERS);
    ep_venue_result_t *answer = &fake->answers [fake->n_answers++];
    memset (answer, 0, sizeof *answer);
    answer->status = status;
    answer->failure = failure;
    answer->terminal = terminal;
    answer->venue_code = venue_code;
    snprintf (answer->reason, sizeof answer->reason, "scripted %d/%d/%d", status, failure,
              venue_code);
    return answer;
}

//  ---------------------------------------------------------------------
//  The fixture

typedef struct {
    int status, failure;
    bool terminal;
    char reason [512];
    char intent_id [32];
    char target_intent_id [32];
    int64_t filled_qty_e8;
    size_t n_fills;
    uint32_t first_fill;
    int64_t fill_qty_e8;            //  the first fill's
    bool reconciled;
} seen_t;

typedef struct {
    char dir [64];
    char path [96];
    fake_t fake;
    ep_live_plane_t *plane;
    int64_t wall_ms, mono_ms;
    seen_t seen [S_SEEN];
    size_t n_seen;
} fixture_t;

static void
s_emit (void *arg, const ep_dispatch_t *dispatch, ep_report_t *report)
{
    (void) dispatch;
    fixture_t *fixture = arg;
    assert_true (fixture->n_seen < S_SEEN);
    seen_t *seen = &fixture->seen [fixture->n_seen++];
    seen->status = report->status;
    seen->failure = report->failure;
    seen->terminal = report->terminal;
    snprintf (seen->reason, sizeof seen->reason, "%s", report->reason ? report->reason : "");
    snprintf (seen->intent_id, sizeof seen->intent_id, "%s", report->intent_id);
    snprintf (seen->target_intent_id, sizeof seen->target_intent_id, "%s",
              report->target_intent_id ? report->target_intent_id : "");
    seen->filled_qty_e8 = report->filled_qty_e8;
    seen->n_fills = report->n_fills;
    seen->reconciled = report->reconciled;
    seen->first_fill = report->first_fill;
    seen->fill_qty_e8 = report->n_fills ? report->fills [0]->qty_e8 : 0;
}

static int64_t
s_wall (void *arg)
{
    return ((fixture_t *) arg)->wall_ms;
}

static int64_t
s_mono (void *arg)
{
    return ((fixture_t *) arg)->mono_ms;
}

static void
s_plane_start (fixture_t *fixture)
{
    char err [256];
    ep_audit_t *audit = ep_audit_open (fixture->path, err, sizeof err);
    assert_non_null (audit);
    memset (&fixture->fake, 0, sizeof fixture->fake);
    fixture->fake.audit_path = fixture->path;
    ep_venue_t *venue = calloc (1, sizeof *venue);
    assert_non_null (venue);
    venue->name = "fake";
    venue->state = &fixture->fake;
    venue->absence_margin_ms = 5000;
    venue->prepare = s_fake_prepare;
    venue->prepare_change = s_fake_prepare_change;
    venue->send = s_fake_send;
    venue->destroy = s_fake_destroy;
    ep_live_plane_config_t config = {
        .venue = venue, .audit = audit, .session = S_SESSION,
        .poll_ms = S_POLL_MS, .timeout_ms = 1000, .emit = s_emit, .emit_arg = fixture,
        .wall_ms = s_wall, .mono_ms = s_mono, .clock_arg = fixture
    };
    fixture->plane = ep_live_plane_new (&config);
    assert_non_null (fixture->plane);
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/ep-live-cancel.XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    snprintf (fixture->path, sizeof fixture->path, "%s/audit.db", fixture->dir);
    fixture->wall_ms = 1700000000000;
    fixture->mono_ms = 1000;
    s_plane_start (fixture);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    ep_live_plane_destroy (&fixture->plane);
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (size_t index = 0; index < 3; index++) {
        char path [128];
        snprintf (path, sizeof path, "%s%s", fixture->path, suffixes [index]);
        unlink (path);
    }
    rmdir (fixture->dir);
    free (fixture);
    return 0;
}

//  A dispatch as the router sends it (heap, as the plane takes it): a
//  LIMIT GTC BUY of qty at price, or a cancel or replace of target.
static ep_dispatch_t *
s_dispatch (const char *intent_id, int action, const char *target, uint64_t router_seq,
            int64_t qty_e8, int64_t price_e8)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) intent_id;
    intent.strategy_id = (char *) "strat-1";
    intent.action = action;
    if (target)
        intent.target_intent_id = (char *) target;
    if (action != EP_ACTION (CANCEL)) {
        intent.symbol = (char *) "BTCUSDT";
        intent.side = EP_SIDE (BUY);
        intent.type = EP_TYPE (LIMIT);
        intent.tif = EP_TIF (GTC);
        intent.qty_e8 = qty_e8;
        intent.limit_price_e8 = price_e8;
    }
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.plane = EP_PLANE (LIVE);
    dispatch.intent = &intent;
    dispatch.router_seq = router_seq;
    dispatch.target_router_seq = target ? 7 : 0;
    dispatch.worker_session = (char *) S_SESSION;
    dispatch.router_boot = (char *) "boot-1";
    uint8_t data [1024];
    size_t size = execplane__v1__dispatch__pack (&dispatch, data);
    ep_dispatch_t *copy = execplane__v1__dispatch__unpack (NULL, size, data);
    assert_non_null (copy);
    return copy;
}

static void
s_take_answer (fixture_t *fixture)
{
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, S_WAIT_MS), EP_LIVE_OK);
}

static const char *
s_client_id (const char *intent_id)
{
    static char id [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id ("strat-1", intent_id, id);
    return id;
}

//  order-1 is placed and rests at the venue (router_seq 7).
static void
s_order_rests (fixture_t *fixture)
{
    s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("order-1", EP_ACTION (PLACE), NULL,
                                                          7, S_QTY, S_PRICE)), EP_LIVE_OK);
    s_take_answer (fixture);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    fixture->n_seen = 0;
}

//  The cancel cancel-1 of order-1 is dispatched (router_seq 8).
static void
s_cancel (fixture_t *fixture, const char *cancel_id)
{
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch (cancel_id, EP_ACTION (CANCEL),
                                                          "order-1", 8, 0, 0)), EP_LIVE_OK);
}

//  The replace replace-1 of order-1 into qty at price (router_seq 9).
static void
s_replace (fixture_t *fixture, int64_t qty_e8, int64_t price_e8)
{
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("replace-1", EP_ACTION (REPLACE),
                                                          "order-1", 9, qty_e8, price_e8)),
                      EP_LIVE_OK);
}

//  The report of intent_id among those seen, the last one; NULL if none.
static const seen_t *
s_report_of (const fixture_t *fixture, const char *intent_id)
{
    const seen_t *found = NULL;
    for (size_t index = 0; index < fixture->n_seen; index++)
        if (strcmp (fixture->seen [index].intent_id, intent_id) == 0)
            found = &fixture->seen [index];
    return found;
}

//  How many attempts of kind the audit holds for intent_id.
static int
s_attempts (fixture_t *fixture, int kind, const char *intent_id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT count(*) FROM attempts WHERE kind = ?"
                                          " AND intent_id = ?", -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_int (stmt, 1, kind);
    sqlite3_bind_text (stmt, 2, intent_id, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int count = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return count;
}

//  ---------------------------------------------------------------------
//  Cancels

static void
test_cancel_is_in_the_audit_before_it_is_sent_and_ends_both (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (fixture->fake.ops [1], EP_VENUE_CANCEL);
    assert_string_equal (fixture->fake.targets [1], s_client_id ("order-1"));
    //  The cancel's row was committed, without a result, while it was sent
    assert_int_equal (fixture->fake.unfinished [1], 1);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_CANCEL, "cancel-1"), 1);

    const seen_t *target = s_report_of (fixture, "order-1");
    assert_non_null (target);
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_true (target->terminal);
    assert_non_null (strstr (target->reason, "canceled by intent cancel-1"));
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_non_null (cancel);
    assert_int_equal (cancel->status, EP_STATUS (CANCELED));
    assert_int_equal (cancel->failure, EP_FAILURE (FAILURE_NONE));
    assert_true (cancel->terminal);
    assert_string_equal (cancel->target_intent_id, "order-1");
    //  The target is followed no more
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
}

static void
test_cancel_caused_by_a_plane_command_names_it (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, 0);
    ep_dispatch_t *dispatch = s_dispatch ("router-cancel-1", EP_ACTION (CANCEL), "order-1", 8,
                                          0, 0);
    dispatch->cause = strdup ("cancel-all by ops: end of day");
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, dispatch), EP_LIVE_OK);
    s_take_answer (fixture);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_non_null (strstr (target->reason, "cancel-all by ops: end of day"));
    assert_int_equal (s_report_of (fixture, "router-cancel-1")->status, EP_STATUS (CANCELED));
}

static void
test_cancel_keeps_the_fills_of_its_target (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, 40000000);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_int_equal (target->filled_qty_e8, 40000000);
    assert_int_equal (target->n_fills, 1);
}

static void
test_cancel_is_never_sent_twice (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (SEND_UNKNOWN), false, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    //  The same cancel again: the audit refuses a second attempt
    s_cancel (fixture, "cancel-1");
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_CANCEL, "cancel-1"), 1);
}

static void
test_unknown_answer_to_a_cancel_leaves_the_target_followed (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (SEND_UNKNOWN), false, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (UNKNOWN));
    assert_int_equal (cancel->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_true (cancel->terminal);
    assert_null (s_report_of (fixture, "order-1"));
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    //  Its own stream tells: the next status query finds it canceled
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, 0);
    fixture->mono_ms += S_POLL_MS;
    ep_live_plane_tick (fixture->plane);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.ops [2], EP_VENUE_QUERY);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_true (target->terminal);
    //  Nothing was sent again
    assert_int_equal (s_attempts (fixture, EP_AUDIT_CANCEL, "cancel-1"), 1);
}

static void
test_unknown_order_on_cancel_is_too_late_once_a_query_shows_it_filled (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);            //  -2011: proof of nothing yet
    assert_null (s_report_of (fixture, "cancel-1"));
    s_take_answer (fixture);            //  the query
    assert_int_equal (fixture->fake.sends, 3);
    assert_int_equal (fixture->fake.ops [2], EP_VENUE_QUERY);
    assert_string_equal (fixture->fake.targets [2], s_client_id ("order-1"));
    //  The query is written down as the cancel's
    assert_int_equal (s_attempts (fixture, EP_AUDIT_QUERY, "cancel-1"), 1);
    //  The target's real final state, with its fills
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (FILLED));
    assert_true (target->terminal);
    assert_int_equal (target->filled_qty_e8, S_QTY);
    assert_int_equal (target->n_fills, 1);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (TOO_LATE));
    assert_true (cancel->terminal);
    assert_string_equal (cancel->target_intent_id, "order-1");
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
}

static void
test_unknown_order_on_cancel_is_unknown_while_the_venue_cannot_tell (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    ep_venue_result_t *absent = s_answer_failure (&fixture->fake,
                                                  EP_STATUS (STATUS_UNSPECIFIED),
                                                  EP_FAILURE (FAILURE_NONE), false, -2013);
    absent->absent = true;
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    s_take_answer (fixture);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (UNKNOWN));
    assert_int_equal (cancel->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_null (s_report_of (fixture, "order-1"));
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    assert_int_equal (fixture->fake.sends, 3);
}

static void
test_target_ended_by_its_own_query_meanwhile_is_reported_once (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    //  The cancel is in flight when a status query falls due: it waits
    //  behind; the venue says -2011, and that query finds the order filled
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    s_cancel (fixture, "cancel-1");
    fixture->mono_ms += S_POLL_MS;
    ep_live_plane_tick (fixture->plane);
    s_take_answer (fixture);            //  the cancel: -2011
    s_take_answer (fixture);            //  the due query: FILLED
    s_take_answer (fixture);            //  the cancel's query: FILLED
    assert_int_equal (fixture->fake.sends, 4);
    size_t terminal = 0;
    for (size_t index = 0; index < fixture->n_seen; index++)
        if (strcmp (fixture->seen [index].intent_id, "order-1") == 0
        &&  fixture->seen [index].terminal)
            terminal++;
    assert_int_equal (terminal, 1);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (TOO_LATE));
}

static void
test_cancel_of_an_order_that_ended_is_too_late_and_not_sent (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("order-1", EP_ACTION (PLACE), NULL,
                                                          7, S_QTY, S_PRICE)), EP_LIVE_OK);
    s_take_answer (fixture);
    s_cancel (fixture, "cancel-1");
    assert_int_equal (fixture->fake.sends, 1);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (TOO_LATE));
}

static void
test_cancel_left_without_answer_is_unknown_after_a_restart (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    //  The cancel is sent; the worker dies before its answer is written
    s_cancel (fixture, "cancel-1");
    ep_live_plane_destroy (&fixture->plane);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fixture->path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "UPDATE attempts SET finished_us = NULL WHERE kind = 3",
                                    NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    fixture->n_seen = 0;
    s_plane_start (fixture);
    ep_live_plane_recover (fixture->plane);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_non_null (cancel);
    assert_int_equal (cancel->status, EP_STATUS (UNKNOWN));
    assert_int_equal (cancel->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_string_equal (cancel->target_intent_id, "order-1");
    //  Never sent again; the target is followed again
    assert_int_equal (fixture->fake.sends, 0);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
}

//  ---------------------------------------------------------------------
//  Replaces

static void
test_replace_at_another_price_is_a_cancel_replace (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    ep_venue_result_t *answer = s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0);
    answer->target_known = true;
    answer->target_status = EP_STATUS (CANCELED);
    snprintf (answer->target_venue_status, sizeof answer->target_venue_status, "CANCELED");
    s_replace (fixture, S_QTY, S_PRICE - 100000000);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.ops [1], EP_VENUE_CANCEL_REPLACE);
    assert_string_equal (fixture->fake.targets [1], s_client_id ("order-1"));
    assert_int_equal (fixture->fake.unfinished [1], 1);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_non_null (strstr (target->reason, "replaced by intent replace-1"));
    const seen_t *replace = s_report_of (fixture, "replace-1");
    assert_int_equal (replace->status, EP_STATUS (ACCEPTED));
    assert_false (replace->terminal);
    assert_string_equal (replace->target_intent_id, "order-1");
    //  The new order is followed under the replace; the target no more
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_REPLACE, "replace-1"), 1);
}

static void
test_replace_with_only_a_lower_quantity_amends (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    ep_venue_result_t *answer = s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0);
    answer->target_known = true;
    answer->target_status = EP_STATUS (CANCELED);
    s_replace (fixture, S_QTY / 2, S_PRICE);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.ops [1], EP_VENUE_AMEND);
    assert_int_equal (s_report_of (fixture, "order-1")->status, EP_STATUS (CANCELED));
    assert_int_equal (s_report_of (fixture, "replace-1")->status, EP_STATUS (ACCEPTED));
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
}

static void
test_replace_whose_cancel_part_fails_places_nothing (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    //  The venue did not cancel (not -2011): nothing placed, target open
    s_answer_failure (&fixture->fake, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                      -2022);
    s_replace (fixture, S_QTY, S_PRICE - 100000000);
    s_take_answer (fixture);
    const seen_t *replace = s_report_of (fixture, "replace-1");
    assert_int_equal (replace->status, EP_STATUS (REJECTED));
    assert_true (replace->terminal);
    assert_null (s_report_of (fixture, "order-1"));
    //  Only the target is followed: no new order
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    assert_int_equal (fixture->fake.sends, 2);
}

static void
test_replace_of_an_order_that_filled_meanwhile_is_too_late (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    ep_venue_result_t *answer = s_answer_failure (&fixture->fake, EP_STATUS (REJECTED),
                                                  EP_FAILURE (VENUE_REJECTED), true, -2021);
    answer->target_code = -2011;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    s_replace (fixture, S_QTY, S_PRICE - 100000000);
    s_take_answer (fixture);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.ops [2], EP_VENUE_QUERY);
    assert_int_equal (s_report_of (fixture, "order-1")->status, EP_STATUS (FILLED));
    const seen_t *replace = s_report_of (fixture, "replace-1");
    assert_int_equal (replace->status, EP_STATUS (REJECTED));
    assert_int_equal (replace->failure, EP_FAILURE (TOO_LATE));
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
}

//  ---------------------------------------------------------------------
//  Cancels of an order that ended UNKNOWN (its answer was lost)

//  order-1 is sent and the venue's answer is lost: UNKNOWN, not followed.
static void
s_order_unknown (fixture_t *fixture)
{
    s_answer_failure (&fixture->fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, 0);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("order-1", EP_ACTION (PLACE), NULL,
                                                          7, S_QTY, S_PRICE)), EP_LIVE_OK);
    s_take_answer (fixture);
    assert_int_equal (s_report_of (fixture, "order-1")->status, EP_STATUS (UNKNOWN));
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
    fixture->n_seen = 0;
}

static void
test_cancel_of_an_order_that_ended_unknown_is_sent_and_cancels_it (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    //  Sent once, by the target's client order id, written down first
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (fixture->fake.ops [1], EP_VENUE_CANCEL);
    assert_string_equal (fixture->fake.targets [1], s_client_id ("order-1"));
    assert_int_equal (fixture->fake.unfinished [1], 1);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_CANCEL, "cancel-1"), 1);
    //  The target ends CANCELED, told as a reconciliation
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_non_null (target);
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_true (target->terminal);
    assert_true (target->reconciled);
    assert_non_null (strstr (target->reason, "canceled by intent cancel-1"));
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (CANCELED));
    assert_int_equal (cancel->failure, EP_FAILURE (FAILURE_NONE));
    assert_true (cancel->terminal);
    assert_int_equal (fixture->n_seen, 2);
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
    //  The same cancel again is never sent twice
    s_cancel (fixture, "cancel-1");
    assert_int_equal (fixture->fake.sends, 2);
}

static void
test_cancel_of_an_order_that_ended_unknown_keeps_what_the_venue_says_it_filled (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, S_QTY / 4);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_int_equal (target->filled_qty_e8, S_QTY / 4);
    assert_int_equal (target->n_fills, 1);
}

//  The router's fills of the order came with the cancel: only the rest is
//  a new fill.
static void
test_cancel_of_an_order_that_ended_unknown_tells_only_fills_the_router_lacks (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (CANCELED), true, S_QTY / 2);
    ep_dispatch_t *dispatch = s_dispatch ("cancel-1", EP_ACTION (CANCEL), "order-1", 8, 0, 0);
    dispatch->known_filled_qty_e8 = S_QTY / 4;
    dispatch->known_avg_price_e8 = S_PRICE;
    dispatch->known_fills = 1;
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, dispatch), EP_LIVE_OK);
    s_take_answer (fixture);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (CANCELED));
    assert_int_equal (target->filled_qty_e8, S_QTY / 2);
    assert_int_equal (target->n_fills, 1);
    assert_int_equal (target->first_fill, 1);
    assert_int_equal (target->fill_qty_e8, S_QTY / 4);
}

static void
test_cancel_of_an_order_that_ended_unknown_finds_it_filled_after_2011 (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, S_QTY);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);            //  -2011: proof of nothing yet
    assert_null (s_report_of (fixture, "cancel-1"));
    s_take_answer (fixture);            //  one query, written down as the cancel's
    assert_int_equal (fixture->fake.sends, 3);
    assert_int_equal (fixture->fake.ops [2], EP_VENUE_QUERY);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_QUERY, "cancel-1"), 1);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (FILLED));
    assert_true (target->reconciled);
    assert_int_equal (target->filled_qty_e8, S_QTY);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (TOO_LATE));
    assert_non_null (strstr (cancel->reason, "FILLED"));
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
}

//  The venue knows no such order: -2011 on the cancel, "does not exist"
//  on the query; within the absence margin after the attempt, or past it.
static void
s_venue_has_none (fixture_t *fixture, int64_t later_ms)
{
    s_order_unknown (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    ep_venue_result_t *absent = s_answer_failure (&fixture->fake,
                                                  EP_STATUS (STATUS_UNSPECIFIED),
                                                  EP_FAILURE (FAILURE_NONE), false, -2013);
    absent->absent = true;
    fixture->wall_ms += later_ms;
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.sends, 3);
}

static void
test_cancel_of_an_order_that_ended_unknown_is_too_late_once_the_venue_surely_has_none (
    void **state)
{
    fixture_t *fixture = *state;
    s_venue_has_none (fixture, 60000);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (TOO_LATE));
    assert_non_null (strstr (cancel->reason, "the venue has no order"));
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_non_null (target);
    assert_int_equal (target->status, EP_STATUS (FAILED));
    assert_int_equal (target->failure, EP_FAILURE (NOT_SENT));
    assert_true (target->reconciled);
}

static void
test_cancel_of_an_order_that_ended_unknown_is_unknown_within_the_absence_margin (void **state)
{
    fixture_t *fixture = *state;
    s_venue_has_none (fixture, 1000);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (UNKNOWN));
    assert_int_equal (cancel->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_null (s_report_of (fixture, "order-1"));
}

static void
test_cancel_of_an_order_that_ended_unknown_and_still_rests_follows_it_again (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_REJECTED), false, -2011);
    s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    s_take_answer (fixture);
    const seen_t *target = s_report_of (fixture, "order-1");
    assert_int_equal (target->status, EP_STATUS (ACCEPTED));
    assert_false (target->terminal);
    assert_true (target->reconciled);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (REJECTED));
    assert_int_equal (cancel->failure, EP_FAILURE (VENUE_REJECTED));
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
}

static void
test_unknown_answer_to_the_cancel_of_an_order_that_ended_unknown_is_unknown (void **state)
{
    fixture_t *fixture = *state;
    s_order_unknown (fixture);
    s_answer_failure (&fixture->fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true, 0);
    s_cancel (fixture, "cancel-1");
    s_take_answer (fixture);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (UNKNOWN));
    assert_int_equal (cancel->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_non_null (strstr (cancel->reason, "reconcile"));
    assert_null (s_report_of (fixture, "order-1"));
    assert_int_equal (fixture->fake.sends, 2);
}

static void
test_cancel_past_its_not_after_is_not_sent (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    ep_dispatch_t *dispatch = s_dispatch ("cancel-1", EP_ACTION (CANCEL), "order-1", 8, 0, 0);
    dispatch->not_after_ms = fixture->wall_ms - 1;
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, dispatch), EP_LIVE_OK);
    assert_int_equal (fixture->fake.sends, 1);
    assert_int_equal (s_attempts (fixture, EP_AUDIT_CANCEL, "cancel-1"), 0);
    const seen_t *cancel = s_report_of (fixture, "cancel-1");
    assert_int_equal (cancel->status, EP_STATUS (FAILED));
    assert_int_equal (cancel->failure, EP_FAILURE (NOT_SENT));
    assert_non_null (strstr (cancel->reason, "its time to be sent ended"));
    assert_null (s_report_of (fixture, "order-1"));
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
}

static void
test_replace_of_another_symbol_is_refused_unsent (void **state)
{
    fixture_t *fixture = *state;
    s_order_rests (fixture);
    ep_dispatch_t *dispatch = s_dispatch ("replace-1", EP_ACTION (REPLACE), "order-1", 9,
                                          S_QTY, S_PRICE);
    free (dispatch->intent->symbol);
    dispatch->intent->symbol = strdup ("ETHUSDT");
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, dispatch), EP_LIVE_OK);
    assert_int_equal (fixture->fake.sends, 1);
    const seen_t *replace = s_report_of (fixture, "replace-1");
    assert_int_equal (replace->status, EP_STATUS (REJECTED));
    assert_int_equal (replace->failure, EP_FAILURE (INVALID_INTENT));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_cancel_is_in_the_audit_before_it_is_sent_and_ends_both),
        S_TEST (test_cancel_caused_by_a_plane_command_names_it),
        S_TEST (test_cancel_keeps_the_fills_of_its_target),
        S_TEST (test_cancel_is_never_sent_twice),
        S_TEST (test_unknown_answer_to_a_cancel_leaves_the_target_followed),
        S_TEST (test_unknown_order_on_cancel_is_too_late_once_a_query_shows_it_filled),
        S_TEST (test_unknown_order_on_cancel_is_unknown_while_the_venue_cannot_tell),
        S_TEST (test_target_ended_by_its_own_query_meanwhile_is_reported_once),
        S_TEST (test_cancel_of_an_order_that_ended_is_too_late_and_not_sent),
        S_TEST (test_cancel_left_without_answer_is_unknown_after_a_restart),
        S_TEST (test_replace_at_another_price_is_a_cancel_replace),
        S_TEST (test_replace_with_only_a_lower_quantity_amends),
        S_TEST (test_replace_whose_cancel_part_fails_places_nothing),
        S_TEST (test_replace_of_an_order_that_filled_meanwhile_is_too_late),
        S_TEST (test_replace_of_another_symbol_is_refused_unsent),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_is_sent_and_cancels_it),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_keeps_what_the_venue_says_it_filled),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_tells_only_fills_the_router_lacks),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_finds_it_filled_after_2011),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_is_too_late_once_the_venue_surely_has_none),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_is_unknown_within_the_absence_margin),
        S_TEST (test_cancel_of_an_order_that_ended_unknown_and_still_rests_follows_it_again),
        S_TEST (test_unknown_answer_to_the_cancel_of_an_order_that_ended_unknown_is_unknown),
        S_TEST (test_cancel_past_its_not_after_is_not_sent),
#undef S_TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
