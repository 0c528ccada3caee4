/*  ep_certs: CURVE certificates and the roles they carry.

    Layout of the certificates folder (security/certs, default var/certs):

        public/NAME         the public certificate of every key the router
                            admits: the allow-list. Adding or removing a
                            file here takes effect within seconds, with no
                            restart.
        NAME_secret         each process's own secret certificate (0600),
                            read by the program that runs as NAME

    Each certificate's metadata records `role` (router, worker, strategy,
    meta, safety, monitor), `name`, for a worker the `plane` it serves
    (paper or live), and for a strategy or safety key the strategy ids it
    may speak for, as `strategies` (comma-separated).  */
#ifndef EP_CERTS_H_INCLUDED
#define EP_CERTS_H_INCLUDED

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

//  True if name can name a certificate: 1..EP_CERTS_NAME_MAX characters of
//  [A-Za-z0-9._-], not starting with '.' (hidden files are not indexed) and
//  not ending in "_secret" (the secret file's suffix).
bool ep_certs_name_valid (const char *name);

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

typedef struct _ep_certs_t ep_certs_t;

//  Indexes the public certificates under folder/public. A file that is not
//  a public certificate whose metadata names a known role (and a worker's
//  plane, a strategy or safety key's strategies) is logged and left out,
//  as is a key that two files grant different rights. Returns NULL with
//  the reason in err if the folder cannot be read.
ep_certs_t *ep_certs_new (const char *folder, char *err, size_t err_size);

void ep_certs_destroy (ep_certs_t **self_p);

//  Re-reads folder/public if anything in it changed (names, sizes or
//  times). Cheap when nothing did (files written in the last 2 seconds are
//  read again each time: their time stamps cannot tell a second write).
//  Returns the number of keys removed since the last reload (so callers
//  can drop their connections): a folder that is gone admits no one. If
//  the folder cannot be read, returns -1 and keeps the keys admitted.
int ep_certs_reload (ep_certs_t *self);

//  Looks up a public key in Z85 (40 characters, as the User-Id message
//  property gives it). Returns true and fills *info if it is admitted.
bool ep_certs_lookup (ep_certs_t *self, const char *public_z85, ep_key_info_t *info);

//  Number of keys admitted.
size_t ep_certs_size (ep_certs_t *self);

//  Loads the secret certificate folder/NAME_secret (for a client or the
//  router). Refuses a file that group or others may access (mode & 077),
//  one with no secret key, or one whose public key is not its secret
//  key's. Returns NULL with the reason in err (never any key material).
zcert_t *ep_certs_load_secret (const char *folder, const char *name, char *err, size_t err_size);

//  Loads the router's public certificate, folder/public/router, that every
//  client pins; its role must be router. Returns NULL with the reason in err.
zcert_t *ep_certs_load_router (const char *folder, char *err, size_t err_size);

//  Writes cert (with its metadata) as the pair folder/public/NAME (0644)
//  and folder/NAME_secret (0600 from its creation on), each through a
//  hidden temporary file moved into place, creating folder (0700) and
//  folder/public (0755) as needed. Without replace, an existing file of the
//  pair is left alone and the save fails. Returns 0, or -1 with the reason
//  in err (never any key material).
int ep_certs_save (zcert_t *cert, const char *folder, const char *name, bool replace,
                   char *err, size_t err_size);

#endif
