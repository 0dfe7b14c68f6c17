/* train.h - a training run from a JSON spec, for the API's training jobs (not public). */
#ifndef WEB_TRAIN_H
#define WEB_TRAIN_H

#include <jansson.h>

#include "mg_estimator.h"
#include "route.h"

struct web_job;

/* The shape of a training spec (POST /models/{name}/versions with JSON). */
extern const web_field web_train_fields[];

/*
 * Check the values of a spec whose shape already passed web_train_fields:
 * model type, sizes, shares, the DP settings. Errors: MG_EINVAL naming the
 * field at fault.
 */
int web_train_check(const json_t *spec);

/*
 * Train as `spec` says on the CSV at `data_path` (whose sha256 is
 * `data_sha256`), holding out spec.test_fraction for evaluation, and write
 * the .mgm artifact to `out_path`. Progress and cancellation go through
 * `job` (may be NULL). *summary gets {"metrics", "train_rows", "test_rows",
 * "steps", "dp"?}. With spec.dp, `prior_rdp` (may be NULL) is what the data
 * set already spent. Errors: MG_EINVAL / MG_ENOTFOUND (a column, the label,
 * a DP setting, naming it), MG_ECONFLICT (privacy budget), MG_ECANCELED,
 * MG_EIO, MG_ENOMEM.
 */
int web_train_run(json_t **summary, const json_t *spec, const char *data_path,
                  const char *data_sha256, const char *out_path, struct web_job *job,
                  const double *prior_rdp);

/*
 * With a "dp" spec: make DP-SGD for `rows` training rows and `epochs`,
 * install it on `e` and put its hook in hooks[*nh] (incrementing *nh).
 * *dp_out (freed by web_train_dp_finish) is NULL without a "dp" spec.
 * Errors: MG_EINVAL (a DP setting, named), MG_ECONFLICT (over budget), MG_ENOMEM.
 */
typedef struct web_train_dp web_train_dp;
int web_train_dp_attach(web_train_dp **dp_out, mg_estimator *e, mg_hook *hooks, size_t *nh,
                        const json_t *dp, size_t rows, size_t epochs, const double *prior_rdp);

/*
 * After training: record what DP-SGD spent in the model and as summary's
 * "dp" object, then free `dp` (NULL is a no-op). Errors: MG_ENOMEM.
 */
int web_train_dp_finish(web_train_dp *dp, mg_estimator *e, json_t *summary, int ok);

#endif
