/*  ep_security: the process-wide CURVE setting.  */
#include <sys/prctl.h>
#include <sys/resource.h>
#include "ep_identity.h"
#include "ep_log.h"
#include "ep_security.h"
#include "ep_sock.h"
#include <sodium.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#   define ZMQ_ZAP_ENFORCE_DOMAIN 93    //  libzmq 4.3 (declared as draft in zmq.h)
#endif

static bool s_curve;                    //  CURVE on
static zcert_t *s_cert;                 //  our certificate (secret)
static char s_router_key [41];          //  the router's public key, pinned
static int64_t s_next_nag_ms;           //  when insecure: next warning

ep_security_status_t
ep_security_init (const ep_config_t *config, bool insecure, const char *name,
                  char *err, size_t err_size)
{
    //  Applied to every socket ep_sock makes; a no-op while insecure
    ep_sock_set_secure (ep_security_apply);
    if (insecure) {
        s_curve = false;
        s_next_nag_ms = 0;
        ep_security_nag ();
        return EP_SECURITY_OK;
    }
    if (!config->curve) {
        snprintf (err, err_size, "security/curve = 0 needs --insecure on the command line");
        return EP_SECURITY_USAGE;
    }
    s_cert = ep_identity_load_secret (config->certs, name, err, err_size);
    if (!s_cert)
        return EP_SECURITY_CERTS;
    zcert_t *router = ep_identity_load_router (config->certs, err, err_size);
    if (!router) {
        zcert_destroy (&s_cert);
        return EP_SECURITY_CERTS;
    }
    snprintf (s_router_key, sizeof s_router_key, "%s", zcert_public_txt (router));
    zcert_destroy (&router);
    s_curve = true;
    return EP_SECURITY_OK;
}

int
ep_security_setup (const char *program, const char *config_path, bool insecure,
                   const char *cert, ep_config_t *config)
{
    char err [2048];
    int rc = ep_config_load (config, config_path, err, sizeof err) ? EP_SECURITY_USAGE
           : ep_security_init (config, insecure, cert, err, sizeof err);
    if (rc)
        ep_cli_config_error (program, err);
    else
        ep_sock_set_buffer (config->socket_buffer);
    return rc;
}

int
ep_security_daemon_start (const ep_cli_t *cli, const char *component, ep_config_t *config)
{
    ep_log_init (component);
    if (ep_security_no_dumps ())
        return 1;
    return ep_security_setup (cli->program, cli->config_path, cli->insecure, cli->cert, config);
}

void
ep_security_sha256_hex (const void *data, size_t size, char hex [65])
{
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) data, size);
    sodium_bin2hex (hex, 65, digest, sizeof digest);
}

bool
ep_security_curve (void)
{
    return s_curve;
}

zcert_t *
ep_security_cert (void)
{
    return s_cert;
}

void
ep_security_apply (zsock_t *socket, bool server, const char *domain)
{
    if (!s_curve)
        return;
    zcert_apply (s_cert, socket);
    if (server) {
        zsock_set_curve_server (socket, 1);
        zsock_set_zap_domain (socket, domain);
        //  Without a ZAP verdict nothing gets in: a CURVE server whose ZAP
        //  handler is missing would otherwise admit any key.
        int on = 1;
        zmq_setsockopt (zsock_resolve (socket), ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
    }
    else
        zsock_set_curve_serverkey (socket, s_router_key);
}

void
ep_security_nag (void)
{
    if (s_curve)
        return;
    int64_t now = ep_sock_clock_ms ();
    if (now < s_next_nag_ms)
        return;
    ep_log_warn ("running WITHOUT CURVE (--insecure): any process that reaches these "
                 "sockets can push intents as any strategy, change the plane and send "
                 "Safety Sells, and everything travels in the clear");
    s_next_nag_ms = now + 60000;
}

int
ep_security_no_dumps (void)
{
    struct rlimit none = { 0, 0 };
    int rc = setrlimit (RLIMIT_CORE, &none);
    if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0))
        rc = -1;
    if (rc)
        ep_log_error ("cannot keep core dumps off: %s", strerror (errno));
    return rc;
}

void
ep_security_shutdown (void)
{
    if (s_cert) {
        sodium_memzero ((void *) zcert_secret_key (s_cert), 32);   //  ours to wipe
        sodium_memzero ((void *) zcert_secret_txt (s_cert), 40);
    }
    zcert_destroy (&s_cert);
    s_curve = false;
}
