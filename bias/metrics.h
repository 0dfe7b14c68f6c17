/* metrics.h - the metric registry and the formulas, as smclarify computes them. */
#ifndef BIAS_METRICS_H
#define BIAS_METRICS_H

#include "mg_bias.h"
#include "table.h"

/* What a metric needs beyond the label and one facet. */
enum { NEED_GROUP = 1, NEED_PREDICTIONS = 2, NEED_MODEL = 4 };

/* Totals over groups and classes: c[f][y][p], f = 1 in facet d. */
typedef struct summary {
    uint64_t c[2][2][2];
} summary;

typedef void (*metric_fn)(mg_bias_value *out, const table *t, const summary *s);

typedef struct metric_def {
    const char *name;
    const char *stage; /* "pre_training" | "post_training" */
    unsigned needs;
    const char *description;
    metric_fn fn;
} metric_def;

/* Every metric, in DESIGN §3 order; metric_count() entries. */
const metric_def *metric_at(size_t i);
size_t metric_count(void);

/* By name, accepting the alias DCAcc for DCA; NULL when unknown. */
const metric_def *metric_find(const char *name);

void summary_of(summary *s, const table *t);

/* Rows of facet f (1 = d, 0 = a). */
uint64_t summary_facet_rows(const summary *s, int f);

/* Set *out undefined and return 1 when facet d, or else facet a, is empty (smclarify's order). */
int facets_empty(mg_bias_value *out, const summary *s);

/* smclarify's divide: x/0 is +inf (x > 0), -inf (x < 0), 0 (x = 0). */
double clarify_divide(double a, double b);

/* Set *out from a number: OK, or INFINITE with `why_infinite` as the reason. */
void value_set(mg_bias_value *out, double v, const char *why_infinite);
void value_undefined(mg_bias_value *out, const char *reason);

/* pretraining.c */
void metric_ci(mg_bias_value *out, const table *t, const summary *s);
void metric_dpl(mg_bias_value *out, const table *t, const summary *s);
void metric_kl(mg_bias_value *out, const table *t, const summary *s);
void metric_js(mg_bias_value *out, const table *t, const summary *s);
void metric_lp(mg_bias_value *out, const table *t, const summary *s);
void metric_tvd(mg_bias_value *out, const table *t, const summary *s);
void metric_ks(mg_bias_value *out, const table *t, const summary *s);
void metric_cddl(mg_bias_value *out, const table *t, const summary *s);

/* posttraining.c */
void metric_dppl(mg_bias_value *out, const table *t, const summary *s);
void metric_di(mg_bias_value *out, const table *t, const summary *s);
void metric_dca(mg_bias_value *out, const table *t, const summary *s);
void metric_dcr(mg_bias_value *out, const table *t, const summary *s);
void metric_rd(mg_bias_value *out, const table *t, const summary *s);
void metric_sd(mg_bias_value *out, const table *t, const summary *s);
void metric_dar(mg_bias_value *out, const table *t, const summary *s);
void metric_drr(mg_bias_value *out, const table *t, const summary *s);
void metric_ad(mg_bias_value *out, const table *t, const summary *s);
void metric_cddpl(mg_bias_value *out, const table *t, const summary *s);
void metric_te(mg_bias_value *out, const table *t, const summary *s);
void metric_ft(mg_bias_value *out, const table *t, const summary *s);
void metric_ge(mg_bias_value *out, const table *t, const summary *s);

/* The conditional demographic disparity of CDDL (p = 0) or CDDPL (p = 1). */
void cdd(mg_bias_value *out, const table *t, int predicted);

#endif
