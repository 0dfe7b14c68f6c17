/* mg_model.h - models (linear, logistic, softmax, MLP): predict, gradients, artifacts. */
#ifndef MG_MODEL_H
#define MG_MODEL_H

#include <stddef.h>
#include <stdint.h>

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
 *
 * Every model is a stack of dense layers z = W a + b (linear, logistic and
 * softmax have one layer, an MLP has one per hidden size plus the output
 * layer). The parameter vector holds, layer after layer, W (outputs x inputs,
 * row-major) followed by b (outputs). The head turns the last layer's z into
 * the prediction: identity (regression), sigmoid (binary: logistic and a
 * binary MLP, one output) or softmax (softmax and a K-class MLP, K outputs).
 */
typedef struct mg_model mg_model;

/* Hidden-layer activation of an MLP. */
typedef enum mg_activation { MG_ACT_RELU = 0, MG_ACT_TANH = 1 } mg_activation;

/* Loss of a regression model (classifiers use log loss / cross-entropy). */
typedef enum mg_regression_loss { MG_LOSS_MSE = 0, MG_LOSS_MAE = 1 } mg_regression_loss;

/*
 * What to build. `classes` decides the head: 0 = regression (linear, MLP),
 * 2 = binary (logistic, MLP; class 1 is the positive class), K >= 2 with
 * type softmax, or K >= 3 with an MLP = K-class softmax.
 */
typedef struct mg_model_spec {
    mg_model_type type;
    size_t inputs;                  /* encoded width; used when there is no pipeline */
    const char *label;              /* label column name; NULL = "label" */
    size_t classes;                 /* see above */
    const char *const *class_names; /* `classes` names; NULL = "0", "1", ... */
    const size_t *hidden;           /* MLP hidden sizes (may be empty: nhidden 0) */
    size_t nhidden;
    mg_activation activation;     /* MLP hidden layers */
    mg_regression_loss loss;      /* regression models */
} mg_model_spec;

#define MG_MODEL_SPEC_INIT {MG_MODEL_LINEAR, 0, NULL, 0, NULL, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE}

/*
 * A new model with every parameter 0 (call mg_model_init_params to start
 * training). `pipeline` is taken over (freed by the model, also on failure);
 * it may be NULL, then the model only predicts from encoded rows
 * (spec->inputs wide) and cannot be saved. Errors: MG_EINVAL (naming what is
 * inconsistent: classes for the type, a zero width or hidden size), MG_ENOMEM.
 */
int mg_model_create(mg_model **out, const mg_model_spec *spec, mg_pipeline *pipeline);

/*
 * Seeded initialisation: He normal (std sqrt(2 / fan_in)) for layers followed
 * by ReLU, Xavier/Glorot uniform (+-sqrt(6 / (fan_in + fan_out))) for the
 * others; biases 0. Same seed, same bits. Cannot fail.
 */
void mg_model_init_params(mg_model *m, uint64_t seed);

/*
 * A deep copy (pipeline, parameters, metadata). Errors: MG_EINVAL (a
 * weight is NaN or infinite), MG_ENOMEM.
 */
int mg_model_copy(mg_model **out, const mg_model *m);

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

/*
 * The fast path of ordinary training: the gradient of the summed loss over
 * the B rows (= the column sums of mg_model_per_example_grads' G, without
 * forming it) into grad (params values), and the summed loss into *loss_sum
 * (may be NULL). Errors: MG_EINVAL (a class index out of range), MG_ENOMEM.
 */
int mg_model_batch_grad(double *grad, double *loss_sum, const mg_model *m, const double *X,
                        const double *y, size_t B);

/*
 * Per-example clipping without the B x params matrix: the L2 norm of each
 * example's loss gradient into norms[B] (exact and cheap: in a dense layer
 * an example's weight gradient is the outer product delta a^T, of norm
 * |delta| |a|), then weigh(ud, w, norms, B) sets a weight w[b] per example,
 * and grad (params values) gets sum_b w[b] * gradient_b, one GEMM per layer:
 * what weighting and summing the rows of mg_model_per_example_grads' G gives.
 * loss_sum may be NULL. Errors: MG_EINVAL (a target), MG_ENOMEM, weigh's codes.
 */
int mg_model_weighted_grad(double *grad, double *norms, double *loss_sum, const mg_model *m,
                           const double *X, const double *y, size_t B,
                           int (*weigh)(void *ud, double *w, const double *norms, size_t B),
                           void *ud);

/* The summed loss over n encoded rows. Errors: MG_EINVAL, MG_ENOMEM. */
int mg_model_loss(double *loss_sum, const mg_model *m, const double *X, const double *y,
                  size_t n);

/*
 * The class a prediction row (mg_model_outputs values) stands for: the
 * positive class (1) when a binary probability is > 0.5, else 0; the argmax
 * for softmax. 0 for regression. Cannot fail.
 */
size_t mg_model_decide(const mg_model *m, const double *pred);

/* Layer structure: layers (>= 1), the sizes of layer l, hidden activation. */
size_t mg_model_layers(const mg_model *m);
void mg_model_layer_shape(const mg_model *m, size_t layer, size_t *inputs, size_t *outputs);
mg_activation mg_model_activation(const mg_model *m);
mg_regression_loss mg_model_regression_loss(const mg_model *m);
size_t mg_model_inputs(const mg_model *m); /* encoded width */
/* 1 for a parameter that is a weight (L2 applies), 0 for a bias. Cannot fail. */
int mg_model_param_is_weight(const mg_model *m, size_t i);

/*
 * Metadata carried by the artifact (DESIGN §7). Each getter returns a JSON
 * object owned by the model (never NULL; empty until set) which the caller
 * may modify in place: "training" holds the run's settings (seed, optimizer,
 * lr, epochs, ...; privacy adds a "dp" object), "metrics" the evaluation,
 * "curves" the per-epoch loss curves. Borrowed while `m` lives.
 */
struct json_t *mg_model_training(mg_model *m);
struct json_t *mg_model_metrics(mg_model *m);
struct json_t *mg_model_curves(mg_model *m);
const struct json_t *mg_model_training_const(const mg_model *m);
const struct json_t *mg_model_metrics_const(const mg_model *m);
const struct json_t *mg_model_curves_const(const mg_model *m);

/* SHA-256 (hex) of the training data, "" when unknown. Borrowed. */
const char *mg_model_data_sha256(const mg_model *m);
/* Errors: MG_EINVAL (not 64 hex digits). */
int mg_model_set_data_sha256(mg_model *m, const char *hex);

/*
 * The whole artifact as a new JSON object (the .mgm document), or NULL on
 * failure with the error set (MG_EINVAL: no pipeline, or a weight that is NaN
 * or infinite; MG_ENOMEM).
 */
struct json_t *mg_model_to_json(const mg_model *m);

/* Build a model from a .mgm document. Errors: as mg_model_load (MG_EPARSE naming `where`). */
int mg_model_from_json(mg_model **out, const struct json_t *doc, const char *where);

/*
 * The distinct non-missing values of column `col` of ds over rows[0..nrows)
 * (rows NULL = every row), sorted: text in byte order, numbers numerically
 * (named with the shortest spelling that reads back exactly). With
 * `positive` (may be NULL) there must be exactly two values and `positive`
 * is put last, so it becomes class 1. *names is a malloc'd array of malloc'd
 * strings: free with mg_label_classes_free. Errors: MG_EINVAL (fewer than two
 * values, "the label 'x' has only one value 'v'"; `positive` absent; more
 * than two values with `positive`), MG_ENOMEM.
 */
int mg_label_classes(char ***names, size_t *n, const mg_dataset *ds, size_t col,
                     const size_t *rows, size_t nrows, const char *positive);
void mg_label_classes_free(char **names, size_t n);

/*
 * Targets of rows[0..n) (rows NULL = every row) of ds for the model: the
 * class index of each value of column `col` (classifiers) or its number
 * (regression); NaN for a missing label. Errors: MG_EINVAL (a value that is
 * none of the model's classes, naming the row and the value; a text label for
 * a regression model), MG_ENOMEM.
 */
int mg_model_targets(double *y, const mg_model *m, const mg_dataset *ds, size_t col,
                     const size_t *rows, size_t n);

/*
 * Encode rows[0..n) (rows NULL = every row, n ignored) of ds for the model:
 * *X gets a malloc'd n x mg_model_inputs array through the model's pipeline;
 * with label_col >= 0, *y a malloc'd array of targets (mg_model_targets; NaN
 * for a missing label). *unknown (may be NULL) counts categorical values the
 * pipeline never saw. Errors: MG_EINVAL (no pipeline, a label value),
 * MG_ENOTFOUND (an input column missing from ds), MG_ENOMEM.
 */
int mg_model_encode(double **X, double **y, size_t *unknown, const mg_model *m,
                    const mg_dataset *ds, long label_col, const size_t *rows, size_t n);

#endif
