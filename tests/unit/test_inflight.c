/*  The router's in-flight table: lookups survive removals in any order,
    deadlines expire per plane in dispatch order, acked entries never
    expire.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include "ep_inflight.h"

static ep_intent_t
s_intent (void)
{
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "i";
    intent.strategy_id = "s";
    intent.symbol = "BTCUSDT";
    intent.side = EP_SIDE (SELL);
    intent.safety = true;
    return intent;
}

static void
test_entries_are_found_after_random_removals (void **state)
{
    (void) state;
    ep_inflight_t *table = ep_inflight_new ();
    ep_intent_t intent = s_intent ();
    enum { N = 20000 };
    static bool present [N + 1];
    for (uint64_t seq = 1; seq <= N; seq++) {
        assert_non_null (ep_inflight_add (table, seq, &intent, EP_PLANE (PAPER), 1, 0, true));
        present [seq] = true;
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N * 3 / 4; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t seq = 1 + x % N;
        ep_inflight_remove (table, seq);
        present [seq] = false;
    }
    size_t count = 0;
    for (uint64_t seq = 1; seq <= N; seq++) {
        ep_inflight_entry_t *entry = ep_inflight_find (table, seq);
        if (present [seq]) {
            assert_non_null (entry);
            assert_int_equal (entry->router_seq, seq);
            count++;
        }
        else
            assert_null (entry);
    }
    assert_int_equal (ep_inflight_count (table, 0), count);
    assert_int_equal (ep_inflight_count (table, EP_PLANE (PAPER)), count);
    ep_inflight_destroy (&table);
    assert_null (table);
}

static void
test_entry_copies_the_intent_identity (void **state)
{
    (void) state;
    ep_inflight_t *table = ep_inflight_new ();
    ep_intent_t intent = s_intent ();
    ep_inflight_entry_t *entry = ep_inflight_add (table, 7, &intent, EP_PLANE (LIVE), 3, 100, false);
    assert_string_equal (entry->intent_id, "i");
    assert_string_equal (entry->strategy_id, "s");
    assert_string_equal (entry->symbol, "BTCUSDT");
    assert_int_equal (entry->side, EP_SIDE (SELL));
    assert_true (entry->safety);
    assert_int_equal (entry->plane_epoch, 3);
    ep_inflight_destroy (&table);
}

static void
test_deadlines_expire_per_plane_in_order (void **state)
{
    (void) state;
    ep_inflight_t *table = ep_inflight_new ();
    ep_intent_t intent = s_intent ();
    ep_inflight_add (table, 1, &intent, EP_PLANE (PAPER), 0, 100, false);
    ep_inflight_add (table, 2, &intent, EP_PLANE (LIVE), 0, 150, false);
    ep_inflight_add (table, 3, &intent, EP_PLANE (PAPER), 0, 200, false);
    assert_int_equal (ep_inflight_next_deadline (table), 100);
    assert_null (ep_inflight_expired (table, EP_PLANE (PAPER), 99));
    ep_inflight_entry_t *entry = ep_inflight_expired (table, EP_PLANE (PAPER), 250);
    assert_non_null (entry);
    assert_int_equal (entry->router_seq, 1);
    ep_inflight_remove (table, 1);
    entry = ep_inflight_expired (table, EP_PLANE (PAPER), 250);
    assert_int_equal (entry->router_seq, 3);
    ep_inflight_remove (table, 3);
    assert_null (ep_inflight_expired (table, EP_PLANE (PAPER), 250));
    assert_int_equal (ep_inflight_next_deadline (table), 150);
    ep_inflight_destroy (&table);
}

static void
test_acked_entries_never_expire (void **state)
{
    (void) state;
    ep_inflight_t *table = ep_inflight_new ();
    ep_intent_t intent = s_intent ();
    ep_inflight_entry_t *entry = ep_inflight_add (table, 1, &intent, EP_PLANE (PAPER), 0, 100, false);
    entry->acked = true;
    assert_null (ep_inflight_expired (table, EP_PLANE (PAPER), 1000));
    assert_int_equal (ep_inflight_next_deadline (table), INT64_MAX);
    assert_non_null (ep_inflight_find (table, 1));
    ep_inflight_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_entries_are_found_after_random_removals),
        cmocka_unit_test (test_entry_copies_the_intent_identity),
        cmocka_unit_test (test_deadlines_expire_per_plane_in_order),
        cmocka_unit_test (test_acked_entries_never_expire),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
