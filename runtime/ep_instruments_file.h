/*  ep_instruments_file: the instrument table in a file, in its text form
    (ep_instrument.h): `ep-live --export-instruments FILE` writes it, and
    `paper/instruments` names it for the paper plane and ep-replay.  */
#ifndef EP_INSTRUMENTS_FILE_H_INCLUDED
#define EP_INSTRUMENTS_FILE_H_INCLUDED

#include <stddef.h>
#include "ep_instrument.h"

//  Reads path into table. Returns 0, or -1 with "PATH: why" (the line for
//  a bad line) in err and table empty. A file over 16 MiB is refused.
int ep_instruments_load (const char *path, ep_instruments_t *table, char *err, size_t err_size);

//  Writes table to path whole or not at all (a temporary file beside it,
//  flushed to disk, then renamed over it). Returns 0, or -1 with "PATH:
//  why" in err and path as it was.
int ep_instruments_save (const char *path, const ep_instruments_t *table, char *err,
                         size_t err_size);

#endif
