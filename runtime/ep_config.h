/*  ep_config: the one configuration file every program shares (ZPL, CZMQ's
    zconfig format; contract.md "Configuration"). Every key has a built-in
    default, so no file is needed on one machine.  */
#ifndef EP_CONFIG_H_INCLUDED
#define EP_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EP_ENDPOINT_MAX 256
#define EP_DESCRIPTION_MAX 256          //  a plane definition's description, with its NUL
#define EP_PATH_MAX     1024

typedef struct {
    //  router
    char intake [EP_ENDPOINT_MAX];      //  PULL: strategies push OrderIntent
    char outcomes [EP_ENDPOINT_MAX];    //  PUB: reports, plane state, stats
    char control [EP_ENDPOINT_MAX];     //  SUB: meta publishes PlaneCommand
    char dispatch [EP_ENDPOINT_MAX];    //  XPUB: intents to workers
    char results [EP_ENDPOINT_MAX];     //  PULL: worker reports and heartbeats
    char query [EP_ENDPOINT_MAX];       //  ROUTER: replay of reports by seq
    //  Each of the six above may list several endpoints, one per router
    //  (ep_endpoints.h): clients connect to all; a router binds the one at
    //  this position (1 for the first), 0 for a single endpoint
    int64_t member;
    char journal [EP_PATH_MAX];         //  SQLite journal file, or postgresql:// URL
    int64_t paper_deadline_ms;          //  paper intent unanswered this long fails
    int64_t live_deadline_ms;           //  live intent unanswered this long is UNKNOWN
    int64_t worker_timeout_ms;          //  no heartbeat this long: worker is dead
    int64_t heartbeat_ms;               //  how often workers send heartbeats
    int64_t takeover_ms;                //  PostgreSQL: how often a standby tries for
                                        //  the lease, and an active confirms it
    char journal_sync [16];             //  "full" (default) or "normal"
    int64_t drain_ms;                   //  on SIGTERM, wait this long for answers
    int64_t hwm;                        //  messages queued per connection and way
    int64_t socket_buffer;              //  kernel buffer per connection; 0: the OS's
    char router_metrics [64];           //  HTTP /metrics and /healthz: 127.0.0.1:PORT; "": none
    //  paper
    int64_t slippage_bps;               //  MARKET slippage against the taker
    int64_t liquidity_cap_e8;           //  max quantity per fill per tick; 0 = none
    char paper_metrics [64];            //  the paper worker's, as router_metrics
    char paper_instruments [EP_PATH_MAX];   //  the instrument table's file; "": none
    char paper_description [EP_DESCRIPTION_MAX];    //  the operator's, of its definition
    //  live
    char venue [32];
    char base_url [EP_ENDPOINT_MAX];
    char keys [EP_PATH_MAX];
    char audit [EP_PATH_MAX];
    int64_t recv_window_ms;             //  the venue's recvWindow
    int64_t connect_timeout_ms;         //  libcurl connect timeout
    int64_t timeout_ms;                 //  libcurl total timeout per request
    int64_t poll_ms;                    //  status queries of a resting order
    int64_t clock_check_ms;             //  between two measurements of the venue's clock
    int64_t clock_max_offset_ms;        //  beyond it, nothing that places an order is sent
    int64_t rules_refresh_ms;           //  between two reads of the venue's trading rules
    char live_description [EP_DESCRIPTION_MAX];     //  the operator's, of its definition
    char stream_url [EP_ENDPOINT_MAX]; //  the venue's user data stream: auto, off or ws(s)://
    int64_t stream_ping_ms;             //  our pings on it, this often
    int64_t stream_stall_ms;            //  nothing heard this long: it is down
    int64_t stream_poll_ms;             //  a resting order's safety query while it is up
    int64_t stream_backoff_max_ms;      //  reconnections back off up to this
    char live_metrics [64];             //  the live worker's, as router_metrics
    //  security
    bool curve;
    char certs [EP_PATH_MAX];
} ep_config_t;

//  Fills *config with the built-in defaults, then, if path is not NULL,
//  overrides them with the file's values. A relative path written in the
//  file (router/journal, paper/instruments, live/keys, live/audit,
//  security/certs) is relative to the file's folder, and is made absolute
//  (a router/journal that is a postgresql:// or postgres:// URL is not a
//  path, and is kept as it is);
//  a built-in default (var/...) stays relative to the working folder. Returns 0, or -1 with a one-line
//  explanation in err if the file cannot be read; names a section or key
//  that is not known (with its line and the nearest known name), a section
//  or key given twice (with both lines), or a key not indented by 4 spaces
//  under a section; or a value is out of range or not a number.
int ep_config_load (ep_config_t *config, const char *path, char *err, size_t err_size);

//  Writes *config as a complete ZPL file at path (atomically: a temporary
//  file renamed into place), its relative paths (built-in defaults) made
//  absolute against the working folder, so that it reads back the same. Returns 0, or -1 on I/O error.
int ep_config_save (const ep_config_t *config, const char *path);

//  The paper plane's dispatches travel up to this many to a message
//  (Dispatch.batch): hwm / 1000, from 1 to 256. Its queues then hold
//  hwm / batch messages, so that they still hold at most hwm intents.
static inline int64_t
ep_config_batch (const ep_config_t *config)
{
    int64_t batch = config->hwm / 1000;
    return batch < 1 ? 1 : batch > 256 ? 256 : batch;
}

#endif
