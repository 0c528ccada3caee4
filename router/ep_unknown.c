/*  ep_unknown: the UNKNOWN live orders the router's own cancels reach,
    bounded to the newest EP_UNKNOWN_MAX.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_unknown.h"

ep_unknown_entry_t *
ep_unknown_find (ep_unknown_t *self, uint64_t router_seq)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->entries [i].router_seq == router_seq)
            return &self->entries [i];
    return NULL;
}

ep_unknown_entry_t *
ep_unknown_add (ep_unknown_t *self, uint64_t router_seq, const char *strategy_id,
                const char *intent_id, uint64_t plane_epoch, uint64_t *dropped)
{
    uint64_t none;
    if (!dropped)
        dropped = &none;
    *dropped = 0;
    ep_unknown_entry_t *entry = ep_unknown_find (self, router_seq);
    if (entry)
        return entry;
    if (self->count == EP_UNKNOWN_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < self->count; i++)
            if (self->entries [i].router_seq < self->entries [oldest].router_seq)
                oldest = i;
        self->dropped++;
        if (self->entries [oldest].router_seq > router_seq) {
            *dropped = router_seq;
            return NULL;
        }
        *dropped = self->entries [oldest].router_seq;
        self->entries [oldest] = self->entries [--self->count];
    }
    if (self->count == self->size) {
        size_t size = self->size ? self->size * 2 : 16;
        if (size > EP_UNKNOWN_MAX)
            size = EP_UNKNOWN_MAX;
        ep_unknown_entry_t *entries = realloc (self->entries, size * sizeof *entries);
        if (!entries)
            return NULL;
        self->entries = entries;
        self->size = size;
    }
    entry = &self->entries [self->count++];
    memset (entry, 0, sizeof *entry);
    entry->router_seq = router_seq;
    entry->plane_epoch = plane_epoch;
    snprintf (entry->strategy_id, sizeof entry->strategy_id, "%s", strategy_id);
    snprintf (entry->intent_id, sizeof entry->intent_id, "%s", intent_id);
    return entry;
}

bool
ep_unknown_remove (ep_unknown_t *self, uint64_t router_seq)
{
    ep_unknown_entry_t *entry = ep_unknown_find (self, router_seq);
    if (!entry)
        return false;
    *entry = self->entries [--self->count];
    return true;
}

void
ep_unknown_clear (ep_unknown_t *self)
{
    free (self->entries);
    memset (self, 0, sizeof *self);
}
