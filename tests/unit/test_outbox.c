/*  test_outbox: the router's messages waiting to be sent come out in the
    order they went in, across growth and wrap-around, each once.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_outbox.h"

static uint8_t *
s_payload (unsigned n)
{
    uint8_t *data = malloc (sizeof n);
    memcpy (data, &n, sizeof n);
    return data;
}

static unsigned
s_number (const ep_outbox_item_t *item)
{
    unsigned n;
    memcpy (&n, item->data, sizeof n);
    return n;
}

//  Pushes and pops interleaved so the ring wraps, then grows while
//  wrapped: every message comes out once, in order.
static void
test_messages_leave_in_the_order_they_came (void **state)
{
    (void) state;
    ep_outbox_t outbox = { 0 };
    unsigned pushed = 0, popped = 0;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 200; i++) {
            char topic [32];
            snprintf (topic, sizeof topic, "exec.%u", pushed);
            assert_int_equal (ep_outbox_push (&outbox, topic, s_payload (pushed), sizeof pushed,
                                              pushed + 1), 0);
            pushed++;
        }
        for (int i = 0; i < 150; i++) {
            ep_outbox_item_t *item = ep_outbox_at (&outbox, 0);
            assert_non_null (item);
            assert_int_equal (s_number (item), popped);
            assert_int_equal (item->router_seq, popped + 1);
            char topic [32];
            snprintf (topic, sizeof topic, "exec.%u", popped);
            assert_string_equal (item->topic, topic);
            ep_outbox_pop (&outbox);
            popped++;
        }
        assert_int_equal (ep_outbox_count (&outbox), pushed - popped);
    }
    //  Reading ahead of the oldest, as a batch does, sees the same order.
    for (size_t i = 0; i < ep_outbox_count (&outbox); i++)
        assert_int_equal (s_number (ep_outbox_at (&outbox, i)), popped + i);
    assert_null (ep_outbox_at (&outbox, ep_outbox_count (&outbox)));
    ep_outbox_clear (&outbox);
    assert_int_equal (ep_outbox_count (&outbox), 0);
    assert_null (ep_outbox_at (&outbox, 0));
}

//  A topic longer than the room is cut, never overrun.
static void
test_a_long_topic_is_cut (void **state)
{
    (void) state;
    ep_outbox_t outbox = { 0 };
    char topic [300];
    memset (topic, 'x', sizeof topic - 1);
    topic [sizeof topic - 1] = 0;
    assert_int_equal (ep_outbox_push (&outbox, topic, s_payload (7), 4, 0), 0);
    ep_outbox_item_t *item = ep_outbox_at (&outbox, 0);
    assert_int_equal (strlen (item->topic), sizeof item->topic - 1);
    ep_outbox_clear (&outbox);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_messages_leave_in_the_order_they_came),
        cmocka_unit_test (test_a_long_topic_is_cut),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
