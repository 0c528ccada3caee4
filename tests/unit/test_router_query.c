/*  test_router_query: report replay reads what is committed, in seq order;
    a worker's restore names the orders still resting on its plane and
    makes it the plane's worker; "intents" tells what the journal holds of
    each intent asked, to the keys that may ask. Driven through an inproc DEALER.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"


static void
test_replay_returns_committed_reports_in_seq_order (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    ep_intent_t intent;
    for (int i = 0; i < 3; i++) {
        char id [8];
        snprintf (id, sizeof id, "r%d", i);
        fixture_intent (&intent, id);
        fixture_send_intent (router, &intent);      //  no worker: each is rejected
    }
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    ep_query_request_t request;
    execplane__v1__query_request__init (&request);
    request.from_seq = 2;
    zmsg_t *reply = fixture_ask (&fixture, "reports", &request.base);
    char *kind = zmsg_popstr (reply);
    assert_string_equal (kind, "reports");
    zframe_t *body = zmsg_pop (reply);
    ep_query_reply_t *replayed = execplane__v1__query_reply__unpack (NULL, zframe_size (body),
                                                                     zframe_data (body));
    assert_non_null (replayed);
    assert_int_equal (replayed->n_reports, 2);
    assert_int_equal (replayed->through_seq, 3);
    assert_int_equal (replayed->head_seq, 3);
    ep_report_t *second = execplane__v1__execution_report__unpack (
        NULL, replayed->reports [0].len, replayed->reports [0].data);
    assert_int_equal (second->seq, 2);
    assert_string_equal (second->intent_id, "r1");
    execplane__v1__execution_report__free_unpacked (second, NULL);
    execplane__v1__query_reply__free_unpacked (replayed, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    zmsg_destroy (&reply);
    fixture_stop (&fixture);
}

static void
test_restore_names_resting_orders_and_adopts_the_worker (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "resting");
    fixture_send_intent (router, &intent);
    uint64_t resting = router->last_router_seq;
    fixture_intent (&intent, "unanswered");
    fixture_send_intent (router, &intent);
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = "resting";
    report.strategy_id = "s1";
    report.status = EP_STATUS (ACCEPTED);
    report.router_seq = resting;
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    router->link.worker [EP_PLANE (PAPER)].alive = false;   //  paper-1 is gone

    ep_restore_request_t request;
    execplane__v1__restore_request__init (&request);
    request.plane = EP_PLANE (PAPER);
    request.session = "paper-2";
    request.definition = (char *) fixture_definition_text (EP_PLANE (PAPER));
    zmsg_t *reply = fixture_ask (&fixture, "restore", &request.base);
    char *kind = zmsg_popstr (reply);
    assert_string_equal (kind, "restore");
    zframe_t *body = zmsg_pop (reply);
    ep_restore_reply_t *restored = execplane__v1__restore_reply__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (restored);
    assert_int_equal (restored->n_orders, 1);   //  only what its plane acknowledged
    assert_int_equal (restored->orders [0]->dispatch->router_seq, resting);
    assert_string_equal (restored->router_boot, router->boot);
    assert_string_equal (router->link.worker [EP_PLANE (PAPER)].session, "paper-2");
    execplane__v1__restore_reply__free_unpacked (restored, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    zmsg_destroy (&reply);
    fixture_stop (&fixture);
}

//  The plane's report on router_seq.
static void
s_plane_says (ep_router_t *router, uint64_t router_seq, const char *intent_id, int status,
              bool terminal)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = (char *) intent_id;
    report.strategy_id = "s1";
    report.status = status;
    report.terminal = terminal;
    report.router_seq = router_seq;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
}

//  A worker restarting gets what rests: not an order that was canceled or
//  replaced, nor a cancel (it places nothing); a REPLACE's new order, yes.
static void
test_restore_leaves_out_canceled_orders_and_cancels (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    const char *ids [] = { "o1", "o2" };
    uint64_t seq [4];
    for (int i = 0; i < 2; i++) {
        fixture_intent (&intent, ids [i]);
        fixture_send_intent (router, &intent);
        seq [i] = router->last_router_seq;
        s_plane_says (router, seq [i], ids [i], EP_STATUS (ACCEPTED), false);
    }
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "c1";
    intent.strategy_id = "s1";
    intent.action = EP_ACTION (CANCEL);
    intent.target_intent_id = "o1";
    fixture_send_intent (router, &intent);
    seq [2] = router->last_router_seq;
    s_plane_says (router, seq [2], "c1", EP_STATUS (ACCEPTED), false);   //  still in flight
    s_plane_says (router, seq [0], "o1", EP_STATUS (CANCELED), true);
    fixture_intent (&intent, "r1");
    intent.action = EP_ACTION (REPLACE);
    intent.target_intent_id = "o2";
    fixture_send_intent (router, &intent);
    seq [3] = router->last_router_seq;
    s_plane_says (router, seq [3], "r1", EP_STATUS (ACCEPTED), false);
    s_plane_says (router, seq [1], "o2", EP_STATUS (CANCELED), true);
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    router->link.worker [EP_PLANE (PAPER)].alive = false;

    ep_restore_request_t request;
    execplane__v1__restore_request__init (&request);
    request.plane = EP_PLANE (PAPER);
    request.session = "paper-2";
    request.definition = (char *) fixture_definition_text (EP_PLANE (PAPER));
    zmsg_t *reply = fixture_ask (&fixture, "restore", &request.base);
    char *kind = zmsg_popstr (reply);
    zframe_t *body = zmsg_pop (reply);
    ep_restore_reply_t *restored = execplane__v1__restore_reply__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (restored);
    assert_int_equal (restored->n_orders, 1);
    assert_int_equal (restored->orders [0]->dispatch->router_seq, seq [3]);
    assert_int_equal (restored->orders [0]->dispatch->intent->action, EP_ACTION (REPLACE));
    execplane__v1__restore_reply__free_unpacked (restored, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    zmsg_destroy (&reply);
    fixture_stop (&fixture);
}

//  Under CURVE a strategy key reads its strategies' reports and its own
//  refusals; a monitor reads everything.
static void
test_a_strategy_key_reads_only_what_is_its_own (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_STRATEGY;
    snprintf (peer.info.strategies, sizeof peer.info.strategies, "s1");
    snprintf (peer.sender, sizeof peer.sender, "alpha:KEY-A");
    ep_report_t refusal;
    execplane__v1__execution_report__init (&refusal);
    refusal.sender_key = "KEY-A";
    size_t size;
    uint8_t *mine = fixture_pack (&refusal.base, &size);
    assert_true (ep_query_shows (&peer, "s1", NULL, 0, true));
    assert_false (ep_query_shows (&peer, "s2", NULL, 0, true));
    assert_true (ep_query_shows (&peer, "", mine, size, true));
    free (mine);
    refusal.sender_key = "KEY-B";
    uint8_t *theirs = fixture_pack (&refusal.base, &size);
    assert_false (ep_query_shows (&peer, "", theirs, size, true));
    peer.info.role = EP_ROLE_MONITOR;
    assert_true (ep_query_shows (&peer, "", theirs, size, true));
    assert_true (ep_query_shows (&peer, "s2", NULL, 0, true));
    free (theirs);
}

static void
test_only_a_planes_worker_key_may_ask_to_restore_it (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_WORKER;
    peer.info.plane = EP_PLANE (LIVE);
    assert_true (ep_query_may_restore (&peer, EP_PLANE (LIVE), true));
    assert_false (ep_query_may_restore (&peer, EP_PLANE (PAPER), true));
    peer.info.role = EP_ROLE_META;
    assert_false (ep_query_may_restore (&peer, EP_PLANE (LIVE), true));
    assert_true (ep_query_may_restore (&peer, EP_PLANE (PAPER), false));
}

//  Asks "intents" about n (strategy, intent) pairs; returns the reply's
//  kind in kind (the caller frees it) and its body.
static zframe_t *
s_ask_intents (fixture_t *fixture, const char *pairs [][2], size_t n, char **kind)
{
    Execplane__V1__IntentRef refs [n ? n : 1];
    Execplane__V1__IntentRef *items [n ? n : 1];
    for (size_t i = 0; i < n; i++) {
        execplane__v1__intent_ref__init (&refs [i]);
        refs [i].strategy_id = (char *) pairs [i][0];
        refs [i].intent_id = (char *) pairs [i][1];
        items [i] = &refs [i];
    }
    Execplane__V1__IntentsRequest request = EXECPLANE__V1__INTENTS_REQUEST__INIT;
    request.intents = items;
    request.n_intents = n;
    zmsg_t *reply = fixture_ask (fixture, "intents", &request.base);
    *kind = zmsg_popstr (reply);
    zframe_t *body = zmsg_pop (reply);
    zmsg_destroy (&reply);
    return body;
}

//  The router says, for each intent asked, whether its journal holds it
//  (a router read it), at which router_seq, and how it ended if it has:
//  ended (REJECTED: no worker), in flight (no ending yet), never read.
static void
test_intents_tells_what_the_journal_holds_of_each (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    ep_intent_t intent;
    fixture_intent (&intent, "rejected");
    fixture_send_intent (router, &intent);          //  no worker: rejected
    uint64_t rejected = router->last_router_seq;
    uint64_t resting = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "resting");
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    const char *pairs [][2] = {
        { "s1", "rejected" }, { "s1", "resting" }, { "s1", "unread" }, { "s2", "rejected" }
    };
    //  While a dispatch waits for room (back-pressure), intake is not read:
    //  the reply says intents may wait there.
    assert_true (ep_outbox_count (&router->pending) > 0);
    char *kind;
    zframe_t *body = s_ask_intents (&fixture, pairs, 4, &kind);
    Execplane__V1__IntentsReply *pushed_back = execplane__v1__intents_reply__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (pushed_back);
    assert_true (pushed_back->intake_waiting);
    execplane__v1__intents_reply__free_unpacked (pushed_back, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    ep_delivery_flush (router);                     //  nothing waits for room
    assert_int_equal (ep_outbox_count (&router->pending), 0);
    body = s_ask_intents (&fixture, pairs, 4, &kind);
    assert_string_equal (kind, "intents");
    Execplane__V1__IntentsReply *reply = execplane__v1__intents_reply__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (reply);
    assert_int_equal (reply->n_fates, 4);
    assert_int_equal (reply->head_seq, router->last_seq);
    assert_false (reply->intake_waiting);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal (reply->fates [i]->strategy_id, pairs [i][0]);
        assert_string_equal (reply->fates [i]->intent_id, pairs [i][1]);
    }
    assert_true (reply->fates [0]->held);
    assert_int_equal (reply->fates [0]->router_seq, rejected);
    assert_true (reply->fates [0]->ended);
    assert_int_equal (reply->fates [0]->status, EP_STATUS (REJECTED));
    assert_true (reply->fates [1]->held);
    assert_int_equal (reply->fates [1]->router_seq, resting);
    assert_false (reply->fates [1]->ended);
    assert_false (reply->fates [2]->held);          //  never read
    assert_int_equal (reply->fates [2]->router_seq, 0);
    assert_false (reply->fates [3]->held);          //  another strategy's id: not this one
    execplane__v1__intents_reply__free_unpacked (reply, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    fixture_stop (&fixture);
}

//  An intent waiting unread on intake when the router answers: not held
//  yet, and the reply says intents wait (the asker must not judge it).
static void
test_intents_says_when_intake_waits_unread (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    zsock_t *push = zsock_new_push (fixture.config.intake);
    assert_non_null (push);
    ep_intent_t intent;
    fixture_intent (&intent, "queued");
    size_t size;
    uint8_t *data = fixture_pack (&intent.base, &size);
    assert_int_equal (zsock_send (push, "b", data, size), 0);
    free (data);
    zmq_pollitem_t item = { zsock_resolve (router->sock.intake), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 5000), 1);
    const char *pairs [][2] = { { "s1", "queued" } };
    char *kind;
    zframe_t *body = s_ask_intents (&fixture, pairs, 1, &kind);
    assert_string_equal (kind, "intents");
    Execplane__V1__IntentsReply *reply = execplane__v1__intents_reply__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (reply);
    assert_false (reply->fates [0]->held);
    assert_true (reply->intake_waiting);
    execplane__v1__intents_reply__free_unpacked (reply, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    //  Once read, it is held, and nothing waits.
    assert_int_equal (ep_intake_drain (router), EP_ROUTER_OK);
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    body = s_ask_intents (&fixture, pairs, 1, &kind);
    reply = execplane__v1__intents_reply__unpack (NULL, zframe_size (body), zframe_data (body));
    assert_non_null (reply);
    assert_true (reply->fates [0]->held);
    assert_false (reply->intake_waiting);
    execplane__v1__intents_reply__free_unpacked (reply, NULL);
    zframe_destroy (&body);
    zstr_free (&kind);
    zsock_destroy (&push);
    fixture_stop (&fixture);
}

//  More than EP_QUERY_INTENTS_MAX intents in one request, or an invalid
//  id, is refused with the reason; nothing is answered of it.
static void
test_intents_refuses_too_many_and_invalid_ids (void **state)
{
    (void) state;
    fixture_t fixture;
    fixture_start (&fixture);
    static const char *pairs [EP_QUERY_INTENTS_MAX + 1][2];
    for (size_t i = 0; i <= EP_QUERY_INTENTS_MAX; i++) {
        pairs [i][0] = "s1";
        pairs [i][1] = "x";
    }
    char *kind;
    zframe_t *body = s_ask_intents (&fixture, pairs, EP_QUERY_INTENTS_MAX + 1, &kind);
    assert_string_equal (kind, "refused");
    char *why = zframe_strdup (body);
    assert_non_null (strstr (why, "257 intents asked, at most 256 per request"));
    zstr_free (&why);
    zframe_destroy (&body);
    zstr_free (&kind);
    //  Exactly the cap is answered.
    body = s_ask_intents (&fixture, pairs, EP_QUERY_INTENTS_MAX, &kind);
    assert_string_equal (kind, "intents");
    zframe_destroy (&body);
    zstr_free (&kind);
    const char *bad [][2] = { { "s1", "ok" }, { "", "x" } };
    body = s_ask_intents (&fixture, bad, 2, &kind);
    assert_string_equal (kind, "refused");
    why = zframe_strdup (body);
    assert_non_null (strstr (why, "intent 2: strategy_id and intent_id"));
    zstr_free (&why);
    zframe_destroy (&body);
    zstr_free (&kind);
    fixture_stop (&fixture);
}

//  Under CURVE a strategy (or safety) key asks only about the strategies
//  it speaks for, a monitor key about any; a worker or meta key about none.
static void
test_who_may_ask_what_became_of_intents (void **state)
{
    (void) state;
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_STRATEGY;
    snprintf (peer.info.strategies, sizeof peer.info.strategies, "s1");
    assert_true (ep_query_may_ask_fate (&peer, "s1", true));
    assert_false (ep_query_may_ask_fate (&peer, "s2", true));
    peer.info.role = EP_ROLE_SAFETY;
    assert_true (ep_query_may_ask_fate (&peer, "s1", true));
    assert_false (ep_query_may_ask_fate (&peer, "s2", true));
    peer.info.role = EP_ROLE_MONITOR;
    assert_true (ep_query_may_ask_fate (&peer, "s2", true));
    peer.info.role = EP_ROLE_WORKER;
    assert_false (ep_query_may_ask_fate (&peer, "s1", true));
    peer.info.role = EP_ROLE_META;
    assert_false (ep_query_may_ask_fate (&peer, "s1", true));
    assert_true (ep_query_may_ask_fate (&peer, "s1", false));   //  insecure: anyone
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_replay_returns_committed_reports_in_seq_order),
        cmocka_unit_test (test_restore_names_resting_orders_and_adopts_the_worker),
        cmocka_unit_test (test_restore_leaves_out_canceled_orders_and_cancels),
        cmocka_unit_test (test_a_strategy_key_reads_only_what_is_its_own),
        cmocka_unit_test (test_only_a_planes_worker_key_may_ask_to_restore_it),
        cmocka_unit_test (test_intents_tells_what_the_journal_holds_of_each),
        cmocka_unit_test (test_intents_says_when_intake_waits_unread),
        cmocka_unit_test (test_intents_refuses_too_many_and_invalid_ids),
        cmocka_unit_test (test_who_may_ask_what_became_of_intents),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
