/*  ep_signal: how the daemons stop. The first SIGINT or SIGTERM asks the
    program to stop (it sets zsys_interrupted, which every loop watches):
    the program finishes what it is doing, within its bound, and exits 0.
    A second one ends the process at once: the handler says so on stderr
    and the signal is raised again with its default action.  */
#ifndef EP_SIGNAL_H_INCLUDED
#define EP_SIGNAL_H_INCLUDED

//  Call after zsys_init: replaces CZMQ's own handler.
void ep_signal_catch (const char *program);

#endif
