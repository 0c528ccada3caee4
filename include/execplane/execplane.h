/*  execplane: the client library (libexecplane).

    Strategies push OrderIntents to the router and learn the outcome of
    each from its execution reports; monitors follow every report, in seq
    order, each once, with the gaps filled from the journal. The messages
    are the protobuf-c types generated from schemas/execplane.proto
    (installed with this header): Execplane__V1__OrderIntent and friends.

    Identity. A handle speaks with a CURVE certificate from the config's
    certs directory (security/certs), by name: "strategy" by default for a
    strategy, "monitor" for a monitor. A process speaks with one identity:
    a handle asking for another certificate (or for none) while a handle
    of the first is open is refused (EXECPLANE_EIDENTITY).

    Signals. The library uses CZMQ, which catches SIGINT and SIGTERM like
    in any CZMQ program: a blocking call returns early once one arrived.
    Call zsys_handler_set (NULL) before the first handle to keep your own
    handlers.

    Threads. A handle belongs to one thread at a time; create and destroy
    handles from one thread (they share the process's identity).

    Link with pkg-config (`pkg-config --cflags --libs execplane`) or CMake
    (`find_package (execplane)`, target execplane::execplane).  */
#ifndef EXECPLANE_H_INCLUDED
#define EXECPLANE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "execplane.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXECPLANE_VERSION_MAJOR 0
#define EXECPLANE_VERSION_MINOR 2
#define EXECPLANE_VERSION_PATCH 0

//  The messages are the generated structs, so a schema extension adds
//  members at their end: OrderIntent's action and target_intent_id (the
//  order lifecycle) came after 0.1.0's fields. Source written for 0.1.0
//  builds unchanged (EXECPLANE__V1__ORDER_INTENT__INIT and
//  execplane_intent_from_json make an intent a PLACE), but a program that
//  fills in intents itself must be rebuilt against this header: one built
//  against an older header would hand the library a shorter struct, so the
//  library's soname carries the minor version before 1.0 (libexecplane.so.0.2)
//  and a program linked against 0.1 does not load it.
typedef Execplane__V1__OrderIntent      execplane_intent_t;
typedef Execplane__V1__ExecutionReport  execplane_report_t;
typedef Execplane__V1__PlaneState       execplane_plane_state_t;

//  What went wrong, for a person and for code.
typedef enum {
    EXECPLANE_OK = 0,
    EXECPLANE_ECONFIG,      //  configuration unreadable or invalid, or CURVE off without insecure
    EXECPLANE_ECERT,        //  a certificate cannot be read
    EXECPLANE_EIDENTITY,    //  the process already speaks with another certificate
    EXECPLANE_ECONNECT,     //  a socket cannot be made or connected
    EXECPLANE_ETIMEOUT,     //  no answer in time
    EXECPLANE_EINTR,        //  interrupted by a signal
    EXECPLANE_EINVAL,       //  an argument that cannot be used (the text says which)
    EXECPLANE_ENOMEM        //  out of memory
} execplane_code_t;

typedef struct {
    execplane_code_t code;
    char text [512];        //  one line, never a secret
} execplane_error_t;

//  How a handle connects. Zero-initialise, then set what you need.
typedef struct {
    const char *config;     //  ZPL configuration file; NULL: built-in defaults
    const char *cert;       //  certificate name; NULL: "strategy" or "monitor"
    bool insecure;          //  no CURVE (the router must run --insecure too)
    int timeout_ms;         //  how long _new waits for the router; 0: 10000
} execplane_options_t;

//  The library's version, "MAJOR.MINOR.PATCH".
const char *execplane_version (void);

//  --------------------------------------------------------------------------
//  Strategy: sends intents and waits for their outcomes.

typedef struct _execplane_strategy_t execplane_strategy_t;

//  Connects to the router's intake, and follows the reports on this
//  strategy's intents. Returns once the router answered, or NULL with the
//  reason in *error (which may be NULL).
execplane_strategy_t *execplane_strategy_new (const execplane_options_t *options,
                                              execplane_error_t *error);

//  Closes the handle; intents still queued get up to the options' timeout
//  to leave. Sets *self_p to NULL. Safe on NULL.
void execplane_strategy_destroy (execplane_strategy_t **self_p);

//  Waits up to timeout_ms until a worker of the selected plane (whichever
//  that is) is alive to execute. Returns 0, or -1 on timeout.
int execplane_strategy_await_worker (execplane_strategy_t *self, int timeout_ms);

//  Pushes one intent, whatever its action (PLACE, the default, CANCEL or
//  REPLACE; _cancel and _replace below build the last two). The router
//  judges it: an intent it cannot accept (an id that is not 1 to 64 of
//  A-Z a-z 0-9 . _ -, a duplicate, a quantity out of range...) gets a
//  terminal REJECTED report saying why. Blocks while the router pushes
//  back, up to the options' timeout_ms. Returns 0, or -1 with the reason
//  in *error (nothing was sent).
int execplane_strategy_send (execplane_strategy_t *self, const execplane_intent_t *intent,
                             execplane_error_t *error);

//  Pushes a CANCEL: an intent of its own, intent_id (unique like any
//  other, never reusable), for strategy_id, naming target_intent_id, an
//  intent of that strategy whose order is meant; it carries no order
//  field. The target need not have been sent through this handle (nor by
//  this process), hence strategy_id. The cancel goes to the plane that
//  holds the target, whichever plane is active now, and a HALT lets it
//  through. It ends with its own terminal report (_wait on intent_id):
//    CANCELED / FAILURE_NONE   it took effect; the target's own stream
//                              ends CANCELED, its fills so far kept, its
//                              reason naming the cancel
//    REJECTED / TOO_LATE       the target had already ended (its own
//                              stream says how)
//    REJECTED / INVALID_INTENT strategy_id has no intent target_intent_id
//    UNAUTHORIZED              the target is another strategy's order
//    UNKNOWN / SEND_UNKNOWN    the venue's answer to the cancel is unknown;
//                              the target stays followed, and its own
//                              stream tells what became of it
//  and, like any intent, REJECTED / DUPLICATE_INTENT when intent_id was
//  used before. Nothing re-sends a cancel; send another with a new id.
//  To set decided_at too, fill an intent in (action CANCEL) and _send it.
//  Returns 0, or -1 with the reason in *error (nothing was sent), as _send.
int execplane_strategy_cancel (execplane_strategy_t *self, const char *intent_id,
                               const char *strategy_id, const char *target_intent_id,
                               execplane_error_t *error);

//  Pushes a REPLACE: order, with action REPLACE and target_intent_id set
//  here (whatever order held in them). order is the complete new order,
//  under its own intent_id and the target's strategy_id: a LIMIT, same
//  symbol and side as the target's. Like a cancel, it goes to the plane
//  that holds the target; a HALT refuses it. When it takes effect the
//  target's own stream ends CANCELED (the reason: replaced by this
//  intent) and the new order has its own lifecycle under order's
//  intent_id: its reports, and its terminal report (_wait on that id),
//  are the new order's. When the cancel part fails nothing is placed, and
//  the replace's own terminal report says why (REJECTED / TOO_LATE when
//  the target had already ended). Never re-sent. order is not changed.
//  Returns 0, or -1 with the reason in *error (nothing was sent), as _send.
int execplane_strategy_replace (execplane_strategy_t *self, const char *target_intent_id,
                                const execplane_intent_t *order, execplane_error_t *error);

//  The next report on an intent this handle sent, in seq order, waiting
//  at most timeout_ms (-1: forever). NULL on timeout or interrupt. Free it
//  with execplane_report_free.
execplane_report_t *execplane_strategy_next (execplane_strategy_t *self, int timeout_ms);

//  The terminal report of the intent intent_id this handle sent (for the
//  strategy it was sent for), waiting at most timeout_ms (-1: forever).
//  That intent's reports are taken out of what _next hands out; reports on
//  other intents stay for _next and _wait. NULL on timeout, on interrupt,
//  or if no intent of that id was sent and is still owed.
execplane_report_t *execplane_strategy_wait (execplane_strategy_t *self, const char *intent_id,
                                             int timeout_ms);

//  How many intents sent through this handle have no terminal report yet
//  (those found never read, below, are no longer owed).
size_t execplane_strategy_owed (execplane_strategy_t *self);

//  Size of a buffer that holds any intent_id or strategy_id with its NUL.
#define EXECPLANE_ID_BUFSIZE 65

//  Two routers (README "Two routers"): the handle connects to every router
//  the configuration lists and follows whichever is active. When the one
//  it followed is lost (its connection drops, or no plane state for 3 s)
//  and a router is heard again, every report journaled meanwhile comes
//  through _next and _wait as usual: an intent the lost router read has
//  its reports in the journal the routers share. An intent it never read
//  gets no report, ever (nothing re-sends it). Each intent that may have
//  gone to the lost router (sent before its connection dropped) and got no
//  report yet is asked about on the new router's query socket (frame
//  "intents"): one its journal holds was read, and is followed to its
//  end, however long that takes; one it does not hold, while nothing
//  waits unread on its intake, is never read. (A router that does not
//  know the frame answers nothing: after three asks unanswered or
//  refused, a second apart, what has no report once the new router was heard for a second
//  plus its active plane's deadline, router/paper_deadline_ms or
//  live_deadline_ms, and every report it had journaled by then came, is
//  taken for never read.) A router merely silent, its connection up,
//  still holds what it has not read: nothing is named for it. An intent
//  never read is no longer owed (_wait on it returns NULL), and this call
//  names it: the next one not yet told, its ids in strategy_id and
//  intent_id. Returns 1 if it named one, 0 if none waits. It does not
//  wait: call it after _next or _wait.
int execplane_strategy_never_read (execplane_strategy_t *self,
                                   char strategy_id [EXECPLANE_ID_BUFSIZE],
                                   char intent_id [EXECPLANE_ID_BUFSIZE]);

//  --------------------------------------------------------------------------
//  Monitor: follows the reports, gap-free, each once.

typedef struct _execplane_monitor_t execplane_monitor_t;

//  Follows the reports of strategy_id (NULL: all strategies), from report
//  seq from_seq (1: everything journaled; 0: from now on). Returns once the
//  router answered, or NULL with the reason in *error.
execplane_monitor_t *execplane_monitor_new (const execplane_options_t *options,
                                            const char *strategy_id, uint64_t from_seq,
                                            execplane_error_t *error);

void execplane_monitor_destroy (execplane_monitor_t **self_p);

//  The next report, in seq order, waiting at most timeout_ms (-1: forever);
//  a report missed live is fetched from the journal. NULL on timeout or
//  interrupt. Free it with execplane_report_free.
execplane_report_t *execplane_monitor_next (execplane_monitor_t *self, int timeout_ms);

//  The newest plane state seen (which plane is active, its epoch, whether
//  the router halted, whether each worker is alive), or NULL before the
//  first. Owned by the handle; valid until the next call on it.
const execplane_plane_state_t *execplane_monitor_plane (execplane_monitor_t *self);

//  Also follows the journal's chain head (the router publishes it once a
//  second in its stats): execplane_monitor_chain then gives it.
void execplane_monitor_watch_chain (execplane_monitor_t *self);

//  The journal's newest committed chain head seen: its row in *row (0:
//  none yet) and the first 16 hex digits of its hash in head. Returns 1 if
//  it is new since the last call, else 0. Recorded outside the machine, a
//  head lets `ep-replay --verify --head ROW:HEX` prove the journal later.
int execplane_monitor_chain (execplane_monitor_t *self, uint64_t *row, char head [17]);

//  --------------------------------------------------------------------------
//  Messages in their JSON forms (the forms ep-send reads and ep-tap prints).

//  Parses one JSON object into *intent (initialised here). Strings it
//  holds are the library's: release them with execplane_intent_clear.
//  Returns 0, or -1 with the reason in *error.
int execplane_intent_from_json (const char *json, execplane_intent_t *intent,
                                execplane_error_t *error);

//  Releases what execplane_intent_from_json allocated; re-initialises *intent.
void execplane_intent_clear (execplane_intent_t *intent);

//  One line of JSON for a report; the caller frees it with free (). NULL
//  when out of memory.
char *execplane_report_to_json (const execplane_report_t *report);

//  Frees a report the library handed out. Safe on NULL.
void execplane_report_free (execplane_report_t *report);

//  --------------------------------------------------------------------------
//  Decimals: quantities and prices travel as int64 in units of 1e-8 (e8).

//  Size of a buffer that holds any formatted value with its NUL.
#define EXECPLANE_DECIMAL_BUFSIZE 32

//  Parses exact decimal text ("0.5", "64000.12345678"; a '-' only when
//  allow_negative; at most 8 decimals) into *value_e8. Returns 0, or -1
//  with the reason in *error and *value_e8 unchanged.
int execplane_decimal_parse (const char *text, bool allow_negative, int64_t *value_e8,
                             execplane_error_t *error);

//  Formats value_e8 exactly, without trailing zeros: 150000000 -> "1.5".
//  Returns buf.
char *execplane_decimal_format (int64_t value_e8, char buf [EXECPLANE_DECIMAL_BUFSIZE]);

//  --------------------------------------------------------------------------
//  Names: a report's status and failure as schemas/execplane.proto spells
//  them ("FILLED", "FAILURE_NONE", "RATE_LIMITED"...), the names ep-tap
//  prints. A value the proto does not define (a newer router's, or
//  garbage) gives NULL, never a made-up name: print the number then.
//  The strings are static; both are safe from any thread.
const char *execplane_status_name (int status);
const char *execplane_failure_name (int failure);

#ifdef __cplusplus
}
#endif

#endif
