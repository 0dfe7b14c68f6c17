/* mg_model.h - models (linear, logistic, softmax, MLP): predict, gradients, artifacts. */
#ifndef MG_MODEL_H
#define MG_MODEL_H

#include <stddef.h>

#include "mg_pipeline.h"

typedef enum mg_model_type {
    MG_MODEL_LINEAR = 0,
    MG_MODEL_LOGISTIC = 1,
    MG_MODEL_SOFTMAX = 2,
    MG_MODEL_MLP = 3
} mg_model_type;

/*
 * A model owns its pipeline, its parameters (one flat vector of doubles) and
 * its label description. The contract below is what bias, explain, privacy,
 * governance and web rely on; core/model*.c implement it.
 */
typedef struct mg_model mg_model;

/*
 * Load a .mgm artifact (docs/model-format.md). Errors: MG_ENOTFOUND,
 * MG_EPARSE ("FILE: field 'weights': ..." for a damaged or foreign file),
 * MG_ENOMEM. Never crashes on any input.
 */
int mg_model_load(mg_model **out, const char *path);

/* Save as a .mgm (numbers with 17 significant digits; written atomically). Errors: MG_EIO. */
int mg_model_save(const mg_model *m, const char *path);

void mg_model_free(mg_model *m); /* NULL is a no-op */

/* Getters: cannot fail; borrowed while `m` lives. */
mg_model_type mg_model_kind(const mg_model *m);
const char *mg_model_type_name(mg_model_type t); /* "linear", "logistic", ... */
const mg_pipeline *mg_model_pipeline(const mg_model *m);
const char *mg_model_label(const mg_model *m); /* label column name */
/* Classes: 2 for logistic (class 1 is the positive value), K for softmax, 0 for linear. */
size_t mg_model_classes(const mg_model *m);
const char *mg_model_class_name(const mg_model *m, size_t k);
/*
 * Outputs per row of predict: 1 for linear (the value) and logistic (the
 * positive-class probability), K for softmax (class probabilities).
 */
size_t mg_model_outputs(const mg_model *m);
size_t mg_model_params(const mg_model *m); /* length of the parameter vector */
const double *mg_model_param_data(const mg_model *m);
double *mg_model_param_data_mut(mg_model *m);

/*
 * Predict from raw rows (see mg_pipeline.h): out gets n x outputs values.
 * Thread safety: const; safe from several threads at once (no shared scratch).
 * Errors: MG_ENOMEM.
 */
int mg_model_predict_raw(const mg_model *m, const double *raw, size_t n, double *out);

/* Predict from already-encoded rows X (n x pipeline width). Same contract. */
int mg_model_predict_encoded(const mg_model *m, const double *X, size_t n, double *out);

/*
 * Linear and logistic models: the weights over the encoded features (width
 * values, borrowed) and the bias, in the link space (logit for logistic).
 * Errors: MG_EINVAL for other model types.
 */
int mg_model_linear_weights(const double **w, double *bias, const mg_model *m);

/*
 * Per-example gradients of the loss, batched through the network: for B
 * encoded rows X (B x width) and targets y (B values: the value for linear,
 * 0/1 for logistic, the class index for softmax/MLP classifiers), write G
 * (B x params, row-major), row b = d loss(example b) / d params, and the
 * per-example losses into `loss` (may be NULL). Without regularisation.
 * Errors: MG_ENOMEM.
 */
int mg_model_per_example_grads(const mg_model *m, const double *X, const double *y, size_t B,
                               double *G, double *loss);

#endif
