/*  test_certs: the allow-list of public certificates (what each key may
    do, how changes in the folder are picked up), the secret certificate's
    mode check, and the pair ep-keygen writes. Each test works in its own
    temporary folder, removed after it.  */
#define _GNU_SOURCE                     //  nftw, mkdtemp
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include "ep_allowlist.h"
#include "ep_certfile.h"
#include "ep_allowlist.h"
#include "ep_certfile.h"
#include "ep_identity.h"
#include "ep_roles.h"
#include "ep_identity.h"
#include "ep_roles.h"
#include "ep_wire.h"

typedef struct {
    char dir [64];                      //  the certificates folder
    char public_dir [80];               //  dir/public
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *self = calloc (1, sizeof *self);
    assert_non_null (self);
    strcpy (self->dir, "/tmp/test_certs.XXXXXX");
    assert_non_null (mkdtemp (self->dir));
    snprintf (self->public_dir, sizeof self->public_dir, "%s/public", self->dir);
    assert_int_equal (mkdir (self->public_dir, 0755), 0);
    *state = self;
    return 0;
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    nftw (self->dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    free (self);
    return 0;
}

//  Writes a public certificate with zcert, as any CZMQ program would, at
//  dir/public/file; metadata values that are NULL are left out. Returns the
//  new key's public Z85 text (the caller frees it).
static char *
s_cert_write (s_fixture_t *self, const char *file, const char *role, const char *name,
              const char *plane, const char *strategies)
{
    zcert_t *cert = zcert_new ();
    assert_non_null (cert);
    if (role)
        zcert_set_meta (cert, "role", "%s", role);
    if (name)
        zcert_set_meta (cert, "name", "%s", name);
    if (plane)
        zcert_set_meta (cert, "plane", "%s", plane);
    if (strategies)
        zcert_set_meta (cert, "strategies", "%s", strategies);
    char path [256];
    snprintf (path, sizeof path, "%s/%s", self->public_dir, file);
    assert_int_equal (zcert_save_public (cert, path), 0);
    char *key = strdup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return key;
}

//  Sets a file's modification time 10 s back: old enough for the index to
//  trust its size and time stamp.
static void
s_backdate (s_fixture_t *self, const char *file)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s", self->public_dir, file);
    struct timespec times [2];
    clock_gettime (CLOCK_REALTIME, &times [0]);
    times [0].tv_sec -= 10;
    times [1] = times [0];
    assert_int_equal (utimensat (AT_FDCWD, path, times, 0), 0);
}

static void
s_file_write (s_fixture_t *self, const char *file, const char *text)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s", self->public_dir, file);
    FILE *out = fopen (path, "w");
    assert_non_null (out);
    fputs (text, out);
    fclose (out);
}

static void
s_file_remove (s_fixture_t *self, const char *file)
{
    char path [256];
    snprintf (path, sizeof path, "%s/%s", self->public_dir, file);
    assert_int_equal (unlink (path), 0);
}

//  Files in dir whose names start with '.', bar "." and "..".
static int
s_hidden_count (const char *dir)
{
    DIR *handle = opendir (dir);
    assert_non_null (handle);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)))
        if (entry->d_name [0] == '.' && !streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            count++;
    closedir (handle);
    return count;
}

static ep_allowlist_t *
s_certs_new (s_fixture_t *self)
{
    char err [256] = "";
    ep_allowlist_t *certs = ep_allowlist_new (self->dir, err, sizeof err);
    if (!certs)
        fail_msg ("ep_allowlist_new: %s", err);
    return certs;
}

static void
test_keys_written_by_zcert_are_indexed_with_their_role_name_plane_and_strategies (void **state)
{
    s_fixture_t *self = *state;
    char *router = s_cert_write (self, "router", "router", "router", NULL, NULL);
    char *paper = s_cert_write (self, "paper", "worker", "paper-1", "paper", NULL);
    char *live = s_cert_write (self, "live", "worker", "live", "live", NULL);
    char *strategy = s_cert_write (self, "alpha", "strategy", "alpha", NULL, "a,b:2");
    char *safety = s_cert_write (self, "safety", "safety", "safety", NULL, "a");
    //  no name in the metadata: the file's name stands for it
    char *monitor = s_cert_write (self, "watcher", "monitor", NULL, NULL, NULL);
    //  metadata that the role does not use is not carried over
    char *meta = s_cert_write (self, "meta", "meta", "meta", "live", "a");
    ep_allowlist_t *certs = s_certs_new (self);
    assert_int_equal (ep_allowlist_size (certs), 7);

    ep_key_info_t info;
    assert_true (ep_allowlist_lookup (certs, router, &info));
    assert_int_equal (info.role, EP_ROLE_ROUTER);
    assert_string_equal (info.name, "router");
    assert_true (ep_allowlist_lookup (certs, paper, &info));
    assert_int_equal (info.role, EP_ROLE_WORKER);
    assert_string_equal (info.name, "paper-1");
    assert_int_equal (info.plane, EP_PLANE (PAPER));
    assert_true (ep_allowlist_lookup (certs, live, &info));
    assert_int_equal (info.plane, EP_PLANE (LIVE));
    assert_true (ep_allowlist_lookup (certs, strategy, &info));
    assert_int_equal (info.role, EP_ROLE_STRATEGY);
    assert_string_equal (info.strategies, "a,b:2");
    assert_int_equal (info.plane, 0);
    assert_true (ep_allowlist_lookup (certs, safety, &info));
    assert_int_equal (info.role, EP_ROLE_SAFETY);
    assert_string_equal (info.strategies, "a");
    assert_true (ep_allowlist_lookup (certs, monitor, &info));
    assert_int_equal (info.role, EP_ROLE_MONITOR);
    assert_string_equal (info.name, "watcher");
    assert_true (ep_allowlist_lookup (certs, meta, &info));
    assert_int_equal (info.role, EP_ROLE_META);
    assert_int_equal (info.plane, 0);
    assert_string_equal (info.strategies, "");
    assert_true (ep_allowlist_lookup (certs, meta, NULL));

    ep_allowlist_destroy (&certs);
    assert_null (certs);
    free (router); free (paper); free (live); free (strategy); free (safety);
    free (monitor); free (meta);
}

static void
test_a_key_speaks_only_for_the_strategies_listed_exactly (void **state)
{
    (void) state;
    ep_key_info_t info = { .role = EP_ROLE_STRATEGY, .name = "s", .strategies = "a" };
    assert_true (ep_key_info_speaks_for (&info, "a"));
    assert_false (ep_key_info_speaks_for (&info, "ab"));
    assert_false (ep_key_info_speaks_for (&info, ""));
    assert_false (ep_key_info_speaks_for (&info, NULL));
    strcpy (info.strategies, "ab");
    assert_false (ep_key_info_speaks_for (&info, "a"));
    assert_false (ep_key_info_speaks_for (&info, "b"));
    strcpy (info.strategies, "a,b");
    assert_true (ep_key_info_speaks_for (&info, "a"));
    assert_true (ep_key_info_speaks_for (&info, "b"));
    assert_false (ep_key_info_speaks_for (&info, "a,b"));
    assert_false (ep_key_info_speaks_for (&info, ","));
    info.role = EP_ROLE_SAFETY;
    assert_true (ep_key_info_speaks_for (&info, "b"));
    //  other roles speak for no strategy, whatever their list says
    info.role = EP_ROLE_MONITOR;
    assert_false (ep_key_info_speaks_for (&info, "a"));
    assert_false (ep_key_info_speaks_for (NULL, "a"));
}

static void
test_an_unknown_key_is_not_found (void **state)
{
    s_fixture_t *self = *state;
    char *known = s_cert_write (self, "alpha", "strategy", "alpha", NULL, "a");
    ep_allowlist_t *certs = s_certs_new (self);
    zcert_t *stranger = zcert_new ();
    ep_key_info_t info = { .role = EP_ROLE_META };
    assert_false (ep_allowlist_lookup (certs, zcert_public_txt (stranger), &info));
    assert_int_equal (info.role, EP_ROLE_META);     //  untouched
    assert_false (ep_allowlist_lookup (certs, "", &info));
    assert_false (ep_allowlist_lookup (certs, NULL, &info));
    char longer [64];
    snprintf (longer, sizeof longer, "%sX", known);
    assert_false (ep_allowlist_lookup (certs, longer, &info));
    assert_true (ep_allowlist_lookup (certs, known, &info));
    zcert_destroy (&stranger);
    ep_allowlist_destroy (&certs);
    free (known);
}

static void
test_garbage_and_roleless_files_are_skipped_and_the_rest_still_load (void **state)
{
    s_fixture_t *self = *state;
    char *good = s_cert_write (self, "good", "meta", "good", NULL, NULL);
    s_file_write (self, "garbage", "\x01\x02 this = = is not \"ZPL\n\tat all\n");
    s_file_write (self, "empty", "");
    s_file_write (self, "bad-key", "curve\n    public-key = \"not a key, not forty characters\"\n");
    char *roleless = s_cert_write (self, "roleless", NULL, "roleless", NULL, NULL);
    char *unknown = s_cert_write (self, "king", "king", "king", NULL, NULL);
    char *planeless = s_cert_write (self, "worker", "worker", "worker", NULL, NULL);
    char *moon = s_cert_write (self, "moon", "worker", "moon", "moon", NULL);
    char *listless = s_cert_write (self, "strat", "strategy", "strat", NULL, NULL);
    char *bad_list = s_cert_write (self, "strat2", "strategy", "strat2", NULL, "a,,b");
    char *bad_name = s_cert_write (self, "named", "meta", "no spaces allowed", NULL, NULL);
    //  a secret certificate has no place among the public ones
    zcert_t *secret = zcert_new ();
    zcert_set_meta (secret, "role", "meta");
    char path [256];
    snprintf (path, sizeof path, "%s/exposed", self->public_dir);
    assert_int_equal (zcert_save_secret (secret, path), 0);
    snprintf (path, sizeof path, "%s/folder", self->public_dir);
    assert_int_equal (mkdir (path, 0755), 0);
    snprintf (path, sizeof path, "%s/dangling", self->public_dir);
    assert_int_equal (symlink ("nowhere", path), 0);
    char *good2 = s_cert_write (self, "zz-good", "monitor", "zz-good", NULL, NULL);
    //  a good certificate with a NUL byte and more after it is not text
    char *nul = s_cert_write (self, "nul", "meta", "nul", NULL, NULL);
    snprintf (path, sizeof path, "%s/nul", self->public_dir);
    FILE *out = fopen (path, "a");
    assert_non_null (out);
    fwrite ("\0role = \"x\"\n", 1, 13, out);
    fclose (out);

    ep_allowlist_t *certs = s_certs_new (self);
    assert_int_equal (ep_allowlist_size (certs), 2);
    assert_true (ep_allowlist_lookup (certs, good, NULL));
    assert_true (ep_allowlist_lookup (certs, good2, NULL));
    assert_false (ep_allowlist_lookup (certs, roleless, NULL));
    assert_false (ep_allowlist_lookup (certs, unknown, NULL));
    assert_false (ep_allowlist_lookup (certs, planeless, NULL));
    assert_false (ep_allowlist_lookup (certs, moon, NULL));
    assert_false (ep_allowlist_lookup (certs, listless, NULL));
    assert_false (ep_allowlist_lookup (certs, bad_list, NULL));
    assert_false (ep_allowlist_lookup (certs, bad_name, NULL));
    assert_false (ep_allowlist_lookup (certs, nul, NULL));
    assert_false (ep_allowlist_lookup (certs, zcert_public_txt (secret), NULL));
    ep_allowlist_destroy (&certs);
    zcert_destroy (&secret);
    free (good); free (good2); free (roleless); free (unknown); free (planeless);
    free (moon); free (listless); free (bad_list); free (bad_name); free (nul);
}

static void
test_a_key_in_two_files_with_different_rights_is_not_admitted (void **state)
{
    s_fixture_t *self = *state;
    char *a = s_cert_write (self, "a", "strategy", "a", NULL, "a");
    char path [256];
    snprintf (path, sizeof path, "%s/a", self->public_dir);
    zcert_t *cert = zcert_load (path);
    assert_non_null (cert);
    //  the same rights in a second file (a copy) are fine
    snprintf (path, sizeof path, "%s/a-copy", self->public_dir);
    assert_int_equal (zcert_save_public (cert, path), 0);
    ep_allowlist_t *certs = s_certs_new (self);
    assert_true (ep_allowlist_lookup (certs, a, NULL));
    ep_allowlist_destroy (&certs);
    //  more rights in a second file: which one holds is a guess, so neither
    //  (zcert_set_meta does not replace a value: a new zcert for the key)
    zcert_t *more = zcert_new_from (zcert_public_key (cert), zcert_secret_key (cert));
    zcert_set_meta (more, "role", "strategy");
    zcert_set_meta (more, "strategies", "a,b");
    assert_int_equal (zcert_save_public (more, path), 0);
    zcert_destroy (&more);
    certs = s_certs_new (self);
    assert_false (ep_allowlist_lookup (certs, a, NULL));
    assert_int_equal (ep_allowlist_size (certs), 0);
    ep_allowlist_destroy (&certs);
    zcert_destroy (&cert);
    free (a);
}

static void
test_reload_admits_an_added_cert_and_drops_a_removed_one (void **state)
{
    s_fixture_t *self = *state;
    char *a = s_cert_write (self, "a", "strategy", "a", NULL, "a");
    s_backdate (self, "a");
    ep_allowlist_t *certs = s_certs_new (self);
    assert_int_equal (ep_allowlist_size (certs), 1);

    char *b = s_cert_write (self, "b", "strategy", "b", NULL, "b");
    assert_int_equal (ep_allowlist_reload (certs), 0);
    assert_int_equal (ep_allowlist_size (certs), 2);
    assert_true (ep_allowlist_lookup (certs, b, NULL));

    s_file_remove (self, "a");
    assert_int_equal (ep_allowlist_reload (certs), 1);
    assert_int_equal (ep_allowlist_size (certs), 1);
    assert_false (ep_allowlist_lookup (certs, a, NULL));
    assert_true (ep_allowlist_lookup (certs, b, NULL));
    ep_allowlist_destroy (&certs);
    free (a); free (b);
}

//  Rewrites dir/public/file in place (same inode, same size) with a new key
//  and the same metadata, and checks the index follows.
static void
s_rewrite_in_place_is_seen (s_fixture_t *self, bool backdated)
{
    char *old = s_cert_write (self, "alpha", "strategy", "alpha", NULL, "a");
    if (backdated)
        s_backdate (self, "alpha");
    char path [256];
    snprintf (path, sizeof path, "%s/alpha", self->public_dir);
    struct stat before, after;
    assert_int_equal (stat (path, &before), 0);
    ep_allowlist_t *certs = s_certs_new (self);
    assert_true (ep_allowlist_lookup (certs, old, NULL));

    char *new = s_cert_write (self, "alpha", "strategy", "alpha", NULL, "a");
    assert_int_equal (stat (path, &after), 0);
    assert_int_equal (before.st_ino, after.st_ino);
    assert_int_equal (before.st_size, after.st_size);
    assert_int_equal (ep_allowlist_reload (certs), 1);
    assert_false (ep_allowlist_lookup (certs, old, NULL));
    ep_key_info_t info;
    assert_true (ep_allowlist_lookup (certs, new, &info));
    assert_string_equal (info.name, "alpha");
    assert_int_equal (ep_allowlist_size (certs), 1);
    ep_allowlist_destroy (&certs);
    free (old); free (new);
}

static void
test_a_cert_rewritten_in_place_with_a_new_key_replaces_the_old_key (void **state)
{
    s_rewrite_in_place_is_seen (*state, true);
}

static void
test_a_cert_rewritten_in_place_right_after_the_scan_is_seen_too (void **state)
{
    //  Both writes may fall in one clock tick: same size, same time stamp
    s_rewrite_in_place_is_seen (*state, false);
}

static void
test_reload_without_change_returns_zero_and_keeps_the_keys (void **state)
{
    s_fixture_t *self = *state;
    char *a = s_cert_write (self, "a", "meta", "a", NULL, NULL);
    char *b = s_cert_write (self, "b", "monitor", "b", NULL, NULL);
    s_file_write (self, "garbage", "not a certificate\n");
    //  once with files too new to trust their time stamps, once with old ones
    for (int pass = 0; pass < 2; pass++) {
        if (pass) {
            s_backdate (self, "a");
            s_backdate (self, "b");
            s_backdate (self, "garbage");
        }
        ep_allowlist_t *certs = s_certs_new (self);
        for (int i = 0; i < 3; i++) {
            assert_int_equal (ep_allowlist_reload (certs), 0);
            assert_int_equal (ep_allowlist_size (certs), 2);
            assert_true (ep_allowlist_lookup (certs, a, NULL));
            assert_true (ep_allowlist_lookup (certs, b, NULL));
        }
        ep_allowlist_destroy (&certs);
    }
    free (a); free (b);
}

static void
test_a_removed_public_folder_admits_no_one_and_a_missing_one_fails_new (void **state)
{
    s_fixture_t *self = *state;
    char *a = s_cert_write (self, "a", "meta", "a", NULL, NULL);
    ep_allowlist_t *certs = s_certs_new (self);
    s_file_remove (self, "a");
    assert_int_equal (rmdir (self->public_dir), 0);
    assert_int_equal (ep_allowlist_reload (certs), 1);
    assert_int_equal (ep_allowlist_size (certs), 0);
    ep_allowlist_destroy (&certs);
    char err [256] = "";
    assert_null (ep_allowlist_new (self->dir, err, sizeof err));
    assert_non_null (strstr (err, "public"));
    free (a);
}

static void
test_a_secret_file_open_to_group_or_others_is_refused (void **state)
{
    s_fixture_t *self = *state;
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "role", "meta");
    zcert_set_meta (cert, "name", "meta");
    char err [256] = "";
    assert_int_equal (ep_identity_save (cert, self->dir, "meta", false, err, sizeof err), 0);
    char path [256];
    snprintf (path, sizeof path, "%s/meta_secret", self->dir);
    for (int i = 0; i < 3; i++) {
        static const mode_t modes [] = { 0644, 0640, 0604 };
        assert_int_equal (chmod (path, modes [i]), 0);
        err [0] = 0;
        assert_null (ep_identity_load_secret (self->dir, "meta", err, sizeof err));
        assert_non_null (strstr (err, "meta_secret"));
        assert_non_null (strstr (err, "group or others"));
        assert_null (strstr (err, zcert_secret_txt (cert)));
    }
    assert_int_equal (chmod (path, 0600), 0);
    zcert_t *loaded = ep_identity_load_secret (self->dir, "meta", err, sizeof err);
    if (!loaded)
        fail_msg ("ep_identity_load_secret: %s", err);
    assert_true (zcert_eq (cert, loaded));
    assert_string_equal (zcert_meta (loaded, "role"), "meta");
    zcert_destroy (&loaded);
    //  a secret key filed with another key's public key
    zcert_t *other = zcert_new ();
    zcert_t *mixed = zcert_new_from (zcert_public_key (other), zcert_secret_key (cert));
    assert_int_equal (ep_identity_save (mixed, self->dir, "mixed", false, err, sizeof err), 0);
    assert_null (ep_identity_load_secret (self->dir, "mixed", err, sizeof err));
    assert_non_null (strstr (err, "not that of its secret key"));
    zcert_destroy (&mixed);
    zcert_destroy (&other);
    //  no such file, and a public certificate where the secret should be
    assert_null (ep_identity_load_secret (self->dir, "nobody", err, sizeof err));
    assert_non_null (strstr (err, "nobody_secret"));
    snprintf (path, sizeof path, "%s/meta_secret", self->dir);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (zcert_save_public (cert, path), 0);
    assert_int_equal (chmod (path, 0600), 0);
    assert_null (ep_identity_load_secret (self->dir, "meta", err, sizeof err));
    assert_non_null (strstr (err, "secret-key"));
    zcert_destroy (&cert);
}

static void
test_a_saved_pair_is_0644_and_0600_and_reads_back_with_zcert_load (void **state)
{
    s_fixture_t *self = *state;
    char folder [128];
    snprintf (folder, sizeof folder, "%s/new/certs", self->dir);
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "role", "strategy");
    zcert_set_meta (cert, "name", "alpha");
    zcert_set_meta (cert, "strategies", "a,b");
    zcert_set_meta (cert, "created-by", "test");
    char err [256] = "";
    mode_t mask = umask (0);            //  the modes must not depend on it
    int rc = ep_identity_save (cert, folder, "alpha", false, err, sizeof err);
    umask (mask);
    if (rc)
        fail_msg ("ep_identity_save: %s", err);
    char public_path [256], secret_path [256];
    snprintf (public_path, sizeof public_path, "%s/public/alpha", folder);
    snprintf (secret_path, sizeof secret_path, "%s/alpha_secret", folder);
    struct stat st;
    assert_int_equal (stat (folder, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0700);
    assert_int_equal (stat (public_path, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0644);
    assert_int_equal (stat (secret_path, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0600);

    //  CZMQ reads what we wrote: the secret through FILE (it tries
    //  FILE_secret first), the public one alone
    char path [256];
    snprintf (path, sizeof path, "%s/alpha", folder);
    zcert_t *loaded = zcert_load (path);
    assert_non_null (loaded);
    assert_true (zcert_eq (cert, loaded));
    assert_string_equal (zcert_meta (loaded, "strategies"), "a,b");
    zcert_destroy (&loaded);
    loaded = zcert_load (public_path);
    assert_non_null (loaded);
    assert_string_equal (zcert_public_txt (loaded), zcert_public_txt (cert));
    assert_string_equal (zcert_meta (loaded, "role"), "strategy");
    zcert_destroy (&loaded);
    //  and the public file holds no secret
    FILE *in = fopen (public_path, "r");
    assert_non_null (in);
    char line [256];
    while (fgets (line, sizeof line, in))
        assert_null (strstr (line, zcert_secret_txt (cert)));
    fclose (in);

    //  an existing pair is kept unless replace
    zcert_t *other = zcert_new ();
    zcert_set_meta (other, "role", "meta");
    assert_int_equal (ep_identity_save (other, folder, "alpha", false, err, sizeof err), -1);
    assert_non_null (strstr (err, "already exists"));
    loaded = ep_identity_load_secret (folder, "alpha", err, sizeof err);
    assert_non_null (loaded);
    assert_true (zcert_eq (cert, loaded));
    zcert_destroy (&loaded);
    assert_int_equal (ep_identity_save (other, folder, "alpha", true, err, sizeof err), 0);
    loaded = ep_identity_load_secret (folder, "alpha", err, sizeof err);
    assert_non_null (loaded);
    assert_true (zcert_eq (other, loaded));
    zcert_destroy (&loaded);
    assert_int_equal (stat (secret_path, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0600);
    //  no temporary file is left behind
    assert_int_equal (s_hidden_count (folder), 0);
    snprintf (path, sizeof path, "%s/public", folder);
    assert_int_equal (s_hidden_count (path), 0);
    zcert_destroy (&other);
    zcert_destroy (&cert);
}

static void
test_the_router_cert_is_loaded_from_public_and_must_have_the_router_role (void **state)
{
    s_fixture_t *self = *state;
    char err [256] = "";
    assert_null (ep_identity_load_router (self->dir, err, sizeof err));
    assert_non_null (strstr (err, "public/router"));
    char *key = s_cert_write (self, "router", "router", "router", NULL, NULL);
    zcert_t *router = ep_identity_load_router (self->dir, err, sizeof err);
    if (!router)
        fail_msg ("ep_identity_load_router: %s", err);
    assert_string_equal (zcert_public_txt (router), key);
    zcert_destroy (&router);
    free (key);
    key = s_cert_write (self, "router", "meta", "router", NULL, NULL);
    assert_null (ep_identity_load_router (self->dir, err, sizeof err));
    assert_non_null (strstr (err, "not a router certificate"));
    free (key);
}

static void
test_role_names_and_parse_round_trip (void **state)
{
    (void) state;
    for (int role = EP_ROLE_ROUTER; role <= EP_ROLE_MONITOR; role++) {
        const char *name = ep_role_name ((ep_role_t) role);
        assert_non_null (name);
        assert_int_equal (ep_role_parse (name), role);
    }
    assert_string_equal (ep_role_name (EP_ROLE_WORKER), "worker");
    assert_string_equal (ep_role_name (EP_ROLE_SAFETY), "safety");
    assert_null (ep_role_name (EP_ROLE_NONE));
    assert_null (ep_role_name ((ep_role_t) 99));
    assert_int_equal (ep_role_parse ("Router"), EP_ROLE_NONE);
    assert_int_equal (ep_role_parse (""), EP_ROLE_NONE);
    assert_int_equal (ep_role_parse (NULL), EP_ROLE_NONE);
}

static void
test_certificate_names_are_plain_file_names (void **state)
{
    (void) state;
    char longest [EP_CERTS_NAME_MAX + 2];
    memset (longest, 'n', EP_CERTS_NAME_MAX);
    longest [EP_CERTS_NAME_MAX] = 0;
    assert_true (ep_roles_name_valid (longest));
    assert_true (ep_roles_name_valid ("a"));
    assert_true (ep_roles_name_valid ("paper-1.b_2"));
    assert_true (ep_roles_name_valid ("secret"));
    strcat (longest, "n");
    assert_false (ep_roles_name_valid (longest));
    assert_false (ep_roles_name_valid (""));
    assert_false (ep_roles_name_valid (NULL));
    assert_false (ep_roles_name_valid ("."));
    assert_false (ep_roles_name_valid (".."));
    assert_false (ep_roles_name_valid (".hidden"));
    assert_false (ep_roles_name_valid ("a/b"));
    assert_false (ep_roles_name_valid ("a b"));
    assert_false (ep_roles_name_valid ("a:b"));
    assert_false (ep_roles_name_valid ("router_secret"));
}

//  The certificate file reader says why it failed, as a value: the
//  allow-list reads a folder again while a file cannot be read now, and a
//  program's own missing certificate points at ep-keygen.
static void
test_a_certificate_file_says_whether_it_is_missing_or_refused (void **state)
{
    s_fixture_t *self = *state;
    char path [256], err [512] = "";
    zcert_t *cert = (zcert_t *) self;   //  must come back NULL
    snprintf (path, sizeof path, "%s/none", self->public_dir);
    assert_int_equal (ep_certfile_load (path, false, &cert, err, sizeof err), EP_CERTFILE_MISSING);
    assert_null (cert);
    assert_non_null (strstr (err, "No such file"));
    assert_string_equal (ep_certfile_strerror (EP_CERTFILE_MISSING), "no such file");

    s_file_write (self, "garbage", "metadata\n    role = \"worker\"\ncurve\n    public-key = \"x\"\n");
    snprintf (path, sizeof path, "%s/garbage", self->public_dir);
    assert_int_equal (ep_certfile_load (path, false, &cert, err, sizeof err), EP_CERTFILE_REFUSED);
    assert_null (cert);
    assert_non_null (strstr (err, "no valid curve/public-key"));

    char *key = s_cert_write (self, "good", "monitor", "good", NULL, NULL);
    snprintf (path, sizeof path, "%s/good", self->public_dir);
    assert_int_equal (ep_certfile_load (path, false, &cert, err, sizeof err), EP_CERTFILE_OK);
    assert_non_null (cert);
    assert_string_equal (zcert_public_txt (cert), key);
    assert_false (ep_certfile_has_secret (cert));
    zcert_destroy (&cert);
    free (key);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_keys_written_by_zcert_are_indexed_with_their_role_name_plane_and_strategies),
        S_TEST (test_a_key_speaks_only_for_the_strategies_listed_exactly),
        S_TEST (test_an_unknown_key_is_not_found),
        S_TEST (test_garbage_and_roleless_files_are_skipped_and_the_rest_still_load),
        S_TEST (test_a_key_in_two_files_with_different_rights_is_not_admitted),
        S_TEST (test_reload_admits_an_added_cert_and_drops_a_removed_one),
        S_TEST (test_a_cert_rewritten_in_place_with_a_new_key_replaces_the_old_key),
        S_TEST (test_a_cert_rewritten_in_place_right_after_the_scan_is_seen_too),
        S_TEST (test_reload_without_change_returns_zero_and_keeps_the_keys),
        S_TEST (test_a_removed_public_folder_admits_no_one_and_a_missing_one_fails_new),
        S_TEST (test_a_secret_file_open_to_group_or_others_is_refused),
        S_TEST (test_a_saved_pair_is_0644_and_0600_and_reads_back_with_zcert_load),
        S_TEST (test_the_router_cert_is_loaded_from_public_and_must_have_the_router_role),
        S_TEST (test_role_names_and_parse_round_trip),
        S_TEST (test_certificate_names_are_plain_file_names),
        S_TEST (test_a_certificate_file_says_whether_it_is_missing_or_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
