/*  bench_util: what the benchmark's tools share.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "bench_util.h"

int
bench_compare_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

int
bench_number (const char *program, const char *text, const char *name, long min, long max,
              long *value)
{
    char *end;
    errno = 0;
    long parsed = strtol (text, &end, 10);
    if (errno || end == text || *end || parsed < min || parsed > max) {
        fprintf (stderr, "%s: %s takes %ld to %ld\n", program, name, min, max);
        return -1;
    }
    *value = parsed;
    return 0;
}
