/*  ep_journal_pg_schema: the PostgreSQL journal's tables (ep_journal_pg.h).  */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include "ep_chain.h"
#include "ep_journal_pg.h"

//  The same tables and columns as the SQLite journal's, in the same order
//  (a row reads back as the values its writer bound and hashed).
static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS intents ("
    "  router_seq BIGINT PRIMARY KEY, strategy_id TEXT NOT NULL, intent_id TEXT NOT NULL,"
    "  plane BIGINT NOT NULL, plane_epoch BIGINT NOT NULL, dispatched BIGINT NOT NULL,"
    "  payload BYTEA NOT NULL, sender TEXT);"
    "CREATE TABLE IF NOT EXISTS intent_keys ("
    "  strategy_id TEXT NOT NULL, intent_id TEXT NOT NULL, router_seq BIGINT NOT NULL,"
    "  PRIMARY KEY (strategy_id, intent_id));"
    "CREATE TABLE IF NOT EXISTS reports ("
    "  seq BIGINT PRIMARY KEY, router_seq BIGINT NOT NULL, strategy_id TEXT NOT NULL,"
    "  plane BIGINT NOT NULL, status BIGINT NOT NULL, terminal BIGINT NOT NULL,"
    "  origin BIGINT NOT NULL, late BIGINT NOT NULL, plane_payload BYTEA,"
    "  payload BYTEA NOT NULL);"
    "CREATE INDEX IF NOT EXISTS reports_by_intent ON reports (router_seq);"
    "CREATE TABLE IF NOT EXISTS commands ("
    "  id BIGINT PRIMARY KEY, at_seq BIGINT NOT NULL, kind BIGINT, plane BIGINT,"
    "  epoch BIGINT, issued_by TEXT, sender TEXT, reason TEXT,"
    "  applied BIGINT NOT NULL, outcome TEXT NOT NULL, payload BYTEA);"
    "CREATE TABLE IF NOT EXISTS events ("
    "  id BIGINT PRIMARY KEY, at_seq BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BYTEA);"
    "CREATE TABLE IF NOT EXISTS zombies (router_seq BIGINT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS chain ("
    "  id BIGINT PRIMARY KEY, tbl TEXT NOT NULL, row BIGINT NOT NULL, at_us BIGINT NOT NULL,"
    "  row_hash BYTEA NOT NULL, hash BYTEA NOT NULL, rows BYTEA);"
    "CREATE INDEX IF NOT EXISTS chain_commits ON chain (row)"
    "  WHERE tbl = '" EP_CHAIN_COMMIT "' AND row > 0;"
    "CREATE INDEX IF NOT EXISTS chain_intents ON chain (row) WHERE tbl = 'intents';"
    "CREATE TABLE IF NOT EXISTS lease ("
    "  id BIGINT PRIMARY KEY, epoch BIGINT NOT NULL, holder TEXT NOT NULL,"
    "  taken_at TIMESTAMPTZ NOT NULL);";

//  The columns of a journal's tables, all told (the check of a database
//  that already had them).
static const char *s_columns =
    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema ()"
    " AND table_name IN ('intents', 'intent_keys', 'reports', 'commands', 'events', 'state',"
    " 'zombies', 'chain')";
#define S_COLUMNS 46

int
ep_journal_pg_tables (PGconn *conn, const char *shown, char *err, size_t err_size)
{
    PGresult *result = PQexec (conn, s_schema);
    if (PQresultStatus (result) != PGRES_COMMAND_OK) {
        snprintf (err, err_size, "journal %s: creating its tables: %s", shown,
                  PQerrorMessage (conn));
        //  One line
        for (char *at = err; *at; at++)
            if (*at == '\n' || *at == '\t')
                *at = *(at + 1) ? ' ' : '\0';
        PQclear (result);
        return -1;
    }
    PQclear (result);
    result = PQexec (conn, s_columns);
    long columns = PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1
                 ? atol (PQgetvalue (result, 0, 0)) : -1;
    PQclear (result);
    if (columns != S_COLUMNS) {
        snprintf (err, err_size, "journal %s: the database has tables of the journal's names "
                  "that are not an execplane journal's (%ld columns, not %d): refusing to "
                  "start; they are left as they are", shown, columns, S_COLUMNS);
        return -1;
    }
    return 0;
}

