/*  ep_chain: tamper evidence for an append-only SQLite record (the router's
    journal, the live plane's audit).

    Every row written to a chained table (and every row written again, as
    the audit completes an attempt with its result) joins, in the same
    transaction, the table `chain`. A chain row names what it covers, the
    wall-clock time it was written (microseconds), the SHA-256 of what it
    covers, and the chain hash: the SHA-256 of the previous chain row's
    hash and those. It covers either
    - one row: the table's name, the row's rowid and the SHA-256 of the
      row's canonical bytes (every column of `SELECT *`, in order, each
      with its type and length); or
    - the rows of one commit (the journal's: one chain row a transaction,
      not one a row): the name "*", the first intent's router_seq in it
      (or 0), and the SHA-256 of `rows`, the list of every row it wrote,
      in order, each as its table's name and a NUL, its rowid (8 bytes),
      and the SHA-256 of its canonical bytes.
    Changing a byte of a chained row, deleting or inserting one, or
    swapping two, no longer matches the chain; changing the chain itself
    breaks it, unless every later hash is rewritten too, and then the head
    no longer equals a head recorded elsewhere.

    What the chain proves: integrity against a recorded head. What it does
    not: anything against someone who can rewrite the whole file and every
    head recorded outside it.  */
#ifndef EP_CHAIN_H_INCLUDED
#define EP_CHAIN_H_INCLUDED

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_buf.h"

#define EP_CHAIN_TABLE                                                          \
    "CREATE TABLE IF NOT EXISTS chain ("                                        \
    "  id INTEGER PRIMARY KEY,"                                                 \
    "  tbl TEXT NOT NULL,"                      /*  the chained row's table */  \
    "  row INTEGER NOT NULL,"                   /*  and its rowid */            \
    "  at_us INTEGER NOT NULL,"                 /*  when it was written */      \
    "  row_hash BLOB NOT NULL,"                 /*  SHA-256 of its bytes then */\
    "  hash BLOB NOT NULL,"                     /*  the chain's, 32 bytes */    \
    "  rows BLOB);"                             /*  a commit's rows, or NULL */

//  The name a chain row of a whole commit has in place of a table's.
#define EP_CHAIN_COMMIT "*"

//  The chain and the index that finds a row's chain rows: for a record
//  that writes rows again (the audit completes an attempt with its
//  result) and looks them up. An append-only record (the journal) needs
//  only the table; verifying needs neither index.
#define EP_CHAIN_SCHEMA                                                         \
    EP_CHAIN_TABLE                                                              \
    "CREATE INDEX IF NOT EXISTS chain_rows ON chain (tbl, row);"

//  The chain's head: its newest row and hash ("" and 0 when empty).
typedef struct {
    int64_t id;                         //  the chain row (0: the chain is empty)
    char hex [65];                      //  its hash, hex
} ep_chain_head_t;

#define EP_CHAIN_TABLES 8                //  chained tables one reader reads, at most

//  Reads chained rows of db, its statements prepared once.
typedef struct _ep_chain_reader_t ep_chain_reader_t;
ep_chain_reader_t *ep_chain_reader_new (sqlite3 *db);
void ep_chain_reader_destroy (ep_chain_reader_t **self_p);

//  The canonical bytes of row rowid of table, into *data (malloc'd, the
//  caller frees it). Returns 1, 0 if there is no such row, -1 on a SQLite
//  failure or out of memory.
int ep_chain_row_bytes (ep_chain_reader_t *self, const char *table, int64_t rowid,
                        uint8_t **data, size_t *size);

//  A column's value as a writer binds it, and as `SELECT *` gives it back:
//  type is SQLITE_INTEGER (integer), SQLITE_TEXT or SQLITE_BLOB (bytes,
//  size), SQLITE_NULL, or SQLITE_FLOAT (integer holds the double's bits).
typedef struct {
    int type;
    int64_t integer;
    const void *bytes;
    size_t size;
} ep_chain_value_t;

//  The SHA-256 of the canonical bytes of a row whose columns, in the
//  table's order, are values: what ep_chain_row_hash gives for the row once
//  it is written, without reading it back. scratch is the caller's buffer,
//  reused. Returns 0, or -1 out of memory.
int ep_chain_values_hash (const ep_chain_value_t *values, size_t count, ep_buf_t *scratch,
                          uint8_t row_hash [32]);

//  The SHA-256 of row rowid of table's canonical bytes, into row_hash.
//  Returns 1, 0 if there is no such row, -1.
int ep_chain_row_hash (ep_chain_reader_t *self, const char *table, int64_t rowid,
                       uint8_t row_hash [32]);

//  The hash of the chain row after prev (32 bytes; all zero for the first)
//  for row rowid of table written at at_us, its bytes hashing to row_hash.
void ep_chain_hash (const uint8_t prev [32], const char *table, int64_t rowid, int64_t at_us,
                    const uint8_t row_hash [32], uint8_t hash [32]);

//  A link for row rowid of table, just written, after prev: its time
//  (now, wall clock, in *at_us), the hash of its bytes as the table holds
//  them (row_hash) and the chain's hash (hash): what the writer inserts
//  into `chain`. Returns 0, or -1 if the row cannot be read.
int ep_chain_link (ep_chain_reader_t *self, const uint8_t prev [32], const char *table,
                   int64_t rowid, int64_t *at_us, uint8_t row_hash [32], uint8_t hash [32]);

//  The same link for a row whose bytes hash to row_hash (from its values,
//  ep_chain_values_hash): the time now, in *at_us, and the chain's hash.
void ep_chain_link_hashed (const uint8_t prev [32], const char *table, int64_t rowid,
                           const uint8_t row_hash [32], int64_t *at_us, uint8_t hash [32]);

//  Appends row rowid of table, its bytes hashing to row_hash, to the rows
//  of a commit. Returns 0, or -1 out of memory.
int ep_chain_rows_add (ep_buf_t *rows, const char *table, int64_t rowid,
                       const uint8_t row_hash [32]);

//  The SHA-256 of size bytes of data, as the chain hashes.
void ep_chain_sha256 (const void *data, size_t size, uint8_t hash [32]);

//  Whether a commit's rows list router_seq as an intent it wrote.
bool ep_chain_rows_have_intent (const void *rows, size_t size, int64_t router_seq);

//  The chain's head in db (an empty chain: id 0). Returns 0, or -1.
int ep_chain_read_head (sqlite3 *db, ep_chain_head_t *head, uint8_t hash [32]);

//  Verifies the chain in db over tables (a NULL-terminated list): every
//  chain hash from the one before; every row of those tables as the table
//  holds it now against its last chain row; and every row in the chain. head_spec, if not NULL, is a head recorded
//  elsewhere, "ID:HEXPREFIX": the chain's row ID must still hash to it.
//  Returns 0 (and the head in *head) if all holds; 1 with the first row
//  that does not hold in problem; -1 if db cannot be read (why in problem).
int ep_chain_verify (sqlite3 *db, const char *const *tables, const char *head_spec,
                     ep_chain_head_t *head, char *problem, size_t problem_size);

#endif
