/*  test_live_venue: ep_venue_new, the one place that knows which venues
    there are, and how it finds their keys: the environment first (taken
    out of it once read), else a keys file no one else may read.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "ep_venue.h"
#include "ep_venue_binance.h"
#include "test_ed25519_pem.h"

typedef struct {
    char dir [64];                      //  a private folder
    ep_config_t config;                 //  a live configuration, keys in dir
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    assert_non_null (fixture);
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/ep-live-venue.XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    ep_config_t *config = &fixture->config;
    snprintf (config->venue, sizeof config->venue, "binance");
    snprintf (config->base_url, sizeof config->base_url, "http://127.0.0.1:9");
    snprintf (config->keys, sizeof config->keys, "%s/keys", fixture->dir);
    config->recv_window_ms = 5000;
    config->connect_timeout_ms = 1000;
    config->timeout_ms = 15000;
    unsetenv ("EP_VENUE_API_KEY");
    unsetenv ("EP_VENUE_API_SECRET");
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    unlink (fixture->config.keys);
    rmdir (fixture->dir);
    free (fixture);
    return 0;
}

static void
s_write_keys (const fixture_t *fixture, const char *text, mode_t mode)
{
    FILE *file = fopen (fixture->config.keys, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    assert_int_equal (chmod (fixture->config.keys, mode), 0);
}

static void
test_unknown_venue_is_refused (void **state)
{
    fixture_t *fixture = *state;
    assert_false (ep_venue_known ("kraken"));
    assert_true (ep_venue_known ("binance"));
    char err [256] = "";
    assert_null (ep_venue_new ("kraken", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "unknown venue 'kraken'"));
}

static void
test_keys_from_the_environment_are_taken_out_of_it (void **state)
{
    fixture_t *fixture = *state;
    setenv ("EP_VENUE_API_KEY", "key-0123456789", 1);
    setenv ("EP_VENUE_API_SECRET", "secret-0123456789", 1);
    char err [256] = "";
    ep_venue_t *venue = ep_venue_new ("binance", &fixture->config, err, sizeof err);
    assert_non_null (venue);
    assert_string_equal (venue->name, "binance");
    assert_null (getenv ("EP_VENUE_API_KEY"));
    assert_null (getenv ("EP_VENUE_API_SECRET"));
    ep_venue_destroy (&venue);
    assert_null (venue);
}

static void
test_one_key_alone_in_the_environment_is_not_used_nor_left (void **state)
{
    fixture_t *fixture = *state;
    setenv ("EP_VENUE_API_KEY", "key-0123456789", 1);
    char err [256] = "";
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "no venue keys"));
    assert_null (getenv ("EP_VENUE_API_KEY"));
}

static void
test_keys_file_is_read (void **state)
{
    fixture_t *fixture = *state;
    s_write_keys (fixture, "api_key = key-0123456789\napi_secret = secret-0123456789\n", 0600);
    char err [256] = "";
    ep_venue_t *venue = ep_venue_new ("binance", &fixture->config, err, sizeof err);
    assert_non_null (venue);
    ep_venue_destroy (&venue);
}

static void
test_keys_file_open_to_others_is_refused (void **state)
{
    fixture_t *fixture = *state;
    s_write_keys (fixture, "api_key = key-0123456789\napi_secret = secret-0123456789\n", 0644);
    char err [256] = "";
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "open to group or others"));
}

static void
test_keys_file_without_a_secret_is_refused (void **state)
{
    fixture_t *fixture = *state;
    s_write_keys (fixture, "api_key = key-0123456789\n", 0600);
    char err [256] = "";
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "needs `api_key = ...` and one of `api_secret = ...`"));
}

//  The venue signs params with RFC 8032's key 1: the signature it makes is
//  percent-encoded base64 (nothing a query string would misread), and it
//  verifies under the key's public half.
static void
s_assert_signs_with_key_1 (ep_venue_t *venue)
{
    const char *params = "symbol=BTCUSDT&side=BUY&type=LIMIT&timestamp=1700000000000";
    char signature [EP_BINANCE_SIGNATURE_MAX];
    ep_binance_sign_params (venue, params, signature);
    assert_null (strpbrk (signature, "+/="));
    char decoded [100];
    size_t len = 0;
    for (const char *c = signature; *c; c++) {
        unsigned int byte = (unsigned char) *c;
        if (*c == '%') {
            assert_int_equal (sscanf (c + 1, "%2X", &byte), 1);
            c += 2;
        }
        decoded [len++] = (char) byte;
    }
    decoded [len] = '\0';
    unsigned char raw [64], public_key [32];
    size_t raw_size = 0;
    assert_int_equal (sodium_base642bin (raw, sizeof raw, decoded, len, NULL, &raw_size, NULL,
                                         sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal (raw_size, 64);
    assert_int_equal (sodium_hex2bin (public_key, 32, TEST_PUBLIC_1, 64, NULL, NULL, NULL), 0);
    assert_int_equal (crypto_sign_verify_detached (raw, (const unsigned char *) params,
                                                   strlen (params), public_key), 0);
}

static void
test_keys_file_with_an_ed25519_key_signs_with_it (void **state)
{
    fixture_t *fixture = *state;
    char pem [256], text [512];
    test_pem_of_seed (TEST_SEED_1, pem, sizeof pem);
    snprintf (text, sizeof text, "api_key = key-0123456789\n%s", pem);
    s_write_keys (fixture, text, 0600);
    char err [256] = "";
    ep_venue_t *venue = ep_venue_new ("binance", &fixture->config, err, sizeof err);
    assert_non_null (venue);
    s_assert_signs_with_key_1 (venue);
    ep_venue_destroy (&venue);
}

static void
test_private_key_file_is_read_and_must_be_private (void **state)
{
    fixture_t *fixture = *state;
    char pem [256], path [128], text [256];
    test_pem_of_seed (TEST_SEED_1, pem, sizeof pem);
    snprintf (path, sizeof path, "%s/key.pem", fixture->dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (pem, file);
    fclose (file);
    snprintf (text, sizeof text, "api_key = key-0123456789\nprivate_key_file = %s\n", path);
    s_write_keys (fixture, text, 0600);
    char err [256] = "";
    assert_int_equal (chmod (path, 0640), 0);
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "private key file"));
    assert_non_null (strstr (err, "open to group or others"));
    assert_int_equal (chmod (path, 0600), 0);
    ep_venue_t *venue = ep_venue_new ("binance", &fixture->config, err, sizeof err);
    assert_non_null (venue);
    s_assert_signs_with_key_1 (venue);
    ep_venue_destroy (&venue);
    unlink (path);
}

//  One API key is of one kind: a secret and a private key are ambiguous
static void
test_keys_file_with_a_secret_and_a_private_key_is_refused (void **state)
{
    fixture_t *fixture = *state;
    char pem [256], text [512];
    test_pem_of_seed (TEST_SEED_1, pem, sizeof pem);
    snprintf (text, sizeof text, "api_key = key-0123456789\napi_secret = s-0123456789\n%s", pem);
    s_write_keys (fixture, text, 0600);
    char err [512] = "";
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "gives more than one"));
    assert_null (strstr (err, "PRIVATE KEY-----\nMC"));
}

//  A private key that is not Ed25519 is refused without quoting it
static void
test_keys_file_with_a_bad_private_key_is_refused (void **state)
{
    fixture_t *fixture = *state;
    s_write_keys (fixture, "api_key = key-0123456789\n-----BEGIN PRIVATE KEY-----\n"
                  "c2VjcmV0LXRleHQtdGhhdC1pcy1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n", 0600);
    char err [256] = "";
    assert_null (ep_venue_new ("binance", &fixture->config, err, sizeof err));
    assert_non_null (strstr (err, "not an Ed25519 private key"));
    assert_null (strstr (err, "c2VjcmV0"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_unknown_venue_is_refused),
        S_TEST (test_keys_from_the_environment_are_taken_out_of_it),
        S_TEST (test_one_key_alone_in_the_environment_is_not_used_nor_left),
        S_TEST (test_keys_file_is_read),
        S_TEST (test_keys_file_open_to_others_is_refused),
        S_TEST (test_keys_file_without_a_secret_is_refused),
        S_TEST (test_keys_file_with_an_ed25519_key_signs_with_it),
        S_TEST (test_private_key_file_is_read_and_must_be_private),
        S_TEST (test_keys_file_with_a_secret_and_a_private_key_is_refused),
        S_TEST (test_keys_file_with_a_bad_private_key_is_refused),
#undef S_TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
