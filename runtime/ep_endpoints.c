/*  ep_endpoints: endpoint lists, one endpoint per router.  */
#include <string.h>
#include "ep_endpoints.h"

const char *const ep_endpoints_keys [EP_ENDPOINTS_KEYS] = {
    "intake", "outcomes", "control", "dispatch", "results", "query"
};

const char *
ep_endpoints_list (const ep_config_t *config, const char *key)
{
    const char *lists [EP_ENDPOINTS_KEYS] = {
        config->intake, config->outcomes, config->control,
        config->dispatch, config->results, config->query
    };
    for (int i = 0; i < EP_ENDPOINTS_KEYS; i++)
        if (streq (key, ep_endpoints_keys [i]))
            return lists [i];
    return "";
}

int
ep_endpoints_split (const char *list, char items [][EP_ENDPOINT_MAX], char *err,
                    size_t err_size)
{
    int count = 0;
    const char *at = list;
    while (true) {
        const char *comma = strchr (at, ',');
        size_t length = comma ? (size_t) (comma - at) : strlen (at);
        while (length > 0 && *at == ' ') {
            at++;
            length--;
        }
        while (length > 0 && at [length - 1] == ' ')
            length--;
        if (length == 0) {
            snprintf (err, err_size, "\"%s\": %s", list,
                      comma || count ? "an empty endpoint in the list" : "no endpoint");
            return -1;
        }
        if (count == EP_ENDPOINTS_MAX) {
            snprintf (err, err_size, "\"%s\": more than %d endpoints", list, EP_ENDPOINTS_MAX);
            return -1;
        }
        if (*at == '@' || *at == '>') {
            snprintf (err, err_size, "\"%.*s\": write the endpoint without '%c' (a router "
                      "binds its own endpoint, clients connect to every one)",
                      (int) length, at, *at);
            return -1;
        }
        if (length >= EP_ENDPOINT_MAX) {
            snprintf (err, err_size, "\"%.40s...\": an endpoint longer than %d characters",
                      at, EP_ENDPOINT_MAX - 1);
            return -1;
        }
        memcpy (items [count], at, length);
        items [count++][length] = 0;
        if (!comma)
            return count;
        at = comma + 1;
    }
}

int
ep_endpoints_check (const ep_config_t *config, char *err, size_t err_size)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    int first = 0;
    for (int i = 0; i < EP_ENDPOINTS_KEYS; i++) {
        char sub [512];
        int count = ep_endpoints_split (ep_endpoints_list (config, ep_endpoints_keys [i]),
                                        items, sub, sizeof sub);
        if (count < 0) {
            snprintf (err, err_size, "router/%s: %s", ep_endpoints_keys [i], sub);
            return -1;
        }
        if (i == 0)
            first = count;
        else
        if (count != first) {
            snprintf (err, err_size, "router/%s lists %d endpoint(s) but router/%s %d: every "
                      "socket's list names the same routers, in the same order",
                      ep_endpoints_keys [i], count, ep_endpoints_keys [0], first);
            return -1;
        }
    }
    if (config->member > first) {
        snprintf (err, err_size, "router/member is %lld but the lists name %d router(s): it is "
                  "the position (1 to %d) of this router's own endpoint in every list",
                  (long long) config->member, first, first);
        return -1;
    }
    return 0;
}

int
ep_endpoints_own (const ep_config_t *config, const char *key, char *own, char *err,
                  size_t err_size)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    char sub [512];
    int count = ep_endpoints_split (ep_endpoints_list (config, key), items, sub, sizeof sub);
    if (count < 0) {
        snprintf (err, err_size, "router/%s: %s", key, sub);
        return -1;
    }
    if (count > 1 && config->member == 0) {
        snprintf (err, err_size, "router/%s lists %d endpoints, one for each router: set "
                  "router/member to the position (1 to %d) of this router's own, the one it "
                  "binds", key, count, count);
        return -1;
    }
    if (config->member > count) {
        snprintf (err, err_size, "router/member is %lld but router/%s lists %d endpoint(s)",
                  (long long) config->member, key, count);
        return -1;
    }
    int index = config->member > 0 ? (int) config->member - 1 : 0;
    memcpy (own, items [index], strlen (items [index]) + 1);     //  shorter than EP_ENDPOINT_MAX
    return 0;
}

int
ep_endpoints_splice (const ep_config_t *config, const char *key, const char *endpoint,
                     char *list, size_t size)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    char err [512];
    int count = ep_endpoints_split (ep_endpoints_list (config, key), items, err, sizeof err);
    if (count < 0)
        return -1;
    int index = config->member > 0 ? (int) config->member - 1 : 0;
    if (index >= count)
        return -1;
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        int written = snprintf (list + used, size - used, "%s%s", i ? "," : "",
                                i == index ? endpoint : items [i]);
        if (written < 0 || (size_t) written >= size - used)
            return -1;
        used += (size_t) written;
    }
    return 0;
}

int
ep_endpoints_connect (zsock_t *socket, const char *list, char *err, size_t err_size)
{
    char items [EP_ENDPOINTS_MAX][EP_ENDPOINT_MAX];
    int count = ep_endpoints_split (list, items, err, err_size);
    for (int i = 0; i < count; i++)
        if (zsock_connect (socket, "%s", items [i]) < 0) {
            snprintf (err, err_size, "cannot connect %s: %s", items [i],
                      zmq_strerror (zmq_errno ()));
            return -1;
        }
    return count < 0 ? -1 : 0;
}
