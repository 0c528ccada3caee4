/*  ep_journal_lease: which router on a shared journal may write to it
    (ep_journal.h). The backend's (PostgreSQL: an advisory lock and an
    epoch that fences every commit); a backend without one (SQLite, one
    machine) has its router hold the lease from the start.  */
#include <czmq.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"

int
ep_journal_lease_take (ep_journal_t *self, const char *holder, uint64_t *epoch)
{
    *epoch = 0;
    if (!self->backend->lease_take)
        return 1;
    int taken = self->backend->lease_take (self, holder, epoch);
    //  What another router wrote since the journal was opened: the numbers
    //  the next rows take, and the chain's head, read anew
    if (taken == 1 && ep_journal_start (self)) {
        ep_journal_fail (self, "the numbers and the chain's head, read after taking the lease");
        return -1;
    }
    if (taken == 1)
        ep_journal_chain_committed (self);
    return taken;
}

int
ep_journal_lease_check (ep_journal_t *self)
{
    if (!self->backend->lease_check || self->in_txn)
        return 0;
    return self->backend->lease_check (self);
}

bool
ep_journal_lease_lost (ep_journal_t *self)
{
    return self->backend->lease_lost && self->backend->lease_lost (self);
}
