/*  ep_checkpoint: the journal's WAL checkpointed off the router's turn.  */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "ep_checkpoint.h"
#include "ep_log.h"

struct _ep_checkpoint_t {
    sqlite3 *writer;                    //  the router's connection (hooked, not owned)
    sqlite3 *db;                        //  the thread's own connection
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool due;                           //  under lock: the log has grown
    bool stop;                          //  under lock: the thread ends
    _Atomic uint64_t done;              //  checkpoints by the thread
    uint64_t inline_done;               //  by the writer (its thread only)
};

static void *
s_run (void *arg)
{
    ep_checkpoint_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!self->stop) {
        if (!self->due) {
            pthread_cond_wait (&self->wake, &self->lock);
            continue;
        }
        self->due = false;
        pthread_mutex_unlock (&self->lock);
        int log = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                            &copied);
        if (rc == SQLITE_OK)
            atomic_fetch_add (&self->done, 1);
        else
        if (rc != SQLITE_BUSY)
            ep_log_warn ("journal: checkpoint: %s (the log grows until one succeeds)",
                         sqlite3_errmsg (self->db));
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

//  After each commit of the writer's: how long the log is.
static int
s_hook (void *arg, sqlite3 *db, const char *name, int pages)
{
    ep_checkpoint_t *self = arg;
    if (pages >= EP_CHECKPOINT_PAGES_MAX) {
        if (sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)
            == SQLITE_OK)
            self->inline_done++;
    }
    else
    if (pages >= EP_CHECKPOINT_PAGES) {
        pthread_mutex_lock (&self->lock);
        if (!self->due) {
            self->due = true;
            pthread_cond_signal (&self->wake);
        }
        pthread_mutex_unlock (&self->lock);
    }
    return SQLITE_OK;
}

ep_checkpoint_t *
ep_checkpoint_new (sqlite3 *db, const char *path, char *err, size_t err_size)
{
    assert (db && path);
    ep_checkpoint_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->writer = db;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        snprintf (err, err_size, "journal %s: the checkpointer's connection: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "cannot open");
        goto fail;
    }
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        snprintf (err, err_size, "journal %s: cannot start the checkpointer's thread", path);
        goto fail;
    }
    sqlite3_wal_hook (db, s_hook, self);
    return self;
fail:
    sqlite3_close (self->db);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    return NULL;
}

void
ep_checkpoint_destroy (ep_checkpoint_t **self_p)
{
    assert (self_p);
    ep_checkpoint_t *self = *self_p;
    if (!self)
        return;
    sqlite3_wal_hook (self->writer, NULL, NULL);
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    sqlite3_close (self->db);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

uint64_t
ep_checkpoint_count (ep_checkpoint_t *self)
{
    return atomic_load (&self->done);
}

uint64_t
ep_checkpoint_inline_count (ep_checkpoint_t *self)
{
    return self->inline_done;
}
