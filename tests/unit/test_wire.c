/*  test_wire: slicing a message's length-delimited fields, as the router
    does to journal each report exactly as its plane produced it.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_arena.h"
#include "ep_wire.h"

//  A WorkerMessage of three reports: each slice is the report's own packing.
static void
test_slices_are_the_reports (void **state)
{
    (void) state;
    ep_report_t reports [3];
    ep_report_t *pointers [3];
    char ids [3][8];
    for (int i = 0; i < 3; i++) {
        execplane__v1__execution_report__init (&reports [i]);
        snprintf (ids [i], sizeof ids [i], "i-%d", i);
        reports [i].intent_id = ids [i];
        reports [i].router_seq = 1000 + (uint64_t) i;
        reports [i].filled_qty_e8 = 100000000LL * i;
        pointers [i] = &reports [i];
    }
    ep_worker_msg_t message;
    execplane__v1__worker_message__init (&message);
    message.session = "s";
    message.tick = 1002;
    message.number = 7;
    message.n_reports = 3;
    message.reports = pointers;
    uint8_t packed [512];
    size_t size = execplane__v1__worker_message__pack (&message, packed);
    ep_slice_t slices [4];
    assert_int_equal (ep_wire_fields (packed, size, 4, slices, 4), 3);
    for (int i = 0; i < 3; i++) {
        uint8_t alone [128];
        size_t alone_size = execplane__v1__execution_report__pack (&reports [i], alone);
        assert_int_equal (slices [i].size, alone_size);
        assert_memory_equal (slices [i].data, alone, alone_size);
    }
    //  Only the first `most` are stored; all are counted.
    assert_int_equal (ep_wire_fields (packed, size, 4, slices, 1), 3);
    assert_int_equal (ep_wire_fields (packed, size, 2, slices, 4), 1);   //  session
    assert_int_equal (ep_wire_fields (packed, size, 9, slices, 4), 0);
}

//  Truncated or malformed input is refused, never read past.
static void
test_malformed_is_refused (void **state)
{
    (void) state;
    ep_slice_t slices [4];
    const uint8_t too_long [] = { (4 << 3) | 2, 10, 1, 2, 3 };
    assert_true (ep_wire_fields (too_long, sizeof too_long, 4, slices, 4) == SIZE_MAX);
    const uint8_t cut_varint [] = { (3 << 3) | 0, 0x80 };
    assert_true (ep_wire_fields (cut_varint, sizeof cut_varint, 4, slices, 4) == SIZE_MAX);
    const uint8_t group [] = { (4 << 3) | 3 };
    assert_true (ep_wire_fields (group, sizeof group, 4, slices, 4) == SIZE_MAX);
    const uint8_t cut_fixed [] = { (4 << 3) | 1, 1, 2 };
    assert_true (ep_wire_fields (cut_fixed, sizeof cut_fixed, 4, slices, 4) == SIZE_MAX);
    assert_int_equal (ep_wire_fields (NULL, 0, 4, slices, 4), 0);
}

//  A message decoded into an arena reads as one decoded the usual way, a
//  piece bigger than a chunk gets its own, and a reset keeps the arena
//  usable.
static void
test_arena_decodes (void **state)
{
    (void) state;
    static char big [100 * 1024];
    memset (big, 'r', sizeof big - 1);
    ep_report_t report;
    execplane__v1__execution_report__init (&report);
    report.intent_id = "i-1";
    report.reason = big;
    report.router_seq = 42;
    size_t size = execplane__v1__execution_report__get_packed_size (&report);
    uint8_t *packed = malloc (size);
    assert_non_null (packed);
    execplane__v1__execution_report__pack (&report, packed);
    ep_arena_t arena;
    ep_arena_init (&arena);
    for (int round = 0; round < 3; round++) {
        ep_report_t *decoded = execplane__v1__execution_report__unpack (&arena.allocator,
                                                                         size, packed);
        assert_non_null (decoded);
        assert_string_equal (decoded->intent_id, "i-1");
        assert_string_equal (decoded->reason, big);
        assert_int_equal (decoded->router_seq, 42);
        execplane__v1__execution_report__free_unpacked (decoded, &arena.allocator);
        ep_arena_reset (&arena);
    }
    ep_arena_destroy (&arena);
    free (packed);
}

//  A field head and the bytes after it decode as that field.
static void
test_field_head (void **state)
{
    (void) state;
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char id [300];
    memset (id, 'x', sizeof id - 1);
    id [sizeof id - 1] = 0;
    intent.intent_id = id;                  //  a length of two varint bytes
    intent.strategy_id = "s";
    uint8_t packed [400];
    size_t size = execplane__v1__order_intent__pack (&intent, packed);
    uint8_t message [420];
    size_t at = ep_wire_field_head (message, 1, size);
    assert_int_equal (at, 3);
    memcpy (message + at, packed, size);
    ep_dispatch_t *dispatch = execplane__v1__dispatch__unpack (NULL, at + size, message);
    assert_non_null (dispatch);
    assert_non_null (dispatch->intent);
    assert_string_equal (dispatch->intent->intent_id, id);
    execplane__v1__dispatch__free_unpacked (dispatch, NULL);
}

//  A copy of a fill is whole: its id, figures, fee and fee asset, each
//  the copy's own
static void
test_a_copied_fill_keeps_every_field (void **state)
{
    (void) state;
    char id [] = "c.7", asset [] = "BNB";
    ep_fill_t fill;
    execplane__v1__fill__init (&fill);
    fill.fill_id = id;
    fill.qty_e8 = 30000000;
    fill.price_e8 = 5000000000000;
    fill.fee_e8 = 1500;
    fill.fee_asset = asset;
    ep_fill_t **fills = NULL;
    size_t n_fills = 0;
    assert_int_equal (ep_wire_fills_append (&fills, &n_fills, &fill), 0);
    id [0] = 'x';
    asset [0] = 'x';
    assert_int_equal (n_fills, 1);
    assert_string_equal (fills [0]->fill_id, "c.7");
    assert_int_equal (fills [0]->qty_e8, 30000000);
    assert_int_equal (fills [0]->price_e8, 5000000000000);
    assert_int_equal (fills [0]->fee_e8, 1500);
    assert_string_equal (fills [0]->fee_asset, "BNB");
    ep_wire_fills_free (fills, n_fills);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_slices_are_the_reports),
        cmocka_unit_test (test_malformed_is_refused),
        cmocka_unit_test (test_arena_decodes),
        cmocka_unit_test (test_field_head),
        cmocka_unit_test (test_a_copied_fill_keeps_every_field),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
