/*  ep_json: the contract's JSON-lines form, on jansson and ep_decimal.

    Decimals travel as JSON strings and go through ep_decimal both ways, so
    no value ever passes through a double. Output objects always carry
    every field, in .proto order, so a monitor can rely on the keys.  */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
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

static int
s_parse_key (const char *key, json_t *value, ep_intent_t *work,
             char *err, size_t err_size)
{
    char quoted [S_QUOTE_BUFSIZE];
    int number;
    int rc;
    if (s_streq (key, "intent_id"))
        return s_parse_string (key, value, &work->intent_id, err, err_size);
    if (s_streq (key, "strategy_id"))
        return s_parse_string (key, value, &work->strategy_id, err, err_size);
    if (s_streq (key, "symbol"))
        return s_parse_string (key, value, &work->symbol, err, err_size);
    if (s_streq (key, "side")) {
        rc = s_parse_enum (key, value, ep_side_parse, "BUY or SELL", &number, err, err_size);
        if (rc == 0)
            work->side = (Execplane__V1__Side) number;
        return rc;
    }
    if (s_streq (key, "type")) {
        rc = s_parse_enum (key, value, ep_type_parse, "MARKET or LIMIT", &number, err, err_size);
        if (rc == 0)
            work->type = (Execplane__V1__OrderType) number;
        return rc;
    }
    if (s_streq (key, "tif")) {
        rc = s_parse_enum (key, value, ep_tif_parse, "GTC, IOC or FOK", &number, err, err_size);
        if (rc == 0)
            work->tif = (Execplane__V1__TimeInForce) number;
        return rc;
    }
    if (s_streq (key, "qty"))
        return s_parse_decimal (key, value, &work->qty_e8, err, err_size);
    if (s_streq (key, "limit_price"))
        return s_parse_decimal (key, value, &work->limit_price_e8, err, err_size);
    if (s_streq (key, "ref_price"))
        return s_parse_decimal (key, value, &work->ref_price_e8, err, err_size);
    if (s_streq (key, "decided_at"))
        return s_parse_integer (key, value, &work->decided_at, err, err_size);
    if (s_streq (key, "safety"))
        return s_parse_bool (key, value, &work->safety, err, err_size);
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
    //  The generated init points strings at a shared constant: not ours
    if (s_is_set (intent->intent_id))
        free (intent->intent_id);
    if (s_is_set (intent->strategy_id))
        free (intent->strategy_id);
    if (s_is_set (intent->symbol))
        free (intent->symbol);
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

//  Sets key, taking value; records failure (NULL value or no memory) in *ok
static void
s_set (json_t *object, const char *key, json_t *value, bool *ok)
{
    if (json_object_set_new (object, key, value))
        *ok = false;
}

//  Serialises object on one line and releases it; NULL if !ok or no memory
static char *
s_dump (json_t *object, bool ok)
{
    char *line = ok ? json_dumps (object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (object);
    return line;
}

char *
ep_json_intent_format (const ep_intent_t *intent)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    bool ok = true;
    s_set (object, "intent_id", s_string (intent->intent_id), &ok);
    s_set (object, "strategy_id", s_string (intent->strategy_id), &ok);
    s_set (object, "symbol", s_string (intent->symbol), &ok);
    s_set (object, "side", s_enum (ep_side_name, intent->side), &ok);
    s_set (object, "type", s_enum (ep_type_name, intent->type), &ok);
    s_set (object, "tif", s_enum (ep_tif_name, intent->tif), &ok);
    s_set (object, "qty", s_decimal (intent->qty_e8), &ok);
    s_set (object, "limit_price", s_decimal (intent->limit_price_e8), &ok);
    s_set (object, "ref_price", s_decimal (intent->ref_price_e8), &ok);
    s_set (object, "decided_at", json_integer (intent->decided_at), &ok);
    s_set (object, "safety", json_boolean (intent->safety), &ok);
    return s_dump (object, ok);
}

static json_t *
s_fill (const ep_fill_t *fill)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    bool ok = true;
    s_set (object, "fill_id", s_string (fill->fill_id), &ok);
    s_set (object, "qty", s_decimal (fill->qty_e8), &ok);
    s_set (object, "price", s_decimal (fill->price_e8), &ok);
    s_set (object, "fee", s_decimal (fill->fee_e8), &ok);
    if (!ok) {
        json_decref (object);
        return NULL;
    }
    return object;
}

char *
ep_json_report_format (const ep_report_t *report)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    bool ok = true;
    s_set (object, "seq", s_uint (report->seq), &ok);
    s_set (object, "intent_id", s_string (report->intent_id), &ok);
    s_set (object, "strategy_id", s_string (report->strategy_id), &ok);
    s_set (object, "symbol", s_string (report->symbol), &ok);
    s_set (object, "side", s_enum (ep_side_name, report->side), &ok);
    s_set (object, "plane", s_enum (ep_plane_name, report->plane), &ok);
    s_set (object, "plane_epoch", s_uint (report->plane_epoch), &ok);
    s_set (object, "status", s_enum (ep_status_name, report->status), &ok);
    s_set (object, "failure", s_enum (ep_failure_name, report->failure), &ok);
    s_set (object, "reason", s_string (report->reason), &ok);

    json_t *fills = json_array ();
    for (size_t i = 0; fills && i < report->n_fills; i++)
        if (report->fills [i]
        &&  json_array_append_new (fills, s_fill (report->fills [i])))
            ok = false;
    s_set (object, "fills", fills, &ok);

    s_set (object, "filled_qty", s_decimal (report->filled_qty_e8), &ok);
    s_set (object, "avg_price", s_decimal (report->avg_price_e8), &ok);
    s_set (object, "terminal", json_boolean (report->terminal), &ok);
    s_set (object, "venue_order_id", s_string (report->venue_order_id), &ok);
    s_set (object, "logical_ts", s_uint (report->logical_ts), &ok);
    s_set (object, "router_seq", s_uint (report->router_seq), &ok);
    s_set (object, "safety", json_boolean (report->safety), &ok);
    s_set (object, "reconciled", json_boolean (report->reconciled), &ok);
    s_set (object, "first_fill", s_uint (report->first_fill), &ok);
    s_set (object, "sender_key", s_string (report->sender_key), &ok);
    return s_dump (object, ok);
}

char *
ep_json_plane_state_format (const ep_plane_state_t *state)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    bool ok = true;
    s_set (object, "plane", s_enum (ep_plane_name, state->plane), &ok);
    s_set (object, "epoch", s_uint (state->epoch), &ok);
    s_set (object, "halted", json_boolean (state->halted), &ok);
    s_set (object, "issued_by", s_string (state->issued_by), &ok);
    s_set (object, "reason", s_string (state->reason), &ok);
    s_set (object, "changed_at_seq", s_uint (state->changed_at_seq), &ok);
    s_set (object, "paper_alive", json_boolean (state->paper_alive), &ok);
    s_set (object, "live_alive", json_boolean (state->live_alive), &ok);
    s_set (object, "last_seq", s_uint (state->last_seq), &ok);
    s_set (object, "last_command_epoch", s_uint (state->last_command_epoch), &ok);
    s_set (object, "last_command_issued_by", s_string (state->last_command_issued_by), &ok);
    s_set (object, "last_command_applied", json_boolean (state->last_command_applied), &ok);
    s_set (object, "last_command_outcome", s_string (state->last_command_outcome), &ok);
    return s_dump (object, ok);
}

char *
ep_json_stats_format (const ep_stats_t *stats)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    bool ok = true;
    s_set (object, "intake_messages", s_uint (stats->intake_messages), &ok);
    s_set (object, "malformed", s_uint (stats->malformed), &ok);
    s_set (object, "accepted", s_uint (stats->accepted), &ok);
    s_set (object, "rejected", s_uint (stats->rejected), &ok);
    s_set (object, "reports", s_uint (stats->reports), &ok);
    s_set (object, "late_reports", s_uint (stats->late_reports), &ok);
    s_set (object, "fenced_reports", s_uint (stats->fenced_reports), &ok);
    s_set (object, "in_flight_paper", s_uint (stats->in_flight_paper), &ok);
    s_set (object, "in_flight_live", s_uint (stats->in_flight_live), &ok);
    s_set (object, "last_seq", s_uint (stats->last_seq), &ok);
    s_set (object, "last_router_seq", s_uint (stats->last_router_seq), &ok);
    s_set (object, "unauthorized", s_uint (stats->unauthorized), &ok);
    s_set (object, "fill_gaps", s_uint (stats->fill_gaps), &ok);
    return s_dump (object, ok);
}
