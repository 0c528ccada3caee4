/*  ep_log: one line per event on stderr: time, level, component, message.
    Callers put the intent id in the message where there is one.  */
#ifndef EP_LOG_H_INCLUDED
#define EP_LOG_H_INCLUDED

//  Names the component for every later line ("router", "paper", ...).
void ep_log_init (const char *component);

void ep_log_info (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void ep_log_warn (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void ep_log_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
