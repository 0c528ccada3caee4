/*  ep_outbox: a growable ring of messages waiting to be sent.  */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ep_outbox.h"

int
ep_outbox_push (ep_outbox_t *self, const char *topic, uint8_t *data, size_t size,
                uint64_t router_seq)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 256;
        ep_outbox_item_t *items = malloc (capacity * sizeof *items);
        if (!items)
            return -1;
        for (size_t i = 0; i < self->count; i++)
            items [i] = self->items [(self->head + i) % self->capacity];
        free (self->items);
        self->items = items;
        self->capacity = capacity;
        self->head = 0;
    }
    ep_outbox_item_t *item = &self->items [(self->head + self->count) % self->capacity];
    size_t length = strnlen (topic, sizeof item->topic - 1);
    memcpy (item->topic, topic, length);
    item->topic [length] = 0;
    item->data = data;
    item->size = size;
    item->router_seq = router_seq;
    self->count++;
    return 0;
}

ep_outbox_item_t *
ep_outbox_at (ep_outbox_t *self, size_t index)
{
    return index < self->count ? &self->items [(self->head + index) % self->capacity] : NULL;
}

size_t
ep_outbox_count (const ep_outbox_t *self)
{
    return self->count;
}

void
ep_outbox_pop (ep_outbox_t *self)
{
    assert (self->count > 0);
    ep_outbox_item_t *item = &self->items [self->head];
    free (item->data);
    self->head = (self->head + 1) % self->capacity;
    self->count--;
}

void
ep_outbox_clear (ep_outbox_t *self)
{
    while (self->count)
        ep_outbox_pop (self);
    free (self->items);
    memset (self, 0, sizeof *self);
}
