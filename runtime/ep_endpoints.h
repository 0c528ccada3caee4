/*  ep_endpoints: a router socket's endpoints as the configuration lists
    them (README "Two routers").

    A key of the router section that names a socket (router/intake,
    outcomes, control, dispatch, results, query) may list several
    endpoints, comma-separated (CZMQ's convention for zsock_attach), one
    per router that may serve: every client and worker connects to all of
    them, and hears whichever router is active. Each router binds only its
    own: the one at position router/member (1 for the first) of every
    list. A single endpoint needs no member: it is the router's, as it has
    always been. Every list names the same routers in the same order, so
    all six lists have as many endpoints.  */
#ifndef EP_ENDPOINTS_H_INCLUDED
#define EP_ENDPOINTS_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include "ep_config.h"

#define EP_ENDPOINTS_MAX 8              //  routers a list may name

//  The socket keys, in the order of the router section ("intake" ...).
#define EP_ENDPOINTS_KEYS 6
extern const char *const ep_endpoints_keys [EP_ENDPOINTS_KEYS];

//  The list config holds for the socket key (one of ep_endpoints_keys).
const char *ep_endpoints_list (const ep_config_t *config, const char *key);

//  Splits list into its endpoints (spaces around each one are dropped)
//  into items. Returns how many (1 to EP_ENDPOINTS_MAX), or -1 with err
//  saying why: an empty list or item, too many, or an item written with
//  zsock_attach's '@' or '>' (a router binds and a client connects, as
//  the program is: the list says where, never how).
int ep_endpoints_split (const char *list, char items [][EP_ENDPOINT_MAX], char *err,
                        size_t err_size);

//  Checks the router section's six lists: each splits, all have as many
//  endpoints, and router/member, if set, is within them. Returns 0, or
//  -1 with err naming the key.
int ep_endpoints_check (const ep_config_t *config, char *err, size_t err_size);

//  The router's own endpoint of the socket key, into own (EP_ENDPOINT_MAX
//  bytes): the list's only one, or the one at router/member. Returns 0,
//  or -1 with err when the list has several and router/member is not set.
int ep_endpoints_own (const ep_config_t *config, const char *key, char *own, char *err,
                      size_t err_size);

//  Puts endpoint in place of the router's own in the list (of size bytes)
//  of the socket key: the ready file names the ports the router bound
//  beside the other routers' endpoints. Returns 0, or -1 if it does not fit.
int ep_endpoints_splice (const ep_config_t *config, const char *key, const char *endpoint,
                         char *list, size_t size);

//  Connects socket to every endpoint of list. Returns 0, or -1 with err
//  naming the endpoint that failed.
int ep_endpoints_connect (zsock_t *socket, const char *list, char *err, size_t err_size);

#endif
