/*  ep-replay: re-runs a journal's paper intents through the paper plane and
    prints the SHA-256 digest of the reports it produces; with --verify it
    also digests the paper reports the journal recorded and fails unless the
    two are equal.

    The paper plane's input is every intent dispatched to it on which it
    reported, in router_seq order (an intent the plane never answered, lost
    with a worker that died, never touched the book). Each report enters the
    digest as a 4-byte big-endian length and its protobuf bytes, in order.

    A CANCEL or REPLACE runs on the order of its target_intent_id, which the
    router resolved within the intent's strategy: the journal's intent_keys
    give the same router_seq the router dispatched as target_router_seq.  */
#include <czmq.h>
#include <sodium.h>
#include <sqlite3.h>
#include "ep_chain.h"
#include "ep_cli.h"
#include "ep_config.h"
#include "ep_instruments_file.h"
#include "ep_journal.h"
#include "ep_paper_book.h"
#include "ep_shadow.h"
#include "ep_targets.h"
#include "ep_wire.h"

typedef struct {
    crypto_hash_sha256_state sha;       //  running digest
    uint64_t reports;                   //  reports digested
    bool failed;                        //  out of memory
} s_digest_t;

static void
s_digest_add (s_digest_t *digest, const void *data, size_t size)
{
    uint8_t length [4] = { size >> 24, size >> 16, size >> 8, size };
    crypto_hash_sha256_update (&digest->sha, length, sizeof length);
    crypto_hash_sha256_update (&digest->sha, data, size);
    digest->reports++;
}

static void
s_digest_hex (s_digest_t *digest, char hex [2 * crypto_hash_sha256_BYTES + 1])
{
    uint8_t out [crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&digest->sha, out);
    sodium_bin2hex (hex, 2 * crypto_hash_sha256_BYTES + 1, out, sizeof out);
}

static void
s_emit (void *arg, const ep_report_t *report)
{
    s_digest_t *digest = arg;
    size_t size = execplane__v1__execution_report__get_packed_size (report);
    uint8_t *data = malloc (size ? size : 1);
    if (!data) {
        digest->failed = true;
        return;
    }
    execplane__v1__execution_report__pack (report, data);
    s_digest_add (digest, data, size);
    free (data);
}

//  The cause of a cancel the router made for a plane command (CANCEL_ALL,
//  HALT with cancel_open), as its "cancel-cause" event records it: stored
//  in cause (NULL for a strategy's own cancel), which the caller frees.
static int
s_cancel_cause (sqlite3_stmt *lookup, uint64_t router_seq, char **cause)
{
    *cause = NULL;
    char prefix [32];
    snprintf (prefix, sizeof prefix, "%llu cancels ", (unsigned long long) router_seq);
    sqlite3_reset (lookup);
    sqlite3_bind_text (lookup, 1, prefix, -1, SQLITE_STATIC);
    int rc = sqlite3_step (lookup);
    if (rc == SQLITE_ROW) {
        const char *detail = (const char *) sqlite3_column_text (lookup, 0);
        const char *colon = detail ? strstr (detail, ": ") : NULL;
        *cause = colon ? strdup (colon + 2) : NULL;
        rc = colon && !*cause ? SQLITE_NOMEM : SQLITE_DONE;
    }
    sqlite3_clear_bindings (lookup);
    return rc;
}

//  Runs the journal's paper intents through book, in router_seq order,
//  digesting the reports it makes into replayed; counts them in *intents.
//  Returns SQLITE_DONE, or another code (one for an intent that does not
//  decode, said on stderr).
static int
s_replay (sqlite3 *db, ep_paper_book_t *book, s_digest_t *replayed, uint64_t *intents)
{
    sqlite3_stmt *stmt = NULL, *lookup = NULL, *causes = NULL;
    const char *sql =
        "SELECT i.router_seq, i.payload FROM intents i"
        " WHERE i.dispatched = 1 AND i.plane = ?1 AND EXISTS"
        " (SELECT 1 FROM reports r WHERE r.router_seq = i.router_seq AND r.origin = 1)"
        " ORDER BY i.router_seq";
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK
    ||  ep_targets_prepare (db, &lookup) != SQLITE_OK
    ||  sqlite3_prepare_v2 (db, "SELECT detail FROM events WHERE kind = 'cancel-cause'"
                            " AND substr (detail, 1, length (?1)) = ?1 ORDER BY id LIMIT 1",
                            -1, &causes, NULL) != SQLITE_OK) {
        sqlite3_finalize (stmt);
        sqlite3_finalize (lookup);
        return SQLITE_ERROR;
    }
    sqlite3_bind_int (stmt, 1, EP_PLANE (PAPER));
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        ep_intent_t *intent = execplane__v1__order_intent__unpack (
            NULL, sqlite3_column_bytes (stmt, 1), sqlite3_column_blob (stmt, 1));
        if (!intent) {
            fprintf (stderr, "ep-replay: intent %lld in the journal does not decode\n",
                     (long long) sqlite3_column_int64 (stmt, 0));
            rc = SQLITE_CORRUPT;
            break;
        }
        ep_dispatch_t dispatch = EXECPLANE__V1__DISPATCH__INIT;
        dispatch.intent = intent;
        dispatch.router_seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        dispatch.plane = EP_PLANE (PAPER);
        char *cause = NULL;
        if (intent->action != EP_ACTION (PLACE))
            rc = ep_targets_seq (lookup, intent, &dispatch.target_router_seq);
        if (intent->action == EP_ACTION (CANCEL) && rc == SQLITE_DONE)
            rc = s_cancel_cause (causes, dispatch.router_seq, &cause);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
            execplane__v1__order_intent__free_unpacked (intent, NULL);
            break;
        }
        dispatch.cause = cause ? cause : (char *) protobuf_c_empty_string;
        if (ep_paper_book_dispatch (book, &dispatch, s_emit, replayed) < 0)
            replayed->failed = true;
        free (cause);
        execplane__v1__order_intent__free_unpacked (intent, NULL);
        (*intents)++;
    }
    sqlite3_finalize (stmt);
    sqlite3_finalize (lookup);
    sqlite3_finalize (causes);
    return rc;
}

//  Digests the paper reports the journal recorded, in seq order, into
//  recorded. Returns SQLITE_DONE, or another code.
static int
s_recorded (sqlite3 *db, s_digest_t *recorded)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT plane_payload FROM reports WHERE origin = 1"
                            " AND plane = ?1 ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_int (stmt, 1, EP_PLANE (PAPER));
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        s_digest_add (recorded, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
    sqlite3_finalize (stmt);
    return rc;
}

//  Prints the replayed digest on stdout and the counts on stderr; with
//  recorded (--verify), compares the two. Returns the exit status.
static int
s_digests_print (s_digest_t *replayed, uint64_t intents, s_digest_t *recorded)
{
    char replayed_hex [2 * crypto_hash_sha256_BYTES + 1];
    char recorded_hex [2 * crypto_hash_sha256_BYTES + 1];
    s_digest_hex (replayed, replayed_hex);
    printf ("%s\n", replayed_hex);
    fprintf (stderr, "ep-replay: %llu paper intent(s), %llu report(s) replayed\n",
             (unsigned long long) intents, (unsigned long long) replayed->reports);
    int status = replayed->failed ? 1 : 0;
    if (recorded) {
        s_digest_hex (recorded, recorded_hex);
        bool same = !replayed->failed && streq (replayed_hex, recorded_hex);
        fprintf (stderr, "ep-replay: journal has %llu paper report(s), digest %s: %s\n",
                 (unsigned long long) recorded->reports, recorded_hex,
                 same ? "identical" : "DIFFERENT");
        status = same ? 0 : 1;
    }
    return status;
}

//  The journal's chain (ep_chain.h) over its intents, reports, commands
//  and events, against head_spec (a head recorded elsewhere) if given.
//  Returns 0 if it holds, else 1 (the first row that does not, on stderr).
static int
s_verify_chain (sqlite3 *db, const char *what, const char *const *tables,
                const char *head_spec)
{
    ep_chain_head_t head;
    char problem [512];
    int rc = ep_chain_verify (db, tables, head_spec, &head, problem, sizeof problem);
    if (rc) {
        fprintf (stderr, "ep-replay: %s: the chain does not hold: %s\n", what, problem);
        return 1;
    }
    fprintf (stderr, "ep-replay: %s: the chain holds, head %lld:%.16s%s\n", what,
             (long long) head.id, head.hex, head_spec ? " (the recorded head is in it)" : "");
    return 0;
}

//  The plane's own fields of a published report must be what the plane
//  produced: the router adds its seq, epoch, definition and clean reason,
//  and leaves out the fills it had already told. Returns 0, else 1 naming
//  the first report row that does not hold.
static int
s_verify_published (sqlite3 *db)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "SELECT seq, plane_payload, payload, router_seq, strategy_id, "
                            "plane, status, terminal FROM reports WHERE origin = 1 "
                            "AND plane_payload IS NOT NULL ORDER BY seq", -1, &stmt, NULL)
        != SQLITE_OK)
        return 1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        ep_report_t *plane = execplane__v1__execution_report__unpack (
            NULL, (size_t) sqlite3_column_bytes (stmt, 1), sqlite3_column_blob (stmt, 1));
        ep_report_t *published = execplane__v1__execution_report__unpack (
            NULL, (size_t) sqlite3_column_bytes (stmt, 2), sqlite3_column_blob (stmt, 2));
        const char *field = !plane ? "plane payload (undecodable)"
                          : !published ? "payload (undecodable)" : NULL;
        //  The row's own columns, which the router wrote beside it
        const char *strategy = (const char *) sqlite3_column_text (stmt, 4);
        const char *column = field ? NULL
            : published->seq != (uint64_t) sqlite3_column_int64 (stmt, 0) ? "seq"
            : published->router_seq != (uint64_t) sqlite3_column_int64 (stmt, 3) ? "router_seq"
            : !streq (published->strategy_id, strategy ? strategy : "") ? "strategy_id"
            : (int) published->plane != sqlite3_column_int (stmt, 5) ? "plane"
            : (int) published->status != sqlite3_column_int (stmt, 6) ? "status"
            : published->terminal != (sqlite3_column_int (stmt, 7) != 0) ? "terminal"
            : NULL;
        if (column) {
            fprintf (stderr, "ep-replay: reports row %lld: its published %s is not its row's\n",
                     (long long) sqlite3_column_int64 (stmt, 0), column);
            rc = 1;
        }
        if (!field && !column)
            field = !streq (plane->intent_id, published->intent_id) ? "intent_id"
                  : !streq (plane->strategy_id, published->strategy_id) ? "strategy_id"
                  : !streq (plane->symbol, published->symbol) ? "symbol"
                  : plane->side != published->side ? "side"
                  : plane->plane != published->plane ? "plane"
                  : plane->status != published->status ? "status"
                  : plane->failure != published->failure ? "failure"
                  : plane->filled_qty_e8 != published->filled_qty_e8 ? "filled_qty"
                  : plane->avg_price_e8 != published->avg_price_e8 ? "avg_price"
                  : plane->net_filled_qty_e8 != published->net_filled_qty_e8 ? "net_filled_qty"
                  : !streq (plane->venue_order_id, published->venue_order_id) ? "venue_order_id"
                  : plane->router_seq != published->router_seq ? "router_seq"
                  : plane->reconciled != published->reconciled ? "reconciled"
                  : published->n_fills > plane->n_fills ? "fills (more than the plane's)"
                  : NULL;
        //  The fills published are the plane's last ones, each as it was
        for (size_t i = 0; !field && published && i < published->n_fills; i++) {
            const ep_fill_t *a = published->fills [i];
            const ep_fill_t *b = plane->fills [plane->n_fills - published->n_fills + i];
            if (!streq (a->fill_id, b->fill_id) || a->qty_e8 != b->qty_e8
            ||  a->price_e8 != b->price_e8 || a->fee_e8 != b->fee_e8)
                field = "fills";
        }
        if (field) {
            fprintf (stderr, "ep-replay: reports row %lld: its published %s is not what its "
                     "plane produced\n", (long long) sqlite3_column_int64 (stmt, 0), field);
            rc = 1;
        }
        if (plane)
            execplane__v1__execution_report__free_unpacked (plane, NULL);
        if (published)
            execplane__v1__execution_report__free_unpacked (published, NULL);
    }
    sqlite3_finalize (stmt);
    return rc;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: ep-replay --journal FILE|URL [--verify [--head ROW:HEX]] [--config FILE]\n"
        "  or:  ep-replay --audit FILE [--head ROW:HEX]\n"
        "  or:  ep-replay --shadow --journal FILE|URL [--html OUT.html] [--csv OUT.csv]\n"
        "                 [--json OUT.json] [--config FILE]\n"
        "\n"
        "Re-runs the journal's paper intents through the paper plane (with the\n"
        "paper settings of the configuration) and prints the SHA-256 digest of the\n"
        "reports it produces.\n"
        "\n"
        "  --journal FILE   the router's journal (read only): its SQLite file, or\n"
        "                   the postgresql:// connection string of a journal in\n"
        "                   PostgreSQL (read as one snapshot)\n"
        "  --verify         first check the journal's hash chain (every intent,\n"
        "                   report, command and event, in the order written) and\n"
        "                   that each published report is what its plane produced\n"
        "                   and carries its row's seq, strategy, plane and status,\n"
        "                   naming the first row that does not hold; then digest\n"
        "                   the paper reports recorded in the journal: exit 1\n"
        "                   unless everything holds and the two digests are equal\n"
        "  --head ROW:HEX   a chain head recorded elsewhere (stats, the metrics,\n"
        "                   ep-tap --chain): the chain's row ROW must still hash to\n"
        "                   it, so a rewrite even of the newest rows is found\n"
        "  --audit FILE     instead: check the live plane's audit's hash chain\n"
        "                   (attempts, results, observations); exit 1 unless it holds\n"
        "  --shadow         instead: run the journal's LIVE intents through the paper\n"
        "                   plane and report how live diverged from paper, per\n"
        "                   intent and in aggregate (outcome classes, filled\n"
        "                   quantity, price difference in basis points, + when\n"
        "                   live did worse for the side, its notional-weighted mean,\n"
        "                   net of the live fees, and in the quote currency; by\n"
        "                   strategy, symbol and plane definition), as a table on\n"
        "                   stdout. An intent's live outcome is its newest reconciled\n"
        "                   terminal report, else its first terminal report\n"
        "  --html FILE      with --shadow: also a self-contained HTML page (inline\n"
        "                   SVG charts, no external asset)\n"
        "  --csv FILE       with --shadow: also the per-intent table as CSV (RFC 4180,\n"
        "                   a header line, one row per intent)\n"
        "  --json FILE      with --shadow: also the per-intent table as JSON (an array\n"
        "                   of objects, the CSV's columns; amounts as decimal strings)\n"
        "  --config FILE    ZPL configuration: paper/slippage_bps, paper/liquidity_cap,\n"
        "                   paper/instruments (the rules the paper plane ran with)\n"
        "  --insecure       accepted and ignored, like every program's (ep-replay\n"
        "                   reads a file and opens no socket)\n"
        "  --version        print the version and exit\n"
        "  --help           this text\n"
        "\n"
        "Exit: 0 replayed (--verify, --audit: the chain holds); 1 a file could not be\n"
        "read or fails SQLite's integrity check (then nothing is replayed), or the\n"
        "chain does not hold; 2 bad usage or configuration.\n");
}

//  Replays the journal's paper intents through a book made with paper and
//  prints the digests, compared with the recorded ones when verify.
//  Returns the exit status.
static int
s_verify (sqlite3 *db, const char *journal, const ep_paper_config_t *paper, bool verify)
{
    ep_paper_book_t *book = ep_paper_book_new (paper);
    if (!book) {
        fprintf (stderr, "ep-replay: out of memory\n");
        return 1;
    }
    s_digest_t replayed = { .reports = 0 }, recorded = { .reports = 0 };
    crypto_hash_sha256_init (&replayed.sha);
    crypto_hash_sha256_init (&recorded.sha);
    uint64_t intents = 0;
    int status = 1;
    if (s_replay (db, book, &replayed, &intents) != SQLITE_DONE
    ||  (verify && s_recorded (db, &recorded) != SQLITE_DONE))
        fprintf (stderr, "ep-replay: %s: %s\n", journal, sqlite3_errmsg (db));
    else
        status = s_digests_print (&replayed, intents, verify ? &recorded : NULL);
    ep_paper_book_destroy (&book);
    return status;
}

//  SQLite's integrity check of the database what (journal, audit) at path,
//  as the router's at start-up: 0 passed, or -1 said why (one line). Nothing
//  read from a damaged file is reported: it would be a report on what is
//  left of it.
static int
s_integrity (sqlite3 *db, const char *what, const char *path)
{
    char first [256];
    int checked = ep_journal_integrity (db, first, sizeof first);
    if (checked < 0)
        fprintf (stderr, "ep-replay: %s %s cannot be read (%s): refusing to read it\n",
                 what, path, first);
    else
    if (checked)
        fprintf (stderr, "ep-replay: %s %s fails SQLite's integrity check (%s): refusing to "
                 "read it; restore it from a copy\n", what, path, first);
    return checked ? -1 : 0;
}

//  Opens the database what (journal, audit) at path read only, libsodium
//  ready for the digests, once it passes SQLite's integrity check; NULL,
//  said why, if it cannot be.
static sqlite3 *
s_open (const char *path, const char *what)
{
    if (sodium_init () < 0) {
        fprintf (stderr, "ep-replay: libsodium failed to initialise\n");
        return NULL;
    }
    sqlite3 *db = NULL;
    //  A journal in PostgreSQL: its rows copied into memory, one snapshot
    bool postgresql = ep_journal_is_postgresql (path);
    if (sqlite3_open_v2 (postgresql ? ":memory:" : path, &db,
                         postgresql ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL)
        != SQLITE_OK) {
        fprintf (stderr, "ep-replay: cannot open %s: %s\n", path,
                 db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    char err [512];
    if (postgresql && ep_journal_copy_pg (path, db, err, sizeof err)) {
        fprintf (stderr, "ep-replay: cannot read the journal %s\n", err);
        sqlite3_close (db);
        return NULL;
    }
    if (s_integrity (db, what, path)) {
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

//  --audit: the live audit's chain. Returns the exit status.
static int
s_verify_audit (const char *path, const char *head, bool with_other)
{
    if (with_other) {
        fprintf (stderr, "ep-replay: --audit is a run of its own (try --help)\n");
        return 2;
    }
    sqlite3 *db = s_open (path, "audit");
    if (!db)
        return 1;
    static const char *const tables [] = { "attempts", "observations", NULL };
    int status = s_verify_chain (db, path, tables, head);
    sqlite3_close (db);
    return status;
}

int
main (int argc, char *argv [])
{
    static const struct option own [] = {
        { "journal", required_argument, 0, 'j' },
        { "verify", no_argument, 0, 'v' },
        { "shadow", no_argument, 0, 's' },
        { "html", required_argument, 0, 'H' },
        { "csv", required_argument, 0, 'C' },
        { "json", required_argument, 0, 'J' },
        { "head", required_argument, 0, 'h' },
        { "audit", required_argument, 0, 'a' },
        { 0, 0, 0, 0 }
    };
    const char *journal = NULL, *html = NULL, *head = NULL, *audit = NULL;
    const char *csv = NULL, *json = NULL;
    bool verify = false, shadow = false;
    //  --insecure is accepted and ignored: ep-replay opens no socket
    ep_cli_t cli;
    ep_cli_init (&cli, "ep-replay", NULL, EP_CLI_CONFIG | EP_CLI_INSECURE | EP_CLI_ARGUMENTS,
                 s_usage);
    int opt;
    while ((opt = ep_cli_next (&cli, argc, argv, own)) > 0) {
        switch (opt) {
            case 'j': journal = optarg; break;
            case 'v': verify = true; break;
            case 's': shadow = true; break;
            case 'H': html = optarg; break;
            case 'C': csv = optarg; break;
            case 'J': json = optarg; break;
            case 'h': head = optarg; break;
            case 'a': audit = optarg; break;
        }
    }
    if (opt == EP_CLI_EXIT)
        return cli.exit_code;
    if (audit)
        return s_verify_audit (audit, head, journal || verify || shadow);
    if (!journal || optind < argc) {
        fprintf (stderr, "ep-replay: %s (try --help)\n",
                 journal ? "unexpected argument" : "--journal FILE is required");
        return 2;
    }
    if ((html || csv || json) && !shadow) {
        fprintf (stderr, "ep-replay: --%s goes with --shadow (try --help)\n",
                 html ? "html" : csv ? "csv" : "json");
        return 2;
    }
    if (shadow && verify) {
        fprintf (stderr, "ep-replay: --shadow and --verify are two runs (try --help)\n");
        return 2;
    }
    if (head && !verify) {
        fprintf (stderr, "ep-replay: --head goes with --verify or --audit (try --help)\n");
        return 2;
    }
    ep_config_t config;
    char err [512];
    if (ep_config_load (&config, cli.config_path, err, sizeof err)) {
        ep_cli_config_error ("ep-replay", err);
        return 2;
    }
    //  Named as it may be shown: a connection string's password masked
    char shown [EP_JOURNAL_LOCATION_MAX];
    sqlite3 *db = s_open (journal, "journal");
    journal = ep_journal_redacted (journal, shown, sizeof shown);
    if (!db)
        return 1;
    ep_instruments_t instruments = { 0 };
    if (*config.paper_instruments
    &&  ep_instruments_load (config.paper_instruments, &instruments, err, sizeof err)) {
        fprintf (stderr, "ep-replay: paper/instruments: %s\n", err);
        sqlite3_close (db);
        return 2;
    }
    ep_paper_config_t paper = { config.slippage_bps, config.liquidity_cap_e8, &instruments };
    static const char *const tables [] = { "intents", "reports", "commands", "events", NULL };
    ep_shadow_output_t output = { html, csv, json };
    int status = shadow ? ep_shadow_run (db, journal, &paper, stdout, &output)
               : verify && (s_verify_chain (db, journal, tables, head)
                            || s_verify_published (db)) ? 1
               : s_verify (db, journal, &paper, verify);
    ep_instruments_clear (&instruments);
    sqlite3_close (db);
    return status;
}
