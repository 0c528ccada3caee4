/*  ep_delivery: what leaves the router once a turn is committed. Reports
    are published; dispatches are sent until a worker's queue is full (the
    rest wait in pending, and intake is not read meanwhile), the paper
    plane's in batches. Only paper dispatches may leave before the commit
    that records them is on disk (ep_commit.c).  */
#include <czmq.h>
#include "ep_router_internal.h"
#include "ep_names.h"
#include "ep_sock.h"

int64_t
ep_delivery_send_budget_ms (const ep_config_t *config)
{
    return config->live_deadline_ms - config->timeout_ms - EP_ROUTER_SEND_MARGIN_MS;
}

//  Packs dispatch with its intent (field 1) as the bytes it was decoded
//  from, instead of encoding it again.
uint8_t *
ep_delivery_pack_around (ep_dispatch_t *dispatch, const uint8_t *intent, size_t intent_size,
                         size_t *size)
{
    ep_intent_t *decoded = dispatch->intent;
    dispatch->intent = NULL;
    size_t rest = execplane__v1__dispatch__get_packed_size (dispatch);
    uint8_t head [EP_WIRE_HEAD_MAX];
    size_t head_size = ep_wire_field_head (head, 1, intent_size);
    *size = head_size + intent_size + rest;
    uint8_t *data = malloc (*size);
    if (data) {
        memcpy (data, head, head_size);
        memcpy (data + head_size, intent, intent_size);
        execplane__v1__dispatch__pack (dispatch, data + head_size + intent_size);
    }
    dispatch->intent = decoded;
    return data;
}

//  A live dispatch names the worker session the router adopted for the
//  plane (only that worker may submit it) and the wall-clock time after
//  which it must not be sent: early enough that a request sent just
//  before it is answered, or timed out by the worker (live/timeout_ms),
//  before the router's own deadline, so that the router's deadline fires
//  only when the worker is gone, and never before an order leaves.
void
ep_delivery_stamp_live (ep_router_t *self, ep_dispatch_t *dispatch, bool submission)
{
    dispatch->worker_session = self->link.worker [EP_PLANE (LIVE)].session;
    if (submission)
        dispatch->not_after_ms = zclock_time () + ep_delivery_send_budget_ms (&self->config);
}

//  Paper dispatches ready together go in one message (Dispatch.batch):
//  a message per intent would cost each a send, a receive and their
//  encryption. Dispatches that expired in between are left out, and
//  popped with the batch.
size_t
ep_delivery_batch (ep_router_t *self)
{
    ep_outbox_t *queue = &self->pending;
    ep_outbox_item_t *head = ep_outbox_at (queue, 0);
    if (strcmp (head->topic, ep_exec_topic (EP_PLANE (PAPER))))
        return 1;
    ep_buf_clear (&self->batch);
    size_t taken = 0, batched = 0;
    size_t most = (size_t) ep_config_batch (&self->config);
    ep_outbox_item_t *item;
    while (batched < most && (item = ep_outbox_at (queue, taken))) {
        if (strcmp (item->topic, head->topic))
            break;
        if (item->router_seq && !ep_inflight_find (self->inflight, item->router_seq)) {
            taken++;
            continue;
        }
        uint8_t field [EP_WIRE_HEAD_MAX];
        size_t field_size = ep_wire_field_head (field, 11, item->size);
        if (batched && self->batch.size + field_size + item->size > EP_ROUTER_BATCH_BYTES)
            break;
        if (ep_buf_reserve (&self->batch, field_size + item->size))
            break;
        ep_buf_append (&self->batch, field, field_size);
        ep_buf_append (&self->batch, item->data, item->size);
        batched++;
        taken++;
    }
    return batched > 1 ? taken : 1;
}

//  Sends the dispatches waiting in pending, oldest first, until a worker's
//  queue is full; with paper_only, until the first that is not paper.
static void
s_dispatch (ep_router_t *self, bool paper_only)
{
    ep_outbox_item_t *item;
    while ((item = ep_outbox_at (&self->pending, 0))) {
        //  One that waited past its deadline already has its terminal
        //  report: its plane must not run it now.
        if (item->router_seq && !ep_inflight_find (self->inflight, item->router_seq)) {
            ep_outbox_pop (&self->pending);
            continue;
        }
        //  While dispatch is bound anew, nobody would get it: hold it.
        if (self->sock.dispatch_unbound)
            break;
        bool paper = streq (item->topic, ep_exec_topic (EP_PLANE (PAPER)));
        if (!paper && paper_only)
            break;
        //  A live order leaves only once the journal is on disk (if the
        //  sync fails, the router stops at its next turn's commit).
        if (!paper && ep_commit_durable (self))
            break;
        size_t taken = ep_delivery_batch (self);
        int rc = taken > 1
            ? ep_sock_send2 (self->sock.dispatch, item->topic, self->batch.data,
                             self->batch.size, ZMQ_DONTWAIT)
            : ep_sock_send2 (self->sock.dispatch, item->topic, item->data, item->size,
                             ZMQ_DONTWAIT);
        if (rc)
            break;                      //  EAGAIN: a worker's queue is full
        ep_histogram_observe (&self->metrics.dispatch_batch, (double) (taken > 1 ? taken : 1));
        while (taken--)
            ep_outbox_pop (&self->pending);
    }
}

void
ep_delivery_paper (ep_router_t *self)
{
    s_dispatch (self, true);
}

void
ep_delivery_flush (ep_router_t *self)
{
    ep_outbox_item_t *item;
    while ((item = ep_outbox_at (&self->outbox, 0))) {
        ep_commit_sent (self);
        ep_sock_send2 (self->sock.outcomes, item->topic, item->data, item->size, 0);
        ep_outbox_pop (&self->outbox);
    }
    s_dispatch (self, false);
}
