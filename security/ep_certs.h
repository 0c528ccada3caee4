/*  ep_certs: CURVE certificates and the roles they carry, by the names the
    router's code has used since before the split (ep_certs_*).

    The work is done by one module a noun: ep_roles (what a key may do),
    ep_certfile (the text of one certificate file), ep_allowlist (the keys
    the router admits) and ep_identity (a program's own certificates). The
    old names below forward to them; new code calls those directly.

    Layout of the certificates folder (security/certs, default var/certs):

        public/NAME         the public certificate of every key the router
                            admits: the allow-list
        NAME_secret         each process's own secret certificate (0600),
                            read by the program that runs as NAME  */
#ifndef EP_CERTS_H_INCLUDED
#define EP_CERTS_H_INCLUDED

#include "ep_allowlist.h"
#include "ep_certfile.h"
#include "ep_identity.h"
#include "ep_roles.h"

typedef ep_allowlist_t ep_certs_t;

static inline ep_certs_t *
ep_certs_new (const char *folder, char *err, size_t err_size)
{
    return ep_allowlist_new (folder, err, err_size);
}

static inline void
ep_certs_destroy (ep_certs_t **self_p)
{
    ep_allowlist_destroy (self_p);
}

static inline int
ep_certs_reload (ep_certs_t *self)
{
    return ep_allowlist_reload (self);
}

static inline bool
ep_certs_lookup (ep_certs_t *self, const char *public_z85, ep_key_info_t *info)
{
    return ep_allowlist_lookup (self, public_z85, info);
}

static inline size_t
ep_certs_size (ep_certs_t *self)
{
    return ep_allowlist_size (self);
}

static inline zcert_t *
ep_certs_load_secret (const char *folder, const char *name, char *err, size_t err_size)
{
    return ep_identity_load_secret (folder, name, err, err_size);
}

static inline zcert_t *
ep_certs_load_router (const char *folder, char *err, size_t err_size)
{
    return ep_identity_load_router (folder, err, err_size);
}

static inline int
ep_certs_save (zcert_t *cert, const char *folder, const char *name, bool replace,
               char *err, size_t err_size)
{
    return ep_identity_save (cert, folder, name, replace, err, err_size);
}

#endif
