/* store.h - inside the store: connections, cached statements, the group-commit writer. */
#ifndef GOV_STORE_H
#define GOV_STORE_H

#include <pthread.h>
#include <sqlite3.h>

#include "mg_governance.h"

/* One SQLite connection and its prepared statements, used by one thread at a time. */
typedef struct gov_conn {
    sqlite3 *db;
    struct gov_cached {
        const char *sql;
        sqlite3_stmt *st;
    } *cache; /* grows, never evicts: a statement handed out stays valid */
    size_t n, cap;
    struct gov_conn *next; /* in the reader pool */
} gov_conn;

typedef struct write_req write_req;

struct mg_store {
    char *dir, *db_path, *artifacts, *keys;
    gov_conn *writer;
    mg_key *signer; /* the active key; touched only by the writing thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    write_req *queue, *queue_tail;
    int writing; /* a thread is running a batch */
    pthread_mutex_t pool_mu;
    gov_conn *pool;
};

/* The state of the log inside one write transaction. */
typedef struct gov_log_state {
    int64_t size;                       /* entries so far = the next index */
    unsigned char prev[MG_SHA256_LEN];  /* SHA-256 of the last entry's canonical bytes */
} gov_log_state;

/* What a change sees: the writer connection inside its transaction. */
typedef struct gov_tx {
    mg_store *s;
    gov_conn *c;
    const mg_actor *actor;
    gov_log_state log;
    int64_t appended; /* entries appended by this batch */
} gov_tx;

/* A change: runs inside a savepoint; returns 0 or MG_E* after mg_error_set(). */
typedef int (*gov_change_fn)(gov_tx *tx, void *arg);

/*
 * Run `fn` as one all-or-nothing change and return after it is durable.
 * Concurrent callers are group-committed: one transaction, one savepoint
 * each, one tree head, one fsync. A change that fails is rolled back alone.
 * Errors: fn's, or MG_EIO when the commit fails (then every change of the batch failed).
 */
int gov_write(mg_store *s, const mg_actor *actor, gov_change_fn fn, void *arg);

/* A connection for reading (pooled); give it back with gov_conn_put(). Errors: MG_EIO, MG_ENOMEM. */
int gov_conn_get(gov_conn **out, mg_store *s);
void gov_conn_put(mg_store *s, gov_conn *c);

/* Open a connection. `readonly` for verifiers. Errors: MG_ENOTFOUND, MG_EIO, MG_ENOMEM. */
int gov_conn_open(gov_conn **out, const char *path, int readonly);
void gov_conn_close(gov_conn *c); /* NULL is a no-op */

/*
 * The cached prepared statement for `sql` (a string literal), reset and with
 * bindings cleared; it stays valid until the connection closes (the cache never
 * evicts). Returns NULL after mg_error_set(MG_ERROR or MG_ENOMEM) on failure.
 */
sqlite3_stmt *gov_stmt(gov_conn *c, const char *sql);

/* Map a failed SQLite call to MG_EIO / MG_EEXISTS (constraint) with `what` and SQLite's text. */
int gov_db_error(gov_conn *c, const char *what);

/* Step a statement that returns no rows. Errors: as gov_db_error(). */
int gov_step_done(gov_conn *c, sqlite3_stmt *st, const char *what);

/* Run every statement of a constant SQL script (DDL). Errors: as gov_db_error(). */
int gov_exec_script(gov_conn *c, const char *sql);

/* Bind helpers: text (NULL binds NULL), JSON as canonical text (NULL binds NULL). */
int gov_bind_text(sqlite3_stmt *st, int i, const char *text);
int gov_bind_json(sqlite3_stmt *st, int i, const json_t *v);

/* Column helpers: a copy of text (NULL for NULL), parsed JSON (NULL for NULL). */
json_t *gov_col_json(sqlite3_stmt *st, int i);
json_t *gov_col_text_json(sqlite3_stmt *st, int i); /* json_string or json_null */

/*
 * A row as an object keyed by column name: NULL as null, integers, reals,
 * text; a column named "x_json" is parsed and keyed "x"; a 32-byte blob is
 * hex. Returns NULL on ENOMEM.
 */
json_t *gov_row_json(sqlite3_stmt *q);

/* Every row of `q` as an array (resets q). Errors: MG_EIO, MG_ENOMEM. */
int gov_rows_json(json_t **out, gov_conn *c, sqlite3_stmt *q, const char *what);

/* The first row of `q` (resets q). Errors: MG_ENOTFOUND with `missing` as message, MG_EIO. */
int gov_row1_json(json_t **out, gov_conn *c, sqlite3_stmt *q, const char *missing);

/* A read: runs fn on a pooled connection inside one read transaction (one snapshot). */
typedef int (*gov_read_fn)(gov_conn *c, void *arg);
int gov_read(mg_store *s, gov_read_fn fn, void *arg);

/* gov_log_append() that takes ownership of `subject` (NULL: MG_ENOMEM). */
int gov_append(int64_t *index_out, gov_tx *tx, const char *action, json_t *subject);

/* Now as RFC 3339 UTC with seconds, "2026-11-25T09:12:09Z". */
void gov_now(char out[32]);

/* Bring the schema of `c` to the newest version (migrate.c). Errors: MG_ECONFLICT (newer store), MG_EIO. */
int gov_migrate(gov_conn *c, const char *db_path);

/* The schema version this binary writes. */
#define GOV_SCHEMA_VERSION 1

/* MG_OK when `a` holds at least role `need`; MG_EPERM naming `what` otherwise. */
int gov_require_role(const mg_actor *a, mg_role need, const char *what);

/* MG_OK for 1-64 of A-Za-z0-9._-@; MG_EINVAL naming `what` otherwise (token.c). */
int gov_check_name(const char *name, const char *what);

/* ---- the log (log.c) ---- */

/* Read the log's size and last entry hash inside a transaction. Errors: MG_EIO. */
int gov_log_state_load(gov_log_state *st, gov_conn *c);

/*
 * Append one signed entry {"index","time","actor","action","subject","prev"}
 * in the current transaction; `subject` is borrowed. *index_out may be NULL.
 * Errors: MG_EINVAL (subject not canonicalisable), MG_EIO, MG_ERROR (signing).
 */
int gov_log_append(int64_t *index_out, gov_tx *tx, const char *action, const json_t *subject);

/* Sign and store the tree head of the log's current size. Errors: MG_EIO, MG_ERROR. */
int gov_tree_head_sign(gov_tx *tx);

/* One signed entry as JSON: {"entry":{...},"leaf_hash","key_id","signature"}. Errors: MG_ENOTFOUND. */
int gov_log_entry_json(json_t **out, gov_conn *c, uint64_t index);

/* The signed tree head of `size` (0: the latest) as JSON. Errors: MG_ENOTFOUND. */
int gov_tree_head_json(json_t **out, gov_conn *c, uint64_t size);

/* {"index","size","leaf_hash","root","proof":[...]}. Errors: MG_EINVAL (beyond the log). */
int gov_inclusion_json(json_t **out, gov_conn *c, uint64_t index, uint64_t size);

/* The perfect subtree provider over a connection (mg_merkle_node_fn with ctx = gov_conn *). */
int gov_merkle_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MG_SHA256_LEN]);

/* [{"key_id","status","created","announced_index","public_key"}] by announcement (keyring.c). */
int gov_keys_json(json_t **out, gov_conn *c);

/* ---- artifacts (artifact.c) ---- */

/* DIR/artifacts/<hex> into a malloc'd string, or NULL on ENOMEM. */
char *gov_artifact_path(const mg_store *s, const char *hex);

#endif
