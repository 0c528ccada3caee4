/*  test_push: ep_push, a PUSH per router of a list.

    - A router lost without a TCP reset (a machine frozen: the process is
      stopped, its connection stays up): once ep_push_renew lets go of it,
      nothing sent reaches it, everything goes to the router that is
      there, and the lost one is not sent to again while it cannot answer
      a handshake. Router A is a child process that is stopped; B is in
      this process.
    - What is sent goes only to routers whose connection is up, in turn,
      and the position returned is the router that received it.
    - Sent to one router alone (ep_push_only): nothing goes to the other,
      until that one is let go of, also while a send waits (the waker,
      ep_push_wake_on, tells that the router is lost).
    - No router answering: with one router what is sent is queued for it;
      with several, a send that may not wait fails with EAGAIN at once, one
      that may waits its send timeout and then fails with EAGAIN.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <czmq.h>
#include "ep_push.h"
#include "ep_sock.h"

#define S_BOUND_MS 10000                //  every wait here ends by then

static pid_t s_child;                   //  router A, while it runs

//  Router A ends with its test, whichever way the test ends.
static int
s_end_child (void **state)
{
    (void) state;
    if (s_child > 0) {
        kill (s_child, SIGKILL);
        waitpid (s_child, NULL, 0);
        s_child = 0;
    }
    return 0;
}

//  The endpoint socket bound, into endpoint.
static void
s_endpoint (zsock_t *socket, char *endpoint, size_t size)
{
    char *last = zsock_last_endpoint (socket);
    assert_non_null (last);
    snprintf (endpoint, size, "%s", last);
    zstr_free (&last);
}

//  A router A, in a child process: a PULL on a port of its own, whose
//  endpoint it writes to fd, then reads until it is killed.
static void
s_child_router (int fd)
{
    zsock_t *pull = zsock_new_pull ("tcp://127.0.0.1:*");
    if (!pull)
        _exit (1);
    char *endpoint = zsock_last_endpoint (pull);
    if (!endpoint || write (fd, endpoint, strlen (endpoint) + 1) < 0)
        _exit (1);
    zstr_free (&endpoint);
    close (fd);
    while (true) {
        char *message = zstr_recv (pull);
        if (!message)
            _exit (0);
        zstr_free (&message);
    }
}

//  A router that is there but never answers: a TCP port that listens (the
//  kernel completes the connection) and never speaks ZMTP. Returns its
//  socket, its endpoint in endpoint.
static int
s_silent_router (char *endpoint, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (listen (fd, 16), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &address, &length), 0);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", ntohs (address.sin_port));
    return fd;
}

//  A router there, a PULL in this process, with its endpoint in endpoint.
static zsock_t *
s_router (char *endpoint, size_t size)
{
    zsock_t *router = zsock_new_pull ("tcp://127.0.0.1:*");
    assert_non_null (router);
    zsock_set_rcvtimeo (router, S_BOUND_MS);
    s_endpoint (router, endpoint, size);
    return router;
}

//  Two routers there, and the list naming them, then extra if not NULL.
static void
s_two_routers (zsock_t **a, zsock_t **b, const char *extra, char *list, size_t size)
{
    char endpoint_a [256], endpoint_b [256];
    *a = s_router (endpoint_a, sizeof endpoint_a);
    *b = s_router (endpoint_b, sizeof endpoint_b);
    snprintf (list, size, "%s,%s%s%s", endpoint_a, endpoint_b, extra ? "," : "",
              extra ? extra : "");
}

//  A push to the routers of list, whose sends wait up to S_BOUND_MS.
static ep_push_t *
s_push (const char *list)
{
    char err [256];
    ep_push_t *push = ep_push_new (list, 0, err, sizeof err);
    assert_non_null (push);
    ep_push_set_sndtimeo (push, S_BOUND_MS);
    return push;
}

//  Sends the number n (text) on push; returns the router it went to.
static int
s_send_number (ep_push_t *push, int n, int flags)
{
    char text [16];
    snprintf (text, sizeof text, "%d", n);
    return ep_push_send (push, NULL, text, strlen (text), flags);
}

static void
test_a_frozen_router_let_go_of_is_sent_nothing (void **state)
{
    (void) state;
    //  Forked before this process makes a ZeroMQ context.
    int fds [2];
    assert_int_equal (pipe (fds), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        close (fds [0]);
        s_child_router (fds [1]);
    }
    s_child = child;
    close (fds [1]);
    char endpoint_a [256] = "";
    ssize_t got = read (fds [0], endpoint_a, sizeof endpoint_a - 1);
    close (fds [0]);
    assert_true (got > 0);

    char endpoint_b [256], list [600];
    zsock_t *b = s_router (endpoint_b, sizeof endpoint_b);
    snprintf (list, sizeof list, "%s,%s", endpoint_a, endpoint_b);
    ep_push_t *push = s_push (list);

    //  Both routers connected: each took a message. B is read as it goes:
    //  until A's process has connected, every message goes to B, which
    //  must not be full when A is let go of.
    int n = 0, to_b = 0;
    bool seen [2] = { false, false };
    int64_t deadline = ep_sock_clock_ms () + S_BOUND_MS;
    while (!(seen [0] && seen [1]) && ep_sock_clock_ms () < deadline) {
        int position = s_send_number (push, ++n, 0);
        assert_in_range (position, 0, 1);
        seen [position] = true;
        if (position == 1) {
            char *message = zstr_recv (b);
            assert_non_null (message);
            assert_int_equal (atoi (message), n);
            zstr_free (&message);
        }
    }
    assert_true (seen [0] && seen [1]);

    //  A's machine is lost: no reset, no answer. Some more go to A.
    assert_int_equal (kill (child, SIGSTOP), 0);
    for (int i = 0; i < 10; i++)
        to_b += s_send_number (push, ++n, ZMQ_DONTWAIT) == 1;

    //  Let go of A: from now on everything goes to B, none to A.
    assert_int_equal (ep_push_renew (push, 1u << 0), 0);
    int let_go = n;
    for (int i = 0; i < 200; i++) {
        assert_int_equal (s_send_number (push, ++n, ZMQ_DONTWAIT), 1);
        to_b++;
    }
    //  B received exactly what was sent to it, the last 200 among them.
    int after = 0;
    for (int i = 0; i < to_b; i++) {
        char *message = zstr_recv (b);
        assert_non_null (message);
        after += atoi (message) > let_go;
        zstr_free (&message);
    }
    assert_int_equal (after, 200);

    ep_push_destroy (&push);
    assert_null (push);
    zsock_destroy (&b);
}

static void
test_sends_only_to_routers_connected_in_turn (void **state)
{
    (void) state;
    //  A third router that is there and never answers.
    char silent [64];
    int silent_fd = s_silent_router (silent, sizeof silent);
    zsock_t *a, *b;
    char list [800];
    s_two_routers (&a, &b, silent, list, sizeof list);
    ep_push_t *push = s_push (list);
    int count [3] = { 0, 0, 0 };
    for (int n = 1; n <= 100; n++) {
        int position = ep_push_send (push, "head", &n, sizeof n, 0);
        assert_in_range (position, 0, 1);
        count [position]++;
        zsock_t *router = position == 0 ? a : b;
        //  The router the position names received it, head and data.
        char *head = NULL;
        zframe_t *data = NULL;
        assert_int_equal (zsock_recv (router, "sf", &head, &data), 0);
        assert_string_equal (head, "head");
        assert_int_equal (zframe_size (data), sizeof n);
        assert_memory_equal (zframe_data (data), &n, sizeof n);
        zstr_free (&head);
        zframe_destroy (&data);
    }
    assert_int_equal (count [2], 0);
    //  In turn, once both are connected: the first may all go to the one
    //  that connected first, but not most of them.
    assert_true (count [0] > 0 && count [1] > 0);
    ep_push_set_linger (push, 0);
    ep_push_destroy (&push);
    zsock_destroy (&a);
    zsock_destroy (&b);
    close (silent_fd);
}

static void
test_only_one_router_until_it_is_let_go_of (void **state)
{
    (void) state;
    zsock_t *a, *b;
    char list [600];
    s_two_routers (&a, &b, NULL, list, sizeof list);
    ep_push_t *push = s_push (list);
    //  Both connected: each took one.
    bool seen [2] = { false, false };
    int64_t deadline = ep_sock_clock_ms () + S_BOUND_MS;
    while (!(seen [0] && seen [1]) && ep_sock_clock_ms () < deadline) {
        int position = s_send_number (push, 0, 0);
        assert_in_range (position, 0, 1);
        seen [position] = true;
        char *message = zstr_recv (position == 0 ? a : b);
        assert_non_null (message);
        zstr_free (&message);
    }
    assert_true (seen [0] && seen [1]);
    //  B alone: all of it to B, though A is there.
    ep_push_only (push, 1);
    for (int n = 1; n <= 50; n++) {
        assert_int_equal (s_send_number (push, n, 0), 1);
        char *message = zstr_recv (b);
        assert_non_null (message);
        assert_int_equal (atoi (message), n);
        zstr_free (&message);
    }
    //  B let go of: the limit goes with it, and A takes what is sent.
    ep_push_renew (push, 1u << 1);
    zsock_destroy (&b);
    assert_int_equal (s_send_number (push, 51, ZMQ_DONTWAIT), 0);
    char *message = zstr_recv (a);
    assert_non_null (message);
    assert_string_equal (message, "51");
    zstr_free (&message);
    ep_push_set_linger (push, 0);
    ep_push_destroy (&push);
    zsock_destroy (&a);
}

//  The waker's callback: lets go of router A, as a worker does when its
//  dispatches' connection to A drops.
typedef struct {
    ep_push_t *push;
    zsock_t *waker;
    int woken;
} s_waker_t;

static void
s_woke (void *arg)
{
    s_waker_t *waker = arg;
    waker->woken++;
    char *news = zstr_recv (waker->waker);
    zstr_free (&news);
    ep_push_renew (waker->push, 1u << 0);
}

static void
test_a_send_limited_to_a_router_lost_goes_to_the_other (void **state)
{
    (void) state;
    //  A is there and never answers (lost); B is there.
    char silent [64];
    int silent_fd = s_silent_router (silent, sizeof silent);
    char endpoint_b [256], list [600];
    zsock_t *b = s_router (endpoint_b, sizeof endpoint_b);
    snprintf (list, sizeof list, "%s,%s", silent, endpoint_b);
    ep_push_t *push = s_push (list);
    ep_push_set_linger (push, 0);
    //  Sent to A alone: nothing goes, and B takes nothing.
    ep_push_only (push, 0);
    ep_push_set_sndtimeo (push, 200);
    assert_int_equal (s_send_number (push, 1, 0), -1);
    assert_int_equal (zmq_errno (), EAGAIN);
    //  The news that A is lost comes while a send waits: it goes to B.
    zsock_t *tell = zsock_new_pair ("@inproc://test-push-waker");
    s_waker_t waker = { push, zsock_new_pair (">inproc://test-push-waker"), 0 };
    assert_true (tell && waker.waker);
    ep_push_wake_on (push, waker.waker, s_woke, &waker);
    assert_int_equal (zstr_send (tell, "A dropped"), 0);
    ep_push_set_sndtimeo (push, S_BOUND_MS);
    assert_int_equal (s_send_number (push, 2, 0), 1);
    assert_int_equal (waker.woken, 1);
    char *message = zstr_recv (b);
    assert_non_null (message);
    assert_string_equal (message, "2");
    zstr_free (&message);
    ep_push_destroy (&push);
    zsock_destroy (&waker.waker);
    zsock_destroy (&tell);
    zsock_destroy (&b);
    close (silent_fd);
}

static void
test_no_router_answering_is_eagain_within_the_timeout (void **state)
{
    (void) state;
    //  Routers that are there and never answer.
    char one [64], other [64], two [160];
    int fd_1 = s_silent_router (one, sizeof one);
    int fd_2 = s_silent_router (other, sizeof other);
    snprintf (two, sizeof two, "%s,%s", one, other);
    char err [256];
    //  One router: what is sent waits for it, queued, as a lone PUSH's.
    ep_push_t *push = ep_push_new (one, 0, err, sizeof err);
    assert_non_null (push);
    ep_push_set_linger (push, 0);
    assert_int_equal (ep_push_send (push, NULL, "x", 1, ZMQ_DONTWAIT), 0);
    ep_push_destroy (&push);
    //  Several: only a router that answered takes anything.
    push = ep_push_new (two, 0, err, sizeof err);
    assert_non_null (push);
    ep_push_set_linger (push, 0);
    assert_int_equal (ep_push_send (push, NULL, "x", 1, ZMQ_DONTWAIT), -1);
    assert_int_equal (zmq_errno (), EAGAIN);
    ep_push_set_sndtimeo (push, 200);
    assert_int_equal (ep_push_sndtimeo (push), 200);
    int64_t start = ep_sock_clock_ms ();
    assert_int_equal (ep_push_send (push, "head", "x", 1, 0), -1);
    assert_int_equal (zmq_errno (), EAGAIN);
    int64_t waited = ep_sock_clock_ms () - start;
    assert_in_range (waited, 190, S_BOUND_MS);
    ep_push_destroy (&push);
    close (fd_1);
    close (fd_2);
}

static void
test_a_bad_list_is_refused (void **state)
{
    (void) state;
    char err [256] = "";
    assert_null (ep_push_new ("tcp://127.0.0.1:1,,tcp://127.0.0.1:2", 0, err, sizeof err));
    assert_true (strlen (err) > 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        //  First: it forks before this process makes a ZeroMQ context.
        cmocka_unit_test_teardown (test_a_frozen_router_let_go_of_is_sent_nothing, s_end_child),
        cmocka_unit_test (test_sends_only_to_routers_connected_in_turn),
        cmocka_unit_test (test_only_one_router_until_it_is_let_go_of),
        cmocka_unit_test (test_a_send_limited_to_a_router_lost_goes_to_the_other),
        cmocka_unit_test (test_no_router_answering_is_eagain_within_the_timeout),
        cmocka_unit_test (test_a_bad_list_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
