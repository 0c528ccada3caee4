/*  ep_live_follow: the resting orders the live plane follows.  */
#include <assert.h>
#include <czmq.h>
#include "ep_live_follow.h"
#include "ep_log.h"

struct _ep_live_follow_t {
    zhashx_t *orders;                   //  client order id -> ep_live_order_t *
    ep_audit_t *audit;                  //  where they are persisted (not owned)
    int64_t poll_ms;                    //  between two queries of one order
};

static void
s_forget_fills (ep_live_order_t *order)
{
    ep_wire_fills_free (order->fills, order->n_fills);
    order->fills = NULL;
    order->n_fills = 0;
}

static void
s_order_destroy (void **item)
{
    ep_live_order_t *order = *item;
    if (order->dispatch)
        execplane__v1__dispatch__free_unpacked (order->dispatch, NULL);
    s_forget_fills (order);
    free (order);
    *item = NULL;
}

ep_dispatch_t *
ep_live_dispatch_dup (const ep_dispatch_t *dispatch)
{
    size_t size = execplane__v1__dispatch__get_packed_size (dispatch);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return NULL;
    execplane__v1__dispatch__pack (dispatch, data);
    ep_dispatch_t *copy = execplane__v1__dispatch__unpack (NULL, size, data);
    free (data);
    return copy;
}

ep_live_follow_t *
ep_live_follow_new (ep_audit_t *audit, int64_t poll_ms)
{
    ep_live_follow_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->orders = zhashx_new ();
    if (!self->orders) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->orders, s_order_destroy);
    self->audit = audit;
    self->poll_ms = poll_ms;
    return self;
}

void
ep_live_follow_destroy (ep_live_follow_t **self_p)
{
    assert (self_p);
    ep_live_follow_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->orders);
    free (self);
    *self_p = NULL;
}

ep_live_order_t *
ep_live_follow_lookup (ep_live_follow_t *self, const char *client_order_id)
{
    return zhashx_lookup (self->orders, client_order_id);
}

size_t
ep_live_follow_size (ep_live_follow_t *self)
{
    return zhashx_size (self->orders);
}

ep_live_order_t *
ep_live_follow_first (ep_live_follow_t *self)
{
    return zhashx_first (self->orders);
}

ep_live_order_t *
ep_live_follow_next (ep_live_follow_t *self)
{
    return zhashx_next (self->orders);
}

//  Writes the order to the audit, with its dispatch, so that a restarted
//  plane follows it too.
static void
s_persist (ep_live_follow_t *self, const ep_live_order_t *order)
{
    size_t size = execplane__v1__dispatch__get_packed_size (order->dispatch);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return;
    execplane__v1__dispatch__pack (order->dispatch, data);
    ep_audit_order_t persisted = order->state;
    persisted.dispatch = data;
    persisted.dispatch_size = size;
    ep_audit_order_put (self->audit, &persisted);
    free (data);
}

void
ep_live_follow_set_poll_ms (ep_live_follow_t *self, int64_t poll_ms)
{
    self->poll_ms = poll_ms;
}

ep_live_order_t *
ep_live_follow_put (ep_live_follow_t *self, const ep_dispatch_t *dispatch,
                    const ep_audit_order_t *state, bool terminal, bool reconciled,
                    int64_t now_ms)
{
    if (terminal) {
        zhashx_delete (self->orders, state->client_order_id);
        ep_audit_order_drop (self->audit, state->client_order_id);
        return NULL;
    }
    ep_live_order_t *order = zhashx_lookup (self->orders, state->client_order_id);
    if (!order) {
        order = calloc (1, sizeof *order);
        if (order)
            order->dispatch = ep_live_dispatch_dup (dispatch);
        if (!order || !order->dispatch) {
            free (order);
            ep_log_error ("out of memory: order %s not followed", state->client_order_id);
            return NULL;
        }
        zhashx_insert (self->orders, state->client_order_id, order);
    }
    order->state = *state;
    order->state.dispatch = NULL;
    order->next_poll_ms = now_ms + self->poll_ms;
    order->reconciled = order->reconciled || reconciled;
    s_persist (self, order);
    return order;
}

int
ep_live_follow_restore (ep_live_follow_t *self, const ep_audit_order_t *state)
{
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, state->dispatch_size,
                                                               state->dispatch);
    ep_live_order_t *order = calloc (1, sizeof *order);
    if (!dispatch || !order) {
        ep_log_error ("order %s could not be restored", state->client_order_id);
        free (order);
        if (dispatch)
            execplane__v1__dispatch__free_unpacked (dispatch, NULL);
        return -1;
    }
    order->state = *state;
    order->state.dispatch = NULL;
    order->dispatch = dispatch;
    zhashx_insert (self->orders, state->client_order_id, order);
    return 0;
}

void
ep_live_follow_keep_fills (ep_live_order_t *order, ep_fill_t *const *fills, size_t n_fills)
{
    s_forget_fills (order);
    order->state.fills = (uint32_t) n_fills;
    for (size_t i = 0; i < n_fills; i++)
        if (ep_wire_fills_append (&order->fills, &order->n_fills, fills [i])) {
            //  Without all of them, none: the next reports number from here.
            ep_log_warn ("out of memory: the fills of a followed order are not repeated");
            s_forget_fills (order);
            return;
        }
}

void
ep_live_follow_add_fill (ep_live_order_t *order, const ep_fill_t *fill)
{
    if (ep_wire_fills_append (&order->fills, &order->n_fills, fill)) {
        ep_log_warn ("out of memory: the fills of order %s are not repeated",
                     order->state.client_order_id);
        s_forget_fills (order);
    }
}
