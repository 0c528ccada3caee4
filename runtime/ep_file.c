/*  ep_file: private files.  */
#include <czmq.h>
#include <fcntl.h>
#include "ep_file.h"

int
ep_file_create_private (const char *path)
{
    char *folder = strdup (path);
    if (!folder)
        return -1;
    char *slash = strrchr (folder, '/');
    if (slash && slash != folder) {
        *slash = 0;
        zsys_dir_create ("%s", folder);
    }
    free (folder);
    int fd = open (path, O_RDWR | O_CREAT, 0600);
    if (fd < 0)
        return -1;
    close (fd);
    return 0;
}
