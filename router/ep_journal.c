/*  ep_journal: SQLite (WAL) journal of intents, reports, commands, events.  */
#include <czmq.h>
#include <sqlite3.h>
#include <string.h>
#include "ep_journal.h"
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
    "CREATE TABLE IF NOT EXISTS zombies (router_seq INTEGER PRIMARY KEY);";

enum {
    S_CLAIM, S_INTENT, S_REPORT, S_COMMAND, S_EVENT, S_SAVE_STATE,
    S_REPORTS_ALL, S_REPORTS_ONE, S_PLANE_REPORTS, S_INTENT_BY_SEQ, S_ZOMBIE_ON, S_ZOMBIE_OFF, S_STMT_COUNT
};

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
};

struct _ep_journal_t {
    sqlite3 *db;                        //  the open database
    sqlite3_stmt *stmt [S_STMT_COUNT];  //  prepared once, reset after each use
    bool in_txn;                        //  a transaction is open
};

static int
s_fail (ep_journal_t *self, const char *what)
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

//  Runs a statement that returns no rows, then resets it.
static int
s_step_done (ep_journal_t *self, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, what);
}

//  Returns the single integer a query yields (0 if no row or NULL).
static uint64_t
s_scalar (ep_journal_t *self, const char *sql, int64_t param)
{
    sqlite3_stmt *stmt;
    uint64_t value = 0;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_fail (self, sql);
        return 0;
    }
    if (sqlite3_bind_parameter_count (stmt) > 0)
        sqlite3_bind_int64 (stmt, 1, param);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        value = (uint64_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

static bool
s_has_column (ep_journal_t *self, const char *table, const char *column)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
              table, column);
    return s_scalar (self, sql, 0) == 1;
}

ep_journal_t *
ep_journal_open (const char *path, bool sync_full, char *err, size_t err_size)
{
    ep_journal_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    ep_file_create_private (path);     //  SQLite reports it if that failed
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
        != SQLITE_OK) {
        snprintf (err, err_size, "journal %s: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout (self->db, 5000);
    if (s_exec (self, "PRAGMA journal_mode=WAL")
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
    for (int i = 0; i < S_STMT_COUNT; i++)
        if (sqlite3_prepare_v3 (self->db, s_sql [i], -1, SQLITE_PREPARE_PERSISTENT,
                                &self->stmt [i], NULL) != SQLITE_OK) {
            snprintf (err, err_size, "journal %s: %s", path, sqlite3_errmsg (self->db));
            goto fail;
        }
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
    for (int i = 0; i < S_STMT_COUNT; i++)
        sqlite3_finalize (self->stmt [i]);
    sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

int
ep_journal_begin (ep_journal_t *self)
{
    if (self->in_txn)
        return 0;
    if (s_exec (self, "BEGIN"))
        return -1;
    self->in_txn = true;
    return 0;
}

int
ep_journal_commit (ep_journal_t *self)
{
    if (!self->in_txn)
        return 0;
    self->in_txn = false;
    if (s_exec (self, "COMMIT")) {
        s_exec (self, "ROLLBACK");
        return -1;
    }
    return 0;
}

uint64_t
ep_journal_last_seq (ep_journal_t *self)
{
    return s_scalar (self, "SELECT MAX(seq) FROM reports", 0);
}

uint64_t
ep_journal_last_router_seq (ep_journal_t *self)
{
    return s_scalar (self, "SELECT MAX(router_seq) FROM intents", 0);
}

uint64_t
ep_journal_processed_through (ep_journal_t *self, int plane)
{
    return s_scalar (self, "SELECT MAX(router_seq) FROM reports WHERE origin = 1 AND plane = ?",
                     plane);
}

int
ep_journal_claim (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                  uint64_t router_seq)
{
    sqlite3_stmt *stmt = self->stmt [S_CLAIM];
    sqlite3_bind_text (stmt, 1, strategy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, intent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, (int64_t) router_seq);
    if (s_step_done (self, stmt, "claim intent id"))
        return -1;
    return sqlite3_changes (self->db) == 1 ? 1 : 0;
}

int
ep_journal_add_intent (ep_journal_t *self, uint64_t router_seq, const char *strategy_id,
                       const char *intent_id, int plane, uint64_t epoch, bool dispatched,
                       const char *sender, const void *payload, size_t size)
{
    sqlite3_stmt *stmt = self->stmt [S_INTENT];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    sqlite3_bind_text (stmt, 2, strategy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, intent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, plane);
    sqlite3_bind_int64 (stmt, 5, (int64_t) epoch);
    sqlite3_bind_int (stmt, 6, dispatched);
    sqlite3_bind_blob (stmt, 7, size ? payload : "", (int) size, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, sender, -1, SQLITE_STATIC);
    return s_step_done (self, stmt, "add intent");
}

int
ep_journal_add_report (ep_journal_t *self, const ep_journal_report_t *r)
{
    sqlite3_stmt *stmt = self->stmt [S_REPORT];
    sqlite3_bind_int64 (stmt, 1, (int64_t) r->seq);
    sqlite3_bind_int64 (stmt, 2, (int64_t) r->router_seq);
    sqlite3_bind_text (stmt, 3, r->strategy_id, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, r->plane);
    sqlite3_bind_int (stmt, 5, r->status);
    sqlite3_bind_int (stmt, 6, r->terminal);
    sqlite3_bind_int (stmt, 7, r->origin);
    sqlite3_bind_int (stmt, 8, r->late);
    if (r->plane_payload)
        sqlite3_bind_blob (stmt, 9, r->plane_size ? r->plane_payload : "",
                           (int) r->plane_size, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 10, r->size ? r->payload : "", (int) r->size, SQLITE_STATIC);
    return s_step_done (self, stmt, "add report");
}

int
ep_journal_add_command (ep_journal_t *self, uint64_t at_seq, int kind, int plane,
                        uint64_t epoch, const char *issued_by, const char *sender,
                        const char *reason, bool applied, const char *outcome,
                        const void *payload, size_t size)
{
    sqlite3_stmt *stmt = self->stmt [S_COMMAND];
    sqlite3_bind_int64 (stmt, 1, (int64_t) at_seq);
    sqlite3_bind_int (stmt, 2, kind);
    sqlite3_bind_int (stmt, 3, plane);
    sqlite3_bind_int64 (stmt, 4, (int64_t) epoch);
    sqlite3_bind_text (stmt, 5, issued_by, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, sender, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 8, applied);
    sqlite3_bind_text (stmt, 9, outcome, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 10, size ? payload : "", (int) size, SQLITE_STATIC);
    return s_step_done (self, stmt, "add command");
}

int
ep_journal_add_event (ep_journal_t *self, uint64_t at_seq, const char *kind, const char *detail)
{
    sqlite3_stmt *stmt = self->stmt [S_EVENT];
    sqlite3_bind_int64 (stmt, 1, (int64_t) at_seq);
    sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, detail, -1, SQLITE_STATIC);
    return s_step_done (self, stmt, "add event");
}

int
ep_journal_save_state (ep_journal_t *self, const void *payload, size_t size)
{
    sqlite3_stmt *stmt = self->stmt [S_SAVE_STATE];
    sqlite3_bind_blob (stmt, 1, size ? payload : "", (int) size, SQLITE_STATIC);
    return s_step_done (self, stmt, "save plane state");
}

int
ep_journal_load_state (ep_journal_t *self, void **payload, size_t *size)
{
    sqlite3_stmt *stmt;
    *payload = NULL;
    *size = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM state WHERE key = 'plane_state'",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "load plane state");
    int rc = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        int n = sqlite3_column_bytes (stmt, 0);
        *payload = malloc (n > 0 ? n : 1);
        if (*payload) {
            if (n > 0)
                memcpy (*payload, sqlite3_column_blob (stmt, 0), n);
            *size = n;
        }
        else
            rc = -1;
    }
    sqlite3_finalize (stmt);
    return rc;
}

int
ep_journal_reports (ep_journal_t *self, uint64_t from_seq, uint64_t to_seq,
                    const char *strategy_id, unsigned limit,
                    ep_journal_row_fn *fn, void *arg, uint64_t *through_seq)
{
    bool filtered = strategy_id && *strategy_id;
    sqlite3_stmt *stmt = self->stmt [filtered ? S_REPORTS_ONE : S_REPORTS_ALL];
    sqlite3_bind_int64 (stmt, 1, (int64_t) from_seq);
    sqlite3_bind_int64 (stmt, 2, to_seq ? (int64_t) to_seq : INT64_MAX);
    sqlite3_bind_int64 (stmt, 3, limit);
    if (filtered)
        sqlite3_bind_text (stmt, 4, strategy_id, -1, SQLITE_STATIC);
    int count = 0;
    uint64_t last = from_seq ? from_seq - 1 : 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        last = (uint64_t) sqlite3_column_int64 (stmt, 0);
        fn (arg, last, (const char *) sqlite3_column_text (stmt, 2),
            sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
        count++;
    }
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_DONE)
        return s_fail (self, "read reports");
    //  When fewer than limit rows came back, everything up to the range's
    //  end (or the newest seq) has been examined.
    if ((unsigned) count < limit) {
        uint64_t head = ep_journal_last_seq (self);
        uint64_t end = to_seq && to_seq < head ? to_seq : head;
        if (end > last)
            last = end;
    }
    *through_seq = last;
    return count;
}

int
ep_journal_open_intents (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    const char *sql =
        "SELECT i.router_seq, i.plane, i.plane_epoch,"
        "  EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.origin = 1),"
        "  i.payload FROM intents i WHERE i.dispatched = 1 AND NOT EXISTS"
        "  (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)"
        " ORDER BY i.router_seq";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "read open intents");
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1),
            (uint64_t) sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3) != 0,
            sqlite3_column_blob (stmt, 4), sqlite3_column_bytes (stmt, 4));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "read open intents");
}

int
ep_journal_find_intent (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                        uint64_t *router_seq)
{
    bool any = !strategy_id || !*strategy_id;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, any
            ? "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 LIMIT 2"
            : "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 AND strategy_id = ?2",
            -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "find intent");
    sqlite3_bind_text (stmt, 1, intent_id, -1, SQLITE_STATIC);
    if (!any)
        sqlite3_bind_text (stmt, 2, strategy_id, -1, SQLITE_STATIC);
    int found = 0, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        *router_seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        found++;
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? found : s_fail (self, "find intent");
}

int
ep_journal_set_zombie (ep_journal_t *self, uint64_t router_seq, bool on)
{
    sqlite3_stmt *stmt = self->stmt [on ? S_ZOMBIE_ON : S_ZOMBIE_OFF];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    return s_step_done (self, stmt, "mark zombie");
}

int
ep_journal_zombies (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    const char *sql = "SELECT i.router_seq, i.plane, i.plane_epoch, i.payload"
                      " FROM zombies z JOIN intents i ON i.router_seq = z.router_seq"
                      " ORDER BY i.router_seq";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return s_fail (self, "read zombies");
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1),
            (uint64_t) sqlite3_column_int64 (stmt, 2), true,
            sqlite3_column_blob (stmt, 3), sqlite3_column_bytes (stmt, 3));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "read zombies");
}

int
ep_journal_intent (ep_journal_t *self, uint64_t router_seq, int *plane, uint64_t *epoch,
                   bool *dispatched, void **payload, size_t *size)
{
    sqlite3_stmt *stmt = self->stmt [S_INTENT_BY_SEQ];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int found = 0;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *plane = sqlite3_column_int (stmt, 0);
        *epoch = (uint64_t) sqlite3_column_int64 (stmt, 1);
        *dispatched = sqlite3_column_int (stmt, 2) != 0;
        int n = sqlite3_column_bytes (stmt, 3);
        *payload = malloc (n > 0 ? n : 1);
        *size = n;
        if (*payload) {
            memcpy (*payload, sqlite3_column_blob (stmt, 3), n);
            found = 1;
        }
        else
            found = -1;
    }
    else
    if (rc != SQLITE_DONE)
        found = s_fail (self, "read intent");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return found;
}

int
ep_journal_plane_reports (ep_journal_t *self, uint64_t router_seq,
                          ep_journal_report_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->stmt [S_PLANE_REPORTS];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0), sqlite3_column_blob (stmt, 1),
            sqlite3_column_bytes (stmt, 1));
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? 0 : s_fail (self, "read plane reports");
}
