/*  ep_log: timestamped lines on stderr.  */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include "ep_log.h"

static const char *s_component = "execplane";

void
ep_log_init (const char *component)
{
    s_component = component;
}

static void
s_log (const char *level, const char *format, va_list args)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char line [1024];
    int n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec, (long) tv.tv_usec / 1000, level, s_component);
    if (n > 0 && (size_t) n < sizeof line)
        vsnprintf (line + n, sizeof line - n, format, args);
    //  One write per line, so lines from several processes do not interleave.
    fprintf (stderr, "%s\n", line);
}

#define S_LOG_FN(name, level) \
    void name (const char *format, ...) \
    { va_list args; va_start (args, format); s_log (level, format, args); va_end (args); }

S_LOG_FN (ep_log_info, "INFO")
S_LOG_FN (ep_log_warn, "WARN")
S_LOG_FN (ep_log_error, "ERROR")
