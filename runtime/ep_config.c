/*  ep_config: defaults, ZPL file loading and saving.  */
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_config.h"
#include "ep_decimal.h"
#include "ep_endpoints.h"
#include "ep_metrics.h"

//  S_PATH: a string that names a file or folder; written relative in a
//  file, it is relative to that file's folder (ep_config.h).
typedef enum { S_STRING, S_PATH, S_INT, S_BOOL, S_DECIMAL } s_kind_t;

typedef struct {
    const char *path;           //  ZPL path, section/key
    s_kind_t kind;              //  how the value is parsed
    size_t offset;              //  where in ep_config_t it goes
    size_t size;                //  buffer size for strings
    int64_t min, max;           //  range for numbers
    const char *fallback;       //  the built-in default, as text
} s_key_t;

#define S_STR(path, field, def) \
    { path, S_STRING, offsetof (ep_config_t, field), sizeof (((ep_config_t *) 0)->field), 0, 0, def }
#define S_FILE(path, field, def) \
    { path, S_PATH, offsetof (ep_config_t, field), sizeof (((ep_config_t *) 0)->field), 0, 0, def }
#define S_NUM(path, field, lo, hi, def) \
    { path, S_INT, offsetof (ep_config_t, field), 0, lo, hi, def }

static const s_key_t s_keys [] = {
    S_STR ("router/intake",   intake,   "tcp://127.0.0.1:5550"),
    S_STR ("router/outcomes", outcomes, "tcp://127.0.0.1:5551"),
    S_STR ("router/control",  control,  "tcp://127.0.0.1:5552"),
    S_STR ("router/dispatch", dispatch, "tcp://127.0.0.1:5553"),
    S_STR ("router/results",  results,  "tcp://127.0.0.1:5554"),
    S_STR ("router/query",    query,    "tcp://127.0.0.1:5555"),
    S_NUM ("router/member",   member,   0, EP_ENDPOINTS_MAX, "0"),
    S_FILE ("router/journal",  journal,  "var/journal.db"),
    S_NUM ("router/paper_deadline_ms", paper_deadline_ms, 1, 86400000, "2000"),
    S_NUM ("router/live_deadline_ms",  live_deadline_ms,  1, 86400000, "30000"),
    S_NUM ("router/worker_timeout_ms", worker_timeout_ms, 10, 3600000, "1000"),
    S_NUM ("router/heartbeat_ms",      heartbeat_ms,      1, 60000, "100"),
    S_NUM ("router/takeover_ms",       takeover_ms,       10, 600000, "1000"),
    S_STR ("router/journal_sync", journal_sync, "full"),
    S_NUM ("router/drain_ms", drain_ms, 0, 600000, "5000"),
    S_NUM ("router/hwm",      hwm,      100, 10000000, "100000"),
    S_NUM ("router/socket_buffer", socket_buffer, 0, 64 * 1024 * 1024, "0"),
    S_STR ("router/metrics", router_metrics, ""),
    S_NUM ("paper/slippage_bps", slippage_bps, 0, 9999, "0"),   //  10000 would sell at 0
    { "paper/liquidity_cap", S_DECIMAL, offsetof (ep_config_t, liquidity_cap_e8), 0,
      0, INT64_MAX, "0" },
    S_STR ("paper/metrics", paper_metrics, ""),
    S_FILE ("paper/instruments", paper_instruments, ""),
    S_STR ("paper/description", paper_description, ""),
    S_STR ("live/venue",    venue,    "binance"),
    S_STR ("live/base_url", base_url, "https://testnet.binance.vision"),
    S_FILE ("live/keys",     keys,     "var/venue.keys"),
    S_FILE ("live/audit",    audit,    "var/live-audit.db"),
    S_NUM ("live/recv_window_ms",     recv_window_ms,     1, 60000, "5000"),
    S_NUM ("live/connect_timeout_ms", connect_timeout_ms, 1, 60000, "3000"),
    S_NUM ("live/timeout_ms",         timeout_ms,         1, 600000, "15000"),
    S_NUM ("live/poll_ms",            poll_ms,            10, 3600000, "1000"),
    S_NUM ("live/clock_check_ms",     clock_check_ms,     1000, 86400000, "300000"),
    S_NUM ("live/clock_max_offset_ms", clock_max_offset_ms, 1, 3600000, "10000"),
    S_NUM ("live/rules_refresh_ms",   rules_refresh_ms,   10000, 604800000, "3600000"),
    S_STR ("live/description", live_description, ""),
    S_STR ("live/stream_url", stream_url, "auto"),
    S_NUM ("live/stream_ping_ms",  stream_ping_ms,  100, 60000, "10000"),
    S_NUM ("live/stream_stall_ms", stream_stall_ms, 200, 600000, "30000"),
    S_NUM ("live/stream_poll_ms",  stream_poll_ms,  1000, 86400000, "60000"),
    S_NUM ("live/stream_backoff_max_ms", stream_backoff_max_ms, 100, 3600000, "30000"),
    S_STR ("live/metrics",  live_metrics, ""),
    { "security/curve", S_BOOL, offsetof (ep_config_t, curve), 0, 0, 1, "1" },
    S_FILE ("security/certs", certs, "var/certs"),
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys [0])
#define S_MAX_BYTES (1 << 20)             //  a configuration file larger is refused

//  Stores text as the key's value; returns 0 or -1 with err set.
static int
s_set (ep_config_t *config, const s_key_t *key, const char *text, char *err, size_t err_size)
{
    char *field = (char *) config + key->offset;
    if (key->kind == S_STRING || key->kind == S_PATH) {
        if (strlen (text) >= key->size) {
            snprintf (err, err_size, "%s: value longer than %zu characters", key->path, key->size - 1);
            return -1;
        }
        strcpy (field, text);
        return 0;
    }
    if (key->kind == S_DECIMAL) {
        int64_t value;
        ep_decimal_error_t rc = ep_decimal_parse (text, false, &value);
        if (rc != EP_DECIMAL_OK) {
            snprintf (err, err_size, "%s: %s (\"%s\")", key->path, ep_decimal_strerror (rc), text);
            return -1;
        }
        memcpy (field, &value, sizeof value);
        return 0;
    }
    char *end;
    errno = 0;
    long long value = strtoll (text, &end, 10);
    if (errno || end == text || *end || value < key->min || value > key->max) {
        snprintf (err, err_size, "%s: expected a whole number from %lld to %lld, got \"%s\"",
                  key->path, (long long) key->min, (long long) key->max, text);
        return -1;
    }
    if (key->kind == S_BOOL) {
        bool flag = value != 0;
        memcpy (field, &flag, sizeof flag);
    }
    else {
        int64_t v = value;
        memcpy (field, &v, sizeof v);
    }
    return 0;
}

//  Levenshtein distance between a and b (short names: a row on the stack).
static size_t
s_distance (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    if (lb > 127)
        lb = 127;
    size_t row [128];
    for (size_t j = 0; j <= lb; j++)
        row [j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row [0];
        row [0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row [j];
            size_t best = diagonal + (a [i - 1] != b [j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row [j - 1] + 1 < best)
                best = row [j - 1] + 1;
            row [j] = best;
            diagonal = above;
        }
    }
    return row [lb];
}

//  The known section (the first segment of a key's path) nearest to name,
//  or a known key's path nearest to name; into out.
static void
s_nearest (const char *name, bool section, char *out, size_t out_size)
{
    size_t best = SIZE_MAX;
    *out = 0;
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        char known [128];
        snprintf (known, sizeof known, "%s", s_keys [i].path);
        if (section)
            *strchr (known, '/') = 0;
        size_t distance = s_distance (name, known);
        if (distance < best) {
            best = distance;
            snprintf (out, out_size, "%s", known);
        }
    }
}

static bool
s_known (const char *name, bool section)
{
    size_t length = strlen (name);
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (section ? strncmp (s_keys [i].path, name, length) == 0
                      && s_keys [i].path [length] == '/'
                    : strcmp (s_keys [i].path, name) == 0)
            return true;
    return false;
}

//  The strict check of the file's names, line by line (zconfig keeps no
//  line numbers): every section and key must be known, and no section or
//  key given twice. ZPL: a section is a name at indent 0, alone or as
//  "name = value"; its keys are indented by 4 spaces; '#' starts a comment.
//  Returns 0, or -1 with err naming the file, the line and, for an unknown
//  name, the nearest known one.
static int
s_check_names (const char *path, char *err, size_t err_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, err_size, "config %s: %s", path, strerror (errno));
        return -1;
    }
    //  Where each known section and key was first seen (0: not yet)
    size_t section_line [S_KEY_COUNT] = { 0 };
    size_t key_line [S_KEY_COUNT] = { 0 };
    char section [128] = "";
    size_t section_at = 0;              //  0: no section yet
    char line [4096];
    size_t number = 0;
    int rc = 0;
    while (rc == 0 && fgets (line, sizeof line, file)) {
        number++;
        if (!strchr (line, '\n'))      //  a longer line: its name is in the first part
            for (int c = getc (file); c != EOF && c != '\n'; c = getc (file))
                ;
        size_t indent = 0;
        while (line [indent] == ' ')
            indent++;
        char *name = line + indent;
        if (*name == '#' || *name == '\n' || *name == '\r' || *name == 0)
            continue;
        if (*name == '\t') {
            snprintf (err, err_size, "config %s line %zu: indent with spaces, not tabs",
                      path, number);
            rc = -1;
            break;
        }
        size_t length = strcspn (name, " \t=#\r\n");
        if (length == 0 || length >= 64) {
            snprintf (err, err_size, "config %s line %zu: expected a name", path, number);
            rc = -1;
            break;
        }
        name [length] = 0;
        if (indent == 0) {
            if (!s_known (name, true)) {
                char near [128];
                s_nearest (name, true, near, sizeof near);
                snprintf (err, err_size,
                          "config %s line %zu: unknown section %s (did you mean %s?)",
                          path, number, name, near);
                rc = -1;
                break;
            }
            //  The section's first key stands for it
            for (size_t i = 0; i < S_KEY_COUNT; i++)
                if (strncmp (s_keys [i].path, name, length) == 0
                &&  s_keys [i].path [length] == '/') {
                    if (section_line [i]) {
                        snprintf (err, err_size,
                                  "config %s line %zu: section %s given twice (first at line %zu)",
                                  path, number, name, section_line [i]);
                        rc = -1;
                    }
                    section_line [i] = number;
                    break;
                }
            snprintf (section, sizeof section, "%.63s", name);
            section_at = number;
            continue;
        }
        char full [256];
        snprintf (full, sizeof full, "%.63s/%.63s", section, name);
        if (section_at == 0) {
            snprintf (err, err_size, "config %s line %zu: key %s before any section",
                      path, number, name);
            rc = -1;
            break;
        }
        if (indent != 4) {
            snprintf (err, err_size, "config %s line %zu: %s indented by %zu spaces "
                      "(a key is indented by 4 under its section)", path, number, name, indent);
            rc = -1;
            break;
        }
        size_t k = 0;
        while (k < S_KEY_COUNT && strcmp (s_keys [k].path, full))
            k++;
        if (k == S_KEY_COUNT) {
            char near [128];
            s_nearest (full, false, near, sizeof near);
            snprintf (err, err_size, "config %s line %zu: unknown key %s (did you mean %s?)",
                      path, number, full, near);
            rc = -1;
            break;
        }
        if (key_line [k]) {
            snprintf (err, err_size, "config %s line %zu: key %s given twice (first at line %zu)",
                      path, number, full, key_line [k]);
            rc = -1;
            break;
        }
        key_line [k] = number;
    }
    fclose (file);
    return rc;
}

//  The folder of the file at path, absolute (the working folder's for a
//  relative path), into folder: "" for a file at the root. Returns 0, or
//  -1 if the working folder cannot be named or it does not fit.
static int
s_folder_of (const char *path, char *folder, size_t size)
{
    const char *slash = strrchr (path, '/');
    int length = slash ? (int) (slash - path) : 0;
    int written;
    if (*path == '/')
        written = snprintf (folder, size, "%.*s", length, path);
    else {
        char cwd [EP_PATH_MAX];
        if (!getcwd (cwd, sizeof cwd))
            return -1;
        written = slash ? snprintf (folder, size, "%s/%.*s", strcmp (cwd, "/") ? cwd : "",
                                    length, path)
                        : snprintf (folder, size, "%s", strcmp (cwd, "/") ? cwd : "");
    }
    return written < 0 || (size_t) written >= size ? -1 : 0;
}

//  Whether the value of a path key is a URL rather than a path: a
//  PostgreSQL connection string (router/journal), never resolved as a file.
static bool
s_is_url (const char *value)
{
    return strncmp (value, "postgresql://", 13) == 0 || strncmp (value, "postgres://", 11) == 0;
}

//  Makes the path in field (of size bytes), if relative and not empty,
//  relative to folder instead (folder/field). Returns 0, or -1 if it does
//  not fit.
static int
s_anchor (char *field, size_t size, const char *folder)
{
    if (*field == 0 || *field == '/' || s_is_url (field))
        return 0;
    char joined [EP_PATH_MAX * 2 + 2];
    snprintf (joined, sizeof joined, "%s/%s", folder, field);
    if (strlen (joined) >= size)
        return -1;
    strcpy (field, joined);
    return 0;
}

//  The ZPL tree of the file at path, or NULL if it cannot be read or is
//  not ZPL. (Read here and parsed from memory: CZMQ's zconfig_load leaks
//  its file handle when the text is not ZPL.)
static zconfig_t *
s_load (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *memory = open_memstream (&text, &size);
    char block [4096];
    size_t got, total = 0;
    bool failed = !memory;
    while (!failed && (got = fread (block, 1, sizeof block, file)) > 0) {
        total += got;
        failed = fwrite (block, 1, got, memory) != got || total > S_MAX_BYTES;
    }
    failed = failed || ferror (file);
    fclose (file);
    if (memory)
        fclose (memory);
    zconfig_t *root = failed || !text ? NULL : zconfig_str_load (text);
    free (text);
    return root;
}

int
ep_config_load (ep_config_t *config, const char *path, char *err, size_t err_size)
{
    memset (config, 0, sizeof *config);
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_set (config, &s_keys [i], s_keys [i].fallback, err, err_size))
            return -1;
    if (!path)
        return 0;
    if (!zsys_file_exists (path)) {
        snprintf (err, err_size, "config %s: no such file", path);
        return -1;
    }
    if (zsys_file_mode (path) != -1 && S_ISDIR (zsys_file_mode (path))) {
        snprintf (err, err_size, "config %s: is a folder, not a file", path);
        return -1;
    }
    if (s_check_names (path, err, err_size))
        return -1;
    zconfig_t *root = s_load (path);
    if (!root) {
        snprintf (err, err_size, "config %s: not a valid ZPL file", path);
        return -1;
    }
    char folder [EP_PATH_MAX];
    int rc = 0;
    errno = 0;
    if (s_folder_of (path, folder, sizeof folder)) {
        snprintf (err, err_size, "config %s: cannot name its folder: %s", path,
                  errno ? strerror (errno) : "too long");
        rc = -1;
    }
    for (size_t i = 0; i < S_KEY_COUNT && rc == 0; i++) {
        zconfig_t *item = zconfig_locate (root, s_keys [i].path);
        if (item && zconfig_value (item)) {
            char sub [512];
            rc = s_set (config, &s_keys [i], zconfig_value (item), sub, sizeof sub);
            if (rc)
                snprintf (err, err_size, "config %s: %s", path, sub);
            //  Written in the file: relative to the file's folder
            else
            if (s_keys [i].kind == S_PATH
            &&  s_anchor ((char *) config + s_keys [i].offset, s_keys [i].size, folder)) {
                snprintf (err, err_size, "config %s: %s: longer than %zu characters "
                          "once relative to %s", path, s_keys [i].path, s_keys [i].size - 1,
                          folder);
                rc = -1;
            }
        }
    }
    zconfig_destroy (&root);
    //  Endpoint lists, one endpoint per router (ep_endpoints.h)
    char lists [512];
    if (rc == 0 && ep_endpoints_check (config, lists, sizeof lists)) {
        snprintf (err, err_size, "config %s: %s", path, lists);
        rc = -1;
    }
    if (rc == 0 && strcmp (config->journal_sync, "full") && strcmp (config->journal_sync, "normal")) {
        snprintf (err, err_size, "config %s: router/journal_sync must be full or normal", path);
        rc = -1;
    }
    const char *metrics [] = { config->router_metrics, config->paper_metrics, config->live_metrics };
    const char *section [] = { "router", "paper", "live" };
    for (int i = 0; i < 3 && rc == 0; i++) {
        char sub [512];
        if (*metrics [i] && ep_metrics_address_check (metrics [i], sub, sizeof sub)) {
            snprintf (err, err_size, "config %s: %s/%s", path, section [i], sub);
            rc = -1;
        }
    }
    return rc;
}

int
ep_config_save (const ep_config_t *config, const char *path)
{
    zconfig_t *root = zconfig_new ("root", NULL);
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        const s_key_t *key = &s_keys [i];
        const char *field = (const char *) config + key->offset;
        char text [EP_PATH_MAX];
        if (key->kind == S_STRING)
            snprintf (text, sizeof text, "%s", field);
        else
        if (key->kind == S_PATH) {
            //  A relative path here is the working folder's (a built-in
            //  default): written absolute, so the file means the same
            //  wherever it is read from
            snprintf (text, sizeof text, "%s", field);
            char folder [EP_PATH_MAX];
            if (*field && *field != '/' && !s_is_url (field)
            &&  (s_folder_of ("x", folder, sizeof folder)
                 || s_anchor (text, sizeof text, folder))) {
                zconfig_destroy (&root);
                return -1;
            }
        }
        else
        if (key->kind == S_BOOL)
            snprintf (text, sizeof text, "%d", *(const bool *) field ? 1 : 0);
        else {
            int64_t v;
            memcpy (&v, field, sizeof v);
            if (key->kind == S_DECIMAL) {
                char buf [EP_DECIMAL_BUFSIZE];
                snprintf (text, sizeof text, "%s", ep_decimal_format (v, buf));
            }
            else
                snprintf (text, sizeof text, "%lld", (long long) v);
        }
        zconfig_put (root, key->path, text);
    }
    char tmp [EP_PATH_MAX + 8];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    int rc = zconfig_save (root, tmp);
    zconfig_destroy (&root);
    if (rc == 0 && rename (tmp, path))
        rc = -1;
    return rc;
}
