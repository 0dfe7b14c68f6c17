/* runner.c - rows spread over pthreads; synthetic rows built and predicted in batches. */
#include "runner.h"
#include "result.h"

#include "mg_error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t runner_threads(size_t requested, size_t rows)
{
    size_t t = requested;
    if (t == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        t = n > 0 ? (size_t)n : 1;
    }
    if (t > rows)
        t = rows;
    if (t > 256)
        t = 256;
    return t ? t : 1;
}

typedef struct shared {
    const runner_spec *s;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t next, done, active;
    int stop;
    int rc;
    char msg[1024];
} shared;

static void record_failure(shared *sh, int rc)
{
    pthread_mutex_lock(&sh->mu);
    if (sh->rc == 0) {
        sh->rc = rc;
        snprintf(sh->msg, sizeof(sh->msg), "%s", mg_error_last());
    }
    sh->stop = 1;
    pthread_mutex_unlock(&sh->mu);
}

static void *worker(void *arg)
{
    shared *sh = arg;
    const runner_spec *s = sh->s;
    void *ws = NULL;
    int rc;

    if ((rc = s->ws_create(&ws, s->job)) < 0) {
        record_failure(sh, rc);
        goto done;
    }
    for (;;) {
        size_t r;
        pthread_mutex_lock(&sh->mu);
        if (sh->stop || sh->next >= s->rows) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        r = sh->next++;
        pthread_mutex_unlock(&sh->mu);
        if ((rc = s->run(s->job, ws, r)) < 0) {
            record_failure(sh, rc);
            break;
        }
        pthread_mutex_lock(&sh->mu);
        sh->done++;
        pthread_cond_signal(&sh->cond);
        pthread_mutex_unlock(&sh->mu);
    }
done:
    s->ws_free(ws);
    pthread_mutex_lock(&sh->mu);
    sh->active--;
    pthread_cond_signal(&sh->cond);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

int runner_run(const runner_spec *s)
{
    shared sh;
    pthread_t tid[256];
    size_t nt = runner_threads(s->threads, s->rows), started = 0, reported = (size_t)-1;
    int canceled = 0;

    if (s->rows == 0)
        return MG_OK;
    memset(&sh, 0, sizeof(sh));
    sh.s = s;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.cond, NULL);
    sh.active = nt;
    for (size_t t = 0; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, worker, &sh) != 0) {
            pthread_mutex_lock(&sh.mu);
            sh.active -= nt - t;
            if (t == 0 && sh.rc == 0) {
                sh.rc = MG_ERROR;
                snprintf(sh.msg, sizeof(sh.msg), "explain: cannot start a worker thread");
            }
            pthread_mutex_unlock(&sh.mu);
            break;
        }
        started++;
    }
    /* Progress is reported here, in the caller's thread, as rows complete. */
    pthread_mutex_lock(&sh.mu);
    while (sh.active > 0) {
        if (s->progress && sh.done != reported && !sh.stop) {
            size_t d = sh.done;
            reported = d;
            pthread_mutex_unlock(&sh.mu);
            canceled = s->progress(s->progress_ctx, d, s->rows) != 0;
            pthread_mutex_lock(&sh.mu);
            if (canceled)
                sh.stop = 1;
            continue;
        }
        pthread_cond_wait(&sh.cond, &sh.mu);
    }
    pthread_mutex_unlock(&sh.mu);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cond);
    if (sh.rc < 0)
        return mg_error_set(sh.rc, "%s", sh.msg);
    if (canceled || (sh.done < s->rows))
        return mg_error_set(MG_ECANCELED, "explain: stopped after %zu of %zu rows", sh.done,
                            s->rows);
    if (s->progress)
        s->progress(s->progress_ctx, s->rows, s->rows);
    return MG_OK;
}

int explain_rows(mg_explain_result **out, const row_method *meth, const mg_explain_model *m,
                 const mg_explain_background *bg, const void *extra, const double *raw,
                 const size_t *ids, size_t n, const mg_explain_options *opts)
{
    mg_explain_options defaults = MG_EXPLAIN_OPTIONS_INIT;
    mg_explain_result *res = NULL;
    runner_spec spec;
    row_job j;
    int rc;

    *out = NULL;
    memset(&j, 0, sizeof(j));
    if (!opts)
        opts = &defaults;
    if ((rc = result_check_args(m, bg, raw, n)) < 0)
        return rc;
    if (!bg && meth->method != MG_EXPLAIN_LIME)
        return mg_error_set(MG_EINVAL, "%s needs background rows", meth->name);
    if ((rc = result_alloc(&res, meth->method, m, ids, n, meth->method == MG_EXPLAIN_LIME)) < 0)
        return rc;
    res->link = bg ? opts->link : MG_EXPLAIN_IDENTITY;
    if (bg) {
        if ((rc = background_mean_prediction(&j.fnull, m, bg, opts->batch)) < 0)
            goto done;
        res->base_value = link_apply(opts->link, j.fnull);
        for (size_t z = 0; z < bg->n; z++)
            j.wsum += bg->weight[z];
    }
    j.m = m;
    j.bg = bg;
    j.extra = extra;
    j.raw = raw;
    j.o = opts;
    j.res = res;
    if ((rc = row_counters(&j.evals, &j.nominal, n)) < 0)
        goto done;
    memset(&spec, 0, sizeof(spec));
    spec.rows = n;
    spec.threads = opts->threads;
    spec.job = &j;
    spec.ws_create = meth->ws_create;
    spec.ws_free = meth->ws_free;
    spec.run = meth->run;
    spec.progress = opts->progress;
    spec.progress_ctx = opts->progress_ctx;
    if ((rc = runner_run(&spec)) < 0)
        goto done;
    result_global(res);
    result_count(res, j.evals, j.nominal, bg ? bg->n : 0);
    *out = res;
    res = NULL;
done:
    free(j.evals);
    free(j.nominal);
    mg_explain_result_free(res);
    return rc;
}
