/*  test_router_drain: asked to stop, the router waits up to drain_ms for
    the planes to answer what they were given, and no longer; with
    nothing unanswered it goes at once.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

static void
test_not_asked_to_stop_it_runs_on (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    zsys_interrupted = 0;
    assert_false (ep_drain_due (router, 0));
    assert_false (router->drain.on);
    fixture_stop (&fixture);
}

static void
test_with_nothing_unanswered_it_stops_at_once (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    zsys_interrupted = 1;
    assert_true (ep_drain_due (router, 1000));
    zsys_interrupted = 0;
    fixture_stop (&fixture);
}

static void
test_it_waits_for_answers_up_to_drain_ms (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    fixture_heartbeat (router, EP_PLANE (PAPER), "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, "i1");
    fixture_send_intent (router, &intent);
    ep_outbox_pop (&router->pending);           //  as if sent
    zsys_interrupted = 1;
    int64_t drain_ms = router->config.drain_ms;
    assert_false (ep_drain_due (router, 1000));
    assert_true (router->drain.on);
    assert_false (ep_drain_due (router, 1000 + drain_ms - 1));
    assert_true (ep_drain_due (router, 1000 + drain_ms));
    //  Answered, it would have gone at once.
    router->drain.on = false;
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = "i1";
    report.strategy_id = "s1";
    report.status = EP_STATUS (FILLED);
    report.terminal = true;
    report.router_seq = router->last_router_seq;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    assert_true (ep_drain_due (router, 5000));
    zsys_interrupted = 0;
    fixture_stop (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_not_asked_to_stop_it_runs_on),
        cmocka_unit_test (test_with_nothing_unanswered_it_stops_at_once),
        cmocka_unit_test (test_it_waits_for_answers_up_to_drain_ms),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
