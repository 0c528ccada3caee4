/*  ep_arena: a protobuf-c allocator that hands out memory from chunks and
    frees it all at once. A message decoded into an arena costs a pointer
    bump per piece instead of a malloc, and its free_unpacked nothing: the
    arena is reset once the message is handled.  */
#ifndef EP_ARENA_H_INCLUDED
#define EP_ARENA_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct _ep_arena_chunk_t ep_arena_chunk_t;

typedef struct {
    ProtobufCAllocator allocator;       //  pass &arena->allocator to unpack
    ep_arena_chunk_t *chunks;           //  newest first; one is kept on reset
    size_t used;                        //  in the newest chunk
} ep_arena_t;

//  Makes arena an empty arena (no memory yet).
void ep_arena_init (ep_arena_t *arena);

//  Frees what the arena handed out, keeping one chunk of the usual size
//  for the next use.
void ep_arena_reset (ep_arena_t *arena);

//  Frees everything.
void ep_arena_destroy (ep_arena_t *arena);

#endif
