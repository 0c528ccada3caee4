/*  ep_inflight: open-addressing hash of in-flight intents plus a deadline
    FIFO per plane.  */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_inflight.h"
#include "ep_buf.h"

#define S_PLANES 3                      //  PLANE_UNSPECIFIED, PAPER, LIVE

struct _ep_inflight_t {
    ep_inflight_entry_t **slots;        //  linear probing; NULL is empty
    size_t capacity;                    //  a power of two
    size_t count;                       //  entries present
    size_t per_plane [S_PLANES];        //  entries present, by plane
    ep_ring_t fifo [S_PLANES];          //  deadline candidates (router_seqs), by plane
};

static size_t
s_hash (uint64_t key, size_t capacity)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t) key & (capacity - 1);
}

ep_inflight_t *
ep_inflight_new (void)
{
    ep_inflight_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (int plane = 0; plane < S_PLANES; plane++)
        self->fifo [plane] = EP_RING_INIT (uint64_t);
    self->capacity = 1024;
    self->slots = calloc (self->capacity, sizeof *self->slots);
    if (!self->slots)
        ep_inflight_destroy (&self);
    return self;
}

void
ep_inflight_destroy (ep_inflight_t **self_p)
{
    ep_inflight_t *self = *self_p;
    if (!self)
        return;
    if (self->slots)
        for (size_t i = 0; i < self->capacity; i++)
            free (self->slots [i]);
    free (self->slots);
    for (int p = 0; p < S_PLANES; p++)
        ep_ring_free (&self->fifo [p]);
    free (self);
    *self_p = NULL;
}

static size_t
s_slot_of (ep_inflight_t *self, uint64_t router_seq)
{
    size_t i = s_hash (router_seq, self->capacity);
    while (self->slots [i] && self->slots [i]->router_seq != router_seq)
        i = (i + 1) & (self->capacity - 1);
    return i;
}

static int
s_grow (ep_inflight_t *self)
{
    size_t old_capacity = self->capacity;
    ep_inflight_entry_t **old = self->slots;
    ep_inflight_entry_t **slots = calloc (old_capacity * 2, sizeof *slots);
    if (!slots)
        return -1;
    self->slots = slots;
    self->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++)
        if (old [i])
            self->slots [s_slot_of (self, old [i]->router_seq)] = old [i];
    free (old);
    return 0;
}

static void
s_copy_id (char *dest, const char *src)
{
    size_t length = src ? strnlen (src, EP_ID_MAX) : 0;
    memcpy (dest, src, length);
    dest [length] = 0;
}

ep_inflight_entry_t *
ep_inflight_add (ep_inflight_t *self, uint64_t router_seq, const ep_intent_t *intent,
                 int plane, uint64_t plane_epoch, int64_t deadline_ms, bool acked)
{
    assert (plane >= 0 && plane < S_PLANES);
    if ((self->count + 1) * 2 > self->capacity && s_grow (self))
        return NULL;
    size_t slot = s_slot_of (self, router_seq);
    assert (!self->slots [slot]);
    ep_inflight_entry_t *entry = calloc (1, sizeof *entry);
    if (!entry)
        return NULL;
    if (!acked && ep_ring_push (&self->fifo [plane], &router_seq)) {
        free (entry);
        return NULL;
    }
    entry->router_seq = router_seq;
    entry->plane = plane;
    entry->plane_epoch = plane_epoch;
    entry->deadline_ms = deadline_ms;
    entry->acked = acked;
    entry->safety = intent->safety;
    entry->side = intent->side;
    s_copy_id (entry->intent_id, intent->intent_id);
    s_copy_id (entry->strategy_id, intent->strategy_id);
    s_copy_id (entry->symbol, intent->symbol);
    entry->action = intent->action;
    s_copy_id (entry->target_intent_id, intent->target_intent_id);
    self->slots [slot] = entry;
    self->count++;
    self->per_plane [plane]++;
    return entry;
}

ep_inflight_entry_t *
ep_inflight_find (ep_inflight_t *self, uint64_t router_seq)
{
    return self->slots [s_slot_of (self, router_seq)];
}

void
ep_inflight_remove (ep_inflight_t *self, uint64_t router_seq)
{
    size_t i = s_slot_of (self, router_seq);
    ep_inflight_entry_t *entry = self->slots [i];
    if (!entry)
        return;
    self->per_plane [entry->plane]--;
    self->count--;
    free (entry);
    self->slots [i] = NULL;
    //  Backward-shift deletion keeps every probe chain unbroken.
    size_t mask = self->capacity - 1;
    size_t j = i;
    while (true) {
        j = (j + 1) & mask;
        if (!self->slots [j])
            break;
        size_t home = s_hash (self->slots [j]->router_seq, self->capacity);
        //  Move j back to i unless its home lies cyclically in (i, j].
        bool stays = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            self->slots [i] = self->slots [j];
            self->slots [j] = NULL;
            i = j;
        }
    }
}

//  Drops FIFO heads that are gone or acked; returns the live head or NULL.
static ep_inflight_entry_t *
s_fifo_head (ep_inflight_t *self, int plane)
{
    ep_ring_t *fifo = &self->fifo [plane];
    uint64_t *router_seq;
    while ((router_seq = ep_ring_at (fifo, 0))) {
        ep_inflight_entry_t *entry = ep_inflight_find (self, *router_seq);
        if (entry && !entry->acked)
            return entry;
        ep_ring_drop (fifo, 1);
    }
    return NULL;
}

ep_inflight_entry_t *
ep_inflight_expired (ep_inflight_t *self, int plane, int64_t now_ms)
{
    ep_inflight_entry_t *entry = s_fifo_head (self, plane);
    return entry && entry->deadline_ms <= now_ms ? entry : NULL;
}

int64_t
ep_inflight_next_deadline (ep_inflight_t *self)
{
    int64_t next = INT64_MAX;
    for (int plane = 0; plane < S_PLANES; plane++) {
        ep_inflight_entry_t *entry = s_fifo_head (self, plane);
        if (entry && entry->deadline_ms < next)
            next = entry->deadline_ms;
    }
    return next;
}

size_t
ep_inflight_count (ep_inflight_t *self, int plane)
{
    return plane > 0 && plane < S_PLANES ? self->per_plane [plane] : self->count;
}

void
ep_inflight_each (ep_inflight_t *self, ep_inflight_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots [i])
            fn (arg, self->slots [i]);
}
