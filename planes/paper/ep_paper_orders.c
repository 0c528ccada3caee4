/*  ep_paper_orders: the paper book's resting orders, by symbol.

    Symbols sit in an open-addressing table, hashed with FNV-1a (no seed:
    determinism); a symbol, once added, stays for the book's life. Each
    keeps its orders sorted by router_seq, which is their age: crossing
    goes oldest first, and a cancel finds its target by binary search
    without a second index to keep in step.  */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "ep_buf.h"
#include "ep_paper_orders.h"

//  FNV-1a: symbols are short, and this needs no seed (determinism).
static uint64_t
s_hash (const char *name)
{
    uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *) name; *p; p++)
        hash = (hash ^ *p) * 1099511628211ULL;
    return hash;
}

//  --------------------------------------------------------------------------
//  The symbol of that name, or NULL if it never had resting orders.

ep_paper_symbol_t *
ep_paper_orders_lookup (const ep_paper_orders_t *self, const char *name)
{
    uint64_t hash = s_hash (name);
    if (self->table_size == 0)
        return NULL;
    size_t mask = self->table_size - 1;
    for (size_t slot = (size_t) hash & mask; self->table [slot]; slot = (slot + 1) & mask) {
        ep_paper_symbol_t *symbol = self->table [slot];
        if (symbol->hash == hash && strcmp (symbol->name, name) == 0)
            return symbol;
    }
    return NULL;
}

static void
s_table_put (ep_paper_symbol_t **table, size_t size, ep_paper_symbol_t *symbol)
{
    size_t mask = size - 1;
    size_t slot = (size_t) symbol->hash & mask;
    while (table [slot])
        slot = (slot + 1) & mask;
    table [slot] = symbol;
}

//  --------------------------------------------------------------------------
//  Adds a new, empty symbol. Returns NULL on out of memory, the table
//  unchanged.

ep_paper_symbol_t *
ep_paper_orders_insert (ep_paper_orders_t *self, const char *name)
{
    uint64_t hash = s_hash (name);
    //  Keep the load at most one half, so probes stay short
    if ((self->symbol_count + 1) * 2 > self->table_size) {
        size_t size = self->table_size? self->table_size * 2: 16;
        ep_paper_symbol_t **table = (ep_paper_symbol_t **) calloc (size, sizeof (ep_paper_symbol_t *));
        if (!table)
            return NULL;
        for (size_t slot = 0; slot < self->table_size; slot++)
            if (self->table [slot])
                s_table_put (table, size, self->table [slot]);
        free (self->table);
        self->table = table;
        self->table_size = size;
    }
    size_t length = strlen (name);
    ep_paper_symbol_t *symbol = (ep_paper_symbol_t *) malloc (sizeof (ep_paper_symbol_t) + length + 1);
    if (!symbol)
        return NULL;
    symbol->hash = hash;
    symbol->orders = NULL;
    symbol->count = 0;
    symbol->capacity = 0;
    symbol->best_bid = INT64_MIN;
    symbol->best_ask = INT64_MAX;
    symbol->name = (char *) (symbol + 1);
    memcpy (symbol->name, name, length + 1);
    s_table_put (self->table, self->table_size, symbol);
    self->symbol_count++;
    return symbol;
}

//  --------------------------------------------------------------------------
//  Makes room for one more order. Returns 0, or -1 on out of memory.

int
ep_paper_orders_reserve (ep_paper_symbol_t *symbol)
{
    return ep_grow (&symbol->orders, &symbol->capacity, symbol->count + 1,
                    sizeof *symbol->orders, 4);
}

//  Widens the symbol's best bid or ask to take in a resting order's limit.
static void
s_widen (ep_paper_symbol_t *symbol, const ep_paper_order_t *order)
{
    if (order->side == EP_SIDE (BUY)) {
        if (order->limit_e8 > symbol->best_bid)
            symbol->best_bid = order->limit_e8;
    }
    else
    if (order->limit_e8 < symbol->best_ask)
        symbol->best_ask = order->limit_e8;
}

//  --------------------------------------------------------------------------
//  Inserts a reserved order, keeping oldest first, and widens the bounds.

void
ep_paper_orders_add (ep_paper_orders_t *self, ep_paper_symbol_t *symbol, ep_paper_order_t *order)
{
    assert (symbol->count < symbol->capacity);
    size_t position = symbol->count;
    while (position > 0 && symbol->orders [position - 1]->router_seq > order->router_seq)
        position--;
    memmove (symbol->orders + position + 1, symbol->orders + position,
             (symbol->count - position) * sizeof (ep_paper_order_t *));
    symbol->orders [position] = order;
    symbol->count++;
    s_widen (symbol, order);
    order->symbol = symbol->name;
    self->resting++;
}

//  An optional string of a hand-built intent may be NULL.
static char *
s_text (char *text)
{
    return text? text: (char *) "";
}

//  --------------------------------------------------------------------------
//  Sets an order's identity and an empty fill state from the intent; the
//  strings are the caller's business.

void
ep_paper_order_init (ep_paper_order_t *order, const ep_intent_t *intent, uint64_t router_seq)
{
    order->router_seq = router_seq;
    order->qty_e8 = intent->qty_e8;
    order->limit_e8 = intent->limit_price_e8;
    order->filled_e8 = 0;
    order->notional = 0;
    order->fill_count = 0;
    order->side = intent->side;
    order->safety = intent->safety != 0;
    order->intent_id = intent->intent_id;
    order->strategy_id = intent->strategy_id;
    order->target_intent_id = s_text (intent->target_intent_id);
    order->symbol = intent->symbol;
}

//  --------------------------------------------------------------------------
//  A resting order with copies of its strings, in one allocation. Returns
//  NULL on out of memory.

ep_paper_order_t *
ep_paper_order_new (const ep_intent_t *intent, uint64_t router_seq)
{
    size_t id_size = strlen (intent->intent_id) + 1;
    size_t strategy_size = strlen (intent->strategy_id) + 1;
    size_t target_size = strlen (s_text (intent->target_intent_id)) + 1;
    ep_paper_order_t *order = (ep_paper_order_t *) malloc (sizeof (ep_paper_order_t) + id_size + strategy_size
                                             + target_size);
    if (!order)
        return NULL;
    ep_paper_order_init (order, intent, router_seq);
    order->intent_id = (char *) (order + 1);
    memcpy (order->intent_id, intent->intent_id, id_size);
    order->strategy_id = order->intent_id + id_size;
    memcpy (order->strategy_id, intent->strategy_id, strategy_size);
    order->target_intent_id = order->strategy_id + strategy_size;
    memcpy (order->target_intent_id, s_text (intent->target_intent_id), target_size);
    order->symbol = NULL;
    return order;
}

//  --------------------------------------------------------------------------
//  Finds the resting order with this router_seq. Returns it, with its
//  symbol and position there, or NULL if none rests.

ep_paper_order_t *
ep_paper_orders_find (const ep_paper_orders_t *self, uint64_t router_seq, ep_paper_symbol_t **symbol_p,
        size_t *index_p)
{
    for (size_t slot = 0; slot < self->table_size; slot++) {
        ep_paper_symbol_t *symbol = self->table [slot];
        if (!symbol || symbol->count == 0)
            continue;
        //  Oldest first: sorted by router_seq
        size_t low = 0, high = symbol->count;
        while (low < high) {
            size_t middle = low + (high - low) / 2;
            if (symbol->orders [middle]->router_seq < router_seq)
                low = middle + 1;
            else
                high = middle;
        }
        if (low < symbol->count && symbol->orders [low]->router_seq == router_seq) {
            *symbol_p = symbol;
            *index_p = low;
            return symbol->orders [low];
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Takes the order at index out of the symbol's list, without freeing it,
//  and makes the bounds exact again.

void
ep_paper_orders_remove (ep_paper_orders_t *self, ep_paper_symbol_t *symbol, size_t index)
{
    memmove (symbol->orders + index, symbol->orders + index + 1,
             (symbol->count - index - 1) * sizeof (ep_paper_order_t *));
    symbol->count--;
    symbol->best_bid = INT64_MIN;
    symbol->best_ask = INT64_MAX;
    for (size_t other = 0; other < symbol->count; other++)
        s_widen (symbol, symbol->orders [other]);
    self->resting--;
}


//  --------------------------------------------------------------------------
//  Frees every order and symbol: the orders are empty after.

void
ep_paper_orders_clear (ep_paper_orders_t *self)
{
    assert (self);
    for (size_t slot = 0; slot < self->table_size; slot++) {
        ep_paper_symbol_t *symbol = self->table [slot];
        if (!symbol)
            continue;
        for (size_t index = 0; index < symbol->count; index++)
            free (symbol->orders [index]);
        free (symbol->orders);
        free (symbol);
    }
    free (self->table);
    memset (self, 0, sizeof *self);
}
