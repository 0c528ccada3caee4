/*  The router's refusal budget (ep_refusals), on a clock the test drives:
    at most `detailed` records per interval across all keys, one per key and
    socket per minute, one summary of the rest per interval, every refusal
    either recorded or summed up, and a bounded memory of keys.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_refusals.h"

//  A fresh key for each i, as a flood with new keys at every handshake has.
static const char *
s_key (int i)
{
    static char key [41];
    snprintf (key, sizeof key, "k%039d", i);
    return key;
}

static void
test_fresh_keys_get_the_budget_then_one_summary (void **state)
{
    (void) state;
    ep_refusals_t *refusals = ep_refusals_new (20, 10000, 60000, 4096);
    assert_non_null (refusals);
    char detail [512];
    int64_t now = 1000;
    int recorded = 0;
    for (int i = 0; i < 5000; i++)
        recorded += ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "intake", s_key (i), now);
    assert_int_equal (recorded, 20);
    //  Not before the interval is over.
    assert_false (ep_refusals_summary (refusals, now + 9999, false, detail, sizeof detail));
    assert_true (ep_refusals_summary (refusals, now + 10000, false, detail, sizeof detail));
    char expected [512];
    snprintf (expected, sizeof expected, "4980 more refusals in the last 10 s (handshakes: 4980, "
              "messages: 0, subscriptions: 0); last: intake %s", s_key (4999));
    assert_string_equal (detail, expected);
    //  One summary per interval: nothing more to say until refusals come.
    assert_false (ep_refusals_summary (refusals, now + 20000, false, detail, sizeof detail));
    //  The next interval has its budget again.
    now += 20000;
    recorded = 0;
    for (int i = 5000; i < 5100; i++)
        recorded += ep_refusals_record (refusals, EP_REFUSAL_MESSAGE, "results", s_key (i), now);
    assert_int_equal (recorded, 20);
    ep_refusals_destroy (&refusals);
    assert_null (refusals);
}

static void
test_one_record_per_key_and_socket_a_minute (void **state)
{
    (void) state;
    ep_refusals_t *refusals = ep_refusals_new (20, 10000, 60000, 4096);
    char detail [512];
    const char *key = s_key (1);
    assert_true (ep_refusals_record (refusals, EP_REFUSAL_MESSAGE, "intake", key, 0));
    assert_false (ep_refusals_record (refusals, EP_REFUSAL_MESSAGE, "intake", key, 1));
    //  Another socket is another record.
    assert_true (ep_refusals_record (refusals, EP_REFUSAL_SUBSCRIPTION, "outcomes", key, 2));
    //  The repeat is not hidden: it is in the summary.
    assert_true (ep_refusals_summary (refusals, 10000, false, detail, sizeof detail));
    assert_non_null (strstr (detail, "1 more refusal in the last 10 s (handshakes: 0, "
                                     "messages: 1, subscriptions: 0); last: intake "));
    assert_false (ep_refusals_record (refusals, EP_REFUSAL_MESSAGE, "intake", key, 59999));
    assert_true (ep_refusals_record (refusals, EP_REFUSAL_MESSAGE, "intake", key, 60000));
    ep_refusals_destroy (&refusals);
}

static void
test_memory_of_keys_is_bounded (void **state)
{
    (void) state;
    //  A budget that never runs out, so that every fresh key is remembered.
    ep_refusals_t *refusals = ep_refusals_new (1000000, 10000, 60000, 8);
    for (int i = 0; i < 100; i++) {
        assert_true (ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "intake", s_key (i), i));
        assert_true (ep_refusals_keys (refusals) <= 8);
    }
    assert_int_equal (ep_refusals_keys (refusals), 8);
    //  The newest are remembered, the oldest were forgotten first.
    assert_false (ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "intake", s_key (99), 100));
    assert_false (ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "intake", s_key (92), 100));
    assert_true (ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "intake", s_key (0), 100));
    //  A key is kept no longer than a minute.
    assert_true (ep_refusals_record (refusals, EP_REFUSAL_HANDSHAKE, "query", s_key (0), 60200));
    assert_int_equal (ep_refusals_keys (refusals), 1);
    ep_refusals_destroy (&refusals);
}

static void
test_every_refusal_is_recorded_or_summed_up (void **state)
{
    (void) state;
    ep_refusals_t *refusals = ep_refusals_new (20, 10000, 60000, 4096);
    char detail [512];
    uint64_t x = 88172645463325252ULL;
    uint64_t refused = 0, recorded = 0, summed = 0, summaries = 0;
    const char *domains [] = { "intake", "query", "outcomes" };
    //  Ten simulated minutes, a turn every 5 ms, a burst of refusals in some
    //  turns: a few keys that keep coming back and many fresh ones.
    int64_t now = 0;
    for (; now < 600000; now += 5) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int burst = x % 4 == 0 ? (int) (x >> 8) % 50 : 0;
        for (int i = 0; i < burst; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            int key = x % 3 == 0 ? (int) (x >> 20) % 5 : (int) (x >> 20) % 1000000;
            refused++;
            recorded += ep_refusals_record (refusals, (ep_refusal_kind_t) ((x >> 40) % 3),
                                            domains [(x >> 44) % 3], s_key (key), now);
        }
        if (ep_refusals_summary (refusals, now, false, detail, sizeof detail)) {
            summed += strtoull (detail, NULL, 10);
            summaries++;
        }
    }
    if (ep_refusals_summary (refusals, now, true, detail, sizeof detail)) {
        summed += strtoull (detail, NULL, 10);
        summaries++;
    }
    assert_true (refused > 100000);
    assert_int_equal (recorded + summed, refused);
    //  60 intervals: at most 20 records and one summary in each.
    assert_true (recorded <= 60 * 20);
    assert_true (summaries <= 61);
    //  Kept a minute: the records of the last 7 intervals at most.
    assert_true (ep_refusals_keys (refusals) <= 7 * 20);
    ep_refusals_destroy (&refusals);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_fresh_keys_get_the_budget_then_one_summary),
        cmocka_unit_test (test_one_record_per_key_and_socket_a_minute),
        cmocka_unit_test (test_memory_of_keys_is_bounded),
        cmocka_unit_test (test_every_refusal_is_recorded_or_summed_up),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
