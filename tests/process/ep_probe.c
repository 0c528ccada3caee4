/*  ep-probe: test-only helper for process tests.

    ep-probe junk CONFIG COUNT SEED
        pushes COUNT hostile messages to intake: random bytes, valid intents
        cut short, multi-frame messages, and one frame over the size limit.
    ep-probe stats CONFIG
        prints the router's next `stats` message as JSON.
    ep-probe push CONFIG FILE
        pushes FILE's bytes to intake as one message.  */
#include <czmq.h>
#include "ep_config.h"
#include "ep_json.h"
#include "ep_security.h"
#include "ep_sock.h"

static uint64_t s_state;

static uint64_t
s_random (void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

static int
s_junk (const ep_config_t *config, long count, uint64_t seed)
{
    char err [256];
    zsock_t *push = ep_sock_new (ZMQ_PUSH, config->intake, false, err, sizeof err);
    if (!push) {
        fprintf (stderr, "ep-probe: %s\n", err);
        return 1;
    }
    zsock_set_linger (push, 5000);
    s_state = seed ? seed : 1;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    intent.intent_id = "junk-1";
    intent.strategy_id = "probe";
    intent.symbol = "BTCUSDT";
    intent.side = EP_SIDE (BUY);
    intent.type = EP_TYPE (MARKET);
    intent.qty_e8 = 100000000;
    intent.ref_price_e8 = 100000000;
    uint8_t valid [256];
    size_t valid_size = execplane__v1__order_intent__pack (&intent, valid);
    uint8_t data [512];
    void *handle = zsock_resolve (push);
    for (long i = 0; i < count; i++) {
        size_t size;
        switch (s_random () % 3) {
            case 0:                     //  random bytes
                size = s_random () % sizeof data;
                for (size_t j = 0; j < size; j++)
                    data [j] = (uint8_t) s_random ();
                zmq_send (handle, data, size, 0);
                break;
            case 1:                     //  a valid intent cut short
                size = s_random () % valid_size;
                zmq_send (handle, valid, size, 0);
                break;
            default:                    //  two frames where one belongs
                zmq_send (handle, valid, valid_size, ZMQ_SNDMORE);
                zmq_send (handle, valid, valid_size, 0);
                break;
        }
    }
    zsock_destroy (&push);
    //  Over the size limit: the router drops this connection, not itself.
    push = ep_sock_new (ZMQ_PUSH, config->intake, false, err, sizeof err);
    zsock_set_linger (push, 1000);
    size_t huge_size = 200000;
    uint8_t *huge = calloc (1, huge_size);
    zmq_send (zsock_resolve (push), huge, huge_size, 0);
    free (huge);
    zsock_destroy (&push);
    printf ("sent %ld junk messages and one of %zu bytes\n", count, huge_size);
    return 0;
}

static int
s_push (const ep_config_t *config, const char *path)
{
    zchunk_t *chunk = zchunk_slurp (path, 0);
    char err [256];
    zsock_t *push = chunk ? ep_sock_new (ZMQ_PUSH, config->intake, false, err, sizeof err) : NULL;
    if (!push) {
        fprintf (stderr, "ep-probe: cannot push %s\n", path);
        zchunk_destroy (&chunk);
        return 1;
    }
    zsock_set_linger (push, 5000);
    zmq_send (zsock_resolve (push), zchunk_data (chunk), zchunk_size (chunk), 0);
    zsock_destroy (&push);
    zchunk_destroy (&chunk);
    return 0;
}

static int
s_stats (const ep_config_t *config)
{
    char err [256];
    zsock_t *sub = ep_sock_new (ZMQ_SUB, config->outcomes, false, err, sizeof err);
    if (!sub) {
        fprintf (stderr, "ep-probe: %s\n", err);
        return 1;
    }
    zsock_set_subscribe (sub, "stats");
    zsock_set_rcvtimeo (sub, 5000);
    zmsg_t *msg = zmsg_recv (sub);
    int rc = 1;
    if (msg) {
        zframe_t *topic = zmsg_pop (msg);
        zframe_t *body = zmsg_pop (msg);
        ep_stats_t *stats = body ? execplane__v1__stats__unpack (NULL, zframe_size (body),
                                                                 zframe_data (body)) : NULL;
        if (stats) {
            char *json = ep_json_stats_format (stats);
            printf ("%s\n", json);
            free (json);
            execplane__v1__stats__free_unpacked (stats, NULL);
            rc = 0;
        }
        zframe_destroy (&topic);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&sub);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 3) {
        fprintf (stderr, "usage: ep-probe junk CONFIG COUNT SEED [CERT] | ep-probe stats CONFIG [CERT] | ep-probe push CONFIG FILE [CERT]\n");
        return 2;
    }
    ep_config_t config;
    char err [256];
    if (ep_config_load (&config, argv [2], err, sizeof err)) {
        fprintf (stderr, "ep-probe: %s\n", err);
        return 2;
    }
    //  The certificate: the last argument beyond the command's own, else
    //  strategy (junk) or monitor (stats); in the clear when the config says.
    bool junk = streq (argv [1], "junk");
    bool push = streq (argv [1], "push");
    int own = junk ? 5 : push ? 4 : 3;
    const char *cert = argc > own ? argv [own] : junk || push ? "strategy" : "monitor";
    int security = ep_security_init (&config, !config.curve, cert, err, sizeof err);
    if (security) {
        fprintf (stderr, "ep-probe: %s\n", err);
        return security;
    }
    if (junk && argc >= 5)
        return s_junk (&config, atol (argv [3]), strtoull (argv [4], NULL, 10));
    if (push && argc >= 4)
        return s_push (&config, argv [3]);
    if (streq (argv [1], "stats"))
        return s_stats (&config);
    fprintf (stderr, "ep-probe: unknown command\n");
    return 2;
}
