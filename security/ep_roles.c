/*  ep_roles: the roles, certificate names, and the rights a key holds.  */
#include <czmq.h>
#include <string.h>
#include "ep_roles.h"
#include "ep_wire.h"

static const char *s_role_names [] = {
    NULL, "router", "worker", "strategy", "meta", "safety", "monitor"
};
#define S_ROLE_COUNT (sizeof s_role_names / sizeof s_role_names [0])

const char *
ep_role_name (ep_role_t role)
{
    return (int) role > 0 && (size_t) role < S_ROLE_COUNT ? s_role_names [role] : NULL;
}

ep_role_t
ep_role_parse (const char *name)
{
    for (size_t i = 1; name && i < S_ROLE_COUNT; i++)
        if (streq (name, s_role_names [i]))
            return (ep_role_t) i;
    return EP_ROLE_NONE;
}

bool
ep_roles_name_valid (const char *name)
{
    if (!name || *name == '.')
        return false;
    size_t len = strlen (name);
    if (len == 0 || len > EP_CERTS_NAME_MAX || strspn (name, EP_CERTS_NAME_CHARS) != len)
        return false;
    return !(len >= 7 && streq (name + len - 7, "_secret"));
}

//  True if list is "id[,id...]" with every id valid and nothing empty.
static bool
s_strategies_valid (const char *list)
{
    char copy [sizeof ((ep_key_info_t *) 0)->strategies];
    if (!list || !*list || strlen (list) >= sizeof copy)
        return false;
    strcpy (copy, list);
    //  strtok would pass over empty items; ",a" and "a,,b" are not lists
    char *item = copy;
    while (item) {
        char *comma = strchr (item, ',');
        if (comma)
            *comma = 0;
        if (!ep_id_valid (item))
            return false;
        item = comma ? comma + 1 : NULL;
    }
    return true;
}

bool
ep_key_info_speaks_for (const ep_key_info_t *info, const char *strategy_id)
{
    if (!info || !strategy_id || !*strategy_id
    || (info->role != EP_ROLE_STRATEGY && info->role != EP_ROLE_SAFETY))
        return false;
    size_t id_len = strlen (strategy_id);
    const char *item = info->strategies;
    const char *end = item + strnlen (item, sizeof info->strategies);
    while (item < end) {
        const char *comma = memchr (item, ',', end - item);
        size_t item_len = comma ? (size_t) (comma - item) : (size_t) (end - item);
        if (item_len == id_len && memcmp (item, strategy_id, id_len) == 0)
            return true;
        item = comma ? comma + 1 : end;
    }
    return false;
}

int
ep_key_info_from_cert (zcert_t *cert, const char *file_name, ep_key_info_t *info,
                       char *err, size_t err_size)
{
    memset (info, 0, sizeof *info);
    const char *role = zcert_meta (cert, "role");
    info->role = ep_role_parse (role);
    if (info->role == EP_ROLE_NONE) {
        if (role)
            snprintf (err, err_size, "unknown role \"%.32s\"", role);
        else
            snprintf (err, err_size, "no role in its metadata");
        return -1;
    }
    const char *name = zcert_meta (cert, "name");
    if (!name)
        name = file_name;
    if (!ep_roles_name_valid (name)) {
        snprintf (err, err_size, "name \"%.80s\" is not valid", name);
        return -1;
    }
    strcpy (info->name, name);
    if (info->role == EP_ROLE_WORKER) {
        const char *plane = zcert_meta (cert, "plane");
        if (plane && streq (plane, "paper"))
            info->plane = EP_PLANE (PAPER);
        else
        if (plane && streq (plane, "live"))
            info->plane = EP_PLANE (LIVE);
        else {
            snprintf (err, err_size, "a worker key needs plane = paper or live");
            return -1;
        }
    }
    if (info->role == EP_ROLE_STRATEGY || info->role == EP_ROLE_SAFETY) {
        //  Never cut to fit: a shorter list could name another strategy
        const char *list = zcert_meta (cert, "strategies");
        if (!s_strategies_valid (list)) {
            snprintf (err, err_size, "a %s key needs strategies = a list of valid ids "
                      "(comma-separated, under %zu characters)", role, sizeof info->strategies);
            return -1;
        }
        strcpy (info->strategies, list);
    }
    return 0;
}
