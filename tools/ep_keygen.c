/*  ep-keygen: writes CURVE certificate pairs whose metadata carries what
    the router's allow-list reads: the role, a worker's plane, the strategy
    ids a strategy or safety key may speak for. Prints the public key and
    the paths; the secret key goes to its 0600 file and nowhere else.  */
#include <czmq.h>
#include <sys/stat.h>
#include "ep_cli.h"
#include "ep_config.h"
#include "ep_identity.h"
#include "ep_roles.h"
#include "ep_wire.h"

#define S_STRATEGIES_SIZE sizeof (((ep_key_info_t *) 0)->strategies)

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-keygen --role ROLE --name NAME [--strategy ID ...] [--plane paper|live] [--certs DIR] [--config FILE] [--force]\n"
        "  or:  ep-keygen --set [--strategy ID ...] [--certs DIR] [--config FILE]\n"
        "\n"
        "Writes a CURVE certificate pair: DIR/public/NAME (mode 0644), which the\n"
        "router admits for as long as it is there, and DIR/NAME_secret (mode 0600),\n"
        "which the program running as NAME reads. Prints the public key and the two\n"
        "paths, never the secret key. Removing DIR/public/NAME revokes the key within\n"
        "seconds, with no restart.\n"
        "\n"
        "  --role ROLE     router, worker, strategy, meta, safety or monitor\n"
        "  --name NAME     the certificate's name: 1 to 64 of [A-Za-z0-9._-], not\n"
        "                  starting with '.' nor ending in _secret\n"
        "  --strategy ID   a strategy id the key may speak for (repeat it for more);\n"
        "                  required for, and only for, --role strategy and safety\n"
        "  --plane PLANE   paper or live: the plane a worker serves; required for,\n"
        "                  and only for, --role worker\n"
        "  --certs DIR     the certificates folder, created 0700 if missing\n"
        "                  (default: security/certs of the configuration, var/certs)\n"
        "  --config FILE   ZPL configuration (default: $EXECPLANE_CONFIG,\n"
        "                  ./execplane.zpl, ~/.config/execplane/execplane.zpl,\n"
        "                  /etc/execplane/execplane.zpl; none: built-in defaults)\n"
        "  --force         replace an existing NAME with a new key pair (the old key\n"
        "                  is refused from then on)\n"
        "  --set           write each missing pair of the default set the daemons and\n"
        "                  tools use: router, paper (worker, plane paper), live (worker,\n"
        "                  plane live), strategy, meta, safety, monitor; the strategy and\n"
        "                  safety keys speak for the --strategy ids (default: demo).\n"
        "                  Existing files are kept, and a pair with one half missing\n"
        "                  is left as it is (a removed public certificate stays revoked)\n"
        "  --version       print the version and exit\n"
        "  --help          this text\n"
        "\n"
        "Exit: 0 done, 1 NAME exists or a file could not be written, 2 bad usage or\n"
        "configuration.\n");
}

//  Adds id to the comma-separated list unless it is there already.
//  Returns 0, or -1 with a one-line error on stderr.
static int
s_strategy_add (char *list, size_t size, const char *id)
{
    if (!ep_id_valid (id)) {
        fprintf (stderr, "ep-keygen: --strategy '%.64s' is not a valid strategy id "
                 "(1 to 64 of [A-Za-z0-9._:-])\n", id);
        return -1;
    }
    ep_key_info_t probe = { .role = EP_ROLE_STRATEGY };
    snprintf (probe.strategies, sizeof probe.strategies, "%s", list);
    if (ep_key_info_speaks_for (&probe, id))
        return 0;
    size_t len = strlen (list);
    if (len + 1 + strlen (id) >= size) {
        fprintf (stderr, "ep-keygen: too many --strategy ids (%zu characters at most, "
                 "commas included)\n", size - 1);
        return -1;
    }
    if (len)
        strcat (list, ",");
    strcat (list, id);
    return 0;
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

//  Writes one pair and prints what it wrote (on one line when in_set).
//  Returns 0, or 1 with a one-line error on stderr.
static int
s_pair_write (const char *dir, ep_role_t role, const char *name, const char *plane,
              const char *strategies, bool force, bool in_set)
{
    char *public_path = zsys_sprintf ("%s/public/%s", dir, name);
    char *secret_path = zsys_sprintf ("%s/%s_secret", dir, name);
    int rc = 1;
    zcert_t *cert = NULL;
    if (!public_path || !secret_path)
        fprintf (stderr, "ep-keygen: out of memory\n");
    else
    if (!force && (s_exists (public_path) || s_exists (secret_path)))
        fprintf (stderr, "ep-keygen: %s already exists (--force replaces the pair with a "
                 "new key)\n", s_exists (public_path) ? public_path : secret_path);
    else
    if (!(cert = zcert_new ()))
        fprintf (stderr, "ep-keygen: cannot make a key pair\n");
    else {
        zcert_set_meta (cert, "role", "%s", ep_role_name (role));
        zcert_set_meta (cert, "name", "%s", name);
        if (role == EP_ROLE_WORKER)
            zcert_set_meta (cert, "plane", "%s", plane);
        if (role == EP_ROLE_STRATEGY || role == EP_ROLE_SAFETY)
            zcert_set_meta (cert, "strategies", "%s", strategies);
        zcert_set_meta (cert, "created-by", "ep-keygen");
        char err [1024];
        if (ep_identity_save (cert, dir, name, force, err, sizeof err))
            fprintf (stderr, "ep-keygen: %s\n", err);
        else {
            if (in_set)
                printf ("wrote %s (%s): public key %s, %s, %s\n", name, ep_role_name (role),
                        zcert_public_txt (cert), public_path, secret_path);
            else
                printf ("public-key: %s\npublic: %s\nsecret: %s\n", zcert_public_txt (cert),
                        public_path, secret_path);
            rc = 0;
        }
        //  The pair is on disk; no copy of the secret stays in memory
        explicit_bzero ((void *) zcert_secret_txt (cert), strlen (zcert_secret_txt (cert)));
        explicit_bzero ((void *) zcert_secret_key (cert), 32);
        zcert_destroy (&cert);
    }
    zstr_free (&public_path);
    zstr_free (&secret_path);
    return rc;
}

//  Writes each missing pair of the default set. Returns 0 or 1.
static int
s_set_write (const char *dir, const char *strategies)
{
    static const struct {
        const char *name;               //  the certificate's name
        ep_role_t role;                 //  its role
        const char *plane;              //  a worker's plane
    } set [] = {
        { "router", EP_ROLE_ROUTER, NULL },
        { "paper", EP_ROLE_WORKER, "paper" },
        { "live", EP_ROLE_WORKER, "live" },
        { "strategy", EP_ROLE_STRATEGY, NULL },
        { "meta", EP_ROLE_META, NULL },
        { "safety", EP_ROLE_SAFETY, NULL },
        { "monitor", EP_ROLE_MONITOR, NULL },
    };
    for (size_t i = 0; i < sizeof set / sizeof set [0]; i++) {
        char *public_path = zsys_sprintf ("%s/public/%s", dir, set [i].name);
        char *secret_path = zsys_sprintf ("%s/%s_secret", dir, set [i].name);
        bool has_public = s_exists (public_path), has_secret = s_exists (secret_path);
        int rc = 0;
        if (has_public && has_secret)
            printf ("kept %s: %s and %s exist\n", set [i].name, public_path, secret_path);
        else
        if (has_public || has_secret)
            //  Re-issuing would undo a revocation (a public certificate
            //  removed on purpose) or orphan a key someone holds
            printf ("kept %s: only %s exists; ep-keygen --role %s --name %s --force issues a "
                    "new pair\n", set [i].name, has_public ? public_path : secret_path,
                    ep_role_name (set [i].role), set [i].name);
        else
            rc = s_pair_write (dir, set [i].role, set [i].name, set [i].plane, strategies,
                               false, true);
        zstr_free (&public_path);
        zstr_free (&secret_path);
        if (rc)
            return rc;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    static const struct option own [] = {
        { "role", required_argument, 0, 'r' },
        { "name", required_argument, 0, 'n' },
        { "strategy", required_argument, 0, 's' },
        { "plane", required_argument, 0, 'p' },
        { "certs", required_argument, 0, 'd' },
        { "force", no_argument, 0, 'f' },
        { "set", no_argument, 0, 'S' },
        { 0, 0, 0, 0 }
    };
    const char *certs = NULL, *role_name = NULL, *name = NULL;
    const char *plane = NULL;
    char strategies [S_STRATEGIES_SIZE] = "";
    bool force = false, set = false;
    //  One line of our own for a bad option, instead of getopt's
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-keygen", NULL, EP_CLI_CONFIG, s_usage);
    int opt;
    while ((opt = ep_cli_next (&cli, argc, argv, own)) > 0) {
        switch (opt) {
            case 'r': role_name = optarg; break;
            case 'n': name = optarg; break;
            case 's': if (s_strategy_add (strategies, sizeof strategies, optarg)) return 2; break;
            case 'p': plane = optarg; break;
            case 'd': certs = optarg; break;
            case 'f': force = true; break;
            case 'S': set = true; break;
        }
    }
    if (opt == EP_CLI_EXIT)
        return cli.exit_code;
    ep_role_t role = EP_ROLE_NONE;
    if (set) {
        if (role_name || name || plane || force) {
            fprintf (stderr, "ep-keygen: --set takes no --role, --name, --plane or --force\n");
            return 2;
        }
        if (!*strategies)
            strcpy (strategies, "demo");
    }
    else {
        if (!role_name || !name) {
            fprintf (stderr, "ep-keygen: --role and --name are required, or --set (try --help)\n");
            return 2;
        }
        role = ep_role_parse (role_name);
        if (role == EP_ROLE_NONE) {
            fprintf (stderr, "ep-keygen: unknown role '%.64s' (router, worker, strategy, meta, "
                     "safety or monitor)\n", role_name);
            return 2;
        }
        if (!ep_roles_name_valid (name)) {
            fprintf (stderr, "ep-keygen: --name '%.80s' is not valid (1 to 64 of [A-Za-z0-9._-], "
                     "not starting with '.' nor ending in _secret)\n", name);
            return 2;
        }
        if (role == EP_ROLE_WORKER && !plane) {
            fprintf (stderr, "ep-keygen: --role worker needs --plane paper or live\n");
            return 2;
        }
        if (plane && role != EP_ROLE_WORKER) {
            fprintf (stderr, "ep-keygen: --plane is only for --role worker\n");
            return 2;
        }
        if (plane && !streq (plane, "paper") && !streq (plane, "live")) {
            fprintf (stderr, "ep-keygen: --plane takes paper or live, not '%.64s'\n", plane);
            return 2;
        }
        bool speaks = role == EP_ROLE_STRATEGY || role == EP_ROLE_SAFETY;
        if (speaks && !*strategies) {
            fprintf (stderr, "ep-keygen: --role %s needs at least one --strategy ID\n", role_name);
            return 2;
        }
        if (!speaks && *strategies) {
            fprintf (stderr, "ep-keygen: --strategy is only for --role strategy and safety\n");
            return 2;
        }
    }
    ep_config_t config;
    char err [512];
    if (ep_config_load (&config, cli.config_path, err, sizeof err)) {
        ep_cli_config_error ("ep-keygen", err);
        return 2;
    }
    const char *dir = certs ? certs : config.certs;
    if (!*dir) {
        fprintf (stderr, "ep-keygen: the certificates folder is empty text\n");
        return 2;
    }
    if (!zsys_has_curve ()) {
        fprintf (stderr, "ep-keygen: this libzmq was built without CURVE\n");
        return 1;
    }
    if (set)
        return s_set_write (dir, strategies);
    return s_pair_write (dir, role, name, plane, strategies, force, false);
}
