/*  ep_live_rules: the venue's clock and trading rules, as the live plane
    keeps and checks them.  */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_live_rules.h"
#include "ep_log.h"

#define S_RETRY_MS          5000        //  a clock or rules that could not be read: asked again
#define S_FIRST_RETRY_MS    30000       //  rules never read: asked again at least this often
#define S_FILTER_REREAD_MS  60000       //  a filter refusal re-reads the rules at most this often
#define S_VENUE_FILTER_CODE -1013       //  "Filter failure: NAME"

static int64_t
s_abs (int64_t value)
{
    return value < 0 ? -value : value;
}

void
ep_live_rules_init (ep_live_rules_t *self, const ep_live_rules_config_t *config, bool enabled)
{
    assert (self && config);
    memset (self, 0, sizeof *self);
    self->config = *config;
    self->enabled = enabled;
    self->limits = (ep_venue_limits_t) { 6000, 100, 200000 };
    snprintf (self->clock_problem, sizeof self->clock_problem,
              "the venue's clock is not measured yet");
}

void
ep_live_rules_clear (ep_live_rules_t *self)
{
    assert (self);
    ep_instruments_clear (&self->table);
}

ep_venue_op_t
ep_live_rules_due (ep_live_rules_t *self, int64_t now_ms)
{
    assert (self);
    if (!self->enabled)
        return 0;
    if (!self->clock_asking && now_ms >= self->next_clock_ms) {
        self->clock_asking = true;
        return EP_VENUE_TIME;
    }
    if (!self->rules_asking && now_ms >= self->next_rules_ms) {
        self->rules_asking = true;
        return EP_VENUE_RULES;
    }
    return 0;
}

static void
s_on_time (ep_live_rules_t *self, const ep_venue_result_t *result, int64_t sent_wall_ms,
           int64_t now_ms)
{
    self->clock_asking = false;
    if (result->failure != EP_FAILURE (FAILURE_NONE) || result->server_time_ms <= 0) {
        //  What was measured before still holds, until it is too old
        if (strcmp (self->clock_problem, result->reason))
            ep_log_warn ("venue clock: %s; asked again every %d s", result->reason,
                         S_RETRY_MS / 1000);
        if (!self->clock_known)
            snprintf (self->clock_problem, sizeof self->clock_problem, "%s", result->reason);
        self->next_clock_ms = now_ms + S_RETRY_MS;
        return;
    }
    //  The venue read its clock about halfway through the round trip
    int64_t round_trip_ms = result->elapsed_us / 1000;
    int64_t offset_ms = result->server_time_ms - (sent_wall_ms + round_trip_ms / 2);
    bool was_known = self->clock_known;
    int64_t was = self->offset_ms;
    self->clock_known = true;
    self->offset_ms = offset_ms;
    self->round_trip_ms = round_trip_ms;
    self->next_clock_ms = now_ms + self->config.clock_check_ms;
    if (s_abs (offset_ms) > self->config.clock_max_offset_ms) {
        snprintf (self->clock_problem, sizeof self->clock_problem,
                  "this host's clock is %lld ms %s the venue's, beyond live/clock_max_offset_ms "
                  "(%lld): nothing that places an order is sent",
                  (long long) s_abs (offset_ms), offset_ms < 0 ? "ahead of" : "behind",
                  (long long) self->config.clock_max_offset_ms);
        ep_log_error ("venue clock: %s", self->clock_problem);
        return;
    }
    self->clock_problem [0] = '\0';
    if (!was_known || s_abs (offset_ms - was) > 100)
        ep_log_info ("venue clock: the venue's clock is %lld ms %s this host's (round trip "
                     "%lld ms); requests are stamped with the venue's time",
                     (long long) s_abs (offset_ms), offset_ms < 0 ? "behind" : "ahead of",
                     (long long) round_trip_ms);
}

//  The rate limits the rules' answer publishes, kept where given.
static void
s_read_limits (ep_live_rules_t *self, ep_venue_t *venue, const ep_venue_result_t *result)
{
    ep_venue_limits_t read;
    char why [256];
    if (!venue->read_limits)
        return;
    if (venue->read_limits (venue, result, &read, why, sizeof why)) {
        ep_log_warn ("venue rate limits: %s; the limits held still hold", why);
        return;
    }
    ep_venue_limits_t was = self->limits;
    if (read.weight_per_minute > 0)
        self->limits.weight_per_minute = read.weight_per_minute;
    if (read.orders_per_10s > 0)
        self->limits.orders_per_10s = read.orders_per_10s;
    if (read.orders_per_day > 0)
        self->limits.orders_per_day = read.orders_per_day;
    if (!self->limits_known || memcmp (&was, &self->limits, sizeof was))
        ep_log_info ("venue rate limits: request weight %lld a minute, %lld orders per 10 s, "
                     "%lld a day", (long long) self->limits.weight_per_minute,
                     (long long) self->limits.orders_per_10s,
                     (long long) self->limits.orders_per_day);
    self->limits_known = true;
}

static void
s_on_rules (ep_live_rules_t *self, ep_venue_t *venue, const ep_venue_result_t *result,
            int64_t now_ms)
{
    self->rules_asking = false;
    ep_instruments_t table;
    char why [sizeof self->rules_problem];
    if (!venue->read_rules || venue->read_rules (venue, result, &table, why, sizeof why)) {
        if (!venue->read_rules)
            snprintf (why, sizeof why, "the venue has no rules to read");
        //  Read again ever later, up to the refresh interval; said once
        //  while the reason stays the same
        self->rules_retry_ms = self->rules_retry_ms ? self->rules_retry_ms * 2 : S_RETRY_MS;
        if (self->rules_retry_ms > self->config.rules_refresh_ms)
            self->rules_retry_ms = self->config.rules_refresh_ms;
        if (!self->rules_known && self->rules_retry_ms > S_FIRST_RETRY_MS)
            self->rules_retry_ms = S_FIRST_RETRY_MS;
        if (strcmp (self->rules_problem, why))
            ep_log_warn ("venue rules: %s; %s; read again in %lld s and later", why,
                         self->rules_known ? "the rules read before still hold"
                                           : "until they are read, only the venue checks orders",
                         (long long) self->rules_retry_ms / 1000);
        snprintf (self->rules_problem, sizeof self->rules_problem, "%s", why);
        self->next_rules_ms = now_ms + self->rules_retry_ms;
        return;
    }
    self->rules_retry_ms = 0;
    ep_instruments_clear (&self->table);
    self->table = table;
    self->rules_known = true;
    self->reads++;
    self->rules_read_ms = now_ms;
    self->rules_problem [0] = '\0';
    self->next_rules_ms = now_ms + self->config.rules_refresh_ms;
    ep_log_info ("venue rules: %zu symbol(s) read; intents are checked against them before "
                 "they are sent", table.count);
    s_read_limits (self, venue, result);
}

void
ep_live_rules_on_info (ep_live_rules_t *self, ep_venue_t *venue,
                       const ep_venue_request_t *request, const ep_venue_result_t *result,
                       int64_t sent_wall_ms, int64_t now_ms)
{
    assert (self && venue && request && result);
    if (request->op == EP_VENUE_TIME)
        s_on_time (self, result, sent_wall_ms, now_ms);
    else
        s_on_rules (self, venue, result, now_ms);
}

void
ep_live_rules_on_lost (ep_live_rules_t *self, ep_venue_op_t op, int64_t now_ms)
{
    assert (self);
    if (op == EP_VENUE_TIME) {
        self->clock_asking = false;
        self->next_clock_ms = now_ms + S_RETRY_MS;
    }
    else
    if (op == EP_VENUE_RULES) {
        self->rules_asking = false;
        self->next_rules_ms = now_ms + S_RETRY_MS;
    }
}

void
ep_live_rules_on_answer (ep_live_rules_t *self, const ep_venue_result_t *result, int64_t now_ms)
{
    assert (self && result);
    if (!self->enabled)
        return;
    if (result->clock_fault) {
        self->clock_faults++;
        ep_log_error ("venue clock: the venue refused a request's timestamp (%s); the clock "
                      "is measured again now", result->reason);
        if (!self->clock_asking)
            self->next_clock_ms = now_ms;
    }
    if (result->venue_code == S_VENUE_FILTER_CODE && !self->rules_asking) {
        int64_t soonest = self->rules_read_ms + S_FILTER_REREAD_MS;
        self->next_rules_ms = now_ms > soonest ? now_ms : soonest;
    }
}

int64_t
ep_live_rules_venue_time (const ep_live_rules_t *self, int64_t wall_ms)
{
    assert (self);
    return self->clock_known ? wall_ms + self->offset_ms : wall_ms;
}

bool
ep_live_rules_may_place (ep_live_rules_t *self, const ep_intent_t *intent, int *status,
                         int *failure, char *reason, size_t reason_size)
{
    assert (self && intent && status && failure && reason);
    if (!self->enabled)
        return true;
    char why [sizeof self->clock_problem];
    if (!ep_live_rules_healthy (self, why, sizeof why)) {
        *status = EP_STATUS (FAILED);
        *failure = EP_FAILURE (NOT_SENT);
        snprintf (reason, reason_size, "not sent: the host's clock: %s", why);
    }
    else
    if (!ep_instruments_check (&self->table, intent, why, sizeof why)) {
        *status = EP_STATUS (REJECTED);
        *failure = EP_FAILURE (INVALID_INTENT);
        snprintf (reason, reason_size, "not sent: the venue's rules: %s", why);
    }
    else
        return true;
    self->refused++;
    return false;
}

int64_t
ep_live_rules_base_fees (const ep_live_rules_t *self, const char *symbol,
                         ep_fill_t *const *fills, size_t n_fills)
{
    assert (self);
    const ep_instrument_t *instrument = symbol ? ep_instruments_find (&self->table, symbol)
                                               : NULL;
    const char *base = instrument && instrument->base [0] ? instrument->base : NULL;
    int64_t fees = 0;
    for (size_t index = 0; index < n_fills; index++) {
        const char *asset = fills [index]->fee_asset;
        if (!asset || !*asset || fills [index]->fee_e8 <= 0)
            continue;
        bool in_base = base ? strcmp (asset, base) == 0
                            : symbol && strncmp (symbol, asset, strlen (asset)) == 0;
        if (in_base)
            fees += fills [index]->fee_e8;
    }
    return fees;
}

bool
ep_live_rules_healthy (const ep_live_rules_t *self, char *why, size_t why_size)
{
    assert (self && why);
    bool healthy = !self->enabled || self->clock_problem [0] == '\0';
    snprintf (why, why_size, "%s", healthy ? "" : self->clock_problem);
    return healthy;
}

void
ep_live_rules_metrics (const ep_live_rules_t *self, int64_t now_ms, ep_prom_t *prom)
{
    assert (self && prom);
    if (!self->enabled)
        return;
    ep_prom_one (prom, "execplane_venue_clock_known", "gauge",
                 "1 once the venue's clock was measured and is within live/clock_max_offset_ms",
                 self->clock_problem [0] == '\0');
    ep_prom_one (prom, "execplane_venue_clock_offset_ms", "gauge",
                 "The venue's clock minus this host's, as last measured",
                 self->offset_ms);
    ep_prom_one (prom, "execplane_venue_clock_faults_total", "counter",
                 "Requests whose timestamp the venue refused (-1021)",
                 (int64_t) self->clock_faults);
    ep_prom_one (prom, "execplane_venue_symbols", "gauge",
                 "Symbols in the venue's rules as last read (0: not read)",
                 (int64_t) self->table.count);
    ep_prom_one (prom, "execplane_venue_rules_age_seconds", "gauge",
                 "Seconds since the venue's rules were read (-1: never)",
                 self->rules_known ? (now_ms - self->rules_read_ms) / 1000 : -1);
    ep_prom_one (prom, "execplane_live_refused_before_sending_total", "counter",
                 "Intents refused before sending by the venue's rules or the clock",
                 (int64_t) self->refused);
}
