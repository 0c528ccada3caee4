/*  test_ed25519_pem: an Ed25519 private key for the unit tests, made from
    a known seed (RFC 8032's test vectors) into the PKCS#8 PEM that
    Binance's key generator writes. Include after cmocka and sodium.  */
#ifndef TEST_ED25519_PEM_H_INCLUDED
#define TEST_ED25519_PEM_H_INCLUDED

#include <stdio.h>

//  RFC 8032's test vector 1: a private key's seed and its public key
#define TEST_SEED_1     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define TEST_PUBLIC_1   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

//  The seed (64 hex digits) as a PKCS#8 PEM, into pem.
static inline void
test_pem_of_seed (const char *seed_hex, char *pem, size_t size)
{
    unsigned char der [48] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                               0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
    assert_int_equal (sodium_hex2bin (der + 16, 32, seed_hex, 64, NULL, NULL, NULL), 0);
    char base64 [80];
    sodium_bin2base64 (base64, sizeof base64, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
    snprintf (pem, size, "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", base64);
}

#endif
