/*  ep_allowlist: the public certificates the router admits, by key.

    The allow-list is the folder CERTS/public (security/certs, default
    var/certs): one public certificate per admitted key. Adding or removing
    a file there takes effect within seconds, with no restart: the router
    reloads the list every second, which is cheap when nothing changed.  */
#ifndef EP_ALLOWLIST_H_INCLUDED
#define EP_ALLOWLIST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include "ep_roles.h"

typedef struct _ep_allowlist_t ep_allowlist_t;

//  Indexes the public certificates under folder/public. A file that is not
//  a public certificate whose metadata names a known role (and a worker's
//  plane, a strategy or safety key's strategies) is logged and left out,
//  as is a key that two files grant different rights. Returns NULL with
//  the reason in err if the folder cannot be read.
ep_allowlist_t *ep_allowlist_new (const char *folder, char *err, size_t err_size);

//  Frees the list and sets *self_p to NULL. Safe on NULL.
void ep_allowlist_destroy (ep_allowlist_t **self_p);

//  Re-reads folder/public if anything in it changed (names, sizes or
//  times). Cheap when nothing did (files written in the last 2 seconds are
//  read again each time: their time stamps cannot tell a second write).
//  Returns the number of keys removed since the last reload (so callers
//  can drop their connections): a folder that is gone admits no one. If
//  the folder cannot be read, returns -1 and keeps the keys admitted.
int ep_allowlist_reload (ep_allowlist_t *self);

//  Looks up a public key in Z85 (40 characters, as the User-Id message
//  property gives it). Returns true and fills *info (if not NULL) if it
//  is admitted.
bool ep_allowlist_lookup (ep_allowlist_t *self, const char *public_z85, ep_key_info_t *info);

//  Number of keys admitted.
size_t ep_allowlist_size (ep_allowlist_t *self);

#endif
