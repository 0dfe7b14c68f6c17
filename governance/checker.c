/* checker.c - signature and canonical-form checks spread over worker threads, first failure kept. */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 256   /* checks handed over at once: keeps locking off the hot path */
#define QUEUED 16   /* batches waiting at most: bounds memory to ~4k entries */
#define MAX_THREADS 64

void gov_failure_init(gov_failure *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    f->rank = UINT64_MAX;
}

void gov_failure_destroy(gov_failure *f)
{
    pthread_mutex_destroy(&f->mu);
}

void gov_fail(gov_failure *f, uint64_t rank, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&f->mu);
    if (!f->failed || rank < f->rank) {
        va_start(ap, fmt);
        vsnprintf(f->msg, sizeof f->msg, fmt, ap);
        va_end(ap);
        f->rank = rank;
        f->failed = 1;
    }
    pthread_mutex_unlock(&f->mu);
}

uint64_t gov_failure_rank(gov_failure *f)
{
    uint64_t r;
    pthread_mutex_lock(&f->mu);
    r = f->failed ? f->rank : UINT64_MAX;
    pthread_mutex_unlock(&f->mu);
    return r;
}

int gov_json_str_eq(const json_t *v, const char *s)
{
    const char *t = json_string_value(v);
    return t && s && strcmp(t, s) == 0;
}

int gov_json_num_eq(const json_t *v, double x)
{
    return json_is_number(v) && json_number_value(v) == x;
}

int gov_json_same_num(const json_t *a, const json_t *b)
{
    return json_is_number(a) && gov_json_num_eq(b, json_number_value(a));
}

const char *gov_entry_action(size_t *n, const char *body, size_t len)
{
    static const char head[] = "{\"action\":\"";
    size_t h = sizeof head - 1, i;

    if (!body || len <= h || memcmp(body, head, h) != 0)
        return NULL;
    for (i = h; i < len && body[i] != '"'; i++)
        if (body[i] == '\\')
            return NULL; /* no action is spelled with an escape */
    if (i == len)
        return NULL;
    *n = i - h;
    return body + h;
}

int gov_entry_action_is(const char *body, size_t len, const char *action)
{
    size_t n;
    const char *a = gov_entry_action(&n, body, len);

    return a && action && strlen(action) == n && memcmp(a, action, n) == 0;
}

int gov_entry_check(json_t **out, const char *bytes, size_t len, uint64_t index, const char *prev,
                    char *why, size_t why_len)
{
    static const char *const fields[] = {"index", "time", "actor", "action", "subject", "prev"};
    mg_buf again = MG_BUF_INIT;
    json_error_t err;
    json_t *e;
    int rc = MG_EVERIFY;

    if (out)
        *out = NULL;
    /* reals for every number: canonical text never holds an integer a double cannot */
    e = json_loadb(bytes, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
    if (!e) {
        snprintf(why, why_len, "not JSON (%s at column %d)", err.text, err.column);
        return MG_EVERIFY;
    }
    if (mg_jcs_append(&again, e) < 0 || again.len != len || memcmp(again.ptr, bytes, len) != 0) {
        mg_error_clear();
        snprintf(why, why_len, "not in canonical form (RFC 8785)");
        goto done;
    }
    if (!json_is_object(e) || json_object_size(e) != 6) {
        snprintf(why, why_len, "expected exactly the fields index, time, actor, action, subject, "
                               "prev");
        goto done;
    }
    for (size_t i = 0; i < 6; i++) {
        if (!json_object_get(e, fields[i])) {
            snprintf(why, why_len, "field \"%s\" is missing", fields[i]);
            goto done;
        }
    }
    if (json_number_value(json_object_get(e, "index")) != (double)index) {
        snprintf(why, why_len, "carries index %.0f at position %llu",
                 json_number_value(json_object_get(e, "index")), (unsigned long long)index);
        goto done;
    }
    if (!json_is_string(json_object_get(e, "time")) || !json_is_string(json_object_get(e, "actor")) ||
        !json_is_string(json_object_get(e, "action")) ||
        !json_is_object(json_object_get(e, "subject"))) {
        snprintf(why, why_len, "time, actor and action must be strings and subject an object");
        goto done;
    }
    if (prev && !gov_json_str_eq(json_object_get(e, "prev"), prev)) {
        const char *have = json_string_value(json_object_get(e, "prev"));
        snprintf(why, why_len, "\"prev\" is %.16s..., but entry %lld hashes to %.16s...",
                 have ? have : "(not a string)", (long long)index - 1, prev);
        goto done;
    }
    rc = MG_OK;
    if (out) {
        *out = e;
        e = NULL;
    }
done:
    json_decref(e);
    mg_buf_free(&again);
    return rc;
}

typedef struct batch {
    gov_check items[BATCH];
    size_t n;
} batch;

struct gov_checker {
    pthread_mutex_t mu;
    pthread_cond_t has_work, has_room;
    batch *queue[QUEUED];
    size_t head, count;
    int closing;
    pthread_t threads[MAX_THREADS];
    unsigned nthreads;
    batch *filling;
    gov_failure *f;
};

/* A worker's verifiers, one per key met (a log has few keys). */
typedef struct verifiers {
    mg_key_verifier *v[16];
    size_t n;
} verifiers;

static int verify_sig(verifiers *vs, const gov_check *c)
{
    mg_key_verifier *v = NULL;

    for (size_t i = 0; i < vs->n; i++)
        if (mg_key_verifier_key(vs->v[i]) == c->key)
            v = vs->v[i];
    if (!v && vs->n < sizeof vs->v / sizeof *vs->v &&
        mg_key_verifier_create(&vs->v[vs->n], c->key) == MG_OK)
        v = vs->v[vs->n++];
    return v ? mg_key_verifier_check(v, c->bytes, c->len, c->sig)
             : mg_key_verify(c->key, c->bytes, c->len, c->sig);
}

static void check_one(gov_failure *f, verifiers *vs, gov_check *c)
{
    char why[400];

    /* after a failure ranked lower than this check, nothing here can be the first */
    if (gov_failure_rank(f) < c->rank)
        return;
    if (c->is_entry &&
        gov_entry_check(NULL, c->bytes, c->len, c->index, c->prev, why, sizeof why) < 0) {
        gov_fail(f, c->rank, "%s: %s", c->what, why);
        return;
    }
    if (verify_sig(vs, c) < 0) {
        mg_error_clear();
        gov_fail(f, c->rank, "%s: Ed25519 signature does not verify with key %.16s...", c->what,
                 mg_key_id(c->key));
    }
}

static void *worker(void *arg)
{
    gov_checker *k = arg;
    verifiers vs = {{NULL}, 0};

    for (;;) {
        batch *b;
        pthread_mutex_lock(&k->mu);
        while (k->count == 0 && !k->closing)
            pthread_cond_wait(&k->has_work, &k->mu);
        if (k->count == 0) {
            pthread_mutex_unlock(&k->mu);
            for (size_t i = 0; i < vs.n; i++)
                mg_key_verifier_free(vs.v[i]);
            return NULL;
        }
        b = k->queue[k->head];
        k->head = (k->head + 1) % QUEUED;
        k->count--;
        pthread_cond_signal(&k->has_room);
        pthread_mutex_unlock(&k->mu);
        for (size_t i = 0; i < b->n; i++) {
            check_one(k->f, &vs, &b->items[i]);
            free(b->items[i].bytes);
        }
        free(b);
    }
}

int gov_checker_start(gov_checker **out, unsigned threads, gov_failure *f)
{
    gov_checker *k = calloc(1, sizeof *k);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    *out = NULL;
    if (!k)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (threads == 0)
        threads = cpus > 0 ? (unsigned)cpus : 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->has_work, NULL);
    pthread_cond_init(&k->has_room, NULL);
    k->f = f;
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&k->threads[i], NULL, worker, k) != 0)
            break;
        k->nthreads++;
    }
    if (k->nthreads == 0) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->has_work);
        pthread_cond_destroy(&k->has_room);
        free(k);
        return mg_error_set(MG_ERROR, "cannot start verification threads");
    }
    *out = k;
    return MG_OK;
}

static void submit(gov_checker *k)
{
    pthread_mutex_lock(&k->mu);
    while (k->count == QUEUED)
        pthread_cond_wait(&k->has_room, &k->mu);
    k->queue[(k->head + k->count) % QUEUED] = k->filling;
    k->count++;
    pthread_cond_signal(&k->has_work);
    pthread_mutex_unlock(&k->mu);
    k->filling = NULL;
}

int gov_checker_add(gov_checker *k, gov_check *c)
{
    if (!k->filling && !(k->filling = calloc(1, sizeof *k->filling))) {
        free(c->bytes);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    k->filling->items[k->filling->n++] = *c;
    c->bytes = NULL;
    if (k->filling->n == BATCH)
        submit(k);
    return MG_OK;
}

unsigned gov_checker_finish(gov_checker *k)
{
    unsigned n;

    if (!k)
        return 0;
    if (k->filling)
        submit(k);
    pthread_mutex_lock(&k->mu);
    k->closing = 1;
    pthread_cond_broadcast(&k->has_work);
    pthread_mutex_unlock(&k->mu);
    for (unsigned i = 0; i < k->nthreads; i++)
        pthread_join(k->threads[i], NULL);
    n = k->nthreads;
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->has_work);
    pthread_cond_destroy(&k->has_room);
    free(k);
    return n;
}
