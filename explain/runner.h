/* runner.h - rows spread over threads, and batched model evaluation of mixed rows (internal). */
#ifndef EXPLAIN_RUNNER_H
#define EXPLAIN_RUNNER_H

#include "model.h"

#include <stdint.h>

/*
 * One explainer run: `rows` independent rows, each explained by run(job, ws, r)
 * with a per-thread workspace from ws_create(). A row's result may depend only
 * on the row, never on the thread or the order, so any thread count gives the
 * same bits.
 */
typedef struct runner_spec {
    size_t rows;
    size_t threads; /* 0 = online CPUs */
    void *job;
    int (*ws_create)(void **ws, void *job);
    void (*ws_free)(void *ws);
    int (*run)(void *job, void *ws, size_t r);
    mg_explain_progress_fn progress;
    void *progress_ctx;
} runner_spec;

/*
 * Run every row. Returns 0 or the first failure's code, with its message in
 * the caller's error slot; MG_ECANCELED when progress asked to stop.
 */
int runner_run(const runner_spec *s);

/* What the rows of one explanation share. */
typedef struct row_job {
    const mg_explain_model *m;
    const mg_explain_background *bg; /* NULL for LIME */
    const void *extra;               /* the method's own input (LIME's statistics) */
    const double *raw;
    const mg_explain_options *o;
    mg_explain_result *res;
    double fnull, wsum;      /* E f over the background (identity space), Σ w */
    size_t *evals, *nominal; /* per row: model rows evaluated, and before reuse */
} row_job;

/* An explainer: its per-thread workspace and how it explains row r. */
typedef struct row_method {
    mg_explain_method method;
    const char *name; /* for messages: "Kernel SHAP" */
    int (*ws_create)(void **ws, void *job);
    void (*ws_free)(void *ws);
    int (*run)(void *job, void *ws, size_t r);
} row_method;

/*
 * The frame every explainer shares: check the arguments (a background is
 * required unless the method is LIME; opts NULL = defaults), allocate the
 * result, set the base value (link of E f over bg), run every row over the
 * threads, then the global importance and the evaluation counts.
 * Errors: MG_EINVAL, and as runner_run.
 */
int explain_rows(mg_explain_result **out, const row_method *meth, const mg_explain_model *m,
                 const mg_explain_background *bg, const void *extra, const double *raw,
                 const size_t *ids, size_t n, const mg_explain_options *opts);

/* A batched evaluator: one per thread. */
typedef struct evaluator {
    const mg_explain_model *m;
    size_t batch;
    double *rows; /* batch x inputs */
    double *out;  /* batch x outputs */
    size_t evaluations;
} evaluator;

/* One synthetic row: background row z with x's values on the players in `key`. */
typedef struct mix_item {
    uint64_t key;
    uint32_t z;
} mix_item;

/* Errors: MG_ENOMEM. */
int evaluator_init(evaluator *ev, const mg_explain_model *m, size_t batch);
void evaluator_free(evaluator *ev); /* NULL-safe, idempotent */

/* The explained output of n rows (any n) into vals. Errors: the model's. */
int evaluator_predict(evaluator *ev, const double *rows, size_t n, double *vals);

/*
 * The explained output of n mixed rows into vals: item k is background row
 * items[k].z with, for each bit p of items[k].key, input player[p] taken
 * from x. Rows are built and predicted `batch` at a time.
 */
int evaluator_mix(evaluator *ev, const double *x, const mg_explain_background *bg,
                  const size_t *player, const mix_item *items, size_t n, double *vals);

/*
 * The players of x's game: the inputs where some background row differs from
 * x (shap's "varying" columns; the others have phi 0). Writes their input
 * indices to player (room for inputs) and returns how many.
 */
size_t varying_players(size_t *player, const mg_explain_model *m, const mg_explain_background *bg,
                       const double *x);

/* Bit p set when background row z differs from x on input player[p] (M <= 64). */
uint64_t differing_players(const double *x, const double *z, const size_t *player, size_t M);

/* Number of worker threads to use for `rows` rows. */
size_t runner_threads(size_t requested, size_t rows);

#endif
