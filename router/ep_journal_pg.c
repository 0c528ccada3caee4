/*  ep_journal_pg: the journal in a PostgreSQL database, through libpq: its
    schema (the SQLite journal's tables, with BIGINT and BYTEA), the
    connection and its session, and the journal's statements run on it
    (ep_journal_internal.h), each prepared once a connection and run with
    binary parameters and results.

    A statement that fails because the server cannot be reached (the
    connection lost, the server down) leaves the transaction to fail at
    its commit, and the journal's retry to connect again and run its
    writes; one the server refuses is final (ep_journal.h).  */
#include <czmq.h>
#include <libpq-fe.h>
#include <string.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_log.h"

//  The same tables and columns as the SQLite journal's, in the same order
//  (a row reads back as the values its writer bound and hashed).
static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS intents ("
    "  router_seq BIGINT PRIMARY KEY, strategy_id TEXT NOT NULL, intent_id TEXT NOT NULL,"
    "  plane BIGINT NOT NULL, plane_epoch BIGINT NOT NULL, dispatched BIGINT NOT NULL,"
    "  payload BYTEA NOT NULL, sender TEXT);"
    "CREATE TABLE IF NOT EXISTS intent_keys ("
    "  strategy_id TEXT NOT NULL, intent_id TEXT NOT NULL, router_seq BIGINT NOT NULL,"
    "  PRIMARY KEY (strategy_id, intent_id));"
    "CREATE TABLE IF NOT EXISTS reports ("
    "  seq BIGINT PRIMARY KEY, router_seq BIGINT NOT NULL, strategy_id TEXT NOT NULL,"
    "  plane BIGINT NOT NULL, status BIGINT NOT NULL, terminal BIGINT NOT NULL,"
    "  origin BIGINT NOT NULL, late BIGINT NOT NULL, plane_payload BYTEA,"
    "  payload BYTEA NOT NULL);"
    "CREATE INDEX IF NOT EXISTS reports_by_intent ON reports (router_seq);"
    "CREATE TABLE IF NOT EXISTS commands ("
    "  id BIGINT PRIMARY KEY, at_seq BIGINT NOT NULL, kind BIGINT, plane BIGINT,"
    "  epoch BIGINT, issued_by TEXT, sender TEXT, reason TEXT,"
    "  applied BIGINT NOT NULL, outcome TEXT NOT NULL, payload BYTEA);"
    "CREATE TABLE IF NOT EXISTS events ("
    "  id BIGINT PRIMARY KEY, at_seq BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BYTEA);"
    "CREATE TABLE IF NOT EXISTS zombies (router_seq BIGINT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS chain ("
    "  id BIGINT PRIMARY KEY, tbl TEXT NOT NULL, row BIGINT NOT NULL, at_us BIGINT NOT NULL,"
    "  row_hash BYTEA NOT NULL, hash BYTEA NOT NULL, rows BYTEA);"
    "CREATE INDEX IF NOT EXISTS chain_commits ON chain (row)"
    "  WHERE tbl = '" EP_CHAIN_COMMIT "' AND row > 0;"
    "CREATE INDEX IF NOT EXISTS chain_intents ON chain (row) WHERE tbl = 'intents';"
    "CREATE TABLE IF NOT EXISTS lease ("
    "  id BIGINT PRIMARY KEY, epoch BIGINT NOT NULL, holder TEXT NOT NULL,"
    "  taken_at TIMESTAMPTZ NOT NULL);";

//  The lease's advisory lock, one per schema (one journal a schema).
#define S_LEASE_KEY "hashtext (current_schema () || '.execplane.lease')"

//  The columns of a journal's tables, all told (the check of a database
//  that already had them).
static const char *s_columns =
    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema ()"
    " AND table_name IN ('intents', 'intent_keys', 'reports', 'commands', 'events', 'state',"
    " 'zombies', 'chain')";
#define S_COLUMNS 46

typedef struct {
    PGconn *conn;
    char conninfo [EP_JOURNAL_LOCATION_MAX];    //  as configured (the journal's location)
    char shown [EP_JOURNAL_LOCATION_MAX];   //  the same, its password masked
    char message [256];                 //  the last error
    bool aborted;                       //  the server refused a statement of the
                                        //  open transaction: it can only roll back
    bool tables;                        //  the tables are there: statements can be prepared
    uint64_t epoch;                     //  the lease this router holds (0: none yet)
    bool lease_lost;                    //  another router took it: nothing more commits
} s_pg_t;

struct _ep_journal_rows_t {
    PGresult *result;
    int row;                            //  the current row (-1: before the first)
};

static s_pg_t *
s_pg (ep_journal_t *self)
{
    return (s_pg_t *) self->backend_state;
}

//  Keeps why something failed: what, and libpq's message (one line).
static void
s_keep (s_pg_t *pg, const char *what, const char *message)
{
    snprintf (pg->message, sizeof pg->message, "%s%s%s", what, *what ? ": " : "",
              message && *message ? message : "no message");
    for (char *at = pg->message; *at; at++)
        if (*at == '\n' || *at == '\t')
            *at = *(at + 1) ? ' ' : '\0';
}

static const char *
s_errmsg (ep_journal_t *self)
{
    return s_pg (self)->message;
}

static bool
s_lost (s_pg_t *pg)
{
    return PQstatus (pg->conn) != CONNECTION_OK;
}

//  The server's notices ("relation already exists, skipping") are not errors.
static void
s_notice (void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

//  What a connection needs: every commit durable before it returns, and
//  the statements prepared. Returns 0, or -1 (why kept).
static int
s_session (s_pg_t *pg)
{
    PQsetNoticeProcessor (pg->conn, s_notice, NULL);
    PGresult *result = PQexec (pg->conn, "SET synchronous_commit = on");
    int rc = PQresultStatus (result) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        s_keep (pg, "SET synchronous_commit", PQerrorMessage (pg->conn));
    PQclear (result);
    for (int i = 0; i < S_STMT_COUNT && rc == 0; i++) {
        //  ?N is $N
        char sql [1024], name [16];
        snprintf (sql, sizeof sql, "%s", ep_journal_sql (i));
        for (char *at = sql; *at; at++)
            if (*at == '?')
                *at = '$';
        snprintf (name, sizeof name, "s%d", i);
        result = PQprepare (pg->conn, name, sql, 0, NULL);
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            s_keep (pg, "prepare", PQerrorMessage (pg->conn));
            rc = -1;
        }
        PQclear (result);
    }
    return rc;
}

//  The lease's lock, tried on the connection: 1 taken, 0 another's, -1
//  failed (why kept).
static int
s_try_lock (s_pg_t *pg)
{
    PGresult *result = PQexec (pg->conn, "SELECT pg_try_advisory_lock (" S_LEASE_KEY ")");
    int rc = -1;
    if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1)
        rc = streq (PQgetvalue (result, 0, 0), "t");
    else
        s_keep (pg, "the lease's lock", PQerrorMessage (pg->conn));
    PQclear (result);
    return rc;
}

static void
s_lease_lose (s_pg_t *pg, const char *why)
{
    if (!pg->lease_lost)
        ep_log_error ("journal: the lease (epoch %llu) is lost: %s; nothing more commits",
                      (unsigned long long) pg->epoch, why);
    pg->lease_lost = true;
    s_keep (pg, "the lease is another router's", why);
}

//  A connection made again lost the lock with the old one: taken again,
//  or the lease is lost (another router holds it). Returns 0, or -1.
static int
s_relock (s_pg_t *pg)
{
    int locked = s_try_lock (pg);
    if (locked == 0)
        s_lease_lose (pg, "another router took its lock while the connection was lost");
    return locked == 1 ? 0 : -1;
}

//  (Re)connects. Returns 0, or -1 (why kept).
static int
s_connect (s_pg_t *pg)
{
    bool again = pg->conn != NULL;
    if (again)
        PQreset (pg->conn);
    else {
        //  Defaults the connection string may override (it is expanded
        //  where dbname is: what follows it overrides it)
        const char *keys [] = {
            "connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
            "keepalives_count", "tcp_user_timeout", "dbname", "client_encoding", NULL
        };
        const char *values [] = {
            "5", "ep-router", "5", "2", "3", "10000", pg->conninfo, "UTF8", NULL
        };
        pg->conn = PQconnectdbParams (keys, values, 1);
    }
    pg->aborted = false;
    if (!pg->conn) {
        s_keep (pg, "PostgreSQL cannot be reached", "out of memory");
        return -1;
    }
    if (s_lost (pg)) {
        s_keep (pg, "PostgreSQL cannot be reached", PQerrorMessage (pg->conn));
        return -1;
    }
    if (pg->tables && s_session (pg))
        return -1;
    if (again)
        ep_log_info ("journal: connected to PostgreSQL again (%s)", pg->shown);
    return again && pg->epoch ? s_relock (pg) : 0;
}

//  Runs a statement without parameters. Returns 0, -1 if refused, 1 if the
//  server cannot be reached (why kept).
static int
s_simple (s_pg_t *pg, const char *sql, const char *expected)
{
    PGresult *result = PQexec (pg->conn, sql);
    int rc = 0;
    if (PQresultStatus (result) != PGRES_COMMAND_OK) {
        rc = s_lost (pg) ? 1 : -1;
        s_keep (pg, sql, PQerrorMessage (pg->conn));
    }
    else
    if (expected && strcmp (PQcmdStatus (result), expected)) {
        rc = -1;
        s_keep (pg, sql, "the transaction was refused before its commit: rolled back");
    }
    PQclear (result);
    return rc;
}

//  Runs statement which with values as binary parameters; results binary.
static PGresult *
s_run (s_pg_t *pg, int which, const ep_chain_value_t *values, int count)
{
    const char *params [S_ROW_MAX];
    int lengths [S_ROW_MAX], formats [S_ROW_MAX];
    uint8_t integers [S_ROW_MAX][8];
    for (int i = 0; i < count; i++) {
        const ep_chain_value_t *value = &values [i];
        formats [i] = 1;
        if (value->type == SQLITE_INTEGER) {
            uint64_t v = (uint64_t) value->integer;
            for (int b = 7; b >= 0; b--, v >>= 8)
                integers [i][b] = (uint8_t) v;
            params [i] = (const char *) integers [i];
            lengths [i] = 8;
        }
        else
        if (value->type == SQLITE_NULL) {
            params [i] = NULL;
            lengths [i] = 0;
        }
        else {
            params [i] = value->size ? value->bytes : "";
            lengths [i] = (int) value->size;
        }
    }
    char name [16];
    snprintf (name, sizeof name, "s%d", which);
    return PQexecPrepared (pg->conn, name, count, params, lengths, formats, 1);
}

static int
s_write (ep_journal_t *self, int which, const ep_chain_value_t *values, int count, int *changed)
{
    s_pg_t *pg = s_pg (self);
    PGresult *result = s_run (pg, which, values, count);
    int rc = 0;
    if (PQresultStatus (result) == PGRES_COMMAND_OK)
        *changed = atoi (PQcmdTuples (result));
    else {
        rc = s_lost (pg) ? 1 : -1;
        s_keep (pg, "", PQerrorMessage (pg->conn));
        if (rc < 0 && self->in_txn)
            pg->aborted = true;
    }
    PQclear (result);
    return rc;
}

static int
s_begin (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    pg->aborted = false;
    //  A connection lost while idle is found here: connected again, once
    int rc = s_lost (pg) ? 1 : s_simple (pg, "BEGIN", NULL);
    if (rc == 1) {
        if (s_connect (pg))
            return 1;
        rc = s_simple (pg, "BEGIN", NULL);
    }
    return rc;
}

static void
s_rollback (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    if (!s_lost (pg) && PQtransactionStatus (pg->conn) != PQTRANS_IDLE) {
        PGresult *result = PQexec (pg->conn, "ROLLBACK");
        PQclear (result);
    }
    pg->aborted = false;
}

//  The fence, the last statement before COMMIT: the lease's row read FOR
//  SHARE must still hold this router's epoch. A router that takes the
//  lease bumps it with an UPDATE, which waits for this transaction (and
//  then reads what it committed), or came first (and this one fails).
//  Returns 0; or, rolled back, -1 (unreachable: for a retry) or -2 (the
//  lease is lost, or the read refused).
static int
s_fence (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    PGresult *result = PQexec (pg->conn, "SELECT epoch FROM lease WHERE id = 1 FOR SHARE");
    int rc = 0;
    if (PQresultStatus (result) != PGRES_TUPLES_OK) {
        rc = s_lost (pg) ? -1 : -2;
        s_keep (pg, "the lease's fence", PQerrorMessage (pg->conn));
    }
    else {
        uint64_t epoch = PQntuples (result) == 1 ? strtoull (PQgetvalue (result, 0, 0), NULL, 10)
                                                 : 0;
        if (epoch != pg->epoch) {
            char why [96];
            snprintf (why, sizeof why, "the fence found epoch %llu", (unsigned long long) epoch);
            s_lease_lose (pg, why);
            rc = -2;
        }
    }
    PQclear (result);
    if (rc) {
        snprintf (self->error, sizeof self->error, "%s", pg->message);
        s_rollback (self);
    }
    return rc;
}

static int
s_commit (ep_journal_t *self, bool *unknown)
{
    s_pg_t *pg = s_pg (self);
    *unknown = false;
    if (pg->aborted) {
        snprintf (self->error, sizeof self->error, "PostgreSQL refused a write of the "
                  "transaction (%.160s): rolled back", pg->message);
        s_rollback (self);
        return -2;
    }
    if (pg->lease_lost) {
        snprintf (self->error, sizeof self->error, "%s", pg->message);
        s_rollback (self);
        return -2;
    }
    int rc = pg->epoch ? s_fence (self) : 0;
    if (rc)
        return rc;
    rc = s_simple (pg, "COMMIT", "COMMIT");
    if (rc == 0)
        return 0;
    snprintf (self->error, sizeof self->error, "%s", pg->message);
    //  Lost during the commit: the server may have made it
    *unknown = rc == 1;
    s_rollback (self);
    return rc == 1 ? -1 : -2;
}

static int
s_reconnect (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    if (!s_lost (pg))
        return 0;
    if (s_connect (pg)) {
        snprintf (self->error, sizeof self->error, "%s", pg->message);
        return -1;
    }
    return 0;
}

static ep_journal_rows_t *
s_query (ep_journal_t *self, int which, const ep_chain_value_t *values, int count)
{
    s_pg_t *pg = s_pg (self);
    //  Outside a transaction, a lost connection is made again for a read
    if (s_lost (pg) && !self->in_txn && s_connect (pg)) {
        ep_log_error ("journal: read: %s", pg->message);
        return NULL;
    }
    ep_journal_rows_t *rows = calloc (1, sizeof *rows);
    if (!rows) {
        ep_log_error ("journal: read: out of memory");
        return NULL;
    }
    rows->result = s_run (pg, which, values, count);
    rows->row = -1;
    if (PQresultStatus (rows->result) != PGRES_TUPLES_OK) {
        s_keep (pg, "", PQerrorMessage (pg->conn));
        if (!s_lost (pg) && self->in_txn)
            pg->aborted = true;
        ep_log_error ("journal: read: %s", pg->message);
        PQclear (rows->result);
        free (rows);
        return NULL;
    }
    return rows;
}

static int
s_next (ep_journal_t *self, ep_journal_rows_t *rows)
{
    (void) self;
    return ++rows->row < PQntuples (rows->result) ? 1 : 0;
}

//  A binary integer: BIGINT, INTEGER, SMALLINT or BOOLEAN, most
//  significant byte first.
static int64_t
s_integer (ep_journal_rows_t *rows, int column)
{
    if (PQgetisnull (rows->result, rows->row, column))
        return 0;
    const uint8_t *bytes = (const uint8_t *) PQgetvalue (rows->result, rows->row, column);
    int length = PQgetlength (rows->result, rows->row, column);
    uint64_t value = length > 0 && (bytes [0] & 0x80) && length < 8 ? UINT64_MAX : 0;
    for (int i = 0; i < length && i < 8; i++)
        value = (value << 8) | bytes [i];
    return (int64_t) value;
}

static const void *
s_bytes (ep_journal_rows_t *rows, int column, size_t *size)
{
    *size = 0;
    if (PQgetisnull (rows->result, rows->row, column))
        return NULL;
    *size = (size_t) PQgetlength (rows->result, rows->row, column);
    return PQgetvalue (rows->result, rows->row, column);
}

static void
s_close (ep_journal_rows_t **rows_p)
{
    ep_journal_rows_t *rows = *rows_p;
    if (!rows)
        return;
    PQclear (rows->result);
    free (rows);
    *rows_p = NULL;
}

static void
s_destroy (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    if (!pg)
        return;
    if (pg->conn)
        PQfinish (pg->conn);
    free (pg);
    self->backend_state = NULL;
}

static int
s_lease_take (ep_journal_t *self, const char *holder, uint64_t *epoch)
{
    s_pg_t *pg = s_pg (self);
    if (s_lost (pg) && s_connect (pg)) {
        ep_log_error ("journal: the lease: %s", pg->message);
        return -1;
    }
    int locked = s_try_lock (pg);
    if (locked <= 0) {
        if (locked < 0)
            ep_log_error ("journal: %s", pg->message);
        return locked;
    }
    //  The lock is ours: the epoch bumped, committed at once
    const char *params [1] = { holder };
    PGresult *result = PQexecParams (pg->conn,
        "INSERT INTO lease VALUES (1, 1, $1, now ()) ON CONFLICT (id) DO UPDATE"
        " SET epoch = lease.epoch + 1, holder = excluded.holder, taken_at = excluded.taken_at"
        " RETURNING epoch", 1, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1) {
        pg->epoch = strtoull (PQgetvalue (result, 0, 0), NULL, 10);
        pg->lease_lost = false;
        *epoch = pg->epoch;
        rc = 1;
    }
    else {
        s_keep (pg, "taking the lease", PQerrorMessage (pg->conn));
        ep_log_error ("journal: %s", pg->message);
        //  Not taken: the lock goes too, for another router to try
        PQclear (PQexec (pg->conn, "SELECT pg_advisory_unlock (" S_LEASE_KEY ")"));
    }
    PQclear (result);
    return rc;
}

static int
s_lease_check (ep_journal_t *self)
{
    s_pg_t *pg = s_pg (self);
    if (pg->lease_lost)
        return 1;
    if (s_lost (pg) && s_connect (pg)) {
        snprintf (self->error, sizeof self->error, "%s", pg->message);
        return pg->lease_lost ? 1 : -1;
    }
    PGresult *result = PQexec (pg->conn, "SELECT epoch FROM lease WHERE id = 1");
    if (PQresultStatus (result) != PGRES_TUPLES_OK && s_lost (pg)) {
        //  Found lost by this read (the server ended it): connected again, once
        PQclear (result);
        if (s_connect (pg)) {
            snprintf (self->error, sizeof self->error, "%s", pg->message);
            return pg->lease_lost ? 1 : -1;
        }
        result = PQexec (pg->conn, "SELECT epoch FROM lease WHERE id = 1");
    }
    int rc = -1;
    if (PQresultStatus (result) == PGRES_TUPLES_OK) {
        uint64_t epoch = PQntuples (result) == 1 ? strtoull (PQgetvalue (result, 0, 0), NULL, 10)
                                                 : 0;
        rc = 0;
        if (epoch != pg->epoch) {
            char why [96];
            snprintf (why, sizeof why, "its row holds epoch %llu", (unsigned long long) epoch);
            s_lease_lose (pg, why);
            rc = 1;
        }
    }
    else {
        s_keep (pg, "the lease", PQerrorMessage (pg->conn));
        snprintf (self->error, sizeof self->error, "%s", pg->message);
    }
    PQclear (result);
    return rc;
}

static bool
s_lease_lost (ep_journal_t *self)
{
    return s_pg (self)->lease_lost;
}

static const ep_journal_backend_t s_backend = {
    .name = "PostgreSQL",
    .write = s_write, .begin = s_begin, .commit = s_commit, .rollback = s_rollback,
    .reconnect = s_reconnect,
    .query = s_query, .next = s_next, .integer = s_integer, .bytes = s_bytes,
    .close = s_close, .errmsg = s_errmsg, .destroy = s_destroy,
    .lease_take = s_lease_take, .lease_check = s_lease_check, .lease_lost = s_lease_lost,
};

//  The tables, created if missing, and a check that those there are a
//  journal's. Returns 0, or -1 with the reason in err.
static int
s_tables (s_pg_t *pg, char *err, size_t err_size)
{
    PGresult *result = PQexec (pg->conn, s_schema);
    if (PQresultStatus (result) != PGRES_COMMAND_OK) {
        s_keep (pg, "creating its tables", PQerrorMessage (pg->conn));
        snprintf (err, err_size, "journal %s: %s", pg->shown, pg->message);
        PQclear (result);
        return -1;
    }
    PQclear (result);
    result = PQexec (pg->conn, s_columns);
    long columns = PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1
                 ? atol (PQgetvalue (result, 0, 0)) : -1;
    PQclear (result);
    if (columns != S_COLUMNS) {
        snprintf (err, err_size, "journal %s: the database has tables of the journal's names "
                  "that are not an execplane journal's (%ld columns, not %d): refusing to "
                  "start; they are left as they are", pg->shown, columns, S_COLUMNS);
        return -1;
    }
    return 0;
}

int
ep_journal_pg_open (ep_journal_t *self, const char *conninfo, char *err, size_t err_size)
{
    s_pg_t *pg = calloc (1, sizeof *pg);
    if (!pg) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    self->backend = &s_backend;
    self->backend_state = pg;
    ep_journal_redacted (conninfo, pg->shown, sizeof pg->shown);
    if (strlen (conninfo) >= sizeof pg->conninfo) {
        snprintf (err, err_size, "journal %s: longer than %zu characters", pg->shown,
                  sizeof pg->conninfo - 1);
        return -1;
    }
    strcpy (pg->conninfo, conninfo);
    if (s_connect (pg)) {
        snprintf (err, err_size, "journal %s: %s", pg->shown, pg->message);
        return -1;
    }
    if (s_tables (pg, err, err_size))
        return -1;
    pg->tables = true;
    if (s_session (pg)) {
        snprintf (err, err_size, "journal %s: %s", pg->shown, pg->message);
        return -1;
    }
    ep_log_info ("journal: PostgreSQL %s, server %d", pg->shown, PQserverVersion (pg->conn));
    return 0;
}
