/*  ep_live_reconcile: what a reconciliation concludes when the venue could
    not answer with the order's state.

    A venue's word that it has no such order (ep_venue_result_t.absent)
    proves the order was never placed only if this plane never attempted
    it, or once the venue's absence margin has passed since the attempt's
    receive window closed (before, the venue may not know an order it took
    yet). Any other answer without the order's state proves nothing: the
    outcome stays UNKNOWN, to be reconciled again. Pure: no I/O, no clock.  */
#ifndef EP_LIVE_RECONCILE_H_INCLUDED
#define EP_LIVE_RECONCILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_venue.h"

//  What is known when the venue answered without the order's state.
typedef struct {
    const char *client_order_id;        //  the order asked about
    const ep_venue_result_t *result;    //  the venue's answer (status STATUS_UNSPECIFIED)
    bool attempted;                     //  the audit holds a submission of it
    int64_t submitted_ms;               //  that submission's timestamp, as sent
    int64_t window_ms;                  //  its recvWindow, as sent
    int64_t margin_ms;                  //  the venue's absence_margin_ms
    int64_t now_ms;                     //  the wall clock now
} ep_live_absence_t;

//  The conclusion: *status and *failure for a terminal, reconciled
//  report, and its reason (starting "reconciled: ") in reason.
void ep_live_reconcile_without_state (const ep_live_absence_t *facts, int *status,
                                      int *failure, char *reason, size_t reason_size);

#endif
