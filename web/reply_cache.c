/* reply_cache.c - a direct-mapped table of replies stamped with the log size, one lock. */
#include "reply_cache.h"

#include "mg_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    char *text;
    size_t len;
    uint64_t stamp;
} entry;

struct web_reply_cache {
    pthread_mutex_t lock;
    entry *e;
    size_t n;
};

/* FNV-1a: the slot of a key. */
static size_t slot_of(const web_reply_cache *c, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % c->n);
}

int web_reply_cache_create(web_reply_cache **out, size_t slots)
{
    web_reply_cache *c = calloc(1, sizeof *c);

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

char *web_reply_cache_get(web_reply_cache *c, const char *key, uint64_t stamp, size_t *len)
{
    entry *e = &c->e[slot_of(c, key)];
    char *copy = NULL;

    pthread_mutex_lock(&c->lock);
    if (e->key && e->stamp == stamp && strcmp(e->key, key) == 0 && (copy = malloc(e->len + 1))) {
        memcpy(copy, e->text, e->len + 1);
        *len = e->len;
    }
    pthread_mutex_unlock(&c->lock);
    return copy;
}

void web_reply_cache_put(web_reply_cache *c, const char *key, uint64_t stamp, const char *text,
                         size_t len)
{
    entry *e = &c->e[slot_of(c, key)];
    char *k = strdup(key), *t = malloc(len + 1);

    if (!k || !t) {
        free(k);
        free(t);
        return;
    }
    memcpy(t, text, len);
    t[len] = '\0';
    pthread_mutex_lock(&c->lock);
    free(e->key);
    free(e->text);
    e->key = k;
    e->text = t;
    e->len = len;
    e->stamp = stamp;
    pthread_mutex_unlock(&c->lock);
}

void web_reply_cache_free(web_reply_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].text);
    }
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
