/* runner.c - rows spread over pthreads; synthetic rows built and predicted in batches. */
#include "runner.h"

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
