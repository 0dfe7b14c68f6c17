/* model_cache.c - an LRU of loaded models keyed by artifact sha256, with reference counts. */
#include "model_cache.h"

#include "mg_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char sha[MG_SHA256_HEX];
    mg_model *m;
    unsigned refs;
    unsigned long used; /* clock of the last get */
} slot;

struct web_model_cache {
    pthread_mutex_t lock;
    slot *slots;
    size_t n, cap;
    unsigned long clock;
};

int web_model_cache_create(web_model_cache **out, size_t capacity)
{
    web_model_cache *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c || !(c->slots = calloc(capacity ? capacity : 1, sizeof *c->slots))) {
        free(c);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    c->cap = capacity ? capacity : 1;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return MG_OK;
}

/* A free slot, or the least recently used one nobody holds (its model freed); NULL if all held. */
static slot *victim(web_model_cache *c)
{
    slot *best = NULL;

    if (c->n < c->cap)
        return &c->slots[c->n++];
    for (size_t i = 0; i < c->n; i++)
        if (!c->slots[i].refs && (!best || c->slots[i].used < best->used))
            best = &c->slots[i];
    if (best) {
        mg_model_free(best->m);
        memset(best, 0, sizeof *best);
    }
    return best;
}

int web_model_cache_get(const mg_model **out, web_model_cache *c, mg_store *s, const char *sha256)
{
    char *path = NULL;
    mg_model *m = NULL;
    slot *sl;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (c->slots[i].m && strcmp(c->slots[i].sha, sha256) == 0) {
            c->slots[i].refs++;
            c->slots[i].used = ++c->clock;
            *out = c->slots[i].m;
            pthread_mutex_unlock(&c->lock);
            return MG_OK;
        }
    pthread_mutex_unlock(&c->lock);
    /* Load outside the lock; two first requests may both load, one copy is kept. */
    if ((rc = mg_gov_artifact_path(&path, s, sha256)) < 0 || (rc = mg_model_load(&m, path)) < 0) {
        free(path);
        return rc;
    }
    free(path);
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (c->slots[i].m && strcmp(c->slots[i].sha, sha256) == 0) {
            mg_model_free(m);
            c->slots[i].refs++;
            c->slots[i].used = ++c->clock;
            *out = c->slots[i].m;
            pthread_mutex_unlock(&c->lock);
            return MG_OK;
        }
    if (!(sl = victim(c))) {
        pthread_mutex_unlock(&c->lock);
        mg_model_free(m);
        return mg_error_set(MG_ECONFLICT, "every cached model is in use; try again");
    }
    memcpy(sl->sha, sha256, MG_SHA256_HEX);
    sl->sha[MG_SHA256_HEX - 1] = '\0';
    sl->m = m;
    sl->refs = 1;
    sl->used = ++c->clock;
    *out = m;
    pthread_mutex_unlock(&c->lock);
    return MG_OK;
}

void web_model_cache_put(web_model_cache *c, const mg_model *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (c->slots[i].m == m && c->slots[i].refs) {
            c->slots[i].refs--;
            break;
        }
    pthread_mutex_unlock(&c->lock);
}

void web_model_cache_free(web_model_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        mg_model_free(c->slots[i].m);
    free(c->slots);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
