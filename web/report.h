/* report.h - bias and explainability reports of a model version, for report jobs (not public). */
#ifndef WEB_REPORT_H
#define WEB_REPORT_H

#include <jansson.h>

#include "mg_model.h"
#include "route.h"

struct web_job;

/* The shape of a report spec (POST /models/{name}/versions/{v}/reports). */
extern const web_field web_report_fields[];

/*
 * Check what the shape cannot: the fields each kind needs, and no field of
 * the other kind. Errors: MG_EINVAL naming the field.
 */
int web_report_check(const json_t *spec);

/*
 * Compute the report `spec` asks for on the CSV at `data_path` with model
 * `m` (its artifact at `model_path`, for the flip test): a post-training
 * bias report (the model's predictions on the data, with the pre-training
 * metrics) or an explanation of spec.rows. Progress and cancellation go
 * through `job` (may be NULL). *out gets DESIGN §3's JSON of the report.
 * Errors: as mg_bias_report_compute / the explainers (MG_EINVAL,
 * MG_ENOTFOUND naming a column or option), MG_ECANCELED, MG_ENOMEM.
 */
int web_report_run(json_t **out, const json_t *spec, const mg_model *m, const char *model_path,
                   const char *data_path, struct web_job *job);

#endif
