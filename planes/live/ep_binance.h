/*  ep_binance: what the files of the Binance adapter share, and nothing
    outside planes/live includes. ep_venue_binance.c builds the venue and
    its requests, ep_binance_http.c signs and performs them,
    ep_binance_parse.c classifies the answers about an order,
    ep_binance_lists.c the others (clock, trades, open orders),
    ep_binance_instruments.c reads the rules, ep_binance_text.c keeps
    texts clean and free of secrets.  */
#ifndef EP_BINANCE_H_INCLUDED
#define EP_BINANCE_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "ep_venue_binance.h"

#define EP_BINANCE_SIGNATURE_HEX 64     //  hex digits of an HMAC-SHA256

//  The adapter's state (ep_venue_t.state).
typedef struct {
    char *base_url;             //  scheme://host[:port], no trailing '/'
    char *api_key;              //  X-MBX-APIKEY; sodium_malloc'd (zeroed when freed)
    char *api_secret;           //  HMAC key; sodium_malloc'd (zeroed when freed); or NULL
    unsigned char *ed25519;     //  Ed25519 secret key; sodium_malloc'd, read-only; or NULL
    char *stream_url;           //  live/stream_url: "auto", "off" or a ws(s):// URL
    int64_t recv_window_ms;     //  sent as recvWindow
    long connect_timeout_ms;    //  CURLOPT_CONNECTTIMEOUT_MS
    long timeout_ms;            //  CURLOPT_TIMEOUT_MS
} ep_binance_t;

//  ep_venue_t.send: signs and performs request once, then classifies
//  the outcome into result (ep_binance_classify) with no secret in it.
void ep_binance_send (ep_venue_t *self, const ep_venue_request_t *request,
                      ep_venue_result_t *result);

//  Initialises libcurl, once per process whatever the threads. Returns 0,
//  or -1 with libcurl's reason in err.
int ep_binance_curl_init (char *err, size_t err_size);

//  vsnprintf and snprintf whose truncation is intended, at a character
//  boundary: texts carry the venue's words, and a character cut in two
//  would not decode. size is at most 2047.
void ep_binance_vprintf (char *buf, size_t size, const char *format, va_list args)
    __attribute__ ((format (printf, 3, 0)));
void ep_binance_printf (char *buf, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Appends at *len; false (and buf unusable) if it did not fit.
bool ep_binance_appendf (char *buf, size_t size, size_t *len, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Copies len bytes of the venue's text into buf as one line of valid
//  UTF-8 (ill-formed bytes become '?', control characters spaces).
void ep_binance_copy_printable (char *buf, size_t size, const char *text, size_t len);

//  Whether haystack holds needle, ASCII case aside (no locale).
bool ep_binance_contains_nocase (const char *haystack, const char *needle);

//  Overwrites every occurrence of needle (8 bytes or more) in text
//  [0..len) with '*', same length, so a body keeps its shape.
void ep_binance_scrub_raw (char *text, size_t len, const char *needle);

//  Scrubs needle from text as sent and as a JSON decoder would read it.
void ep_binance_scrub (char *text, size_t len, const char *needle);

//  The parts of ep_binance_parse.c that ep_binance_lists.c uses: a
//  decimal string field (NULL, or key if missing or not a decimal); an
//  integer id as text; trades (a submission's fills, or myTrades'), each
//  one's id under id_key (NULL, or what was wrong, in problem); forgetting
//  what a result said of an order; a libcurl failure's classification; a
//  non-2xx answer's (a rate limit is RATE_LIMITED, and so on).
const char *ep_binance_parse_decimal (const json_t *object, const char *key, int64_t *value_e8);
bool ep_binance_parse_id (const json_t *object, const char *key, char *buf, size_t size);
const char *ep_binance_parse_trades (const json_t *array, const char *id_key,
                                     ep_venue_result_t *result, char *problem,
                                     size_t problem_size);
void ep_binance_forget_order (ep_venue_result_t *result);
void ep_binance_classify_order (ep_venue_result_t *result);
void ep_binance_classify_wire (ep_venue_result_t *result);
void ep_binance_classify_refusal (const json_t *json, ep_venue_op_t op,
                                  ep_venue_result_t *result);

//  ep_binance_stream.c: the user data stream (ep_venue_t's stream_url,
//  stream_request and stream_read).
const char *ep_binance_stream_url (ep_venue_t *self, char *err, size_t err_size);
int ep_binance_stream_request (ep_venue_t *self, int step, int64_t now_ms,
                               const char *request_id, char *text, size_t size);
void ep_binance_stream_read (ep_venue_t *self, char *text, ep_venue_stream_event_t *event);

#endif
