/*  ep_journal_pg: what the PostgreSQL journal's files share (the backend:
    ep_journal_pg.c; its tables: ep_journal_pg_schema.c). Nothing outside
    them includes it.  */
#ifndef EP_JOURNAL_PG_H_INCLUDED
#define EP_JOURNAL_PG_H_INCLUDED

#include <libpq-fe.h>
#include <stddef.h>

//  The journal's tables in the connection's schema, created if missing,
//  and a check that those there are a journal's (the SQLite journal's
//  tables, with BIGINT and BYTEA, and the lease's). Returns 0, or -1 with
//  the reason in err (shown: the journal's location, its password masked).
int ep_journal_pg_tables (PGconn *conn, const char *shown, char *err, size_t err_size);

#endif
