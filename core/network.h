/* network.h - inside of mg_model: the layer stack and batched forward/backward passes. */
#ifndef NETWORK_H
#define NETWORK_H

#include <stddef.h>

#include "mg_model.h"

struct json_t;

typedef enum model_head { HEAD_IDENTITY = 0, HEAD_SIGMOID = 1, HEAD_SOFTMAX = 2 } model_head;

struct mg_model {
    mg_model_type type;
    mg_pipeline *pipeline; /* NULL: encoded rows only */
    size_t inputs;         /* encoded width */
    char *label;
    size_t classes;
    char **class_names;
    model_head head;
    mg_regression_loss loss;
    mg_activation activation;
    size_t nlayers;
    size_t *sizes;   /* nlayers + 1 widths: sizes[0] = inputs */
    size_t *offsets; /* W of layer l at params + offsets[l]; its b right after W */
    size_t nparams;
    double *params;
    struct json_t *training, *metrics, *curves;
    char data_sha256[65];
};

/*
 * Reusable buffers for passes over up to `rows` rows: activations of every
 * layer and two delta buffers. The estimator keeps one for a whole run; the
 * public one-shot functions make their own (so `const mg_model` stays safe to
 * share between threads).
 */
/*
 * A batch of encoded rows in compressed sparse rows: row r's non-zeros are
 * val[ptr[r] .. ptr[r + 1]) in the columns col[...], in column order.
 */
typedef struct model_csr {
    size_t rows, cap; /* rows held; room for cap non-zeros and cap_rows rows */
    size_t cap_rows;
    size_t *ptr;      /* rows + 1 */
    unsigned *col;
    double *val;
} model_csr;

typedef struct model_scratch {
    size_t rows;
    double **act; /* act[1..nlayers]: rows x sizes[l]; act[0] is the input */
    double *delta[2];
    double *ones;
    double *block;      /* everything above, one allocation */
    double *deltas;     /* every layer's delta (model_backprop_weighted), deltas_rows rows */
    size_t deltas_rows;
    model_csr csr;      /* the sparse batch (model_csr_gather) */
    double *wt, *gwt;   /* the first layer's W and its gradient transposed (sparse passes) */
} model_scratch;

#define MODEL_SCRATCH_INIT {0, NULL, {NULL, NULL}, NULL, NULL, NULL, 0, {0, 0, 0, NULL, NULL, NULL}, NULL, NULL}

/*
 * Encoded inputs with less than this share of non-zeros train through the
 * sparse first layer, when that layer has at least MODEL_SPARSE_MIN_WIDTH
 * outputs: the CSR gather scans every input once, which only pays when the
 * products it saves are wide (a logistic model's single output is not).
 */
#define MODEL_SPARSE_DENSITY 0.30
#define MODEL_SPARSE_MIN_WIDTH 8

/* 1 when training m on the n rows of X should take the sparse first layer (rule above). */
int model_sparse_pays(const mg_model *m, const double *X, size_t n);

/*
 * Share of non-zero values in n rows of `width` encoded inputs, counted on
 * up to 256 rows spread evenly over the data (so it does not depend on which
 * batch comes first). 1 when n or width is 0.
 */
double model_input_density(const double *X, size_t n, size_t width);

/*
 * Copy rows[0..n) of X (width = the model's inputs) into s->csr, keeping only
 * the non-zeros. Errors: MG_ENOMEM.
 */
int model_csr_gather(model_scratch *s, const mg_model *m, const double *X, const size_t *rows,
                     size_t n);

/* Make room for `rows` rows. Errors: MG_ENOMEM. */
int model_scratch_reserve(model_scratch *s, const mg_model *m, size_t rows);
void model_scratch_free(model_scratch *s);

/*
 * Forward B encoded rows; the head's outputs (B x mg_model_outputs) go to
 * `out`. Needs a scratch reserved for B rows.
 */
void model_forward(model_scratch *s, const mg_model *m, const double *X, size_t B, double *out);

/*
 * Forward and backward B rows. Any of grad (summed gradient, params values),
 * G (B x params per-example gradients), loss (B per-example losses) and
 * loss_sum may be NULL. Errors: MG_EINVAL (a target that is not a class
 * index of the model).
 */
int model_backprop(model_scratch *s, const mg_model *m, const double *X, const double *y,
                   size_t B, double *grad, double *G, double *loss, double *loss_sum);

/*
 * model_backprop with the batch in s->csr (model_csr_gather, B rows): the
 * first layer's forward pass and weight gradient visit the non-zeros only,
 * and nobody needs the gradient with respect to the inputs. The summed
 * gradient equals model_backprop's on the dense rows up to rounding. grad and
 * loss_sum may be NULL. Errors: MG_EINVAL (a bad target), MG_ENOMEM.
 */
int model_backprop_csr(model_scratch *s, const mg_model *m, const double *y, size_t B,
                       double *grad, double *loss_sum);

/* Per-example weights from per-example gradient norms (see mg_model_weighted_grad). */
typedef int (*model_weigh_fn)(void *ud, double *w, const double *norms, size_t B);

/*
 * Forward and backward B rows keeping every layer's delta: norms[b] gets the
 * L2 norm of example b's gradient, weigh(ud, w, norms, B) its weight, and
 * grad the weighted sum of the examples' gradients (mg_model_weighted_grad).
 * norms and w have B slots; loss_sum may be NULL. Needs a scratch reserved
 * for B rows. Errors: MG_EINVAL (a bad target), MG_ENOMEM, weigh's codes.
 */
int model_backprop_weighted(model_scratch *s, const mg_model *m, const double *X, const double *y,
                            size_t B, double *norms, double *w, model_weigh_fn weigh, void *ud,
                            double *grad, double *loss_sum);

/*
 * model_backprop_weighted with the batch in s->csr (model_csr_gather, B rows):
 * the first layer's forward pass, its |x_b|^2 and its weighted weight
 * gradient visit the non-zeros only. Norms and grad equal the dense pass's up
 * to rounding. Errors: as model_backprop_weighted, MG_EINVAL (no such batch).
 */
int model_backprop_weighted_csr(model_scratch *s, const mg_model *m, const double *y, size_t B,
                                double *norms, double *w, model_weigh_fn weigh, void *ud,
                                double *grad, double *loss_sum);

/* Write a JSON document to path atomically, doubles with 17 digits. Errors: MG_EIO, MG_ENOMEM. */
int model_write_json(const struct json_t *doc, const char *path);

/*
 * Read a whole .mgm file as JSON (duplicate keys refused). Errors:
 * MG_ENOTFOUND, MG_EIO, MG_ETOOBIG, MG_EPARSE ("FILE:LINE:COL: ..."), MG_ENOMEM.
 */
int model_read_json(struct json_t **doc, const char *path);

#endif
