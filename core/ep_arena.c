/*  ep_arena: chunked bump allocation for decoded messages.  */
#include <stdint.h>
#include <stdlib.h>
#include "ep_arena.h"

#define S_CHUNK (64 * 1024)             //  the usual chunk; bigger on demand
#define S_ALIGN 16

struct _ep_arena_chunk_t {
    ep_arena_chunk_t *next;             //  the one before it
    size_t size;                        //  bytes in data
    _Alignas (S_ALIGN) unsigned char data [];
};

static void *
s_alloc (void *data, size_t size)
{
    ep_arena_t *arena = data;
    size = (size + S_ALIGN - 1) & ~(size_t) (S_ALIGN - 1);
    ep_arena_chunk_t *chunk = arena->chunks;
    if (!chunk || chunk->size - arena->used < size) {
        size_t capacity = size > S_CHUNK ? size : S_CHUNK;
        chunk = malloc (sizeof *chunk + capacity);
        if (!chunk)
            return NULL;
        chunk->size = capacity;
        chunk->next = arena->chunks;
        arena->chunks = chunk;
        arena->used = 0;
    }
    void *memory = chunk->data + arena->used;
    arena->used += size;
    return memory;
}

static void
s_free (void *data, void *pointer)
{
    (void) data;
    (void) pointer;                     //  freed with the arena
}

void
ep_arena_init (ep_arena_t *arena)
{
    arena->allocator = (ProtobufCAllocator) { s_alloc, s_free, arena };
    arena->chunks = NULL;
    arena->used = 0;
}

void
ep_arena_reset (ep_arena_t *arena)
{
    //  Keep one chunk of the usual size: the common message fits it. One
    //  made bigger for a big message goes.
    ep_arena_chunk_t *kept = NULL;
    while (arena->chunks) {
        ep_arena_chunk_t *chunk = arena->chunks;
        arena->chunks = chunk->next;
        if (!kept && chunk->size == S_CHUNK)
            kept = chunk;
        else
            free (chunk);
    }
    if (kept)
        kept->next = NULL;
    arena->chunks = kept;
    arena->used = 0;
}

void
ep_arena_destroy (ep_arena_t *arena)
{
    ep_arena_reset (arena);
    free (arena->chunks);
    arena->chunks = NULL;
}
