#!/usr/bin/env bash
# A journal on PostgreSQL, copied into an SQLite file for the soak's
# checker, which reads SQLite (and so stays the same checker on either
# backend). Read with psql alone, in one read-only snapshot (REPEATABLE
# READ): for each table of the journal's schema, the same table in the
# SQLite file, with the same column names and every row, values as SQL
# literals (integers as integers, bytea as blobs, text as text).
#
#   pg_snapshot.sh CONNECTION_STRING SQLITE_FILE
#
# SQLITE_FILE must not exist. Exits non-zero, saying why, if a table
# cannot be read or the copy's row counts differ from the server's.
set -euo pipefail

die () { echo "pg_snapshot: $*" >&2; exit 1; }
[ $# = 2 ] || die "usage: pg_snapshot.sh CONNECTION_STRING SQLITE_FILE"
url=$1 out=$2
[ ! -e "$out" ] || die "$out exists"
psql=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
[ -n "$psql" ] || die "no psql (apt install postgresql-client)"
pg () { "$psql" -X -q -A -t -v ON_ERROR_STOP=1 "$url" "$@"; }

# The tables and their columns, in order: "table|column|type" lines.
columns=$(pg -c "SELECT table_name, column_name, data_type FROM information_schema.columns
                 WHERE table_schema = current_schema () ORDER BY table_name, ordinal_position") \
    || die "cannot list the journal's tables"
[ -n "$columns" ] || die "the journal has no tables"

# One SELECT a table, printing an INSERT a row; and the CREATE TABLEs.
script=$(mktemp "${TMPDIR:-/tmp}/pg-snapshot.XXXXXX")
trap 'rm -f "$script"' EXIT
{
    echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
    awk -F'|' '
        function literal(col, type) {
            col = "\"" col "\""
            if (type == "bytea")
                return "CASE WHEN " col " IS NULL THEN '\''NULL'\'' ELSE '\''X'\'''\'''\'' || encode(" col ", '\''hex'\'') || '\'''\'''\'''\'' END"
            if (type ~ /^(smallint|integer|bigint|numeric|real|double precision)$/)
                return "COALESCE(" col "::text, '\''NULL'\'')"
            if (type == "boolean")
                return "CASE WHEN " col " IS NULL THEN '\''NULL'\'' WHEN " col " THEN '\''1'\'' ELSE '\''0'\'' END"
            return "quote_nullable(" col "::text)"
        }
        function flush() {
            if (table == "") return
            printf "SELECT %s;\n", "'\''CREATE TABLE \"" table "\" (" names ");'\''"
            printf "SELECT '\''INSERT INTO \"%s\" VALUES ('\'' || concat_ws('\'','\'', %s) || '\'');'\'' FROM \"%s\";\n", table, values, table
            printf "SELECT '\''-- %s '\'' || COUNT(*) FROM \"%s\";\n", table, table
        }
        $1 != table { flush(); table = $1; names = ""; values = "" }
        { names = names (names == "" ? "" : ", ") "\"" $2 "\""
          values = values (values == "" ? "" : ", ") literal($2, $3) }
        END { flush() }' <<<"$columns"
    echo "COMMIT;"
} > "$script"

# The copy, in one SQLite transaction; the row counts the server gave
# (the "-- TABLE N" lines, SQL comments to SQLite) checked against it.
dump=$(mktemp "${TMPDIR:-/tmp}/pg-snapshot.XXXXXX")
trap 'rm -f "$script" "$dump"' EXIT
pg -f "$script" > "$dump" || die "cannot read the journal"
{ echo "BEGIN;"; cat "$dump"; echo "COMMIT;"; } | sqlite3 -batch "$out" \
    || die "cannot write $out"
while read -r _ table count; do
    got=$(sqlite3 -readonly -batch -noheader "$out" "SELECT COUNT(*) FROM \"$table\"")
    [ "$got" = "$count" ] || die "table $table: $got rows copied of $count"
done < <(grep -E '^-- [a-z_]+ [0-9]+$' "$dump")
