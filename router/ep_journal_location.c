/*  ep_journal_location: what a journal's location names (an SQLite file or
    a PostgreSQL connection string) and how it may be shown, and a
    PostgreSQL journal copied into an SQLite database for the tools that
    read one (ep_journal.h). A library of its own, that the tools link
    without the router.  */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_journal.h"

bool
ep_journal_is_postgresql (const char *location)
{
    return strncmp (location, "postgresql://", 13) == 0
        || strncmp (location, "postgres://", 11) == 0;
}

const char *
ep_journal_redacted (const char *location, char *buf, size_t size)
{
    //  postgresql://user:secret@host/...: the password is everything from
    //  the first colon after the scheme to the last @ of the authority
    snprintf (buf, size, "%s", location);
    if (!ep_journal_is_postgresql (location) || !strstr (buf, "://"))
        return buf;
    char *authority = strstr (buf, "://") + 3;
    size_t length = strcspn (authority, "/?#");
    char *at = NULL;
    for (char *c = authority; c < authority + length; c++)
        if (*c == '@')
            at = c;
    char *colon = at ? memchr (authority, ':', (size_t) (at - authority)) : NULL;
    if (colon) {
        char tail [EP_JOURNAL_LOCATION_MAX];
        snprintf (tail, sizeof tail, "%s", at);
        snprintf (colon, size - (size_t) (colon - buf), ":***%s", tail);
    }
    //  ... and a password given as a parameter
    char *param = strstr (buf, "password=");
    if (param && param > buf && (param [-1] == '?' || param [-1] == '&')) {
        char *end = param + 9 + strcspn (param + 9, "&#");
        char tail [EP_JOURNAL_LOCATION_MAX];
        snprintf (tail, sizeof tail, "%s", end);
        snprintf (param + 9, size - (size_t) (param + 9 - buf), "***%s", tail);
    }
    return buf;
}

//  The journal's tables, and whether each numbers its rows by its first
//  column (its rowid in an SQLite journal).
static const struct {
    const char *name;
    bool numbered;
} s_tables [] = {
    { "intents", true }, { "intent_keys", false }, { "reports", true }, { "commands", true },
    { "events", true }, { "state", false }, { "zombies", true }, { "chain", true },
};

//  PostgreSQL's type OIDs of the journal's columns.
enum { S_OID_BYTEA = 17, S_OID_INT8 = 20, S_OID_TEXT = 25 };

//  Copies one table from the result of SELECT * (binary) into db.
static int
s_copy_table (PGresult *result, sqlite3 *db, const char *table, bool numbered, char *err,
              size_t err_size)
{
    int columns = PQnfields (result);
    char sql [2048];
    int used = snprintf (sql, sizeof sql, "CREATE TABLE \"%s\" (", table);
    for (int i = 0; i < columns && used < (int) sizeof sql; i++) {
        Oid type = PQftype (result, i);
        used += snprintf (sql + used, sizeof sql - (size_t) used, "%s\"%s\" %s", i ? ", " : "",
                          PQfname (result, i),
                          type == S_OID_INT8 ? (i == 0 && numbered ? "INTEGER PRIMARY KEY"
                                                                   : "INTEGER")
                          : type == S_OID_BYTEA ? "BLOB" : "TEXT");
    }
    used += snprintf (sql + used, sizeof sql - (size_t) used, ")");
    if (used >= (int) sizeof sql || sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "copying %s: %s", table, sqlite3_errmsg (db));
        return -1;
    }
    used = snprintf (sql, sizeof sql, "INSERT INTO \"%s\" VALUES (", table);
    for (int i = 0; i < columns; i++)
        used += snprintf (sql + used, sizeof sql - (size_t) used, "%s?", i ? ", " : "");
    snprintf (sql + used, sizeof sql - (size_t) used, ")");
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2 (db, sql, -1, &insert, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "copying %s: %s", table, sqlite3_errmsg (db));
        return -1;
    }
    int rc = 0;
    for (int row = 0; row < PQntuples (result) && rc == 0; row++) {
        for (int i = 0; i < columns; i++) {
            const char *value = PQgetvalue (result, row, i);
            int length = PQgetlength (result, row, i);
            Oid type = PQftype (result, i);
            if (PQgetisnull (result, row, i))
                sqlite3_bind_null (insert, i + 1);
            else
            if (type == S_OID_INT8 && length == 8) {
                uint64_t v = 0;
                for (int b = 0; b < 8; b++)
                    v = (v << 8) | (uint8_t) value [b];
                sqlite3_bind_int64 (insert, i + 1, (int64_t) v);
            }
            else
            if (type == S_OID_BYTEA)
                sqlite3_bind_blob (insert, i + 1, length ? value : "", length, SQLITE_STATIC);
            else
                sqlite3_bind_text (insert, i + 1, value, length, SQLITE_STATIC);
        }
        if (sqlite3_step (insert) != SQLITE_DONE) {
            snprintf (err, err_size, "copying %s: %s", table, sqlite3_errmsg (db));
            rc = -1;
        }
        sqlite3_reset (insert);
    }
    sqlite3_finalize (insert);
    return rc;
}

int
ep_journal_copy_pg (const char *conninfo, sqlite3 *db, char *err, size_t err_size)
{
    char shown [EP_JOURNAL_LOCATION_MAX];
    ep_journal_redacted (conninfo, shown, sizeof shown);
    const char *keys [] = { "connect_timeout", "application_name", "dbname",
                            "client_encoding", NULL };
    const char *values [] = { "5", "ep-replay", conninfo, "UTF8", NULL };
    PGconn *conn = PQconnectdbParams (keys, values, 1);
    if (!conn || PQstatus (conn) != CONNECTION_OK) {
        snprintf (err, err_size, "%s: %s", shown, conn ? PQerrorMessage (conn) : "out of memory");
        PQfinish (conn);
        return -1;
    }
    //  One snapshot of every table, read only
    PGresult *result = PQexec (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    int rc = PQresultStatus (result) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        snprintf (err, err_size, "%s: %s", shown, PQerrorMessage (conn));
    PQclear (result);
    if (rc == 0 && sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (db));
        rc = -1;
    }
    for (size_t i = 0; i < sizeof s_tables / sizeof s_tables [0] && rc == 0; i++) {
        char sql [96];
        snprintf (sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", s_tables [i].name);
        result = PQexecParams (conn, sql, 0, NULL, NULL, NULL, NULL, 1);
        if (PQresultStatus (result) != PGRES_TUPLES_OK) {
            snprintf (err, err_size, "%s: %s: %s", shown, s_tables [i].name,
                      PQerrorMessage (conn));
            rc = -1;
        }
        else
            rc = s_copy_table (result, db, s_tables [i].name, s_tables [i].numbered, err,
                               err_size);
        PQclear (result);
    }
    if (rc == 0 && sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (db));
        rc = -1;
    }
    PQfinish (conn);
    for (char *at = err; rc && *at; at++)
        if (*at == '\n' || *at == '\t')
            *at = *(at + 1) ? ' ' : '\0';
    return rc;
}

int
ep_journal_integrity (sqlite3 *db, char *first, size_t size)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (first, size, "%s", sqlite3_errmsg (db));
        return -1;
    }
    *first = '\0';
    int rc, problems = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text (stmt, 0);
        if (line && strcmp (line, "ok") == 0)
            continue;
        if (!problems++)
            snprintf (first, size, "%s", line ? line : "?");
    }
    if (rc != SQLITE_DONE && !problems)
        snprintf (first, size, "%s", sqlite3_errmsg (db));
    sqlite3_finalize (stmt);
    for (char *at = first; *at; at++)
        if (*at == '\n')
            *at = ' ';
    if (problems > 1) {
        size_t used = strlen (first);
        snprintf (first + used, size - used, ", and more");
    }
    return rc != SQLITE_DONE || problems ? 1 : 0;
}
