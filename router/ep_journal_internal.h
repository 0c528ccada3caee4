/*  ep_journal_internal: what the journal's two files share (the writes
    and transactions in ep_journal.c, the reads in ep_journal_read.c).
    Nothing outside them includes it.  */
#ifndef EP_JOURNAL_INTERNAL_H_INCLUDED
#define EP_JOURNAL_INTERNAL_H_INCLUDED

#include <sqlite3.h>
#include "ep_chain.h"
#include <stdbool.h>
#include "ep_buf.h"
#include "ep_journal.h"

//  The statements prepared once at open (their SQL: ep_journal.c).
enum {
    S_CLAIM, S_INTENT, S_REPORT, S_COMMAND, S_EVENT, S_SAVE_STATE,
    S_REPORTS_ALL, S_REPORTS_ONE, S_PLANE_REPORTS, S_INTENT_BY_SEQ, S_ZOMBIE_ON, S_ZOMBIE_OFF,
    S_SAVE_DEFINITION, S_CHAIN, S_INTAKE_COMMIT, S_INTAKE_US,
    S_STMT_COUNT
};

//  The redo log: every write of the open transaction, kept until it
//  commits, so that ep_journal_retry can run them again after a failed
//  commit (its records: ep_journal.c).
typedef struct {
    ep_buf_t log;                       //  the records
    size_t count_at;                    //  where the open record's count is
    size_t writes;                      //  records in the log
    bool broken;                        //  out of memory: the log is incomplete
} ep_journal_redo_t;

#define S_ROW_MAX 12                    //  the most parameters a chained write binds

struct _ep_journal_t {
    sqlite3 *db;                        //  the open database
    sqlite3_stmt *stmt [S_STMT_COUNT];  //  prepared once, reset after each use
    bool in_txn;                        //  a transaction is open
    bool owing;                         //  a commit failed: the redo log waits
    ep_journal_redo_t redo;             //  the writes of the open transaction
    char error [256];                   //  why the last commit failed
    ep_chain_value_t row [S_ROW_MAX];   //  the values of the write being made, by
                                        //  parameter: the row the chain hashes
    ep_buf_t row_bytes;                 //  scratch for its canonical bytes
    struct {                            //  the rows the open transaction wrote, to
        ep_buf_t rows;                  //  chain at its commit (ep_chain.h)
        int64_t first_intent;           //  the first intent among them, or 0
    } commit;
    ep_chain_reader_t *chain_reader;    //  reads a journal from before the chain
    uint8_t chain_hash [32];            //  the chain's head as written: its hash
    int64_t chain_id;                   //  and its row (0: empty)
    ep_chain_head_t committed;          //  the head as committed: what is published
};

//  Logs what failed with SQLite's message; returns -1.
int ep_journal_fail (ep_journal_t *self, const char *what);

//  The single integer sql yields, its one parameter (if any) param; 0 if
//  no row or NULL.
uint64_t ep_journal_scalar (ep_journal_t *self, const char *sql, int64_t param);

#endif
