/* posttraining.c - DI, DCA, DCR, RD, SD, DAR, DRR, AD, CDDPL, TE, FT, GE (smclarify's formulas). */
#include "metrics.h"

#include <math.h>

/* The confusion matrix of one facet. */
typedef struct confusion {
    double tp, fp, fn, tn;
} confusion;

static confusion confusion_of(const summary *s, int f)
{
    confusion m = {(double)s->c[f][1][1], (double)s->c[f][0][1], (double)s->c[f][1][0],
                   (double)s->c[f][0][0]};
    return m;
}

/*
 * x_a - x_d (or x_d - x_a when `d_minus_a`), where each side may be +inf from
 * divide(k, 0); smclarify reports 0 when both sides are +inf.
 */
static void difference(mg_bias_value *out, double xa, double xd, int d_minus_a,
                       const char *why_a, const char *why_d)
{
    if (isinf(xa) && isinf(xd)) {
        value_set(out, 0.0, NULL);
        return;
    }
    value_set(out, d_minus_a ? xd - xa : xa - xd, isinf(xa) ? why_a : why_d);
}

/* DI = qd^ / qa^, q^ = share of positive predictions. */
void metric_di(mg_bias_value *out, const table *t, const summary *s)
{
    confusion a = confusion_of(s, 0), d = confusion_of(s, 1);
    (void)t;
    if (facets_empty(out, s))
        return;
    double qa = (a.tp + a.fp) / (a.tp + a.fp + a.fn + a.tn);
    double qd = (d.tp + d.fp) / (d.tp + d.fp + d.fn + d.tn);
    value_set(out, clarify_divide(qd, qa),
              "facet a has no positive prediction, so qd/qa divides by zero");
}

/* The per-facet ratios the differences compare; smclarify's divide makes k/0 = +inf. */
typedef double (*ratio_fn)(const confusion *m);

static double acceptance(const confusion *m) /* c = n(label +) / n(predicted +) */
{
    return clarify_divide(m->tp + m->fn, m->tp + m->fp);
}

static double rejection(const confusion *m) /* r = n(label -) / n(predicted -) */
{
    return clarify_divide(m->tn + m->fp, m->tn + m->fn);
}

static double recall(const confusion *m)
{
    return clarify_divide(m->tp, m->tp + m->fn);
}

static double specificity(const confusion *m)
{
    return clarify_divide(m->tn, m->tn + m->fp);
}

static double precision(const confusion *m)
{
    return clarify_divide(m->tp, m->tp + m->fp);
}

static double negative_predictive_value(const confusion *m)
{
    return clarify_divide(m->tn, m->tn + m->fn);
}

static double accuracy(const confusion *m)
{
    return clarify_divide(m->tp + m->tn, m->tp + m->tn + m->fp + m->fn);
}

static double fn_per_fp(const confusion *m)
{
    return clarify_divide(m->fn, m->fp);
}

/* ratio(a) - ratio(d), or ratio(d) - ratio(a) when `d_minus_a`; undefined for an empty facet. */
static void compare(mg_bias_value *out, const summary *s, ratio_fn ratio, int d_minus_a,
                    const char *why_a, const char *why_d)
{
    confusion a = confusion_of(s, 0), d = confusion_of(s, 1);
    if (!facets_empty(out, s))
        difference(out, ratio(&a), ratio(&d), d_minus_a, why_a, why_d);
}

/* DCA = ca - cd. */
void metric_dca(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, acceptance, 0,
            "facet a has positive labels but no positive prediction (ca = +inf)",
            "facet d has positive labels but no positive prediction (cd = +inf)");
}

/* DCR = rd - ra. */
void metric_dcr(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, rejection, 1,
            "facet a has negative labels but no negative prediction (ra = +inf)",
            "facet d has negative labels but no negative prediction (rd = +inf)");
}

/* RD = recall_a - recall_d. */
void metric_rd(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, recall, 0, NULL, NULL);
}

/* SD = specificity_d - specificity_a. */
void metric_sd(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, specificity, 1, NULL, NULL);
}

/* DAR = precision_a - precision_d. */
void metric_dar(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, precision, 0, NULL, NULL);
}

/* DRR = npv_d - npv_a. */
void metric_drr(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, negative_predictive_value, 1, NULL, NULL);
}

/* AD = accuracy_a - accuracy_d. */
void metric_ad(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, accuracy, 0, NULL, NULL);
}

void metric_cddpl(mg_bias_value *out, const table *t, const summary *s)
{
    (void)s;
    cdd(out, t, 1);
}

/* TE = FN_d / FP_d - FN_a / FP_a. */
void metric_te(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    compare(out, s, fn_per_fp, 1,
            "facet a has false negatives but no false positive (FN_a/FP_a = +inf)",
            "facet d has false negatives but no false positive (FN_d/FP_d = +inf)");
}

/* FT = (flips to positive - flips to negative) / nd over facet d's rows. */
void metric_ft(mg_bias_value *out, const table *t, const summary *s)
{
    if (facets_empty(out, s))
        return;
    value_set(out, clarify_divide((double)t->ft_pos - (double)t->ft_neg, (double)t->ft_rows),
              NULL);
}

/*
 * GE with alpha = 2 over every row: benefit b = yhat - y + 1 (0 for a false
 * negative, 2 for a false positive, 1 otherwise), mu = mean b,
 * GE = sum ((b / mu)^2 - 1) / (2 n).
 */
void metric_ge(mg_bias_value *out, const table *t, const summary *s)
{
    double b0 = 0, b1 = 0, b2 = 0, n, mu;
    (void)t;
    for (int f = 0; f < 2; f++) {
        b0 += (double)s->c[f][1][0];
        b1 += (double)(s->c[f][1][1] + s->c[f][0][0]);
        b2 += (double)s->c[f][0][1];
    }
    n = b0 + b1 + b2;
    if (n == 0) {
        value_undefined(out, "no rows");
        return;
    }
    mu = (b1 + 2 * b2) / n;
    if (mu == 0) {
        value_undefined(out, "every prediction is a false negative");
        return;
    }
    double r1 = 1 / mu, r2 = 2 / mu;
    value_set(out, (b0 * -1.0 + b1 * (r1 * r1 - 1) + b2 * (r2 * r2 - 1)) / (n * 2 * 1), NULL);
}
