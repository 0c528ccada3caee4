/*  ep_live_presenter: the definition the live worker presents for its
    plane (README "Plane definitions and approval"). It names the digest
    of the venue's rules as read (instruments = SHA-256 of the instrument
    table), so none is presented before the plane has read them, and a
    read that finds them changed presents the definition naming the new
    digest, as a worker restarted on the new rules would: the link says
    goodbye and takes a new session (ep_worker_link_redefine), what the
    plane queued and did not send is reported unsent, and the caller
    claims the plane again, which the router grants once the new
    definition is approved.  */
#ifndef EP_LIVE_PRESENTER_H_INCLUDED
#define EP_LIVE_PRESENTER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "ep_config.h"
#include "ep_live_plane.h"
#include "ep_worker_link.h"

typedef struct {
    const ep_config_t *config;          //  the settings the definition names
    const ep_venue_t *venue;            //  the plane's
    ep_live_plane_t *plane;
    ep_worker_link_t *link;
    char instruments [65];              //  the rules' digest presented ("": none yet)
    uint64_t reads;                     //  the plane's reads of the rules, as last looked at
    char problem [600];                 //  why the rules are not read, as last logged
} ep_live_presenter_t;

//  Waits until the plane has read the venue's rules (it asks for them at
//  start, and again ever later, 30 s apart at most, while it cannot),
//  logging why while it cannot (an ERROR per distinct reason), and keeping
//  the worker's metrics current meanwhile; then presents the definition
//  naming their digest. Returns 0, or -1 if interrupted or out of memory.
int ep_live_presenter_first (ep_live_presenter_t *self);

//  Whether the plane read the rules since the last call and they differ
//  from those presented: then the definition naming them is presented
//  (logged as a WARN: which digest and definition changed to what), and
//  true is returned: the caller claims the plane again.
bool ep_live_presenter_check (ep_live_presenter_t *self);

#endif
