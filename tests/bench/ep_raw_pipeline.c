/*  ep-raw-pipeline: the physical-limit baseline for the benchmark. A raw
    libzmq pipeline of the router's shape on this machine, with no protobuf,
    no journal and no security (or, with --curve, CURVE on every hop as in
    the product):

        source  PUSH -> broker PULL "intake"
        broker  XPUB "dispatch" (topic frame) -> worker SUB
        worker  PUSH (kind frame) -> broker PULL "results"
        broker  XPUB "outcomes" (topic frame) -> sink SUB

    Four processes forked by this one (which opens no ZeroMQ context), each
    with its own context, on tcp 127.0.0.1 with ephemeral ports. The broker
    polls both its PULL sockets in one loop and reads up to --batch messages
    from a socket per wakeup, as the router does; it forwards each body as
    it came, without a copy. Elapsed time runs from the source's first send
    to the sink's last receive (CLOCK_MONOTONIC, shared by the processes).

    Paced (--rate), each message's latency is timed from the source's send
    to the sink, over the four hops; with --hops 2, to the worker's receipt
    instead (source -> broker -> worker: the path of an intent from a
    strategy to a worker), while the replies still flow back as load.  */
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "bench_util.h"

#define S_PROGRAM           "ep-raw-pipeline"
#define S_ENDPOINT_MAX      256
#define S_SIZE_MAX          (1 << 20)   //  per message, either way
#define S_BATCH_MAX         65536
#define S_TICK_MS           100         //  longest blocking wait between deadline checks
#define S_GRACE_MS          2000        //  for the roles to exit once done, or past the deadline
#define S_STOP_MS           1000        //  between SIGTERM and SIGKILL
#define S_SEQ_SIZE          sizeof (uint64_t)
#define S_STAMP_SIZE        (2 * sizeof (uint64_t))     //  sequence, then send time

//  The router's frames, with the same lengths: dispatch topic, the kind a
//  worker puts before a result, the outcome topic of one strategy.
#define S_DISPATCH_TOPIC    "exec.paper"
#define S_RESULT_KIND       "reports"
#define S_OUTCOME_TOPIC     "outcome.bench"
#define S_OUTCOME_PREFIX    "outcome."

typedef enum { S_SOURCE, S_BROKER, S_WORKER, S_SINK, S_ROLES } s_role_t;

static const char *s_role_names [S_ROLES] = { "source", "broker", "worker", "sink" };

//  One cache line per writer, so no two processes write to the same line.
typedef struct {
    _Alignas (64) _Atomic uint64_t value;
} s_counter_t;

//  Shared by the parent and the roles (an anonymous shared mapping made
//  before any fork).
typedef struct {
    //  Set by the parent before the first fork.
    uint64_t messages;
    size_t size;
    size_t reply_size;
    int batch;
    uint64_t rate;                      //  messages/s the source paces at; 0: unpaced
    int hops;                           //  where a paced message's latency ends: 4 the
                                        //  sink, 2 the worker
    int64_t deadline_ns;                //  CLOCK_MONOTONIC: every wait ends by it
    bool curve;                         //  CURVE on every socket
    char server_public [41], server_secret [41];   //  the broker's keys (Z85)
    char client_public [41], client_secret [41];   //  everyone else's
    //  Set by the broker before it signals 'E'.
    char intake [S_ENDPOINT_MAX];
    char dispatch [S_ENDPOINT_MAX];
    char results [S_ENDPOINT_MAX];
    char outcomes [S_ENDPOINT_MAX];
    //  Progress, each written by one role only.
    s_counter_t start_ns;               //  source: just before its first send
    s_counter_t sent;                   //  source
    s_counter_t dispatched;             //  broker: intake -> dispatch
    s_counter_t replied;                //  worker
    s_counter_t reported;               //  broker: results -> outcomes
    s_counter_t received;               //  sink
    s_counter_t disorder;               //  sink: messages out of sequence
    s_counter_t end_ns;                 //  sink: its last receive, or when it gave up
    s_counter_t latency_ns [4];         //  sink (worker with --hops 2), when paced:
                                        //  p50, p99, p99.9, max
    char why [S_ROLES][256];            //  a role's reason for failing
} s_shared_t;

typedef struct {
    pid_t pid;
    bool running;                       //  forked and not yet reaped
    int status;
} s_child_t;

static volatile sig_atomic_t s_interrupted;
static s_child_t s_children [S_ROLES];

static void
s_on_signal (int sig)
{
    s_interrupted = sig;
}

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  Milliseconds left before the deadline (0 once past it), at most cap.
static int
s_left_ms (const s_shared_t *shared, int cap)
{
    int64_t left = (shared->deadline_ns - s_now_ns () + 999999) / 1000000;
    return left <= 0 ? 0 : left < cap ? (int) left : cap;
}

static bool
s_expired (const s_shared_t *shared)
{
    return s_now_ns () >= shared->deadline_ns;
}

static void
s_store (s_counter_t *counter, uint64_t value)
{
    atomic_store_explicit (&counter->value, value, memory_order_relaxed);
}

static uint64_t
s_load (s_counter_t *counter)
{
    return atomic_load_explicit (&counter->value, memory_order_relaxed);
}

//  Records why a role failed, for the parent to print; returns 1.
static int
s_fail (s_shared_t *shared, s_role_t role, const char *what)
{
    snprintf (shared->why [role], sizeof shared->why [role], "%s: %s", what,
              zmq_strerror (zmq_errno ()));
    return 1;
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof value);
}

//  With --curve, makes socket the CURVE server (the broker) or a client
//  of it, before it binds or connects. No ZAP handler runs, so any client
//  key is let in. The router's handler checks the key once per connection,
//  not per message, so the per-message cost is the same.
static int
s_secure (const s_shared_t *shared, void *socket, bool server)
{
    if (!shared->curve || !socket)
        return 0;
    if (server)
        return s_set_int (socket, ZMQ_CURVE_SERVER, 1)
            || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, shared->server_secret, 40);
    return zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, shared->server_public, 40)
        || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, shared->client_public, 40)
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, shared->client_secret, 40);
}

//  Closes socket. One that sends gets a linger that ends at the deadline,
//  so that what is still queued leaves, but not after it; one that only
//  receives gets none (a SUB whose publisher has gone has its subscription
//  queued again for a reconnect, which would hold the context's end).
static void
s_close (const s_shared_t *shared, void *socket, bool sends)
{
    if (socket) {
        s_set_int (socket, ZMQ_LINGER, sends ? s_left_ms (shared, INT32_MAX) : 0);
        zmq_close (socket);
    }
}

//  Sends one frame on a socket with ZMQ_SNDTIMEO set, retrying while the
//  peer pushes back, until the deadline.
static int
s_send (const s_shared_t *shared, void *socket, const void *data, size_t size, int flags)
{
    while (zmq_send (socket, data, size, flags) < 0) {
        if (zmq_errno () != EAGAIN || s_expired (shared))
            return -1;
    }
    return 0;
}

//  Receives one frame on a socket with ZMQ_RCVTIMEO set, until the deadline.
static int
s_recv (const s_shared_t *shared, void *socket, zmq_msg_t *msg)
{
    while (zmq_msg_recv (msg, socket, 0) < 0) {
        if (zmq_errno () != EAGAIN || s_expired (shared))
            return -1;
    }
    return 0;
}

//  Receives a topic frame and the body after it, into body.
static int
s_recv2 (const s_shared_t *shared, void *socket, zmq_msg_t *body)
{
    zmq_msg_t head;
    zmq_msg_init (&head);
    int rc = s_recv (shared, socket, &head);
    bool more = rc == 0 && zmq_msg_more (&head);
    zmq_msg_close (&head);
    if (rc || !more)
        return -1;
    //  The rest of a message is there as soon as its first frame is.
    return zmq_msg_recv (body, socket, 0) < 0 || zmq_msg_more (body) ? -1 : 0;
}

//  ---------------------------------------------------------------------
//  The broker: binds the four sockets, tells the parent where (byte 'E'
//  on fd), waits until the worker and the sink have subscribed (byte 'R':
//  published before that, a message would be dropped), then forwards until
//  every result has gone out on outcomes.

//  Forwards up to batch messages from intake to dispatch; returns how many,
//  or -1 on an error.
static int
s_drain_intake (s_shared_t *shared, void *intake, void *dispatch, uint64_t *count)
{
    int done = 0;
    for (; done < shared->batch; done++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, intake, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            return zmq_errno () == EAGAIN ? done : -1;
        }
        int rc = zmq_send (dispatch, S_DISPATCH_TOPIC, strlen (S_DISPATCH_TOPIC), ZMQ_SNDMORE);
        if (rc >= 0)
            rc = zmq_msg_send (&msg, dispatch, 0);
        zmq_msg_close (&msg);
        if (rc < 0)
            return -1;
        s_store (&shared->dispatched, ++*count);
    }
    return done;
}

//  Forwards up to batch two-frame results to outcomes; returns how many,
//  or -1 on an error.
static int
s_drain_results (s_shared_t *shared, void *results, void *outcomes, uint64_t *count)
{
    int done = 0;
    for (; done < shared->batch; done++) {
        zmq_msg_t head, body;
        zmq_msg_init (&head);
        if (zmq_msg_recv (&head, results, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&head);
            return zmq_errno () == EAGAIN ? done : -1;
        }
        bool more = zmq_msg_more (&head);
        zmq_msg_close (&head);
        zmq_msg_init (&body);
        int rc = more && zmq_msg_recv (&body, results, 0) >= 0 && !zmq_msg_more (&body) ? 0 : -1;
        if (rc == 0)
            rc = zmq_send (outcomes, S_OUTCOME_TOPIC, strlen (S_OUTCOME_TOPIC), ZMQ_SNDMORE);
        if (rc >= 0)
            rc = zmq_msg_send (&body, outcomes, 0);
        zmq_msg_close (&body);
        if (rc < 0)
            return -1;
        s_store (&shared->reported, ++*count);
    }
    return done;
}

static int
s_signal_parent (int fd, char what)
{
    ssize_t rc;
    do
        rc = write (fd, &what, 1);
    while (rc < 0 && errno == EINTR);
    return rc == 1 ? 0 : -1;
}

static int
s_broker_run (s_shared_t *shared, int fd, void *sockets [4])
{
    void *intake = sockets [0], *dispatch = sockets [1];
    void *results = sockets [2], *outcomes = sockets [3];
    char *endpoints [4] = { shared->intake, shared->dispatch, shared->results, shared->outcomes };
    for (int i = 0; i < 4; i++) {
        if (!sockets [i])
            return s_fail (shared, S_BROKER, "cannot create a socket");
        //  Nothing dropped on the way out to a slow subscriber.
        if (i == 1 || i == 3)
            s_set_int (sockets [i], ZMQ_SNDHWM, 0);
        size_t size = S_ENDPOINT_MAX;
        if (s_secure (shared, sockets [i], true))
            return s_fail (shared, S_BROKER, "cannot set the CURVE keys");
        if (zmq_bind (sockets [i], "tcp://127.0.0.1:*")
        ||  zmq_getsockopt (sockets [i], ZMQ_LAST_ENDPOINT, endpoints [i], &size))
            return s_fail (shared, S_BROKER, "cannot bind on 127.0.0.1");
    }
    if (s_signal_parent (fd, 'E'))
        return 1;

    //  Each subscriber's subscription comes up the XPUB as a message.
    zmq_pollitem_t subscribed [2] = {
        { dispatch, 0, ZMQ_POLLIN, 0 }, { outcomes, 0, ZMQ_POLLIN, 0 }
    };
    bool heard [2] = { false, false };
    while (!heard [0] || !heard [1]) {
        if (s_expired (shared)) {
            snprintf (shared->why [S_BROKER], sizeof shared->why [S_BROKER],
                      "no subscription from the %s by the deadline",
                      heard [0] ? "sink" : "worker");
            return 1;
        }
        if (zmq_poll (subscribed, 2, s_left_ms (shared, S_TICK_MS)) < 0)
            return s_fail (shared, S_BROKER, "cannot poll");
        for (int i = 0; i < 2; i++) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if ((subscribed [i].revents & ZMQ_POLLIN)
            &&  zmq_msg_recv (&msg, subscribed [i].socket, ZMQ_DONTWAIT) > 0
            &&  *(const uint8_t *) zmq_msg_data (&msg) == 1)
                heard [i] = true;
            zmq_msg_close (&msg);
        }
    }
    if (s_signal_parent (fd, 'R'))
        return 1;

    zmq_pollitem_t items [2] = {
        { intake, 0, ZMQ_POLLIN, 0 }, { results, 0, ZMQ_POLLIN, 0 }
    };
    uint64_t dispatched = 0, reported = 0;
    while (reported < shared->messages) {
        if (s_expired (shared)) {
            snprintf (shared->why [S_BROKER], sizeof shared->why [S_BROKER],
                      "deadline reached");
            return 1;
        }
        if (zmq_poll (items, 2, s_left_ms (shared, S_TICK_MS)) < 0)
            return s_fail (shared, S_BROKER, "cannot poll");
        if ((items [0].revents & ZMQ_POLLIN)
        &&  s_drain_intake (shared, intake, dispatch, &dispatched) < 0)
            return s_fail (shared, S_BROKER, "cannot forward an intent");
        if ((items [1].revents & ZMQ_POLLIN)
        &&  s_drain_results (shared, results, outcomes, &reported) < 0)
            return s_fail (shared, S_BROKER, "cannot forward a result");
    }
    return 0;
}

static int
s_broker (s_shared_t *shared, int fd)
{
    void *context = zmq_ctx_new ();
    if (!context)
        return s_fail (shared, S_BROKER, "cannot create a context");
    void *sockets [4] = {
        zmq_socket (context, ZMQ_PULL), zmq_socket (context, ZMQ_XPUB),
        zmq_socket (context, ZMQ_PULL), zmq_socket (context, ZMQ_XPUB)
    };
    int rc = s_broker_run (shared, fd, sockets);
    for (int i = 0; i < 4; i++)
        s_close (shared, sockets [i], i == 1 || i == 3);
    zmq_ctx_term (context);
    return rc;
}

//  ---------------------------------------------------------------------
//  Latencies, kept by the sink (or the worker, --hops 2) when paced.

//  Sorts count latencies and publishes their p50, p99, p99.9 and max.
static void
s_store_percentiles (s_shared_t *shared, int64_t *latency, uint64_t count)
{
    if (count == 0)
        return;
    qsort (latency, count, sizeof *latency, bench_compare_i64);
    const double at [4] = { 0.50, 0.99, 0.999, 1.0 };
    for (int i = 0; i < 4; i++)
        s_store (&shared->latency_ns [i],
                 (uint64_t) latency [(uint64_t) (at [i] * (double) (count - 1) + 0.5)]);
}

//  ---------------------------------------------------------------------
//  The worker: one reply, of reply_size bytes, per dispatched message; the
//  reply carries the message's sequence number.

static int
s_worker_run (s_shared_t *shared, void *sub, void *push, uint8_t *reply, int64_t *latency)
{
    if (!sub || !push || !reply)
        return s_fail (shared, S_WORKER, "cannot create a socket");
    if (s_set_int (sub, ZMQ_RCVHWM, 0)
    ||  s_set_int (sub, ZMQ_RCVTIMEO, S_TICK_MS)
    ||  zmq_setsockopt (sub, ZMQ_SUBSCRIBE, S_DISPATCH_TOPIC, strlen (S_DISPATCH_TOPIC))
    ||  s_secure (shared, sub, false)
    ||  zmq_connect (sub, shared->dispatch)
    ||  s_set_int (push, ZMQ_SNDTIMEO, S_TICK_MS)
    ||  s_secure (shared, push, false)
    ||  zmq_connect (push, shared->results))
        return s_fail (shared, S_WORKER, "cannot connect");
    uint64_t replied = 0;
    while (replied < shared->messages) {
        zmq_msg_t body;
        zmq_msg_init (&body);
        if (s_recv2 (shared, sub, &body)) {
            zmq_msg_close (&body);
            return s_fail (shared, S_WORKER, "no complete message by the deadline");
        }
        if (latency) {
            int64_t sent = 0;
            if (zmq_msg_size (&body) >= S_STAMP_SIZE)
                memcpy (&sent, (uint8_t *) zmq_msg_data (&body) + S_SEQ_SIZE, sizeof sent);
            latency [replied] = s_now_ns () - sent;
        }
        size_t echo = shared->rate ? S_STAMP_SIZE : S_SEQ_SIZE;
        if (zmq_msg_size (&body) >= echo && shared->reply_size >= echo)
            memcpy (reply, zmq_msg_data (&body), echo);
        zmq_msg_close (&body);
        //  Once the first frame is queued, the second always follows it.
        if (s_send (shared, push, S_RESULT_KIND, strlen (S_RESULT_KIND), ZMQ_SNDMORE)
        ||  zmq_send (push, reply, shared->reply_size, 0) < 0)
            return s_fail (shared, S_WORKER, "cannot send a reply");
        s_store (&shared->replied, ++replied);
    }
    if (latency)
        s_store_percentiles (shared, latency, replied);
    return 0;
}

static int
s_worker (s_shared_t *shared)
{
    void *context = zmq_ctx_new ();
    if (!context)
        return s_fail (shared, S_WORKER, "cannot create a context");
    void *sub = zmq_socket (context, ZMQ_SUB);
    void *push = zmq_socket (context, ZMQ_PUSH);
    uint8_t *reply = calloc (1, shared->reply_size ? shared->reply_size : 1);
    //  --hops 2, paced: the worker times each message, from its send
    int64_t *latency = NULL;
    int rc = 0;
    if (shared->rate && shared->hops == 2
    &&  !(latency = malloc (shared->messages * sizeof *latency)))
        rc = s_fail (shared, S_WORKER, "out of memory");
    if (rc == 0)
        rc = s_worker_run (shared, sub, push, reply, latency);
    free (latency);
    free (reply);
    s_close (shared, sub, false);
    s_close (shared, push, true);
    zmq_ctx_term (context);
    return rc;
}

//  ---------------------------------------------------------------------
//  The sink: counts outcomes and checks their sequence numbers.

static int
s_sink_run (s_shared_t *shared, void *sub)
{
    if (!sub)
        return s_fail (shared, S_SINK, "cannot create a socket");
    if (s_set_int (sub, ZMQ_RCVHWM, 0)
    ||  s_set_int (sub, ZMQ_RCVTIMEO, S_TICK_MS)
    ||  zmq_setsockopt (sub, ZMQ_SUBSCRIBE, S_OUTCOME_PREFIX, strlen (S_OUTCOME_PREFIX))
    ||  s_secure (shared, sub, false)
    ||  zmq_connect (sub, shared->outcomes))
        return s_fail (shared, S_SINK, "cannot connect");
    bool numbered = shared->size >= S_SEQ_SIZE && shared->reply_size >= S_SEQ_SIZE;
    //  Paced, each message carries its send time: the sink keeps every
    //  message's latency (the sizes were checked to hold the stamp), unless
    //  the worker does (--hops 2).
    int64_t *latency = NULL;
    if (shared->rate && shared->hops == 4
    &&  !(latency = malloc (shared->messages * sizeof *latency)))
        return s_fail (shared, S_SINK, "out of memory");
    uint64_t received = 0, disorder = 0;
    while (received < shared->messages) {
        zmq_msg_t body;
        zmq_msg_init (&body);
        if (s_recv2 (shared, sub, &body)) {
            zmq_msg_close (&body);
            s_store (&shared->end_ns, (uint64_t) s_now_ns ());
            free (latency);
            return s_fail (shared, S_SINK, "not every outcome by the deadline");
        }
        if (latency) {
            int64_t sent = 0;
            if (zmq_msg_size (&body) >= S_STAMP_SIZE)
                memcpy (&sent, (uint8_t *) zmq_msg_data (&body) + S_SEQ_SIZE, sizeof sent);
            latency [received] = s_now_ns () - sent;
        }
        if (numbered) {
            uint64_t seq = UINT64_MAX;
            if (zmq_msg_size (&body) >= S_SEQ_SIZE)
                memcpy (&seq, zmq_msg_data (&body), S_SEQ_SIZE);
            if (seq != received)
                s_store (&shared->disorder, ++disorder);
        }
        zmq_msg_close (&body);
        s_store (&shared->received, ++received);
    }
    s_store (&shared->end_ns, (uint64_t) s_now_ns ());
    if (latency) {
        s_store_percentiles (shared, latency, received);
        free (latency);
    }
    return disorder ? 1 : 0;
}

static int
s_sink (s_shared_t *shared)
{
    void *context = zmq_ctx_new ();
    if (!context)
        return s_fail (shared, S_SINK, "cannot create a context");
    void *sub = zmq_socket (context, ZMQ_SUB);
    int rc = s_sink_run (shared, sub);
    s_close (shared, sub, false);
    zmq_ctx_term (context);
    return rc;
}

//  ---------------------------------------------------------------------
//  The source: pushes the messages as fast as intake takes them (or at
//  --rate), each numbered in its first 8 bytes (when it has 8) and, when
//  paced, stamped with its send time in the next 8.

static int
s_source_run (s_shared_t *shared, void *push, uint8_t *data)
{
    if (!push || !data)
        return s_fail (shared, S_SOURCE, "cannot create a socket");
    if (s_set_int (push, ZMQ_SNDTIMEO, S_TICK_MS)
    ||  s_secure (shared, push, false)
    ||  zmq_connect (push, shared->intake))
        return s_fail (shared, S_SOURCE, "cannot connect");
    int64_t start = s_now_ns ();
    s_store (&shared->start_ns, (uint64_t) start);
    for (uint64_t seq = 0; seq < shared->messages; seq++) {
        if (shared->size >= S_SEQ_SIZE)
            memcpy (data, &seq, S_SEQ_SIZE);
        if (shared->rate) {
            int64_t due = start + (int64_t) (seq * 1000000000 / shared->rate);
            struct timespec at = { due / 1000000000, due % 1000000000 };
            clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
            int64_t now = s_now_ns ();
            memcpy (data + S_SEQ_SIZE, &now, sizeof now);
        }
        if (s_send (shared, push, data, shared->size, 0))
            return s_fail (shared, S_SOURCE, "cannot send by the deadline");
        s_store (&shared->sent, seq + 1);
    }
    return 0;
}

static int
s_source (s_shared_t *shared)
{
    void *context = zmq_ctx_new ();
    if (!context)
        return s_fail (shared, S_SOURCE, "cannot create a context");
    void *push = zmq_socket (context, ZMQ_PUSH);
    uint8_t *data = calloc (1, shared->size ? shared->size : 1);
    int rc = s_source_run (shared, push, data);
    free (data);
    s_close (shared, push, true);       //  waits for the queue to leave
    zmq_ctx_term (context);
    return rc;
}

//  ---------------------------------------------------------------------
//  The parent: forks the roles, waits for them (always bounded), and ends
//  every one it started on every way out.

static int
s_spawn (s_role_t role, s_shared_t *shared, int fds [2])
{
    sigset_t stops, old;
    sigemptyset (&stops);
    sigaddset (&stops, SIGINT);
    sigaddset (&stops, SIGTERM);
    sigaddset (&stops, SIGHUP);
    //  Blocked across the fork, so a child never runs our handler.
    sigprocmask (SIG_BLOCK, &stops, &old);
    pid_t parent = getpid ();
    fflush (NULL);
    pid_t pid = fork ();
    if (pid == 0) {
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        signal (SIGHUP, SIG_DFL);
        sigprocmask (SIG_SETMASK, &old, NULL);
        //  No orphan if the parent dies without cleaning up.
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (1);
        close (fds [0]);
        int rc = 1;
        switch (role) {
            case S_SOURCE: rc = s_source (shared); break;
            case S_BROKER: rc = s_broker (shared, fds [1]); break;
            case S_WORKER: rc = s_worker (shared); break;
            default:       rc = s_sink (shared); break;
        }
        _exit (rc);
    }
    int saved = errno;
    sigprocmask (SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        fprintf (stderr, "%s: cannot fork the %s: %s\n", S_PROGRAM, s_role_names [role],
                 strerror (saved));
        return -1;
    }
    s_children [role] = (s_child_t) { .pid = pid, .running = true };
    return 0;
}

//  Reaps the children that have exited; returns how many still run.
static int
s_reap (bool block)
{
    int running = 0;
    for (int role = 0; role < S_ROLES; role++) {
        s_child_t *child = &s_children [role];
        if (!child->running)
            continue;
        pid_t pid;
        do
            pid = waitpid (child->pid, &child->status, block ? 0 : WNOHANG);
        while (pid < 0 && errno == EINTR);
        if (pid == child->pid || (pid < 0 && errno == ECHILD))
            child->running = false;
        else
            running++;
    }
    return running;
}

static bool
s_failed (const s_child_t *child)
{
    return child->pid && !child->running
        && !(WIFEXITED (child->status) && WEXITSTATUS (child->status) == 0);
}

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    nanosleep (&ts, NULL);              //  a signal may cut it short
}

//  Ends every child still running: SIGTERM, then SIGKILL; reaps them all.
static void
s_stop_all (void)
{
    for (int role = 0; role < S_ROLES; role++)
        if (s_children [role].running)
            kill (s_children [role].pid, SIGTERM);
    for (int64_t until = s_now_ns () + (int64_t) S_STOP_MS * 1000000;
         s_reap (false) > 0 && s_now_ns () < until;)
        s_sleep_ms (5);
    for (int role = 0; role < S_ROLES; role++)
        if (s_children [role].running)
            kill (s_children [role].pid, SIGKILL);
    s_reap (true);
}

//  Waits for byte what from the broker on fd, until the deadline.
static int
s_await (const s_shared_t *shared, int fd, char what, const char *stage)
{
    while (!s_interrupted) {
        int left = s_left_ms (shared, 1000);
        if (left == 0) {
            fprintf (stderr, "%s: the broker was not %s by the deadline\n", S_PROGRAM, stage);
            return -1;
        }
        struct pollfd item = { fd, POLLIN, 0 };
        int rc = poll (&item, 1, left);
        if (rc < 0 && errno != EINTR) {
            fprintf (stderr, "%s: cannot poll: %s\n", S_PROGRAM, strerror (errno));
            return -1;
        }
        if (rc <= 0)
            continue;
        char byte;
        ssize_t size = read (fd, &byte, 1);
        if (size < 0 && errno == EINTR)
            continue;
        if (size == 1 && byte == what)
            return 0;
        fprintf (stderr, "%s: the broker ended before it was %s: %s\n", S_PROGRAM, stage,
                 shared->why [S_BROKER][0] ? shared->why [S_BROKER] : "no reason given");
        return -1;
    }
    return -1;
}

//  Waits until every role has exited, one has failed, or the deadline (and
//  a grace) has passed. True if every role finished well.
static bool
s_await_roles (const s_shared_t *shared)
{
    int64_t hard = shared->deadline_ns + (int64_t) S_GRACE_MS * 1000000;
    int64_t sink_done = 0;
    while (!s_interrupted && s_reap (false) > 0) {
        for (int role = 0; role < S_ROLES; role++)
            if (s_failed (&s_children [role]))
                return false;
        int64_t now = s_now_ns ();
        if (!s_children [S_SINK].running && sink_done == 0)
            sink_done = now;
        //  The others have nothing left to do once the sink has it all.
        if ((sink_done && now - sink_done > (int64_t) S_GRACE_MS * 1000000) || now > hard)
            return false;
        s_sleep_ms (10);
    }
    for (int role = 0; role < S_ROLES; role++)
        if (s_failed (&s_children [role]) || s_children [role].running)
            return false;
    return true;
}

static void
s_report_roles (s_shared_t *shared)
{
    for (int role = 0; role < S_ROLES; role++) {
        const s_child_t *child = &s_children [role];
        if (!child->pid)
            fprintf (stderr, "%s:   %s: not started\n", S_PROGRAM, s_role_names [role]);
        else
        if (WIFSIGNALED (child->status))
            fprintf (stderr, "%s:   %s: ended by signal %d%s%s\n", S_PROGRAM,
                     s_role_names [role], WTERMSIG (child->status),
                     shared->why [role][0] ? ", " : "", shared->why [role]);
        else
        if (WIFEXITED (child->status) && WEXITSTATUS (child->status))
            fprintf (stderr, "%s:   %s: exit %d%s%s\n", S_PROGRAM, s_role_names [role],
                     WEXITSTATUS (child->status), shared->why [role][0] ? ", " : "",
                     shared->why [role]);
    }
    fprintf (stderr, "%s:   sent %" PRIu64 ", dispatched %" PRIu64 ", replied %" PRIu64
             ", reported %" PRIu64 ", received %" PRIu64 " of %" PRIu64
             ", out of sequence %" PRIu64 "\n", S_PROGRAM,
             s_load (&shared->sent), s_load (&shared->dispatched), s_load (&shared->replied),
             s_load (&shared->reported), s_load (&shared->received), shared->messages,
             s_load (&shared->disorder));
}

static int
s_run (s_shared_t *shared)
{
    int fds [2];
    if (pipe (fds)) {
        fprintf (stderr, "%s: cannot make a pipe: %s\n", S_PROGRAM, strerror (errno));
        return 1;
    }
    //  The broker binds first; the worker and the sink connect and
    //  subscribe; the source starts once the broker has heard both.
    int rc = s_spawn (S_BROKER, shared, fds);
    close (fds [1]);
    if (rc == 0)
        rc = s_await (shared, fds [0], 'E', "bound");
    if (rc == 0)
        rc = s_spawn (S_WORKER, shared, fds);
    if (rc == 0)
        rc = s_spawn (S_SINK, shared, fds);
    if (rc == 0)
        rc = s_await (shared, fds [0], 'R', "subscribed to");
    if (rc == 0)
        rc = s_spawn (S_SOURCE, shared, fds);
    close (fds [0]);
    bool done = rc == 0 && s_await_roles (shared);
    s_stop_all ();
    if (s_interrupted) {
        fprintf (stderr, "%s: interrupted (signal %d); every role stopped\n", S_PROGRAM,
                 (int) s_interrupted);
        return 128 + (int) s_interrupted;
    }
    if (!s_children [S_SOURCE].pid) {
        fprintf (stderr, "%s: the pipeline did not start\n", S_PROGRAM);
        s_report_roles (shared);
        return 1;
    }
    uint64_t received = s_load (&shared->received);
    uint64_t lost = shared->messages - received;
    int64_t start = (int64_t) s_load (&shared->start_ns);
    int64_t end = (int64_t) s_load (&shared->end_ns);
    if (end == 0)
        end = s_now_ns ();              //  the sink never got to say
    double elapsed_ms = start && end > start ? (double) (end - start) / 1e6 : 0;
    double rate = elapsed_ms > 0 ? (double) received * 1000 / elapsed_ms : 0;
    bool good = done && lost == 0 && s_load (&shared->disorder) == 0;
    fprintf (stderr, "%s: %" PRIu64 " messages, %zu bytes out, %zu bytes back, batch %d%s:"
             " %.1f ms, %.0f msgs/s, %" PRIu64 " lost%s\n", S_PROGRAM, shared->messages,
             shared->size, shared->reply_size, shared->batch, shared->curve ? ", CURVE" : "",
             elapsed_ms, rate, lost, good ? "" : " (FAILED)");
    if (!good)
        s_report_roles (shared);
    printf ("{\"messages\":%" PRIu64 ",\"size\":%zu,\"reply_size\":%zu,\"curve\":%s,"
            "\"elapsed_ms\":%.3f,\"msgs_per_s\":%.0f,\"lost\":%" PRIu64, shared->messages,
            shared->size, shared->reply_size, shared->curve ? "true" : "false", elapsed_ms, rate,
            lost);
    if (shared->rate && good) {
        uint64_t us [4];
        for (int i = 0; i < 4; i++)
            us [i] = (s_load (&shared->latency_ns [i]) + 500) / 1000;
        fprintf (stderr, "%s: paced at %" PRIu64 "/s, send to %s (%d hops): p50 %" PRIu64
                 " us, p99 %" PRIu64 " us, p99.9 %" PRIu64 " us, max %" PRIu64 " us\n",
                 S_PROGRAM, shared->rate, shared->hops == 2 ? "worker" : "sink", shared->hops,
                 us [0], us [1], us [2], us [3]);
        printf (",\"rate\":%" PRIu64 ",\"hops\":%d,\"p50_us\":%" PRIu64 ",\"p99_us\":%" PRIu64
                ",\"p999_us\":%" PRIu64 ",\"max_us\":%" PRIu64, shared->rate, shared->hops,
                us [0], us [1], us [2], us [3]);
    }
    printf ("}\n");
    fflush (stdout);
    return good ? 0 : 1;
}

//  ---------------------------------------------------------------------

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: " S_PROGRAM " [--messages N] [--size BYTES] [--reply-size BYTES]\n"
        "                       [--batch N] [--rate PER_SECOND] [--curve]\n"
        "                       [--hops 2|4] [--timeout SECONDS]\n"
        "\n"
        "The physical-limit baseline for the benchmark: a raw libzmq pipeline of the\n"
        "router's shape, four processes on tcp 127.0.0.1, no protobuf, no journal.\n"
        "source PUSH -> broker PULL intake -> broker XPUB dispatch (topic frame) ->\n"
        "worker SUB, one reply each on PUSH -> broker PULL results -> broker XPUB\n"
        "outcomes (topic frame) -> sink SUB, which must get every message.\n"
        "\n"
        "  --messages N        messages through the pipeline (default 1000000)\n"
        "  --size BYTES        payload of each intake message (default 64)\n"
        "  --reply-size BYTES  payload of each reply (default: --size)\n"
        "  --batch N           messages the broker reads from a socket per poll\n"
        "                      wakeup (default 1024, as the router)\n"
        "  --rate PER_SECOND   pace the source and measure each message's latency\n"
        "                      from send to sink (needs sizes of 16 bytes or more)\n"
        "  --hops 2|4          with --rate, where each latency ends: 4 (the default)\n"
        "                      at the sink, 2 at the worker (source -> broker ->\n"
        "                      worker, a strategy's intent reaching a worker); the\n"
        "                      replies flow on to the sink either way\n"
        "  --curve             CURVE on every hop, as in the product (keys made for\n"
        "                      the run; no ZAP handler)\n"
        "  --timeout SECONDS   the whole run ends by then (default 60)\n"
        "  --help              this text\n"
        "\n"
        "Elapsed time runs from the source's first send to the sink's last receive.\n"
        "Prints one line for people on standard error and, once the source has\n"
        "started, one JSON line on standard output:\n"
        "  {\"messages\":N,\"size\":S,\"reply_size\":R,\"curve\":C,\"elapsed_ms\":E,\"msgs_per_s\":X,\"lost\":L}\n"
        "and, with --rate, the keys rate, hops, p50_us, p99_us, p999_us and max_us.\n"
        "\n"
        "Exit: 0 every message arrived, in order; 1 some were lost or a role failed\n"
        "or the timeout passed; 2 bad usage; 128+N stopped by signal N.\n");
}

static int
s_number (const char *text, const char *name, uint64_t min, uint64_t max, uint64_t *value)
{
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull (text, &end, 10);
    if (errno || end == text || *end || *text == '-' || parsed < min || parsed > max) {
        fprintf (stderr, "%s: %s takes %" PRIu64 " to %" PRIu64 "\n", S_PROGRAM, name, min, max);
        return -1;
    }
    *value = parsed;
    return 0;
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "messages", required_argument, 0, 'm' },
        { "size", required_argument, 0, 's' },
        { "reply-size", required_argument, 0, 'r' },
        { "batch", required_argument, 0, 'b' },
        { "timeout", required_argument, 0, 't' },
        { "rate", required_argument, 0, 'p' },
        { "curve", no_argument, 0, 'c' },
        { "hops", required_argument, 0, 'H' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    uint64_t messages = 1000000, size = 64, reply_size = UINT64_MAX, batch = 1024, timeout_s = 60,
             pace = 0, hops = 4;
    bool curve = false;
    int opt, rc = 0;
    while (rc == 0 && (opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'm': rc = s_number (optarg, "--messages", 1, 1000000000000, &messages); break;
            case 's': rc = s_number (optarg, "--size", 0, S_SIZE_MAX, &size); break;
            case 'r': rc = s_number (optarg, "--reply-size", 0, S_SIZE_MAX, &reply_size); break;
            case 'b': rc = s_number (optarg, "--batch", 1, S_BATCH_MAX, &batch); break;
            case 't': rc = s_number (optarg, "--timeout", 1, 86400, &timeout_s); break;
            case 'p': rc = s_number (optarg, "--rate", 1, 100000000, &pace); break;
            case 'c': curve = true; break;
            case 'H': rc = s_number (optarg, "--hops", 2, 4, &hops); break;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (rc)
        return 2;
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s' (see --help)\n", S_PROGRAM, argv [optind]);
        return 2;
    }
    if (hops != 2 && hops != 4) {
        fprintf (stderr, "%s: --hops takes 2 or 4\n", S_PROGRAM);
        return 2;
    }
    if (hops == 2 && !pace) {
        fprintf (stderr, "%s: --hops 2 needs --rate (it says where a latency ends)\n", S_PROGRAM);
        return 2;
    }
    if (reply_size == UINT64_MAX)
        reply_size = size;
    if (pace && (size < S_STAMP_SIZE || reply_size < S_STAMP_SIZE)) {
        fprintf (stderr, "%s: --rate needs --size and --reply-size of %zu bytes or more\n",
                 S_PROGRAM, S_STAMP_SIZE);
        return 2;
    }
    s_shared_t *shared = mmap (NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        fprintf (stderr, "%s: cannot map shared memory: %s\n", S_PROGRAM, strerror (errno));
        return 1;
    }
    shared->messages = messages;
    shared->size = (size_t) size;
    shared->reply_size = (size_t) reply_size;
    shared->rate = pace;
    shared->hops = (int) hops;
    shared->batch = (int) batch;
    shared->deadline_ns = s_now_ns () + (int64_t) timeout_s * 1000000000;
    shared->curve = curve;
    if (curve
    &&  (zmq_curve_keypair (shared->server_public, shared->server_secret)
    ||   zmq_curve_keypair (shared->client_public, shared->client_secret))) {
        fprintf (stderr, "%s: --curve: this libzmq cannot make CURVE keys: %s\n", S_PROGRAM,
                 zmq_strerror (zmq_errno ()));
        munmap (shared, sizeof *shared);
        return 2;
    }

    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;    //  no SA_RESTART: waits end at once
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGHUP, &action, NULL);
    signal (SIGPIPE, SIG_IGN);          //  a broker gone early: a write error, not a death

    rc = s_run (shared);
    munmap (shared, sizeof *shared);
    return rc;
}
