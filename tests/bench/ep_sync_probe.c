/*  =========================================================================
    ep-sync-probe - what one durable commit costs on this disk, at least

    A commit at synchronous=FULL writes its frames to the journal's WAL and
    waits for fdatasync. The WAL is written again from its start once it has
    been checkpointed, so its blocks already exist: the probe does the same,
    overwriting the blocks of a file it sized first, in the directory given,
    and times each fdatasync, back to back or (--pause) after a rest, as
    under a light load. Prints one JSON line:
        {"syncs":N,"size":S,"p50_us":X,"p99_us":Y,"max_us":Z}
    =========================================================================
*/

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

#define S_PROGRAM "ep-sync-probe"

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: " S_PROGRAM " [--dir DIR] [--syncs N] [--size BYTES] [--pause US]\n"
        "\n"
        "Times N fdatasync calls (default 2000), each after overwriting SIZE bytes\n"
        "(default 4096) of a file in DIR (default .) that was sized beforehand, as\n"
        "the journal's WAL is once it has been checkpointed. The file is removed.\n"
        "With --pause, the probe rests US microseconds before each write, as a\n"
        "journal does between commits under a light load.\n"
        "Prints {\"syncs\":N,\"size\":S,\"p50_us\":X,\"p99_us\":Y,\"max_us\":Z}.\n"
        "Exit: 0 done, 1 an I/O error, 2 bad usage.\n");
}

int
main (int argc, char *argv [])
{
    static struct option options [] = {
        { "dir", required_argument, 0, 'd' },
        { "syncs", required_argument, 0, 'n' },
        { "size", required_argument, 0, 's' },
        { "pause", required_argument, 0, 'p' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *dir = ".";
    long syncs = 2000, size = 4096, pause_us = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'd': dir = optarg; break;
            case 'n':
                if (bench_number (S_PROGRAM, optarg, "--syncs", 1, 1000000, &syncs))
                    return 2;
                break;
            case 's':
                if (bench_number (S_PROGRAM, optarg, "--size", 1, 1 << 20, &size))
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
    char path [4096];
    snprintf (path, sizeof path, "%s/ep-sync-probe.XXXXXX", dir);
    int fd = mkstemp (path);
    if (fd < 0) {
        fprintf (stderr, "%s: cannot create a file in %s: %s\n", S_PROGRAM, dir, strerror (errno));
        return 1;
    }
    unlink (path);                      //  gone when closed, whatever happens
    //  The file the syncs overwrite: as many blocks as syncs, at most 64 MiB,
    //  so that the probe wraps round like a WAL and never grows the file.
    long blocks = syncs;
    if (blocks * size > 64L << 20)
        blocks = (64L << 20) / size;
    int64_t *took = malloc ((size_t) syncs * sizeof *took);
    char *block = malloc ((size_t) size);
    int rc = 1;
    if (!took || !block) {
        fprintf (stderr, "%s: out of memory\n", S_PROGRAM);
        goto done;
    }
    memset (block, 0, (size_t) size);
    for (long i = 0; i < blocks; i++)
        if (pwrite (fd, block, (size_t) size, (off_t) (i * size)) != size)
            goto failed;
    if (fsync (fd))
        goto failed;
    memset (block, 'w', (size_t) size);
    for (long i = 0; i < syncs; i++) {
        if (pause_us) {
            struct timespec rest = { pause_us / 1000000, pause_us % 1000000 * 1000 };
            nanosleep (&rest, NULL);
        }
        if (pwrite (fd, block, (size_t) size, (off_t) (i % blocks * size)) != size)
            goto failed;
        int64_t start = s_now_ns ();
        if (fdatasync (fd))
            goto failed;
        took [i] = s_now_ns () - start;
    }
    qsort (took, (size_t) syncs, sizeof *took, bench_compare_i64);
    printf ("{\"syncs\":%ld,\"size\":%ld,\"p50_us\":%" PRId64 ",\"p99_us\":%" PRId64
            ",\"max_us\":%" PRId64 "}\n", syncs, size,
            (took [(syncs - 1) / 2] + 500) / 1000,
            (took [(long) ((double) (syncs - 1) * 0.99 + 0.5)] + 500) / 1000,
            (took [syncs - 1] + 500) / 1000);
    rc = 0;
    goto done;
failed:
    fprintf (stderr, "%s: %s: %s\n", S_PROGRAM, dir, strerror (errno));
done:
    free (took);
    free (block);
    close (fd);
    return rc;
}
