/*  ep_guard: who may do what at the router.

    Under CURVE it owns the allow-list (ep_allowlist) and the ZAP handler, and
    answers, for a message's User-Id (the sender's public key), whether that
    sender may use a socket now: the handshake was checked by ZAP, but a key
    removed from the allow-list since must be refused on the connection it
    already has. Insecure, everything is allowed and every sender is
    "insecure".  */
#ifndef EP_GUARD_H_INCLUDED
#define EP_GUARD_H_INCLUDED

#include <czmq.h>
#include "ep_allowlist.h"
#include "ep_config.h"
#include "ep_refusals.h"
#include "ep_zap.h"

//  The journal's budget for refusals. A burst of real ones (a rotation that
//  leaves a few clients behind, each on up to three sockets) fits in one
//  interval in full; a flood costs at most 21 rows and 21 commits per 10 s
//  (126 rows a minute), whatever it does.
#define EP_GUARD_DETAILED       20      //  detailed refusal records per interval
#define EP_GUARD_INTERVAL_MS    10000   //  and one summary of the rest per interval
#define EP_GUARD_PER_KEY_MS     60000   //  one record per key and socket this often
#define EP_GUARD_KEYS           4096    //  keys remembered for that, at most

typedef struct _ep_guard_t ep_guard_t;

//  A sender as the router knows it.
typedef struct {
    bool known;                         //  in the allow-list now (always true insecure)
    ep_key_info_t info;                 //  its role, name, plane, strategies
    char sender [128];                  //  "NAME:KEY" for the journal, or "insecure"
} ep_peer_t;

//  Under CURVE (ep_security_curve ()), indexes config->certs and binds the
//  ZAP handler; do it before binding any socket. Returns NULL with the
//  reason in err.
ep_guard_t *ep_guard_new (const ep_config_t *config, char *err, size_t err_size);

void ep_guard_destroy (ep_guard_t **self_p);

//  The ZAP socket to poll, or NULL when insecure.
zsock_t *ep_guard_zap (ep_guard_t *self);

//  The ZAP handler itself (NULL when insecure).
ep_zap_t *ep_guard_zap_handler (ep_guard_t *self);

//  Identifies the sender of a message from its User-Id property (NULL or
//  "" when insecure). Returns true if it may use domain now; else false
//  with why.
bool ep_guard_check (ep_guard_t *self, const char *domain, const char *user_id,
                     ep_peer_t *peer, char *why, size_t why_size);

//  True if the refusal of key on domain is to be journaled and logged in
//  detail now: at most once a minute per key and socket, and at most
//  EP_GUARD_DETAILED times per EP_GUARD_INTERVAL_MS across all keys. Any
//  other refusal is counted for the interval's summary
//  (ep_guard_refusal_summary), so a peer that keeps reconnecting, with the
//  same key or fresh ones, cannot flood the journal or the log.
bool ep_guard_record_refusal (ep_guard_t *self, ep_refusal_kind_t kind, const char *domain,
                              const char *key);

//  True, with the summary in detail, if the interval is over (or at once if
//  final) and refusals were counted in it without a detailed record: one
//  row per interval at most.
bool ep_guard_refusal_summary (ep_guard_t *self, bool final, char *detail, size_t detail_size);

//  Re-reads the allow-list if it changed (at most once a second). Returns
//  how many keys were removed.
int ep_guard_reload (ep_guard_t *self);

#endif
