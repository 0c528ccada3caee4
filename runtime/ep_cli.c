/*  ep_cli: the shared command-line options.  */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ep_cli.h"
#include "ep_log.h"

//  The shared options' values: above any character, so never a program's.
enum {
    S_CONFIG = 0x100,
    S_CERT,
    S_INSECURE,
    S_LOG_JSON,
    S_VERSION,
    S_HELP
};

void
ep_cli_init (ep_cli_t *self, const char *program, const char *cert, int flags,
             ep_cli_usage_fn *usage)
{
    assert (self);
    assert (program);
    assert (usage);
    assert (!(flags & EP_CLI_CERT) || cert);
    memset (self, 0, sizeof *self);
    self->program = program;
    self->cert = cert;
    self->flags = flags;
    self->usage = usage;
    //  0, not 1: glibc starts over, as if no line had been read before
    optind = 0;
    opterr = 0;                         //  a usage error is one line, ours
}

//  The program's own options, then the shared ones it takes, then the end.
static void
s_options_build (ep_cli_t *self, const struct option *own)
{
    size_t count = 0;
    for (; own && own [count].name; count++) {
        assert (count < EP_CLI_OWN_MAX);
        assert (own [count].flag == NULL && own [count].val > 0 && own [count].val < 256
                && own [count].val != '?' && own [count].val != ':');
        self->options [count] = own [count];
    }
    static const struct {
        int flag;                       //  EP_CLI_* that brings it; 0: always
        struct option option;
    } shared [] = {
        { EP_CLI_CONFIG, { "config", required_argument, 0, S_CONFIG } },
        { EP_CLI_INSECURE, { "insecure", no_argument, 0, S_INSECURE } },
        { EP_CLI_CERT, { "cert", required_argument, 0, S_CERT } },
        { EP_CLI_LOG_JSON, { "log-json", no_argument, 0, S_LOG_JSON } },
        { 0, { "version", no_argument, 0, S_VERSION } },
        { 0, { "help", no_argument, 0, S_HELP } },
    };
    for (size_t i = 0; i < sizeof shared / sizeof shared [0]; i++)
        if (shared [i].flag == 0 || (self->flags & shared [i].flag))
            self->options [count++] = shared [i].option;
    self->options [count] = (struct option) { 0, 0, 0, 0 };
    self->built = true;
}

//  Says what was wrong with the line, in one line, and sets the exit code.
static int
s_refuse (ep_cli_t *self, char *argv [], int opt)
{
    //  The option as given: a long one up to its '=', or a short one's letter
    const char *given = argv [optind - 1];
    char text [64];
    if (strncmp (given, "--", 2) == 0)
        snprintf (text, sizeof text, "%.*s", (int) strcspn (given, "="), given);
    else
    if (optopt > 0 && optopt < 128)
        snprintf (text, sizeof text, "-%c", optopt);
    else
        snprintf (text, sizeof text, "%s", given);
    if (opt == ':')
        fprintf (stderr, "%s: option '%s' needs a value (try --help)\n", self->program, text);
    else
    if (optopt && strncmp (given, "--", 2) == 0)
        fprintf (stderr, "%s: option '%s' takes no value (try --help)\n", self->program, text);
    else
        fprintf (stderr, "%s: unknown option '%s' (try --help)\n", self->program, text);
    self->exit_code = 2;
    return EP_CLI_EXIT;
}

int
ep_cli_next (ep_cli_t *self, int argc, char *argv [], const struct option *own)
{
    assert (self);
    if (!self->built)
        s_options_build (self, own);
    const char *optstring = ":";        //  a missing value is ':', not '?'
    int opt;
    while ((opt = getopt_long (argc, argv, optstring, self->options, NULL)) != -1) {
        switch (opt) {
            case S_CONFIG:   self->config_path = optarg; break;
            case S_CERT:     self->cert = optarg; break;
            case S_INSECURE: self->insecure = true; break;
            case S_LOG_JSON:
                self->log_json = true;
                ep_log_json (true);
                break;
            case S_VERSION:
                printf ("%s (execplane) %s\n", self->program, EP_VERSION);
                self->exit_code = 0;
                return EP_CLI_EXIT;
            case S_HELP:
                self->usage (stdout);
                self->exit_code = 0;
                return EP_CLI_EXIT;
            case '?':
            case ':':
                return s_refuse (self, argv, opt);
            default:
                return opt;             //  the program's own
        }
    }
    if (!(self->flags & EP_CLI_ARGUMENTS) && optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s' (try --help)\n", self->program,
                 argv [optind]);
        self->exit_code = 2;
        return EP_CLI_EXIT;
    }
    if (self->flags & EP_CLI_CONFIG)
        ep_cli_config_find (self);
    return EP_CLI_DONE;
}

//  What ep_cli_config_note says; the file was given with --config
static char s_note [8192];
static bool s_given;

//  A file is there to read (or at least to try: not a folder)
static bool
s_is_file (const char *path)
{
    return access (path, F_OK) == 0;
}

void
ep_cli_config_find (ep_cli_t *self)
{
    assert (self);
    if (self->config_path) {
        if (!self->config_from)
            self->config_from = "--config";
        snprintf (s_note, sizeof s_note, "config %s (from --config)", self->config_path);
        s_given = true;
        return;
    }
    self->config_from = NULL;
    s_given = false;
    //  Each place, in order: where, how it is named in the note
    char user [sizeof self->config_found];
    const char *xdg = getenv ("XDG_CONFIG_HOME");
    const char *home = getenv ("HOME");
    if (xdg && *xdg == '/')
        snprintf (user, sizeof user, "%s/execplane/" EP_CLI_CONFIG_NAME, xdg);
    else
    if (home && *home)
        snprintf (user, sizeof user, "%s/.config/execplane/" EP_CLI_CONFIG_NAME, home);
    else
        *user = 0;                      //  no user folder to look in
    const char *env = getenv (EP_CLI_CONFIG_ENV);
    const struct { const char *path, *from, *shown; } place [] = {
        { env && *env ? env : NULL, EP_CLI_CONFIG_ENV, NULL },
        { EP_CLI_CONFIG_NAME, "the working folder", "./" EP_CLI_CONFIG_NAME },
        { *user ? user : NULL, "the user's", user },
        { EP_CLI_CONFIG_SYSTEM, "the system's", EP_CLI_CONFIG_SYSTEM },
    };
    char tried [sizeof s_note / 2] = "";
    for (size_t i = 0; i < sizeof place / sizeof place [0]; i++) {
        if (!place [i].path)
            continue;
        //  EXECPLANE_CONFIG is what the user asked for: used, there or not
        if (i == 0 || s_is_file (place [i].path)) {
            snprintf (self->config_found, sizeof self->config_found, "%s", place [i].path);
            self->config_path = self->config_found;
            self->config_from = place [i].from;
            snprintf (s_note, sizeof s_note, "config %s (from %s)", self->config_path,
                      place [i].from);
            return;
        }
        size_t used = strlen (tried);
        snprintf (tried + used, sizeof tried - used, "%s%s", used ? ", " : "", place [i].shown);
    }
    char cwd [4096];
    if (!getcwd (cwd, sizeof cwd))
        snprintf (cwd, sizeof cwd, "(unknown)");
    snprintf (s_note, sizeof s_note,
              "no config file (tried $" EP_CLI_CONFIG_ENV " (not set), %s), so the built-in "
              "defaults, relative to the working folder %.3900s", tried, cwd);
}

const char *
ep_cli_config_note (void)
{
    return s_note;
}

void
ep_cli_config_error (const char *program, const char *err)
{
    assert (program && err);
    if (*s_note == 0 || (s_given && strncmp (err, "config ", 7) == 0))
        fprintf (stderr, "%s: %s\n", program, err);
    else
        fprintf (stderr, "%s: %s; %s\n", program, err, s_note);
}

int
ep_cli_parse_one (ep_cli_t *self, int argc, char *argv [], const char *name,
                  const char **value)
{
    assert (self && name && value);
    const struct option own [] = {
        { name, required_argument, 0, 'o' },
        { 0, 0, 0, 0 }
    };
    *value = NULL;
    int opt;
    while ((opt = ep_cli_next (self, argc, argv, own)) > 0)
        *value = optarg;
    return opt;
}

int
ep_cli_number (const char *text, long long min, long long max, long long *value)
{
    assert (text);
    assert (value);
    char *end;
    errno = 0;
    long long number = strtoll (text, &end, 10);
    if (errno || *end || end == text || number < min || number > max)
        return -1;
    *value = number;
    return 0;
}
