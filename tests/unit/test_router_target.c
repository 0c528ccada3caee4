/*  test_router_target: the router's decisions on a CANCEL or REPLACE. It
    goes to the plane and epoch that hold its target, whatever plane is
    selected now, naming the target's router_seq; it is refused when its
    strategy has no such intent (INVALID_INTENT), when the router already
    has the target's terminal report (TOO_LATE, naming how it ended), when
    a REPLACE changes the target's symbol or side, and as a duplicate. HALT
    lets a CANCEL through but not a REPLACE, unless it is a Safety Sell. The plane's answers on both
    the cancel and its target are taken, each intent ending once; a cancel
    in flight at a restart is settled like any intent.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

//  A CANCEL of target by strategy "s1".
static void
s_cancel (ep_intent_t *intent, const char *intent_id, const char *target)
{
    execplane__v1__order_intent__init (intent);
    intent->intent_id = (char *) intent_id;
    intent->strategy_id = "s1";
    intent->action = EP_ACTION (CANCEL);
    intent->target_intent_id = (char *) target;
}

//  A REPLACE of target by strategy "s1": the fixture's order at a new price.
static void
s_replace (ep_intent_t *intent, const char *intent_id, const char *target)
{
    fixture_intent (intent, intent_id);
    intent->action = EP_ACTION (REPLACE);
    intent->target_intent_id = (char *) target;
    intent->limit_price_e8 = 4900000000000;
}

//  The newest dispatch waiting in pending, decoded; the caller frees it.
static ep_dispatch_t *
s_last_dispatch (ep_router_t *router, const char **topic)
{
    size_t count = ep_outbox_count (&router->pending);
    assert_true (count > 0);
    ep_outbox_item_t *item = ep_outbox_at (&router->pending, count - 1);
    *topic = item->topic;
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, item->size, item->data);
    assert_non_null (dispatch);
    return dispatch;
}

//  Sends intent; returns the router's refusal of it (asserts one came).
static ep_report_t *
s_refusal_of (ep_router_t *router, const ep_intent_t *intent)
{
    size_t before = ep_outbox_count (&router->outbox);
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (fixture_send_intent (router, intent), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), before + 1);
    assert_int_equal (ep_outbox_count (&router->pending), pending);
    ep_report_t *report = fixture_last_report (router);
    assert_non_null (report);
    assert_int_equal (report->status, EP_STATUS (REJECTED));
    assert_true (report->terminal);
    assert_string_equal (report->intent_id, intent->intent_id);
    return report;
}

//  The plane's report on router_seq.
static void
s_plane_report (ep_report_t *report, uint64_t router_seq, const char *intent_id, int status,
                bool terminal)
{
    execplane__v1__execution_report__init (report);
    report->intent_id = (char *) intent_id;
    report->strategy_id = "s1";
    report->symbol = "BTCUSDT";
    report->status = status;
    report->terminal = terminal;
    report->router_seq = router_seq;
}

static void
test_cancel_goes_to_the_plane_and_epoch_that_hold_its_target (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    uint64_t epoch = router->state.epoch;
    //  A SELECT of live since: the order still rests on paper.
    router->state.plane = EP_PLANE (LIVE);
    router->state.epoch = epoch + 1;
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.paper");
    assert_int_equal (dispatch->plane, EP_PLANE (PAPER));
    assert_int_equal (dispatch->plane_epoch, epoch);
    assert_int_equal (dispatch->target_router_seq, target);
    assert_int_equal (dispatch->router_seq, router->last_router_seq);
    assert_int_equal (dispatch->intent->action, EP_ACTION (CANCEL));
    assert_string_equal (dispatch->intent->target_intent_id, "o1");
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, dispatch->router_seq);
    assert_non_null (entry);
    assert_int_equal (entry->plane, EP_PLANE (PAPER));
    assert_int_equal (entry->plane_epoch, epoch);
    assert_false (entry->acked);
    assert_string_equal (entry->target_intent_id, "o1");
    //  Journaled on the target's plane, where its answer comes from.
    int plane = 0;
    uint64_t journaled_epoch = 0;
    bool dispatched = false;
    void *payload = NULL;
    size_t size = 0;
    assert_int_equal (ep_journal_intent (router->journal, dispatch->router_seq, &plane,
                                         &journaled_epoch, &dispatched, &payload, &size), 1);
    assert_int_equal (plane, EP_PLANE (PAPER));
    assert_int_equal (journaled_epoch, epoch);
    assert_true (dispatched);
    free (payload);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

//  A cancel of a live order is stamped like any live dispatch: only the
//  adopted worker session may send it, and not after its bound.
static void
test_cancel_of_a_live_order_is_stamped_for_the_live_worker (void **state)
{
    ep_router_t *router = fixture_router (state);
    router->state.plane = EP_PLANE (LIVE);
    fixture_heartbeat (router, EP_PLANE (LIVE), "live-1");
    ep_intent_t order;
    fixture_intent (&order, "o1");
    assert_int_equal (fixture_send_intent (router, &order), EP_ROUTER_OK);
    uint64_t target = router->last_router_seq;
    router->state.plane = EP_PLANE (PAPER);
    router->state.epoch++;
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    int64_t before = zclock_time ();
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.live");
    assert_int_equal (dispatch->target_router_seq, target);
    assert_string_equal (dispatch->worker_session, "live-1");
    assert_true (dispatch->not_after_ms >= before);
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, dispatch->router_seq);
    assert_int_equal (entry->plane, EP_PLANE (LIVE));
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

static void
test_replace_goes_to_its_target_with_the_new_order (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    assert_int_equal (fixture_send_intent (router, &replace), EP_ROUTER_OK);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.paper");
    assert_int_equal (dispatch->target_router_seq, target);
    assert_int_equal (dispatch->intent->action, EP_ACTION (REPLACE));
    assert_int_equal (dispatch->intent->limit_price_e8, 4900000000000);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

static void
test_cancel_of_an_intent_its_strategy_does_not_have_is_invalid (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "nothing");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->reason, "strategy s1 has no intent nothing");
    assert_string_equal (report->target_intent_id, "nothing");
    assert_string_equal (report->strategy_id, "s1");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  Intents are keyed by strategy: s1 cannot name s2's order o2, and a key
//  that names s2 must be one that may speak for s2.
static void
test_cancel_reaches_only_its_own_strategys_orders (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t order;
    fixture_intent (&order, "o2");
    order.strategy_id = "s2";
    assert_int_equal (fixture_send_intent (router, &order), EP_ROUTER_OK);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o2");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->reason, "strategy s1 has no intent o2");
    execplane__v1__execution_report__free_unpacked (report, NULL);
    assert_non_null (ep_inflight_find (router->inflight, 1));

    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_STRATEGY;
    snprintf (peer.info.name, sizeof peer.info.name, "alpha");
    snprintf (peer.info.strategies, sizeof peer.info.strategies, "s1");
    cancel.strategy_id = "s2";
    int failure = EP_FAILURE (FAILURE_NONE);
    char reason [256] = "";
    assert_false (ep_intake_attribute (&peer, &cancel, true, &failure, reason, sizeof reason));
    assert_int_equal (failure, EP_FAILURE (UNAUTHORIZED));
    assert_string_equal (reason, "key alpha may not speak for strategy s2");
}

static void
test_cancel_after_the_targets_terminal_report_is_too_late (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_report_t filled;
    s_plane_report (&filled, target, "o1", EP_STATUS (FILLED), true);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &filled, NULL),
                      EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, target));
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended FILLED");
    assert_string_equal (report->target_intent_id, "o1");
    execplane__v1__execution_report__free_unpacked (report, NULL);
    //  A replace likewise places nothing.
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  A zombie's terminal report is made (its strategy has been told it
//  ended): a strategy's cancel of it comes too late, naming that end.
static void
test_cancel_of_a_zombie_is_too_late (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, target);
    assert_int_equal (ep_reports_expire (router, entry, "test"), EP_ROUTER_OK);
    ep_report_t resting;
    s_plane_report (&resting, target, "o1", EP_STATUS (ACCEPTED), false);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &resting, NULL),
                      EP_ROUTER_OK);
    assert_true (ep_inflight_find (router->inflight, target)->zombie);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended FAILED");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  A live order whose answer the router never had ends UNKNOWN, and may
//  rest at the venue: a cancel of it goes to the live plane and epoch that
//  held it (not TOO_LATE), whatever plane is selected now.
static void
test_cancel_of_a_live_order_that_ended_unknown_goes_to_the_live_plane (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    uint64_t epoch = router->state.epoch;
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, target);
    assert_int_equal (ep_reports_expire (router, entry, "test"), EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, target));
    router->state.plane = EP_PLANE (PAPER);
    router->state.epoch = epoch + 1;
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    size_t reports = ep_outbox_count (&router->outbox);
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), reports);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.live");
    assert_int_equal (dispatch->plane, EP_PLANE (LIVE));
    assert_int_equal (dispatch->plane_epoch, epoch);
    assert_int_equal (dispatch->target_router_seq, target);
    assert_string_equal (dispatch->worker_session, "live-1");
    assert_non_null (ep_inflight_find (router->inflight, dispatch->router_seq));
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
    //  A replace is no cancel: it places nothing on an order it cannot see
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    ep_report_t *report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  The live plane's own UNKNOWN (its answer lost: a timeout, a 5xx) is the
//  same: the order may rest.
static void
test_cancel_of_a_live_order_the_plane_ended_unknown_goes_to_the_live_plane (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    ep_report_t unknown;
    s_plane_report (&unknown, target, "o1", EP_STATUS (UNKNOWN), true);
    unknown.failure = EP_FAILURE (SEND_UNKNOWN);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &unknown, NULL),
                      EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, target));
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.live");
    assert_int_equal (dispatch->target_router_seq, target);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

//  The router's fills of it travel with the cancel, as with a
//  reconciliation: the plane follows it no more, and tells only new fills.
static void
test_cancel_of_an_unknown_live_order_carries_the_fills_the_router_has (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    ep_report_t partial;
    s_plane_report (&partial, target, "o1", EP_STATUS (PARTIALLY_FILLED), false);
    ep_fill_t fill;
    execplane__v1__fill__init (&fill);
    fill.fill_id = "f1";
    fill.qty_e8 = 25000000;
    fill.price_e8 = 5000000000000;
    ep_fill_t *fills [1] = { &fill };
    partial.fills = fills;
    partial.n_fills = 1;
    partial.filled_qty_e8 = 25000000;
    partial.avg_price_e8 = 5000000000000;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &partial, NULL),
                      EP_ROUTER_OK);
    ep_report_t unknown;
    s_plane_report (&unknown, target, "o1", EP_STATUS (UNKNOWN), true);
    unknown.filled_qty_e8 = 25000000;
    unknown.avg_price_e8 = 5000000000000;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &unknown, NULL),
                      EP_ROUTER_OK);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    const char *topic;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, "exec.live");
    assert_int_equal (dispatch->known_filled_qty_e8, 25000000);
    assert_int_equal (dispatch->known_avg_price_e8, 5000000000000);
    assert_int_equal (dispatch->known_fills, 1);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

//  Its plane's later word that it ended (a reconciliation, a late answer)
//  makes a cancel too late again, naming that real end.
static void
test_cancel_of_an_unknown_live_order_since_reconciled_as_ended_is_too_late (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    assert_int_equal (ep_reports_expire (router, ep_inflight_find (router->inflight, target),
                                         "test"), EP_ROUTER_OK);
    ep_report_t filled;
    s_plane_report (&filled, target, "o1", EP_STATUS (FILLED), true);
    filled.reconciled = true;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &filled, NULL),
                      EP_ROUTER_OK);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended FILLED");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  The cancel took effect: the target's CANCELED (reconciled) is published
//  after its UNKNOWN, not terminal (its one terminal report was made); the
//  cancel ends once; a second cancel is too late, naming CANCELED.
static void
test_cancel_of_an_unknown_live_order_ends_it_canceled_once (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "o1");
    assert_int_equal (ep_reports_expire (router, ep_inflight_find (router->inflight, target),
                                         "test"), EP_ROUTER_OK);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    uint64_t cancel_seq = router->last_router_seq;
    ep_report_t ended;
    s_plane_report (&ended, target, "o1", EP_STATUS (CANCELED), true);
    ended.reconciled = true;
    ended.reason = "reconciled: canceled by intent c1 (venue CANCELED)";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &ended, NULL),
                      EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_int_equal (report->router_seq, target);
    assert_int_equal (report->status, EP_STATUS (CANCELED));
    assert_false (report->terminal);
    assert_true (report->reconciled);
    assert_string_equal (report->reason, "reconciled: canceled by intent c1 (venue CANCELED)");
    execplane__v1__execution_report__free_unpacked (report, NULL);
    assert_null (ep_inflight_find (router->inflight, target));
    ep_report_t done;
    s_plane_report (&done, cancel_seq, "c1", EP_STATUS (CANCELED), true);
    done.target_intent_id = "o1";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (LIVE), &done, NULL),
                      EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, cancel_seq));
    ep_intent_t again;
    s_cancel (&again, "c2", "o1");
    report = s_refusal_of (router, &again);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended CANCELED");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_cancel_of_an_intent_the_router_refused_is_too_late (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t order;
    fixture_intent (&order, "o1");
    order.qty_e8 = 0;
    assert_int_equal (fixture_send_intent (router, &order), EP_ROUTER_OK);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended REJECTED");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_halt_lets_a_cancel_through_but_not_a_replace (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    router->state.halted = true;
    snprintf (router->state.issued_by, sizeof router->state.issued_by, "ops");
    snprintf (router->state.reason, sizeof router->state.reason, "drill");
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    ep_report_t *report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_HALTED));
    execplane__v1__execution_report__free_unpacked (report, NULL);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    assert_non_null (ep_inflight_find (router->inflight, router->last_router_seq));
}

//  A Safety Sell is a forced execution: a REPLACE that is one passes a HALT
//  like a placed Safety Sell, to the plane that holds its target.
static void
test_halt_lets_a_safety_replace_through (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t sell;
    fixture_intent (&sell, "o1");
    sell.side = EP_SIDE (SELL);
    sell.safety = true;
    assert_int_equal (fixture_send_intent (router, &sell), EP_ROUTER_OK);
    router->state.halted = true;
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    replace.side = EP_SIDE (SELL);
    replace.safety = true;
    size_t pending = ep_outbox_count (&router->pending);
    assert_int_equal (fixture_send_intent (router, &replace), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->pending), pending + 1);
    const char *topic = NULL;
    ep_dispatch_t *dispatch = s_last_dispatch (router, &topic);
    assert_string_equal (topic, ep_exec_topic (EP_PLANE (PAPER)));
    assert_int_equal (dispatch->intent->action, EP_ACTION (REPLACE));
    assert_true (dispatch->intent->safety);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
    //  The same REPLACE without the flag is refused.
    replace.intent_id = "r2";
    replace.safety = false;
    ep_report_t *report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_HALTED));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_duplicate_cancel_is_rejected (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (DUPLICATE_INTENT));
    execplane__v1__execution_report__free_unpacked (report, NULL);
    //  Nor may a cancel take the id of an order.
    s_cancel (&cancel, "o1", "o1");
    report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (DUPLICATE_INTENT));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_replace_keeps_the_targets_symbol_and_side (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t replace;
    s_replace (&replace, "r1", "o1");
    replace.side = EP_SIDE (SELL);
    ep_report_t *report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->reason,
                         "a REPLACE keeps the target's symbol and side (o1 is BTCUSDT BUY)");
    execplane__v1__execution_report__free_unpacked (report, NULL);
    s_replace (&replace, "r2", "o1");
    replace.symbol = "ETHUSDT";
    report = s_refusal_of (router, &replace);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_cancel_of_a_cancel_is_invalid (void **state)
{
    ep_router_t *router = fixture_router (state);
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    s_cancel (&cancel, "c2", "c1");
    ep_report_t *report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (INVALID_INTENT));
    assert_string_equal (report->reason, "the target c1 is a CANCEL, not an order");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  What validation refuses on a CANCEL or REPLACE, each with its reason.
static void
test_validation_of_cancel_and_replace (void **state)
{
    (void) state;
    char reason [256];
    ep_intent_t intent;
    s_cancel (&intent, "c1", "o1");
    assert_true (ep_validate_intent (&intent, reason, sizeof reason));
    intent.qty_e8 = 100000000;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_non_null (strstr (reason, "a CANCEL carries no order fields (qty is set)"));
    s_cancel (&intent, "c1", "");
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_non_null (strstr (reason, "a CANCEL needs a target_intent_id"));
    s_cancel (&intent, "c1", "c1");
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "a CANCEL cannot target itself (intent_id c1)");
    s_replace (&intent, "r1", "o1");
    assert_true (ep_validate_intent (&intent, reason, sizeof reason));
    intent.type = EP_TYPE (MARKET);
    intent.tif = EP_TIF (IOC);
    intent.limit_price_e8 = 0;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "a REPLACE places a LIMIT order (got MARKET)");
    fixture_intent (&intent, "p1");
    intent.target_intent_id = "o1";
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "target_intent_id is only for a CANCEL or REPLACE");
    fixture_intent (&intent, "x1");
    intent.action = 9;
    assert_false (ep_validate_intent (&intent, reason, sizeof reason));
    assert_string_equal (reason, "action must be PLACE, CANCEL or REPLACE (got 9)");
}

//  The plane answers for the cancel and for its target: both are taken,
//  journaled, and each intent ends once.
static void
test_plane_answers_for_the_cancel_and_its_target_each_end_once (void **state)
{
    ep_router_t *router = fixture_router (state);
    uint64_t target = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "o1");
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (router, &cancel), EP_ROUTER_OK);
    uint64_t cancel_seq = router->last_router_seq;
    size_t before = ep_outbox_count (&router->outbox);
    ep_report_t ended;
    s_plane_report (&ended, target, "o1", EP_STATUS (CANCELED), true);
    ended.reason = "canceled by c1";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &ended, NULL),
                      EP_ROUTER_OK);
    ep_report_t done;
    s_plane_report (&done, cancel_seq, "c1", EP_STATUS (CANCELED), true);
    done.target_intent_id = "o1";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &done, NULL),
                      EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), before + 2);
    assert_null (ep_inflight_find (router->inflight, target));
    assert_null (ep_inflight_find (router->inflight, cancel_seq));
    int status = 0;
    assert_int_equal (ep_journal_ending (router->journal, target, &status), 1);
    assert_int_equal (status, EP_STATUS (CANCELED));
    assert_int_equal (ep_journal_ending (router->journal, cancel_seq, &status), 1);
    ep_report_t *report = fixture_last_report (router);
    assert_true (report->terminal);
    assert_string_equal (report->target_intent_id, "o1");
    assert_int_equal (report->router_seq, cancel_seq);
    execplane__v1__execution_report__free_unpacked (report, NULL);
    //  A second cancel now comes too late, naming how the target ended.
    s_cancel (&cancel, "c2", "o1");
    report = s_refusal_of (router, &cancel);
    assert_int_equal (report->failure, EP_FAILURE (TOO_LATE));
    assert_string_equal (report->reason, "the target o1 already ended CANCELED");
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

//  A cancel no plane answered before a restart is settled like any
//  intent, with its target named; the resting target stays followed.
static void
test_cancel_in_flight_at_a_restart_is_settled_once (void **state)
{
    fixture_t *fixture = *state;
    uint64_t target = fixture_dispatch (fixture->router, EP_PLANE (PAPER), "s1", "o1");
    ep_report_t accepted;
    s_plane_report (&accepted, target, "o1", EP_STATUS (ACCEPTED), false);
    ep_reports_from_plane (fixture->router, EP_PLANE (PAPER), &accepted, NULL);
    ep_intent_t cancel;
    s_cancel (&cancel, "c1", "o1");
    assert_int_equal (fixture_send_intent (fixture->router, &cancel), EP_ROUTER_OK);
    uint64_t cancel_seq = fixture->router->last_router_seq;
    assert_int_equal (ep_journal_commit (fixture->router->journal), EP_JOURNAL_OK);
    ep_router_t *router = fixture_restart (fixture);
    assert_null (ep_inflight_find (router->inflight, cancel_seq));
    assert_non_null (ep_inflight_find (router->inflight, target));
    ep_report_t *report = fixture_last_report (router);
    assert_non_null (report);
    assert_int_equal (report->router_seq, cancel_seq);
    assert_int_equal (report->status, EP_STATUS (FAILED));
    assert_true (report->terminal);
    assert_string_equal (report->target_intent_id, "o1");
    execplane__v1__execution_report__free_unpacked (report, NULL);
    assert_int_equal (ep_outbox_count (&router->outbox), 1);
}

#define S_TEST(name) cmocka_unit_test_setup_teardown (name, fixture_setup, fixture_teardown)

int
main (void)
{
    const struct CMUnitTest tests [] = {
        S_TEST (test_cancel_goes_to_the_plane_and_epoch_that_hold_its_target),
        S_TEST (test_cancel_of_a_live_order_is_stamped_for_the_live_worker),
        S_TEST (test_replace_goes_to_its_target_with_the_new_order),
        S_TEST (test_cancel_of_an_intent_its_strategy_does_not_have_is_invalid),
        S_TEST (test_cancel_reaches_only_its_own_strategys_orders),
        S_TEST (test_cancel_after_the_targets_terminal_report_is_too_late),
        S_TEST (test_cancel_of_a_zombie_is_too_late),
        S_TEST (test_cancel_of_a_live_order_that_ended_unknown_goes_to_the_live_plane),
        S_TEST (test_cancel_of_a_live_order_the_plane_ended_unknown_goes_to_the_live_plane),
        S_TEST (test_cancel_of_an_unknown_live_order_carries_the_fills_the_router_has),
        S_TEST (test_cancel_of_an_unknown_live_order_since_reconciled_as_ended_is_too_late),
        S_TEST (test_cancel_of_an_unknown_live_order_ends_it_canceled_once),
        S_TEST (test_cancel_of_an_intent_the_router_refused_is_too_late),
        S_TEST (test_halt_lets_a_cancel_through_but_not_a_replace),
        S_TEST (test_halt_lets_a_safety_replace_through),
        S_TEST (test_duplicate_cancel_is_rejected),
        S_TEST (test_replace_keeps_the_targets_symbol_and_side),
        S_TEST (test_cancel_of_a_cancel_is_invalid),
        cmocka_unit_test (test_validation_of_cancel_and_replace),
        S_TEST (test_plane_answers_for_the_cancel_and_its_target_each_end_once),
        S_TEST (test_cancel_in_flight_at_a_restart_is_settled_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
