/*  test_router_cancel_all: the router's own cancels. CANCEL_ALL cancels
    every open order (of a strategy, on a plane, when filtered), each by a
    CANCEL intent of its own sent to the plane and epoch that hold the
    order, naming the command as its cause, journaled with it; HALT with
    cancel_open halts and cancels everything. A repeated command sends no
    second cancel; cancels and ended orders are left alone; an order on a
    plane with no living worker is left, and the outcome says so.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "test_router_fixture.h"

static ep_control_verdict_t
s_send (ep_router_t *router, const ep_command_t *command)
{
    size_t size;
    uint8_t *data = fixture_pack (&command->base, &size);
    ep_control_verdict_t verdict;
    assert_int_equal (ep_control_on_message (router, "control.plane", data, size, NULL,
                                             &verdict), EP_ROUTER_OK);
    free (data);
    return verdict;
}

static ep_control_verdict_t
s_cancel_all (ep_router_t *router, const char *strategy, int plane, const char *request_id)
{
    ep_command_t command;
    execplane__v1__plane_command__init (&command);
    command.kind = EP_COMMAND (CANCEL_ALL);
    command.plane = plane;
    command.strategy_id = (char *) strategy;
    command.request_id = (char *) request_id;
    command.issued_by = "ops";
    command.reason = "end of day";
    return s_send (router, &command);
}

//  The dispatches queued from index from on, decoded into dispatches
//  (the caller frees them); returns how many.
static size_t
s_dispatches (ep_router_t *router, size_t from, ep_dispatch_t **dispatches, const char **topics,
              size_t most)
{
    size_t count = 0;
    ep_outbox_item_t *item;
    while (count < most && (item = ep_outbox_at (&router->pending, from + count))) {
        topics [count] = item->topic;
        dispatches [count] = execplane__v1__dispatch__unpack (NULL, item->size, item->data);
        assert_non_null (dispatches [count]);
        count++;
    }
    return count;
}

static void
s_free (ep_dispatch_t **dispatches, size_t count)
{
    for (size_t i = 0; i < count; i++)
        execplane__v1__dispatch__free_unpacked (dispatches [i], NULL);
}

static void
test_cancel_all_cancels_every_open_order_where_it_is_held (void **state)
{
    fixture_t *fixture = *state;
    ep_router_t *router = fixture->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    uint64_t o2 = fixture_dispatch (router, EP_PLANE (PAPER), "s2", "o2");
    uint64_t paper_epoch = router->state.epoch;
    router->state.epoch = paper_epoch + 1;
    uint64_t o3 = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o3");
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_APPLIED);
    assert_non_null (strstr (router->state.last_command_outcome, "3 cancel(s) sent"));
    ep_dispatch_t *dispatch [8];
    const char *topic [8];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 8), 3);
    uint64_t targets [3] = { o1, o2, o3 };
    const char *strategies [3] = { "s1", "s2", "s1" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal (dispatch [i]->target_router_seq, targets [i]);
        assert_int_equal (dispatch [i]->intent->action, EP_ACTION (CANCEL));
        assert_string_equal (dispatch [i]->intent->strategy_id, strategies [i]);
        assert_string_equal (dispatch [i]->cause, "cancel-all by ops: end of day");
        char intent_id [64];
        snprintf (intent_id, sizeof intent_id, "cancel-all.%llu",
                  (unsigned long long) dispatch [i]->router_seq);
        assert_string_equal (dispatch [i]->intent->intent_id, intent_id);
        ep_inflight_entry_t *entry = ep_inflight_find (router->inflight,
                                                       dispatch [i]->router_seq);
        assert_non_null (entry);
        assert_string_equal (entry->target_intent_id, dispatch [i]->intent->target_intent_id);
    }
    assert_string_equal (topic [0], "exec.paper");
    assert_int_equal (dispatch [1]->plane_epoch, paper_epoch);
    assert_string_equal (topic [2], "exec.live");
    assert_int_equal (dispatch [2]->plane_epoch, paper_epoch + 1);
    assert_string_equal (dispatch [2]->worker_session, "live-1");
    assert_true (dispatch [2]->not_after_ms > 0);
    //  Journaled: each cancel as an intent, and its cause.
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    char path [128];
    snprintf (path, sizeof path, "%s/journal.db", fixture->folder);
    sqlite3 *db;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT detail FROM events WHERE kind = "
                                          "'cancel-cause' ORDER BY id", -1, &stmt, NULL),
                      SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
        char detail [256];
        snprintf (detail, sizeof detail, "%llu cancels %llu: cancel-all by ops: end of day",
                  (unsigned long long) dispatch [i]->router_seq,
                  (unsigned long long) targets [i]);
        assert_string_equal ((const char *) sqlite3_column_text (stmt, 0), detail);
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    int plane = 0;
    uint64_t epoch = 0;
    bool dispatched = false;
    void *payload = NULL;
    size_t size = 0;
    assert_int_equal (ep_journal_intent (router->journal, dispatch [0]->router_seq, &plane,
                                         &epoch, &dispatched, &payload, &size), 1);
    assert_true (dispatched);
    assert_int_equal (plane, EP_PLANE (PAPER));
    free (payload);
    s_free (dispatch, 3);
}

static void
test_cancel_all_filters_by_strategy_and_plane (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    uint64_t o2 = fixture_dispatch (router, EP_PLANE (PAPER), "s2", "o2");
    uint64_t o3 = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o3");
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "s2", 0, "q1"), EP_CONTROL_APPLIED);
    ep_dispatch_t *dispatch [8];
    const char *topic [8];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 8), 1);
    assert_int_equal (dispatch [0]->target_router_seq, o2);
    s_free (dispatch, 1);
    pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", EP_PLANE (LIVE), "q2"), EP_CONTROL_APPLIED);
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 8), 1);
    assert_int_equal (dispatch [0]->target_router_seq, o3);
    s_free (dispatch, 1);
    //  A filter that names no plane or no valid strategy is refused.
    assert_int_equal (s_cancel_all (router, "", 7, "q3"), EP_CONTROL_REFUSED);
    assert_int_equal (s_cancel_all (router, "not valid", 0, "q4"), EP_CONTROL_REFUSED);
    assert_false (router->state.last_command_applied);
}

//  ep-meta repeats a command until it sees its outcome: one cancel per
//  order, however often; a cancel or an ended order is not canceled.
static void
test_cancel_all_sends_one_cancel_per_open_order (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    uint64_t o2 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o2");
    ep_report_t filled;
    execplane__v1__execution_report__init (&filled);
    filled.intent_id = "o2";
    filled.strategy_id = "s1";
    filled.status = EP_STATUS (FILLED);
    filled.terminal = true;
    filled.router_seq = o2;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &filled, NULL),
                      EP_ROUTER_OK);
    ep_intent_t cancel;
    execplane__v1__order_intent__init (&cancel);
    cancel.intent_id = "c1";
    cancel.strategy_id = "s1";
    cancel.action = EP_ACTION (CANCEL);
    cancel.target_intent_id = "o1";
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    ep_dispatch_t *dispatch [4];
    const char *topic [4];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 4), 1);
    assert_int_equal (dispatch [0]->target_router_seq, o1);
    s_free (dispatch, 1);
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_REPEATED);
    assert_int_equal (s_cancel_all (router, "", 0, "q2"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    assert_non_null (strstr (router->state.last_command_outcome, "0 cancel(s) sent"));
}

static void
test_cancel_all_leaves_orders_on_a_plane_without_a_worker (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    router->link.worker [EP_PLANE (PAPER)].alive = false;
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending);
    assert_non_null (strstr (router->state.last_command_outcome,
                             "0 cancel(s) sent, some left: no living worker on their plane"));
}

//  A zombie (its terminal report made, yet its plane says it rests) is
//  still held by its plane: the kill switch cancels it too.
static void
test_cancel_all_cancels_a_zombie_its_plane_still_holds (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, o1);
    assert_int_equal (ep_reports_expire (router, entry, "test"), EP_ROUTER_OK);
    ep_report_t resting;
    execplane__v1__execution_report__init (&resting);
    resting.intent_id = "o1";
    resting.strategy_id = "s1";
    resting.status = EP_STATUS (ACCEPTED);
    resting.router_seq = o1;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &resting, NULL),
                      EP_ROUTER_OK);
    assert_true (ep_inflight_find (router->inflight, o1)->zombie);
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_APPLIED);
    ep_dispatch_t *dispatch [2];
    const char *topic [2];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 2), 1);
    assert_int_equal (dispatch [0]->target_router_seq, o1);
    s_free (dispatch, 1);
}

//  A live order that ended UNKNOWN may rest at the venue: the kill switch
//  cancels it too (once while that cancel is out), with the fills the
//  router has of it; once its plane says it ended, it is left.
static void
test_cancel_all_cancels_a_live_order_that_ended_unknown (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    uint64_t epoch = router->state.epoch;
    assert_int_equal (ep_reports_expire (router, ep_inflight_find (router->inflight, o1),
                                         "test"), EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, o1));
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", EP_PLANE (LIVE), "q1"), EP_CONTROL_APPLIED);
    ep_dispatch_t *dispatch [2];
    const char *topic [2];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 2), 1);
    assert_string_equal (topic [0], "exec.live");
    assert_int_equal (dispatch [0]->target_router_seq, o1);
    assert_int_equal (dispatch [0]->plane_epoch, epoch);
    assert_string_equal (dispatch [0]->intent->target_intent_id, "o1");
    assert_string_equal (dispatch [0]->cause, "cancel-all by ops: end of day");
    uint64_t cancel_seq = dispatch [0]->router_seq;
    s_free (dispatch, 1);
    //  A repeat while that cancel is out sends no second one
    pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q2"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending);
    //  Its plane says it ended: nothing is left to cancel
    ep_report_t ended;
    execplane__v1__execution_report__init (&ended);
    ended.intent_id = "o1";
    ended.strategy_id = "s1";
    ended.status = EP_STATUS (CANCELED);
    ended.terminal = true;
    ended.reconciled = true;
    ended.router_seq = o1;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &ended, NULL),
                      EP_ROUTER_OK);
    ended.intent_id = "x";
    ended.router_seq = cancel_seq;
    ended.reconciled = false;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &ended, NULL),
                      EP_ROUTER_OK);
    pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "", 0, "q3"), EP_CONTROL_APPLIED);
    assert_int_equal (ep_outbox_count (&router->pending), pending);
}

//  Those the journal holds are remembered at start.
static void
test_cancel_all_after_a_restart_cancels_a_live_order_that_ended_unknown (void **state)
{
    fixture_t *fixture = *state;
    uint64_t o1 = fixture_dispatch (fixture->router, EP_PLANE (LIVE), "s1", "o1");
    assert_int_equal (ep_reports_expire (fixture->router,
                                         ep_inflight_find (fixture->router->inflight, o1),
                                         "test"), EP_ROUTER_OK);
    assert_int_equal (ep_journal_commit (fixture->router->journal), EP_JOURNAL_OK);
    ep_router_t *router = fixture_restart (fixture);
    assert_non_null (ep_unknown_find (&router->unknown, o1));
    fixture_heartbeat (router, EP_PLANE (LIVE), "live-1");
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_cancel_all (router, "s1", 0, "q1"), EP_CONTROL_APPLIED);
    ep_dispatch_t *dispatch [2];
    const char *topic [2];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 2), 1);
    assert_string_equal (topic [0], "exec.live");
    assert_int_equal (dispatch [0]->target_router_seq, o1);
    s_free (dispatch, 1);
}

//  The set is bounded: the newest EP_UNKNOWN_MAX are kept.
static void
test_unknown_live_orders_remembered_are_bounded (void **state)
{
    (void) state;
    ep_unknown_t unknown = { 0 };
    uint64_t dropped = 0;
    for (uint64_t seq = 1; seq <= EP_UNKNOWN_MAX; seq++)
        assert_non_null (ep_unknown_add (&unknown, seq + 10, "s1", "o", 1, &dropped));
    assert_int_equal (dropped, 0);
    assert_non_null (ep_unknown_add (&unknown, EP_UNKNOWN_MAX + 11, "s1", "o", 1, &dropped));
    assert_int_equal (dropped, 11);
    assert_int_equal (unknown.count, EP_UNKNOWN_MAX);
    assert_null (ep_unknown_find (&unknown, 11));
    assert_null (ep_unknown_add (&unknown, 5, "s1", "o", 1, &dropped));
    assert_int_equal (dropped, 5);
    assert_true (ep_unknown_remove (&unknown, 12));
    assert_false (ep_unknown_remove (&unknown, 12));
    ep_unknown_clear (&unknown);
}

//  The kill switch: halted, and every open order canceled; a new order is
//  refused while its cancels go out.
static void
test_halt_with_cancel_open_halts_and_cancels_everything (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    uint64_t o2 = fixture_dispatch (router, EP_PLANE (LIVE), "s2", "o2");
    size_t pending = ep_outbox_count (&router->pending);
    ep_command_t halt;
    execplane__v1__plane_command__init (&halt);
    halt.kind = EP_COMMAND (HALT);
    halt.epoch = router->state.epoch + 1;
    halt.issued_by = "ops";
    halt.reason = "kill";
    halt.cancel_open = true;
    assert_int_equal (s_send (router, &halt), EP_CONTROL_APPLIED);
    assert_true (router->state.halted);
    ep_dispatch_t *dispatch [4];
    const char *topic [4];
    assert_int_equal (s_dispatches (router, pending, dispatch, topic, 4), 2);
    assert_int_equal (dispatch [0]->target_router_seq, o1);
    assert_int_equal (dispatch [1]->target_router_seq, o2);
    assert_string_equal (dispatch [0]->cause, "halt --cancel-open by ops: kill");
    assert_non_null (strstr (dispatch [1]->intent->intent_id, "kill-switch."));
    s_free (dispatch, 2);
    assert_non_null (strstr (router->state.last_command_outcome, "2 cancel(s) sent"));
    //  Repeated, the HALT is stale: no second cancel.
    pending = ep_outbox_count (&router->pending);
    assert_int_equal (s_send (router, &halt), EP_CONTROL_STALE_EPOCH);
    assert_int_equal (ep_outbox_count (&router->pending), pending);
}

//  The plane answers the router's cancel and the order: each ends once.
static void
test_router_cancel_and_its_order_each_end_once (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t o1 = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    assert_int_equal (s_cancel_all (router, "", 0, "q1"), EP_CONTROL_APPLIED);
    uint64_t cancel = router->last_router_seq;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.strategy_id = "s1";
    report.status = EP_STATUS (CANCELED);
    report.terminal = true;
    report.intent_id = "o1";
    report.router_seq = o1;
    report.reason = "canceled (cancel-all by ops: end of day)";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    report.router_seq = cancel;
    report.intent_id = ep_inflight_find (router->inflight, cancel)->intent_id;
    report.target_intent_id = "o1";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    assert_int_equal (ep_inflight_count (router->inflight, 0), 0);
    int status = 0;
    assert_int_equal (ep_journal_ending (router->journal, o1, &status), 1);
    assert_int_equal (ep_journal_ending (router->journal, cancel, &status), 1);
}

#define S_TEST(name) cmocka_unit_test_setup_teardown (name, fixture_setup, fixture_teardown)

int
main (void)
{
    const struct CMUnitTest tests [] = {
        S_TEST (test_cancel_all_cancels_every_open_order_where_it_is_held),
        S_TEST (test_cancel_all_filters_by_strategy_and_plane),
        S_TEST (test_cancel_all_sends_one_cancel_per_open_order),
        S_TEST (test_cancel_all_leaves_orders_on_a_plane_without_a_worker),
        S_TEST (test_cancel_all_cancels_a_zombie_its_plane_still_holds),
        S_TEST (test_cancel_all_cancels_a_live_order_that_ended_unknown),
        S_TEST (test_cancel_all_after_a_restart_cancels_a_live_order_that_ended_unknown),
        cmocka_unit_test (test_unknown_live_orders_remembered_are_bounded),
        S_TEST (test_halt_with_cancel_open_halts_and_cancels_everything),
        S_TEST (test_router_cancel_and_its_order_each_end_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
