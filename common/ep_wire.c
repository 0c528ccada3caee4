/*  ep_wire: id syntax and topic names shared by every boundary.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_wire.h"

bool
ep_id_valid (const char *s)
{
    if (!s)
        return false;
    size_t len = 0;
    for (const char *p = s; *p; p++, len++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
               || (c >= '0' && c <= '9') || c == '.' || c == '_'
               || c == ':' || c == '-';
        if (!ok || len >= EP_ID_MAX)
            return false;
    }
    return len > 0;
}

void
ep_outcome_topic (char *buf, size_t size, const char *strategy_id)
{
    snprintf (buf, size, "outcome.%s", strategy_id ? strategy_id : "");
}

const char *
ep_exec_topic (int plane)
{
    switch (plane) {
        case EP_PLANE (PAPER): return "exec.paper";
        case EP_PLANE (LIVE):  return "exec.live";
        default:               return NULL;
    }
}

void
ep_wire_drop_unknown (ProtobufCMessage *message)
{
    if (!message)
        return;
    for (unsigned i = 0; i < message->n_unknown_fields; i++)
        free (message->unknown_fields [i].data);
    //  The array itself goes with the message (free_unpacked frees it).
    message->n_unknown_fields = 0;
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned f = 0; f < descriptor->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [f];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *member = (char *) message + field->offset;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(size_t *) ((char *) message + field->quantifier_offset);
            ProtobufCMessage **items = *(ProtobufCMessage ***) member;
            for (size_t n = 0; n < count; n++)
                ep_wire_drop_unknown (items [n]);
        }
        else
            ep_wire_drop_unknown (*(ProtobufCMessage **) member);
    }
}
