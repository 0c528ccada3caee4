/*  test_router_fixture: see test_router_fixture.h.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "test_router_fixture.h"

static void
s_endpoints (ep_config_t *config)
{
    static unsigned made;
    made++;
    struct { char *endpoint; const char *name; } all [] = {
        { config->intake, "intake" }, { config->outcomes, "outcomes" },
        { config->control, "control" }, { config->dispatch, "dispatch" },
        { config->results, "results" }, { config->query, "query" },
    };
    for (size_t i = 0; i < sizeof all / sizeof all [0]; i++)
        snprintf (all [i].endpoint, EP_ENDPOINT_MAX, "inproc://test-%d-%u-%s", (int) getpid (),
                  made, all [i].name);
}

ep_router_t *
fixture_start (fixture_t *fixture)
{
    char err [512] = "";
    memset (fixture, 0, sizeof *fixture);
    assert_int_equal (ep_config_load (&fixture->config, NULL, err, sizeof err), 0);
    snprintf (fixture->folder, sizeof fixture->folder, "/tmp/test_router.XXXXXX");
    assert_non_null (mkdtemp (fixture->folder));
    snprintf (fixture->config.journal, sizeof fixture->config.journal, "%s/journal.db",
              fixture->folder);
    snprintf (fixture->config.journal_sync, sizeof fixture->config.journal_sync, "normal");
    fixture->config.router_metrics [0] = 0;
    ep_router_t *router = fixture_restart (fixture);
    //  Each plane's test definition, seen and approved: workers present it
    for (int plane = EP_PLANE (PAPER); plane <= EP_PLANE (LIVE); plane++) {
        char id [65], why [512], outcome [512];
        ep_router_status_t status;
        ep_definitions_present (router, plane, fixture_definition_text (plane), "the tests'",
                                id, why, sizeof why, &status);
        assert_int_equal (status, EP_ROUTER_OK);
        ep_command_t approve;
        execplane__v1__plane_command__init (&approve);
        approve.kind = EP_COMMAND (APPROVE);
        approve.definition_id = id;
        approve.issued_by = "fixture";
        approve.reason = "the tests'";
        approve.request_id = "fixture";
        assert_true (ep_definitions_decide (router, &approve, outcome, sizeof outcome, &status));
    }
    assert_int_equal (ep_journal_commit (router->journal), 0);
    return router;
}

const char *
fixture_definition_text (int plane)
{
    return plane == EP_PLANE (LIVE) ? "plane = LIVE\nfixture = 1\n" : "plane = PAPER\nfixture = 1\n";
}

const char *
fixture_definition_id (int plane)
{
    static char ids [3][65];
    ep_definition_id (fixture_definition_text (plane), ids [plane == EP_PLANE (LIVE) ? 2 : 1]);
    return ids [plane == EP_PLANE (LIVE) ? 2 : 1];
}

ep_router_t *
fixture_restart (fixture_t *fixture)
{
    ep_router_destroy (&fixture->router);
    s_endpoints (&fixture->config);
    char err [512] = "";
    fixture->router = ep_router_new (&fixture->config, NULL, err, sizeof err);
    if (!fixture->router)
        fail_msg ("ep_router_new: %s", err);
    return fixture->router;
}

void
fixture_stop (fixture_t *fixture)
{
    ep_router_destroy (&fixture->router);
    char command [128];
    snprintf (command, sizeof command, "rm -rf '%s'", fixture->folder);
    assert_int_equal (system (command), 0);
}

int
fixture_setup (void **state)
{
    static fixture_t fixture;
    fixture_start (&fixture);
    *state = &fixture;
    return 0;
}

int
fixture_teardown (void **state)
{
    fixture_stop (*state);
    return 0;
}

ep_router_t *
fixture_router (void **state)
{
    return ((fixture_t *) *state)->router;
}

void
fixture_intent (ep_intent_t *intent, const char *intent_id)
{
    execplane__v1__order_intent__init (intent);
    intent->intent_id = (char *) intent_id;
    intent->strategy_id = "s1";
    intent->symbol = "BTCUSDT";
    intent->side = EP_SIDE (BUY);
    intent->type = EP_TYPE (LIMIT);
    intent->tif = EP_TIF (GTC);
    intent->qty_e8 = 100000000;
    intent->ref_price_e8 = 5000000000000;
    intent->limit_price_e8 = 5000000000000;
}

uint8_t *
fixture_pack (const ProtobufCMessage *message, size_t *size)
{
    uint8_t *data = ep_router_pack (message, size);
    assert_non_null (data);
    return data;
}

uint64_t
fixture_dispatch (ep_router_t *router, int plane, const char *strategy_id,
                  const char *intent_id)
{
    router->state.plane = plane;
    fixture_heartbeat (router, plane, plane == EP_PLANE (LIVE) ? "live-1" : "paper-1");
    ep_intent_t intent;
    fixture_intent (&intent, intent_id);
    intent.strategy_id = (char *) strategy_id;
    assert_int_equal (fixture_send_intent (router, &intent), EP_ROUTER_OK);
    assert_non_null (ep_inflight_find (router->inflight, router->last_router_seq));
    return router->last_router_seq;
}

ep_peer_t
fixture_peer (void)
{
    ep_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.known = true;
    snprintf (peer.sender, sizeof peer.sender, "insecure");
    return peer;
}

ep_router_status_t
fixture_send_intent (ep_router_t *router, const ep_intent_t *intent)
{
    size_t size;
    uint8_t *data = fixture_pack (&intent->base, &size);
    ep_peer_t peer = fixture_peer ();
    ep_router_status_t status = ep_intake_handle (router, data, size, &peer);
    free (data);
    return status;
}

ep_router_status_t
fixture_heartbeat (ep_router_t *router, int plane, const char *session)
{
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.plane = plane;
    message.session = (char *) session;
    message.definition_id = (char *) fixture_definition_id (plane);
    message.number = 1;
    message.probe = router->link.worker [plane].probe_sent + 1;
    size_t size;
    uint8_t *data = fixture_pack (&message.base, &size);
    ep_router_status_t status = ep_link_on_message (router, "heartbeat", data, size, NULL, NULL);
    free (data);
    return status;
}

ep_report_t *
fixture_report (ep_router_t *router, size_t index)
{
    ep_outbox_item_t *item = ep_outbox_at (&router->outbox, index);
    return item ? execplane__v1__execution_report__unpack (NULL, item->size, item->data) : NULL;
}

ep_report_t *
fixture_last_report (ep_router_t *router)
{
    size_t count = ep_outbox_count (&router->outbox);
    return count ? fixture_report (router, count - 1) : NULL;
}

//  Sends [kind][message] to the router's query socket, has the router
//  answer, and returns the reply's kind and body (the caller frees both).
zmsg_t *
fixture_ask (fixture_t *fixture, const char *kind, const ProtobufCMessage *message)
{
    zsock_t *client = zsock_new_dealer (fixture->config.query);
    assert_non_null (client);
    size_t size;
    uint8_t *data = fixture_pack (message, &size);
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, kind);
    zmsg_addmem (request, data, size);
    assert_int_equal (zmsg_send (&request, client), 0);
    free (data);
    //  The request is on its way through inproc: wait until the router has it.
    zmq_pollitem_t item = { zsock_resolve (fixture->router->sock.query), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 5000), 1);
    assert_int_equal (ep_query_drain (fixture->router), EP_ROUTER_OK);
    zsock_set_rcvtimeo (client, 5000);
    zmsg_t *reply = zmsg_recv (client);
    zsock_destroy (&client);
    assert_non_null (reply);
    return reply;
}
