/* result.h - allocating and finishing an mg_explain_result (internal). */
#ifndef EXPLAIN_RESULT_H
#define EXPLAIN_RESULT_H

#include "model.h"

/*
 * A zeroed result for n rows of `m` (ids NULL = 0..n-1), names copied; with
 * `lime` the LIME arrays too. Errors: MG_ENOMEM.
 */
int result_alloc(mg_explain_result **out, mg_explain_method method, const mg_explain_model *m,
                 const size_t *ids, size_t n, int lime);

/* global[i] = mean over rows of |phi[r][i]|. */
void result_global(mg_explain_result *r);

/* Check sizes shared by every explainer. Errors: MG_EINVAL naming the problem. */
int result_check_args(const mg_explain_model *m, const mg_explain_background *bg, const double *raw,
                      size_t n);

/* Base value: Σ w_z f(z) / Σ w_z over the background (identity space). */
int background_mean_prediction(double *out, const mg_explain_model *m,
                               const mg_explain_background *bg, size_t batch);

/* link(p); p outside (0, 1) gives ±inf. */
double link_apply(mg_explain_link link, double p);

/* Two zeroed per-row counters. Errors: MG_ENOMEM (both NULL then). */
int row_counters(size_t **evals, size_t **nominal, size_t n);

/* Sum per-row evaluation counts into r, adding the background's own predictions. */
void result_count(mg_explain_result *r, const size_t *evals, const size_t *nominal,
                  size_t background);

#endif
