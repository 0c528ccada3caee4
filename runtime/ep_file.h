/*  ep_file: private files for what must not be read by others (the
    journal, the live audit).  */
#ifndef EP_FILE_H_INCLUDED
#define EP_FILE_H_INCLUDED

//  Makes path's folder if it is missing and creates path, empty and mode
//  0600, if it does not exist, so that SQLite (which would honour the umask)
//  finds it private; its WAL and shared-memory files take the same mode.
//  Returns 0, or -1 with errno set.
int ep_file_create_private (const char *path);

#endif
