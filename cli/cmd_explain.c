/* cmd_explain.c - `modelgov explain`: Shapley values or LIME for rows of a data file. */
#include "cli.h"

#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_explain.h"
#include "mg_model.h"

#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct explain_cli {
    cli_args a;
    const char *model_path, *data_path;
    mg_model *model;
    mg_dataset *ds;
    mg_explain_model *em;
    double *raw; /* every row of the data, raw */
    size_t nrows, inputs, first, count, nbg;
    int kmeans;
    mg_explain_method method;
    mg_explain_options o;
    mg_explain_background *bg;
    mg_explain_lime_stats *stats;
    mg_explain_result *res;
} explain_cli;

/* "A-B" (both included) or "A"; the default is 0-9 cut to the data. */
static int parse_rows(explain_cli *c)
{
    const char *v = cli_get(&c->a, "rows");
    unsigned long long a, b;
    char *end;

    if (!v) {
        c->first = 0;
        c->count = c->nrows < 10 ? c->nrows : 10;
        return c->count ? MG_OK : mg_error_set(MG_EINVAL, "%s has no rows", c->data_path);
    }
    a = strtoull(v, &end, 10);
    b = a;
    if (end == v || *v == '-' || (*end && *end != '-'))
        return mg_error_set(MG_EINVAL, "--rows: '%s' is not a row range like 0-99", v);
    if (*end == '-') {
        const char *s = end + 1;
        b = strtoull(s, &end, 10);
        if (end == s || *s == '-' || *end)
            return mg_error_set(MG_EINVAL, "--rows: '%s' is not a row range like 0-99", v);
    }
    if (a > b)
        return mg_error_set(MG_EINVAL, "--rows %s: the first row is after the last", v);
    if (b >= c->nrows)
        return mg_error_set(MG_EINVAL, "--rows %s: row %llu out of range (%s has %zu rows, 0-%zu)",
                            v, b, c->data_path, c->nrows, c->nrows ? c->nrows - 1 : 0);
    c->first = (size_t)a;
    c->count = (size_t)(b - a + 1);
    return MG_OK;
}

/* The output to explain: the positive class (one output), or --class of a softmax model. */
static int pick_output(explain_cli *c, size_t *output)
{
    const char *cls = cli_get(&c->a, "class");
    size_t k = mg_model_classes(c->model), outs = mg_model_outputs(c->model);
    char names[512] = "";
    int rc;

    *output = 0;
    for (size_t i = 0; i < k; i++) {
        if (cls && strcmp(mg_model_class_name(c->model, i), cls) == 0 && (outs > 1 || i == 1)) {
            *output = outs == 1 ? 0 : i; /* a binary model outputs its positive class only */
            return MG_OK;
        }
        if (outs > 1 || i == 1)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     *names ? ", " : "", mg_model_class_name(c->model, i));
    }
    if (!cls && outs == 1)
        return MG_OK;
    if (!cls)
        rc = mg_error_set(MG_EINVAL,
                          "--class: this %s model has %zu classes; name the one to "
                          "explain (%s)",
                          mg_model_type_name(mg_model_kind(c->model)), k, names);
    else
        rc = mg_error_set(MG_EINVAL, "--class '%s': not a class this model explains (%s)", cls,
                          *names ? names : "it has no classes");
    return rc;
}

static int parse_flags(explain_cli *c)
{
    const char *method, *link = cli_get(&c->a, "link");
    unsigned long long seed;
    int rc;

    if ((rc = cli_require(&c->a, "model", &c->model_path)) < 0 ||
        (rc = cli_require(&c->a, "data", &c->data_path)) < 0 ||
        (rc = cli_require(&c->a, "method", &method)) < 0)
        return rc;
    if ((rc = mg_explain_method_parse(&c->method, method)) < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", mg_error_last());
        return mg_error_set(rc, "--method: %s", msg);
    }
    if ((rc = cli_get_size(&c->a, "background", 100, &c->nbg)) < 0 ||
        (rc = cli_get_size(&c->a, "nsamples", c->method == MG_EXPLAIN_LIME ? 5000 : 2048,
                           &c->o.nsamples)) < 0 ||
        (rc = cli_get_u64(&c->a, "seed", 1, &seed)) < 0 ||
        (rc = cli_get_size(&c->a, "l1", 0, &c->o.l1_features)) < 0 ||
        (rc = cli_get_size(&c->a, "top", 10, &c->o.top)) < 0 ||
        (rc = cli_get_size(&c->a, "threads", 0, &c->o.threads)) < 0)
        return rc;
    c->o.seed = seed;
    c->kmeans = cli_has(&c->a, "kmeans");
    if (c->nbg == 0)
        return mg_error_set(MG_EINVAL, "--background: needs at least 1 row");
    if (c->o.top == 0)
        return mg_error_set(MG_EINVAL, "--top: needs at least 1 column");
    if (link && strcmp(link, "logit") == 0)
        c->o.link = MG_EXPLAIN_LOGIT;
    else if (link && strcmp(link, "identity") != 0)
        return mg_error_set(MG_EINVAL, "--link: '%s' is not identity or logit", link);
    if (link && c->method != MG_EXPLAIN_KERNEL_SHAP && c->method != MG_EXPLAIN_EXACT)
        return mg_error_set(MG_EINVAL, "--link applies to kernel-shap and exact only");
    return MG_OK;
}

/* Model, data, raw rows and the explained model; names the missing column when there is one. */
static int load_inputs(explain_cli *c)
{
    size_t output;
    char msg[512];
    int rc;

    if ((rc = mg_model_load(&c->model, c->model_path)) < 0 ||
        (rc = mg_dataset_open(&c->ds, c->data_path, NULL)) < 0)
        return rc;
    c->nrows = mg_dataset_rows(c->ds);
    c->inputs = mg_pipeline_inputs(mg_model_pipeline(c->model));
    if ((rc = parse_rows(c)) < 0 || (rc = pick_output(c, &output)) < 0)
        return rc;
    if (!(c->raw = malloc((c->nrows ? c->nrows : 1) * c->inputs * sizeof(double))))
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = mg_pipeline_raw_from_dataset(c->raw, NULL, mg_model_pipeline(c->model), c->ds, NULL,
                                           c->nrows)) < 0) {
        snprintf(msg, sizeof msg, "%s", mg_error_last());
        return mg_error_set(rc, "%s: the model %s needs it", msg, c->model_path);
    }
    if (c->method == MG_EXPLAIN_KERNEL_SHAP && c->o.nsamples < c->inputs + 2)
        return mg_error_set(MG_EINVAL,
                            "--nsamples %zu: Kernel SHAP needs at least the number "
                            "of columns + 2 = %zu",
                            c->o.nsamples, c->inputs + 2);
    if (c->method == MG_EXPLAIN_LIME && c->o.nsamples < 2)
        return mg_error_set(MG_EINVAL, "--nsamples %zu: LIME needs at least 2", c->o.nsamples);
    if ((rc = mg_explain_model_from_model(&c->em, c->model, output)) < 0)
        return rc;
    if (c->method == MG_EXPLAIN_LINEAR && !mg_explain_model_is_linear(c->em))
        return mg_error_set(MG_EINVAL,
                            "--method linear: needs a linear or logistic model (%s is "
                            "%s)",
                            c->model_path, mg_model_type_name(mg_model_kind(c->model)));
    return MG_OK;
}

static int show_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rexplaining: %zu / %zu rows", done, total);
    if (done == total)
        fputc('\n', stderr);
    return 0;
}

static int run(explain_cli *c)
{
    const double *x = c->raw + c->first * c->inputs;
    size_t *ids = malloc(c->count * sizeof(size_t));
    int rc;

    if (!ids)
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->count; i++)
        ids[i] = c->first + i;
    if (isatty(STDERR_FILENO))
        c->o.progress = show_progress;
    /* the explainer spreads rows over threads; BLAS threads inside each would only contend */
    openblas_set_num_threads(1);
    if (c->method == MG_EXPLAIN_LIME)
        rc = mg_explain_lime_stats_fit(&c->stats, c->em, c->raw, c->nrows);
    else if (c->kmeans)
        rc = mg_explain_background_kmeans(&c->bg, c->em, c->raw, c->nrows, c->nbg, c->o.seed);
    else
        rc = mg_explain_background_sample(&c->bg, c->raw, c->nrows, c->inputs, c->nbg, c->o.seed);
    if (rc == 0) {
        switch (c->method) {
        case MG_EXPLAIN_EXACT:
            rc = mg_explain_exact_compute(&c->res, c->em, c->bg, x, ids, c->count, &c->o);
            break;
        case MG_EXPLAIN_LINEAR:
            rc = mg_explain_linear_compute(&c->res, c->em, c->bg, x, ids, c->count, &c->o);
            break;
        case MG_EXPLAIN_LIME:
            rc = mg_explain_lime_compute(&c->res, c->em, c->stats, x, ids, c->count, &c->o);
            break;
        default:
            rc = mg_explain_kernel_compute(&c->res, c->em, c->bg, x, ids, c->count, &c->o);
        }
    }
    free(ids);
    return rc;
}

static int print_json(const explain_cli *c)
{
    json_t *doc = mg_explain_result_to_json(c->res);
    if (!doc)
        return MG_ENOMEM;
    int rc = cli_print_json(doc);
    json_decref(doc);
    return rc;
}

/* A raw value as the data wrote it: the level name of a categorical column. */
static void format_value(char *buf, size_t n, const explain_cli *c, size_t i, double v)
{
    const mg_pipeline *p = mg_model_pipeline(c->model);
    if (isnan(v))
        snprintf(buf, n, "(missing)");
    else if (mg_pipeline_input_type(p, i) != MG_COL_CATEGORICAL)
        snprintf(buf, n, "%g", v);
    else if (v >= 0 && (size_t)v < mg_pipeline_input_levels(p, i))
        snprintf(buf, n, "%s", mg_pipeline_input_level(p, i, (size_t)v));
    else
        snprintf(buf, n, "(unseen)");
}

/* Column indices of row k by decreasing |phi|. */
static void order_by_phi(size_t *ord, const double *phi, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: a dozen columns */
        for (size_t j = i; j > 0 && fabs(phi[ord[j]]) > fabs(phi[ord[j - 1]]); j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
}

static void print_row(const explain_cli *c, size_t k, size_t *ord)
{
    const mg_explain_result *r = c->res;
    const double *phi = r->phi + k * r->inputs, *x = c->raw + r->ids[k] * c->inputs;
    char val[96];
    int wide = r->method == MG_EXPLAIN_LIME ? 36 : 24;

    if (r->method == MG_EXPLAIN_LIME)
        printf("\nrow %zu: prediction %.6g; local model %.6g = intercept %.6g + Σ weights "
               "(R² %.4f)\n",
               r->ids[k], r->prediction[k], r->local_prediction[k], r->intercept[k], r->r2[k]);
    else
        printf("\nrow %zu: prediction %.6g = base %.6g %+.6g\n", r->ids[k], r->prediction[k],
               r->base_value, r->prediction[k] - r->base_value);
    printf("  %-20s %-*s %12s\n", "column", wide, r->method == MG_EXPLAIN_LIME ? "rule" : "value",
           r->method == MG_EXPLAIN_LIME ? "weight" : "phi");
    order_by_phi(ord, phi, r->inputs);
    for (size_t q = 0; q < r->inputs; q++) {
        size_t i = ord[q];
        if (r->method == MG_EXPLAIN_LIME) {
            if (!r->rules[k * r->inputs + i])
                continue;
            snprintf(val, sizeof val, "%s", r->rules[k * r->inputs + i]);
        } else {
            format_value(val, sizeof val, c, i, x[i]);
        }
        printf("  %-20s %-*s %+12.6f\n", r->names[i], wide, val, phi[i]);
    }
}

static int print_table(const explain_cli *c)
{
    const mg_explain_result *r = c->res;
    size_t *ord = malloc(r->inputs * sizeof(size_t));

    if (!ord)
        return mg_error_set(MG_ENOMEM, "out of memory");
    printf("method %s", mg_explain_method_name(r->method));
    if (r->method != MG_EXPLAIN_LIME)
        printf(" (%s space), base value %.6g over %zu background rows%s",
               mg_explain_link_name(r->link), r->base_value, c->bg->n,
               c->kmeans ? " (k-means centres)" : "");
    printf("; %zu model evaluations\n", r->evaluations);
    for (size_t k = 0; k < r->rows; k++)
        print_row(c, k, ord);
    printf("\nglobal importance: mean |%s| over %zu rows\n",
           r->method == MG_EXPLAIN_LIME ? "weight" : "phi", r->rows);
    order_by_phi(ord, r->global, r->inputs);
    for (size_t q = 0; q < r->inputs; q++)
        printf("  %-20s %12.6f\n", r->names[ord[q]], r->global[ord[q]]);
    free(ord);
    return MG_OK;
}

int cmd_explain(int argc, char **argv)
{
    explain_cli c;
    mg_explain_options defaults = MG_EXPLAIN_OPTIONS_INIT;
    int rc;

    memset(&c, 0, sizeof(c));
    c.o = defaults;
    rc = cli_parse(&c.a, cli_find("explain"), argc, argv, 1);
    if (rc > 0)
        return CLI_EXIT_OK;
    if (rc == 0 && (rc = parse_flags(&c)) == 0 && (rc = load_inputs(&c)) == 0 &&
        (rc = run(&c)) == 0)
        rc = c.a.json ? print_json(&c) : print_table(&c);
    mg_explain_result_free(c.res);
    mg_explain_lime_stats_free(c.stats);
    mg_explain_background_free(c.bg);
    mg_explain_model_free(c.em);
    free(c.raw);
    mg_dataset_close(c.ds);
    mg_model_free(c.model);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
