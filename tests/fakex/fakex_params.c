/*  fakex_params: Binance request parameters and their signature.

    The signature covers the bytes as sent, before any decoding, so the
    signed text is cut from the raw query and body; names and values are
    decoded separately for the venue to read.  */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fakex_params.h"

typedef struct {
    const char *name;           //  decoded, points into text
    const char *value;          //  decoded ("" when sent without '='), into text
} s_param_t;

struct _fakex_params_t {
    char *text;                 //  every decoded name and value, NUL-terminated
    s_param_t items [FAKEX_PARAMS_MAX];     //  in the order sent, query first
    size_t size;                //  items in use
    char *signed_text;          //  raw query then raw body, signature taken out
    const char *signature;      //  decoded value of 'signature', or NULL
};

static int
s_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  Decodes len bytes of form-urlencoded text into *cursor, NUL-terminated,
//  and advances the cursor. Returns the decoded string, or NULL if the
//  encoding is bad or decodes to a NUL byte.
static const char *
s_decode (const char *raw, size_t len, char **cursor)
{
    char *start = *cursor;
    char *out = start;
    for (size_t i = 0; i < len; i++) {
        char c = raw [i];
        if (c == '+')
            c = ' ';
        else
        if (c == '%') {
            if (i + 2 >= len)
                return NULL;
            int high = s_hex_digit (raw [i + 1]);
            int low = s_hex_digit (raw [i + 2]);
            if (high < 0 || low < 0)
                return NULL;
            c = (char) (high * 16 + low);
            i += 2;
        }
        if (c == '\0')
            return NULL;
        *out++ = c;
    }
    *out++ = '\0';
    *cursor = out;
    return start;
}

//  Splits one raw part (query or body) into items. Appends the part to
//  signed_text without its signature parameter, if it holds it.
static fakex_params_error_t
s_parse_part (fakex_params_t *self, const char *raw, char **cursor)
{
    size_t len = strlen (raw);
    size_t sig_start = 0, sig_end = 0;      //  raw span of the signature, if here
    bool sig_here = false;
    size_t start = 0;
    while (start <= len) {
        const char *amp = memchr (raw + start, '&', len - start);
        size_t end = amp ? (size_t) (amp - raw) : len;
        if (end > start) {
            //  Empty segments ("a=1&&b=2") carry nothing; they stay in the
            //  signed text as sent
            if (self->size == FAKEX_PARAMS_MAX)
                return FAKEX_PARAMS_TOO_MANY;
            const char *eq = memchr (raw + start, '=', end - start);
            size_t name_len = eq ? (size_t) (eq - (raw + start)) : end - start;
            if (name_len == 0)
                return FAKEX_PARAMS_ILLEGAL;
            const char *name = s_decode (raw + start, name_len, cursor);
            const char *value = eq ? s_decode (eq + 1, (size_t) (raw + end - (eq + 1)), cursor)
                                   : s_decode ("", 0, cursor);
            if (!name || !value)
                return FAKEX_PARAMS_ILLEGAL;
            for (size_t index = 0; index < self->size; index++)
                if (strcmp (self->items [index].name, name) == 0)
                    return FAKEX_PARAMS_DUPLICATE;
            self->items [self->size].name = name;
            self->items [self->size].value = value;
            self->size++;
            if (strcmp (name, "signature") == 0) {
                self->signature = value;
                sig_here = true;
                sig_start = start;
                sig_end = end;
            }
        }
        if (!amp)
            break;
        start = end + 1;
    }
    //  Take the signature out with one of its separators: the '&' before
    //  it, or the one after it when it comes first
    if (sig_here) {
        if (sig_start > 0)
            sig_start--;
        else
        if (sig_end < len)
            sig_end++;
    }
    size_t kept = strlen (self->signed_text);
    memcpy (self->signed_text + kept, raw, sig_here ? sig_start : len);
    kept += sig_here ? sig_start : len;
    if (sig_here) {
        memcpy (self->signed_text + kept, raw + sig_end, len - sig_end);
        kept += len - sig_end;
    }
    self->signed_text [kept] = '\0';
    return FAKEX_PARAMS_OK;
}

fakex_params_t *
fakex_params_new (const char *query, const char *body, fakex_params_error_t *error)
{
    const char *parts [2] = { query ? query : "", body ? body : "" };
    size_t total = strlen (parts [0]) + strlen (parts [1]);
    fakex_params_t *self = calloc (1, sizeof *self);
    if (self) {
        //  Decoding never lengthens text; each name and value adds one NUL
        //  and a bare name adds an empty value: 2 bytes per raw byte is ample
        self->text = malloc (2 * total + 2);
        self->signed_text = calloc (1, total + 1);
    }
    if (!self || !self->text || !self->signed_text) {
        fakex_params_destroy (&self);
        *error = FAKEX_PARAMS_NOMEM;
        return NULL;
    }
    char *cursor = self->text;
    for (int part = 0; part < 2; part++) {
        fakex_params_error_t rc = s_parse_part (self, parts [part], &cursor);
        if (rc != FAKEX_PARAMS_OK) {
            fakex_params_destroy (&self);
            *error = rc;
            return NULL;
        }
    }
    *error = FAKEX_PARAMS_OK;
    return self;
}

void
fakex_params_destroy (fakex_params_t **self_p)
{
    if (*self_p) {
        fakex_params_t *self = *self_p;
        free (self->text);
        free (self->signed_text);
        free (self);
        *self_p = NULL;
    }
}

const char *
fakex_params_get (fakex_params_t *self, const char *name)
{
    for (size_t index = 0; index < self->size; index++)
        if (strcmp (self->items [index].name, name) == 0)
            return self->items [index].value;
    return NULL;
}

size_t
fakex_params_size (fakex_params_t *self)
{
    return self->size;
}

const char *
fakex_params_name (fakex_params_t *self, size_t index)
{
    return index < self->size ? self->items [index].name : NULL;
}

bool
fakex_params_verify (fakex_params_t *self, const char *secret)
{
    char expected [FAKEX_SIGNATURE_BUFSIZE];
    char given [FAKEX_SIGNATURE_BUFSIZE];
    if (!self->signature || strlen (self->signature) != FAKEX_SIGNATURE_BUFSIZE - 1)
        return false;
    //  Binance documents HMAC signatures as not case sensitive
    for (size_t index = 0; index < FAKEX_SIGNATURE_BUFSIZE; index++) {
        char c = self->signature [index];
        given [index] = c >= 'A' && c <= 'F' ? (char) (c - 'A' + 'a') : c;
    }
    fakex_params_sign (secret, self->signed_text, expected);
    //  Constant time, so timing does not leak how much of a guess matched
    return sodium_memcmp (expected, given, FAKEX_SIGNATURE_BUFSIZE - 1) == 0;
}

void
fakex_params_sign (const char *secret, const char *text, char hex [FAKEX_SIGNATURE_BUFSIZE])
{
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    //  The streaming form takes a key of any length, as HMAC does
    crypto_auth_hmacsha256_init (&state, (const unsigned char *) secret, strlen (secret));
    crypto_auth_hmacsha256_update (&state, (const unsigned char *) text, strlen (text));
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_bin2hex (hex, FAKEX_SIGNATURE_BUFSIZE, mac, sizeof mac);
    sodium_memzero (&state, sizeof state);
}

bool
fakex_params_verify_ed25519 (fakex_params_t *self,
                             const unsigned char key [FAKEX_ED25519_KEY_BYTES])
{
    return self->signature && fakex_ed25519_verify (key, self->signed_text, self->signature);
}

bool
fakex_ed25519_verify (const unsigned char key [FAKEX_ED25519_KEY_BYTES], const char *text,
                      const char *signature)
{
    unsigned char binary [crypto_sign_BYTES];
    size_t size = 0;
    //  The whole text must decode, to exactly one signature
    const char *end = NULL;
    if (sodium_base642bin (binary, sizeof binary, signature, strlen (signature), NULL, &size,
                           &end, sodium_base64_VARIANT_ORIGINAL) != 0
    ||  size != sizeof binary || *end != '\0')
        return false;
    return crypto_sign_verify_detached (binary, (const unsigned char *) text, strlen (text),
                                        key) == 0;
}

//  The DER an Ed25519 SubjectPublicKeyInfo starts with: SEQUENCE {
//  SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes, 0 unused bits) }
static const unsigned char s_spki_prefix [12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};

bool
fakex_ed25519_key_load (const char *path, unsigned char key [FAKEX_ED25519_KEY_BYTES],
                        char *error, size_t error_size)
{
    static const char *begin = "-----BEGIN PUBLIC KEY-----";
    static const char *finish = "-----END PUBLIC KEY-----";
    char text [4096];
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (error, error_size, "cannot read %s: %s", path, strerror (errno));
        return false;
    }
    size_t len = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [len] = '\0';
    char *start = strstr (text, begin);
    char *stop = start ? strstr (start, finish) : NULL;
    if (!stop) {
        snprintf (error, error_size, "%s holds no PEM PUBLIC KEY", path);
        return false;
    }
    start += strlen (begin);
    unsigned char der [sizeof s_spki_prefix + FAKEX_ED25519_KEY_BYTES];
    size_t size = 0;
    if (sodium_base642bin (der, sizeof der, start, (size_t) (stop - start), " \t\r\n", &size,
                           NULL, sodium_base64_VARIANT_ORIGINAL) != 0
    ||  size != sizeof der || memcmp (der, s_spki_prefix, sizeof s_spki_prefix) != 0) {
        snprintf (error, error_size, "%s is not an Ed25519 public key", path);
        return false;
    }
    memcpy (key, der + sizeof s_spki_prefix, FAKEX_ED25519_KEY_BYTES);
    return true;
}
