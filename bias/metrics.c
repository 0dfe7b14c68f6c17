/* metrics.c - the registry of Clarify's metrics and the helpers they share. */
#include "metrics.h"

#include <math.h>
#include <string.h>

/* Descriptions as smclarify's docstrings give them (its "Liebler" spelled right). */
static const metric_def defs[] = {
    {"CI", "pre_training", 0, "Class Imbalance", metric_ci},
    {"DPL", "pre_training", 0, "Difference in Positive Proportions in Labels", metric_dpl},
    {"KL", "pre_training", 0, "Kullback-Leibler Divergence", metric_kl},
    {"JS", "pre_training", 0, "Jensen-Shannon Divergence", metric_js},
    {"LP", "pre_training", 0, "L-p Norm (p = 2)", metric_lp},
    {"TVD", "pre_training", 0, "Total Variation Distance", metric_tvd},
    {"KS", "pre_training", 0, "Kolmogorov-Smirnov Distance", metric_ks},
    {"CDDL", "pre_training", NEED_GROUP, "Conditional Demographic Disparity in Labels",
     metric_cddl},
    {"DPPL", "post_training", NEED_PREDICTIONS,
     "Difference in Positive Proportions in Predicted Labels", metric_dppl},
    {"DI", "post_training", NEED_PREDICTIONS, "Disparate Impact", metric_di},
    {"DCA", "post_training", NEED_PREDICTIONS, "Difference in Conditional Acceptance",
     metric_dca},
    {"DCR", "post_training", NEED_PREDICTIONS, "Difference in Conditional Rejection",
     metric_dcr},
    {"RD", "post_training", NEED_PREDICTIONS, "Recall Difference", metric_rd},
    {"SD", "post_training", NEED_PREDICTIONS, "Specificity Difference", metric_sd},
    {"DAR", "post_training", NEED_PREDICTIONS, "Difference in Acceptance Rates", metric_dar},
    {"DRR", "post_training", NEED_PREDICTIONS, "Difference in Rejection Rates", metric_drr},
    {"AD", "post_training", NEED_PREDICTIONS, "Accuracy Difference", metric_ad},
    {"CDDPL", "post_training", NEED_PREDICTIONS | NEED_GROUP,
     "Conditional Demographic Disparity in Predicted Labels", metric_cddpl},
    {"TE", "post_training", NEED_PREDICTIONS, "Treatment Equality", metric_te},
    {"FT", "post_training", NEED_MODEL, "Flip Test", metric_ft},
    {"GE", "post_training", NEED_PREDICTIONS, "Generalized Entropy (alpha = 2)", metric_ge},
};

size_t metric_count(void)
{
    return sizeof defs / sizeof defs[0];
}

const metric_def *metric_at(size_t i)
{
    return i < metric_count() ? &defs[i] : NULL;
}

const metric_def *metric_find(const char *name)
{
    if (strcmp(name, "DCAcc") == 0) /* the AWS documentation's name */
        name = "DCA";
    for (size_t i = 0; i < metric_count(); i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

const char *mg_bias_metric_description(const char *metric)
{
    const metric_def *d = metric_find(metric);
    return d ? d->description : NULL;
}

void summary_of(summary *s, const table *t)
{
    memset(s, 0, sizeof *s);
    for (size_t g = 0; g < t->ngroups; g++)
        for (size_t c = 0; c < t->nclasses; c++) {
            const uint64_t *cell = table_cell(t, g, c);
            int y = t->positive[c];
            for (int k = 0; k < 4; k++)
                s->c[k >> 1][y][k & 1] += cell[k];
        }
}

double clarify_divide(double a, double b)
{
    if (b == 0)
        return a == 0 ? 0.0 : a < 0 ? -INFINITY : INFINITY;
    return a / b;
}

void value_set(mg_bias_value *out, double v, const char *why_infinite)
{
    out->value = v;
    out->status = isinf(v) ? MG_BIAS_INFINITE : MG_BIAS_OK;
    out->reason = isinf(v) ? why_infinite : NULL;
    if (isnan(v)) {
        out->status = MG_BIAS_UNDEFINED;
        out->reason = "the result is not a number";
    }
}

void value_undefined(mg_bias_value *out, const char *reason)
{
    out->status = MG_BIAS_UNDEFINED;
    out->value = NAN;
    out->reason = reason;
}

uint64_t summary_facet_rows(const summary *s, int f)
{
    return s->c[f][0][0] + s->c[f][0][1] + s->c[f][1][0] + s->c[f][1][1];
}

int facets_empty(mg_bias_value *out, const summary *s)
{
    if (!summary_facet_rows(s, 1)) {
        value_undefined(out, "facet d is empty: no row matches the facet");
        return 1;
    }
    if (!summary_facet_rows(s, 0)) {
        value_undefined(out, "facet a is empty: every row matches the facet");
        return 1;
    }
    return 0;
}
