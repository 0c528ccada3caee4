/*  ep_metrics: a daemon's Prometheus endpoint and its health check.

    The daemon renders its metrics as Prometheus text (ep_prom_*) from its
    own thread, as often as it likes (every loop turn that changed
    something, or every second), and hands the text over with its health
    verdict (ep_metrics_update). An HTTP thread (libmicrohttpd) serves the
    latest of them: GET /metrics the text, GET /healthz the verdict as JSON,
    200 when healthy and 503 when not. A verdict older than the stall limit
    is a stalled daemon: /healthz says so with 503, whatever it said.

    Metrics are served without authentication, so only on a loopback
    address: ep_metrics_start refuses any other.  */
#ifndef EP_METRICS_H_INCLUDED
#define EP_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

//  --------------------------------------------------------------------------
//  Prometheus text

typedef struct {
    char *data;
    size_t size;
    size_t capacity;
    bool failed;                        //  out of memory: the text is incomplete
} ep_prom_t;

//  A metric family's # HELP and # TYPE lines (type: counter, gauge, histogram).
void ep_prom_family (ep_prom_t *prom, const char *name, const char *type, const char *help);

//  One sample: name{labels} value. labels: "" or "key=\"value\",..." without braces.
void ep_prom_int (ep_prom_t *prom, const char *name, const char *labels, int64_t value);
void ep_prom_double (ep_prom_t *prom, const char *name, const char *labels, double value);

//  A family of one sample without labels: its # HELP and # TYPE lines and
//  its value.
void ep_prom_one (ep_prom_t *prom, const char *name, const char *type, const char *help,
                  int64_t value);

//  A histogram over fixed upper bounds (ascending, in the unit observed).
#define EP_HISTOGRAM_MAX 24
typedef struct {
    int n_bounds;
    double bounds [EP_HISTOGRAM_MAX];
    uint64_t counts [EP_HISTOGRAM_MAX + 1];     //  per bucket; the last one is +Inf
    uint64_t count;
    double sum;
} ep_histogram_t;

//  Sets up a histogram with the bounds given (n at most EP_HISTOGRAM_MAX).
void ep_histogram_init (ep_histogram_t *histogram, const double *bounds, int n);
void ep_histogram_observe (ep_histogram_t *histogram, double value);

//  The histogram's _bucket (cumulative, with le), _sum and _count samples.
void ep_prom_histogram (ep_prom_t *prom, const char *name, const char *labels,
                        const ep_histogram_t *histogram);

//  Appends text to a label value, escaped as Prometheus wants it.
void ep_prom_label_escape (char *out, size_t size, const char *value);

void ep_prom_reset (ep_prom_t *prom);
void ep_prom_free (ep_prom_t *prom);

//  --------------------------------------------------------------------------
//  The endpoint

typedef struct _ep_metrics_t ep_metrics_t;

//  Serves on address ("127.0.0.1:PORT", "localhost:PORT" or "[::1]:PORT";
//  port 0 picks a free one), and logs where. stall_ms: how old a verdict
//  may grow before /healthz calls the daemon stalled. Returns NULL with the
//  reason in err.
ep_metrics_t *ep_metrics_start (const char *address, int64_t stall_ms, char *err, size_t err_size);

//  The port served (useful after port 0), and HOST:PORT with it.
int ep_metrics_port (ep_metrics_t *self);
const char *ep_metrics_address (ep_metrics_t *self);

//  Hands over the metrics text and the health verdict: healthy, and a JSON
//  object's members describing it (e.g. "\"journal\":\"ok\"", may be "").
void ep_metrics_update (ep_metrics_t *self, const ep_prom_t *text, bool healthy,
                        const char *health_json);

void ep_metrics_stop (ep_metrics_t **self_p);

//  Checks an address as ep_metrics_start would; for configuration checks.
//  Returns 0, or -1 with the reason in err.
int ep_metrics_address_check (const char *address, char *err, size_t err_size);

//  Parses a loopback address into *out. Returns 0, or -1 with the reason in err.
int ep_metrics_address_parse (const char *address, struct sockaddr_storage *out, char *err,
                              size_t err_size);

#endif
