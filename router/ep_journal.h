/*  ep_journal: the router's durable record: one SQLite file in WAL mode
    (the default), or a PostgreSQL database (a location that is a
    postgresql:// or postgres:// connection string).

    It holds every intent the router read (accepted or rejected), every
    report it published, every plane command (applied or refused, with the
    sender), the applied plane state, and events (starts, stops, worker
    sessions, fenced reports). The router writes a loop turn's records in one
    transaction and commits it before publishing any of them.

    A write (begin, commit, retry, the add_, save and set functions) returns
    an ep_journal_status_t; every other function returns 0 on success and -1
    on a database failure, which it logs, unless stated otherwise.  */
#ifndef EP_JOURNAL_H_INCLUDED
#define EP_JOURNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_chain.h"

typedef struct _ep_journal_t ep_journal_t;

//  What became of a write. EP_JOURNAL_OK is 0, so that `if (write ())`
//  reads as "if it failed".
typedef enum {
    EP_JOURNAL_OK = 0,          //  done
    EP_JOURNAL_FULL,            //  a commit failed (a full disk, an I/O error, the
                                //  PostgreSQL server lost or unreachable): its writes
                                //  are kept, and ep_journal_retry runs them again
    EP_JOURNAL_IO               //  the database refused the write or the commit for
                                //  good (logged): what the transaction held is lost
} ep_journal_status_t;

//  The text of a status ("the disk is full or failing: writes held for a retry").
const char *ep_journal_strerror (ep_journal_status_t status);

//  Who produced a report.
typedef enum {
    EP_ORIGIN_ROUTER = 0,       //  validation, deadlines, restarts
    EP_ORIGIN_PLANE = 1         //  the plane's worker
} ep_origin_t;

typedef struct {
    uint64_t seq;               //  router-wide, gap-free
    uint64_t router_seq;        //  the intent it reports on
    const char *strategy_id;
    int plane;
    int status;
    bool terminal;
    ep_origin_t origin;
    bool late;                  //  arrived after the intent's terminal report
    const void *plane_payload;  //  the plane's report as it produced it; NULL for router reports
    size_t plane_size;
    const void *payload;        //  the report as published
    size_t size;
} ep_journal_report_t;

//  Opens (creating if needed) the journal at location. A file path: the
//  SQLite file, its folder created; sync_full selects synchronous=FULL,
//  else NORMAL. An existing file must pass SQLite's integrity check before
//  anything is written to it; one that does not is refused and left as it
//  is. A postgresql:// (or postgres://) URL: a libpq connection string
//  (the password from its passfile parameter, PGPASSFILE or PGPASSWORD, or
//  in the URL), the tables created if missing; every commit is made with
//  synchronous_commit on (sync_full does not apply). Returns NULL with the
//  reason in err (the location with its password masked) if the journal
//  cannot be opened or is not a journal.
ep_journal_t *ep_journal_open (const char *location, bool sync_full, char *err,
                               size_t err_size);

//  Whether location names a PostgreSQL journal (postgresql:// or
//  postgres://).
bool ep_journal_is_postgresql (const char *location);

//  location as it may be logged: a password in a connection string masked
//  ("***"). Writes into buf (size bytes) and returns it.
#define EP_JOURNAL_LOCATION_MAX 1024
const char *ep_journal_redacted (const char *location, char *buf, size_t size);

//  Copies the journal in the PostgreSQL database conninfo names into db
//  (an empty SQLite database, such as ":memory:"), as one snapshot: the
//  same tables and columns, each value of the type it has there (BIGINT an
//  integer, TEXT text, BYTEA a blob), rows numbered by the same column as
//  in an SQLite journal. What reads an SQLite journal (the chain's checks)
//  then reads it. Returns 0, or -1 with the reason in err (the connection
//  string's password masked). (ep_journal_location.c, with the two
//  functions above: the tools link it without the router.)
int ep_journal_copy_pg (const char *conninfo, sqlite3 *db, char *err, size_t err_size);

//  SQLite's integrity check of db (a journal or an audit file). Returns 0
//  if it passes; 1 if it fails, with its first complaint in first (one
//  line, ", and more" after it if there are others); -1 if it cannot be
//  run, with SQLite's reason in first.
int ep_journal_integrity (sqlite3 *db, char *first, size_t size);

//  The database that holds the journal: "SQLite" or "PostgreSQL".
const char *ep_journal_backend_name (ep_journal_t *self);

//  The lease (PostgreSQL): which of several routers on one database is
//  active. The lease is the session-level advisory lock of the journal's
//  connection (it lapses with the connection or the process) and a row of
//  table lease, its epoch bumped by each router that takes it. From then
//  on every commit of this journal is fenced by that epoch: its
//  transaction reads the row FOR SHARE, and fails for good (EP_JOURNAL_IO,
//  ep_journal_lease_lost true) if the epoch is not this router's any more,
//  or if the lock could not be taken again after the connection was lost.
//  A SQLite journal has no lease: take always succeeds with epoch 0.
//
//  take: tries for the lease, holder (this router's boot) written in its
//  row. Returns 1 (taken: *epoch the new epoch), 0 (another router's
//  connection holds the lock), or -1 (the database cannot be reached or
//  refused; logged). Outside a transaction only.
int ep_journal_lease_take (ep_journal_t *self, const char *holder, uint64_t *epoch);
//  check: whether the lease is still this router's, outside a transaction
//  (in one it says 0 and leaves the check to the commit's fence): 0 yes
//  (a connection lost is made again, and its lock taken again), 1 lost for
//  good, -1 cannot tell (the database cannot be reached; why in
//  ep_journal_error).
int ep_journal_lease_check (ep_journal_t *self);
//  Whether the lease was found lost (a check, a fence or a reconnection).
bool ep_journal_lease_lost (ep_journal_t *self);

//  Closes the journal and NULLs *self_p. Safe on NULL.
void ep_journal_destroy (ep_journal_t **self_p);

//  Transactions: begin is a no-op if one is open; commit is a no-op if none.
//  A commit that fails (a full disk, an I/O error) is rolled back, and the
//  journal is then "owing": its writes are kept, begin and commit fail, and
//  ep_journal_retry runs the same writes again, until one commits.
//  begin: EP_JOURNAL_FULL while owing, EP_JOURNAL_IO if SQLite refuses.
//  commit: EP_JOURNAL_FULL if it failed (or still owes) and its writes
//  wait for a retry, EP_JOURNAL_IO if they could not all be kept.
//  retry: EP_JOURNAL_OK once they committed (or nothing was owed), else
//  EP_JOURNAL_FULL, and they are kept for the next retry; EP_JOURNAL_IO if
//  they can never commit (an intent id claimed as new while the database
//  could not be reached was used before).
ep_journal_status_t ep_journal_begin (ep_journal_t *self);
ep_journal_status_t ep_journal_commit (ep_journal_t *self);
ep_journal_status_t ep_journal_retry (ep_journal_t *self);
//  The chain's head as written (committed at the next commit): its row and
//  hash (ep_chain.h). Every intent, report, command and event joins the
//  chain as it is written.
void ep_journal_chain_head (const ep_journal_t *self, ep_chain_head_t *head);

//  When intent router_seq was written, that is read (wall clock,
//  microseconds), as the chain says; 0 if it does not say.
int64_t ep_journal_intake_us (ep_journal_t *self, uint64_t router_seq);

bool ep_journal_owing (ep_journal_t *self);

//  The writes a failed commit left to retry (0 when not owing).
size_t ep_journal_owed_writes (ep_journal_t *self);

//  The writes of the open transaction (0 when none is open).
size_t ep_journal_open_writes (ep_journal_t *self);

//  Why the last commit failed, with the system's error if there was one.
const char *ep_journal_error (ep_journal_t *self);

//  Highest seq and router_seq journaled (0 on a new journal).
uint64_t ep_journal_last_seq (ep_journal_t *self);
uint64_t ep_journal_last_router_seq (ep_journal_t *self);

//  Highest router_seq on which plane has reported (0 if none).
uint64_t ep_journal_processed_through (ep_journal_t *self, int plane);

//  Claims (strategy_id, intent_id) for router_seq. Returns 1 if it was new,
//  0 if it was claimed before (a duplicate), -1 on failure. While
//  PostgreSQL cannot be reached (in a transaction), a key not claimed in
//  the same transaction is taken for new, and the retry of its commit
//  checks it: one that proves claimed before fails the retry, so that
//  nothing of that transaction is ever published.
int ep_journal_claim (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                      uint64_t router_seq);

//  The add_, save_state and set_zombie writes return EP_JOURNAL_OK, or
//  EP_JOURNAL_IO (logged) if the database refused them. In a transaction
//  begun while PostgreSQL could not be reached (or lost during it), they
//  are kept for the retry that follows its failed commit, and return
//  EP_JOURNAL_OK.

//  Records an intent read from intake. dispatched: sent to plane, else
//  rejected by the router.
//  sender: who pushed it ("NAME:KEY" under CURVE).
ep_journal_status_t ep_journal_add_intent (ep_journal_t *self, uint64_t router_seq,
                                           const char *strategy_id, const char *intent_id,
                                           int plane, uint64_t epoch, bool dispatched,
                                           const char *sender, const void *payload,
                                           size_t size);

ep_journal_status_t ep_journal_add_report (ep_journal_t *self, const ep_journal_report_t *report);

//  Records a plane command and what became of it.
ep_journal_status_t ep_journal_add_command (ep_journal_t *self, uint64_t at_seq, int kind,
                                            int plane, uint64_t epoch, const char *issued_by,
                                            const char *sender, const char *reason,
                                            bool applied, const char *outcome,
                                            const void *payload, size_t size);

//  Records an event: kind is a short word ("start", "stop", "worker"...).
ep_journal_status_t ep_journal_add_event (ep_journal_t *self, uint64_t at_seq, const char *kind,
                                          const char *detail);

//  The applied plane state, as a packed PlaneState. load returns 0 and sets
//  *size to 0 when none was saved; the caller frees *payload.
ep_journal_status_t ep_journal_save_state (ep_journal_t *self, const void *payload, size_t size);

//  A plane definition (a packed PlaneDefinition) as it stands now, under
//  its id; definitions calls fn with each one saved, in no given order.
typedef void (ep_journal_blob_fn) (void *arg, const void *payload, size_t size);
ep_journal_status_t ep_journal_save_definition (ep_journal_t *self, const char *id,
                                                const void *payload, size_t size);
int ep_journal_definitions (ep_journal_t *self, ep_journal_blob_fn *fn, void *arg);
int ep_journal_load_state (ep_journal_t *self, void **payload, size_t *size);

typedef void (ep_journal_report_fn) (void *arg, uint64_t seq, const void *payload, size_t size);

//  Calls fn for each report with from_seq <= seq <= to_seq (to_seq 0: no
//  upper bound) of strategy_id (NULL or "": all), in seq order, at most
//  limit of them. *through_seq is set to the highest seq examined (from_seq
//  - 1 if none). Returns the number of reports, or -1.
typedef void (ep_journal_row_fn) (void *arg, uint64_t seq, const char *strategy_id,
                                  const void *payload, size_t size);
int ep_journal_reports (ep_journal_t *self, uint64_t from_seq, uint64_t to_seq,
                        const char *strategy_id, unsigned limit,
                        ep_journal_row_fn *fn, void *arg, uint64_t *through_seq);

//  Calls fn for each dispatched intent that has no terminal report, in
//  router_seq order; acked tells whether its plane has reported on it.
typedef void (ep_journal_open_fn) (void *arg, uint64_t router_seq, int plane, uint64_t epoch,
                                   bool acked, const void *payload, size_t size);
int ep_journal_open_intents (ep_journal_t *self, ep_journal_open_fn *fn, void *arg);

//  Reads the intent journaled as router_seq: its plane, epoch, whether it
//  was dispatched, and its payload (malloc'd; the caller frees it). Returns
//  1 if found, 0 if not, -1 on failure.
int ep_journal_intent (ep_journal_t *self, uint64_t router_seq, int *plane, uint64_t *epoch,
                       bool *dispatched, void **payload, size_t *size);

//  Finds the router_seq of (strategy_id, intent_id); with strategy_id NULL
//  or "", of intent_id under any strategy. Returns 1 if found, 0 if not, 2
//  if intent_id alone names more than one intent, -1 on failure.
int ep_journal_find_intent (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                            uint64_t *router_seq);

//  How router_seq ended: the status of its terminal report. Returns 1 if
//  it has one, 0 if not (yet), -1 on failure.
int ep_journal_ending (ep_journal_t *self, uint64_t router_seq, int *status);

//  Calls fn for the newest limit intents dispatched to plane whose
//  terminal report has status, that are not zombies, newest first (acked
//  is always true).
int ep_journal_ended_unknown (ep_journal_t *self, int plane, int status, unsigned limit,
                              ep_journal_open_fn *fn, void *arg);

//  Marks (on) or unmarks router_seq as a zombie: an intent whose terminal
//  report the router made, while its plane reported it still resting.
ep_journal_status_t ep_journal_set_zombie (ep_journal_t *self, uint64_t router_seq, bool on);

//  Calls fn for each zombie, in router_seq order (acked is always true).
int ep_journal_zombies (ep_journal_t *self, ep_journal_open_fn *fn, void *arg);

//  Calls fn with each plane-produced report on router_seq, in seq order.
int ep_journal_plane_reports (ep_journal_t *self, uint64_t router_seq,
                              ep_journal_report_fn *fn, void *arg);

//  Durability on demand, for a journal opened with sync_full. While syncs
//  are deferred (on), a commit writes its frames to the write-ahead log
//  without waiting for the disk (synchronous=NORMAL: a crash of the process
//  loses nothing, a power loss may lose them), and ep_journal_sync makes
//  every commit so far durable with the one fdatasync of the log that a
//  commit under synchronous=FULL ends with. Off: every commit waits again
//  (FULL). SQLite changes it only between transactions: EP_JOURNAL_IO
//  (logged) while one is open or a retry is owed.
ep_journal_status_t ep_journal_defer_syncs (ep_journal_t *self, bool on);

//  False if every commit is durable as it returns and none can wait
//  (PostgreSQL with synchronous_commit on): defer_syncs then changes nothing.
bool ep_journal_can_defer_syncs (const ep_journal_t *self);

//  Syncs the write-ahead log, through SQLite's own handle of it. Returns 0,
//  or -1 (logged, and kept for ep_journal_error) if it failed: what was
//  committed since the last sync may then not be on disk.
int ep_journal_sync (ep_journal_t *self);

#endif
