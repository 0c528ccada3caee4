/*  Fuzz: what the router decodes from its peers besides intents: a
    PlaneCommand (control), a WorkerMessage (results), query requests. Each
    that decodes, once rid of unknown fields as the router does, must pack
    and decode again to the same bytes. A command the router reads is
    applied as the router applies it (ep_control_read, ep_control_apply):
    the epoch only rises, and a refused command changes nothing.  */
#include <stdlib.h>
#include <string.h>
#include "ep_router_internal.h"
#include "ep_names.h"
#include "ep_utf8.h"
#include "ep_wire.h"

static void
s_round_trip (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size)
{
    ProtobufCMessage *message = protobuf_c_message_unpack (descriptor, NULL, size, data);
    if (!message)
        return;
    ep_wire_drop_unknown (message);
    size_t packed_size = protobuf_c_message_get_packed_size (message);
    uint8_t *packed = malloc (packed_size + 1);
    protobuf_c_message_pack (message, packed);
    ProtobufCMessage *again = protobuf_c_message_unpack (descriptor, NULL, packed_size, packed);
    if (!again)
        abort ();                       //  what we packed must decode
    uint8_t *repacked = malloc (packed_size + 1);
    if (protobuf_c_message_get_packed_size (again) != packed_size
    ||  protobuf_c_message_pack (again, repacked) != packed_size
    ||  memcmp (packed, repacked, packed_size))
        abort ();
    free (packed);
    free (repacked);
    protobuf_c_message_free_unpacked (again, NULL);
    protobuf_c_message_free_unpacked (message, NULL);
}

//  Applies the command in data to a plane state at epoch 5, as the
//  router does.
static void
s_apply (const uint8_t *data, size_t size)
{
    ep_command_t *command = NULL;
    char outcome [256];
    ep_control_verdict_t verdict = ep_control_read (data, size, &command, outcome,
                                                    sizeof outcome);
    if ((verdict == EP_CONTROL_APPLIED) != (command != NULL) || !ep_control_strerror (verdict))
        abort ();
    if (!command)
        return;
    ep_control_t state = { .plane = EP_PLANE (PAPER), .epoch = 5 };
    ep_control_t before = state;
    verdict = ep_control_apply (&state, command, 42, outcome, sizeof outcome);
    if (verdict == EP_CONTROL_APPLIED) {
        if (state.epoch != command->epoch || state.epoch <= before.epoch
        ||  (state.plane != EP_PLANE (PAPER) && state.plane != EP_PLANE (LIVE))
        ||  !ep_utf8_well_formed (state.issued_by, strlen (state.issued_by))
        ||  !ep_utf8_well_formed (outcome, strlen (outcome)))
            abort ();
    }
    else
    if (memcmp (&state, &before, sizeof state))
        abort ();
    execplane__v1__plane_command__free_unpacked (command, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_apply (data, size);
    ep_command_t *command = execplane__v1__plane_command__unpack (NULL, size, data);
    if (command) {
        ep_command_name (command->kind);
        ep_plane_name (command->plane);
        execplane__v1__plane_command__free_unpacked (command, NULL);
    }
    //  The router slices the reports out of a WorkerMessage: every slice
    //  lies within the message.
    ep_slice_t slices [64];
    size_t found = ep_wire_fields (data, size, 4, slices, 64);
    for (size_t i = 0; found != SIZE_MAX && i < found && i < 64; i++)
        if (slices [i].data < data || slices [i].data + slices [i].size > data + size)
            abort ();
    //  A command the router's text check passes decodes, and every string
    //  in it is text as the check promised (no cut at a NUL either).
    const char *field = NULL;
    int bad = ep_wire_check_text (&execplane__v1__plane_command__descriptor, data, size, true,
                                  &field);
    if (bad > 0 && !field)
        abort ();
    ep_command_t *checked = bad == 0
        ? execplane__v1__plane_command__unpack (NULL, size, data) : NULL;
    if (checked) {
        const char *texts [] = { checked->issued_by, checked->reason, checked->intent_id,
                                 checked->strategy_id, checked->request_id };
        for (size_t i = 0; i < sizeof texts / sizeof texts [0]; i++)
            if (!ep_utf8_text_valid (texts [i], strlen (texts [i])))
                abort ();
        execplane__v1__plane_command__free_unpacked (checked, NULL);
    }
    //  Whatever is cut for display stays text.
    char cut [17];
    ep_utf8_clean (cut, sizeof cut, (const char *) data, size);
    if (!ep_utf8_well_formed (cut, strlen (cut)))
        abort ();
    s_round_trip (&execplane__v1__plane_command__descriptor, data, size);
    s_round_trip (&execplane__v1__worker_message__descriptor, data, size);
    s_round_trip (&execplane__v1__query_request__descriptor, data, size);
    s_round_trip (&execplane__v1__restore_request__descriptor, data, size);
    return 0;
}
