/*  test_chain: a row hashed from the values its writer binds is the row
    hashed as `SELECT *` reads it back, for every type SQLite stores; the
    canonical bytes and the chain's hash are the documented ones (vectors
    computed apart, with Python's hashlib); and any change of a value
    changes the hash.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>
#include "ep_chain.h"

//  A row of every kind: an integer key, text, a blob, an empty blob, NULL,
//  a real and a negative integer.
static const ep_chain_value_t s_row [] = {
    { .type = SQLITE_INTEGER, .integer = 7 },
    { .type = SQLITE_TEXT, .bytes = "alpha", .size = 5 },
    { .type = SQLITE_BLOB, .bytes = "\x00\x01", .size = 2 },
    { .type = SQLITE_BLOB, .bytes = "", .size = 0 },
    { .type = SQLITE_NULL },
    { .type = SQLITE_FLOAT, .integer = 0x3FF8000000000000 },   //  1.5
    { .type = SQLITE_INTEGER, .integer = -3 },
};
#define S_COLUMNS (sizeof s_row / sizeof s_row [0])

static const char *s_row_hash_hex =
    "c6286064fd8493145b101987f19908792e1c5b144ad3439ff4cb06f926567331";

static void
s_hex (const uint8_t hash [32], char hex [65])
{
    sodium_bin2hex (hex, 65, hash, 32);
}

static void
test_values_hash_is_the_documented_canonical_form (void **state)
{
    (void) state;
    ep_buf_t scratch = { 0 };
    uint8_t row_hash [32];
    char hex [65];
    assert_int_equal (ep_chain_values_hash (s_row, S_COLUMNS, &scratch, row_hash), 0);
    s_hex (row_hash, hex);
    assert_string_equal (hex, s_row_hash_hex);
    //  The scratch is reused: a second hash of the same row is the same
    assert_int_equal (ep_chain_values_hash (s_row, S_COLUMNS, &scratch, row_hash), 0);
    s_hex (row_hash, hex);
    assert_string_equal (hex, s_row_hash_hex);
    ep_buf_free (&scratch);
}

static void
test_chain_hash_is_the_documented_link (void **state)
{
    (void) state;
    uint8_t prev [32] = { 0 }, row_hash [32], hash [32];
    ep_buf_t scratch = { 0 };
    assert_int_equal (ep_chain_values_hash (s_row, S_COLUMNS, &scratch, row_hash), 0);
    ep_chain_hash (prev, "intents", 7, 1700000000000000, row_hash, hash);
    char hex [65];
    s_hex (hash, hex);
    assert_string_equal (hex, "47ddb7b6045ef66a16d30c8a35ed02a568f3d4e0902efe6809b080dd9d8483f2");
    ep_buf_free (&scratch);
}

static void
test_values_hash_equals_the_row_read_back (void **state)
{
    (void) state;
    sqlite3 *db;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT,"
                                    " data BLOB, empty BLOB, none TEXT, real REAL, n INTEGER)",
                                    NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *insert;
    assert_int_equal (sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", -1,
                                          &insert, NULL), SQLITE_OK);
    sqlite3_bind_int64 (insert, 1, 7);
    sqlite3_bind_text (insert, 2, "alpha", 5, SQLITE_STATIC);
    sqlite3_bind_blob (insert, 3, "\x00\x01", 2, SQLITE_STATIC);
    sqlite3_bind_blob (insert, 4, "", 0, SQLITE_STATIC);
    sqlite3_bind_double (insert, 6, 1.5);
    sqlite3_bind_int64 (insert, 7, -3);
    assert_int_equal (sqlite3_step (insert), SQLITE_DONE);
    sqlite3_finalize (insert);

    ep_chain_reader_t *reader = ep_chain_reader_new (db);
    assert_non_null (reader);
    uint8_t read_back [32], bound [32];
    assert_int_equal (ep_chain_row_hash (reader, "t", 7, read_back), 1);
    ep_buf_t scratch = { 0 };
    assert_int_equal (ep_chain_values_hash (s_row, S_COLUMNS, &scratch, bound), 0);
    assert_memory_equal (read_back, bound, 32);
    //  No such row
    assert_int_equal (ep_chain_row_hash (reader, "t", 8, read_back), 0);

    //  Each value changed, or its type, is another hash
    for (size_t i = 0; i < S_COLUMNS; i++) {
        ep_chain_value_t changed [S_COLUMNS];
        memcpy (changed, s_row, sizeof changed);
        if (changed [i].type == SQLITE_NULL)
            changed [i] = (ep_chain_value_t) { .type = SQLITE_TEXT, .bytes = "", .size = 0 };
        else
        if (changed [i].type == SQLITE_TEXT || changed [i].type == SQLITE_BLOB)
            changed [i].type = changed [i].type == SQLITE_TEXT ? SQLITE_BLOB : SQLITE_TEXT;
        else
            changed [i].integer++;
        uint8_t other [32];
        assert_int_equal (ep_chain_values_hash (changed, S_COLUMNS, &scratch, other), 0);
        assert_memory_not_equal (other, bound, 32);
    }
    ep_buf_free (&scratch);
    ep_chain_reader_destroy (&reader);
    sqlite3_close (db);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_values_hash_is_the_documented_canonical_form),
        cmocka_unit_test (test_chain_hash_is_the_documented_link),
        cmocka_unit_test (test_values_hash_equals_the_row_read_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
