/*  ep_live_presenter: the definition the live worker presents for its
    plane, naming the digest of the venue's rules as read.  */
#include <czmq.h>
#include "ep_live_presenter.h"
#include "ep_log.h"

//  Presents the definition naming the rules' digest instruments: says so,
//  with what it replaces (was, "" at start). Returns 0, or -1 on out of
//  memory (the definition before still presented).
static int
s_present (ep_live_presenter_t *self, const char *instruments, const char *was, size_t symbols)
{
    char was_id [65];
    snprintf (was_id, sizeof was_id, "%s", ep_worker_link_definition (self->link));
    char *definition = ep_live_definition (self->config, self->venue, instruments);
    //  As a worker that stops would: reported while this session serves
    if (definition && *was)
        ep_live_plane_drop_queued (self->plane, "not sent: the venue's rules changed, and "
                                   "the plane waits for its new definition's approval");
    if (!definition || ep_worker_link_redefine (self->link, definition)) {
        zstr_free (&definition);
        ep_log_error ("out of memory: the plane definition naming instruments %s is not "
                      "presented", instruments);
        return -1;
    }
    zstr_free (&definition);
    snprintf (self->instruments, sizeof self->instruments, "%s", instruments);
    const char *id = ep_worker_link_definition (self->link);
    ep_live_plane_rename (self->plane, ep_worker_link_session (self->link));
    if (*was)
        ep_log_warn ("session %s: the venue's rules changed (%zu symbol(s)): instruments %s "
                     "is now %s, so plane definition %s is now %s; the router serves the live "
                     "plane again only once it is approved (ep-meta planes; ep-meta approve "
                     "%s --reason ...): until then the plane is unavailable",
                     ep_worker_link_session (self->link), symbols, was, instruments, was_id,
                     id, id);
    else
        ep_log_info ("session %s: venue %s at %s, audit %s, %zu symbol(s) in the venue's "
                     "rules (instruments %s), plane definition %s",
                     ep_worker_link_session (self->link), self->venue->name,
                     self->config->base_url, self->config->audit, symbols, instruments, id);
    return 0;
}

bool
ep_live_presenter_check (ep_live_presenter_t *self)
{
    uint64_t reads;
    const ep_instruments_t *table = ep_live_plane_instruments (self->plane, &reads, NULL);
    if (reads == self->reads || !*self->instruments)
        return false;
    self->reads = reads;
    char digest [65];
    if (ep_live_instruments_digest (table, digest)) {
        ep_log_error ("out of memory: the venue's rules as read are not compared with the "
                      "plane definition's");
        return false;
    }
    char was [65];
    snprintf (was, sizeof was, "%s", self->instruments);
    return !streq (digest, was) && s_present (self, digest, was, table->count) == 0;
}

int
ep_live_presenter_first (ep_live_presenter_t *self)
{
    while (!zsys_interrupted) {
        uint64_t reads;
        const char *problem;
        const ep_instruments_t *table = ep_live_plane_instruments (self->plane, &reads,
                                                                    &problem);
        if (reads) {
            char digest [65];
            self->reads = reads;
            if (ep_live_instruments_digest (table, digest)) {
                ep_log_error ("out of memory: the venue's rules have no digest");
                return -1;
            }
            return s_present (self, digest, "", table->count);
        }
        if (*problem && strcmp (problem, self->problem)) {
            snprintf (self->problem, sizeof self->problem, "%s", problem);
            ep_log_error ("session %s: the live plane is not claimed: the venue's rules "
                          "(exchangeInfo) cannot be read (%s), and its definition names "
                          "their digest; they are asked for again until read, and the plane "
                          "is unavailable until then", ep_worker_link_session (self->link),
                          problem);
        }
        ep_worker_link_wait (self->link, 1000);
        ep_live_plane_tick (self->plane);         //  asks again when due
    }
    return -1;
}
