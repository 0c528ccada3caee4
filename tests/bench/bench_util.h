/*  bench_util: what the benchmark's tools share: sorting their samples,
    and reading a whole number from the command line.  */
#ifndef BENCH_UTIL_H_INCLUDED
#define BENCH_UTIL_H_INCLUDED

#include <stdint.h>

//  qsort's order of int64_t samples, lowest first.
int bench_compare_i64 (const void *a, const void *b);

//  text as a whole number from min to max, into *value. Returns 0, or -1
//  having said "PROGRAM: NAME takes MIN to MAX" on stderr.
int bench_number (const char *program, const char *text, const char *name, long min, long max,
                  long *value);

#endif
