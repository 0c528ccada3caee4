/*  ep_guard: the allow-list, the ZAP handler and per-message checks.  */
#include "ep_guard.h"
#include "ep_log.h"
#include "ep_security.h"
#include "ep_sock.h"

#define S_CACHED 4                      //  peers remembered between reloads

struct _ep_guard_t {
    ep_allowlist_t *certs;                  //  the allow-list; NULL when insecure
    ep_zap_t *zap;                      //  the ZAP handler; NULL when insecure
    ep_refusals_t *refusals;            //  which refusals are journaled in detail
    int64_t next_reload_ms;             //  when the allow-list is looked at again
    //  The last admitted keys looked up: every message names its sender,
    //  and a few senders send nearly all of them. Emptied on each reload.
    ep_peer_t cached [S_CACHED];
    char cached_key [S_CACHED][41];
    size_t cached_next;
};

ep_guard_t *
ep_guard_new (const ep_config_t *config, char *err, size_t err_size)
{
    ep_guard_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->refusals = ep_refusals_new (EP_GUARD_DETAILED, EP_GUARD_INTERVAL_MS,
                                      EP_GUARD_PER_KEY_MS, EP_GUARD_KEYS);
    if (!self->refusals) {
        snprintf (err, err_size, "out of memory");
        ep_guard_destroy (&self);
        return NULL;
    }
    if (!ep_security_curve ())
        return self;
    self->certs = ep_allowlist_new (config->certs, err, err_size);
    if (self->certs)
        self->zap = ep_zap_new (self->certs, err, err_size);
    if (!self->zap)
        ep_guard_destroy (&self);
    else
        ep_log_info ("CURVE on: %zu key(s) admitted from %s/public", ep_allowlist_size (self->certs),
                     config->certs);
    return self;
}

void
ep_guard_destroy (ep_guard_t **self_p)
{
    ep_guard_t *self = *self_p;
    if (!self)
        return;
    ep_zap_destroy (&self->zap);
    ep_allowlist_destroy (&self->certs);
    ep_refusals_destroy (&self->refusals);
    free (self);
    *self_p = NULL;
}

zsock_t *
ep_guard_zap (ep_guard_t *self)
{
    return self->zap ? ep_zap_socket (self->zap) : NULL;
}

ep_zap_t *
ep_guard_zap_handler (ep_guard_t *self)
{
    return self->zap;
}

bool
ep_guard_check (ep_guard_t *self, const char *domain, const char *user_id,
                ep_peer_t *peer, char *why, size_t why_size)
{
    if (!self->certs) {
        memset (peer, 0, sizeof *peer);
        peer->known = true;
        snprintf (peer->sender, sizeof peer->sender, "insecure");
        return true;
    }
    size_t cached = 0;
    while (cached < S_CACHED && !(user_id && streq (self->cached_key [cached], user_id)))
        cached++;
    if (cached < S_CACHED)
        *peer = self->cached [cached];
    else {
        memset (peer, 0, sizeof *peer);
        snprintf (peer->sender, sizeof peer->sender, "?:%s", user_id ? user_id : "");
        if (!user_id || !*user_id) {
            snprintf (why, why_size, "no authenticated key");
            return false;
        }
        if (!ep_allowlist_lookup (self->certs, user_id, &peer->info)) {
            snprintf (why, why_size, "key %s is no longer admitted", user_id);
            return false;
        }
        peer->known = true;
        snprintf (peer->sender, sizeof peer->sender, "%s:%s", peer->info.name, user_id);
        //  A lookup succeeded, so user_id is a 40-character key.
        size_t slot = self->cached_next++ % S_CACHED;
        self->cached [slot] = *peer;
        snprintf (self->cached_key [slot], sizeof self->cached_key [slot], "%s", user_id);
    }
    if (!ep_zap_admits (domain, peer->info.role)) {
        snprintf (why, why_size, "a %s key (%s) may not use %s", ep_role_name (peer->info.role),
                  peer->info.name, domain);
        return false;
    }
    return true;
}

bool
ep_guard_record_refusal (ep_guard_t *self, ep_refusal_kind_t kind, const char *domain,
                         const char *key)
{
    return ep_refusals_record (self->refusals, kind, domain, key, ep_sock_clock_ms ());
}

bool
ep_guard_refusal_summary (ep_guard_t *self, bool final, char *detail, size_t detail_size)
{
    return ep_refusals_summary (self->refusals, ep_sock_clock_ms (), final, detail, detail_size);
}

int
ep_guard_reload (ep_guard_t *self)
{
    if (!self->certs)
        return 0;
    int64_t now = ep_sock_clock_ms ();
    if (now < self->next_reload_ms)
        return 0;
    self->next_reload_ms = now + 1000;
    for (size_t i = 0; i < S_CACHED; i++)
        self->cached_key [i][0] = 0;
    size_t before = ep_allowlist_size (self->certs);
    int removed = ep_allowlist_reload (self->certs);
    if (removed < 0)
        return 0;
    if (ep_allowlist_size (self->certs) != before || removed > 0)
        ep_log_info ("allow-list changed: %zu key(s) admitted, %d removed",
                     ep_allowlist_size (self->certs), removed);
    return removed;
}
