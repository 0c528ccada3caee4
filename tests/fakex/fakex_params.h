/*  fakex_params: the parameters of one Binance REST request as the venue
    reads them. The query string and the form body are each split on '&'
    and percent-decoded; the text the client signed is kept apart: the raw
    query followed directly by the raw body, with the signature parameter
    taken out (Binance's totalParams).  */
#ifndef FAKEX_PARAMS_H_INCLUDED
#define FAKEX_PARAMS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Most parameters one request may carry
#define FAKEX_PARAMS_MAX 32

//  Size of a buffer for a hex signature with its NUL
#define FAKEX_SIGNATURE_BUFSIZE 65

typedef enum {
    FAKEX_PARAMS_OK = 0,
    FAKEX_PARAMS_ILLEGAL,       //  bad percent-encoding, a NUL byte, an empty name
    FAKEX_PARAMS_DUPLICATE,     //  one name sent twice (query and body count together)
    FAKEX_PARAMS_TOO_MANY,      //  more than FAKEX_PARAMS_MAX
    FAKEX_PARAMS_NOMEM          //  out of memory
} fakex_params_error_t;

typedef struct _fakex_params_t fakex_params_t;

//  Parses query and body (either may be NULL or empty). On error returns
//  NULL, sets *error, and allocates nothing.
fakex_params_t *fakex_params_new (const char *query, const char *body, fakex_params_error_t *error);

//  Frees the parameters and NULLs the caller's pointer.
void fakex_params_destroy (fakex_params_t **self_p);

//  The decoded value of a parameter, or NULL if it was not sent.
const char *fakex_params_get (fakex_params_t *self, const char *name);

//  How many parameters were sent, and the decoded name of each.
size_t fakex_params_size (fakex_params_t *self);
const char *fakex_params_name (fakex_params_t *self, size_t index);

//  True if the request carries a signature that is the hex HMAC-SHA256 of
//  the signed text under secret (hex digits in either case, as Binance
//  documents for HMAC keys).
bool fakex_params_verify (fakex_params_t *self, const char *secret);

//  Size of an Ed25519 public key
#define FAKEX_ED25519_KEY_BYTES 32

//  True if the request carries a signature that is the base64 Ed25519
//  signature of the signed text under key (the text HMAC would cover).
bool fakex_params_verify_ed25519 (fakex_params_t *self,
                                  const unsigned char key [FAKEX_ED25519_KEY_BYTES]);

//  True if signature is the base64 (standard alphabet, padded) Ed25519
//  signature of text under key.
bool fakex_ed25519_verify (const unsigned char key [FAKEX_ED25519_KEY_BYTES], const char *text,
                           const char *signature);

//  Reads an Ed25519 public key from a PEM "PUBLIC KEY" file (SPKI, as
//  openssl pkey -pubout writes it). False with error set if it does not.
bool fakex_ed25519_key_load (const char *path, unsigned char key [FAKEX_ED25519_KEY_BYTES],
                             char *error, size_t error_size);

//  Writes the lowercase hex HMAC-SHA256 of text under secret into hex.
//  Needs sodium_init () first.
void fakex_params_sign (const char *secret, const char *text, char hex [FAKEX_SIGNATURE_BUFSIZE]);

#endif
