/*  ep_binance_ed25519: Binance's Ed25519 API keys. The private key comes as
    a PKCS#8 PEM, as Binance's key generator writes it (the 32-byte seed
    after a fixed 16-byte prefix); a request is signed by the base64 of the
    Ed25519 signature of its payload (rest-api.md, "Ed25519 Keys"). The
    key lives in sodium_malloc memory; every copy made on the way is
    zeroed.  */
#define _GNU_SOURCE                     //  memmem
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "ep_binance.h"

//  PKCS#8 of an Ed25519 key: SEQUENCE { INTEGER 0, SEQUENCE { OID
//  1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }
static const unsigned char s_prefix [16] = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
    0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
};
#define S_BEGIN "-----BEGIN PRIVATE KEY-----"
#define S_END   "-----END PRIVATE KEY-----"

unsigned char *
ep_binance_ed25519_load (const char *pem, size_t size, char *err, size_t err_size)
{
    assert (pem && err);
    const char *begin = memmem (pem, size, S_BEGIN, strlen (S_BEGIN));
    const char *end = begin ? memmem (begin, size - (size_t) (begin - pem), S_END,
                                      strlen (S_END)) : NULL;
    if (!begin || !end) {
        snprintf (err, err_size, "not a PEM private key (no %s ... %s)", S_BEGIN, S_END);
        return NULL;
    }
    begin += strlen (S_BEGIN);
    unsigned char der [64];
    size_t der_size = 0;
    int rc = sodium_base642bin (der, sizeof der, begin, (size_t) (end - begin), " \t\r\n",
                                &der_size, NULL, sodium_base64_VARIANT_ORIGINAL);
    unsigned char *secret = NULL;
    if (rc != 0 || der_size != sizeof s_prefix + crypto_sign_SEEDBYTES
    ||  memcmp (der, s_prefix, sizeof s_prefix) != 0)
        snprintf (err, err_size, "not an Ed25519 private key in PKCS#8 (as Binance's key "
                  "generator writes it)");
    else
    if (!(secret = sodium_malloc (crypto_sign_SECRETKEYBYTES)))
        snprintf (err, err_size, "out of memory");
    else {
        unsigned char public_key [crypto_sign_PUBLICKEYBYTES];
        crypto_sign_seed_keypair (public_key, secret, der + sizeof s_prefix);
        sodium_mprotect_readonly (secret);
    }
    sodium_memzero (der, sizeof der);
    return secret;
}

int
ep_binance_ed25519_sign (const unsigned char *secret, const char *payload, char *signature,
                         size_t size)
{
    assert (secret && payload && signature);
    unsigned char signed_bytes [crypto_sign_BYTES];
    if (size < sodium_base64_ENCODED_LEN (crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL))
        return -1;
    crypto_sign_detached (signed_bytes, NULL, (const unsigned char *) payload, strlen (payload),
                          secret);
    sodium_bin2base64 (signature, size, signed_bytes, sizeof signed_bytes,
                       sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

void
ep_binance_ed25519_free (unsigned char **secret_p)
{
    assert (secret_p);
    sodium_free (*secret_p);            //  zeroed by sodium_free
    *secret_p = NULL;
}
