/*  ep_outbox: a growable ring of messages waiting to be sent.  */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ep_outbox.h"

int
ep_outbox_push (ep_outbox_t *self, const char *topic, uint8_t *data, size_t size,
                uint64_t router_seq)
{
    ep_outbox_item_t item = { .data = data, .size = size, .router_seq = router_seq };
    size_t length = strnlen (topic, sizeof item.topic - 1);
    memcpy (item.topic, topic, length);
    item.topic [length] = 0;
    //  Zero-initialized, the ring does not know its item size yet.
    self->ring.item_size = sizeof item;
    return ep_ring_push (&self->ring, &item);
}

ep_outbox_item_t *
ep_outbox_at (ep_outbox_t *self, size_t index)
{
    return ep_ring_at (&self->ring, index);
}

size_t
ep_outbox_count (const ep_outbox_t *self)
{
    return self->ring.count;
}

void
ep_outbox_pop (ep_outbox_t *self)
{
    ep_outbox_item_t *item = ep_ring_at (&self->ring, 0);
    assert (item);
    free (item->data);
    ep_ring_drop (&self->ring, 1);
}

void
ep_outbox_clear (ep_outbox_t *self)
{
    while (self->ring.count)
        ep_outbox_pop (self);
    ep_ring_free (&self->ring);
}
