/*  ep_identity: a program's own certificates.

    Each program runs as a NAME: it reads its secret certificate,
    CERTS/NAME_secret (0600), and pins the router's public certificate,
    CERTS/public/router. ep-keygen writes such a pair. No reason given in
    err ever holds key material.  */
#ifndef EP_IDENTITY_H_INCLUDED
#define EP_IDENTITY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  Loads the secret certificate folder/NAME_secret (for a client or the
//  router). Refuses a file that group or others may access (mode & 077),
//  one with no secret key, or one whose public key is not its secret
//  key's. Returns NULL with the reason in err.
zcert_t *ep_identity_load_secret (const char *folder, const char *name,
                                  char *err, size_t err_size);

//  Loads the router's public certificate, folder/public/router, that every
//  client pins; its role must be router. Returns NULL with the reason in err.
zcert_t *ep_identity_load_router (const char *folder, char *err, size_t err_size);

//  Writes cert (with its metadata) as the pair folder/public/NAME (0644)
//  and folder/NAME_secret (0600 from its creation on), each through a
//  hidden temporary file moved into place, creating folder (0700) and
//  folder/public (0755) as needed. Without replace, an existing file of the
//  pair is left alone and the save fails. Returns 0, or -1 with the reason
//  in err.
int ep_identity_save (zcert_t *cert, const char *folder, const char *name, bool replace,
                      char *err, size_t err_size);

#endif
