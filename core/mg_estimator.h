/* mg_estimator.h - the Estimator: train / evaluate / predict / export with hooks and checkpoints. */
#ifndef MG_ESTIMATOR_H
#define MG_ESTIMATOR_H

#include <stddef.h>
#include <stdint.h>

#include "mg_metrics.h"
#include "mg_model.h"
#include "mg_optim.h"

/*
 * TensorFlow's Estimator in C. An estimator owns a model, an optimizer and a
 * run config; train() runs the loop
 *
 *     rows  = batch_sampler.next()              (default: seeded shuffled mini-batches)
 *     grad  = grad_aggregator(per-example grads) (default: their mean, via the fast
 *                                                  summed path, never forming B x P)
 *     grad += l2 * weights;  optimizer step;  hooks.after_step()
 *     at each epoch end: record the epoch's train loss, evaluate, hooks.after_eval()
 *     (and every run_config.eval_every steps: evaluate, hooks.after_eval())
 *
 * until max_steps or the configured epochs, a hook asking to stop, or the
 * progress callback raising its cancel flag. Same data, options, seed and
 * thread count -> bit-identical weights.
 *
 * Pluggable sampling and aggregation keep DP-SGD out of core: privacy/
 * installs a Poisson batch sampler (variable batch size, possibly empty) and
 * an aggregator that clips each row of the per-example gradient matrix and
 * adds calibrated noise. Core knows nothing about DP; privacy records its
 * settings in mg_model_training(model)'s "dp" object.
 *
 * Thread safety: one thread at a time per estimator; estimators are independent.
 */
typedef struct mg_estimator mg_estimator;

/* Encoded rows X (n x model inputs, row-major) and targets y (see mg_model_per_example_grads). */
typedef struct mg_input {
    const double *X;
    const double *y;
    size_t n;
} mg_input;

/* Where and how often the run keeps state (tf.estimator.RunConfig). */
typedef struct mg_run_config {
    const char *model_dir;   /* checkpoints "ckpt-<step>.mgm" go here; NULL = none */
    size_t checkpoint_every; /* steps between checkpoints (0: at the end of train only) */
    size_t keep_checkpoints; /* newest K kept, older ones deleted (0 = keep all) */
    uint64_t seed;           /* initialisation and batch order */
    size_t eval_every;       /* also evaluate every N steps (0: at epoch ends only) */
} mg_run_config;

#define MG_RUN_CONFIG_INIT {NULL, 0, 3, 1, 0}

/* What to train with. */
typedef struct mg_train_options {
    size_t epochs;     /* passes over the data when train() gets max_steps 0 */
    size_t batch_size; /* default sampler's mini-batch size */
    mg_optim_options optim;
    int init_params;   /* 1: seeded He/Xavier init at create; 0: keep the model's weights */
} mg_train_options;

#define MG_TRAIN_OPTIONS_INIT {10, 64, MG_OPTIM_OPTIONS_INIT, 1}

/*
 * Picks the rows of each batch. next() sets *rows (borrowed until the next
 * call) and *count (0 is allowed: an empty Poisson batch) and returns MG_OK
 * or a negative MG_E*. begin() (may be NULL) is called once per train() with
 * the number of training rows. `steps_per_epoch` defines the epoch the loss
 * curves and evaluations follow (for Poisson sampling with rate q: 1/q).
 */
typedef struct mg_batch_sampler {
    void *ud;
    int (*begin)(void *ud, size_t n);
    int (*next)(void *ud, const size_t **rows, size_t *count);
    size_t steps_per_epoch;
} mg_batch_sampler;

/*
 * Turns the per-example gradients of a batch into the update gradient.
 * `G` is count x P (row b = gradient of example b's loss, no L2), writable
 * in place (clip it); NULL when count is 0. Write P values to `grad`: the
 * gradient of the mean loss the optimizer will follow. `step` is the global
 * step being taken (0-based). Return MG_OK or a negative MG_E*.
 */
typedef struct mg_grad_aggregator {
    void *ud;
    int (*aggregate)(void *ud, double *grad, double *G, size_t count, size_t P, size_t step);
} mg_grad_aggregator;

/*
 * The fast path of per-example clipping (DP-SGD): with a clipper installed
 * the estimator never forms G. It hands each example's gradient L2 norm to
 * weigh(), which writes a weight w[b] per example (count may be 0: weigh is
 * then not called), forms grad = sum_b w[b] * gradient_b (one GEMM per
 * layer, mg_model_weighted_grad), and finish() turns that into the gradient
 * of the mean loss the optimizer will follow (noise, scaling). Both return
 * MG_OK or a negative MG_E*. A clipper takes precedence over an aggregator.
 */
typedef struct mg_grad_clipper {
    void *ud;
    int (*weigh)(void *ud, double *w, const double *norms, size_t count);
    int (*finish)(void *ud, double *grad, size_t count, size_t P, size_t step);
} mg_grad_clipper;

/* What hooks see after a step or an evaluation. */
typedef struct mg_train_state {
    size_t step;         /* global steps done */
    size_t epoch;        /* epochs completed */
    size_t total_steps;  /* where this train() call ends (absent a stop) */
    size_t batch;        /* rows in the last batch */
    double loss;         /* mean loss of the last batch */
    double lr;           /* learning rate of the last step */
    double train_loss;   /* mean loss over the last completed epoch (NaN before) */
    double eval_loss;    /* loss on the eval input at the last evaluation (NaN before) */
    const mg_metrics *eval; /* the last evaluation's metrics; NULL before */
} mg_train_state;

/*
 * A hook (tf.train.SessionRunHook). Every callback may be NULL. after_step
 * and after_eval return MG_OK to go on, 1 to stop training (train() then
 * returns MG_OK), or a negative MG_E* to fail train() with it.
 * free(ud) is called by mg_hook_free().
 */
typedef struct mg_hook {
    void *ud;
    int (*begin)(void *ud, mg_estimator *e);
    int (*after_step)(void *ud, mg_estimator *e, const mg_train_state *s);
    int (*after_eval)(void *ud, mg_estimator *e, const mg_train_state *s);
    int (*end)(void *ud, mg_estimator *e, const mg_train_state *s);
    void (*free)(void *ud);
} mg_hook;

void mg_hook_free(mg_hook *h); /* releases ud; NULL-safe */

/* Log step, loss and learning rate (mg_log info) every `every` steps. Errors: MG_ENOMEM. */
int mg_hook_logging(mg_hook *out, size_t every);

/*
 * Stop when `metric` ("loss" or any mg_metrics_get name) of the eval input
 * has not improved for `patience` evaluations (one per epoch). Whether higher
 * is better follows mg_metrics_higher_is_better. Errors: MG_EINVAL, MG_ENOMEM.
 */
int mg_hook_early_stopping(mg_hook *out, const char *metric, size_t patience);

/*
 * TensorFlow's stop_if_no_decrease_hook: stop when `metric` has not
 * improved for `steps` global steps, judged at each evaluation (epoch ends,
 * and every config->eval_every steps). Errors: MG_EINVAL, MG_ENOMEM.
 */
int mg_hook_early_stopping_steps(mg_hook *out, const char *metric, size_t steps);

/* Save "ckpt-<step>.mgm" into `dir` every `every` steps, keeping the newest `keep`. */
int mg_hook_checkpoint_saver(mg_hook *out, const char *dir, size_t every, size_t keep);

/* Export the model to `path` whenever `metric` on the eval input reaches a new best. */
int mg_hook_best_exporter(mg_hook *out, const char *path, const char *metric);

/*
 * Progress: fn(ud, fraction, &cancel) after every step, fraction in [0, 1].
 * Setting *cancel = 1 stops training; train() then returns MG_ECANCELED.
 * `ud` belongs to the caller (not freed).
 */
typedef void (*mg_progress_fn)(void *ud, double fraction, int *cancel);
int mg_hook_progress(mg_hook *out, mg_progress_fn fn, void *ud);

/*
 * A new estimator for `model` (taken over; freed with the estimator, also on
 * failure). With opts->init_params the weights are initialised from
 * config->seed. config->model_dir is created when missing.
 * Errors: MG_EINVAL (an option out of range, naming it), MG_EIO, MG_ENOMEM.
 */
int mg_estimator_create(mg_estimator **out, mg_model *model, const mg_run_config *config,
                        const mg_train_options *opts);
void mg_estimator_free(mg_estimator *e); /* NULL is a no-op */

/* Install a sampler / aggregator (copied; the ud stays the caller's). NULL restores the default. */
void mg_estimator_set_batch_sampler(mg_estimator *e, const mg_batch_sampler *s);
void mg_estimator_set_grad_aggregator(mg_estimator *e, const mg_grad_aggregator *g);
void mg_estimator_set_grad_clipper(mg_estimator *e, const mg_grad_clipper *c);

/*
 * Train on `train`, evaluating on `eval` (may be NULL) at each epoch end
 * (and every config->eval_every steps; only epoch ends add to the curves).
 * Runs until the global step reaches max_steps (> 0), or else until
 * opts->epochs epochs are done; calling train() again continues. Hooks run in
 * order. Errors: MG_EINVAL (no rows, a bad target), MG_ECANCELED (progress
 * cancel), MG_EIO (checkpoints), MG_ENOMEM, or a hook's / sampler's code.
 */
int mg_estimator_train(mg_estimator *e, const mg_input *train, const mg_input *eval,
                       const mg_hook *hooks, size_t nhooks, size_t max_steps);

/*
 * Metrics of the model on `in`; release with mg_metrics_free().
 * Errors: MG_EINVAL (no rows), MG_ENOMEM.
 */
int mg_estimator_evaluate(mg_metrics *out, const mg_estimator *e, const mg_input *in);

/* n x mg_model_outputs predictions from encoded rows. Errors: MG_ENOMEM. */
int mg_estimator_predict(double *out, const mg_estimator *e, const double *X, size_t n);

/*
 * Write the model as a .mgm with its training settings ("training": seed,
 * optimizer, lr, schedule, l2, batch, epochs, steps) and loss curves
 * ("curves": train_loss, eval_loss per epoch) filled in. Errors: as
 * mg_model_save.
 */
int mg_estimator_export(mg_estimator *e, const char *path);

/*
 * Save a checkpoint (the .mgm plus a "checkpoint" object: step, epoch,
 * optimizer state, batch-order state) / restore one into an estimator made
 * with the same model shape and options, so that training continues exactly
 * as if uninterrupted (with the default sampler). mg_estimator_restore_latest
 * picks the newest ckpt-*.mgm of config->model_dir; it returns 0 when there is
 * none, 1 when it restored. Errors: MG_EPARSE (a damaged checkpoint or one of
 * another shape), MG_ENOTFOUND, MG_EIO, MG_ENOMEM.
 */
int mg_estimator_checkpoint(mg_estimator *e, const char *path);
int mg_estimator_restore(mg_estimator *e, const char *path);
int mg_estimator_restore_latest(mg_estimator *e);

/* Borrowed while `e` lives. */
const mg_model *mg_estimator_model(const mg_estimator *e);
mg_model *mg_estimator_model_mut(mg_estimator *e);
/* Hand the model to the caller (free with mg_model_free) and free the estimator. */
mg_model *mg_estimator_release(mg_estimator *e);

size_t mg_estimator_global_step(const mg_estimator *e);
size_t mg_estimator_epoch(const mg_estimator *e);
double mg_estimator_lr(const mg_estimator *e);
const mg_run_config *mg_estimator_config(const mg_estimator *e);
const mg_train_options *mg_estimator_options(const mg_estimator *e);

/* Per-epoch loss curves; *n gets their length. Borrowed. eval_loss is NaN without eval input. */
const double *mg_estimator_train_loss(const mg_estimator *e, size_t *n);
const double *mg_estimator_eval_loss(const mg_estimator *e, size_t *n);

/* The task of the model's head (regression, binary, multiclass). */
mg_task mg_model_task(const mg_model *m);

#endif
