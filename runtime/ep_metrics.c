/*  ep_metrics: Prometheus text, and the HTTP thread that serves it.  */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ep_log.h"
#include "ep_metrics.h"

//  --------------------------------------------------------------------------
//  Prometheus text

static void
s_append (ep_prom_t *prom, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_append (ep_prom_t *prom, const char *format, ...)
{
    if (prom->failed)
        return;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t room = prom->capacity - prom->size;
        va_list args;
        va_start (args, format);
        int n = vsnprintf (prom->data ? prom->data + prom->size : NULL, prom->data ? room : 0,
                           format, args);
        va_end (args);
        if (n < 0) {
            prom->failed = true;
            return;
        }
        if ((size_t) n < room) {
            prom->size += (size_t) n;
            return;
        }
        size_t capacity = prom->capacity ? prom->capacity : 4096;
        while (capacity - prom->size <= (size_t) n)
            capacity *= 2;
        char *data = realloc (prom->data, capacity);
        if (!data) {
            prom->failed = true;
            return;
        }
        prom->data = data;
        prom->capacity = capacity;
    }
}

void
ep_prom_family (ep_prom_t *prom, const char *name, const char *type, const char *help)
{
    s_append (prom, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
ep_prom_int (ep_prom_t *prom, const char *name, const char *labels, int64_t value)
{
    if (labels && *labels)
        s_append (prom, "%s{%s} %lld\n", name, labels, (long long) value);
    else
        s_append (prom, "%s %lld\n", name, (long long) value);
}

void
ep_prom_one (ep_prom_t *prom, const char *name, const char *type, const char *help,
             int64_t value)
{
    ep_prom_family (prom, name, type, help);
    ep_prom_int (prom, name, "", value);
}

void
ep_prom_double (ep_prom_t *prom, const char *name, const char *labels, double value)
{
    if (labels && *labels)
        s_append (prom, "%s{%s} %.9g\n", name, labels, value);
    else
        s_append (prom, "%s %.9g\n", name, value);
}

void
ep_histogram_init (ep_histogram_t *histogram, const double *bounds, int n)
{
    memset (histogram, 0, sizeof *histogram);
    histogram->n_bounds = n < EP_HISTOGRAM_MAX ? n : EP_HISTOGRAM_MAX;
    memcpy (histogram->bounds, bounds, (size_t) histogram->n_bounds * sizeof *bounds);
}

void
ep_histogram_observe (ep_histogram_t *histogram, double value)
{
    int bucket = 0;
    while (bucket < histogram->n_bounds && value > histogram->bounds [bucket])
        bucket++;
    histogram->counts [bucket]++;
    histogram->count++;
    histogram->sum += value;
}

void
ep_prom_histogram (ep_prom_t *prom, const char *name, const char *labels,
                   const ep_histogram_t *histogram)
{
    const char *sep = labels && *labels ? "," : "";
    labels = labels ? labels : "";
    uint64_t cumulative = 0;
    for (int i = 0; i <= histogram->n_bounds; i++) {
        cumulative += histogram->counts [i];
        if (i < histogram->n_bounds)
            s_append (prom, "%s_bucket{%s%sle=\"%.9g\"} %llu\n", name, labels, sep,
                      histogram->bounds [i], (unsigned long long) cumulative);
        else
            s_append (prom, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                      (unsigned long long) cumulative);
    }
    if (*labels) {
        s_append (prom, "%s_sum{%s} %.9g\n", name, labels, histogram->sum);
        s_append (prom, "%s_count{%s} %llu\n", name, labels,
                  (unsigned long long) histogram->count);
    }
    else {
        s_append (prom, "%s_sum %.9g\n", name, histogram->sum);
        s_append (prom, "%s_count %llu\n", name, (unsigned long long) histogram->count);
    }
}

void
ep_prom_label_escape (char *out, size_t size, const char *value)
{
    size_t n = 0;
    for (; value && *value && n + 3 < size; value++) {
        if (*value == '\\' || *value == '"') {
            out [n++] = '\\';
            out [n++] = *value;
        }
        else
        if (*value == '\n') {
            out [n++] = '\\';
            out [n++] = 'n';
        }
        else
            out [n++] = *value;
    }
    if (size)
        out [n < size ? n : size - 1] = 0;
}

void
ep_prom_reset (ep_prom_t *prom)
{
    prom->size = 0;
    prom->failed = false;
    if (prom->data)
        prom->data [0] = 0;
}

void
ep_prom_free (ep_prom_t *prom)
{
    free (prom->data);
    memset (prom, 0, sizeof *prom);
}

//  --------------------------------------------------------------------------
//  The endpoint

#define S_HEALTH_MAX 1024
#define S_CONNECTIONS 16                //  at most, at once
#define S_IDLE_S 10                     //  an idle connection is closed after

struct _ep_metrics_t {
    struct MHD_Daemon *daemon;
    int port;
    char address [96];                  //  HOST:PORT, with the port taken
    int64_t stall_ms;
    pthread_mutex_t lock;               //  guards what follows
    char *text;
    size_t size;
    bool healthy;
    char health [S_HEALTH_MAX];
    int64_t updated_ms;                 //  0: no verdict yet
};

static int64_t
s_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result
s_reply (struct MHD_Connection *connection, unsigned int status, const char *type,
         const char *body, size_t size)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, (void *) body,
                                                                     MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_size, void **request)
{
    (void) version;
    (void) upload_data;
    ep_metrics_t *self = cls;
    //  The first call is for the headers only; answer on the second.
    if (!*request) {
        *request = self;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;               //  a body is read and ignored
        return MHD_YES;
    }
    static const char *text_type = "text/plain; charset=utf-8";
    static const char *get_only = "GET only\n";
    static const char *not_found = "not found: /metrics or /healthz\n";
    if (strcmp (method, "GET") && strcmp (method, "HEAD"))
        return s_reply (connection, 405, text_type, get_only, strlen (get_only));
    if (strcmp (url, "/metrics") == 0) {
        pthread_mutex_lock (&self->lock);
        enum MHD_Result rc = s_reply (connection, 200, "text/plain; version=0.0.4; charset=utf-8",
                                      self->text ? self->text : "", self->size);
        pthread_mutex_unlock (&self->lock);
        return rc;
    }
    if (strcmp (url, "/healthz") == 0) {
        char body [S_HEALTH_MAX + 128];
        pthread_mutex_lock (&self->lock);
        int64_t age = self->updated_ms ? s_clock_ms () - self->updated_ms : -1;
        bool stalled = age < 0 || age > self->stall_ms;
        bool healthy = self->healthy && !stalled;
        if (age < 0)
            snprintf (body, sizeof body, "{\"healthy\":false,\"why\":\"starting\"}\n");
        else
            snprintf (body, sizeof body, "{\"healthy\":%s,\"checked_ms_ago\":%lld%s%s%s}\n",
                      healthy ? "true" : "false", (long long) age,
                      stalled ? ",\"why\":\"stalled\"" : "", *self->health ? "," : "",
                      self->health);
        pthread_mutex_unlock (&self->lock);
        return s_reply (connection, healthy ? 200 : 503, "application/json", body, strlen (body));
    }
    return s_reply (connection, 404, text_type, not_found, strlen (not_found));
}

static void
s_mhd_log (void *cls, const char *format, va_list args)
{
    (void) cls;
    char line [512];
    vsnprintf (line, sizeof line, format, args);
    size_t len = strlen (line);
    while (len && line [len - 1] == '\n')
        line [--len] = 0;
    ep_log_warn ("metrics: %s", line);
}

ep_metrics_t *
ep_metrics_start (const char *address, int64_t stall_ms, char *err, size_t err_size)
{
    struct sockaddr_storage addr;
    if (ep_metrics_address_parse (address, &addr, err, err_size))
        return NULL;
    ep_metrics_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->stall_ms = stall_ms;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon (flags, 0, NULL, NULL, s_answer, self,
                                     MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned int) S_CONNECTIONS,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) S_IDLE_S,
                                     MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "metrics: cannot listen on %s: %s", address, strerror (errno));
        ep_metrics_stop (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon,
                                                            MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    snprintf (self->address, sizeof self->address, "%.*s:%d",
              (int) (strrchr (address, ':') - address), address, self->port);
    ep_log_info ("metrics on http://%s/metrics, health on /healthz", self->address);
    return self;
}

int
ep_metrics_port (ep_metrics_t *self)
{
    return self->port;
}

const char *
ep_metrics_address (ep_metrics_t *self)
{
    return self->address;
}

void
ep_metrics_update (ep_metrics_t *self, const ep_prom_t *text, bool healthy,
                   const char *health_json)
{
    if (!self)
        return;
    char *copy = NULL;
    if (text && !text->failed && (copy = malloc (text->size + 1))) {
        memcpy (copy, text->data ? text->data : "", text->size);
        copy [text->size] = 0;
    }
    pthread_mutex_lock (&self->lock);
    if (copy) {
        free (self->text);
        self->text = copy;
        self->size = text->size;
    }
    self->healthy = healthy;
    snprintf (self->health, sizeof self->health, "%s", health_json ? health_json : "");
    self->updated_ms = s_clock_ms ();
    pthread_mutex_unlock (&self->lock);
}

void
ep_metrics_stop (ep_metrics_t **self_p)
{
    ep_metrics_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    pthread_mutex_destroy (&self->lock);
    free (self->text);
    free (self);
    *self_p = NULL;
}
