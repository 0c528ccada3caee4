/*  test_router_subscriptions: who may subscribe to what on the publishing
    sockets, and that refusals are counted, each sender's once.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

#define S_KEY "0123456789012345678901234567890123456789"

static ep_peer_t
s_peer (ep_role_t role, int plane)
{
    ep_peer_t peer = fixture_peer ();
    peer.info.role = role;
    peer.info.plane = plane;
    snprintf (peer.sender, sizeof peer.sender, "name:%s", S_KEY);
    return peer;
}

static bool
s_allowed (const ep_peer_t *peer, const char *domain, const char *topic)
{
    return ep_subscriptions_allowed (peer, domain, topic, strlen (topic), true);
}

static void
test_a_worker_subscribes_to_its_own_planes_intents_only (void **state)
{
    (void) state;
    ep_peer_t paper = s_peer (EP_ROLE_WORKER, EP_PLANE (PAPER));
    assert_true (s_allowed (&paper, "dispatch", "exec.paper"));
    assert_false (s_allowed (&paper, "dispatch", "exec.live"));
    assert_false (s_allowed (&paper, "dispatch", "exec."));         //  a prefix of both
    assert_false (s_allowed (&paper, "dispatch", ""));
    ep_peer_t strategy = s_peer (EP_ROLE_STRATEGY, 0);
    assert_false (s_allowed (&strategy, "dispatch", "exec.paper"));
}

static void
test_a_strategy_reads_plane_state_stats_and_its_own_refusals_only (void **state)
{
    (void) state;
    ep_peer_t strategy = s_peer (EP_ROLE_STRATEGY, 0);
    assert_true (s_allowed (&strategy, "outcomes", "plane"));
    assert_true (s_allowed (&strategy, "outcomes", "stats"));
    assert_true (s_allowed (&strategy, "outcomes", "refused." S_KEY));
    assert_false (s_allowed (&strategy, "outcomes", "refused."));
    assert_false (s_allowed (&strategy, "outcomes", "outcome.s1"));
    assert_false (s_allowed (&strategy, "outcomes", ""));
    ep_peer_t safety = s_peer (EP_ROLE_SAFETY, 0);
    assert_false (s_allowed (&safety, "outcomes", "outcome."));
}

static void
test_monitor_and_meta_read_everything_on_outcomes (void **state)
{
    (void) state;
    ep_peer_t monitor = s_peer (EP_ROLE_MONITOR, 0);
    ep_peer_t meta = s_peer (EP_ROLE_META, 0);
    assert_true (s_allowed (&monitor, "outcomes", ""));
    assert_true (s_allowed (&meta, "outcomes", "outcome.s1"));
    assert_false (s_allowed (&monitor, "dispatch", "exec.paper"));
}

static void
test_insecure_everything_is_allowed (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    assert_true (ep_subscriptions_allowed (&peer, "dispatch", "exec.live", 9, false));
    assert_true (ep_subscriptions_allowed (&peer, "outcomes", "", 0, false));
}

//  Every refusal counts; the journal gets a row per key and socket within
//  the guard's budget, the rest in one summary.
static void
test_refusals_are_counted_and_journaled_within_the_budget (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    for (int i = 0; i < 3; i++)
        assert_int_equal (ep_access_refuse (router, EP_REFUSAL_MESSAGE, "intake", "KEY-A",
                                            "intake: refused KEY-A (%d)", i), EP_ROUTER_OK);
    assert_int_equal (router->stats.unauthorized, 3);
    //  One journal row for the first refusal (the commit adds its place
    //  in the chain), none for the other two
    assert_int_equal (ep_journal_open_writes (router->journal), 1);
    assert_int_equal (ep_access_summarize (router, true), EP_ROUTER_OK);
    assert_int_equal (ep_journal_open_writes (router->journal), 2);
    fixture_stop (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_worker_subscribes_to_its_own_planes_intents_only),
        cmocka_unit_test (test_a_strategy_reads_plane_state_stats_and_its_own_refusals_only),
        cmocka_unit_test (test_monitor_and_meta_read_everything_on_outcomes),
        cmocka_unit_test (test_insecure_everything_is_allowed),
        cmocka_unit_test (test_refusals_are_counted_and_journaled_within_the_budget),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
