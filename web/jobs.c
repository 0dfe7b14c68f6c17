/* jobs.c - the job pool: a FIFO queue, N workers, progress, cancellation, snapshots. */
#define _POSIX_C_SOURCE 200809L
#include "jobs.h"

#include "mg_error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Finished jobs kept in memory for GET /jobs/{id}; older ones live on in the store. */
#define KEEP_FINISHED 1024

struct web_job {
    int64_t id;
    char kind[32];
    char actor[128];
    json_t *subject;
    web_job_state state;
    atomic_int cancel;
    _Atomic double progress;
    json_t *result;
    json_t *detail; /* what the job function chose to record (web_job_set_detail) */
    char *link;
    web_jobs *pool;
    char error[512];
    char created[32], started[32], finished[32];
    web_job_fn fn;
    void *ud;
    void (*free_ud)(void *);
    web_job *next_queued;
};

struct web_jobs {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t *threads;
    unsigned nthreads;
    unsigned max_queued, queued;
    web_job *head, *tail; /* queue */
    web_job **all;        /* every job still in memory, by age */
    size_t nall, capall;
    int64_t next_id;
    int stopping;
    char stop_reason[128];
    web_job_persist_fn persist;
    void *persist_ud;
};

const char *web_job_state_name(web_job_state s)
{
    static const char *const names[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    return s < WEB_JOB_NSTATES ? names[s] : "unknown";
}

static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* GET /jobs/{id}'s shape. Call with the lock held. */
static json_t *snapshot(const web_job *j)
{
    json_t *s = json_pack("{s:I, s:s, s:s, s:s, s:f, s:O, s:s}", "id", (json_int_t)j->id, "kind",
                          j->kind, "state", web_job_state_name(j->state), "actor", j->actor,
                          "progress", atomic_load(&j->progress), "subject", j->subject,
                          "created", j->created);
    if (!s)
        return NULL;
    if (j->started[0])
        json_object_set_new(s, "started", json_string(j->started));
    if (j->finished[0])
        json_object_set_new(s, "finished", json_string(j->finished));
    if (j->result)
        json_object_set(s, "result", j->result);
    if (j->link)
        json_object_set_new(s, "result_link", json_string(j->link));
    if (j->error[0])
        json_object_set_new(s, "error", json_string(j->error));
    if (j->detail)
        json_object_set(s, "detail", j->detail);
    if (atomic_load(&j->cancel) && j->state == WEB_JOB_RUNNING)
        json_object_set_new(s, "cancel_requested", json_true());
    return s;
}

/* Persist a snapshot taken under the lock, outside it. */
static void persist(web_jobs *p, json_t *snap)
{
    if (p->persist && snap)
        p->persist(p->persist_ud, snap);
    json_decref(snap);
}

static void job_free(web_job *j)
{
    if (!j)
        return;
    if (j->free_ud)
        j->free_ud(j->ud);
    json_decref(j->subject);
    json_decref(j->result);
    json_decref(j->detail);
    free(j->link);
    free(j);
}

/* Drop the oldest finished jobs past KEEP_FINISHED. Lock held. */
static void trim(web_jobs *p)
{
    size_t finished = 0, w = 0;

    for (size_t i = 0; i < p->nall; i++)
        finished += p->all[i]->state >= WEB_JOB_SUCCEEDED;
    for (size_t i = 0; i < p->nall; i++) {
        web_job *j = p->all[i];
        if (finished > KEEP_FINISHED && j->state >= WEB_JOB_SUCCEEDED) {
            job_free(j);
            finished--;
            continue;
        }
        p->all[w++] = j;
    }
    p->nall = w;
}

static void finish(web_jobs *p, web_job *j, int rc, json_t *result, char *link)
{
    json_t *snap;

    pthread_mutex_lock(&p->lock);
    now_rfc3339(j->finished);
    if (rc == MG_OK) {
        j->state = WEB_JOB_SUCCEEDED;
        j->result = result;
        j->link = link;
        atomic_store(&j->progress, 1.0);
    } else {
        json_decref(result);
        free(link);
        if (rc == MG_ECANCELED && p->stopping) {
            j->state = WEB_JOB_FAILED;
            snprintf(j->error, sizeof j->error, "interrupted: %s", p->stop_reason);
        } else {
            j->state = rc == MG_ECANCELED ? WEB_JOB_CANCELLED : WEB_JOB_FAILED;
            snprintf(j->error, sizeof j->error, "%s",
                     *mg_error_last() ? mg_error_last() : mg_strerror(rc));
        }
    }
    if (j->free_ud)
        j->free_ud(j->ud);
    j->free_ud = NULL;
    j->ud = NULL;
    snap = snapshot(j);
    trim(p);
    pthread_mutex_unlock(&p->lock);
    persist(p, snap);
}

static void *worker(void *arg)
{
    web_jobs *p = arg;

    for (;;) {
        web_job *j;
        json_t *result = NULL, *snap;
        char *link = NULL;
        int rc;

        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        j = p->head;
        p->head = j->next_queued;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        j->state = WEB_JOB_RUNNING;
        now_rfc3339(j->started);
        snap = snapshot(j);
        pthread_mutex_unlock(&p->lock);
        persist(p, snap);

        mg_error_clear();
        rc = j->fn(j, j->ud, &result, &link);
        if (rc == MG_OK && !result)
            result = json_object();
        finish(p, j, rc, result, link);
    }
}

int web_jobs_create(web_jobs **out, unsigned workers, unsigned max_queued, int64_t first_id,
                    web_job_persist_fn persist_fn, void *persist_ud)
{
    web_jobs *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p || !(p->threads = calloc(workers, sizeof *p->threads))) {
        free(p);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->max_queued = max_queued;
    p->next_id = first_id > 0 ? first_id : 1;
    p->persist = persist_fn;
    p->persist_ud = persist_ud;
    for (; p->nthreads < workers; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            web_jobs_free(p, "start-up failed");
            return mg_error_set(MG_ERROR, "cannot start job worker threads");
        }
    *out = p;
    return MG_OK;
}

int web_jobs_submit(int64_t *id, web_jobs *p, const char *kind, const char *actor,
                    const json_t *subject, web_job_fn fn, void *ud, void (*free_ud)(void *))
{
    web_job *j = NULL;
    json_t *snap;
    int rc = MG_OK;

    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        rc = mg_error_set(MG_ECANCELED, "the server is shutting down; no new jobs");
    } else if (p->queued >= p->max_queued) {
        rc = mg_error_set(MG_ECONFLICT, "%u jobs are already waiting; try again later",
                          p->queued);
    } else if (p->nall == p->capall) {
        size_t cap = p->capall ? p->capall * 2 : 64;
        web_job **all = realloc(p->all, cap * sizeof *all);
        if (!all)
            rc = mg_error_set(MG_ENOMEM, "out of memory");
        else {
            p->all = all;
            p->capall = cap;
        }
    }
    if (rc == MG_OK && !(j = calloc(1, sizeof *j)))
        rc = mg_error_set(MG_ENOMEM, "out of memory");
    if (rc < 0) {
        pthread_mutex_unlock(&p->lock);
        if (free_ud)
            free_ud(ud);
        return rc;
    }
    j->id = p->next_id++;
    j->pool = p;
    snprintf(j->kind, sizeof j->kind, "%s", kind);
    snprintf(j->actor, sizeof j->actor, "%s", actor ? actor : "");
    j->subject = subject ? json_deep_copy(subject) : json_object();
    j->fn = fn;
    j->ud = ud;
    j->free_ud = free_ud;
    now_rfc3339(j->created);
    p->all[p->nall++] = j;
    if (p->tail)
        p->tail->next_queued = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    *id = j->id;
    snap = snapshot(j);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    persist(p, snap);
    return MG_OK;
}

static web_job *find(web_jobs *p, int64_t id)
{
    for (size_t i = 0; i < p->nall; i++)
        if (p->all[i]->id == id)
            return p->all[i];
    return NULL;
}

int web_jobs_get(json_t **out, web_jobs *p, int64_t id)
{
    web_job *j;

    *out = NULL;
    pthread_mutex_lock(&p->lock);
    if ((j = find(p, id)))
        *out = snapshot(j);
    pthread_mutex_unlock(&p->lock);
    if (!j)
        return mg_error_set(MG_ENOTFOUND, "no job %lld", (long long)id);
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

/* Take queued job j off the queue. Lock held. */
static void unqueue(web_jobs *p, web_job *j)
{
    web_job **pp = &p->head, *prev = NULL;
    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->next_queued;
    }
    if (!*pp)
        return;
    *pp = j->next_queued;
    if (p->tail == j)
        p->tail = prev;
    p->queued--;
}

int web_jobs_cancel(web_jobs *p, int64_t id)
{
    web_job *j;
    json_t *snap = NULL;
    int rc = MG_OK;

    pthread_mutex_lock(&p->lock);
    if (!(j = find(p, id))) {
        rc = mg_error_set(MG_ENOTFOUND, "no job %lld", (long long)id);
    } else if (j->state >= WEB_JOB_SUCCEEDED) {
        rc = mg_error_set(MG_ECONFLICT, "job %lld already %s", (long long)id,
                          web_job_state_name(j->state));
    } else {
        atomic_store(&j->cancel, 1);
        if (j->state == WEB_JOB_QUEUED) {
            unqueue(p, j);
            j->state = WEB_JOB_CANCELLED;
            now_rfc3339(j->finished);
            snprintf(j->error, sizeof j->error, "cancelled before it started");
            if (j->free_ud)
                j->free_ud(j->ud);
            j->free_ud = NULL;
            j->ud = NULL;
        }
        snap = snapshot(j);
    }
    pthread_mutex_unlock(&p->lock);
    persist(p, snap);
    return rc;
}

void web_jobs_counts(web_jobs *p, unsigned long counts[WEB_JOB_NSTATES])
{
    memset(counts, 0, WEB_JOB_NSTATES * sizeof counts[0]);
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nall; i++)
        counts[p->all[i]->state]++;
    pthread_mutex_unlock(&p->lock);
}

void web_jobs_free(web_jobs *p, const char *reason)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    snprintf(p->stop_reason, sizeof p->stop_reason, "%s", reason);
    for (size_t i = 0; i < p->nall; i++)
        atomic_store(&p->all[i]->cancel, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    /* Jobs that never started are recorded as failed too: nothing silently lost. */
    for (size_t i = 0; i < p->nall; i++) {
        web_job *j = p->all[i];
        if (j->state == WEB_JOB_QUEUED) {
            json_t *snap;
            j->state = WEB_JOB_FAILED;
            now_rfc3339(j->finished);
            snprintf(j->error, sizeof j->error, "interrupted before it started: %s", reason);
            snap = snapshot(j);
            persist(p, snap);
        }
        job_free(j);
    }
    free(p->all);
    free(p->threads);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void web_job_progress(web_job *j, double f)
{
    double cur = atomic_load(&j->progress);
    if (f != f)
        return;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    while (f > cur && !atomic_compare_exchange_weak(&j->progress, &cur, f))
        ;
}

int web_job_set_detail(web_job *j, const char *key, json_t *value)
{
    web_jobs *p = j->pool;
    json_t *snap;
    int rc = MG_OK;

    if (!value)
        return mg_error_set(MG_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->lock);
    if (!j->detail && !(j->detail = json_object()))
        rc = mg_error_set(MG_ENOMEM, "out of memory");
    else
        json_object_set_new(j->detail, key, value);
    snap = rc == MG_OK ? snapshot(j) : NULL;
    pthread_mutex_unlock(&p->lock);
    if (rc < 0)
        json_decref(value);
    persist(p, snap);
    return rc;
}

int web_job_cancelled(const web_job *j)
{
    return atomic_load(&((web_job *)j)->cancel);
}

int64_t web_job_id(const web_job *j)
{
    return j->id;
}

const char *web_job_actor(const web_job *j)
{
    return j->actor;
}
