/*  ep_instruments_file: the instrument table in a file.  */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ep_instruments_file.h"

#define S_MAX_SIZE (16 * 1024 * 1024)

int
ep_instruments_load (const char *path, ep_instruments_t *table, char *err, size_t err_size)
{
    *table = (ep_instruments_t) { 0 };
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *text = malloc (S_MAX_SIZE + 1);
    size_t size = text ? fread (text, 1, S_MAX_SIZE + 1, file) : 0;
    int rc = -1;
    if (!text)
        snprintf (err, err_size, "%s: out of memory", path);
    else
    if (ferror (file))
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
    else
    if (size > S_MAX_SIZE)
        snprintf (err, err_size, "%s: larger than %d MiB", path, S_MAX_SIZE >> 20);
    else {
        char why [256];
        rc = ep_instruments_parse (table, text, size, why, sizeof why);
        if (rc)
            snprintf (err, err_size, "%s: %s", path, why);
    }
    free (text);
    fclose (file);
    return rc;
}

int
ep_instruments_save (const char *path, const ep_instruments_t *table, char *err,
                     size_t err_size)
{
    char *text = ep_instruments_format (table);
    if (!text) {
        snprintf (err, err_size, "%s: out of memory", path);
        return -1;
    }
    char temporary [4096];
    snprintf (temporary, sizeof temporary, "%s.tmp.%ld", path, (long) getpid ());
    int fd = open (temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t size = strlen (text), written = 0;
    while (fd >= 0 && written < size) {
        ssize_t rc = write (fd, text + written, size - written);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            break;
        written += (size_t) rc;
    }
    bool ok = fd >= 0 && written == size && fsync (fd) == 0;
    int saved = errno;
    if (fd >= 0 && close (fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename (temporary, path) != 0) {
        ok = false;
        saved = errno;
    }
    free (text);
    if (!ok) {
        snprintf (err, err_size, "%s: %s", path, strerror (saved));
        unlink (temporary);
        return -1;
    }
    return 0;
}
