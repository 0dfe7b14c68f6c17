/* test_privacy_dpsgd.c - DP-SGD: clipping, noise, Poisson batches, budgets, utility on Adult. */
#include "mg_core.h"
#include "mg_dataset.h"
#include "mg_estimator.h"
#include "mg_model.h"
#include "mg_pipeline.h"
#include "mg_privacy.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Options at delta 1e-5; seed 0 means the secure source, any other a seeded one. */
static mg_dpsgd_options options(double q, double C, double sigma, uint64_t seed)
{
    mg_dpsgd_options o = MG_DPSGD_OPTIONS_INIT;
    o.sample_rate = q;
    o.max_grad_norm = C;
    o.noise_multiplier = sigma;
    o.delta = 1e-5;
    o.insecure = seed != 0;
    o.insecure_seed = seed;
    return o;
}

static mg_dpsgd *make_dpsgd(double q, double C, double sigma, size_t rows, uint64_t seed)
{
    mg_dpsgd_options o = options(q, C, sigma, seed);
    mg_dpsgd *d;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, rows, 1, NULL), MG_OK);
    return d;
}

/*
 * Worked by hand, no noise, C = 1, q N = 0.5 * 4 = 2. Three examples:
 * (3, 4) has norm 5 -> factor 1 / (5 + 1e-6); (0.3, 0.4) has norm 0.5 ->
 * factor 1 (never scaled up); (3e6, 4e6) has norm 5e6 -> factor
 * 1 / (5e6 + 1e-6). Each clipped example has norm <= C, so the huge one
 * moves the sum by at most C: sum = (0.6, 0.8) (1 - 2e-7) + (0.3, 0.4)
 * + (0.6, 0.8) (1 - 2e-13), divided by 2.
 */
START_TEST(test_dpsgd_clipping_hand_worked)
{
    mg_dpsgd *d = make_dpsgd(0.5, 1.0, 0.0, 4, 1);
    mg_grad_aggregator ag = mg_dpsgd_aggregator(d);
    double G[6] = {3, 4, 0.3, 0.4, 3e6, 4e6}, grad[2];
    double f1 = 1 / (5 + 1e-6), f3 = 1 / (5e6 + 1e-6);

    ck_assert_int_eq(ag.aggregate(ag.ud, grad, G, 3, 2, 0), MG_OK);
    ck_assert_double_eq_tol(grad[0], (3 * f1 + 0.3 + 3e6 * f3) / 2, 1e-15);
    ck_assert_double_eq_tol(grad[1], (4 * f1 + 0.4 + 4e6 * f3) / 2, 1e-15);
    /* Dropping the huge example changes the update by its clipped gradient: norm <= C / (q N). */
    double G2[4] = {3, 4, 0.3, 0.4}, grad2[2];
    ck_assert_int_eq(ag.aggregate(ag.ud, grad2, G2, 2, 2, 1), MG_OK);
    ck_assert_double_le(hypot(grad[0] - grad2[0], grad[1] - grad2[1]), 1.0 / 2 + 1e-12);
    mg_dpsgd_free(d);
}
END_TEST

/*
 * Through a real model: logistic regression on 3 rows, one of which has a
 * feature of 1e6, so its log-loss gradient (p - y) x is about 1e6 long.
 * With the same seeded noise, the update with and without that row differs
 * by its clipped gradient only: at most C / (q N).
 */
START_TEST(test_dpsgd_clipping_bounds_huge_example)
{
    static const char *const names[2] = {"a", "b"};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_pipeline *p;
    mg_model *m;
    const double X[6] = {1, 2, -1, 0.5, 1e6, -3e5}, y[3] = {1, 0, 0};
    double G[9], with[3], without[3], C = 0.1, qn = 0.5 * 3;
    mg_dpsgd *a = make_dpsgd(0.5, C, 1.3, 3, 42), *b = make_dpsgd(0.5, C, 1.3, 3, 42);
    mg_grad_aggregator ga = mg_dpsgd_aggregator(a), gb = mg_dpsgd_aggregator(b);

    sp.type = MG_MODEL_LOGISTIC;
    sp.inputs = 2;
    sp.classes = 2;
    ck_assert_int_eq(mg_pipeline_identity(&p, names, 2), MG_OK);
    ck_assert_int_eq(mg_model_create(&m, &sp, p), MG_OK);
    mg_model_init_params(m, 7);
    ck_assert_uint_eq(mg_model_params(m), 3);
    ck_assert_int_eq(mg_model_per_example_grads(m, X, y, 3, G, NULL), MG_OK);
    ck_assert_double_gt(sqrt(G[6] * G[6] + G[7] * G[7] + G[8] * G[8]), 1e4);
    ck_assert_int_eq(ga.aggregate(ga.ud, with, G, 3, 3, 0), MG_OK);
    ck_assert_int_eq(mg_model_per_example_grads(m, X, y, 2, G, NULL), MG_OK);
    ck_assert_int_eq(gb.aggregate(gb.ud, without, G, 2, 3, 0), MG_OK);
    double diff = 0;
    for (int i = 0; i < 3; i++)
        diff += (with[i] - without[i]) * (with[i] - without[i]);
    ck_assert_double_le(sqrt(diff), C / qn + 1e-12);
    ck_assert_double_gt(sqrt(diff), 0.99 * C / qn); /* the huge row is clipped to C, not dropped */
    mg_model_free(m);
    mg_dpsgd_free(a);
    mg_dpsgd_free(b);
}
END_TEST

/* Moments of x[0..n): mean, standard deviation, kurtosis. */
static void moments(const double *x, size_t n, double *mean, double *sd, double *kurt)
{
    double s = 0, s2 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - *mean;
        s2 += d * d;
        s4 += d * d * d * d;
    }
    *sd = sqrt(s2 / (double)n);
    *kurt = (s4 / (double)n) / ((s2 / (double)n) * (s2 / (double)n));
}

/*
 * An empty batch's update is pure noise: N(0, (sigma C)^2) / (q N) per
 * coordinate, here sigma = 2, C = 0.5, q N = 0.1 * 100 = 10 -> sd 0.1. With
 * 200000 coordinates the sample sd has relative sd 1/sqrt(2n) = 0.16%, so
 * 1% is 6 standard errors; the mean's bound 6 * 0.1 / sqrt(n) = 0.0013; a
 * Gaussian's kurtosis is 3 (sample sd sqrt(24 / n) = 0.011; we allow 0.07).
 * Seeded noise is reproducible; the secure source (OpenSSL) passes the same test.
 */
START_TEST(test_dpsgd_noise_scale)
{
    const size_t P = 200000;
    double *g1 = malloc(P * sizeof *g1), *g2 = malloc(P * sizeof *g2), mean, sd, kurt;
    uint64_t seeds[2] = {1234, 0}; /* 0: secure */

    for (int k = 0; k < 2; k++) {
        mg_dpsgd *d = make_dpsgd(0.1, 0.5, 2.0, 100, seeds[k]);
        mg_grad_aggregator ag = mg_dpsgd_aggregator(d);
        ck_assert_int_eq(ag.aggregate(ag.ud, g1, NULL, 0, P, 0), MG_OK);
        moments(g1, P, &mean, &sd, &kurt);
        ck_assert_double_le(fabs(mean), 0.0013);
        ck_assert_double_le(fabs(sd - 0.1), 0.001);
        ck_assert_double_le(fabs(kurt - 3), 0.07);
        mg_dpsgd_free(d);
    }
    /* Same seed, same noise; another seed, other noise. */
    uint64_t again[3] = {1234, 1234, 99};
    double *out[3] = {g1, g2, g2};
    for (int k = 0; k < 3; k++) {
        mg_dpsgd *d = make_dpsgd(0.1, 0.5, 2.0, 100, again[k]);
        mg_grad_aggregator ag = mg_dpsgd_aggregator(d);
        ck_assert_int_eq(ag.aggregate(ag.ud, out[k], NULL, 0, P, 0), MG_OK);
        if (k == 1)
            ck_assert_int_eq(memcmp(g1, g2, P * sizeof *g1), 0);
        if (k == 2)
            ck_assert_int_ne(memcmp(g1, g2, P * sizeof *g1), 0);
        mg_dpsgd_free(d);
    }
    free(g1);
    free(g2);
}
END_TEST

/*
 * Poisson batches: each row independently with probability q = 0.05 of
 * N = 2000, so a batch has mean q N = 100 and variance q (1 - q) N = 95.
 * Over 2000 batches the mean batch is within 6 sd (6 sqrt(95 / 2000) = 1.3)
 * of 100, the variance within 15% of 95, and every row's frequency near q.
 */
START_TEST(test_dpsgd_poisson_batches)
{
    const size_t N = 2000, T = 2000;
    mg_dpsgd *d = make_dpsgd(0.05, 1, 1, N, 5);
    mg_batch_sampler s = mg_dpsgd_sampler(d);
    size_t *hits = calloc(N, sizeof *hits), empty_seen = 0;
    double sum = 0, sum2 = 0;

    ck_assert_uint_eq(s.steps_per_epoch, 20); /* floor(1 / q) */
    ck_assert_int_eq(s.begin(s.ud, N), MG_OK);
    ck_assert_int_eq(s.begin(s.ud, N + 1), MG_EINVAL);
    for (size_t t = 0; t < T; t++) {
        const size_t *rows;
        size_t n;
        ck_assert_int_eq(s.next(s.ud, &rows, &n), MG_OK);
        for (size_t i = 0; i < n; i++) {
            ck_assert_uint_lt(rows[i], N);
            if (i)
                ck_assert_uint_gt(rows[i], rows[i - 1]);
            hits[rows[i]]++;
        }
        sum += (double)n;
        sum2 += (double)n * (double)n;
        empty_seen += n == 0;
    }
    double mean = sum / T, var = sum2 / T - mean * mean;
    ck_assert_double_le(fabs(mean - 100), 1.3);
    ck_assert_double_le(fabs(var - 95) / 95, 0.15);
    /* Each row: Binomial(2000, 0.05), mean 100, sd 9.7; all 2000 within 6 sd. */
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(hits[i] > 40 && hits[i] < 160, "row %zu drawn %zu times", i, hits[i]);
    free(hits);
    mg_dpsgd_free(d);

    /* A tiny rate gives empty batches, which the aggregator turns into pure noise. */
    d = make_dpsgd(1e-4, 1, 1, 100, 5);
    s = mg_dpsgd_sampler(d);
    for (size_t t = 0; t < 50; t++) {
        const size_t *rows;
        size_t n;
        ck_assert_int_eq(s.next(s.ud, &rows, &n), MG_OK);
        empty_seen += n == 0;
    }
    ck_assert_uint_ge(empty_seen, 40);
    mg_dpsgd_free(d);
}
END_TEST

#define NS 600
#define WS 4
static double XS[NS * WS], YS[NS];

static mg_estimator *small_estimator(mg_model_type type)
{
    static const char *const names[WS] = {"a", "b", "c", "d"};
    static const size_t hidden[] = {8};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_pipeline *p;
    mg_estimator *e;
    mg_model *m;
    mg_rng r;

    mg_rng_seed(&r, 11);
    for (size_t i = 0; i < NS; i++) {
        double z = 0;
        for (size_t j = 0; j < WS; j++)
            z += (j % 2 ? -1.0 : 1.0) * (XS[i * WS + j] = mg_rng_normal(&r));
        YS[i] = z > 0;
    }
    sp.type = type;
    sp.inputs = WS;
    sp.classes = 2;
    if (type == MG_MODEL_MLP) {
        sp.hidden = hidden;
        sp.nhidden = 1;
    }
    ck_assert_int_eq(mg_pipeline_identity(&p, names, WS), MG_OK);
    ck_assert_int_eq(mg_model_create(&m, &sp, p), MG_OK);
    to.epochs = 3;
    to.optim.lr = 0.05;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    return e;
}

/*
 * Training: 3 epochs at q = 0.05 are 3 * floor(1 / 0.05) = 60 steps, and
 * the report's epsilon is the RDP accountant's for (q, sigma, 60). The run is
 * recorded in the model's training settings, and the seeded run repeats.
 */
START_TEST(test_dpsgd_train_accounts_steps)
{
    mg_dpsgd_options o = options(0.05, 1.0, 1.2, 3);
    mg_privacy_event ev = {0.05, 1.2, 60};
    mg_input in = {XS, YS, NS};
    double params[2][64] = {{0}};
    mg_dpsgd_report r;
    double eps, order;

    for (int k = 0; k < 2; k++) {
        mg_estimator *e = small_estimator(MG_MODEL_MLP);
        mg_dpsgd *d;
        mg_hook h;
        ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_OK);
        mg_dpsgd_attach(d, e);
        h = mg_dpsgd_hook(d);
        ck_assert_int_eq(mg_estimator_train(e, &in, NULL, &h, 1, 0), MG_OK);
        ck_assert_uint_eq(mg_estimator_global_step(e), 60);
        ck_assert_int_eq(mg_dpsgd_report_get(&r, d, 1), MG_OK);
        ck_assert_uint_eq(r.steps, 60);
        ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_OK);
        ck_assert(r.epsilon_rdp == eps && r.best_order == order);
        ck_assert_double_lt(r.epsilon_prv, r.epsilon_rdp);
        ck_assert_double_eq_tol(r.expected_batch, 30, 1e-12);
        ck_assert_int_eq(mg_dpsgd_report_record(&r, mg_estimator_model_mut(e)), MG_OK);
        json_t *dp = json_object_get(mg_model_training(mg_estimator_model_mut(e)), "dp");
        ck_assert_ptr_nonnull(dp);
        ck_assert_str_eq(json_string_value(json_object_get(dp, "noise")), "insecure-seed");
        ck_assert_int_eq(json_integer_value(json_object_get(dp, "steps")), 60);
        ck_assert(json_real_value(json_object_get(dp, "epsilon")) == eps);
        ck_assert_uint_le(mg_model_params(mg_estimator_model(e)), 64);
        memcpy(params[k], mg_model_param_data(mg_estimator_model(e)),
               mg_model_params(mg_estimator_model(e)) * sizeof(double));
        mg_dpsgd_free(d);
        mg_estimator_free(e);
    }
    ck_assert_int_eq(memcmp(params[0], params[1], sizeof params[0]), 0);
}
END_TEST

/*
 * The clipper (norms from the core, no per-example matrix) and the
 * aggregator (the same arithmetic on G) are the same DP-SGD: with the same
 * seed, the same batches and noise give the same model up to rounding.
 */
START_TEST(test_dpsgd_clipper_equals_aggregator)
{
    mg_dpsgd_options o = options(0.05, 0.3, 0.8, 77);
    mg_input in = {XS, YS, NS};
    mg_estimator *e[2];
    mg_dpsgd *d[2];

    for (int k = 0; k < 2; k++) {
        e[k] = small_estimator(MG_MODEL_MLP);
        ck_assert_int_eq(mg_dpsgd_create(&d[k], &o, NS, 3, NULL), MG_OK);
        if (k == 0) {
            mg_dpsgd_attach(d[0], e[0]);
        } else {
            mg_batch_sampler s = mg_dpsgd_sampler(d[1]);
            mg_grad_aggregator g = mg_dpsgd_aggregator(d[1]);
            mg_estimator_set_batch_sampler(e[1], &s);
            mg_estimator_set_grad_aggregator(e[1], &g);
        }
        ck_assert_int_eq(mg_estimator_train(e[k], &in, NULL, NULL, 0, 0), MG_OK);
    }
    const mg_model *a = mg_estimator_model(e[0]), *b = mg_estimator_model(e[1]);
    for (size_t i = 0; i < mg_model_params(a); i++)
        ck_assert_double_eq_tol(mg_model_param_data(a)[i], mg_model_param_data(b)[i], 1e-9);
    for (int k = 0; k < 2; k++) {
        mg_dpsgd_free(d[k]);
        mg_estimator_free(e[k]);
    }
}
END_TEST

/*
 * --max-epsilon: a budget the plan exceeds stops training at the last step
 * that fits (and the aggregator refuses one more); a budget one step
 * exceeds refuses the run. A prior spend counts against the budget.
 */
START_TEST(test_dpsgd_max_epsilon)
{
    mg_dpsgd_options o = options(0.05, 1.0, 1.0, 3);
    mg_input in = {XS, YS, NS};
    mg_estimator *e = small_estimator(MG_MODEL_LOGISTIC);
    mg_dpsgd_report r;
    mg_dpsgd *d;
    mg_hook h;
    double full, prior[MG_PRIVACY_ORDERS] = {0};
    mg_privacy_event ev = {0.05, 1.0, 60};
    mg_grad_aggregator ag;
    double grad[5];

    ck_assert_int_eq(mg_privacy_epsilon(&full, NULL, &ev, 1, 1e-5, MG_PRIVACY_RDP), MG_OK);
    o.max_epsilon = 0.8 * full;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_OK);
    mg_dpsgd_attach(d, e);
    h = mg_dpsgd_hook(d);
    ck_assert_int_eq(mg_estimator_train(e, &in, NULL, &h, 1, 0), MG_OK);
    ck_assert_int_eq(mg_dpsgd_report_get(&r, d, 0), MG_OK);
    ck_assert(r.stopped_by_budget);
    ck_assert_uint_lt(r.steps, 60);
    ck_assert_uint_eq(r.steps, mg_estimator_global_step(e));
    ck_assert_double_le(r.epsilon_rdp, o.max_epsilon);
    ev.steps = r.steps + 1;
    ck_assert_int_eq(mg_privacy_epsilon(&full, NULL, &ev, 1, 1e-5, MG_PRIVACY_RDP), MG_OK);
    ck_assert_double_gt(full, o.max_epsilon);
    ag = mg_dpsgd_aggregator(d);
    ck_assert_int_eq(ag.aggregate(ag.ud, grad, NULL, 0, 5, 0), MG_ECONFLICT);
    mg_dpsgd_free(d);

    /* Not one step fits. */
    o.max_epsilon = 0.01;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "--max-epsilon"));
    /* The data set already spent most of the budget: fewer steps are allowed. */
    o.max_epsilon = 3.0;
    ev.steps = 10;
    ck_assert_int_eq(mg_privacy_rdp_add(prior, &ev, mg_privacy_orders(), MG_PRIVACY_ORDERS), MG_OK);
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_OK);
    ck_assert_int_eq(mg_dpsgd_report_get(&r, d, 0), MG_OK);
    size_t alone = r.allowed_steps;
    mg_dpsgd_free(d);
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, prior), MG_OK);
    ck_assert_int_eq(mg_dpsgd_report_get(&r, d, 0), MG_OK);
    ck_assert_uint_lt(r.allowed_steps, alone);
    mg_dpsgd_free(d);
    mg_estimator_free(e);
}
END_TEST

START_TEST(test_dpsgd_target_epsilon_and_bad_options)
{
    mg_dpsgd_options o = MG_DPSGD_OPTIONS_INIT;
    mg_dpsgd_report r;
    mg_dpsgd *d;

    o.sample_rate = 0.05;
    o.max_grad_norm = 1.0;
    o.delta = 1e-5;
    o.target_epsilon = 2.0;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_OK);
    ck_assert_int_eq(mg_dpsgd_report_get(&r, d, 0), MG_OK);
    /* The calibrated sigma spends at most 2 over the 60 planned steps, and within 0.01 of it. */
    mg_privacy_event ev = {0.05, r.noise_multiplier, 60};
    double eps;
    ck_assert_int_eq(mg_privacy_epsilon(&eps, NULL, &ev, 1, 1e-5, MG_PRIVACY_RDP), MG_OK);
    ck_assert_double_le(eps, 2.0);
    ck_assert_double_ge(eps, 2.0 - MG_PRIVACY_EPSILON_TOLERANCE);
    ck_assert(!r.insecure);
    mg_dpsgd_free(d);

    o.max_grad_norm = 0;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "--max-grad-norm"));
    o.max_grad_norm = 1;
    o.sample_rate = 1.5;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "sample rate"));
    o.sample_rate = 0.05;
    o.delta = 0;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, NS, 3, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "--delta"));
}
END_TEST

/* ---- utility on Adult ---- */

typedef struct adult {
    mg_dataset *train, *test;
    mg_pipeline *pipe;
    double *Xtr, *ytr, *Xte, *yte;
    size_t ntr, nte, width;
} adult;

/* Encode a data set through the pipeline; y = 1 for income ">50K". */
static void encode(double **X, double **y, const mg_pipeline *p, const mg_dataset *ds)
{
    size_t n = mg_dataset_rows(ds), k = mg_pipeline_inputs(p), w = mg_pipeline_width(p);
    long label = mg_dataset_col_find(ds, "income");
    const int32_t *codes = mg_dataset_col_codes(ds, (size_t)label);
    long pos = mg_dataset_col_level_find(ds, (size_t)label, ">50K");
    double *raw = malloc(n * k * sizeof *raw);

    *X = malloc(n * w * sizeof **X);
    *y = malloc(n * sizeof **y);
    ck_assert(raw && *X && *y && codes && pos >= 0);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, NULL, p, ds, NULL, n), MG_OK);
    mg_pipeline_transform(p, raw, n, *X);
    for (size_t i = 0; i < n; i++)
        (*y)[i] = codes[i] == pos;
    free(raw);
}

static int adult_load(adult *a)
{
    const char *tr = tu_shared("data/adult/adult_train.csv");
    const char *cols[14];
    size_t nc = 0;

    memset(a, 0, sizeof *a);
    if (!tr)
        return 0;
    ck_assert_int_eq(mg_dataset_open(&a->train, tr, NULL), MG_OK);
    ck_assert_int_eq(mg_dataset_open(&a->test, tu_shared("data/adult/adult_test.csv"), NULL),
                     MG_OK);
    for (size_t c = 0; c < mg_dataset_cols(a->train); c++)
        if (strcmp(mg_dataset_col_name(a->train, c), "income") != 0)
            cols[nc++] = mg_dataset_col_name(a->train, c);
    ck_assert_uint_eq(nc, 14);
    ck_assert_int_eq(mg_pipeline_fit(&a->pipe, a->train, NULL, 0, cols, nc), MG_OK);
    a->width = mg_pipeline_width(a->pipe);
    a->ntr = mg_dataset_rows(a->train);
    a->nte = mg_dataset_rows(a->test);
    encode(&a->Xtr, &a->ytr, a->pipe, a->train);
    encode(&a->Xte, &a->yte, a->pipe, a->test);
    return 1;
}

static void adult_free(adult *a)
{
    free(a->Xtr);
    free(a->ytr);
    free(a->Xte);
    free(a->yte);
    mg_pipeline_free(a->pipe);
    mg_dataset_close(a->train);
    mg_dataset_close(a->test);
}

/*
 * DP logistic regression on Adult (32561 training rows): expected batch 512
 * (q = 512 / 32561), 10 epochs = 630 steps, C = 1, Adam lr 0.05, sigma
 * calibrated for (epsilon, delta = 1e-5) by Opacus's rule. Returns the test
 * accuracy (16281 rows).
 */
static double adult_dp_accuracy(const adult *a, double target_eps, mg_dpsgd_report *r)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_dpsgd_options o = MG_DPSGD_OPTIONS_INIT;
    mg_input tr = {a->Xtr, a->ytr, a->ntr}, te = {a->Xte, a->yte, a->nte};
    mg_estimator *e;
    mg_model *m;
    mg_dpsgd *d;
    mg_metrics met;
    mg_hook h;
    double acc;

    sp.type = MG_MODEL_LOGISTIC;
    sp.classes = 2;
    sp.inputs = a->width;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    to.epochs = 10;
    to.optim.lr = 0.05;
    rc.seed = 1;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    o.sample_rate = 512.0 / (double)a->ntr;
    o.max_grad_norm = 1.0;
    o.target_epsilon = target_eps;
    o.delta = 1e-5;
    o.insecure = 1; /* reproducible figures */
    o.insecure_seed = 2024;
    ck_assert_int_eq(mg_dpsgd_create(&d, &o, a->ntr, to.epochs, NULL), MG_OK);
    mg_dpsgd_attach(d, e);
    h = mg_dpsgd_hook(d);
    ck_assert_int_eq(mg_estimator_train(e, &tr, NULL, &h, 1, 0), MG_OK);
    ck_assert_int_eq(mg_dpsgd_report_get(r, d, 0), MG_OK);
    ck_assert_int_eq(mg_estimator_evaluate(&met, e, &te), MG_OK);
    acc = met.accuracy;
    mg_metrics_free(&met);
    mg_dpsgd_free(d);
    mg_estimator_free(e);
    return acc;
}

/* The utility bar: epsilon = 1 -> test accuracy >= 0.80; epsilon = 8 -> >= 0.83. */
START_TEST(test_dpsgd_adult_utility)
{
    adult a;
    mg_dpsgd_report r1, r8;
    double acc1, acc8;

    if (!adult_load(&a)) {
        fprintf(stderr, "SKIP %s: shared data/adult absent\n", __func__);
        return;
    }
    acc1 = adult_dp_accuracy(&a, 1.0, &r1);
    acc8 = adult_dp_accuracy(&a, 8.0, &r8);
    fprintf(stderr,
            "Adult DP logistic: eps %.4f (sigma %.4f, %llu steps) -> accuracy %.4f; eps %.4f "
            "(sigma %.4f) -> accuracy %.4f\n",
            r1.epsilon_rdp, r1.noise_multiplier, (unsigned long long)r1.steps, acc1, r8.epsilon_rdp,
            r8.noise_multiplier, acc8);
    ck_assert_double_le(r1.epsilon_rdp, 1.0);
    ck_assert_double_le(r8.epsilon_rdp, 8.0);
    ck_assert_double_ge(acc1, 0.80);
    ck_assert_double_ge(acc8, 0.83);
    adult_free(&a);
}
END_TEST

/* ---- modelgov train --dp ---- */

/* Run `modelgov <args>` and parse its JSON output; the run must succeed. */
static json_t *run_json(const char *args)
{
    char *out = NULL, *err = NULL;
    json_error_t jerr;
    json_t *doc;
    int code = tu_run(&out, &err, "%s", args);

    ck_assert_msg(code == 0, "exit %d: %s", code, err ? err : "");
    doc = json_loads(out, 0, &jerr);
    ck_assert_msg(doc != NULL, "not JSON: %s", out);
    free(out);
    free(err);
    return doc;
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "field '%s' missing", key);
    return json_number_value(v);
}

/*
 * 3000 credit rows, 20% held out: 2400 training rows, --batch 100 so
 * q = 100 / 2400 = 1/24 and an epoch is 24 steps; 3 epochs = 72 steps. The
 * output's and the artifact's "dp" record carry q, sigma, C, delta, steps
 * and the RDP accountant's epsilon for exactly those.
 */
START_TEST(test_dpsgd_cli_train_records)
{
    char *data = tu_path("credit.csv"), *model = tu_path("dp.mgm"), cmd[1024];
    json_t *doc, *dp, *mgm;
    json_error_t jerr;
    mg_privacy_event ev = {100.0 / 2400, 1.1, 72};
    double eps, order;

    ck_assert_int_eq(tu_run(NULL, NULL, "gen-data credit --rows 3000 --seed 1 --out '%s'", data),
                     0);
    snprintf(cmd, sizeof cmd,
             "train --data '%s' --label approved --positive yes --model mlp --hidden 8 "
             "--epochs 3 --batch 100 --dp --max-grad-norm 1 --noise-multiplier 1.1 "
             "--delta 1e-5 --insecure-seed 3 --out '%s' --format json",
             data, model);
    doc = run_json(cmd);
    ck_assert_ptr_nonnull(dp = json_object_get(doc, "privacy"));
    ck_assert_double_eq_tol(jnum(dp, "sample_rate"), 100.0 / 2400, 1e-15);
    ck_assert(jnum(dp, "noise_multiplier") == 1.1 && jnum(dp, "max_grad_norm") == 1);
    ck_assert(jnum(dp, "delta") == 1e-5 && jnum(dp, "steps") == 72 && jnum(doc, "steps") == 72);
    ck_assert_int_eq(mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, 1e-5), MG_OK);
    ck_assert(jnum(dp, "epsilon") == eps && jnum(dp, "best_alpha") == order);
    ck_assert_double_lt(jnum(dp, "epsilon_prv"), eps);
    ck_assert_str_eq(json_string_value(json_object_get(dp, "noise")), "insecure-seed");
    ck_assert(jnum(dp, "insecure_seed") == 3);
    mgm = json_load_file(model, 0, &jerr);
    ck_assert_ptr_nonnull(mgm);
    ck_assert(json_equal(json_object_get(json_object_get(mgm, "training"), "dp"), dp));
    json_decref(mgm);
    json_decref(doc);

    /* --max-epsilon below the plan's spend stops training early, at most that much spent. */
    snprintf(cmd, sizeof cmd,
             "train --data '%s' --label approved --positive yes --model logistic --epochs 3 "
             "--batch 100 --dp --max-grad-norm 1 --noise-multiplier 1.1 --delta 1e-5 "
             "--max-epsilon 2 --insecure-seed 3 --format json",
             data);
    doc = run_json(cmd);
    dp = json_object_get(doc, "privacy");
    ck_assert(json_is_true(json_object_get(dp, "stopped_by_budget")));
    ck_assert_double_le(jnum(dp, "epsilon"), 2.0);
    ck_assert_double_lt(jnum(dp, "steps"), 72);
    json_decref(doc);
    free(data);
    free(model);
}
END_TEST

START_TEST(test_dpsgd_cli_train_bad_flags)
{
    const struct {
        const char *args, *msg;
    } cases[] = {
        {"--noise-multiplier 1", "--noise-multiplier is a DP-SGD setting: add --dp"},
        {"--dp --noise-multiplier 1 --delta 1e-5", "--dp needs --max-grad-norm"},
        {"--dp --max-grad-norm 1 --noise-multiplier 1", "--dp needs --delta"},
        {"--dp --max-grad-norm 1 --delta 1e-5", "exactly one of --noise-multiplier"},
        {"--dp --max-grad-norm 1 --delta 1e-5 --noise-multiplier 1 --target-epsilon 1",
         "exactly one of --noise-multiplier"},
        {"--dp --max-grad-norm -1 --delta 1e-5 --noise-multiplier 1", "--max-grad-norm -1"},
        {"--dp --max-grad-norm 1 --delta 1e-5 --noise-multiplier 0", "--noise-multiplier 0"},
        {"--dp --max-grad-norm 1 --delta 1e-5 --noise-multiplier 1 --max-epsilon 0.01",
         "--max-epsilon 0.01: one step"},
    };
    char *data = tu_path("credit-bad.csv");

    ck_assert_int_eq(tu_run(NULL, NULL, "gen-data credit --rows 500 --seed 2 --out '%s'", data), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        ck_assert_int_eq(tu_run(NULL, &err,
                                "train --data '%s' --label approved --positive yes --model "
                                "logistic %s",
                                data, cases[i].args),
                         1);
        ck_assert_msg(strstr(err, cases[i].msg) != NULL, "'%s': %s", cases[i].args, err);
        free(err);
    }
    free(data);
}
END_TEST

Suite *dpsgd_suite(void);

Suite *dpsgd_suite(void)
{
    Suite *s = suite_create("privacy_dpsgd");
    TCase *unit = tcase_create("unit"), *adult_tc = tcase_create("adult");
    tcase_add_test(unit, test_dpsgd_clipping_hand_worked);
    tcase_add_test(unit, test_dpsgd_clipping_bounds_huge_example);
    tcase_add_test(unit, test_dpsgd_noise_scale);
    tcase_add_test(unit, test_dpsgd_poisson_batches);
    tcase_add_test(unit, test_dpsgd_train_accounts_steps);
    tcase_add_test(unit, test_dpsgd_clipper_equals_aggregator);
    tcase_add_test(unit, test_dpsgd_max_epsilon);
    tcase_add_test(unit, test_dpsgd_target_epsilon_and_bad_options);
    tcase_add_test(unit, test_dpsgd_cli_train_records);
    tcase_add_test(unit, test_dpsgd_cli_train_bad_flags);
    suite_add_tcase(s, unit);
    tcase_add_test(adult_tc, test_dpsgd_adult_utility);
    suite_add_tcase(s, adult_tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dpsgd_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
