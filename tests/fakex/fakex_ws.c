/*  fakex_ws: Binance's WebSocket API subset on libwebsockets.

    Threads: libwebsockets runs in one service thread, the only one that
    touches a connection's wsi. Other threads (the HTTP handlers, the price
    path's timer) publish events and switch modes under the mutex, then
    wake the service thread with lws_cancel_service; it asks for a writable
    callback on each connection with something to send, and sends one frame
    per callback. In stall mode the thread stops calling lws_service
    altogether, so nothing is read, answered or ponged until the mode
    changes: a venue that froze with its sockets open.  */
#define _GNU_SOURCE
#include <inttypes.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ep_log.h"
#include "fakex_ws.h"

#define S_PATH              "/ws-api/v3"
#define S_RX_MAX            (64 * 1024)     //  a larger request closes the connection
#define S_RECV_WINDOW       5000            //  Binance's default, ms
#define S_RECV_WINDOW_MAX   60000
#define S_AHEAD_MS          1000            //  strict clock: this far ahead is refused
#define S_PARK_TIMEOUT_S    5               //  stall waits this for the thread to park

#define streq(a, b) (strcmp ((a), (b)) == 0)

typedef enum { S_MODE_NORMAL, S_MODE_DOWN, S_MODE_STALL, S_MODE_LATE } s_mode_t;
static const char *s_mode_names [] = { "normal", "down", "stall", "late" };

//  One frame waiting to be sent, with LWS_PRE bytes before its text
typedef struct _s_message_t s_message_t;
struct _s_message_t {
    s_message_t *next;
    size_t size;                //  text bytes
    bool event;                 //  a stream event (counted, kept), not an answer
    bool report;                //  an executionReport: its send is logged
    int64_t event_ms;           //  the event's E
    unsigned char data [];      //  LWS_PRE, then the text and a NUL
};

//  One connection: libwebsockets' per-session data
typedef struct _s_conn_t s_conn_t;
struct _s_conn_t {
    struct lws *wsi;
    s_conn_t *next;             //  in the server's list, under the mutex
    s_message_t *head;          //  frames to send, in order
    s_message_t *tail;
    size_t queued;
    bool closing;               //  close at the next writable callback
    bool logged_on;
    bool subscribed;
    int64_t subscription_id;
    int64_t next_subscription_id;
    int64_t connected_ms;
    char *rx;                   //  a request's fragments so far
    size_t rx_size;
};

typedef struct {
    int64_t send_us;
    char *text;
} s_sent_t;

struct _fakex_ws_t {
    fakex_ws_config_t config;
    struct lws_context *context;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t mutex;      //  guards every field below
    pthread_cond_t changed;     //  the mode changed, or we are stopping
    pthread_cond_t parked;      //  the thread parked for stall
    s_mode_t mode;
    bool is_parked;
    bool stopping;
    s_conn_t *conns;
    size_t connections;
    uint64_t logons;
    uint64_t subscriptions;
    uint64_t events_sent;
    uint64_t events_dropped;
    s_sent_t *sent;             //  ring of FAKEX_WS_EVENTS_MAX
    size_t sent_next;
    size_t sent_size;
};

static int64_t
s_now_us (fakex_ws_t *self)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000
         + self->config.clock_offset_ms * 1000;
}

static int64_t
s_now_ms (fakex_ws_t *self)
{
    return s_now_us (self) / 1000;
}

//  Queues text for conn. Called with the mutex held. False if out of memory.
static bool
s_enqueue (s_conn_t *conn, const char *text, bool event, bool report, int64_t event_ms)
{
    size_t size = strlen (text);
    s_message_t *message = malloc (sizeof *message + LWS_PRE + size + 1);
    if (!message)
        return false;
    message->next = NULL;
    message->size = size;
    message->event = event;
    message->report = report;
    message->event_ms = event_ms;
    memcpy (message->data + LWS_PRE, text, size + 1);
    if (conn->tail)
        conn->tail->next = message;
    else
        conn->head = message;
    conn->tail = message;
    conn->queued++;
    return true;
}

static void
s_queue_free (s_conn_t *conn)
{
    while (conn->head) {
        s_message_t *next = conn->head->next;
        free (conn->head);
        conn->head = next;
    }
    conn->tail = NULL;
    conn->queued = 0;
}

//  Queues an answer (takes it) and asks to send it: the service thread only
static void
s_answer (fakex_ws_t *self, s_conn_t *conn, json_t *answer)
{
    char *text = answer ? json_dumps (answer, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (answer);
    pthread_mutex_lock (&self->mutex);
    bool queued = text && s_enqueue (conn, text, false, false, 0);
    pthread_mutex_unlock (&self->mutex);
    free (text);
    if (queued)
        lws_callback_on_writable (conn->wsi);
    else
        ep_log_error ("ws: out of memory: an answer was not sent");
}

static json_t *
s_id_copy (json_t *id)
{
    return id ? json_deep_copy (id) : json_null ();
}

static void
s_answer_ok (fakex_ws_t *self, s_conn_t *conn, json_t *id, json_t *result)
{
    s_answer (self, conn, json_pack ("{s:o,s:i,s:o}", "id", s_id_copy (id), "status", 200,
                                     "result", result ? result : json_object ()));
}

static void
s_answer_error (fakex_ws_t *self, s_conn_t *conn, json_t *id, int status, int code,
                const char *msg)
{
    s_answer (self, conn, json_pack ("{s:o,s:i,s:{s:i,s:s}}", "id", s_id_copy (id),
                                     "status", status, "error", "code", code, "msg", msg));
}

static int
s_name_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

//  The text session.logon's signature covers: every parameter but the
//  signature, sorted by name, name=value joined by '&' (Binance's "Step
//  1"). NULL if out of memory or a value is not a string or a number.
static char *
s_payload (json_t *params)
{
    const char *names [32];
    size_t count = 0;
    const char *name;
    json_t *value;
    json_object_foreach (params, name, value) {
        if (streq (name, "signature"))
            continue;
        if (count == sizeof names / sizeof names [0])
            return NULL;
        names [count++] = name;
    }
    qsort (names, count, sizeof names [0], s_name_compare);
    char *payload = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&payload, &size);
    if (!out)
        return NULL;
    bool ok = true;
    for (size_t index = 0; index < count; index++) {
        value = json_object_get (params, names [index]);
        fprintf (out, "%s%s=", index ? "&" : "", names [index]);
        if (json_is_string (value))
            fputs (json_string_value (value), out);
        else
        if (json_is_integer (value))
            fprintf (out, "%" JSON_INTEGER_FORMAT, json_integer_value (value));
        else
        if (json_is_real (value)) {
            char *text = json_dumps (value, JSON_ENCODE_ANY);
            fputs (text ? text : "", out);
            free (text);
        }
        else
            ok = false;
    }
    fclose (out);
    if (!ok) {
        free (payload);
        return NULL;
    }
    return payload;
}

//  A whole number parameter, given as a number or as text
static bool
s_param_count (json_t *value, int64_t *result)
{
    if (json_is_integer (value)) {
        *result = json_integer_value (value);
        return *result >= 0;
    }
    if (json_is_real (value)) {
        *result = (int64_t) json_real_value (value);
        return *result >= 0;
    }
    const char *text = json_string_value (value);
    char *end = NULL;
    if (!text || !*text)
        return false;
    *result = strtoll (text, &end, 10);
    return *end == '\0' && *result >= 0;
}

static void
s_mandatory (fakex_ws_t *self, s_conn_t *conn, json_t *id, const char *name)
{
    char msg [160];
    snprintf (msg, sizeof msg,
              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
    s_answer_error (self, conn, id, 400, -1102, msg);
}

static void
s_logon (fakex_ws_t *self, s_conn_t *conn, json_t *id, json_t *params)
{
    if (!self->config.ed25519_key) {
        //  Session logon takes Ed25519 keys only; this venue has an HMAC one
        s_answer_error (self, conn, id, 400, -4056, "HMAC_SHA256 API key is not supported.");
        return;
    }
    const char *key = json_string_value (json_object_get (params, "apiKey"));
    const char *signature = json_string_value (json_object_get (params, "signature"));
    int64_t timestamp, window = S_RECV_WINDOW;
    if (!key || !*key) {
        s_mandatory (self, conn, id, "apiKey");
        return;
    }
    if (!signature || !*signature) {
        s_mandatory (self, conn, id, "signature");
        return;
    }
    if (!s_param_count (json_object_get (params, "timestamp"), &timestamp)) {
        s_mandatory (self, conn, id, "timestamp");
        return;
    }
    json_t *window_value = json_object_get (params, "recvWindow");
    if (window_value && !s_param_count (window_value, &window)) {
        s_answer_error (self, conn, id, 400, -1100,
                        "Illegal characters found in parameter 'recvWindow'.");
        return;
    }
    if (window > S_RECV_WINDOW_MAX) {
        s_answer_error (self, conn, id, 400, -1131, "recvWindow must be less than 60000.");
        return;
    }
    if (!streq (key, self->config.api_key)) {
        s_answer_error (self, conn, id, 401, -2015,
                        "Invalid API-key, IP, or permissions for action.");
        return;
    }
    char *payload = s_payload (params);
    bool valid = payload && fakex_ed25519_verify (self->config.ed25519_key, payload, signature);
    free (payload);
    if (!valid) {
        s_answer_error (self, conn, id, 400, -1022, "Signature for this request is not valid.");
        return;
    }
    int64_t now_ms = s_now_ms (self);
    bool outside = self->config.strict_clock ? now_ms - timestamp > window
                                             : timestamp < now_ms - window
                                               || timestamp > now_ms + window;
    if (self->config.strict_clock && timestamp >= now_ms + S_AHEAD_MS) {
        s_answer_error (self, conn, id, 400, -1021, "Timestamp for this request was 1000ms "
                                                    "ahead of the server's time.");
        return;
    }
    if (outside) {
        s_answer_error (self, conn, id, 400, -1021,
                        "Timestamp for this request is outside of the recvWindow.");
        return;
    }
    pthread_mutex_lock (&self->mutex);
    conn->logged_on = true;
    bool subscribed = conn->subscribed;
    self->logons++;
    pthread_mutex_unlock (&self->mutex);
    ep_log_info ("ws: session.logon accepted");
    s_answer_ok (self, conn, id, json_pack ("{s:s,s:I,s:I,s:b,s:I,s:b}",
        "apiKey", key, "authorizedSince", (json_int_t) timestamp,
        "connectedSince", (json_int_t) conn->connected_ms, "returnRateLimits", 0,
        "serverTime", (json_int_t) now_ms, "userDataStream", subscribed));
}

static void
s_subscribe (fakex_ws_t *self, s_conn_t *conn, json_t *id)
{
    pthread_mutex_lock (&self->mutex);
    bool allowed = conn->logged_on;
    if (allowed && !conn->subscribed) {
        conn->subscribed = true;
        conn->subscription_id = conn->next_subscription_id++;
        self->subscriptions++;
    }
    int64_t subscription_id = conn->subscription_id;
    pthread_mutex_unlock (&self->mutex);
    if (!allowed) {
        s_answer_error (self, conn, id, 401, -1002,
                        "You are not authorized to execute this request.");
        return;
    }
    ep_log_info ("ws: userDataStream.subscribe: subscription %" PRId64, subscription_id);
    s_answer_ok (self, conn, id, json_pack ("{s:I}", "subscriptionId",
                                            (json_int_t) subscription_id));
}

//  Ends the subscription: eventStreamTerminated first, then the answer
static void
s_unsubscribe (fakex_ws_t *self, s_conn_t *conn, json_t *id)
{
    pthread_mutex_lock (&self->mutex);
    if (conn->subscribed) {
        char text [160];
        snprintf (text, sizeof text, "{\"subscriptionId\":%" PRId64 ",\"event\":{\"e\":"
                  "\"eventStreamTerminated\",\"E\":%" PRId64 "}}", conn->subscription_id,
                  s_now_ms (self));
        if (!s_enqueue (conn, text, true, false, 0))
            ep_log_error ("ws: out of memory: eventStreamTerminated was not sent");
        conn->subscribed = false;
    }
    pthread_mutex_unlock (&self->mutex);
    ep_log_info ("ws: userDataStream.unsubscribe");
    s_answer_ok (self, conn, id, NULL);
}

//  One request frame: {"id", "method", "params"}
static void
s_request (fakex_ws_t *self, s_conn_t *conn, const char *text, size_t size)
{
    json_error_t error;
    json_t *request = json_loadb (text, size, 0, &error);
    json_t *id = json_object_get (request, "id");
    const char *method = json_string_value (json_object_get (request, "method"));
    json_t *params = json_object_get (request, "params");
    if (!json_is_object (request) || !method || (params && !json_is_object (params)))
        s_answer_error (self, conn, id, 400, -1100, "Illegal characters found in a parameter.");
    else
    if (streq (method, "session.logon"))
        s_logon (self, conn, id, params);
    else
    if (streq (method, "userDataStream.subscribe"))
        s_subscribe (self, conn, id);
    else
    if (streq (method, "userDataStream.unsubscribe"))
        s_unsubscribe (self, conn, id);
    else
    if (streq (method, "ping"))
        s_answer_ok (self, conn, id, NULL);
    else
        s_answer_error (self, conn, id, 400, -1100,
                        "Illegal characters found in parameter 'method'; legal range is "
                        "'session.logon|userDataStream.subscribe|userDataStream.unsubscribe|"
                        "ping'.");
    json_decref (request);
}

//  Notes an event as sent: counted, kept for GET /fakex/ws/events, and an
//  executionReport's send logged with its E so latency can be measured.
//  Called with the mutex held.
static void
s_sent (fakex_ws_t *self, const s_message_t *message)
{
    int64_t send_us = s_now_us (self);
    self->events_sent++;
    char *copy = strdup ((const char *) message->data + LWS_PRE);
    if (copy) {
        s_sent_t *slot = &self->sent [self->sent_next];
        free (slot->text);
        slot->send_us = send_us;
        slot->text = copy;
        self->sent_next = (self->sent_next + 1) % FAKEX_WS_EVENTS_MAX;
        if (self->sent_size < FAKEX_WS_EVENTS_MAX)
            self->sent_size++;
    }
    if (message->report)
        ep_log_info ("ws: executionReport E=%" PRId64 " sent at %" PRId64 " us (%" PRId64
                     " us after E)", message->event_ms, send_us,
                     send_us - message->event_ms * 1000);
}

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    fakex_ws_t *self = lws_context_user (lws_get_context (wsi));
    s_conn_t *conn = user;
    switch (reason) {
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
            char uri [256];
            if (lws_hdr_copy (wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 || !streq (uri, S_PATH)) {
                lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL);
                return 1;
            }
            pthread_mutex_lock (&self->mutex);
            bool down = self->mode == S_MODE_DOWN;
            pthread_mutex_unlock (&self->mutex);
            if (down) {
                ep_log_info ("ws: down: an upgrade refused with 503");
                lws_return_http_status (wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
                return 1;
            }
            return 0;
        }
        case LWS_CALLBACK_HTTP:
            //  Only WebSocket upgrades are served here
            lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL);
            return -1;
        case LWS_CALLBACK_ESTABLISHED:
            memset (conn, 0, sizeof *conn);
            conn->wsi = wsi;
            conn->connected_ms = s_now_ms (self);
            pthread_mutex_lock (&self->mutex);
            conn->next = self->conns;
            self->conns = conn;
            self->connections++;
            //  Down was switched on during the handshake
            conn->closing = self->mode == S_MODE_DOWN;
            pthread_mutex_unlock (&self->mutex);
            ep_log_info ("ws: connection opened");
            if (conn->closing)
                lws_callback_on_writable (wsi);
            return 0;
        case LWS_CALLBACK_RECEIVE: {
            if (conn->rx_size + len > S_RX_MAX)
                return -1;
            char *rx = realloc (conn->rx, conn->rx_size + len + 1);
            if (!rx)
                return -1;
            memcpy (rx + conn->rx_size, in, len);
            conn->rx = rx;
            conn->rx_size += len;
            if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
                s_request (self, conn, conn->rx, conn->rx_size);
                free (conn->rx);
                conn->rx = NULL;
                conn->rx_size = 0;
            }
            return 0;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            pthread_mutex_lock (&self->mutex);
            if (conn->closing) {
                pthread_mutex_unlock (&self->mutex);
                lws_close_reason (wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
                return -1;
            }
            s_message_t *message = conn->head;
            if (message && message->event && self->mode == S_MODE_LATE)
                message = NULL;         //  events wait for normal, answers too behind them
            if (message) {
                conn->head = message->next;
                if (!conn->head)
                    conn->tail = NULL;
                conn->queued--;
            }
            bool more = conn->head != NULL;
            pthread_mutex_unlock (&self->mutex);
            if (!message)
                return 0;
            int written = lws_write (wsi, message->data + LWS_PRE, message->size, LWS_WRITE_TEXT);
            if (written < (int) message->size) {
                free (message);
                return -1;
            }
            if (message->event) {
                pthread_mutex_lock (&self->mutex);
                s_sent (self, message);
                pthread_mutex_unlock (&self->mutex);
            }
            free (message);
            if (more)
                lws_callback_on_writable (wsi);
            return 0;
        }
        case LWS_CALLBACK_CLOSED:
            pthread_mutex_lock (&self->mutex);
            for (s_conn_t **link = &self->conns; *link; link = &(*link)->next)
                if (*link == conn) {
                    *link = conn->next;
                    self->connections--;
                    break;
                }
            s_queue_free (conn);
            pthread_mutex_unlock (&self->mutex);
            free (conn->rx);
            conn->rx = NULL;
            ep_log_info ("ws: connection closed");
            return 0;
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            //  Another thread queued something or asked for closes
            pthread_mutex_lock (&self->mutex);
            for (s_conn_t *each = self->conns; each; each = each->next)
                if (each->closing || each->head)
                    lws_callback_on_writable (each->wsi);
            pthread_mutex_unlock (&self->mutex);
            return 0;
        default:
            return 0;
    }
}

static struct lws_protocols s_protocols [] = {
    { "fakex-ws-api", s_callback, sizeof (s_conn_t), 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

//  The service thread: lws_service until stopped, parked while stalled
static void *
s_service (void *arg)
{
    fakex_ws_t *self = arg;
    pthread_mutex_lock (&self->mutex);
    while (!self->stopping) {
        if (self->mode == S_MODE_STALL) {
            self->is_parked = true;
            pthread_cond_broadcast (&self->parked);
            pthread_cond_wait (&self->changed, &self->mutex);
            continue;
        }
        self->is_parked = false;
        pthread_mutex_unlock (&self->mutex);
        lws_service (self->context, 0);
        pthread_mutex_lock (&self->mutex);
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

//  libwebsockets' own messages go through ep_log
static void
s_lws_log (int level, const char *line)
{
    char text [512];
    snprintf (text, sizeof text, "%s", line);
    size_t len = strlen (text);
    while (len > 0 && text [len - 1] == '\n')
        text [--len] = '\0';
    if (level == LLL_ERR)
        ep_log_error ("libwebsockets: %s", text);
    else
        ep_log_warn ("libwebsockets: %s", text);
}

fakex_ws_t *
fakex_ws_start (const fakex_ws_config_t *config, uint16_t port, uint16_t *bound)
{
    fakex_ws_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->sent = calloc (FAKEX_WS_EVENTS_MAX, sizeof *self->sent);
    pthread_mutex_init (&self->mutex, NULL);
    pthread_cond_init (&self->changed, NULL);
    pthread_cond_init (&self->parked, NULL);
    lws_set_log_level (LLL_ERR | LLL_WARN, s_lws_log);
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof info);
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = s_protocols;
    info.user = self;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (self->sent)
        self->context = lws_create_context (&info);
    struct lws_vhost *vhost = self->context ? lws_get_vhost_by_name (self->context, "default")
                                            : NULL;
    int listen_port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
    if (listen_port <= 0) {
        fakex_ws_stop (&self);
        return NULL;
    }
    *bound = (uint16_t) listen_port;
    if (pthread_create (&self->thread, NULL, s_service, self) != 0) {
        fakex_ws_stop (&self);
        return NULL;
    }
    self->thread_started = true;
    return self;
}

void
fakex_ws_stop (fakex_ws_t **self_p)
{
    fakex_ws_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->mutex);
    if (self->thread_started) {
        lws_cancel_service (self->context);
        pthread_join (self->thread, NULL);
    }
    //  Closes what is still open (CLOSED callbacks unlink each)
    if (self->context)
        lws_context_destroy (self->context);
    for (size_t index = 0; self->sent && index < FAKEX_WS_EVENTS_MAX; index++)
        free (self->sent [index].text);
    free (self->sent);
    pthread_cond_destroy (&self->parked);
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

void
fakex_ws_publish (fakex_ws_t *self, json_t *event)
{
    char *text = event ? json_dumps (event, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    const char *type = json_string_value (json_object_get (event, "e"));
    bool report = type && streq (type, "executionReport");
    int64_t event_ms = json_integer_value (json_object_get (event, "E"));
    json_decref (event);
    if (!text) {
        ep_log_error ("ws: out of memory: an event was not sent");
        return;
    }
    bool wake = false;
    pthread_mutex_lock (&self->mutex);
    if (self->mode == S_MODE_DOWN || self->mode == S_MODE_STALL)
        //  A gap, as a real outage makes: the client must query to learn it
        self->events_dropped++;
    else
    for (s_conn_t *conn = self->conns; conn; conn = conn->next) {
        if (!conn->subscribed || conn->closing)
            continue;
        char *frame = NULL;
        if (conn->queued >= FAKEX_WS_QUEUE_MAX) {
            //  A client that does not read loses its stream, not our memory
            conn->closing = true;
            s_queue_free (conn);
            self->events_dropped++;
            ep_log_warn ("ws: a connection left %d events unread: closed", FAKEX_WS_QUEUE_MAX);
        }
        else
        if (asprintf (&frame, "{\"subscriptionId\":%" PRId64 ",\"event\":%s}",
                      conn->subscription_id, text) < 0
        ||  !s_enqueue (conn, frame, true, report, event_ms)) {
            self->events_dropped++;
            ep_log_error ("ws: out of memory: an event was not sent");
        }
        free (frame);
        wake = true;
    }
    pthread_mutex_unlock (&self->mutex);
    free (text);
    if (wake)
        lws_cancel_service (self->context);
}

bool
fakex_ws_set_mode (fakex_ws_t *self, const char *mode)
{
    bool drop = streq (mode, "drop");
    s_mode_t next = S_MODE_NORMAL;
    if (streq (mode, "down"))
        next = S_MODE_DOWN;
    else
    if (streq (mode, "stall"))
        next = S_MODE_STALL;
    else
    if (streq (mode, "late"))
        next = S_MODE_LATE;
    else
    if (!drop && !streq (mode, "normal"))
        return false;
    pthread_mutex_lock (&self->mutex);
    self->mode = next;
    if (drop || next == S_MODE_DOWN)
        for (s_conn_t *conn = self->conns; conn; conn = conn->next)
            conn->closing = true;
    pthread_cond_broadcast (&self->changed);
    lws_cancel_service (self->context);
    if (next == S_MODE_STALL) {
        //  Parked before we answer: a ping sent after this gets no pong
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_sec += S_PARK_TIMEOUT_S;
        int rc = 0;
        while (!self->is_parked && !self->stopping && rc == 0)
            rc = pthread_cond_timedwait (&self->parked, &self->mutex, &deadline);
    }
    pthread_mutex_unlock (&self->mutex);
    ep_log_info ("ws: mode %s", mode);
    return true;
}

json_t *
fakex_ws_status_json (fakex_ws_t *self)
{
    pthread_mutex_lock (&self->mutex);
    json_t *json = json_pack ("{s:s,s:I,s:I,s:I,s:I,s:I}",
        "mode", s_mode_names [self->mode],
        "connections", (json_int_t) self->connections,
        "logons", (json_int_t) self->logons,
        "subscriptions", (json_int_t) self->subscriptions,
        "events_sent", (json_int_t) self->events_sent,
        "events_dropped", (json_int_t) self->events_dropped);
    pthread_mutex_unlock (&self->mutex);
    return json;
}

json_t *
fakex_ws_events_json (fakex_ws_t *self)
{
    json_t *list = json_array ();
    pthread_mutex_lock (&self->mutex);
    size_t first = (self->sent_next + FAKEX_WS_EVENTS_MAX - self->sent_size)
                 % FAKEX_WS_EVENTS_MAX;
    for (size_t index = 0; list && index < self->sent_size; index++) {
        const s_sent_t *slot = &self->sent [(first + index) % FAKEX_WS_EVENTS_MAX];
        json_array_append_new (list, json_pack ("[I,s]", (json_int_t) slot->send_us,
                                                slot->text));
    }
    pthread_mutex_unlock (&self->mutex);
    return list;
}
