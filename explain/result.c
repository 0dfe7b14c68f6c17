/* result.c - the explanation's fields, global importance and the DESIGN §3 JSON. */
#include "result.h"
#include "runner.h"

#include "mg_error.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"kernel-shap", "exact", "linear", "lime"};

const char *mg_explain_method_name(mg_explain_method m)
{
    return (unsigned)m < 4 ? method_names[m] : NULL;
}

int mg_explain_method_parse(mg_explain_method *out, const char *name)
{
    for (unsigned i = 0; i < 4; i++)
        if (name && strcmp(name, method_names[i]) == 0) {
            *out = (mg_explain_method)i;
            return MG_OK;
        }
    return mg_error_set(MG_EINVAL,
                        "unknown explain method '%s' (kernel-shap, exact, linear or lime)",
                        name ? name : "");
}

const char *mg_explain_link_name(mg_explain_link l)
{
    return l == MG_EXPLAIN_LOGIT ? "logit" : "identity";
}

double link_apply(mg_explain_link link, double p)
{
    if (link == MG_EXPLAIN_LOGIT)
        return log(p / (1.0 - p));
    return p;
}

int result_alloc(mg_explain_result **out, mg_explain_method method, const mg_explain_model *m,
                 const size_t *ids, size_t n, int lime)
{
    mg_explain_result *r = calloc(1, sizeof(*r));
    size_t in = m->inputs, cells = n * in;

    *out = NULL;
    if (!r)
        return mg_error_set(MG_ENOMEM, "out of memory");
    r->method = method;
    r->rows = n;
    r->inputs = in;
    r->base_value = NAN;
    r->names = calloc(in, sizeof(char *));
    r->ids = malloc((n ? n : 1) * sizeof(size_t));
    r->prediction = calloc(n ? n : 1, sizeof(double));
    r->phi = calloc(cells ? cells : 1, sizeof(double));
    r->global = calloc(in, sizeof(double));
    if (!r->names || !r->ids || !r->prediction || !r->phi || !r->global)
        goto oom;
    for (size_t i = 0; i < in; i++)
        if (!(r->names[i] = strdup(m->names[i])))
            goto oom;
    for (size_t i = 0; i < n; i++)
        r->ids[i] = ids ? ids[i] : i;
    if (lime) {
        r->intercept = calloc(n ? n : 1, sizeof(double));
        r->r2 = calloc(n ? n : 1, sizeof(double));
        r->local_prediction = calloc(n ? n : 1, sizeof(double));
        r->rules = calloc(cells ? cells : 1, sizeof(char *));
        if (!r->intercept || !r->r2 || !r->local_prediction || !r->rules)
            goto oom;
    }
    *out = r;
    return MG_OK;
oom:
    mg_explain_result_free(r);
    return mg_error_set(MG_ENOMEM, "out of memory");
}

void mg_explain_result_free(mg_explain_result *r)
{
    if (!r)
        return;
    if (r->names)
        for (size_t i = 0; i < r->inputs; i++)
            free(r->names[i]);
    if (r->rules)
        for (size_t i = 0; i < r->rows * r->inputs; i++)
            free(r->rules[i]);
    free(r->names);
    free(r->ids);
    free(r->prediction);
    free(r->phi);
    free(r->global);
    free(r->intercept);
    free(r->r2);
    free(r->local_prediction);
    free(r->rules);
    free(r);
}

void result_global(mg_explain_result *r)
{
    for (size_t i = 0; i < r->inputs; i++) {
        double s = 0;
        for (size_t k = 0; k < r->rows; k++)
            s += fabs(r->phi[k * r->inputs + i]);
        r->global[i] = r->rows ? s / (double)r->rows : 0.0;
    }
}

int row_counters(size_t **evals, size_t **nominal, size_t n)
{
    *evals = calloc(n ? n : 1, sizeof(size_t));
    *nominal = calloc(n ? n : 1, sizeof(size_t));
    if (!*evals || !*nominal) {
        free(*evals);
        free(*nominal);
        *evals = *nominal = NULL;
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    return MG_OK;
}

void result_count(mg_explain_result *r, const size_t *evals, const size_t *nominal,
                  size_t background)
{
    r->evaluations = r->nominal_evaluations = background;
    for (size_t k = 0; k < r->rows; k++) {
        r->evaluations += evals[k];
        r->nominal_evaluations += nominal[k];
    }
}

int result_check_args(const mg_explain_model *m, const mg_explain_background *bg, const double *raw,
                      size_t n)
{
    if (!m)
        return mg_error_set(MG_EINVAL, "explain: no model");
    if (n > 0 && !raw)
        return mg_error_set(MG_EINVAL, "explain: no rows to explain");
    if (bg && bg->inputs != m->inputs)
        return mg_error_set(MG_EINVAL, "explain: background has %zu columns, the model %zu",
                            bg->inputs, m->inputs);
    if (bg && bg->n == 0)
        return mg_error_set(MG_EINVAL, "explain: empty background");
    if (bg && bg->n > UINT32_MAX)
        return mg_error_set(MG_EINVAL, "explain: background of %zu rows is too large", bg->n);
    return MG_OK;
}

int background_mean_prediction(double *out, const mg_explain_model *m,
                               const mg_explain_background *bg, size_t batch)
{
    evaluator ev;
    double *vals = malloc(bg->n * sizeof(double)), s = 0, w = 0;
    int rc;

    if (!vals)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = evaluator_init(&ev, m, batch)) < 0)
        goto done;
    if ((rc = evaluator_predict(&ev, bg->raw, bg->n, vals)) < 0)
        goto done;
    for (size_t z = 0; z < bg->n; z++) {
        s += bg->weight[z] * vals[z];
        w += bg->weight[z];
    }
    *out = s / w;
done:
    evaluator_free(&ev);
    free(vals);
    return rc;
}

/* A JSON number, or null for NaN / infinity (JSON has neither). */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int row_to_json(json_t *rows, const mg_explain_result *r, size_t k)
{
    json_t *row = json_object(), *phi = json_object(), *rules = NULL;
    int bad = !row || !phi;

    bad |= json_array_append_new(rows, row);
    bad |= json_object_set_new(row, "row", json_integer((json_int_t)r->ids[k]));
    bad |= json_object_set_new(row, "prediction", num(r->prediction[k]));
    bad |= json_object_set_new(row, "phi", phi);
    for (size_t i = 0; i < r->inputs; i++)
        bad |= json_object_set_new(phi, r->names[i], num(r->phi[k * r->inputs + i]));
    if (r->method == MG_EXPLAIN_LIME) {
        bad |= json_object_set_new(row, "intercept", num(r->intercept[k]));
        bad |= json_object_set_new(row, "r2", num(r->r2[k]));
        bad |= json_object_set_new(row, "local_prediction", num(r->local_prediction[k]));
        bad |= !(rules = json_object());
        bad |= json_object_set_new(row, "rules", rules);
        for (size_t i = 0; rules && i < r->inputs; i++)
            if (r->rules[k * r->inputs + i])
                bad |= json_object_set_new(rules, r->names[i],
                                           json_string(r->rules[k * r->inputs + i]));
    }
    return bad ? MG_ENOMEM : MG_OK;
}

json_t *mg_explain_result_to_json(const mg_explain_result *r)
{
    json_t *doc = json_object(), *rows = json_array(), *global = json_object();
    int bad = !doc || !rows || !global;

    bad |= json_object_set_new(doc, "method", json_string(mg_explain_method_name(r->method)));
    bad |= json_object_set_new(doc, "link", json_string(mg_explain_link_name(r->link)));
    bad |= json_object_set_new(doc, "base_value", num(r->base_value));
    bad |= json_object_set_new(doc, "rows", rows);
    for (size_t k = 0; !bad && k < r->rows; k++)
        bad |= row_to_json(rows, r, k) < 0;
    bad |= json_object_set_new(doc, "global", global);
    for (size_t i = 0; global && i < r->inputs; i++)
        bad |= json_object_set_new(global, r->names[i], num(r->global[i]));
    if (bad) {
        json_decref(doc);
        mg_error_set(MG_ENOMEM, "out of memory");
        return NULL;
    }
    return doc;
}
