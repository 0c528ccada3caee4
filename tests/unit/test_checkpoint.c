/*  test_checkpoint: the journal's write-ahead log is checkpointed by the
    checkpointer's thread once it passes its threshold, never by the
    router's own commits below the hard limit; the rows committed are all
    there after a checkpoint and a reopen.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ep_checkpoint.h"
#include "ep_journal.h"

//  Polls fn until it holds, for at most seconds.
static int
s_wait_for (uint64_t (*count) (ep_journal_t *), ep_journal_t *journal, double seconds)
{
    struct timespec pause = { 0, 5 * 1000 * 1000 };
    for (int i = 0; i < (int) (seconds / 0.005); i++) {
        if (count (journal) > 0)
            return 0;
        nanosleep (&pause, NULL);
    }
    return -1;
}

static uint64_t
s_threaded (ep_journal_t *journal)
{
    return ep_journal_checkpoints (journal, NULL);
}

static void
test_the_log_is_checkpointed_off_the_writers_thread (void **state)
{
    (void) state;
    char dir [] = "/tmp/ep-checkpoint.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [64];
    snprintf (path, sizeof path, "%s/journal.db", dir);
    char err [256];
    ep_journal_t *journal = ep_journal_open (path, false, err, sizeof err);
    assert_non_null (journal);

    //  About 1.5 pages an event: past the threshold in a few commits,
    //  far below the hard limit
    char detail [6000];
    memset (detail, 'x', sizeof detail - 1);
    detail [sizeof detail - 1] = '\0';
    int events = 0;
    for (int commit = 0; commit < 20; commit++) {
        assert_int_equal (ep_journal_begin (journal), EP_JOURNAL_OK);
        for (int i = 0; i < 60; i++, events++)
            assert_int_equal (ep_journal_add_event (journal, (uint64_t) events, "test", detail),
                              EP_JOURNAL_OK);
        assert_int_equal (ep_journal_commit (journal), EP_JOURNAL_OK);
    }
    assert_int_equal (s_wait_for (s_threaded, journal, 10.0), 0);
    uint64_t inline_count;
    assert_true (ep_journal_checkpoints (journal, &inline_count) >= 1);
    assert_int_equal (inline_count, 0);
    ep_journal_destroy (&journal);

    //  Everything committed is there, in the database file itself
    journal = ep_journal_open (path, false, err, sizeof err);
    assert_non_null (journal);
    ep_journal_destroy (&journal);
    sqlite3 *db;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT COUNT(*) FROM events WHERE kind = 'test'",
                                          -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (stmt, 0), events);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    char command [128];
    snprintf (command, sizeof command, "rm -rf %s", dir);
    assert_int_equal (system (command), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_log_is_checkpointed_off_the_writers_thread),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
