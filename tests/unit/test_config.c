/*  test_config: the configuration file is read strictly: an unknown key or
    section is refused naming the file, the line and the nearest known
    name, a section given twice naming both lines; a valid file, and the
    file ep_config_save writes (the router's ready file), are read.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ep_config.h"

static char s_dir [] = "/tmp/test_config.XXXXXX";
static char s_path [256];

static int
s_setup (void **state)
{
    (void) state;
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/execplane.zpl", s_dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    unlink (s_path);
    rmdir (s_dir);
    return 0;
}

//  Writes text as the file, loads it; returns what ep_config_load did.
static int
s_load (const char *text, ep_config_t *config, char *err, size_t err_size)
{
    FILE *file = fopen (s_path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    *err = 0;
    return ep_config_load (config, s_path, err, err_size);
}

//  err is exactly "config PATH line N: rest"
static void
s_assert_said (const char *err, int line, const char *rest)
{
    char expected [1024];
    snprintf (expected, sizeof expected, "config %s line %d: %s", s_path, line, rest);
    assert_string_equal (err, expected);
}

static void
test_a_valid_file_is_read (void **state)
{
    (void) state;
    ep_config_t config;
    char err [512];
    assert_int_equal (s_load ("# a comment\n"
                              "router\n"
                              "    journal_sync = normal   # trailing comment\n"
                              "    hwm = 2000\n"
                              "\n"
                              "    # an indented comment\n"
                              "paper = \"\"\n"
                              "    slippage_bps = 7\n"
                              "    description = \"with # inside\"\n"
                              "security\n"
                              "    curve = 0\n", &config, err, sizeof err), 0);
    assert_string_equal (config.journal_sync, "normal");
    assert_int_equal (config.hwm, 2000);
    assert_int_equal (config.slippage_bps, 7);
    assert_false (config.curve);
    assert_int_equal (config.heartbeat_ms, 100);    //  a default
}

static void
test_an_unknown_key_names_the_line_and_the_nearest_key (void **state)
{
    (void) state;
    ep_config_t config;
    char err [512];
    assert_int_equal (s_load ("router\n"
                              "    hwm = 2000\n"
                              "\n"
                              "    jurnal_sync = normal\n", &config, err, sizeof err), -1);
    s_assert_said (err, 4, "unknown key router/jurnal_sync (did you mean router/journal_sync?)");
    //  A key of another section: the nearest is there
    assert_int_equal (s_load ("# slippage is paper's\n"
                              "router\n"
                              "    slippage_bps = 5\n", &config, err, sizeof err), -1);
    s_assert_said (err, 3, "unknown key router/slippage_bps (did you mean paper/slippage_bps?)");
    //  A line longer than any buffer counts as one line
    char text [8000];
    snprintf (text, sizeof text, "paper\n    description = %06000d\n    slipage_bps = 1\n", 0);
    assert_int_equal (s_load (text, &config, err, sizeof err), -1);
    s_assert_said (err, 3, "unknown key paper/slipage_bps (did you mean paper/slippage_bps?)");
}

static void
test_an_unknown_section_names_the_line_and_the_nearest_section (void **state)
{
    (void) state;
    ep_config_t config;
    char err [512];
    assert_int_equal (s_load ("router\n"
                              "    hwm = 2000\n"
                              "paperr\n"
                              "    slippage_bps = 5\n", &config, err, sizeof err), -1);
    s_assert_said (err, 3, "unknown section paperr (did you mean paper?)");
    assert_int_equal (s_load ("securty = \"\"\n", &config, err, sizeof err), -1);
    s_assert_said (err, 1, "unknown section securty (did you mean security?)");
}

static void
test_a_section_or_key_given_twice_names_both_lines (void **state)
{
    (void) state;
    ep_config_t config;
    char err [512];
    assert_int_equal (s_load ("paper\n"
                              "    slippage_bps = 5\n"
                              "router\n"
                              "    hwm = 2000\n"
                              "paper\n"
                              "    liquidity_cap = 1\n", &config, err, sizeof err), -1);
    s_assert_said (err, 5, "section paper given twice (first at line 1)");
    assert_int_equal (s_load ("live\n"
                              "    poll_ms = 100\n"
                              "    poll_ms = 200\n", &config, err, sizeof err), -1);
    s_assert_said (err, 3, "key live/poll_ms given twice (first at line 2)");
}

static void
test_misplaced_keys_are_refused (void **state)
{
    (void) state;
    ep_config_t config;
    char err [512];
    assert_int_equal (s_load ("    hwm = 2000\n", &config, err, sizeof err), -1);
    s_assert_said (err, 1, "key hwm before any section");
    assert_int_equal (s_load ("router\n"
                              "        hwm = 2000\n", &config, err, sizeof err), -1);
    s_assert_said (err, 2, "hwm indented by 8 spaces (a key is indented by 4 under its section)");
}

//  The router's ready file, read back by every client, passes the check
static void
test_the_saved_file_is_read_back (void **state)
{
    (void) state;
    ep_config_t config, again;
    char err [512];
    assert_int_equal (ep_config_load (&config, NULL, err, sizeof err), 0);
    config.hwm = 4321;
    snprintf (config.paper_description, sizeof config.paper_description, "with # inside, and spaces");
    assert_int_equal (ep_config_save (&config, s_path), 0);
    assert_int_equal (ep_config_load (&again, s_path, err, sizeof err), 0);
    assert_int_equal (again.hwm, 4321);
    assert_string_equal (again.intake, config.intake);
    assert_string_equal (again.router_metrics, "");
    assert_string_equal (again.paper_description, config.paper_description);
}

//  A relative path written in the file is relative to the file's folder;
//  a built-in default stays relative to the working folder, and is saved
//  absolute, so the saved file means the same wherever it is read
static void
test_relative_paths_are_the_files_folder (void **state)
{
    (void) state;
    ep_config_t config, again;
    char err [512], expected [1024], cwd [512];
    assert_int_equal (s_load ("router\n    journal = j/journal.db\n"
                              "security\n    certs = /abs/certs\n", &config, err, sizeof err), 0);
    snprintf (expected, sizeof expected, "%s/j/journal.db", s_dir);
    assert_string_equal (config.journal, expected);
    assert_string_equal (config.certs, "/abs/certs");
    assert_string_equal (config.keys, "var/venue.keys");
    assert_string_equal (config.paper_instruments, "");
    assert_int_equal (ep_config_save (&config, s_path), 0);
    assert_int_equal (ep_config_load (&again, s_path, err, sizeof err), 0);
    assert_string_equal (again.journal, expected);
    assert_non_null (getcwd (cwd, sizeof cwd));
    snprintf (expected, sizeof expected, "%s/var/venue.keys", cwd);
    assert_string_equal (again.keys, expected);
    assert_string_equal (again.paper_instruments, "");
}

//  A journal that is a PostgreSQL connection string is not a path: kept
//  as written, when read and when saved.
static void
test_a_journal_url_is_not_a_path (void **state)
{
    (void) state;
    const char *urls [] = {
        "postgresql://ep@db.example:5432/execplane?passfile=/etc/ep/pgpass",
        "postgres://ep@127.0.0.1/journal"
    };
    for (size_t i = 0; i < 2; i++) {
        ep_config_t config, again;
        char text [256], err [512];
        snprintf (text, sizeof text, "router\n    journal = %s\n", urls [i]);
        assert_int_equal (s_load (text, &config, err, sizeof err), 0);
        assert_string_equal (config.journal, urls [i]);
        assert_int_equal (ep_config_save (&config, s_path), 0);
        assert_int_equal (ep_config_load (&again, s_path, err, sizeof err), 0);
        assert_string_equal (again.journal, urls [i]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_valid_file_is_read),
        cmocka_unit_test (test_an_unknown_key_names_the_line_and_the_nearest_key),
        cmocka_unit_test (test_an_unknown_section_names_the_line_and_the_nearest_section),
        cmocka_unit_test (test_a_section_or_key_given_twice_names_both_lines),
        cmocka_unit_test (test_misplaced_keys_are_refused),
        cmocka_unit_test (test_the_saved_file_is_read_back),
        cmocka_unit_test (test_relative_paths_are_the_files_folder),
        cmocka_unit_test (test_a_journal_url_is_not_a_path),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
