/* predict.h - TF Serving's REST predict shape over a model's raw columns (not public). */
#ifndef WEB_PREDICT_H
#define WEB_PREDICT_H

#include <jansson.h>

#include "mg_model.h"
#include "route.h"

/* {"instances": [...], "signature_name"?} */
extern const web_field web_predict_fields[];

/*
 * Predict `body`'s instances (objects of original column -> value; numbers,
 * strings or null for missing) with `m`, its pipeline applied to the raw
 * values. *out gets {"predictions": [...]}: one number per instance for a
 * linear or binary model (the value, P(positive class)), an array of class
 * probabilities for a K-class model. Errors: MG_EINVAL naming the instance
 * and column (missing column, unknown column, non-number in a numeric
 * column, too many instances), MG_ENOMEM.
 * Thread safety: only reads `m`.
 */
int web_predict(json_t **out, const mg_model *m, const json_t *body);

#endif
