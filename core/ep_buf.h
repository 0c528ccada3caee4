/*  ep_buf: growable memory, the one way the tree grows a buffer.

    ep_buf_t is a byte buffer that appends; ep_ring_t a first-in first-out
    queue of fixed-size items; ep_grow the doubling step both use, for any
    array. On out of memory each returns -1 and leaves what it had
    unchanged.  */
#ifndef EP_BUF_H_INCLUDED
#define EP_BUF_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Makes *items (of item_size bytes each, *capacity of them) hold at least
//  need items, doubling from at least min; the first *capacity items are
//  kept. Returns 0, or -1 (then *items and *capacity are unchanged).
int ep_grow (void *items, size_t *capacity, size_t need, size_t item_size, size_t min);

//  Bytes: data [0 .. size), room for capacity. Zero-initialised is empty.
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} ep_buf_t;

//  Makes room for more bytes after size; returns 0 or -1.
int ep_buf_reserve (ep_buf_t *buf, size_t more);

//  Appends size bytes; returns 0 or -1 (nothing appended).
int ep_buf_append (ep_buf_t *buf, const void *data, size_t size);

//  Appends text and a NUL that is not counted in size, so that data reads
//  as a string; returns 0 or -1.
int ep_buf_append_text (ep_buf_t *buf, const char *text, size_t length);

//  Empties buf, keeping its memory.
void ep_buf_clear (ep_buf_t *buf);

//  Frees buf's memory; it is empty afterwards.
void ep_buf_free (ep_buf_t *buf);

//  A ring of count items of item_size bytes from head, in a block of
//  capacity. Initialise with EP_RING_INIT (type).
typedef struct {
    uint8_t *items;
    size_t item_size;
    size_t head;
    size_t count;
    size_t capacity;
} ep_ring_t;

#define EP_RING_INIT(type) ((ep_ring_t) { .item_size = sizeof (type) })

//  Appends a copy of item at the back; returns 0 or -1.
int ep_ring_push (ep_ring_t *ring, const void *item);

//  The item index places from the front, or NULL past the back.
void *ep_ring_at (const ep_ring_t *ring, size_t index);

//  Drops count items (at most all) from the front.
void ep_ring_drop (ep_ring_t *ring, size_t count);

//  Frees the ring's memory (not what its items point to).
void ep_ring_free (ep_ring_t *ring);

#endif
