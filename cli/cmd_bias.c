/* cmd_bias.c - `modelgov bias`: Clarify's bias metrics as JSON or a readable table. */
#include "cli.h"
#include "mg_bias.h"
#include "mg_error.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show_progress(void *ud, double done)
{
    (void)ud;
    fprintf(stderr, "\rmodelgov: bias: read %3.0f%%", 100 * done);
    fflush(stderr);
}

static int options_from_args(mg_bias_options *o, const cli_args *a)
{
    unsigned long long seed;
    int rc;

    if ((rc = cli_require(a, "data", &o->data.path)) < 0 ||
        (rc = cli_require(a, "label", &o->label)) < 0 ||
        (rc = cli_require(a, "positive", &o->positive)) < 0 ||
        (rc = cli_require(a, "facet", &o->facets)) < 0 ||
        (rc = cli_get_size(a, "bootstrap", 0, &o->bootstrap)) < 0 ||
        (rc = cli_get_u64(a, "seed", 1, &seed)) < 0 ||
        (rc = cli_get_double(a, "probability-threshold", 0.5, &o->probability_threshold)) < 0)
        return rc;
    o->seed = seed;
    o->group = cli_get(a, "group");
    o->predictions.path = cli_get(a, "predictions");
    o->predicted_column = cli_get(a, "predicted-column");
    o->score_column = cli_get(a, "score-column");
    o->model = cli_get(a, "model");
    o->metrics = cli_get(a, "metrics");
    o->drop_missing = cli_has(a, "drop-missing");
    o->label_values = cli_has(a, "label-values");
    if (!o->predictions.path && (o->predicted_column || o->score_column))
        return mg_error_set(MG_EINVAL, "--%s needs --predictions",
                            o->predicted_column ? "predicted-column" : "score-column");
    if (isatty(STDERR_FILENO))
        o->progress = show_progress;
    return MG_OK;
}

/* A metric value as the table shows it: 6 significant digits, Infinity, or undefined. */
static void format_value(char *buf, size_t len, const json_t *v, int sign_space)
{
    if (json_is_number(v))
        snprintf(buf, len, sign_space ? "% .6g" : "%.6g", json_number_value(v));
    else if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else
        snprintf(buf, len, "undefined");
}

static void print_list(const json_t *spec)
{
    const json_t *values = json_object_get(spec, "values");
    size_t i;
    const json_t *v;

    if (!values) {
        printf("%s %g", json_string_value(json_object_get(spec, "op")),
               json_number_value(json_object_get(spec, "threshold")));
        return;
    }
    printf("in {");
    json_array_foreach(values, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
    printf("}");
}

static void print_metrics(const json_t *metrics)
{
    const char *name;
    const json_t *m;

    printf("  %-6s %-13s %-25s %s\n", "metric", "value", "95% interval", "description");
    json_object_foreach((json_t *)metrics, name, m)
    {
        char value[48], lo[24], hi[24], interval[64] = "";
        const json_t *ci = json_object_get(m, "ci95"), *reason = json_object_get(m, "reason");
        format_value(value, sizeof value, json_object_get(m, "value"), 1);
        if (ci) {
            format_value(lo, sizeof lo, json_array_get(ci, 0), 0);
            format_value(hi, sizeof hi, json_array_get(ci, 1), 0);
            snprintf(interval, sizeof interval, "[%s, %s]", lo, hi);
        }
        printf("  %-6s %-13s %-25s %s\n", name, value, interval,
               json_string_value(json_object_get(m, "description")));
        if (reason)
            printf("  %-6s (%s)\n", "", json_string_value(reason));
    }
}

static void print_facet(const json_t *facet, const json_t *metrics)
{
    printf("\nfacet %s %s: d = ", json_string_value(json_object_get(facet, "spec")),
           json_object_get(facet, "values") ? "(values)" : "(threshold)");
    printf("%lld rows, a = %lld rows", json_integer_value(json_object_get(facet, "nd")),
           json_integer_value(json_object_get(facet, "na")));
    if (json_integer_value(json_object_get(facet, "missing")))
        printf(", %lld missing", json_integer_value(json_object_get(facet, "missing")));
    printf("\n");
    print_metrics(metrics);
}

static void print_table(const json_t *doc)
{
    const json_t *label = json_object_get(doc, "label"), *group = json_object_get(doc, "group");
    const json_t *pred = json_object_get(doc, "predictions"),
                 *boot = json_object_get(doc, "bootstrap");
    const json_t *facets = json_object_get(doc, "facets"), *f;
    size_t i;

    printf("bias report: %s, %lld rows\n",
           json_string_value(json_object_get(json_object_get(doc, "data"), "path")),
           json_integer_value(json_object_get(doc, "n")));
    printf("label:       %s ", json_string_value(json_object_get(label, "column")));
    print_list(label);
    printf(" (%lld positive)\n", json_integer_value(json_object_get(label, "positives")));
    if (group)
        printf("group:       %s (%lld values)\n",
               json_string_value(json_object_get(group, "column")),
               json_integer_value(json_object_get(group, "values")));
    if (pred)
        printf("predictions: %s, %s column '%s' (%lld positive)\n",
               json_string_value(json_object_get(pred, "path")),
               json_string_value(json_object_get(pred, "kind")),
               json_string_value(json_object_get(pred, "column")),
               json_integer_value(json_object_get(pred, "positives")));
    if (boot)
        printf("bootstrap:   %lld samples, seed %lld, percentile intervals\n",
               json_integer_value(json_object_get(boot, "samples")),
               json_integer_value(json_object_get(boot, "seed")));
    if (!facets) {
        print_facet(json_object_get(doc, "facet"), json_object_get(doc, "metrics"));
        return;
    }
    json_array_foreach(facets, i, f)
        print_facet(json_object_get(f, "facet"), json_object_get(f, "metrics"));
}

int cmd_bias(int argc, char **argv)
{
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    mg_bias_report *r = NULL;
    json_t *doc = NULL;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("bias"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if ((rc = options_from_args(&o, &a)) < 0)
        return cli_fail(rc);
    rc = mg_bias_report_compute(&r, &o);
    if (o.progress)
        fprintf(stderr, "\r%40s\r", "");
    if (rc < 0)
        return cli_fail(rc);
    if (!(doc = mg_bias_report_to_json(r))) {
        mg_bias_report_free(r);
        return cli_fail(MG_ENOMEM);
    }
    if (a.json)
        rc = cli_print_json(doc);
    else
        print_table(doc);
    json_decref(doc);
    mg_bias_report_free(r);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
