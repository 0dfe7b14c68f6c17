/* model_adapter.c - a core mg_model as an explained model: its predict, columns and weights. */
#include "model.h"

#include "mg_error.h"
#include "mg_model.h"

#include <stdlib.h>

/* mg_model_predict_raw is const and keeps no shared scratch: safe from every worker. */
static int predict_model(void *ctx, const double *raw, size_t n, double *out)
{
    return mg_model_predict_raw(ctx, raw, n, out);
}

static int encode_model(void *ctx, const double *raw, size_t n, double *X)
{
    mg_pipeline_transform(mg_model_pipeline(ctx), raw, n, X);
    return MG_OK;
}

static const char *level_model(void *ctx, size_t input, size_t level)
{
    const mg_pipeline *p = mg_model_pipeline(ctx);
    if (input >= mg_pipeline_inputs(p) || level >= mg_pipeline_input_levels(p, input))
        return NULL;
    return mg_pipeline_input_level(p, input, level);
}

/* Give a linear or logistic model its linear part, in the link space of its head. */
static int attach_linear(mg_explain_model *em, const mg_model *m)
{
    const mg_pipeline *p = mg_model_pipeline(m);
    size_t in = mg_pipeline_inputs(p);
    size_t *off = malloc(in * sizeof(size_t)), *span = malloc(in * sizeof(size_t));
    const double *w;
    double bias;
    int rc;

    if (!off || !span) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = mg_model_linear_weights(&w, &bias, m)) < 0)
        goto done;
    for (size_t i = 0; i < in; i++) {
        off[i] = mg_pipeline_input_offset(p, i);
        span[i] = mg_pipeline_input_span(p, i);
    }
    rc = mg_explain_model_set_linear(em, encode_model, mg_pipeline_width(p), w, bias, off, span,
                                     mg_model_kind(m) == MG_MODEL_LOGISTIC ? MG_EXPLAIN_LOGIT
                                                                           : MG_EXPLAIN_IDENTITY);
done:
    free(off);
    free(span);
    return rc;
}

int mg_explain_model_from_model(mg_explain_model **out, const mg_model *m, size_t output)
{
    const mg_pipeline *p = mg_model_pipeline(m);
    mg_explain_model *em = NULL;
    const char **names = NULL;
    mg_coltype *types = NULL;
    size_t in;
    int rc;

    *out = NULL;
    if (!p)
        return mg_error_set(MG_EINVAL, "explain: the model has no feature pipeline");
    in = mg_pipeline_inputs(p);
    names = malloc(in * sizeof(char *));
    types = malloc(in * sizeof(mg_coltype));
    if (!names || !types) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < in; i++) {
        names[i] = mg_pipeline_input_name(p, i);
        types[i] = mg_pipeline_input_type(p, i);
    }
    /* the model is only read: the predict context is a const model */
    if ((rc = mg_explain_model_create(&em, predict_model, (void *)(uintptr_t)m, in,
                                      mg_model_outputs(m), names, types)) < 0)
        goto done;
    if ((rc = mg_explain_model_set_output(em, output)) < 0)
        goto done;
    mg_explain_model_set_levels(em, level_model);
    if ((mg_model_kind(m) == MG_MODEL_LINEAR || mg_model_kind(m) == MG_MODEL_LOGISTIC) &&
        (rc = attach_linear(em, m)) < 0)
        goto done;
    *out = em;
    em = NULL;
done:
    mg_explain_model_free(em);
    free(names);
    free(types);
    return rc;
}
