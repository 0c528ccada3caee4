/*  ep_live_sweep: the venue's open orders compared with the audit. An open
    order whose client order id has this product's shape ("ep" and 32
    characters: ep_venue_client_order_id) and that the audit never
    submitted is an orphan: placed by a run whose audit was lost, or by
    another program with the same keys. It is told (the plane's orphans
    callback: the router journals it and tells the meta layer) and logged,
    never canceled or adopted: what to do with it is a person's decision.  */
#include <assert.h>
#include <czmq.h>
#include "ep_live_plane_internal.h"
#include "ep_log.h"

#define S_ID_LENGTH (2 + 32)            //  "ep" and 32 characters of base64url

//  Whether id has the shape of this product's client order ids.
static bool
s_ours (const char *id)
{
    return strlen (id) == S_ID_LENGTH && id [0] == 'e' && id [1] == 'p';
}

void
ep_live_sweep_ask (ep_live_plane_t *self)
{
    assert (self);
    if (!self->venue->prepare_open || !self->orphans)
        return;
    ep_live_job_t *job = ep_live_job_new (0, NULL);
    if (job)
        job->info = EP_VENUE_OPEN_ORDERS;
    if (!job || ep_live_jobs_push (self->jobs, job)) {
        ep_live_job_destroy (&job);
        self->orphans (self->orphans_arg, NULL, 0, "out of memory: the open orders were not "
                       "asked for");
    }
}

void
ep_live_sweep_on_answer (ep_live_plane_t *self, const ep_venue_result_t *result)
{
    assert (self && result);
    if (result->failure != EP_FAILURE (FAILURE_NONE)) {
        ep_log_warn ("open orders: %s", result->reason);
        self->orphans (self->orphans_arg, NULL, 0, result->reason);
        return;
    }
    Execplane__V1__VenueOrder *orphans = calloc (result->open_count + 1, sizeof *orphans);
    Execplane__V1__VenueOrder **pointers = calloc (result->open_count + 1, sizeof *pointers);
    if (!orphans || !pointers) {
        free (orphans);
        free (pointers);
        self->orphans (self->orphans_arg, NULL, 0, "out of memory: the open orders were "
                       "not compared with the audit");
        return;
    }
    size_t count = 0, ours = 0;
    for (size_t index = 0; index < result->open_count; index++) {
        const ep_venue_open_t *open = &result->open [index];
        if (!s_ours (open->client_order_id))
            continue;
        ours++;
        int64_t sent_ms, window_ms;
        int known = ep_audit_submitted (self->audit, open->client_order_id, &sent_ms,
                                        &window_ms);
        if (known < 0)
            ep_log_warn ("open orders: the audit could not tell whether it placed %s",
                         open->client_order_id);
        if (known != 0)
            continue;
        Execplane__V1__VenueOrder *orphan = &orphans [count];
        execplane__v1__venue_order__init (orphan);
        orphan->client_order_id = (char *) open->client_order_id;
        orphan->venue_order_id = (char *) open->venue_order_id;
        orphan->symbol = (char *) open->symbol;
        orphan->side = open->side;
        orphan->status = (char *) open->status;
        orphan->qty_e8 = open->qty_e8;
        orphan->executed_qty_e8 = open->executed_qty_e8;
        pointers [count++] = orphan;
        ep_log_error ("open orders: %s (%s %s, venue order %s, %s) is open at the venue and "
                      "this plane's audit never placed it: an orphan, told to the meta layer, "
                      "neither canceled nor adopted", open->client_order_id, open->symbol,
                      open->side == EP_SIDE (BUY) ? "BUY" : "SELL", open->venue_order_id,
                      open->status);
    }
    ep_log_info ("open orders: %zu at the venue, %zu of them this product's, %zu orphan(s)",
                 result->open_count, ours, count);
    self->orphans (self->orphans_arg, (const Execplane__V1__VenueOrder *const *) pointers, count,
                   NULL);
    free (pointers);
    free (orphans);
}
