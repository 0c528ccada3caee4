/*  ep_refusals: which of the router's refusals are journaled in detail.

    A refusal (a handshake the ZAP handler refused, a message or a
    subscription from a key that may not make it) gets a detailed record
    only if its key was not recorded on that socket within per_key_ms, and
    only while fewer than `detailed` records were made in the current
    interval, across all keys. Every other refusal is counted, and the
    counts come back as one summary per interval. So whatever a peer does
    (fresh keys at every handshake included), the records stay within
    detailed + 1 per interval, and nothing is hidden: every refusal is
    either recorded or counted in a summary.

    The keys remembered are bounded: at most `keys`, the oldest forgotten
    first, and none longer than per_key_ms. Time is passed in, so that tests
    can drive it.  */
#ifndef EP_REFUSALS_H_INCLUDED
#define EP_REFUSALS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    EP_REFUSAL_HANDSHAKE,               //  refused by the ZAP handler
    EP_REFUSAL_MESSAGE,                 //  a message its sender may not send there
    EP_REFUSAL_SUBSCRIPTION,            //  a subscription its key may not make
    EP_REFUSAL_KINDS
} ep_refusal_kind_t;

typedef struct _ep_refusals_t ep_refusals_t;

//  At most `detailed` records per interval_ms, one per key and domain per
//  per_key_ms, and at most `keys` keys remembered. NULL if out of memory.
ep_refusals_t *ep_refusals_new (size_t detailed, int64_t interval_ms, int64_t per_key_ms,
                                size_t keys);

void ep_refusals_destroy (ep_refusals_t **self_p);

//  True if this refusal of key on domain is to be recorded (journaled and
//  logged) in detail now; else it is counted for the interval's summary.
bool ep_refusals_record (ep_refusals_t *self, ep_refusal_kind_t kind, const char *domain,
                         const char *key, int64_t now_ms);

//  Ends the interval if it is over (or at once if final) and, if refusals
//  were counted in it without a record, returns true with their summary in
//  detail: "N more refusal(s) in the last S s (handshakes: a, messages: b,
//  subscriptions: c); last: DOMAIN KEY".
bool ep_refusals_summary (ep_refusals_t *self, int64_t now_ms, bool final, char *detail,
                          size_t detail_size);

//  How many keys are remembered now.
size_t ep_refusals_keys (ep_refusals_t *self);

#endif
