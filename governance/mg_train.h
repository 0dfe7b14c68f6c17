/* mg_train.h - one training run, the recipe the CLI's train and the API's training jobs share. */
#ifndef MG_TRAIN_H
#define MG_TRAIN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mg_dataset.h"
#include "mg_estimator.h"
#include "mg_metrics.h"
#include "mg_model.h"
#include "mg_privacy.h"

/* Whose words errors use: the CLI's flags ("--label: ...") or the API's fields ("field 'label'"). */
typedef enum mg_train_names { MG_TRAIN_FLAGS, MG_TRAIN_FIELDS } mg_train_names;

/* DP-SGD settings (privacy's Poisson sampler, clipping aggregator and accountant). */
typedef struct mg_train_dp_spec {
    int on;                  /* train with DP-SGD */
    double max_grad_norm;    /* C, > 0 */
    double noise_multiplier; /* sigma; 0 = calibrate to target_epsilon */
    double target_epsilon;   /* used when noise_multiplier is 0 */
    double delta;            /* in (0, 1) */
    double max_epsilon;      /* stop before spending past it (prior included); 0 = no cap */
    double sample_rate;      /* q; 0 = batch / training rows */
    int clamp_rate;          /* batch > training rows: q = 1 instead of MG_EINVAL */
    int insecure;            /* seeded (predictable) noise: tests only */
    uint64_t insecure_seed;
    const double *prior_rdp; /* RDP curve the data set's ledger already holds (may be NULL) */
    int with_prv;            /* also compute epsilon with the PRV accountant */
} mg_train_dp_spec;

/* Everything a run is given besides the data. Strings and arrays are borrowed. */
typedef struct mg_train_spec {
    mg_train_names names;
    const char *label;         /* label column, required */
    const char *positive;      /* positive class value (may be NULL) */
    mg_model_type model;
    const size_t *hidden;      /* MLP hidden sizes; nhidden 0 = {32, 16} for an MLP */
    size_t nhidden;
    mg_activation activation;
    mg_regression_loss loss;
    size_t epochs, batch;      /* >= 1 each */
    mg_optim_kind optimizer;
    double lr;                 /* NaN = 0.01 (Adam) or 0.1 (SGD) */
    double momentum, l2;       /* SGD momentum; L2 regularisation */
    mg_schedule schedule;      /* step: x0.1 after each third; cosine: down to 0 over the run */
    uint64_t seed;             /* split, initialisation, batches */
    double test_fraction;      /* [0, 1); ignored with test_path */
    const char *test_path;     /* CSV to evaluate on, typed by the fitted pipeline (may be NULL) */
    int stratify;              /* stratify the split by class */
    const char *const *ignore; /* columns that are not features */
    size_t nignore;
    size_t early_stopping;     /* patience in epochs on the loss; 0 = none */
    size_t log_every;          /* mg_hook_logging every this many steps; 0 = none */
    const char *model_dir;     /* checkpoints (may be NULL) */
    size_t checkpoint_every, keep_checkpoints;
    mg_train_dp_spec dp;
} mg_train_spec;

#define MG_TRAIN_SPEC_INIT                                                                        \
    {MG_TRAIN_FLAGS, NULL, NULL, MG_MODEL_LOGISTIC, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE, 10, 64,   \
     MG_OPTIM_ADAM, NAN, 0.9, 0.0, MG_SCHEDULE_CONSTANT, 1, 0.2, NULL, 0, NULL, 0, 0, 0, NULL, 0, \
     3, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0}}

/* What a run gives back. */
typedef struct mg_train_result {
    mg_estimator *est;         /* the trained model inside its estimator (for export) */
    size_t ntrain, ntest;      /* rows trained on / evaluated on */
    size_t dropped;            /* training data rows without a label */
    size_t test_dropped;       /* test_path rows without a label */
    double seconds;            /* wall time of the training loop */
    mg_metrics metrics;        /* on the test rows, when have_metrics */
    int have_metrics;
    json_t *metrics_json;      /* the same as JSON (NULL without test rows) */
    json_t *loss_curves;       /* {"train":[...],"eval":[...]} per epoch, NaN as null */
    int have_dp;
    mg_dpsgd_report dp;        /* q, sigma, C, delta, steps, epsilon (RDP, PRV), best order */
} mg_train_result;

/*
 * Train as `spec` says on `train`: label and targets, the train / test
 * split (or spec->test_path), the pipeline fit on the training rows, the
 * model, the Estimator, DP-SGD with spec->dp.on, training, evaluation. The
 * model gets its data sha256, metrics and (with DP) its "dp" training record.
 * `progress` (may be NULL) gets the fraction done and may set *cancel.
 * *out (free with mg_train_result_free) is NULL on failure. Errors:
 * MG_EINVAL / MG_ENOTFOUND naming the flag or field at fault, MG_ECONFLICT
 * (privacy budget), MG_ECANCELED, MG_EIO, MG_ENOMEM.
 */
int mg_train_run(mg_train_result **out, const mg_dataset *train, const mg_train_spec *spec,
                 mg_progress_fn progress, void *ud);

void mg_train_result_free(mg_train_result *r); /* NULL is a no-op */

/*
 * Open `path` with the model's input columns typed as its pipeline says
 * (so a non-number in a numeric input fails with file:line:column).
 * Errors: as mg_dataset_open.
 */
int mg_train_open_for_model(mg_dataset **out, const char *path, const mg_model *m);

/*
 * Encode every row of ds into X (malloc'd n x width) and, with `label`,
 * targets into *y (malloc'd; rows with a missing label are left out, their
 * count in *dropped). *n gets the rows kept, *unknown the unseen categories.
 * Errors: MG_ENOTFOUND (a column), MG_EINVAL (a label value), MG_ENOMEM.
 */
int mg_train_encode_for_model(double **X, double **y, size_t *n, size_t *dropped,
                              size_t *unknown, const mg_model *m, const mg_dataset *ds,
                              const char *label);

#endif
