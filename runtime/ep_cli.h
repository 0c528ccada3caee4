/*  ep_cli: the command line every program shares.

    Every program takes --help and --version, and, as it needs them,
    --config FILE, --cert NAME, --insecure and --log-json, each spelt,
    answered and refused the same way everywhere (design/contract.md:
    exit 0 on success, 2 on bad usage). ep_cli_next is getopt_long with
    those options added: it handles them itself and hands the program's
    own options back, one at a time, to the program's switch:

        static const struct option own [] = {
            { "ready-file", required_argument, 0, 'r' },
            { 0, 0, 0, 0 }
        };
        ep_cli_t cli;
        ep_cli_init (&cli, "ep-router", "router", EP_CLI_DAEMON, s_usage);
        int opt;
        while ((opt = ep_cli_next (&cli, argc, argv, own)) > 0)
            switch (opt) {
                case 'r': ready_file = optarg; break;
            }
        if (opt == EP_CLI_EXIT)
            return cli.exit_code;
        //  cli.config_path, cli.cert, cli.insecure: what the line said

    Without --config, a program that takes it looks for the configuration
    (ep_cli_config_find, once every option is read): $EXECPLANE_CONFIG,
    then execplane.zpl in the working folder, then the user's
    ($XDG_CONFIG_HOME/execplane/execplane.zpl, ~/.config/... without it),
    then the system's (/etc/execplane/execplane.zpl); none: the built-in
    defaults. ep_cli_config_note says which, for error messages.

    --help prints the program's usage on stdout (exit 0), --version
    "PROGRAM (execplane) VERSION" (exit 0); a bad option, a missing value
    or an unexpected argument prints one line on stderr (exit 2):
    "PROGRAM: unknown option '--x' (try --help)".  */
#ifndef EP_CLI_H_INCLUDED
#define EP_CLI_H_INCLUDED

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

//  The shared options a program takes (--help and --version always).
#define EP_CLI_CONFIG     0x01          //  --config FILE
#define EP_CLI_CERT       0x02          //  --cert NAME (default: ep_cli_init's cert)
#define EP_CLI_INSECURE   0x04          //  --insecure
#define EP_CLI_LOG_JSON   0x08          //  --log-json: ep_log_json (true) when read
//  How it reads the rest.
#define EP_CLI_ARGUMENTS  0x10          //  arguments after the options are the program's
                                        //  (else one is refused: "unexpected argument")
//  The usual sets: a daemon's, and a client tool's.
#define EP_CLI_DAEMON (EP_CLI_CONFIG | EP_CLI_CERT | EP_CLI_INSECURE | EP_CLI_LOG_JSON)
#define EP_CLI_CLIENT (EP_CLI_CONFIG | EP_CLI_CERT | EP_CLI_INSECURE)

//  Most options of its own a program may have.
#define EP_CLI_OWN_MAX 24

//  What ep_cli_next returns besides a program's own option (> 0).
#define EP_CLI_DONE  0                  //  every option read: run
#define EP_CLI_EXIT (-1)                //  exit now with cli->exit_code

typedef void (ep_cli_usage_fn) (FILE *out);

typedef struct {
    const char *program;                //  "ep-router": messages and --version
    //  What the command line said (valid once ep_cli_next returned EP_CLI_DONE)
    const char *config_path;            //  --config FILE, else the one found; NULL: none
    const char *config_from;            //  how config_path was found ("--config",
                                        //  "EXECPLANE_CONFIG", ...); NULL: not found
    const char *cert;                   //  --cert NAME, else the program's default
    bool insecure;                      //  --insecure
    bool log_json;                      //  --log-json
    int exit_code;                      //  after EP_CLI_EXIT: 0 (--help, --version) or 2
    //  Private
    int flags;                          //  EP_CLI_* the program takes
    ep_cli_usage_fn *usage;             //  prints the --help text
    bool built;                         //  options [] is filled in
    struct option options [EP_CLI_OWN_MAX + 7];    //  own + shared + the end
    char config_found [4096];           //  config_path when looked up
} ep_cli_t;

//  Where the configuration is looked for without --config, in this order
#define EP_CLI_CONFIG_ENV    "EXECPLANE_CONFIG"
#define EP_CLI_CONFIG_NAME   "execplane.zpl"
#define EP_CLI_CONFIG_SYSTEM "/etc/execplane/execplane.zpl"

//  Sets up self for program (its name in messages, "ep-router"), whose
//  certificate defaults to cert (NULL without EP_CLI_CERT), taking the
//  shared options flags names, with usage printing its --help text.
//  Starts getopt over (optind), so a test may parse more than one line.
void ep_cli_init (ep_cli_t *self, const char *program, const char *cert, int flags,
                  ep_cli_usage_fn *usage);

//  Reads the next option of argv. Returns one of own's (its val, which
//  must be from 1 to 255, with optarg set as getopt_long sets it) for the
//  program to act on; EP_CLI_DONE once every option is read (optind is
//  then the first argument, if EP_CLI_ARGUMENTS); or EP_CLI_EXIT, with
//  self->exit_code, after --help, --version or bad usage (already said).
//  Pass the same own (NULL: none) on every call.
int ep_cli_next (ep_cli_t *self, int argc, char *argv [], const struct option *own);

//  Looks for the configuration as a program without --config does (see
//  above; ep_cli_next calls it): sets self->config_path and config_from,
//  or leaves them NULL when no file is there (the built-in defaults).
//  $EXECPLANE_CONFIG, when set and not empty, is used even if no such file
//  exists (loading it then says so). Also sets what ep_cli_config_note says.
void ep_cli_config_find (ep_cli_t *self);

//  One phrase naming the configuration this process uses, for a message
//  about its configuration: "config FILE (from EXECPLANE_CONFIG)", or "no
//  config file (tried: ...), the built-in defaults in the working folder
//  DIR". "" before ep_cli_config_find ran (--config: names the file too).
const char *ep_cli_config_note (void);

//  Prints "PROGRAM: ERR" on stderr, then, unless ERR already names the file
//  given with --config, "; " and ep_cli_config_note (): every error about
//  the configuration says which file was used, or which places were tried.
void ep_cli_config_error (const char *program, const char *err);

//  Reads the whole command line of a program with one option of its own,
//  --name VALUE, beside the shared ones: *value is VALUE (NULL if not
//  given). Returns EP_CLI_DONE, or EP_CLI_EXIT as ep_cli_next does.
int ep_cli_parse_one (ep_cli_t *self, int argc, char *argv [], const char *name,
                      const char **value);

//  Reads text as a whole number from min to max. Returns 0 with *value,
//  or -1 (the caller says why, in its own words).
int ep_cli_number (const char *text, long long min, long long max, long long *value);

#endif
