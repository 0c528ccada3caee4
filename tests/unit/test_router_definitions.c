/*  test_router_definitions: no execution environment is used before it is
    defined and approved. A worker whose plane definition is not approved
    is not adopted (not by its claim, not by its heartbeat), and the plane
    state says why; APPROVE needs a definition seen, a description and a
    reason; once approved the claim succeeds; REVOKE stops new orders at
    once while a CANCEL still goes; every report names the definition; the
    definitions and their approvals outlive a restart and are listed on the
    query socket.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

#define S_LIVE_TEXT "plane = LIVE\nbase_url = https://api.binance.com\n"

//  A plane command of kind on definition_id, as the meta layer sends it.
static ep_router_status_t
s_decide (ep_router_t *router, int kind, const char *definition_id, const char *reason)
{
    ep_command_t command;
    execplane__v1__plane_command__init (&command);
    command.kind = kind;
    command.definition_id = (char *) definition_id;
    command.issued_by = "ops";
    command.reason = (char *) reason;
    //  Each its own request: a repeat would be ignored
    static int requests;
    char request_id [16];
    snprintf (request_id, sizeof request_id, "r-%d", ++requests);
    command.request_id = request_id;
    size_t size;
    uint8_t *data = fixture_pack (&command.base, &size);
    ep_router_status_t status = ep_control_on_message (router, "control.plane", data, size,
                                                       NULL, NULL);
    free (data);
    return status;
}

//  The live worker "live-2" claims the plane presenting text: the kind of
//  the answer ("restore" or "refused"), freed by the caller.
static char *
s_claim (fixture_t *fixture, const char *text, const char *description)
{
    ep_restore_request_t request;
    execplane__v1__restore_request__init (&request);
    request.plane = EP_PLANE (LIVE);
    request.session = "live-2";
    request.definition = (char *) text;
    request.description = (char *) description;
    zmsg_t *reply = fixture_ask (fixture, "restore", &request.base);
    char *kind = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    return kind;
}

static void
test_a_worker_on_a_definition_not_approved_is_not_adopted (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    char *kind = s_claim (&fixture, S_LIVE_TEXT, "production, account A");
    assert_string_equal (kind, "refused");
    zstr_free (&kind);
    ep_worker_t *worker = &router->link.worker [EP_PLANE (LIVE)];
    assert_false (worker->alive);
    char id [65], why [512];
    ep_definition_id (S_LIVE_TEXT, id);
    ep_definitions_problem (router, EP_PLANE (LIVE), why, sizeof why);
    assert_non_null (strstr (why, "live definition"));
    assert_non_null (strstr (why, "is not approved"));
    //  Its heartbeat does not adopt it either
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = EP_PLANE (LIVE);
    message.session = "live-2";
    message.definition_id = id;
    message.number = 1;
    size_t size;
    uint8_t *data = fixture_pack (&message.base, &size);
    ep_link_verdict_t verdict;
    assert_int_equal (ep_link_on_message (router, "hb", data, size, NULL, &verdict),
                      EP_ROUTER_OK);
    free (data);
    assert_int_equal (verdict, EP_LINK_UNAPPROVED);
    assert_false (worker->alive);
    //  An intent for the live plane is refused, saying why
    router->state.plane = EP_PLANE (LIVE);
    ep_intent_t intent;
    fixture_intent (&intent, "i-1");
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_UNAVAILABLE));
    assert_non_null (strstr (report->reason, "is not approved"));
    execplane__v1__execution_report__free_unpacked (report, NULL);
    fixture_stop (&fixture);
}

static void
test_approval_needs_a_definition_seen_a_description_and_a_reason (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    char id [65];
    ep_definition_id (S_LIVE_TEXT, id);
    //  Never presented
    assert_int_equal (s_decide (router, EP_COMMAND (APPROVE), id, "go"), EP_ROUTER_OK);
    assert_false (router->state.last_command_applied);
    assert_non_null (strstr (router->state.last_command_outcome, "was ever presented"));
    //  Presented without a description
    char *kind = s_claim (&fixture, S_LIVE_TEXT, "");
    zstr_free (&kind);
    assert_int_equal (s_decide (router, EP_COMMAND (APPROVE), id, "go"), EP_ROUTER_OK);
    assert_false (router->state.last_command_applied);
    assert_non_null (strstr (router->state.last_command_outcome, "has no description"));
    //  Described, but no reason
    kind = s_claim (&fixture, S_LIVE_TEXT, "production, account A");
    zstr_free (&kind);
    assert_int_equal (s_decide (router, EP_COMMAND (APPROVE), id, ""), EP_ROUTER_OK);
    assert_false (router->state.last_command_applied);
    assert_non_null (strstr (router->state.last_command_outcome, "a reason is required"));
    assert_false (ep_definitions_find (router, id)->approved);
    fixture_stop (&fixture);
}

static void
test_an_approved_definition_is_adopted_and_names_its_reports (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    char id [65];
    ep_definition_id (S_LIVE_TEXT, id);
    char *kind = s_claim (&fixture, S_LIVE_TEXT, "production, account A");
    assert_string_equal (kind, "refused");
    zstr_free (&kind);
    assert_int_equal (s_decide (router, EP_COMMAND (APPROVE), id, "checked by ops"),
                      EP_ROUTER_OK);
    assert_true (router->state.last_command_applied);
    assert_non_null (strstr (router->state.last_command_outcome, "applied: APPROVE live "
                                                                 "definition"));
    kind = s_claim (&fixture, S_LIVE_TEXT, "production, account A");
    assert_string_equal (kind, "restore");
    zstr_free (&kind);
    assert_string_equal (router->link.worker [EP_PLANE (LIVE)].definition, id);
    //  Every report on the plane names the definition
    fixture_dispatch (router, EP_PLANE (PAPER), "s1", "p-1");
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.plane = EP_PLANE (PAPER);
    report.strategy_id = "s1";
    report.status = EP_STATUS (REJECTED);
    report.terminal = true;
    assert_int_equal (ep_reports_emit (router, &report, EP_ORIGIN_ROUTER, false, NULL, 0),
                      EP_ROUTER_OK);
    ep_report_t *published = fixture_last_report (router);
    assert_string_equal (published->plane_definition,
                         fixture_definition_id (EP_PLANE (PAPER)));
    execplane__v1__execution_report__free_unpacked (published, NULL);
    fixture_stop (&fixture);
}

static void
test_a_revoked_definition_takes_no_new_order_but_a_cancel (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    uint64_t resting = fixture_dispatch (router, EP_PLANE (PAPER), "s1", "rest-1");
    (void) resting;
    const char *id = fixture_definition_id (EP_PLANE (PAPER));
    assert_int_equal (s_decide (router, EP_COMMAND (REVOKE), id, "wrong instruments"),
                      EP_ROUTER_OK);
    assert_true (router->state.last_command_applied);
    //  The worker stays: what rests on it is still followed
    assert_true (router->link.worker [EP_PLANE (PAPER)].alive);
    ep_intent_t intent;
    fixture_intent (&intent, "new-1");
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    ep_report_t *report = fixture_last_report (router);
    assert_int_equal (report->failure, EP_FAILURE (PLANE_UNAVAILABLE));
    assert_non_null (strstr (report->reason, "is revoked (by ops: wrong instruments)"));
    execplane__v1__execution_report__free_unpacked (report, NULL);
    //  A cancel still goes to the plane
    fixture_intent (&intent, "cancel-1");
    intent.action = EP_ACTION (CANCEL);
    intent.target_intent_id = "rest-1";
    intent.symbol = "";
    intent.side = 0;
    intent.type = 0;
    intent.tif = 0;
    intent.qty_e8 = 0;
    intent.limit_price_e8 = 0;
    intent.ref_price_e8 = 0;
    uint64_t before = router->last_router_seq;
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    assert_int_equal (router->last_router_seq, before + 1);
    assert_non_null (ep_inflight_find (router->inflight, router->last_router_seq));
    char why [512];
    ep_definitions_problem (router, EP_PLANE (PAPER), why, sizeof why);
    assert_non_null (strstr (why, "is revoked"));
    fixture_stop (&fixture);
}

static void
test_definitions_outlive_a_restart_and_are_listed (void **state)
{
    (void) state;
    fixture_t fixture;
    ep_router_t *router = fixture_start (&fixture);
    char id [65];
    ep_definition_id (S_LIVE_TEXT, id);
    char *kind = s_claim (&fixture, S_LIVE_TEXT, "production, account A");
    zstr_free (&kind);
    assert_int_equal (s_decide (router, EP_COMMAND (APPROVE), id, "checked by ops"),
                      EP_ROUTER_OK);
    assert_int_equal (ep_journal_commit (router->journal), EP_JOURNAL_OK);
    router = fixture_restart (&fixture);
    Execplane__V1__PlaneDefinition *definition = ep_definitions_find (router, id);
    assert_non_null (definition);
    assert_true (definition->approved);
    assert_string_equal (definition->decided_by, "ops");
    assert_string_equal (definition->description, "production, account A");
    Execplane__V1__DefinitionList ask = EXECPLANE__V1__DEFINITION_LIST__INIT;
    zmsg_t *reply = fixture_ask (&fixture, "definitions", &ask.base);
    char *answer = zmsg_popstr (reply);
    assert_string_equal (answer, "definitions");
    zframe_t *body = zmsg_pop (reply);
    Execplane__V1__DefinitionList *list = execplane__v1__definition_list__unpack (
        NULL, zframe_size (body), zframe_data (body));
    assert_non_null (list);
    assert_int_equal (list->n_definitions, 3);      //  the fixture's two, and this one
    assert_string_equal (list->definitions [2]->id, id);
    assert_string_equal (list->definitions [2]->text, S_LIVE_TEXT);
    execplane__v1__definition_list__free_unpacked (list, NULL);
    zframe_destroy (&body);
    zstr_free (&answer);
    zmsg_destroy (&reply);
    fixture_stop (&fixture);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_a_worker_on_a_definition_not_approved_is_not_adopted),
        cmocka_unit_test (test_approval_needs_a_definition_seen_a_description_and_a_reason),
        cmocka_unit_test (test_an_approved_definition_is_adopted_and_names_its_reports),
        cmocka_unit_test (test_a_revoked_definition_takes_no_new_order_but_a_cancel),
        cmocka_unit_test (test_definitions_outlive_a_restart_and_are_listed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
