/*  test_router_commit: under journal_sync = full, a turn that wrote only
    the paper intents it dispatches (and their claims), and from which
    nothing else leaves, commits without waiting for the disk; every other
    turn that wrote waits; and nothing but a paper dispatch leaves the
    router before what was committed is on disk.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"
#include "ep_names.h"

//  --------------------------------------------------------------------------
//  The decision alone

static ep_commit_plan_t
s_plan (size_t writes, size_t deferrable, bool unsynced, bool goes_out)
{
    ep_commit_turn_t turn = { writes, deferrable, unsynced, goes_out };
    return ep_commit_plan (&turn);
}

static void
test_a_turn_of_paper_dispatches_alone_does_not_wait (void **state)
{
    (void) state;
    assert_int_equal (s_plan (2, 2, false, false), EP_COMMIT_DEFERRED);
    assert_int_equal (s_plan (2000, 2000, true, false), EP_COMMIT_DEFERRED);
}

static void
test_any_other_write_waits_for_the_disk (void **state)
{
    (void) state;
    assert_int_equal (s_plan (3, 2, false, false), EP_COMMIT_SYNCED);
    assert_int_equal (s_plan (1, 0, true, false), EP_COMMIT_SYNCED);
}

static void
test_what_leaves_with_the_turn_makes_it_wait (void **state)
{
    (void) state;
    assert_int_equal (s_plan (2, 2, false, true), EP_COMMIT_SYNCED);
    assert_int_equal (s_plan (2, 2, true, true), EP_COMMIT_SYNCED);
}

static void
test_a_turn_that_wrote_nothing_syncs_only_what_leaves_after_a_deferred_commit (void **state)
{
    (void) state;
    assert_int_equal (s_plan (0, 0, false, false), EP_COMMIT_NONE);
    assert_int_equal (s_plan (0, 0, false, true), EP_COMMIT_NONE);
    assert_int_equal (s_plan (0, 0, true, false), EP_COMMIT_NONE);
    assert_int_equal (s_plan (0, 0, true, true), EP_COMMIT_SYNC_ONLY);
}

//  --------------------------------------------------------------------------
//  The router's turns

//  A router under journal_sync = full, deferring syncs as its loop does,
//  with its paper worker adopted and that committed.
static ep_router_t *
s_start (fixture_t *fixture)
{
    fixture_start (fixture);
    snprintf (fixture->config.journal_sync, sizeof fixture->config.journal_sync, "full");
    ep_router_t *router = fixture_restart (fixture);
    router->state.plane = EP_PLANE (PAPER);
    assert_int_equal (fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1"), EP_ROUTER_OK);
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_int_equal (ep_commit_defer (router, true), EP_ROUTER_OK);
    assert_true (router->durability.deferring);
    memset (&router->durability, 0, sizeof router->durability);
    router->durability.deferring = true;
    return router;
}

//  Sends a valid paper intent; returns its router_seq.
static uint64_t
s_send (ep_router_t *router, const char *intent_id)
{
    ep_intent_t intent;
    fixture_intent (&intent, intent_id);
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    return router->last_router_seq;
}

static void
s_report (ep_router_t *router, uint64_t router_seq, const char *intent_id)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = (char *) intent_id;
    report.strategy_id = "s1";
    report.status = EP_STATUS (FILLED);
    report.terminal = true;
    report.router_seq = router_seq;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
}

static void
test_paper_intents_commit_deferred_and_their_reports_synced (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    uint64_t one = s_send (router, "i1");
    uint64_t two = s_send (router, "i2");
    assert_int_equal (router->durability.deferrable, ep_journal_open_writes (router->journal));
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_int_equal (router->durability.deferred, 1);
    assert_int_equal (router->durability.synced, 0);
    assert_true (router->durability.unsynced);
    //  The dispatches may leave now: they are not counted.
    assert_int_equal (ep_outbox_count (&router->pending), 2);
    ep_delivery_flush (router);
    assert_int_equal (router->durability.unsynced_sends, 0);
    //  The turn that reads their reports waits for the disk, which makes
    //  the intents durable with them.
    s_report (router, one, "i1");
    s_report (router, two, "i2");
    assert_int_equal (ep_commit_turn (router, true), EP_ROUTER_OK);
    assert_int_equal (router->durability.synced, 1);
    assert_false (router->durability.unsynced);
    assert_int_equal (router->durability.deferrable, 0);
    ep_delivery_flush (router);
    assert_int_equal (router->durability.unsynced_sends, 0);
    fixture_stop (&fixture);
}

static void
test_a_paper_intent_with_a_report_to_publish_waits (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    //  A duplicate: rejected, its report published with the turn.
    s_send (router, "i1");
    assert_int_equal (ep_outbox_count (&router->outbox), 1);
    assert_true (router->durability.deferrable < ep_journal_open_writes (router->journal));
    assert_int_equal (ep_commit_turn (router, true), EP_ROUTER_OK);
    assert_int_equal (router->durability.synced, 1);
    assert_int_equal (router->durability.deferred, 0);
    assert_false (router->durability.unsynced);
    fixture_stop (&fixture);
}

//  A turn that syncs (here: it also refuses a duplicate, whose report
//  waits for the disk) sends its paper dispatches between its commit and
//  its sync, so that the worker runs them while the disk syncs: they have
//  left when the commit returns, and the report has not.
static void
test_a_synced_turn_dispatches_paper_before_its_sync (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    s_send (router, "i1");
    assert_int_equal (ep_outbox_count (&router->pending), 1);
    assert_int_equal (ep_outbox_count (&router->outbox), 1);
    assert_int_equal (ep_commit_turn (router, true), EP_ROUTER_OK);
    assert_int_equal (router->durability.synced, 1);
    assert_false (router->durability.unsynced);
    assert_int_equal (ep_outbox_count (&router->pending), 0);
    assert_int_equal (ep_outbox_count (&router->outbox), 1);
    assert_int_equal (router->durability.unsynced_sends, 0);
    fixture_stop (&fixture);
}

static void
test_a_live_intent_waits_for_the_disk (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    router->state.plane = EP_PLANE (LIVE);
    assert_int_equal (fixture_heartbeat (router, EP_PLANE (LIVE), "live-1"), EP_ROUTER_OK);
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    router->durability.synced = 0;
    s_send (router, "l1");
    assert_non_null (ep_inflight_find (router->inflight, router->last_router_seq));
    assert_int_equal (router->durability.deferrable, 0);
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_int_equal (router->durability.synced, 1);
    assert_false (router->durability.unsynced);
    fixture_stop (&fixture);
}

static void
test_a_live_dispatch_after_a_deferred_commit_syncs_first (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_true (router->durability.unsynced);
    //  A live dispatch waiting from before (back-pressure), sent now.
    uint8_t *data = malloc (1);
    assert_non_null (data);
    assert_int_equal (ep_outbox_push (&router->pending, ep_exec_topic (EP_PLANE (LIVE)), data,
                                      1, 0), 0);
    ep_delivery_flush (router);
    assert_false (router->durability.unsynced);
    assert_int_equal (router->durability.syncs, 1);
    fixture_stop (&fixture);
}

//  The loop ends with a transaction open (a worker adopted after the
//  turn's commit, while its restore was served): it is committed and
//  synced, and deferring ends, where ending it alone was refused.
static void
test_the_loop_ends_with_what_was_written_after_its_commit_committed (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_int_equal (ep_router_event (router, "worker", "adopted after the commit"),
                      EP_ROUTER_OK);
    assert_true (ep_journal_open_writes (router->journal) > 0);
    assert_int_equal (ep_commit_end (router), EP_ROUTER_OK);
    assert_false (router->durability.deferring);
    assert_false (router->durability.unsynced);
    assert_int_equal (ep_journal_open_writes (router->journal), 0);
    fixture_stop (&fixture);
}

static void
test_nothing_written_but_something_leaves_syncs_alone (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_true (router->durability.unsynced);
    assert_int_equal (router->durability.syncs, 0);
    assert_int_equal (ep_commit_turn (router, true), EP_ROUTER_OK);
    assert_false (router->durability.unsynced);
    assert_int_equal (router->durability.syncs, 1);
    assert_int_equal (router->durability.deferred, 1);
    assert_int_equal (router->durability.synced, 0);
    fixture_stop (&fixture);
}

static void
test_a_publication_while_unsynced_is_counted (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    ep_commit_sent (router);
    assert_int_equal (router->durability.unsynced_sends, 1);
    assert_int_equal (ep_commit_durable (router), EP_ROUTER_OK);
    ep_commit_sent (router);
    assert_int_equal (router->durability.unsynced_sends, 1);
    fixture_stop (&fixture);
}

static void
test_under_journal_sync_normal_nothing_is_deferred_or_synced (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    router->state.plane = EP_PLANE (PAPER);
    assert_int_equal (fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1"), EP_ROUTER_OK);
    assert_int_equal (ep_commit_defer (router, true), EP_ROUTER_OK);
    assert_false (router->durability.deferring);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_false (router->durability.unsynced);
    assert_int_equal (router->durability.normal, 1);
    assert_int_equal (router->durability.deferred + router->durability.synced, 0);
    fixture_stop (&fixture);
}

static void
test_ending_the_deferral_makes_what_was_committed_durable (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = s_start (&fixture);
    s_send (router, "i1");
    assert_int_equal (ep_commit_turn (router, false), EP_ROUTER_OK);
    assert_true (router->durability.unsynced);
    assert_int_equal (ep_commit_defer (router, false), EP_ROUTER_OK);
    assert_false (router->durability.unsynced);
    assert_false (router->durability.deferring);
    fixture_stop (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_turn_of_paper_dispatches_alone_does_not_wait),
        cmocka_unit_test (test_any_other_write_waits_for_the_disk),
        cmocka_unit_test (test_what_leaves_with_the_turn_makes_it_wait),
        cmocka_unit_test (test_a_turn_that_wrote_nothing_syncs_only_what_leaves_after_a_deferred_commit),
        cmocka_unit_test (test_paper_intents_commit_deferred_and_their_reports_synced),
        cmocka_unit_test (test_a_paper_intent_with_a_report_to_publish_waits),
        cmocka_unit_test (test_a_synced_turn_dispatches_paper_before_its_sync),
        cmocka_unit_test (test_a_live_intent_waits_for_the_disk),
        cmocka_unit_test (test_a_live_dispatch_after_a_deferred_commit_syncs_first),
        cmocka_unit_test (test_nothing_written_but_something_leaves_syncs_alone),
        cmocka_unit_test (test_the_loop_ends_with_what_was_written_after_its_commit_committed),
        cmocka_unit_test (test_a_publication_while_unsynced_is_counted),
        cmocka_unit_test (test_under_journal_sync_normal_nothing_is_deferred_or_synced),
        cmocka_unit_test (test_ending_the_deferral_makes_what_was_committed_durable),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
