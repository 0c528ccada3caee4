/*  ep_audit: the live plane's write-ahead audit in SQLite.  */
#include <assert.h>
#include <czmq.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "ep_audit.h"
#include "ep_chain.h"
#include "ep_file.h"
#include "ep_log.h"

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"                  //  1 submit, 2 query, 3 cancel, 4 reconcile,
                                                //  5 replace
    "  router_seq INTEGER NOT NULL,"
    "  strategy_id TEXT NOT NULL,"
    "  intent_id TEXT NOT NULL,"
    "  intent BLOB NOT NULL,"                   //  the OrderIntent
    "  client_order_id TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  params TEXT NOT NULL,"                   //  as sent, without signature or key
    "  timestamp_ms INTEGER NOT NULL,"
    "  recv_window_ms INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"            //  wall clock, when committed
    "  finished_us INTEGER,"                    //  NULL until the result is known
    "  curl_code INTEGER, curl_error TEXT, request_size INTEGER, http_status INTEGER,"
    "  venue_code INTEGER, venue_msg TEXT, venue_status TEXT, venue_order_id TEXT,"
    "  body BLOB, elapsed_us INTEGER, retry_after TEXT,"
    "  status INTEGER, failure INTEGER, terminal INTEGER, reason TEXT,"
    "  body_size INTEGER);"                     //  the body's full length (body: its head)
    //  One submission per client order id, ever: an intent is never sent twice.
    "CREATE UNIQUE INDEX IF NOT EXISTS one_submission ON attempts (client_order_id)"
    "  WHERE kind = 1;"
    //  A replace places its own order: once per client order id too, and a
    //  cancel intent is sent once, ever.
    "CREATE UNIQUE INDEX IF NOT EXISTS one_replace ON attempts (client_order_id)"
    "  WHERE kind = 5;"
    "CREATE UNIQUE INDEX IF NOT EXISTS one_cancel ON attempts (strategy_id, intent_id)"
    "  WHERE kind = 3;"
    "CREATE INDEX IF NOT EXISTS unfinished ON attempts (id) WHERE finished_us IS NULL;"
    //  What the venue told without being asked (its user data stream), and
    //  the stream's own life: observations, never attempts.
    "CREATE TABLE IF NOT EXISTS observations ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"                     //  event, connected, subscribed,
                                                //  disconnected, gap
    "  created_us INTEGER NOT NULL,"            //  wall clock, when committed
    "  event_time_ms INTEGER NOT NULL,"         //  the venue's time of it (0: none)
    "  client_order_id TEXT NOT NULL,"          //  the order it is about ("": none)
    "  text TEXT NOT NULL);"                    //  the frame as it came, or what happened
    "CREATE TABLE IF NOT EXISTS orders ("
    "  client_order_id TEXT PRIMARY KEY,"
    "  router_seq INTEGER NOT NULL,"
    "  plane_epoch INTEGER NOT NULL,"
    "  dispatch BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  executed_qty_e8 INTEGER NOT NULL,"
    "  cum_quote_e8 INTEGER NOT NULL,"
    "  fills INTEGER NOT NULL,"
    "  venue_order_id TEXT NOT NULL,"
    "  base_qty_e8 INTEGER NOT NULL DEFAULT 0,"  //  an amend's new order: what its venue
    "  base_quote_e8 INTEGER NOT NULL DEFAULT 0);"   //  order executed before (the target's)
    //  Every amend's new order with what its venue order had executed
    //  before: kept once the order is followed no more (state, not chained).
    "CREATE TABLE IF NOT EXISTS amends ("
    "  client_order_id TEXT PRIMARY KEY,"
    "  base_qty_e8 INTEGER NOT NULL,"
    "  base_quote_e8 INTEGER NOT NULL);"
    EP_CHAIN_SCHEMA;

//  The tables whose rows are chained (the orders followed are state).
static const char *const s_chained [] = { "attempts", "observations", NULL };

//  A result that could not be written yet
typedef struct _s_kept_t s_kept_t;
struct _s_kept_t {
    int64_t id;                         //  its attempt
    int64_t finished_us;                //  when it came, not when it is written
    ep_venue_result_t result;           //  a copy: body cut to EP_AUDIT_BODY_MAX, no fills
    s_kept_t *next;                     //  the next one kept, or NULL
};

struct _ep_audit_t {
    sqlite3 *db;                        //  the open audit
    int lock_fd;                        //  holds the flock; closed after the database
    s_kept_t *kept;                     //  results waiting to be written, oldest first
    size_t n_kept;                      //  how many
    ep_chain_reader_t *chain_reader;    //  reads a row back, to hash it
    uint8_t chain_hash [32];            //  the chain's head: its hash
    int64_t chain_id;                   //  and its row (0: empty)
};

static int
s_fail (ep_audit_t *self, const char *what)
{
    ep_log_error ("audit: %s: %s", what, sqlite3_errmsg (self->db));
    return -1;
}

static int64_t
s_now_us (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

//  Runs stmt, a write of table's row rowid (-1: the row it inserts), and
//  chains the row (ep_chain.h), in one transaction. Returns the write's
//  SQLite code: SQLITE_DONE once written, chained and committed, with the
//  row's id in *row (if not NULL); else nothing of it is kept.
static int
s_write_chained (ep_audit_t *self, sqlite3_stmt *stmt, const char *table, int64_t rowid,
                 int64_t *row)
{
    //  In a transaction already (the chain's beginning): part of it
    bool own = sqlite3_get_autocommit (self->db);
    if (own && sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite3_errcode (self->db);
    int rc = sqlite3_step (stmt);
    int64_t id = rowid < 0 ? sqlite3_last_insert_rowid (self->db) : rowid;
    uint8_t row_hash [32], hash [32];
    int64_t at_us = 0;
    if (rc == SQLITE_DONE
    &&  ep_chain_link (self->chain_reader, self->chain_hash, table, id, &at_us, row_hash, hash))
        rc = SQLITE_ERROR;
    sqlite3_stmt *chain = NULL;
    if (rc == SQLITE_DONE) {
        rc = sqlite3_prepare_v2 (self->db, "INSERT INTO chain (tbl, row, at_us, row_hash, hash)"
                                 " VALUES (?, ?, ?, ?, ?)", -1, &chain, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text (chain, 1, table, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (chain, 2, id);
            sqlite3_bind_int64 (chain, 3, at_us);
            sqlite3_bind_blob (chain, 4, row_hash, sizeof row_hash, SQLITE_STATIC);
            sqlite3_bind_blob (chain, 5, hash, sizeof hash, SQLITE_STATIC);
            rc = sqlite3_step (chain);
        }
        sqlite3_finalize (chain);
    }
    if (rc == SQLITE_DONE && own && sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = sqlite3_errcode (self->db);
    if (rc == SQLITE_DONE) {
        memcpy (self->chain_hash, hash, sizeof hash);
        self->chain_id = sqlite3_last_insert_rowid (self->db);
        if (row)
            *row = id;
        return rc;
    }
    if (own && !sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

//  An audit from before the chain: its rows, table by table, begin it.
static int
s_chain_begin (ep_audit_t *self)
{
    ep_chain_head_t head;
    if (ep_chain_read_head (self->db, &head, self->chain_hash))
        return -1;
    self->chain_id = head.id;
    if (self->chain_id)
        return 0;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    int failed = 0;
    for (size_t i = 0; !failed && s_chained [i]; i++) {
        char sql [96];
        snprintf (sql, sizeof sql, "SELECT rowid FROM %s ORDER BY rowid", s_chained [i]);
        sqlite3_stmt *rows, *none;
        if (sqlite3_prepare_v2 (self->db, sql, -1, &rows, NULL) != SQLITE_OK) {
            failed = 1;
            break;
        }
        int rc = SQLITE_DONE;
        while (rc == SQLITE_DONE && sqlite3_step (rows) == SQLITE_ROW) {
            //  A statement that writes nothing: the row as it is is chained
            if (sqlite3_prepare_v2 (self->db, "SELECT 1 WHERE 0", -1, &none, NULL) != SQLITE_OK)
                rc = SQLITE_ERROR;
            else
                rc = s_write_chained (self, none, s_chained [i], sqlite3_column_int64 (rows, 0),
                                      NULL);
            sqlite3_finalize (none);
        }
        sqlite3_finalize (rows);
        failed = rc != SQLITE_DONE;
    }
    if (failed || sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

//  Whether table has column: 1, 0, or -1.
static int
s_has_column (ep_audit_t *self, const char *table, const char *column)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT COUNT(*) FROM pragma_table_info (?)"
                            " WHERE name = ?", -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, column, -1, SQLITE_STATIC);
    int has = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int (stmt, 0) > 0 : -1;
    sqlite3_finalize (stmt);
    return has;
}

//  An audit made before the body was capped gets the column of its length;
//  one made before amends were counted from their base gets the orders'
//  bases (0: every order it follows was placed anew).
static int
s_migrate (ep_audit_t *self, char **msg)
{
    static const struct {
        const char *table, *column, *sql;
    } columns [] = {
        { "attempts", "body_size", "ALTER TABLE attempts ADD COLUMN body_size INTEGER" },
        { "orders", "base_qty_e8",
          "ALTER TABLE orders ADD COLUMN base_qty_e8 INTEGER NOT NULL DEFAULT 0" },
        { "orders", "base_quote_e8",
          "ALTER TABLE orders ADD COLUMN base_quote_e8 INTEGER NOT NULL DEFAULT 0" }
    };
    for (size_t i = 0; i < sizeof columns / sizeof columns [0]; i++) {
        int has = s_has_column (self, columns [i].table, columns [i].column);
        if (has < 0)
            return -1;
        if (has)
            continue;
        ep_log_info ("audit: adding the column %s to %s", columns [i].column,
                     columns [i].table);
        if (sqlite3_exec (self->db, columns [i].sql, NULL, NULL, msg) != SQLITE_OK)
            return -1;
    }
    return 0;
}

ep_audit_t *
ep_audit_open (const char *path, char *err, size_t err_size)
{
    ep_audit_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->lock_fd = -1;
    ep_file_create_private (path);     //  reported below if that failed
    //  Locked before SQLite opens it, and unlocked (closed) only after
    //  SQLite closed it: closing any other descriptor of the file would
    //  drop the POSIX locks SQLite holds on it. flock and those locks do
    //  not meet on Linux.
    self->lock_fd = open (path, O_RDWR | O_CLOEXEC);
    if (self->lock_fd < 0) {
        snprintf (err, err_size, "audit %s: %s", path, strerror (errno));
        ep_audit_destroy (&self);
        return NULL;
    }
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK)
            snprintf (err, err_size, "audit %s is locked by another process (a live worker "
                      "already uses it): refusing to start a second one on it", path);
        else
            snprintf (err, err_size, "audit %s: cannot lock it: %s", path, strerror (errno));
        ep_audit_destroy (&self);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
        != SQLITE_OK
    ||  sqlite3_exec (self->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                      NULL, NULL, &msg) != SQLITE_OK
    ||  sqlite3_exec (self->db, s_schema, NULL, NULL, &msg) != SQLITE_OK
    ||  s_migrate (self, &msg)
    ||  !(self->chain_reader = ep_chain_reader_new (self->db))
    ||  s_chain_begin (self)) {
        snprintf (err, err_size, "audit %s: %s", path,
                  msg ? msg : self->db ? sqlite3_errmsg (self->db) : "cannot open");
        sqlite3_free (msg);
        ep_audit_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    return self;
}

static void
s_kept_destroy (s_kept_t **kept_p)
{
    s_kept_t *kept = *kept_p;
    if (!kept)
        return;
    ep_venue_result_reset (&kept->result);
    free (kept);
    *kept_p = NULL;
}

void
ep_audit_destroy (ep_audit_t **self_p)
{
    ep_audit_t *self = *self_p;
    if (!self)
        return;
    if (self->n_kept)
        ep_log_error ("audit: %zu result(s) were never written: their attempts will be "
                      "reported UNKNOWN at the next start", self->n_kept);
    while (self->kept) {
        s_kept_t *next = self->kept->next;
        s_kept_destroy (&self->kept);
        self->kept = next;
    }
    ep_chain_reader_destroy (&self->chain_reader);
    sqlite3_close (self->db);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    free (self);
    *self_p = NULL;
}

//  Prepares sql; NULL on failure (logged).
static sqlite3_stmt *
s_prepare (ep_audit_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        s_fail (self, sql);
    return stmt;
}

int64_t
ep_audit_attempt (ep_audit_t *self, ep_audit_kind_t kind, uint64_t router_seq,
                  const ep_intent_t *intent, const ep_venue_request_t *request)
{
    size_t size = execplane__v1__order_intent__get_packed_size (intent);
    uint8_t *packed = malloc (size ? size : 1);
    if (!packed)
        return -1;
    execplane__v1__order_intent__pack (intent, packed);
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT INTO attempts (kind, router_seq, strategy_id, intent_id, intent,"
        " client_order_id, method, path, params, timestamp_ms, recv_window_ms, created_us)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt) {
        free (packed);
        return -1;
    }
    sqlite3_bind_int (stmt, 1, kind);
    sqlite3_bind_int64 (stmt, 2, (int64_t) router_seq);
    sqlite3_bind_text (stmt, 3, intent->strategy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, intent->intent_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 5, packed, (int) size, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, request->client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, request->method, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, request->path, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, request->params, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 10, request->timestamp_ms);
    sqlite3_bind_int64 (stmt, 11, request->recv_window_ms);
    sqlite3_bind_int64 (stmt, 12, s_now_us ());
    //  With synchronous=FULL the row is on disk once committed.
    int64_t id = 0;
    int rc = s_write_chained (self, stmt, "attempts", -1, &id);
    sqlite3_finalize (stmt);
    free (packed);
    if (rc == SQLITE_CONSTRAINT)
        return 0;
    if (rc != SQLITE_DONE)
        return s_fail (self, "write attempt");
    return id;
}

//  Writes the result of attempt id, which came at finished_us; a failure
//  is logged unless quiet.
static int
s_write_result (ep_audit_t *self, int64_t id, const ep_venue_result_t *r, int64_t finished_us,
                bool quiet)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE attempts SET finished_us = ?, curl_code = ?, curl_error = ?, request_size = ?,"
        " http_status = ?, venue_code = ?, venue_msg = ?, venue_status = ?, venue_order_id = ?,"
        " body = ?, elapsed_us = ?, retry_after = ?, status = ?, failure = ?, terminal = ?,"
        " reason = ?, body_size = ? WHERE id = ?");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, finished_us);
    sqlite3_bind_int (stmt, 2, r->curl_code);
    sqlite3_bind_text (stmt, 3, r->curl_error, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, r->request_size);
    sqlite3_bind_int64 (stmt, 5, r->http_status);
    sqlite3_bind_int (stmt, 6, r->venue_code);
    sqlite3_bind_text (stmt, 7, r->venue_msg, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, r->venue_status, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, r->venue_order_id, -1, SQLITE_STATIC);
    if (r->body)
        sqlite3_bind_blob (stmt, 10, r->body,
                           (int) (r->body_size < EP_AUDIT_BODY_MAX ? r->body_size
                                                                    : EP_AUDIT_BODY_MAX),
                           SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 11, r->elapsed_us);
    sqlite3_bind_text (stmt, 12, r->retry_after, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 13, r->status);
    sqlite3_bind_int (stmt, 14, r->failure);
    sqlite3_bind_int (stmt, 15, r->terminal);
    sqlite3_bind_text (stmt, 16, r->reason, -1, SQLITE_STATIC);
    if (r->body)
        sqlite3_bind_int64 (stmt, 17, (int64_t) r->body_size);
    sqlite3_bind_int64 (stmt, 18, id);
    int rc = s_write_chained (self, stmt, "attempts", id, NULL);
    sqlite3_finalize (stmt);
    if (rc == SQLITE_DONE)
        return 0;
    return quiet ? -1 : s_fail (self, "write result");
}

//  Keeps a copy of result for ep_audit_retry: the texts, the body's head
//  (as it will be stored) and its full length; not the fills, which the
//  audit does not store.
static void
s_keep (ep_audit_t *self, int64_t id, const ep_venue_result_t *result, int64_t finished_us)
{
    s_kept_t *kept = calloc (1, sizeof *kept);
    if (kept) {
        kept->id = id;
        kept->finished_us = finished_us;
        kept->result = *result;
        kept->result.fills = NULL;
        kept->result.fill_count = 0;
        kept->result.body = NULL;
        if (result->body) {
            size_t head = result->body_size < EP_AUDIT_BODY_MAX ? result->body_size
                                                                : EP_AUDIT_BODY_MAX;
            kept->result.body = malloc (head + 1);
            if (kept->result.body) {
                memcpy (kept->result.body, result->body, head);
                kept->result.body [head] = 0;
            }
        }
    }
    if (!kept || (result->body && !kept->result.body)) {
        ep_log_error ("audit: out of memory: the result of attempt %lld is lost; it will be "
                      "reported UNKNOWN at the next start", (long long) id);
        s_kept_destroy (&kept);
        return;
    }
    s_kept_t **last = &self->kept;
    while (*last)
        last = &(*last)->next;
    *last = kept;
    self->n_kept++;
    ep_log_warn ("audit: the result of attempt %lld is kept in memory and will be written "
                 "once the audit can take it (%zu waiting)", (long long) id, self->n_kept);
}

int
ep_audit_result (ep_audit_t *self, int64_t id, const ep_venue_result_t *result)
{
    int64_t finished_us = s_now_us ();
    if (s_write_result (self, id, result, finished_us, false) == 0)
        return 0;
    s_keep (self, id, result, finished_us);
    return -1;
}

size_t
ep_audit_retry (ep_audit_t *self)
{
    size_t written = 0;
    while (self->kept
       &&  s_write_result (self, self->kept->id, &self->kept->result,
                           self->kept->finished_us, true) == 0) {
        s_kept_t *next = self->kept->next;
        s_kept_destroy (&self->kept);
        self->kept = next;
        self->n_kept--;
        written++;
    }
    if (written)
        ep_log_info ("audit: %zu result(s) kept in memory written; %zu still waiting",
                     written, self->n_kept);
    return self->n_kept;
}

size_t
ep_audit_waiting (const ep_audit_t *self)
{
    return self->n_kept;
}

int
ep_audit_result_unknown (ep_audit_t *self, int64_t id, const char *reason)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "UPDATE attempts SET finished_us = ?, status = ?, failure = ?, terminal = 1, reason = ?"
        " WHERE id = ?");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, s_now_us ());
    sqlite3_bind_int (stmt, 2, EP_STATUS (UNKNOWN));
    sqlite3_bind_int (stmt, 3, EP_FAILURE (SEND_UNKNOWN));
    sqlite3_bind_text (stmt, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 5, id);
    int rc = s_write_chained (self, stmt, "attempts", id, NULL);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "write unknown result");
}

int
ep_audit_unfinished (ep_audit_t *self, ep_audit_attempt_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT id, kind, router_seq, intent, client_order_id FROM attempts"
        " WHERE finished_us IS NULL ORDER BY id");
    if (!stmt)
        return -1;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        ep_intent_t *intent = execplane__v1__order_intent__unpack (
            NULL, sqlite3_column_bytes (stmt, 3), sqlite3_column_blob (stmt, 3));
        if (!intent) {
            ep_log_error ("audit: attempt %lld holds an intent that does not decode",
                          (long long) sqlite3_column_int64 (stmt, 0));
            continue;
        }
        fn (arg, sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1),
            (uint64_t) sqlite3_column_int64 (stmt, 2), intent,
            (const char *) sqlite3_column_text (stmt, 4));
        execplane__v1__order_intent__free_unpacked (intent, NULL);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "read unfinished attempts");
}

int
ep_audit_submitted (ep_audit_t *self, const char *client_order_id,
                    int64_t *timestamp_ms, int64_t *recv_window_ms)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT timestamp_ms, recv_window_ms FROM attempts"
        " WHERE kind IN (1, 5) AND client_order_id = ?");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    int found = 0;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *timestamp_ms = sqlite3_column_int64 (stmt, 0);
        *recv_window_ms = sqlite3_column_int64 (stmt, 1);
        found = 1;
    }
    else
    if (rc != SQLITE_DONE)
        found = s_fail (self, "read submission");
    sqlite3_finalize (stmt);
    return found;
}

int
ep_audit_placed (ep_audit_t *self, const char *client_order_id, ep_intent_t **intent,
                 uint64_t *router_seq, int *status, bool *terminal)
{
    *intent = NULL;
    *status = EP_STATUS (STATUS_UNSPECIFIED);
    *terminal = false;
    sqlite3_stmt *stmt = s_prepare (self,
        "SELECT intent, router_seq FROM attempts WHERE kind IN (1, 5) AND client_order_id = ?"
        " ORDER BY id LIMIT 1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *intent = execplane__v1__order_intent__unpack (NULL, sqlite3_column_bytes (stmt, 0),
                                                       sqlite3_column_blob (stmt, 0));
        *router_seq = (uint64_t) sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_finalize (stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW || !*intent)
        return rc != SQLITE_ROW ? s_fail (self, "read placed order") : -1;
    stmt = s_prepare (self,
        "SELECT status, terminal FROM attempts WHERE client_order_id = ?1"
        " AND finished_us IS NOT NULL AND status IS NOT NULL AND status NOT IN (0, ?2)"
        " AND (kind IN (1, 5) OR failure = 0) ORDER BY id DESC LIMIT 1");
    if (!stmt) {
        execplane__v1__order_intent__free_unpacked (*intent, NULL);
        *intent = NULL;
        return -1;
    }
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, EP_STATUS (UNKNOWN));
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *status = sqlite3_column_int (stmt, 0);
        *terminal = sqlite3_column_int (stmt, 1) != 0;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        execplane__v1__order_intent__free_unpacked (*intent, NULL);
        *intent = NULL;
        return s_fail (self, "read the last word on an order");
    }
    return 1;
}

int
ep_audit_order_put (ep_audit_t *self, const ep_audit_order_t *o)
{
    sqlite3_stmt *stmt = s_prepare (self,
        "INSERT OR REPLACE INTO orders (client_order_id, router_seq, plane_epoch, dispatch, "
        "status, executed_qty_e8, cum_quote_e8, fills, venue_order_id, base_qty_e8, "
        "base_quote_e8) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, o->client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (int64_t) o->router_seq);
    sqlite3_bind_int64 (stmt, 3, (int64_t) o->plane_epoch);
    sqlite3_bind_blob (stmt, 4, o->dispatch, (int) o->dispatch_size, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 5, o->status);
    sqlite3_bind_int64 (stmt, 6, o->executed_qty_e8);
    sqlite3_bind_int64 (stmt, 7, o->cum_quote_e8);
    sqlite3_bind_int (stmt, 8, (int) o->fills);
    sqlite3_bind_text (stmt, 9, o->venue_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 10, o->base_qty_e8);
    sqlite3_bind_int64 (stmt, 11, o->base_quote_e8);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "write order");
}

int
ep_audit_order_drop (ep_audit_t *self, const char *client_order_id)
{
    sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM orders WHERE client_order_id = ?");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "drop order");
}

int
ep_audit_amended (ep_audit_t *self, const char *client_order_id, int64_t base_qty_e8,
                  int64_t base_quote_e8)
{
    assert (self && client_order_id);
    sqlite3_stmt *stmt = s_prepare (self, "INSERT OR REPLACE INTO amends (client_order_id, "
                                    "base_qty_e8, base_quote_e8) VALUES (?, ?, ?)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, base_qty_e8);
    sqlite3_bind_int64 (stmt, 3, base_quote_e8);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "write an amend's base");
}

int
ep_audit_amended_base (ep_audit_t *self, const char *client_order_id, int64_t *base_qty_e8,
                       int64_t *base_quote_e8)
{
    assert (self && client_order_id && base_qty_e8 && base_quote_e8);
    *base_qty_e8 = 0;
    *base_quote_e8 = 0;
    sqlite3_stmt *stmt = s_prepare (self, "SELECT base_qty_e8, base_quote_e8 FROM amends "
                                    "WHERE client_order_id = ?");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, client_order_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *base_qty_e8 = sqlite3_column_int64 (stmt, 0);
        *base_quote_e8 = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : s_fail (self, "read an amend's base");
}

int
ep_audit_observe (ep_audit_t *self, const char *kind, int64_t event_time_ms,
                  const char *client_order_id, const char *text)
{
    assert (self && kind && text);
    sqlite3_stmt *stmt = s_prepare (self, "INSERT INTO observations (kind, created_us, "
                                    "event_time_ms, client_order_id, text) VALUES (?,?,?,?,?)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, s_now_us ());
    sqlite3_bind_int64 (stmt, 3, event_time_ms);
    sqlite3_bind_text (stmt, 4, client_order_id ? client_order_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, text, -1, SQLITE_STATIC);
    int rc = s_write_chained (self, stmt, "observations", -1, NULL);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "write an observation");
}

int
ep_audit_orders (ep_audit_t *self, ep_audit_order_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT client_order_id, router_seq, plane_epoch, "
                                    "dispatch, status, executed_qty_e8, cum_quote_e8, fills, "
                                    "venue_order_id, base_qty_e8, base_quote_e8 FROM orders "
                                    "ORDER BY router_seq");
    if (!stmt)
        return -1;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        ep_audit_order_t order = { .router_seq = 0 };
        snprintf (order.client_order_id, sizeof order.client_order_id, "%s",
                  (const char *) sqlite3_column_text (stmt, 0));
        order.router_seq = (uint64_t) sqlite3_column_int64 (stmt, 1);
        order.plane_epoch = (uint64_t) sqlite3_column_int64 (stmt, 2);
        order.dispatch = (void *) sqlite3_column_blob (stmt, 3);
        order.dispatch_size = sqlite3_column_bytes (stmt, 3);
        order.status = sqlite3_column_int (stmt, 4);
        order.executed_qty_e8 = sqlite3_column_int64 (stmt, 5);
        order.cum_quote_e8 = sqlite3_column_int64 (stmt, 6);
        order.fills = (uint32_t) sqlite3_column_int (stmt, 7);
        snprintf (order.venue_order_id, sizeof order.venue_order_id, "%s",
                  (const char *) sqlite3_column_text (stmt, 8));
        order.base_qty_e8 = sqlite3_column_int64 (stmt, 9);
        order.base_quote_e8 = sqlite3_column_int64 (stmt, 10);
        fn (arg, &order);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "read orders");
}
