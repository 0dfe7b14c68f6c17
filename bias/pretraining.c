/* pretraining.c - CI, DPL, KL, JS, LP, TVD, KS, CDDL from the count table (smclarify's formulas). */
#include "metrics.h"

#include <math.h>

/* CI = (na - nd) / (na + nd). */
void metric_ci(mg_bias_value *out, const table *t, const summary *s)
{
    double na = (double)summary_facet_rows(s, 0), nd = (double)summary_facet_rows(s, 1);
    (void)t;
    if (!facets_empty(out, s))
        value_set(out, (na - nd) / (na + nd), NULL);
}

/* qa - qd, q = share of positive labels (predicted == 0) or predictions (1) in the facet. */
static void positive_proportion_difference(mg_bias_value *out, const summary *s, int predicted)
{
    double n[2], pos[2];

    if (facets_empty(out, s))
        return;
    for (int f = 0; f < 2; f++) {
        n[f] = (double)summary_facet_rows(s, f);
        pos[f] = predicted ? (double)(s->c[f][0][1] + s->c[f][1][1])
                           : (double)(s->c[f][1][0] + s->c[f][1][1]);
    }
    value_set(out, pos[0] / n[0] - pos[1] / n[1], NULL);
}

void metric_dpl(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    positive_proportion_difference(out, s, 0);
}

void metric_dppl(mg_bias_value *out, const table *t, const summary *s)
{
    (void)t;
    positive_proportion_difference(out, s, 1);
}

/*
 * The label distributions of the two facets, aligned on the classes that
 * occur in both (smclarify's pdfs_aligned_nonzero): one class per call.
 */
typedef struct pmf_iter {
    const table *t;
    size_t c;
    double na, nd;
} pmf_iter;

static int pmf_next(pmf_iter *it, double *pa, double *pd)
{
    for (; it->c < it->t->nclasses; it->c++) {
        uint64_t ca = 0, cd = 0;
        for (size_t g = 0; g < it->t->ngroups; g++) {
            const uint64_t *cell = table_cell(it->t, g, it->c);
            ca += cell[0] + cell[1];
            cd += cell[2] + cell[3];
        }
        if (ca && cd) {
            *pa = (double)ca / it->na;
            *pd = (double)cd / it->nd;
            it->c++;
            return 1;
        }
    }
    return 0;
}

/* Start the iteration, or set *out undefined and return 0 when there is nothing to compare. */
static int pmf_start(pmf_iter *it, mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter probe;
    double pa, pd;

    if (facets_empty(out, s))
        return 0;
    it->t = t;
    it->c = 0;
    it->na = (double)summary_facet_rows(s, 0);
    it->nd = (double)summary_facet_rows(s, 1);
    probe = *it;
    if (!pmf_next(&probe, &pa, &pd)) {
        value_undefined(out, "no label value occurs in both facets");
        return 0;
    }
    return 1;
}

/* KL(Pa || Pd) = sum Pa ln(Pa / Pd). */
void metric_kl(mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter it;
    double pa, pd, kl = 0;

    if (!pmf_start(&it, out, t, s))
        return;
    while (pmf_next(&it, &pa, &pd))
        kl += pa * log(pa / pd);
    value_set(out, kl, NULL);
}

/* JS = (KL(Pa || P) + KL(Pd || P)) / 2, P = (Pa + Pd) / 2. */
void metric_js(mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter it;
    double pa, pd, ka = 0, kd = 0;

    if (!pmf_start(&it, out, t, s))
        return;
    while (pmf_next(&it, &pa, &pd)) {
        double p = 0.5 * (pa + pd);
        ka += pa * log(pa / p);
        kd += pd * log(pd / p);
    }
    value_set(out, 0.5 * (ka + kd), NULL);
}

/* LP = ||Pa - Pd||_2 (smclarify fixes p = 2). */
void metric_lp(mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter it;
    double pa, pd, sq = 0;

    if (!pmf_start(&it, out, t, s))
        return;
    while (pmf_next(&it, &pa, &pd))
        sq += (pa - pd) * (pa - pd);
    value_set(out, sqrt(sq), NULL);
}

/* TVD = ||Pa - Pd||_1 / 2. */
void metric_tvd(mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter it;
    double pa, pd, l1 = 0;

    if (!pmf_start(&it, out, t, s))
        return;
    while (pmf_next(&it, &pa, &pd))
        l1 += fabs(pa - pd);
    value_set(out, 0.5 * l1, NULL);
}

/* KS = max |Pa - Pd| over the label's outcomes (values). */
void metric_ks(mg_bias_value *out, const table *t, const summary *s)
{
    pmf_iter it;
    double pa, pd, m = 0;

    if (!pmf_start(&it, out, t, s))
        return;
    while (pmf_next(&it, &pa, &pd))
        if (fabs(pa - pd) > m)
            m = fabs(pa - pd);
    value_set(out, m, NULL);
}

/*
 * CDD = sum_g n_g (D_g - A_g) / sum_g n_g, with A_g the share of facet d among
 * the positives of group g (0 when g has none) and D_g its share among the
 * negatives (0 likewise); groups in sorted order of their values, as np.unique.
 */
void cdd(mg_bias_value *out, const table *t, int predicted)
{
    uint64_t pos_all = 0, neg_all = 0;
    double num = 0, den = 0;

    for (size_t gi = 0; gi < t->ngroups; gi++) {
        size_t g = t->group_order ? t->group_order[gi] : gi;
        uint64_t pos = 0, neg = 0, pos_d = 0, neg_d = 0, ng = 0;
        for (size_t c = 0; c < t->nclasses; c++) {
            const uint64_t *cell = table_cell(t, g, c);
            for (int k = 0; k < 4; k++) {
                int f = k >> 1, positive = predicted ? (k & 1) : t->positive[c];
                ng += cell[k];
                if (positive) {
                    pos += cell[k];
                    pos_d += f ? cell[k] : 0;
                } else {
                    neg += cell[k];
                    neg_d += f ? cell[k] : 0;
                }
            }
        }
        double a = pos ? (double)pos_d / (double)pos : 0;
        double d = neg ? (double)neg_d / (double)neg : 0;
        num += (double)ng * (d - a);
        den += (double)ng;
        pos_all += pos;
        neg_all += neg;
    }
    if (!pos_all)
        value_undefined(out, predicted ? "no positive prediction in the data"
                                       : "no positive label in the data");
    else if (!neg_all)
        value_undefined(out, predicted ? "no negative prediction in the data"
                                       : "no negative label in the data");
    else
        value_set(out, clarify_divide(num, den), NULL);
}

void metric_cddl(mg_bias_value *out, const table *t, const summary *s)
{
    (void)s;
    cdd(out, t, 0);
}
