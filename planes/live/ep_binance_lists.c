/*  ep_binance_lists: what Binance's answers that are not about one order's
    state say: the venue's clock and rules (GET /api/v3/time,
    /api/v3/exchangeInfo), an order's trades (GET /api/v3/myTrades) and the
    orders open on the account (GET /api/v3/openOrders). Like every answer,
    each is classified, and one that cannot be read whole is not taken in
    part. Pure: no I/O, no clock.  */
#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "ep_binance.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)

//  The venue's own information

void
ep_binance_classify_info (ep_venue_op_t op, ep_venue_result_t *result)
{
    assert (op == EP_VENUE_TIME || op == EP_VENUE_RULES);
    assert (result);
    ep_binance_forget_order (result);
    result->venue_code = 0;
    result->venue_msg [0] = '\0';
    result->clock_fault = false;
    result->server_time_ms = 0;
    const char *what = op == EP_VENUE_TIME ? "the venue's clock" : "the venue's rules";
    if (result->curl_code != CURLE_OK) {
        ep_binance_classify_wire (result);
        char reason [sizeof (result->reason)];
        memcpy (reason, result->reason, sizeof (reason));
        ep_binance_printf (result->reason, sizeof (result->reason), "%s: not read: %s",
                           what, reason);
    }
    else {
        json_error_t error;
        json_t *json = result->body && result->body_size > 0
                     ? json_loadb (result->body, result->body_size, 0, &error) : NULL;
        json_t *server_time = json_object_get (json, "serverTime");
        if (result->http_status != 200) {
            //  Classified as any answer (a rate limit is RATE_LIMITED), and
            //  said plainly: nothing was executed, whatever the code
            ep_binance_classify_refusal (json, op, result);
            if (result->venue_code)
                ep_binance_printf (result->reason, sizeof (result->reason),
                                   "%s: not read: HTTP %ld: %d %s", what, result->http_status,
                                   result->venue_code, result->venue_msg);
            else
                ep_binance_printf (result->reason, sizeof (result->reason),
                                   "%s: not read: HTTP %ld", what, result->http_status);
        }
        else
        if (op == EP_VENUE_TIME && (!json_is_integer (server_time)
                                    || json_integer_value (server_time) <= 0)) {
            result->failure = EP_FAILURE (VENUE_REJECTED);
            ep_binance_printf (result->reason, sizeof (result->reason),
                               "%s: the answer carries no serverTime", what);
        }
        else {
            if (op == EP_VENUE_TIME)
                result->server_time_ms = (int64_t) json_integer_value (server_time);
            result->failure = EP_FAILURE (FAILURE_NONE);
            ep_binance_printf (result->reason, sizeof (result->reason), "%s: read", what);
        }
        json_decref (json);
    }
    result->status = EP_STATUS (STATUS_UNSPECIFIED);
    result->terminal = false;
}

//  ---------------------------------------------------------------------
//  The trades of one order

void
ep_binance_classify_trades (const char *venue_order_id, ep_venue_result_t *result)
{
    assert (venue_order_id && result);
    ep_binance_forget_order (result);
    result->venue_code = 0;
    result->venue_msg [0] = '\0';
    result->clock_fault = false;
    result->status = EP_STATUS (STATUS_UNSPECIFIED);
    result->terminal = false;
    if (result->curl_code != CURLE_OK) {
        ep_binance_classify_wire (result);
        result->status = EP_STATUS (STATUS_UNSPECIFIED);
        result->terminal = false;
        return;
    }
    json_error_t error;
    json_t *json = result->body && result->body_size > 0
                 ? json_loadb (result->body, result->body_size, 0, &error) : NULL;
    char problem [256] = "";
    if (result->http_status != 200) {
        ep_binance_classify_refusal (json, EP_VENUE_TRADES, result);
        result->status = EP_STATUS (STATUS_UNSPECIFIED);
        result->terminal = false;
    }
    else
    if (!json_is_array (json))
        ep_binance_printf (problem, sizeof (problem), "not an array of trades");
    else {
        //  Every trade must be of this order
        size_t index;
        json_t *trade;
        json_array_foreach (json, index, trade) {
            char order_id [sizeof (result->venue_order_id)];
            if (!ep_binance_parse_id (trade, "orderId", order_id, sizeof (order_id))
            ||  strcmp (order_id, venue_order_id) != 0) {
                ep_binance_printf (problem, sizeof (problem),
                                   "trade %zu is not of order %s", index, venue_order_id);
                break;
            }
        }
        if (!problem [0])
            ep_binance_parse_trades (json, "id", result, problem, sizeof (problem));
    }
    if (problem [0]) {
        ep_binance_forget_order (result);
        result->failure = EP_FAILURE (SEND_UNKNOWN);
        ep_binance_printf (result->reason, sizeof (result->reason),
                           "the trades of order %s could not be read: %s", venue_order_id,
                           problem);
    }
    else
    if (result->http_status == 200) {
        result->failure = EP_FAILURE (FAILURE_NONE);
        ep_binance_printf (result->reason, sizeof (result->reason),
                           "%zu trade(s) of order %s", result->fill_count, venue_order_id);
    }
    json_decref (json);
}

//  ---------------------------------------------------------------------
//  The orders open on the account

//  One order of openOrders' answer into open; NULL, or what is wrong.
static const char *
s_parse_open (const json_t *json, ep_venue_open_t *open)
{
    json_t *client = json_object_get (json, "clientOrderId");
    json_t *symbol = json_object_get (json, "symbol");
    json_t *side = json_object_get (json, "side");
    json_t *status = json_object_get (json, "status");
    if (!json_is_string (client) || json_string_length (client) >= sizeof (open->client_order_id))
        return "clientOrderId";
    if (!json_is_string (symbol) || json_string_length (symbol) >= sizeof (open->symbol))
        return "symbol";
    if (!json_is_string (status) || json_string_length (status) >= sizeof (open->status))
        return "status";
    if (!ep_binance_parse_id (json, "orderId", open->venue_order_id, sizeof (open->venue_order_id)))
        return "orderId";
    const char *bad = ep_binance_parse_decimal (json, "origQty", &open->qty_e8);
    if (!bad)
        bad = ep_binance_parse_decimal (json, "executedQty", &open->executed_qty_e8);
    if (bad)
        return bad;
    const char *side_text = json_is_string (side) ? json_string_value (side) : "";
    open->side = streq (side_text, "BUY") ? EP_SIDE (BUY)
               : streq (side_text, "SELL") ? EP_SIDE (SELL) : EP_SIDE (SIDE_UNSPECIFIED);
    ep_binance_copy_printable (open->client_order_id, sizeof (open->client_order_id),
                               json_string_value (client), json_string_length (client));
    ep_binance_copy_printable (open->symbol, sizeof (open->symbol), json_string_value (symbol),
                               json_string_length (symbol));
    ep_binance_copy_printable (open->status, sizeof (open->status), json_string_value (status),
                               json_string_length (status));
    return NULL;
}

void
ep_binance_classify_open (ep_venue_result_t *result)
{
    assert (result);
    ep_binance_forget_order (result);
    free (result->open);
    result->open = NULL;
    result->open_count = 0;
    result->venue_code = 0;
    result->venue_msg [0] = '\0';
    result->clock_fault = false;
    if (result->curl_code != CURLE_OK)
        ep_binance_classify_wire (result);
    else {
        json_error_t error;
        json_t *json = result->body && result->body_size > 0
                     ? json_loadb (result->body, result->body_size, 0, &error) : NULL;
        char problem [128] = "";
        if (result->http_status != 200)
            ep_binance_classify_refusal (json, EP_VENUE_OPEN_ORDERS, result);
        else
        if (!json_is_array (json))
            ep_binance_printf (problem, sizeof (problem), "not an array of orders");
        else {
            size_t count = json_array_size (json);
            result->open = count ? calloc (count, sizeof (ep_venue_open_t)) : NULL;
            if (count && !result->open)
                ep_binance_printf (problem, sizeof (problem), "out of memory");
            for (size_t index = 0; result->open && index < count && !problem [0]; index++) {
                const char *bad = s_parse_open (json_array_get (json, index),
                                                &result->open [index]);
                if (bad)
                    ep_binance_printf (problem, sizeof (problem),
                                       "order %zu: %s missing or malformed", index, bad);
            }
            if (!problem [0]) {
                result->open_count = count;
                result->failure = EP_FAILURE (FAILURE_NONE);
                ep_binance_printf (result->reason, sizeof (result->reason),
                                   "%zu order(s) open at the venue", count);
            }
        }
        if (problem [0]) {
            free (result->open);
            result->open = NULL;
            result->failure = EP_FAILURE (SEND_UNKNOWN);
            ep_binance_printf (result->reason, sizeof (result->reason),
                               "the open orders could not be read: %s", problem);
        }
        json_decref (json);
    }
    result->status = EP_STATUS (STATUS_UNSPECIFIED);
    result->terminal = false;
}
