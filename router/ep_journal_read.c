/*  ep_journal_read: what the router reads back from its journal: the
    reports for a query, the intents still open and the zombies at
    recovery, an intent by its ids or its router_seq, how one ended, the
    last numbers it gave, when an intent was read. Each read is one of the
    journal's statements, on whichever database holds it.  */
#include <czmq.h>
#include <string.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_log.h"

//  Integer and text values for a read's parameters.
static ep_chain_value_t
s_int (int64_t value)
{
    return (ep_chain_value_t) { .type = SQLITE_INTEGER, .integer = value };
}

static ep_chain_value_t
s_text (const char *text)
{
    return (ep_chain_value_t) { .type = SQLITE_TEXT, .bytes = text, .size = strlen (text) };
}

//  Column column of the current row, as bytes.
static const void *
s_bytes (ep_journal_t *self, ep_journal_rows_t *rows, int column, size_t *size)
{
    return self->backend->bytes (rows, column, size);
}

//  A copy of bytes (malloc'd, at least one byte), or NULL out of memory.
static void *
s_copy (const void *bytes, size_t size)
{
    void *copy = malloc (size > 0 ? size : 1);
    if (copy && size)
        memcpy (copy, bytes, size);
    return copy;
}

//  Calls fn with the first column of each row of read which (a blob);
//  Returns 0, or -1 (logged as what).
static int
s_each_blob (ep_journal_t *self, int which, ep_journal_blob_fn *fn, void *arg)
{
    ep_journal_rows_t *rows = self->backend->query (self, which, NULL, 0);
    if (!rows)
        return -1;
    int rc;
    while ((rc = self->backend->next (self, rows)) == 1) {
        size_t size;
        const void *bytes = s_bytes (self, rows, 0, &size);
        fn (arg, bytes, size);
    }
    self->backend->close (&rows);
    return rc;
}

typedef struct {
    void **payload;
    size_t *size;
    int failed;
} s_state_t;

static void
s_take_state (void *arg, const void *payload, size_t size)
{
    s_state_t *state = arg;
    *state->payload = s_copy (payload, size);
    *state->size = *state->payload ? size : 0;
    state->failed = *state->payload == NULL;
}

int
ep_journal_load_state (ep_journal_t *self, void **payload, size_t *size)
{
    *payload = NULL;
    *size = 0;
    s_state_t state = { payload, size, 0 };
    if (s_each_blob (self, S_LOAD_STATE, s_take_state, &state))
        return -1;
    return state.failed ? -1 : 0;
}

int
ep_journal_definitions (ep_journal_t *self, ep_journal_blob_fn *fn, void *arg)
{
    return s_each_blob (self, S_DEFINITIONS, fn, arg);
}

int
ep_journal_reports (ep_journal_t *self, uint64_t from_seq, uint64_t to_seq,
                    const char *strategy_id, unsigned limit,
                    ep_journal_row_fn *fn, void *arg, uint64_t *through_seq)
{
    bool filtered = strategy_id && *strategy_id;
    ep_chain_value_t values [4] = {
        s_int ((int64_t) from_seq), s_int (to_seq ? (int64_t) to_seq : INT64_MAX), s_int (limit),
        filtered ? s_text (strategy_id) : s_int (0)
    };
    ep_journal_rows_t *rows = self->backend->query (self, filtered ? S_REPORTS_ONE : S_REPORTS_ALL,
                                                    values, filtered ? 4 : 3);
    if (!rows)
        return -1;
    int count = 0;
    uint64_t last = from_seq ? from_seq - 1 : 0;
    int rc;
    while ((rc = self->backend->next (self, rows)) == 1) {
        last = (uint64_t) self->backend->integer (rows, 0);
        size_t size, length;
        const void *payload = s_bytes (self, rows, 1, &size);
        //  Text comes back with a NUL after it, from either database
        const char *strategy = s_bytes (self, rows, 2, &length);
        fn (arg, last, strategy ? strategy : "", payload, size);
        count++;
    }
    self->backend->close (&rows);
    if (rc < 0)
        return -1;
    //  When fewer than limit rows came back, everything up to the range's
    //  end (or the newest seq) has been examined.
    if ((unsigned) count < limit) {
        uint64_t head = ep_journal_last_seq (self);
        uint64_t end = to_seq && to_seq < head ? to_seq : head;
        if (end > last)
            last = end;
    }
    *through_seq = last;
    return count;
}

//  Hands each row of read which (router_seq, plane, plane_epoch, answered,
//  payload), with its count values, to fn. Returns 0, or -1 (logged).
static int
s_each_intent (ep_journal_t *self, int which, const ep_chain_value_t *values, int count,
               ep_journal_open_fn *fn, void *arg)
{
    ep_journal_rows_t *rows = self->backend->query (self, which, values, count);
    if (!rows)
        return -1;
    int rc;
    while ((rc = self->backend->next (self, rows)) == 1) {
        size_t size;
        const void *payload = s_bytes (self, rows, 4, &size);
        fn (arg, (uint64_t) self->backend->integer (rows, 0),
            (int) self->backend->integer (rows, 1), (uint64_t) self->backend->integer (rows, 2),
            self->backend->integer (rows, 3) != 0, payload, size);
    }
    self->backend->close (&rows);
    return rc;
}

int
ep_journal_open_intents (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    return s_each_intent (self, S_OPEN_INTENTS, NULL, 0, fn, arg);
}

int
ep_journal_find_intent (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                        uint64_t *router_seq)
{
    bool any = !strategy_id || !*strategy_id;
    ep_chain_value_t values [2] = { s_text (intent_id), s_text (any ? "" : strategy_id) };
    ep_journal_rows_t *rows = self->backend->query (self, any ? S_FIND_ANY : S_FIND_ONE,
                                                    values, any ? 1 : 2);
    if (!rows)
        return -1;
    int found = 0, rc;
    while ((rc = self->backend->next (self, rows)) == 1) {
        *router_seq = (uint64_t) self->backend->integer (rows, 0);
        found++;
    }
    self->backend->close (&rows);
    return rc < 0 ? -1 : found;
}

int
ep_journal_ending (ep_journal_t *self, uint64_t router_seq, int *status)
{
    ep_chain_value_t value = s_int ((int64_t) router_seq);
    ep_journal_rows_t *rows = self->backend->query (self, S_ENDING, &value, 1);
    if (!rows)
        return -1;
    int rc = self->backend->next (self, rows);
    if (rc == 1)
        *status = (int) self->backend->integer (rows, 0);
    self->backend->close (&rows);
    return rc;
}

int
ep_journal_ended_unknown (ep_journal_t *self, int plane, int status, unsigned limit,
                          ep_journal_open_fn *fn, void *arg)
{
    ep_chain_value_t values [3] = { s_int (plane), s_int (status), s_int (limit) };
    return s_each_intent (self, S_ENDED_UNKNOWN, values, 3, fn, arg);
}

int
ep_journal_zombies (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    return s_each_intent (self, S_ZOMBIES, NULL, 0, fn, arg);
}

int
ep_journal_intent (ep_journal_t *self, uint64_t router_seq, int *plane, uint64_t *epoch,
                   bool *dispatched, void **payload, size_t *size)
{
    ep_chain_value_t value = s_int ((int64_t) router_seq);
    ep_journal_rows_t *rows = self->backend->query (self, S_INTENT_BY_SEQ, &value, 1);
    if (!rows)
        return -1;
    int found = self->backend->next (self, rows);
    if (found == 1) {
        *plane = (int) self->backend->integer (rows, 0);
        *epoch = (uint64_t) self->backend->integer (rows, 1);
        *dispatched = self->backend->integer (rows, 2) != 0;
        size_t n;
        const void *bytes = s_bytes (self, rows, 3, &n);
        *payload = s_copy (bytes, n);
        *size = n;
        if (!*payload)
            found = -1;
    }
    self->backend->close (&rows);
    return found;
}

int
ep_journal_plane_reports (ep_journal_t *self, uint64_t router_seq,
                          ep_journal_report_fn *fn, void *arg)
{
    ep_chain_value_t value = s_int ((int64_t) router_seq);
    ep_journal_rows_t *rows = self->backend->query (self, S_PLANE_REPORTS, &value, 1);
    if (!rows)
        return -1;
    int rc;
    while ((rc = self->backend->next (self, rows)) == 1) {
        size_t size;
        const void *payload = s_bytes (self, rows, 1, &size);
        fn (arg, (uint64_t) self->backend->integer (rows, 0), payload, size);
    }
    self->backend->close (&rows);
    return rc;
}

uint64_t
ep_journal_last_seq (ep_journal_t *self)
{
    return ep_journal_scalar (self, S_LAST_SEQ, 0, 0);
}

uint64_t
ep_journal_last_router_seq (ep_journal_t *self)
{
    return ep_journal_scalar (self, S_LAST_ROUTER_SEQ, 0, 0);
}

uint64_t
ep_journal_processed_through (ep_journal_t *self, int plane)
{
    return ep_journal_scalar (self, S_PROCESSED, 1, plane);
}

int64_t
ep_journal_intake_us (ep_journal_t *self, uint64_t router_seq)
{
    //  The commit with the intents from the nearest first one, if it
    //  wrote this one; else a chain row of the intent alone
    ep_chain_value_t value = s_int ((int64_t) router_seq);
    ep_journal_rows_t *rows = self->backend->query (self, S_INTAKE_COMMIT, &value, 1);
    int64_t at_us = 0;
    if (rows && self->backend->next (self, rows) == 1) {
        size_t size;
        const void *list = s_bytes (self, rows, 1, &size);
        if (list && ep_chain_rows_have_intent (list, size, (int64_t) router_seq))
            at_us = self->backend->integer (rows, 0);
    }
    self->backend->close (&rows);
    if (at_us)
        return at_us;
    return (int64_t) ep_journal_scalar (self, S_INTAKE_US, 1, (int64_t) router_seq);
}
