/*  ep_wire: id syntax and topic names shared by every boundary.  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_wire.h"
#include "ep_utf8.h"

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
ep_wire_drop_unknown_in (ProtobufCMessage *message, ProtobufCAllocator *allocator)
{
    if (!message)
        return;
    for (unsigned i = 0; i < message->n_unknown_fields; i++)
        if (allocator)
            allocator->free (allocator->allocator_data, message->unknown_fields [i].data);
        else
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
                ep_wire_drop_unknown_in (items [n], allocator);
        }
        else
            ep_wire_drop_unknown_in (*(ProtobufCMessage **) member, allocator);
    }
}

void
ep_wire_drop_unknown (ProtobufCMessage *message)
{
    ep_wire_drop_unknown_in (message, NULL);
}

int
ep_wire_fills_append (ep_fill_t ***fills, size_t *n_fills, const ep_fill_t *fill)
{
    ep_fill_t **grown = realloc (*fills, (*n_fills + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *fills = grown;
    ep_fill_t *copy = malloc (sizeof *copy);
    char *fill_id = strdup (fill->fill_id ? fill->fill_id : "");
    char *fee_asset = strdup (fill->fee_asset ? fill->fee_asset : "");
    if (!copy || !fill_id || !fee_asset) {
        free (copy);
        free (fill_id);
        free (fee_asset);
        return -1;
    }
    execplane__v1__fill__init (copy);
    copy->fill_id = fill_id;
    copy->qty_e8 = fill->qty_e8;
    copy->price_e8 = fill->price_e8;
    copy->fee_e8 = fill->fee_e8;
    copy->fee_asset = fee_asset;
    copy->trade_time_ms = fill->trade_time_ms;
    grown [(*n_fills)++] = copy;
    return 0;
}

void
ep_wire_fills_free (ep_fill_t **fills, size_t n_fills)
{
    for (size_t i = 0; i < n_fills; i++) {
        free (fills [i]->fill_id);
        free (fills [i]->fee_asset);
        free (fills [i]);
    }
    free (fills);
}

//  Writes a tag of number and wire type, then value as a varint.
static size_t
s_tag_varint (uint8_t out [EP_WIRE_HEAD_MAX], uint32_t number, unsigned type, uint64_t value)
{
    size_t size = 0;
    out [size++] = (uint8_t) ((number << 3) | type);
    for (uint64_t rest = value; ; rest >>= 7) {
        out [size++] = (uint8_t) ((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
        if (rest <= 0x7f)
            return size;
    }
}

size_t
ep_wire_field_head (uint8_t head [EP_WIRE_HEAD_MAX], uint32_t number, size_t length)
{
    return s_tag_varint (head, number, 2, length);
}

size_t
ep_wire_varint_field (uint8_t field [EP_WIRE_HEAD_MAX], uint32_t number, uint64_t value)
{
    return s_tag_varint (field, number, 0, value);
}

//  Reads a varint at *at (before end); returns -1 if there is none.
static int
s_varint (const uint8_t **at, const uint8_t *end, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 64 && *at < end; shift += 7) {
        uint8_t byte = *(*at)++;
        *value |= (uint64_t) (byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return 0;
    }
    return -1;
}

size_t
ep_wire_fields (const uint8_t *data, size_t size, uint32_t number,
                ep_slice_t *slices, size_t most)
{
    const uint8_t *at = data, *end = data + size;
    size_t found = 0;
    while (at < end) {
        uint64_t key, length;
        if (s_varint (&at, end, &key))
            return SIZE_MAX;
        switch (key & 7) {
            case 0:                     //  varint
                if (s_varint (&at, end, &length))
                    return SIZE_MAX;
                break;
            case 1:                     //  64-bit
                if (end - at < 8)
                    return SIZE_MAX;
                at += 8;
                break;
            case 2:                     //  length-delimited
                if (s_varint (&at, end, &length) || length > (uint64_t) (end - at))
                    return SIZE_MAX;
                if (key >> 3 == number) {
                    if (found < most)
                        slices [found] = (ep_slice_t) { at, (size_t) length };
                    found++;
                }
                at += length;
                break;
            case 5:                     //  32-bit
                if (end - at < 4)
                    return SIZE_MAX;
                at += 4;
                break;
            default:
                return SIZE_MAX;
        }
    }
    return found;
}

static int
s_check_text (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size,
              bool strict, const char **name, int depth)
{
    const uint8_t *at = data, *end = data + size;
    while (at < end) {
        uint64_t key, length;
        if (s_varint (&at, end, &key))
            return -1;
        switch (key & 7) {
            case 0:
                if (s_varint (&at, end, &length))
                    return -1;
                break;
            case 1:
                if (end - at < 8)
                    return -1;
                at += 8;
                break;
            case 2: {
                if (s_varint (&at, end, &length) || length > (uint64_t) (end - at))
                    return -1;
                uint64_t number = key >> 3;
                const ProtobufCFieldDescriptor *field = number <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field (descriptor, (unsigned) number)
                    : NULL;
                bool ok = true;
                if (field && field->type == PROTOBUF_C_TYPE_STRING)
                    ok = strict ? ep_utf8_text_valid ((const char *) at, (size_t) length)
                            : ep_utf8_well_formed ((const char *) at, (size_t) length);
                else
                if (field && field->type == PROTOBUF_C_TYPE_MESSAGE && depth < 8) {
                    const char *inner = NULL;
                    ok = s_check_text (field->descriptor, at, (size_t) length, strict, &inner,
                                       depth + 1) == 0;
                }
                if (!ok) {
                    if (name)
                        *name = field->name;
                    return (int) number;
                }
                at += length;
                break;
            }
            case 5:
                if (end - at < 4)
                    return -1;
                at += 4;
                break;
            default:
                return -1;
        }
    }
    return 0;
}

int
ep_wire_check_text (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                    size_t size, bool strict, const char **name)
{
    return s_check_text (descriptor, data, size, strict, name, 0);
}
