/* hasher.c - SHA-256 on a background thread, one block in flight. */
#include "hasher.h"
#include "mg_error.h"

#include <pthread.h>
#include <stdlib.h>

struct hasher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mg_sha256 *sha;
    const void *block; /* in flight, or NULL */
    size_t len;
    int quit, failed;
};

static void *run(void *arg)
{
    hasher *h = arg;

    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->block && !h->quit)
            pthread_cond_wait(&h->cv, &h->mu);
        if (!h->block)
            break;
        const void *p = h->block;
        size_t n = h->len;
        pthread_mutex_unlock(&h->mu);
        int rc = mg_sha256_update(h->sha, p, n);
        pthread_mutex_lock(&h->mu);
        h->failed |= rc < 0;
        h->block = NULL;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int hasher_start(hasher **out)
{
    hasher *h = calloc(1, sizeof *h);
    int rc;

    *out = NULL;
    if (!h)
        return mg_error_set(MG_ENOMEM, "out of memory (hasher)");
    if ((rc = mg_sha256_create(&h->sha)) < 0) {
        free(h);
        return rc;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        mg_sha256_free(h->sha);
        free(h);
        return mg_error_set(MG_ERROR, "could not start the hashing thread");
    }
    *out = h;
    return MG_OK;
}

/* Wait until no block is in flight; the lock is held on return. */
static void drain(hasher *h)
{
    pthread_mutex_lock(&h->mu);
    while (h->block)
        pthread_cond_wait(&h->cv, &h->mu);
}

int hasher_feed(hasher *h, const void *p, size_t n)
{
    int failed;

    drain(h);
    if (n) {
        h->block = p;
        h->len = n;
        pthread_cond_broadcast(&h->cv);
    }
    failed = h->failed;
    pthread_mutex_unlock(&h->mu);
    return failed ? mg_error_set(MG_ERROR, "sha256 failed") : MG_OK;
}

int hasher_finish(hasher *h, unsigned char digest[MG_SHA256_LEN])
{
    int failed;

    drain(h);
    failed = h->failed;
    pthread_mutex_unlock(&h->mu);
    if (failed)
        return mg_error_set(MG_ERROR, "sha256 failed");
    return mg_sha256_final(h->sha, digest);
}

void hasher_free(hasher *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    mg_sha256_free(h->sha);
    free(h);
}
