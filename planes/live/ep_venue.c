/*  ep_venue: what every venue shares: the result's lifetime and the client
    order id an intent gets at any venue.  */
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "ep_venue.h"

#define S_ID_PREFIX     "ep"
#define S_ID_HASHED     32              //  base64url characters kept after the prefix

void
ep_venue_result_reset (ep_venue_result_t *result)
{
    assert (result);
    free (result->body);
    free (result->fills);
    memset (result, 0, sizeof (*result));
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
