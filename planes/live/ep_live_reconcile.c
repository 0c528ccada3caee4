/*  ep_live_reconcile: what a reconciliation concludes without the order's
    state.  */
#include <assert.h>
#include <stdio.h>
#include <time.h>
#include "ep_live_reconcile.h"

//  A wall-clock time in ms as UTC ISO 8601, to the second.
static void
s_iso_time (int64_t wall_ms, char *buf, size_t size)
{
    time_t seconds = (time_t) (wall_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
ep_live_reconcile_without_state (const ep_live_absence_t *facts, int *status, int *failure,
                                 char *reason, size_t reason_size)
{
    assert (facts && facts->result && facts->client_order_id && status && failure && reason);
    const char *id = facts->client_order_id;
    *status = EP_STATUS (FAILED);
    *failure = EP_FAILURE (NOT_SENT);
    if (!facts->result->absent) {
        snprintf (reason, reason_size, "reconciled: the venue could not be asked about %s "
                  "(%s); still unknown: reconcile again", id, facts->result->reason);
        *status = EP_STATUS (UNKNOWN);
        *failure = EP_FAILURE (SEND_UNKNOWN);
        return;
    }
    if (!facts->attempted) {
        snprintf (reason, reason_size, "reconciled: this live plane never attempted %s, "
                  "and the venue does not know it: it was not placed", id);
        return;
    }
    int64_t conclusive_ms = facts->submitted_ms + facts->window_ms + facts->margin_ms;
    if (facts->now_ms < conclusive_ms) {
        char stamp [32];
        s_iso_time (conclusive_ms, stamp, sizeof stamp);
        snprintf (reason, reason_size, "reconciled: the venue does not know %s yet; its "
                  "absence is not conclusive before %s (recvWindow plus %d s after the "
                  "attempt): reconcile again after it", id, stamp,
                  (int) (facts->margin_ms / 1000));
        *status = EP_STATUS (UNKNOWN);
        *failure = EP_FAILURE (SEND_UNKNOWN);
        return;
    }
    snprintf (reason, reason_size, "reconciled: the venue has no order %s, %lld s after "
              "the attempt and past its recvWindow: it was not placed", id,
              (long long) ((facts->now_ms - facts->submitted_ms) / 1000));
}
