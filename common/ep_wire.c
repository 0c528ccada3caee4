/*  ep_wire: id syntax and topic names shared by every boundary.  */
#include <stdio.h>
#include <string.h>
#include "ep_wire.h"

bool
ep_id_valid (const char *s)
{
    if (!s)
        return false;
    size_t len = 0;
    for (const char *p = s; *p; p++, len++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
               || (c >= '0' && c <= '9') || c == '.' || c == '_'
               || c == ':' || c == '-';
        if (!ok || len >= EP_ID_MAX)
            return false;
    }
    return len > 0;
}

void
ep_outcome_topic (char *buf, size_t size, const char *strategy_id)
{
    snprintf (buf, size, "outcome.%s", strategy_id ? strategy_id : "");
}

const char *
ep_exec_topic (int plane)
{
    switch (plane) {
        case EP_PLANE (PAPER): return "exec.paper";
        case EP_PLANE (LIVE):  return "exec.live";
        default:               return NULL;
    }
}
