/* background.c - the background rows of the Shapley games: given, or a seeded sample. */
#include "model.h"

#include "mg_error.h"
#include "mg_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mg_explain_background_free(mg_explain_background *bg)
{
    if (!bg)
        return;
    free(bg->raw);
    free(bg->weight);
    free(bg);
}

/* An empty background of n rows. */
static int background_new(mg_explain_background **out, size_t n, size_t inputs)
{
    mg_explain_background *bg = calloc(1, sizeof(*bg));

    *out = NULL;
    if (!bg || !(bg->raw = malloc(n * inputs * sizeof(double))) ||
        !(bg->weight = malloc(n * sizeof(double)))) {
        mg_explain_background_free(bg);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    bg->n = n;
    bg->inputs = inputs;
    *out = bg;
    return MG_OK;
}

int mg_explain_background_create(mg_explain_background **out, const double *raw,
                                 const double *weight, size_t n, size_t inputs)
{
    int rc;

    *out = NULL;
    if (n == 0 || inputs == 0 || !raw)
        return mg_error_set(MG_EINVAL, "background: no rows");
    for (size_t z = 0; weight && z < n; z++)
        if (!(weight[z] > 0) || !isfinite(weight[z]))
            return mg_error_set(MG_EINVAL, "background: weight of row %zu is not positive", z);
    if ((rc = background_new(out, n, inputs)) < 0)
        return rc;
    memcpy((*out)->raw, raw, n * inputs * sizeof(double));
    for (size_t z = 0; z < n; z++)
        (*out)->weight[z] = weight ? weight[z] : 1.0;
    return MG_OK;
}

int mg_explain_background_sample(mg_explain_background **out, const double *raw, size_t n,
                                 size_t inputs, size_t k, uint64_t seed)
{
    size_t *idx = NULL;
    mg_rng rng;
    int rc;

    *out = NULL;
    if (n == 0 || k == 0 || inputs == 0 || !raw)
        return mg_error_set(MG_EINVAL, "background: need rows and a size above 0");
    if (k >= n)
        return mg_explain_background_create(out, raw, NULL, n, inputs);
    if (!(idx = malloc(n * sizeof(size_t))))
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* partial Fisher-Yates: the first k slots are a uniform sample without replacement */
    mg_rng_seed(&rng, seed);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)mg_rng_below(&rng, n - i), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    if ((rc = background_new(out, k, inputs)) == 0)
        for (size_t i = 0; i < k; i++) {
            memcpy((*out)->raw + i * inputs, raw + idx[i] * inputs, inputs * sizeof(double));
            (*out)->weight[i] = 1.0;
        }
    free(idx);
    return rc;
}
