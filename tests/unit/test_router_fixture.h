/*  test_router_fixture: a router for unit tests, without a process. It runs
    on a journal in a fresh temporary folder and binds inproc:// endpoints,
    so nothing leaves the test; the tests drive its modules directly
    (ep_router_internal.h) and read what they queued.  */
#ifndef TEST_ROUTER_FIXTURE_H_INCLUDED
#define TEST_ROUTER_FIXTURE_H_INCLUDED

#include "ep_router_internal.h"

typedef struct {
    ep_config_t config;                 //  as the router was made
    char folder [64];                   //  the temporary folder of the journal
    ep_router_t *router;
} fixture_t;

//  A router on a new journal (paper deadline: paper_deadline_ms). Asserts.
ep_router_t *fixture_start (fixture_t *fixture);

//  Each plane's test definition (its text and id), approved by
//  fixture_start; fixture_heartbeat's workers present it.
const char *fixture_definition_text (int plane);
const char *fixture_definition_id (int plane);

//  Destroys the router and makes a new one on the same journal (a restart).
ep_router_t *fixture_restart (fixture_t *fixture);

//  Destroys the router and removes its folder.
void fixture_stop (fixture_t *fixture);

//  cmocka setup and teardown for a test with a router of its own:
//  fixture_setup starts one (the fixture_t in *state), fixture_teardown
//  stops it.
int fixture_setup (void **state);
int fixture_teardown (void **state);

//  The router of the fixture that fixture_setup put in *state.
ep_router_t *fixture_router (void **state);

//  An intent that passes validation: a paper LIMIT BUY of strategy "s1".
void fixture_intent (ep_intent_t *intent, const char *intent_id);

//  Packs any message; the caller frees the bytes.
uint8_t *fixture_pack (const ProtobufCMessage *message, size_t *size);

//  Dispatches intent_id of strategy_id to plane, with the plane selected
//  and its worker alive ("paper-1" or "live-1"); returns its router_seq.
//  Asserts it is in flight.
uint64_t fixture_dispatch (ep_router_t *router, int plane, const char *strategy_id,
                           const char *intent_id);

//  An insecure sender.
ep_peer_t fixture_peer (void);

//  Hands intent to intake as its bytes, from an insecure sender.
ep_router_status_t fixture_send_intent (ep_router_t *router, const ep_intent_t *intent);

//  The worker session of plane says it is alive (a heartbeat with probe 1).
ep_router_status_t fixture_heartbeat (ep_router_t *router, int plane, const char *session);

//  Asks the router's query socket kind with message (as a client would)
//  and returns its answer (the caller destroys it): [kind][body]. Asserts.
zmsg_t *fixture_ask (fixture_t *fixture, const char *kind, const ProtobufCMessage *message);

//  The index-th report waiting in the outbox, decoded (free it with
//  execplane__v1__execution_report__free_unpacked), or NULL.
ep_report_t *fixture_report (ep_router_t *router, size_t index);

//  The newest report in the outbox, decoded, or NULL.
ep_report_t *fixture_last_report (ep_router_t *router);

#endif
