/*  ep_definitions: the plane definitions the router has seen, and which of
    them are approved. A definition is the canonical text of everything that
    decides how a plane executes, as its worker presents it in its claim;
    its id is the text's SHA-256. No worker is adopted, and no new order
    dispatched, under a definition that is not approved (the specification's
    closing rule: no execution environment is used before it is defined,
    documented and approved). Each definition is journaled as it stands
    (the state table, under definition/ID), so approvals outlive a restart.  */
#include <czmq.h>
#include "ep_log.h"
#include "ep_names.h"
#include "ep_router_internal.h"
#include "ep_security.h"
#include "ep_utf8.h"

#define S_TEXT_MAX      8192            //  a definition's text, at most
#define S_DESCRIPTION_MAX 512           //  its description, at most
#define S_SHORT         12              //  hex digits of an id in a message

void
ep_definition_id (const char *text, char id [65])
{
    ep_security_sha256_hex (text, strlen (text), id);
}

Execplane__V1__PlaneDefinition *
ep_definitions_find (ep_router_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->definitions.count; i++)
        if (streq (self->definitions.items [i]->id, id))
            return self->definitions.items [i];
    return NULL;
}

//  A copy of text, cut to max bytes at a character boundary; "" if NULL.
static char *
s_text (const char *text, size_t max)
{
    char *copy = malloc (max + 1);
    if (copy)
        ep_utf8_copy (copy, max + 1, text ? text : "");
    return copy;
}

static void
s_definition_free (Execplane__V1__PlaneDefinition **definition_p)
{
    Execplane__V1__PlaneDefinition *definition = *definition_p;
    if (!definition)
        return;
    free (definition->id);
    free (definition->text);
    free (definition->description);
    free (definition->decided_by);
    free (definition->decision_reason);
    free (definition);
    *definition_p = NULL;
}

//  Journals the definition as it stands.
static ep_router_status_t
s_save (ep_router_t *self, const Execplane__V1__PlaneDefinition *definition)
{
    size_t size;
    uint8_t *data = ep_router_pack (&definition->base, &size);
    if (!data)
        return EP_ROUTER_NO_MEMORY;
    ep_router_status_t status = EP_ROUTER_JOURNAL_WRITE;
    if (ep_journal_begin (self->journal) == 0)
        status = ep_router_journaled (ep_journal_save_definition (self->journal,
                                                                  definition->id, data, size));
    free (data);
    return status;
}

//  Adds a definition (fields copied) to the list; NULL on out of memory.
static Execplane__V1__PlaneDefinition *
s_add (ep_router_t *self, const Execplane__V1__PlaneDefinition *from)
{
    ep_definitions_t *list = &self->definitions;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        void *items = realloc (list->items, capacity * sizeof *list->items);
        if (!items)
            return NULL;
        list->items = items;
        list->capacity = capacity;
    }
    Execplane__V1__PlaneDefinition *definition = calloc (1, sizeof *definition);
    if (!definition)
        return NULL;
    execplane__v1__plane_definition__init (definition);
    *definition = *from;
    definition->base = (ProtobufCMessage) PROTOBUF_C_MESSAGE_INIT (
        &execplane__v1__plane_definition__descriptor);
    definition->id = s_text (from->id, 64);
    definition->text = s_text (from->text, S_TEXT_MAX);
    definition->description = s_text (from->description, S_DESCRIPTION_MAX);
    definition->decided_by = s_text (from->decided_by, 256);
    definition->decision_reason = s_text (from->decision_reason, 512);
    if (!definition->id || !definition->text || !definition->description
    ||  !definition->decided_by || !definition->decision_reason) {
        s_definition_free (&definition);
        return NULL;
    }
    list->items [list->count++] = definition;
    return definition;
}

//  "live definition 3f2a9c1b0d4e": how messages name a definition.
static void
s_name (int plane, const char *id, char *name, size_t size)
{
    const char *plane_name = ep_plane_name (plane);
    char lower [8] = "";
    for (size_t i = 0; plane_name && plane_name [i] && i < sizeof lower - 1; i++)
        lower [i] = (char) (plane_name [i] | 0x20);
    snprintf (name, size, "%s definition %.*s", lower, S_SHORT, id);
}

bool
ep_definitions_may_serve (ep_router_t *self, int plane, const char *id, char *why,
                          size_t why_size)
{
    Execplane__V1__PlaneDefinition *definition = ep_definitions_find (self, id);
    char name [64];
    s_name (plane, id ? id : "", name, sizeof name);
    if (!id || !*id)
        snprintf (why, why_size, "the %s worker presents no plane definition",
                  plane == EP_PLANE (LIVE) ? "live" : "paper");
    else
    if (!definition || (int) definition->plane != plane)
        snprintf (why, why_size, "%s was never presented in a claim", name);
    else
    if (definition->revoked)
        snprintf (why, why_size, "%s is revoked (by %s: %s)", name, definition->decided_by,
                  definition->decision_reason);
    else
    if (!definition->approved)
        snprintf (why, why_size, "%s is not approved (ep-meta planes; ep-meta approve %s "
                  "--reason ...)", name, definition->id);
    else
        return true;
    return false;
}

bool
ep_definitions_present (ep_router_t *self, int plane, const char *text,
                        const char *description, char id [65], char *why, size_t why_size,
                        ep_router_status_t *status)
{
    *status = EP_ROUTER_OK;
    if (!text || !*text || strlen (text) > S_TEXT_MAX) {
        id [0] = '\0';
        snprintf (why, why_size, "the %s worker presents no plane definition (or one over %d "
                  "bytes)", plane == EP_PLANE (LIVE) ? "live" : "paper", S_TEXT_MAX);
        return false;
    }
    ep_definition_id (text, id);
    Execplane__V1__PlaneDefinition *definition = ep_definitions_find (self, id);
    if (!definition) {
        Execplane__V1__PlaneDefinition seen = EXECPLANE__V1__PLANE_DEFINITION__INIT;
        seen.id = id;
        seen.plane = plane;
        seen.text = (char *) text;
        seen.description = (char *) (description ? description : "");
        seen.seen_at_seq = self->last_seq;
        definition = s_add (self, &seen);
        if (!definition) {
            *status = EP_ROUTER_NO_MEMORY;
            snprintf (why, why_size, "out of memory");
            return false;
        }
        char name [64];
        s_name (plane, id, name, sizeof name);
        ep_log_warn ("%s seen, not approved yet: %s", name,
                     *definition->description ? definition->description : "(no description)");
        *status = s_save (self, definition);
        if (!*status)
            *status = ep_router_event (self, "definition-seen", definition->id);
    }
    else
    if (description && *description && !streq (definition->description, description)) {
        //  The operator's words may be given or changed; the definition stays
        char *copy = s_text (description, S_DESCRIPTION_MAX);
        if (copy) {
            free (definition->description);
            definition->description = copy;
            *status = s_save (self, definition);
        }
    }
    return ep_definitions_may_serve (self, plane, id, why, why_size) && !*status;
}

bool
ep_definitions_decide (ep_router_t *self, const ep_command_t *command, char *outcome,
                       size_t outcome_size, ep_router_status_t *status)
{
    *status = EP_ROUTER_OK;
    bool approve = command->kind == EXECPLANE__V1__COMMAND_KIND__APPROVE;
    const char *verb = approve ? "APPROVE" : "REVOKE";
    Execplane__V1__PlaneDefinition *definition = ep_definitions_find (self,
                                                                      command->definition_id);
    if (!definition)
        snprintf (outcome, outcome_size, "refused: %s (request %s): no definition %.64s was "
                  "ever presented (ep-meta planes lists them)", verb, command->request_id,
                  command->definition_id);
    else
    if (!command->reason || !*command->reason)
        snprintf (outcome, outcome_size, "refused: %s (request %s): a reason is required",
                  verb, command->request_id);
    else
    if (approve && !*definition->description)
        snprintf (outcome, outcome_size, "refused: APPROVE (request %s): definition %.*s has "
                  "no description (set %s/description in its worker's configuration)",
                  command->request_id, S_SHORT, definition->id,
                  definition->plane == EP_PLANE (LIVE) ? "live" : "paper");
    else {
        char *by = s_text (command->issued_by, 256);
        char *reason = s_text (command->reason, 512);
        if (!by || !reason) {
            free (by);
            free (reason);
            *status = EP_ROUTER_NO_MEMORY;
            return false;
        }
        free (definition->decided_by);
        free (definition->decision_reason);
        definition->decided_by = by;
        definition->decision_reason = reason;
        definition->approved = approve;
        definition->revoked = !approve;
        definition->decided_at_seq = self->last_seq;
        *status = s_save (self, definition);
        char name [64];
        s_name ((int) definition->plane, definition->id, name, sizeof name);
        snprintf (outcome, outcome_size, "applied: %s %s (request %s): %s", verb, name,
                  command->request_id, definition->description);
        ep_log_warn ("%s %s by %s: %s", name, approve ? "approved" : "revoked", by, reason);
        self->state.dirty = true;
        return !*status;
    }
    return false;
}

static void
s_load_one (void *arg, const void *payload, size_t size)
{
    ep_router_t *self = arg;
    Execplane__V1__PlaneDefinition *saved =
        execplane__v1__plane_definition__unpack (NULL, size, payload);
    if (!saved || ep_definitions_find (self, saved->id) || !s_add (self, saved))
        ep_log_error ("a plane definition in the journal could not be read");
    if (saved)
        execplane__v1__plane_definition__free_unpacked (saved, NULL);
}

static int
s_by_seen (const void *a, const void *b)
{
    const Execplane__V1__PlaneDefinition *x = *(Execplane__V1__PlaneDefinition *const *) a;
    const Execplane__V1__PlaneDefinition *y = *(Execplane__V1__PlaneDefinition *const *) b;
    return x->seen_at_seq < y->seen_at_seq ? -1 : x->seen_at_seq > y->seen_at_seq;
}

int
ep_definitions_load (ep_router_t *self)
{
    if (ep_journal_definitions (self->journal, s_load_one, self))
        return -1;
    if (self->definitions.count > 1)
        qsort (self->definitions.items, self->definitions.count,
               sizeof *self->definitions.items, s_by_seen);
    return 0;
}

void
ep_definitions_problem (ep_router_t *self, int plane, char *why, size_t why_size)
{
    //  The worker refused the plane, while none serves it, or the one that
    //  serves it under a definition revoked since
    const ep_worker_t *worker = &self->link.worker [plane];
    const char *id = !worker->alive && *worker->refused_definition ? worker->refused_definition
                                                                    : worker->definition;
    if (!*id || ep_definitions_may_serve (self, plane, id, why, why_size))
        why [0] = '\0';
}

void
ep_definitions_clear (ep_router_t *self)
{
    for (size_t i = 0; i < self->definitions.count; i++)
        s_definition_free (&self->definitions.items [i]);
    free (self->definitions.items);
    memset (&self->definitions, 0, sizeof self->definitions);
}
