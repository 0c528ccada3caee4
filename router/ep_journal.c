/*  ep_journal: SQLite (WAL) journal of intents, reports, commands, events:
    its schema, opening and checking it, the writes and the transactions
    (the reads: ep_journal_read.c).  */
#include <czmq.h>
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_buf.h"
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
    "  sender      TEXT);"             //  the OrderIntent as read
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


static const char *s_sql [S_STMT_COUNT] = {
    [S_CLAIM] = "INSERT OR IGNORE INTO intent_keys VALUES (?, ?, ?)",
    [S_INTENT] = "INSERT INTO intents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [S_REPORT] = "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_COMMAND] = "INSERT INTO commands (at_seq, kind, plane, epoch, issued_by, sender,"
                  " reason, applied, outcome, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [S_EVENT] = "INSERT INTO events (at_seq, kind, detail) VALUES (?, ?, ?)",
    [S_SAVE_STATE] = "INSERT OR REPLACE INTO state VALUES ('plane_state', ?)",
    [S_REPORTS_ALL] = "SELECT seq, payload, strategy_id FROM reports"
                      " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
    [S_REPORTS_ONE] = "SELECT seq, payload, strategy_id FROM reports"
                      " WHERE seq >= ?1 AND seq <= ?2 AND strategy_id = ?4 ORDER BY seq LIMIT ?3",
    [S_PLANE_REPORTS] = "SELECT seq, plane_payload FROM reports WHERE router_seq = ?"
                        " AND origin = 1 ORDER BY seq",
    [S_INTENT_BY_SEQ] = "SELECT plane, plane_epoch, dispatched, payload FROM intents"
                        " WHERE router_seq = ?",
    [S_ZOMBIE_ON] = "INSERT OR IGNORE INTO zombies VALUES (?)",
    [S_ZOMBIE_OFF] = "DELETE FROM zombies WHERE router_seq = ?",
    [S_SAVE_DEFINITION] = "INSERT OR REPLACE INTO state VALUES ('definition/' || ?, ?)",
    [S_CHAIN] = "INSERT INTO chain (tbl, row, at_us, row_hash, hash, rows)"
                " VALUES (?, ?, ?, ?, ?, ?)",
    [S_INTAKE_COMMIT] = "SELECT at_us, rows FROM chain WHERE tbl = '" EP_CHAIN_COMMIT "'"
                        " AND row > 0 AND row <= ? ORDER BY row DESC LIMIT 1",
    [S_INTAKE_US] = "SELECT MIN(at_us) FROM chain WHERE tbl = 'intents' AND row = ?",
};

int
ep_journal_fail (ep_journal_t *self, const char *what)
{
    ep_log_error ("journal: %s: %s", what, sqlite3_errmsg (self->db));
    return -1;
}

static int
s_exec (ep_journal_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ep_log_error ("journal: %s: %s", sql, msg ? msg : "?");
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The redo log

//  A record: u8 statement, u8 parameter count, then per parameter u8
//  index, u8 type and its value (int64, or u32 length and bytes). When a
//  commit fails (a full disk), SQLite rolls the transaction back, but the
//  router has already counted on it: ep_journal_retry runs the same
//  writes again.
enum { S_NULL, S_INT, S_TEXT, S_BLOB };

static void
s_redo_put (ep_journal_t *self, const void *bytes, size_t size)
{
    ep_journal_redo_t *redo = &self->redo;
    if (redo->broken || !size)
        return;
    if (ep_buf_append (&redo->log, bytes, size))
        redo->broken = true;
}

//  Starts the record of one write and returns its statement.
static sqlite3_stmt *
s_write (ep_journal_t *self, int which)
{
    uint8_t head [2] = { (uint8_t) which, 0 };
    s_redo_put (self, head, sizeof head);
    self->redo.count_at = self->redo.log.size - 1;
    self->redo.writes++;
    for (size_t i = 0; i < S_ROW_MAX; i++)
        self->row [i] = (ep_chain_value_t) { .type = SQLITE_NULL };
    return self->stmt [which];
}

static void
s_redo_param (ep_journal_t *self, int index, int type, const void *value, size_t size)
{
    uint8_t head [2] = { (uint8_t) index, (uint8_t) type };
    s_redo_put (self, head, sizeof head);
    if (type == S_TEXT || type == S_BLOB) {
        uint32_t length = (uint32_t) size;
        s_redo_put (self, &length, sizeof length);
    }
    s_redo_put (self, value, size);
    if (!self->redo.broken)
        self->redo.log.data [self->redo.count_at]++;
}

static void
s_bind_int (ep_journal_t *self, sqlite3_stmt *stmt, int index, int64_t value)
{
    sqlite3_bind_int64 (stmt, index, value);
    s_redo_param (self, index, S_INT, &value, sizeof value);
    assert (index >= 1 && index <= S_ROW_MAX);
    self->row [index - 1] = (ep_chain_value_t) { .type = SQLITE_INTEGER, .integer = value };
}

//  NULL binds SQL NULL.
static void
s_bind_text (ep_journal_t *self, sqlite3_stmt *stmt, int index, const char *text)
{
    size_t size = text ? strlen (text) : 0;
    sqlite3_bind_text (stmt, index, text, (int) size, SQLITE_STATIC);
    s_redo_param (self, index, text ? S_TEXT : S_NULL, text, size);
    assert (index >= 1 && index <= S_ROW_MAX);
    self->row [index - 1] = (ep_chain_value_t) {
        .type = text ? SQLITE_TEXT : SQLITE_NULL, .bytes = text, .size = size
    };
}

static void
s_bind_blob (ep_journal_t *self, sqlite3_stmt *stmt, int index, const void *data, size_t size)
{
    sqlite3_bind_blob (stmt, index, size ? data : "", (int) size, SQLITE_STATIC);
    s_redo_param (self, index, S_BLOB, data, size);
    assert (index >= 1 && index <= S_ROW_MAX);
    self->row [index - 1] = (ep_chain_value_t) { .type = SQLITE_BLOB, .bytes = data, .size = size };
}

static void
s_redo_clear (ep_journal_t *self)
{
    ep_buf_clear (&self->redo.log);
    self->redo.writes = 0;
    self->redo.broken = false;
}

//  Runs the redo log's writes again, in order. Returns 0 or -1.
static int
s_redo_run (ep_journal_t *self)
{
    const uint8_t *at = self->redo.log.data;
    const uint8_t *end = at + self->redo.log.size;
    while (at < end) {
        sqlite3_stmt *stmt = self->stmt [at [0]];
        int params = at [1];
        at += 2;
        for (int i = 0; i < params; i++) {
            int index = at [0], type = at [1];
            at += 2;
            if (type == S_INT) {
                int64_t value;
                memcpy (&value, at, sizeof value);
                sqlite3_bind_int64 (stmt, index, value);
                at += sizeof value;
            }
            else
            if (type == S_TEXT || type == S_BLOB) {
                uint32_t length;
                memcpy (&length, at, sizeof length);
                at += sizeof length;
                if (type == S_TEXT)
                    sqlite3_bind_text (stmt, index, (const char *) at, (int) length,
                                       SQLITE_STATIC);
                else
                    sqlite3_bind_blob (stmt, index, length ? (const void *) at : "",
                                       (int) length, SQLITE_STATIC);
                at += length;
            }
            else
                sqlite3_bind_null (stmt, index);
        }
        int rc = sqlite3_step (stmt);
        sqlite3_reset (stmt);
        sqlite3_clear_bindings (stmt);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

//  Runs a statement that returns no rows, then resets it.
static ep_journal_status_t
s_step_done (ep_journal_t *self, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc == SQLITE_DONE)
        return EP_JOURNAL_OK;
    ep_journal_fail (self, what);
    return EP_JOURNAL_IO;
}

static void s_chain_committed (ep_journal_t *self);

//  A chain row after the head, written in the same transaction: for row
//  rowid of table, its bytes hashing to row_hash; or for the rows of a
//  commit (table EP_CHAIN_COMMIT, rowid its first intent's router_seq or
//  0, row_hash the hash of rows).
static ep_journal_status_t
s_chain_add (ep_journal_t *self, const char *table, int64_t rowid, const uint8_t row_hash [32],
             const ep_buf_t *rows)
{
    uint8_t hash [32];
    int64_t at_us;
    ep_chain_link_hashed (self->chain_hash, table, rowid, row_hash, &at_us, hash);
    sqlite3_stmt *stmt = s_write (self, S_CHAIN);
    s_bind_text (self, stmt, 1, table);
    s_bind_int (self, stmt, 2, rowid);
    s_bind_int (self, stmt, 3, at_us);
    s_bind_blob (self, stmt, 4, row_hash, 32);
    s_bind_blob (self, stmt, 5, hash, sizeof hash);
    if (rows)
        s_bind_blob (self, stmt, 6, rows->data, rows->size);
    ep_journal_status_t status = s_step_done (self, stmt, "chain a row");
    if (status == EP_JOURNAL_OK) {
        memcpy (self->chain_hash, hash, sizeof hash);
        self->chain_id = sqlite3_last_insert_rowid (self->db);
    }
    return status;
}

//  The row rowid just written to table by stmt (written: how that went)
//  joins the chain: in a transaction, the list of the rows its commit
//  chains; outside one, a chain row of its own. Its bytes are the values
//  the write bound, in the table's column order, after the rowid when the
//  table numbers its rows itself (numbered): the row as `SELECT *` gives
//  it back, not read back.
static ep_journal_status_t
s_chain (ep_journal_t *self, ep_journal_status_t written, sqlite3_stmt *stmt, const char *table,
         int64_t rowid, bool numbered)
{
    if (written != EP_JOURNAL_OK)
        return written;
    ep_chain_value_t values [S_ROW_MAX + 1];
    size_t count = 0;
    if (numbered)
        values [count++] = (ep_chain_value_t) { .type = SQLITE_INTEGER, .integer = rowid };
    int params = sqlite3_bind_parameter_count (stmt);
    assert (params <= S_ROW_MAX);
    for (int i = 0; i < params; i++)
        values [count++] = self->row [i];
    uint8_t row_hash [32];
    if (ep_chain_values_hash (values, count, &self->row_bytes, row_hash)) {
        ep_journal_fail (self, "hash a row for the chain (out of memory)");
        return EP_JOURNAL_IO;
    }
    if (!self->in_txn)
        return s_chain_add (self, table, rowid, row_hash, NULL);
    if (ep_chain_rows_add (&self->commit.rows, table, rowid, row_hash)) {
        ep_journal_fail (self, "list a row for the chain (out of memory)");
        return EP_JOURNAL_IO;
    }
    if (!self->commit.first_intent && strcmp (table, "intents") == 0)
        self->commit.first_intent = rowid;
    return EP_JOURNAL_OK;
}

//  The rows the transaction wrote join the chain, as one chain row.
static ep_journal_status_t
s_chain_commit (ep_journal_t *self)
{
    if (!self->commit.rows.size)
        return EP_JOURNAL_OK;
    uint8_t row_hash [32];
    ep_chain_sha256 (self->commit.rows.data, self->commit.rows.size, row_hash);
    ep_journal_status_t status = s_chain_add (self, EP_CHAIN_COMMIT, self->commit.first_intent,
                                              row_hash, &self->commit.rows);
    ep_buf_clear (&self->commit.rows);
    self->commit.first_intent = 0;
    return status;
}

//  A journal from before the chain: its rows, table by table, begin it.
static int
s_chain_begin (ep_journal_t *self)
{
    if (self->chain_id)
        return 0;
    if (s_exec (self, "BEGIN"))
        return -1;
    ep_journal_status_t status = EP_JOURNAL_OK;
    for (size_t i = 0; s_chained [i] && status == EP_JOURNAL_OK; i++) {
        char sql [96];
        snprintf (sql, sizeof sql, "SELECT rowid FROM %s ORDER BY rowid", s_chained [i]);
        sqlite3_stmt *rows;
        if (sqlite3_prepare_v2 (self->db, sql, -1, &rows, NULL) != SQLITE_OK)
            status = EP_JOURNAL_IO;
        uint8_t row_hash [32];
        while (status == EP_JOURNAL_OK && sqlite3_step (rows) == SQLITE_ROW) {
            int64_t rowid = sqlite3_column_int64 (rows, 0);
            status = ep_chain_row_hash (self->chain_reader, s_chained [i], rowid, row_hash) == 1
                   ? s_chain_add (self, s_chained [i], rowid, row_hash, NULL) : EP_JOURNAL_IO;
        }
        sqlite3_finalize (rows);
    }
    if (status != EP_JOURNAL_OK) {
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    s_redo_clear (self);
    return s_exec (self, "COMMIT");
}

static bool
s_has_column (ep_journal_t *self, const char *table, const char *column)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
              table, column);
    return ep_journal_scalar (self, sql, 0) == 1;
}

//  The start-up check of an existing journal: SQLite's integrity check, and
//  the tables a journal has.
static int
s_check (ep_journal_t *self, const char *path, char *err, size_t err_size)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA integrity_check", -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "journal %s cannot be read (%s): refusing to start; the file "
                  "is left as it is", path, sqlite3_errmsg (self->db));
        return -1;
    }
    char first [256] = "";
    int rc, problems = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text (stmt, 0);
        if (line && streq (line, "ok"))
            continue;
        if (!problems++)
            snprintf (first, sizeof first, "%s", line ? line : "?");
    }
    if (rc != SQLITE_DONE && !problems)
        snprintf (first, sizeof first, "%s", sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    for (char *at = first; *at; at++)
        if (*at == '\n')
            *at = ' ';
    if (rc != SQLITE_DONE || problems) {
        snprintf (err, err_size, "journal %s fails SQLite's integrity check (%s%s): refusing "
                  "to start; the file is left as it is: restore it from a copy, or move it "
                  "away to start a new journal", path, first,
                  problems > 1 ? ", and more" : "");
        return -1;
    }
    if (ep_journal_scalar (self, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                        " AND name IN ('intents', 'reports', 'commands', 'state')", 0) != 4) {
        snprintf (err, err_size, "%s is an SQLite database but not an execplane journal: "
                  "refusing to start; the file is left as it is", path);
        return -1;
    }
    return 0;
}

ep_journal_t *
ep_journal_open (const char *path, bool sync_full, char *err, size_t err_size)
{
    ep_journal_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    struct stat info;
    bool existed = stat (path, &info) == 0 && info.st_size > 0;
    ep_file_create_private (path);     //  SQLite reports it if that failed
    //  One thread uses the journal: no locks on each call, no global
    //  statistics on each allocation (a no-op once SQLite is initialized).
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                          | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        snprintf (err, err_size, "journal %s: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout (self->db, 5000);
    //  An existing journal is checked before anything is written to it: a
    //  damaged one is left exactly as it is, for whoever restores it.
    if (existed && s_check (self, path, err, err_size))
        goto fail;
    //  Without spilling, the statements of a transaction write nothing to
    //  the file: a full disk fails the commit, which the redo log can retry.
    if (s_exec (self, "PRAGMA cache_spill=OFF")
    ||  s_exec (self, "PRAGMA journal_mode=WAL")
    ||  s_exec (self, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
    ||  s_exec (self, s_schema)) {
        snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    //  A journal from before intents had a sender gets the column (NULL).
    if (!s_has_column (self, "intents", "sender")
    &&  s_exec (self, "ALTER TABLE intents ADD COLUMN sender TEXT")) {
        snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    //  A chain from before commits were chained gets their column.
    if (!s_has_column (self, "chain", "rows")
    &&  s_exec (self, "ALTER TABLE chain ADD COLUMN rows BLOB")) {
        snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    for (int i = 0; i < S_STMT_COUNT; i++)
        if (sqlite3_prepare_v3 (self->db, s_sql [i], -1, SQLITE_PREPARE_PERSISTENT,
                                &self->stmt [i], NULL) != SQLITE_OK) {
            snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (self->db));
            goto fail;
        }
    ep_chain_head_t head;
    self->chain_reader = ep_chain_reader_new (self->db);
    if (!self->chain_reader || ep_chain_read_head (self->db, &head, self->chain_hash)
    ||  (self->chain_id = head.id, s_chain_begin (self))) {
        snprintf (err, err_size, "journal %s: its chain: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    s_chain_committed (self);
    return self;
fail:
    ep_journal_destroy (&self);
    return NULL;
}

void
ep_journal_destroy (ep_journal_t **self_p)
{
    ep_journal_t *self = *self_p;
    if (!self)
        return;
    if (self->in_txn)
        ep_journal_commit (self);
    ep_buf_free (&self->redo.log);
    ep_buf_free (&self->row_bytes);
    ep_buf_free (&self->commit.rows);
    ep_chain_reader_destroy (&self->chain_reader);
    for (int i = 0; i < S_STMT_COUNT; i++)
        sqlite3_finalize (self->stmt [i]);
    sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

ep_journal_status_t
ep_journal_begin (ep_journal_t *self)
{
    if (self->in_txn)
        return EP_JOURNAL_OK;
    if (self->owing)
        return EP_JOURNAL_FULL;
    if (s_exec (self, "BEGIN"))
        return EP_JOURNAL_IO;
    self->in_txn = true;
    s_redo_clear (self);
    return EP_JOURNAL_OK;
}

//  Keeps why a write failed: SQLite's message and, for an I/O error, the
//  system's (errno as the failed call left it: SQLite's own record of it,
//  sqlite3_system_errno, is not kept for every write).
static void
s_keep_error (ep_journal_t *self, int os_error)
{
    if (!os_error)
        os_error = sqlite3_system_errno (self->db);
    bool io = (sqlite3_errcode (self->db) & 0xff) == SQLITE_IOERR
           || (sqlite3_errcode (self->db) & 0xff) == SQLITE_FULL;
    snprintf (self->error, sizeof self->error, "%s%s%s", sqlite3_errmsg (self->db),
              io && os_error ? ": " : "", io && os_error ? strerror (os_error) : "");
}

//  Commits, or rolls back and keeps why in self->error (logged by the
//  caller, which knows how often to say it).
static int
s_commit (ep_journal_t *self)
{
    errno = 0;
    if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    s_keep_error (self, errno);
    //  An I/O error has usually rolled the transaction back already.
    if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

ep_journal_status_t
ep_journal_commit (ep_journal_t *self)
{
    if (!self->in_txn)
        return self->owing ? EP_JOURNAL_FULL : EP_JOURNAL_OK;
    ep_journal_status_t chained = s_chain_commit (self);
    self->in_txn = false;
    if (chained != EP_JOURNAL_OK) {
        //  Rolled back, and final: the chain's head in memory did not
        //  take the row a retry would write again
        s_keep_error (self, 0);
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        self->redo.broken = true;
    }
    if (chained != EP_JOURNAL_OK || s_commit (self)) {
        //  The redo log keeps the writes for ep_journal_retry, unless it is
        //  incomplete: then this failure is final.
        self->owing = !self->redo.broken;
        if (!self->owing)
            ep_log_error ("journal: COMMIT: %s", self->error);
        return self->owing ? EP_JOURNAL_FULL : EP_JOURNAL_IO;
    }
    s_redo_clear (self);
    s_chain_committed (self);
    return EP_JOURNAL_OK;
}

ep_journal_status_t
ep_journal_retry (ep_journal_t *self)
{
    if (!self->owing)
        return EP_JOURNAL_OK;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (self->error, sizeof self->error, "BEGIN: %s", sqlite3_errmsg (self->db));
        return EP_JOURNAL_FULL;
    }
    errno = 0;
    if (s_redo_run (self)) {
        s_keep_error (self, errno);
        if (!sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return EP_JOURNAL_FULL;
    }
    if (s_commit (self))
        return EP_JOURNAL_FULL;
    self->owing = false;
    s_redo_clear (self);
    s_chain_committed (self);
    return EP_JOURNAL_OK;
}

const char *
ep_journal_strerror (ep_journal_status_t status)
{
    switch (status) {
        case EP_JOURNAL_OK:
            return "committed";
        case EP_JOURNAL_FULL:
            return "the disk is full or failing: writes held for a retry";
        case EP_JOURNAL_IO:
            return "SQLite refused a write: the transaction is lost";
    }
    return "?";
}

//  The head as written is committed.
static void
s_chain_committed (ep_journal_t *self)
{
    self->committed.id = self->chain_id;
    sodium_bin2hex (self->committed.hex, sizeof self->committed.hex, self->chain_hash,
                    sizeof self->chain_hash);
    if (!self->chain_id)
        self->committed.hex [0] = '\0';
}

void
ep_journal_chain_head (const ep_journal_t *self, ep_chain_head_t *head)
{
    *head = self->committed;
}

bool
ep_journal_owing (ep_journal_t *self)
{
    return self->owing;
}

size_t
ep_journal_owed_writes (ep_journal_t *self)
{
    return self->owing ? self->redo.writes : 0;
}

size_t
ep_journal_open_writes (ep_journal_t *self)
{
    return self->in_txn ? self->redo.writes : 0;
}

const char *
ep_journal_error (ep_journal_t *self)
{
    return self->error;
}

int
ep_journal_claim (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                  uint64_t router_seq)
{
    sqlite3_stmt *stmt = s_write (self, S_CLAIM);
    s_bind_text (self, stmt, 1, strategy_id);
    s_bind_text (self, stmt, 2, intent_id);
    s_bind_int (self, stmt, 3, (int64_t) router_seq);
    if (s_step_done (self, stmt, "claim intent id"))
        return -1;
    return sqlite3_changes (self->db) == 1 ? 1 : 0;
}

ep_journal_status_t
ep_journal_add_intent (ep_journal_t *self, uint64_t router_seq, const char *strategy_id,
                       const char *intent_id, int plane, uint64_t epoch, bool dispatched,
                       const char *sender, const void *payload, size_t size)
{
    sqlite3_stmt *stmt = s_write (self, S_INTENT);
    s_bind_int (self, stmt, 1, (int64_t) router_seq);
    s_bind_text (self, stmt, 2, strategy_id);
    s_bind_text (self, stmt, 3, intent_id);
    s_bind_int (self, stmt, 4, plane);
    s_bind_int (self, stmt, 5, (int64_t) epoch);
    s_bind_int (self, stmt, 6, dispatched);
    s_bind_blob (self, stmt, 7, payload, size);
    s_bind_text (self, stmt, 8, sender);
    return s_chain (self, s_step_done (self, stmt, "add intent"), stmt, "intents",
                    (int64_t) router_seq, false);
}

ep_journal_status_t
ep_journal_add_report (ep_journal_t *self, const ep_journal_report_t *r)
{
    sqlite3_stmt *stmt = s_write (self, S_REPORT);
    s_bind_int (self, stmt, 1, (int64_t) r->seq);
    s_bind_int (self, stmt, 2, (int64_t) r->router_seq);
    s_bind_text (self, stmt, 3, r->strategy_id);
    s_bind_int (self, stmt, 4, r->plane);
    s_bind_int (self, stmt, 5, r->status);
    s_bind_int (self, stmt, 6, r->terminal);
    s_bind_int (self, stmt, 7, r->origin);
    s_bind_int (self, stmt, 8, r->late);
    if (r->plane_payload)
        s_bind_blob (self, stmt, 9, r->plane_payload, r->plane_size);
    s_bind_blob (self, stmt, 10, r->payload, r->size);
    return s_chain (self, s_step_done (self, stmt, "add report"), stmt, "reports",
                    (int64_t) r->seq, false);
}

ep_journal_status_t
ep_journal_add_command (ep_journal_t *self, uint64_t at_seq, int kind, int plane,
                        uint64_t epoch, const char *issued_by, const char *sender,
                        const char *reason, bool applied, const char *outcome,
                        const void *payload, size_t size)
{
    sqlite3_stmt *stmt = s_write (self, S_COMMAND);
    s_bind_int (self, stmt, 1, (int64_t) at_seq);
    s_bind_int (self, stmt, 2, kind);
    s_bind_int (self, stmt, 3, plane);
    s_bind_int (self, stmt, 4, (int64_t) epoch);
    s_bind_text (self, stmt, 5, issued_by);
    s_bind_text (self, stmt, 6, sender);
    s_bind_text (self, stmt, 7, reason);
    s_bind_int (self, stmt, 8, applied);
    s_bind_text (self, stmt, 9, outcome);
    s_bind_blob (self, stmt, 10, payload, size);
    ep_journal_status_t status = s_step_done (self, stmt, "add command");
    return s_chain (self, status, stmt, "commands", sqlite3_last_insert_rowid (self->db), true);
}

ep_journal_status_t
ep_journal_add_event (ep_journal_t *self, uint64_t at_seq, const char *kind, const char *detail)
{
    sqlite3_stmt *stmt = s_write (self, S_EVENT);
    s_bind_int (self, stmt, 1, (int64_t) at_seq);
    s_bind_text (self, stmt, 2, kind);
    s_bind_text (self, stmt, 3, detail);
    ep_journal_status_t status = s_step_done (self, stmt, "add event");
    return s_chain (self, status, stmt, "events", sqlite3_last_insert_rowid (self->db), true);
}

ep_journal_status_t
ep_journal_save_state (ep_journal_t *self, const void *payload, size_t size)
{
    sqlite3_stmt *stmt = s_write (self, S_SAVE_STATE);
    s_bind_blob (self, stmt, 1, payload, size);
    return s_step_done (self, stmt, "save plane state");
}






ep_journal_status_t
ep_journal_save_definition (ep_journal_t *self, const char *id, const void *payload,
                            size_t size)
{
    sqlite3_stmt *stmt = s_write (self, S_SAVE_DEFINITION);
    s_bind_text (self, stmt, 1, id);
    s_bind_blob (self, stmt, 2, payload, size);
    return s_step_done (self, stmt, "save a plane definition");
}

ep_journal_status_t
ep_journal_set_zombie (ep_journal_t *self, uint64_t router_seq, bool on)
{
    sqlite3_stmt *stmt = s_write (self, on ? S_ZOMBIE_ON : S_ZOMBIE_OFF);
    s_bind_int (self, stmt, 1, (int64_t) router_seq);
    return s_step_done (self, stmt, "mark zombie");
}




//  --------------------------------------------------------------------------
//  Durability on demand

ep_journal_status_t
ep_journal_defer_syncs (ep_journal_t *self, bool on)
{
    if (self->in_txn || self->owing) {
        ep_log_error ("journal: syncs can be deferred or not only between transactions");
        return EP_JOURNAL_IO;
    }
    return s_exec (self, on ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL")
         ? EP_JOURNAL_IO : EP_JOURNAL_OK;
}

int
ep_journal_sync (ep_journal_t *self)
{
    //  The log's file as SQLite holds it open: its sync is SQLite's own
    //  (fdatasync), the one a commit under synchronous=FULL makes.
    sqlite3_file *log = NULL;
    if (sqlite3_file_control (self->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log)
        != SQLITE_OK) {
        snprintf (self->error, sizeof self->error, "cannot reach the write-ahead log: %s",
                  sqlite3_errmsg (self->db));
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
