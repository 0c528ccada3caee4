/*  libexecplane: the client library. The strategy and monitor handles are
    thin: the follower (ep_follow) does the gap-free following, ep_security
    the identity, ep_json and ep_decimal the text forms.  */
#include <czmq.h>
#include <stdarg.h>
#include "execplane/execplane.h"
#include "ep_config.h"
#include "ep_decimal.h"
#include "ep_follow.h"
#include "ep_json.h"
#include "ep_names.h"
#include "ep_push.h"
#include "ep_security.h"
#include "ep_sock.h"
#include "ep_unread.h"
#include "ep_wire.h"

#define S_TIMEOUT_MS 10000              //  the default wait for the router
#define S_STR(x) #x
#define S_VERSION(a, b, c) S_STR (a) "." S_STR (b) "." S_STR (c)

static int
s_error (execplane_error_t *error, execplane_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_error (execplane_error_t *error, execplane_code_t code, const char *format, ...)
{
    if (error) {
        error->code = code;
        va_list args;
        va_start (args, format);
        vsnprintf (error->text, sizeof error->text, format, args);
        va_end (args);
    }
    return -1;
}

static void
s_ok (execplane_error_t *error)
{
    if (error) {
        error->code = EXECPLANE_OK;
        error->text [0] = 0;
    }
}

const char *
execplane_version (void)
{
    return S_VERSION (EXECPLANE_VERSION_MAJOR, EXECPLANE_VERSION_MINOR, EXECPLANE_VERSION_PATCH);
}

//  --------------------------------------------------------------------------
//  The process's identity: set up by the first handle, shared by the
//  handles open at the same time, released with the last of them.

static int s_handles;                   //  open handles
static char s_identity [EP_PATH_MAX + 64];

//  Loads the configuration and sets up the identity for one more handle.
//  Returns 0, or -1 with *error set.
static int
s_connect (const execplane_options_t *options, const char *default_cert, ep_config_t *config,
           execplane_error_t *error)
{
    char err [2048];
    if (ep_config_load (config, options ? options->config : NULL, err, sizeof err))
        return s_error (error, EXECPLANE_ECONFIG, "%s", err);
    bool insecure = options && options->insecure;
    const char *cert = options && options->cert ? options->cert : default_cert;
    char identity [sizeof s_identity];
    if (insecure)
        snprintf (identity, sizeof identity, "no certificate (insecure)");
    else
        snprintf (identity, sizeof identity, "certificate %s in %s", cert, config->certs);
    if (s_handles > 0) {
        if (strcmp (identity, s_identity))
            return s_error (error, EXECPLANE_EIDENTITY,
                            "this process already speaks with %s; a handle with %s must wait "
                            "until every handle of the first is destroyed", s_identity, identity);
        s_handles++;
        return 0;
    }
    ep_security_status_t rc = ep_security_init (config, insecure, cert, err, sizeof err);
    if (rc != EP_SECURITY_OK)
        return s_error (error, rc == EP_SECURITY_USAGE ? EXECPLANE_ECONFIG : EXECPLANE_ECERT,
                        "%s", err);
    ep_sock_set_buffer (config->socket_buffer);
    snprintf (s_identity, sizeof s_identity, "%s", identity);
    s_handles = 1;
    return 0;
}

static void
s_disconnect (void)
{
    if (s_handles > 0 && --s_handles == 0)
        ep_security_shutdown ();
}

static int
s_timeout_ms (const execplane_options_t *options)
{
    return options && options->timeout_ms > 0 ? options->timeout_ms : S_TIMEOUT_MS;
}

//  A follower whose subscription is live; NULL with *error set.
static ep_follow_t *
s_follow (const ep_config_t *config, uint64_t from_seq, int timeout_ms, execplane_error_t *error)
{
    char err [512];
    ep_follow_t *follow = ep_follow_new (config, from_seq, err, sizeof err);
    if (!follow) {
        s_error (error, EXECPLANE_ECONNECT, "%s", err);
        return NULL;
    }
    if (ep_follow_ready (follow, timeout_ms) < 0) {
        if (zsys_interrupted)
            s_error (error, EXECPLANE_EINTR, "interrupted while waiting for the router");
        else
            s_error (error, EXECPLANE_ETIMEOUT, "no answer from the router at %s within %d ms",
                     config->outcomes, timeout_ms);
        ep_follow_destroy (&follow);
    }
    return follow;
}

//  --------------------------------------------------------------------------
//  Strategy

struct _execplane_strategy_t {
    ep_follow_t *follow;
    ep_push_t *intake;                  //  a PUSH per router
    zhashx_t *owed;                     //  "strategy\x1fintent" -> terminal reports owed
    zhashx_t *owed_ids;                 //  intent id -> terminal reports owed
    zlistx_t *reports;                  //  reports on our intents, not handed out yet
    size_t n_owed;
    ep_unread_t *unheard;               //  owed keys with no report yet, and when sent
    zlistx_t *never_read;               //  owed keys found never read, not told yet
};

//  The longest the strategy waits on the follower before it looks for
//  intents never read.
#define S_TICK_MS 250

static void
s_count (zhashx_t *map, const char *key, int delta)
{
    uintptr_t count = (uintptr_t) zhashx_lookup (map, key) + (uintptr_t) (intptr_t) delta;
    if (count == 0)
        zhashx_delete (map, key);
    else
        zhashx_update (map, key, (void *) count);
}

static void
s_key (char *key, size_t size, const char *strategy_id, const char *intent_id)
{
    snprintf (key, size, "%s\x1f%s", strategy_id ? strategy_id : "", intent_id ? intent_id : "");
}

execplane_strategy_t *
execplane_strategy_new (const execplane_options_t *options, execplane_error_t *error)
{
    ep_config_t config;
    if (s_connect (options, "strategy", &config, error))
        return NULL;
    execplane_strategy_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_disconnect ();
        s_error (error, EXECPLANE_ENOMEM, "out of memory");
        return NULL;
    }
    self->owed = zhashx_new ();
    self->owed_ids = zhashx_new ();
    self->reports = zlistx_new ();
    self->never_read = zlistx_new ();
    if (self->never_read)
        zlistx_set_destructor (self->never_read, (zlistx_destructor_fn *) zstr_free);
    int timeout_ms = s_timeout_ms (options);
    //  Intake connects at once (its handshake is the router's to judge, and
    //  to journal if refused); nothing is sent before the follower is live,
    //  so that no report on what is sent is missed.
    char err [512];
    self->intake = ep_push_new (config.intake, 0, err, sizeof err);
    if (!self->intake) {
        s_error (error, EXECPLANE_ECONNECT, "%s", err);
        execplane_strategy_destroy (&self);
        return NULL;
    }
    ep_push_set_linger (self->intake, 0);   //  until something is sent
    self->follow = s_follow (&config, 0, timeout_ms, error);
    if (self->follow && !(self->unheard = ep_unread_new (self->follow)))
        s_error (error, EXECPLANE_ENOMEM, "out of memory");
    if (!self->unheard) {
        execplane_strategy_destroy (&self);
        return NULL;
    }
    //  Back-pressure and the queue at the end are bounded alike.
    ep_push_set_sndtimeo (self->intake, timeout_ms);
    ep_push_set_linger (self->intake, timeout_ms);
    s_ok (error);
    return self;
}

void
execplane_strategy_destroy (execplane_strategy_t **self_p)
{
    execplane_strategy_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    ep_push_destroy (&self->intake);
    ep_follow_destroy (&self->follow);
    zhashx_destroy (&self->owed);
    zhashx_destroy (&self->owed_ids);
    ep_unread_destroy (&self->unheard);
    zlistx_destroy (&self->never_read);
    if (self->reports) {
        execplane_report_t *report;
        while ((report = zlistx_detach (self->reports, NULL)))
            execplane_report_free (report);
        zlistx_destroy (&self->reports);
    }
    free (self);
    *self_p = NULL;
    s_disconnect ();
}

int
execplane_strategy_await_worker (execplane_strategy_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    const ep_plane_state_t *state = ep_follow_plane (self->follow);
    while (!state || !(state->plane == EP_PLANE (LIVE) ? state->live_alive : state->paper_alive)) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 || zsys_interrupted)
            return -1;
        //  Reports that arrive meanwhile stay with the follower for _next.
        const ep_plane_state_t *fresh = ep_follow_next_plane (self->follow, left);
        if (fresh)
            state = fresh;
    }
    return 0;
}

//  Lets intake go of the routers whose connection dropped since the last
//  call (ep_follow_drops); returns which, with *losses_before as it says.
static unsigned
s_let_go (execplane_strategy_t *self, uint64_t *losses_before)
{
    unsigned drops = ep_follow_drops (self->follow, losses_before);
    if (drops)
        ep_push_renew (self->intake, drops);
    return drops;
}

int
execplane_strategy_send (execplane_strategy_t *self, const execplane_intent_t *intent,
                         execplane_error_t *error)
{
    if (!intent)
        return s_error (error, EXECPLANE_EINVAL, "no intent");
    //  The router judges the intent and answers with a report (REJECTED
    //  and why, if it must): nothing is refused here that it would hear.
    size_t size = execplane__v1__order_intent__get_packed_size (intent);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return s_error (error, EXECPLANE_ENOMEM, "out of memory");
    execplane__v1__order_intent__pack (intent, data);
    //  A router whose connection dropped is let go of before anything
    //  more is sent: what waited for it goes with it (a machine lost
    //  without a reset keeps the TCP connection for long), and nothing
    //  sent from now on can reach it.
    uint64_t before;
    s_let_go (self, &before);
    uint64_t losses = ep_follow_losses (self->follow);
    int rc = ep_push_send (self->intake, NULL, data, size, 0);
    if (rc >= 0) {
        //  A send that waited may have gone to a router that dropped
        //  meanwhile: it was sent before that loss.
        unsigned drops = s_let_go (self, &before);
        if (drops) {
            if (drops & (1u << rc))
                losses = before;
            else
                losses = ep_follow_losses (self->follow);
        }
    }
    free (data);
    if (rc < 0) {
        int errnum = zmq_errno ();
        if (errnum == EAGAIN)
            return s_error (error, EXECPLANE_ETIMEOUT,
                            "intent %s: the router took nothing within %d ms (back-pressure)",
                            intent->intent_id, ep_push_sndtimeo (self->intake));
        if (errnum == EINTR)
            return s_error (error, EXECPLANE_EINTR, "intent %s: interrupted, not sent",
                            intent->intent_id);
        return s_error (error, EXECPLANE_ECONNECT, "intent %s: %s", intent->intent_id,
                        zmq_strerror (errnum));
    }
    char key [2 * EP_ID_MAX + 2];
    s_key (key, sizeof key, intent->strategy_id, intent->intent_id);
    s_count (self->owed, key, +1);
    s_count (self->owed_ids, intent->intent_id, +1);
    self->n_owed++;
    ep_unread_sent (self->unheard, key, losses);
    s_ok (error);
    return 0;
}

//  Intents that may have gone to a router lost and that no router read
//  (ep_unread: the router that took over says its journal does not hold
//  them) stop being owed, and wait in never_read to be told.
static void
s_find_never_read (execplane_strategy_t *self)
{
    zlistx_t *found = zlistx_new ();
    if (!found)
        return;
    zlistx_set_destructor (found, (zlistx_destructor_fn *) zstr_free);
    ep_unread_judge (self->unheard, found);
    char *key;
    while ((key = zlistx_detach (found, NULL))) {
        const char *intent_id = strchr (key, '\x1f');
        s_count (self->owed_ids, intent_id ? intent_id + 1 : key, -1);
        s_count (self->owed, key, -1);
        self->n_owed--;
        zlistx_add_end (self->never_read, key);
    }
    zlistx_destroy (&found);
}

int
execplane_strategy_never_read (execplane_strategy_t *self,
                               char strategy_id [EXECPLANE_ID_BUFSIZE],
                               char intent_id [EXECPLANE_ID_BUFSIZE])
{
    s_find_never_read (self);
    char *key = zlistx_detach (self->never_read, NULL);
    if (!key)
        return 0;
    const char *separator = strchr (key, '\x1f');
    size_t length = separator ? (size_t) (separator - key) : 0;
    snprintf (strategy_id, EXECPLANE_ID_BUFSIZE, "%.*s", (int) length, key);
    snprintf (intent_id, EXECPLANE_ID_BUFSIZE, "%s", separator ? separator + 1 : key);
    free (key);
    return 1;
}

int
execplane_strategy_cancel (execplane_strategy_t *self, const char *intent_id,
                           const char *strategy_id, const char *target_intent_id,
                           execplane_error_t *error)
{
    if (!intent_id || !strategy_id || !target_intent_id)
        return s_error (error, EXECPLANE_EINVAL,
                        "a cancel needs its intent_id, strategy_id and target_intent_id");
    //  Only the ids: the router refuses a CANCEL that sets an order field,
    //  since one that does was likely meant as a REPLACE.
    execplane_intent_t cancel = EXECPLANE__V1__ORDER_INTENT__INIT;
    cancel.intent_id = (char *) intent_id;
    cancel.strategy_id = (char *) strategy_id;
    cancel.action = EXECPLANE__V1__ACTION__CANCEL;
    cancel.target_intent_id = (char *) target_intent_id;
    return execplane_strategy_send (self, &cancel, error);
}

int
execplane_strategy_replace (execplane_strategy_t *self, const char *target_intent_id,
                            const execplane_intent_t *order, execplane_error_t *error)
{
    if (!order || !target_intent_id)
        return s_error (error, EXECPLANE_EINVAL, "a replace needs its order and target_intent_id");
    //  A shallow copy: its strings stay the caller's, and are only packed.
    execplane_intent_t replace = *order;
    replace.action = EXECPLANE__V1__ACTION__REPLACE;
    replace.target_intent_id = (char *) target_intent_id;
    return execplane_strategy_send (self, &replace, error);
}

//  This process's public key, as the router names a sender: Z85 under
//  CURVE, "insecure" without.
static const char *
s_own_key (void)
{
    zcert_t *cert = ep_security_cert ();
    return ep_security_curve () && cert ? zcert_public_txt (cert) : "insecure";
}

//  The owed key (strategy and intent) of an intent sent with intent_id,
//  for a report told to us as its sender, which names no strategy. Returns
//  true if one is owed.
static bool
s_owed_key_of (execplane_strategy_t *self, const char *intent_id, char *key, size_t size)
{
    if (!zhashx_lookup (self->owed_ids, intent_id))
        return false;
    for (void *count = zhashx_first (self->owed); count; count = zhashx_next (self->owed)) {
        const char *owed = zhashx_cursor (self->owed);
        const char *sent = strchr (owed, '\x1f');
        //  s_key cuts a key at its buffer's size: so is the id in it.
        if (sent && strncmp (sent + 1, intent_id, strlen (sent + 1)) == 0
        &&  (strlen (sent + 1) == strlen (intent_id) || strlen (owed) == size - 1)) {
            snprintf (key, size, "%s", owed);
            return true;
        }
    }
    return false;
}

//  Keeps report if it is on one of our intents. Returns it, or NULL (not
//  ours: freed).
static execplane_report_t *
s_keep (execplane_strategy_t *self, execplane_report_t *report)
{
    //  A report is an intent's outcome only from the intent's own stream:
    //  its strategy's, or, for one told to its sender alone (sender_key:
    //  the router would not attribute it to the strategy it named), ours.
    char key [2 * EP_ID_MAX + 2];
    if (*report->sender_key) {
        if (!streq (report->sender_key, s_own_key ())
        ||  !s_owed_key_of (self, report->intent_id, key, sizeof key)) {
            execplane_report_free (report);
            return NULL;
        }
    }
    else
        s_key (key, sizeof key, report->strategy_id, report->intent_id);
    if (!zhashx_lookup (self->owed, key)) {
        execplane_report_free (report);
        return NULL;
    }
    ep_unread_heard (self->unheard, key);   //  read: no longer a question
    if (report->terminal) {
        s_count (self->owed, key, -1);
        s_count (self->owed_ids, report->intent_id, -1);
        self->n_owed--;
    }
    zlistx_add_end (self->reports, report);
    return report;
}

//  Takes the follower's next report, waiting at most timeout_ms, and keeps
//  it if it is on one of our intents; then looks for intents never read
//  (after the report: it may be the first on one of them). Returns the
//  kept report, or NULL (none in time, or not ours).
static execplane_report_t *
s_pump (execplane_strategy_t *self, int timeout_ms)
{
    execplane_report_t *report = ep_follow_next (self->follow, timeout_ms < 0
                                                 || timeout_ms > S_TICK_MS ? S_TICK_MS
                                                                           : timeout_ms);
    execplane_report_t *kept = report ? s_keep (self, report) : NULL;
    s_find_never_read (self);
    return kept;
}

execplane_report_t *
execplane_strategy_next (execplane_strategy_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    while (zlistx_size (self->reports) == 0) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 || zsys_interrupted)
            return NULL;
        s_pump (self, left);
    }
    return zlistx_detach (self->reports, NULL);
}

//  Takes intent_id's reports out of the list; returns its terminal report
//  (the first), or NULL if the list holds none.
static execplane_report_t *
s_take_terminal (execplane_strategy_t *self, const char *intent_id)
{
    void *handle = zlistx_first (self->reports) ? zlistx_cursor (self->reports) : NULL;
    void *terminal = NULL;
    for (; handle; handle = zlistx_next (self->reports) ? zlistx_cursor (self->reports) : NULL) {
        execplane_report_t *report = zlistx_handle_item (handle);
        if (report->terminal && streq (report->intent_id, intent_id)) {
            terminal = handle;
            break;
        }
    }
    if (!terminal)
        return NULL;
    execplane_report_t *found = zlistx_handle_item (terminal);
    //  The reports before it on the same intent (and the same strategy) go with it.
    handle = zlistx_first (self->reports) ? zlistx_cursor (self->reports) : NULL;
    while (handle && handle != terminal) {
        execplane_report_t *report = zlistx_handle_item (handle);
        void *next = zlistx_next (self->reports) ? zlistx_cursor (self->reports) : NULL;
        if (streq (report->intent_id, intent_id) && streq (report->strategy_id, found->strategy_id))
            execplane_report_free (zlistx_detach (self->reports, handle));
        handle = next;
    }
    return zlistx_detach (self->reports, terminal);
}

execplane_report_t *
execplane_strategy_wait (execplane_strategy_t *self, const char *intent_id, int timeout_ms)
{
    if (!intent_id)
        return NULL;
    int64_t deadline = ep_sock_deadline (timeout_ms);
    execplane_report_t *terminal = s_take_terminal (self, intent_id);
    while (!terminal && zhashx_lookup (self->owed_ids, intent_id)) {
        int left = ep_sock_left_ms (deadline);
        if (left == 0 || zsys_interrupted)
            return NULL;
        execplane_report_t *report = s_pump (self, left);
        if (report && report->terminal && streq (report->intent_id, intent_id))
            terminal = s_take_terminal (self, intent_id);
    }
    return terminal;
}

size_t
execplane_strategy_owed (execplane_strategy_t *self)
{
    return self->n_owed;
}

//  --------------------------------------------------------------------------
//  Monitor

struct _execplane_monitor_t {
    ep_follow_t *follow;
    char *strategy;                     //  only its reports; NULL: all
};

execplane_monitor_t *
execplane_monitor_new (const execplane_options_t *options, const char *strategy_id,
                       uint64_t from_seq, execplane_error_t *error)
{
    if (strategy_id && !ep_id_valid (strategy_id)) {
        s_error (error, EXECPLANE_EINVAL, "strategy_id: 1 to %d of A-Z a-z 0-9 . _ -", EP_ID_MAX);
        return NULL;
    }
    ep_config_t config;
    if (s_connect (options, "monitor", &config, error))
        return NULL;
    execplane_monitor_t *self = calloc (1, sizeof *self);
    if (!self || (strategy_id && !(self->strategy = strdup (strategy_id)))) {
        s_error (error, EXECPLANE_ENOMEM, "out of memory");
        execplane_monitor_destroy (&self);
        return NULL;
    }
    self->follow = s_follow (&config, from_seq, s_timeout_ms (options), error);
    if (!self->follow) {
        execplane_monitor_destroy (&self);
        return NULL;
    }
    s_ok (error);
    return self;
}

void
execplane_monitor_destroy (execplane_monitor_t **self_p)
{
    execplane_monitor_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    ep_follow_destroy (&self->follow);
    free (self->strategy);
    free (self);
    *self_p = NULL;
    s_disconnect ();
}

execplane_report_t *
execplane_monitor_next (execplane_monitor_t *self, int timeout_ms)
{
    int64_t deadline = ep_sock_deadline (timeout_ms);
    while (!zsys_interrupted) {
        int left = ep_sock_left_ms (deadline);
        execplane_report_t *report = ep_follow_next (self->follow, left);
        if (!report)
            return NULL;
        if (!self->strategy || streq (self->strategy, report->strategy_id))
            return report;
        execplane_report_free (report);
        if (left == 0)
            return NULL;
    }
    return NULL;
}

const execplane_plane_state_t *
execplane_monitor_plane (execplane_monitor_t *self)
{
    return ep_follow_plane (self->follow);
}

void
execplane_monitor_watch_chain (execplane_monitor_t *self)
{
    ep_follow_watch_chain (self->follow);
}

int
execplane_monitor_chain (execplane_monitor_t *self, uint64_t *row, char head [17])
{
    return ep_follow_chain (self->follow, row, head) ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  Text forms

int
execplane_intent_from_json (const char *json, execplane_intent_t *intent,
                            execplane_error_t *error)
{
    char why [512];
    if (!json || !intent)
        return s_error (error, EXECPLANE_EINVAL, "no JSON or no intent");
    execplane__v1__order_intent__init (intent);
    if (ep_json_intent_parse (json, intent, why, sizeof why))
        return s_error (error, EXECPLANE_EINVAL, "%s", why);
    s_ok (error);
    return 0;
}

void
execplane_intent_clear (execplane_intent_t *intent)
{
    if (intent)
        ep_json_intent_clear (intent);
}

char *
execplane_report_to_json (const execplane_report_t *report)
{
    return report ? ep_json_report_format (report) : NULL;
}

void
execplane_report_free (execplane_report_t *report)
{
    if (report)
        execplane__v1__execution_report__free_unpacked (report, NULL);
}

int
execplane_decimal_parse (const char *text, bool allow_negative, int64_t *value_e8,
                         execplane_error_t *error)
{
    if (!text || !value_e8)
        return s_error (error, EXECPLANE_EINVAL, "no text or no value");
    ep_decimal_error_t rc = ep_decimal_parse (text, allow_negative, value_e8);
    if (rc != EP_DECIMAL_OK)
        return s_error (error, EXECPLANE_EINVAL, "\"%.64s\": %s", text, ep_decimal_strerror (rc));
    s_ok (error);
    return 0;
}

char *
execplane_decimal_format (int64_t value_e8, char buf [EXECPLANE_DECIMAL_BUFSIZE])
{
    return ep_decimal_format (value_e8, buf);
}

const char *
execplane_status_name (int status)
{
    return ep_status_name (status);
}

const char *
execplane_failure_name (int failure)
{
    return ep_failure_name (failure);
}
