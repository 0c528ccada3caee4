/*  test_vectors: the shared test vectors of tests/vectors/ against the C
    reference. decimal.jsonl: ep_decimal_parse, ep_decimal_format,
    ep_decimal_strerror and the error ep_json_intent_parse gives for a bad
    "qty"; json.jsonl: a message built from its fields and formatted by
    ep_json. The Python client runs the same files
    (tests/process/test_python_vectors.sh); each file's head says its form.

    The folder is EP_VECTORS_DIR (the source tree's), or argv [1].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ep_decimal.h"
#include "ep_json.h"

static const char *s_dir = EP_VECTORS_DIR;

//  ---------------------------------------------------------------------
//  Reading a vector file

//  Calls check on each vector (a JSON object) of file, with its line
//  number; returns how many there were. Comment and blank lines are skipped.
static size_t
s_each_vector (const char *file, void (*check) (json_t *vector, const char *where, void *arg),
               void *arg)
{
    char path [4096];
    snprintf (path, sizeof path, "%s/%s", s_dir, file);
    FILE *handle = fopen (path, "r");
    if (!handle)
        fail_msg ("%s: %s", path, strerror (errno));
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    size_t number = 0, vectors = 0;
    while ((len = getline (&line, &size, handle)) >= 0) {
        number++;
        while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
            line [--len] = '\0';
        if (len == 0 || line [0] == '#')
            continue;
        char where [256];
        snprintf (where, sizeof where, "%s:%zu", file, number);
        json_error_t error;
        json_t *vector = json_loads (line, JSON_REJECT_DUPLICATES, &error);
        if (!vector || !json_is_object (vector))
            fail_msg ("%s: not a JSON object: %s", where, vector ? "" : error.text);
        check (vector, where, arg);
        json_decref (vector);
        vectors++;
    }
    free (line);
    fclose (handle);
    return vectors;
}

//  Fails unless every key of vector is one of the NULL-terminated allowed
static void
s_only_keys (json_t *vector, const char *where, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach (vector, key, value) {
        size_t i = 0;
        while (allowed [i] && strcmp (allowed [i], key))
            i++;
        if (!allowed [i])
            fail_msg ("%s: unknown key \"%s\"", where, key);
    }
}

static const char *
s_string (json_t *vector, const char *key, const char *where)
{
    json_t *value = json_object_get (vector, key);
    if (!json_is_string (value))
        fail_msg ("%s: \"%s\" must be a string", where, key);
    return json_string_value (value);
}

//  ---------------------------------------------------------------------
//  Decimal vectors

static const char *s_error_names [] = {
    [EP_DECIMAL_OK] = "EP_DECIMAL_OK",
    [EP_DECIMAL_EMPTY] = "EP_DECIMAL_EMPTY",
    [EP_DECIMAL_SYNTAX] = "EP_DECIMAL_SYNTAX",
    [EP_DECIMAL_NEGATIVE] = "EP_DECIMAL_NEGATIVE",
    [EP_DECIMAL_TOO_PRECISE] = "EP_DECIMAL_TOO_PRECISE",
    [EP_DECIMAL_OVERFLOW] = "EP_DECIMAL_OVERFLOW",
};
#define S_ERRORS (sizeof s_error_names / sizeof s_error_names [0])

typedef struct {
    size_t results [S_ERRORS];          //  vectors per outcome of ep_decimal_parse
    size_t intents;                     //  vectors checked through ep_json_intent_parse
} s_decimal_counts_t;

//  ep_json_intent_parse of {"qty": value}: fails unless it gives error
//  (NULL: success with qty_e8 == e8).
static void
s_check_intent (json_t *value, const char *error, int64_t e8, const char *where)
{
    json_t *object = json_object ();
    json_object_set (object, "qty", value);
    char *line = json_dumps (object, JSON_COMPACT);
    json_decref (object);
    assert_non_null (line);
    ep_intent_t intent;
    execplane__v1__order_intent__init (&intent);
    char err [512] = "";
    int rc = ep_json_intent_parse (line, &intent, err, sizeof err);
    if (error && rc == 0)
        fail_msg ("%s: %s accepted as an intent, expected: %s", where, line, error);
    if (error && strcmp (err, error))
        fail_msg ("%s: %s\n  got:      %s\n  expected: %s", where, line, err, error);
    if (!error && rc)
        fail_msg ("%s: %s refused as an intent: %s", where, line, err);
    if (!error && intent.qty_e8 != e8)
        fail_msg ("%s: %s gave qty_e8 %" PRId64 ", expected %" PRId64,
                  where, line, intent.qty_e8, e8);
    ep_json_intent_clear (&intent);
    free (line);
}

static void
s_check_decimal (json_t *vector, const char *where, void *arg)
{
    s_decimal_counts_t *counts = arg;
    static const char *const keys [] = {
        "text", "signed", "e8", "formatted", "error", "message", "intent_error", "value", NULL
    };
    s_only_keys (vector, where, keys);
    json_t *value = json_object_get (vector, "value");
    if (value) {
        //  Not a string at all: only the intent's error applies
        if (json_object_size (vector) != 2 || json_is_string (value))
            fail_msg ("%s: \"value\" is a non-string with \"intent_error\" alone", where);
        s_check_intent (value, s_string (vector, "intent_error", where), 0, where);
        counts->intents++;
        return;
    }
    const char *text = s_string (vector, "text", where);
    json_t *is_signed = json_object_get (vector, "signed");
    if (!json_is_boolean (is_signed))
        fail_msg ("%s: \"signed\" must be true or false", where);
    bool allow_negative = json_is_true (is_signed);
    json_t *e8 = json_object_get (vector, "e8");
    bool ok = e8 != NULL;
    if (ok == (json_object_get (vector, "error") != NULL)
    ||  ok != (json_object_get (vector, "formatted") != NULL)
    ||  ok == (json_object_get (vector, "message") != NULL)
    ||  (ok || allow_negative) == (json_object_get (vector, "intent_error") != NULL)
    ||  (ok && !json_is_integer (e8)))
        fail_msg ("%s: a vector has an integer \"e8\" and \"formatted\", or \"error\" "
                  "and \"message\" (and \"intent_error\" when not signed)", where);

    int64_t parsed = 4242;
    ep_decimal_error_t rc = ep_decimal_parse (text, allow_negative, &parsed);
    assert_true ((size_t) rc < S_ERRORS);
    counts->results [rc]++;
    int64_t expected = 0;
    if (ok) {
        expected = (int64_t) json_integer_value (e8);
        if (rc != EP_DECIMAL_OK)
            fail_msg ("%s: \"%s\" gave %s (%s), expected %" PRId64, where, text,
                      s_error_names [rc], ep_decimal_strerror (rc), expected);
        if (parsed != expected)
            fail_msg ("%s: \"%s\" gave %" PRId64 ", expected %" PRId64,
                      where, text, parsed, expected);
        char buf [EP_DECIMAL_BUFSIZE];
        const char *formatted = s_string (vector, "formatted", where);
        if (strcmp (ep_decimal_format (expected, buf), formatted))
            fail_msg ("%s: %" PRId64 " formats as \"%s\", expected \"%s\"",
                      where, expected, buf, formatted);
    }
    else {
        const char *error = s_string (vector, "error", where);
        const char *message = s_string (vector, "message", where);
        if (strcmp (s_error_names [rc], error))
            fail_msg ("%s: \"%s\" gave %s, expected %s", where, text, s_error_names [rc], error);
        if (strcmp (ep_decimal_strerror (rc), message))
            fail_msg ("%s: %s is \"%s\", expected \"%s\"", where, error,
                      ep_decimal_strerror (rc), message);
        //  An error leaves the output alone
        assert_int_equal (parsed, 4242);
    }
    if (!allow_negative) {
        s_check_intent (json_object_get (vector, "text"),
                        ok ? NULL : s_string (vector, "intent_error", where), expected, where);
        counts->intents++;
    }
}

static void
test_vectors_decimal (void **state)
{
    (void) state;
    s_decimal_counts_t counts = { { 0 }, 0 };
    size_t vectors = s_each_vector ("decimal.jsonl", s_check_decimal, &counts);
    //  The file is not empty, and every outcome is in it
    assert_true (vectors >= 100);
    for (size_t rc = 0; rc < S_ERRORS; rc++)
        if (counts.results [rc] == 0)
            fail_msg ("decimal.jsonl: no vector for %s", s_error_names [rc]);
    assert_true (counts.intents >= 50);
    print_message ("decimal.jsonl: %zu vectors, %zu as an intent's qty\n", vectors, counts.intents);
}

//  ---------------------------------------------------------------------
//  JSON vectors: a message built from its fields through its protobuf-c
//  descriptor, so that every field of the vector lands where the
//  generated code keeps it.

static void s_build (const ProtobufCMessageDescriptor *descriptor, json_t *fields,
                     ProtobufCMessage *message, const char *where);

//  An integer field's value: a JSON integer, or a string of digits (a
//  uint64 past what a JSON integer holds here)
static uint64_t
s_integer (json_t *value, const char *name, const char *where)
{
    if (json_is_integer (value))
        return (uint64_t) json_integer_value (value);
    if (json_is_string (value)) {
        const char *text = json_string_value (value);
        char *end;
        errno = 0;
        unsigned long long number = strtoull (text, &end, 10);
        if (*text >= '0' && *text <= '9' && *end == '\0' && errno == 0)
            return number;
    }
    fail_msg ("%s: %s must be an integer or a string of digits", where, name);
    return 0;
}

static ProtobufCMessage *
s_new (const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *message = calloc (1, descriptor->sizeof_message);
    assert_non_null (message);
    protobuf_c_message_init (descriptor, message);
    return message;
}

static void
s_set (const ProtobufCFieldDescriptor *field, json_t *value, ProtobufCMessage *message,
       const char *where)
{
    char *at = (char *) message + field->offset;
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
        if (field->type != PROTOBUF_C_TYPE_MESSAGE || !json_is_array (value))
            fail_msg ("%s: %s: only repeated messages, as an array", where, field->name);
        size_t count = json_array_size (value);
        ProtobufCMessage **items = calloc (count ? count : 1, sizeof *items);
        assert_non_null (items);
        for (size_t i = 0; i < count; i++) {
            items [i] = s_new (field->descriptor);
            s_build (field->descriptor, json_array_get (value, i), items [i], where);
        }
        *(size_t *) ((char *) message + field->quantifier_offset) = count;
        *(ProtobufCMessage ***) at = items;
        return;
    }
    if (field->label != PROTOBUF_C_LABEL_NONE)
        fail_msg ("%s: %s: not a proto3 field", where, field->name);
    uint64_t number;
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            if (!json_is_string (value))
                fail_msg ("%s: %s must be a string", where, field->name);
            //  The vector outlives the message: no copy
            *(const char **) at = json_string_value (value);
            return;
        case PROTOBUF_C_TYPE_BOOL:
            if (!json_is_boolean (value))
                fail_msg ("%s: %s must be true or false", where, field->name);
            *(protobuf_c_boolean *) at = json_is_true (value);
            return;
        case PROTOBUF_C_TYPE_ENUM:
            if (json_is_string (value)) {
                const ProtobufCEnumValue *named = protobuf_c_enum_descriptor_get_value_by_name (
                    field->descriptor, json_string_value (value));
                if (!named)
                    fail_msg ("%s: %s has no value %s", where, field->name, json_string_value (value));
                *(int *) at = named->value;
            }
            else
                *(int *) at = (int) s_integer (value, field->name, where);
            return;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            number = s_integer (value, field->name, where);
            memcpy (at, &number, sizeof number);
            return;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            number = s_integer (value, field->name, where);
            *(uint32_t *) at = (uint32_t) number;
            return;
        default:
            fail_msg ("%s: %s: a field type the vectors do not take", where, field->name);
    }
}

static void
s_build (const ProtobufCMessageDescriptor *descriptor, json_t *fields,
         ProtobufCMessage *message, const char *where)
{
    if (!json_is_object (fields))
        fail_msg ("%s: the fields of a %s must be an object", where, descriptor->short_name);
    const char *key;
    json_t *value;
    json_object_foreach (fields, key, value) {
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name (descriptor, key);
        if (!field)
            fail_msg ("%s: %s has no field %s", where, descriptor->short_name, key);
        s_set (field, value, message, where);
    }
}

//  Frees what s_build allocated: the message and its repeated messages
static void
s_free (ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        if (field->label != PROTOBUF_C_LABEL_REPEATED || field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t count = *(size_t *) ((char *) message + field->quantifier_offset);
        ProtobufCMessage **items = *(ProtobufCMessage ***) ((char *) message + field->offset);
        for (size_t j = 0; j < count; j++)
            s_free (items [j]);
        free (items);
    }
    free (message);
}

//  ep_json_* as one signature
static char *s_intent (const void *m) { return ep_json_intent_format (m); }
static char *s_report (const void *m) { return ep_json_report_format (m); }
static char *s_plane_state (const void *m) { return ep_json_plane_state_format (m); }
static char *s_stats (const void *m) { return ep_json_stats_format (m); }
static char *s_definition (const void *m) { return ep_json_definition_format (m); }

static const struct {
    const ProtobufCMessageDescriptor *descriptor;
    char *(*format) (const void *message);
} s_kinds [] = {
    { &execplane__v1__order_intent__descriptor, s_intent },
    { &execplane__v1__execution_report__descriptor, s_report },
    { &execplane__v1__plane_state__descriptor, s_plane_state },
    { &execplane__v1__stats__descriptor, s_stats },
    { &execplane__v1__plane_definition__descriptor, s_definition },
};
#define S_KINDS (sizeof s_kinds / sizeof s_kinds [0])

static void
s_check_json (json_t *vector, const char *where, void *arg)
{
    size_t *per_kind = arg;
    static const char *const keys [] = { "message", "fields", "json", NULL };
    s_only_keys (vector, where, keys);
    const char *name = s_string (vector, "message", where);
    const char *expected = s_string (vector, "json", where);
    size_t kind = 0;
    while (kind < S_KINDS && strcmp (s_kinds [kind].descriptor->short_name, name))
        kind++;
    if (kind == S_KINDS)
        fail_msg ("%s: no JSON form for a message %s", where, name);
    per_kind [kind]++;
    ProtobufCMessage *message = s_new (s_kinds [kind].descriptor);
    s_build (s_kinds [kind].descriptor, json_object_get (vector, "fields"), message, where);
    char *line = s_kinds [kind].format (message);
    assert_non_null (line);
    if (strcmp (line, expected))
        fail_msg ("%s: %s\n  got:      %s\n  expected: %s", where, name, line, expected);
    //  The expected line is itself one JSON object
    json_t *parsed = json_loads (expected, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object (parsed))
        fail_msg ("%s: the expected line is not a JSON object", where);
    json_decref (parsed);
    free (line);
    s_free (message);
}

static void
test_vectors_json (void **state)
{
    (void) state;
    size_t per_kind [S_KINDS] = { 0 };
    size_t vectors = s_each_vector ("json.jsonl", s_check_json, per_kind);
    for (size_t kind = 0; kind < S_KINDS; kind++)
        if (per_kind [kind] == 0)
            fail_msg ("json.jsonl: no vector for a %s", s_kinds [kind].descriptor->short_name);
    print_message ("json.jsonl: %zu vectors\n", vectors);
}

//  Each JSON form has every field of its message, in .proto order, under
//  the .proto name (an *_e8 field's without the suffix): what lets the
//  Python client derive the same form from the descriptor alone, and what
//  a field added to the .proto but not to lib/ep_json.c's tables breaks.
static void
test_vectors_json_forms_have_every_field (void **state)
{
    (void) state;
    for (size_t kind = 0; kind < S_KINDS; kind++) {
        const ProtobufCMessageDescriptor *descriptor = s_kinds [kind].descriptor;
        ProtobufCMessage *message = s_new (descriptor);
        char *line = s_kinds [kind].format (message);
        assert_non_null (line);
        json_t *object = json_loads (line, JSON_REJECT_DUPLICATES, NULL);
        assert_true (json_is_object (object));
        //  descriptor->fields is by number: the .proto's order here
        const char *names [64];
        assert_true (descriptor->n_fields <= 64);
        for (unsigned i = 0; i < descriptor->n_fields; i++)
            names [i] = descriptor->fields [i].name;
        void *iter = json_object_iter (object);
        size_t keys = 0;
        for (; iter; iter = json_object_iter_next (object, iter), keys++) {
            const char *key = json_object_iter_key (iter);
            if (keys >= descriptor->n_fields)
                fail_msg ("%s: key %s is no field", descriptor->short_name, key);
            char expected [128];
            snprintf (expected, sizeof expected, "%s", names [keys]);
            size_t len = strlen (expected);
            if (len > 3 && strcmp (expected + len - 3, "_e8") == 0)
                expected [len - 3] = '\0';
            if (strcmp (key, expected))
                fail_msg ("%s: key %zu is %s, expected %s (%s)", descriptor->short_name,
                          keys, key, expected, line);
        }
        if (keys != descriptor->n_fields)
            fail_msg ("%s: %zu keys for %u fields: %s", descriptor->short_name, keys,
                      descriptor->n_fields, line);
        json_decref (object);
        free (line);
        s_free (message);
    }
}

int
main (int argc, char *argv [])
{
    if (argc > 1)
        s_dir = argv [1];
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_vectors_decimal),
        cmocka_unit_test (test_vectors_json),
        cmocka_unit_test (test_vectors_json_forms_have_every_field),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
