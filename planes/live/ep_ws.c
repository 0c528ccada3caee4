/*  ep_ws: one WebSocket client connection in a thread of its own.

    The thread runs libwebsockets' service loop. The owner's commands come
    over the actor's pipe, each followed by lws_cancel_service (the one
    libwebsockets call that is safe from another thread), which wakes the
    loop into LWS_CALLBACK_EVENT_WAIT_CANCELLED where the pipe is read.
    What the connection says goes back over the same pipe.  */
#include <assert.h>
#include <czmq.h>
#include <libwebsockets.h>
#include <stdatomic.h>
#include "ep_buf.h"
#include "ep_log.h"
#include "ep_sock.h"
#include "ep_ws.h"

struct _ep_ws_t {
    zactor_t *actor;                    //  the thread, and the pipe to it
    _Atomic (struct lws_context *) context;     //  its loop, once it runs (to wake it)
    ep_ws_config_t config;              //  url copied
    char err [256];                     //  why the thread could not start
};

typedef enum { S_IDLE, S_CONNECTING, S_OPEN } s_state_t;

//  The thread's own: nothing here is touched by the owner.
typedef struct {
    ep_ws_t *owner;                     //  its configuration
    zsock_t *pipe;                      //  to the owner
    struct lws_context *context;        //  the loop
    struct lws *wsi;                    //  the connection, or NULL
    s_state_t state;                    //  where the connection is
    zlist_t *outbox;                    //  texts to send (char *, owned)
    bool ping_due;                      //  a ping waits for the socket
    char *closing;                      //  the owner asked to close, for this reason
    int64_t last_heard_ms;              //  a frame or a pong came then (monotonic)
    ep_buf_t frame;                     //  the frame being reassembled
    bool terminated;                    //  the owner ends the thread
} s_thread_t;

//  ---------------------------------------------------------------------
//  In the thread

//  The connection wsi closed, or never opened: told once, with why.
static void
s_closed (s_thread_t *self, struct lws *wsi, const char *reason)
{
    //  A late word from a connection already told closed is no news
    if (self->state == S_IDLE || (self->wsi && wsi != self->wsi))
        return;
    self->state = S_IDLE;
    self->wsi = NULL;
    self->ping_due = false;
    zstr_free (&self->closing);
    ep_buf_clear (&self->frame);
    char *text;
    while ((text = (char *) zlist_pop (self->outbox)))
        free (text);
    zstr_sendm (self->pipe, "CLOSED");
    zstr_send (self->pipe, reason);
}

static void
s_connect (s_thread_t *self)
{
    if (self->state != S_IDLE)
        return;
    //  lws_parse_uri cuts the copy it is given in pieces
    char url [512];
    snprintf (url, sizeof url, "%s", self->owner->config.url);
    const char *scheme, *address, *path;
    int port;
    if (lws_parse_uri (url, &scheme, &address, &port, &path)) {
        zstr_sendm (self->pipe, "CLOSED");
        zstr_send (self->pipe, "the stream's URL is not ws://HOST[:PORT]/PATH or wss://...");
        return;
    }
    char full_path [512];
    snprintf (full_path, sizeof full_path, "/%s", path);
    struct lws_client_connect_info info;
    memset (&info, 0, sizeof info);
    info.context = self->context;
    info.address = address;
    info.port = port;
    info.path = full_path;
    info.host = address;
    info.origin = address;
    info.ssl_connection = strcmp (scheme, "wss") == 0 ? LCCSCF_USE_SSL : 0;
    info.local_protocol_name = "ep-stream";
    self->state = S_CONNECTING;
    self->wsi = NULL;
    //  A failure may be told by the callback before this returns
    struct lws *wsi = lws_client_connect_via_info (&info);
    if (self->state == S_CONNECTING && !self->wsi && wsi)
        self->wsi = wsi;
    if (!wsi)
        s_closed (self, NULL, "cannot connect: no connection could be started");
}

//  The owner's commands, read without waiting.
static void
s_commands (s_thread_t *self)
{
    while (zsock_events (self->pipe) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        char *command = msg ? zmsg_popstr (msg) : NULL;
        if (!command)
            ;
        else
        if (streq (command, "$TERM"))
            self->terminated = true;
        else
        if (streq (command, "CONNECT"))
            s_connect (self);
        else
        if (streq (command, "SEND") && self->state == S_OPEN) {
            char *text = zmsg_popstr (msg);
            if (text && zlist_append (self->outbox, text) == 0)
                lws_callback_on_writable (self->wsi);
            else
                free (text);
        }
        else
        if (streq (command, "CLOSE") && self->state != S_IDLE && !self->closing) {
            self->closing = zmsg_popstr (msg);
            if (self->wsi)
                lws_callback_on_writable (self->wsi);
        }
        zstr_free (&command);
        zmsg_destroy (&msg);
    }
}

//  The timer: a ping is due, or nothing was heard for stall_ms. Returns
//  -1 to close a stalled connection.
static int
s_on_timer (s_thread_t *self, struct lws *wsi)
{
    const ep_ws_config_t *config = &self->owner->config;
    int64_t silent_ms = ep_sock_clock_ms () - self->last_heard_ms;
    if (silent_ms >= config->stall_ms) {
        char reason [128];
        snprintf (reason, sizeof reason, "stalled: nothing heard for %lld ms (pings "
                  "unanswered)", (long long) silent_ms);
        s_closed (self, wsi, reason);
        return -1;
    }
    self->ping_due = true;
    lws_callback_on_writable (wsi);
    int64_t next_ms = config->stall_ms - silent_ms;
    if (next_ms > config->ping_ms)
        next_ms = config->ping_ms;
    lws_set_timer_usecs (wsi, (lws_usec_t) next_ms * 1000);
    return 0;
}

//  The socket takes a frame: a close, a ping, or the next text. Returns
//  -1 to close.
static int
s_on_writable (s_thread_t *self, struct lws *wsi)
{
    if (self->closing) {
        lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *) "bye", 3);
        char *reason = self->closing;
        self->closing = NULL;
        s_closed (self, wsi, reason);
        free (reason);
        return -1;
    }
    unsigned char buffer [LWS_PRE + 16];
    if (self->ping_due) {
        self->ping_due = false;
        if (lws_write (wsi, buffer + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
    }
    else {
        char *text = (char *) zlist_pop (self->outbox);
        if (!text)
            return 0;
        size_t len = strlen (text);
        unsigned char *frame = (unsigned char *) malloc (LWS_PRE + len + 1);
        int rc = frame ? lws_write (wsi, frame + LWS_PRE,
                                    (size_t) (memcpy (frame + LWS_PRE, text, len), len),
                                    LWS_WRITE_TEXT) : -1;
        free (frame);
        free (text);
        if (rc < (int) len) {
            s_closed (self, wsi, "a frame could not be written");
            return -1;
        }
    }
    if (zlist_size (self->outbox) || self->ping_due)
        lws_callback_on_writable (wsi);
    return 0;
}

//  A part of a frame came. Returns -1 to close.
static int
s_on_receive (s_thread_t *self, struct lws *wsi, const void *in, size_t len)
{
    self->last_heard_ms = ep_sock_clock_ms ();
    if (self->frame.size + len > EP_WS_FRAME_MAX
    ||  ep_buf_append_text (&self->frame, in, len)) {
        s_closed (self, wsi, "a frame over 1 MiB, or no memory for it: closed");
        return -1;
    }
    if (lws_is_final_fragment (wsi) && lws_remaining_packet_payload (wsi) == 0) {
        zstr_sendm (self->pipe, "TEXT");
        zstr_send (self->pipe, self->frame.size ? (const char *) self->frame.data : "");
        ep_buf_clear (&self->frame);
    }
    return 0;
}

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
            size_t len)
{
    (void) user;
    s_thread_t *self = (s_thread_t *) lws_context_user (lws_get_context (wsi));
    switch (reason) {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            s_commands (self);
            break;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            //  in is libwebsockets' reason, NUL-terminated, or NULL
            char why [300];
            snprintf (why, sizeof why, "cannot connect: %s",
                      in ? (const char *) in : "no reason given");
            s_closed (self, wsi, why);
            break;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            if (self->state != S_CONNECTING)
                return -1;
            self->wsi = wsi;
            self->state = S_OPEN;
            self->last_heard_ms = ep_sock_clock_ms ();
            lws_set_timer_usecs (wsi, (lws_usec_t) self->owner->config.ping_ms * 1000);
            zstr_send (self->pipe, "OPEN");
            break;
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return wsi == self->wsi ? s_on_receive (self, wsi, in, len) : -1;
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            self->last_heard_ms = ep_sock_clock_ms ();
            break;
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return wsi == self->wsi ? s_on_writable (self, wsi) : -1;
        case LWS_CALLBACK_TIMER:
            return wsi == self->wsi ? s_on_timer (self, wsi) : -1;
        case LWS_CALLBACK_CLIENT_CLOSED:
            s_closed (self, wsi, "closed by the peer");
            break;
        case LWS_CALLBACK_WSI_DESTROY:
            if (wsi == self->wsi)
                s_closed (self, wsi, "the connection ended");
            break;
        default:
            break;
    }
    return 0;
}

static const struct lws_protocols s_protocols [] = {
    { "ep-stream", s_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

//  libwebsockets' own errors go to our log
static void
s_lws_log (int level, const char *line)
{
    (void) level;
    size_t len = strlen (line);
    while (len > 0 && (line [len - 1] == '\n' || line [len - 1] == '\r'))
        len--;
    ep_log_warn ("websocket: %.*s", (int) len, line);
}

static void
s_thread (zsock_t *pipe, void *arg)
{
    ep_ws_t *owner = (ep_ws_t *) arg;
    s_thread_t self = { .owner = owner, .pipe = pipe };
    lws_set_log_level (LLL_ERR, s_lws_log);
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = &self;
    info.timeout_secs = (unsigned int) ((owner->config.connect_timeout_ms + 999) / 1000);
    info.connect_timeout_secs = info.timeout_secs;
    self.outbox = zlist_new ();
    self.context = self.outbox ? lws_create_context (&info) : NULL;
    if (!self.context) {
        snprintf (owner->err, sizeof owner->err, "the WebSocket library could not start");
        zlist_destroy (&self.outbox);
        zsock_signal (pipe, 1);
        return;
    }
    atomic_store (&owner->context, self.context);
    zsock_signal (pipe, 0);
    while (!self.terminated && !zsys_interrupted)
        if (lws_service (self.context, 0) < 0)
            break;
    atomic_store (&owner->context, NULL);
    lws_context_destroy (self.context);
    char *text;
    while ((text = (char *) zlist_pop (self.outbox)))
        free (text);
    zlist_destroy (&self.outbox);
    zstr_free (&self.closing);
    ep_buf_free (&self.frame);
}

//  ---------------------------------------------------------------------
//  The owner's side

//  Sends a command (and its text, if any) and wakes the loop to read it.
static void
s_command (ep_ws_t *self, const char *command, const char *text)
{
    if (text) {
        zstr_sendm (self->actor, command);
        zstr_send (self->actor, text);
    }
    else
        zstr_send (self->actor, command);
    struct lws_context *context = atomic_load (&self->context);
    if (context)
        lws_cancel_service (context);
}

ep_ws_t *
ep_ws_new (const ep_ws_config_t *config, char *err, size_t err_size)
{
    assert (config && err);
    if (!config->url || (strncmp (config->url, "ws://", 5) && strncmp (config->url, "wss://", 6))
    ||  strlen (config->url) >= 500) {
        snprintf (err, err_size, "the stream's URL must be ws://HOST[:PORT]/PATH or "
                  "wss://HOST[:PORT]/PATH (under 500 characters)");
        return NULL;
    }
    if (config->connect_timeout_ms < 1 || config->ping_ms < 1
    ||  config->stall_ms <= config->ping_ms) {
        snprintf (err, err_size, "the stream's timeouts must be positive, and its stall time "
                  "above its ping interval");
        return NULL;
    }
    ep_ws_t *self = (ep_ws_t *) calloc (1, sizeof *self);
    if (self)
        self->config = *config;
    if (self)
        self->config.url = strdup (config->url);
    if (!self || !self->config.url) {
        snprintf (err, err_size, "out of memory");
        if (self)
            free (self);
        return NULL;
    }
    atomic_init (&self->context, NULL);
    //  zactor_new waits for the thread's signal: the context exists, or not
    self->actor = zactor_new (s_thread, self);
    if (!self->actor || !atomic_load (&self->context)) {
        snprintf (err, err_size, "%s", self->err [0] ? self->err : "no thread for the stream");
        ep_ws_destroy (&self);
        return NULL;
    }
    return self;
}

void
ep_ws_destroy (ep_ws_t **self_p)
{
    assert (self_p);
    ep_ws_t *self = *self_p;
    if (!self)
        return;
    if (self->actor) {
        //  The loop reads $TERM only once woken; zactor_destroy then finds
        //  the thread ended
        s_command (self, "$TERM", NULL);
        zactor_destroy (&self->actor);
    }
    free ((char *) self->config.url);
    free (self);
    *self_p = NULL;
}

void
ep_ws_connect (ep_ws_t *self)
{
    assert (self);
    s_command (self, "CONNECT", NULL);
}

void
ep_ws_send (ep_ws_t *self, const char *text)
{
    assert (self && text);
    s_command (self, "SEND", text);
}

void
ep_ws_close (ep_ws_t *self, const char *reason)
{
    assert (self && reason);
    s_command (self, "CLOSE", reason);
}

void *
ep_ws_socket (ep_ws_t *self)
{
    assert (self);
    return self->actor;
}

ep_ws_event_t
ep_ws_read (ep_ws_t *self, char **text)
{
    assert (self && text);
    *text = NULL;
    if (!(zsock_events (self->actor) & ZMQ_POLLIN))
        return EP_WS_NOTHING;
    zmsg_t *msg = zmsg_recv (self->actor);
    char *kind = msg ? zmsg_popstr (msg) : NULL;
    ep_ws_event_t event = EP_WS_NOTHING;
    if (kind && streq (kind, "OPEN"))
        event = EP_WS_OPEN;
    else
    if (kind && (streq (kind, "TEXT") || streq (kind, "CLOSED"))) {
        *text = zmsg_popstr (msg);
        event = *text ? (streq (kind, "TEXT") ? EP_WS_TEXT : EP_WS_CLOSED) : EP_WS_NOTHING;
    }
    zstr_free (&kind);
    zmsg_destroy (&msg);
    return event;
}
