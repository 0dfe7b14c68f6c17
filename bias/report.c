/* report.c - compute a bias report: scan, metrics, flip test, bootstrap intervals. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "binomial.h"
#include "fliptest.h"
#include "mg_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOOTSTRAP 100000

static int select_metric(mg_bias_report *r, const metric_def *d)
{
    for (size_t i = 0; i < r->nmetrics; i++)
        if (r->metrics[i] == d)
            return MG_OK;
    r->metrics[r->nmetrics++] = d;
    return MG_OK;
}

/* 0 when the inputs given allow metric `d`, else the flag it lacks. */
static const char *missing_input(const metric_def *d, const mg_bias_options *o)
{
    if ((d->needs & NEED_GROUP) && !o->group)
        return "--group";
    if ((d->needs & NEED_PREDICTIONS) && !o->predictions.path && !o->predictions.text)
        return "--predictions";
    if ((d->needs & NEED_MODEL) && !o->model)
        return "--model";
    return NULL;
}

/* "CI,DPL,..." (or all / pre / post) into r->metrics, in registry order when implicit. */
static int select_metrics(mg_bias_report *r, const mg_bias_options *o)
{
    const char *list = o->metrics;
    int all = !list || !*list || strcmp(list, "all") == 0;

    if (!(r->metrics = calloc(metric_count(), sizeof *r->metrics)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (all || strcmp(list, "pre") == 0 || strcmp(list, "post") == 0) {
        for (size_t i = 0; i < metric_count(); i++) {
            const metric_def *d = metric_at(i);
            int stage_ok = all || (list[1] == 'r') == (strcmp(d->stage, "pre_training") == 0);
            if (stage_ok && !missing_input(d, o))
                select_metric(r, d);
        }
        return MG_OK;
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char name[32];
        const metric_def *d;
        const char *lacks;
        snprintf(name, sizeof name, "%.*s", (int)(len < 31 ? len : 31), p);
        if (!(d = metric_find(name)))
            return mg_error_set(MG_EINVAL,
                                "--metrics: unknown metric '%s' (known: CI DPL KL JS LP TVD KS "
                                "CDDL DPPL DI DCA DCR RD SD DAR DRR AD CDDPL TE FT GE)",
                                name);
        if ((lacks = missing_input(d, o)))
            return mg_error_set(MG_EINVAL, "--metrics: %s needs %s", d->name, lacks);
        select_metric(r, d);
        p += len + (p[len] == ',');
    }
    if (!r->nmetrics)
        return mg_error_set(MG_EINVAL, "--metrics: no metric named");
    return MG_OK;
}

static mg_bias_result *result_at(const mg_bias_report *r, size_t facet, size_t m)
{
    return &r->results[facet * r->nmetrics + m];
}

static void evaluate(mg_bias_value *out, const mg_bias_report *r, const table *t)
{
    summary s;

    summary_of(&s, t);
    for (size_t m = 0; m < r->nmetrics; m++)
        r->metrics[m]->fn(&out[m], t, &s);
}

/* The cells of t in one array (K = groups x classes x 4), or back into a table of its shape. */
static void cells_gather(uint64_t *flat, const table *t)
{
    for (size_t g = 0; g < t->ngroups; g++)
        for (size_t c = 0; c < t->nclasses; c++)
            memcpy(flat + (g * t->nclasses + c) * 4, table_cell(t, g, c), 4 * sizeof *flat);
}

static void cells_scatter(table *t, const uint64_t *flat)
{
    for (size_t g = 0; g < t->ngroups; g++)
        for (size_t c = 0; c < t->nclasses; c++)
            memcpy(table_cell(t, g, c), flat + (g * t->nclasses + c) * 4, 4 * sizeof *flat);
}

/*
 * A bootstrap sample of table t: n rows drawn with replacement is a
 * multinomial draw over its cells, so no row is read again. The flip test's
 * outcomes over facet d are resampled the same way (its neighbours held fixed).
 */
static void resample(table *rep, const table *t, const uint64_t *cells, uint64_t *drawn,
                     size_t k, uint64_t n, mg_rng *rng)
{
    multinomial_draw(rng, n, cells, k, n, drawn);
    cells_scatter(rep, drawn);
    if (t->ft_rows) {
        uint64_t ft[3] = {t->ft_pos, t->ft_neg, t->ft_rows - t->ft_pos - t->ft_neg}, out[3];
        multinomial_draw(rng, t->ft_rows, ft, 3, t->ft_rows, out);
        rep->ft_rows = t->ft_rows;
        rep->ft_pos = out[0];
        rep->ft_neg = out[1];
    }
}

/* np.percentile's linear interpolation, where any weight on an infinity gives it. */
static double percentile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1), t;
    size_t i = (size_t)floor(pos);

    if (i + 1 >= n)
        return v[n - 1];
    t = pos - (double)i;
    if (t == 0 || v[i] == v[i + 1])
        return v[i];
    if (isinf(v[i]))
        return v[i];
    if (isinf(v[i + 1]))
        return v[i + 1];
    return v[i] + (v[i + 1] - v[i]) * t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bootstrap_facet(mg_bias_report *r, size_t facet, const table *t, uint64_t seed)
{
    size_t B = r->bootstrap, M = r->nmetrics, K = t->ngroups * t->nclasses * 4;
    double *vals = malloc(B * M * sizeof *vals);
    size_t *defined = calloc(M, sizeof *defined);
    mg_bias_value *v = malloc(M * sizeof *v);
    uint64_t *cells = malloc((K ? 2 * K : 1) * sizeof *cells), n = 0;
    table rep;
    int rc;

    if ((rc = table_init_like(&rep, t)) < 0 || !vals || !defined || !v || !cells) {
        rc = rc < 0 ? rc : mg_error_set(MG_ENOMEM, "out of memory (bootstrap)");
        goto done;
    }
    cells_gather(cells, t);
    for (size_t k = 0; k < K; k++)
        n += cells[k];
    for (size_t b = 0; b < B; b++) {
        mg_rng rng;
        mg_rng_seed_stream(&rng, seed, ((uint64_t)facet << 32) | b);
        resample(&rep, t, cells, cells + K, K, n, &rng);
        evaluate(v, r, &rep);
        for (size_t m = 0; m < M; m++)
            if (v[m].status != MG_BIAS_UNDEFINED)
                vals[m * B + defined[m]++] = v[m].value;
    }
    for (size_t m = 0; m < M; m++) {
        mg_bias_result *res = result_at(r, facet, m);
        double *x = vals + m * B;
        res->ci_undefined = B - defined[m];
        if (!defined[m])
            continue;
        qsort(x, defined[m], sizeof *x, cmp_double);
        res->has_ci = 1;
        res->ci[0] = percentile(x, defined[m], 0.025);
        res->ci[1] = percentile(x, defined[m], 0.975);
    }
    rc = MG_OK;
done:
    table_free(&rep);
    free(cells);
    free(vals);
    free(defined);
    free(v);
    return rc;
}

static int compute(mg_bias_report *r, const mg_bias_options *o)
{
    mg_bias_value *v;
    int flip_test = 0, rc;

    if (o->bootstrap > MAX_BOOTSTRAP)
        return mg_error_set(MG_EINVAL, "--bootstrap: at most %d samples", MAX_BOOTSTRAP);
    if ((rc = select_metrics(r, o)) < 0)
        return rc;
    for (size_t m = 0; m < r->nmetrics; m++)
        flip_test |= (r->metrics[m]->needs & NEED_MODEL) != 0;
    if ((rc = scan_run(&r->s, o, flip_test)) < 0 || (flip_test && (rc = fliptest_run(&r->s, o)) < 0))
        return rc;
    r->bootstrap = o->bootstrap;
    r->seed = o->seed;
    r->results = calloc(r->s.nfacets * r->nmetrics, sizeof *r->results);
    v = malloc(r->nmetrics * sizeof *v);
    if (!r->results || !v) {
        free(v);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    for (size_t f = 0; f < r->s.nfacets; f++) {
        evaluate(v, r, &r->s.facets[f].t);
        for (size_t m = 0; m < r->nmetrics; m++)
            result_at(r, f, m)->v = v[m];
        if (r->bootstrap && (rc = bootstrap_facet(r, f, &r->s.facets[f].t, o->seed)) < 0)
            break;
    }
    free(v);
    return rc;
}

static int copy_options(mg_bias_report *r, const mg_bias_options *o)
{
    const char *src[] = {o->data.path ? o->data.path : "data",
                         o->predictions.path ? o->predictions.path : "predictions",
                         o->group, o->model};
    char **dst[] = {&r->data_path, &r->predictions_path, &r->group, &r->model};

    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
        if (src[i] && !(*dst[i] = strdup(src[i])))
            return mg_error_set(MG_ENOMEM, "out of memory");
    r->threshold = o->probability_threshold;
    r->drop_missing = o->drop_missing;
    r->label_values = o->label_values;
    return MG_OK;
}

int mg_bias_report_compute(mg_bias_report **out, const mg_bias_options *o)
{
    mg_bias_report *r = calloc(1, sizeof *r);
    int rc;

    *out = NULL;
    if (!r)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = copy_options(r, o)) < 0 || (rc = compute(r, o)) < 0) {
        mg_bias_report_free(r);
        return rc;
    }
    *out = r;
    return MG_OK;
}

void mg_bias_report_free(mg_bias_report *r)
{
    if (!r)
        return;
    scan_free(&r->s);
    free(r->metrics);
    free(r->results);
    free(r->data_path);
    free(r->predictions_path);
    free(r->group);
    free(r->model);
    free(r);
}

uint64_t mg_bias_report_rows(const mg_bias_report *r)
{
    return r->s.rows;
}

size_t mg_bias_report_facets(const mg_bias_report *r)
{
    return r->s.nfacets;
}

const char *mg_bias_report_facet_spec(const mg_bias_report *r, size_t facet)
{
    return facet < r->s.nfacets ? r->s.facets[facet].pred.text : NULL;
}

size_t mg_bias_report_metrics(const mg_bias_report *r)
{
    return r->nmetrics;
}

const char *mg_bias_report_metric_name(const mg_bias_report *r, size_t i)
{
    return i < r->nmetrics ? r->metrics[i]->name : NULL;
}

int mg_bias_report_get(mg_bias_result *out, const mg_bias_report *r, size_t facet,
                       const char *metric)
{
    const metric_def *d = metric_find(metric);

    if (facet >= r->s.nfacets)
        return mg_error_set(MG_ENOTFOUND, "no facet %zu in the report", facet);
    for (size_t m = 0; d && m < r->nmetrics; m++)
        if (r->metrics[m] == d) {
            *out = *result_at(r, facet, m);
            return MG_OK;
        }
    return mg_error_set(MG_ENOTFOUND, "metric '%s' is not in the report", metric);
}
