/*  test_router_intake: the router's rules on an intent, driven through
    ep_intake without a process: what is dispatched, and why anything else
    is refused (duplicates, validation, halt, no worker, who may speak for
    a strategy, who may send a Safety Sell).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

//  Sends intent, and returns the router's report on it (asserts there is one).
static ep_report_t *
s_refusal_of (ep_router_t *router, const ep_intent_t *intent)
{
    size_t before = ep_outbox_count (&router->outbox);
    assert_int_equal (fixture_send_intent (router, intent), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), before + 1);
    ep_report_t *report = fixture_last_report (router);
    assert_non_null (report);
    assert_int_equal (report->status, EP_STATUS (REJECTED));
    assert_true (report->terminal);
    return report;
}

static void
test_valid_intent_is_dispatched_to_the_selected_plane (void **state)
{
    ep_router_t *router = fixture_router (state);
    assert_int_equal (fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1"), EP_ROUTER_OK);
    ep_intent_t intent;
    fixture_intent (&intent, "i1");
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), 0);
    assert_int_equal (ep_outbox_count (&router->pending), 1);
    ep_outbox_item_t *item = ep_outbox_at (&router->pending, 0);
    assert_string_equal (item->topic, "exec.paper");
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, item->size, item->data);
    assert_non_null (dispatch);
    assert_int_equal (dispatch->router_seq, item->router_seq);
    assert_string_equal (dispatch->intent->intent_id, "i1");
    assert_string_equal (dispatch->router_boot, router->boot);
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, dispatch->router_seq);
    assert_non_null (entry);
    assert_int_equal (entry->plane, EP_PLANE (PAPER));
    assert_false (entry->acked);
    assert_int_equal (router->stats.accepted, 1);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

static void
test_duplicate_intent_is_rejected (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "twice");
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (DUPLICATE_INTENT));
    assert_string_equal (report->strategy_id, "s1");
    assert_int_equal (ep_outbox_count (&router->pending), 1);
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_duplicate_is_detected_across_a_restart (void **state)
{
    fixture_t *fixture = *state;
    fixture_heartbeat (fixture->router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "before-restart");
    assert_int_equal (fixture_send_intent (fixture->router, &intent), EP_ROUTER_OK);
    assert_int_equal (ep_journal_commit (fixture->router->journal), EP_JOURNAL_OK);
    ep_router_t *router = fixture_restart (fixture);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-2");
    size_t before = ep_outbox_count (&router->outbox);
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_int_equal (ep_outbox_count (&router->outbox), before + 1);
    assert_int_equal (report->failure, EP_FAILURE (DUPLICATE_INTENT));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_intent_is_rejected_when_no_worker_is_alive (void **state)
{
    ep_router_t *router = fixture_router (state);
    ep_intent_t intent;
    fixture_intent (&intent, "nobody");
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_UNAVAILABLE));
    assert_string_equal (report->reason, "no paper worker is alive");
    assert_int_equal (ep_outbox_count (&router->pending), 0);
    assert_int_equal (ep_inflight_count (router->inflight, 0), 0);
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_halt_rejects_everything_but_safety_sells (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    router->state.halted = true;
    snprintf (router->state.issued_by, sizeof router->state.issued_by, "ops");
    snprintf (router->state.reason, sizeof router->state.reason, "drill");
    ep_intent_t intent;
    fixture_intent (&intent, "halted");
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_HALTED));
    assert_string_equal (report->reason, "execution is halted (by ops: drill)");
    execplane__v1__execution_report__free_unpacked (report, NULL);

    ep_intent_t safety;
    fixture_intent (&safety, "safety-sell");
    safety.side = EP_SIDE (SELL);
    safety.safety = true;
    assert_int_equal (fixture_send_intent (router, &safety), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->pending), 1);
}

static void
test_invalid_intent_is_rejected_with_its_reason (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "no-qty");
    intent.qty_e8 = 0;
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_non_null (strstr (report->reason, "qty must be above 0"));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_bad_intent_id_is_rejected_to_its_strategy (void **state)
{
    ep_router_t *router = fixture_router (state);
    ep_intent_t intent;
    fixture_intent (&intent, "has space");
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->strategy_id, "s1");
    assert_non_null (strstr (report->reason, "intent_id must be"));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_bad_strategy_id_is_told_to_the_sender_alone (void **state)
{
    ep_router_t *router = fixture_router (state);
    ep_intent_t intent;
    fixture_intent (&intent, "orphan");
    intent.strategy_id = "not a strategy";
    ep_report_t *report = s_refusal_of (router, &intent);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->strategy_id, "");
    assert_string_equal (report->sender_key, "insecure");
    ep_outbox_item_t *item = ep_outbox_at (&router->outbox, 0);
    assert_string_equal (item->topic, "refused.insecure");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_unreadable_message_is_only_counted (void **state)
{
    ep_router_t *router = fixture_router (state);
    const uint8_t garbage [] = { 0xff, 0xff, 0xff, 0x01 };
    ep_peer_t peer = fixture_peer ();
    uint64_t last_router_seq = router->last_router_seq;
    assert_int_equal (ep_intake_handle (router, garbage, sizeof garbage, &peer), EP_ROUTER_OK);
    assert_int_equal (router->stats.malformed, 1);
    assert_int_equal (router->last_router_seq, last_router_seq);
    assert_int_equal (ep_outbox_count (&router->outbox), 0);
}

//  Under CURVE a key speaks only for the strategies its certificate names.
static void
test_key_may_speak_only_for_its_strategies (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_STRATEGY;
    snprintf (peer.info.name, sizeof peer.info.name, "alpha");
    snprintf (peer.info.strategies, sizeof peer.info.strategies, "s1,s2");
    ep_intent_t intent;
    fixture_intent (&intent, "i1");
    int failure = EP_FAILURE (FAILURE_NONE);
    char reason [256] = "";
    assert_true (ep_intake_attribute (&peer, &intent, true, &failure, reason, sizeof reason));
    intent.strategy_id = "s3";
    assert_false (ep_intake_attribute (&peer, &intent, true, &failure, reason, sizeof reason));
    assert_int_equal (failure, EP_FAILURE (UNAUTHORIZED));
    assert_string_equal (reason, "key alpha may not speak for strategy s3");
    //  Insecure, any valid strategy_id is its sender's.
    assert_true (ep_intake_attribute (&peer, &intent, false, &failure, reason, sizeof reason));
}

static void
test_only_a_safety_key_sends_a_safety_sell (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_STRATEGY;
    snprintf (peer.info.name, sizeof peer.info.name, "alpha");
    ep_intent_t intent;
    fixture_intent (&intent, "i1");
    intent.side = EP_SIDE (SELL);
    intent.safety = true;
    char reason [256] = "";
    assert_false (ep_intake_may_send_safety (&peer, &intent, true, reason, sizeof reason));
    assert_non_null (strstr (reason, "only a safety key may send a Safety Sell"));
    peer.info.role = EP_ROLE_SAFETY;
    assert_true (ep_intake_may_send_safety (&peer, &intent, true, reason, sizeof reason));
    intent.safety = false;
    peer.info.role = EP_ROLE_STRATEGY;
    assert_true (ep_intake_may_send_safety (&peer, &intent, true, reason, sizeof reason));
}

//  What validation refuses, each with the reason a person reads.
static void
test_validation_refuses_what_no_plane_could_execute (void **state)
{
    (void) state;
    char reason [256];
    ep_intent_t intent;
    fixture_intent (&intent, "i1");
    assert_true (ep_validate_intent (&intent, reason, sizeof reason));
    intent.type = EP_TYPE (MARKET);
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));     //  rests: GTC
    assert_non_null (strstr (reason, "a MARKET order never rests"));
    intent.tif = EP_TIF (IOC);
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));     //  a limit price
    assert_string_equal (reason, "a MARKET order takes no limit_price");
    intent.limit_price_e8 = 0;
    assert_true (ep_validate_intent (&intent, reason, sizeof reason));
    fixture_intent (&intent, "i2");
    intent.limit_price_e8 = 0;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_non_null (strstr (reason, "a LIMIT order needs a limit_price"));
    fixture_intent (&intent, "i3");
    intent.safety = true;                                                   //  a BUY
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "a Safety Sell must be a SELL");
    fixture_intent (&intent, "i4");
    intent.side = 7;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "side must be BUY or SELL (got 7)");
    //  A cancel is never placed as a new order: without a target it is refused.
    fixture_intent (&intent, "i5");
    intent.action = EP_ACTION (CANCEL);
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_non_null (strstr (reason, "a CANCEL needs a target_intent_id"));
    intent.action = 9;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "action must be PLACE, CANCEL or REPLACE (got 9)");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_valid_intent_is_dispatched_to_the_selected_plane,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate_intent_is_rejected,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate_is_detected_across_a_restart,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_intent_is_rejected_when_no_worker_is_alive,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_halt_rejects_everything_but_safety_sells,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_invalid_intent_is_rejected_with_its_reason,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_bad_intent_id_is_rejected_to_its_strategy,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_bad_strategy_id_is_told_to_the_sender_alone,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_unreadable_message_is_only_counted,
                                         fixture_setup, fixture_teardown),
        cmocka_unit_test (test_key_may_speak_only_for_its_strategies),
        cmocka_unit_test (test_only_a_safety_key_sends_a_safety_sell),
        cmocka_unit_test (test_validation_refuses_what_no_plane_could_execute),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
