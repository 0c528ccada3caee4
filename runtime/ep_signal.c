/*  ep_signal: a first stop signal asks, a second one ends the process.  */
#include <czmq.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "ep_signal.h"

static volatile sig_atomic_t s_received;
static char s_line [128];
static size_t s_line_size;

static void
s_handle (int sig)
{
    if (s_received++ == 0) {
        zsys_interrupted = 1;
        return;
    }
    //  Only async-signal-safe calls from here.
    ssize_t written = write (STDERR_FILENO, s_line, s_line_size);
    (void) written;
    signal (sig, SIG_DFL);
    raise (sig);
}

void
ep_signal_catch (const char *program)
{
    snprintf (s_line, sizeof s_line, "%s: a second stop signal: exiting at once\n", program);
    s_line_size = strlen (s_line);
    zsys_handler_set (NULL);            //  not CZMQ's handler: ours
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_handle;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
}
