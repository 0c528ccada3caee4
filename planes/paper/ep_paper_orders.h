/*  ep_paper_orders: the paper book's resting orders, by symbol. A part of
    the paper plane, used by ep_paper_book alone, and pure like it: no I/O,
    no clock, no floating point.

    Per symbol, the resting GTC orders oldest (lowest router_seq) first,
    and the highest resting BUY and lowest resting SELL limit, so that an
    intent whose ref crosses nothing costs one hash lookup. The book reads
    and writes the structures directly while it crosses a symbol's orders;
    the functions below keep the order, the bounds and the count right for
    everything else.  */
#ifndef EP_PAPER_ORDERS_H_INCLUDED
#define EP_PAPER_ORDERS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ep_wire.h"

//  One order the book is working on: a resting GTC order on the heap, or
//  the intent being executed, on the stack.
typedef struct {
    uint64_t router_seq;        //  the order's own router_seq: identity and age
    int64_t qty_e8;             //  quantity ordered
    int64_t limit_e8;           //  limit price, which every crossing fill gets
    int64_t filled_e8;          //  cumulative quantity filled
    __int128 notional;          //  sum of qty * price over its fills, for the average
    uint64_t fill_count;        //  fills reported so far; the next is fill_count + 1
    Execplane__V1__Side side;   //  copied into every report
    bool safety;                //  copied into every report
    char *intent_id;            //  in the same allocation as a resting order
    char *strategy_id;          //  likewise
    char *target_intent_id;     //  a REPLACE's target, else empty; likewise
    char *symbol;               //  the symbol's name (or the intent's)
} ep_paper_order_t;

//  A symbol that has had resting orders.
typedef struct {
    uint64_t hash;              //  of the name, kept for lookups and rehashing
    ep_paper_order_t **orders;         //  resting orders, oldest first
    size_t count;               //  orders in use
    size_t capacity;            //  orders allocated
    int64_t best_bid;           //  highest resting BUY limit, INT64_MIN if none
    int64_t best_ask;           //  lowest resting SELL limit, INT64_MAX if none
    char *name;                 //  in the same allocation
} ep_paper_symbol_t;

//  Every symbol that has had resting orders. All zero is empty.
typedef struct {
    ep_paper_symbol_t **table;  //  open addressing, size a power of two
    size_t table_size;          //  slots in table, 0 until the first symbol
    size_t symbol_count;        //  slots in use
    size_t resting;             //  orders resting over all symbols
} ep_paper_orders_t;

//  The symbol of that name, or NULL if it never had resting orders.
ep_paper_symbol_t *ep_paper_orders_lookup (const ep_paper_orders_t *self, const char *name);

//  Adds a new, empty symbol (not there yet). Returns NULL on out of memory,
//  the table unchanged.
ep_paper_symbol_t *ep_paper_orders_insert (ep_paper_orders_t *self, const char *name);

//  Makes room for one more order on the symbol. Returns 0, or -1 on out of
//  memory, the symbol unchanged.
int ep_paper_orders_reserve (ep_paper_symbol_t *symbol);

//  Inserts an order into room reserved, keeping oldest first, and widens
//  the bounds. The symbol owns the order from now on. Cannot fail.
void ep_paper_orders_add (ep_paper_orders_t *self, ep_paper_symbol_t *symbol,
                          ep_paper_order_t *order);

//  Takes the order at index out of the symbol's list, without freeing it
//  (the caller owns it now), and makes the bounds exact again.
void ep_paper_orders_remove (ep_paper_orders_t *self, ep_paper_symbol_t *symbol, size_t index);

//  The resting order with this router_seq, with its symbol and position
//  there; NULL if none rests.
ep_paper_order_t *ep_paper_orders_find (const ep_paper_orders_t *self, uint64_t router_seq,
                                        ep_paper_symbol_t **symbol_p, size_t *index_p);

//  Frees every order and symbol: the orders are empty after.
void ep_paper_orders_clear (ep_paper_orders_t *self);

//  Sets an order's identity and an empty fill state from the intent; its
//  strings point into the intent (an order on the stack).
void ep_paper_order_init (ep_paper_order_t *order, const ep_intent_t *intent,
                          uint64_t router_seq);

//  A resting order with copies of the intent's strings, in one allocation
//  (one free), not yet on a symbol. Returns NULL on out of memory.
ep_paper_order_t *ep_paper_order_new (const ep_intent_t *intent, uint64_t router_seq);

#endif
