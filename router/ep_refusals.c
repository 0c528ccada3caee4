/*  ep_refusals: a budget of detailed refusal records per interval, a
    summary of the rest, and a bounded memory of recent keys.  */
#include <czmq.h>
#include "ep_refusals.h"

#define S_NAME  176                     //  "domain key": a socket name and a sender

//  A key recorded on a socket, and when.
typedef struct {
    char name [S_NAME];                 //  "domain key"
    int64_t when_ms;                    //  when it was last recorded
} s_seen_t;

struct _ep_refusals_t {
    size_t detailed;                    //  records allowed per interval
    int64_t interval_ms;                //  how long an interval lasts
    int64_t per_key_ms;                 //  one record per key and socket this often
    //  The keys recorded, oldest first: a ring, in the order they were
    //  recorded, so the oldest is at its head, and an index into it.
    s_seen_t *seen;                     //  capacity entries
    size_t capacity;                    //  keys remembered at most
    size_t head;                        //  the oldest entry
    size_t count;                       //  entries in use
    zhashx_t *index;                    //  name -> its entry's position + 1
    //  The current interval
    bool started;                       //  an interval is running
    int64_t started_ms;                 //  since then
    size_t recorded;                    //  records made in it
    uint64_t counted [EP_REFUSAL_KINDS];//  refusals counted without a record, by kind
    char last [S_NAME];                 //  the last of them: "domain key"
};

ep_refusals_t *
ep_refusals_new (size_t detailed, int64_t interval_ms, int64_t per_key_ms, size_t keys)
{
    ep_refusals_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->detailed = detailed;
    self->interval_ms = interval_ms;
    self->per_key_ms = per_key_ms;
    self->capacity = keys ? keys : 1;
    //  Pages are touched only as entries are used.
    self->seen = calloc (self->capacity, sizeof *self->seen);
    self->index = zhashx_new ();
    if (!self->seen || !self->index)
        ep_refusals_destroy (&self);
    return self;
}

void
ep_refusals_destroy (ep_refusals_t **self_p)
{
    ep_refusals_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->index);
    free (self->seen);
    free (self);
    *self_p = NULL;
}

//  Forgets the oldest entry.
static void
s_forget_oldest (ep_refusals_t *self)
{
    s_seen_t *oldest = &self->seen [self->head];
    //  Only if the index still points here (it always should: a name is
    //  recorded again only after its entry expired and was forgotten).
    if ((uintptr_t) zhashx_lookup (self->index, oldest->name) == self->head + 1)
        zhashx_delete (self->index, oldest->name);
    self->head = (self->head + 1) % self->capacity;
    self->count--;
}

bool
ep_refusals_record (ep_refusals_t *self, ep_refusal_kind_t kind, const char *domain,
                    const char *key, int64_t now_ms)
{
    if (!self->started) {
        self->started = true;
        self->started_ms = now_ms;
    }
    char name [S_NAME];
    snprintf (name, sizeof name, "%s %s", domain ? domain : "?", key && *key ? key : "?");
    //  Entries past per_key_ms no longer matter: the oldest go first.
    while (self->count && now_ms - self->seen [self->head].when_ms >= self->per_key_ms)
        s_forget_oldest (self);
    if (!zhashx_lookup (self->index, name) && self->recorded < self->detailed) {
        if (self->count == self->capacity)
            s_forget_oldest (self);
        size_t at = (self->head + self->count) % self->capacity;
        snprintf (self->seen [at].name, sizeof self->seen [at].name, "%s", name);
        self->seen [at].when_ms = now_ms;
        self->count++;
        zhashx_update (self->index, name, (void *) (uintptr_t) (at + 1));
        self->recorded++;
        return true;
    }
    if ((unsigned) kind < EP_REFUSAL_KINDS)
        self->counted [kind]++;
    snprintf (self->last, sizeof self->last, "%s", name);
    return false;
}

bool
ep_refusals_summary (ep_refusals_t *self, int64_t now_ms, bool final, char *detail,
                     size_t detail_size)
{
    if (!self->started) {
        self->started = true;
        self->started_ms = now_ms;
    }
    if (!final && now_ms - self->started_ms < self->interval_ms)
        return false;
    uint64_t total = 0;
    for (int kind = 0; kind < EP_REFUSAL_KINDS; kind++)
        total += self->counted [kind];
    if (total)
        snprintf (detail, detail_size, "%llu more refusal%s in the last %lld s (handshakes: "
                  "%llu, messages: %llu, subscriptions: %llu); last: %s",
                  (unsigned long long) total, total == 1 ? "" : "s",
                  (long long) ((now_ms - self->started_ms + 999) / 1000),
                  (unsigned long long) self->counted [EP_REFUSAL_HANDSHAKE],
                  (unsigned long long) self->counted [EP_REFUSAL_MESSAGE],
                  (unsigned long long) self->counted [EP_REFUSAL_SUBSCRIPTION], self->last);
    self->started_ms = now_ms;
    self->recorded = 0;
    memset (self->counted, 0, sizeof self->counted);
    self->last [0] = 0;
    return total > 0;
}

size_t
ep_refusals_keys (ep_refusals_t *self)
{
    return self->count;
}
