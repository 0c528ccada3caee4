/*  ep_zap: the router's ZAP handler (ZeroMQ RFC 27), deciding at each CURVE
    handshake whether a key may connect to a socket.

    A key is admitted to a socket only if it is in the allow-list
    (ep_allowlist) with a role that socket serves; the socket's ZAP domain is its
    name. The key, in Z85, becomes the connection's User-Id, which the
    router checks again on every message (a key removed from the allow-list
    is refused from then on, on connections made before).

        intake     strategy, safety
        control    meta
        dispatch   worker
        results    worker
        outcomes   monitor, meta, strategy, safety (what each may subscribe
                   to is checked per subscription)
        query      monitor, meta, strategy, safety, worker  */
#ifndef EP_ZAP_H_INCLUDED
#define EP_ZAP_H_INCLUDED

#include <czmq.h>
#include "ep_allowlist.h"

typedef struct _ep_zap_t ep_zap_t;

//  A handshake the handler refused.
typedef struct {
    char domain [32];                   //  the socket
    char key [41];                      //  the client's public key, Z85
    char why [160];                     //  unknown key, or the role that may not
} ep_zap_refusal_t;

//  True if a key of role may connect to the socket named domain.
bool ep_zap_admits (const char *domain, ep_role_t role);

//  Binds the ZAP endpoint in CZMQ's context; do it before binding any CURVE
//  socket. Returns NULL with the reason in err.
ep_zap_t *ep_zap_new (ep_allowlist_t *certs, char *err, size_t err_size);

void ep_zap_destroy (ep_zap_t **self_p);

//  The socket to poll for requests.
zsock_t *ep_zap_socket (ep_zap_t *self);

//  Answers one pending request, if any. Returns 1 and fills *refusal if it
//  refused the handshake, 0 if it admitted it or there was none.
int ep_zap_handle (ep_zap_t *self, ep_zap_refusal_t *refusal);

#endif
