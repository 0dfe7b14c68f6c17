/* model_cache.h - loaded model artifacts shared by predict requests (not public). */
#ifndef WEB_MODEL_CACHE_H
#define WEB_MODEL_CACHE_H

#include "mg_governance.h"
#include "mg_model.h"

typedef struct web_model_cache web_model_cache;

/* A cache of at most `capacity` models. Errors: MG_ENOMEM. */
int web_model_cache_create(web_model_cache **out, size_t capacity);

/*
 * The model stored as artifact `sha256` in `s`, loaded on first use.
 * *out is borrowed until web_model_cache_put(); predicting with it from
 * several threads is safe. Errors: MG_ENOTFOUND, MG_EPARSE (not a model
 * artifact), MG_ENOMEM.
 */
int web_model_cache_get(const mg_model **out, web_model_cache *c, mg_store *s, const char *sha256);

/* Give back a model from web_model_cache_get. */
void web_model_cache_put(web_model_cache *c, const mg_model *m);

void web_model_cache_free(web_model_cache *c); /* NULL is a no-op */

#endif
