/*  ep_live_health: what the live plane tells about itself: its metrics
    (venue requests by kind and outcome, the queue, the orders followed,
    the audit, the venue's clock, rules and rate limits, the stream), its
    part of the health check, and its definition.  */
#include <assert.h>
#include <czmq.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "ep_live_plane_internal.h"
#include "ep_names.h"

void
ep_live_plane_metrics (ep_live_plane_t *self, ep_prom_t *prom)
{
    char labels [128];
    ep_prom_family (prom, "execplane_venue_request_seconds", "histogram",
                    "Time from sending a venue request to the end of its answer, by kind");
    for (int kind = EP_AUDIT_SUBMIT; kind < EP_LIVE_KINDS; kind++) {
        snprintf (labels, sizeof labels, "kind=\"%s\"", ep_live_kind_name (kind));
        ep_prom_histogram (prom, "execplane_venue_request_seconds", labels,
                           &self->venue_seconds [kind]);
    }
    ep_prom_family (prom, "execplane_venue_requests_total", "counter",
                    "Venue requests by kind and classified outcome (FAILURE_NONE: no failure)");
    for (int kind = EP_AUDIT_SUBMIT; kind < EP_LIVE_KINDS; kind++)
        for (int failure = 0; failure < EP_FAILURE_COUNT; failure++)
            if (self->venue_failures [kind][failure]) {
                snprintf (labels, sizeof labels, "kind=\"%s\",failure=\"%s\"",
                          ep_live_kind_name (kind), ep_failure_name (failure));
                ep_prom_int (prom, "execplane_venue_requests_total", labels,
                             (int64_t) self->venue_failures [kind][failure]);
            }
    ep_prom_one (prom, "execplane_live_requests_waiting", "gauge",
                 "Venue requests queued behind the one in flight",
                 (int64_t) ep_live_jobs_waiting (self->jobs));
    ep_prom_one (prom, "execplane_live_request_in_flight", "gauge",
                 "1 while a venue request is in flight",
                 ep_live_jobs_sending (self->jobs));
    ep_prom_one (prom, "execplane_live_orders_followed", "gauge",
                 "Resting venue orders followed by status queries",
                 (int64_t) ep_live_follow_size (self->orders));
    //  Writable: the last write succeeded and no result waits for room.
    size_t waiting;
    bool writable = ep_live_plane_writable (self, &waiting);
    ep_prom_one (prom, "execplane_live_audit_writable", "gauge",
                 "1 while the last audit write succeeded and no result waits to be written",
                 writable);
    ep_prom_one (prom, "execplane_live_audit_results_waiting", "gauge",
                 "Venue answers the audit could not take yet, kept in memory",
                 (int64_t) waiting);
    ep_live_rules_metrics (&self->rules, ep_live_plane_now (self), prom);
    ep_live_pace_metrics (self, prom);
    ep_live_stream_metrics (self->stream, prom);
}

//  text as a JSON string, in out: its first 200 bytes at most, cut
//  between characters ("?" if it does not fit).
static void
s_json_text (const char *text, char *out, size_t size)
{
    size_t len = strlen (text);
    if (len > 200) {
        len = 200;
        while (len > 0 && ((unsigned char) text [len] & 0xC0) == 0x80)
            len--;
    }
    json_t *string = json_stringn (text, len);
    char *quoted = string ? json_dumps (string, JSON_ENCODE_ANY) : NULL;
    snprintf (out, size, "%s", quoted && strlen (quoted) < size ? quoted : "\"?\"");
    free (quoted);
    json_decref (string);
}

bool
ep_live_plane_health (ep_live_plane_t *self, char *json, size_t json_size)
{
    assert (self && json);
    size_t waiting;
    bool writable = ep_live_plane_writable (self, &waiting);
    char why [1024] = "", problem [512] = "", stream [512];
    bool clock = ep_live_rules_healthy (&self->rules, why, sizeof why);
    if (!clock)
        s_json_text (why, problem, sizeof problem);
    //  A stream that is down is not a fault: orders are queried meanwhile
    ep_live_stream_health (self->stream, stream, sizeof stream);
    snprintf (json, json_size, "\"audit\":\"%s\",\"audit_results_waiting\":%zu,\"clock\":%s%s%s,%s",
              writable ? "writable" : "failing", waiting,
              clock ? "\"known\"" : "\"unhealthy\"", clock ? "" : ",\"clock_problem\":", problem,
              stream);
    return writable && clock;
}

int
ep_live_instruments_digest (const ep_instruments_t *table, char digest [65])
{
    assert (table && digest);
    digest [0] = '\0';
    char *text = ep_instruments_format (table);
    if (!text)
        return -1;
    unsigned char hash [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const unsigned char *) text, strlen (text));
    sodium_bin2hex (digest, 65, hash, sizeof hash);
    free (text);
    return 0;
}

char *
ep_live_definition (const ep_config_t *config, const ep_venue_t *venue,
                    const char *instruments)
{
    assert (config && venue && instruments);
    return zsys_sprintf (
        "plane = LIVE\n"
        "venue = %s\n"
        "base_url = %s\n"
        "account = %s\n"
        "key = %s\n"
        "orders = MARKET IOC; LIMIT GTC, IOC, FOK; cancel; cancel-replace; amend (lower "
        "quantity)\n"
        "rules = the venue's (exchangeInfo), read every %lld ms\n"
        "instruments = %s\n"
        "rate_limits = the venue's (exchangeInfo)\n"
        "clock = the venue's, checked every %lld ms; off by more than %lld ms: nothing "
        "placed\n"
        "recv_window_ms = %lld\n"
        "connect_timeout_ms = %lld\n"
        "timeout_ms = %lld\n"
        "poll_ms = %lld\n"
        "stream_url = %s\n"
        "stream_poll_ms = %lld\n",
        venue->name, config->base_url, venue->account, venue->key_kind ? venue->key_kind : "",
        (long long) config->rules_refresh_ms, instruments, (long long) config->clock_check_ms,
        (long long) config->clock_max_offset_ms, (long long) config->recv_window_ms,
        (long long) config->connect_timeout_ms, (long long) config->timeout_ms,
        (long long) config->poll_ms, config->stream_url, (long long) config->stream_poll_ms);
}
