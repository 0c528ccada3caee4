/*  ep_live_rules: what the live plane keeps of the venue's rules, and
    checks before it sends.

    - The venue's clock: the offset between its clock and this host's,
      measured at start, every clock_check_ms, and as soon as the venue
      refuses a request's timestamp (result.clock_fault). Every request is
      stamped with the venue's time (this host's clock plus the offset).
      A submission or a replace (each places an order) is not sent while
      the offset is not known or is above clock_max_offset_ms: FAILED /
      NOT_SENT, its reason naming the clock. A cancel is sent whatever the
      clock: it takes risk away, and the venue judges its timestamp.
    - The venue's trading rules per symbol (the instrument table), read at
      start, every rules_refresh_ms, and soon after the venue refused an
      order on a filter (-1013; at most once a minute). A submission or a
      replace that breaks its symbol's rules (ep_instrument_check) is
      REJECTED / INVALID_INTENT, naming the rule and the values, and is not
      sent. Until the rules are read, the venue's own checks are the only
      ones. A read that fails is tried again ever later: 5 s after, then
      twice as long each time, up to rules_refresh_ms, or up to 30 s while
      the rules were never read (the live worker claims its plane only
      once they are).
    - The venue's rate limits (read_limits, from the same answer): the
      request weight a minute and the orders per 10 s and per day, which
      the plane's governor (ep_live_governor) keeps within. Binance's
      (6000 a minute, 100 per 10 s, 200000 a day) until they are read.

    A venue without prepare_info offers neither: no clock is measured and
    no rule is checked. It performs no request and reads no clock of its
    own: the plane performs the requests it asks for, hands their answers
    back and tells it the time; it logs what it learns.  */
#ifndef EP_LIVE_RULES_H_INCLUDED
#define EP_LIVE_RULES_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "ep_instrument.h"
#include "ep_metrics.h"
#include "ep_venue.h"

typedef struct {
    int64_t clock_check_ms;             //  between two measurements of the clock
    int64_t clock_max_offset_ms;        //  beyond it, nothing that places is sent
    int64_t rules_refresh_ms;           //  between two reads of the rules
} ep_live_rules_config_t;

typedef struct {
    ep_live_rules_config_t config;
    bool enabled;                       //  the venue offers its clock and rules
    //  The clock
    bool clock_known;                   //  offset_ms was measured
    int64_t offset_ms;                  //  the venue's clock minus this host's
    int64_t round_trip_ms;              //  of the measurement
    int64_t next_clock_ms;              //  monotonic: when to measure again
    bool clock_asking;                  //  a measurement is queued or in flight
    char clock_problem [600];           //  why the clock is not known, "" if it is
    uint64_t clock_faults;              //  timestamps the venue refused
    //  The rules
    ep_instruments_t table;             //  empty until read
    bool rules_known;                   //  table was read at least once
    uint64_t reads;                     //  how many times it was read
    int64_t rules_read_ms;              //  monotonic: when it was last read
    int64_t next_rules_ms;              //  monotonic: when to read it again
    int64_t rules_retry_ms;             //  after a failed read: doubles up to the refresh
    bool rules_asking;
    char rules_problem [600];           //  why the last read failed, "" if it did not
    uint64_t refused;                   //  intents refused by the rules or the clock
    //  The rate limits
    ep_venue_limits_t limits;           //  Binance's until read
    bool limits_known;                  //  read from the venue at least once
} ep_live_rules_t;

//  Starts with nothing known: the first measurement and read are due now.
void ep_live_rules_init (ep_live_rules_t *self, const ep_live_rules_config_t *config,
                         bool enabled);

//  Frees the table.
void ep_live_rules_clear (ep_live_rules_t *self);

//  The information request due at now_ms (monotonic), EP_VENUE_TIME or
//  EP_VENUE_RULES, marked as asked; 0 if none is due.
ep_venue_op_t ep_live_rules_due (ep_live_rules_t *self, int64_t now_ms);

//  The answer to a request ep_live_rules_due asked for. sent_wall_ms: this
//  host's clock when it was sent. A clock or rules that cannot be read are
//  asked again in a few seconds, and said so in the log.
void ep_live_rules_on_info (ep_live_rules_t *self, ep_venue_t *venue,
                            const ep_venue_request_t *request, const ep_venue_result_t *result,
                            int64_t sent_wall_ms, int64_t now_ms);

//  A request ep_live_rules_due asked for that was never sent (out of
//  memory, the queue dropped): asked again in a few seconds.
void ep_live_rules_on_lost (ep_live_rules_t *self, ep_venue_op_t op, int64_t now_ms);

//  What an order request's answer says of the rules: a refused timestamp
//  makes the clock measured again now; a filter refusal, the rules read
//  again (at most once a minute).
void ep_live_rules_on_answer (ep_live_rules_t *self, const ep_venue_result_t *result,
                              int64_t now_ms);

//  The venue's time for this host's wall_ms.
int64_t ep_live_rules_venue_time (const ep_live_rules_t *self, int64_t wall_ms);

//  Whether an intent that places an order (a submission, or a replace's
//  new order) may be sent. If not, false with its report's status,
//  failure and reason.
bool ep_live_rules_may_place (ep_live_rules_t *self, const ep_intent_t *intent, int *status,
                              int *failure, char *reason, size_t reason_size);

//  The fees among fills charged in symbol's base asset: the rules' base
//  asset when read, else the asset symbol starts with (Binance's symbols
//  are the base asset followed by the quote asset).
int64_t ep_live_rules_base_fees (const ep_live_rules_t *self, const char *symbol,
                                 ep_fill_t *const *fills, size_t n_fills);

//  Whether the clock is good enough to place orders, for /healthz; "" or
//  why not in why.
bool ep_live_rules_healthy (const ep_live_rules_t *self, char *why, size_t why_size);

//  The offset, whether it is known, the symbols in the table, the age of
//  the rules, and the intents refused.
void ep_live_rules_metrics (const ep_live_rules_t *self, int64_t now_ms, ep_prom_t *prom);

#endif
