/*  ep_binance_http: one signed request to Binance, performed once.

    A request is performed at most once: a fresh connection that is never
    reused, HTTP/1.1, no redirects, no "Expect: 100-continue", so nothing
    inside libcurl has a reason to send it again. Nothing secret (key,
    secret, signature) reaches the result: the body, libcurl's error and
    every text the classification writes are scrubbed of all three, as
    sent and JSON-escaped. Every copy of a secret made here is zeroed.  */
#include <assert.h>
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_binance.h"
#include "ep_buf.h"

#define S_BODY_MAX          (1024 * 1024)   //  a longer answer is cut: libcurl 23, UNKNOWN
#define S_RULES_BODY_MAX    (64 * 1024 * 1024)  //  exchangeInfo of every symbol
#define S_SIGNATURE_PARAM   "&signature="
#define S_USER_AGENT        "execplane-live"

#define streq(a, b) (strcmp ((a), (b)) == 0)

//  ---------------------------------------------------------------------
//  Signing

void
ep_binance_sign (const char *secret, const char *total_params, char hex [65])
{
    assert (secret);
    assert (total_params);
    assert (hex);
    crypto_auth_hmacsha256_state state;
    unsigned char mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init (&state, (const unsigned char *) secret, strlen (secret));
    crypto_auth_hmacsha256_update (&state, (const unsigned char *) total_params,
                                   strlen (total_params));
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_bin2hex (hex, EP_BINANCE_SIGNATURE_HEX + 1, mac, sizeof (mac));
    //  The state holds key material derived from the secret
    sodium_memzero (&state, sizeof (state));
    sodium_memzero (mac, sizeof (mac));
}

void
ep_binance_sign_params (ep_venue_t *venue, const char *params,
                        char signature [EP_BINANCE_SIGNATURE_MAX])
{
    assert (venue && params && signature);
    const ep_binance_t *binance = (const ep_binance_t *) venue->state;
    if (!binance->ed25519) {
        ep_binance_sign (binance->api_secret, params, signature);
        return;
    }
    //  base64's '+', '/' and '=' are percent-encoded: the signature is a
    //  parameter of the query string or the form body like any other
    char base64 [sodium_base64_ENCODED_LEN (crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    ep_binance_ed25519_sign (binance->ed25519, params, base64, sizeof base64);
    size_t len = 0;
    for (const char *c = base64; *c; c++)
        len += (size_t) (*c == '+' || *c == '/' || *c == '='
                       ? snprintf (signature + len, EP_BINANCE_SIGNATURE_MAX - len, "%%%02X",
                                   (unsigned char) *c)
                       : snprintf (signature + len, EP_BINANCE_SIGNATURE_MAX - len, "%c", *c));
    sodium_memzero (base64, sizeof base64);
}

//  ---------------------------------------------------------------------
//  libcurl, once

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_init_code = CURLE_FAILED_INIT;

//  curl_global_init is not thread-safe in every libcurl build: once only
static void
s_curl_init (void)
{
    s_curl_init_code = curl_global_init (CURL_GLOBAL_DEFAULT);
}

int
ep_binance_curl_init (char *err, size_t err_size)
{
    pthread_once (&s_curl_once, s_curl_init);
    if (s_curl_init_code == CURLE_OK)
        return 0;
    ep_binance_printf (err, err_size, "libcurl failed to initialise: %s",
                       curl_easy_strerror (s_curl_init_code));
    return -1;
}

//  ---------------------------------------------------------------------
//  One call

//  What one request needs, all of it freed (and its secrets zeroed) after
typedef struct {
    char signature [EP_BINANCE_SIGNATURE_MAX];
    char *signed_params;        //  the parameters and their signature
    size_t signed_size;
    char *url;                  //  with the signed parameters, unless they are the body
    size_t url_size;
    char *key_header;           //  "X-MBX-APIKEY: KEY"
    size_t key_header_size;
    struct curl_slist *headers; //  the request's headers
    CURL *curl;                 //  the transfer
    char errbuf [CURL_ERROR_SIZE];  //  libcurl's words on a failure
    ep_buf_t body;              //  the answer as it arrives, NUL-terminated
    char retry_after [32];      //  the last response's Retry-After
    int64_t used_weight_1m;     //  its X-MBX-USED-WEIGHT-1M, -1 if none
    int64_t order_count_10s;    //  its X-MBX-ORDER-COUNT-10S, -1 if none
    int64_t order_count_1d;     //  its X-MBX-ORDER-COUNT-1D, -1 if none
    size_t body_max;            //  a longer answer is cut
} s_call_t;

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_call_t *call = (s_call_t *) arg;
    size_t len = size * count;
    if (len > call->body_max - call->body.size)
        return 0;               //  libcurl fails the transfer with CURLE_WRITE_ERROR
    if (ep_buf_append_text (&call->body, data, len))
        return 0;
    return len;
}

//  Whether the header line data (len bytes) is name (lower case, with its
//  colon); if so, *value and *end bound its value, trimmed.
static bool
s_header_is (const char *data, size_t len, const char *name, const char **value,
             const char **end)
{
    size_t name_len = strlen (name);
    if (len <= name_len)
        return false;
    for (size_t index = 0; index < name_len; index++) {
        char c = data [index];
        if (c >= 'A' && c <= 'Z')
            c = (char) (c - 'A' + 'a');
        if (c != name [index])
            return false;
    }
    *value = data + name_len;
    *end = data + len;
    while (*value < *end && (**value == ' ' || **value == '\t'))
        (*value)++;
    while (*end > *value && ((*end) [-1] == '\r' || (*end) [-1] == '\n'
                             || (*end) [-1] == ' ' || (*end) [-1] == '\t'))
        (*end)--;
    return true;
}

//  A count of at most 18 digits and nothing else, or -1.
static int64_t
s_header_count (const char *value, const char *end)
{
    if (value == end || end - value > 18)
        return -1;
    int64_t count = 0;
    for (const char *c = value; c < end; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        count = count * 10 + (*c - '0');
    }
    return count;
}

static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_call_t *call = (s_call_t *) arg;
    size_t len = size * count;
    //  Each response starts with its status line: only the last one's
    //  headers count (there is one response, unless a 1xx precedes it)
    if (len >= 5 && memcmp (data, "HTTP/", 5) == 0) {
        call->retry_after [0] = '\0';
        call->used_weight_1m = call->order_count_10s = call->order_count_1d = -1;
        return len;
    }
    const char *value, *end;
    if (s_header_is (data, len, "retry-after:", &value, &end))
        ep_binance_copy_printable (call->retry_after, sizeof (call->retry_after),
                                   value, (size_t) (end - value));
    else
    if (s_header_is (data, len, "x-mbx-used-weight-1m:", &value, &end))
        call->used_weight_1m = s_header_count (value, end);
    else
    if (s_header_is (data, len, "x-mbx-order-count-10s:", &value, &end))
        call->order_count_10s = s_header_count (value, end);
    else
    if (s_header_is (data, len, "x-mbx-order-count-1d:", &value, &end))
        call->order_count_1d = s_header_count (value, end);
    return len;
}

static struct curl_slist *
s_headers_append (struct curl_slist *headers, bool *ok, const char *line)
{
    if (!*ok)
        return headers;
    struct curl_slist *appended = curl_slist_append (headers, line);
    if (!appended) {
        *ok = false;
        return headers;
    }
    return appended;
}

//  Signs the request and writes what it sends: the signed parameters, the
//  URL, the headers. Returns CURLE_OK, or why nothing could be tried.
//  The venue's own information (its clock, its rules): not signed, no key.
static CURLcode
s_call_prepare_info (s_call_t *call, const ep_binance_t *binance,
                     const ep_venue_request_t *request)
{
    call->url_size = strlen (binance->base_url) + strlen (request->path) + 1;
    call->url = (char *) malloc (call->url_size);
    if (!call->url)
        return CURLE_OUT_OF_MEMORY;
    snprintf (call->url, call->url_size, "%s%s", binance->base_url, request->path);
    bool ok = true;
    call->headers = s_headers_append (call->headers, &ok, "Expect:");
    call->curl = ok ? curl_easy_init () : NULL;
    return call->curl ? CURLE_OK : CURLE_FAILED_INIT;
}

static CURLcode
s_call_prepare (s_call_t *call, ep_venue_t *venue, const ep_venue_request_t *request,
                bool has_body)
{
    const ep_binance_t *binance = (const ep_binance_t *) venue->state;
    //  totalParams is the query string followed by the body: with every
    //  parameter in one place, it is simply the parameters as sent
    ep_binance_sign_params (venue, request->params, call->signature);
    call->signed_size = strlen (request->params) + strlen (S_SIGNATURE_PARAM)
                      + strlen (call->signature) + 1;
    call->url_size = strlen (binance->base_url) + strlen (request->path) + 1
                   + (has_body ? 0 : call->signed_size);
    call->key_header_size = strlen ("X-MBX-APIKEY: ") + strlen (binance->api_key) + 1;
    call->signed_params = (char *) malloc (call->signed_size);
    call->url = (char *) malloc (call->url_size);
    call->key_header = (char *) malloc (call->key_header_size);
    if (!call->signed_params || !call->url || !call->key_header)
        return CURLE_OUT_OF_MEMORY;     //  nothing was tried: NOT_SENT
    snprintf (call->signed_params, call->signed_size, "%s" S_SIGNATURE_PARAM "%s",
              request->params, call->signature);
    snprintf (call->url, call->url_size, "%s%s%s%s", binance->base_url, request->path,
              has_body ? "" : "?", has_body ? "" : call->signed_params);
    snprintf (call->key_header, call->key_header_size, "X-MBX-APIKEY: %s", binance->api_key);

    bool ok = true;
    call->headers = s_headers_append (call->headers, &ok, call->key_header);
    //  An empty Expect: libcurl never waits for "100 Continue", and never
    //  sends the request again after a "417 Expectation Failed"
    call->headers = s_headers_append (call->headers, &ok, "Expect:");
    if (has_body)
        call->headers = s_headers_append (call->headers, &ok,
                                          "Content-Type: application/x-www-form-urlencoded");
    call->curl = ok ? curl_easy_init () : NULL;
    return call->curl ? CURLE_OK : CURLE_FAILED_INIT;
}

//  Sets every option of the transfer. One setopt failing (an option this
//  libcurl lacks) stops us before anything leaves: a weaker transfer is
//  not one we perform. Returns CURLE_OK or the first failure.
static CURLcode
s_call_options (s_call_t *call, const ep_binance_t *binance, const char *method,
                bool has_body)
{
    CURL *curl = call->curl;
    CURLcode code = CURLE_OK;
#define S_SET(option, value) do { \
        if (code == CURLE_OK) \
            code = curl_easy_setopt (curl, option, value); \
    } while (0)
    S_SET (CURLOPT_ERRORBUFFER, call->errbuf);
    S_SET (CURLOPT_URL, call->url);
    S_SET (CURLOPT_PROTOCOLS_STR, "http,https");
    //  The venue directly: no proxy taken from the environment
    S_SET (CURLOPT_PROXY, "");
    //  No connection reuse: libcurl re-sends a request by itself when a
    //  reused connection turns out dead (Curl_retry_request)
    S_SET (CURLOPT_FRESH_CONNECT, 1L);
    S_SET (CURLOPT_FORBID_REUSE, 1L);
    //  HTTP/2 has its own retry paths (refused streams); 1.1 has none here
    S_SET (CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
    S_SET (CURLOPT_FOLLOWLOCATION, 0L);
    S_SET (CURLOPT_MAXREDIRS, 0L);
    S_SET (CURLOPT_SSL_VERIFYPEER, 1L);
    S_SET (CURLOPT_SSL_VERIFYHOST, 2L);
    S_SET (CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
    //  TLS early data (0-RTT) can be replayed by the network: libcurl
    //  7.88 never sends it and has no option for it; later versions keep
    //  it off unless CURLSSLOPT_EARLYDATA is set, which we never set
    S_SET (CURLOPT_CONNECTTIMEOUT_MS, binance->connect_timeout_ms);
    S_SET (CURLOPT_TIMEOUT_MS, binance->timeout_ms);
    //  Timeouts without SIGALRM: safe in a threaded process
    S_SET (CURLOPT_NOSIGNAL, 1L);
    S_SET (CURLOPT_USERAGENT, S_USER_AGENT);
    S_SET (CURLOPT_HTTPHEADER, call->headers);
    S_SET (CURLOPT_WRITEFUNCTION, s_on_body);
    S_SET (CURLOPT_WRITEDATA, call);
    S_SET (CURLOPT_HEADERFUNCTION, s_on_header);
    S_SET (CURLOPT_HEADERDATA, call);
    if (has_body) {
        S_SET (CURLOPT_POST, 1L);
        S_SET (CURLOPT_POSTFIELDSIZE, (long) strlen (call->signed_params));
        S_SET (CURLOPT_POSTFIELDS, call->signed_params);
        //  The amend is a PUT with the same form body
        if (streq (method, "PUT"))
            S_SET (CURLOPT_CUSTOMREQUEST, "PUT");
    }
    else
    if (streq (method, "DELETE"))
        S_SET (CURLOPT_CUSTOMREQUEST, "DELETE");
    else
        S_SET (CURLOPT_HTTPGET, 1L);
#undef S_SET
    return code;
}

//  Performs the transfer, once, never again: whatever happens is
//  classified, not retried. Notes what libcurl can tell of it in result.
static CURLcode
s_call_perform (s_call_t *call, long *request_size, ep_venue_result_t *result)
{
    CURLcode code = curl_easy_perform (call->curl);
    //  Read after every outcome: 0 after a failure proves nothing left.
    //  If libcurl cannot say, -1 keeps us on the "maybe sent" side
    if (curl_easy_getinfo (call->curl, CURLINFO_REQUEST_SIZE, request_size) != CURLE_OK)
        *request_size = -1;
    long http_status = 0;
    if (curl_easy_getinfo (call->curl, CURLINFO_RESPONSE_CODE, &http_status) == CURLE_OK)
        result->http_status = http_status;
    curl_off_t elapsed_us = 0;
    if (curl_easy_getinfo (call->curl, CURLINFO_TOTAL_TIME_T, &elapsed_us) == CURLE_OK)
        result->elapsed_us = (int64_t) elapsed_us;
    return code;
}

//  Hands the outcome to result, scrubbed of the secrets, and classifies
//  it. The venue could echo what we sent, as sent or JSON-escaped; the
//  audit keeps the body and the error text, so neither may carry the
//  signature, key or secret. Scrubbed before the body is decoded, and
//  what the decoding gave is scrubbed again after.
static void
s_call_classify (s_call_t *call, const ep_binance_t *binance, const ep_venue_request_t *request,
                 CURLcode code, long request_size, ep_venue_result_t *result)
{
    result->curl_code = (int) code;
    result->request_size = (int64_t) request_size;
    if (code != CURLE_OK) {
        const char *text = call->errbuf [0] ? call->errbuf : curl_easy_strerror (code);
        ep_binance_copy_printable (result->curl_error, sizeof (result->curl_error), text,
                                   strlen (text));
    }
    snprintf (result->retry_after, sizeof (result->retry_after), "%s", call->retry_after);
    //  Retry-After in seconds (Binance's form; an HTTP date is not used)
    result->retry_after_s = s_header_count (call->retry_after,
                                            call->retry_after + strlen (call->retry_after));
    result->used_weight_1m = call->used_weight_1m;
    result->order_count_10s = call->order_count_10s;
    result->order_count_1d = call->order_count_1d;
    result->body = (char *) call->body.data;   //  the result owns it now
    result->body_size = call->body.size;
    call->body = (ep_buf_t) { 0 };

    const char *secrets [] = { call->signature, binance->api_key,
                               binance->api_secret ? binance->api_secret : "" };
    size_t n_secrets = sizeof (secrets) / sizeof (secrets [0]);
    for (size_t index = 0; index < n_secrets; index++) {
        ep_binance_scrub (result->body, result->body_size, secrets [index]);
        ep_binance_scrub (result->curl_error, strlen (result->curl_error), secrets [index]);
        ep_binance_scrub (result->retry_after, strlen (result->retry_after), secrets [index]);
    }
    if (request->op == EP_VENUE_TIME || request->op == EP_VENUE_RULES)
        ep_binance_classify_info (request->op, result);
    else
    if (request->op == EP_VENUE_TRADES)
        ep_binance_classify_trades (request->venue_order_id, result);
    else
    if (request->op == EP_VENUE_OPEN_ORDERS)
        ep_binance_classify_open (result);
    else
    if (request->op == EP_VENUE_CANCEL_REPLACE || request->op == EP_VENUE_AMEND)
        ep_binance_classify_change (request->op, request->target_client_order_id,
                                    request->client_order_id, request->qty_e8, result);
    else
        ep_binance_classify (request->op, request->client_order_id, request->qty_e8, result);
    char *texts [] = { result->reason, result->venue_msg, result->venue_status,
                       result->echoed_client_id, result->venue_order_id };
    for (size_t index = 0; index < n_secrets; index++)
        for (size_t text = 0; text < sizeof (texts) / sizeof (texts [0]); text++)
            ep_binance_scrub_raw (texts [text], strlen (texts [text]), secrets [index]);
}

//  Frees what the call holds, zeroing every copy of a secret first (the
//  header list entries hold the key)
static void
s_call_free (s_call_t *call)
{
    if (call->curl)
        curl_easy_cleanup (call->curl);
    for (struct curl_slist *entry = call->headers; entry; entry = entry->next)
        sodium_memzero (entry->data, strlen (entry->data));
    curl_slist_free_all (call->headers);
    if (call->signed_params)
        sodium_memzero (call->signed_params, call->signed_size);
    if (call->url)
        sodium_memzero (call->url, call->url_size);
    if (call->key_header)
        sodium_memzero (call->key_header, call->key_header_size);
    sodium_memzero (call->signature, sizeof (call->signature));
    free (call->signed_params);
    free (call->url);
    free (call->key_header);
    ep_buf_free (&call->body);
}

void
ep_binance_send (ep_venue_t *self, const ep_venue_request_t *request,
                 ep_venue_result_t *result)
{
    assert (self);
    assert (request);
    assert (result);
    ep_binance_t *binance = (ep_binance_t *) self->state;
    bool has_body = streq (request->method, "POST") || streq (request->method, "PUT");
    assert (has_body || streq (request->method, "GET") || streq (request->method, "DELETE"));
    bool info = request->op == EP_VENUE_TIME || request->op == EP_VENUE_RULES;
    assert (info ? !has_body : request->params [0] != '\0');

    s_call_t call;
    memset (&call, 0, sizeof (call));
    call.used_weight_1m = call.order_count_10s = call.order_count_1d = -1;
    call.body_max = request->op == EP_VENUE_RULES || request->op == EP_VENUE_OPEN_ORDERS
                  ? S_RULES_BODY_MAX : S_BODY_MAX;
    long request_size = 0;
    CURLcode code = info ? s_call_prepare_info (&call, binance, request)
                         : s_call_prepare (&call, self, request, has_body);
    if (code == CURLE_OK)
        code = s_call_options (&call, binance, request->method, has_body);
    if (code == CURLE_OK)
        code = s_call_perform (&call, &request_size, result);
    s_call_classify (&call, binance, request, code, request_size, result);
    s_call_free (&call);
}
