/* test_bias.c - Clarify's bias metrics: hand-worked tables, the Adult reference, the CLI. */
#include "binomial.h" /* the bootstrap's sampler, tested on its own below */
#include "mg_bias.h"
#include "mg_core.h"
#include "mg_model.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The hand-worked table: 15 rows, facet d = sex F (also age >= 40), groups g1/g2.
 *              TP FP FN TN   rows
 *   a (M)  g1   2  0  1  2    5
 *          g2   1  1  1  2    5      a: TP 3, FP 1, FN 2, TN 4 (na = 10)
 *   d (F)  g1   1  0  1  0    2
 *          g2   1  1  0  1    3      d: TP 2, FP 1, FN 1, TN 1 (nd = 5)
 * TP: y=yes, yhat=yes; FP: no/yes; FN: yes/no; TN: no/no.
 */
static const char *const DATA = "sex,age,grp,y\n"
                                "M,30,g1,yes\nM,31,g1,yes\nM,32,g1,yes\nM,33,g1,no\nM,34,g1,no\n"
                                "M,30,g2,yes\nM,31,g2,no\nM,32,g2,yes\nM,33,g2,no\nM,34,g2,no\n"
                                "F,45,g1,yes\nF,46,g1,yes\n"
                                "F,47,g2,yes\nF,48,g2,no\nF,49,g2,no\n";
static const char *const PREDS = "yhat,score\n"
                                 "yes,0.9\nyes,0.8\nno,0.3\nno,0.2\nno,0.1\n"
                                 "yes,0.7\nyes,0.6\nno,0.4\nno,0.2\nno,0.1\n"
                                 "yes,0.9\nno,0.2\n"
                                 "yes,0.8\nyes,0.7\nno,0.3\n";

static mg_bias_options tiny_options(const char *facets)
{
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    o.data.path = "tiny.csv";
    o.data.text = DATA;
    o.data.len = strlen(DATA);
    o.predictions.path = "tiny_preds.csv";
    o.predictions.text = PREDS;
    o.predictions.len = strlen(PREDS);
    o.label = "y";
    o.positive = "yes";
    o.facets = facets;
    o.group = "grp";
    return o;
}

static mg_bias_report *compute_ok(const mg_bias_options *o)
{
    mg_bias_report *r = NULL;
    int rc = mg_bias_report_compute(&r, o);
    ck_assert_msg(rc == 0, "compute: %s", mg_error_last());
    return r;
}

static double value_of(const mg_bias_report *r, size_t facet, const char *metric)
{
    mg_bias_result res;
    ck_assert_msg(mg_bias_report_get(&res, r, facet, metric) == 0, "%s: %s", metric,
                  mg_error_last());
    ck_assert_msg(res.v.status != MG_BIAS_UNDEFINED, "%s undefined: %s", metric, res.v.reason);
    return res.v.value;
}

#define CHECK_METRIC(r, name, expected)                                                       \
    ck_assert_double_eq_tol(value_of(r, 0, name), (expected), 1e-12)

/* Pre-training, labels only: qa = 5/10, qd = 3/5, Pa = (.5, .5), Pd = (.4, .6). */
static void check_pretraining(const mg_bias_report *r)
{
    CHECK_METRIC(r, "CI", (10.0 - 5.0) / 15.0);      /* (na - nd) / n */
    CHECK_METRIC(r, "DPL", 0.5 - 0.6);               /* qa - qd */
    CHECK_METRIC(r, "KL", 0.5 * log(0.5 / 0.4) + 0.5 * log(0.5 / 0.6));
    /* P = (.45, .55): JS = (KL(Pa||P) + KL(Pd||P)) / 2 */
    CHECK_METRIC(r, "JS", 0.5 * (0.5 * log(0.5 / 0.45) + 0.5 * log(0.5 / 0.55) +
                                 0.4 * log(0.4 / 0.45) + 0.6 * log(0.6 / 0.55)));
    CHECK_METRIC(r, "LP", sqrt(0.1 * 0.1 + 0.1 * 0.1));
    CHECK_METRIC(r, "TVD", 0.5 * (0.1 + 0.1));
    CHECK_METRIC(r, "KS", 0.1);
    /*
     * g1 (7 rows): A = d share of positives = 2/5, D = d share of negatives = 0/2
     * g2 (8 rows): A = 1/3, D = 2/5; CDDL = (7 (0 - 2/5) + 8 (2/5 - 1/3)) / 15 = -34/225
     */
    CHECK_METRIC(r, "CDDL", -34.0 / 225.0);
}

/* Post-training: a TP 3 FP 1 FN 2 TN 4, d TP 2 FP 1 FN 1 TN 1. */
static void check_posttraining(const mg_bias_report *r)
{
    CHECK_METRIC(r, "DPPL", 4.0 / 10 - 3.0 / 5); /* qa^ - qd^ */
    CHECK_METRIC(r, "DI", (3.0 / 5) / (4.0 / 10));
    CHECK_METRIC(r, "DCA", 5.0 / 4 - 3.0 / 3);  /* n(y+)/n(yhat+): a 5/4, d 3/3 */
    CHECK_METRIC(r, "DCR", 2.0 / 2 - 5.0 / 6);  /* n(y-)/n(yhat-): d 2/2 minus a 5/6 */
    CHECK_METRIC(r, "RD", 3.0 / 5 - 2.0 / 3);   /* recall a - recall d */
    CHECK_METRIC(r, "SD", 1.0 / 2 - 4.0 / 5);   /* specificity d - specificity a */
    CHECK_METRIC(r, "DAR", 3.0 / 4 - 2.0 / 3);  /* precision a - precision d */
    CHECK_METRIC(r, "DRR", 1.0 / 2 - 4.0 / 6);  /* npv d - npv a */
    CHECK_METRIC(r, "AD", 7.0 / 10 - 3.0 / 5);  /* accuracy a - accuracy d */
    CHECK_METRIC(r, "TE", 1.0 / 1 - 2.0 / 1);   /* FN_d/FP_d - FN_a/FP_a */
    /*
     * predictions by group: g1 A = 1/3 (d among yhat+), D = 1/4; g2 A = 2/4, D = 1/4
     * CDDPL = (7 (1/4 - 1/3) + 8 (1/4 - 1/2)) / 15 = -31/180
     */
    CHECK_METRIC(r, "CDDPL", -31.0 / 180.0);
    /* benefits: 3 FN -> 0, 10 TP/TN -> 1, 2 FP -> 2; mu = 14/15; GE = sum((b/mu)^2 - 1) / 30 = 37/196 */
    CHECK_METRIC(r, "GE", 37.0 / 196.0);
}

START_TEST(test_bias_pretraining_hand_worked)
{
    mg_bias_options o = tiny_options("sex=F");
    o.predictions.path = NULL;
    o.predictions.text = NULL;
    mg_bias_report *r = compute_ok(&o);
    ck_assert_uint_eq(mg_bias_report_rows(r), 15);
    ck_assert_uint_eq(mg_bias_report_metrics(r), 8); /* no predictions: pre-training only */
    check_pretraining(r);
    mg_bias_report_free(r);
}
END_TEST

START_TEST(test_bias_posttraining_hand_worked)
{
    mg_bias_options o = tiny_options("sex=F");
    mg_bias_report *r = compute_ok(&o);
    check_pretraining(r);
    check_posttraining(r);
    mg_bias_report_free(r);
}
END_TEST

/* A score column with threshold 0.5 gives the same predictions as yhat. */
START_TEST(test_bias_score_column)
{
    mg_bias_options o = tiny_options("sex=F");
    o.score_column = "score";
    mg_bias_report *r = compute_ok(&o);
    check_posttraining(r);
    mg_bias_report_free(r);
}
END_TEST

/* age >= 40 selects exactly the F rows; age > 44 and age <= 44 (d and a swapped) agree. */
START_TEST(test_bias_threshold_facet)
{
    mg_bias_options o = tiny_options("age>=40;age>44;age<=44");
    mg_bias_report *r = compute_ok(&o);
    ck_assert_uint_eq(mg_bias_report_facets(r), 3);
    check_pretraining(r);
    check_posttraining(r);
    ck_assert_double_eq(value_of(r, 1, "DI"), value_of(r, 0, "DI"));
    /* swapping d and a negates CI: (5 - 10) / 15 */
    ck_assert_double_eq_tol(value_of(r, 2, "CI"), -1.0 / 3, 1e-12);
    ck_assert_double_eq_tol(value_of(r, 2, "DI"), (4.0 / 10) / (3.0 / 5), 1e-12);
    mg_bias_report_free(r);
}
END_TEST

/* Several values: sex=F,M covers everything, so facet a is empty and every metric says so. */
START_TEST(test_bias_facet_every_row_is_undefined)
{
    mg_bias_options o = tiny_options("sex=F,M");
    mg_bias_report *r = compute_ok(&o);
    mg_bias_result res;
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "CI"), 0);
    ck_assert_int_eq(res.v.status, MG_BIAS_UNDEFINED);
    ck_assert_ptr_nonnull(strstr(res.v.reason, "facet a is empty"));
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "TE"), 0);
    ck_assert_int_eq(res.v.status, MG_BIAS_UNDEFINED);
    mg_bias_report_free(r);
}
END_TEST

/* A threshold no row reaches: facet d is empty; JSON says null with the reason. */
START_TEST(test_bias_empty_facet_json_null)
{
    mg_bias_options o = tiny_options("age>=100");
    mg_bias_report *r = compute_ok(&o);
    json_t *doc = mg_bias_report_to_json(r);
    json_t *ci = json_object_get(json_object_get(doc, "metrics"), "CI");
    ck_assert(json_is_null(json_object_get(ci, "value")));
    ck_assert_str_eq(json_string_value(json_object_get(ci, "reason")),
                     "facet d is empty: no row matches the facet");
    /* GE does not depend on the facet: still defined */
    ck_assert_double_eq_tol(value_of(r, 0, "GE"), 37.0 / 196.0, 1e-12);
    json_decref(doc);
    mg_bias_report_free(r);
}
END_TEST

/* Options for a small table with facet column f (d = "d") and label y (positive "yes"). */
static mg_bias_options small_options(const char *data, const char *preds)
{
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    o.data = (mg_bias_source){"small.csv", data, strlen(data)};
    if (preds)
        o.predictions = (mg_bias_source){"small_preds.csv", preds, strlen(preds)};
    o.label = "y";
    o.positive = "yes";
    o.facets = "f=d";
    return o;
}

/*
 * Infinite values as smclarify's divide gives them. Facet a = rows 1-2 (all
 * predicted negative), d = rows 3-4 (one FP): qa^ = 0, so DI = qd^/0 = +inf;
 * a has 1 FN and 0 FP, d has 0 FN and 1 FP: TE = 0/1 - 1/0 = -inf.
 */
START_TEST(test_bias_infinite_values)
{
    static const char *data = "f,y\na,yes\na,no\nd,no\nd,yes\n";
    static const char *preds = "p\nno\nno\nyes\nyes\n";
    mg_bias_options o = small_options(data, preds);
    mg_bias_report *r = compute_ok(&o);
    mg_bias_result res;
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "DI"), 0);
    ck_assert_int_eq(res.v.status, MG_BIAS_INFINITE);
    ck_assert(isinf(res.v.value) && res.v.value > 0);
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "TE"), 0);
    ck_assert(isinf(res.v.value) && res.v.value < 0);
    /* DCA: ca = 1/0 = +inf, cd = 1/2: +inf */
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "DCA"), 0);
    ck_assert(isinf(res.v.value) && res.v.value > 0);
    json_t *doc = mg_bias_report_to_json(r);
    json_t *di = json_object_get(json_object_get(doc, "metrics"), "DI");
    ck_assert_str_eq(json_string_value(json_object_get(di, "value")), "Infinity");
    ck_assert_ptr_nonnull(json_object_get(di, "reason"));
    json_decref(doc);
    mg_bias_report_free(r);
}
END_TEST

/* Both sides +inf: smclarify reports 0. Each facet: 1 FN, 0 FP: TE = inf - inf -> 0. */
START_TEST(test_bias_both_infinite_is_zero)
{
    static const char *data = "f,y\na,yes\na,no\nd,yes\nd,no\n";
    static const char *preds = "p\nno\nno\nno\nno\n";
    mg_bias_options o = small_options(data, preds);
    mg_bias_report *r = compute_ok(&o);
    ck_assert_double_eq(value_of(r, 0, "TE"), 0.0);
    ck_assert_double_eq(value_of(r, 0, "DCA"), 0.0); /* ca = cd = 1/0 */
    /* DI: qa^ = qd^ = 0 -> divide(0, 0) = 0 */
    ck_assert_double_eq(value_of(r, 0, "DI"), 0.0);
    mg_bias_report_free(r);
}
END_TEST

/*
 * CDD with a group that has no positive label (A_g = 0) and the whole data
 * without positives (undefined). g1: d 1 of 2 positives, a-only negative;
 * g2: negatives only, d 1 of 2. A_g1 = 1/2, D_g1 = 0/1; A_g2 = 0, D_g2 = 1/2.
 * CDDL = (3 (0 - 1/2) + 2 (1/2 - 0)) / 5 = -1/10.
 */
START_TEST(test_bias_cdd_group_without_positives)
{
    static const char *data = "f,g,y\nd,g1,1\na,g1,1\na,g1,0\nd,g2,0\na,g2,0\n";
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    mg_bias_result res;
    o.data = (mg_bias_source){"cdd.csv", data, strlen(data)};
    o.label = "y";
    o.positive = ">=1";
    o.facets = "f=d";
    o.group = "g";
    o.metrics = "CDDL";
    mg_bias_report *r = compute_ok(&o);
    ck_assert_double_eq_tol(value_of(r, 0, "CDDL"), -0.1, 1e-15);
    mg_bias_report_free(r);
    o.positive = ">=2"; /* no positive label at all */
    r = compute_ok(&o);
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "CDDL"), 0);
    ck_assert_int_eq(res.v.status, MG_BIAS_UNDEFINED);
    ck_assert_str_eq(res.v.reason, "no positive label in the data");
    mg_bias_report_free(r);
}
END_TEST

/*
 * --label-values: KL etc. over the label's values. a: x x y z, d: x y y y.
 * Pa = (1/2, 1/4, 1/4), Pd = (1/4, 3/4, 0); z is dropped (0 in d).
 */
START_TEST(test_bias_label_values_distribution)
{
    static const char *data = "f,y\na,x\na,x\na,y\na,z\nd,x\nd,y\nd,y\nd,y\n";
    mg_bias_options o = small_options(data, NULL);
    o.positive = "x";
    o.label_values = 1;
    mg_bias_report *r = compute_ok(&o);
    CHECK_METRIC(r, "KL", 0.5 * log(0.5 / 0.25) + 0.25 * log(0.25 / 0.75));
    CHECK_METRIC(r, "KS", 0.5);
    CHECK_METRIC(r, "TVD", 0.5 * (0.25 + 0.5));
    CHECK_METRIC(r, "LP", sqrt(0.25 * 0.25 + 0.5 * 0.5));
    CHECK_METRIC(r, "DPL", 0.5 - 0.25); /* still positive = x */
    mg_bias_report_free(r);
    o.label_values = 0; /* binary: Pa = (1/2, 1/2), Pd = (3/4, 1/4) */
    r = compute_ok(&o);
    CHECK_METRIC(r, "KS", 0.25);
    mg_bias_report_free(r);
}
END_TEST

/*
 * Missing values. Clarify's default: a missing facet counts in facet a, a
 * missing label as negative. Row 2's facet and row 3's label are missing.
 * keep: d = rows 1, 4 (1 positive), a = rows 2, 3, 5 (2 positive: row 3's "?" is not)
 *   -> DPL = 2/3 - 1/2; drop: d = rows 1, 4, a = row 5 -> DPL = 1 - 1/2.
 */
START_TEST(test_bias_missing_values)
{
    static const char *data = "f,y\nd,yes\n,yes\nx,?\nd,no\nx,yes\n";
    mg_bias_options o = small_options(data, NULL);
    mg_bias_report *r = compute_ok(&o);
    CHECK_METRIC(r, "DPL", 2.0 / 3 - 1.0 / 2);
    json_t *doc = mg_bias_report_to_json(r);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "facet"), "missing")),
                     1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "label"), "missing")),
                     1);
    json_decref(doc);
    mg_bias_report_free(r);
    o.drop_missing = 1;
    r = compute_ok(&o);
    CHECK_METRIC(r, "DPL", 1.0 - 1.0 / 2);
    CHECK_METRIC(r, "CI", (1.0 - 2.0) / 3.0);
    mg_bias_report_free(r);
}
END_TEST

/* A listed value that is a number matches the same number written otherwise; DCAcc = DCA. */
START_TEST(test_bias_numeric_values_and_alias)
{
    static const char *data = "age,y\n40,1\n40.0,0\n41,1\n39,0\n";
    static const char *preds = "p\n1\n1\n0\n0\n";
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    o.data = (mg_bias_source){"num.csv", data, strlen(data)};
    o.predictions = (mg_bias_source){"num_preds.csv", preds, strlen(preds)};
    o.label = "y";
    o.positive = "1";
    o.facets = "age=40";
    o.metrics = "CI,DCAcc";
    mg_bias_report *r = compute_ok(&o);
    CHECK_METRIC(r, "CI", 0.0); /* 2 and 2 */
    ck_assert_str_eq(mg_bias_report_metric_name(r, 1), "DCA");
    /* d: y 1,0 p 1,1 -> cd = 1/2; a: y 1,0 p 0,0 -> ca = 1/0 = inf: DCA = +inf */
    mg_bias_result res;
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "DCAcc"), 0);
    ck_assert_int_eq(res.v.status, MG_BIAS_INFINITE);
    mg_bias_report_free(r);
}
END_TEST

/* Same seed, same intervals; another seed, other intervals; each brackets a sane range. */
START_TEST(test_bias_bootstrap_reproducible)
{
    mg_bias_options o = tiny_options("sex=F");
    mg_bias_result a, b, c;
    o.bootstrap = 400;
    o.seed = 7;
    mg_bias_report *r1 = compute_ok(&o), *r2 = compute_ok(&o);
    o.seed = 8;
    mg_bias_report *r3 = compute_ok(&o);
    const char *names[] = {"CI", "DPL", "KL", "CDDL", "DI", "GE", "TE"};
    int differs = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ck_assert_int_eq(mg_bias_report_get(&a, r1, 0, names[i]), 0);
        ck_assert_int_eq(mg_bias_report_get(&b, r2, 0, names[i]), 0);
        ck_assert_int_eq(mg_bias_report_get(&c, r3, 0, names[i]), 0);
        ck_assert(a.has_ci && b.has_ci);
        ck_assert(memcmp(a.ci, b.ci, sizeof a.ci) == 0);
        ck_assert(a.ci[0] <= a.ci[1]);
        differs |= memcmp(a.ci, c.ci, sizeof a.ci) != 0;
    }
    ck_assert(differs);
    /* CI of a 15-row table: resampled facet shares stay in [-1, 1] */
    ck_assert_int_eq(mg_bias_report_get(&a, r1, 0, "CI"), 0);
    ck_assert(a.ci[0] >= -1 && a.ci[1] <= 1 && a.ci[0] < 1.0 / 3 && a.ci[1] > 1.0 / 3);
    mg_bias_report_free(r1);
    mg_bias_report_free(r2);
    mg_bias_report_free(r3);
}
END_TEST

/*
 * The bootstrap of CI on 20000 rows (nd = 5000) must agree with the normal
 * approximation: CI = 1 - 2 pd, sd = 2 sqrt(pd (1 - pd) / n) = 0.006124;
 * the 95% interval is about CI -+ 1.96 sd = 0.5 -+ 0.0120.
 */
START_TEST(test_bias_bootstrap_matches_theory)
{
    mg_buf csv = MG_BUF_INIT;
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    mg_bias_result res;
    ck_assert_int_eq(mg_buf_puts(&csv, "f,y\n"), 0);
    for (int i = 0; i < 20000; i++)
        ck_assert_int_eq(mg_buf_puts(&csv, i % 4 == 0 ? "d,1\n" : "a,0\n"), 0);
    o.data = (mg_bias_source){"big.csv", csv.ptr, csv.len};
    o.label = "y";
    o.positive = "1";
    o.facets = "f=d";
    o.metrics = "CI";
    o.bootstrap = 4000;
    mg_bias_report *r = compute_ok(&o);
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "CI"), 0);
    double half = 1.96 * 2 * sqrt(0.25 * 0.75 / 20000);
    ck_assert_double_eq_tol(res.ci[0], 0.5 - half, 0.0015);
    ck_assert_double_eq_tol(res.ci[1], 0.5 + half, 0.0015);
    mg_bias_report_free(r);
    mg_buf_free(&csv);
}
END_TEST

/* Chi-square of binomial draws against the exact pmf (inversion and BTRD, p > 1/2 too). */
static void check_binomial(uint64_t n, double p, uint64_t seed)
{
    enum { DRAWS = 200000 };
    double *pmf = calloc(n + 1, sizeof *pmf), chi = 0, mean = 0;
    uint64_t *hist = calloc(n + 1, sizeof *hist);
    mg_rng rng;
    size_t df = 0;

    mg_rng_seed(&rng, seed);
    for (uint64_t k = 0; k <= n; k++)
        pmf[k] = exp(lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
                     (double)k * log(p) + (double)(n - k) * log1p(-p));
    for (int i = 0; i < DRAWS; i++) {
        uint64_t x = binomial_draw(&rng, n, p);
        ck_assert(x <= n);
        hist[x]++;
        mean += (double)x / DRAWS;
    }
    /* pool the tails into bins of expected count >= 20 */
    double e = 0, o = 0;
    for (uint64_t k = 0; k <= n; k++) {
        e += pmf[k] * DRAWS;
        o += (double)hist[k];
        if (e >= 20 || k == n) {
            chi += (o - e) * (o - e) / e;
            df++;
            e = o = 0;
        }
    }
    /* mean within 5 standard errors, chi-square below its 99.99% point (~ df + 4.5 sqrt(2 df)) */
    ck_assert_double_eq_tol(mean, (double)n * p, 5 * sqrt((double)n * p * (1 - p) / DRAWS));
    ck_assert_msg(chi < (double)df + 4.5 * sqrt(2.0 * (double)df) + 10,
                  "n=%llu p=%g chi2=%g df=%zu", (unsigned long long)n, p, chi, df);
    free(pmf);
    free(hist);
}

START_TEST(test_bias_binomial_sampler)
{
    check_binomial(20, 0.3, 1);     /* inversion */
    check_binomial(1000, 0.004, 2); /* inversion, n p = 4 */
    check_binomial(200, 0.25, 3);   /* BTRD */
    check_binomial(5000, 0.4, 4);   /* BTRD, the squeeze and the full test */
    check_binomial(300, 0.9, 5);    /* p > 1/2 by symmetry */
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    ck_assert_uint_eq(binomial_draw(&rng, 10, 0), 0);
    ck_assert_uint_eq(binomial_draw(&rng, 10, 1), 10);
    /* a multinomial draw keeps the total */
    uint64_t counts[4] = {5, 0, 10, 85}, out[4];
    multinomial_draw(&rng, 1000000, counts, 4, 100, out);
    ck_assert_uint_eq(out[0] + out[1] + out[2] + out[3], 1000000);
    ck_assert_uint_eq(out[1], 0);
}
END_TEST

/*
 * FT with a hand-made logistic model on inputs x and g01 (identity pipeline):
 * logit = x - 5 + w g01. Facet d = g01 1; neighbours use x only (the facet's
 * own column is left out), k = 5 since facet a has 12 rows (x = 1..12,
 * positive for x > 5). Facet d rows x = 6.6, 7.4, 9.4, 2.4, 5.4 have the
 * neighbour majorities +, +, +, -, - (e.g. 7.4: 7 8 6 9 5 -> 4 of 5 positive).
 * w = -3: d positive for x > 8: model -, -, +, -, - -> two flips to negative,
 *   FT = (0 - 2) / 5 = -0.4.
 * w = +3: d positive for x > 2: model +, +, +, +, + -> two flips to positive
 *   (model + where the neighbours say -), FT = (2 - 0) / 5 = 0.4.
 */
static char *flip_model(double w)
{
    static const char *const names[] = {"x", "g01"};
    static const char *const classes[] = {"no", "yes"};
    mg_model_spec spec = MG_MODEL_SPEC_INIT;
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    char file[32], *path;
    ck_assert_int_eq(mg_pipeline_identity(&p, names, 2), 0);
    spec.type = MG_MODEL_LOGISTIC;
    spec.classes = 2;
    spec.class_names = classes;
    spec.label = "y";
    ck_assert_int_eq(mg_model_create(&m, &spec, p), 0);
    ck_assert_uint_eq(mg_model_params(m), 3);
    double *theta = mg_model_param_data_mut(m);
    theta[0] = 1;  /* x */
    theta[1] = w;  /* g01 */
    theta[2] = -5; /* bias */
    snprintf(file, sizeof file, "flip%+g.mgm", w);
    path = tu_path(file);
    ck_assert_msg(mg_model_save(m, path) == 0, "%s", mg_error_last());
    mg_model_free(m);
    return path;
}

START_TEST(test_bias_flip_test)
{
    static const char *data = "x,g01,y\n1,0,no\n2,0,no\n3,0,no\n4,0,no\n5,0,no\n6,0,yes\n"
                              "7,0,yes\n8,0,yes\n9,0,yes\n10,0,yes\n11,0,yes\n12,0,yes\n"
                              "6.6,1,yes\n7.4,1,no\n9.4,1,yes\n2.4,1,no\n5.4,1,no\n";
    char *neg = flip_model(-3), *pos = flip_model(3);
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    o.data = (mg_bias_source){"flip.csv", data, strlen(data)};
    o.label = "y";
    o.positive = "yes";
    o.facets = "g01=1";
    o.model = neg;
    mg_bias_report *r = compute_ok(&o);
    ck_assert_double_eq_tol(value_of(r, 0, "FT"), -0.4, 1e-15);
    ck_assert_double_eq_tol(value_of(r, 0, "CI"), (12.0 - 5) / 17, 1e-15); /* with the rest */
    mg_bias_report_free(r);
    o.model = pos;
    o.metrics = "FT";
    o.bootstrap = 200;
    r = compute_ok(&o);
    mg_bias_result res;
    ck_assert_int_eq(mg_bias_report_get(&res, r, 0, "FT"), 0);
    ck_assert_double_eq_tol(res.v.value, 0.4, 1e-15);
    ck_assert(res.has_ci && res.ci[0] >= 0 && res.ci[0] < 0.4 && res.ci[1] > 0.4 && res.ci[1] <= 1);
    mg_bias_report_free(r);
    o.metrics = "FT";
    o.model = NULL;
    ck_assert_int_eq(mg_bias_report_compute(&r, &o), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "--metrics: FT needs --model");
    free(neg);
    free(pos);
}
END_TEST

static int within(double x, double ref)
{
    return fabs(x - ref) <= 1e-9 * fabs(ref) || fabs(x - ref) <= 1e-12;
}

/* ../shared/reference/bias/adult_sex.json: every metric to 1e-9 relative (1e-12 absolute). */
START_TEST(test_bias_adult_reference)
{
    TU_REQUIRE_SHARED(ref_path, "reference/bias/adult_sex.json");
    json_error_t jerr;
    json_t *ref = json_load_file(ref_path, 0, &jerr);
    ck_assert_msg(ref != NULL, "%s", jerr.text);
    json_t *set = json_object_get(ref, "settings");
    const char *data_rel = json_string_value(json_object_get(ref, "data"));
    const char *pred_rel = json_string_value(json_object_get(ref, "predictions"));
    ck_assert(strncmp(data_rel, "shared/", 7) == 0 && strncmp(pred_rel, "shared/", 7) == 0);
    char *data = strdup(tu_shared(data_rel + 7)), *preds = strdup(tu_shared(pred_rel + 7));
    /* the predictions use the label's positive value, as smclarify requires */
    ck_assert_str_eq(json_string_value(json_object_get(set, "predicted_positive")),
                     json_string_value(json_object_get(set, "positive")));
    mg_bias_options o = MG_BIAS_OPTIONS_INIT;
    o.data.path = data;
    o.predictions.path = preds;
    o.label = json_string_value(json_object_get(set, "label"));
    o.positive = json_string_value(json_object_get(set, "positive"));
    o.facets = json_string_value(json_object_get(set, "facet"));
    o.group = json_string_value(json_object_get(set, "group"));
    o.predicted_column = json_string_value(json_object_get(set, "predicted_column"));
    mg_bias_report *r = compute_ok(&o);
    ck_assert_uint_eq(mg_bias_report_rows(r), json_integer_value(json_object_get(ref, "n")));

    json_t *doc = mg_bias_report_to_json(r), *counts = json_object_get(ref, "counts");
    json_t *facet = json_object_get(doc, "facet");
    ck_assert_int_eq(json_integer_value(json_object_get(facet, "nd")),
                     json_integer_value(json_object_get(counts, "nd")));
    ck_assert_int_eq(json_integer_value(json_object_get(facet, "na")),
                     json_integer_value(json_object_get(counts, "na")));

    const char *name;
    json_t *expected;
    double worst = 0;
    size_t checked = 0;
    json_object_foreach(json_object_get(ref, "metrics"), name, expected) {
        double x = value_of(r, 0, name), e = json_number_value(expected);
        ck_assert_msg(within(x, e), "%s: %.17g, reference %.17g", name, x, e);
        if (e != 0 && fabs(x - e) / fabs(e) > worst)
            worst = fabs(x - e) / fabs(e);
        checked++;
    }
    ck_assert_uint_eq(checked, 20);
    fprintf(stderr, "adult_sex.json: %zu metrics, largest relative deviation %.3g\n", checked,
            worst);
    json_decref(doc);
    mg_bias_report_free(r);
    json_decref(ref);
    free(data);
    free(preds);
}
END_TEST

/* The binary: DESIGN §3 JSON on the tiny table, and the table's metric rows. */
START_TEST(test_bias_cli_json_and_table)
{
    char *data = tu_path("cli.csv"), *preds = tu_path("cli_preds.csv"), *out = NULL, *err = NULL;
    tu_write(data, DATA);
    tu_write(preds, PREDS);
    ck_assert_int_eq(tu_run(&out, &err,
                            "bias --data %s --label y --positive yes --facet 'sex=F;age>=40' "
                            "--group grp --predictions %s --predicted-column yhat --format json",
                            data, preds),
                     0);
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", jerr.text, out);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "n")), 15);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "facet"), "column")),
                     "sex");
    json_t *ci = json_object_get(json_object_get(doc, "metrics"), "CI");
    ck_assert_double_eq_tol(json_number_value(json_object_get(ci, "value")), 1.0 / 3, 1e-15);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "facets")), 2);
    ck_assert_uint_eq(json_object_size(json_object_get(doc, "metrics")), 20);
    json_decref(doc);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err,
                            "bias --data %s --label y --positive yes --facet sex=F --bootstrap 50",
                            data),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "Class Imbalance"));
    ck_assert_ptr_nonnull(strstr(out, "CI      0.333333"));
    free(out);
    free(err);
    free(data);
    free(preds);
}
END_TEST

/* Runs the binary expecting exit 1 and `needle` in its message. */
static void expect_user_error(const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void expect_user_error(const char *needle, const char *fmt, ...)
{
    char args[2048], *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(tu_run(NULL, &err, "%s", args), 1);
    ck_assert_msg(err && strstr(err, needle), "expected '%s' in: %s", needle, err);
    free(err);
}

START_TEST(test_bias_cli_bad_input)
{
    char *data = tu_path("bad.csv"), *preds = tu_path("bad_preds.csv");
    char *short_preds = tu_path("short_preds.csv"), *ragged = tu_path("ragged.csv");
    tu_write(data, DATA);
    tu_write(preds, PREDS);
    tu_write(short_preds, "yhat\nyes\nno\nyes\n");
    tu_write(ragged, "sex,y\nF,yes\nM\n");
    expect_user_error("--label: column 'yy' not in", "bias --data %s --label yy --positive yes "
                      "--facet sex=F", data);
    expect_user_error("--facet: column 'gender' not in",
                      "bias --data %s --label y --positive yes --facet gender=F", data);
    expect_user_error("value 'Femal' never occurs in column 'sex'",
                      "bias --data %s --label y --positive yes --facet sex=Femal", data);
    expect_user_error("has 3 rows but the data", "bias --data %s --label y --positive yes "
                      "--facet sex=F --predictions %s", data, short_preds);
    expect_user_error(":3: 1 fields, but the header has 2",
                      "bias --data %s --label y --positive yes --facet sex=F", ragged);
    expect_user_error("--metrics: unknown metric 'XX'",
                      "bias --data %s --label y --positive yes --facet sex=F --metrics CI,XX",
                      data);
    expect_user_error("--metrics: CDDL needs --group",
                      "bias --data %s --label y --positive yes --facet sex=F --metrics CDDL", data);
    expect_user_error("--metrics: DI needs --predictions",
                      "bias --data %s --label y --positive yes --facet sex=F --metrics DI", data);
    expect_user_error("bad.csv:2:1: 'M' is not a number", "bias --data %s --label y --positive yes "
                      "--facet 'sex>=4'", data);
    expect_user_error("no row of column 'y'", "bias --data %s --label y --positive Yes "
                      "--facet sex=F", data);
    expect_user_error("missing required flag --facet",
                      "bias --data %s --label y --positive yes", data);
    free(data);
    free(preds);
    free(short_preds);
    free(ragged);
}
END_TEST

static Suite *bias_suite(void)
{
    Suite *s = suite_create("bias");
    TCase *tc = tcase_create("bias");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bias_pretraining_hand_worked);
    tcase_add_test(tc, test_bias_posttraining_hand_worked);
    tcase_add_test(tc, test_bias_score_column);
    tcase_add_test(tc, test_bias_threshold_facet);
    tcase_add_test(tc, test_bias_facet_every_row_is_undefined);
    tcase_add_test(tc, test_bias_empty_facet_json_null);
    tcase_add_test(tc, test_bias_infinite_values);
    tcase_add_test(tc, test_bias_both_infinite_is_zero);
    tcase_add_test(tc, test_bias_cdd_group_without_positives);
    tcase_add_test(tc, test_bias_label_values_distribution);
    tcase_add_test(tc, test_bias_missing_values);
    tcase_add_test(tc, test_bias_numeric_values_and_alias);
    tcase_add_test(tc, test_bias_bootstrap_reproducible);
    tcase_add_test(tc, test_bias_bootstrap_matches_theory);
    tcase_add_test(tc, test_bias_binomial_sampler);
    tcase_add_test(tc, test_bias_flip_test);
    tcase_add_test(tc, test_bias_adult_reference);
    tcase_add_test(tc, test_bias_cli_json_and_table);
    tcase_add_test(tc, test_bias_cli_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bias_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
