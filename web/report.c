/* report.c - a version's bias report (post-training, from its predictions) or explanation. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "jobs.h"

#include "mg_bias.h"
#include "mg_buf.h"
#include "mg_csv.h"
#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_explain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"bias", "explain", NULL};
static const char *const methods[] = {"kernel-shap", "exact", "linear", "lime", NULL};

const web_field web_report_fields[] = {
    {"kind", WEB_STRING, 1, "bias or explain", NULL, WEB_ANY, kinds},
    {"dataset", WEB_STRING, 1, "data set: its id or sha256", NULL, WEB_ANY, NULL},
    {"label", WEB_STRING, 0, "bias: label column", NULL, WEB_ANY, NULL},
    {"positive", WEB_STRING, 0, "bias: positive label value(s), comma separated, or >=NUMBER",
     NULL, WEB_ANY, NULL},
    {"facet", WEB_STRING, 0, "bias: sensitive group, COL=V1,V2 or COL>=N", NULL, WEB_ANY, NULL},
    {"group", WEB_STRING, 0, "bias: group column for CDDL / CDDPL", NULL, WEB_ANY, NULL},
    {"metrics", WEB_STRING, 0, "bias: metrics to compute, CI,DPL,... (default all)", NULL,
     WEB_ANY, NULL},
    {"bootstrap", WEB_INTEGER, 0, "bias: bootstrap samples for 95% intervals", NULL, WEB_ANY,
     NULL},
    {"method", WEB_STRING, 0, "explain: method (default kernel-shap)", NULL, WEB_ANY, methods},
    {"rows", WEB_STRING, 0, "explain: row range A-B (default 0-9)", NULL, WEB_ANY, NULL},
    {"background", WEB_INTEGER, 0, "explain: background rows (default 100)", NULL, WEB_ANY, NULL},
    {"nsamples", WEB_INTEGER, 0, "explain: Kernel SHAP / LIME samples per row", NULL, WEB_ANY,
     NULL},
    {"seed", WEB_INTEGER, 0, "seed of bootstrap, background and sampling (default 1)", NULL,
     WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

static const char *const bias_only[] = {"label", "positive", "facet", "group", "metrics",
                                        "bootstrap", NULL};
static const char *const explain_only[] = {"method", "rows", "background", "nsamples", NULL};

/* "A-B" (inclusive) into [*first, *last]. */
static int parse_rows(size_t *first, size_t *last, const char *text)
{
    char *end;
    unsigned long long a, b;

    errno = 0;
    a = strtoull(text, &end, 10);
    if (end == text || *end != '-' || text[0] == '-')
        return mg_error_set(MG_EINVAL, "field 'rows': expected a range like 0-99, got '%s'", text);
    b = strtoull(end + 1, &end, 10);
    if (*end || errno || b < a || b - a >= 10000)
        return mg_error_set(MG_EINVAL, "field 'rows': expected A-B with A <= B and at most "
                                       "10000 rows, got '%s'",
                            text);
    *first = (size_t)a;
    *last = (size_t)b;
    return MG_OK;
}

int web_report_check(const json_t *spec)
{
    int bias = strcmp(web_json_str(spec, "kind", ""), "bias") == 0;
    const char *const *other = bias ? explain_only : bias_only;
    size_t a, b;

    for (size_t i = 0; other[i]; i++)
        if (json_object_get(spec, other[i]))
            return mg_error_set(MG_EINVAL, "field '%s' is for %s reports", other[i],
                                bias ? "explain" : "bias");
    if (bias) {
        static const char *const need[] = {"label", "positive", "facet"};
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(spec, need[i]))
                return mg_error_set(MG_EINVAL, "field '%s' is required for a bias report",
                                    need[i]);
        if (web_json_int(spec, "bootstrap", 0) < 0 || web_json_int(spec, "bootstrap", 0) > 10000)
            return mg_error_set(MG_EINVAL, "field 'bootstrap': expected 0..10000");
        return MG_OK;
    }
    if (json_object_get(spec, "rows") && parse_rows(&a, &b, web_json_str(spec, "rows", "")) < 0)
        return mg_error_code();
    if (web_json_int(spec, "background", 100) < 1 || web_json_int(spec, "background", 100) > 10000)
        return mg_error_set(MG_EINVAL, "field 'background': expected 1..10000");
    if (web_json_int(spec, "nsamples", 0) < 0 || web_json_int(spec, "nsamples", 0) > 1000000)
        return mg_error_set(MG_EINVAL, "field 'nsamples': expected 0..1000000");
    return MG_OK;
}

/* Raw rows of every row of `ds` for the model's pipeline. */
static int raw_rows(double **raw, const mg_model *m, const mg_dataset *ds)
{
    const mg_pipeline *p = mg_model_pipeline(m);
    size_t n = mg_dataset_rows(ds);

    if (!(*raw = malloc((n ? n : 1) * mg_pipeline_inputs(p) * sizeof **raw)))
        return mg_error_set(MG_ENOMEM, "out of memory for %zu rows", n);
    return mg_pipeline_raw_from_dataset(*raw, NULL, p, ds, NULL, n);
}

/* The model's predictions on every row as CSV: "predicted,score" (label value, P(class 1)). */
static int predictions_csv(mg_buf *out, const mg_model *m, const mg_dataset *ds)
{
    size_t n = mg_dataset_rows(ds), k = mg_model_outputs(m);
    double *raw = NULL, *pred = NULL;
    int rc;

    if ((rc = raw_rows(&raw, m, ds)) < 0)
        goto done;
    if (!(pred = malloc((n ? n : 1) * k * sizeof *pred))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = mg_model_predict_raw(m, raw, n, pred)) < 0 ||
        (rc = mg_buf_puts(out, "predicted,score\n")) < 0)
        goto done;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *cls = mg_model_class_name(m, mg_model_decide(m, pred + i * k));
        if ((rc = mg_csv_write_field(out, cls, strlen(cls), ',')) == 0)
            rc = mg_buf_printf(out, ",%.17g\n", pred[i * k + (k > 1 ? k - 1 : 0)]);
    }
done:
    free(raw);
    free(pred);
    return rc;
}

static void bias_progress(void *ud, double done)
{
    if (ud)
        web_job_progress(ud, 0.1 + 0.9 * done);
}

static int run_bias(json_t **out, const json_t *spec, const mg_model *m, const char *model_path,
                    const char *data_path, const mg_dataset *ds, web_job *job)
{
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    mg_bias_report *r = NULL;
    mg_buf preds = MG_BUF_INIT;
    int rc;

    if (mg_model_classes(m) != 2)
        return mg_error_set(MG_EINVAL, "a bias report needs a binary classifier; this model "
                                       "has %zu classes",
                            mg_model_classes(m));
    if ((rc = predictions_csv(&preds, m, ds)) < 0)
        goto done;
    if (job)
        web_job_progress(job, 0.1);
    o.data.path = data_path;
    o.label = web_json_str(spec, "label", NULL);
    o.positive = web_json_str(spec, "positive", NULL);
    o.facets = web_json_str(spec, "facet", NULL);
    o.group = web_json_str(spec, "group", NULL);
    o.metrics = web_json_str(spec, "metrics", NULL);
    o.bootstrap = (size_t)web_json_int(spec, "bootstrap", 0);
    o.seed = (uint64_t)web_json_int(spec, "seed", 1);
    o.predictions.path = "predictions";
    o.predictions.text = preds.ptr;
    o.predictions.len = preds.len;
    o.predicted_column = "predicted";
    o.model = model_path;
    o.progress = bias_progress;
    o.progress_ud = job;
    if ((rc = mg_bias_report_compute(&r, &o)) < 0)
        goto done;
    if (job && web_job_cancelled(job)) {
        rc = mg_error_set(MG_ECANCELED, "cancelled");
        goto done;
    }
    if (!(*out = mg_bias_report_to_json(r)))
        rc = MG_ENOMEM;
done:
    mg_bias_report_free(r);
    mg_buf_free(&preds);
    return rc;
}

static int explain_progress(void *ctx, size_t done, size_t total)
{
    web_job *job = ctx;
    if (!job)
        return 0;
    web_job_progress(job, total ? (double)done / (double)total : 0.0);
    return web_job_cancelled(job);
}

static int explain_compute(mg_explain_result **res, const json_t *spec, mg_explain_model *em,
                           const double *raw, size_t n, size_t ni, const size_t *ids, size_t nrows,
                           const mg_explain_options *opts)
{
    mg_explain_method method;
    mg_explain_background *bg = NULL;
    mg_explain_lime_stats *stats = NULL;
    const double *x = raw + ids[0] * ni;
    int rc;

    if ((rc = mg_explain_method_parse(&method, web_json_str(spec, "method", "kernel-shap"))) < 0)
        return rc;
    if (method == MG_EXPLAIN_LIME) {
        if ((rc = mg_explain_lime_stats_fit(&stats, em, raw, n)) == MG_OK)
            rc = mg_explain_lime_compute(res, em, stats, x, ids, nrows, opts);
        mg_explain_lime_stats_free(stats);
        return rc;
    }
    if ((rc = mg_explain_background_sample(&bg, raw, n, ni,
                                           (size_t)web_json_int(spec, "background", 100),
                                           opts->seed)) < 0)
        return rc;
    if (method == MG_EXPLAIN_EXACT)
        rc = mg_explain_exact_compute(res, em, bg, x, ids, nrows, opts);
    else if (method == MG_EXPLAIN_LINEAR)
        rc = mg_explain_linear_compute(res, em, bg, x, ids, nrows, opts);
    else
        rc = mg_explain_kernel_compute(res, em, bg, x, ids, nrows, opts);
    mg_explain_background_free(bg);
    return rc;
}

static int run_explain(json_t **out, const json_t *spec, const mg_model *m, const mg_dataset *ds,
                       web_job *job)
{
    mg_explain_model *em = NULL;
    mg_explain_result *res = NULL;
    mg_explain_options opts = MG_EXPLAIN_OPTIONS_INIT;
    size_t n = mg_dataset_rows(ds), ni = mg_pipeline_inputs(mg_model_pipeline(m));
    size_t first = 0, last = 9, *ids = NULL;
    double *raw = NULL;
    int rc;

    if (json_object_get(spec, "rows") && (rc = parse_rows(&first, &last, web_json_str(spec, "rows", ""))) < 0)
        return rc;
    if (n == 0)
        return mg_error_set(MG_EINVAL, "the data set has no rows");
    if (last >= n)
        last = n - 1;
    if (first > last)
        return mg_error_set(MG_EINVAL, "field 'rows': the data set has %zu rows", n);
    opts.nsamples = (size_t)web_json_int(spec, "nsamples", 0);
    opts.seed = (uint64_t)web_json_int(spec, "seed", 1);
    opts.threads = 1; /* a job is one worker: keep the pool bounded */
    opts.progress = explain_progress;
    opts.progress_ctx = job;
    if (!(ids = malloc((last - first + 1) * sizeof *ids))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = first; i <= last; i++)
        ids[i - first] = i;
    if ((rc = raw_rows(&raw, m, ds)) < 0 ||
        (rc = mg_explain_model_from_model(&em, m,
                                          mg_model_outputs(m) > 1 ? mg_model_outputs(m) - 1 : 0)) <
            0 ||
        (rc = explain_compute(&res, spec, em, raw, n, ni, ids, last - first + 1, &opts)) < 0)
        goto done;
    if (!(*out = mg_explain_result_to_json(res)))
        rc = MG_ENOMEM;
done:
    mg_explain_result_free(res);
    mg_explain_model_free(em);
    free(raw);
    free(ids);
    return rc;
}

int web_report_run(json_t **out, const json_t *spec, const mg_model *m, const char *model_path,
                   const char *data_path, web_job *job)
{
    mg_dataset *ds = NULL;
    int rc;

    *out = NULL;
    if ((rc = mg_dataset_open(&ds, data_path, NULL)) < 0)
        return rc;
    if (strcmp(web_json_str(spec, "kind", ""), "bias") == 0)
        rc = run_bias(out, spec, m, model_path, data_path, ds, job);
    else
        rc = run_explain(out, spec, m, ds, job);
    mg_dataset_close(ds);
    if (rc == MG_OK && job)
        web_job_progress(job, 1.0);
    return rc;
}
