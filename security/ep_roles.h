/*  ep_roles: what a key may do.

    Each certificate's metadata records `role` (router, worker, strategy,
    meta, safety, monitor), `name`, for a worker the `plane` it serves
    (paper or live), and for a strategy or safety key the strategy ids it
    may speak for, as `strategies` (comma-separated). This module names the
    roles, says which certificate names are valid, and reads those rights
    from a certificate into an ep_key_info_t.  */
#ifndef EP_ROLES_H_INCLUDED
#define EP_ROLES_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

typedef enum {
    EP_ROLE_NONE = 0,                   //  not a known key
    EP_ROLE_ROUTER,
    EP_ROLE_WORKER,
    EP_ROLE_STRATEGY,
    EP_ROLE_META,
    EP_ROLE_SAFETY,
    EP_ROLE_MONITOR
} ep_role_t;

//  "router", "worker", ...; NULL for EP_ROLE_NONE or out of range.
const char *ep_role_name (ep_role_t role);

//  The role named, or EP_ROLE_NONE.
ep_role_t ep_role_parse (const char *name);

//  Longest certificate name (the file name under public/).
#define EP_CERTS_NAME_MAX 64

//  Characters of a certificate's name.
#define EP_CERTS_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

//  True if name can name a certificate: 1..EP_CERTS_NAME_MAX characters of
//  [A-Za-z0-9._-], not starting with '.' (hidden files are not indexed) and
//  not ending in "_secret" (the secret file's suffix).
bool ep_roles_name_valid (const char *name);

//  What the allow-list says of one public key.
typedef struct {
    ep_role_t role;
    char name [EP_CERTS_NAME_MAX + 1];  //  metadata `name`, else the file name
    int plane;                          //  workers: EP_PLANE (PAPER) or (LIVE); else 0
    char strategies [1024];             //  strategy and safety keys: "a,b,c"
} ep_key_info_t;

//  True if info allows speaking for strategy_id (exact match in the list;
//  only strategy and safety keys speak for strategies).
bool ep_key_info_speaks_for (const ep_key_info_t *info, const char *strategy_id);

//  Reads what the public certificate cert (in the file file_name) grants
//  into *info: a known role, a valid name (metadata `name`, else
//  file_name), a worker's plane, a strategy or safety key's strategies
//  (never cut to fit). Returns 0, or -1 with the reason in err.
int ep_key_info_from_cert (zcert_t *cert, const char *file_name, ep_key_info_t *info,
                           char *err, size_t err_size);

#endif
