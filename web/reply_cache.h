/* reply_cache.h - GET replies kept until the signed log grows (not public). */
#ifndef WEB_REPLY_CACHE_H
#define WEB_REPLY_CACHE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every state change appends a log entry (DESIGN §6), so the log's size is a
 * version stamp of the whole store: a reply computed at size n is still right
 * while the size is n. Keys are request targets ("/api/v1/models/m/versions/1").
 */
typedef struct web_reply_cache web_reply_cache;

/* Errors: MG_ENOMEM. */
int web_reply_cache_create(web_reply_cache **out, size_t slots);

/* A malloc'd copy of the reply cached for `key` at log size `stamp`, or NULL. */
char *web_reply_cache_get(web_reply_cache *c, const char *key, uint64_t stamp, size_t *len);

/* Keep `text` (copied) for `key` at `stamp`. Failures are silent: it is only a cache. */
void web_reply_cache_put(web_reply_cache *c, const char *key, uint64_t stamp, const char *text,
                         size_t len);

void web_reply_cache_free(web_reply_cache *c); /* NULL is a no-op */

#endif
