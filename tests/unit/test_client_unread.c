/*  test_client_unread: libexecplane's "never read" after a router is lost,
    against two stand-in routers (A and B, on ipc:// endpoints of their
    own) that the test drives: the strategy sends two intents to A, A goes
    away (its connections drop), B is heard.

    - B knows the "intents" frame: the intent B's journal holds is not
      named never read, however long B takes to report on it (far past
      the old bound: a second plus the deadline), and while B says intents
      wait unread on its intake, nothing is named; the one it does not hold
      is named, once B has read its intake.
    - B does not know the frame (an older router answers nothing): both
      are named, by the bound.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <czmq.h>
#include <execplane.h>

#define S_DEADLINE_MS 10                //  the clients' paper deadline: the old bound is 1010 ms
#define S_WAITING_MS  2000              //  B says intents wait on intake this long

typedef enum { S_KNOWS, S_OLD } s_mode_t;

typedef struct {
    char intake [256], outcomes [256], query [256];
    s_mode_t mode;
    int asked;                          //  "intents" requests read (B)
    int read;                           //  intents read from intake
} s_router_args_t;

//  A stand-in router: publishes a plane state every 50 ms (last_seq 0: no
//  report journaled), reads and drops intake, and answers "intents" as its
//  mode says: "held-*" held (in flight), any other not held, and intake
//  waiting for S_WAITING_MS after the first request.
static void
s_router (zsock_t *pipe, void *arg)
{
    s_router_args_t *args = arg;
    zsock_t *intake = zsock_new_pull (args->intake);
    zsock_t *outcomes = zsock_new_pub (args->outcomes);
    zsock_t *query = zsock_new_router (args->query);
    assert_true (intake && outcomes && query);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, intake, query, NULL);
    int64_t next_plane = 0, first_ask = 0;
    while (true) {
        void *which = zpoller_wait (poller, 20);
        if (which == pipe)
            break;
        if (which == intake) {
            zframe_t *frame = zframe_recv (intake);
            zframe_destroy (&frame);
            args->read++;
        }
        if (which == query) {
            zmsg_t *msg = zmsg_recv (query);
            zframe_t *identity = zmsg_pop (msg);
            char *kind = zmsg_popstr (msg);
            zframe_t *body = zmsg_pop (msg);
            if (kind && streq (kind, "intents") && args->mode == S_KNOWS) {
                args->asked++;
                if (!first_ask)
                    first_ask = zclock_mono ();
                bool waiting = zclock_mono () - first_ask < S_WAITING_MS;
                Execplane__V1__IntentsRequest *request = execplane__v1__intents_request__unpack (
                    NULL, zframe_size (body), zframe_data (body));
                assert_non_null (request);
                Execplane__V1__IntentFate fates [8], *items [8];
                Execplane__V1__IntentsReply reply = EXECPLANE__V1__INTENTS_REPLY__INIT;
                for (size_t i = 0; i < request->n_intents && i < 8; i++) {
                    execplane__v1__intent_fate__init (&fates [i]);
                    fates [i].strategy_id = request->intents [i]->strategy_id;
                    fates [i].intent_id = request->intents [i]->intent_id;
                    fates [i].held = !waiting
                                  && strncmp (fates [i].intent_id, "held-", 5) == 0;
                    fates [i].router_seq = fates [i].held ? 7 : 0;
                    items [i] = &fates [i];
                    reply.n_fates++;
                }
                reply.fates = items;
                reply.intake_waiting = waiting;
                uint8_t data [4096];
                size_t size = execplane__v1__intents_reply__pack (&reply, data);
                zmsg_t *answer = zmsg_new ();
                zmsg_append (answer, &identity);
                zmsg_addstr (answer, "intents");
                zmsg_addmem (answer, data, size);
                zmsg_send (&answer, query);
                execplane__v1__intents_request__free_unpacked (request, NULL);
            }
            zframe_destroy (&identity);
            zframe_destroy (&body);
            zstr_free (&kind);
            zmsg_destroy (&msg);
        }
        if (zclock_mono () >= next_plane) {
            Execplane__V1__PlaneState state = EXECPLANE__V1__PLANE_STATE__INIT;
            state.plane = EXECPLANE__V1__PLANE__PAPER;
            state.epoch = 1;
            state.paper_alive = true;
            uint8_t data [256];
            size_t size = execplane__v1__plane_state__pack (&state, data);
            zsock_send (outcomes, "sb", "plane", data, size);
            next_plane = zclock_mono () + 50;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&intake);
    zsock_destroy (&outcomes);
    zsock_destroy (&query);
}

typedef struct {
    char folder [128];
    char config [256];
    s_router_args_t a, b;
} s_setup_t;

static void
s_endpoints (s_setup_t *setup)
{
    snprintf (setup->folder, sizeof setup->folder, "%s/ep-unread.XXXXXX",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp");
    assert_non_null (mkdtemp (setup->folder));
    const char *names [] = { "intake", "outcomes", "control", "dispatch", "results", "query" };
    snprintf (setup->config, sizeof setup->config, "%s/clients.zpl", setup->folder);
    FILE *file = fopen (setup->config, "w");
    assert_non_null (file);
    fprintf (file, "router\n    paper_deadline_ms = %d\n", S_DEADLINE_MS);
    for (int i = 0; i < 6; i++)
        fprintf (file, "    %s = \"ipc://%s/a-%s,ipc://%s/b-%s\"\n", names [i], setup->folder,
                 names [i], setup->folder, names [i]);
    fclose (file);
    snprintf (setup->a.intake, 256, "ipc://%s/a-intake", setup->folder);
    snprintf (setup->a.outcomes, 256, "ipc://%s/a-outcomes", setup->folder);
    snprintf (setup->a.query, 256, "ipc://%s/a-query", setup->folder);
    snprintf (setup->b.intake, 256, "ipc://%s/b-intake", setup->folder);
    snprintf (setup->b.outcomes, 256, "ipc://%s/b-outcomes", setup->folder);
    snprintf (setup->b.query, 256, "ipc://%s/b-query", setup->folder);
}

static void
s_cleanup (s_setup_t *setup)
{
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", setup->folder);
    assert_int_equal (system (command), 0);
}

static void
s_send (execplane_strategy_t *strategy, const char *intent_id)
{
    execplane_intent_t intent = EXECPLANE__V1__ORDER_INTENT__INIT;
    intent.intent_id = (char *) intent_id;
    intent.strategy_id = "s1";
    intent.symbol = "BTCUSDT";
    intent.side = EXECPLANE__V1__SIDE__BUY;
    intent.type = EXECPLANE__V1__ORDER_TYPE__MARKET;
    intent.qty_e8 = 100000000;
    intent.ref_price_e8 = 100000000;
    execplane_error_t error;
    assert_int_equal (execplane_strategy_send (strategy, &intent, &error), 0);
}

//  Pumps the strategy for ms, and returns how many intents it named never
//  read meanwhile; sets *named_lost / *named_held for lost-1 / held-1.
static int
s_pump (execplane_strategy_t *strategy, int ms, bool *named_lost, bool *named_held,
        bool until_lost)
{
    int named = 0;
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end && !(until_lost && *named_lost)) {
        execplane_report_t *report = execplane_strategy_next (strategy, 50);
        execplane_report_free (report);
        char strategy_id [EXECPLANE_ID_BUFSIZE], intent_id [EXECPLANE_ID_BUFSIZE];
        while (execplane_strategy_never_read (strategy, strategy_id, intent_id)) {
            named++;
            if (streq (intent_id, "lost-1"))
                *named_lost = true;
            if (streq (intent_id, "held-1"))
                *named_held = true;
        }
    }
    return named;
}

//  The strategy sends held-1 and lost-1 to A; A goes away; B (in mode) is
//  started. Returns the strategy, and B's actor in *b.
static execplane_strategy_t *
s_lose_a (s_setup_t *setup, s_mode_t mode, zactor_t **b)
{
    s_endpoints (setup);
    setup->b.mode = mode;
    zactor_t *a = zactor_new (s_router, &setup->a);
    execplane_options_t options = { .config = setup->config, .insecure = true,
                                    .timeout_ms = 5000 };
    execplane_error_t error;
    execplane_strategy_t *strategy = execplane_strategy_new (&options, &error);
    if (!strategy)
        fail_msg ("%s", error.text);
    s_send (strategy, "held-1");
    s_send (strategy, "lost-1");
    assert_int_equal (execplane_strategy_owed (strategy), 2);
    //  Both have reached A (its intake read them) before it goes.
    for (int i = 0; i < 500 && setup->a.read < 2; i++)
        zclock_sleep (10);
    zactor_destroy (&a);
    assert_int_equal (setup->a.read, 2);
    *b = zactor_new (s_router, &setup->b);
    return strategy;
}

static void
test_the_new_router_says_which_were_read (void **state)
{
    (void) state;
    s_setup_t setup = { 0 };
    zactor_t *b;
    execplane_strategy_t *strategy = s_lose_a (&setup, S_KNOWS, &b);
    bool named_lost = false, named_held = false;
    //  While B says intents wait on its intake (2 s: past the old bound),
    //  nothing is named; then lost-1 is, and held-1 never.
    int64_t start = zclock_mono ();
    s_pump (strategy, S_WAITING_MS + 5000, &named_lost, &named_held, true);
    assert_true (named_lost);
    assert_true (zclock_mono () - start >= S_WAITING_MS);
    //  Well past the old bound since B was heard: held-1 is still owed.
    s_pump (strategy, 1000 + S_DEADLINE_MS + 500, &named_lost, &named_held, false);
    assert_false (named_held);
    assert_int_equal (execplane_strategy_owed (strategy), 1);
    execplane_strategy_destroy (&strategy);
    zactor_destroy (&b);
    assert_true (setup.b.asked >= 2);           //  asked again while intake waited
    s_cleanup (&setup);
}

static void
test_an_older_router_leaves_it_to_the_bound (void **state)
{
    (void) state;
    s_setup_t setup = { 0 };
    zactor_t *b;
    execplane_strategy_t *strategy = s_lose_a (&setup, S_OLD, &b);
    bool named_lost = false, named_held = false;
    //  Three asks unanswered (3 s), then the bound (a second past B heard).
    int named = 0;
    for (int i = 0; i < 200 && named < 2; i++)
        named += s_pump (strategy, 50, &named_lost, &named_held, false);
    assert_int_equal (named, 2);
    assert_true (named_lost && named_held);
    assert_int_equal (execplane_strategy_owed (strategy), 0);
    execplane_strategy_destroy (&strategy);
    zactor_destroy (&b);
    s_cleanup (&setup);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_the_new_router_says_which_were_read),
        cmocka_unit_test (test_an_older_router_leaves_it_to_the_bound),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
