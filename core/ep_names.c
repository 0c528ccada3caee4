/*  ep_names: the contract's enum names, both ways.

    Each table is indexed by the enum value; the proto numbers every enum
    densely from 0, so a value is a name exactly when it is in range.  */
#include <stddef.h>
#include <string.h>
#include "ep_names.h"
#include "ep_wire.h"

#define S_COUNT(table) ((int) (sizeof (table) / sizeof ((table) [0])))

static const char *s_sides [] = {
    "SIDE_UNSPECIFIED", "BUY", "SELL"
};
static const char *s_types [] = {
    "ORDER_TYPE_UNSPECIFIED", "MARKET", "LIMIT"
};
static const char *s_tifs [] = {
    "TIF_UNSPECIFIED", "GTC", "IOC", "FOK"
};
static const char *s_planes [] = {
    "PLANE_UNSPECIFIED", "PAPER", "LIVE"
};
static const char *s_statuses [] = {
    "STATUS_UNSPECIFIED", "ACCEPTED", "PARTIALLY_FILLED", "FILLED",
    "CANCELED", "EXPIRED", "REJECTED", "FAILED", "UNKNOWN"
};
static const char *s_failures [] = {
    "FAILURE_NONE", "INVALID_INTENT", "DUPLICATE_INTENT", "PLANE_HALTED",
    "PLANE_UNAVAILABLE", "UNAUTHORIZED", "VENUE_REJECTED",
    "INSUFFICIENT_FUNDS", "RATE_LIMITED", "VENUE_AUTH_FAILED", "NOT_SENT",
    "SEND_UNKNOWN", "VENUE_UNAVAILABLE", "INTERNAL", "TOO_LATE"
};
static const char *s_commands [] = {
    "COMMAND_KIND_UNSPECIFIED", "SELECT", "HALT", "RESUME", "RECONCILE", "CANCEL_ALL",
    "SWEEP_OPEN",
    "APPROVE",
    "REVOKE"
};
static const char *s_actions [] = {
    "PLACE", "CANCEL", "REPLACE"
};

//  Each table must end at the .proto enum's last value; a new value needs
//  its name here and its last-value check moved along.
_Static_assert (S_COUNT (s_sides) == EP_SIDE (SELL) + 1, "side names");
_Static_assert (S_COUNT (s_types) == EP_TYPE (LIMIT) + 1, "type names");
_Static_assert (S_COUNT (s_tifs) == EP_TIF (FOK) + 1, "tif names");
_Static_assert (S_COUNT (s_planes) == EP_PLANE (LIVE) + 1, "plane names");
_Static_assert (S_COUNT (s_statuses) == EP_STATUS (UNKNOWN) + 1, "status names");
_Static_assert (S_COUNT (s_failures) == EP_FAILURE (TOO_LATE) + 1, "failure names");
_Static_assert (S_COUNT (s_commands) == EP_COMMAND (REVOKE) + 1, "command names");
_Static_assert (S_COUNT (s_actions) == EP_ACTION (REPLACE) + 1, "action names");

static const char *
s_name (const char **table, int count, int value)
{
    return value >= 0 && value < count ? table [value] : NULL;
}

static int
s_parse (const char **table, int count, const char *name)
{
    if (!name)
        return -1;
    for (int value = 0; value < count; value++)
        if (strcmp (table [value], name) == 0)
            return value;
    return -1;
}

#define S_PAIR(kind, table) \
    const char *ep_##kind##_name (int value) \
    { return s_name (table, S_COUNT (table), value); } \
    int ep_##kind##_parse (const char *name) \
    { return s_parse (table, S_COUNT (table), name); }

S_PAIR (side, s_sides)
S_PAIR (type, s_types)
S_PAIR (tif, s_tifs)
S_PAIR (plane, s_planes)
S_PAIR (status, s_statuses)
S_PAIR (failure, s_failures)
S_PAIR (command, s_commands)
S_PAIR (action, s_actions)
