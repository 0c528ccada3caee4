/*  ep_allowlist: the index of the public certificates the router admits.  */
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "ep_allowlist.h"
#include "ep_certfile.h"
#include "ep_log.h"

//  A file written less than this long before a scan may be written again
//  with the same size and time stamp (time stamps move by clock ticks):
//  until it is older, the scan's signature is not trusted and each reload
//  reads the folder again.
#define S_RACY_NS       2000000000LL

struct _ep_allowlist_t {
    char *public_dir;                   //  folder/public: the allow-list
    zhashx_t *keys;                     //  public key Z85 -> ep_key_info_t *
    char *signature;                    //  what the last scan saw; NULL: re-read next time
    zhashx_t *warned;                   //  the warnings of the last index, not repeated
};

static int
s_compare (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static void
s_info_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  --------------------------------------------------------------------------
//  Scanning the folder

//  Lists dir's file names, sorted, hidden ones left out (editors' and
//  ep_identity_save's temporary files). Returns the list, or NULL with
//  errno set if dir cannot be read; a dir that does not exist lists as
//  empty when missing_ok.
static zlistx_t *
s_names_list (const char *dir, bool missing_ok)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (names, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (names, s_compare);
    DIR *handle = opendir (dir);
    if (!handle && !(missing_ok && errno == ENOENT)) {
        int e = errno;
        zlistx_destroy (&names);
        errno = e;
        return NULL;
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
        return NULL;
    }
    zlistx_sort (names);
    return names;
}

//  A signature of what stat says of each of names in dir: name, type and
//  mode, device and inode, size, change times. The folder's own time is
//  not enough: a file rewritten in place leaves it. Sets *racy_p if a
//  file was written too recently for its stat to tell a second write.
//  Returns the signature, or NULL.
static char *
s_signature (const char *dir, zlistx_t *names, bool *racy_p)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t racy_from = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec - S_RACY_NS;
    char *signature = NULL;
    size_t signature_size = 0;
    FILE *out = open_memstream (&signature, &signature_size);
    if (!out)
        return NULL;
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
        return NULL;
    }
    *racy_p = racy;
    return signature;
}

//  Lists dir (s_names_list) and signs what it holds (s_signature).
//  Returns 0, or -1 with errno set if dir cannot be read.
static int
s_scan (const char *dir, bool missing_ok, zlistx_t **names_p, char **signature_p, bool *racy_p)
{
    zlistx_t *names = s_names_list (dir, missing_ok);
    if (!names)
        return -1;
    char *signature = s_signature (dir, names, racy_p);
    if (!signature) {
        zlistx_destroy (&names);
        return -1;
    }
    *names_p = names;
    *signature_p = signature;
    return 0;
}

//  --------------------------------------------------------------------------
//  The index

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
        zcert_t *cert = NULL;
        if (ep_certfile_load (path, false, &cert, err, sizeof err) == EP_CERTFILE_TRANSIENT)
            *transient = true;
        if (!cert)
            s_warn (warned, *warned_p, "certs: skipped %s", err);
        else
        if (ep_certfile_has_secret (cert))
            s_warn (warned, *warned_p, "certs: skipped %s: it holds a secret key, which has "
                    "no place in public/ (move it out and treat the key as exposed)", path);
        else
        if (ep_key_info_from_cert (cert, name, &info, err, sizeof err))
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

ep_allowlist_t *
ep_allowlist_new (const char *folder, char *err, size_t err_size)
{
    assert (folder);
    ep_allowlist_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->public_dir = zsys_sprintf ("%s/public", folder);
    zlistx_t *names = NULL;
    bool racy = false;
    if (s_scan (self->public_dir, false, &names, &self->signature, &racy)) {
        snprintf (err, err_size, "certs %s: %s", self->public_dir, strerror (errno));
        ep_allowlist_destroy (&self);
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
ep_allowlist_destroy (ep_allowlist_t **self_p)
{
    assert (self_p);
    ep_allowlist_t *self = *self_p;
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
ep_allowlist_reload (ep_allowlist_t *self)
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
ep_allowlist_lookup (ep_allowlist_t *self, const char *public_z85, ep_key_info_t *info)
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
ep_allowlist_size (ep_allowlist_t *self)
{
    assert (self);
    return zhashx_size (self->keys);
}
