/*  ep_chain: the hash chain over an append-only SQLite record.  */
#include <assert.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ep_buf.h"
#include "ep_chain.h"

//  SHA-256 by OpenSSL's libcrypto, which uses the CPU's SHA extensions
//  where it has them (several times libsodium's portable code): the chain
//  hashes every row the router writes. The digest is fetched once, and
//  each thread reuses one context of its own rather than making one a hash.
static EVP_MD *s_sha256_md;
static pthread_key_t s_context_key;
static bool s_context_keyed;

static void
s_context_free (void *context)
{
    EVP_MD_CTX_free (context);
}

static void
s_sha256_setup (void)
{
    s_sha256_md = EVP_MD_fetch (NULL, "SHA256", NULL);
    s_context_keyed = pthread_key_create (&s_context_key, s_context_free) == 0;
}

//  This thread's context, or NULL if it cannot have one.
static EVP_MD_CTX *
s_context (void)
{
    if (!s_context_keyed || !s_sha256_md)
        return NULL;
    EVP_MD_CTX *context = pthread_getspecific (s_context_key);
    if (!context && (context = EVP_MD_CTX_new ())
    &&  pthread_setspecific (s_context_key, context)) {
        EVP_MD_CTX_free (context);
        context = NULL;
    }
    return context;
}

static void
s_sha256 (const void *data, size_t size, uint8_t hash [32])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once (&once, s_sha256_setup);
    unsigned int length = 32;
    EVP_MD_CTX *context = s_context ();
    int done = context
             ? EVP_DigestInit_ex2 (context, s_sha256_md, NULL)
               && EVP_DigestUpdate (context, data, size)
               && EVP_DigestFinal_ex (context, hash, &length)
             : EVP_Digest (data, size, hash, &length,
                           s_sha256_md ? s_sha256_md : EVP_sha256 (), NULL);
    //  A libcrypto that cannot hash SHA-256 is a broken install
    assert (done == 1 && length == 32);
    (void) done;
}

//  A number in 8 bytes, most significant first.
static void
s_be64 (uint8_t bytes [8], uint64_t value)
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        bytes [i] = (uint8_t) value;
}

//  The canonical bytes of a row of values, appended to buf: the column
//  count, then each column's type and its value (8 bytes; or a length
//  and the bytes). Sized first and written in place: the router hashes
//  every row it writes. Returns 0, or -1 out of memory.
static int
s_put_values (ep_buf_t *buf, const ep_chain_value_t *values, size_t count)
{
    size_t size = 8;
    for (size_t i = 0; i < count; i++) {
        int type = values [i].type;
        size += type == SQLITE_NULL ? 1
              : type == SQLITE_INTEGER || type == SQLITE_FLOAT ? 1 + 8
              : 1 + 8 + values [i].size;
    }
    if (ep_buf_reserve (buf, size))
        return -1;
    uint8_t *at = buf->data + buf->size;
    s_be64 (at, (uint64_t) count);
    at += 8;
    for (size_t i = 0; i < count; i++) {
        const ep_chain_value_t *value = &values [i];
        *at++ = (uint8_t) value->type;
        if (value->type == SQLITE_NULL)
            continue;
        if (value->type == SQLITE_INTEGER || value->type == SQLITE_FLOAT) {
            s_be64 (at, (uint64_t) value->integer);
            at += 8;
            continue;
        }
        s_be64 (at, (uint64_t) value->size);
        at += 8;
        if (value->size > 0)
            memcpy (at, value->bytes, value->size);
        at += value->size;
    }
    assert ((size_t) (at - buf->data) == buf->size + size);
    buf->size += size;
    return 0;
}

int
ep_chain_values_hash (const ep_chain_value_t *values, size_t count, ep_buf_t *scratch,
                      uint8_t row_hash [32])
{
    ep_buf_clear (scratch);
    if (s_put_values (scratch, values, count))
        return -1;
    s_sha256 (scratch->data, scratch->size, row_hash);
    return 0;
}

//  The canonical bytes of the row stmt (bound to a rowid) selects, into
//  *data: its columns as values. Returns 1, 0 if there is no such row, -1.
static int
s_row_bytes (sqlite3_stmt *stmt, uint8_t **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    int step = sqlite3_step (stmt);
    int rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
    int columns = rc == 1 ? sqlite3_column_count (stmt) : 0;
    ep_chain_value_t values [columns > 0 ? columns : 1];
    for (int i = 0; i < columns; i++) {
        ep_chain_value_t *value = &values [i];
        *value = (ep_chain_value_t) { .type = sqlite3_column_type (stmt, i) };
        if (value->type == SQLITE_INTEGER)
            value->integer = sqlite3_column_int64 (stmt, i);
        else
        if (value->type == SQLITE_FLOAT) {
            double real = sqlite3_column_double (stmt, i);
            memcpy (&value->integer, &real, sizeof real);
        }
        else
        if (value->type != SQLITE_NULL) {
            value->bytes = value->type == SQLITE_TEXT ? (const void *) sqlite3_column_text (stmt, i)
                                                      : sqlite3_column_blob (stmt, i);
            value->size = (size_t) sqlite3_column_bytes (stmt, i);
        }
    }
    ep_buf_t buf = { 0 };
    int failed = rc == 1 ? s_put_values (&buf, values, (size_t) columns) : 0;
    sqlite3_reset (stmt);
    if (failed || rc != 1) {
        ep_buf_free (&buf);
        return failed ? -1 : rc;
    }
    *data = buf.data;
    *size = buf.size;
    return 1;
}

struct _ep_chain_reader_t {
    sqlite3 *db;
    char tables [EP_CHAIN_TABLES][32];  //  the tables read so far
    sqlite3_stmt *select [EP_CHAIN_TABLES];     //  each one's SELECT * ... WHERE rowid = ?
    size_t count;
};

ep_chain_reader_t *
ep_chain_reader_new (sqlite3 *db)
{
    assert (db);
    ep_chain_reader_t *self = calloc (1, sizeof *self);
    if (self)
        self->db = db;
    return self;
}

void
ep_chain_reader_destroy (ep_chain_reader_t **self_p)
{
    assert (self_p);
    ep_chain_reader_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        sqlite3_finalize (self->select [i]);
    free (self);
    *self_p = NULL;
}

int
ep_chain_row_bytes (ep_chain_reader_t *self, const char *table, int64_t rowid, uint8_t **data,
                    size_t *size)
{
    assert (self && table && data && size);
    *data = NULL;
    *size = 0;
    size_t index = 0;
    while (index < self->count && strcmp (self->tables [index], table))
        index++;
    if (index == self->count) {
        char sql [128];
        if (index == EP_CHAIN_TABLES || strlen (table) >= sizeof self->tables [0])
            return -1;
        snprintf (sql, sizeof sql, "SELECT * FROM \"%s\" WHERE rowid = ?", table);
        if (sqlite3_prepare_v2 (self->db, sql, -1, &self->select [index], NULL) != SQLITE_OK)
            return -1;
        snprintf (self->tables [index], sizeof self->tables [index], "%s", table);
        self->count++;
    }
    sqlite3_bind_int64 (self->select [index], 1, rowid);
    return s_row_bytes (self->select [index], data, size);
}

int
ep_chain_row_hash (ep_chain_reader_t *self, const char *table, int64_t rowid,
                   uint8_t row_hash [32])
{
    uint8_t *data;
    size_t size;
    int rc = ep_chain_row_bytes (self, table, rowid, &data, &size);
    if (rc == 1)
        s_sha256 (data, size, row_hash);
    free (data);
    return rc;
}

void
ep_chain_hash (const uint8_t prev [32], const char *table, int64_t rowid, int64_t at_us,
               const uint8_t row_hash [32], uint8_t hash [32])
{
    //  prev, the table's name and its NUL, the rowid, the time, row_hash
    uint8_t bytes [32 + 64 + 16 + 32];
    size_t name = strlen (table) + 1;
    assert (name <= 64);
    memcpy (bytes, prev, 32);
    memcpy (bytes + 32, table, name);
    s_be64 (bytes + 32 + name, (uint64_t) rowid);
    s_be64 (bytes + 40 + name, (uint64_t) at_us);
    memcpy (bytes + 48 + name, row_hash, 32);
    s_sha256 (bytes, 80 + name, hash);
}

void
ep_chain_link_hashed (const uint8_t prev [32], const char *table, int64_t rowid,
                      const uint8_t row_hash [32], int64_t *at_us, uint8_t hash [32])
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    *at_us = (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
    ep_chain_hash (prev, table, rowid, *at_us, row_hash, hash);
}

int
ep_chain_link (ep_chain_reader_t *self, const uint8_t prev [32], const char *table,
               int64_t rowid, int64_t *at_us, uint8_t row_hash [32], uint8_t hash [32])
{
    if (ep_chain_row_hash (self, table, rowid, row_hash) != 1)
        return -1;
    ep_chain_link_hashed (prev, table, rowid, row_hash, at_us, hash);
    return 0;
}

int
ep_chain_read_head (sqlite3 *db, ep_chain_head_t *head, uint8_t hash [32])
{
    memset (head, 0, sizeof *head);
    memset (hash, 0, 32);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "SELECT id, hash FROM chain ORDER BY id DESC LIMIT 1", -1, &stmt,
                            NULL) != SQLITE_OK)
        return -1;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW && sqlite3_column_bytes (stmt, 1) == 32) {
        head->id = sqlite3_column_int64 (stmt, 0);
        memcpy (hash, sqlite3_column_blob (stmt, 1), 32);
        sodium_bin2hex (head->hex, sizeof head->hex, hash, 32);
    }
    sqlite3_finalize (stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

int
ep_chain_rows_add (ep_buf_t *rows, const char *table, int64_t rowid, const uint8_t row_hash [32])
{
    uint8_t number [8];
    s_be64 (number, (uint64_t) rowid);
    return ep_buf_append (rows, table, strlen (table) + 1)
        || ep_buf_append (rows, number, sizeof number)
        || ep_buf_append (rows, row_hash, 32) ? -1 : 0;
}

void
ep_chain_sha256 (const void *data, size_t size, uint8_t hash [32])
{
    s_sha256 (data, size, hash);
}

//  The next row of a commit's rows at *at (before end): its table, rowid
//  and hash. Returns 1, 0 past the last, -1 if the list is malformed.
static int
s_rows_next (const uint8_t **at, const uint8_t *end, const char **table, int64_t *rowid,
             const uint8_t **row_hash)
{
    if (*at == end)
        return 0;
    const uint8_t *nul = memchr (*at, '\0', (size_t) (end - *at));
    if (!nul || nul == *at || end - nul < 1 + 8 + 32)
        return -1;
    *table = (const char *) *at;
    uint64_t value = 0;
    for (int i = 1; i <= 8; i++)
        value = value << 8 | nul [i];
    *rowid = (int64_t) value;
    *row_hash = nul + 9;
    *at = nul + 9 + 32;
    return 1;
}

bool
ep_chain_rows_have_intent (const void *rows, size_t size, int64_t router_seq)
{
    const uint8_t *at = rows, *end = at + size;
    const char *table;
    int64_t rowid;
    const uint8_t *row_hash;
    while (rows && s_rows_next (&at, end, &table, &rowid, &row_hash) == 1)
        if (rowid == router_seq && strcmp (table, "intents") == 0)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Verifying

typedef struct {
    sqlite3 *db;
    const char *const *tables;          //  the chained tables
    ep_chain_reader_t *reader;
    sqlite3_stmt *later;                //  is a row chained again after a chain row?
    sqlite3_stmt *cover;                //  records a row a commit covers
    char *problem;
    size_t size;
} s_verify_t;

//  Whether table is one of tables.
static bool
s_chained (const char *const *tables, const char *table)
{
    for (size_t i = 0; tables [i]; i++)
        if (strcmp (tables [i], table) == 0)
            return true;
    return false;
}

//  The rows chained more than once (written again), each with its last
//  chain row, and the rows commits cover, in temporary tables that a
//  read-only connection may make: a row is checked against its last chain
//  row only. Returns 0, or -1.
static int
s_verify_tables (sqlite3 *db)
{
    return sqlite3_exec (db, "DROP TABLE IF EXISTS temp.ep_rechained;"
                         "DROP TABLE IF EXISTS temp.ep_covered;"
                         "CREATE TEMP TABLE ep_rechained (tbl TEXT, row INTEGER, last INTEGER,"
                         "  PRIMARY KEY (tbl, row)) WITHOUT ROWID;"
                         "INSERT INTO temp.ep_rechained SELECT tbl, row, MAX(id) FROM chain"
                         "  WHERE tbl <> '" EP_CHAIN_COMMIT "'"
                         "  GROUP BY tbl, row HAVING COUNT(*) > 1;"
                         "CREATE TEMP TABLE ep_covered (tbl TEXT, row INTEGER,"
                         "  PRIMARY KEY (tbl, row)) WITHOUT ROWID;", NULL, NULL, NULL)
           == SQLITE_OK ? 0 : -1;
}

//  Row rowid of table, chained by chain row id with row_hash: it is still
//  there, and unless chained again later, its bytes still hash to
//  row_hash. Returns 0, or 1 with the problem, or -1.
static int
s_verify_row (s_verify_t *self, int64_t id, const char *table, int64_t rowid,
              const uint8_t row_hash [32])
{
    if (!s_chained (self->tables, table)) {
        snprintf (self->problem, self->size, "chain row %" PRId64 " names %s row %" PRId64
                  ", not a chained table: the chain was changed there", id, table, rowid);
        return 1;
    }
    sqlite3_bind_text (self->later, 1, table, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (self->later, 2, rowid);
    sqlite3_bind_int64 (self->later, 3, id);
    int again = sqlite3_step (self->later);
    sqlite3_reset (self->later);
    uint8_t now [32];
    int found = again == SQLITE_DONE ? ep_chain_row_hash (self->reader, table, rowid, now) : 1;
    if (again != SQLITE_DONE && again != SQLITE_ROW)
        found = -1;
    if (found < 0) {
        snprintf (self->problem, self->size, "chain row %" PRId64 ": %s cannot be read: %s", id,
                  table, sqlite3_errmsg (self->db));
        return -1;
    }
    if (found == 0) {
        snprintf (self->problem, self->size, "chain row %" PRId64 ": %s row %" PRId64 " is gone: "
                  "it was deleted", id, table, rowid);
        return 1;
    }
    if (again == SQLITE_DONE && memcmp (now, row_hash, 32)) {
        snprintf (self->problem, self->size, "chain row %" PRId64 ": %s row %" PRId64 " is not "
                  "what was written: it was changed", id, table, rowid);
        return 1;
    }
    return 0;
}

//  The rows a commit's chain row id lists: each as verified as one chained
//  by itself, and recorded as covered. Returns 0, 1 with the problem, or -1.
static int
s_verify_commit (s_verify_t *self, int64_t id, const uint8_t *rows, size_t size)
{
    const uint8_t *at = rows, *end = rows + size;
    const char *table;
    int64_t rowid;
    const uint8_t *row_hash;
    int next, rc = 0;
    while (rc == 0 && (next = s_rows_next (&at, end, &table, &rowid, &row_hash)) == 1) {
        rc = s_verify_row (self, id, table, rowid, row_hash);
        if (rc)
            break;
        sqlite3_bind_text (self->cover, 1, table, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (self->cover, 2, rowid);
        int step = sqlite3_step (self->cover);
        sqlite3_reset (self->cover);
        if (step != SQLITE_DONE) {
            //  Listed twice: the list itself, whose hash held, says so
            snprintf (self->problem, self->size, "chain row %" PRId64 " lists %s row %" PRId64
                      " a second time", id, table, rowid);
            rc = 1;
        }
    }
    if (rc == 0 && next < 0) {
        snprintf (self->problem, self->size, "chain row %" PRId64 ": its list of rows cannot "
                  "be read: the chain was changed there", id);
        rc = 1;
    }
    return rc;
}

//  Every row of every table is in the chain. Returns 0, or 1 with
//  what is not in problem, or -1.
static int
s_verify_rows (sqlite3 *db, const char *const *tables, char *problem, size_t size)
{
    int rc = 0;
    for (size_t i = 0; tables [i] && rc == 0; i++) {
        char sql [320];
        snprintf (sql, sizeof sql, "SELECT rowid FROM \"%s\" EXCEPT SELECT row FROM chain "
                  "WHERE tbl = ?1 EXCEPT SELECT row FROM temp.ep_covered WHERE tbl = ?1 "
                  "ORDER BY 1 LIMIT 1", tables [i]);
        sqlite3_stmt *stmt;
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text (stmt, 1, tables [i], -1, SQLITE_STATIC);
        int step = sqlite3_step (stmt);
        if (step == SQLITE_ROW) {
            snprintf (problem, size, "%s row %" PRId64 " is not in the chain: it was inserted "
                      "behind its writer's back", tables [i], (int64_t) sqlite3_column_int64 (stmt, 0));
            rc = 1;
        }
        else
        if (step != SQLITE_DONE)
            rc = -1;
        sqlite3_finalize (stmt);
    }
    return rc;
}

//  The chain, row by row, from its first: each follows from the one
//  before, and what it covers still holds. Returns 0 (the head in *head),
//  1 with the problem, or -1.
static int
s_verify_chain (s_verify_t *self, sqlite3_stmt *chain, int64_t spec_id, const char *spec_hex,
                ep_chain_head_t *head)
{
    uint8_t prev [32] = { 0 }, hash [32], listed [32];
    int rc = 0;
    bool spec_seen = false;
    int step;
    while (rc == 0 && (step = sqlite3_step (chain)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64 (chain, 0);
        const char *table = (const char *) sqlite3_column_text (chain, 1);
        int64_t rowid = sqlite3_column_int64 (chain, 2);
        int64_t at_us = sqlite3_column_int64 (chain, 3);
        const uint8_t *row_hash = sqlite3_column_blob (chain, 4);
        bool commit = table && strcmp (table, EP_CHAIN_COMMIT) == 0;
        const uint8_t *rows = sqlite3_column_blob (chain, 6);
        size_t rows_size = (size_t) sqlite3_column_bytes (chain, 6);
        bool whole = table && sqlite3_column_bytes (chain, 4) == 32
                  && sqlite3_column_bytes (chain, 5) == 32 && (!commit || rows);
        if (whole)
            ep_chain_hash (prev, table, rowid, at_us, row_hash, hash);
        if (!whole || memcmp (hash, sqlite3_column_blob (chain, 5), 32) != 0) {
            snprintf (self->problem, self->size, "chain row %" PRId64 " does not follow from "
                      "the one before: the chain was changed there", id);
            rc = 1;
            break;
        }
        if (commit) {
            ep_chain_sha256 (rows, rows_size, listed);
            if (memcmp (listed, row_hash, 32)) {
                snprintf (self->problem, self->size, "chain row %" PRId64 ": its list of rows "
                          "is not what was written: it was changed", id);
                rc = 1;
            }
            else
                rc = s_verify_commit (self, id, rows, rows_size);
        }
        else
            rc = s_verify_row (self, id, table, rowid, row_hash);
        if (rc)
            break;
        memcpy (prev, hash, sizeof prev);
        head->id = id;
        sodium_bin2hex (head->hex, sizeof head->hex, hash, sizeof hash);
        if (spec_id == id) {
            spec_seen = true;
            if (strncmp (head->hex, spec_hex, strlen (spec_hex)) != 0) {
                snprintf (self->problem, self->size, "chain row %" PRId64 " is not the recorded "
                          "head %s: rows up to it were rewritten", id, spec_hex);
                rc = 1;
            }
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        snprintf (self->problem, self->size, "the chain cannot be read: %s",
                  sqlite3_errmsg (self->db));
        rc = -1;
    }
    if (rc == 0 && spec_id && !spec_seen) {
        snprintf (self->problem, self->size, "the chain ends at row %" PRId64 ", before the "
                  "recorded head %" PRId64 ": rows were deleted", head->id, spec_id);
        rc = 1;
    }
    return rc;
}

int
ep_chain_verify (sqlite3 *db, const char *const *tables, const char *head_spec,
                 ep_chain_head_t *head, char *problem, size_t problem_size)
{
    assert (db && tables && head && problem);
    memset (head, 0, sizeof *head);
    problem [0] = '\0';
    int64_t spec_id = 0;
    char spec_hex [65] = "";
    if (head_spec && (sscanf (head_spec, "%" SCNd64 ":%64[0-9a-f]", &spec_id, spec_hex) != 2
                      || spec_id < 1 || strlen (spec_hex) < 8)) {
        snprintf (problem, problem_size, "a recorded head is ROW:HEX, at least 8 hex digits "
                  "(as stats and ep-tap --chain print it), not '%s'", head_spec);
        return -1;
    }
    //  A chain from before commits were chained has no rows column
    sqlite3_stmt *probe;
    bool has_rows = sqlite3_prepare_v2 (db, "SELECT rows FROM chain LIMIT 0", -1, &probe,
                                        NULL) == SQLITE_OK;
    sqlite3_finalize (probe);
    s_verify_t self = { .db = db, .tables = tables, .problem = problem, .size = problem_size };
    sqlite3_stmt *chain = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (db, has_rows
                            ? "SELECT id, tbl, row, at_us, row_hash, hash, rows FROM chain ORDER BY id"
                            : "SELECT id, tbl, row, at_us, row_hash, hash, NULL FROM chain ORDER BY id",
                            -1, &chain, NULL) != SQLITE_OK
    ||  s_verify_tables (db)
    ||  sqlite3_prepare_v2 (db, "SELECT 1 FROM temp.ep_rechained WHERE tbl = ?1 AND row = ?2 "
                            "AND last > ?3", -1, &self.later, NULL) != SQLITE_OK
    ||  sqlite3_prepare_v2 (db, "INSERT INTO temp.ep_covered VALUES (?1, ?2)", -1, &self.cover,
                            NULL) != SQLITE_OK)
        snprintf (problem, problem_size, "no chain to read: %s", sqlite3_errmsg (db));
    else
    if (!(self.reader = ep_chain_reader_new (db)))
        snprintf (problem, problem_size, "out of memory");
    else {
        rc = s_verify_chain (&self, chain, spec_id, spec_hex, head);
        if (rc == 0)
            rc = s_verify_rows (db, tables, problem, problem_size);
    }
    sqlite3_finalize (chain);
    sqlite3_finalize (self.later);
    sqlite3_finalize (self.cover);
    ep_chain_reader_destroy (&self.reader);
    sqlite3_exec (db, "DROP TABLE IF EXISTS temp.ep_rechained; DROP TABLE IF EXISTS temp.ep_covered",
                  NULL, NULL, NULL);
    if (rc < 0 && !problem [0])
        snprintf (problem, problem_size, "the record cannot be read: %s", sqlite3_errmsg (db));
    return rc;
}
