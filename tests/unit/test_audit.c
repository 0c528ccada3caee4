/*  test_audit: the live plane's write-ahead audit. One process per audit
    (the file is locked), the response body stored capped with its full
    length (and an older audit migrated to hold it), and a result the disk
    could not take kept in memory and written once it can. An amend's new
    order keeps its base (what its venue order executed before the amend),
    with the order followed (an older audit gets the columns) and after.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_audit.h"

//  ---------------------------------------------------------------------
//  Helpers

typedef struct {
    char dir [64];              //  a private folder
    char path [96];             //  the audit in it
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/ep-audit.XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    snprintf (fixture->path, sizeof fixture->path, "%s/audit.db", fixture->dir);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
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

static ep_intent_t
s_intent (void)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = (char *) "intent-1";
    intent.strategy_id = (char *) "strat-1";
    intent.symbol = (char *) "BTCUSDT";
    intent.qty_e8 = 100000000;
    return intent;
}

static ep_venue_request_t
s_request (void)
{
    ep_venue_request_t request;
    memset (&request, 0, sizeof request);
    request.op = EP_VENUE_SUBMIT;
    snprintf (request.method, sizeof request.method, "POST");
    snprintf (request.path, sizeof request.path, "/api/v3/order");
    snprintf (request.params, sizeof request.params, "symbol=BTCUSDT&side=BUY");
    snprintf (request.client_order_id, sizeof request.client_order_id, "epTestId");
    request.timestamp_ms = 1700000000000;
    request.recv_window_ms = 5000;
    return request;
}

static ep_audit_t *
s_open (const char *path)
{
    char err [512] = "";
    ep_audit_t *audit = ep_audit_open (path, err, sizeof err);
    if (!audit)
        fail_msg ("ep_audit_open: %s", err);
    return audit;
}

//  One integer from one query against the audit, read by SQLite directly
static int64_t
s_query (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int64_t value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

static void
s_count_unfinished (void *arg, int64_t id, ep_audit_kind_t kind, uint64_t router_seq,
                    const ep_intent_t *intent, const char *client_order_id)
{
    (void) id;
    (void) kind;
    (void) router_seq;
    (void) intent;
    (void) client_order_id;
    (*(int *) arg)++;
}

//  ---------------------------------------------------------------------
//  Tests

static void
test_a_second_process_on_the_same_audit_is_refused (void **state)
{
    fixture_t *fixture = *state;
    ep_audit_t *first = s_open (fixture->path);
    //  A second open file description: what a second process would hold
    char err [512] = "";
    assert_null (ep_audit_open (fixture->path, err, sizeof err));
    assert_non_null (strstr (err, fixture->path));
    assert_non_null (strstr (err, "locked by another process"));
    //  The first one is unharmed by the refusal: it still writes
    ep_intent_t intent = s_intent ();
    ep_venue_request_t request = s_request ();
    assert_true (ep_audit_attempt (first, EP_AUDIT_SUBMIT, 1, &intent, &request) > 0);
    ep_audit_destroy (&first);
    assert_null (first);
    //  Once it is closed, the audit can be opened again
    ep_audit_t *second = s_open (fixture->path);
    ep_audit_destroy (&second);
}

static void
test_a_long_body_is_stored_capped_with_its_full_length (void **state)
{
    fixture_t *fixture = *state;
    ep_audit_t *audit = s_open (fixture->path);
    ep_intent_t intent = s_intent ();
    ep_venue_request_t request = s_request ();
    int64_t id = ep_audit_attempt (audit, EP_AUDIT_SUBMIT, 1, &intent, &request);
    assert_true (id > 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof result);
    result.body_size = 100 * 1024 + 7;
    result.body = malloc (result.body_size + 1);
    assert_non_null (result.body);
    for (size_t index = 0; index < result.body_size; index++)
        result.body [index] = (char) ('a' + index % 26);
    result.body [result.body_size] = 0;
    result.status = EP_STATUS (UNKNOWN);
    snprintf (result.reason, sizeof result.reason, "a long answer");
    assert_int_equal (ep_audit_result (audit, id, &result), 0);
    ep_audit_destroy (&audit);

    assert_int_equal (s_query (fixture->path, "SELECT length (body) FROM attempts"),
                      EP_AUDIT_BODY_MAX);
    assert_int_equal (s_query (fixture->path, "SELECT body_size FROM attempts"),
                      100 * 1024 + 7);
    //  The head stored is the body's own first bytes
    assert_int_equal (s_query (fixture->path, "SELECT substr (CAST (body AS TEXT), 1, 27)"
                               " = 'abcdefghijklmnopqrstuvwxyza' FROM attempts"), 1);
    ep_venue_result_reset (&result);
}

static void
test_an_audit_made_before_body_size_gets_the_column (void **state)
{
    fixture_t *fixture = *state;
    //  The attempts table as it was, with one finished attempt in it
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fixture->path, &db), SQLITE_OK);
    const char *old =
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
        "  router_seq INTEGER NOT NULL, strategy_id TEXT NOT NULL, intent_id TEXT NOT NULL,"
        "  intent BLOB NOT NULL, client_order_id TEXT NOT NULL, method TEXT NOT NULL,"
        "  path TEXT NOT NULL, params TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,"
        "  recv_window_ms INTEGER NOT NULL, created_us INTEGER NOT NULL, finished_us INTEGER,"
        "  curl_code INTEGER, curl_error TEXT, request_size INTEGER, http_status INTEGER,"
        "  venue_code INTEGER, venue_msg TEXT, venue_status TEXT, venue_order_id TEXT,"
        "  body BLOB, elapsed_us INTEGER, retry_after TEXT,"
        "  status INTEGER, failure INTEGER, terminal INTEGER, reason TEXT);"
        "INSERT INTO attempts (kind, router_seq, strategy_id, intent_id, intent,"
        "  client_order_id, method, path, params, timestamp_ms, recv_window_ms, created_us,"
        "  finished_us, body) VALUES (1, 1, 's', 'i', x'00', 'epOld', 'POST', '/api/v3/order',"
        "  'symbol=X', 1, 5000, 1, 2, x'7b7d');";
    char *msg = NULL;
    if (sqlite3_exec (db, old, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg ("old schema: %s", msg);
    sqlite3_close (db);

    ep_audit_t *audit = s_open (fixture->path);
    ep_intent_t intent = s_intent ();
    ep_venue_request_t request = s_request ();
    int64_t id = ep_audit_attempt (audit, EP_AUDIT_SUBMIT, 2, &intent, &request);
    assert_true (id > 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof result);
    result.body = strdup ("{\"code\":-1013}");
    result.body_size = strlen (result.body);
    assert_int_equal (ep_audit_result (audit, id, &result), 0);
    ep_audit_destroy (&audit);
    //  The old row is kept (without a length), the new one has its length
    assert_int_equal (s_query (fixture->path, "SELECT COUNT (*) FROM attempts"), 2);
    assert_int_equal (s_query (fixture->path, "SELECT body_size IS NULL FROM attempts"
                               " WHERE client_order_id = 'epOld'"), 1);
    assert_int_equal (s_query (fixture->path, "SELECT body_size FROM attempts"
                               " WHERE client_order_id = 'epTestId'"), 14);
    //  Opening it again changes nothing
    audit = s_open (fixture->path);
    ep_audit_destroy (&audit);
    ep_venue_result_reset (&result);
}

//  Reads the one order followed into *order (its dispatch not kept)
static void
s_one_order (void *arg, const ep_audit_order_t *order)
{
    ep_audit_order_t *copy = arg;
    *copy = *order;
    copy->dispatch = NULL;
    copy->fills++;                      //  marks that it was called (once)
}

static void
test_an_audit_made_before_bases_gets_them_and_keeps_them (void **state)
{
    fixture_t *fixture = *state;
    //  The orders table as it was, with one order followed in it
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fixture->path, &db), SQLITE_OK);
    const char *old =
        "CREATE TABLE orders (client_order_id TEXT PRIMARY KEY, router_seq INTEGER NOT NULL,"
        "  plane_epoch INTEGER NOT NULL, dispatch BLOB NOT NULL, status INTEGER NOT NULL,"
        "  executed_qty_e8 INTEGER NOT NULL, cum_quote_e8 INTEGER NOT NULL,"
        "  fills INTEGER NOT NULL, venue_order_id TEXT NOT NULL);"
        "INSERT INTO orders VALUES ('epOld', 3, 1, x'00', 2, 50000000, 10000000000, 1, '9');";
    char *msg = NULL;
    if (sqlite3_exec (db, old, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg ("old schema: %s", msg);
    sqlite3_close (db);

    ep_audit_t *audit = s_open (fixture->path);
    ep_audit_order_t order;
    memset (&order, 0, sizeof order);
    assert_int_equal (ep_audit_orders (audit, s_one_order, &order), 0);
    assert_string_equal (order.client_order_id, "epOld");
    assert_int_equal (order.fills, 2);
    assert_int_equal (order.executed_qty_e8, 50000000);
    assert_int_equal (order.base_qty_e8, 0);
    assert_int_equal (order.base_quote_e8, 0);
    //  An amend's new order, followed with its base
    order.base_qty_e8 = 70000000;
    order.base_quote_e8 = 14000000000;
    order.fills = 0;
    uint8_t dispatch [1] = { 0 };
    order.dispatch = dispatch;
    order.dispatch_size = 1;
    assert_int_equal (ep_audit_order_put (audit, &order), 0);
    assert_int_equal (ep_audit_amended (audit, "epOld", 70000000, 14000000000), 0);
    ep_audit_destroy (&audit);

    //  Opened again: the base is the order's, and outlives its follow
    audit = s_open (fixture->path);
    memset (&order, 0, sizeof order);
    assert_int_equal (ep_audit_orders (audit, s_one_order, &order), 0);
    assert_int_equal (order.fills, 1);
    assert_int_equal (order.base_qty_e8, 70000000);
    assert_int_equal (order.base_quote_e8, 14000000000);
    assert_int_equal (ep_audit_order_drop (audit, "epOld"), 0);
    int64_t qty = -1, quote = -1;
    assert_int_equal (ep_audit_amended_base (audit, "epOld", &qty, &quote), 1);
    assert_int_equal (qty, 70000000);
    assert_int_equal (quote, 14000000000);
    assert_int_equal (ep_audit_amended_base (audit, "epOther", &qty, &quote), 0);
    assert_int_equal (qty, 0);
    assert_int_equal (quote, 0);
    ep_audit_destroy (&audit);
}

//  The file size limit stands in for a full disk: every write that would
//  grow a file past it fails (EFBIG; SIGXFSZ ignored, as the daemons do)
static void
s_disk_full (bool full)
{
    static struct rlimit saved;
    if (full) {
        assert_int_equal (getrlimit (RLIMIT_FSIZE, &saved), 0);
        struct rlimit small = { 4096, saved.rlim_max };
        assert_int_equal (setrlimit (RLIMIT_FSIZE, &small), 0);
    }
    else
        assert_int_equal (setrlimit (RLIMIT_FSIZE, &saved), 0);
}

static void
test_a_result_the_disk_cannot_take_is_kept_and_written_later (void **state)
{
    fixture_t *fixture = *state;
    signal (SIGXFSZ, SIG_IGN);
    ep_audit_t *audit = s_open (fixture->path);
    ep_intent_t intent = s_intent ();
    ep_venue_request_t request = s_request ();
    int64_t id = ep_audit_attempt (audit, EP_AUDIT_SUBMIT, 1, &intent, &request);
    assert_true (id > 0);
    ep_venue_result_t result;
    memset (&result, 0, sizeof result);
    result.status = EP_STATUS (FILLED);
    result.http_status = 200;
    result.body = strdup ("{\"status\":\"FILLED\"}");
    result.body_size = strlen (result.body);
    snprintf (result.reason, sizeof result.reason, "venue FILLED 1 at avg 250");

    s_disk_full (true);
    assert_int_equal (ep_audit_result (audit, id, &result), -1);
    //  The caller's result is its own again: the audit kept a copy
    ep_venue_result_reset (&result);
    assert_int_equal (ep_audit_waiting (audit), 1);
    assert_int_equal (ep_audit_retry (audit), 1);
    s_disk_full (false);
    assert_int_equal (ep_audit_retry (audit), 0);
    assert_int_equal (ep_audit_waiting (audit), 0);
    ep_audit_destroy (&audit);

    //  A restart finds the attempt finished, with what the venue said
    audit = s_open (fixture->path);
    int unfinished = 0;
    assert_int_equal (ep_audit_unfinished (audit, s_count_unfinished, &unfinished), 0);
    assert_int_equal (unfinished, 0);
    ep_audit_destroy (&audit);
    assert_int_equal (s_query (fixture->path, "SELECT status FROM attempts"),
                      EP_STATUS (FILLED));
    assert_int_equal (s_query (fixture->path, "SELECT http_status = 200 AND body_size = 19"
                               " AND reason = 'venue FILLED 1 at avg 250'"
                               " AND finished_us >= created_us FROM attempts"), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_a_second_process_on_the_same_audit_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_long_body_is_stored_capped_with_its_full_length,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_an_audit_made_before_body_size_gets_the_column,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_result_the_disk_cannot_take_is_kept_and_written_later, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_audit_made_before_bases_gets_them_and_keeps_them, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
