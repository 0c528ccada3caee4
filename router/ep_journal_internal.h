/*  ep_journal_internal: what the journal's files share: its own logic (the
    writes, the redo log, the chain and the transactions in ep_journal.c,
    the reads in ep_journal_read.c) and the seam below it, a backend that
    runs its statements on one database (SQLite: ep_journal_sqlite.c;
    PostgreSQL: ep_journal_pg.c). Nothing outside them includes it.

    The journal's logic names a statement by its number (S_...); each
    backend runs that statement's SQL (s_sql: ep_journal.c, written once
    for both, its parameters numbered ?1, ?2 ...) with values typed as the
    chain types them (ep_chain_value_t). The values a write binds are what
    the chain hashes, so a row's hash does not depend on the backend that
    wrote it.  */
#ifndef EP_JOURNAL_INTERNAL_H_INCLUDED
#define EP_JOURNAL_INTERNAL_H_INCLUDED

#include "ep_chain.h"
#include <stdbool.h>
#include "ep_buf.h"
#include "ep_journal.h"

//  The statements, prepared once a connection (their SQL: ep_journal.c).
enum {
    //  writes
    S_CLAIM, S_INTENT, S_REPORT, S_COMMAND, S_EVENT, S_SAVE_STATE,
    S_ZOMBIE_ON, S_ZOMBIE_OFF, S_SAVE_DEFINITION, S_CHAIN,
    //  reads
    S_REPORTS_ALL, S_REPORTS_ONE, S_PLANE_REPORTS, S_INTENT_BY_SEQ,
    S_INTAKE_COMMIT, S_INTAKE_US, S_LOAD_STATE, S_DEFINITIONS, S_OPEN_INTENTS,
    S_FIND_ANY, S_FIND_ONE, S_ENDING, S_ENDED_UNKNOWN, S_ZOMBIES,
    S_LAST_SEQ, S_LAST_ROUTER_SEQ, S_PROCESSED, S_CHAIN_HEAD, S_CHAIN_HASH,
    S_MAX_COMMAND, S_MAX_EVENT,
    S_STMT_COUNT
};

//  The SQL of statement which, parameters numbered ?1, ?2 ...
const char *ep_journal_sql (int which);

//  The redo log: every write of the open transaction, kept until it
//  commits, so that ep_journal_retry can run them again after a failed
//  commit (its records: ep_journal.c).
typedef struct {
    ep_buf_t log;                       //  the records
    size_t count_at;                    //  where the open record's count is
    size_t writes;                      //  records in the log
    bool broken;                        //  out of memory: the log is incomplete
} ep_journal_redo_t;

#define S_ROW_MAX 12                    //  the most parameters a write binds

//  Rows a read gives, one at a time (the backend's own).
typedef struct _ep_journal_rows_t ep_journal_rows_t;

//  What a backend does for the journal. Each function takes the journal
//  (self->backend_state is the backend's own).
typedef struct {
    const char *name;                   //  "SQLite", "PostgreSQL"
    //  Runs write which with its count values. Returns 0 (and the rows it
    //  changed in *changed), -1 if the database refused it (logged), or 1
    //  if the database could not be reached: the write is not made, and
    //  the transaction's commit will fail for a retry. Inside a
    //  transaction a backend may send a write other than S_CLAIM without
    //  waiting for its result (PostgreSQL's pipeline): it returns 0 (and
    //  *changed 1), and a refusal or a lost connection is returned by a
    //  later write, read or commit of the transaction instead, as final
    //  or for a retry alike.
    int (*write) (ep_journal_t *self, int which, const ep_chain_value_t *values, int count,
                  int *changed);
    //  BEGIN. Returns 0, -1 (refused, logged), or 1 (unreachable: the
    //  transaction is open but holds nothing until a retry).
    int (*begin) (ep_journal_t *self);
    //  COMMIT. Returns 0; -1 if it failed and was rolled back (why in
    //  self->error), the writes to be tried again; -2 if it failed for good
    //  (the transaction was refused before: its writes cannot be made).
    //  *unknown: the database went away during the commit, which may have
    //  taken effect.
    int (*commit) (ep_journal_t *self, bool *unknown);
    void (*rollback) (ep_journal_t *self);
    //  Before a retry: reaches the database again if it was lost. Returns
    //  0, or -1 (why in self->error). NULL: nothing to do.
    int (*reconnect) (ep_journal_t *self);
    //  A read: statement which with its values. NULL on failure (logged).
    ep_journal_rows_t *(*query) (ep_journal_t *self, int which, const ep_chain_value_t *values,
                                 int count);
    //  The next row: 1, 0 when there are no more, -1 on failure (logged).
    int (*next) (ep_journal_t *self, ep_journal_rows_t *rows);
    //  Column column of the current row: as an integer (NULL: 0), or as
    //  bytes (text or blob; NULL for SQL NULL, and *size 0).
    int64_t (*integer) (ep_journal_rows_t *rows, int column);
    const void *(*bytes) (ep_journal_rows_t *rows, int column, size_t *size);
    void (*close) (ep_journal_rows_t **rows_p);
    //  Durability on demand (ep_journal.h): commits that do not wait for
    //  the disk (on) or do (off), and one sync of what was committed.
    //  Return 0, or -1 (logged; sync keeps why in self->error). NULL: every
    //  commit is durable as it returns (PostgreSQL, synchronous_commit on).
    int (*defer_syncs) (ep_journal_t *self, bool on);
    int (*sync) (ep_journal_t *self);
    //  The lease (ep_journal.h): take and check as ep_journal_lease_take
    //  and ep_journal_lease_check; lost as ep_journal_lease_lost. NULL: the
    //  database has no lease (SQLite).
    int (*lease_take) (ep_journal_t *self, const char *holder, uint64_t *epoch);
    int (*lease_check) (ep_journal_t *self);
    bool (*lease_lost) (ep_journal_t *self);
    //  The database's last error message.
    const char *(*errmsg) (ep_journal_t *self);
    void (*destroy) (ep_journal_t *self);
} ep_journal_backend_t;

struct _ep_journal_t {
    const ep_journal_backend_t *backend;
    void *backend_state;                //  the backend's own
    bool in_txn;                        //  a transaction is open
    bool unreached;                     //  and the database could not be reached
    bool owing;                         //  a commit failed: the redo log waits
    bool commit_unknown;                //  the failed commit may have taken effect
    int64_t owed_chain_id;              //  the chain row that commit wrote, or 0
    ep_journal_redo_t redo;             //  the writes of the open transaction
    char error [256];                   //  why the last commit failed
    ep_chain_value_t row [S_ROW_MAX];   //  the values of the write being made, by
                                        //  parameter: the row the chain hashes
    int row_count;                      //  how many it binds
    ep_buf_t row_bytes;                 //  scratch for its canonical bytes
    struct {                            //  the rows the open transaction wrote, to
        ep_buf_t rows;                  //  chain at its commit (ep_chain.h)
        int64_t first_intent;           //  the first intent among them, or 0
    } commit;
    int64_t next_id [3];                //  the ids the next command, event and chain
                                        //  row take (the writer numbers them)
    uint8_t chain_hash [32];            //  the chain's head as written: its hash
    int64_t chain_id;                   //  and its row (0: empty)
    ep_chain_head_t committed;          //  the head as committed: what is published
};

enum { S_ID_COMMAND, S_ID_EVENT, S_ID_CHAIN };

//  Logs what failed with the backend's message; returns -1.
int ep_journal_fail (ep_journal_t *self, const char *what);

//  The journal's logic once a backend is open: the numbers it gives and the
//  chain's head, read. Returns 0, or -1.
int ep_journal_start (ep_journal_t *self);

//  The chain's head as written is committed (its row and hash, as
//  ep_journal_chain_head gives them).
void ep_journal_chain_committed (ep_journal_t *self);

//  A chain row of its own for row rowid of table, its bytes hashing to
//  row_hash (a journal from before the chain: ep_journal_sqlite.c).
ep_journal_status_t ep_journal_chain_row (ep_journal_t *self, const char *table, int64_t rowid,
                                          const uint8_t row_hash [32]);

//  Empties the redo log.
void ep_journal_redo_clear (ep_journal_t *self);

//  The first integer of the first row statement which gives, with one
//  integer parameter if it takes one (param); 0 if no row or NULL.
uint64_t ep_journal_scalar (ep_journal_t *self, int which, int params, int64_t param);

//  The backends: each opens its database (location: a file path, or a
//  PostgreSQL connection string), sets self->backend and backend_state,
//  creates the tables and prepares the statements. Returns 0, or -1 with
//  the reason in err.
int ep_journal_sqlite_open (ep_journal_t *self, const char *path, bool sync_full, char *err,
                            size_t err_size);
int ep_journal_pg_open (ep_journal_t *self, const char *conninfo, char *err, size_t err_size);

//  A journal from before the chain (SQLite): its rows begin the chain.
int ep_journal_sqlite_chain_begin (ep_journal_t *self);

#endif
