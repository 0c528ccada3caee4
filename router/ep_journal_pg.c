/*  ep_journal_pg: the journal in a PostgreSQL database, through libpq: its
    schema (the SQLite journal's tables, with BIGINT and BYTEA), the
    connection and its session, and the journal's statements run on it
    (ep_journal_internal.h), each prepared once a connection and run with
    binary parameters and results (its tables: ep_journal_pg_schema.c).

    A statement that fails because the server cannot be reached (the
    connection lost, the server down) leaves the transaction to fail at
    its commit, and the journal's retry to connect again and run its
    writes; one the server refuses is final (ep_journal.h).

    Inside a transaction, writes go out in a pipeline (libpq's pipeline
    mode) without waiting for their results, which are read when a result
    is needed: a duplicate-id claim's (the router decides on it at once), a
    read's, or the commit's. The commit sends the writes still pending,
    the fence and COMMIT together: a turn costs one round trip for BEGIN,
    one per claim, and one for the rest. A write the server refuses is
    found then, and is as final (the commit fails for good); a connection
    lost before COMMIT's result was read leaves the commit's outcome to be
    looked up by its chain row, as before.  */
#include <czmq.h>
#include <libpq-fe.h>
#include <string.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_journal_pg.h"
#include "ep_log.h"

//  The fence (s_commit): an error unless the lease's row, read FOR SHARE,
//  holds epoch $1, so that COMMIT, sent after it in the same pipeline, is
//  never run under another router's lease (the server skips what follows
//  an error up to the pipeline's end). A missing row is no epoch.
static const char *s_fence_sql =
    "SELECT 1 / CASE WHEN (SELECT epoch FROM lease WHERE id = 1 FOR SHARE) = $1"
    " THEN 1 ELSE 0 END";
#define S_FENCE_FAILED "22012"          //  division_by_zero: the fence's epoch differs

//  Writes pending in a pipeline before their results are read (a turn of
//  many reports reads them as it goes)
#define S_PIPE_MAX 512

//  The lease's advisory lock, one per schema (one journal a schema).
#define S_LEASE_KEY "hashtext (current_schema () || '.execplane.lease')"

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
    int queued;                         //  statements in the pipeline, results unread
    int failed_at;                      //  the first the server refused there, or -1
    char failed_state [6];              //  and its SQLSTATE
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

//  The name statement which (ep_journal_sql) is prepared under.
static void
s_name (int which, char name [16])
{
    snprintf (name, 16, "s%d", which);
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
        s_name (i, name);
        result = PQprepare (pg->conn, name, sql, 0, NULL);
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            s_keep (pg, "prepare", PQerrorMessage (pg->conn));
            rc = -1;
        }
        PQclear (result);
    }
    if (rc == 0) {
        result = PQprepare (pg->conn, "fence", s_fence_sql, 0, NULL);
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
    //  A connection lost inside a pipeline is not reused
    if (again && PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF) {
        PQfinish (pg->conn);
        pg->conn = NULL;
    }
    pg->queued = 0;
    if (pg->conn)
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

//  A statement's values as binary parameters (pointing into them).
typedef struct {
    const char *params [S_ROW_MAX];
    int lengths [S_ROW_MAX], formats [S_ROW_MAX];
    uint8_t integers [S_ROW_MAX][8];
} s_params_t;

static void
s_bind (s_params_t *p, const ep_chain_value_t *values, int count)
{
    for (int i = 0; i < count; i++) {
        const ep_chain_value_t *value = &values [i];
        p->formats [i] = 1;
        if (value->type == SQLITE_INTEGER) {
            uint64_t v = (uint64_t) value->integer;
            for (int b = 7; b >= 0; b--, v >>= 8)
                p->integers [i][b] = (uint8_t) v;
            p->params [i] = (const char *) p->integers [i];
            p->lengths [i] = 8;
        }
        else
        if (value->type == SQLITE_NULL) {
            p->params [i] = NULL;
            p->lengths [i] = 0;
        }
        else {
            p->params [i] = value->size ? value->bytes : "";
            p->lengths [i] = (int) value->size;
        }
    }
}

//  --------------------------------------------------------------------------
//  The pipeline

//  Into pipeline mode, if not in it. Returns 0, -1 (refused), or 1 (lost).
static int
s_pipe (s_pg_t *pg)
{
    if (PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF || PQenterPipelineMode (pg->conn))
        return 0;
    s_keep (pg, "pipeline mode", PQerrorMessage (pg->conn));
    return s_lost (pg) ? 1 : -1;
}

//  Sends prepared statement name with its values (NULL: sql, without),
//  its result to be read by s_drain. Returns 0, -1, or 1 (lost).
static int
s_send (s_pg_t *pg, const char *name, const char *sql, const ep_chain_value_t *values,
        int count)
{
    s_params_t p;
    s_bind (&p, values, count);
    int sent = name ? PQsendQueryPrepared (pg->conn, name, count, p.params, p.lengths,
                                           p.formats, 1)
                    : PQsendQueryParams (pg->conn, sql, 0, NULL, NULL, NULL, NULL, 1);
    if (sent) {
        pg->queued++;
        return 0;
    }
    s_keep (pg, "", PQerrorMessage (pg->conn));
    return s_lost (pg) ? 1 : -1;
}

//  Reads the results of the statements in the pipeline, up to a sync, and
//  leaves pipeline mode. *last (if not NULL): the last one's result, if
//  it succeeded (the caller clears it). Returns 0; 1 if the connection was
//  lost meanwhile (whatever the server refused before); else -1 if the
//  server refused one (the first in pg->failed_at, its SQLSTATE kept, why
//  kept: those after it were skipped).
static int
s_drain (s_pg_t *pg, PGresult **last)
{
    int count = pg->queued, rc = 0;
    pg->queued = 0;
    pg->failed_at = -1;
    if (last)
        *last = NULL;
    if (!PQpipelineSync (pg->conn))
        rc = 1;
    for (int i = 0; i < count && rc != 1; i++) {
        PGresult *result = PQgetResult (pg->conn);
        ExecStatusType status = PQresultStatus (result);
        bool got = result != NULL;
        if (!got)
            rc = 1;
        else
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            if (last && i == count - 1) {
                *last = result;
                result = NULL;
            }
        }
        else
        if (rc == 0) {
            rc = -1;
            pg->failed_at = i;
            const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
            snprintf (pg->failed_state, sizeof pg->failed_state, "%s", state ? state : "");
            s_keep (pg, "", PQresultErrorMessage (result));
        }
        //  Each statement's results end with a NULL
        if (got)
            for (PGresult *more; !s_lost (pg) && (more = PQgetResult (pg->conn)); )
                PQclear (more);
        PQclear (result);
    }
    if (rc != 1) {
        PGresult *sync = PQgetResult (pg->conn);
        if (PQresultStatus (sync) != PGRES_PIPELINE_SYNC)
            rc = 1;
        PQclear (sync);
    }
    if (rc != 1 && !PQexitPipelineMode (pg->conn))
        rc = 1;
    //  The server ending the connection refuses what it was running first
    if (rc == 1 || s_lost (pg)) {
        rc = 1;
        s_keep (pg, "PostgreSQL cannot be reached", PQerrorMessage (pg->conn));
        if (last) {
            PQclear (*last);
            *last = NULL;
        }
    }
    return rc;
}

//  Out of pipeline mode, its results read (and dropped: what failed is
//  kept, and a refusal aborted the transaction). Returns as s_drain.
static int
s_settle (s_pg_t *pg)
{
    if (PQpipelineStatus (pg->conn) == PQ_PIPELINE_OFF)
        return 0;
    if (s_lost (pg))
        return 1;
    return s_drain (pg, NULL);
}

//  --------------------------------------------------------------------------

//  Runs a statement without parameters. Returns 0, -1 if refused, 1 if the
//  server cannot be reached (why kept).
static int
s_simple (s_pg_t *pg, const char *sql, const char *expected)
{
    int rc = s_settle (pg);
    if (rc)
        return rc;
    PGresult *result = PQexec (pg->conn, sql);
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
    s_params_t p;
    s_bind (&p, values, count);
    char name [16];
    s_name (which, name);
    return PQexecPrepared (pg->conn, name, count, p.params, p.lengths, p.formats, 1);
}

//  A write of the open transaction, in the pipeline: its result is read
//  now if it is a claim's (*changed: the rows it changed) or the pipeline
//  is long; else later (*changed 1: only a claim's count is used).
static int
s_write_piped (s_pg_t *pg, int which, const ep_chain_value_t *values, int count, int *changed)
{
    char name [16];
    s_name (which, name);
    int rc = s_pipe (pg);
    if (rc == 0)
        rc = s_send (pg, name, NULL, values, count);
    *changed = 1;
    if (rc == 0 && (which == S_CLAIM || pg->queued >= S_PIPE_MAX)) {
        PGresult *last;
        rc = s_drain (pg, which == S_CLAIM ? &last : NULL);
        if (rc == 0 && which == S_CLAIM) {
            *changed = atoi (PQcmdTuples (last));
            PQclear (last);
        }
    }
    if (rc < 0)
        pg->aborted = true;
    return rc;
}

static int
s_write (ep_journal_t *self, int which, const ep_chain_value_t *values, int count, int *changed)
{
    s_pg_t *pg = s_pg (self);
    if (self->in_txn && !pg->aborted)
        return s_write_piped (pg, which, values, count, changed);
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
    s_settle (pg);
    if (!s_lost (pg) && PQtransactionStatus (pg->conn) != PQTRANS_IDLE) {
        PGresult *result = PQexec (pg->conn, "ROLLBACK");
        PQclear (result);
    }
    pg->aborted = false;
}

//  The fence found another epoch than this router's: the lease is lost
//  (the epoch the row holds now, read for the log).
static void
s_fence_failed (s_pg_t *pg)
{
    PGresult *result = PQexec (pg->conn, "SELECT epoch FROM lease WHERE id = 1");
    char why [96];
    if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1)
        snprintf (why, sizeof why, "the fence found epoch %s", PQgetvalue (result, 0, 0));
    else
        snprintf (why, sizeof why, "the fence found no epoch of its own");
    PQclear (result);
    s_lease_lose (pg, why);
}

//  COMMIT, in one round trip with the writes still in the pipeline and
//  the fence before it (s_fence_sql): the lease's row read FOR SHARE must
//  still hold this router's epoch. A router that takes the lease bumps it
//  with an UPDATE, which waits for this transaction (and then reads what
//  it committed), or came first (and this one fails).
static int
s_commit (ep_journal_t *self, bool *unknown)
{
    s_pg_t *pg = s_pg (self);
    *unknown = false;
    if (pg->aborted || pg->lease_lost) {
        if (pg->aborted)
            snprintf (self->error, sizeof self->error, "PostgreSQL refused a write of the "
                      "transaction (%.160s): rolled back", pg->message);
        else
            snprintf (self->error, sizeof self->error, "%s", pg->message);
        s_rollback (self);
        return -2;
    }
    int rc = s_pipe (pg), fence_at = -1, commit_at;
    pg->failed_at = -1;
    if (rc == 0 && pg->epoch) {
        fence_at = pg->queued;
        ep_chain_value_t epoch = { .type = SQLITE_INTEGER, .integer = (int64_t) pg->epoch };
        rc = s_send (pg, "fence", NULL, &epoch, 1);
    }
    commit_at = pg->queued;
    if (rc == 0)
        rc = s_send (pg, NULL, "COMMIT", NULL, 0);
    bool sent = rc == 0;
    PGresult *last = NULL;
    if (rc == 0)
        rc = s_drain (pg, &last);
    if (rc == 0 && strcmp (PQcmdStatus (last), "COMMIT")) {
        rc = -1;
        pg->failed_at = commit_at;
        s_keep (pg, "COMMIT", "the transaction was refused before its commit: rolled back");
    }
    PQclear (last);
    if (rc == 0)
        return 0;
    if (rc < 0 && fence_at >= 0 && pg->failed_at == fence_at
    &&  streq (pg->failed_state, S_FENCE_FAILED)) {
        s_rollback (self);
        s_fence_failed (pg);
        snprintf (self->error, sizeof self->error, "%s", pg->message);
        return -2;
    }
    if (rc < 0 && pg->failed_at >= 0 && pg->failed_at != fence_at && pg->failed_at != commit_at)
        snprintf (self->error, sizeof self->error, "PostgreSQL refused a write of the "
                  "transaction (%.160s): rolled back", pg->message);
    else
        snprintf (self->error, sizeof self->error, "%s", pg->message);
    //  Lost once COMMIT was sent: the server may have made it
    *unknown = rc == 1 && sent;
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
    //  The writes in the pipeline first (what failed there fails the read)
    int settled = s_settle (pg);
    if (settled) {
        ep_log_error ("journal: read: %s", pg->message);
        if (settled < 0 && self->in_txn)
            pg->aborted = true;
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
    s_settle (pg);
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
    s_settle (pg);
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
    if (ep_journal_pg_tables (pg->conn, pg->shown, err, err_size))
        return -1;
    pg->tables = true;
    if (s_session (pg)) {
        snprintf (err, err_size, "journal %s: %s", pg->shown, pg->message);
        return -1;
    }
    ep_log_info ("journal: PostgreSQL %s, server %d", pg->shown, PQserverVersion (pg->conn));
    return 0;
}
