/*  ep_json: the contract's JSON-lines form, on jansson and ep_decimal.

    Decimals travel as JSON strings and go through ep_decimal both ways, so
    no value ever passes through a double. Output objects always carry
    every field, in .proto order, so a monitor can rely on the keys.  */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ep_decimal.h"
#include "ep_json.h"
#include "ep_names.h"

static bool
s_streq (const char *a, const char *b)
{
    return strcmp (a, b) == 0;
}

//  How much of an offending value an error message quotes
#define S_QUOTE_MAX 40

//  How a message field is written in JSON, and read back.
typedef enum {
    S_STRING,                           //  char *: a JSON string
    S_ENUM,                             //  an enum: its name (a number if unknown)
    S_DECIMAL,                          //  int64_t *_e8: an exact decimal string
    S_INT,                              //  int64_t: a JSON integer
    S_UINT,                             //  uint64_t: a JSON integer (digits beyond int64)
    S_UINT32,                           //  uint32_t: a JSON integer
    S_BOOL,                             //  protobuf_c_boolean: true or false
    S_FILLS                             //  a report's fills: an array of objects
} s_kind_t;

//  One field of a message in its JSON form: the tables below give each
//  message's keys once, in .proto order, for both directions.
typedef struct {
    const char *key;                    //  the JSON key
    s_kind_t kind;                      //  how it is written
    size_t offset;                      //  where the field is in the message
    const char *(*name) (int);          //  S_ENUM: a value's name, NULL if unknown
    int (*parse) (const char *);        //  S_ENUM: a name's value, < 0 if unknown
    const char *expected;               //  S_ENUM: the names an input may use
} s_field_t;

//  The size a field of each kind has: the tables are checked against the
//  generated structs when this file compiles (a negative array size).
#define S_SIZE(kind) ((kind) == S_STRING || (kind) == S_FILLS ? sizeof (void *) \
                    : (kind) == S_DECIMAL || (kind) == S_INT || (kind) == S_UINT ? 8 \
                    : (kind) == S_BOOL ? sizeof (protobuf_c_boolean) : 4)
#define S_OFFSET(type, member, kind) (offsetof (type, member) \
    + 0 * sizeof (char [sizeof (((type *) 0)->member) == S_SIZE (kind) ? 1 : -1]))
#define S_FIELD(type, key, kind, member) { key, kind, S_OFFSET (type, member, kind), NULL, NULL, NULL }
#define S_ENUM_FIELD(type, key, member, names, expected) \
    { key, S_ENUM, S_OFFSET (type, member, S_ENUM), ep_##names##_name, ep_##names##_parse, expected }
#define S_COUNT(table) (sizeof (table) / sizeof (table) [0])

static const s_field_t s_intent_fields [] = {
    S_FIELD (ep_intent_t, "intent_id", S_STRING, intent_id),
    S_FIELD (ep_intent_t, "strategy_id", S_STRING, strategy_id),
    S_FIELD (ep_intent_t, "symbol", S_STRING, symbol),
    S_ENUM_FIELD (ep_intent_t, "side", side, side, "BUY or SELL"),
    S_ENUM_FIELD (ep_intent_t, "type", type, type, "MARKET or LIMIT"),
    S_ENUM_FIELD (ep_intent_t, "tif", tif, tif, "GTC, IOC or FOK"),
    S_FIELD (ep_intent_t, "qty", S_DECIMAL, qty_e8),
    S_FIELD (ep_intent_t, "limit_price", S_DECIMAL, limit_price_e8),
    S_FIELD (ep_intent_t, "ref_price", S_DECIMAL, ref_price_e8),
    S_FIELD (ep_intent_t, "decided_at", S_INT, decided_at),
    S_FIELD (ep_intent_t, "safety", S_BOOL, safety),
    S_ENUM_FIELD (ep_intent_t, "action", action, action, "PLACE, CANCEL or REPLACE"),
    S_FIELD (ep_intent_t, "target_intent_id", S_STRING, target_intent_id),
};

static const s_field_t s_fill_fields [] = {
    S_FIELD (ep_fill_t, "fill_id", S_STRING, fill_id),
    S_FIELD (ep_fill_t, "qty", S_DECIMAL, qty_e8),
    S_FIELD (ep_fill_t, "price", S_DECIMAL, price_e8),
    S_FIELD (ep_fill_t, "fee", S_DECIMAL, fee_e8),
    S_FIELD (ep_fill_t, "fee_asset", S_STRING, fee_asset),
    S_FIELD (ep_fill_t, "trade_time_ms", S_INT, trade_time_ms),
};

static const s_field_t s_report_fields [] = {
    S_FIELD (ep_report_t, "seq", S_UINT, seq),
    S_FIELD (ep_report_t, "intent_id", S_STRING, intent_id),
    S_FIELD (ep_report_t, "strategy_id", S_STRING, strategy_id),
    S_FIELD (ep_report_t, "symbol", S_STRING, symbol),
    S_ENUM_FIELD (ep_report_t, "side", side, side, NULL),
    S_ENUM_FIELD (ep_report_t, "plane", plane, plane, NULL),
    S_FIELD (ep_report_t, "plane_epoch", S_UINT, plane_epoch),
    S_ENUM_FIELD (ep_report_t, "status", status, status, NULL),
    S_ENUM_FIELD (ep_report_t, "failure", failure, failure, NULL),
    S_FIELD (ep_report_t, "reason", S_STRING, reason),
    S_FIELD (ep_report_t, "fills", S_FILLS, fills),
    S_FIELD (ep_report_t, "filled_qty", S_DECIMAL, filled_qty_e8),
    S_FIELD (ep_report_t, "avg_price", S_DECIMAL, avg_price_e8),
    S_FIELD (ep_report_t, "terminal", S_BOOL, terminal),
    S_FIELD (ep_report_t, "venue_order_id", S_STRING, venue_order_id),
    S_FIELD (ep_report_t, "logical_ts", S_UINT, logical_ts),
    S_FIELD (ep_report_t, "router_seq", S_UINT, router_seq),
    S_FIELD (ep_report_t, "safety", S_BOOL, safety),
    S_FIELD (ep_report_t, "reconciled", S_BOOL, reconciled),
    S_FIELD (ep_report_t, "first_fill", S_UINT32, first_fill),
    S_FIELD (ep_report_t, "sender_key", S_STRING, sender_key),
    S_FIELD (ep_report_t, "target_intent_id", S_STRING, target_intent_id),
    S_FIELD (ep_report_t, "net_filled_qty", S_DECIMAL, net_filled_qty_e8),
    S_FIELD (ep_report_t, "plane_definition", S_STRING, plane_definition),
    S_FIELD (ep_report_t, "intake_us", S_INT, intake_us),
    S_FIELD (ep_report_t, "journaled_us", S_INT, journaled_us),
    S_FIELD (ep_report_t, "venue_time_ms", S_INT, venue_time_ms),
};

static const s_field_t s_plane_state_fields [] = {
    S_ENUM_FIELD (ep_plane_state_t, "plane", plane, plane, NULL),
    S_FIELD (ep_plane_state_t, "epoch", S_UINT, epoch),
    S_FIELD (ep_plane_state_t, "halted", S_BOOL, halted),
    S_FIELD (ep_plane_state_t, "issued_by", S_STRING, issued_by),
    S_FIELD (ep_plane_state_t, "reason", S_STRING, reason),
    S_FIELD (ep_plane_state_t, "changed_at_seq", S_UINT, changed_at_seq),
    S_FIELD (ep_plane_state_t, "paper_alive", S_BOOL, paper_alive),
    S_FIELD (ep_plane_state_t, "live_alive", S_BOOL, live_alive),
    S_FIELD (ep_plane_state_t, "last_seq", S_UINT, last_seq),
    S_FIELD (ep_plane_state_t, "last_command_epoch", S_UINT, last_command_epoch),
    S_FIELD (ep_plane_state_t, "last_command_issued_by", S_STRING, last_command_issued_by),
    S_FIELD (ep_plane_state_t, "last_command_applied", S_BOOL, last_command_applied),
    S_FIELD (ep_plane_state_t, "last_command_outcome", S_STRING, last_command_outcome),
    S_FIELD (ep_plane_state_t, "orphans_found", S_UINT, orphans_found),
    S_FIELD (ep_plane_state_t, "last_orphan", S_STRING, last_orphan),
    S_FIELD (ep_plane_state_t, "paper_definition", S_STRING, paper_definition),
    S_FIELD (ep_plane_state_t, "live_definition", S_STRING, live_definition),
    S_FIELD (ep_plane_state_t, "paper_definition_problem", S_STRING, paper_definition_problem),
    S_FIELD (ep_plane_state_t, "live_definition_problem", S_STRING, live_definition_problem),
};

static const s_field_t s_definition_fields [] = {
    S_FIELD (ep_json_definition_t, "id", S_STRING, id),
    S_ENUM_FIELD (ep_json_definition_t, "plane", plane, plane, NULL),
    S_FIELD (ep_json_definition_t, "text", S_STRING, text),
    S_FIELD (ep_json_definition_t, "description", S_STRING, description),
    S_FIELD (ep_json_definition_t, "seen_at_seq", S_UINT, seen_at_seq),
    S_FIELD (ep_json_definition_t, "approved", S_BOOL, approved),
    S_FIELD (ep_json_definition_t, "revoked", S_BOOL, revoked),
    S_FIELD (ep_json_definition_t, "decided_by", S_STRING, decided_by),
    S_FIELD (ep_json_definition_t, "decision_reason", S_STRING, decision_reason),
    S_FIELD (ep_json_definition_t, "decided_at_seq", S_UINT, decided_at_seq),
};

static const s_field_t s_stats_fields [] = {
    S_FIELD (ep_stats_t, "intake_messages", S_UINT, intake_messages),
    S_FIELD (ep_stats_t, "malformed", S_UINT, malformed),
    S_FIELD (ep_stats_t, "accepted", S_UINT, accepted),
    S_FIELD (ep_stats_t, "rejected", S_UINT, rejected),
    S_FIELD (ep_stats_t, "reports", S_UINT, reports),
    S_FIELD (ep_stats_t, "late_reports", S_UINT, late_reports),
    S_FIELD (ep_stats_t, "fenced_reports", S_UINT, fenced_reports),
    S_FIELD (ep_stats_t, "in_flight_paper", S_UINT, in_flight_paper),
    S_FIELD (ep_stats_t, "in_flight_live", S_UINT, in_flight_live),
    S_FIELD (ep_stats_t, "last_seq", S_UINT, last_seq),
    S_FIELD (ep_stats_t, "last_router_seq", S_UINT, last_router_seq),
    S_FIELD (ep_stats_t, "unauthorized", S_UINT, unauthorized),
    S_FIELD (ep_stats_t, "fill_gaps", S_UINT, fill_gaps),
    S_FIELD (ep_stats_t, "chain_row", S_UINT, chain_row),
    S_FIELD (ep_stats_t, "chain_head", S_STRING, chain_head),
};

//  ---------------------------------------------------------------------
//  Parsing

static void
s_err (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

//  Quotes text for an error message: escaped, so the message stays one
//  printable line, and cut at S_QUOTE_MAX bytes (never inside a UTF-8
//  sequence), so a huge value cannot swamp it. buf holds the result.
#define S_QUOTE_BUFSIZE (S_QUOTE_MAX * 6 + 8)

static const char *
s_quote (const char *text, char buf [S_QUOTE_BUFSIZE])
{
    size_t len = strlen (text);
    bool cut = len > S_QUOTE_MAX;
    if (cut) {
        len = S_QUOTE_MAX;
        while (len > 0 && ((unsigned char) text [len] & 0xC0) == 0x80)
            len--;
    }
    char *out = buf;
    *out++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char) c;
        }
        else
        if (c < 0x20 || c == 0x7F)
            out += sprintf (out, "\\u%04x", c);
        else
            *out++ = (char) c;
    }
    *out++ = '"';
    if (cut)
        out += sprintf (out, "...");
    *out = '\0';
    return buf;
}

//  The type of a JSON value, for "must be X, not Y"
static const char *
s_type_name (const json_t *value)
{
    switch (json_typeof (value)) {
        case JSON_OBJECT:  return "an object";
        case JSON_ARRAY:   return "an array";
        case JSON_STRING:  return "a string";
        case JSON_INTEGER: return "a number";
        case JSON_REAL:    return "a number";
        case JSON_TRUE:    return "a boolean";
        case JSON_FALSE:   return "a boolean";
        case JSON_NULL:    return "null";
    }
    return "an unknown type";
}

static int
s_parse_string (const char *key, json_t *value, char **field, char *err, size_t err_size)
{
    if (!json_is_string (value)) {
        s_err (err, err_size, "%s: must be a string, not %s", key, s_type_name (value));
        return -1;
    }
    //  jansson has already refused "\u0000", so the C string is the value
    char *copy = strdup (json_string_value (value));
    if (!copy) {
        s_err (err, err_size, "%s: out of memory", key);
        return -1;
    }
    *field = copy;
    return 0;
}

static int
s_parse_enum (const char *key, json_t *value, int (*parse) (const char *),
              const char *expected, int *field, char *err, size_t err_size)
{
    char quoted [S_QUOTE_BUFSIZE];
    if (!json_is_string (value)) {
        s_err (err, err_size, "%s: must be a string (%s), not %s",
               key, expected, s_type_name (value));
        return -1;
    }
    int parsed = parse (json_string_value (value));
    if (parsed < 0) {
        s_err (err, err_size, "%s: unknown value %s (expected %s)",
               key, s_quote (json_string_value (value), quoted), expected);
        return -1;
    }
    *field = parsed;
    return 0;
}

static int
s_parse_decimal (const char *key, json_t *value, int64_t *field, char *err, size_t err_size)
{
    char quoted [S_QUOTE_BUFSIZE];
    if (!json_is_string (value)) {
        s_err (err, err_size, "%s: must be a string such as \"0.5\", not %s",
               key, s_type_name (value));
        return -1;
    }
    const char *text = json_string_value (value);
    int64_t parsed;
    ep_decimal_error_t rc = ep_decimal_parse (text, false, &parsed);
    if (rc == EP_DECIMAL_OK) {
        *field = parsed;
        return 0;
    }
    if (rc == EP_DECIMAL_NEGATIVE && text [0] == '-')
        s_err (err, err_size, "%s: must not be negative (%s)", key, s_quote (text, quoted));
    else
    if (rc == EP_DECIMAL_EMPTY)
        s_err (err, err_size, "%s: empty (expected a decimal such as \"0.5\")", key);
    else
        s_err (err, err_size, "%s: %s (%s)", key, ep_decimal_strerror (rc), s_quote (text, quoted));
    return -1;
}

static int
s_parse_integer (const char *key, json_t *value, int64_t *field, char *err, size_t err_size)
{
    if (json_is_integer (value)) {
        *field = (int64_t) json_integer_value (value);
        return 0;
    }
    if (json_is_real (value))
        s_err (err, err_size, "%s: must be an integer, not a number with a fraction or exponent", key);
    else
        s_err (err, err_size, "%s: must be an integer, not %s", key, s_type_name (value));
    return -1;
}

static int
s_parse_bool (const char *key, json_t *value, protobuf_c_boolean *field, char *err, size_t err_size)
{
    if (!json_is_boolean (value)) {
        s_err (err, err_size, "%s: must be true or false, not %s", key, s_type_name (value));
        return -1;
    }
    *field = json_is_true (value);
    return 0;
}

//  True for a real string, not NULL or the shared empty one init puts there
static bool
s_is_set (const char *field)
{
    return field && field != protobuf_c_empty_string;
}

//  Frees the string fields of work that differ from the caller's originals
static void
s_free_new (ep_intent_t *work, const ep_intent_t *original)
{
    if (work->intent_id != original->intent_id)
        free (work->intent_id);
    if (work->strategy_id != original->strategy_id)
        free (work->strategy_id);
    if (work->symbol != original->symbol)
        free (work->symbol);
}

//  Replaces a string field the parse did not set with a copy, so that
//  every string in a parsed intent is ours for ep_json_intent_clear.
static int
s_own (char **field, const char *original)
{
    if (*field == original && s_is_set (original)) {
        *field = strdup (original);
        if (!*field) {
            *field = (char *) original;
            return -1;
        }
    }
    return 0;
}

//  Reads value into the intent field described by field.
static int
s_parse_field (const s_field_t *field, json_t *value, ep_intent_t *work,
               char *err, size_t err_size)
{
    char *at = (char *) work + field->offset;
    const char *key = field->key;
    int number;
    switch (field->kind) {
        case S_STRING:  return s_parse_string (key, value, (char **) at, err, err_size);
        case S_DECIMAL: return s_parse_decimal (key, value, (int64_t *) at, err, err_size);
        case S_INT:     return s_parse_integer (key, value, (int64_t *) at, err, err_size);
        case S_BOOL:    return s_parse_bool (key, value, (protobuf_c_boolean *) at, err, err_size);
        case S_ENUM:
            //  protobuf-c makes every enum int-sized
            if (s_parse_enum (key, value, field->parse, field->expected, &number, err, err_size))
                return -1;
            *(int *) at = number;
            return 0;
        default:
            break;
    }
    assert (false);                     //  no such field in an intent
    return -1;
}

static int
s_parse_key (const char *key, json_t *value, ep_intent_t *work,
             char *err, size_t err_size)
{
    for (size_t i = 0; i < S_COUNT (s_intent_fields); i++)
        if (s_streq (key, s_intent_fields [i].key))
            return s_parse_field (&s_intent_fields [i], value, work, err, err_size);
    char quoted [S_QUOTE_BUFSIZE];
    s_err (err, err_size, "unknown key %s", s_quote (key, quoted));
    return -1;
}

//  One line of jansson's complaint, with its column
static void
s_syntax_error (const json_error_t *error, char *err, size_t err_size)
{
    char text [JSON_ERROR_TEXT_LENGTH];
    //  jansson's own text for this one names a flag, not the problem
    if (json_error_code (error) == json_error_null_character)
        snprintf (text, sizeof text, "\\u0000 is not allowed in a string");
    else
        snprintf (text, sizeof text, "%s", error->text);
    //  jansson quotes the input near the error, which may hold control bytes
    for (char *p = text; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7F)
            *p = '?';
    s_err (err, err_size, "invalid JSON at column %d: %s", error->column, text);
}

int
ep_json_intent_parse (const char *line, ep_intent_t *intent, char *err, size_t err_size)
{
    s_err (err, err_size, "%s", "");
    if (!line || !*line || strspn (line, " \t\r\n") == strlen (line)) {
        s_err (err, err_size, "empty line (expected a JSON object)");
        execplane__v1__order_intent__init (intent);
        return -1;
    }
    //  DECODE_ANY so that "5" or "[]" gets our clearer "not a JSON object"
    json_error_t error;
    json_t *root = json_loads (line, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!root) {
        s_syntax_error (&error, err, err_size);
        execplane__v1__order_intent__init (intent);
        return -1;
    }
    if (!json_is_object (root)) {
        s_err (err, err_size, "not a JSON object");
        json_decref (root);
        execplane__v1__order_intent__init (intent);
        return -1;
    }
    //  Work on a copy, so absent keys keep the caller's values and an
    //  error leaves nothing half-parsed behind
    ep_intent_t work = *intent;
    int rc = 0;
    const char *key;
    json_t *value;
    json_object_foreach (root, key, value) {
        rc = s_parse_key (key, value, &work, err, err_size);
        if (rc)
            break;
    }
    json_decref (root);
    if (rc == 0
    && (s_own (&work.intent_id, intent->intent_id)
    ||  s_own (&work.strategy_id, intent->strategy_id)
    ||  s_own (&work.symbol, intent->symbol))) {
        s_err (err, err_size, "out of memory");
        rc = -1;
    }
    if (rc) {
        s_free_new (&work, intent);
        execplane__v1__order_intent__init (intent);
        return -1;
    }
    *intent = work;
    return 0;
}

void
ep_json_intent_clear (ep_intent_t *intent)
{
    if (!intent)
        return;
    //  Every string of the table, so that a field added there is freed
    //  too. The generated init points strings at a shared constant: not ours.
    for (size_t i = 0; i < S_COUNT (s_intent_fields); i++) {
        if (s_intent_fields [i].kind != S_STRING)
            continue;
        char **field = (char **) ((char *) intent + s_intent_fields [i].offset);
        if (s_is_set (*field))
            free (*field);
    }
    execplane__v1__order_intent__init (intent);
}

//  ---------------------------------------------------------------------
//  Formatting

//  Appends the UTF-8 encoding of U+FFFD, the replacement character
static char *
s_put_replacement (char *out)
{
    *out++ = (char) 0xEF;
    *out++ = (char) 0xBF;
    *out++ = (char) 0xBD;
    return out;
}

//  Length of the valid UTF-8 sequence at p (at most avail bytes), or 0
static size_t
s_utf8_length (const unsigned char *p, size_t avail)
{
    size_t len;
    uint32_t point;
    if (p [0] < 0x80)
        return 1;
    else
    if (p [0] >= 0xC2 && p [0] <= 0xDF) {
        len = 2;
        point = p [0] & 0x1F;
    }
    else
    if (p [0] >= 0xE0 && p [0] <= 0xEF) {
        len = 3;
        point = p [0] & 0x0F;
    }
    else
    if (p [0] >= 0xF0 && p [0] <= 0xF4) {
        len = 4;
        point = p [0] & 0x07;
    }
    else
        return 0;
    if (len > avail)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p [i] & 0xC0) != 0x80)
            return 0;
        point = (point << 6) | (p [i] & 0x3F);
    }
    //  Overlong forms, UTF-16 surrogates and beyond U+10FFFF
    if ((len == 3 && point < 0x800) || (len == 4 && point < 0x10000)
    ||  (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF)
        return 0;
    return len;
}

//  A JSON string for any C string. Text from outside (a venue's reason)
//  need not be UTF-8, which jansson refuses; rather than lose the whole
//  report, each invalid byte becomes U+FFFD.
static json_t *
s_string (const char *text)
{
    if (!text)
        text = "";
    json_t *value = json_string (text);
    if (value)
        return value;
    size_t len = strlen (text);
    char *clean = malloc (len * 3 + 1);
    if (!clean)
        return NULL;
    const unsigned char *p = (const unsigned char *) text;
    const unsigned char *end = p + len;
    char *out = clean;
    while (p < end) {
        size_t valid = s_utf8_length (p, (size_t) (end - p));
        if (valid) {
            memcpy (out, p, valid);
            out += valid;
            p += valid;
        }
        else {
            out = s_put_replacement (out);
            p++;
        }
    }
    value = json_stringn (clean, (size_t) (out - clean));
    free (clean);
    return value;
}

//  Exact decimal text for an e8 value
static json_t *
s_decimal (int64_t value_e8)
{
    char buf [EP_DECIMAL_BUFSIZE];
    return json_string (ep_decimal_format (value_e8, buf));
}

//  json_int_t is signed 64-bit; a uint64 beyond INT64_MAX (never reached
//  by a counter in practice) is written as its exact digits in a string
//  rather than wrapping to a negative number.
static json_t *
s_uint (uint64_t value)
{
    if (value <= (uint64_t) INT64_MAX)
        return json_integer ((json_int_t) value);
    char buf [24];
    snprintf (buf, sizeof buf, "%" PRIu64, value);
    return json_string (buf);
}

//  An enum by name; a value this build does not know (a newer peer's) by
//  number, so the line is still written.
static json_t *
s_enum (const char *(*name) (int), int value)
{
    const char *text = name (value);
    return text ? json_string (text) : json_integer (value);
}

static json_t *s_object (const s_field_t *fields, size_t count, const void *message);

//  A report's fills, each an object of s_fill_fields.
static json_t *
s_fills (const ep_report_t *report)
{
    json_t *fills = json_array ();
    for (size_t i = 0; fills && i < report->n_fills; i++)
        if (report->fills [i]
        &&  json_array_append_new (fills, s_object (s_fill_fields, S_COUNT (s_fill_fields),
                                                    report->fills [i]))) {
            json_decref (fills);
            return NULL;
        }
    return fills;
}

//  The JSON value of the field described by field in message; NULL if out
//  of memory.
static json_t *
s_value (const s_field_t *field, const void *message)
{
    const char *at = (const char *) message + field->offset;
    switch (field->kind) {
        case S_STRING:  return s_string (*(char *const *) at);
        case S_ENUM:    return s_enum (field->name, *(const int *) at);
        case S_DECIMAL: return s_decimal (*(const int64_t *) at);
        case S_INT:     return json_integer (*(const int64_t *) at);
        case S_UINT:    return s_uint (*(const uint64_t *) at);
        case S_UINT32:  return json_integer (*(const uint32_t *) at);
        case S_BOOL:    return json_boolean (*(const protobuf_c_boolean *) at);
        case S_FILLS:   return s_fills (message);
    }
    return NULL;
}

//  The object of message's fields, in the table's order; NULL if out of
//  memory.
static json_t *
s_object (const s_field_t *fields, size_t count, const void *message)
{
    json_t *object = json_object ();
    for (size_t i = 0; object && i < count; i++)
        if (json_object_set_new (object, fields [i].key, s_value (&fields [i], message))) {
            json_decref (object);
            return NULL;
        }
    return object;
}

//  Serialises the object of message's fields on one line; NULL if out of memory.
static char *
s_dump (const s_field_t *fields, size_t count, const void *message)
{
    json_t *object = s_object (fields, count, message);
    char *line = object ? json_dumps (object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (object);
    return line;
}

char *
ep_json_intent_format (const ep_intent_t *intent)
{
    return s_dump (s_intent_fields, S_COUNT (s_intent_fields), intent);
}

char *
ep_json_report_format (const ep_report_t *report)
{
    return s_dump (s_report_fields, S_COUNT (s_report_fields), report);
}

char *
ep_json_plane_state_format (const ep_plane_state_t *state)
{
    return s_dump (s_plane_state_fields, S_COUNT (s_plane_state_fields), state);
}

char *
ep_json_stats_format (const ep_stats_t *stats)
{
    return s_dump (s_stats_fields, S_COUNT (s_stats_fields), stats);
}

char *
ep_json_definition_format (const ep_json_definition_t *definition)
{
    return s_dump (s_definition_fields, S_COUNT (s_definition_fields), definition);
}
