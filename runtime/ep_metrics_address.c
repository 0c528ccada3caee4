/*  ep_metrics_address: where a metrics endpoint may listen (loopback only).
    Apart from ep_metrics.c so that what checks a configuration does not
    need the HTTP server.  */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ep_metrics.h"

int
ep_metrics_address_parse (const char *address, struct sockaddr_storage *out, char *err,
                          size_t err_size)
{
    memset (out, 0, sizeof *out);
    const char *colon = address ? strrchr (address, ':') : NULL;
    if (!colon || colon == address) {
        snprintf (err, err_size, "metrics address \"%s\" is not HOST:PORT", address ? address : "");
        return -1;
    }
    char host [64];
    size_t host_len = (size_t) (colon - address);
    if (host_len >= sizeof host) {
        snprintf (err, err_size, "metrics address \"%s\": host too long", address);
        return -1;
    }
    memcpy (host, address, host_len);
    host [host_len] = 0;
    char *end;
    errno = 0;
    long port = strtol (colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535) {
        snprintf (err, err_size, "metrics address \"%s\": the port is not 0 to 65535", address);
        return -1;
    }
    if (strcmp (host, "localhost") == 0)
        snprintf (host, sizeof host, "127.0.0.1");
    struct sockaddr_in *v4 = (struct sockaddr_in *) out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) out;
    if (inet_pton (AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons ((uint16_t) port);
        if ((ntohl (v4->sin_addr.s_addr) >> 24) == 127)
            return 0;
    }
    else
    if (host_len > 2 && host [0] == '[' && host [host_len - 1] == ']') {
        host [host_len - 1] = 0;
        if (inet_pton (AF_INET6, host + 1, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons ((uint16_t) port);
            if (IN6_IS_ADDR_LOOPBACK (&v6->sin6_addr))
                return 0;
        }
    }
    snprintf (err, err_size, "metrics address \"%s\" is not a loopback address (127.0.0.1:PORT, "
              "localhost:PORT or [::1]:PORT): metrics are served without authentication",
              address);
    return -1;
}

int
ep_metrics_address_check (const char *address, char *err, size_t err_size)
{
    struct sockaddr_storage addr;
    return ep_metrics_address_parse (address, &addr, err, err_size);
}

