/*  ep_journal_read: what the router reads back from its journal: the
    reports for a query, the intents still open and the zombies at
    recovery, an intent by its ids or its router_seq, how one ended, the
    last numbers it gave, when an intent was read.  */
#include <czmq.h>
#include <sqlite3.h>
#include <string.h>
#include "ep_journal.h"
#include "ep_journal_internal.h"
#include "ep_log.h"

int
ep_journal_load_state (ep_journal_t *self, void **payload, size_t *size)
{
    sqlite3_stmt *stmt;
    *payload = NULL;
    *size = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM state WHERE key = 'plane_state'",
                            -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "load plane state");
    int rc = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        int n = sqlite3_column_bytes (stmt, 0);
        *payload = malloc (n > 0 ? n : 1);
        if (*payload) {
            if (n > 0)
                memcpy (*payload, sqlite3_column_blob (stmt, 0), n);
            *size = n;
        }
        else
            rc = -1;
    }
    sqlite3_finalize (stmt);
    return rc;
}

int
ep_journal_definitions (ep_journal_t *self, ep_journal_blob_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM state WHERE key LIKE 'definition/%'",
                            -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "load plane definitions");
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, sqlite3_column_blob (stmt, 0), (size_t) sqlite3_column_bytes (stmt, 0));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : ep_journal_fail (self, "load plane definitions");
}

int
ep_journal_reports (ep_journal_t *self, uint64_t from_seq, uint64_t to_seq,
                    const char *strategy_id, unsigned limit,
                    ep_journal_row_fn *fn, void *arg, uint64_t *through_seq)
{
    bool filtered = strategy_id && *strategy_id;
    sqlite3_stmt *stmt = self->stmt [filtered ? S_REPORTS_ONE : S_REPORTS_ALL];
    sqlite3_bind_int64 (stmt, 1, (int64_t) from_seq);
    sqlite3_bind_int64 (stmt, 2, to_seq ? (int64_t) to_seq : INT64_MAX);
    sqlite3_bind_int64 (stmt, 3, limit);
    if (filtered)
        sqlite3_bind_text (stmt, 4, strategy_id, -1, SQLITE_STATIC);
    int count = 0;
    uint64_t last = from_seq ? from_seq - 1 : 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        last = (uint64_t) sqlite3_column_int64 (stmt, 0);
        fn (arg, last, (const char *) sqlite3_column_text (stmt, 2),
            sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
        count++;
    }
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    if (rc != SQLITE_DONE)
        return ep_journal_fail (self, "read reports");
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

//  Hands each row of stmt (router_seq, plane, plane_epoch, answered,
//  payload) to fn, then finalizes stmt. Returns 0, or -1 (logged as what).
static int
s_each_intent (ep_journal_t *self, sqlite3_stmt *stmt, ep_journal_open_fn *fn, void *arg,
               const char *what)
{
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1),
            (uint64_t) sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3) != 0,
            sqlite3_column_blob (stmt, 4), sqlite3_column_bytes (stmt, 4));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : ep_journal_fail (self, what);
}

int
ep_journal_open_intents (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    const char *sql =
        "SELECT i.router_seq, i.plane, i.plane_epoch,"
        "  EXISTS (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.origin = 1),"
        "  i.payload FROM intents i WHERE i.dispatched = 1 AND NOT EXISTS"
        "  (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.terminal = 1)"
        " ORDER BY i.router_seq";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "read open intents");
    return s_each_intent (self, stmt, fn, arg, "read open intents");
}

int
ep_journal_find_intent (ep_journal_t *self, const char *strategy_id, const char *intent_id,
                        uint64_t *router_seq)
{
    bool any = !strategy_id || !*strategy_id;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, any
            ? "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 LIMIT 2"
            : "SELECT router_seq FROM intent_keys WHERE intent_id = ?1 AND strategy_id = ?2",
            -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "find intent");
    sqlite3_bind_text (stmt, 1, intent_id, -1, SQLITE_STATIC);
    if (!any)
        sqlite3_bind_text (stmt, 2, strategy_id, -1, SQLITE_STATIC);
    int found = 0, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        *router_seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        found++;
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? found : ep_journal_fail (self, "find intent");
}

int
ep_journal_ending (ep_journal_t *self, uint64_t router_seq, int *status)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (self->db, "SELECT status FROM reports WHERE router_seq = ?1"
                            " AND terminal = 1 AND late = 0 ORDER BY seq LIMIT 1",
                            -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "read ending");
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *status = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ep_journal_fail (self, "read ending");
}

int
ep_journal_ended_unknown (ep_journal_t *self, int plane, int status, unsigned limit,
                          ep_journal_open_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    const char *sql = "SELECT i.router_seq, i.plane, i.plane_epoch, 1, i.payload FROM reports r"
                      " JOIN intents i ON i.router_seq = r.router_seq"
                      " WHERE r.terminal = 1 AND r.late = 0 AND r.status = ?2"
                      " AND i.plane = ?1 AND i.dispatched = 1"
                      " AND NOT EXISTS (SELECT 1 FROM zombies z WHERE z.router_seq = i.router_seq)"
                      " ORDER BY r.seq DESC LIMIT ?3";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "read intents ended unknown");
    sqlite3_bind_int (stmt, 1, plane);
    sqlite3_bind_int (stmt, 2, status);
    sqlite3_bind_int64 (stmt, 3, (int64_t) limit);
    return s_each_intent (self, stmt, fn, arg, "read intents ended unknown");
}

int
ep_journal_zombies (ep_journal_t *self, ep_journal_open_fn *fn, void *arg)
{
    sqlite3_stmt *stmt;
    const char *sql = "SELECT i.router_seq, i.plane, i.plane_epoch, 1, i.payload"
                      " FROM zombies z JOIN intents i ON i.router_seq = z.router_seq"
                      " ORDER BY i.router_seq";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return ep_journal_fail (self, "read zombies");
    return s_each_intent (self, stmt, fn, arg, "read zombies");
}

int
ep_journal_intent (ep_journal_t *self, uint64_t router_seq, int *plane, uint64_t *epoch,
                   bool *dispatched, void **payload, size_t *size)
{
    sqlite3_stmt *stmt = self->stmt [S_INTENT_BY_SEQ];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int found = 0;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *plane = sqlite3_column_int (stmt, 0);
        *epoch = (uint64_t) sqlite3_column_int64 (stmt, 1);
        *dispatched = sqlite3_column_int (stmt, 2) != 0;
        int n = sqlite3_column_bytes (stmt, 3);
        *payload = malloc (n > 0 ? n : 1);
        *size = n;
        if (*payload) {
            memcpy (*payload, sqlite3_column_blob (stmt, 3), n);
            found = 1;
        }
        else
            found = -1;
    }
    else
    if (rc != SQLITE_DONE)
        found = ep_journal_fail (self, "read intent");
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return found;
}

int
ep_journal_plane_reports (ep_journal_t *self, uint64_t router_seq,
                          ep_journal_report_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->stmt [S_PLANE_REPORTS];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        fn (arg, (uint64_t) sqlite3_column_int64 (stmt, 0), sqlite3_column_blob (stmt, 1),
            sqlite3_column_bytes (stmt, 1));
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? 0 : ep_journal_fail (self, "read plane reports");
}

uint64_t
ep_journal_scalar (ep_journal_t *self, const char *sql, int64_t param)
{
    sqlite3_stmt *stmt;
    uint64_t value = 0;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        ep_journal_fail (self, sql);
        return 0;
    }
    if (sqlite3_bind_parameter_count (stmt) > 0)
        sqlite3_bind_int64 (stmt, 1, param);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        value = (uint64_t) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

uint64_t
ep_journal_last_seq (ep_journal_t *self)
{
    return ep_journal_scalar (self, "SELECT MAX(seq) FROM reports", 0);
}

uint64_t
ep_journal_last_router_seq (ep_journal_t *self)
{
    return ep_journal_scalar (self, "SELECT MAX(router_seq) FROM intents", 0);
}

uint64_t
ep_journal_processed_through (ep_journal_t *self, int plane)
{
    return ep_journal_scalar (self, "SELECT MAX(router_seq) FROM reports WHERE origin = 1 AND plane = ?",
                     plane);
}

int64_t
ep_journal_intake_us (ep_journal_t *self, uint64_t router_seq)
{
    //  The commit with the intents from the nearest first one, if it
    //  wrote this one; else a chain row of the intent alone
    sqlite3_stmt *stmt = self->stmt [S_INTAKE_COMMIT];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    int64_t at_us = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW
    &&  ep_chain_rows_have_intent (sqlite3_column_blob (stmt, 1),
                                   (size_t) sqlite3_column_bytes (stmt, 1), (int64_t) router_seq))
        at_us = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (at_us)
        return at_us;
    stmt = self->stmt [S_INTAKE_US];
    sqlite3_bind_int64 (stmt, 1, (int64_t) router_seq);
    at_us = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    return at_us;
}
