/*  ep_unread: intents never read, asked of the router that took over.  */
#include "ep_unread.h"
#include "ep_sock.h"

//  The most intents asked about at once (the router's cap).
#define S_ASK_MAX 256
//  An ask unanswered this long is asked again...
#define S_ANSWER_MS 1000
//  ...this many times, then the router is taken for one that does not
//  know the frame (it answers nothing): the loss is judged by the bound.
#define S_ASKS 3
//  The router had intents waiting unread on its intake: ask again after.
#define S_AGAIN_MS 100
//  Asked no sooner than this after the loss was seen: an intent sent just
//  before, that went to the new router, has reached its intake by then.
#define S_QUIET_MS 200

struct _ep_unread_t {
    ep_follow_t *follow;
    zhashx_t *unheard;                  //  key -> 1 + losses when sent, until a report
    uint64_t losses;                    //  the follower's losses when last judged
    int64_t loss_ms;                    //  when the newest loss was first seen here
    bool asking;                        //  a question is out
    int64_t asked_ms;                   //  when
    uint64_t asked_losses;              //  about what was sent before this many losses
    int64_t next_ask_ms;                //  not before then
    unsigned unanswered;                //  asks unanswered since the last loss
    bool bound;                         //  this loss is judged by the bound
};

ep_unread_t *
ep_unread_new (ep_follow_t *follow)
{
    ep_unread_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->follow = follow;
    self->unheard = zhashx_new ();
    if (!self->unheard)
        ep_unread_destroy (&self);
    return self;
}

void
ep_unread_destroy (ep_unread_t **self_p)
{
    ep_unread_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->unheard);
    free (self);
    *self_p = NULL;
}

void
ep_unread_sent (ep_unread_t *self, const char *key, uint64_t losses)
{
    if (!zhashx_lookup (self->unheard, key))
        zhashx_insert (self->unheard, key, (void *) (uintptr_t) (losses + 1));
}

void
ep_unread_heard (ep_unread_t *self, const char *key)
{
    zhashx_delete (self->unheard, key);
}

//  The losses before key was sent (0 if it is not unheard).
static uint64_t
s_sent_before (ep_unread_t *self, const char *key, bool *unheard)
{
    void *sent = zhashx_lookup (self->unheard, key);
    *unheard = sent != NULL;
    return sent ? (uint64_t) (uintptr_t) sent - 1 : 0;
}

static void
s_found (ep_unread_t *self, const char *key, zlistx_t *found)
{
    char *copy = strdup (key);
    if (copy)
        zlistx_add_end (found, copy);
    zhashx_delete (self->unheard, key);
}

//  One more ask went unanswered: after S_ASKS, the bound judges the loss.
static void
s_unanswered (ep_unread_t *self)
{
    if (++self->unanswered >= S_ASKS)
        self->bound = true;
}

//  Takes the router's answer: held (read: its reports come from the
//  journal) or not; not held while nothing waits on intake: never read.
static void
s_take_answer (ep_unread_t *self, int64_t now, zlistx_t *found)
{
    bool refused;
    Execplane__V1__IntentsReply *reply = ep_follow_fates (self->follow, &refused);
    if (refused && self->asking) {
        //  A router that cannot answer this now (its journal unreadable) or
        //  ever (a key it will not answer): asked again a second later, and
        //  after S_ASKS refusals the bound judges this loss.
        self->asking = false;
        self->next_ask_ms = now + S_ANSWER_MS;
        s_unanswered (self);
    }
    if (!reply)
        return;
    self->asking = false;
    self->unanswered = 0;
    char key [2 * 65 + 2];
    for (size_t i = 0; i < reply->n_fates; i++) {
        const Execplane__V1__IntentFate *fate = reply->fates [i];
        snprintf (key, sizeof key, "%s\x1f%s", fate->strategy_id, fate->intent_id);
        bool unheard;
        uint64_t before = s_sent_before (self, key, &unheard);
        if (!unheard || before >= self->asked_losses)
            continue;
        if (fate->held)
            zhashx_delete (self->unheard, key);
        else
        if (!reply->intake_waiting)
            s_found (self, key, found);
    }
    if (reply->intake_waiting)
        self->next_ask_ms = now + S_AGAIN_MS;
    execplane__v1__intents_reply__free_unpacked (reply, NULL);
}

//  Asks about up to S_ASK_MAX of the intents in candidates.
static void
s_ask (ep_unread_t *self, zlistx_t *candidates, int64_t now)
{
    Execplane__V1__IntentRef refs [S_ASK_MAX];
    Execplane__V1__IntentRef *items [S_ASK_MAX];
    char ids [S_ASK_MAX][2][65];
    size_t n = 0;
    for (const char *key = zlistx_first (candidates); key && n < S_ASK_MAX;
         key = zlistx_next (candidates)) {
        const char *separator = strchr (key, '\x1f');
        if (!separator)
            continue;
        snprintf (ids [n][0], sizeof ids [n][0], "%.*s", (int) (separator - key), key);
        snprintf (ids [n][1], sizeof ids [n][1], "%s", separator + 1);
        execplane__v1__intent_ref__init (&refs [n]);
        refs [n].strategy_id = ids [n][0];
        refs [n].intent_id = ids [n][1];
        items [n] = &refs [n];
        n++;
    }
    Execplane__V1__IntentsRequest request = EXECPLANE__V1__INTENTS_REQUEST__INIT;
    request.intents = items;
    request.n_intents = n;
    if (n && ep_follow_ask_fates (self->follow, &request) == 0) {
        self->asking = true;
        self->asked_ms = now;
        self->asked_losses = self->losses;
    }
}

void
ep_unread_judge (ep_unread_t *self, zlistx_t *found)
{
    int64_t now = ep_sock_clock_ms ();
    uint64_t losses = ep_follow_losses (self->follow);
    if (losses != self->losses) {
        //  Lost again: what was asked of the router before is not answered
        self->losses = losses;
        self->loss_ms = now;
        self->asking = false;
        self->unanswered = 0;
        self->bound = false;
    }
    s_take_answer (self, now, found);
    if (self->asking && now - self->asked_ms >= S_ANSWER_MS) {
        self->asking = false;
        s_unanswered (self);
    }
    //  The intents that may have gone to a router lost since
    zlistx_t *candidates = zlistx_new ();
    if (!candidates)
        return;
    zlistx_set_destructor (candidates, (zlistx_destructor_fn *) zstr_free);
    uint64_t settled = self->bound ? ep_follow_settled (self->follow) : 0;
    for (void *sent = zhashx_first (self->unheard); sent; sent = zhashx_next (self->unheard)) {
        uint64_t before = (uint64_t) (uintptr_t) sent - 1;
        char *key = before < (self->bound ? settled : losses)
                  ? strdup ((const char *) zhashx_cursor (self->unheard)) : NULL;
        if (key)
            zlistx_add_end (candidates, key);
    }
    if (self->bound)
        //  No answer to be had: what has no report once the loss is settled
        for (const char *key = zlistx_first (candidates); key; key = zlistx_next (candidates))
            s_found (self, key, found);
    else
    if (zlistx_size (candidates) && !self->asking && now >= self->next_ask_ms
    &&  now >= self->loss_ms + S_QUIET_MS
    &&  ep_follow_heard (self->follow))
        s_ask (self, candidates, now);
    zlistx_destroy (&candidates);
}
