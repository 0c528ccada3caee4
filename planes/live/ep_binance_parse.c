/*  ep_binance_parse: what a Binance answer means. Every outcome is
    classified, and "maybe sent" is never mistaken for "not sent": only a
    libcurl failure with nothing written is NOT_SENT, and everything the
    venue could have acted on without telling us is UNKNOWN. An answer is
    not taken on trust: one whose figures contradict the order is UNKNOWN
    and distrusted. Pure: no I/O, no clock.  */
#include <assert.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_decimal.h"

#define S_CODE_NO_SUCH_ORDER -2013          //  "Order does not exist."
#define S_CODE_ORDER_ARCHIVED -2026         //  canceled or expired, nothing executed, long ago
#define S_CODE_BAD_TIMESTAMP -1021          //  timestamp ahead of the venue's clock, or too old

#define streq(a, b) (strcmp ((a), (b)) == 0)

//  What the classification learned from the answer, before the operation
//  gives it its final meaning
typedef enum {
    S_OUTCOME_WIRE,             //  libcurl failed: NOT_SENT or UNKNOWN
    S_OUTCOME_UNKNOWN,          //  an answer that may hide an execution
    S_OUTCOME_VENUE_ERROR,      //  the venue's error JSON, classified
    S_OUTCOME_ORDER             //  an order state, parsed and ours
} s_outcome_t;

//  The reason, written once the classification is known
static void
s_classify_as (ep_venue_result_t *result, int status, int failure, bool terminal,
               const char *format, ...) __attribute__ ((format (printf, 5, 6)));

static void
s_classify_as (ep_venue_result_t *result, int status, int failure, bool terminal,
               const char *format, ...)
{
    result->status = status;
    result->failure = failure;
    result->terminal = terminal;
    va_list args;
    va_start (args, format);
    ep_binance_vprintf (result->reason, sizeof (result->reason), format, args);
    va_end (args);
}

//  libcurl's own words if it left any, else its text for the code
static const char *
s_curl_text (const ep_venue_result_t *result)
{
    return result->curl_error [0] ? result->curl_error
                                  : curl_easy_strerror ((CURLcode) result->curl_code);
}

//  The venue's error object is {"code": int, "msg": string}, both there
static bool
s_parse_venue_error (const json_t *json, ep_venue_result_t *result)
{
    if (!json_is_object (json))
        return false;
    json_t *code = json_object_get (json, "code");
    json_t *msg = json_object_get (json, "msg");
    if (!json_is_integer (code) || !json_is_string (msg))
        return false;
    json_int_t value = json_integer_value (code);
    if (value < INT_MIN || value > INT_MAX)
        return false;
    result->venue_code = (int) value;
    ep_binance_copy_printable (result->venue_msg, sizeof (result->venue_msg),
                               json_string_value (msg), json_string_length (msg));
    return true;
}

//  Codes after which the request may have reached the matching engine
static bool
s_code_maybe_executed (int code)
{
    return code == -1000 || code == -1001 || code == -1006 || code == -1007 || code == -1008;
}

static bool
s_code_auth (int code)
{
    return code == -1002 || code == -1022 || code == -2014 || code == -2015;
}

//  A decimal string field that must be there and must parse, or NULL
static const char *
s_parse_decimal (const json_t *object, const char *key, int64_t *value_e8)
{
    json_t *field = json_object_get (object, key);
    if (!json_is_string (field))
        return key;
    if (ep_decimal_parse_n (json_string_value (field), json_string_length (field),
                            false, value_e8) != EP_DECIMAL_OK)
        return key;
    return NULL;
}

//  An integer id as text, or false
static bool
s_parse_id (const json_t *object, const char *key, char *buf, size_t size)
{
    json_t *field = json_object_get (object, key);
    if (!json_is_integer (field))
        return false;
    ep_binance_printf (buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value (field));
    return true;
}

//  Parses the trades of array (a submission's fills, or myTrades' answer)
//  into result->fills, each one's id under id_key. Returns NULL, or what
//  was wrong (written into problem).
static const char *
s_parse_trades (const json_t *array, const char *id_key, ep_venue_result_t *result,
                char *problem, size_t problem_size)
{
    const char *bad = NULL;
    size_t count = json_array_size (array);
    if (count > 0) {
        result->fills = (ep_venue_fill_t *) calloc (count, sizeof (ep_venue_fill_t));
        if (!result->fills) {
            ep_binance_printf (problem, problem_size, "no memory for %zu fills", count);
            return problem;
        }
    }
    result->fill_count = count;
    for (size_t index = 0; index < count; index++) {
        json_t *entry = json_array_get (array, index);
        ep_venue_fill_t *fill = &result->fills [index];
        bad = json_is_object (entry) ? NULL : "fill";
        if (!bad)
            bad = s_parse_decimal (entry, "price", &fill->price_e8);
        if (!bad)
            bad = s_parse_decimal (entry, "qty", &fill->qty_e8);
        if (!bad)
            bad = s_parse_decimal (entry, "commission", &fill->fee_e8);
        json_t *asset = json_object_get (entry, "commissionAsset");
        if (!bad && (!json_is_string (asset)
                     || json_string_length (asset) >= sizeof (fill->fee_asset)))
            bad = "commissionAsset";
        if (!bad && !s_parse_id (entry, id_key, fill->trade_id, sizeof (fill->trade_id)))
            bad = id_key;
        if (bad) {
            ep_binance_printf (problem, problem_size, "fill %zu: %s missing or malformed",
                               index, bad);
            return problem;
        }
        ep_binance_copy_printable (fill->fee_asset, sizeof (fill->fee_asset),
                                   json_string_value (asset), json_string_length (asset));
        //  myTrades' time (a submission's fills have none: its transactTime)
        json_t *time = json_object_get (entry, "time");
        fill->time_ms = json_is_integer (time) ? (int64_t) json_integer_value (time) : 0;
    }
    return NULL;
}

//  A submission's fills
static const char *
s_parse_fills (const json_t *json, ep_venue_result_t *result, char *problem,
               size_t problem_size)
{
    json_t *fills = json_object_get (json, "fills");
    if (!json_is_array (fills)) {
        ep_binance_printf (problem, problem_size, "no fills array");
        return problem;
    }
    return s_parse_trades (fills, "tradeId", result, problem, problem_size);
}

//  Parses an order answer into result. Returns NULL, or what was wrong
//  with it (written into problem) when it cannot be trusted as ours.
static const char *
s_parse_order (const json_t *json, ep_venue_op_t op, const char *client_order_id,
               ep_venue_result_t *result, char *problem, size_t problem_size)
{
    if (!json_is_object (json)) {
        ep_binance_printf (problem, problem_size, "a body that is not an order object");
        return problem;
    }
    //  Binance echoes a cancelled order's id as origClientOrderId (its
    //  clientOrderId is the cancel request's own id)
    const char *echo_key = op == EP_VENUE_CANCEL ? "origClientOrderId" : "clientOrderId";
    json_t *echo = json_object_get (json, echo_key);
    if (!json_is_string (echo)) {
        ep_binance_printf (problem, problem_size, "no %s", echo_key);
        return problem;
    }
    ep_binance_copy_printable (result->echoed_client_id, sizeof (result->echoed_client_id),
                               json_string_value (echo), json_string_length (echo));
    if (json_string_length (echo) != strlen (client_order_id)
    ||  memcmp (json_string_value (echo), client_order_id, strlen (client_order_id)) != 0) {
        ep_binance_printf (problem, problem_size, "%s \"%s\", not ours \"%s\"",
                           echo_key, result->echoed_client_id, client_order_id);
        return problem;
    }
    if (!s_parse_id (json, "orderId", result->venue_order_id, sizeof (result->venue_order_id))) {
        ep_binance_printf (problem, problem_size, "no integer orderId");
        return problem;
    }
    json_t *status = json_object_get (json, "status");
    if (!json_is_string (status)) {
        ep_binance_printf (problem, problem_size, "no status");
        return problem;
    }
    ep_binance_copy_printable (result->venue_status, sizeof (result->venue_status),
                               json_string_value (status), json_string_length (status));

    const char *bad = s_parse_decimal (json, "origQty", &result->orig_qty_e8);
    if (!bad)
        bad = s_parse_decimal (json, "executedQty", &result->executed_qty_e8);
    if (!bad)
        bad = s_parse_decimal (json, "cummulativeQuoteQty", &result->cum_quote_e8);
    if (bad) {
        ep_binance_printf (problem, problem_size, "%s missing or not a decimal", bad);
        return problem;
    }
    //  The venue's time of it: a submission's or cancel's transactTime, a
    //  query's updateTime (absent: 0, nothing is assumed)
    json_t *time = json_object_get (json, "updateTime");
    if (!json_is_integer (time))
        time = json_object_get (json, "transactTime");
    result->venue_time_ms = json_is_integer (time) ? (int64_t) json_integer_value (time) : 0;
    //  Rounded down, as every plane reports it
    if (!ep_decimal_avg_price (ep_decimal_notional (result->cum_quote_e8),
                               result->executed_qty_e8, &result->avg_price_e8)) {
        ep_binance_printf (problem, problem_size, "an average price out of range");
        return problem;
    }

    //  FULL answers a submission with the fills it made; query and cancel
    //  carry only the cumulative figures
    if (op == EP_VENUE_SUBMIT)
        return s_parse_fills (json, result, problem, problem_size);
    return NULL;
}

//  The venue's order status, as this contract reads it
typedef struct {
    const char *name;           //  as Binance spells it
    int status;                 //  ours
    int failure;                //  ours
    bool terminal;              //  the order will not change any more
} s_status_map_t;

static const s_status_map_t s_status_map [] = {
    { "NEW",              EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "PENDING_NEW",      EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "PARTIALLY_FILLED", EP_STATUS (PARTIALLY_FILLED), EP_FAILURE (FAILURE_NONE),    false },
    { "FILLED",           EP_STATUS (FILLED),           EP_FAILURE (FAILURE_NONE),    true },
    { "CANCELED",         EP_STATUS (CANCELED),         EP_FAILURE (FAILURE_NONE),    true },
    //  Still working until the cancel lands; fills may yet come
    { "PENDING_CANCEL",   EP_STATUS (ACCEPTED),         EP_FAILURE (FAILURE_NONE),    false },
    { "EXPIRED",          EP_STATUS (EXPIRED),          EP_FAILURE (FAILURE_NONE),    true },
    { "EXPIRED_IN_MATCH", EP_STATUS (EXPIRED),          EP_FAILURE (FAILURE_NONE),    true },
    { "REJECTED",         EP_STATUS (REJECTED),         EP_FAILURE (VENUE_REJECTED),  true },
};

static void
s_classify_order (ep_venue_result_t *result)
{
    const s_status_map_t *map = NULL;
    for (size_t index = 0; index < sizeof (s_status_map) / sizeof (s_status_map [0]); index++)
        if (streq (result->venue_status, s_status_map [index].name))
            map = &s_status_map [index];
    if (!map) {
        //  A state we cannot read says nothing about what executed
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue status \"%s\" is not one we know (order %s): "
                       "execution status unknown",
                       result->venue_status, result->venue_order_id);
        return;
    }
    char executed [EP_DECIMAL_BUFSIZE], orig [EP_DECIMAL_BUFSIZE], avg [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (result->executed_qty_e8, executed);
    ep_decimal_format (result->orig_qty_e8, orig);
    ep_decimal_format (result->avg_price_e8, avg);
    if (result->executed_qty_e8 == 0)
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s, nothing filled of %s (order %s)",
                       map->name, orig, result->venue_order_id);
    else
    if (result->executed_qty_e8 == result->orig_qty_e8)
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s %s at avg %s (order %s)",
                       map->name, executed, avg, result->venue_order_id);
    else
        s_classify_as (result, map->status, map->failure, map->terminal,
                       "venue %s %s of %s at avg %s (order %s)",
                       map->name, executed, orig, avg, result->venue_order_id);
}

//  Drops the figures an answer gave; what the venue said in words stays
static void
s_forget_order (ep_venue_result_t *result)
{
    free (result->fills);
    result->fills = NULL;
    result->fill_count = 0;
    result->orig_qty_e8 = 0;
    result->executed_qty_e8 = 0;
    result->cum_quote_e8 = 0;
    result->avg_price_e8 = 0;
}

//  Starts from nothing the venue said, so that a second classification
//  of one result cannot mix two answers
static void
s_forget_answer (ep_venue_result_t *result)
{
    s_forget_order (result);
    result->venue_code = 0;
    result->venue_msg [0] = '\0';
    result->venue_status [0] = '\0';
    result->venue_order_id [0] = '\0';
    result->echoed_client_id [0] = '\0';
    result->distrusted = false;
    result->absent = false;
    result->clock_fault = false;
}

//  The venue's figures are not taken on trust: an order for qty_e8 cannot
//  have executed more, nor be of another quantity, nor have fills beyond
//  what executed. Returns NULL, or what contradicts the order (in problem)
static const char *
s_check_figures (int64_t qty_e8, const ep_venue_result_t *result,
                 char *problem, size_t problem_size)
{
    char sent [EP_DECIMAL_BUFSIZE], said [EP_DECIMAL_BUFSIZE];
    ep_decimal_format (qty_e8, sent);
    if (result->executed_qty_e8 > qty_e8) {
        ep_binance_printf (problem, problem_size,
                           "the venue says executedQty %s of an order for %s",
                           ep_decimal_format (result->executed_qty_e8, said), sent);
        return problem;
    }
    if (result->orig_qty_e8 != qty_e8) {
        ep_binance_printf (problem, problem_size, "the venue says origQty %s of an order for %s",
                           ep_decimal_format (result->orig_qty_e8, said), sent);
        return problem;
    }
    int64_t filled = 0;
    for (size_t index = 0; index < result->fill_count; index++) {
        filled += result->fills [index].qty_e8;
        if (filled > result->executed_qty_e8) {
            char executed [EP_DECIMAL_BUFSIZE];
            ep_binance_printf (problem, problem_size, "the venue's fills add up to more than its "
                               "executedQty %s (order for %s)",
                               ep_decimal_format (result->executed_qty_e8, executed), sent);
            return problem;
        }
    }
    return NULL;
}

//  libcurl failed: nothing sent, or maybe sent
static s_outcome_t
s_classify_wire (ep_venue_result_t *result)
{
    if (result->request_size == 0)
        s_classify_as (result, EP_STATUS (FAILED), EP_FAILURE (NOT_SENT), true,
                       "libcurl %d (%s): nothing was sent",
                       result->curl_code, s_curl_text (result));
    else
    if (result->request_size < 0)
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "libcurl %d (%s), bytes sent unknown: execution status unknown",
                       result->curl_code, s_curl_text (result));
    else
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "libcurl %d (%s) after %" PRId64 " bytes sent: "
                       "execution status unknown",
                       result->curl_code, s_curl_text (result), result->request_size);
    return S_OUTCOME_WIRE;
}

//  A 2xx answer: an order, ours and consistent, or UNKNOWN
static s_outcome_t
s_classify_success (const json_t *json, ep_venue_op_t op, const char *client_order_id,
                    int64_t qty_e8, ep_venue_result_t *result)
{
    long http = result->http_status;
    char problem [sizeof (result->reason) - 64];
    if (!json) {
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "HTTP %ld with an unparseable body: execution status unknown", http);
        return S_OUTCOME_UNKNOWN;
    }
    if (s_parse_order (json, op, client_order_id, result, problem, sizeof (problem))) {
        //  Half-read figures must not pass for the order's
        s_forget_order (result);
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "HTTP %ld with %s: execution status unknown", http, problem);
        return S_OUTCOME_UNKNOWN;
    }
    if (s_check_figures (qty_e8, result, problem, sizeof (problem))) {
        //  Whatever it says filled is no more ours to report than a
        //  stranger's: the order's fate is unknown until someone looks
        s_forget_order (result);
        result->distrusted = true;
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "%s (order %s): not trusted; execution status unknown",
                       problem, result->venue_order_id);
        return S_OUTCOME_UNKNOWN;
    }
    s_classify_order (result);
    return result->status == EP_STATUS (UNKNOWN) ? S_OUTCOME_UNKNOWN : S_OUTCOME_ORDER;
}

//  A 4xx answer that is neither a rate limit nor an authentication failure
static s_outcome_t
s_classify_rejected (bool venue_error, const char *venue, ep_venue_result_t *result)
{
    if (!venue_error) {
        //  Not the venue speaking (a proxy, a WAF, a wrong URL): we
        //  cannot tell whether the order got through
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "HTTP %ld without the venue's error JSON: "
                       "execution status unknown", result->http_status);
        return S_OUTCOME_UNKNOWN;
    }
    if (result->venue_code == -2010
    &&  ep_binance_contains_nocase (result->venue_msg, "duplicate order")) {
        //  "The clOrdId is already in use": an open order with our client
        //  order id exists, so it was placed. Followed, not concluded: the
        //  status queries tell what it is
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), false,
                       "venue %s: an open order with this client order id exists at the "
                       "venue; it is followed by status queries", venue);
        return S_OUTCOME_UNKNOWN;
    }
    if (result->venue_code == -2010
    &&  ep_binance_contains_nocase (result->venue_msg, "insufficient balance"))
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (INSUFFICIENT_FUNDS), true,
                       "venue rejected: %s", venue);
    else
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                       "venue rejected: %s", venue);
    return S_OUTCOME_VENUE_ERROR;
}

//  Classifies by HTTP status and the venue's error, if it gave one
static s_outcome_t
s_classify_http (const json_t *json, ep_venue_op_t op, const char *client_order_id,
                 int64_t qty_e8, ep_venue_result_t *result)
{
    bool venue_error = s_parse_venue_error (json, result);
    long http = result->http_status;
    char venue [sizeof (result->venue_msg) + 64];
    if (venue_error)
        ep_binance_printf (venue, sizeof (venue), "%d %s (HTTP %ld)", result->venue_code,
                           result->venue_msg, http);
    else
        ep_binance_printf (venue, sizeof (venue), "HTTP %ld", http);

    //  5xx, Binance: "do NOT treat this as a failure operation"
    if ((http >= 500 && http <= 599)
    ||  (venue_error && s_code_maybe_executed (result->venue_code))) {
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue %s: execution status unknown", venue);
        return S_OUTCOME_UNKNOWN;
    }
    if (http == 418 || http == 429
    ||  (venue_error && (result->venue_code == -1003 || result->venue_code == -1015))) {
        char retry [sizeof (result->retry_after) + 32] = "";
        if (result->retry_after [0])
            ep_binance_printf (retry, sizeof (retry), "; Retry-After: %s", result->retry_after);
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (RATE_LIMITED), true,
                       "venue rate limit%s: %s%s",
                       http == 418 ? ", IP banned" : "", venue, retry);
        return S_OUTCOME_VENUE_ERROR;
    }
    if (venue_error && result->venue_code == S_CODE_BAD_TIMESTAMP) {
        //  Refused before the matching engine: nothing was done. Our
        //  timestamp is off by more than the venue allows: the plane
        //  measures the clock again
        result->clock_fault = true;
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                       "venue refused the request's timestamp: %s: the host's clock is off "
                       "from the venue's; it is measured again", venue);
        return S_OUTCOME_VENUE_ERROR;
    }
    if (http == 401 || (venue_error && http >= 400 && http <= 499
                        && s_code_auth (result->venue_code))) {
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_AUTH_FAILED), true,
                       "venue auth failed: %s", venue);
        return S_OUTCOME_VENUE_ERROR;
    }
    if (http >= 400 && http <= 499)
        return s_classify_rejected (venue_error, venue, result);
    if (http >= 200 && http <= 299)
        return s_classify_success (json, op, client_order_id, qty_e8, result);
    //  1xx, 3xx (redirects are not followed), or no status at all
    s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                   "unexpected %s: execution status unknown", venue);
    return S_OUTCOME_UNKNOWN;
}

//  Classifies as a submission would be; the operation adjusts afterwards
static s_outcome_t
s_classify_answer (ep_venue_op_t op, const char *client_order_id, int64_t qty_e8,
                   ep_venue_result_t *result)
{
    if (result->curl_code != CURLE_OK)
        return s_classify_wire (result);
    json_error_t error;
    json_t *json = result->body && result->body_size > 0
                 ? json_loadb (result->body, result->body_size, JSON_REJECT_DUPLICATES, &error)
                 : NULL;
    s_outcome_t outcome = s_classify_http (json, op, client_order_id, qty_e8, result);
    json_decref (json);
    return outcome;
}

void
ep_binance_classify (ep_venue_op_t op, const char *client_order_id, int64_t qty_e8,
                     ep_venue_result_t *result)
{
    assert (client_order_id);
    assert (result);
    s_forget_answer (result);

    s_outcome_t outcome = s_classify_answer (op, client_order_id, qty_e8, result);
    //  An order the venue contradicts is UNKNOWN whatever asked about it:
    //  following it further would report figures nobody can trust
    if (op == EP_VENUE_SUBMIT || outcome == S_OUTCOME_ORDER || result->distrusted)
        return;

    //  A query or a cancel that failed changes nothing we know about the
    //  order: no status, the failure kept for the record, never terminal
    char reason [sizeof (result->reason)];
    memcpy (reason, result->reason, sizeof (reason));
    if (op == EP_VENUE_QUERY && outcome == S_OUTCOME_VENUE_ERROR
    &&  result->venue_code == S_CODE_ORDER_ARCHIVED)
        //  "Order was canceled or expired with no executed qty over 90 days
        //  ago and has been archived": it ended, with nothing filled
        s_classify_as (result, EP_STATUS (EXPIRED), EP_FAILURE (FAILURE_NONE), true,
                       "the venue archived order %s: %d %s (HTTP %ld): it was canceled or "
                       "expired with nothing executed", client_order_id, result->venue_code,
                       result->venue_msg, result->http_status);
    else
    if (op == EP_VENUE_QUERY && outcome == S_OUTCOME_VENUE_ERROR
    &&  result->venue_code == S_CODE_NO_SUCH_ORDER) {
        result->absent = true;
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), EP_FAILURE (FAILURE_NONE), false,
                       "the venue does not (yet) know order %s: %d %s (HTTP %ld); "
                       "one not-found is no proof of absence",
                       client_order_id, result->venue_code, result->venue_msg,
                       result->http_status);
    }
    else
    if (op == EP_VENUE_CANCEL && outcome == S_OUTCOME_VENUE_ERROR && result->venue_code == -2011)
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), EP_FAILURE (VENUE_REJECTED), false,
                       "cancel rejected: %d %s (HTTP %ld); "
                       "the order's state is unknown to this call",
                       result->venue_code, result->venue_msg, result->http_status);
    else
        s_classify_as (result, EP_STATUS (STATUS_UNSPECIFIED), result->failure, false,
                       "%s failed, no news of the order: %s",
                       op == EP_VENUE_QUERY ? "query" : "cancel", reason);
}

//  ---------------------------------------------------------------------
//  Cancel-replace and amend

//  The target's part, from the cancel's answer on it (an order, ours)
static void
s_change_target (const json_t *json, ep_venue_op_t op, const char *target_client_order_id,
                 ep_venue_result_t *result)
{
    ep_venue_result_t part;
    memset (&part, 0, sizeof (part));
    char problem [256];
    if (s_parse_order (json, op, target_client_order_id, &part, problem, sizeof (problem)))
        s_forget_order (&part);
    else {
        s_classify_order (&part);
        result->target_known = part.status != EP_STATUS (UNKNOWN);
        result->target_status = part.status;
        memcpy (result->target_venue_status, part.venue_status,
                sizeof (result->target_venue_status));
        result->target_executed_qty_e8 = part.executed_qty_e8;
        result->target_cum_quote_e8 = part.cum_quote_e8;
    }
    ep_venue_result_reset (&part);
}

//  The answer to an amend names the order amendedOrder, with "qty" and
//  "cumulativeQuoteQty": read as an order query of the new id would be
static s_outcome_t
s_classify_amended (const json_t *json, const char *target_client_order_id,
                    const char *client_order_id, int64_t qty_e8, ep_venue_result_t *result)
{
    json_t *amended = json_deep_copy (json_object_get (json, "amendedOrder"));
    if (json_is_object (amended)) {
        json_t *qty = json_object_get (amended, "qty");
        json_t *quote = json_object_get (amended, "cumulativeQuoteQty");
        if (qty)
            json_object_set (amended, "origQty", qty);
        if (quote)
            json_object_set (amended, "cummulativeQuoteQty", quote);
    }
    s_outcome_t outcome = s_classify_success (amended, EP_VENUE_QUERY, client_order_id, qty_e8,
                                              result);
    if (outcome == S_OUTCOME_ORDER) {
        //  The same venue order, in place: the target ends here, and what
        //  executed before the amend was the target's
        result->target_known = true;
        result->target_status = EP_STATUS (CANCELED);
        ep_binance_printf (result->target_venue_status, sizeof (result->target_venue_status),
                           "AMENDED");
        result->target_executed_qty_e8 = result->executed_qty_e8;
        result->target_cum_quote_e8 = result->cum_quote_e8;
    }
    (void) target_client_order_id;
    json_decref (amended);
    return outcome;
}

//  A -2021/-2022 answer to a cancel-replace: its data tells each part
static void
s_classify_replace_failed (const json_t *data, const char *target_client_order_id,
                           ep_venue_result_t *result)
{
    const char *cancel = json_string_value (json_object_get (data, "cancelResult"));
    const char *place = json_string_value (json_object_get (data, "newOrderResult"));
    json_t *cancel_answer = json_object_get (data, "cancelResponse");
    json_t *place_answer = json_object_get (data, "newOrderResponse");
    char said [sizeof (result->venue_msg) + 32] = "";
    if (cancel && streq (cancel, "SUCCESS"))
        s_change_target (cancel_answer, EP_VENUE_CANCEL, target_client_order_id, result);
    else {
        json_t *code = json_object_get (cancel_answer, "code");
        json_t *msg = json_object_get (cancel_answer, "msg");
        result->target_code = json_is_integer (code) ? (int) json_integer_value (code) : 0;
        ep_binance_printf (said, sizeof (said), "%d %s", result->target_code,
                           json_is_string (msg) ? json_string_value (msg) : "");
    }
    if (place && streq (place, "NOT_ATTEMPTED"))
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                       "replace not done: the cancel of %s failed (%s): nothing was placed",
                       target_client_order_id, said);
    else
    if (place && streq (place, "FAILURE")) {
        json_t *code = json_object_get (place_answer, "code");
        json_t *msg = json_object_get (place_answer, "msg");
        bool funds = json_is_integer (code) && json_integer_value (code) == -2010
                  && json_is_string (msg)
                  && ep_binance_contains_nocase (json_string_value (msg), "insufficient balance");
        s_classify_as (result, EP_STATUS (REJECTED),
                       funds ? EP_FAILURE (INSUFFICIENT_FUNDS) : EP_FAILURE (VENUE_REJECTED),
                       true, "venue rejected the new order: %" JSON_INTEGER_FORMAT " %s%s",
                       json_is_integer (code) ? json_integer_value (code) : 0,
                       json_is_string (msg) ? json_string_value (msg) : "",
                       result->target_known ? " (the target was canceled)" : "");
    }
    else
        s_classify_as (result, EP_STATUS (UNKNOWN), EP_FAILURE (SEND_UNKNOWN), true,
                       "venue %d %s on a cancel-replace with newOrderResult %s: "
                       "execution status unknown", result->venue_code, result->venue_msg,
                       place ? place : "missing");
}

//  What a change's answer says, once the wire gave one
static void
s_classify_change_answer (const json_t *json, ep_venue_op_t op,
                          const char *target_client_order_id, const char *client_order_id,
                          int64_t qty_e8, ep_venue_result_t *result)
{
    long http = result->http_status;
    if (http >= 200 && http <= 299 && op == EP_VENUE_AMEND) {
        s_classify_amended (json, target_client_order_id, client_order_id, qty_e8, result);
        return;
    }
    if (http >= 200 && http <= 299) {
        s_outcome_t outcome = s_classify_success (json_object_get (json, "newOrderResponse"),
                                                  EP_VENUE_SUBMIT, client_order_id, qty_e8,
                                                  result);
        if (outcome == S_OUTCOME_ORDER)
            s_change_target (json_object_get (json, "cancelResponse"), EP_VENUE_CANCEL,
                             target_client_order_id, result);
        return;
    }
    bool venue_error = s_parse_venue_error (json, result);
    json_t *data = venue_error ? json_object_get (json, "data") : NULL;
    int code = result->venue_code;
    if (op == EP_VENUE_CANCEL_REPLACE && json_is_object (data) && http >= 400 && http <= 499
    &&  (code == -2021 || code == -2022)) {
        s_classify_replace_failed (data, target_client_order_id, result);
        return;
    }
    if (venue_error && http >= 400 && http <= 499 && (code == -2011 || code == -2013)) {
        //  The target is not open to be changed: nothing was placed
        result->target_code = code;
        s_classify_as (result, EP_STATUS (REJECTED), EP_FAILURE (VENUE_REJECTED), true,
                       "%s not done: %d %s (HTTP %ld) on %s: nothing was placed",
                       op == EP_VENUE_AMEND ? "amend" : "replace", code, result->venue_msg,
                       http, target_client_order_id);
        return;
    }
    //  Anything else is read as a submission's answer would be
    s_classify_http (json, EP_VENUE_SUBMIT, client_order_id, qty_e8, result);
}

void
ep_binance_classify_change (ep_venue_op_t op, const char *target_client_order_id,
                            const char *client_order_id, int64_t qty_e8,
                            ep_venue_result_t *result)
{
    assert (target_client_order_id && client_order_id && result);
    s_forget_answer (result);
    result->target_known = false;
    result->target_status = EP_STATUS (STATUS_UNSPECIFIED);
    result->target_venue_status [0] = '\0';
    result->target_executed_qty_e8 = 0;
    result->target_cum_quote_e8 = 0;
    result->target_code = 0;
    if (result->curl_code != CURLE_OK) {
        s_classify_wire (result);
        return;
    }
    json_error_t error;
    json_t *json = result->body && result->body_size > 0
                 ? json_loadb (result->body, result->body_size, JSON_REJECT_DUPLICATES, &error)
                 : NULL;
    s_classify_change_answer (json, op, target_client_order_id, client_order_id, qty_e8,
                              result);
    json_decref (json);
}

//  ---------------------------------------------------------------------
//  What ep_binance_lists.c shares

const char *
ep_binance_parse_decimal (const json_t *object, const char *key, int64_t *value_e8)
{
    return s_parse_decimal (object, key, value_e8);
}

bool
ep_binance_parse_id (const json_t *object, const char *key, char *buf, size_t size)
{
    return s_parse_id (object, key, buf, size);
}

const char *
ep_binance_parse_trades (const json_t *array, const char *id_key, ep_venue_result_t *result,
                         char *problem, size_t problem_size)
{
    return s_parse_trades (array, id_key, result, problem, problem_size);
}

void
ep_binance_forget_order (ep_venue_result_t *result)
{
    s_forget_order (result);
}

void
ep_binance_classify_order (ep_venue_result_t *result)
{
    s_classify_order (result);
}

void
ep_binance_classify_wire (ep_venue_result_t *result)
{
    s_classify_wire (result);
}

void
ep_binance_classify_refusal (const json_t *json, ep_venue_op_t op, ep_venue_result_t *result)
{
    s_classify_http (json, op, "", 0, result);
}
