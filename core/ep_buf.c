/*  ep_buf: growable memory.  */
#include <stdlib.h>
#include <string.h>
#include "ep_buf.h"

int
ep_grow (void *items, size_t *capacity, size_t need, size_t item_size, size_t min)
{
    if (need <= *capacity)
        return 0;
    size_t grown = *capacity > min ? *capacity : min;
    while (grown < need) {
        if (grown > SIZE_MAX / 2)
            return -1;
        grown *= 2;
    }
    if (grown > SIZE_MAX / item_size)
        return -1;
    void **slot = items;
    void *block = realloc (*slot, grown * item_size);
    if (!block)
        return -1;
    *slot = block;
    *capacity = grown;
    return 0;
}

int
ep_buf_reserve (ep_buf_t *buf, size_t more)
{
    if (more > SIZE_MAX - buf->size)
        return -1;
    return ep_grow (&buf->data, &buf->capacity, buf->size + more, 1, 256);
}

int
ep_buf_append (ep_buf_t *buf, const void *data, size_t size)
{
    if (ep_buf_reserve (buf, size))
        return -1;
    if (size)
        memcpy (buf->data + buf->size, data, size);
    buf->size += size;
    return 0;
}

int
ep_buf_append_text (ep_buf_t *buf, const char *text, size_t length)
{
    if (length == SIZE_MAX || ep_buf_reserve (buf, length + 1))
        return -1;
    memcpy (buf->data + buf->size, text, length);
    buf->size += length;
    buf->data [buf->size] = 0;
    return 0;
}

void
ep_buf_clear (ep_buf_t *buf)
{
    buf->size = 0;
}

void
ep_buf_free (ep_buf_t *buf)
{
    free (buf->data);
    buf->data = NULL;
    buf->size = buf->capacity = 0;
}

int
ep_ring_push (ep_ring_t *ring, const void *item)
{
    if (ring->count == ring->capacity) {
        //  Grown in place, the items that wrapped around move past the old end
        size_t old = ring->capacity;
        if (ep_grow (&ring->items, &ring->capacity, old + 1, ring->item_size, 16))
            return -1;
        memcpy (ring->items + old * ring->item_size, ring->items,
                ring->head * ring->item_size);
    }
    size_t at = (ring->head + ring->count) % ring->capacity;
    memcpy (ring->items + at * ring->item_size, item, ring->item_size);
    ring->count++;
    return 0;
}

void *
ep_ring_at (const ep_ring_t *ring, size_t index)
{
    if (index >= ring->count)
        return NULL;
    return ring->items + ((ring->head + index) % ring->capacity) * ring->item_size;
}

void
ep_ring_drop (ep_ring_t *ring, size_t count)
{
    if (count > ring->count)
        count = ring->count;
    ring->head = ring->capacity ? (ring->head + count) % ring->capacity : 0;
    ring->count -= count;
    if (ring->count == 0)
        ring->head = 0;
}

void
ep_ring_free (ep_ring_t *ring)
{
    free (ring->items);
    ring->items = NULL;
    ring->head = ring->count = ring->capacity = 0;
}
