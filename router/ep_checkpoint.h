/*  ep_checkpoint: the journal's write-ahead log is checkpointed on a
    thread of its own, not in the router's turn.

    SQLite checkpoints a WAL database, by default, inside the commit that
    makes the log pass 1,000 pages: the committing thread copies the pages
    into the database and syncs it, a stall of milliseconds in the middle
    of the router's turn. Here the writer's connection only notes how long
    its log has grown (a WAL hook, which replaces the automatic
    checkpoint); past EP_CHECKPOINT_PAGES the checkpointer's thread wakes
    and runs a passive checkpoint on a connection of its own, which never
    waits for the writer and never holds it up. Should the log still grow
    past EP_CHECKPOINT_PAGES_MAX (the thread cannot keep up, or a reader
    pins old pages), the writer checkpoints it itself, as SQLite would.  */
#ifndef EP_CHECKPOINT_H_INCLUDED
#define EP_CHECKPOINT_H_INCLUDED

#include <sqlite3.h>
#include <stdint.h>

#define EP_CHECKPOINT_PAGES 1000        //  the log's pages that wake the thread
#define EP_CHECKPOINT_PAGES_MAX 16000   //  past this the writer checkpoints itself

typedef struct _ep_checkpoint_t ep_checkpoint_t;

//  Checkpoints the WAL database at path, from a thread of its own, each
//  time the writer's connection db (which it hooks: call before any
//  write) has grown the log past EP_CHECKPOINT_PAGES. Returns NULL with
//  why in err.
ep_checkpoint_t *ep_checkpoint_new (sqlite3 *db, const char *path, char *err, size_t err_size);

//  Stops the thread (a checkpoint under way ends first), closes its
//  connection, unhooks the writer's and NULLs *self_p.
void ep_checkpoint_destroy (ep_checkpoint_t **self_p);

//  Checkpoints made by the thread, and by the writer itself (the log past
//  EP_CHECKPOINT_PAGES_MAX).
uint64_t ep_checkpoint_count (ep_checkpoint_t *self);
uint64_t ep_checkpoint_inline_count (ep_checkpoint_t *self);

#endif
