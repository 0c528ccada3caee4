/*  ep_guard: who may do what at the router.

    Under CURVE it owns the allow-list (ep_certs) and the ZAP handler, and
    answers, for a message's User-Id (the sender's public key), whether that
    sender may use a socket now: the handshake was checked by ZAP, but a key
    removed from the allow-list since must be refused on the connection it
    already has. Insecure, everything is allowed and every sender is
    "insecure".  */
#ifndef EP_GUARD_H_INCLUDED
#define EP_GUARD_H_INCLUDED

#include <czmq.h>
#include "ep_certs.h"
#include "ep_config.h"
#include "ep_zap.h"

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

//  True if the refusal of key on domain should be journaled now: at most
//  once a minute per key and socket, so a peer that keeps reconnecting
//  cannot flood the journal.
bool ep_guard_record_refusal (ep_guard_t *self, const char *domain, const char *key);

//  Re-reads the allow-list if it changed (at most once a second). Returns
//  how many keys were removed.
int ep_guard_reload (ep_guard_t *self);

#endif
