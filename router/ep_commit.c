/*  ep_commit: the commit that ends each turn, before anything of it is
    published, and what the router does while the journal cannot commit.

    Under journal_sync = full, a commit waits for the disk only when its
    turn needs it (ep_commit_plan): a turn that wrote only the paper intents
    it dispatches (and their claims), and from which nothing else leaves,
    commits without waiting. The paper worker may then run them before they
    are on disk; the next synced commit (the one of their reports) makes
    them durable, and nothing else leaves the router before it. A turn
    that syncs sends its paper dispatches between its commit and its sync,
    so that the worker runs them while the disk syncs.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_sock.h"

static void
s_postpone_entry (void *arg, ep_inflight_entry_t *entry)
{
    if (!entry->acked)
        entry->deadline_ms += *(int64_t *) arg;
}

//  A commit failed (a full disk, an I/O error). Nothing of this turn is
//  published or dispatched, and nothing more is read: intake's queues fill
//  and then its senders block. The same writes are tried again every second
//  until they commit; then the turn's work goes out as usual, and the time
//  spent is given back to the deadlines and heartbeats that would otherwise
//  have run out while nothing was read. Returns 0 once committed, or -1 if
//  the router is asked to stop first (what was not committed was never
//  published).
static ep_router_status_t
s_wait_for_journal (ep_router_t *self)
{
    int64_t since = ep_sock_clock_ms ();
    char first_error [256];
    snprintf (first_error, sizeof first_error, "%s", ep_journal_error (self->journal));
    ep_log_error ("journal: cannot commit (%s): %zu write(s) held; nothing is read or "
                  "published until they commit, tried again every %d ms", first_error,
                  ep_journal_owed_writes (self->journal), EP_ROUTER_JOURNAL_RETRY_MS);
    unsigned retries = 0;
    while (true) {
        zmq_poll (NULL, 0, EP_ROUTER_JOURNAL_RETRY_MS);     //  a signal ends it early
        int64_t now = ep_sock_clock_ms ();
        if (ep_drain_due (self, now)) {
            ep_log_error ("journal: stopping with %zu write(s) never committed; none of "
                          "them was published", ep_journal_owed_writes (self->journal));
            return EP_ROUTER_UNCOMMITTED;
        }
        //  The metrics name the chain's head: only once it is on disk.
        if (self->metrics.server && ep_commit_durable (self) == EP_ROUTER_OK)
            ep_router_metrics_update (self, now);
        ep_journal_status_t retried = ep_journal_retry (self->journal);
        if (retried == EP_JOURNAL_OK)
            break;
        if (retried == EP_JOURNAL_IO) {
            ep_log_error ("journal: the held writes can never commit (%s): stopping; none "
                          "of them was published", ep_journal_error (self->journal));
            return EP_ROUTER_JOURNAL_COMMIT;
        }
        //  Logged after 1, 2, 4 ... 64 retries, then every 64th.
        retries++;
        if ((retries <= 64 && (retries & (retries - 1)) == 0) || retries % 64 == 0)
            ep_log_error ("journal: still cannot commit after %u retries, %lld ms (%s)",
                          retries, (long long) (now - since), ep_journal_error (self->journal));
    }
    int64_t waited = ep_sock_clock_ms () - since;
    ep_inflight_each (self->inflight, s_postpone_entry, &waited);
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++)
        self->link.worker [plane].last_heard_ms += waited;
    char detail [512];
    snprintf (detail, sizeof detail, "commits failed for %lld ms (%s); nothing was read "
              "or published meanwhile", (long long) waited, first_error);
    ep_log_info ("journal: committed again: %s", detail);
    return ep_router_event (self, "journal", detail);
}

ep_commit_plan_t
ep_commit_plan (const ep_commit_turn_t *turn)
{
    if (!turn->writes)
        return turn->unsynced && turn->goes_out ? EP_COMMIT_SYNC_ONLY : EP_COMMIT_NONE;
    if (turn->writes > turn->deferrable || turn->goes_out)
        return EP_COMMIT_SYNCED;
    return EP_COMMIT_DEFERRED;
}

ep_router_status_t
ep_commit_durable (ep_router_t *self)
{
    if (!self->durability.unsynced)
        return EP_ROUTER_OK;
    if (ep_journal_sync (self->journal))
        return EP_ROUTER_JOURNAL_SYNC;
    self->durability.unsynced = false;
    self->durability.syncs++;
    return EP_ROUTER_OK;
}

void
ep_commit_sent (ep_router_t *self)
{
    if (self->durability.unsynced)
        self->durability.unsynced_sends++;
}

ep_router_status_t
ep_commit_defer (ep_router_t *self, bool on)
{
    if (!streq (self->config.journal_sync, "full") || self->durability.deferring == on
    ||  !ep_journal_can_defer_syncs (self->journal))
        return EP_ROUTER_OK;
    ep_router_status_t status = EP_ROUTER_OK;
    if (!on)
        status = ep_commit_durable (self);
    if (ep_journal_defer_syncs (self->journal, on))
        return status ? status : EP_ROUTER_JOURNAL_COMMIT;
    self->durability.deferring = on;
    return status;
}

ep_router_status_t
ep_commit_end (ep_router_t *self)
{
    ep_router_status_t status = ep_commit_turn (self, true);
    return status ? status : ep_commit_defer (self, false);
}

//  A commit that went through: made durable now if plan says so.
static ep_router_status_t
s_committed (ep_router_t *self, ep_commit_plan_t plan)
{
    if (!self->durability.deferring) {
        self->durability.normal += streq (self->config.journal_sync, "full") ? 0 : 1;
        self->durability.synced += streq (self->config.journal_sync, "full") ? 1 : 0;
        return EP_ROUTER_OK;
    }
    if (plan == EP_COMMIT_DEFERRED) {
        self->durability.unsynced = true;
        self->durability.deferred++;
        return EP_ROUTER_OK;
    }
    //  The turn's paper dispatches leave before the sync: the worker runs
    //  them while the disk syncs, as after a deferred commit.
    ep_delivery_paper (self);
    if (ep_journal_sync (self->journal))
        return EP_ROUTER_JOURNAL_SYNC;
    self->durability.unsynced = false;
    self->durability.synced++;
    return EP_ROUTER_OK;
}

ep_router_status_t
ep_commit_turn (ep_router_t *self, bool goes_out)
{
    size_t writes = ep_journal_open_writes (self->journal);
    ep_commit_turn_t turn = { writes, self->durability.deferrable, self->durability.unsynced,
                              goes_out };
    self->durability.deferrable = 0;
    ep_commit_plan_t plan = ep_commit_plan (&turn);
    int64_t commit_start = writes ? zclock_usecs () : 0;
    ep_journal_status_t committed = ep_journal_commit (self->journal);
    if (committed == EP_JOURNAL_OK) {
        if (!writes)
            return plan == EP_COMMIT_SYNC_ONLY ? ep_commit_durable (self) : EP_ROUTER_OK;
        ep_router_status_t status = s_committed (self, plan);
        ep_histogram_observe (&self->metrics.commit_seconds,
                              (double) (zclock_usecs () - commit_start) / 1e6);
        ep_histogram_observe (&self->metrics.commit_writes, (double) writes);
        return status;
    }
    if (committed != EP_JOURNAL_FULL)
        return EP_ROUTER_JOURNAL_COMMIT;
    //  What a retry commits goes out with this turn: it waits for the disk.
    ep_router_status_t status = s_wait_for_journal (self);
    return status ? status : s_committed (self, EP_COMMIT_SYNCED);
}
