/* test_privacy.c - the privacy module: RDP and PRV accountants, noise calibration, CLI. */
#include "mg_core.h"
#include "mg_privacy.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REF "reference/privacy/rdp_epsilon.json"

/* The reference document (Opacus's and dp_accounting's own numbers), or NULL when absent. */
static json_t *load_ref(const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s:%d: %s", path, jerr.line, jerr.text);
    return doc;
}

static double num(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_number(v), "reference field '%s' missing", key);
    return json_number_value(v);
}

static mg_privacy_event entry_event(const json_t *e)
{
    mg_privacy_event ev = {num(e, "q"), num(e, "sigma"), (uint64_t)num(e, "steps")};
    return ev;
}

static double rel_err(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

/* The orders are Opacus's DEFAULT_ALPHAS, exactly as the reference lists them. */
START_TEST(test_privacy_orders_are_opacus_defaults)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *alphas = json_object_get(doc, "alphas");
    const double *o = mg_privacy_orders();

    ck_assert_uint_eq(json_array_size(alphas), MG_PRIVACY_ORDERS);
    for (size_t i = 0; i < MG_PRIVACY_ORDERS; i++)
        ck_assert_msg(o[i] == json_number_value(json_array_get(alphas, i)), "order %zu: %g", i,
                      o[i]);
    json_decref(doc);
}
END_TEST

/*
 * Every (q, sigma, steps, delta) entry of the reference: Opacus's epsilons to
 * 1e-9 relative (the file's tolerance_hint) with the same best order;
 * dp_accounting's, which differ from Opacus by up to 7.3e-7 at small
 * fractional orders (library_differences), to 1e-6 with the same best order.
 */
START_TEST(test_privacy_rdp_reference_entries)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *entries = json_object_get(doc, "entries"), *e;
    size_t i, opacus = 0, other = 0;

    ck_assert_uint_ge(json_array_size(entries), 1);
    json_array_foreach(entries, i, e)
    {
        mg_privacy_event ev = entry_event(e);
        const char *lib = json_string_value(json_object_get(e, "library"));
        int is_opacus = strncmp(lib, "opacus", 6) == 0;
        double eps, order, want = num(e, "epsilon");

        ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, num(e, "delta")), MG_OK);
        ck_assert_msg(rel_err(eps, want) <= (is_opacus ? 1e-9 : 1e-6),
                      "%s q=%g sigma=%g T=%llu: epsilon %.17g, reference %.17g", lib,
                      ev.sample_rate, ev.noise_multiplier, (unsigned long long)ev.steps, eps, want);
        ck_assert_msg(order == num(e, "best_alpha"), "%s entry %zu: best order %g, reference %g",
                      lib, i, order, num(e, "best_alpha"));
        opacus += (size_t)is_opacus;
        other += (size_t)!is_opacus;
    }
    ck_assert_uint_gt(opacus, 0);
    ck_assert_uint_gt(other, 0);
    json_decref(doc);
}
END_TEST

/* Opacus's per-step RDP at all 151 orders, to 1e-9 relative. */
START_TEST(test_privacy_rdp_per_step_curves)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *curves = json_object_get(doc, "rdp_per_step"), *c;
    size_t i;

    ck_assert_uint_ge(json_array_size(curves), 1);
    json_array_foreach(curves, i, c)
    {
        mg_privacy_event ev = {num(c, "q"), num(c, "sigma"), 1};
        json_t *want = json_object_get(c, "rdp_per_step_opacus");
        double rdp[MG_PRIVACY_ORDERS] = {0};

        ck_assert_uint_eq(json_array_size(want), MG_PRIVACY_ORDERS);
        ck_assert_int_eq(mg_privacy_rdp_add(rdp, &ev, mg_privacy_orders(), MG_PRIVACY_ORDERS),
                         MG_OK);
        for (size_t k = 0; k < MG_PRIVACY_ORDERS; k++) {
            double w = json_number_value(json_array_get(want, k));
            ck_assert_msg(rel_err(rdp[k], w) <= 1e-9, "q=%g sigma=%g order %g: %.17g vs %.17g",
                          ev.sample_rate, ev.noise_multiplier, mg_privacy_orders()[k], rdp[k], w);
        }
    }
    json_decref(doc);
}
END_TEST

/*
 * The spot checks against mpmath quadrature: we match Opacus's series (to
 * 1e-9), and through it the exact value to the reference's stated accuracy
 * of Opacus (its opacus_rel_err, plus 1e-9).
 */
START_TEST(test_privacy_rdp_exact_checks)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *checks = json_object_get(doc, "rdp_exact_check"), *c;
    size_t i;

    json_array_foreach(checks, i, c)
    {
        mg_privacy_event ev = {num(c, "q"), num(c, "sigma"), 1};
        double order = num(c, "alpha"), rdp = 0;

        ck_assert_int_eq(mg_privacy_rdp_add(&rdp, &ev, &order, 1), MG_OK);
        ck_assert_msg(rel_err(rdp, num(c, "rdp_opacus")) <= 1e-9, "order %g: %.17g vs %.17g", order,
                      rdp, num(c, "rdp_opacus"));
        ck_assert_double_le(rel_err(rdp, num(c, "rdp_quad")),
                            fabs(num(c, "opacus_rel_err")) + 1e-9);
    }
    json_decref(doc);
}
END_TEST

/*
 * The MNIST DP-SGD tutorial setting: q = 256/60000, sigma = 1.1, 60 epochs,
 * delta = 1e-5. Steps = ceil(60 * 60000 / 256) = ceil(14062.5) = 14063
 * (compute_dp_sgd_privacy's rule); the tutorial's floor gives 14062.
 */
START_TEST(test_privacy_rdp_mnist_setting)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *runs = json_object_get(doc, "mnist_dpsgd"), *r;
    size_t i, seen = 0;

    json_array_foreach(runs, i, r)
    {
        const char *lib = json_string_value(json_object_get(r, "library"));
        mg_privacy_event ev = {256.0 / 60000, 1.1, 0};
        double eps, order;

        if (strcmp(lib, "opacus RDPAccountant") != 0)
            continue;
        ev.steps = (uint64_t)num(r, "steps");
        ck_assert(ev.steps == 14063 || ev.steps == 14062);
        ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_OK);
        ck_assert_msg(rel_err(eps, num(r, "epsilon")) <= 1e-9, "T=%llu: %.17g vs %.17g",
                      (unsigned long long)ev.steps, eps, num(r, "epsilon"));
        ck_assert(order == num(r, "best_alpha"));
        if (ev.steps == 14063) /* the published figure, 2.597 at order 8.1 */
            ck_assert_double_eq_tol(eps, 2.5967, 5e-5);
        seen++;
    }
    ck_assert_uint_eq(seen, 2);
    json_decref(doc);
}
END_TEST

/*
 * Worked by hand. Without subsampling (q = 1) the Gaussian mechanism has RDP
 * a / (2 sigma^2): sigma = 1, a = 2 gives 1 per step. Order 2, q = 0.1,
 * sigma = 1: A_2 = (1-q)^2 + 2q(1-q) + q^2 e^(1/sigma^2) = 1 + q^2 (e - 1),
 * rdp = ln(1 + 0.01 (e - 1)) / (2 - 1). The conversion at a = 2, T = 3,
 * delta = 1e-5: eps = 3 - (ln 1e-5 + ln 2) / 1 + ln(1/2) = 3 + 5 ln 10 - 2 ln 2.
 */
START_TEST(test_privacy_rdp_hand_worked)
{
    mg_privacy_event gauss = {1.0, 1.0, 3}, sub = {0.1, 1.0, 1};
    double order = 2, rdp = 0, eps, best;

    ck_assert_int_eq(mg_privacy_rdp_add(&rdp, &gauss, &order, 1), MG_OK);
    ck_assert_double_eq_tol(rdp, 3.0, 1e-15);
    ck_assert_int_eq(mg_privacy_rdp_epsilon_from_curve(&eps, &best, &order, &rdp, 1, 1e-5), MG_OK);
    ck_assert_double_eq_tol(eps, 3 + 5 * log(10) - 2 * log(2), 1e-12);
    ck_assert(best == 2);

    rdp = 0;
    ck_assert_int_eq(mg_privacy_rdp_add(&rdp, &sub, &order, 1), MG_OK);
    ck_assert_double_eq_tol(rdp, log(1 + 0.01 * (exp(1) - 1)), 1e-15);
}
END_TEST

/* RDP adds across events, so two runs of T1 and T2 steps spend what one run of T1 + T2 does. */
START_TEST(test_privacy_rdp_composition_of_runs)
{
    mg_privacy_event two[2] = {{0.01, 1.3, 400}, {0.01, 1.3, 600}}, one = {0.01, 1.3, 1000};
    mg_privacy_event mixed[2] = {{0.01, 1.3, 400}, {0.02, 0.9, 50}};
    double e2, o2, e1, o1, curve[MG_PRIVACY_ORDERS] = {0}, em, om, ec, oc;

    ck_assert_int_eq(mg_privacy_rdp_epsilon(&e2, &o2, two, 2, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&e1, &o1, &one, 1, 1e-5), MG_OK);
    ck_assert_double_eq_tol(e2, e1, 1e-12 * e1);
    ck_assert(o2 == o1);
    /* Heterogeneous runs: the history's epsilon is the epsilon of the summed curves. */
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&em, &om, mixed, 2, 1e-5), MG_OK);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(
            mg_privacy_rdp_add(curve, &mixed[i], mg_privacy_orders(), MG_PRIVACY_ORDERS), MG_OK);
    ck_assert_int_eq(mg_privacy_rdp_epsilon_from_curve(&ec, &oc, mg_privacy_orders(), curve,
                                                       MG_PRIVACY_ORDERS, 1e-5),
                     MG_OK);
    ck_assert(em == ec && om == oc);
    ck_assert_double_gt(em, e1);
}
END_TEST

START_TEST(test_privacy_rdp_special_cases)
{
    mg_privacy_event none = {0.0, 1.0, 10}, open = {0.1, 0.0, 10};
    double eps, order, rdp[2] = {0, 0}, orders[2] = {1.5, 3};

    /* No steps: nothing spent (Opacus returns 0 for an empty history). */
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, NULL, 0, 1e-5), MG_OK);
    ck_assert(eps == 0 && order == 0);
    /* q = 0: RDP 0 at every order. */
    ck_assert_int_eq(mg_privacy_rdp_add(rdp, &none, orders, 2), MG_OK);
    ck_assert(rdp[0] == 0 && rdp[1] == 0);
    /* sigma = 0: no privacy at all. */
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &open, 1, 1e-5), MG_OK);
    ck_assert(isinf(eps));
}
END_TEST

START_TEST(test_privacy_rdp_bad_input)
{
    mg_privacy_event ev = {-0.1, 1.0, 10};
    double eps, order, o = 1.0, r = 0;

    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "sample rate"));
    ev.sample_rate = 0.1;
    ev.noise_multiplier = NAN;
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "noise multiplier"));
    ev.noise_multiplier = 1;
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 0), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "delta"));
    ck_assert_int_eq(mg_privacy_rdp_add(&r, &ev, &o, 1), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "order"));
}
END_TEST

/*
 * Calibration as Opacus's get_noise_multiplier: the sigma returned spends at
 * most the target and at least target - 0.01; a sigma just below the
 * bisection's final bracket would overspend.
 */
START_TEST(test_privacy_noise_calibration)
{
    const struct {
        double q, target, delta;
        uint64_t steps;
    } cases[] = {{256.0 / 60000, 1.0, 1e-5, 14063},
                 {256.0 / 60000, 8.0, 1e-5, 14063},
                 {0.01, 0.5, 1e-5, 1000},
                 {0.05, 3.0, 1e-6, 200},
                 {1.0, 2.0, 1e-5, 10}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double sigma, eps, check, order;
        mg_privacy_event ev;

        ck_assert_int_eq(mg_privacy_noise_calibrate(&sigma, &eps, cases[i].target, cases[i].delta,
                                                    cases[i].q, cases[i].steps, MG_PRIVACY_RDP,
                                                    MG_PRIVACY_EPSILON_TOLERANCE),
                         MG_OK);
        ev = (mg_privacy_event){cases[i].q, sigma, cases[i].steps};
        ck_assert_int_eq(mg_privacy_rdp_epsilon(&check, &order, &ev, 1, cases[i].delta), MG_OK);
        ck_assert(check == eps);
        ck_assert_double_le(eps, cases[i].target);
        ck_assert_double_ge(eps, cases[i].target - MG_PRIVACY_EPSILON_TOLERANCE);
        /* Less noise than sigma by 1% spends more than sigma does. */
        ev.noise_multiplier = sigma * 0.99;
        ck_assert_int_eq(mg_privacy_rdp_epsilon(&check, &order, &ev, 1, cases[i].delta), MG_OK);
        ck_assert_double_gt(check, eps);
    }
}
END_TEST

START_TEST(test_privacy_noise_budget_too_low)
{
    double sigma, eps;
    /* One step at q = 1 with delta 1e-5 needs sigma ~ 4.8e6 for eps = 1e-6: past Opacus's 1e6. */
    ck_assert_int_eq(
        mg_privacy_noise_calibrate(&sigma, &eps, 1e-6, 1e-5, 1.0, 1, MG_PRIVACY_RDP, 0.01),
        MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "privacy budget too low"));
    ck_assert_int_eq(
        mg_privacy_noise_calibrate(&sigma, &eps, 1.0, 1e-5, 0.01, 0, MG_PRIVACY_RDP, 0.01),
        MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "steps"));
}
END_TEST

/*
 * Every PRV entry of the reference (Opacus's PRVAccountant, eps_upper):
 * within Opacus's stated error, eps_error, of it. Our port follows the same
 * grid and steps, so it lands far closer: 1e-5 bounds the differences that
 * Opacus's own quadrature tolerance (1.5e-8 on the mean, times T) allows.
 */
START_TEST(test_privacy_prv_reference_entries)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *entries = json_object_get(doc, "prv"), *e;
    size_t i;
    double worst = 0;

    ck_assert_uint_ge(json_array_size(entries), 1);
    json_array_foreach(entries, i, e)
    {
        mg_privacy_event ev = entry_event(e);
        mg_privacy_prv_options o = {num(e, "eps_error"), num(e, "delta_error")};
        double eps, lower, estimate, want = num(e, "epsilon");

        ck_assert_int_eq(
            mg_privacy_prv_epsilon(&eps, &lower, &estimate, &ev, 1, num(e, "delta"), &o), MG_OK);
        ck_assert_msg(fabs(eps - want) <= o.eps_error && fabs(eps - want) <= 1e-5,
                      "q=%g sigma=%g T=%llu: PRV epsilon %.17g, Opacus %.17g", ev.sample_rate,
                      ev.noise_multiplier, (unsigned long long)ev.steps, eps, want);
        ck_assert_double_le(lower, estimate);
        ck_assert_double_le(estimate, eps);
        worst = fmax(worst, fabs(eps - want));
    }
    fprintf(stderr, "PRV: largest difference from Opacus %.2e\n", worst);
    json_decref(doc);
}
END_TEST

/* PRV is the tighter accountant: its epsilon never exceeds RDP's on the reference grid. */
START_TEST(test_privacy_prv_below_rdp)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *entries = json_object_get(doc, "entries"), *e;
    size_t i, n = 0;

    json_array_foreach(entries, i, e)
    {
        mg_privacy_event ev = entry_event(e);
        double prv, rdp, order, delta = num(e, "delta");

        if (strncmp(json_string_value(json_object_get(e, "library")), "opacus", 6) != 0)
            continue;
        ck_assert_int_eq(mg_privacy_rdp_epsilon(&rdp, &order, &ev, 1, delta), MG_OK);
        ck_assert_int_eq(mg_privacy_prv_epsilon(&prv, NULL, NULL, &ev, 1, delta, NULL), MG_OK);
        ck_assert_msg(prv <= rdp, "q=%g sigma=%g T=%llu: PRV %g > RDP %g", ev.sample_rate,
                      ev.noise_multiplier, (unsigned long long)ev.steps, prv, rdp);
        n++;
    }
    ck_assert_uint_ge(n, 16);
    json_decref(doc);
}
END_TEST

/*
 * Composition: two runs of T1 and T2 steps are one run of T1 + T2 (the same
 * grid, since it depends on the totals; FFT self-composition then a linear
 * convolution against one self-composition). A heterogeneous history stays
 * below its RDP epsilon and above each of its parts.
 */
START_TEST(test_privacy_prv_composition_of_runs)
{
    mg_privacy_event two[2] = {{0.01, 1.3, 400}, {0.01, 1.3, 600}}, one = {0.01, 1.3, 1000};
    mg_privacy_event mixed[3] = {{0.01, 1.3, 400}, {0.02, 0.9, 50}, {0.005, 2.0, 3000}};
    double e2, e1, em, rdp, order, part;

    ck_assert_int_eq(mg_privacy_prv_epsilon(&e2, NULL, NULL, two, 2, 1e-5, NULL), MG_OK);
    ck_assert_int_eq(mg_privacy_prv_epsilon(&e1, NULL, NULL, &one, 1, 1e-5, NULL), MG_OK);
    ck_assert_double_eq_tol(e2, e1, 1e-6);
    ck_assert_int_eq(mg_privacy_prv_epsilon(&em, NULL, NULL, mixed, 3, 1e-5, NULL), MG_OK);
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&rdp, &order, mixed, 3, 1e-5), MG_OK);
    ck_assert_double_lt(em, rdp);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mg_privacy_prv_epsilon(&part, NULL, NULL, &mixed[i], 1, 1e-5, NULL),
                         MG_OK);
        ck_assert_double_gt(em, part);
    }
}
END_TEST

START_TEST(test_privacy_prv_bad_input)
{
    mg_privacy_event ev = {0.01, 1.0, 100};
    mg_privacy_prv_options o = {0.01, 1e-4};
    double eps;

    ck_assert_int_eq(mg_privacy_prv_epsilon(&eps, NULL, NULL, &ev, 1, 1e-5, &o), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "delta_error"));
    o = (mg_privacy_prv_options){-1, 0};
    ck_assert_int_eq(mg_privacy_prv_epsilon(&eps, NULL, NULL, &ev, 1, 1e-5, &o), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "eps_error"));
    ck_assert_int_eq(mg_privacy_prv_epsilon(&eps, NULL, NULL, &ev, 1, 1.5, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "delta"));
    /* Nothing sampled or nothing run: nothing spent. */
    ev.steps = 0;
    ck_assert_int_eq(mg_privacy_prv_epsilon(&eps, NULL, NULL, &ev, 1, 1e-5, NULL), MG_OK);
    ck_assert(eps == 0);
}
END_TEST

/* `modelgov privacy epsilon --format json` prints DESIGN §3's shape with Opacus's MNIST value. */
START_TEST(test_privacy_cli_epsilon_json)
{
    TU_REQUIRE_SHARED(path, REF);
    json_t *doc = load_ref(path), *runs = json_object_get(doc, "mnist_dpsgd"), *r, *out_doc;
    char *out = NULL, *err = NULL;
    double want = NAN, want_order = NAN;
    json_error_t jerr;
    size_t i;

    json_array_foreach(runs, i, r) if (strcmp(json_string_value(json_object_get(r, "library")),
                                              "opacus RDPAccountant") == 0 &&
                                       num(r, "steps") == 14063)
    {
        want = num(r, "epsilon");
        want_order = num(r, "best_alpha");
    }
    ck_assert(!isnan(want));
    ck_assert_int_eq(tu_run(&out, &err,
                            "privacy epsilon --sample-rate %.17g --noise-multiplier 1.1 "
                            "--steps 14063 --delta 1e-5 --format json",
                            256.0 / 60000),
                     0);
    out_doc = json_loads(out, 0, &jerr);
    ck_assert_msg(out_doc != NULL, "not JSON: %s", out);
    ck_assert_double_le(rel_err(num(out_doc, "epsilon"), want), 1e-12);
    ck_assert(num(out_doc, "best_alpha") == want_order);
    ck_assert_str_eq(json_string_value(json_object_get(out_doc, "accountant")), "rdp");
    json_decref(out_doc);
    free(out);
    free(err);

    ck_assert_int_eq(tu_run(&out, &err,
                            "privacy epsilon --sample-rate %.17g --noise-multiplier 1.1 "
                            "--steps 14063 --delta 1e-5 --accountant prv --format json",
                            256.0 / 60000),
                     0);
    out_doc = json_loads(out, 0, &jerr);
    ck_assert_msg(out_doc != NULL, "not JSON: %s", out);
    ck_assert_str_eq(json_string_value(json_object_get(out_doc, "accountant")), "prv");
    ck_assert_double_lt(num(out_doc, "epsilon"), want);
    json_decref(out_doc);
    json_decref(doc);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_privacy_cli_noise_json)
{
    char *out = NULL, *err = NULL;
    json_error_t jerr;
    json_t *doc;
    double eps, order;
    mg_privacy_event ev;

    ck_assert_int_eq(tu_run(&out, &err,
                            "privacy noise --sample-rate 0.01 --target-epsilon 2 --steps 3000 "
                            "--delta 1e-5 --format json"),
                     0);
    doc = json_loads(out, 0, &jerr);
    ck_assert_msg(doc != NULL, "not JSON: %s", out);
    ev = (mg_privacy_event){0.01, num(doc, "noise_multiplier"), 3000};
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_OK);
    ck_assert(eps == num(doc, "epsilon"));
    ck_assert_double_le(eps, 2.0);
    ck_assert_double_ge(eps, 2.0 - MG_PRIVACY_EPSILON_TOLERANCE);
    json_decref(doc);
    free(out);
    free(err);
}
END_TEST

/* Bad flags: exit 1 and a message naming the flag. */
START_TEST(test_privacy_cli_bad_flags)
{
    const struct {
        const char *args, *flag;
    } cases[] = {
        {"epsilon --sample-rate -0.5 --noise-multiplier 1 --steps 10 --delta 1e-5",
         "--sample-rate"},
        {"epsilon --sample-rate 1.5 --noise-multiplier 1 --steps 10 --delta 1e-5", "--sample-rate"},
        {"epsilon --sample-rate 0.1 --noise-multiplier 1 --steps 10", "--delta"},
        {"epsilon --sample-rate 0.1 --noise-multiplier 1 --steps 10 --delta 1", "--delta"},
        {"epsilon --sample-rate 0.1 --noise-multiplier 0 --steps 10 --delta 1e-5",
         "--noise-multiplier"},
        {"epsilon --sample-rate 0.1 --steps 10 --delta 1e-5", "--noise-multiplier"},
        {"epsilon --sample-rate 0.1 --noise-multiplier 1 --steps 0 --delta 1e-5", "--steps"},
        {"epsilon --sample-rate 0.1 --noise-multiplier 1 --steps 10 --delta 1e-5 "
         "--accountant gdp",
         "--accountant"},
        {"noise --sample-rate 0.1 --target-epsilon -1 --steps 10 --delta 1e-5", "--target-epsilon"},
        {"noise --sample-rate 0.1 --noise-multiplier 1 --steps 10 --delta 1e-5",
         "--noise-multiplier"},
        {"budget --sample-rate 0.1", "'budget'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        ck_assert_int_eq(tu_run(NULL, &err, "privacy %s", cases[i].args), 1);
        ck_assert_msg(strstr(err, cases[i].flag) != NULL, "'%s': %s", cases[i].args, err);
        free(err);
    }
}
END_TEST

#define SHA_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define SHA_B "bbbb000000000000000000000000000000000000000000000000000000000002"
#define SHA_C "cccc000000000000000000000000000000000000000000000000000000000003"

/*
 * Two DP runs on data set A compose by RDP: 300 + 700 steps at the same
 * (q, sigma) spend what one 1000-step run does; data set B's ledger is its own.
 */
START_TEST(test_privacy_ledger_composes_runs)
{
    mg_privacy_ledger *l;
    mg_privacy_event r1 = {0.01, 1.1, 300}, r2 = {0.01, 1.1, 700}, whole = {0.01, 1.1, 1000};
    mg_privacy_event other = {0.02, 2.0, 50};
    mg_privacy_spend a, b, none, planned;
    double eps, order, eps_b, order_b;

    ck_assert_int_eq(mg_privacy_ledger_create(&l), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "run-1", &r1, 1e-5), MG_OK);
    /* Before the second run: the planned spend is what the ledger will say after it. */
    ck_assert_int_eq(mg_privacy_ledger_spend(&planned, l, SHA_A, 1e-5, &r2), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "run-2", &r2, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_B, "run-3", &other, 1e-6), MG_OK);

    ck_assert_int_eq(mg_privacy_ledger_spend(&a, l, SHA_A, 1e-5, NULL), MG_OK);
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &whole, 1, 1e-5), MG_OK);
    ck_assert_double_eq_tol(a.epsilon, eps, 1e-12 * eps);
    ck_assert(a.best_order == order);
    ck_assert(a.runs == 2 && a.dp_runs == 2 && !a.unbounded);
    ck_assert(planned.epsilon == a.epsilon && planned.best_order == a.best_order);

    ck_assert_int_eq(mg_privacy_ledger_spend(&b, l, SHA_B, 1e-5, NULL), MG_OK);
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps_b, &order_b, &other, 1, 1e-5), MG_OK);
    ck_assert(b.epsilon == eps_b && b.runs == 1);

    /* A data set never used has spent nothing. */
    ck_assert_int_eq(mg_privacy_ledger_spend(&none, l, SHA_C, 1e-5, NULL), MG_OK);
    ck_assert(none.epsilon == 0 && none.runs == 0);
    ck_assert_uint_eq(mg_privacy_ledger_datasets(l), 2);
    ck_assert_str_eq(mg_privacy_ledger_dataset(l, 1), SHA_B);

    /* The PRV figure of the same history is tighter. */
    ck_assert_int_eq(mg_privacy_ledger_spend_prv(&eps, l, SHA_A, 1e-5), MG_OK);
    ck_assert_double_lt(eps, a.epsilon);
    ck_assert_double_gt(eps, 0);
    mg_privacy_ledger_free(l);
}
END_TEST

/* One non-private run makes the data set's budget unbounded, and only that data set's. */
START_TEST(test_privacy_ledger_nonprivate_unbounded)
{
    mg_privacy_ledger *l;
    mg_privacy_event r = {0.01, 1.1, 300};
    mg_privacy_spend a, b;
    double prv;

    ck_assert_int_eq(mg_privacy_ledger_create(&l), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "dp", &r, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_B, "dp", &r, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_nonprivate(l, SHA_A, "plain"), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_spend(&a, l, SHA_A, 1e-5, NULL), MG_OK);
    ck_assert(a.unbounded && isinf(a.epsilon) && a.runs == 2 && a.dp_runs == 1);
    ck_assert_int_eq(mg_privacy_ledger_spend_prv(&prv, l, SHA_A, 1e-5), MG_OK);
    ck_assert(isinf(prv));
    ck_assert_int_eq(mg_privacy_ledger_spend(&b, l, SHA_B, 1e-5, NULL), MG_OK);
    ck_assert(!b.unbounded && isfinite(b.epsilon));
    mg_privacy_ledger_free(l);
}
END_TEST

START_TEST(test_privacy_ledger_bad_input)
{
    mg_privacy_ledger *l;
    mg_privacy_event r = {0.01, 1.1, 300};
    mg_privacy_spend sp;

    ck_assert_int_eq(mg_privacy_ledger_create(&l), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, "ABC", "x", &r, 1e-5), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "64 lower-case hex"));
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "", &r, 1e-5), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "run id"));
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "x", &r, 0), MG_EINVAL);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "x", &r, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_nonprivate(l, SHA_A, "x"), MG_EEXISTS);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "run 'x'"));
    ck_assert_int_eq(mg_privacy_ledger_spend(&sp, l, SHA_A, 2, NULL), MG_EINVAL);
    mg_privacy_ledger_free(l);
    mg_privacy_ledger_free(NULL);
}
END_TEST

/* The JSON form round-trips exactly: same document, same spend. */
START_TEST(test_privacy_ledger_json_round_trip)
{
    mg_privacy_ledger *l, *back;
    mg_privacy_event r1 = {256.0 / 60000, 1.1, 14063}, r2 = {0.01, 0.7, 12};
    mg_privacy_event r3 = {0.5, 0.0, 2}; /* no noise: every order's RDP unbounded */
    mg_privacy_spend s1, s2;
    char *text, *again;

    ck_assert_int_eq(mg_privacy_ledger_create(&l), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "mnist", &r1, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_A, "small", &r2, 1e-6), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_nonprivate(l, SHA_B, "plain"), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(l, SHA_B, "open", &r3, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_to_json(&text, l), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_from_json(&back, text, strlen(text)), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_to_json(&again, back), MG_OK);
    ck_assert_str_eq(text, again);
    ck_assert_int_eq(mg_privacy_ledger_spend(&s1, l, SHA_A, 1e-5, NULL), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_spend(&s2, back, SHA_A, 1e-5, NULL), MG_OK);
    ck_assert(s1.epsilon == s2.epsilon && s1.best_order == s2.best_order && s2.runs == 2);
    ck_assert_int_eq(mg_privacy_ledger_spend(&s2, back, SHA_B, 1e-5, NULL), MG_OK);
    ck_assert(s2.unbounded);
    free(text);
    free(again);
    mg_privacy_ledger_free(l);
    mg_privacy_ledger_free(back);
}
END_TEST

/* A damaged ledger is refused with the field at fault named. */
START_TEST(test_privacy_ledger_json_bad)
{
    const struct {
        const char *json, *msg;
    } cases[] = {
        {"{\"format\": \"modelgov-privacy-ledger/1\"", "privacy ledger:1:"},
        {"{\"format\": \"other/1\", \"orders\": [], \"datasets\": []}", "format 'other/1'"},
        {"{\"format\": \"modelgov-privacy-ledger/1\", \"orders\": [2, 3], \"datasets\": []}",
         "orders"},
        {"{\"format\": \"modelgov-privacy-ledger/1\", \"datasets\": []}", "orders"},
    };
    mg_privacy_ledger *l = NULL, *good;
    mg_privacy_event r = {0.01, 1.1, 300};
    char *text, *p;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(mg_privacy_ledger_from_json(&l, cases[i].json, strlen(cases[i].json)),
                         MG_EPARSE);
        ck_assert_ptr_null(l);
        ck_assert_msg(strstr(mg_error_last(), cases[i].msg), "%s", mg_error_last());
    }
    /* A valid ledger with one run's steps made negative, then with its run listed twice. */
    ck_assert_int_eq(mg_privacy_ledger_create(&good), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(good, SHA_A, "r", &r, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_add_dp(good, SHA_A, "s", &r, 1e-5), MG_OK);
    ck_assert_int_eq(mg_privacy_ledger_to_json(&text, good), MG_OK);
    ck_assert_ptr_nonnull(p = strstr(text, "\"steps\": 300"));
    memcpy(p, "\"steps\": -30", 12);
    ck_assert_int_eq(mg_privacy_ledger_from_json(&l, text, strlen(text)), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "datasets[0].runs[0]"));
    memcpy(p, "\"steps\": 300", 12);
    ck_assert_ptr_nonnull(p = strstr(text, "\"run\": \"s\""));
    p[8] = 'r';
    ck_assert_int_eq(mg_privacy_ledger_from_json(&l, text, strlen(text)), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "datasets[0].runs[1]"));
    p[8] = 's';
    /*
     * The first run's curve with its first order (1.25) zeroed, as an edited
     * file would understate the spend: the curve is the event's, recomputed.
     */
    ck_assert_ptr_nonnull(p = strstr(text, "\"rdp\": ["));
    p += strlen("\"rdp\": [");
    p += strspn(p, " \n");
    size_t len = strspn(p, "0123456789.eE+-");
    ck_assert_uint_gt(len, 1);
    p[0] = '0';
    memset(p + 1, ' ', len - 1);
    ck_assert_int_eq(mg_privacy_ledger_from_json(&l, text, strlen(text)), MG_EPARSE);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(mg_error_last(), "datasets[0].runs[0].rdp[0]: 0 is not the RDP"), "%s",
                  mg_error_last());
    free(text);
    mg_privacy_ledger_free(good);
}
END_TEST

Suite *privacy_suite(void);

Suite *privacy_suite(void)
{
    Suite *s = suite_create("privacy");
    TCase *rdp = tcase_create("rdp"), *prv = tcase_create("prv"), *cli = tcase_create("cli");
    TCase *ledger = tcase_create("ledger");
    tcase_add_test(rdp, test_privacy_orders_are_opacus_defaults);
    tcase_add_test(rdp, test_privacy_rdp_reference_entries);
    tcase_add_test(rdp, test_privacy_rdp_per_step_curves);
    tcase_add_test(rdp, test_privacy_rdp_exact_checks);
    tcase_add_test(rdp, test_privacy_rdp_mnist_setting);
    tcase_add_test(rdp, test_privacy_rdp_hand_worked);
    tcase_add_test(rdp, test_privacy_rdp_composition_of_runs);
    tcase_add_test(rdp, test_privacy_rdp_special_cases);
    tcase_add_test(rdp, test_privacy_rdp_bad_input);
    tcase_add_test(rdp, test_privacy_noise_calibration);
    tcase_add_test(rdp, test_privacy_noise_budget_too_low);
    suite_add_tcase(s, rdp);
    tcase_add_test(prv, test_privacy_prv_reference_entries);
    tcase_add_test(prv, test_privacy_prv_below_rdp);
    tcase_add_test(prv, test_privacy_prv_composition_of_runs);
    tcase_add_test(prv, test_privacy_prv_bad_input);
    suite_add_tcase(s, prv);
    tcase_add_test(ledger, test_privacy_ledger_composes_runs);
    tcase_add_test(ledger, test_privacy_ledger_nonprivate_unbounded);
    tcase_add_test(ledger, test_privacy_ledger_bad_input);
    tcase_add_test(ledger, test_privacy_ledger_json_round_trip);
    tcase_add_test(ledger, test_privacy_ledger_json_bad);
    suite_add_tcase(s, ledger);
    tcase_add_test(cli, test_privacy_cli_epsilon_json);
    tcase_add_test(cli, test_privacy_cli_noise_json);
    tcase_add_test(cli, test_privacy_cli_bad_flags);
    suite_add_tcase(s, cli);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(privacy_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
