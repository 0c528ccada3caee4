/*  ep_targets: the order a journaled CANCEL or REPLACE meant.  */
#include "ep_targets.h"

int
ep_targets_prepare (sqlite3 *db, sqlite3_stmt **lookup)
{
    return sqlite3_prepare_v2 (db, "SELECT router_seq FROM intent_keys"
                               " WHERE strategy_id = ?1 AND intent_id = ?2", -1, lookup, NULL);
}

int
ep_targets_seq (sqlite3_stmt *lookup, const ep_intent_t *intent, uint64_t *router_seq)
{
    *router_seq = 0;
    sqlite3_reset (lookup);
    sqlite3_bind_text (lookup, 1, intent->strategy_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (lookup, 2, intent->target_intent_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (lookup);
    if (rc == SQLITE_ROW) {
        *router_seq = (uint64_t) sqlite3_column_int64 (lookup, 0);
        rc = SQLITE_DONE;
    }
    sqlite3_clear_bindings (lookup);
    return rc;
}
