/*  test_journal_location: which journal a location names (a PostgreSQL
    connection string, or an SQLite file), and the location as it may be
    logged: a password in a connection string masked, wherever it is
    written, and nothing else changed.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ep_journal.h"

static void
test_postgresql_urls_are_told_from_files (void **state)
{
    (void) state;
    assert_true (ep_journal_is_postgresql ("postgresql://ep@db/execplane"));
    assert_true (ep_journal_is_postgresql ("postgres://db"));
    assert_false (ep_journal_is_postgresql ("var/journal.db"));
    assert_false (ep_journal_is_postgresql ("/srv/postgresql://x.db"));
    assert_false (ep_journal_is_postgresql ("postgresql:/x"));
    assert_false (ep_journal_is_postgresql (""));
}

static void
s_assert_shown (const char *location, const char *expected)
{
    char shown [EP_JOURNAL_LOCATION_MAX];
    assert_string_equal (ep_journal_redacted (location, shown, sizeof shown), expected);
}

static void
test_a_password_is_masked (void **state)
{
    (void) state;
    s_assert_shown ("postgresql://ep:s3cret@db.example:5432/execplane",
                    "postgresql://ep:***@db.example:5432/execplane");
    //  An @ in the password (percent-encoding is optional to libpq)
    s_assert_shown ("postgres://ep:p@ss@db/execplane", "postgres://ep:***@db/execplane");
    s_assert_shown ("postgresql://ep:s3cret@db", "postgresql://ep:***@db");
    s_assert_shown ("postgresql://db/execplane?user=ep&password=s3cret&sslmode=require",
                    "postgresql://db/execplane?user=ep&password=***&sslmode=require");
    s_assert_shown ("postgresql://ep:a@db/x?password=b", "postgresql://ep:***@db/x?password=***");
}

static void
test_the_rest_is_kept (void **state)
{
    (void) state;
    s_assert_shown ("postgresql://ep@db:5432/execplane?passfile=/etc/ep/pgpass",
                    "postgresql://ep@db:5432/execplane?passfile=/etc/ep/pgpass");
    s_assert_shown ("postgresql://db/x?application_name=a:b@c", "postgresql://db/x?application_name=a:b@c");
    s_assert_shown ("postgresql://[::1]:5432/x", "postgresql://[::1]:5432/x");
    s_assert_shown ("var/journal.db", "var/journal.db");
    s_assert_shown ("/srv/a:b@c.db", "/srv/a:b@c.db");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_postgresql_urls_are_told_from_files),
        cmocka_unit_test (test_a_password_is_masked),
        cmocka_unit_test (test_the_rest_is_kept),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
