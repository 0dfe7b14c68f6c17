/* mg_pipeline.h - the feature pipeline: original columns -> the model's encoded inputs. */
#ifndef MG_PIPELINE_H
#define MG_PIPELINE_H

#include <stddef.h>

#include "mg_dataset.h"

/*
 * Fitted on training rows only: numeric inputs are imputed with the training
 * mean and standardised ((x - mean) / std, std 0 -> 1); categorical inputs
 * are one-hot encoded over the training levels (missing is imputed with the
 * most frequent level; a level unseen in training encodes as all zeros and is
 * counted). The pipeline belongs to the model, so every consumer (explainers,
 * bias flip test, the API's predict) speaks in original columns.
 *
 * "Raw rows" are the pipeline's common currency: an n x inputs row-major
 * array of doubles, one per original column. A numeric input holds its value
 * (NaN = missing). A categorical input holds the index of its level in the
 * pipeline's level list (0 .. levels-1), NaN for missing, or -1 for a value
 * the pipeline never saw. Explainers build synthetic rows by mixing raw rows.
 */
typedef struct mg_pipeline mg_pipeline;

/*
 * Fit on `rows` (NULL = every row) of `ds`, using the named columns as inputs
 * in that order. Errors: MG_ENOTFOUND ("column 'x' not in FILE"), MG_EINVAL
 * (no columns, no rows), MG_ENOMEM.
 */
int mg_pipeline_fit(mg_pipeline **out, const mg_dataset *ds, const size_t *rows, size_t nrows,
                    const char *const *columns, size_t ncolumns);

/* An identity pipeline: `n` numeric inputs, no scaling (hand-written models). */
int mg_pipeline_identity(mg_pipeline **out, const char *const *names, size_t n);

void mg_pipeline_free(mg_pipeline *p); /* NULL is a no-op */

/* Getters: cannot fail; strings borrowed while `p` lives. */
size_t mg_pipeline_inputs(const mg_pipeline *p); /* original columns */
size_t mg_pipeline_width(const mg_pipeline *p);  /* encoded features */
const char *mg_pipeline_input_name(const mg_pipeline *p, size_t i);
mg_coltype mg_pipeline_input_type(const mg_pipeline *p, size_t i);
size_t mg_pipeline_input_levels(const mg_pipeline *p, size_t i); /* 0 for numeric */
const char *mg_pipeline_input_level(const mg_pipeline *p, size_t i, size_t level);
/* Encoded columns [offset, offset + span) come from input i. */
size_t mg_pipeline_input_offset(const mg_pipeline *p, size_t i);
size_t mg_pipeline_input_span(const mg_pipeline *p, size_t i);
/* "age" or "sex=Female": the name of encoded feature f. */
const char *mg_pipeline_feature_name(const mg_pipeline *p, size_t f);

/*
 * Raw rows for `rows` (NULL = all) of `ds`, matched to the inputs by column
 * name. `raw` has room for n x inputs doubles. *unknown (may be NULL) counts
 * categorical values the pipeline never saw. Errors: MG_ENOTFOUND (an input
 * column missing from ds, named), MG_EINVAL (a numeric input is categorical in
 * ds, named).
 */
int mg_pipeline_raw_from_dataset(double *raw, size_t *unknown, const mg_pipeline *p,
                                 const mg_dataset *ds, const size_t *rows, size_t n);

/*
 * One raw value of input i from text (the API's predict, the bias flip test).
 * NULL or a missing token gives NaN. Errors: MG_EINVAL (non-number for a
 * numeric input, naming the column).
 */
int mg_pipeline_raw_parse(double *value, const mg_pipeline *p, size_t i, const char *text);

/*
 * Encode n raw rows into X (n x width, row-major). Cannot fail; returns the
 * number of unknown categorical values met.
 */
size_t mg_pipeline_transform(const mg_pipeline *p, const double *raw, size_t n, double *X);

/* jansson serialisation (the "pipeline" object of the .mgm format). */
struct json_t;
/* A new JSON object, or NULL on ENOMEM (error set). */
struct json_t *mg_pipeline_to_json(const mg_pipeline *p);
/* Errors: MG_EPARSE naming `where` and the field at fault, MG_ENOMEM. */
int mg_pipeline_from_json(mg_pipeline **out, const struct json_t *j, const char *where);

#endif
