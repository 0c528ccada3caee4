/*  Fuzz: the reader of the venue's user data stream, which takes whatever
    arrives on the WebSocket (the venue, or something pretending to be
    it). Every frame must be read as one kind, with no figure beyond its
    order, no trade that is not whole, and the key scrubbed from it.  */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ep_venue_binance.h"

#define S_KEY "fuzzkey-0123456789abcdef"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ep_venue_t *venue;
    if (!venue) {
        ep_binance_config_t config = {
            .base_url = "http://127.0.0.1:9", .api_key = S_KEY,
            .api_secret = "fuzzsecret-0123456789", .recv_window_ms = 5000,
            .connect_timeout_ms = 1000, .timeout_ms = 15000
        };
        char err [256];
        venue = ep_venue_binance_new (&config, err, sizeof err);
        if (!venue)
            abort ();
    }
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = 0;
    ep_venue_stream_event_t event;
    memset (&event, 0, sizeof event);
    venue->stream_read (venue, text, &event);
    if (event.kind < EP_VENUE_STREAM_OTHER || event.kind > EP_VENUE_STREAM_ENDED
    ||  !memchr (event.problem, 0, sizeof event.problem)
    ||  event.balance_count > EP_VENUE_STREAM_BALANCES)
        abort ();
    if (event.kind == EP_VENUE_STREAM_ORDER) {
        const ep_venue_result_t *order = &event.order;
        if (order->executed_qty_e8 < 0 || order->executed_qty_e8 > order->orig_qty_e8
        ||  order->status < 0 || order->status > EP_STATUS (UNKNOWN)
        ||  order->fill_count != (event.trade ? 1u : 0u))
            abort ();
        if (event.trade && (order->fills [0].qty_e8 <= 0 || !order->fills [0].trade_id [0]))
            abort ();
    }
    //  A frame is kept only once read: the key it echoed is gone
    if (strlen (text) == size && strstr (text, S_KEY))
        abort ();
    ep_venue_stream_event_reset (&event);
    free (text);
    return 0;
}
