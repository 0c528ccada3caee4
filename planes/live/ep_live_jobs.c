/*  ep_live_jobs: the requests queued for the venue and the sender thread.  */
#include <assert.h>
#include <czmq.h>
#include "ep_buf.h"
#include "ep_live_jobs.h"

struct _ep_live_jobs_t {
    ep_ring_t queue [EP_LIVE_CLASSES];  //  ep_live_job_t *, waiting for the sender, by class
    zactor_t *sender;                   //  performs requests, one at a time
    bool sending;                       //  the sender holds a job
};

//  The sender thread: performs one request at a time, never retries.
static void
s_sender_actor (zsock_t *pipe, void *arg)
{
    ep_venue_t *venue = arg;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        zframe_t *frame = zmsg_first (msg);
        bool term = zframe_streq (frame, "$TERM");
        ep_live_job_t *job = NULL;
        if (!term && zframe_size (frame) == sizeof job)
            memcpy (&job, zframe_data (frame), sizeof job);
        zmsg_destroy (&msg);
        if (term)
            break;
        if (job) {
            venue->send (venue, &job->request, &job->result);
            zsock_send (pipe, "p", job);
        }
    }
}

ep_live_job_t *
ep_live_job_new (ep_audit_kind_t kind, ep_dispatch_t *dispatch)
{
    ep_live_job_t *job = calloc (1, sizeof *job);
    if (job) {
        job->kind = kind;
        job->dispatch = dispatch;
    }
    return job;
}

ep_live_class_t
ep_live_job_class (const ep_live_job_t *job)
{
    if (job->info)
        return EP_LIVE_CLASS_PLACE;
    if (job->kind == EP_AUDIT_CANCEL || job->change)
        return EP_LIVE_CLASS_CANCEL;
    if (job->kind == EP_AUDIT_SUBMIT || job->kind == EP_AUDIT_REPLACE)
        return EP_LIVE_CLASS_PLACE;
    return EP_LIVE_CLASS_QUERY;
}

void
ep_live_job_destroy (ep_live_job_t **job_p)
{
    assert (job_p);
    ep_live_job_t *job = *job_p;
    if (!job)
        return;
    ep_venue_result_reset (&job->result);
    if (job->queried) {
        ep_venue_result_reset (job->queried);
        free (job->queried);
    }
    ep_dispatch_t *dispatches [] = { job->dispatch, job->target, job->change };
    for (size_t index = 0; index < 3; index++)
        if (dispatches [index])
            execplane__v1__dispatch__free_unpacked (dispatches [index], NULL);
    free (job);
    *job_p = NULL;
}

ep_live_jobs_t *
ep_live_jobs_new (ep_venue_t *venue)
{
    assert (venue);
    ep_live_jobs_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++)
        self->queue [klass] = EP_RING_INIT (ep_live_job_t *);
    self->sender = zactor_new (s_sender_actor, venue);
    if (!self->sender) {
        free (self);
        return NULL;
    }
    return self;
}

void
ep_live_jobs_destroy (ep_live_jobs_t **self_p)
{
    assert (self_p);
    ep_live_jobs_t *self = *self_p;
    if (!self)
        return;
    //  A job the sender holds comes back when its request ends (the venue's
    //  timeouts bound it), and is freed unanswered: without a stop first
    //  (ep_live_plane_stop), its attempt stays unfinished, UNKNOWN at the
    //  next start.
    ep_live_job_t *job = self->sending ? ep_live_jobs_answer (self, -1) : NULL;
    ep_live_job_destroy (&job);
    zactor_destroy (&self->sender);
    while ((job = ep_live_jobs_pop (self)))
        ep_live_job_destroy (&job);
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++)
        ep_ring_free (&self->queue [klass]);
    free (self);
    *self_p = NULL;
}

int
ep_live_jobs_push (ep_live_jobs_t *self, ep_live_job_t *job)
{
    ep_live_class_t klass = ep_live_job_class (job);
    job->ahead = self->sending ? 1 : 0;
    for (int before = 0; before <= (int) klass; before++)
        job->ahead += self->queue [before].count;
    return ep_ring_push (&self->queue [klass], &job);
}

ep_live_job_t *
ep_live_jobs_front (ep_live_jobs_t *self, ep_live_class_t klass)
{
    assert ((int) klass >= 0 && klass < EP_LIVE_CLASSES);
    ep_live_job_t **front = ep_ring_at (&self->queue [klass], 0);
    return front ? *front : NULL;
}

ep_live_job_t *
ep_live_jobs_take (ep_live_jobs_t *self, ep_live_class_t klass)
{
    ep_live_job_t *job = ep_live_jobs_front (self, klass);
    if (job)
        ep_ring_drop (&self->queue [klass], 1);
    return job;
}

ep_live_job_t *
ep_live_jobs_pop (ep_live_jobs_t *self)
{
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++) {
        ep_live_job_t *job = ep_live_jobs_take (self, (ep_live_class_t) klass);
        if (job)
            return job;
    }
    return NULL;
}

size_t
ep_live_jobs_waiting (const ep_live_jobs_t *self)
{
    size_t count = 0;
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++)
        count += self->queue [klass].count;
    return count;
}

size_t
ep_live_jobs_waiting_orders (const ep_live_jobs_t *self)
{
    size_t count = 0;
    for (int klass = 0; klass < EP_LIVE_CLASSES; klass++)
        for (size_t index = 0; index < self->queue [klass].count; index++) {
            ep_live_job_t *const *job = ep_ring_at (&self->queue [klass], index);
            count += job && !(*job)->info;
        }
    return count;
}

bool
ep_live_jobs_sending (const ep_live_jobs_t *self)
{
    return self->sending;
}

void
ep_live_jobs_send (ep_live_jobs_t *self, ep_live_job_t *job)
{
    assert (!self->sending);
    self->sending = true;
    zsock_send (self->sender, "p", job);
}

void *
ep_live_jobs_sender (ep_live_jobs_t *self)
{
    return self->sender;
}

ep_live_job_t *
ep_live_jobs_answer (ep_live_jobs_t *self, int timeout_ms)
{
    if (!self->sending)
        return NULL;
    zsock_set_rcvtimeo (self->sender, timeout_ms);
    ep_live_job_t *job = NULL;
    if (zsock_recv (self->sender, "p", &job) == 0 && job)
        self->sending = false;
    return job;
}
