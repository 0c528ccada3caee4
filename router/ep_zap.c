/*  ep_zap: ZAP requests answered from the allow-list and the socket's role.  */
#include "ep_zap.h"
#include "ep_log.h"

struct _ep_zap_t {
    zsock_t *handler;                   //  ROUTER on inproc://zeromq.zap.01
    ep_allowlist_t *certs;                  //  the allow-list (not owned)
};

bool
ep_zap_admits (const char *domain, ep_role_t role)
{
    switch (role) {
        case EP_ROLE_STRATEGY:
        case EP_ROLE_SAFETY:
            return streq (domain, "intake") || streq (domain, "outcomes")
                || streq (domain, "query");
        case EP_ROLE_META:
            return streq (domain, "control") || streq (domain, "outcomes")
                || streq (domain, "query");
        case EP_ROLE_WORKER:
            return streq (domain, "dispatch") || streq (domain, "results")
                || streq (domain, "query");
        case EP_ROLE_MONITOR:
            return streq (domain, "outcomes") || streq (domain, "query");
        default:
            return false;
    }
}

ep_zap_t *
ep_zap_new (ep_allowlist_t *certs, char *err, size_t err_size)
{
    ep_zap_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->certs = certs;
    self->handler = zsock_new (ZMQ_ROUTER);
    if (!self->handler || zsock_bind (self->handler, "inproc://zeromq.zap.01") < 0) {
        snprintf (err, err_size, "cannot bind the ZAP handler: %s", zmq_strerror (zmq_errno ()));
        ep_zap_destroy (&self);
    }
    return self;
}

void
ep_zap_destroy (ep_zap_t **self_p)
{
    ep_zap_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->handler);
    free (self);
    *self_p = NULL;
}

zsock_t *
ep_zap_socket (ep_zap_t *self)
{
    return self->handler;
}

int
ep_zap_handle (ep_zap_t *self, ep_zap_refusal_t *refusal)
{
    zmsg_t *request = zmsg_recv_nowait (self->handler);
    if (!request)
        return 0;
    //  [routing id] [""] [version] [request id] [domain] [address] [identity]
    //  [mechanism] [credentials...]
    zframe_t *routing = zmsg_pop (request);
    zframe_t *empty = zmsg_pop (request);
    char *version = zmsg_popstr (request);
    zframe_t *request_id = zmsg_pop (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);

    int refused = 1;
    char key [41] = "";
    const char *status = "400";
    memset (refusal, 0, sizeof *refusal);
    if (routing && request_id && domain && mechanism && version && streq (version, "1.0")) {
        snprintf (refusal->domain, sizeof refusal->domain, "%s", domain);
        if (streq (mechanism, "CURVE") && credentials && zframe_size (credentials) == 32) {
            zmq_z85_encode (key, zframe_data (credentials), 32);
            ep_key_info_t info;
            if (!ep_allowlist_lookup (self->certs, key, &info))
                snprintf (refusal->why, sizeof refusal->why, "unknown key");
            else
            if (!ep_zap_admits (domain, info.role))
                snprintf (refusal->why, sizeof refusal->why, "a %s key (%s) may not use %s",
                          ep_role_name (info.role), info.name, domain);
            else {
                refused = 0;
                status = "200";
            }
        }
        else
            snprintf (refusal->why, sizeof refusal->why, "mechanism %s is not CURVE", mechanism);
        snprintf (refusal->key, sizeof refusal->key, "%s", key);
        zmsg_t *reply = zmsg_new ();
        zmsg_append (reply, &routing);
        zmsg_addmem (reply, "", 0);
        zmsg_addstr (reply, "1.0");
        zmsg_append (reply, &request_id);
        zmsg_addstr (reply, status);
        zmsg_addstr (reply, refused ? refusal->why : "OK");
        zmsg_addstr (reply, refused ? "" : key);    //  the User-Id of the connection
        zmsg_addmem (reply, "", 0);                 //  no metadata
        zmsg_send (&reply, self->handler);
    }
    else
        snprintf (refusal->why, sizeof refusal->why, "malformed ZAP request");
    zframe_destroy (&routing);
    zframe_destroy (&empty);
    zstr_free (&version);
    zframe_destroy (&request_id);
    zstr_free (&domain);
    zstr_free (&address);
    zframe_destroy (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&credentials);
    zmsg_destroy (&request);
    return refused;
}
