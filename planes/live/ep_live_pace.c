/*  ep_live_pace: the live plane's requests paced by the venue's rate
    limits (ep_live_governor): which queued job goes next and when, what
    the venue's answers say of its limits, how far apart the polls of a
    resting order are, and the metrics.  */
#include <assert.h>
#include <czmq.h>
#include <time.h>
#include "ep_live_plane_internal.h"
#include "ep_log.h"

#define s_now ep_live_plane_now
#define s_wall ep_live_plane_wall

//  What a job is to the governor: its queue's class, the venue's clock and
//  rules apart from the placements they queue with.
static ep_live_governor_kind_t
s_kind (const ep_live_job_t *job)
{
    if (job->info)
        return EP_LIVE_GOVERNOR_INFO;
    switch (ep_live_job_class (job)) {
        case EP_LIVE_CLASS_CANCEL: return EP_LIVE_GOVERNOR_CANCEL;
        case EP_LIVE_CLASS_PLACE:  return EP_LIVE_GOVERNOR_PLACE;
        default:                   return EP_LIVE_GOVERNOR_QUERY;
    }
}

//  The weight a job will have: its request's once built, else the most
//  its kind can weigh (a replace is a cancel-replace or an amend).
static int64_t
s_weight (ep_live_plane_t *self, const ep_live_job_t *job)
{
    ep_venue_t *venue = self->venue;
    if (job->request.op)
        return ep_venue_weight (venue, job->request.op);
    if (job->info)
        return ep_venue_weight (venue, job->info);
    if (job->queried)
        return ep_venue_weight (venue, EP_VENUE_TRADES);
    switch (job->kind) {
        case EP_AUDIT_SUBMIT:
            return ep_venue_weight (venue, EP_VENUE_SUBMIT);
        case EP_AUDIT_CANCEL:
            return ep_venue_weight (venue, EP_VENUE_CANCEL);
        case EP_AUDIT_REPLACE: {
            int64_t replace = ep_venue_weight (venue, EP_VENUE_CANCEL_REPLACE);
            int64_t amend = ep_venue_weight (venue, EP_VENUE_AMEND);
            return replace > amend ? replace : amend;
        }
        default:
            return ep_venue_weight (venue, EP_VENUE_QUERY);
    }
}

//  A submission, cancel or replace the governor holds past its time to be
//  sent: REJECTED / RATE_LIMITED, never sent. Returns true if so.
static bool
s_held_too_long (ep_live_plane_t *self, const ep_live_job_t *job, int64_t at, int64_t now,
                 const char *why)
{
    bool own = job->kind == EP_AUDIT_SUBMIT || job->kind == EP_AUDIT_CANCEL
            || job->kind == EP_AUDIT_REPLACE;
    int64_t not_after_ms = job->info ? 0 : job->dispatch->not_after_ms;
    int64_t wall = s_wall (self);
    int64_t frees_ms = wall + (at - now);
    if (!own || not_after_ms <= 0 || frees_ms < not_after_ms)
        return false;
    char frees [40], ends [40], reason [400];
    ep_live_iso_time (frees_ms, frees, sizeof frees);
    ep_live_iso_time (not_after_ms, ends, sizeof ends);
    snprintf (reason, sizeof reason, "not sent: rate limited: %s holds requests until %s, "
              "after its time to be sent ends at %s", why, frees, ends);
    self->rate_limited++;
    ep_live_plane_report_plain (self, job->dispatch, EP_STATUS (REJECTED),
                                EP_FAILURE (RATE_LIMITED), true, reason, false);
    return true;
}

ep_live_job_t *
ep_live_pace_next (ep_live_plane_t *self)
{
    assert (self);
    ep_live_governor_set_limits (&self->governor, &self->rules.limits);
    //  The first class whose front may go now goes: a later class passes
    //  an earlier one only when that one waits for what the later does
    //  not need (the order count), since queries stop short of the limit
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++) {
        ep_live_job_t *job = ep_live_jobs_front (self->jobs, (ep_live_class_t) klass);
        if (!job)
            continue;
        int64_t now = s_now (self);
        char why [160];
        int64_t at = ep_live_governor_when (&self->governor, s_kind (job),
                                            s_weight (self, job), now, why, sizeof why);
        if (at <= now)
            return ep_live_jobs_take (self->jobs, (ep_live_class_t) klass);
        if (s_held_too_long (self, job, at, now, why)) {
            job = ep_live_jobs_take (self->jobs, (ep_live_class_t) klass);
            ep_live_job_destroy (&job);
            klass--;            //  the next in this class
        }
    }
    return NULL;
}

void
ep_live_pace_sent (ep_live_plane_t *self, const ep_live_job_t *job)
{
    assert (self && job);
    ep_live_governor_sent (&self->governor, s_kind (job), s_weight (self, job), s_now (self));
}

void
ep_live_pace_heard (ep_live_plane_t *self, const ep_live_job_t *job)
{
    assert (self && job);
    const ep_venue_result_t *result = &job->result;
    int64_t now = s_now (self);
    if (!ep_live_governor_heard (&self->governor, result->http_status, result->venue_code,
                                 result->used_weight_1m, result->order_count_10s,
                                 result->order_count_1d, result->retry_after_s, now))
        return;
    char until [40];
    ep_live_iso_time (s_wall (self) + ep_live_governor_blocked_ms (&self->governor, now), until,
                sizeof until);
    ep_log_error ("venue rate limit: %s (HTTP %ld, code %d, Retry-After %s): nothing is sent "
                  "to the venue until %s", self->governor.banned ? "this IP is banned"
                                                                 : "too much sent",
                  result->http_status, result->venue_code,
                  result->retry_after [0] ? result->retry_after : "none", until);
}

int64_t
ep_live_pace_poll_ms (ep_live_plane_t *self)
{
    assert (self);
    return ep_live_governor_poll_ms (&self->governor, self->poll_now_ms,
                                     ep_live_follow_size (self->orders),
                                     ep_venue_weight (self->venue, EP_VENUE_QUERY), s_now (self));
}

void
ep_live_pace_metrics (ep_live_plane_t *self, ep_prom_t *prom)
{
    assert (self && prom);
    int64_t now = s_now (self);
    ep_prom_one (prom, "execplane_venue_weight_used", "gauge",
                 "Request weight sent to the venue in the last minute (the venue's count "
                 "when higher)", ep_live_governor_weight_used (&self->governor, now));
    ep_prom_one (prom, "execplane_venue_weight_limit", "gauge",
                 "The venue's request weight limit a minute",
                 self->governor.limits.weight_per_minute);
    ep_prom_one (prom, "execplane_venue_orders_10s", "gauge",
                 "Orders placed in the last 10 seconds (the venue's count when higher)",
                 ep_live_governor_orders_10s (&self->governor, now));
    ep_prom_one (prom, "execplane_venue_banned_seconds", "gauge",
                 "Seconds until the venue's 429 Retry-After or 418 ban ends: nothing is sent "
                 "meanwhile (0: none)",
                 (ep_live_governor_blocked_ms (&self->governor, now) + 999) / 1000);
    ep_prom_one (prom, "execplane_live_rate_limited_total", "counter",
                 "Submissions, cancels and replaces reported REJECTED / RATE_LIMITED unsent: "
                 "the venue's limits held them past their time to be sent",
                 (int64_t) self->rate_limited);
}
