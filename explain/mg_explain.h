/* mg_explain.h - Shapley values (exact, Kernel SHAP, Linear SHAP) and LIME on original columns. */
#ifndef MG_EXPLAIN_H
#define MG_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "mg_dataset.h"

/*
 * Every explainer works on "raw rows" (core/mg_pipeline.h): n x inputs
 * doubles, one per ORIGINAL column, a categorical column holding its level
 * index. A player of the Shapley game is one original column, so a
 * categorical column's one-hot block is one player.
 *
 * The model behind an explainer is an interface: a predict function on a
 * matrix of raw rows. mg_explain_model_from_model() adapts a core mg_model;
 * anything else (a remote model, a hand-written test model) supplies its own.
 */

/*
 * Predict n raw rows (n x inputs, row-major) into out (n x outputs).
 * Return 0 or a negative MG_E* after mg_error_set(). Explainers call it from
 * several threads at once (see mg_explain_options.threads), so it must be
 * thread-safe, or the caller must ask for one thread.
 */
typedef int (*mg_explain_predict_fn)(void *ctx, const double *raw, size_t n, double *out);

/* Encode n raw rows into X (n x width) for Linear SHAP. Return 0 or MG_E*. */
typedef int (*mg_explain_encode_fn)(void *ctx, const double *raw, size_t n, double *X);

/* Name of level `level` of categorical input `input`, or NULL. Borrowed. */
typedef const char *(*mg_explain_level_fn)(void *ctx, size_t input, size_t level);

typedef enum mg_explain_method {
    MG_EXPLAIN_KERNEL_SHAP = 0,
    MG_EXPLAIN_EXACT = 1,
    MG_EXPLAIN_LINEAR = 2,
    MG_EXPLAIN_LIME = 3
} mg_explain_method;

/* Space the Shapley values add up in: Σφ + base = link(f(x)). */
typedef enum mg_explain_link { MG_EXPLAIN_IDENTITY = 0, MG_EXPLAIN_LOGIT = 1 } mg_explain_link;

/* "kernel-shap", "exact", "linear", "lime"; NULL for an unknown value. */
const char *mg_explain_method_name(mg_explain_method m);
/* The method named `name`. Errors: MG_EINVAL naming it. */
int mg_explain_method_parse(mg_explain_method *out, const char *name);
/* "identity", "logit". */
const char *mg_explain_link_name(mg_explain_link l);

/* ---- the model ---------------------------------------------------------- */

typedef struct mg_explain_model mg_explain_model;

/*
 * A model of `inputs` original columns whose predict writes `outputs` values
 * per row; output 0 is explained until mg_explain_model_set_output(). `names`
 * (inputs strings) and `types` (NULL = all numeric) are copied; `ctx` is
 * borrowed and must outlive the model. Free with mg_explain_model_free().
 * Errors: MG_EINVAL (no inputs or outputs, NULL predict or name), MG_ENOMEM.
 */
int mg_explain_model_create(mg_explain_model **out, mg_explain_predict_fn predict, void *ctx,
                            size_t inputs, size_t outputs, const char *const *names,
                            const mg_coltype *types);

/*
 * Adapt a core model (its predict on raw rows is thread-safe). `output`
 * picks the value explained: 0 for linear and logistic (the value, the
 * positive-class probability), the class index for softmax. Linear and
 * logistic models also get their linear part (mg_explain_model_set_linear),
 * logistic with the logit link. `m` is borrowed and must outlive the result.
 * Errors: MG_EINVAL (output out of range), MG_ENOMEM.
 */
struct mg_model;
int mg_explain_model_from_model(mg_explain_model **out, const struct mg_model *m, size_t output);

void mg_explain_model_free(mg_explain_model *m); /* NULL is a no-op */

/* Explain output `output` of each prediction. Errors: MG_EINVAL (>= outputs). */
int mg_explain_model_set_output(mg_explain_model *m, size_t output);

/*
 * Declare the model linear in its encoded features for Linear SHAP:
 * link(f(x)) = bias + Σ_f weights[f] X_f with X = encode(x), input i owning
 * encoded features [offset[i], offset[i] + span[i]). Arrays are copied.
 * Errors: MG_EINVAL (a block past width), MG_ENOMEM.
 */
int mg_explain_model_set_linear(mg_explain_model *m, mg_explain_encode_fn encode, size_t width,
                                const double *weights, double bias, const size_t *offset,
                                const size_t *span, mg_explain_link link);

/* Names for categorical levels (LIME's rules). `ctx` is the predict context. */
void mg_explain_model_set_levels(mg_explain_model *m, mg_explain_level_fn level_name);

/* Getters: cannot fail; strings borrowed while `m` lives. */
size_t mg_explain_model_inputs(const mg_explain_model *m);
const char *mg_explain_model_input_name(const mg_explain_model *m, size_t i);
mg_coltype mg_explain_model_input_type(const mg_explain_model *m, size_t i);
int mg_explain_model_is_linear(const mg_explain_model *m);

/* ---- background data ---------------------------------------------------- */

/*
 * The rows that stand in for "absent" columns: v(S) = Σ_z w_z f(x_S, z_rest) / Σ_z w_z.
 */
typedef struct mg_explain_background {
    size_t n, inputs;
    double *raw;    /* n x inputs */
    double *weight; /* n, all > 0 */
} mg_explain_background;

/*
 * A background of the given rows (copied); `weight` NULL means all 1.
 * Errors: MG_EINVAL (no rows, a weight <= 0 or not finite), MG_ENOMEM.
 */
int mg_explain_background_create(mg_explain_background **out, const double *raw,
                                 const double *weight, size_t n, size_t inputs);

/*
 * k rows drawn without replacement from n (all n, in order, when k >= n),
 * seeded, weight 1 each. Errors: MG_EINVAL (n or k zero), MG_ENOMEM.
 */
int mg_explain_background_sample(mg_explain_background **out, const double *raw, size_t n,
                                 size_t inputs, size_t k, uint64_t seed);

/*
 * A weighted summary of n rows by k clusters, as shap.kmeans does, for mixed
 * data (k-prototypes, Huang 1998): numeric columns standardised and averaged,
 * categorical columns compared by mismatch and summarised by their mode;
 * k-means++ seeding. Each numeric centre value is then snapped to the nearest
 * value the column takes (so a centre is a plausible row) and each cluster's
 * weight is its size; empty clusters are dropped. k >= n gives all n rows.
 * Types come from `m`. Errors: MG_EINVAL (n or k zero), MG_ENOMEM.
 */
int mg_explain_background_kmeans(mg_explain_background **out, const mg_explain_model *m,
                                 const double *raw, size_t n, size_t k, uint64_t seed);

void mg_explain_background_free(mg_explain_background *bg); /* NULL is a no-op */

/* ---- LIME's training statistics ----------------------------------------- */

/*
 * What lime's LimeTabularExplainer learns from its training data: quartile
 * boundaries (numpy's linear percentiles 25/50/75, duplicates merged) with
 * each bin's mean, std, min and max for a numeric column, and the frequency
 * of each value for every column after discretisation. A missing numeric
 * value (NaN) is a bin of its own. Types come from `m`.
 * Errors: MG_EINVAL (no rows), MG_ENOMEM.
 */
typedef struct mg_explain_lime_stats mg_explain_lime_stats;

int mg_explain_lime_stats_fit(mg_explain_lime_stats **out, const mg_explain_model *m,
                              const double *raw, size_t n);
void mg_explain_lime_stats_free(mg_explain_lime_stats *s); /* NULL is a no-op */

/* ---- options and results ------------------------------------------------ */

/*
 * Progress of a long explanation: called in the caller's thread with the rows
 * done so far; a nonzero return stops the work with MG_ECANCELED.
 */
typedef int (*mg_explain_progress_fn)(void *ctx, size_t done, size_t total);

typedef struct mg_explain_options {
    size_t nsamples;      /* Kernel SHAP: coalitions (0 = 2M + 2048, as shap's "auto");
                             LIME: perturbed samples (0 = 5000, as lime) */
    uint64_t seed;        /* row r uses the stream (seed, id of r): same rows, same values */
    mg_explain_link link; /* Kernel SHAP and exact: link applied to v(S) */
    size_t l1_features;   /* Kernel SHAP: keep the r columns first on the LARS path
                             (shap's l1_reg="num_features(r)"); 0 = off */
    size_t top;           /* LIME: columns in the local model (0 = 10, as lime) */
    double kernel_width;  /* LIME: 0 = 0.75 sqrt(columns), as lime */
    size_t threads;       /* 0 = one per online CPU; results never depend on it */
    size_t batch;         /* rows per predict call (0 = 2048) */
    mg_explain_progress_fn progress;
    void *progress_ctx;
} mg_explain_options;

#define MG_EXPLAIN_OPTIONS_INIT                                                                    \
    {                                                                                              \
        0, 1, MG_EXPLAIN_IDENTITY, 0, 0, 0.0, 0, 0, NULL, NULL                                     \
    }

/*
 * One explanation of n rows. Plain data: read the fields, free with
 * mg_explain_result_free().
 */
typedef struct mg_explain_result {
    mg_explain_method method;
    mg_explain_link link; /* space of base_value, prediction and phi */
    size_t rows, inputs;
    char **names;       /* inputs column names */
    size_t *ids;        /* rows: the caller's row ids */
    double base_value;  /* E[link f] over the background; NaN for LIME */
    double *prediction; /* rows: link(f(x)); for LIME f(x) */
    double *phi;        /* rows x inputs; for LIME the local model's coefficients (0 = not
                           selected) */
    double *global;     /* inputs: mean |phi| over the rows */
    /* LIME only, NULL otherwise */
    double *intercept;        /* rows */
    double *r2;               /* rows: weighted R² of the local model */
    double *local_prediction; /* rows: the local model at x */
    char **rules;             /* rows x inputs: "age <= 37.00", "sex=Male" (NULL = not selected) */
    /* cost */
    size_t evaluations;         /* model rows evaluated */
    size_t nominal_evaluations; /* coalitions x background rows, before reuse */
} mg_explain_result;

void mg_explain_result_free(mg_explain_result *r); /* NULL is a no-op */

/*
 * The DESIGN §3 JSON: {"method", "base_value", "rows":[{"row", "prediction",
 * "phi":{column: value}}], "global":{column: mean |phi|}}, plus "link", and
 * for LIME each row's "intercept", "r2", "local_prediction" and "rules".
 * Returns a new object or NULL on ENOMEM (error set).
 */
struct json_t;
struct json_t *mg_explain_result_to_json(const mg_explain_result *r);

/* ---- the explainers ----------------------------------------------------- */
/*
 * Each explains the n raw rows `raw` (n x inputs); `ids` (NULL = 0..n-1) name
 * them in the result and seed their random streams. `opts` may be NULL for
 * the defaults. Efficiency: for exact, Kernel SHAP and Linear SHAP,
 * Σ_i phi_i + base_value = prediction on every row.
 * Common errors: MG_EINVAL (bad sizes or options, naming them), MG_ENOMEM,
 * MG_ECANCELED (progress said stop), and whatever the predict function returns.
 * Thread safety: reads its arguments only; safe to run several at once.
 */

/*
 * Exact interventional Shapley values by enumerating every coalition:
 * phi_i = Σ_{S ⊆ N\{i}} |S|!(M-|S|-1)!/M! (v(S ∪ i) - v(S)). Computed per
 * background row z over only the columns where x and z differ (the others
 * are null players of that row's game), which gives the same values with
 * Σ_z 2^{M_z} model evaluations instead of N 2^M. With the logit link the
 * game is v(S) = logit(mean f) as in shap. Errors: MG_EINVAL when more
 * than 20 columns of a row differ from some background row (2^M values).
 */
int mg_explain_exact_compute(mg_explain_result **out, const mg_explain_model *m,
                             const mg_explain_background *bg, const double *raw, const size_t *ids,
                             size_t n, const mg_explain_options *opts);

/*
 * Kernel SHAP (Lundberg & Lee 2017) as shap's KernelExplainer: columns equal
 * to x in every background row are left out (phi 0); the Shapley kernel
 * weights; whole coalition sizes enumerated smallest and largest first while
 * the budget allows, the rest drawn in complementary pairs; the efficiency
 * constraint imposed by eliminating one variable; weighted least squares
 * through LAPACK. Identical synthetic rows (a coalition only matters where x
 * and z differ) are evaluated once. Errors: MG_EINVAL (nsamples < columns
 * + 2, more than 63 varying columns).
 */
int mg_explain_kernel_compute(mg_explain_result **out, const mg_explain_model *m,
                              const mg_explain_background *bg, const double *raw, const size_t *ids,
                              size_t n, const mg_explain_options *opts);

/*
 * Linear SHAP in the link space: phi_i = Σ_{f in block(i)} w_f (X_f(x) - E_bg X_f),
 * base = bias + Σ_f w_f E_bg X_f. Errors: MG_EINVAL (the model has no linear part).
 */
int mg_explain_linear_compute(mg_explain_result **out, const mg_explain_model *m,
                              const mg_explain_background *bg, const double *raw, const size_t *ids,
                              size_t n, const mg_explain_options *opts);

/*
 * LIME for tabular data (Ribeiro et al. 2016) as lime's LimeTabularExplainer
 * with its defaults: samples drawn column by column from the training
 * frequencies of the discretised values (numeric values then drawn from a
 * normal truncated to their quartile bin), features "same bin / level as x",
 * kernel sqrt(exp(-d²/width²)) on the Euclidean distance, feature selection
 * "auto" (forward selection for top <= 6, else highest weights), then a
 * weighted ridge regression (alpha 1) with intercept. Errors: MG_EINVAL
 * (stats fitted on another number of columns).
 */
int mg_explain_lime_compute(mg_explain_result **out, const mg_explain_model *m,
                            const mg_explain_lime_stats *stats, const double *raw,
                            const size_t *ids, size_t n, const mg_explain_options *opts);

#endif
