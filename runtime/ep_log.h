/*  ep_log: one line per event on stderr: time (UTC, milliseconds), level,
    component, and the message; a line about one intent names it. Text by
    default:

        2026-11-26T21:25:54.164Z INFO live: intent alpha/a-1: FILLED ...

    or, once ep_log_json is on (the daemons' --log-json), one JSON object
    per line with the same content:

        {"ts":"2026-11-26T21:25:54.164Z","level":"INFO","component":"live",
         "strategy_id":"alpha","intent_id":"a-1","msg":"intent alpha/a-1: FILLED ..."}  */
#ifndef EP_LOG_H_INCLUDED
#define EP_LOG_H_INCLUDED

#include <stdbool.h>

typedef enum { EP_LOG_INFO, EP_LOG_WARN, EP_LOG_ERROR } ep_log_level_t;

//  Names the component for every later line ("router", "paper", ...).
void ep_log_init (const char *component);

//  One JSON object per line from now on (on), or text (off).
void ep_log_json (bool on);

void ep_log_info (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void ep_log_warn (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void ep_log_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  A line about one intent: the message is "intent STRATEGY/INTENT" then
//  what format gives (" waits: ...", ": FILLED ..."); in JSON the ids are
//  members of their own too. strategy_id may be NULL when unknown.
void ep_log_intent (ep_log_level_t level, const char *strategy_id, const char *intent_id,
                    const char *format, ...) __attribute__ ((format (printf, 4, 5)));

#endif
