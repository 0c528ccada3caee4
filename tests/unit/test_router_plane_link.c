/*  test_router_plane_link: the planes' workers. A worker is alive only
    while heard and subscribed; one session is the plane's, bound to the
    key that presented it; another worker's reports are fenced off while
    the plane's is alive; a live worker may claim the plane only once the
    one serving it is gone.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

//  A message of session on plane (kind "reports" with one ACCEPTED report
//  on router_seq, or anything else without).
static ep_link_verdict_t
s_message (ep_router_t *router, const char *kind, int plane, const char *session,
           uint64_t router_seq)
{
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = "i1";
    report.strategy_id = "s1";
    report.status = EP_STATUS (ACCEPTED);
    report.router_seq = router_seq;
    ep_report_t *reports [] = { &report };
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = plane;
    message.session = (char *) session;
    message.definition_id = (char *) fixture_definition_id (plane);
    message.number = 2;
    message.probe = router->link.worker [plane].probe_sent + 1;
    if (streq (kind, "reports")) {
        message.reports = reports;
        message.n_reports = 1;
    }
    size_t size;
    uint8_t *data = fixture_pack (&message.base, &size);
    ep_link_verdict_t verdict;
    assert_int_equal (ep_link_on_message (router, kind, data, size, NULL, &verdict),
                      EP_ROUTER_OK);
    free (data);
    return verdict;
}

static void
test_first_heartbeat_adopts_the_worker_and_makes_it_alive (void **state)
{
    ep_router_t *router = fixture_router (state);
    assert_false (router->link.worker [EP_PLANE (PAPER)].alive);
    assert_int_equal (s_message (router, "heartbeat", EP_PLANE (PAPER), "paper-1", 0),
                      EP_LINK_ACCEPTED);
    assert_true (router->link.worker [EP_PLANE (PAPER)].alive);
    assert_string_equal (router->link.worker [EP_PLANE (PAPER)].session, "paper-1");
    assert_true (router->state.dirty);
    assert_false (router->link.worker [EP_PLANE (LIVE)].alive);
}

//  Alive only if the worker repeated a probe, and the newest one or had
//  worker_timeout_ms to.
static void
test_worker_counts_as_subscribed_only_once_it_repeats_the_probe (void **state)
{
    ep_router_t *router = fixture_router (state);
    int64_t timeout = router->config.worker_timeout_ms;
    ep_worker_t worker = { .probe_sent = 0, .probe_heard = 0 };
    assert_false (ep_link_subscribed (router, &worker, 1000));
    worker.probe_heard = 3;
    worker.probe_sent = 3;
    assert_true (ep_link_subscribed (router, &worker, 1000));
    worker.probe_sent = 4;
    worker.probe_sent_ms = 1000;
    assert_true (ep_link_subscribed (router, &worker, 1000 + timeout - 1));
    assert_false (ep_link_subscribed (router, &worker, 1000 + timeout));
}

static void
test_silent_worker_is_lost (void **state)
{
    ep_router_t *router = fixture_router (state);
    s_message (router, "heartbeat", EP_PLANE (PAPER), "paper-1", 0);
    ep_worker_t *worker = &router->link.worker [EP_PLANE (PAPER)];
    assert_int_equal (ep_link_check (router, worker->last_heard_ms
                                             + router->config.worker_timeout_ms - 1),
                      EP_ROUTER_OK);
    assert_true (worker->alive);
    assert_int_equal (ep_link_check (router, worker->last_heard_ms
                                             + router->config.worker_timeout_ms),
                      EP_ROUTER_OK);
    assert_false (worker->alive);
}

static void
test_another_workers_reports_are_fenced_while_the_plane_has_one (void **state)
{
    ep_router_t *router = fixture_router (state);
    s_message (router, "heartbeat", EP_PLANE (PAPER), "paper-1", 0);
    assert_int_equal (s_message (router, "reports", EP_PLANE (PAPER), "paper-2", 1),
                      EP_LINK_FENCED);
    assert_int_equal (router->stats.fenced_reports, 1);
    assert_int_equal (ep_outbox_count (&router->outbox), 0);
    assert_string_equal (router->link.worker [EP_PLANE (PAPER)].session, "paper-1");
}

static void
test_a_worker_that_says_bye_is_lost_and_the_next_one_adopted (void **state)
{
    ep_router_t *router = fixture_router (state);
    s_message (router, "heartbeat", EP_PLANE (PAPER), "paper-1", 0);
    //  A bye of another session changes nothing.
    s_message (router, "bye", EP_PLANE (PAPER), "paper-2", 0);
    assert_true (router->link.worker [EP_PLANE (PAPER)].alive);
    s_message (router, "bye", EP_PLANE (PAPER), "paper-1", 0);
    assert_false (router->link.worker [EP_PLANE (PAPER)].alive);
    assert_int_equal (s_message (router, "heartbeat", EP_PLANE (PAPER), "paper-2", 0),
                      EP_LINK_ACCEPTED);
    assert_string_equal (router->link.worker [EP_PLANE (PAPER)].session, "paper-2");
    assert_true (router->link.worker [EP_PLANE (PAPER)].alive);
}

static void
test_undecodable_results_are_ignored (void **state)
{
    ep_router_t *router = fixture_router (state);
    const uint8_t garbage [] = { 0x08, 0x07 };      //  plane 7
    ep_link_verdict_t verdict;
    assert_int_equal (ep_link_on_message (router, "heartbeat", garbage, sizeof garbage, NULL,
                                          &verdict), EP_ROUTER_OK);
    assert_int_equal (verdict, EP_LINK_UNDECODABLE);
    assert_false (router->link.worker [EP_PLANE (PAPER)].alive);
}

//  Under CURVE a session speaks only through the key that presented it.
static void
test_a_session_is_bound_to_the_key_that_presented_it (void **state)
{
    (void) state;
    ep_worker_t worker = { .session = "live-1", .key = "KEY-A" };
    assert_true (ep_link_session_key_matches (&worker, "KEY-A", true));
    assert_false (ep_link_session_key_matches (&worker, "KEY-B", true));
    assert_false (ep_link_session_key_matches (&worker, NULL, true));
    assert_true (ep_link_session_key_matches (&worker, "KEY-B", false));
}

//  Under CURVE a worker key reports for its own plane only.
static void
test_a_worker_key_reports_for_its_own_plane_only (void **state)
{
    ep_router_t *router = fixture_router (state);
    ep_peer_t peer = fixture_peer ();
    peer.info.role = EP_ROLE_WORKER;
    peer.info.plane = EP_PLANE (PAPER);
    assert_int_equal (ep_link_admits (router, EP_PLANE (LIVE), "live-1", &peer, "KEY-A", true),
                      EP_LINK_WRONG_PLANE);
    assert_int_equal (ep_link_admits (router, EP_PLANE (PAPER), "paper-1", &peer, "KEY-A",
                                      true), EP_LINK_ACCEPTED);
    ep_worker_t *paper = &router->link.worker [EP_PLANE (PAPER)];
    snprintf (paper->session, sizeof paper->session, "paper-1");
    snprintf (paper->key, sizeof paper->key, "KEY-A");
    assert_int_equal (ep_link_admits (router, EP_PLANE (PAPER), "paper-1", &peer, "KEY-B",
                                      true), EP_LINK_FOREIGN_KEY);
    //  Insecure, no key is known: the plane's rules alone apply.
    assert_int_equal (ep_link_admits (router, EP_PLANE (LIVE), "live-1", &peer, NULL, false),
                      EP_LINK_ACCEPTED);
}

static void
test_a_live_worker_may_claim_the_plane_only_once_its_worker_is_gone (void **state)
{
    ep_router_t *router = fixture_router (state);
    ep_worker_t *live = &router->link.worker [EP_PLANE (LIVE)];
    snprintf (live->session, sizeof live->session, "live-1");
    snprintf (live->key, sizeof live->key, "KEY-A");
    live->alive = true;
    char why [256] = "";
    assert_false (ep_link_may_claim (router, EP_PLANE (LIVE), "live-2", "KEY-B", true, why,
                                     sizeof why));
    assert_non_null (strstr (why, "served by worker session live-1"));
    assert_true (ep_link_may_claim (router, EP_PLANE (LIVE), "live-1", "KEY-A", true, why,
                                    sizeof why));
    assert_false (ep_link_may_claim (router, EP_PLANE (LIVE), "live-1", "KEY-B", true, why,
                                     sizeof why));
    assert_string_equal (why, "worker session live-1 belongs to another key");
    live->alive = false;
    assert_true (ep_link_may_claim (router, EP_PLANE (LIVE), "live-2", "KEY-B", true, why,
                                    sizeof why));
    //  A paper worker that asks takes over: paper realizes nothing outside.
    ep_worker_t *paper = &router->link.worker [EP_PLANE (PAPER)];
    snprintf (paper->session, sizeof paper->session, "paper-1");
    paper->alive = true;
    assert_true (ep_link_may_claim (router, EP_PLANE (PAPER), "paper-2", "KEY-C", true, why,
                                    sizeof why));
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests [] = {
        S_TEST (test_first_heartbeat_adopts_the_worker_and_makes_it_alive),
        S_TEST (test_worker_counts_as_subscribed_only_once_it_repeats_the_probe),
        S_TEST (test_silent_worker_is_lost),
        S_TEST (test_another_workers_reports_are_fenced_while_the_plane_has_one),
        S_TEST (test_a_worker_that_says_bye_is_lost_and_the_next_one_adopted),
        S_TEST (test_undecodable_results_are_ignored),
        cmocka_unit_test (test_a_session_is_bound_to_the_key_that_presented_it),
        S_TEST (test_a_worker_key_reports_for_its_own_plane_only),
        S_TEST (test_a_live_worker_may_claim_the_plane_only_once_its_worker_is_gone),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
