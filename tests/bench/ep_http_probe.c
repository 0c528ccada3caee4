/*  =========================================================================
    ep-http-probe - what one HTTP exchange on a fresh connection costs, at
    least

    The live plane sends each request to the venue on a connection of its
    own, never reused (planes/live/ep_binance_http.c): a new libcurl handle,
    HTTP/1.1, a fresh connection that is closed after the answer. The probe
    does the same, N times, against a URL (the fake venue's /api/v3/ping in
    scripts/bench --live), back to back or (--pause) after a rest, and times
    each exchange as libcurl does (CURLINFO_TOTAL_TIME_T: from the start to
    the last byte of the answer, the connection included). Prints one
    JSON line:
        {"requests":N,"p50_us":X,"p99_us":Y,"max_us":Z,"connect_p50_us":C}
    =========================================================================
*/

#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_util.h"

#define S_PROGRAM    "ep-http-probe"
#define S_TIMEOUT_MS 5000L              //  each exchange, at most

//  The answer's body is not kept
static size_t
s_discard (char *data, size_t size, size_t count, void *arg)
{
    (void) data;
    (void) arg;
    return size * count;
}

//  One exchange on a fresh connection: its total and connect times in
//  microseconds. Returns 0, or -1 with the reason on stderr.
static int
s_exchange (const char *url, int64_t *total_us, int64_t *connect_us)
{
    CURL *curl = curl_easy_init ();
    if (!curl) {
        fprintf (stderr, "%s: cannot make a libcurl handle\n", S_PROGRAM);
        return -1;
    }
    char error [CURL_ERROR_SIZE] = "";
    CURLcode code = CURLE_OK;
#define S_SET(option, value) do { \
        if (code == CURLE_OK) \
            code = curl_easy_setopt (curl, option, value); \
    } while (0)
    S_SET (CURLOPT_ERRORBUFFER, error);
    S_SET (CURLOPT_URL, url);
    S_SET (CURLOPT_PROXY, "");
    S_SET (CURLOPT_FRESH_CONNECT, 1L);
    S_SET (CURLOPT_FORBID_REUSE, 1L);
    S_SET (CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
    S_SET (CURLOPT_NOSIGNAL, 1L);
    S_SET (CURLOPT_TIMEOUT_MS, S_TIMEOUT_MS);
    S_SET (CURLOPT_WRITEFUNCTION, s_discard);
#undef S_SET
    if (code == CURLE_OK)
        code = curl_easy_perform (curl);
    long status = 0;
    curl_off_t total = 0, connect = 0;
    if (code == CURLE_OK)
        code = curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    if (code == CURLE_OK)
        code = curl_easy_getinfo (curl, CURLINFO_TOTAL_TIME_T, &total);
    if (code == CURLE_OK)
        code = curl_easy_getinfo (curl, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_cleanup (curl);
    if (code != CURLE_OK) {
        fprintf (stderr, "%s: %s: %s\n", S_PROGRAM, url, *error ? error : curl_easy_strerror (code));
        return -1;
    }
    if (status != 200) {
        fprintf (stderr, "%s: %s: HTTP %ld\n", S_PROGRAM, url, status);
        return -1;
    }
    *total_us = (int64_t) total;
    *connect_us = (int64_t) connect;
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: " S_PROGRAM " --url URL [--requests N] [--pause US]\n"
        "\n"
        "Times N GET requests to URL (default 500), each on a fresh connection\n"
        "closed after its answer, as the live plane sends to its venue: a new\n"
        "libcurl handle, HTTP/1.1, no reuse. With --pause, the probe rests US\n"
        "microseconds before each request. Each exchange must answer 200 within\n"
        "5 s. Prints\n"
        "{\"requests\":N,\"p50_us\":X,\"p99_us\":Y,\"max_us\":Z,\"connect_p50_us\":C}\n"
        "(the whole exchange, as libcurl times it; C: its connection alone).\n"
        "Exit: 0 done, 1 a request failed, 2 bad usage.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "url", required_argument, 0, 'u' },
        { "requests", required_argument, 0, 'n' },
        { "pause", required_argument, 0, 'p' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *url = NULL;
    long requests = 500, pause_us = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'u': url = optarg; break;
            case 'n':
                if (bench_number (S_PROGRAM, optarg, "--requests", 1, 1000000, &requests))
                    return 2;
                break;
            case 'p':
                if (bench_number (S_PROGRAM, optarg, "--pause", 0, 1000000, &pause_us))
                    return 2;
                break;
            case 'h': s_usage (stdout); return 0;
            default:  s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s' (see --help)\n", S_PROGRAM, argv [optind]);
        return 2;
    }
    if (!url) {
        fprintf (stderr, "%s: --url is required (see --help)\n", S_PROGRAM);
        return 2;
    }
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf (stderr, "%s: cannot initialise libcurl\n", S_PROGRAM);
        return 1;
    }
    int64_t *took = malloc ((size_t) requests * sizeof *took);
    int64_t *connected = malloc ((size_t) requests * sizeof *connected);
    int rc = 1;
    if (!took || !connected) {
        fprintf (stderr, "%s: out of memory\n", S_PROGRAM);
        goto done;
    }
    for (long i = 0; i < requests; i++) {
        if (pause_us) {
            struct timespec rest = { pause_us / 1000000, pause_us % 1000000 * 1000 };
            nanosleep (&rest, NULL);
        }
        if (s_exchange (url, &took [i], &connected [i]))
            goto done;
    }
    qsort (took, (size_t) requests, sizeof *took, bench_compare_i64);
    qsort (connected, (size_t) requests, sizeof *connected, bench_compare_i64);
    printf ("{\"requests\":%ld,\"p50_us\":%" PRId64 ",\"p99_us\":%" PRId64 ",\"max_us\":%" PRId64
            ",\"connect_p50_us\":%" PRId64 "}\n", requests,
            took [(requests - 1) / 2],
            took [(long) ((double) (requests - 1) * 0.99 + 0.5)],
            took [requests - 1],
            connected [(requests - 1) / 2]);
    rc = 0;
done:
    free (took);
    free (connected);
    curl_global_cleanup ();
    return rc;
}
