/*  ep_ws: one WebSocket client connection, run by libwebsockets in a
    thread of its own, that carries text frames both ways and says when the
    connection opens and closes. It knows no venue and no protocol above
    frames: what to send and what a frame means is its owner's (the live
    plane's stream, ep_live_stream).

    It connects only when asked, and never again by itself: a connection
    that closes (the peer, the network, or a stall: nothing heard, no frame
    and no answer to our pings, for stall_ms) is told once, with why, and
    the owner decides when to connect again.

    The owner polls ep_ws_socket and reads what it says with ep_ws_read.  */
#ifndef EP_WS_H_INCLUDED
#define EP_WS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define EP_WS_FRAME_MAX (1024 * 1024)   //  a longer frame closes the connection

typedef struct _ep_ws_t ep_ws_t;

typedef struct {
    const char *url;                    //  ws://HOST[:PORT]/PATH or wss://...
    int64_t connect_timeout_ms;         //  to open the connection, TLS and upgrade included
    int64_t ping_ms;                    //  a ping this often while open
    int64_t stall_ms;                   //  nothing heard this long: closed as stalled
} ep_ws_config_t;

typedef enum {
    EP_WS_NOTHING = 0,                  //  nothing to read (or out of memory)
    EP_WS_OPEN,                         //  the connection is open: frames may go
    EP_WS_TEXT,                         //  a text frame came: its text
    EP_WS_CLOSED                        //  the connection closed, or never opened: why
} ep_ws_event_t;

//  Checks the configuration and starts the thread (not connected).
//  Returns NULL with the reason in err.
ep_ws_t *ep_ws_new (const ep_ws_config_t *config, char *err, size_t err_size);

//  Closes any connection, stops the thread and NULLs *self_p.
void ep_ws_destroy (ep_ws_t **self_p);

//  Connects (a connection already open or opening: nothing). What comes
//  of it is EP_WS_OPEN, or EP_WS_CLOSED with why.
void ep_ws_connect (ep_ws_t *self);

//  Sends text as one text frame once the connection is open (frames sent
//  before EP_WS_OPEN, or after EP_WS_CLOSED, are dropped).
void ep_ws_send (ep_ws_t *self, const char *text);

//  Closes the connection (EP_WS_CLOSED follows, with reason).
void ep_ws_close (ep_ws_t *self, const char *reason);

//  The socket to poll (a zsock_t *): readable when something can be read.
void *ep_ws_socket (ep_ws_t *self);

//  Reads what the connection says, without waiting. For EP_WS_TEXT and
//  EP_WS_CLOSED, *text is the frame or the reason (malloc'd: the caller's
//  to free); else NULL.
ep_ws_event_t ep_ws_read (ep_ws_t *self, char **text);

#endif
