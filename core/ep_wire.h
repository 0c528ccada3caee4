/*  ep_wire: short names for the generated protobuf-c types of
    schemas/execplane.proto, and the id syntax every boundary shares.  */
#ifndef EP_WIRE_H_INCLUDED
#define EP_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "execplane.pb-c.h"

typedef Execplane__V1__OrderIntent      ep_intent_t;
typedef Execplane__V1__Fill             ep_fill_t;
typedef Execplane__V1__ExecutionReport  ep_report_t;
typedef Execplane__V1__PlaneCommand     ep_command_t;
typedef Execplane__V1__PlaneState       ep_plane_state_t;
typedef Execplane__V1__Stats            ep_stats_t;
typedef Execplane__V1__Dispatch         ep_dispatch_t;
typedef Execplane__V1__WorkerMessage    ep_worker_msg_t;
typedef Execplane__V1__QueryRequest     ep_query_request_t;
typedef Execplane__V1__QueryReply       ep_query_reply_t;
typedef Execplane__V1__RestoreRequest   ep_restore_request_t;
typedef Execplane__V1__RestingOrder     ep_resting_order_t;
typedef Execplane__V1__RestoreReply     ep_restore_reply_t;

#define EP_SIDE(x)      EXECPLANE__V1__SIDE__##x
#define EP_TYPE(x)      EXECPLANE__V1__ORDER_TYPE__##x
#define EP_TIF(x)       EXECPLANE__V1__TIME_IN_FORCE__##x
#define EP_PLANE(x)     EXECPLANE__V1__PLANE__##x
#define EP_STATUS(x)    EXECPLANE__V1__STATUS__##x
#define EP_FAILURE(x)   EXECPLANE__V1__FAILURE__##x
#define EP_COMMAND(x)   EXECPLANE__V1__COMMAND_KIND__##x
#define EP_ACTION(x)    EXECPLANE__V1__ACTION__##x

//  How many values Status and Failure have (they run from 0, so these
//  size arrays indexed by them; test_json checks them against the schema).
#define EP_STATUS_COUNT  (EP_STATUS (UNKNOWN) + 1)
#define EP_FAILURE_COUNT (EP_FAILURE (TOO_LATE) + 1)

//  Largest quantity or price accepted anywhere: 10^9 units (10^17 e8), so
//  that qty * price always fits in a signed 128-bit product.
#define EP_MAX_E8       100000000000000000LL

//  Longest id (intent_id, strategy_id) and symbol accepted.
#define EP_ID_MAX       64

//  Largest message any receiving socket accepts, in bytes.
#define EP_MAX_MSG      65536

//  Largest reply the router's query socket sends (report batches, a
//  worker's resting orders), in bytes.
#define EP_MAX_REPLY    (64 * 1024 * 1024)

//  True if s is 1..EP_ID_MAX characters of [A-Za-z0-9._:-].
bool ep_id_valid (const char *s);

//  Removes the fields this schema does not know from message and its
//  submessages (protobuf-c keeps them and packs them again, and accepts on
//  input tags it would not accept once re-encoded, such as an overlong
//  field number 0). What the router journals or forwards is re-encoded
//  without them, so it always decodes.
void ep_wire_drop_unknown (ProtobufCMessage *message);

//  Same, for a message decoded with allocator (NULL: the default one).
void ep_wire_drop_unknown_in (ProtobufCMessage *message, ProtobufCAllocator *allocator);

//  Appends a copy of fill to the list *fills of *n_fills (both updated);
//  returns 0, or -1 on out of memory (the list is then unchanged).
int ep_wire_fills_append (ep_fill_t ***fills, size_t *n_fills, const ep_fill_t *fill);

//  Frees a list ep_wire_fills_append built.
void ep_wire_fills_free (ep_fill_t **fills, size_t n_fills);

//  Writes the head of a length-delimited field `number` (1 to 15) of
//  length bytes, the tag and the varint length; returns its size (at most
//  EP_WIRE_HEAD_MAX). The field's bytes follow it.
#define EP_WIRE_HEAD_MAX 11
size_t ep_wire_field_head (uint8_t head [EP_WIRE_HEAD_MAX], uint32_t number, size_t length);

//  Writes a varint field `number` (1 to 15) of value, tag and value;
//  returns its size (at most EP_WIRE_HEAD_MAX).
size_t ep_wire_varint_field (uint8_t field [EP_WIRE_HEAD_MAX], uint32_t number, uint64_t value);

//  Bytes within a buffer.
typedef struct {
    const uint8_t *data;
    size_t size;
} ep_slice_t;

//  The length-delimited occurrences of field `number` at the top level of
//  the protobuf message in data, in order: stores the first `most` in
//  slices and returns how many there are, or SIZE_MAX if data is not a
//  well-formed message.
size_t ep_wire_fields (const uint8_t *data, size_t size, uint32_t number,
                       ep_slice_t *slices, size_t most);

//  Checks the text of the protobuf message in data as descriptor reads it:
//  each string field, in submessages too, must be well-formed UTF-8 with no
//  NUL and, if strict, no control character at all (ep_utf8_text_valid).
//  protobuf-c checks none of this, and cuts a string at its first NUL.
//  Returns 0 if every string holds; the number of the first top-level
//  field that does not (the string, or the submessage holding it), with
//  its name in *name; or -1 if data is not a well-formed message.
int ep_wire_check_text (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data,
                        size_t size, bool strict, const char **name);

//  Topic of a strategy's reports on the outcomes socket: "outcome.<id>".
//  Writes at most size bytes including the terminating NUL.
void ep_outcome_topic (char *buf, size_t size, const char *strategy_id);

//  Topic of a plane's dispatched intents: "exec.paper" or "exec.live";
//  NULL for any other plane.
const char *ep_exec_topic (int plane);

#endif
