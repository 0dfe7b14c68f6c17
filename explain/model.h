/* model.h - the explained model's fields, shared by the explainers (internal). */
#ifndef EXPLAIN_MODEL_H
#define EXPLAIN_MODEL_H

#include "mg_explain.h"

struct mg_explain_model {
    mg_explain_predict_fn predict;
    void *ctx;
    size_t inputs, outputs, output;
    char **names;
    mg_coltype *types;
    mg_explain_level_fn level_name;
    /* linear part (Linear SHAP), when `linear` */
    int linear;
    mg_explain_encode_fn encode;
    size_t width;
    double *weights;
    double bias;
    size_t *offset, *span;
    mg_explain_link link;
};

/* 1 when a and b are the same raw value (NaN equals NaN). */
static inline int raw_same(double a, double b)
{
    return a == b || (a != a && b != b);
}

#endif
