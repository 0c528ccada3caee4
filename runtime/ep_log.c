/*  ep_log: timestamped lines on stderr, as text or JSON.  */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "ep_log.h"

static const char *s_component = "execplane";
static bool s_json;

static const char *s_levels [] = { "INFO", "WARN", "ERROR" };

void
ep_log_init (const char *component)
{
    s_component = component;
}

void
ep_log_json (bool on)
{
    s_json = on;
}

//  Appends text to out (at *n, within size) as the inside of a JSON string.
static void
s_escape (char *out, size_t size, size_t *n, const char *text)
{
    for (; text && *text && *n + 7 < size; text++) {
        unsigned char c = (unsigned char) *text;
        if (c == '"' || c == '\\') {
            out [(*n)++] = '\\';
            out [(*n)++] = (char) c;
        }
        else
        if (c < 0x20)
            *n += (size_t) snprintf (out + *n, size - *n, "\\u%04x", c);
        else
            out [(*n)++] = (char) c;
    }
    out [*n] = 0;
}

static void
s_log (ep_log_level_t level, const char *strategy_id, const char *intent_id,
       const char *format, va_list args)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char stamp [64];
    snprintf (stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
              (long) tv.tv_usec / 1000);
    char message [1024];
    int n = 0;
    if (intent_id)
        n = snprintf (message, sizeof message, "intent %s%s%s", strategy_id ? strategy_id : "",
                      strategy_id ? "/" : "", intent_id);
    if (n >= 0 && (size_t) n < sizeof message)
        vsnprintf (message + n, sizeof message - (size_t) n, format, args);
    char line [3 * sizeof message];
    if (s_json) {
        size_t len = (size_t) snprintf (line, sizeof line,
                                        "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"",
                                        stamp, s_levels [level]);
        s_escape (line, sizeof line, &len, s_component);
        if (intent_id) {
            if (strategy_id) {
                len += (size_t) snprintf (line + len, sizeof line - len, "\",\"strategy_id\":\"");
                s_escape (line, sizeof line, &len, strategy_id);
            }
            len += (size_t) snprintf (line + len, sizeof line - len, "\",\"intent_id\":\"");
            s_escape (line, sizeof line, &len, intent_id);
        }
        len += (size_t) snprintf (line + len, sizeof line - len, "\",\"msg\":\"");
        s_escape (line, sizeof line, &len, message);
        snprintf (line + len, sizeof line - len, "\"}");
    }
    else
        snprintf (line, sizeof line, "%s %s %s: %s", stamp, s_levels [level], s_component,
                  message);
    //  One write per line, so lines from several processes do not interleave.
    fprintf (stderr, "%s\n", line);
}

#define S_LOG_FN(name, level) \
    void name (const char *format, ...) \
    { va_list args; va_start (args, format); s_log (level, NULL, NULL, format, args); va_end (args); }

S_LOG_FN (ep_log_info, EP_LOG_INFO)
S_LOG_FN (ep_log_warn, EP_LOG_WARN)
S_LOG_FN (ep_log_error, EP_LOG_ERROR)

void
ep_log_intent (ep_log_level_t level, const char *strategy_id, const char *intent_id,
               const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_log (level, strategy_id, intent_id ? intent_id : "?", format, args);
    va_end (args);
}
