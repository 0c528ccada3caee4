/*  ep_certs: the allow-list of public certificates, indexed by key, and a
    program's own secret certificate.

    Certificates are zcert objects in zcert's file format, but the files are
    read here rather than with zcert_load, which in CZMQ 4.2.1 reads
    FILE_secret in place of FILE when there is one, cuts paths at 255
    characters, accepts a key that is not valid Z85 (half decoded), and
    lets zconfig print the text of a bad line on stdout: a damaged secret
    file would put key material there, and into ep-tap's JSON output.  */
#define _GNU_SOURCE                     //  mkostemp
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ep_certs.h"
#include "ep_log.h"
#include "ep_wire.h"

//  No certificate is bigger; a bigger file is not one.
#define S_TEXT_MAX      65536

//  A file written less than this long before a scan may be written again
//  with the same size and time stamp (time stamps move by clock ticks):
//  until it is older, the scan's signature is not trusted and each reload
//  reads the folder again.
#define S_RACY_NS       2000000000LL

//  Characters of a certificate's file name, and of a ZPL name in one.
#define S_FILE_CHARS    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define S_NAME_CHARS    S_FILE_CHARS ":"

//  A 32-byte zero key in Z85: what a certificate without that key holds.
#define S_ZERO_KEY      "0000000000000000000000000000000000000000"

struct _ep_certs_t {
    char *public_dir;                   //  folder/public: the allow-list
    zhashx_t *keys;                     //  public key Z85 -> ep_key_info_t *
    char *signature;                    //  what the last scan saw; NULL: re-read next time
    zhashx_t *warned;                   //  the warnings of the last index, not repeated
};

static const char *s_role_names [] = {
    NULL, "router", "worker", "strategy", "meta", "safety", "monitor"
};
#define S_ROLE_COUNT (sizeof s_role_names / sizeof s_role_names [0])

const char *
ep_role_name (ep_role_t role)
{
    return (int) role > 0 && (size_t) role < S_ROLE_COUNT ? s_role_names [role] : NULL;
}

ep_role_t
ep_role_parse (const char *name)
{
    for (size_t i = 1; name && i < S_ROLE_COUNT; i++)
        if (streq (name, s_role_names [i]))
            return (ep_role_t) i;
    return EP_ROLE_NONE;
}

bool
ep_certs_name_valid (const char *name)
{
    if (!name || *name == '.')
        return false;
    size_t len = strlen (name);
    if (len == 0 || len > EP_CERTS_NAME_MAX || strspn (name, S_FILE_CHARS) != len)
        return false;
    return !(len >= 7 && streq (name + len - 7, "_secret"));
}

//  True if list is "id[,id...]" with every id valid and nothing empty.
static bool
s_strategies_valid (const char *list)
{
    char copy [sizeof ((ep_key_info_t *) 0)->strategies];
    if (!list || !*list || strlen (list) >= sizeof copy)
        return false;
    strcpy (copy, list);
    //  strtok would pass over empty items; ",a" and "a,,b" are not lists
    char *item = copy;
    while (item) {
        char *comma = strchr (item, ',');
        if (comma)
            *comma = 0;
        if (!ep_id_valid (item))
            return false;
        item = comma ? comma + 1 : NULL;
    }
    return true;
}

bool
ep_key_info_speaks_for (const ep_key_info_t *info, const char *strategy_id)
{
    if (!info || !strategy_id || !*strategy_id
    || (info->role != EP_ROLE_STRATEGY && info->role != EP_ROLE_SAFETY))
        return false;
    size_t id_len = strlen (strategy_id);
    const char *item = info->strategies;
    const char *end = item + strnlen (item, sizeof info->strategies);
    while (item < end) {
        const char *comma = memchr (item, ',', end - item);
        size_t item_len = comma ? (size_t) (comma - item) : (size_t) (end - item);
        if (item_len == id_len && memcmp (item, strategy_id, id_len) == 0)
            return true;
        item = comma ? comma + 1 : end;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Reading certificate files

//  Reads a whole certificate file through one descriptor, so that the
//  checks (a regular file; for a secret, no access for group or others)
//  are of the text read. Returns the text, which the caller frees, or NULL
//  with the reason in err; sets *transient if the reason may pass by itself,
//  *missing if there is no such file.
static char *
s_text_load (const char *path, bool secret, char *err, size_t err_size,
             bool *transient, bool *missing)
{
    //  O_NONBLOCK: a FIFO dropped in the folder must not block the reader
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        int e = errno;
        if (transient && e != ENOENT && e != EACCES && e != ELOOP && e != ENOTDIR)
            *transient = true;
        if (missing && e == ENOENT)
            *missing = true;
        snprintf (err, err_size, "%s: %s", path, strerror (e));
        return NULL;
    }
    char *text = NULL;
    struct stat st;
    if (fstat (fd, &st)) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        if (transient)
            *transient = true;
    }
    else
    if (!S_ISREG (st.st_mode))
        snprintf (err, err_size, "%s: not a regular file", path);
    else
    if (secret && (st.st_mode & 077))
        snprintf (err, err_size, "%s: a secret certificate open to group or others (mode %04o); "
                  "chmod 600 it", path, (unsigned) (st.st_mode & 07777));
    else
    if (st.st_size > S_TEXT_MAX)
        snprintf (err, err_size, "%s: too big for a certificate (%lld bytes)", path,
                  (long long) st.st_size);
    else
        text = malloc (S_TEXT_MAX + 1);
    size_t size = 0;
    while (text) {
        ssize_t n = read (fd, text + size, S_TEXT_MAX + 1 - size);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 || size + n > S_TEXT_MAX) {
            snprintf (err, err_size, "%s: %s", path,
                      n == -1 ? strerror (errno) : "too big for a certificate");
            if (transient)
                *transient = true;
            explicit_bzero (text, size);
            zstr_free (&text);
        }
        else
        if (n == 0 && memchr (text, 0, size)) {
            snprintf (err, err_size, "%s: not a text file", path);
            explicit_bzero (text, size);
            zstr_free (&text);
        }
        else
        if (n == 0) {
            text [size] = 0;
            break;
        }
        else
            size += n;
    }
    close (fd);
    return text;
}

//  Reads one line of certificate text: nothing (blank or comment, returns
//  1), or depth (4 spaces each), name and optional value (returns 0), or
//  returns -1 for anything else. Ends the value in place.
static int
s_line_parse (char *line, int *depth, char *name, size_t name_size, char **value)
{
    size_t indent = strspn (line, " ");
    char *p = line + indent;
    if (p [strspn (p, " \t")] == 0 || *p == '#')
        return 1;
    size_t len = strspn (p, S_NAME_CHARS);
    if (indent % 4 || len == 0 || len >= name_size)
        return -1;
    *depth = (int) (indent / 4);
    memcpy (name, p, len);
    name [len] = 0;
    p += len;
    p += strspn (p, " \t");
    *value = NULL;
    if (*p != '=')
        return *p == 0 || *p == '#' ? 0 : -1;
    p++;
    p += strspn (p, " \t");
    char *rest;
    if (*p == '"' || *p == '\'') {
        char *close = strchr (p + 1, *p);
        if (!close)
            return -1;
        *value = p + 1;
        *close = 0;
        rest = close + 1;
    }
    else {
        *value = p;
        p += strcspn (p, " \t#");
        char c = *p;
        *p = 0;
        rest = c == ' ' || c == '\t' ? p + 1 : p;
    }
    rest += strspn (rest, " \t");
    return *rest == 0 || *rest == '#' ? 0 : -1;
}

//  Decodes a Z85 key of 40 characters; returns 0 or -1.
static int
s_key_decode (const char *text, byte *key)
{
    if (!text || strlen (text) != 40 || !zmq_z85_decode (key, text))
        return -1;
    return 0;
}

//  Parses certificate text: the ZPL that zcert writes, sections `metadata`
//  and `curve` with `name = value` items four spaces in, and comments.
//  Returns a certificate, or NULL with the reason in err (a line number,
//  never the text). Overwrites text.
static zcert_t *
s_cert_parse (char *text, char *err, size_t err_size)
{
    zhashx_t *meta = zhashx_new ();
    zhashx_set_destructor (meta, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (meta, (zhashx_duplicator_fn *) strdup);
    const char *public_txt = NULL, *secret_txt = NULL;
    char section [65] = "";
    bool failed = false;
    int lineno = 0;
    char *line = text;
    while (line && !failed) {
        char *next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        size_t len = strlen (line);
        if (len && line [len - 1] == '\r')
            line [len - 1] = 0;
        int depth;
        char name [65];
        char *value;
        int rc = s_line_parse (line, &depth, name, sizeof name, &value);
        if (rc == -1) {
            snprintf (err, err_size, "line %d: not valid ZPL", lineno);
            failed = true;
        }
        else
        if (rc == 1)
            ;
        else
        if (depth == 0)
            strcpy (section, name);
        else
        if (depth > 1 || !*section) {
            snprintf (err, err_size, "line %d: not a certificate item", lineno);
            failed = true;
        }
        else
        if (streq (section, "metadata") && value) {
            //  Two values for one name: which one counts would be a guess
            if (zhashx_insert (meta, name, value)) {
                snprintf (err, err_size, "line %d: metadata %s given twice", lineno, name);
                failed = true;
            }
        }
        else
        if (streq (section, "curve") && (streq (name, "public-key") || streq (name, "secret-key"))) {
            const char **slot = streq (name, "public-key") ? &public_txt : &secret_txt;
            if (*slot) {
                snprintf (err, err_size, "line %d: %s given twice", lineno, name);
                failed = true;
            }
            *slot = value ? value : "";
        }
        line = next;
    }
    zcert_t *cert = NULL;
    byte public_key [32] = { 0 }, secret_key [32] = { 0 };
    if (failed)
        ;
    else
    if (s_key_decode (public_txt, public_key) || streq (public_txt, S_ZERO_KEY))
        snprintf (err, err_size, "no valid curve/public-key");
    else
    if (secret_txt && s_key_decode (secret_txt, secret_key))
        snprintf (err, err_size, "curve/secret-key is not a valid key");
    else
        cert = zcert_new_from (public_key, secret_key);
    for (const char *value = cert ? zhashx_first (meta) : NULL; value; value = zhashx_next (meta))
        zcert_set_meta (cert, (const char *) zhashx_cursor (meta), "%s", value);
    explicit_bzero (secret_key, sizeof secret_key);
    zhashx_destroy (&meta);
    return cert;
}

static bool
s_cert_has_secret (zcert_t *cert)
{
    return !streq (zcert_secret_txt (cert), S_ZERO_KEY);
}

//  Loads one certificate file. Returns NULL with the reason in err, setting
//  *transient and *missing as s_text_load does.
static zcert_t *
s_cert_load (const char *path, bool secret, char *err, size_t err_size,
             bool *transient, bool *missing)
{
    char *text = s_text_load (path, secret, err, err_size, transient, missing);
    if (!text)
        return NULL;
    size_t size = strlen (text);
    char sub [200];
    zcert_t *cert = s_cert_parse (text, sub, sizeof sub);
    if (!cert)
        snprintf (err, err_size, "%s: %s", path, sub);
    explicit_bzero (text, size);
    free (text);
    return cert;
}

//  What a public certificate admits. Returns 0, or -1 with the reason in err.
static int
s_info_from_cert (zcert_t *cert, const char *file_name, ep_key_info_t *info,
                  char *err, size_t err_size)
{
    memset (info, 0, sizeof *info);
    const char *role = zcert_meta (cert, "role");
    info->role = ep_role_parse (role);
    if (info->role == EP_ROLE_NONE) {
        if (role)
            snprintf (err, err_size, "unknown role \"%.32s\"", role);
        else
            snprintf (err, err_size, "no role in its metadata");
        return -1;
    }
    const char *name = zcert_meta (cert, "name");
    if (!name)
        name = file_name;
    if (!ep_certs_name_valid (name)) {
        snprintf (err, err_size, "name \"%.80s\" is not valid", name);
        return -1;
    }
    strcpy (info->name, name);
    if (info->role == EP_ROLE_WORKER) {
        const char *plane = zcert_meta (cert, "plane");
        if (plane && streq (plane, "paper"))
            info->plane = EP_PLANE (PAPER);
        else
        if (plane && streq (plane, "live"))
            info->plane = EP_PLANE (LIVE);
        else {
            snprintf (err, err_size, "a worker key needs plane = paper or live");
            return -1;
        }
    }
    if (info->role == EP_ROLE_STRATEGY || info->role == EP_ROLE_SAFETY) {
        //  Never cut to fit: a shorter list could name another strategy
        const char *list = zcert_meta (cert, "strategies");
        if (!s_strategies_valid (list)) {
            snprintf (err, err_size, "a %s key needs strategies = a list of valid ids "
                      "(comma-separated, under %zu characters)", role, sizeof info->strategies);
            return -1;
        }
        strcpy (info->strategies, list);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The index

static int
s_compare (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static int
s_compare_list (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static void
s_info_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  Lists dir: file names, sorted, hidden ones left out (editors' and
//  ep_certs_save's temporary files), and a signature of what stat says of
//  each: name, type and mode, device and inode, size, change times. The
//  folder's own time is not enough: a file rewritten in place leaves it.
//  Returns 0, or -1 with errno set if dir cannot be read; a dir that does
//  not exist lists as empty when missing_ok.
static int
s_scan (const char *dir, bool missing_ok, zlistx_t **names_p, char **signature_p, bool *racy_p)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t racy_from = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec - S_RACY_NS;
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (names, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (names, s_compare);
    DIR *handle = opendir (dir);
    if (!handle && !(missing_ok && errno == ENOENT)) {
        int e = errno;
        zlistx_destroy (&names);
        errno = e;
        return -1;
    }
    int e = 0;
    while (handle) {
        errno = 0;
        struct dirent *entry = readdir (handle);
        if (!entry) {
            e = errno;
            closedir (handle);
            break;
        }
        if (entry->d_name [0] != '.')
            zlistx_add_end (names, entry->d_name);
    }
    if (e) {
        zlistx_destroy (&names);
        errno = e;
        return -1;
    }
    zlistx_sort (names);

    char *signature = NULL;
    size_t signature_size = 0;
    FILE *out = open_memstream (&signature, &signature_size);
    if (!out) {
        zlistx_destroy (&names);
        return -1;
    }
    bool racy = false;
    for (const char *name = zlistx_first (names); name; name = zlistx_next (names)) {
        char *path = zsys_sprintf ("%s/%s", dir, name);
        struct stat st;
        //  stat, not lstat: a symlink's target is what gets read
        int rc = path ? stat (path, &st) : -1;
        fprintf (out, "%zu:%s ", strlen (name), name);
        if (rc)
            fprintf (out, "!%d\n", errno);
        else {
            int64_t mtime = (int64_t) st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
            int64_t ctime = (int64_t) st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
            fprintf (out, "%o %ju %ju %jd %jd %jd\n", (unsigned) st.st_mode,
                     (uintmax_t) st.st_dev, (uintmax_t) st.st_ino, (intmax_t) st.st_size,
                     (intmax_t) mtime, (intmax_t) ctime);
            //  Only writes can leave the stat as it was; all else is in it
            if (mtime >= racy_from)
                racy = true;
        }
        zstr_free (&path);
    }
    if (fclose (out)) {
        free (signature);
        zlistx_destroy (&names);
        return -1;
    }
    *names_p = names;
    *signature_p = signature;
    *racy_p = racy;
    return 0;
}

//  Logs a warning unless the last index gave the same; keeps it in warned.
static void
s_warn (zhashx_t *warned, zhashx_t *warned_before, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    if (!text)
        return;
    if (!warned_before || !zhashx_lookup (warned_before, text))
        ep_log_warn ("%s", text);
    zhashx_update (warned, text, (void *) "");
    zstr_free (&text);
}

//  Indexes the files named in dir; each bad one is logged (unless it was
//  in warned_p before) and left out. Sets *transient if one could not be
//  read for a reason that may pass.
static zhashx_t *
s_index_build (const char *dir, zlistx_t *names, zhashx_t **warned_p, bool *transient)
{
    zhashx_t *warned = zhashx_new ();
    zhashx_t *keys = zhashx_new ();
    zhashx_set_destructor (keys, s_info_destroy);
    zhashx_t *conflicts = zhashx_new ();
    for (const char *name = zlistx_first (names); name; name = zlistx_next (names)) {
        char *path = zsys_sprintf ("%s/%s", dir, name);
        char err [512];
        ep_key_info_t info;
        zcert_t *cert = s_cert_load (path, false, err, sizeof err, transient, NULL);
        if (!cert)
            s_warn (warned, *warned_p, "certs: skipped %s", err);
        else
        if (s_cert_has_secret (cert))
            s_warn (warned, *warned_p, "certs: skipped %s: it holds a secret key, which has "
                    "no place in public/ (move it out and treat the key as exposed)", path);
        else
        if (s_info_from_cert (cert, name, &info, err, sizeof err))
            s_warn (warned, *warned_p, "certs: skipped %s: %s", path, err);
        else {
            const char *key = zcert_public_txt (cert);
            ep_key_info_t *known = zhashx_lookup (keys, key);
            if (!known) {
                ep_key_info_t *copy = malloc (sizeof *copy);
                if (copy) {
                    *copy = info;
                    zhashx_insert (keys, key, copy);
                }
            }
            else
            if (known->role != info.role || known->plane != info.plane
            ||  strcmp (known->strategies, info.strategies)) {
                //  Two files grant one key different rights: admit neither
                s_warn (warned, *warned_p, "certs: key %s of %s is also in another file "
                        "with other rights; not admitted", key, path);
                zhashx_update (conflicts, key, (void *) "");
            }
        }
        zcert_destroy (&cert);
        zstr_free (&path);
    }
    for (void *item = zhashx_first (conflicts); item; item = zhashx_next (conflicts))
        zhashx_delete (keys, zhashx_cursor (conflicts));
    zhashx_destroy (&conflicts);
    zhashx_destroy (warned_p);
    *warned_p = warned;
    return keys;
}

ep_certs_t *
ep_certs_new (const char *folder, char *err, size_t err_size)
{
    assert (folder);
    ep_certs_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->public_dir = zsys_sprintf ("%s/public", folder);
    zlistx_t *names = NULL;
    bool racy = false;
    if (s_scan (self->public_dir, false, &names, &self->signature, &racy)) {
        snprintf (err, err_size, "certs %s: %s", self->public_dir, strerror (errno));
        ep_certs_destroy (&self);
        return NULL;
    }
    bool transient = false;
    self->keys = s_index_build (self->public_dir, names, &self->warned, &transient);
    if (racy || transient)
        zstr_free (&self->signature);
    zlistx_destroy (&names);
    return self;
}

void
ep_certs_destroy (ep_certs_t **self_p)
{
    assert (self_p);
    ep_certs_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->keys);
    zhashx_destroy (&self->warned);
    zstr_free (&self->public_dir);
    zstr_free (&self->signature);
    free (self);
    *self_p = NULL;
}

int
ep_certs_reload (ep_certs_t *self)
{
    assert (self);
    zlistx_t *names = NULL;
    char *signature = NULL;
    bool racy = false;
    //  A folder that is gone admits no one; one that cannot be read now
    //  (out of descriptors, say) keeps the index as it was
    if (s_scan (self->public_dir, true, &names, &signature, &racy)) {
        ep_log_warn ("certs: cannot read %s: %s; keeping the %zu key(s) admitted",
                     self->public_dir, strerror (errno), zhashx_size (self->keys));
        return -1;
    }
    if (self->signature && streq (self->signature, signature)) {
        zstr_free (&signature);
        zlistx_destroy (&names);
        return 0;
    }
    bool transient = false;
    zhashx_t *keys = s_index_build (self->public_dir, names, &self->warned, &transient);
    zlistx_destroy (&names);
    int removed = 0;
    for (void *item = zhashx_first (self->keys); item; item = zhashx_next (self->keys))
        if (!zhashx_lookup (keys, zhashx_cursor (self->keys)))
            removed++;
    zhashx_destroy (&self->keys);
    self->keys = keys;
    zstr_free (&self->signature);
    if (racy || transient)
        zstr_free (&signature);
    self->signature = signature;
    return removed;
}

bool
ep_certs_lookup (ep_certs_t *self, const char *public_z85, ep_key_info_t *info)
{
    assert (self);
    if (!public_z85 || strlen (public_z85) != 40)
        return false;
    ep_key_info_t *known = zhashx_lookup (self->keys, public_z85);
    if (known && info)
        *info = *known;
    return known != NULL;
}

size_t
ep_certs_size (ep_certs_t *self)
{
    assert (self);
    return zhashx_size (self->keys);
}

//  --------------------------------------------------------------------------
//  A program's own certificates

zcert_t *
ep_certs_load_secret (const char *folder, const char *name, char *err, size_t err_size)
{
    assert (folder);
    assert (name);
    if (!ep_certs_name_valid (name)) {
        snprintf (err, err_size, "\"%.80s\" is not a valid certificate name", name);
        return NULL;
    }
    char *path = zsys_sprintf ("%s/%s_secret", folder, name);
    bool missing = false;
    zcert_t *cert = s_cert_load (path, true, err, err_size, NULL, &missing);
    if (missing)
        snprintf (err, err_size, "%s: no such file (ep-keygen writes it)", path);
    else
    if (cert && !s_cert_has_secret (cert)) {
        snprintf (err, err_size, "%s: no curve/secret-key in it", path);
        zcert_destroy (&cert);
    }
    else
    if (cert) {
        //  A pair that does not match fails only at the handshake, silently
        char derived [41];
        if (zmq_curve_public (derived, zcert_secret_txt (cert)) == 0
        &&  !streq (derived, zcert_public_txt (cert))) {
            snprintf (err, err_size, "%s: its public key is not that of its secret key", path);
            zcert_destroy (&cert);
        }
    }
    zstr_free (&path);
    return cert;
}

zcert_t *
ep_certs_load_router (const char *folder, char *err, size_t err_size)
{
    assert (folder);
    char *path = zsys_sprintf ("%s/public/router", folder);
    bool missing = false;
    zcert_t *cert = s_cert_load (path, false, err, err_size, NULL, &missing);
    if (missing)
        snprintf (err, err_size, "%s: no such file (ep-keygen writes it)", path);
    else
    if (cert && s_cert_has_secret (cert)) {
        snprintf (err, err_size, "%s: holds a secret key, which has no place in public/", path);
        zcert_destroy (&cert);
    }
    else
    if (cert && ep_role_parse (zcert_meta (cert, "role")) != EP_ROLE_ROUTER) {
        snprintf (err, err_size, "%s: not a router certificate (role %.32s)", path,
                  zcert_meta (cert, "role") ? zcert_meta (cert, "role") : "missing");
        zcert_destroy (&cert);
    }
    zstr_free (&path);
    return cert;
}

//  --------------------------------------------------------------------------
//  Writing a pair

//  Creates dir with mode, and its missing parents (0755). Returns 0, or -1
//  with the reason in err.
static int
s_dir_create (const char *dir, mode_t mode, char *err, size_t err_size)
{
    struct stat st;
    if (stat (dir, &st) == 0 && S_ISDIR (st.st_mode))
        return 0;
    char *path = strdup (dir);
    if (!path)
        return -1;
    //  Parents only: a trailing slash must not create dir itself as 0755
    for (char *slash = strchr (path + 1, '/'); slash && slash [1]; slash = strchr (slash + 1, '/')) {
        *slash = 0;
        if (mkdir (path, 0755) && errno != EEXIST)
            break;
        *slash = '/';
    }
    int rc = 0;
    if (mkdir (dir, mode) && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        rc = -1;
    }
    else
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s is not a folder", dir);
        rc = -1;
    }
    free (path);
    return rc;
}

//  Writes one metadata item unless the certificate has none by that name.
//  Returns false with the reason in err if it would not read back the same.
static bool
s_meta_write (FILE *out, zcert_t *cert, const char *name, char *err, size_t err_size)
{
    const char *value = zcert_meta (cert, name);
    if (!value)
        return true;
    if (strlen (name) > 64 || strspn (name, S_NAME_CHARS) != strlen (name)
    ||  strpbrk (value, "\"\r\n")) {
        snprintf (err, err_size, "metadata \"%.64s\" cannot be written as ZPL", name);
        return false;
    }
    fprintf (out, "    %s = \"%s\"\n", name, value);
    return true;
}

#define S_PUBLIC_FORMAT "%scurve\n    public-key = \"%s\"\n"
#define S_SECRET_FORMAT "%scurve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n"

//  The certificate's text as zcert writes it: comments, metadata (the known
//  names first), the public key and, for the secret file, the secret key.
//  Returns NULL with the reason in err if a metadata name or value cannot
//  be written so that it reads back the same.
static char *
s_cert_text (zcert_t *cert, bool secret, char *err, size_t err_size)
{
    static const char *known [] = { "role", "name", "plane", "strategies", "created-by", NULL };
    char *body = NULL;
    size_t body_size = 0;
    FILE *out = open_memstream (&body, &body_size);
    if (!out) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    char *timestr = zclock_timestr ();
    fprintf (out, "#   ****  Generated on %s by execplane  ****\n", timestr ? timestr : "?");
    zstr_free (&timestr);
    if (secret)
        fprintf (out, "#   ZeroMQ CURVE **Secret** Certificate\n"
                      "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n");
    else
        fprintf (out, "#   ZeroMQ CURVE Public Certificate\n"
                      "#   Exchange securely, or use a secure mechanism to verify the contents\n"
                      "#   of this file after exchange.\n");
    fprintf (out, "\nmetadata\n");
    bool ok = true;
    for (int i = 0; known [i] && ok; i++)
        ok = s_meta_write (out, cert, known [i], err, err_size);
    zlist_t *names = zcert_meta_keys (cert);
    zlist_sort (names, s_compare_list);
    for (const char *name = zlist_first (names); name && ok; name = zlist_next (names)) {
        bool is_known = false;
        for (int i = 0; known [i]; i++)
            is_known |= streq (known [i], name);
        if (!is_known)
            ok = s_meta_write (out, cert, name, err, err_size);
    }
    zlist_destroy (&names);
    if (fclose (out) || !ok) {
        free (body);
        return NULL;
    }
    //  Sized exactly: no reallocation leaves a copy of the secret behind
    const char *key = zcert_public_txt (cert);
    int size = secret ? snprintf (NULL, 0, S_SECRET_FORMAT, body, key, zcert_secret_txt (cert))
                      : snprintf (NULL, 0, S_PUBLIC_FORMAT, body, key);
    char *text = size > 0 ? malloc ((size_t) size + 1) : NULL;
    if (text && secret)
        snprintf (text, (size_t) size + 1, S_SECRET_FORMAT, body, key, zcert_secret_txt (cert));
    else
    if (text)
        snprintf (text, (size_t) size + 1, S_PUBLIC_FORMAT, body, key);
    free (body);
    return text;
}

//  Writes text to a new hidden file in dir, created 0600 (mkostemp) and
//  set to mode before any byte is written, and flushed to disk. Returns
//  its path, or NULL with the reason in err.
static char *
s_temp_write (const char *dir, const char *name, const char *text, mode_t mode,
              char *err, size_t err_size)
{
    char *path = zsys_sprintf ("%s/.%s.XXXXXX", dir, name);
    int fd = path ? mkostemp (path, O_CLOEXEC) : -1;
    if (fd == -1) {
        snprintf (err, err_size, "cannot create a file in %s: %s", dir, strerror (errno));
        zstr_free (&path);
        return NULL;
    }
    int rc = fchmod (fd, mode);
    size_t size = strlen (text), done = 0;
    while (rc == 0 && done < size) {
        ssize_t n = write (fd, text + done, size - done);
        if (n == -1 && errno != EINTR)
            rc = -1;
        else
        if (n > 0)
            done += n;
    }
    if (rc == 0)
        rc = fsync (fd);
    if (close (fd) && rc == 0)
        rc = -1;
    if (rc) {
        snprintf (err, err_size, "cannot write %s: %s", path, strerror (errno));
        unlink (path);
        zstr_free (&path);
    }
    return path;
}

int
ep_certs_save (zcert_t *cert, const char *folder, const char *name, bool replace,
               char *err, size_t err_size)
{
    assert (cert);
    assert (folder);
    assert (name);
    if (!ep_certs_name_valid (name)) {
        snprintf (err, err_size, "\"%.80s\" is not a valid certificate name", name);
        return -1;
    }
    int rc = -1;
    char *public_dir = zsys_sprintf ("%s/public", folder);
    char *public_path = zsys_sprintf ("%s/%s", public_dir, name);
    char *secret_name = zsys_sprintf ("%s_secret", name);
    char *secret_path = zsys_sprintf ("%s/%s", folder, secret_name);
    char *public_text = NULL, *secret_text = NULL;
    char *public_temp = NULL, *secret_temp = NULL;
    struct stat st;
    if (!public_dir || !public_path || !secret_name || !secret_path)
        goto out;
    if (s_dir_create (folder, 0700, err, err_size) || s_dir_create (public_dir, 0755, err, err_size))
        goto out;
    const char *existing = lstat (public_path, &st) == 0 ? public_path
                         : lstat (secret_path, &st) == 0 ? secret_path : NULL;
    if (!replace && existing) {
        snprintf (err, err_size, "%s already exists", existing);
        goto out;
    }
    public_text = s_cert_text (cert, false, err, err_size);
    secret_text = public_text ? s_cert_text (cert, true, err, err_size) : NULL;
    if (!secret_text)
        goto out;
    secret_temp = s_temp_write (folder, secret_name, secret_text, 0600, err, err_size);
    public_temp = secret_temp ? s_temp_write (public_dir, name, public_text, 0644, err, err_size)
                              : NULL;
    if (!public_temp)
        goto out;
    //  The secret first: a public certificate whose secret is missing
    //  would admit a key that no one holds
    if (replace) {
        if (rename (secret_temp, secret_path) || rename (public_temp, public_path)) {
            snprintf (err, err_size, "cannot replace %s: %s", name, strerror (errno));
            goto out;
        }
        zstr_free (&secret_temp);
        zstr_free (&public_temp);
    }
    else {
        //  link, not rename: it refuses an existing file, atomically
        if (link (secret_temp, secret_path)) {
            snprintf (err, err_size, "%s: %s", secret_path,
                      errno == EEXIST ? "already exists" : strerror (errno));
            goto out;
        }
        if (link (public_temp, public_path)) {
            snprintf (err, err_size, "%s: %s", public_path,
                      errno == EEXIST ? "already exists" : strerror (errno));
            unlink (secret_path);
            goto out;
        }
    }
    rc = 0;
out:
    if (secret_temp)
        unlink (secret_temp);
    if (public_temp)
        unlink (public_temp);
    if (secret_text)
        explicit_bzero (secret_text, strlen (secret_text));
    zstr_free (&public_dir);
    zstr_free (&public_path);
    zstr_free (&secret_name);
    zstr_free (&secret_path);
    zstr_free (&public_text);
    zstr_free (&secret_text);
    zstr_free (&public_temp);
    zstr_free (&secret_temp);
    return rc;
}
