/*  ep_live_cancel: the live plane's cancels and replaces.

    A CANCEL or REPLACE names its target by target_intent_id (same
    strategy); the target's client order id derives from (strategy_id,
    target_intent_id) like any order's, and the plane knows it only if it
    follows the target's order (open at the venue). Each is written to the
    audit before it is sent, sent once and never again, and its answer is
    classified as a submission's:
    - the cancel took effect: the target ends CANCELED (its fills kept,
      its reason naming the cancel) and is followed no more; the cancel
      ends CANCELED / FAILURE_NONE;
    - the venue says it knows no such open order (-2011): no proof of
      anything by itself, so the target is queried once (audited as the
      cancel's); if it ended, it is reported as it ended and the cancel is
      REJECTED / TOO_LATE; if the venue cannot tell, the cancel is
      UNKNOWN / SEND_UNKNOWN; if it is open, REJECTED / VENUE_REJECTED;
    - an unknown answer (timeout, 5xx, truncated): the cancel is UNKNOWN /
      SEND_UNKNOWN and the target stays followed: its own stream tells.
    A CANCEL of an order the plane placed (its audit holds the submission)
    and follows no more, whose last word on it was no end (its answer was
    lost: it ended UNKNOWN, and may rest at the venue), is sent all the
    same, by the target's client order id, made from the audit's record of
    the order (the router sends such a cancel only for a target that ended
    UNKNOWN). Its answers are as above, except that the target is told as a
    reconciliation would tell it (reconciled, with only the fills beyond
    those the dispatch's known_* say the router has): CANCELED; after
    -2011, its real end (the cancel TOO_LATE), or its open state (followed
    again; the cancel VENUE_REJECTED), or, when the venue has no such order,
    FAILED / NOT_SENT past the absence margin (the cancel TOO_LATE: "the
    venue has no order X") and nothing within it (the cancel UNKNOWN). An
    order whose last word was an end is not sent: TOO_LATE, as before. A
    CANCEL, like a submission, is not sent past its not_after_ms.
    A REPLACE is the venue's cancel-replace (nothing placed if the cancel
    fails), or its amend when only the quantity goes down (same price,
    time in force, nothing known filled, and not itself an amend's new
    order with a base). Its new order is followed under the REPLACE's
    router_seq like any resting order; an amend's counts from the amend
    (what its venue order executed before was the target's: its base,
    ep_live_rebase). Every report of a
    cancel or replace carries target_intent_id.  */
#ifndef EP_LIVE_CANCEL_H_INCLUDED
#define EP_LIVE_CANCEL_H_INCLUDED

#include <stdbool.h>
#include "ep_live_plane_internal.h"

//  Builds the request of a CANCEL or REPLACE job and writes the attempt
//  down. Returns true if it may be sent; otherwise its intent was
//  reported (not sent) or, already attempted, logged.
bool ep_live_cancel_prepare (ep_live_plane_t *self, ep_live_job_t *job);

//  The answer to a CANCEL or REPLACE job, or to the query one asked for
//  (job->change): written down already; reported, followed, or queried.
void ep_live_cancel_on_answer (ep_live_plane_t *self, ep_live_job_t *job);

//  The query a cancel or replace asked for (job->change) will not be
//  answered (dropped, or not written down): the change is UNKNOWN /
//  SEND_UNKNOWN, and its target stays followed.
void ep_live_cancel_unanswered (ep_live_plane_t *self, ep_live_job_t *job, const char *why);

#endif
