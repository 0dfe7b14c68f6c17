/* model.c - the explained model: a predict function on raw rows, its columns and output. */
#include "model.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

int mg_explain_model_create(mg_explain_model **out, mg_explain_predict_fn predict, void *ctx,
                            size_t inputs, size_t outputs, const char *const *names,
                            const mg_coltype *types)
{
    mg_explain_model *m = NULL;
    int rc = MG_ENOMEM;

    *out = NULL;
    if (!predict || inputs == 0 || outputs == 0 || !names)
        return mg_error_set(MG_EINVAL, "explain model: needs a predict function, inputs, "
                                       "outputs and column names");
    for (size_t i = 0; i < inputs; i++)
        if (!names[i])
            return mg_error_set(MG_EINVAL, "explain model: column %zu has no name", i);
    if (!(m = calloc(1, sizeof(*m))))
        goto oom;
    m->predict = predict;
    m->ctx = ctx;
    m->inputs = inputs;
    m->outputs = outputs;
    if (!(m->names = calloc(inputs, sizeof(char *))) ||
        !(m->types = calloc(inputs, sizeof(mg_coltype))))
        goto oom;
    for (size_t i = 0; i < inputs; i++) {
        if (!(m->names[i] = strdup(names[i])))
            goto oom;
        m->types[i] = types ? types[i] : MG_COL_NUMERIC;
    }
    *out = m;
    return MG_OK;
oom:
    mg_explain_model_free(m);
    return mg_error_set(rc, "out of memory");
}

void mg_explain_model_free(mg_explain_model *m)
{
    if (!m)
        return;
    if (m->names)
        for (size_t i = 0; i < m->inputs; i++)
            free(m->names[i]);
    free(m->names);
    free(m->types);
    free(m->weights);
    free(m->offset);
    free(m->span);
    free(m);
}

int mg_explain_model_set_output(mg_explain_model *m, size_t output)
{
    if (output >= m->outputs)
        return mg_error_set(MG_EINVAL, "explain model: output %zu out of range (%zu outputs)",
                            output, m->outputs);
    m->output = output;
    return MG_OK;
}

int mg_explain_model_set_linear(mg_explain_model *m, mg_explain_encode_fn encode, size_t width,
                                const double *weights, double bias, const size_t *offset,
                                const size_t *span, mg_explain_link link)
{
    double *w = NULL;
    size_t *off = NULL, *sp = NULL;

    if (!encode || width == 0 || !weights || !offset || !span)
        return mg_error_set(MG_EINVAL, "explain model: linear part needs encode, weights and "
                                       "blocks");
    for (size_t i = 0; i < m->inputs; i++)
        if (offset[i] > width || span[i] > width - offset[i])
            return mg_error_set(MG_EINVAL,
                                "explain model: block of column '%s' past the %zu features",
                                m->names[i], width);
    w = malloc(width * sizeof(double));
    off = malloc(m->inputs * sizeof(size_t));
    sp = malloc(m->inputs * sizeof(size_t));
    if (!w || !off || !sp) {
        free(w);
        free(off);
        free(sp);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    memcpy(w, weights, width * sizeof(double));
    memcpy(off, offset, m->inputs * sizeof(size_t));
    memcpy(sp, span, m->inputs * sizeof(size_t));
    free(m->weights);
    free(m->offset);
    free(m->span);
    m->weights = w;
    m->offset = off;
    m->span = sp;
    m->encode = encode;
    m->width = width;
    m->bias = bias;
    m->link = link;
    m->linear = 1;
    return MG_OK;
}

void mg_explain_model_set_levels(mg_explain_model *m, mg_explain_level_fn level_name)
{
    m->level_name = level_name;
}

size_t mg_explain_model_inputs(const mg_explain_model *m)
{
    return m->inputs;
}

const char *mg_explain_model_input_name(const mg_explain_model *m, size_t i)
{
    return m->names[i];
}

mg_coltype mg_explain_model_input_type(const mg_explain_model *m, size_t i)
{
    return m->types[i];
}

int mg_explain_model_is_linear(const mg_explain_model *m)
{
    return m->linear;
}
