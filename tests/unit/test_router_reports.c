/*  test_router_reports: what the router reports. Deadlines (paper FAILED,
    live UNKNOWN); a plane's report published, and the intent done once
    terminal; late reports; zombies; fills told twice left out, fills
    missed counted; reports on intents never dispatched fenced; a restart
    settles what no plane answered.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

//  A plane's report on router_seq.
static void
s_plane_report (ep_report_t *report, uint64_t router_seq, int status, bool terminal)
{
    execplane__v1__execution_report__init (report);
    report->intent_id = "i1";
    report->strategy_id = "s1";
    report->symbol = "BTCUSDT";
    report->status = status;
    report->terminal = terminal;
    report->router_seq = router_seq;
}

static int64_t
s_after_deadline (ep_router_t *router, uint64_t router_seq)
{
    return ep_inflight_find (router->inflight, router_seq)->deadline_ms;
}

static void
test_unanswered_paper_intent_fails_at_its_deadline (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    int64_t deadline = s_after_deadline (router, router_seq);
    assert_int_equal (ep_reports_expire_due (router, deadline - 1), EP_ROUTER_OK);
    assert_int_equal (ep_outbox_count (&router->outbox), 0);
    assert_int_equal (ep_reports_expire_due (router, deadline), EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_non_null (report);
    assert_int_equal (report->status, EP_STATUS (FAILED));
    assert_int_equal (report->failure, EP_FAILURE (PLANE_UNAVAILABLE));
    assert_true (report->terminal);
    assert_int_equal (report->router_seq, router_seq);
    assert_null (ep_inflight_find (router->inflight, router_seq));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_unanswered_live_intent_becomes_unknown (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (LIVE), "s1", "i1");
    assert_int_equal (ep_reports_expire_due (router, s_after_deadline (router, router_seq)),
                      EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_int_equal (report->status, EP_STATUS (UNKNOWN));
    assert_int_equal (report->failure, EP_FAILURE (SEND_UNKNOWN));
    assert_non_null (strstr (report->reason, "reconcile before acting"));
    execplane__v1__execution_report__free_unpacked (report, NULL);
}

static void
test_plane_report_is_published_and_a_terminal_one_ends_the_intent (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    ep_report_t report;
    s_plane_report (&report, router_seq, EP_STATUS (ACCEPTED), false);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, router_seq);
    assert_non_null (entry);
    assert_true (entry->acked);
    s_plane_report (&report, router_seq, EP_STATUS (FILLED), true);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, router_seq));
    ep_report_t *published = fixture_last_report (router);
    assert_int_equal (published->status, EP_STATUS (FILLED));
    assert_true (published->terminal);
    assert_int_equal (published->seq, router->last_seq);
    assert_int_equal (router->metrics.terminal [EP_PLANE (PAPER)][EP_STATUS (FILLED)]
                                               [EP_FAILURE (FAILURE_NONE)], 1);
    execplane__v1__execution_report__free_unpacked (published, NULL);
}

static void
test_report_after_the_deadline_is_late_and_a_resting_order_a_zombie (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    ep_reports_expire_due (router, s_after_deadline (router, router_seq));
    ep_report_t report;
    s_plane_report (&report, router_seq, EP_STATUS (ACCEPTED), false);
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    ep_report_t *published = fixture_last_report (router);
    assert_false (published->terminal);
    assert_non_null (strstr (published->reason, "late: arrived after this intent's terminal"));
    assert_int_equal (router->stats.late_reports, 1);
    execplane__v1__execution_report__free_unpacked (published, NULL);
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, router_seq);
    assert_non_null (entry);
    assert_true (entry->zombie);
    //  Its terminal report, late too, ends the zombie.
    s_plane_report (&report, router_seq, EP_STATUS (CANCELED), true);
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    published = fixture_last_report (router);
    assert_false (published->terminal);
    assert_null (ep_inflight_find (router->inflight, router_seq));
    execplane__v1__execution_report__free_unpacked (published, NULL);
}

static void
test_report_on_an_intent_never_dispatched_is_fenced (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    ep_report_t report;
    s_plane_report (&report, 99, EP_STATUS (FILLED), true);
    uint64_t last_seq = router->last_seq;
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    assert_int_equal (router->stats.fenced_reports, 1);
    assert_int_equal (router->last_seq, last_seq);
    assert_int_equal (ep_outbox_count (&router->outbox), 0);
    //  Nor is a paper intent the live plane's to report on.
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    s_plane_report (&report, router_seq, EP_STATUS (FILLED), true);
    ep_reports_from_plane (router, EP_PLANE (LIVE), &report, NULL);
    assert_int_equal (router->stats.fenced_reports, 2);
    assert_non_null (ep_inflight_find (router->inflight, router_seq));
}

//  A report that gives an intent's router_seq but names another intent (a
//  worker that ran intents a lost machine took with it, whose numbers were
//  given again) touches neither the intent in flight nor one already ended.
static void
test_report_naming_another_intent_is_fenced (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    uint64_t last_seq = router->last_seq;
    ep_report_t report;
    s_plane_report (&report, router_seq, EP_STATUS (FILLED), true);
    report.intent_id = "lost-1";
    assert_int_equal (ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL),
                      EP_ROUTER_OK);
    assert_int_equal (router->stats.fenced_reports, 1);
    assert_int_equal (router->last_seq, last_seq);
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, router_seq);
    assert_non_null (entry);
    assert_false (entry->acked);
    //  The same intent_id under another strategy is another intent too.
    s_plane_report (&report, router_seq, EP_STATUS (FILLED), true);
    report.strategy_id = "s2";
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (router->stats.fenced_reports, 2);
    assert_non_null (ep_inflight_find (router->inflight, router_seq));
    //  Once it has ended, a late report naming another intent is fenced as well.
    assert_int_equal (ep_reports_expire_due (router, entry->deadline_ms), EP_ROUTER_OK);
    assert_null (ep_inflight_find (router->inflight, router_seq));
    last_seq = router->last_seq;
    s_plane_report (&report, router_seq, EP_STATUS (PARTIALLY_FILLED), false);
    report.intent_id = "lost-1";
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (router->stats.fenced_reports, 3);
    assert_int_equal (router->last_seq, last_seq);
    assert_null (ep_inflight_find (router->inflight, router_seq));
    //  While its own late report is still published.
    s_plane_report (&report, router_seq, EP_STATUS (PARTIALLY_FILLED), false);
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (router->stats.fenced_reports, 3);
    assert_int_equal (router->last_seq, last_seq + 1);
}

static void
test_fills_the_router_has_are_not_told_twice (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    ep_fill_t fills [2];
    ep_fill_t *list [2] = { &fills [0], &fills [1] };
    for (int i = 0; i < 2; i++) {
        execplane__v1__fill__init (&fills [i]);
        fills [i].fill_id = i ? "f2" : "f1";
        fills [i].qty_e8 = 50000000;
        fills [i].price_e8 = 5000000000000;
    }
    ep_report_t report;
    s_plane_report (&report, router_seq, EP_STATUS (PARTIALLY_FILLED), false);
    report.fills = list;
    report.n_fills = 1;
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    //  The plane repeats f1 with f2 (it may not know what the router got).
    s_plane_report (&report, router_seq, EP_STATUS (FILLED), true);
    report.fills = list;
    report.n_fills = 2;
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (report.n_fills, 2);       //  given back as it was
    assert_ptr_equal (report.fills, list);
    ep_report_t *published = fixture_last_report (router);
    assert_int_equal (published->n_fills, 1);
    assert_string_equal (published->fills [0]->fill_id, "f2");
    assert_int_equal (published->first_fill, 1);
    assert_int_equal (router->stats.fill_gaps, 0);
    execplane__v1__execution_report__free_unpacked (published, NULL);
}

static void
test_fills_that_never_reached_the_router_are_counted (void **state)
{
    ep_router_t *router = ((fixture_t *) *state)->router;
    uint64_t router_seq = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "i1");
    ep_fill_t fill;
    execplane__v1__fill__init (&fill);
    fill.fill_id = "f4";
    ep_fill_t *list [1] = { &fill };
    ep_report_t report;
    s_plane_report (&report, router_seq, EP_STATUS (PARTIALLY_FILLED), false);
    report.fills = list;
    report.n_fills = 1;
    report.first_fill = 3;                      //  fills 1 to 3 were lost
    ep_reports_from_plane (router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (router->stats.fill_gaps, 1);
    assert_int_equal (ep_inflight_find (router->inflight, router_seq)->fills, 4);
}

static void
test_a_restart_settles_what_no_plane_answered (void **state)
{
    fixture_t *fixture = *state;
    uint64_t unanswered = fixture_dispatch (fixture->router, EP_PLANE (PAPER), "s1", "unanswered");
    uint64_t resting = fixture_dispatch (fixture->router, EP_PLANE (PAPER), "s1", "resting");
    ep_report_t report;
    s_plane_report (&report, resting, EP_STATUS (ACCEPTED), false);
    report.intent_id = "resting";
    ep_reports_from_plane (fixture->router, EP_PLANE (PAPER), &report, NULL);
    assert_int_equal (ep_journal_commit (fixture->router->journal), EP_JOURNAL_OK);
    ep_router_t *router = fixture_restart (fixture);
    assert_null (ep_inflight_find (router->inflight, unanswered));
    ep_inflight_entry_t *entry = ep_inflight_find (router->inflight, resting);
    assert_non_null (entry);
    assert_true (entry->acked);
    ep_report_t *published = fixture_last_report (router);
    assert_non_null (published);
    assert_int_equal (published->router_seq, unanswered);
    assert_int_equal (published->status, EP_STATUS (FAILED));
    assert_non_null (strstr (published->reason, "the router restarted before the plane "
                             "answered"));
    execplane__v1__execution_report__free_unpacked (published, NULL);
}

int
main (void)
{
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests [] = {
        S_TEST (test_unanswered_paper_intent_fails_at_its_deadline),
        S_TEST (test_unanswered_live_intent_becomes_unknown),
        S_TEST (test_plane_report_is_published_and_a_terminal_one_ends_the_intent),
        S_TEST (test_report_after_the_deadline_is_late_and_a_resting_order_a_zombie),
        S_TEST (test_report_on_an_intent_never_dispatched_is_fenced),
        S_TEST (test_report_naming_another_intent_is_fenced),
        S_TEST (test_fills_the_router_has_are_not_told_twice),
        S_TEST (test_fills_that_never_reached_the_router_are_counted),
        S_TEST (test_a_restart_settles_what_no_plane_answered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
