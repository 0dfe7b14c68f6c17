/* train.h - a training run from a JSON spec, for the API's training jobs (not public). */
#ifndef WEB_TRAIN_H
#define WEB_TRAIN_H

#include <jansson.h>

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

#endif
