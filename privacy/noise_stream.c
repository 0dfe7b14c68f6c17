/* noise_stream.c - DP-SGD's noise drawn on a worker thread, one vector ahead of the step. */
#define _GNU_SOURCE
#include "noise.h"
#include "mg_error.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Below this many Gaussians per vector the hand-over between threads costs
 * more than the drawing: such streams draw in the caller's thread.
 */
#define THREAD_MIN_DRAWS 32768

struct noise_stream {
    noise_source src;
    int threaded;
    unsigned long forks; /* noise_fork_generation() when the worker started */
    size_t n;
    double std;
    double *next; /* the vector being made or ready */
    int ready, stop, rc;
    char msg[256]; /* the worker's error message (its error slot is its own) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

/*
 * Whether a core is free for the worker: of the CPUs this thread may run
 * on, one stays idle besides the caller's. The one-minute load average
 * counts the caller itself (about 1 once it has been computing for a
 * while), so a core is free while the average stays below cpus - 1/2: on
 * two CPUs, the caller alone (load about 1) leaves one; the caller plus
 * any other busy thread does not. On a busy machine a worker would only
 * compete with the training thread and add hand-over costs to the CPU time
 * without saving wall time, so there the caller draws the noise itself.
 */
static int core_free(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    double load;
#ifdef CPU_COUNT
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cpus = CPU_COUNT(&set);
#endif
    return cpus > 1 && getloadavg(&load, 1) == 1 && load <= (double)cpus - 0.5;
}

static void *worker(void *arg)
{
    noise_stream *st = arg;

    pthread_mutex_lock(&st->lock);
    while (!st->stop) {
        if (st->ready) {
            pthread_cond_wait(&st->changed, &st->lock);
            continue;
        }
        pthread_mutex_unlock(&st->lock);
        memset(st->next, 0, st->n * sizeof *st->next);
        int rc = noise_add_gaussian(st->next, st->n, st->std, &st->src);
        pthread_mutex_lock(&st->lock);
        if (rc < 0) {
            st->rc = rc;
            snprintf(st->msg, sizeof st->msg, "%s", mg_error_last());
        }
        st->ready = 1;
        pthread_cond_broadcast(&st->changed);
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

int noise_stream_start(noise_stream **out, int secure, uint64_t seed, uint64_t stream, size_t n,
                       double std, noise_thread thread)
{
    noise_stream *st = calloc(1, sizeof *st);

    *out = NULL;
    if (!st || !(st->next = malloc((n ? n : 1) * sizeof *st->next))) {
        free(st);
        return mg_error_set(MG_ENOMEM, "DP-SGD: out of memory for %zu noise values", n);
    }
    noise_source_init(&st->src, secure, seed, stream);
    st->n = n;
    st->std = std;
    if (thread == NOISE_THREAD_NEVER ||
        (thread == NOISE_THREAD_AUTO &&
         (n * (secure ? 4 : 1) < THREAD_MIN_DRAWS || !core_free()))) {
        *out = st;
        return MG_OK;
    }
    st->threaded = 1;
    st->forks = noise_fork_generation();
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->changed, NULL);
    if (pthread_create(&st->thread, NULL, worker, st) != 0) {
        pthread_cond_destroy(&st->changed);
        pthread_mutex_destroy(&st->lock);
        free(st->next);
        free(st);
        return mg_error_set(MG_ERROR, "DP-SGD: could not start the noise thread");
    }
    *out = st;
    return MG_OK;
}

/*
 * In a forked child the worker is gone and its lock and vector are whatever
 * they were at the fork: it may have held the lock, and the vector, ready or
 * half made, is the parent's. Forget the worker without touching the lock;
 * the source drops the parent's keystream on its next draw.
 */
static void leave_worker_if_forked(noise_stream *st)
{
    if (st->threaded && st->forks != noise_fork_generation()) {
        OPENSSL_cleanse(st->next, st->n * sizeof *st->next);
        st->threaded = 0;
    }
}

int noise_stream_add(noise_stream *st, double *x)
{
    int rc;

    leave_worker_if_forked(st);
    if (!st->threaded)
        return noise_add_gaussian(x, st->n, st->std, &st->src);
    pthread_mutex_lock(&st->lock);
    while (!st->ready)
        pthread_cond_wait(&st->changed, &st->lock);
    if ((rc = st->rc) < 0) {
        pthread_mutex_unlock(&st->lock);
        return mg_error_set(rc, "%s", st->msg);
    }
    for (size_t i = 0; i < st->n; i++)
        x[i] += st->next[i];
    st->ready = 0;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    return MG_OK;
}

int noise_stream_threaded(const noise_stream *st)
{
    return st->threaded;
}

size_t noise_stream_length(const noise_stream *st)
{
    return st->n;
}

void noise_stream_stop(noise_stream *st)
{
    if (!st)
        return;
    leave_worker_if_forked(st);
    if (!st->threaded) {
        noise_source_free(&st->src);
        free(st->next);
        free(st);
        return;
    }
    pthread_mutex_lock(&st->lock);
    st->stop = 1;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    pthread_join(st->thread, NULL);
    pthread_cond_destroy(&st->changed);
    pthread_mutex_destroy(&st->lock);
    noise_source_free(&st->src);
    OPENSSL_cleanse(st->next, st->n * sizeof *st->next); /* a drawn, unused vector */
    free(st->next);
    free(st);
}
