/* token_cache.h - authenticated tokens, valid while the log keeps its size (not public). */
#ifndef WEB_TOKEN_CACHE_H
#define WEB_TOKEN_CACHE_H

#include <stdint.h>

#include "mg_governance.h"

/*
 * Creating or revoking a token appends a log entry, so an answer of
 * governance's token check stays right while the log's size does. Keys are
 * the SHA-256 of the secret; the secrets themselves are never kept.
 */
typedef struct web_token_cache web_token_cache;

int web_token_cache_create(web_token_cache **out, size_t slots); /* Errors: MG_ENOMEM */

/* 1 and *actor when `digest` was authenticated at log size `stamp`; else 0. */
int web_token_cache_get(mg_actor *actor, web_token_cache *c, const unsigned char digest[32],
                        uint64_t stamp);

void web_token_cache_put(web_token_cache *c, const unsigned char digest[32], uint64_t stamp,
                         const mg_actor *actor);

void web_token_cache_free(web_token_cache *c); /* NULL is a no-op */

#endif
