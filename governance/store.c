/* store.c - the store: directory layout, connections, and the group-commit writer. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 512     /* changes per transaction at most: bounds a batch's latency */
#define BUSY_TIMEOUT_MS 30000

/* ---- connections ---- */

int gov_db_error(gov_conn *c, const char *what)
{
    int code = sqlite3_extended_errcode(c->db), prim = code & 0xff;

    if (prim == SQLITE_CONSTRAINT)
        return mg_error_set(MG_EEXISTS, "%s: %s", what, sqlite3_errmsg(c->db));
    if (prim == SQLITE_NOMEM)
        return mg_error_set(MG_ENOMEM, "%s: out of memory", what);
    if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        return mg_error_set(MG_EPARSE, "%s: database damaged: %s", what, sqlite3_errmsg(c->db));
    return mg_error_set(MG_EIO, "%s: %s", what, sqlite3_errmsg(c->db));
}

int gov_conn_open(gov_conn **out, const char *path, int readonly)
{
    static const char *const pragmas[] = {"PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL",
                                          "PRAGMA trusted_schema=OFF"};
    gov_conn *c;
    struct stat st;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    int rc;

    *out = NULL;
    if (stat(path, &st) < 0)
        return mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
    if (!(c = calloc(1, sizeof *c)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        rc = c->db ? gov_db_error(c, path) : mg_error_set(MG_ENOMEM, "%s: out of memory", path);
        gov_conn_close(c);
        return rc;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    for (size_t i = 0; i < sizeof pragmas / sizeof *pragmas; i++) {
        if (sqlite3_exec(c->db, pragmas[i], NULL, NULL, NULL) != SQLITE_OK) {
            rc = gov_db_error(c, path);
            gov_conn_close(c);
            return rc;
        }
    }
    *out = c;
    return MG_OK;
}

void gov_conn_close(gov_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        sqlite3_finalize(c->cache[i].st);
    free(c->cache);
    sqlite3_close(c->db);
    free(c);
}

sqlite3_stmt *gov_stmt(gov_conn *c, const char *sql)
{
    sqlite3_stmt *st = NULL;

    for (size_t i = 0; i < c->n; i++) {
        if (c->cache[i].sql == sql || strcmp(c->cache[i].sql, sql) == 0) {
            st = c->cache[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    /* The SQL texts are the program's literals, a fixed set: the cache holds them all.
     * (Evicting one could finalize a statement a caller is still stepping.) */
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        struct gov_cached *more = realloc(c->cache, cap * sizeof *more);
        if (!more) {
            mg_error_set(MG_ENOMEM, "no memory for %zu prepared statements", cap);
            return NULL;
        }
        c->cache = more;
        c->cap = cap;
    }
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        gov_db_error(c, "prepare");
        mg_error_set(MG_ERROR, "SQL statement failed to prepare: %s", sqlite3_errmsg(c->db));
        return NULL;
    }
    c->cache[c->n].sql = sql;
    c->cache[c->n++].st = st;
    return st;
}

int gov_step_done(gov_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        rc = gov_db_error(c, what);
    else
        rc = MG_OK;
    sqlite3_reset(st);
    return rc;
}

int gov_exec_script(gov_conn *c, const char *sql)
{
    const char *tail = sql;

    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        int rc;

        if (sqlite3_prepare_v2(c->db, tail, -1, &st, &tail) != SQLITE_OK)
            return gov_db_error(c, "schema");
        if (!st) /* only whitespace or comments were left */
            break;
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return gov_db_error(c, "schema");
    }
    return MG_OK;
}

int gov_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    int rc = text ? sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
    return rc == SQLITE_OK ? MG_OK : mg_error_set(MG_ERROR, "bind %d failed", i);
}

int gov_bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
    mg_buf b = MG_BUF_INIT;
    int rc;

    if (!v)
        return sqlite3_bind_null(st, i) == SQLITE_OK ? MG_OK : mg_error_set(MG_ERROR, "bind");
    if ((rc = mg_jcs_append(&b, v)) < 0)
        return rc;
    rc = sqlite3_bind_text(st, i, b.ptr ? b.ptr : "", (int)b.len, free) == SQLITE_OK
             ? MG_OK
             : mg_error_set(MG_ERROR, "bind %d failed", i);
    b.ptr = NULL; /* SQLite owns it now, even on failure */
    return rc;
}

json_t *gov_col_json(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
}

json_t *gov_col_text_json(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? json_string(t) : json_null();
}

void gov_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the reader pool ---- */

int gov_conn_get(gov_conn **out, mg_store *s)
{
    pthread_mutex_lock(&s->pool_mu);
    if ((*out = s->pool))
        s->pool = (*out)->next;
    pthread_mutex_unlock(&s->pool_mu);
    if (*out)
        return MG_OK;
    return gov_conn_open(out, s->db_path, 0);
}

void gov_conn_put(mg_store *s, gov_conn *c)
{
    if (!c)
        return;
    if (sqlite3_get_autocommit(c->db) == 0) /* a reader left a transaction open */
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&s->pool_mu);
    c->next = s->pool;
    s->pool = c;
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- the group-commit writer ---- */

struct write_req {
    gov_change_fn fn;
    void *arg;
    const mg_actor *actor;
    int rc, done;
    char msg[1024];
    write_req *next;
};

static int tx_exec(gov_conn *c, const char *sql)
{
    sqlite3_stmt *st = gov_stmt(c, sql);
    return st ? gov_step_done(c, st, sql) : MG_ERROR;
}

/* Keep the signer in step with the keys table (another process may have rotated it). */
static int signer_refresh(mg_store *s, gov_conn *c)
{
    sqlite3_stmt *st = gov_stmt(c, "SELECT id FROM keys WHERE status = 'active'");
    char *path = NULL, id[MG_SHA256_HEX];
    mg_key *k = NULL;
    int rc;

    if (!st)
        return MG_ERROR;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        /* no key yet (the genesis change adds one); appending says so if it comes to that */
        rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "keys");
        sqlite3_reset(st);
        return rc;
    }
    snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (s->signer && strcmp(mg_key_id(s->signer), id) == 0)
        return MG_OK;
    if (!(path = malloc(strlen(s->keys) + MG_SHA256_HEX + 8)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    sprintf(path, "%s/%s.pem", s->keys, id);
    if ((rc = mg_key_load(&k, path)) == MG_OK && strcmp(mg_key_id(k), id) != 0)
        rc = mg_error_set(MG_EVERIFY, "%s: holds key %s, not %s", path, mg_key_id(k), id);
    free(path);
    if (rc < 0) {
        mg_key_free(k);
        return rc;
    }
    mg_key_free(s->signer);
    s->signer = k;
    return MG_OK;
}

static void req_fail(write_req *r, int rc)
{
    r->rc = rc;
    snprintf(r->msg, sizeof r->msg, "%s", mg_error_last());
}

/* Run one batch: BEGIN, one savepoint per change, the tree head, COMMIT. */
static void run_batch(mg_store *s, write_req *batch)
{
    gov_conn *c = s->writer;
    gov_tx tx = {s, c, NULL, {0, {0}}, 0};
    int rc;

    if ((rc = tx_exec(c, "BEGIN IMMEDIATE")) < 0) {
        for (write_req *r = batch; r; r = r->next)
            req_fail(r, rc);
        return;
    }
    if ((rc = signer_refresh(s, c)) < 0 || (rc = gov_log_state_load(&tx.log, c)) < 0)
        goto abort;
    for (write_req *r = batch; r; r = r->next) {
        gov_tx before = tx;
        if ((rc = tx_exec(c, "SAVEPOINT change")) < 0)
            goto abort;
        tx.actor = r->actor;
        mg_error_clear();
        if ((r->rc = r->fn(&tx, r->arg)) < 0) {
            req_fail(r, r->rc);
            tx = before;
            if ((rc = tx_exec(c, "ROLLBACK TO change")) < 0)
                goto abort;
        }
        if ((rc = tx_exec(c, "RELEASE change")) < 0)
            goto abort;
    }
    if (tx.appended > 0 && (rc = gov_tree_head_sign(&tx)) < 0)
        goto abort;
    if ((rc = tx_exec(c, "COMMIT")) < 0)
        goto abort;
    return;
abort:
    {
        char why[900];
        snprintf(why, sizeof why, "%s", mg_error_last());
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        for (write_req *r = batch; r; r = r->next) {
            if (r->rc < 0 && r->msg[0])
                continue; /* failed on its own: keeps its reason */
            r->rc = rc;
            snprintf(r->msg, sizeof r->msg, "change not saved: %s", why);
        }
    }
}

static size_t queue_length(const mg_store *s)
{
    size_t n = 0;
    for (const write_req *r = s->queue; r && n < BATCH_MAX; r = r->next)
        n++;
    return n;
}

int gov_write(mg_store *s, const mg_actor *actor, gov_change_fn fn, void *arg)
{
    write_req r;

    memset(&r, 0, sizeof r);
    r.fn = fn;
    r.arg = arg;
    r.actor = actor;
    pthread_mutex_lock(&s->mu);
    if (s->queue_tail)
        s->queue_tail->next = &r;
    else
        s->queue = &r;
    s->queue_tail = &r;
    while (!r.done) {
        if (!s->writing) {
            write_req *batch, *last;
            size_t n = 1, seen = 0;
            s->writing = 1;
            /* let writers that are about to queue join this batch: fewer commits, fsyncs and
               tree heads (group commit); stop as soon as the queue stops growing */
            while (queue_length(s) > seen && seen < BATCH_MAX) {
                seen = queue_length(s);
                pthread_mutex_unlock(&s->mu);
                sched_yield();
                pthread_mutex_lock(&s->mu);
            }
            batch = last = s->queue;
            while (last->next && n < BATCH_MAX)
                last = last->next, n++;
            s->queue = last->next;
            if (!s->queue)
                s->queue_tail = NULL;
            last->next = NULL;
            pthread_mutex_unlock(&s->mu);
            run_batch(s, batch);
            pthread_mutex_lock(&s->mu);
            for (write_req *q = batch, *nx; q; q = nx) {
                nx = q->next; /* q may be gone once done is set and its caller wakes */
                q->done = 1;
            }
            s->writing = 0;
            pthread_cond_broadcast(&s->cv);
        } else {
            pthread_cond_wait(&s->cv, &s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (r.rc < 0)
        return mg_error_set(r.rc, "%s", r.msg);
    return MG_OK;
}

/* ---- opening and closing ---- */

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int store_alloc(mg_store **out, const char *dir)
{
    mg_store *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return mg_error_set(MG_ENOMEM, "out of memory");
    s->dir = strdup(dir);
    s->db_path = join(dir, MG_STORE_DB);
    s->artifacts = join(dir, "artifacts");
    s->keys = join(dir, "keys");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    if (!s->dir || !s->db_path || !s->artifacts || !s->keys) {
        mg_store_close(s);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    *out = s;
    return MG_OK;
}

void mg_store_close(mg_store *s)
{
    if (!s)
        return;
    while (s->pool) {
        gov_conn *c = s->pool;
        s->pool = c->next;
        gov_conn_close(c);
    }
    gov_conn_close(s->writer);
    mg_key_free(s->signer);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->pool_mu);
    free(s->dir);
    free(s->db_path);
    free(s->artifacts);
    free(s->keys);
    free(s);
}

const char *mg_store_dir(const mg_store *s)
{
    return s->dir;
}

int mg_store_open(mg_store **out, const char *dir)
{
    mg_store *s = NULL;
    struct stat st;
    int rc;

    *out = NULL;
    if ((rc = store_alloc(&s, dir)) < 0)
        return rc;
    if (stat(s->db_path, &st) < 0) {
        rc = mg_error_set(MG_ENOTFOUND, "%s is not a modelgov store (no %s); run 'modelgov init "
                                        "--store %s'",
                          dir, MG_STORE_DB, dir);
        goto done;
    }
    if ((rc = gov_conn_open(&s->writer, s->db_path, 0)) < 0 ||
        (rc = gov_migrate(s->writer, s->db_path)) < 0)
        goto done;
    *out = s;
    s = NULL;
done:
    mg_store_close(s);
    return rc;
}

static int make_dir(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return mg_error_set_errno(MG_EIO, errno, "%s", path);
    return MG_OK;
}

/* A fresh database file: WAL (persistent in the file), then the schema. */
static int create_db(mg_store *s)
{
    sqlite3 *db = NULL;
    int rc = MG_OK;

    if (sqlite3_open_v2(s->db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        rc = mg_error_set(MG_EIO, "%s: %s", s->db_path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    if (rc == MG_OK)
        chmod(s->db_path, 0600);
    return rc;
}

/* The genesis change: the first key, announced by the first entry and signed by itself. */
typedef struct init_arg {
    mg_key *key;
    const char *pem;
} init_arg;

static int init_change(gov_tx *tx, void *arg)
{
    init_arg *a = arg;
    sqlite3_stmt *st = gov_stmt(tx->c, "INSERT INTO keys (id, public_pem, created, status, "
                                       "announced_index) VALUES (?, ?, ?, 'active', 0)");
    char now[32];
    json_t *subject;
    int rc;

    if (!st)
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, mg_key_id(a->key));
    gov_bind_text(st, 2, a->pem);
    gov_bind_text(st, 3, now);
    if ((rc = gov_step_done(tx->c, st, "keys")) < 0)
        return rc;
    if ((rc = signer_refresh(tx->s, tx->c)) < 0)
        return rc;
    subject = json_pack("{s:s,s:s,s:i}", "key_id", mg_key_id(a->key), "public_key", a->pem,
                        "schema_version", GOV_SCHEMA_VERSION);
    rc = subject ? gov_log_append(NULL, tx, "store.init", subject)
                 : mg_error_set(MG_ENOMEM, "out of memory");
    json_decref(subject);
    return rc;
}

int mg_store_init(mg_store **out, const char *dir)
{
    mg_store *s = NULL;
    mg_key *key = NULL;
    mg_buf pem = MG_BUF_INIT;
    char *key_path = NULL;
    mg_actor local;
    struct stat st;
    int rc;

    *out = NULL;
    if ((rc = store_alloc(&s, dir)) < 0)
        return rc;
    if (stat(s->db_path, &st) == 0) {
        rc = mg_error_set(MG_EEXISTS, "%s is already a modelgov store", dir);
        goto done;
    }
    if ((rc = make_dir(dir, 0755)) < 0 || (rc = make_dir(s->artifacts, 0755)) < 0 ||
        (rc = make_dir(s->keys, 0700)) < 0)
        goto done;
    if ((rc = mg_key_generate(&key)) < 0 || (rc = mg_key_public_pem(&pem, key)) < 0)
        goto done;
    if (!(key_path = malloc(strlen(s->keys) + MG_SHA256_HEX + 8))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    sprintf(key_path, "%s/%s.pem", s->keys, mg_key_id(key));
    if ((rc = mg_key_save(key, key_path)) < 0 || (rc = create_db(s)) < 0)
        goto done;
    if ((rc = gov_conn_open(&s->writer, s->db_path, 0)) < 0 ||
        (rc = gov_migrate(s->writer, s->db_path)) < 0)
        goto done;
    mg_actor_local(&local);
    {
        init_arg a = {key, pem.ptr};
        if ((rc = gov_write(s, &local, init_change, &a)) < 0)
            goto done;
    }
    *out = s;
    s = NULL;
done:
    mg_store_close(s);
    mg_key_free(key);
    mg_buf_free(&pem);
    free(key_path);
    return rc;
}

/* ---- actors ---- */

static const char *const role_names[] = {"none", "viewer", "submitter", "reviewer", "admin"};

const char *mg_role_name(mg_role r)
{
    return r >= MG_ROLE_VIEWER && r <= MG_ROLE_ADMIN ? role_names[r] : "none";
}

int mg_role_parse(mg_role *out, const char *text)
{
    for (int r = MG_ROLE_VIEWER; r <= MG_ROLE_ADMIN; r++) {
        if (text && strcmp(text, role_names[r]) == 0) {
            *out = (mg_role)r;
            return MG_OK;
        }
    }
    return mg_error_set(MG_EINVAL, "role '%s': expected viewer, submitter, reviewer or admin",
                        text ? text : "");
}

void mg_actor_local(mg_actor *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", MG_ACTOR_LOCAL);
    out->role = MG_ROLE_ADMIN;
}

int gov_require_role(const mg_actor *a, mg_role need, const char *what)
{
    if (!a || a->role < need)
        return mg_error_set(MG_EPERM, "%s needs the %s role; '%s' is %s", what, mg_role_name(need),
                            a ? a->name : "nobody", a ? mg_role_name(a->role) : "none");
    return MG_OK;
}

/* ---- rows as JSON ---- */

json_t *gov_row_json(sqlite3_stmt *q)
{
    json_t *o = json_object();
    int n = sqlite3_column_count(q);

    for (int i = 0; o && i < n; i++) {
        const char *name = sqlite3_column_name(q, i);
        size_t len = strlen(name);
        json_t *v;

        switch (sqlite3_column_type(q, i)) {
        case SQLITE_NULL:
            v = json_null();
            break;
        case SQLITE_INTEGER:
            v = json_integer(sqlite3_column_int64(q, i));
            break;
        case SQLITE_FLOAT:
            v = json_real(sqlite3_column_double(q, i));
            break;
        case SQLITE_BLOB: {
            char hex[MG_SHA256_HEX];
            if (sqlite3_column_bytes(q, i) != MG_SHA256_LEN) {
                v = json_null();
                break;
            }
            mg_sha256_hex(hex, sqlite3_column_blob(q, i));
            v = json_string(hex);
            break;
        }
        default:
            if (len > 5 && strcmp(name + len - 5, "_json") == 0) {
                v = gov_col_json(q, i);
                len -= 5;
                if (!v)
                    v = json_null();
            } else {
                v = json_string((const char *)sqlite3_column_text(q, i));
            }
        }
        if (!v || json_object_setn_new(o, name, len, v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int gov_rows_json(json_t **out, gov_conn *c, sqlite3_stmt *q, const char *what)
{
    json_t *arr = json_array();
    int rc;

    *out = NULL;
    if (!arr) {
        sqlite3_reset(q);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *row = gov_row_json(q);
        if (!row || json_array_append_new(arr, row) < 0) {
            rc = -1;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? MG_OK
         : rc == -1        ? mg_error_set(MG_ENOMEM, "out of memory")
                           : gov_db_error(c, what);
    sqlite3_reset(q);
    if (rc < 0)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

int gov_row1_json(json_t **out, gov_conn *c, sqlite3_stmt *q, const char *missing)
{
    int rc = sqlite3_step(q);

    *out = NULL;
    if (rc == SQLITE_ROW)
        rc = (*out = gov_row_json(q)) ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
    else if (rc == SQLITE_DONE)
        rc = mg_error_set(MG_ENOTFOUND, "%s", missing);
    else
        rc = gov_db_error(c, missing);
    sqlite3_reset(q);
    return rc;
}

int gov_read(mg_store *s, gov_read_fn fn, void *arg)
{
    gov_conn *c = NULL;
    sqlite3_stmt *st;
    int rc;

    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    /* one snapshot for every statement of the read */
    if (!(st = gov_stmt(c, "BEGIN")) || (rc = gov_step_done(c, st, "BEGIN")) < 0) {
        rc = st ? rc : MG_ERROR;
        goto done;
    }
    rc = fn(c, arg);
    if ((st = gov_stmt(c, "COMMIT")))
        gov_step_done(c, st, "COMMIT");
done:
    gov_conn_put(s, c);
    return rc;
}

int gov_append(int64_t *index_out, gov_tx *tx, const char *action, json_t *subject)
{
    int rc = subject ? gov_log_append(index_out, tx, action, subject)
                     : mg_error_set(MG_ENOMEM, "out of memory");
    json_decref(subject);
    return rc;
}
