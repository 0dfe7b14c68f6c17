/* predict.c - {"instances":[{col: value}]} -> raw rows -> {"predictions":[…]}. */
#include "predict.h"

#include "mg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSTANCES 10000

const web_field web_predict_fields[] = {
    {"instances", WEB_ARRAY, 1, "rows to predict: objects of original column -> value", NULL,
     WEB_OBJECT, NULL},
    {"signature_name", WEB_STRING, 0, "accepted for TF Serving clients; ignored", NULL, WEB_ANY,
     NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

/* One value of instance i into raw[col]. */
static int parse_value(double *raw, const mg_pipeline *p, size_t col, const json_t *v, size_t i)
{
    char text[64];
    const char *s = NULL;

    if (!v || json_is_null(v))
        s = NULL;
    else if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_number(v)) {
        snprintf(text, sizeof text, "%.17g", json_number_value(v));
        s = text;
    } else if (json_is_boolean(v))
        s = json_is_true(v) ? "true" : "false";
    else
        return mg_error_set(MG_EINVAL, "instances[%zu].%s: expected a number, a string or null",
                            i, mg_pipeline_input_name(p, col));
    if (mg_pipeline_raw_parse(raw, p, col, s) < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mg_error_last());
        return mg_error_set(MG_EINVAL, "instances[%zu]: %s", i, msg);
    }
    return MG_OK;
}

static int fill_raw(double *raw, const mg_pipeline *p, const json_t *inst)
{
    size_t ni = mg_pipeline_inputs(p), i;
    json_t *row;
    int rc;

    json_array_foreach(inst, i, row)
    {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)row, key, v)
        {
            size_t c;
            for (c = 0; c < ni && strcmp(mg_pipeline_input_name(p, c), key) != 0; c++)
                ;
            if (c == ni)
                return mg_error_set(MG_EINVAL, "instances[%zu]: the model has no input column "
                                               "'%s'",
                                    i, key);
        }
        for (size_t c = 0; c < ni; c++) {
            const char *name = mg_pipeline_input_name(p, c);
            if (!json_object_get(row, name))
                return mg_error_set(MG_EINVAL,
                                    "instances[%zu]: missing column '%s' (send null for a missing "
                                    "value)",
                                    i, name);
            if ((rc = parse_value(&raw[i * ni + c], p, c, json_object_get(row, name), i)) < 0)
                return rc;
        }
    }
    return MG_OK;
}

int web_predict(json_t **out, const mg_model *m, const json_t *body)
{
    const json_t *inst = json_object_get(body, "instances");
    const mg_pipeline *p = mg_model_pipeline(m);
    size_t n = json_array_size(inst), ni = mg_pipeline_inputs(p), k = mg_model_outputs(m);
    double *raw = NULL, *pred = NULL;
    json_t *preds = NULL;
    int rc;

    *out = NULL;
    if (n == 0)
        return mg_error_set(MG_EINVAL, "field 'instances': no rows to predict");
    if (n > MAX_INSTANCES)
        return mg_error_set(MG_EINVAL, "field 'instances': %zu rows; at most %d per request", n,
                            MAX_INSTANCES);
    if (!(raw = malloc(n * ni * sizeof *raw)) || !(pred = malloc(n * k * sizeof *pred)) ||
        !(preds = json_array())) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fill_raw(raw, p, inst)) < 0 || (rc = mg_model_predict_raw(m, raw, n, pred)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        json_t *v;
        if (k == 1) {
            v = json_real(pred[i]);
        } else {
            v = json_array();
            for (size_t c = 0; v && c < k; c++)
                json_array_append_new(v, json_real(pred[i * k + c]));
        }
        if (!v || json_array_append_new(preds, v) < 0) {
            rc = mg_error_set(MG_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (!(*out = json_pack("{s:o}", "predictions", preds)))
        rc = mg_error_set(MG_ENOMEM, "out of memory");
    preds = NULL;
done:
    json_decref(preds);
    free(raw);
    free(pred);
    return rc;
}
