/*  ep_journal: the journal's own logic, whichever database holds it: the
    statements, the writes and the transactions, the redo log that keeps a
    failed commit's writes for a retry, and the chain (the reads:
    ep_journal_read.c; the databases: ep_journal_sqlite.c, ep_journal_pg.c).  */
#include <czmq.h>
#include <sodium.h>
#include <string.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_buf.h"
#include "ep_log.h"

//  Written once for both databases: parameters numbered (?1; PostgreSQL's
//  $1), ON CONFLICT rather than INSERT OR ..., every integer a 64-bit one.
//  The writer numbers the rows of commands, events and chain itself (id,
//  the first value), so that a retry writes the same numbers again.
static const char *s_sql [S_STMT_COUNT] = {
    [S_CLAIM] = "INSERT INTO intent_keys VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    [S_INTENT] = "INSERT INTO intents VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_REPORT] = "INSERT INTO reports VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_COMMAND] = "INSERT INTO commands (id, at_seq, kind, plane, epoch, issued_by, sender,"
                  " reason, applied, outcome, payload)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [S_EVENT] = "INSERT INTO events (id, at_seq, kind, detail) VALUES (?1, ?2, ?3, ?4)",
    [S_SAVE_STATE] = "INSERT INTO state VALUES ('plane_state', ?1)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_ZOMBIE_ON] = "INSERT INTO zombies VALUES (?1) ON CONFLICT DO NOTHING",
    [S_ZOMBIE_OFF] = "DELETE FROM zombies WHERE router_seq = ?1",
    [S_SAVE_DEFINITION] = "INSERT INTO state VALUES ('definition/' || CAST (?1 AS TEXT), ?2)"
                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [S_CHAIN] = "INSERT INTO chain (id, tbl, row, at_us, row_hash, hash, rows)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_REPORTS_ALL] = "SELECT seq, payload, strategy_id FROM reports"
                      " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
    [S_REPORTS_ONE] = "SELECT seq, payload, strategy_id FROM reports"
                      " WHERE seq >= ?1 AND seq <= ?2 AND strategy_id = ?4 ORDER BY seq LIMIT ?3",
    [S_PLANE_REPORTS] = "SELECT seq, plane_payload FROM reports WHERE router_seq = ?1"
                        " AND origin = 1 ORDER BY seq",
    [S_INTENT_BY_SEQ] = "SELECT plane, plane_epoch, dispatched, payload FROM intents"
                        " WHERE router_seq = ?1",
    [S_INTAKE_COMMIT] = "SELECT at_us, rows FROM chain WHERE tbl = '" EP_CHAIN_COMMIT "'"
                        " AND row > 0 AND row <= ?1 ORDER BY row DESC LIMIT 1",
    [S_INTAKE_US] = "SELECT MIN(at_us) FROM chain WHERE tbl = 'intents' AND row = ?1",
    [S_LOAD_STATE] = "SELECT value FROM state WHERE key = 'plane_state'",
    [S_DEFINITIONS] = "SELECT value FROM state WHERE key LIKE 'definition/%'",
    [S_OPEN_INTENTS] =
        "SELECT i.router_seq, i.plane, i.plane_epoch,"
        "  CASE WHEN EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq"
        "                    AND r.origin = 1) THEN 1 ELSE 0 END,"
        "  i.payload FROM intents i WHERE i.dispatched = 1 AND NOT EXISTS"
        "  (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)"
        " ORDER BY i.router_seq",
    [S_FIND_ANY] = "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 LIMIT 2",
    [S_FIND_ONE] = "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 AND strategy_id = ?2",
    [S_ENDING] = "SELECT status FROM reports WHERE router_seq = ?1"
                 " AND terminal = 1 AND late = 0 ORDER BY seq LIMIT 1",
    [S_ENDED_UNKNOWN] =
        "SELECT i.router_seq, i.plane, i.plane_epoch, 1, i.payload FROM reports r"
        " JOIN intents i ON i.router_seq = r.router_seq"
        " WHERE r.terminal = 1 AND r.late = 0 AND r.status = ?2"
        " AND i.plane = ?1 AND i.dispatched = 1"
        " AND NOT EXISTS (SELECT 1 FROM zombies z WHERE z.router_seq = i.router_seq)"
        " ORDER BY r.seq DESC LIMIT ?3",
    [S_ZOMBIES] = "SELECT i.router_seq, i.plane, i.plane_epoch, 1, i.payload"
                  " FROM zombies z JOIN intents i ON i.router_seq = z.router_seq"
                  " ORDER BY i.router_seq",
    [S_LAST_SEQ] = "SELECT MAX(seq) FROM reports",
    [S_LAST_ROUTER_SEQ] = "SELECT MAX(router_seq) FROM intents",
    [S_PROCESSED] = "SELECT MAX(router_seq) FROM reports WHERE origin = 1 AND plane = ?1",
    [S_CHAIN_HEAD] = "SELECT id, hash FROM chain ORDER BY id DESC LIMIT 1",
    [S_CHAIN_HASH] = "SELECT hash FROM chain WHERE id = ?1",
    [S_MAX_COMMAND] = "SELECT MAX(id) FROM commands",
    [S_MAX_EVENT] = "SELECT MAX(id) FROM events",
};

const char *
ep_journal_sql (int which)
{
    return s_sql [which];
}

int
ep_journal_fail (ep_journal_t *self, const char *what)
{
    ep_log_error ("journal: %s: %s", what, self->backend->errmsg (self));
    return -1;
}

//  --------------------------------------------------------------------------
//  The redo log

//  A record: u8 statement (with S_NEW: a claim that found its key new), u8
//  value count, then each value: u8 type and its value (int64, or u32
//  length and bytes). When a commit fails, the database rolls the
//  transaction back, but the router has already counted on it:
//  ep_journal_retry runs the same writes again.
#define S_NEW 0x80

//  Appends the record of the write being made, sized first and written in
//  place: every write the router makes is recorded.
static void
s_redo_record (ep_journal_t *self, int which, bool new_claim)
{
    ep_journal_redo_t *redo = &self->redo;
    redo->writes++;
    if (redo->broken)
        return;
    size_t size = 2;
    for (int i = 0; i < self->row_count; i++) {
        const ep_chain_value_t *value = &self->row [i];
        size += 1 + (value->type == SQLITE_INTEGER ? sizeof value->integer
                   : value->type == SQLITE_NULL ? 0 : sizeof (uint32_t) + value->size);
    }
    if (ep_buf_reserve (&redo->log, size)) {
        redo->broken = true;
        return;
    }
    uint8_t *at = redo->log.data + redo->log.size;
    *at++ = (uint8_t) (which | (new_claim ? S_NEW : 0));
    *at++ = (uint8_t) self->row_count;
    for (int i = 0; i < self->row_count; i++) {
        const ep_chain_value_t *value = &self->row [i];
        *at++ = (uint8_t) value->type;
        if (value->type == SQLITE_INTEGER) {
            memcpy (at, &value->integer, sizeof value->integer);
            at += sizeof value->integer;
        }
        else
        if (value->type != SQLITE_NULL) {
            uint32_t length = (uint32_t) value->size;
            memcpy (at, &length, sizeof length);
            at += sizeof length;
            if (value->size)
                memcpy (at, value->bytes, value->size);
            at += value->size;
        }
    }
    assert ((size_t) (at - redo->log.data) == redo->log.size + size);
    redo->log.size += size;
}

//  The record at *at: its statement and values (pointing into the log);
//  *at moves past it.
static int
s_redo_read (const uint8_t **at, ep_chain_value_t values [S_ROW_MAX], int *count)
{
    const uint8_t *p = *at;
    int which = p [0];
    *count = p [1];
    p += 2;
    for (int i = 0; i < *count; i++) {
        values [i] = (ep_chain_value_t) { .type = *p++ };
        if (values [i].type == SQLITE_INTEGER) {
            memcpy (&values [i].integer, p, sizeof values [i].integer);
            p += sizeof values [i].integer;
        }
        else
        if (values [i].type != SQLITE_NULL) {
            uint32_t length;
            memcpy (&length, p, sizeof length);
            p += sizeof length;
            values [i].bytes = p;
            values [i].size = length;
            p += length;
        }
    }
    *at = p;
    return which;
}

void
ep_journal_redo_clear (ep_journal_t *self)
{
    ep_buf_clear (&self->redo.log);
    self->redo.writes = 0;
    self->redo.broken = false;
}

//  Runs the redo log's writes again, in order. Returns 0; 1 if a write
//  failed (to be tried again); -1 if a claim taken for new was a duplicate,
//  which no retry can mend (why in self->error).
static int
s_redo_run (ep_journal_t *self)
{
    const uint8_t *at = self->redo.log.data;
    const uint8_t *end = at + self->redo.log.size;
    while (at < end) {
        ep_chain_value_t values [S_ROW_MAX];
        int count, changed = 0;
        int which = s_redo_read (&at, values, &count);
        int rc = self->backend->write (self, which & ~S_NEW, values, count, &changed);
        if (rc) {
            snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
            return 1;
        }
        //  A claim that found its key new while the database could not be
        //  reached must find it new now: else that intent was a duplicate,
        //  and the turn that took it for new is not committed
        if ((which & S_NEW) && changed != 1) {
            snprintf (self->error, sizeof self->error, "intent id %.*s of strategy %.*s, "
                      "taken for new while the journal could not be reached, was used before",
                      (int) values [1].size, (const char *) values [1].bytes,
                      (int) values [0].size, (const char *) values [0].bytes);
            return -1;
        }
    }
    return 0;
}

//  Whether a claim of the open transaction, while the database could not
//  be reached, found (strategy_id, intent_id) new.
static bool
s_redo_claimed (ep_journal_t *self, const char *strategy_id, const char *intent_id)
{
    const uint8_t *at = self->redo.log.data;
    const uint8_t *end = at + self->redo.log.size;
    while (!self->redo.broken && at < end) {
        ep_chain_value_t values [S_ROW_MAX];
        int count;
        int which = s_redo_read (&at, values, &count);
        if (which == (S_CLAIM | S_NEW)
        &&  values [0].size == strlen (strategy_id)
        &&  memcmp (values [0].bytes, strategy_id, values [0].size) == 0
        &&  values [1].size == strlen (intent_id)
        &&  memcmp (values [1].bytes, intent_id, values [1].size) == 0)
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Writes

//  Starts a write of count values, set with s_int, s_text and s_blob
//  (index from 1); those left unset are NULL.
static void
s_write (ep_journal_t *self, int count)
{
    assert (count <= S_ROW_MAX);
    for (int i = 0; i < S_ROW_MAX; i++)
        self->row [i] = (ep_chain_value_t) { .type = SQLITE_NULL };
    self->row_count = count;
}

static void
s_int (ep_journal_t *self, int index, int64_t value)
{
    assert (index >= 1 && index <= self->row_count);
    self->row [index - 1] = (ep_chain_value_t) { .type = SQLITE_INTEGER, .integer = value };
}

//  NULL is SQL NULL.
static void
s_text (ep_journal_t *self, int index, const char *text)
{
    assert (index >= 1 && index <= self->row_count);
    self->row [index - 1] = (ep_chain_value_t) {
        .type = text ? SQLITE_TEXT : SQLITE_NULL, .bytes = text, .size = text ? strlen (text) : 0
    };
}

static void
s_blob (ep_journal_t *self, int index, const void *data, size_t size)
{
    assert (index >= 1 && index <= self->row_count);
    self->row [index - 1] = (ep_chain_value_t) {
        .type = SQLITE_BLOB, .bytes = size ? data : "", .size = size
    };
}

//  Runs the write set up, which (what, for the log), and keeps it in the
//  redo log. *changed (if not NULL): the rows it changed. While the
//  database cannot be reached, the write is only kept, for the retry that
//  will run it (its commit fails).
static ep_journal_status_t
s_run (ep_journal_t *self, int which, const char *what, int *changed)
{
    int rows = 0, rc = 1;
    if (!self->unreached)
        rc = self->backend->write (self, which, self->row, self->row_count, &rows);
    if (rc == 1 && !self->in_txn) {
        ep_log_error ("journal: %s: the database cannot be reached", what);
        return EP_JOURNAL_IO;
    }
    if (rc == 1 && !self->unreached) {
        self->unreached = true;
        snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
    }
    if (rc == -1) {
        ep_journal_fail (self, what);
        return EP_JOURNAL_IO;
    }
    if (changed)
        *changed = rc == 1 ? -1 : rows;
    bool new_claim = which == S_CLAIM && (rc == 1 || rows == 1);
    if (self->in_txn)
        s_redo_record (self, which, new_claim);
    return EP_JOURNAL_OK;
}


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
    int64_t id = self->next_id [S_ID_CHAIN];
    s_write (self, 7);
    s_int (self, 1, id);
    s_text (self, 2, table);
    s_int (self, 3, rowid);
    s_int (self, 4, at_us);
    s_blob (self, 5, row_hash, 32);
    s_blob (self, 6, hash, sizeof hash);
    if (rows)
        s_blob (self, 7, rows->data, rows->size);
    ep_journal_status_t status = s_run (self, S_CHAIN, "chain a row", NULL);
    if (status == EP_JOURNAL_OK) {
        memcpy (self->chain_hash, hash, sizeof hash);
        self->chain_id = id;
        self->next_id [S_ID_CHAIN]++;
    }
    return status;
}

ep_journal_status_t
ep_journal_chain_row (ep_journal_t *self, const char *table, int64_t rowid,
                      const uint8_t row_hash [32])
{
    return s_chain_add (self, table, rowid, row_hash, NULL);
}

//  The row rowid just written to table (written: how that went) joins the
//  chain: in a transaction, the list of the rows its commit chains;
//  outside one, a chain row of its own. Its bytes are the values the write
//  bound, in the table's column order: the row as `SELECT *` gives it
//  back, not read back.
static ep_journal_status_t
s_chain (ep_journal_t *self, ep_journal_status_t written, const char *table, int64_t rowid)
{
    if (written != EP_JOURNAL_OK)
        return written;
    uint8_t row_hash [32];
    if (ep_chain_values_hash (self->row, (size_t) self->row_count, &self->row_bytes, row_hash)) {
        ep_log_error ("journal: hash a row for the chain: out of memory");
        return EP_JOURNAL_IO;
    }
    if (!self->in_txn)
        return s_chain_add (self, table, rowid, row_hash, NULL);
    if (ep_chain_rows_add (&self->commit.rows, table, rowid, row_hash)) {
        ep_log_error ("journal: list a row for the chain: out of memory");
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
    self->owed_chain_id = 0;
    if (!self->commit.rows.size)
        return EP_JOURNAL_OK;
    uint8_t row_hash [32];
    ep_chain_sha256 (self->commit.rows.data, self->commit.rows.size, row_hash);
    ep_journal_status_t status = s_chain_add (self, EP_CHAIN_COMMIT, self->commit.first_intent,
                                              row_hash, &self->commit.rows);
    ep_buf_clear (&self->commit.rows);
    self->commit.first_intent = 0;
    if (status == EP_JOURNAL_OK)
        self->owed_chain_id = self->chain_id;
    return status;
}

uint64_t
ep_journal_scalar (ep_journal_t *self, int which, int params, int64_t param)
{
    ep_chain_value_t value = { .type = SQLITE_INTEGER, .integer = param };
    ep_journal_rows_t *rows = self->backend->query (self, which, &value, params);
    if (!rows)
        return 0;
    uint64_t result = 0;
    if (self->backend->next (self, rows) == 1)
        result = (uint64_t) self->backend->integer (rows, 0);
    self->backend->close (&rows);
    return result;
}

//  Whether chain row id has hash: 1, 0 if not (or no such row), -1 if it
//  cannot be read.
static int
s_chain_has (ep_journal_t *self, int64_t id, const uint8_t hash [32])
{
    ep_chain_value_t value = { .type = SQLITE_INTEGER, .integer = id };
    ep_journal_rows_t *rows = self->backend->query (self, S_CHAIN_HASH, &value, 1);
    if (!rows)
        return -1;
    int rc = self->backend->next (self, rows);
    size_t size = 0;
    const void *stored = rc == 1 ? self->backend->bytes (rows, 0, &size) : NULL;
    int found = rc < 0 ? -1 : stored && size == 32 && memcmp (stored, hash, 32) == 0;
    self->backend->close (&rows);
    return found;
}

int
ep_journal_start (ep_journal_t *self)
{
    self->next_id [S_ID_COMMAND] = (int64_t) ep_journal_scalar (self, S_MAX_COMMAND, 0, 0) + 1;
    self->next_id [S_ID_EVENT] = (int64_t) ep_journal_scalar (self, S_MAX_EVENT, 0, 0) + 1;
    ep_journal_rows_t *rows = self->backend->query (self, S_CHAIN_HEAD, NULL, 0);
    if (!rows)
        return -1;
    int rc = self->backend->next (self, rows);
    size_t size = 0;
    const void *hash = rc == 1 ? self->backend->bytes (rows, 1, &size) : NULL;
    memset (self->chain_hash, 0, sizeof self->chain_hash);
    self->chain_id = 0;
    if (hash && size == 32) {
        self->chain_id = self->backend->integer (rows, 0);
        memcpy (self->chain_hash, hash, 32);
    }
    self->backend->close (&rows);
    self->next_id [S_ID_CHAIN] = self->chain_id + 1;
    return rc < 0 ? -1 : 0;
}

ep_journal_t *
ep_journal_open (const char *location, bool sync_full, char *err, size_t err_size)
{
    ep_journal_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    int rc = ep_journal_is_postgresql (location)
           ? ep_journal_pg_open (self, location, err, err_size)
           : ep_journal_sqlite_open (self, location, sync_full, err, err_size);
    char shown [EP_JOURNAL_LOCATION_MAX];
    if (rc == 0 && (ep_journal_start (self)
                    || (!ep_journal_is_postgresql (location)
                        && ep_journal_sqlite_chain_begin (self)))) {
        snprintf (err, err_size, "journal %s: its chain: %s",
                  ep_journal_redacted (location, shown, sizeof shown),
                  self->backend->errmsg (self));
        rc = -1;
    }
    if (rc) {
        ep_journal_destroy (&self);
        return NULL;
    }
    ep_journal_chain_committed (self);
    return self;
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
    if (self->backend)
        self->backend->destroy (self);
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
    int rc = self->backend->begin (self);
    if (rc < 0) {
        ep_journal_fail (self, "BEGIN");
        return EP_JOURNAL_IO;
    }
    //  Unreached: the transaction's writes are kept until its commit
    //  fails, and a retry runs them
    self->unreached = rc == 1;
    if (self->unreached)
        snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
    self->in_txn = true;
    ep_journal_redo_clear (self);
    return EP_JOURNAL_OK;
}

//  The failed commit's writes wait for ep_journal_retry, unless the redo
//  log is incomplete: then the failure is final, and the numbers and the
//  chain's head are read back as the database has them.
static ep_journal_status_t
s_owe (ep_journal_t *self, bool unknown)
{
    self->owing = !self->redo.broken;
    self->commit_unknown = unknown;
    if (self->owing)
        return EP_JOURNAL_FULL;
    ep_log_error ("journal: COMMIT: %s", self->error);
    ep_journal_redo_clear (self);
    ep_journal_start (self);
    return EP_JOURNAL_IO;
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
        snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
        self->backend->rollback (self);
        self->redo.broken = true;
        return s_owe (self, false);
    }
    bool unknown = false;
    if (self->unreached) {
        //  Nothing of it reached the database: the retry makes every write
        self->backend->rollback (self);
        self->unreached = false;
        return s_owe (self, false);
    }
    int rc = self->backend->commit (self, &unknown);
    if (rc) {
        if (rc == -2)
            self->redo.broken = true;
        return s_owe (self, unknown);
    }
    ep_journal_redo_clear (self);
    ep_journal_chain_committed (self);
    return EP_JOURNAL_OK;
}

ep_journal_status_t
ep_journal_retry (ep_journal_t *self)
{
    if (!self->owing)
        return EP_JOURNAL_OK;
    if (self->backend->reconnect && self->backend->reconnect (self))
        return EP_JOURNAL_FULL;
    //  Another router took the lease: what is owed can never be committed
    if (ep_journal_lease_lost (self)) {
        snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
        return EP_JOURNAL_IO;
    }
    //  A commit whose fate the database took away with it: its chain row
    //  says whether it took effect
    if (self->commit_unknown && self->owed_chain_id) {
        int found = s_chain_has (self, self->owed_chain_id, self->chain_hash);
        if (found < 0) {
            snprintf (self->error, sizeof self->error, "%s", self->backend->errmsg (self));
            return EP_JOURNAL_FULL;
        }
        if (found == 1) {
            ep_log_info ("journal: the commit whose outcome was lost with the connection "
                         "had taken effect");
            self->owing = self->commit_unknown = false;
            ep_journal_redo_clear (self);
            ep_journal_chain_committed (self);
            return EP_JOURNAL_OK;
        }
    }
    if (self->backend->begin (self)) {
        snprintf (self->error, sizeof self->error, "BEGIN: %s", self->backend->errmsg (self));
        self->backend->rollback (self);
        return EP_JOURNAL_FULL;
    }
    bool unknown = false;
    int redone = s_redo_run (self);
    if (redone) {
        self->backend->rollback (self);
        //  A write the database refuses (a claim that was a duplicate) is
        //  refused at every retry: said, not tried for ever
        return redone < 0 ? EP_JOURNAL_IO : EP_JOURNAL_FULL;
    }
    if (self->backend->commit (self, &unknown)) {
        self->commit_unknown = unknown;
        return ep_journal_lease_lost (self) ? EP_JOURNAL_IO : EP_JOURNAL_FULL;
    }
    self->owing = self->commit_unknown = false;
    ep_journal_redo_clear (self);
    ep_journal_chain_committed (self);
    return EP_JOURNAL_OK;
}

const char *
ep_journal_strerror (ep_journal_status_t status)
{
    switch (status) {
        case EP_JOURNAL_OK:
            return "committed";
        case EP_JOURNAL_FULL:
            return "the database cannot commit (a full or failing disk, or PostgreSQL "
                   "unreachable): writes held for a retry";
        case EP_JOURNAL_IO:
            return "the database refused a write: the transaction is lost";
    }
    return "?";
}

void
ep_journal_chain_committed (ep_journal_t *self)
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

const char *
ep_journal_backend_name (ep_journal_t *self)
{
    return self->backend->name;
}

int
ep_journal_claim (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                  uint64_t router_seq)
{
    //  While the database cannot be reached, a key is new unless this
    //  transaction claimed it: the retry checks it against the journal
    if (self->unreached && s_redo_claimed (self, strategy_id, intent_id))
        return 0;
    s_write (self, 3);
    s_text (self, 1, strategy_id);
    s_text (self, 2, intent_id);
    s_int (self, 3, (int64_t) router_seq);
    int changed;
    if (s_run (self, S_CLAIM, "claim intent id", &changed))
        return -1;
    return changed != 0 ? 1 : 0;
}

ep_journal_status_t
ep_journal_add_intent (ep_journal_t *self, uint64_t router_seq, const char *strategy_id,
                       const char *intent_id, int plane, uint64_t epoch, bool dispatched,
                       const char *sender, const void *payload, size_t size)
{
    s_write (self, 8);
    s_int (self, 1, (int64_t) router_seq);
    s_text (self, 2, strategy_id);
    s_text (self, 3, intent_id);
    s_int (self, 4, plane);
    s_int (self, 5, (int64_t) epoch);
    s_int (self, 6, dispatched);
    s_blob (self, 7, payload, size);
    s_text (self, 8, sender);
    return s_chain (self, s_run (self, S_INTENT, "add intent", NULL), "intents",
                    (int64_t) router_seq);
}

ep_journal_status_t
ep_journal_add_report (ep_journal_t *self, const ep_journal_report_t *r)
{
    s_write (self, 10);
    s_int (self, 1, (int64_t) r->seq);
    s_int (self, 2, (int64_t) r->router_seq);
    s_text (self, 3, r->strategy_id);
    s_int (self, 4, r->plane);
    s_int (self, 5, r->status);
    s_int (self, 6, r->terminal);
    s_int (self, 7, r->origin);
    s_int (self, 8, r->late);
    if (r->plane_payload)
        s_blob (self, 9, r->plane_payload, r->plane_size);
    s_blob (self, 10, r->payload, r->size);
    return s_chain (self, s_run (self, S_REPORT, "add report", NULL), "reports",
                    (int64_t) r->seq);
}

ep_journal_status_t
ep_journal_add_command (ep_journal_t *self, uint64_t at_seq, int kind, int plane,
                        uint64_t epoch, const char *issued_by, const char *sender,
                        const char *reason, bool applied, const char *outcome,
                        const void *payload, size_t size)
{
    int64_t id = self->next_id [S_ID_COMMAND];
    s_write (self, 11);
    s_int (self, 1, id);
    s_int (self, 2, (int64_t) at_seq);
    s_int (self, 3, kind);
    s_int (self, 4, plane);
    s_int (self, 5, (int64_t) epoch);
    s_text (self, 6, issued_by);
    s_text (self, 7, sender);
    s_text (self, 8, reason);
    s_int (self, 9, applied);
    s_text (self, 10, outcome);
    s_blob (self, 11, payload, size);
    ep_journal_status_t status = s_run (self, S_COMMAND, "add command", NULL);
    if (status == EP_JOURNAL_OK)
        self->next_id [S_ID_COMMAND]++;
    return s_chain (self, status, "commands", id);
}

ep_journal_status_t
ep_journal_add_event (ep_journal_t *self, uint64_t at_seq, const char *kind, const char *detail)
{
    int64_t id = self->next_id [S_ID_EVENT];
    s_write (self, 4);
    s_int (self, 1, id);
    s_int (self, 2, (int64_t) at_seq);
    s_text (self, 3, kind);
    s_text (self, 4, detail);
    ep_journal_status_t status = s_run (self, S_EVENT, "add event", NULL);
    if (status == EP_JOURNAL_OK)
        self->next_id [S_ID_EVENT]++;
    return s_chain (self, status, "events", id);
}

ep_journal_status_t
ep_journal_save_state (ep_journal_t *self, const void *payload, size_t size)
{
    s_write (self, 1);
    s_blob (self, 1, payload, size);
    return s_run (self, S_SAVE_STATE, "save plane state", NULL);
}

ep_journal_status_t
ep_journal_save_definition (ep_journal_t *self, const char *id, const void *payload,
                            size_t size)
{
    s_write (self, 2);
    s_text (self, 1, id);
    s_blob (self, 2, payload, size);
    return s_run (self, S_SAVE_DEFINITION, "save a plane definition", NULL);
}

ep_journal_status_t
ep_journal_set_zombie (ep_journal_t *self, uint64_t router_seq, bool on)
{
    s_write (self, 1);
    s_int (self, 1, (int64_t) router_seq);
    return s_run (self, on ? S_ZOMBIE_ON : S_ZOMBIE_OFF, "mark zombie", NULL);
}
//  --------------------------------------------------------------------------
//  Durability on demand (the backend's; a backend without it makes every
//  commit durable: nothing to defer or sync)

ep_journal_status_t
ep_journal_defer_syncs (ep_journal_t *self, bool on)
{
    if (self->in_txn || self->owing) {
        ep_log_error ("journal: syncs can be deferred or not only between transactions");
        return EP_JOURNAL_IO;
    }
    return !self->backend->defer_syncs || self->backend->defer_syncs (self, on) == 0
         ? EP_JOURNAL_OK : EP_JOURNAL_IO;
}

bool
ep_journal_can_defer_syncs (const ep_journal_t *self)
{
    return self->backend->defer_syncs != NULL;
}

int
ep_journal_sync (ep_journal_t *self)
{
    return self->backend->sync ? self->backend->sync (self) : 0;
}
