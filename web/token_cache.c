/* token_cache.c - a direct-mapped table of token digests -> actors, stamped with the log size. */
#include "token_cache.h"

#include "mg_error.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    unsigned char digest[32];
    uint64_t stamp;
    int used;
    mg_actor actor;
} entry;

struct web_token_cache {
    pthread_mutex_t lock;
    entry *e;
    size_t n;
};

int web_token_cache_create(web_token_cache **out, size_t slots)
{
    web_token_cache *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c || !(c->e = calloc(slots ? slots : 1, sizeof *c->e))) {
        free(c);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    c->n = slots ? slots : 1;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return MG_OK;
}

static entry *slot_of(web_token_cache *c, const unsigned char digest[32])
{
    uint64_t h;
    memcpy(&h, digest, sizeof h); /* a SHA-256 is already uniform */
    return &c->e[h % c->n];
}

int web_token_cache_get(mg_actor *actor, web_token_cache *c, const unsigned char digest[32],
                        uint64_t stamp)
{
    entry *e = slot_of(c, digest);
    int hit;

    pthread_mutex_lock(&c->lock);
    hit = e->used && e->stamp == stamp && CRYPTO_memcmp(e->digest, digest, 32) == 0;
    if (hit)
        *actor = e->actor;
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void web_token_cache_put(web_token_cache *c, const unsigned char digest[32], uint64_t stamp,
                         const mg_actor *actor)
{
    entry *e = slot_of(c, digest);

    pthread_mutex_lock(&c->lock);
    memcpy(e->digest, digest, 32);
    e->stamp = stamp;
    e->actor = *actor;
    e->used = 1;
    pthread_mutex_unlock(&c->lock);
}

void web_token_cache_free(web_token_cache *c)
{
    if (!c)
        return;
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
