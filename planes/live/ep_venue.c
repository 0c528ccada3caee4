/*  ep_venue: what every venue shares: the result's lifetime, the client
    order id an intent gets at any venue, the keys, and the one place that
    knows which venues there are.  */
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_instruments_file.h"
#include "ep_venue.h"
#include "ep_venue_binance.h"

#define S_ID_PREFIX     "ep"
#define S_ID_HASHED     32              //  base64url characters kept after the prefix

void
ep_venue_result_reset (ep_venue_result_t *result)
{
    assert (result);
    free (result->body);
    free (result->fills);
    free (result->open);
    memset (result, 0, sizeof (*result));
}

void
ep_venue_stream_event_reset (ep_venue_stream_event_t *event)
{
    assert (event);
    ep_venue_result_reset (&event->order);
    memset (event, 0, sizeof *event);
}

int64_t
ep_venue_weight (ep_venue_t *venue, ep_venue_op_t op)
{
    assert (venue);
    int64_t weight = venue->weight ? venue->weight (venue, op) : 1;
    return weight > 0 ? weight : 1;
}

void
ep_venue_destroy (ep_venue_t **self_p)
{
    assert (self_p);
    if (*self_p)
        (*self_p)->destroy (self_p);
}

void
ep_venue_client_order_id (const char *strategy_id, const char *intent_id,
                          char out [EP_VENUE_CLIENT_ID_MAX + 1])
{
    assert (out);
    //  Harmless when already done; libsodium asks for it before any use
    if (sodium_init () < 0)
        abort ();

    //  0x1f cannot occur in an id ([A-Za-z0-9._:-]), so ("a", "bc") and
    //  ("ab", "c") hash different input: the pair maps to one string only
    static const unsigned char separator = 0x1f;
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    if (strategy_id)
        crypto_hash_sha256_update (&state, (const unsigned char *) strategy_id,
                                   strlen (strategy_id));
    crypto_hash_sha256_update (&state, &separator, 1);
    if (intent_id)
        crypto_hash_sha256_update (&state, (const unsigned char *) intent_id,
                                   strlen (intent_id));
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&state, digest);

    //  43 characters of base64url ([A-Za-z0-9_-]); 32 of them carry 192
    //  bits, far beyond any collision we could meet, and "ep" + 32 stays
    //  within Binance's 36
    char encoded [sodium_base64_ENCODED_LEN (crypto_hash_sha256_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64 (encoded, sizeof (encoded), digest, sizeof (digest),
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memcpy (out, S_ID_PREFIX, strlen (S_ID_PREFIX));
    memcpy (out + strlen (S_ID_PREFIX), encoded, S_ID_HASHED);
    out [strlen (S_ID_PREFIX) + S_ID_HASHED] = '\0';
}

//  --------------------------------------------------------------------------
//  The venue keys

#define S_KEY_MAX 512                   //  bytes of a key or a secret, with its NUL
#define S_PEM_MAX 4096                  //  bytes of a PEM private key, with its NUL

//  The keys as read, before the venue takes its own copies.
typedef struct {
    char key [S_KEY_MAX];               //  the API key
    char secret [S_KEY_MAX];            //  an HMAC secret, or ""
    char pem [S_PEM_MAX];               //  an Ed25519 private key (PEM), or ""
    size_t pem_size;
} s_keys_t;

//  Takes name out of the environment, if it is there: its value is zeroed
//  where it lies (so /proc/PID/environ no longer shows it), then unset.
static void
s_env_forget (const char *name)
{
    char *value = getenv (name);
    if (!value)
        return;
    sodium_memzero (value, strlen (value));
    unsetenv (name);
}

//  Copies a key read from the environment; -1 if it does not fit.
static int
s_env_copy (const char *name, const char *value, char *buf, size_t size,
            char *err, size_t err_size)
{
    if (strlen (value) >= size) {
        snprintf (err, err_size, "%s is longer than %zu bytes", name, size - 1);
        return -1;
    }
    snprintf (buf, size, "%s", value);
    return 0;
}

//  A file of secrets: refused when group or others may read it. Returns
//  the open file, or NULL with the reason in err.
static FILE *
s_secret_open (const char *path, const char *what, char *err, size_t err_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, err_size, "%s %s cannot be read", what, path);
        return NULL;
    }
    struct stat st;
    if (fstat (fileno (file), &st) || (st.st_mode & 077)) {
        snprintf (err, err_size, "%s %s is open to group or others (mode %04o): chmod 600 it",
                  what, path, (unsigned) (st.st_mode & 07777));
        fclose (file);
        return NULL;
    }
    return file;
}

//  Appends line to the PEM text in keys->pem; -1 if it does not fit.
static int
s_pem_append (s_keys_t *keys, const char *line)
{
    size_t len = strlen (line);
    if (keys->pem_size + len >= S_PEM_MAX)
        return -1;
    memcpy (keys->pem + keys->pem_size, line, len + 1);
    keys->pem_size += len;
    return 0;
}

//  Reads the PEM private key file at path into keys->pem.
static int
s_private_key_file (const char *path, s_keys_t *keys, char *err, size_t err_size)
{
    FILE *file = s_secret_open (path, "private key file", err, err_size);
    if (!file)
        return -1;
    char buffer [BUFSIZ];
    setvbuf (file, buffer, _IOFBF, sizeof buffer);
    char line [256];
    int rc = 0;
    keys->pem_size = 0;
    while (rc == 0 && fgets (line, sizeof line, file))
        rc = s_pem_append (keys, line);
    fclose (file);
    sodium_memzero (buffer, sizeof buffer);
    sodium_memzero (line, sizeof line);
    if (rc)
        snprintf (err, err_size, "private key file %s is longer than %d bytes", path,
                  S_PEM_MAX - 1);
    return rc;
}

//  Reads the keys file at path: `api_key = ...`, then either
//  `api_secret = ...` (HMAC) or an Ed25519 private key, as a PEM block
//  in the file itself or as `private_key_file = PATH`. stdio reads
//  through a buffer that is zeroed after.
static int
s_keys_file (const char *path, s_keys_t *keys, char *err, size_t err_size)
{
    FILE *file = s_secret_open (path, "keys file", err, err_size);
    if (!file) {
        if (access (path, F_OK))
            snprintf (err, err_size, "no venue keys: %s cannot be read, and EP_VENUE_API_KEY "
                      "and EP_VENUE_API_SECRET are not set", path);
        return -1;
    }
    char buffer [BUFSIZ];
    setvbuf (file, buffer, _IOFBF, sizeof buffer);
    char line [1024], name [32], value [512], key_file [512] = "";
    bool in_pem = false;
    int rc = 0;
    while (rc == 0 && fgets (line, sizeof line, file)) {
        if (in_pem || strncmp (line, "-----BEGIN ", 11) == 0) {
            //  A PEM block, as the key generator wrote it, kept whole
            rc = s_pem_append (keys, line);
            in_pem = strncmp (line, "-----END ", 9) != 0;
            continue;
        }
        if (sscanf (line, " %31[a-z_] = %511s", name, value) != 2)
            continue;
        if (strcmp (name, "api_key") == 0)
            snprintf (keys->key, sizeof keys->key, "%s", value);
        else
        if (strcmp (name, "api_secret") == 0)
            snprintf (keys->secret, sizeof keys->secret, "%s", value);
        else
        if (strcmp (name, "private_key_file") == 0)
            snprintf (key_file, sizeof key_file, "%s", value);
    }
    fclose (file);
    sodium_memzero (buffer, sizeof buffer);
    sodium_memzero (line, sizeof line);
    sodium_memzero (value, sizeof value);
    if (rc) {
        snprintf (err, err_size, "keys file %s: its private key is longer than %d bytes", path,
                  S_PEM_MAX - 1);
        return -1;
    }
    int kinds = (*keys->secret != 0) + (keys->pem_size > 0) + (*key_file != 0);
    if (!*keys->key || kinds != 1) {
        snprintf (err, err_size, "keys file %s needs `api_key = ...` and one of `api_secret = "
                  "...` (HMAC), a PEM private key block (Ed25519) or `private_key_file = PATH`"
                  "%s", path, kinds > 1 ? ": it gives more than one" : "");
        return -1;
    }
    return *key_file ? s_private_key_file (key_file, keys, err, err_size) : 0;
}

//  Reads the venue keys from the environment or the keys file at path.
//  keys is the caller's to zero, whatever this returns.
static int
s_keys_load (const char *path, s_keys_t *keys, char *err, size_t err_size)
{
    const char *env_key = getenv ("EP_VENUE_API_KEY");
    const char *env_secret = getenv ("EP_VENUE_API_SECRET");
    int rc = 1;                         //  1: not from the environment
    if (env_key && env_secret && *env_key && *env_secret) {
        rc = s_env_copy ("EP_VENUE_API_KEY", env_key, keys->key, sizeof keys->key, err,
                         err_size);
        if (rc == 0)
            rc = s_env_copy ("EP_VENUE_API_SECRET", env_secret, keys->secret,
                             sizeof keys->secret, err, err_size);
    }
    //  One of them alone is not used, and not left there either.
    s_env_forget ("EP_VENUE_API_KEY");
    s_env_forget ("EP_VENUE_API_SECRET");
    return rc == 1 ? s_keys_file (path, keys, err, err_size) : rc;
}

//  --------------------------------------------------------------------------
//  The venues there are

bool
ep_venue_known (const char *name)
{
    return name && strcmp (name, "binance") == 0;
}

const char *
ep_venue_names (void)
{
    return "binance";
}

ep_venue_t *
ep_venue_new (const char *name, const ep_config_t *config, char *err, size_t err_size)
{
    assert (config);
    if (!ep_venue_known (name)) {
        snprintf (err, err_size, "unknown venue '%s' (known: %s)", name ? name : "",
                  ep_venue_names ());
        return NULL;
    }
    //  The adapter keeps its own copies, in sodium_malloc memory; these
    //  are zeroed as soon as it has them.
    s_keys_t *keys = sodium_init () < 0 ? NULL : sodium_malloc (sizeof *keys);
    ep_venue_t *venue = NULL;
    if (!keys)
        snprintf (err, err_size, "no memory for the keys");
    else {
        memset (keys, 0, sizeof *keys);
        if (s_keys_load (config->keys, keys, err, err_size) == 0) {
            ep_binance_config_t binance = {
                .base_url = config->base_url, .api_key = keys->key,
                .api_secret = *keys->secret ? keys->secret : NULL,
                .private_key_pem = keys->pem_size ? keys->pem : NULL,
                .private_key_pem_size = keys->pem_size,
                .stream_url = config->stream_url,
                .recv_window_ms = config->recv_window_ms,
                .connect_timeout_ms = config->connect_timeout_ms,
                .timeout_ms = config->timeout_ms
            };
            venue = ep_venue_binance_new (&binance, err, err_size);
            if (venue) {
                unsigned char digest [crypto_hash_sha256_BYTES];
                crypto_hash_sha256 (digest, (const unsigned char *) keys->key,
                                    strlen (keys->key));
                sodium_bin2hex (venue->account, sizeof venue->account, digest, 8);
                venue->key_kind = keys->pem_size ? "ed25519" : "hmac";
            }
        }
        sodium_free (keys);             //  zeroed by sodium_free
    }
    return venue;
}

int
ep_venue_fetch_rules (ep_venue_t *venue, ep_instruments_t *table, char *err, size_t err_size)
{
    assert (venue && table && err);
    *table = (ep_instruments_t) { 0 };
    if (!venue->prepare_info || !venue->read_rules) {
        snprintf (err, err_size, "the venue %s publishes no trading rules", venue->name);
        return -1;
    }
    ep_venue_request_t request;
    if (venue->prepare_info (venue, EP_VENUE_RULES, &request)) {
        snprintf (err, err_size, "%s", request.params);
        return -1;
    }
    ep_venue_result_t result = { 0 };
    venue->send (venue, &request, &result);
    int rc = venue->read_rules (venue, &result, table, err, err_size);
    ep_venue_result_reset (&result);
    return rc;
}

int
ep_venue_export_rules (const char *config_path, const char *path, char *err,
                            size_t err_size)
{
    assert (path && err);
    ep_config_t config;
    if (ep_config_load (&config, config_path, err, err_size))
        return 2;
    ep_instruments_t table = { 0 };
    ep_venue_t *venue = ep_venue_new (config.venue, &config, err, err_size);
    int rc = venue && ep_venue_fetch_rules (venue, &table, err, err_size) == 0
          && ep_instruments_save (path, &table, err, err_size) == 0 ? 0 : 1;
    if (rc == 0)
        printf ("ep-live: %zu symbol(s) of %s at %s written to %s\n", table.count,
                venue->name, config.base_url, path);
    ep_instruments_clear (&table);
    ep_venue_destroy (&venue);
    return rc;
}
