/* linear_shap.c - Linear SHAP: closed-form Shapley values of a linear model in its link space. */
#include "result.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

#define LINEAR_CHUNK 1024

/* mean[f] = Σ_z w_z X_f(z) / Σ_z w_z over the encoded background. */
static int background_mean(double *mean, const mg_explain_model *m, const mg_explain_background *bg,
                           double *X)
{
    double wsum = 0;
    memset(mean, 0, m->width * sizeof(double));
    for (size_t z0 = 0; z0 < bg->n; z0 += LINEAR_CHUNK) {
        size_t c = bg->n - z0 < LINEAR_CHUNK ? bg->n - z0 : LINEAR_CHUNK;
        int rc = m->encode(m->ctx, bg->raw + z0 * m->inputs, c, X);
        if (rc < 0)
            return rc;
        for (size_t k = 0; k < c; k++) {
            double wz = bg->weight[z0 + k];
            wsum += wz;
            for (size_t f = 0; f < m->width; f++)
                mean[f] += wz * X[k * m->width + f];
        }
    }
    for (size_t f = 0; f < m->width; f++)
        mean[f] /= wsum;
    return MG_OK;
}

/*
 * Interventional Shapley values of g(x) = b + Σ_f w_f X_f(x): each input's
 * block contributes independently, so phi_i = Σ_{f in block(i)} w_f (X_f(x) - E X_f)
 * (Lundberg & Lee 2017, "Linear SHAP", with feature independence).
 */
static void explain_rows(mg_explain_result *res, const mg_explain_model *m, const double *mean,
                         const double *X, size_t r0, size_t c)
{
    for (size_t k = 0; k < c; k++) {
        const double *xk = X + k * m->width;
        double *phi = res->phi + (r0 + k) * m->inputs, pred = m->bias;
        for (size_t f = 0; f < m->width; f++)
            pred += m->weights[f] * xk[f];
        res->prediction[r0 + k] = pred;
        for (size_t i = 0; i < m->inputs; i++) {
            double s = 0;
            for (size_t f = m->offset[i]; f < m->offset[i] + m->span[i]; f++)
                s += m->weights[f] * (xk[f] - mean[f]);
            phi[i] = s;
        }
    }
}

int mg_explain_linear_compute(mg_explain_result **out, const mg_explain_model *m,
                              const mg_explain_background *bg, const double *raw, const size_t *ids,
                              size_t n, const mg_explain_options *opts)
{
    mg_explain_result *res = NULL;
    double *X = NULL, *mean = NULL, base;
    int rc;

    (void)opts;
    *out = NULL;
    if ((rc = result_check_args(m, bg, raw, n)) < 0)
        return rc;
    if (!bg)
        return mg_error_set(MG_EINVAL, "Linear SHAP needs background rows");
    if (!m->linear)
        return mg_error_set(MG_EINVAL, "Linear SHAP needs a linear or logistic model");
    if ((rc = result_alloc(&res, MG_EXPLAIN_LINEAR, m, ids, n, 0)) < 0)
        return rc;
    X = malloc(LINEAR_CHUNK * m->width * sizeof(double));
    mean = malloc(m->width * sizeof(double));
    if (!X || !mean) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = background_mean(mean, m, bg, X)) < 0)
        goto done;
    base = m->bias;
    for (size_t f = 0; f < m->width; f++)
        base += m->weights[f] * mean[f];
    res->link = m->link;
    res->base_value = base;
    for (size_t r0 = 0; r0 < n; r0 += LINEAR_CHUNK) {
        size_t c = n - r0 < LINEAR_CHUNK ? n - r0 : LINEAR_CHUNK;
        if ((rc = m->encode(m->ctx, raw + r0 * m->inputs, c, X)) < 0)
            goto done;
        explain_rows(res, m, mean, X, r0, c);
    }
    result_global(res);
    *out = res;
    res = NULL;
done:
    free(X);
    free(mean);
    mg_explain_result_free(res);
    return rc;
}
