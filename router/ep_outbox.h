/*  ep_outbox: messages the router has committed and not yet sent.

    A FIFO of two-frame messages (topic, payload), in the order they were
    pushed: the reports of a turn, published once their commit is done, and
    the dispatches that wait for room on a full worker queue. It grows as
    needed and never drops: what is pushed is sent or freed by the owner.  */
#ifndef EP_OUTBOX_H_INCLUDED
#define EP_OUTBOX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "ep_buf.h"
#include "ep_wire.h"

typedef struct {
    char topic [EP_ID_MAX + 16];        //  frame 1: outcome.<strategy>, refused.<key>, exec.<plane>
    uint8_t *data;                      //  frame 2, owned
    size_t size;
    uint64_t router_seq;                //  a dispatch: the intent it carries (0: none)
} ep_outbox_item_t;

//  Zero-initialized, it is an empty outbox.
typedef struct {
    ep_ring_t ring;                     //  of ep_outbox_item_t, oldest first
} ep_outbox_t;

//  Appends a message, taking data (malloc'd); the topic is cut to fit.
//  Returns 0, or -1 on out of memory: the outbox is then unchanged and data
//  still the caller's.
int ep_outbox_push (ep_outbox_t *self, const char *topic, uint8_t *data, size_t size,
                    uint64_t router_seq);

//  The index-th message from the oldest (0: the oldest), or NULL past the end.
ep_outbox_item_t *ep_outbox_at (ep_outbox_t *self, size_t index);

//  How many messages wait.
size_t ep_outbox_count (const ep_outbox_t *self);

//  Removes the oldest message and frees its data. The outbox must not be
//  empty.
void ep_outbox_pop (ep_outbox_t *self);

//  Frees every message and the ring; the outbox is empty again.
void ep_outbox_clear (ep_outbox_t *self);

#endif
