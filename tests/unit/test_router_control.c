/*  test_router_control: the plane commands. Epochs only rise; SELECT
    needs a plane; HALT and RESUME; what cannot be read is refused; an
    applied state is journaled and comes back after a restart; a RECONCILE
    is forwarded only when it can be (never for a CANCEL: its target is
    asked), and a repeated request is ignored.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

static ep_command_t
s_command (int kind, int plane, uint64_t epoch)
{
    ep_command_t command;
    execplane__v1__plane_command__init (&command);
    command.kind = kind;
    command.plane = plane;
    command.epoch = epoch;
    command.issued_by = "ops";
    command.reason = "test";
    return command;
}

static void
test_select_with_a_higher_epoch_applies (void **state)
{
    (void) state;
    ep_control_t plane = { .plane = EP_PLANE (PAPER), .epoch = 3 };
    ep_command_t command = s_command (EP_COMMAND (SELECT), EP_PLANE (LIVE), 4);
    char outcome [256];
    assert_int_equal (ep_control_apply (&plane, &command, 17, outcome, sizeof outcome),
                      EP_CONTROL_APPLIED);
    assert_int_equal (plane.plane, EP_PLANE (LIVE));
    assert_int_equal (plane.epoch, 4);
    assert_int_equal (plane.changed_at_seq, 17);
    assert_string_equal (plane.issued_by, "ops");
    assert_string_equal (outcome, "applied: SELECT LIVE, epoch 4");
}

static void
test_stale_epoch_is_refused_and_changes_nothing (void **state)
{
    (void) state;
    ep_control_t plane = { .plane = EP_PLANE (PAPER), .epoch = 5 };
    ep_control_t before = plane;
    char outcome [256];
    for (uint64_t epoch = 4; epoch <= 5; epoch++) {
        ep_command_t command = s_command (EP_COMMAND (HALT), 0, epoch);
        assert_int_equal (ep_control_apply (&plane, &command, 1, outcome, sizeof outcome),
                          EP_CONTROL_STALE_EPOCH);
        assert_memory_equal (&plane, &before, sizeof plane);
    }
    assert_string_equal (outcome, "refused: epoch 5 is not above the current 5");
}

static void
test_select_needs_paper_or_live (void **state)
{
    (void) state;
    ep_control_t plane = { .plane = EP_PLANE (PAPER), .epoch = 1 };
    ep_command_t command = s_command (EP_COMMAND (SELECT), EP_PLANE (PLANE_UNSPECIFIED), 2);
    char outcome [256];
    assert_int_equal (ep_control_apply (&plane, &command, 1, outcome, sizeof outcome),
                      EP_CONTROL_NO_PLANE);
    assert_int_equal (plane.epoch, 1);
    assert_string_equal (outcome, "refused: SELECT needs plane PAPER or LIVE");
}

static void
test_halt_then_resume (void **state)
{
    (void) state;
    ep_control_t plane = { .plane = EP_PLANE (PAPER) };
    char outcome [256];
    ep_command_t halt = s_command (EP_COMMAND (HALT), 0, 1);
    assert_int_equal (ep_control_apply (&plane, &halt, 1, outcome, sizeof outcome),
                      EP_CONTROL_APPLIED);
    assert_true (plane.halted);
    assert_int_equal (plane.plane, EP_PLANE (PAPER));
    ep_command_t resume = s_command (EP_COMMAND (RESUME), 0, 2);
    assert_int_equal (ep_control_apply (&plane, &resume, 2, outcome, sizeof outcome),
                      EP_CONTROL_APPLIED);
    assert_false (plane.halted);
    assert_string_equal (outcome, "applied: RESUME, epoch 2");
}

static void
test_unknown_kind_is_refused (void **state)
{
    (void) state;
    ep_control_t plane = { .plane = EP_PLANE (PAPER) };
    char outcome [256];
    ep_command_t command = s_command (EP_COMMAND (COMMAND_KIND_UNSPECIFIED), 0, 9);
    assert_int_equal (ep_control_apply (&plane, &command, 1, outcome, sizeof outcome),
                      EP_CONTROL_UNKNOWN_KIND);
    command.kind = 99;
    assert_int_equal (ep_control_apply (&plane, &command, 1, outcome, sizeof outcome),
                      EP_CONTROL_UNKNOWN_KIND);
    assert_int_equal (plane.epoch, 0);
}

static void
test_command_that_is_not_text_is_refused (void **state)
{
    (void) state;
    ep_command_t command = s_command (EP_COMMAND (HALT), 0, 1);
    command.reason = "bad \xff byte";
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_command_t *read = NULL;
    char outcome [256];
    assert_int_equal (ep_control_read (data, size, &read, outcome, sizeof outcome),
                      EP_CONTROL_NOT_TEXT);
    assert_null (read);
    assert_string_equal (outcome, "refused: reason is not UTF-8 text without control characters");
    const uint8_t garbage [] = { 0x08, 0xff, 0xff };
    assert_int_equal (ep_control_read (garbage, sizeof garbage, &read, outcome, sizeof outcome),
                      EP_CONTROL_UNDECODABLE);
    assert_null (read);
    free (data);
}

//  The whole path: on control, journaled, published as the last command,
//  saved, and read back by the next start.
static void
test_applied_command_is_saved_and_survives_a_restart (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    ep_command_t command = s_command (EP_COMMAND (HALT), 0, 7);
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_control_verdict_t verdict;
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_APPLIED);
    assert_true (router->state.halted);
    assert_true (router->state.dirty);
    assert_true (router->state.last_command_applied);
    assert_string_equal (router->state.last_command_outcome, "applied: HALT, epoch 7");
    //  A stale one is refused, and its sender learns why from the plane state.
    command.epoch = 6;
    command.kind = EP_COMMAND (RESUME);
    free (data);
    data = fixture_pack (&command.base, &size);
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_STALE_EPOCH);
    assert_true (router->state.halted);
    assert_false (router->state.last_command_applied);
    assert_int_equal (router->state.last_command_epoch, 6);
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    router = fixture_restart (&fixture);
    assert_true (router->state.halted);
    assert_int_equal (router->state.epoch, 7);
    assert_string_equal (router->state.issued_by, "ops");
    free (data);
    fixture_stop (&fixture);
}

static void
test_other_topics_are_not_commands (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    ep_command_t command = s_command (EP_COMMAND (HALT), 0, 1);
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_control_verdict_t verdict;
    assert_int_equal (ep_control_on_message (router, "control.other", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_NOT_A_COMMAND);
    assert_false (router->state.halted);
    assert_int_equal (ep_journal_open_writes (router->journal), 0);
    free (data);
    fixture_stop (&fixture);
}

static ep_control_verdict_t
s_reconcile (ep_router_t *router, const char *intent_id, const char *request_id)
{
    ep_command_t command = s_command (EP_COMMAND (RECONCILE), EP_PLANE (LIVE), 0);
    command.intent_id = (char *) intent_id;
    command.strategy_id = "s1";
    command.request_id = (char *) request_id;
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_control_verdict_t verdict;
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    free (data);
    return verdict;
}

static void
test_reconcile_is_forwarded_only_when_it_can_be (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    //  No such intent.
    assert_int_equal (s_reconcile (router, "nothing", "r1"), EP_CONTROL_REFUSED);
    assert_non_null (strstr (router->state.last_command_outcome, "refused: no intent nothing"));
    //  A paper intent is not the live plane's.
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "paper-intent");
    fixture_send_intent (router, &intent);
    assert_int_equal (s_reconcile (router, "paper-intent", "r2"), EP_CONTROL_REFUSED);
    assert_non_null (strstr (router->state.last_command_outcome, "was not dispatched to the "
                             "live plane"));
    //  A live one still in flight is the plane's to follow.
    router->state.plane = EP_PLANE (LIVE);
    fixture_heartbeat (router, EP_PLANE (LIVE), "live-1");
    fixture_intent (&intent, "live-intent");
    fixture_send_intent (router, &intent);
    assert_int_equal (s_reconcile (router, "live-intent", "r3"), EP_CONTROL_REFUSED);
    assert_non_null (strstr (router->state.last_command_outcome, "is still in flight"));
    //  Once its terminal report is made, it is forwarded, marked reconcile.
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, router->last_router_seq);
    assert_int_equal (ep_reports_expire (router, entry, "test"), EP_ROUTER_OK);
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_reconcile (router, "live-intent", "r4"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    ep_outbox_item_t *item = ep_outbox_at (&router->pending, pending);
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, item->size, item->data);
    assert_true (dispatch->reconcile);
    assert_string_equal (dispatch->request_id, "r4");
    assert_string_equal (dispatch->worker_session, "live-1");
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
    //  ep-meta repeats a request until it sees its outcome: done once.
    assert_int_equal (s_reconcile (router, "live-intent", "r4"), EP_CONTROL_REPEATED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    //  A CANCEL has no order of its own at the venue: its target is asked.
    ep_intent_t cancel;
    execplane__v1__order_intent__init (&cancel);
    cancel.intent_id = "live-cancel";
    cancel.strategy_id = "s1";
    cancel.action = EP_ACTION (CANCEL);
    cancel.target_intent_id = "live-intent";
    fixture_send_intent (router, &cancel);
    assert_int_equal (s_reconcile (router, "live-cancel", "r5"), EP_CONTROL_REFUSED);
    assert_non_null (strstr (router->state.last_command_outcome, "is a CANCEL: reconcile "
                             "its target live-intent"));
    fixture_stop (&fixture);
}

//  SWEEP_OPEN: forwarded to the live worker the router adopted, once per
//  request id; refused while no live worker lives. A sweep's outcome, from
//  the worker, is journaled as events and counted in the plane state.
static void
test_sweep_open_is_forwarded_and_its_orphans_told (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    ep_command_t command = s_command (EP_COMMAND (SWEEP_OPEN), 0, 0);
    command.request_id = "w1";
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_control_verdict_t verdict;
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_REFUSED);
    assert_non_null (strstr (router->state.last_command_outcome, "no live worker is alive"));
    free (data);
    fixture_heartbeat (router, EP_PLANE (LIVE), "live-1");
    command.request_id = "w2";
    data = fixture_pack (&command.base, &size);
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    ep_outbox_item_t *item = ep_outbox_at (&router->pending, pending);
    assert_string_equal (item->topic, ep_exec_topic (EP_PLANE (LIVE)));
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, item->size, item->data);
    assert_true (dispatch->sweep_open);
    assert_null (dispatch->intent);
    assert_string_equal (dispatch->worker_session, "live-1");
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
    //  Repeated until confirmed: done once
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_CONTROL_REPEATED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    free (data);

    //  The worker's answer: one orphan
    Execplane__V1__VenueOrder orphan;
    execplane__v1__venue_order__init (&orphan);
    orphan.client_order_id = "epOrphan";
    orphan.venue_order_id = "77";
    orphan.symbol = "BTCUSDT";
    orphan.side = EP_SIDE (SELL);
    orphan.status = "NEW";
    orphan.qty_e8 = 150000000;
    Execplane__V1__VenueOrder *orphans [] = { &orphan };
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = EP_PLANE (LIVE);
    message.session = "live-1";
    message.definition_id = (char *) fixture_definition_id (EP_PLANE (LIVE));
    message.n_orphans = 1;
    message.orphans = orphans;
    message.swept = true;
    data = fixture_pack (&message.base, &size);
    assert_int_equal (ep_link_on_message (router, "orphans", data, size, NULL, NULL),
                      EP_ROUTER_OK);
    free (data);
    assert_int_equal (router->state.orphans_found, 1);
    assert_string_equal (router->state.last_orphan,
                         "epOrphan BTCUSDT SELL 1.5 (executed 0) NEW, venue order 77");
    fixture_stop (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_select_with_a_higher_epoch_applies),
        cmocka_unit_test (test_stale_epoch_is_refused_and_changes_nothing),
        cmocka_unit_test (test_select_needs_paper_or_live),
        cmocka_unit_test (test_halt_then_resume),
        cmocka_unit_test (test_unknown_kind_is_refused),
        cmocka_unit_test (test_command_that_is_not_text_is_refused),
        cmocka_unit_test (test_applied_command_is_saved_and_survives_a_restart),
        cmocka_unit_test (test_other_topics_are_not_commands),
        cmocka_unit_test (test_reconcile_is_forwarded_only_when_it_can_be),
        cmocka_unit_test (test_sweep_open_is_forwarded_and_its_orphans_told),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
