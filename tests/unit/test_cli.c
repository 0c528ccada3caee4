/*  test_cli: the command line every program shares (ep_cli): the shared
    options are read for the program, its own are handed back, and --help,
    --version and bad usage end it with the contract's exit codes.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_cli.h"

static int s_usage_calls;               //  times the usage was printed
static FILE *s_usage_out;               //  where, the last time

static void
s_usage (FILE *out)
{
    s_usage_calls++;
    s_usage_out = out;
}

static const struct option s_own [] = {
    { "ready-file", required_argument, 0, 'r' },
    { "wait", no_argument, 0, 'w' },
    { 0, 0, 0, 0 }
};

//  Parses the line (argv [0] is the program) with flags; returns what
//  the last ep_cli_next said, the ready file and --wait seen in *ready,
//  *wait.
static int
s_parse (ep_cli_t *cli, int flags, char **argv, const char **ready, bool *wait)
{
    int argc = 0;
    while (argv [argc])
        argc++;
    s_usage_calls = 0;
    s_usage_out = NULL;
    ep_cli_init (cli, "ep-test", "tester", flags, s_usage);
    int opt;
    while ((opt = ep_cli_next (cli, argc, argv, s_own)) > 0) {
        if (opt == 'r' && ready)
            *ready = optarg;
        if (opt == 'w' && wait)
            *wait = true;
    }
    return opt;
}

static void
test_shared_options_are_read_and_own_ones_handed_back (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", "--config", "x.cfg", "--ready-file", "r.cfg", "--insecure",
                      "--cert", "other", "--wait", NULL };
    ep_cli_t cli;
    const char *ready = NULL;
    bool wait = false;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, &ready, &wait), EP_CLI_DONE);
    assert_string_equal (cli.config_path, "x.cfg");
    assert_string_equal (cli.cert, "other");
    assert_true (cli.insecure);
    assert_false (cli.log_json);
    assert_string_equal (ready, "r.cfg");
    assert_true (wait);
    assert_int_equal (s_usage_calls, 0);
}

static void
test_defaults_hold_when_the_line_says_nothing (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", NULL };
    ep_cli_t cli;
    //  No configuration to find (unless this machine has a system one)
    unsetenv (EP_CLI_CONFIG_ENV);
    unsetenv ("XDG_CONFIG_HOME");
    setenv ("HOME", "/nonexistent-home", 1);
    assert_int_equal (s_parse (&cli, EP_CLI_DAEMON, argv, NULL, NULL), EP_CLI_DONE);
    if (access (EP_CLI_CONFIG_SYSTEM, F_OK) != 0 && access (EP_CLI_CONFIG_NAME, F_OK) != 0) {
        assert_null (cli.config_path);
        assert_null (cli.config_from);
        assert_non_null (strstr (ep_cli_config_note (), "/nonexistent-home/.config/execplane/"
                                                        "execplane.zpl"));
    }
    assert_string_equal (cli.cert, "tester");
    assert_false (cli.insecure);
    assert_string_equal (cli.program, "ep-test");
}

static void
test_help_prints_the_usage_on_stdout_and_exits_0 (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", "--wait", "--help", "--bogus", NULL };
    ep_cli_t cli;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 0);
    assert_int_equal (s_usage_calls, 1);
    assert_ptr_equal (s_usage_out, stdout);
}

static void
test_version_exits_0_without_the_usage (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", "--version", NULL };
    ep_cli_t cli;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 0);
    assert_int_equal (s_usage_calls, 0);
}

//  Parses argv as s_parse does, with stderr caught into said (one call's)
static int
s_parse_said (ep_cli_t *cli, int flags, char **argv, char *said, size_t said_size)
{
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    FILE *caught = tmpfile ();
    assert_non_null (caught);
    dup2 (fileno (caught), STDERR_FILENO);
    int opt = s_parse (cli, flags, argv, NULL, NULL);
    fflush (stderr);
    dup2 (saved, STDERR_FILENO);
    close (saved);
    rewind (caught);
    size_t length = fread (said, 1, said_size - 1, caught);
    said [length] = 0;
    fclose (caught);
    return opt;
}

static void
test_a_bad_option_is_one_line_on_stderr_and_exits_2 (void **state)
{
    (void) state;
    char said [512];
    ep_cli_t cli;
    char *bogus [] = { "ep-test", "--wiat", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CLIENT, bogus, said, sizeof said), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
    assert_int_equal (s_usage_calls, 0);
    assert_string_equal (said, "ep-test: unknown option '--wiat' (try --help)\n");
    char *valued [] = { "ep-test", "--wiat=3", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CLIENT, valued, said, sizeof said), EP_CLI_EXIT);
    assert_string_equal (said, "ep-test: unknown option '--wiat' (try --help)\n");
    char *letter [] = { "ep-test", "-x", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CLIENT, letter, said, sizeof said), EP_CLI_EXIT);
    assert_string_equal (said, "ep-test: unknown option '-x' (try --help)\n");
    char *missing [] = { "ep-test", "--ready-file", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CONFIG, missing, said, sizeof said),
                      EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
    assert_int_equal (s_usage_calls, 0);
    assert_string_equal (said, "ep-test: option '--ready-file' needs a value (try --help)\n");
    char *extra [] = { "ep-test", "--wait=yes", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CONFIG, extra, said, sizeof said), EP_CLI_EXIT);
    assert_string_equal (said, "ep-test: option '--wait' takes no value (try --help)\n");
    char *argument [] = { "ep-test", "status", NULL };
    assert_int_equal (s_parse_said (&cli, EP_CLI_CONFIG, argument, said, sizeof said),
                      EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
    assert_string_equal (said, "ep-test: unexpected argument 'status' (try --help)\n");
}

static void
test_a_shared_option_the_program_does_not_take_is_bad_usage (void **state)
{
    (void) state;
    //  ep-keygen takes no --cert, ep-send no --log-json
    char *argv [] = { "ep-test", "--log-json", NULL };
    ep_cli_t cli;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
    char *cert [] = { "ep-test", "--cert", "x", NULL };
    assert_int_equal (s_parse (&cli, EP_CLI_CONFIG, cert, NULL, NULL), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
}

static void
test_an_argument_is_refused_unless_the_program_takes_arguments (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", "--wait", "status", NULL };
    ep_cli_t cli;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
    assert_int_equal (s_usage_calls, 0);

    bool wait = false;
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT | EP_CLI_ARGUMENTS, argv, NULL, &wait),
                      EP_CLI_DONE);
    assert_true (wait);
    assert_int_equal (optind, 2);
    assert_string_equal (argv [optind], "status");
}

static void
test_numbers_are_whole_and_within_their_range (void **state)
{
    (void) state;
    long long value = 0;
    assert_int_equal (ep_cli_number ("60", 1, 86400, &value), 0);
    assert_int_equal (value, 60);
    value = 7;
    assert_int_equal (ep_cli_number ("0", 1, 86400, &value), -1);
    assert_int_equal (ep_cli_number ("86401", 1, 86400, &value), -1);
    assert_int_equal (ep_cli_number ("5x", 1, 86400, &value), -1);
    assert_int_equal (ep_cli_number ("", 1, 86400, &value), -1);
    assert_int_equal (ep_cli_number ("99999999999999999999", 1, INT64_MAX, &value), -1);
    assert_int_equal (value, 7);        //  unchanged on refusal
}

//  A daemon's one option of its own, beside the shared ones
static void
test_one_own_option_is_read_beside_the_shared_ones (void **state)
{
    (void) state;
    char *argv [] = { "ep-test", "--ready-file", "r.cfg", "--config", "x.cfg", NULL };
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-test", "test", EP_CLI_DAEMON, s_usage);
    const char *ready = "not read";
    assert_int_equal (ep_cli_parse_one (&cli, 5, argv, "ready-file", &ready), EP_CLI_DONE);
    assert_string_equal (ready, "r.cfg");
    assert_string_equal (cli.config_path, "x.cfg");
    char *none [] = { "ep-test", "--insecure", NULL };
    ep_cli_init (&cli, "ep-test", "test", EP_CLI_DAEMON, s_usage);
    assert_int_equal (ep_cli_parse_one (&cli, 2, none, "ready-file", &ready), EP_CLI_DONE);
    assert_null (ready);
    char *bad [] = { "ep-test", "--ready-file", NULL };
    ep_cli_init (&cli, "ep-test", "test", EP_CLI_DAEMON, s_usage);
    assert_int_equal (ep_cli_parse_one (&cli, 2, bad, "ready-file", &ready), EP_CLI_EXIT);
    assert_int_equal (cli.exit_code, 2);
}

//  Writes an empty file at path
static void
s_touch (const char *path)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fclose (file);
}

//  Without --config: $EXECPLANE_CONFIG, ./execplane.zpl, the user's
//  ($XDG_CONFIG_HOME, else ~/.config), in that order; --config before all.
static void
test_the_configuration_is_looked_for_in_order (void **state)
{
    (void) state;
    char dir [] = "/tmp/test_cli.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [6][256], cwd [1024];
    const char *made [] = { "env.zpl", "work", "work/execplane.zpl", "xdg", "xdg/execplane",
                            "xdg/execplane/execplane.zpl", "home", "home/.config",
                            "home/.config/execplane", "home/.config/execplane/execplane.zpl" };
    for (size_t i = 0; i < sizeof made / sizeof made [0]; i++) {
        char at [512];
        snprintf (at, sizeof at, "%s/%s", dir, made [i]);
        if (strstr (made [i], ".zpl"))
            s_touch (at);
        else
            assert_int_equal (mkdir (at, 0700), 0);
    }
    snprintf (path [0], sizeof path [0], "%s/env.zpl", dir);
    snprintf (path [1], sizeof path [1], "%s/xdg", dir);
    snprintf (path [2], sizeof path [2], "%s/home", dir);
    snprintf (path [3], sizeof path [3], "%s/work", dir);
    snprintf (path [4], sizeof path [4], "%s/xdg/execplane/execplane.zpl", dir);
    snprintf (path [5], sizeof path [5], "%s/home/.config/execplane/execplane.zpl", dir);
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (path [3]), 0);
    setenv (EP_CLI_CONFIG_ENV, path [0], 1);
    setenv ("XDG_CONFIG_HOME", path [1], 1);
    setenv ("HOME", path [2], 1);
    ep_cli_t cli;
    char *given [] = { "ep-test", "--config", "given.zpl", NULL };
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, given, NULL, NULL), EP_CLI_DONE);
    assert_string_equal (cli.config_path, "given.zpl");
    assert_string_equal (cli.config_from, "--config");
    char *argv [] = { "ep-test", NULL };
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_DONE);
    assert_string_equal (cli.config_path, path [0]);
    assert_string_equal (cli.config_from, EP_CLI_CONFIG_ENV);
    setenv (EP_CLI_CONFIG_ENV, "", 1);      //  empty: as if not set
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_DONE);
    assert_string_equal (cli.config_path, EP_CLI_CONFIG_NAME);
    assert_string_equal (cli.config_from, "the working folder");
    unlink (EP_CLI_CONFIG_NAME);
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_DONE);
    assert_string_equal (cli.config_path, path [4]);
    assert_string_equal (cli.config_from, "the user's");
    unsetenv ("XDG_CONFIG_HOME");
    assert_int_equal (s_parse (&cli, EP_CLI_CLIENT, argv, NULL, NULL), EP_CLI_DONE);
    assert_string_equal (cli.config_path, path [5]);
    char note [1024];
    snprintf (note, sizeof note, "config %s (from the user's)", path [5]);
    assert_string_equal (ep_cli_config_note (), note);
    //  A program without --config looks for nothing
    assert_int_equal (s_parse (&cli, 0, argv, NULL, NULL), EP_CLI_DONE);
    assert_null (cli.config_path);
    unlink (path [5]);
    unlink (path [4]);
    unlink (path [0]);
    for (size_t i = sizeof made / sizeof made [0]; i-- > 0;) {
        char at [512];
        snprintf (at, sizeof at, "%s/%s", dir, made [i]);
        if (!strstr (made [i], ".zpl"))
            rmdir (at);
    }
    rmdir (dir);
    assert_int_equal (chdir (cwd), 0);
    unsetenv (EP_CLI_CONFIG_ENV);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_shared_options_are_read_and_own_ones_handed_back),
        cmocka_unit_test (test_defaults_hold_when_the_line_says_nothing),
        cmocka_unit_test (test_help_prints_the_usage_on_stdout_and_exits_0),
        cmocka_unit_test (test_version_exits_0_without_the_usage),
        cmocka_unit_test (test_a_bad_option_is_one_line_on_stderr_and_exits_2),
        cmocka_unit_test (test_a_shared_option_the_program_does_not_take_is_bad_usage),
        cmocka_unit_test (test_an_argument_is_refused_unless_the_program_takes_arguments),
        cmocka_unit_test (test_numbers_are_whole_and_within_their_range),
        cmocka_unit_test (test_one_own_option_is_read_beside_the_shared_ones),
        cmocka_unit_test (test_the_configuration_is_looked_for_in_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
