/*  ep_security: how a program's sockets are secured.

    CURVE is the default: the router is the CURVE server on every socket,
    with a ZAP domain per socket (the socket's name) and domain enforcement,
    so that no key is admitted without the router's ZAP handler saying so;
    every client pins the router's public key and presents its own
    certificate. Running in the clear needs --insecure on the command line
    (security/curve = 0 alone is refused), and says so in the log at start
    and every minute.

    The setting is process-wide: ep_sock applies it to every socket it
    makes once ep_security_init has run.  */
#ifndef EP_SECURITY_H_INCLUDED
#define EP_SECURITY_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include "ep_cli.h"
#include "ep_config.h"

//  How setting up security went. The values are the exit codes a program
//  returns for each (contract.md: 1 runtime failure, 2 bad usage).
typedef enum {
    EP_SECURITY_OK = 0,
    EP_SECURITY_CERTS = 1,              //  the certificates cannot be read
    EP_SECURITY_USAGE = 2               //  bad usage: security/curve = 0 without --insecure
} ep_security_status_t;

//  Sets up this process's security: CURVE with the certificate NAME from
//  config->certs (its secret file), or, with insecure, none. Returns
//  EP_SECURITY_OK, or another status with the reason in err.
ep_security_status_t ep_security_init (const ep_config_t *config, bool insecure,
                                       const char *name, char *err, size_t err_size);

//  What every program does at start: loads its configuration (path, or
//  the built-in defaults) into *config, then sets up its security. On
//  failure prints one line, "program: why", on stderr and returns the exit
//  code (2 bad usage or configuration, 1 certificates unreadable); else 0.
int ep_security_setup (const char *program, const char *config_path, bool insecure,
                       const char *cert, ep_config_t *config);

//  What a daemon does at start, once its command line is read: names
//  component in every log line, keeps its secrets out of core dumps
//  (ep_security_no_dumps, before any is read), then ep_security_setup
//  with what cli says. Returns 0, or the exit code (1, 2) with the reason
//  said, as ep_security_setup does.
int ep_security_daemon_start (const ep_cli_t *cli, const char *component, ep_config_t *config);

//  True when CURVE is on.
bool ep_security_curve (void);

//  The SHA-256 of size bytes of data as 64 lowercase hex digits, into hex:
//  a plane definition's id, a digest its text names.
void ep_security_sha256_hex (const void *data, size_t size, char hex [65]);

//  This process's own certificate, or NULL when insecure.
zcert_t *ep_security_cert (void);

//  Applies the setting to a socket before it binds (server: the router,
//  with domain, the socket's name) or connects (client).
void ep_security_apply (zsock_t *socket, bool server, const char *domain);

//  When insecure, logs a warning at most once a minute; call it from a
//  program's loop. No-op under CURVE.
void ep_security_nag (void);

//  Keeps this process's memory, and so its secrets (the CURVE secret key,
//  the venue's API secret), out of core dumps and away from other
//  processes of the same user: no core file (RLIMIT_CORE 0) and not
//  dumpable (PR_SET_DUMPABLE 0, which also closes /proc/PID/mem and
//  ptrace to them). Every daemon calls it first. Returns 0, or -1 if
//  the kernel refused (logged).
int ep_security_no_dumps (void);

//  Frees the certificate, its secret key zeroed first. Safe to call when nothing was set up.
void ep_security_shutdown (void);

#endif
