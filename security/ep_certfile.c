/*  ep_certfile: reading and writing one certificate file's text.  */
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_certfile.h"
#include "ep_roles.h"

//  No certificate is bigger; a bigger file is not one.
#define S_TEXT_MAX      65536

//  Characters of a ZPL name in a certificate.
#define S_NAME_CHARS    EP_CERTS_NAME_CHARS ":"

//  A 32-byte zero key in Z85: what a certificate without that key holds.
#define S_ZERO_KEY      "0000000000000000000000000000000000000000"

const char *
ep_certfile_strerror (ep_certfile_status_t status)
{
    switch (status) {
        case EP_CERTFILE_OK:        return "read";
        case EP_CERTFILE_MISSING:   return "no such file";
        case EP_CERTFILE_TRANSIENT: return "cannot be read now";
        case EP_CERTFILE_REFUSED:   return "not a certificate to trust";
    }
    return "unknown status";
}

//  --------------------------------------------------------------------------
//  Reading

//  Opens path for reading without blocking (a FIFO dropped in the folder
//  must not block the reader). Returns the descriptor, or -1 with the
//  status in *status and the reason in err.
static int
s_open (const char *path, ep_certfile_status_t *status, char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        int e = errno;
        *status = e == ENOENT ? EP_CERTFILE_MISSING
                : e == EACCES || e == ELOOP || e == ENOTDIR ? EP_CERTFILE_REFUSED
                : EP_CERTFILE_TRANSIENT;
        snprintf (err, err_size, "%s: %s", path, strerror (e));
    }
    return fd;
}

//  Checks that what fd reads is a file that may be a certificate (for a
//  secret, one that group and others may not access). Returns
//  EP_CERTFILE_OK, or another status with the reason in err.
static ep_certfile_status_t
s_check (int fd, const char *path, bool secret, char *err, size_t err_size)
{
    struct stat st;
    if (fstat (fd, &st)) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return EP_CERTFILE_TRANSIENT;
    }
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
        return EP_CERTFILE_OK;
    return EP_CERTFILE_REFUSED;
}

//  Reads a whole certificate file through one descriptor, so that the
//  checks are of the text read. Returns EP_CERTFILE_OK with the text in
//  *text_p, which the caller zeroes and frees, or another status with
//  the reason in err.
static ep_certfile_status_t
s_text_load (const char *path, bool secret, char **text_p, char *err, size_t err_size)
{
    ep_certfile_status_t status;
    int fd = s_open (path, &status, err, err_size);
    if (fd == -1)
        return status;
    status = s_check (fd, path, secret, err, err_size);
    char *text = status == EP_CERTFILE_OK ? malloc (S_TEXT_MAX + 1) : NULL;
    if (status == EP_CERTFILE_OK && !text) {
        snprintf (err, err_size, "%s: out of memory", path);
        status = EP_CERTFILE_TRANSIENT;
    }
    size_t size = 0;
    while (text) {
        ssize_t n = read (fd, text + size, S_TEXT_MAX + 1 - size);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 || size + n > S_TEXT_MAX) {
            snprintf (err, err_size, "%s: %s", path,
                      n == -1 ? strerror (errno) : "too big for a certificate");
            status = EP_CERTFILE_TRANSIENT;
        }
        else
        if (n == 0 && memchr (text, 0, size)) {
            snprintf (err, err_size, "%s: not a text file", path);
            status = EP_CERTFILE_REFUSED;
        }
        else
        if (n == 0) {
            text [size] = 0;
            break;
        }
        else {
            size += n;
            continue;
        }
        explicit_bzero (text, size);
        zstr_free (&text);
    }
    close (fd);
    *text_p = text;
    return text ? EP_CERTFILE_OK : status;
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

//  What s_cert_parse has read so far.
typedef struct {
    zhashx_t *meta;                     //  metadata name -> value
    const char *public_txt;             //  curve/public-key, in the text; NULL: none yet
    const char *secret_txt;             //  curve/secret-key, in the text; NULL: none yet
    char section [65];                  //  the section being read
} s_parse_t;

//  Takes one line of certificate text (number lineno). Returns 0, or -1
//  with the reason in err.
static int
s_parse_line (s_parse_t *self, char *line, int lineno, char *err, size_t err_size)
{
    int depth;
    char name [65];
    char *value;
    int rc = s_line_parse (line, &depth, name, sizeof name, &value);
    if (rc == -1) {
        snprintf (err, err_size, "line %d: not valid ZPL", lineno);
        return -1;
    }
    if (rc == 1)
        return 0;
    if (depth == 0) {
        strcpy (self->section, name);
        return 0;
    }
    if (depth > 1 || !*self->section) {
        snprintf (err, err_size, "line %d: not a certificate item", lineno);
        return -1;
    }
    if (streq (self->section, "metadata") && value) {
        //  Two values for one name: which one counts would be a guess
        if (zhashx_insert (self->meta, name, value)) {
            snprintf (err, err_size, "line %d: metadata %s given twice", lineno, name);
            return -1;
        }
    }
    else
    if (streq (self->section, "curve")
    && (streq (name, "public-key") || streq (name, "secret-key"))) {
        const char **slot = streq (name, "public-key") ? &self->public_txt : &self->secret_txt;
        if (*slot) {
            snprintf (err, err_size, "line %d: %s given twice", lineno, name);
            return -1;
        }
        *slot = value ? value : "";
    }
    return 0;
}

//  Parses certificate text: the ZPL that zcert writes, sections `metadata`
//  and `curve` with `name = value` items four spaces in, and comments.
//  Returns a certificate, or NULL with the reason in err (a line number,
//  never the text). Overwrites text.
static zcert_t *
s_cert_parse (char *text, char *err, size_t err_size)
{
    s_parse_t parse = { .meta = zhashx_new () };
    zhashx_set_destructor (parse.meta, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (parse.meta, (zhashx_duplicator_fn *) strdup);
    bool failed = false;
    int lineno = 0;
    char *line = text;
    while (line && !failed) {
        char *next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        size_t len = strlen (line);
        if (len && line [len - 1] == '\r')
            line [len - 1] = 0;
        failed = s_parse_line (&parse, line, ++lineno, err, err_size) != 0;
        line = next;
    }
    zcert_t *cert = NULL;
    byte public_key [32] = { 0 }, secret_key [32] = { 0 };
    if (failed)
        ;
    else
    if (s_key_decode (parse.public_txt, public_key) || streq (parse.public_txt, S_ZERO_KEY))
        snprintf (err, err_size, "no valid curve/public-key");
    else
    if (parse.secret_txt && s_key_decode (parse.secret_txt, secret_key))
        snprintf (err, err_size, "curve/secret-key is not a valid key");
    else
        cert = zcert_new_from (public_key, secret_key);
    zhashx_t *meta = parse.meta;
    for (const char *value = cert ? zhashx_first (meta) : NULL; value; value = zhashx_next (meta))
        zcert_set_meta (cert, (const char *) zhashx_cursor (meta), "%s", value);
    explicit_bzero (secret_key, sizeof secret_key);
    zhashx_destroy (&parse.meta);
    return cert;
}

bool
ep_certfile_has_secret (zcert_t *cert)
{
    return !streq (zcert_secret_txt (cert), S_ZERO_KEY);
}

ep_certfile_status_t
ep_certfile_load (const char *path, bool secret, zcert_t **cert_p, char *err, size_t err_size)
{
    assert (path);
    assert (cert_p);
    *cert_p = NULL;
    char *text = NULL;
    ep_certfile_status_t status = s_text_load (path, secret, &text, err, err_size);
    if (status != EP_CERTFILE_OK)
        return status;
    size_t size = strlen (text);
    char sub [200];
    *cert_p = s_cert_parse (text, sub, sizeof sub);
    if (!*cert_p) {
        snprintf (err, err_size, "%s: %s", path, sub);
        status = EP_CERTFILE_REFUSED;
    }
    explicit_bzero (text, size);
    free (text);
    return status;
}

//  --------------------------------------------------------------------------
//  Writing

static int
s_compare_list (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
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

char *
ep_certfile_text (zcert_t *cert, bool secret, char *err, size_t err_size)
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
