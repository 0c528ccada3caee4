/*  ep_identity: a program's own certificate pair, loaded and saved.  */
#define _GNU_SOURCE                     //  mkostemp
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_certfile.h"
#include "ep_identity.h"
#include "ep_roles.h"

//  Loads the certificate at path for ep_identity_load_*: a file that is
//  not there points at ep-keygen. Returns NULL with the reason in err.
static zcert_t *
s_load (const char *path, bool secret, char *err, size_t err_size)
{
    zcert_t *cert = NULL;
    if (ep_certfile_load (path, secret, &cert, err, err_size) == EP_CERTFILE_MISSING)
        snprintf (err, err_size, "%s: no such file (ep-keygen writes it)", path);
    return cert;
}


zcert_t *
ep_identity_load_secret (const char *folder, const char *name, char *err, size_t err_size)
{
    assert (folder);
    assert (name);
    if (!ep_roles_name_valid (name)) {
        snprintf (err, err_size, "\"%.80s\" is not a valid certificate name", name);
        return NULL;
    }
    char *path = zsys_sprintf ("%s/%s_secret", folder, name);
    zcert_t *cert = s_load (path, true, err, err_size);
    if (cert && !ep_certfile_has_secret (cert)) {
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
ep_identity_load_router (const char *folder, char *err, size_t err_size)
{
    assert (folder);
    char *path = zsys_sprintf ("%s/public/router", folder);
    zcert_t *cert = s_load (path, false, err, err_size);
    if (cert && ep_certfile_has_secret (cert)) {
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

//  Moves the written temporary files of the pair into place, the secret
//  first: a public certificate whose secret is missing would admit a key
//  that no one holds. Without replace, link refuses an existing file,
//  atomically. Returns 0 (the temporary names are then free to unlink),
//  or -1 with the reason in err.
static int
s_pair_install (const char *secret_temp, const char *secret_path, const char *public_temp,
                const char *public_path, const char *name, bool replace,
                char *err, size_t err_size)
{
    if (replace) {
        if (rename (secret_temp, secret_path) || rename (public_temp, public_path)) {
            snprintf (err, err_size, "cannot replace %s: %s", name, strerror (errno));
            return -1;
        }
        return 0;
    }
    if (link (secret_temp, secret_path)) {
        snprintf (err, err_size, "%s: %s", secret_path,
                  errno == EEXIST ? "already exists" : strerror (errno));
        return -1;
    }
    if (link (public_temp, public_path)) {
        snprintf (err, err_size, "%s: %s", public_path,
                  errno == EEXIST ? "already exists" : strerror (errno));
        unlink (secret_path);
        return -1;
    }
    return 0;
}

int
ep_identity_save (zcert_t *cert, const char *folder, const char *name, bool replace,
                  char *err, size_t err_size)
{
    assert (cert);
    assert (folder);
    assert (name);
    if (!ep_roles_name_valid (name)) {
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
    public_text = ep_certfile_text (cert, false, err, err_size);
    secret_text = public_text ? ep_certfile_text (cert, true, err, err_size) : NULL;
    if (!secret_text)
        goto out;
    secret_temp = s_temp_write (folder, secret_name, secret_text, 0600, err, err_size);
    public_temp = secret_temp ? s_temp_write (public_dir, name, public_text, 0644, err, err_size)
                              : NULL;
    if (!public_temp)
        goto out;
    if (s_pair_install (secret_temp, secret_path, public_temp, public_path, name, replace,
                        err, err_size))
        goto out;
    if (replace) {
        //  Renamed: nothing left to unlink under these names
        zstr_free (&secret_temp);
        zstr_free (&public_temp);
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
