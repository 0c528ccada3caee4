/*  ep_lease: which of the routers on one PostgreSQL journal serves. The
    active holds the lease (ep_journal.h: the advisory lock of its journal
    connection and the epoch it bumped), and every commit it makes is
    fenced by that epoch. A standby has recovered nothing and bound
    nothing: it tries for the lease every router/takeover_ms, and once it
    has it, starts as a restart does (ep_router.c). A SQLite journal has no
    lease: its router is active from the start.  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_log.h"
#include "ep_sock.h"

int
ep_lease_start (ep_router_t *self, char *err, size_t err_size)
{
    self->lease.took_ms = -1;
    int taken = ep_journal_lease_take (self->journal, self->boot, &self->lease.epoch);
    if (taken < 0) {
        snprintf (err, err_size, "the lease cannot be read or taken (see the log)");
        return -1;
    }
    self->lease.standby = taken == 0;
    self->lease.next_ms = ep_sock_clock_ms () + self->config.takeover_ms;
    if (self->lease.standby)
        ep_log_info ("standby: another router holds the lease; trying for it every %lld ms, "
                     "nothing bound meanwhile", (long long) self->config.takeover_ms);
    else
    if (self->lease.epoch)
        ep_log_info ("active: the lease is ours, epoch %llu",
                     (unsigned long long) self->lease.epoch);
    return 0;
}

int
ep_lease_wait (ep_router_t *self)
{
    int64_t next_try = 0;
    bool unreached = false;
    while (true) {
        int64_t now = ep_sock_clock_ms ();
        if (zsys_interrupted) {
            ep_log_info ("standby: stopping; the lease was never ours");
            return 1;
        }
        if (self->metrics.server && now >= self->metrics.next_ms) {
            ep_router_metrics_update (self, now);
            self->metrics.next_ms = now + EP_ROUTER_METRICS_MS;
        }
        if (now >= next_try) {
            int taken = ep_journal_lease_take (self->journal, self->boot, &self->lease.epoch);
            if (taken == 1) {
                self->lease.locked_ms = ep_sock_clock_ms ();
                self->lease.standby = false;
                ep_log_info ("standby: the lease is ours, epoch %llu: taking over",
                             (unsigned long long) self->lease.epoch);
                return 0;
            }
            //  The database away: said once, tried again as ever
            if (taken < 0 && !unreached)
                ep_log_warn ("standby: the lease cannot be tried (the database away); "
                             "trying again every %lld ms", (long long) self->config.takeover_ms);
            unreached = taken < 0;
            next_try = now + self->config.takeover_ms;
        }
        int64_t wake = next_try;
        if (self->metrics.server && self->metrics.next_ms < wake)
            wake = self->metrics.next_ms;
        now = ep_sock_clock_ms ();
        zmq_poll (NULL, 0, wake > now ? (long) (wake - now) : 0);     //  a signal ends it
    }
}

void
ep_lease_serving (ep_router_t *self)
{
    self->lease.took_ms = ep_sock_clock_ms () - self->lease.locked_ms;
    self->lease.takeovers++;
    self->lease.next_ms = ep_sock_clock_ms () + self->config.takeover_ms;
    ep_log_info ("active: took over at epoch %llu, serving %lld ms after the lock was obtained",
                 (unsigned long long) self->lease.epoch, (long long) self->lease.took_ms);
}

ep_router_status_t
ep_lease_confirm (ep_router_t *self, int64_t now)
{
    if (!self->lease.epoch || now < self->lease.next_ms)
        return EP_ROUTER_OK;
    int held = ep_journal_lease_check (self->journal);
    self->lease.next_ms = ep_sock_clock_ms () + self->config.takeover_ms;
    if (held > 0)
        return EP_ROUTER_LEASE_LOST;
    if (held == 0 && self->lease.unconfirmed)
        ep_log_info ("active: the lease is confirmed again after %lld ms; the plane state "
                     "and stats go out again", (long long) (now - self->lease.unconfirmed_ms));
    //  A router alone (no endpoint lists: no other to follow) keeps
    //  publishing its plane state: its clients wait for it
    if (held < 0 && !self->config.member)
        return EP_ROUTER_OK;
    if (held < 0 && !self->lease.unconfirmed) {
        ep_log_error ("active: the lease cannot be confirmed (%s): the plane state and stats "
                      "are not published until it is (asked again every %lld ms); a turn "
                      "that writes waits for the journal", ep_journal_error (self->journal),
                      (long long) self->config.takeover_ms);
        self->lease.unconfirmed_ms = now;
    }
    self->lease.unconfirmed = held < 0;
    return EP_ROUTER_OK;
}
