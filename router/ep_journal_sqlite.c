/*  ep_journal_sqlite: the journal in one SQLite file in WAL mode (the
    default): its schema, opening and checking the file, and the journal's
    statements run on it (ep_journal_internal.h).  */
#include <czmq.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_file.h"
#include "ep_log.h"

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS intents ("
    "  router_seq  INTEGER PRIMARY KEY,"
    "  strategy_id TEXT NOT NULL,"
    "  intent_id   TEXT NOT NULL,"
    "  plane       INTEGER NOT NULL,"
    "  plane_epoch INTEGER NOT NULL,"
    "  dispatched  INTEGER NOT NULL,"           //  1: sent to its plane; 0: rejected
    "  payload     BLOB NOT NULL,"              //  the OrderIntent as read
    "  sender      TEXT);"                      //  who pushed it
    "CREATE TABLE IF NOT EXISTS intent_keys ("  //  duplicate detection, forever
    "  strategy_id TEXT NOT NULL,"
    "  intent_id   TEXT NOT NULL,"
    "  router_seq  INTEGER NOT NULL,"
    "  PRIMARY KEY (strategy_id, intent_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS reports ("
    "  seq         INTEGER PRIMARY KEY,"
    "  router_seq  INTEGER NOT NULL,"
    "  strategy_id TEXT NOT NULL,"
    "  plane       INTEGER NOT NULL,"
    "  status      INTEGER NOT NULL,"
    "  terminal    INTEGER NOT NULL,"
    "  origin      INTEGER NOT NULL,"           //  0 router, 1 plane
    "  late        INTEGER NOT NULL,"
    "  plane_payload BLOB,"                     //  the plane's report as produced
    "  payload     BLOB NOT NULL);"             //  the report as published
    "CREATE INDEX IF NOT EXISTS reports_by_intent ON reports (router_seq);"
    "CREATE TABLE IF NOT EXISTS commands ("
    "  id INTEGER PRIMARY KEY, at_seq INTEGER NOT NULL, kind INTEGER, plane INTEGER,"
    "  epoch INTEGER, issued_by TEXT, sender TEXT, reason TEXT,"
    "  applied INTEGER NOT NULL, outcome TEXT NOT NULL, payload BLOB);"
    "CREATE TABLE IF NOT EXISTS events ("
    "  id INTEGER PRIMARY KEY, at_seq INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB);"
    "CREATE TABLE IF NOT EXISTS zombies (router_seq INTEGER PRIMARY KEY);"
    EP_CHAIN_TABLE
    //  The chain rows of commits by their first intent, and of intents
    //  chained one by one (before commits were), by router_seq: when each
    //  intent was read. A journal's rows are chained once: it needs no
    //  index of them all.
    "CREATE INDEX IF NOT EXISTS chain_commits ON chain (row)"
    "  WHERE tbl = '" EP_CHAIN_COMMIT "' AND row > 0;"
    "CREATE INDEX IF NOT EXISTS chain_intents ON chain (row) WHERE tbl = 'intents';"
    "DROP INDEX IF EXISTS chain_rows;";

//  The tables whose every row joins the chain (the others are indexes of
//  them, or state rewritten in place).
static const char *const s_chained [] = { "intents", "reports", "commands", "events", NULL };

typedef struct {
    sqlite3 *db;                        //  the open database
    sqlite3_stmt *stmt [S_STMT_COUNT];  //  prepared once, reset after each use
    char message [320];                 //  the last error, with the system's
} s_sqlite_t;

struct _ep_journal_rows_t {
    sqlite3_stmt *stmt;                 //  one of the prepared statements
};

static s_sqlite_t *
s_db (ep_journal_t *self)
{
    return (s_sqlite_t *) self->backend_state;
}

//  SQLite's message and, for an I/O error or a full disk, the system's
//  (os_error, or SQLite's own record of it).
static const char *
s_message (ep_journal_t *self, int os_error)
{
    s_sqlite_t *lite = s_db (self);
    if (!os_error)
        os_error = sqlite3_system_errno (lite->db);
    int code = sqlite3_errcode (lite->db) & 0xff;
    bool io = code == SQLITE_IOERR || code == SQLITE_FULL;
    snprintf (lite->message, sizeof lite->message, "%s%s%s", sqlite3_errmsg (lite->db),
              io && os_error ? ": " : "", io && os_error ? strerror (os_error) : "");
    return lite->message;
}

static const char *
s_errmsg (ep_journal_t *self)
{
    return s_message (self, 0);
}

static int
s_exec (ep_journal_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (s_db (self)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ep_log_error ("journal: %s: %s", sql, msg ? msg : "?");
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static void
s_bind (sqlite3_stmt *stmt, const ep_chain_value_t *values, int count)
{
    for (int i = 0; i < count; i++) {
        const ep_chain_value_t *value = &values [i];
        if (value->type == SQLITE_INTEGER)
            sqlite3_bind_int64 (stmt, i + 1, value->integer);
        else
        if (value->type == SQLITE_TEXT)
            sqlite3_bind_text (stmt, i + 1, value->bytes, (int) value->size, SQLITE_STATIC);
        else
        if (value->type == SQLITE_BLOB)
            sqlite3_bind_blob (stmt, i + 1, value->size ? value->bytes : "", (int) value->size,
                               SQLITE_STATIC);
        else
            sqlite3_bind_null (stmt, i + 1);
    }
}

static int
s_write (ep_journal_t *self, int which, const ep_chain_value_t *values, int count, int *changed)
{
    s_sqlite_t *lite = s_db (self);
    sqlite3_stmt *stmt = lite->stmt [which];
    s_bind (stmt, values, count);
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    *changed = sqlite3_changes (lite->db);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int
s_begin (ep_journal_t *self)
{
    return sqlite3_exec (s_db (self)->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void
s_rollback (ep_journal_t *self)
{
    if (!sqlite3_get_autocommit (s_db (self)->db))
        sqlite3_exec (s_db (self)->db, "ROLLBACK", NULL, NULL, NULL);
}

//  Commits, or rolls back and keeps why in self->error (logged by the
//  caller, which knows how often to say it). A failed commit in SQLite
//  never took effect.
static int
s_commit (ep_journal_t *self, bool *unknown)
{
    *unknown = false;
    errno = 0;
    if (sqlite3_exec (s_db (self)->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    snprintf (self->error, sizeof self->error, "%s", s_message (self, errno));
    //  An I/O error has usually rolled the transaction back already.
    s_rollback (self);
    return -1;
}

static ep_journal_rows_t *
s_query (ep_journal_t *self, int which, const ep_chain_value_t *values, int count)
{
    ep_journal_rows_t *rows = malloc (sizeof *rows);
    if (!rows) {
        ep_log_error ("journal: read: out of memory");
        return NULL;
    }
    rows->stmt = s_db (self)->stmt [which];
    s_bind (rows->stmt, values, count);
    return rows;
}

static int
s_next (ep_journal_t *self, ep_journal_rows_t *rows)
{
    int rc = sqlite3_step (rows->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    ep_journal_fail (self, sqlite3_sql (rows->stmt));
    return -1;
}

static int64_t
s_integer (ep_journal_rows_t *rows, int column)
{
    return sqlite3_column_int64 (rows->stmt, column);
}

static const void *
s_bytes (ep_journal_rows_t *rows, int column, size_t *size)
{
    int type = sqlite3_column_type (rows->stmt, column);
    const void *bytes = type == SQLITE_NULL ? NULL
                      : type == SQLITE_TEXT ? (const void *) sqlite3_column_text (rows->stmt, column)
                      : sqlite3_column_blob (rows->stmt, column);
    *size = bytes ? (size_t) sqlite3_column_bytes (rows->stmt, column) : 0;
    //  An empty blob is not NULL
    return bytes || type == SQLITE_NULL ? bytes : "";
}

static void
s_close (ep_journal_rows_t **rows_p)
{
    ep_journal_rows_t *rows = *rows_p;
    if (!rows)
        return;
    sqlite3_reset (rows->stmt);
    sqlite3_clear_bindings (rows->stmt);
    free (rows);
    *rows_p = NULL;
}

static void
s_destroy (ep_journal_t *self)
{
    s_sqlite_t *lite = s_db (self);
    if (!lite)
        return;
    for (int i = 0; i < S_STMT_COUNT; i++)
        sqlite3_finalize (lite->stmt [i]);
    sqlite3_close (lite->db);
    free (lite);
    self->backend_state = NULL;
}

static int
s_defer_syncs (ep_journal_t *self, bool on)
{
    return s_exec (self, on ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
}

static int
s_sync (ep_journal_t *self)
{
    //  The log's file as SQLite holds it open: its sync is SQLite's own
    //  (fdatasync), the one a commit under synchronous=FULL makes.
    sqlite3 *db = s_db (self)->db;
    sqlite3_file *log = NULL;
    if (sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK) {
        snprintf (self->error, sizeof self->error, "cannot reach the write-ahead log: %s",
                  sqlite3_errmsg (db));
        ep_log_error ("journal: %s", self->error);
        return -1;
    }
    if (!log || !log->pMethods)
        return 0;                       //  no log open: nothing was written to one
    errno = 0;
    int rc = log->pMethods->xSync (log, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK) {
        snprintf (self->error, sizeof self->error, "sync of the write-ahead log failed "
                  "(SQLite error %d)%s%s", rc, errno ? ": " : "", errno ? strerror (errno) : "");
        ep_log_error ("journal: %s", self->error);
        return -1;
    }
    return 0;
}

static const ep_journal_backend_t s_backend = {
    .name = "SQLite",
    .write = s_write, .begin = s_begin, .commit = s_commit, .rollback = s_rollback,
    .query = s_query, .next = s_next, .integer = s_integer, .bytes = s_bytes,
    .close = s_close, .errmsg = s_errmsg, .destroy = s_destroy,
    .defer_syncs = s_defer_syncs, .sync = s_sync,
};

//  The single integer sql yields; 0 if no row or NULL.
static int64_t
s_scalar (ep_journal_t *self, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t value = 0;
    if (sqlite3_prepare_v2 (s_db (self)->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ep_journal_fail (self, sql);
        return 0;
    }
    if (sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

//  A journal from before the chain: its rows, table by table, begin it.
int
ep_journal_sqlite_chain_begin (ep_journal_t *self)
{
    if (self->chain_id)
        return 0;
    sqlite3 *db = s_db (self)->db;
    ep_chain_reader_t *reader = ep_chain_reader_new (db);
    if (!reader || s_exec (self, "BEGIN")) {
        ep_chain_reader_destroy (&reader);
        return -1;
    }
    ep_journal_status_t status = EP_JOURNAL_OK;
    for (size_t i = 0; s_chained [i] && status == EP_JOURNAL_OK; i++) {
        char sql [96];
        snprintf (sql, sizeof sql, "SELECT rowid FROM %s ORDER BY rowid", s_chained [i]);
        sqlite3_stmt *rows;
        if (sqlite3_prepare_v2 (db, sql, -1, &rows, NULL) != SQLITE_OK)
            status = EP_JOURNAL_IO;
        uint8_t row_hash [32];
        while (status == EP_JOURNAL_OK && sqlite3_step (rows) == SQLITE_ROW) {
            int64_t rowid = sqlite3_column_int64 (rows, 0);
            status = ep_chain_row_hash (reader, s_chained [i], rowid, row_hash) == 1
                   ? ep_journal_chain_row (self, s_chained [i], rowid, row_hash)
                   : EP_JOURNAL_IO;
        }
        sqlite3_finalize (rows);
    }
    ep_chain_reader_destroy (&reader);
    if (status != EP_JOURNAL_OK) {
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    ep_journal_redo_clear (self);
    return s_exec (self, "COMMIT");
}

static bool
s_has_column (ep_journal_t *self, const char *table, const char *column)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
              table, column);
    return s_scalar (self, sql) == 1;
}

//  The start-up check of an existing journal: SQLite's integrity check, and
//  the tables a journal has.
static int
s_check (ep_journal_t *self, const char *path, char *err, size_t err_size)
{
    char first [256];
    int checked = ep_journal_integrity (s_db (self)->db, first, sizeof first);
    if (checked < 0) {
        snprintf (err, err_size, "journal %s cannot be read (%s): refusing to start; the file "
                  "is left as it is", path, first);
        return -1;
    }
    if (checked) {
        snprintf (err, err_size, "journal %s fails SQLite's integrity check (%s): refusing "
                  "to start; the file is left as it is: restore it from a copy, or move it "
                  "away to start a new journal", path, first);
        return -1;
    }
    if (s_scalar (self, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                        " AND name IN ('intents', 'reports', 'commands', 'state')") != 4) {
        snprintf (err, err_size, "%s is an SQLite database but not an execplane journal: "
                  "refusing to start; the file is left as it is", path);
        return -1;
    }
    return 0;
}

int
ep_journal_sqlite_open (ep_journal_t *self, const char *path, bool sync_full, char *err,
                        size_t err_size)
{
    s_sqlite_t *lite = calloc (1, sizeof *lite);
    if (!lite) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    self->backend = &s_backend;
    self->backend_state = lite;
    struct stat info;
    bool existed = stat (path, &info) == 0 && info.st_size > 0;
    ep_file_create_private (path);     //  SQLite reports it if that failed
    //  One thread uses the journal: no locks on each call, no global
    //  statistics on each allocation (a no-op once SQLite is initialized).
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
    if (sqlite3_open_v2 (path, &lite->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                          | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        snprintf (err, err_size, "journal %s: %s", path,
                  lite->db ? sqlite3_errmsg (lite->db) : "cannot open");
        return -1;
    }
    sqlite3_busy_timeout (lite->db, 5000);
    //  An existing journal is checked before anything is written to it: a
    //  damaged one is left exactly as it is, for whoever restores it.
    if (existed && s_check (self, path, err, err_size))
        return -1;
    //  Without spilling, the statements of a transaction write nothing to
    //  the file: a full disk fails the commit, which the redo log can retry.
    if (s_exec (self, "PRAGMA cache_spill=OFF")
    ||  s_exec (self, "PRAGMA journal_mode=WAL")
    ||  s_exec (self, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
    ||  s_exec (self, s_schema)
    //  A journal from before intents had a sender gets the column (NULL).
    ||  (!s_has_column (self, "intents", "sender")
         && s_exec (self, "ALTER TABLE intents ADD COLUMN sender TEXT"))
    //  A chain from before commits were chained gets their column.
    ||  (!s_has_column (self, "chain", "rows")
         && s_exec (self, "ALTER TABLE chain ADD COLUMN rows BLOB"))) {
        snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (lite->db));
        return -1;
    }
    for (int i = 0; i < S_STMT_COUNT; i++)
        if (sqlite3_prepare_v3 (lite->db, ep_journal_sql (i), -1, SQLITE_PREPARE_PERSISTENT,
                                &lite->stmt [i], NULL) != SQLITE_OK) {
            snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (lite->db));
            return -1;
        }
    return 0;
}
