/*  test_live_plane: the live plane against an in-process fake venue (an
    ep_venue_t in this file, no HTTP), a real audit in a private folder,
    and clocks the test sets. The plane's sender thread performs each
    request; the test takes each answer with ep_live_plane_on_answer, a
    blocking receive, so nothing here waits on time.  */
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
#include "ep_live_fills.h"
#include "ep_live_jobs.h"
#include "ep_live_plane.h"

#define S_SESSION   "session-a"
#define S_OTHER     "session-b"
#define S_POLL_MS   100
#define S_MARGIN_MS 5000            //  the fake venue's absence margin
#define S_WINDOW_MS 1000            //  the fake venue's recvWindow
#define S_WAIT_MS   10000           //  an answer the sender owes: never reached when all is well
#define S_ANSWERS   8
#define S_SEEN      16

//  ---------------------------------------------------------------------
//  The fake venue: scripted answers, and what it saw

typedef struct {
    const char *audit_path;             //  read at each send, on its own connection
    bool refuse;                        //  prepare fails: the intent cannot be expressed
    ep_venue_result_t answers [S_ANSWERS];  //  given in order (fills by reference)
    size_t n_answers;
    size_t next;                        //  the next answer to give
    int sends;                          //  requests performed
    ep_venue_op_t ops [S_SEEN];         //  what each asked
    int64_t windows [S_SEEN];           //  the venue's guard each carried (recvWindow)
    int unfinished [S_SEEN];            //  its audit rows without result, when it was sent
} fake_t;

//  Attempt rows of client_order_id with no result yet, read as another
//  process would.
static int
s_unfinished_rows (const char *path, const char *client_order_id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int count = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
    &&  sqlite3_prepare_v2 (db, "SELECT count(*) FROM attempts WHERE client_order_id = ?"
                            " AND finished_us IS NULL", -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            count = sqlite3_column_int (stmt, 0);
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return count;
}

static int
s_fake_prepare (ep_venue_t *self, ep_venue_op_t op, const ep_intent_t *intent,
                const char *client_order_id, int64_t now_ms, int64_t window_ms,
                ep_venue_request_t *request)
{
    fake_t *fake = self->state;
    memset (request, 0, sizeof *request);
    request->op = op;
    if (fake->refuse) {
        snprintf (request->params, sizeof request->params, "no such market here");
        return -1;
    }
    snprintf (request->method, sizeof request->method, op == EP_VENUE_SUBMIT ? "POST" : "GET");
    snprintf (request->path, sizeof request->path, "/order");
    snprintf (request->client_order_id, sizeof request->client_order_id, "%s", client_order_id);
    snprintf (request->symbol, sizeof request->symbol, "%s", intent->symbol);
    snprintf (request->params, sizeof request->params, "symbol=%s&id=%s", intent->symbol,
              client_order_id);
    request->timestamp_ms = now_ms;
    request->recv_window_ms = window_ms > 0 && window_ms < S_WINDOW_MS ? window_ms : S_WINDOW_MS;
    request->qty_e8 = intent->qty_e8;
    return 0;
}

//  On the sender thread: notes what it was asked, then answers.
static void
s_fake_send (ep_venue_t *self, const ep_venue_request_t *request, ep_venue_result_t *result)
{
    fake_t *fake = self->state;
    if (fake->sends < S_SEEN) {
        fake->ops [fake->sends] = request->op;
        fake->windows [fake->sends] = request->recv_window_ms;
        fake->unfinished [fake->sends] = s_unfinished_rows (fake->audit_path,
                                                            request->client_order_id);
    }
    fake->sends++;
    if (fake->next >= fake->n_answers) {
        result->status = EP_STATUS (UNKNOWN);
        result->failure = EP_FAILURE (SEND_UNKNOWN);
        result->terminal = true;
        snprintf (result->reason, sizeof result->reason, "the script has no answer");
        return;
    }
    const ep_venue_result_t *answer = &fake->answers [fake->next++];
    *result = *answer;
    result->body = NULL;
    result->fills = NULL;
    if (answer->fill_count) {
        result->fills = calloc (answer->fill_count, sizeof *result->fills);
        memcpy (result->fills, answer->fills, answer->fill_count * sizeof *result->fills);
    }
}

static void
s_fake_destroy (ep_venue_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

static ep_venue_t *
s_fake_new (fake_t *fake)
{
    ep_venue_t *venue = calloc (1, sizeof *venue);
    assert_non_null (venue);
    venue->name = "fake";
    venue->state = fake;
    venue->absence_margin_ms = S_MARGIN_MS;
    venue->prepare = s_fake_prepare;
    venue->send = s_fake_send;
    venue->destroy = s_fake_destroy;
    return venue;
}

//  Scripts the next answer: an order's state at the venue.
static void
s_answer_order (fake_t *fake, int status, bool terminal, int64_t executed_e8, int64_t quote_e8)
{
    assert_true (fake->n_answers < S_ANSWERS);
    ep_venue_result_t *answer = &fake->answers [fake->n_answers++];
    memset (answer, 0, sizeof *answer);
    answer->http_status = 200;
    answer->status = status;
    answer->failure = EP_FAILURE (FAILURE_NONE);
    answer->terminal = terminal;
    answer->orig_qty_e8 = 100000000;
    answer->executed_qty_e8 = executed_e8;
    answer->cum_quote_e8 = quote_e8;
    snprintf (answer->venue_order_id, sizeof answer->venue_order_id, "4242");
    snprintf (answer->reason, sizeof answer->reason, "venue says %d", status);
}

//  Scripts the next answer: a classified failure, or no news (status
//  STATUS_UNSPECIFIED, not terminal), absent if the venue said it has no
//  such order.
static void
s_answer_failure (fake_t *fake, int status, int failure, bool terminal, bool absent)
{
    assert_true (fake->n_answers < S_ANSWERS);
    ep_venue_result_t *answer = &fake->answers [fake->n_answers++];
    memset (answer, 0, sizeof *answer);
    answer->status = status;
    answer->failure = failure;
    answer->terminal = terminal;
    answer->absent = absent;
    snprintf (answer->reason, sizeof answer->reason, "scripted %d/%d", status, failure);
}

//  ---------------------------------------------------------------------
//  The fixture: a plane, its audit, its clocks, the reports it made

typedef struct {
    int status, failure;
    bool terminal, reconciled;
    char reason [512];
    char intent_id [32];
    int64_t filled_qty_e8, avg_price_e8, net_filled_qty_e8;
    uint32_t first_fill;
    size_t n_fills;
    char fill_ids [4][80];
    int64_t fill_qty_e8 [4];
    int64_t fill_fee_e8 [4];
    char fill_fee_asset [4][16];
} seen_t;

typedef struct {
    char dir [64];                      //  a private folder
    char path [96];                     //  the audit in it
    fake_t fake;
    ep_live_plane_t *plane;
    int64_t wall_ms, mono_ms;           //  the clocks the plane reads
    seen_t seen [S_SEEN];               //  the reports, in order
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
    seen->reconciled = report->reconciled;
    snprintf (seen->reason, sizeof seen->reason, "%s", report->reason ? report->reason : "");
    snprintf (seen->intent_id, sizeof seen->intent_id, "%s", report->intent_id);
    seen->filled_qty_e8 = report->filled_qty_e8;
    seen->net_filled_qty_e8 = report->net_filled_qty_e8;
    seen->avg_price_e8 = report->avg_price_e8;
    seen->first_fill = report->first_fill;
    seen->n_fills = report->n_fills;
    for (size_t i = 0; i < report->n_fills && i < 4; i++) {
        snprintf (seen->fill_ids [i], sizeof seen->fill_ids [i], "%s", report->fills [i]->fill_id);
        seen->fill_qty_e8 [i] = report->fills [i]->qty_e8;
        seen->fill_fee_e8 [i] = report->fills [i]->fee_e8;
        snprintf (seen->fill_fee_asset [i], sizeof seen->fill_fee_asset [i], "%s",
                  report->fills [i]->fee_asset);
    }
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

//  A plane on the fixture's audit with a fresh fake venue.
static void
s_plane_start (fixture_t *fixture)
{
    char err [256];
    ep_audit_t *audit = ep_audit_open (fixture->path, err, sizeof err);
    assert_non_null (audit);
    memset (&fixture->fake, 0, sizeof fixture->fake);
    fixture->fake.audit_path = fixture->path;
    ep_live_plane_config_t config = {
        .venue = s_fake_new (&fixture->fake), .audit = audit, .session = S_SESSION,
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
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/ep-live-plane.XXXXXX");
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

//  A dispatch of intent_id to session, as the router sends it (heap, as
//  the plane takes it).
static ep_dispatch_t *
s_dispatch (const char *intent_id, const char *session, bool reconcile, int64_t not_after_ms)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) intent_id;
    intent.strategy_id = (char *) "strat-1";
    intent.symbol = (char *) "BTCUSDT";
    intent.side = EP_SIDE (BUY);
    intent.type = EP_TYPE (LIMIT);
    intent.tif = EP_TIF (GTC);
    intent.qty_e8 = 100000000;
    intent.limit_price_e8 = 5000000000000;
    ep_dispatch_t dispatch;
    execplane__v1__dispatch__init (&dispatch);
    dispatch.plane = EP_PLANE (LIVE);
    dispatch.intent = &intent;
    dispatch.router_seq = 7;
    dispatch.worker_session = (char *) session;
    dispatch.reconcile = reconcile;
    dispatch.not_after_ms = not_after_ms;
    dispatch.router_boot = (char *) "boot-1";
    uint8_t data [1024];
    size_t size = execplane__v1__dispatch__pack (&dispatch, data);
    ep_dispatch_t *copy = execplane__v1__dispatch__unpack (NULL, size, data);
    assert_non_null (copy);
    return copy;
}

//  Dispatches intent_id to this plane's session; it is queued.
static void
s_submit (fixture_t *fixture, const char *intent_id)
{
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch (intent_id, S_SESSION, false, 0)),
                      EP_LIVE_OK);
}

//  Takes the answer to the request in flight, which the sender owes.
static void
s_take_answer (fixture_t *fixture)
{
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, S_WAIT_MS), EP_LIVE_OK);
}

//  The client order id the plane uses for intent_id.
static const char *
s_client_id (const char *intent_id)
{
    static char id [EP_VENUE_CLIENT_ID_MAX + 1];
    ep_venue_client_order_id ("strat-1", intent_id, id);
    return id;
}

//  The status and failure the audit holds for the submission of intent_id.
static void
s_audit_result (fixture_t *fixture, const char *intent_id, int *status, int *failure)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT status, failure FROM attempts"
                                          " WHERE client_order_id = ? AND kind = 1"
                                          " AND finished_us IS NOT NULL", -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_text (stmt, 1, s_client_id (intent_id), -1, SQLITE_TRANSIENT);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    *status = sqlite3_column_int (stmt, 0);
    *failure = sqlite3_column_int (stmt, 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

//  ---------------------------------------------------------------------
//  Submissions

static void
test_submission_is_in_the_audit_before_it_is_sent (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.sends, 1);
    assert_int_equal (fixture->fake.ops [0], EP_VENUE_SUBMIT);
    //  Committed, and without a result, while the venue had the request
    assert_int_equal (fixture->fake.unfinished [0], 1);
}

static void
test_result_is_written_to_the_audit_and_reported (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    int status, failure;
    s_audit_result (fixture, "intent-1", &status, &failure);
    assert_int_equal (status, EP_STATUS (FILLED));
    assert_int_equal (failure, EP_FAILURE (FAILURE_NONE));
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (FILLED));
    assert_true (fixture->seen [0].terminal);
    assert_int_equal (fixture->seen [0].filled_qty_e8, 100000000);
    assert_int_equal (fixture->seen [0].avg_price_e8, 5000000000000);
    //  Terminal: nothing is followed
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
}

static void
test_failure_is_reported_as_classified_and_never_retried (void **state)
{
    fixture_t *fixture = *state;
    s_answer_failure (&fixture->fake, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true, false);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (FAILED));
    assert_int_equal (fixture->seen [0].failure, EP_FAILURE (NOT_SENT));
    assert_true (fixture->seen [0].terminal);
    //  Time passes: nothing is asked again
    fixture->mono_ms += 10 * S_POLL_MS;
    ep_live_plane_tick (fixture->plane);
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fixture->fake.sends, 1);
}

static void
test_the_same_intent_is_never_sent_twice (void **state)
{
    fixture_t *fixture = *state;
    s_answer_failure (&fixture->fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                      false);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    //  The router dispatches it again: the audit refuses the second attempt
    s_submit (fixture, "intent-1");
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fixture->fake.sends, 1);
    assert_int_equal (fixture->n_seen, 1);
}

static void
test_unknown_answer_is_reported_unknown (void **state)
{
    fixture_t *fixture = *state;
    s_answer_failure (&fixture->fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                      false);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (UNKNOWN));
    assert_int_equal (fixture->seen [0].failure, EP_FAILURE (SEND_UNKNOWN));
    assert_true (fixture->seen [0].terminal);
    assert_false (fixture->seen [0].reconciled);
}

static void
test_intent_the_venue_cannot_express_is_rejected_unsent (void **state)
{
    fixture_t *fixture = *state;
    fixture->fake.refuse = true;
    s_submit (fixture, "intent-1");
    assert_int_equal (fixture->fake.sends, 0);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (REJECTED));
    assert_int_equal (fixture->seen [0].failure, EP_FAILURE (INVALID_INTENT));
    assert_non_null (strstr (fixture->seen [0].reason, "no such market here"));
}

static void
test_submission_past_its_not_after_is_not_sent (void **state)
{
    fixture_t *fixture = *state;
    ep_dispatch_t *late = s_dispatch ("intent-1", S_SESSION, false, fixture->wall_ms - 1);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, late), EP_LIVE_OK);
    assert_int_equal (fixture->fake.sends, 0);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (FAILED));
    assert_int_equal (fixture->seen [0].failure, EP_FAILURE (NOT_SENT));
    assert_non_null (strstr (fixture->seen [0].reason, "its time to be sent ended"));
}

//  A submission close to its not_after_ms carries the venue's guard for
//  the time left, so the venue no longer takes it once the router may
//  have published its UNKNOWN; one far from it, the venue's own window.
static void
test_submission_carries_the_time_left_as_the_venues_guard (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    ep_dispatch_t *close = s_dispatch ("intent-1", S_SESSION, false, fixture->wall_ms + 400);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, close), EP_LIVE_OK);
    s_take_answer (fixture);
    ep_dispatch_t *far = s_dispatch ("intent-2", S_SESSION, false, fixture->wall_ms + 60000);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, far), EP_LIVE_OK);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (fixture->fake.windows [0], 400);
    assert_int_equal (fixture->fake.windows [1], S_WINDOW_MS);
}

static void
test_after_a_429_nothing_is_sent_until_retry_after_and_what_cannot_wait_is_rate_limited (
    void **state)
{
    fixture_t *fixture = *state;
    s_answer_failure (&fixture->fake, EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true,
                      false);
    fixture->fake.answers [0].http_status = 429;
    fixture->fake.answers [0].venue_code = -1003;
    fixture->fake.answers [0].retry_after_s = 7;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    //  Its time to be sent ends inside the wait: reported, never sent
    ep_dispatch_t *short_lived = s_dispatch ("intent-2", S_SESSION, false,
                                             fixture->wall_ms + 3000);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, short_lived), EP_LIVE_OK);
    assert_int_equal (fixture->n_seen, 2);
    assert_int_equal (fixture->seen [1].status, EP_STATUS (REJECTED));
    assert_int_equal (fixture->seen [1].failure, EP_FAILURE (RATE_LIMITED));
    assert_true (fixture->seen [1].terminal);
    assert_non_null (strstr (fixture->seen [1].reason, "429"));
    assert_non_null (strstr (fixture->seen [1].reason, "holds requests until"));
    //  One that may wait waits, queued, until Retry-After has passed
    ep_dispatch_t *patient = s_dispatch ("intent-3", S_SESSION, false,
                                         fixture->wall_ms + 60000);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, patient), EP_LIVE_OK);
    fixture->mono_ms += 6999;
    fixture->wall_ms += 6999;
    ep_live_plane_tick (fixture->plane);
    assert_int_equal (ep_live_plane_waiting (fixture->plane), 1);
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    fixture->mono_ms += 1;
    fixture->wall_ms += 1;
    ep_live_plane_tick (fixture->plane);
    assert_int_equal (ep_live_plane_waiting (fixture->plane), 0);
    s_take_answer (fixture);
    //  intent-1 and intent-3 only
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (fixture->seen [fixture->n_seen - 1].status, EP_STATUS (FILLED));
    assert_string_equal (fixture->seen [fixture->n_seen - 1].intent_id, "intent-3");
}

static void
test_a_cancel_overtakes_queued_queries_and_counts_only_what_goes_before_it (void **state)
{
    fixture_t *fixture = *state;
    fake_t fake = { 0 };
    ep_venue_t *venue = s_fake_new (&fake);
    ep_live_jobs_t *jobs = ep_live_jobs_new (venue);
    assert_non_null (jobs);
    ep_audit_kind_t kinds [] = { EP_AUDIT_QUERY, EP_AUDIT_RECONCILE, EP_AUDIT_SUBMIT,
                                 EP_AUDIT_CANCEL, EP_AUDIT_CANCEL };
    size_t ahead [] = { 0, 1, 0, 0, 1 };
    ep_live_job_t *pushed [5];
    for (size_t index = 0; index < 5; index++) {
        pushed [index] = ep_live_job_new (kinds [index],
                                          s_dispatch ("intent-1", S_SESSION, false, 0));
        assert_int_equal (ep_live_jobs_push (jobs, pushed [index]), 0);
        assert_int_equal (pushed [index]->ahead, ahead [index]);
    }
    assert_int_equal (ep_live_jobs_waiting (jobs), 5);
    //  Cancels first, in order; then the submission; then the queries
    size_t order [] = { 3, 4, 2, 0, 1 };
    for (size_t index = 0; index < 5; index++) {
        ep_live_job_t *job = ep_live_jobs_pop (jobs);
        assert_ptr_equal (job, pushed [order [index]]);
        ep_live_job_destroy (&job);
    }
    assert_null (ep_live_jobs_pop (jobs));
    ep_live_jobs_destroy (&jobs);
    ep_venue_destroy (&venue);
    (void) fixture;
}

static void
test_fills_of_a_submission_are_named_by_trade_with_their_fees (void **state)
{
    fixture_t *fixture = *state;
    static ep_venue_fill_t trades [2] = {
        { .qty_e8 = 30000000, .price_e8 = 5000000000000, .trade_id = "11",
          .fee_e8 = 3000, .fee_asset = "BNB" },
        { .qty_e8 = 70000000, .price_e8 = 5000100000000, .trade_id = "12",
          .fee_e8 = 70000, .fee_asset = "BTC" },
    };
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000070000000);
    fixture->fake.answers [0].fills = trades;
    fixture->fake.answers [0].fill_count = 2;
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->seen [0].n_fills, 2);
    char expected [80];
    snprintf (expected, sizeof expected, "%s.11", s_client_id ("intent-1"));
    assert_string_equal (fixture->seen [0].fill_ids [0], expected);
    snprintf (expected, sizeof expected, "%s.12", s_client_id ("intent-1"));
    assert_string_equal (fixture->seen [0].fill_ids [1], expected);
    assert_int_equal (fixture->seen [0].fill_qty_e8 [1], 70000000);
    //  Each trade's fee, in the asset the venue charged it in
    assert_int_equal (fixture->seen [0].fill_fee_e8 [0], 3000);
    assert_string_equal (fixture->seen [0].fill_fee_asset [0], "BNB");
    assert_int_equal (fixture->seen [0].fill_fee_e8 [1], 70000);
    assert_string_equal (fixture->seen [0].fill_fee_asset [1], "BTC");
    //  The BTC fee came out of the BTC bought: received 1 - 0.0007
    assert_int_equal (fixture->seen [0].net_filled_qty_e8, 100000000 - 70000);
}

//  ---------------------------------------------------------------------
//  Following resting orders

//  Lets the poll interval pass and takes the status query it brings.
static void
s_poll (fixture_t *fixture)
{
    fixture->mono_ms += S_POLL_MS;
    ep_live_plane_tick (fixture->plane);
    s_take_answer (fixture);
}

//  An answer the adapter leaves UNKNOWN but not final (Binance's "-2010
//  Duplicate order sent.": the order exists) is reported so, and the order
//  is followed until the venue says how it ended.
static void
test_unknown_answer_that_is_not_final_is_followed (void **state)
{
    fixture_t *fixture = *state;
    fake_t *fake = &fixture->fake;
    s_answer_failure (fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false, false);
    s_answer_order (fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (UNKNOWN));
    assert_false (fixture->seen [0].terminal);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    s_poll (fixture);
    assert_int_equal (fake->ops [1], EP_VENUE_QUERY);
    assert_int_equal (fixture->n_seen, 2);
    assert_int_equal (fixture->seen [1].status, EP_STATUS (FILLED));
    assert_true (fixture->seen [1].terminal);
    assert_int_equal (fixture->seen [1].filled_qty_e8, 100000000);
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
    assert_int_equal (fake->sends, 2);      //  one submission, one query: never sent again
}

static void
test_resting_order_is_followed_until_it_fills_in_parts (void **state)
{
    fixture_t *fixture = *state;
    fake_t *fake = &fixture->fake;
    s_answer_order (fake, EP_STATUS (ACCEPTED), false, 0, 0);
    s_answer_order (fake, EP_STATUS (PARTIALLY_FILLED), false, 40000000, 2000000000000);
    s_answer_order (fake, EP_STATUS (PARTIALLY_FILLED), false, 40000000, 2000000000000);
    s_answer_order (fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    //  Not yet due: nothing is asked
    ep_live_plane_tick (fixture->plane);
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fake->sends, 1);

    s_poll (fixture);                   //  40% filled
    assert_int_equal (fake->ops [1], EP_VENUE_QUERY);
    assert_int_equal (fixture->n_seen, 2);
    seen_t *part = &fixture->seen [1];
    assert_int_equal (part->status, EP_STATUS (PARTIALLY_FILLED));
    assert_int_equal (part->n_fills, 1);
    assert_int_equal (part->first_fill, 0);
    assert_int_equal (part->fill_qty_e8 [0], 40000000);
    assert_non_null (strstr (part->fill_ids [0], ".q1"));

    s_poll (fixture);                   //  no change: no report
    assert_int_equal (fixture->n_seen, 2);

    s_poll (fixture);                   //  the rest
    assert_int_equal (fixture->n_seen, 3);
    seen_t *full = &fixture->seen [2];
    assert_int_equal (full->status, EP_STATUS (FILLED));
    assert_true (full->terminal);
    assert_int_equal (full->filled_qty_e8, 100000000);
    //  Every fill of the order, numbered from the first, each counted once
    assert_int_equal (full->first_fill, 0);
    assert_int_equal (full->n_fills, 2);
    assert_non_null (strstr (full->fill_ids [0], ".q1"));
    assert_non_null (strstr (full->fill_ids [1], ".q2"));
    assert_int_equal (full->fill_qty_e8 [0] + full->fill_qty_e8 [1], 100000000);
    assert_int_equal (ep_live_plane_following (fixture->plane), 0);
    //  Terminal: followed no more
    fixture->mono_ms += 10 * S_POLL_MS;
    ep_live_plane_tick (fixture->plane);
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fake->sends, 4);
}

static void
test_query_without_news_changes_nothing (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0, 0);
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_UNAVAILABLE), false, false);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    s_poll (fixture);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
}

static void
test_resting_order_is_followed_again_after_a_restart (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0, 0);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
    ep_live_plane_destroy (&fixture->plane);

    s_plane_start (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    ep_live_plane_recover (fixture->plane);
    assert_int_equal (ep_live_plane_following (fixture->plane), 1);
    //  Due at once
    ep_live_plane_tick (fixture->plane);
    s_take_answer (fixture);
    assert_int_equal (fixture->fake.ops [0], EP_VENUE_QUERY);
    assert_int_equal (fixture->seen [fixture->n_seen - 1].status, EP_STATUS (FILLED));
}

static void
test_attempt_without_result_is_unknown_after_a_restart (void **state)
{
    fixture_t *fixture = *state;
    ep_live_plane_destroy (&fixture->plane);
    //  What a worker that died mid-request leaves: an attempt, no result
    char err [256];
    ep_audit_t *audit = ep_audit_open (fixture->path, err, sizeof err);
    assert_non_null (audit);
    ep_dispatch_t *dispatch = s_dispatch ("intent-1", S_SESSION, false, 0);
    ep_venue_request_t request = { .op = EP_VENUE_SUBMIT, .method = "POST", .path = "/order",
                                   .params = "symbol=BTCUSDT", .timestamp_ms = 1,
                                   .recv_window_ms = S_WINDOW_MS };
    snprintf (request.client_order_id, sizeof request.client_order_id, "%s",
              s_client_id ("intent-1"));
    assert_true (ep_audit_attempt (audit, EP_AUDIT_SUBMIT, 7, dispatch->intent, &request) > 0);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
    ep_audit_destroy (&audit);

    s_plane_start (fixture);
    ep_live_plane_recover (fixture->plane);
    assert_int_equal (fixture->n_seen, 1);
    assert_int_equal (fixture->seen [0].status, EP_STATUS (UNKNOWN));
    assert_int_equal (fixture->seen [0].failure, EP_FAILURE (SEND_UNKNOWN));
    assert_string_equal (fixture->seen [0].intent_id, "intent-1");
    //  Never sent again
    assert_int_equal (fixture->fake.sends, 0);
}

//  ---------------------------------------------------------------------
//  Reconciliation

//  Submits intent-1 and gets UNKNOWN: its fate is for a reconciliation.
static void
s_submit_unknown (fixture_t *fixture)
{
    s_answer_failure (&fixture->fake, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                      false);
    s_submit (fixture, "intent-1");
    s_take_answer (fixture);
}

//  Asks for intent-1 to be reconciled and takes the venue's answer.
static seen_t *
s_reconcile (fixture_t *fixture)
{
    ep_dispatch_t *dispatch = s_dispatch ("intent-1", S_SESSION, true, 0);
    assert_int_equal (ep_live_plane_dispatch (fixture->plane, dispatch), EP_LIVE_OK);
    s_take_answer (fixture);
    assert_true (fixture->n_seen > 0);
    return &fixture->seen [fixture->n_seen - 1];
}

static void
test_reconcile_only_observes_the_order (void **state)
{
    fixture_t *fixture = *state;
    s_submit_unknown (fixture);
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    seen_t *seen = s_reconcile (fixture);
    assert_int_equal (fixture->fake.sends, 2);
    assert_int_equal (fixture->fake.ops [1], EP_VENUE_QUERY);
    assert_int_equal (seen->status, EP_STATUS (FILLED));
    assert_true (seen->reconciled);
    assert_int_equal (seen->n_fills, 1);
    assert_int_equal (seen->fill_qty_e8 [0], 100000000);
    assert_non_null (strstr (seen->reason, "reconciled: "));
}

static void
test_absent_order_is_unknown_until_the_venues_margin_has_passed (void **state)
{
    fixture_t *fixture = *state;
    int64_t submitted_ms = fixture->wall_ms;
    s_submit_unknown (fixture);
    //  The venue does not know it: before the margin, no proof of absence
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (FAILURE_NONE), false, true);
    fixture->wall_ms = submitted_ms + S_WINDOW_MS + S_MARGIN_MS - 1;
    seen_t *early = s_reconcile (fixture);
    assert_int_equal (early->status, EP_STATUS (UNKNOWN));
    assert_int_equal (early->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_true (early->reconciled);
    assert_non_null (strstr (early->reason, "not conclusive before"));
    //  After it, the order was never placed
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (FAILURE_NONE), false, true);
    fixture->wall_ms = submitted_ms + S_WINDOW_MS + S_MARGIN_MS;
    seen_t *late = s_reconcile (fixture);
    assert_int_equal (late->status, EP_STATUS (FAILED));
    assert_int_equal (late->failure, EP_FAILURE (NOT_SENT));
    assert_true (late->reconciled);
}

static void
test_venue_that_cannot_answer_leaves_a_reconcile_unknown (void **state)
{
    fixture_t *fixture = *state;
    s_submit_unknown (fixture);
    //  No news, and no word of absence: proves nothing, however late
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (VENUE_UNAVAILABLE), false, false);
    fixture->wall_ms += 24 * 3600 * 1000;
    seen_t *seen = s_reconcile (fixture);
    assert_int_equal (seen->status, EP_STATUS (UNKNOWN));
    assert_int_equal (seen->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_non_null (strstr (seen->reason, "reconcile again"));
}

static void
test_absent_order_never_attempted_was_not_placed (void **state)
{
    fixture_t *fixture = *state;
    s_answer_failure (&fixture->fake, EP_STATUS (STATUS_UNSPECIFIED),
                      EP_FAILURE (FAILURE_NONE), false, true);
    seen_t *seen = s_reconcile (fixture);
    assert_int_equal (fixture->fake.ops [0], EP_VENUE_QUERY);
    assert_int_equal (seen->status, EP_STATUS (FAILED));
    assert_int_equal (seen->failure, EP_FAILURE (NOT_SENT));
    assert_non_null (strstr (seen->reason, "never attempted"));
}

//  ---------------------------------------------------------------------
//  Sessions and stopping

static void
test_dispatch_for_another_session_is_ignored (void **state)
{
    fixture_t *fixture = *state;
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("intent-1", S_OTHER, false, 0)),
                      EP_LIVE_NOT_OURS);
    assert_int_equal (fixture->fake.sends, 0);
    assert_int_equal (fixture->n_seen, 0);
}

static void
test_superseded_session_drops_its_queue_unsent (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (ACCEPTED), false, 0, 0);
    s_submit (fixture, "intent-1");     //  in flight until its answer is taken
    s_submit (fixture, "intent-2");     //  queued behind it
    s_submit (fixture, "intent-3");
    assert_int_equal (ep_live_plane_waiting (fixture->plane), 2);
    //  The router adopted another worker
    assert_int_equal (ep_live_plane_dispatch (fixture->plane,
                                              s_dispatch ("intent-4", S_OTHER, false, 0)),
                      EP_LIVE_NOT_OURS);
    assert_int_equal (ep_live_plane_waiting (fixture->plane), 0);
    assert_int_equal (fixture->n_seen, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal (fixture->seen [i].status, EP_STATUS (FAILED));
        assert_int_equal (fixture->seen [i].failure, EP_FAILURE (NOT_SENT));
        assert_non_null (strstr (fixture->seen [i].reason, "no longer the live plane's worker"));
    }
    //  The request already sent is answered and reported; nothing else leaves
    s_take_answer (fixture);
    assert_int_equal (fixture->n_seen, 3);
    assert_string_equal (fixture->seen [2].intent_id, "intent-1");
    fixture->mono_ms += 10 * S_POLL_MS;
    ep_live_plane_tick (fixture->plane);  //  its resting order is another's to follow
    assert_int_equal (ep_live_plane_on_answer (fixture->plane, 0), EP_LIVE_NO_ANSWER);
    assert_int_equal (fixture->fake.sends, 1);
}

static void
test_stop_finishes_the_request_in_flight_and_reports_the_queue_unsent (void **state)
{
    fixture_t *fixture = *state;
    s_answer_order (&fixture->fake, EP_STATUS (FILLED), true, 100000000, 5000000000000);
    s_submit (fixture, "intent-1");
    s_submit (fixture, "intent-2");
    ep_live_plane_stop (fixture->plane);
    assert_int_equal (fixture->fake.sends, 1);
    assert_int_equal (fixture->n_seen, 2);
    assert_string_equal (fixture->seen [0].intent_id, "intent-1");
    assert_int_equal (fixture->seen [0].status, EP_STATUS (FILLED));
    assert_string_equal (fixture->seen [1].intent_id, "intent-2");
    assert_int_equal (fixture->seen [1].failure, EP_FAILURE (NOT_SENT));
    assert_non_null (strstr (fixture->seen [1].reason, "stopped before sending"));
}

//  ---------------------------------------------------------------------
//  Fills

static void
test_average_price_rounds_down (void **state)
{
    (void) state;
    //  0.3 at a quote of 1.0: 3.33333333...
    assert_int_equal (ep_live_avg_price (30000000, 100000000), 333333333);
    assert_int_equal (ep_live_avg_price (0, 100000000), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_submission_is_in_the_audit_before_it_is_sent),
        S_TEST (test_result_is_written_to_the_audit_and_reported),
        S_TEST (test_failure_is_reported_as_classified_and_never_retried),
        S_TEST (test_the_same_intent_is_never_sent_twice),
        S_TEST (test_unknown_answer_is_reported_unknown),
        S_TEST (test_intent_the_venue_cannot_express_is_rejected_unsent),
        S_TEST (test_submission_past_its_not_after_is_not_sent),
        S_TEST (test_submission_carries_the_time_left_as_the_venues_guard),
        S_TEST (test_after_a_429_nothing_is_sent_until_retry_after_and_what_cannot_wait_is_rate_limited),
        S_TEST (test_a_cancel_overtakes_queued_queries_and_counts_only_what_goes_before_it),
        S_TEST (test_fills_of_a_submission_are_named_by_trade_with_their_fees),
        S_TEST (test_unknown_answer_that_is_not_final_is_followed),
        S_TEST (test_resting_order_is_followed_until_it_fills_in_parts),
        S_TEST (test_query_without_news_changes_nothing),
        S_TEST (test_resting_order_is_followed_again_after_a_restart),
        S_TEST (test_attempt_without_result_is_unknown_after_a_restart),
        S_TEST (test_reconcile_only_observes_the_order),
        S_TEST (test_absent_order_is_unknown_until_the_venues_margin_has_passed),
        S_TEST (test_venue_that_cannot_answer_leaves_a_reconcile_unknown),
        S_TEST (test_absent_order_never_attempted_was_not_placed),
        S_TEST (test_dispatch_for_another_session_is_ignored),
        S_TEST (test_superseded_session_drops_its_queue_unsent),
        S_TEST (test_stop_finishes_the_request_in_flight_and_reports_the_queue_unsent),
        cmocka_unit_test (test_average_price_rounds_down),
#undef S_TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
