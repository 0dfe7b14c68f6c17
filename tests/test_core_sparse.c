/* test_core_sparse.c - the sparse first layer agrees with the dense passes. */
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_model.h"
#include "estimator_impl.h"
#include "network.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 7  /* rows in the data */
#define W 23 /* one-hot blocks of 3, 4, 2 and 12 columns, then 2 numerics */
#define B 9  /* rows in the batch: repeats and out of order */

static const size_t batch_rows[B] = {4, 0, 6, 2, 2, 5, 1, 3, 6};

/* One-hot blocks (hot column per row below) and numerics, one of them zero in rows 1 and 5. */
static void make_data(double *X, double *y, size_t classes)
{
    static const size_t hot[N][3] = {{0, 1, 0}, {2, 3, 1}, {1, 0, 0}, {0, 2, 1},
                                     {2, 1, 1}, {1, 3, 0}, {0, 0, 1}};
    memset(X, 0, N * W * sizeof *X);
    for (size_t r = 0; r < N; r++) {
        double *x = X + r * W;
        x[hot[r][0]] = 1.0;
        x[3 + hot[r][1]] = 1.0;
        x[7 + hot[r][2]] = 1.0;
        x[9 + (5 * r) % 12] = 1.0;
        x[21] = (r == 1 || r == 5) ? 0.0 : 0.25 * (double)r - 0.8;
        x[22] = 1.5 - 0.35 * (double)r;
        y[r] = classes ? (double)(r % classes) : 0.5 * (double)r - 1.0;
    }
}

static mg_model *make_model(mg_model_type type, size_t classes, const size_t *hidden,
                            size_t nhidden)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_model *m;
    mg_rng r;

    sp.type = type;
    sp.inputs = W;
    sp.classes = classes;
    sp.hidden = hidden;
    sp.nhidden = nhidden;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    mg_model_init_params(m, 11);
    mg_rng_seed(&r, 5); /* non-zero biases, so their gradients are exercised */
    for (size_t i = 0; i < mg_model_params(m); i++)
        mg_model_param_data_mut(m)[i] += 0.1 * (mg_rng_uniform(&r) - 0.5);
    return m;
}

/* The batch's summed gradient and loss through the dense rows and through the CSR batch. */
static void check_same(mg_model *m, size_t classes)
{
    size_t P = mg_model_params(m);
    double X[N * W], y[N], Xb[B * W], yb[B], ld, ls;
    double *gd = malloc(P * sizeof *gd), *gs = malloc(P * sizeof *gs);
    model_scratch s = MODEL_SCRATCH_INIT;

    make_data(X, y, classes);
    for (size_t b = 0; b < B; b++) {
        memcpy(Xb + b * W, X + batch_rows[b] * W, sizeof(double) * W);
        yb[b] = y[batch_rows[b]];
    }
    ck_assert_int_eq(model_scratch_reserve(&s, m, B), MG_OK);
    ck_assert_int_eq(model_backprop(&s, m, Xb, yb, B, gd, NULL, NULL, &ld), MG_OK);
    ck_assert_int_eq(model_csr_gather(&s, m, X, batch_rows, B), MG_OK);
    /* rows 1 and 5 have 5 non-zeros (4 hot, x[22]), the others 6; the batch holds
     * 4, 0, 6, 2, 2, 5, 1, 3, 6: 6 + 6 + 6 + 6 + 6 + 5 + 5 + 6 + 6 = 52 */
    ck_assert_uint_eq(s.csr.ptr[B], 52);
    ck_assert_int_eq(model_backprop_csr(&s, m, yb, B, gs, &ls), MG_OK);
    ck_assert_msg(fabs(ld - ls) <= 1e-12, "loss dense %.17g sparse %.17g", ld, ls);
    for (size_t i = 0; i < P; i++)
        ck_assert_msg(fabs(gd[i] - gs[i]) <= 1e-12, "%s param %zu: dense %.17g sparse %.17g",
                      mg_model_type_name(mg_model_kind(m)), i, gd[i], gs[i]);
    model_scratch_free(&s);
    free(gd);
    free(gs);
}

START_TEST(test_core_sparse_same_gradients)
{
    static const size_t hidden[] = {6, 4}, wide[] = {19}; /* 19: blocks of 8 and a tail of 3 */
    mg_model *m;

    check_same(m = make_model(MG_MODEL_MLP, 2, hidden, 2), 2);
    mg_model_free(m);
    check_same(m = make_model(MG_MODEL_MLP, 3, wide, 1), 3);
    mg_model_free(m);
    check_same(m = make_model(MG_MODEL_MLP, 0, hidden, 2), 0);
    mg_model_free(m);
    check_same(m = make_model(MG_MODEL_LOGISTIC, 2, NULL, 0), 2);
    mg_model_free(m);
}
END_TEST

/* Clip at 0.5: w_b = min(1, 0.5 / norm_b), so both clipped and unclipped rows occur. */
static int clip_weigh(void *ud, double *w, const double *norms, size_t count)
{
    (void)ud;
    for (size_t b = 0; b < count; b++)
        w[b] = norms[b] > 0.5 ? 0.5 / norms[b] : 1.0;
    return MG_OK;
}

/*
 * The clipper's pass through the dense rows and through the CSR batch: the
 * per-example norms agree with each other and with the norms of the rows of
 * the explicit per-example gradients G, and the weighted sums agree with each
 * other and with sum_b w_b G_b.
 */
static void check_same_weighted(mg_model *m, size_t classes)
{
    size_t P = mg_model_params(m);
    double X[N * W], y[N], Xb[B * W], yb[B], nd[B], ns[B], wd[B], ws[B], ld, ls;
    double *gd = malloc(P * sizeof *gd), *gs = malloc(P * sizeof *gs);
    double *G = malloc(B * P * sizeof *G), *gref = calloc(P, sizeof *gref);
    model_scratch s = MODEL_SCRATCH_INIT;
    int clipped = 0;

    make_data(X, y, classes);
    for (size_t b = 0; b < B; b++) {
        memcpy(Xb + b * W, X + batch_rows[b] * W, sizeof(double) * W);
        yb[b] = y[batch_rows[b]];
    }
    ck_assert_int_eq(model_scratch_reserve(&s, m, B), MG_OK);
    ck_assert_int_eq(model_backprop_weighted(&s, m, Xb, yb, B, nd, wd, clip_weigh, NULL, gd,
                                             &ld), MG_OK);
    ck_assert_int_eq(model_csr_gather(&s, m, X, batch_rows, B), MG_OK);
    ck_assert_int_eq(model_backprop_weighted_csr(&s, m, yb, B, ns, ws, clip_weigh, NULL, gs,
                                                 &ls), MG_OK);
    ck_assert_int_eq(mg_model_per_example_grads(m, Xb, yb, B, G, NULL), MG_OK);
    ck_assert_msg(fabs(ld - ls) <= 1e-12, "loss dense %.17g sparse %.17g", ld, ls);
    for (size_t b = 0; b < B; b++) {
        double n2 = 0;
        for (size_t i = 0; i < P; i++) {
            n2 += G[b * P + i] * G[b * P + i];
            gref[i] += wd[b] * G[b * P + i];
        }
        ck_assert_msg(fabs(nd[b] - ns[b]) <= 1e-12, "row %zu norm dense %.17g sparse %.17g", b,
                      nd[b], ns[b]);
        ck_assert_msg(fabs(sqrt(n2) - ns[b]) <= 1e-12, "row %zu norm of G %.17g sparse %.17g",
                      b, sqrt(n2), ns[b]);
        ck_assert_msg(fabs(wd[b] - ws[b]) <= 1e-12, "row %zu weight %.17g vs %.17g", b, wd[b],
                      ws[b]);
        clipped += ws[b] < 1.0;
    }
    ck_assert_int_gt(clipped, 0);
    for (size_t i = 0; i < P; i++) {
        ck_assert_msg(fabs(gd[i] - gs[i]) <= 1e-12, "%s param %zu: dense %.17g sparse %.17g",
                      mg_model_type_name(mg_model_kind(m)), i, gd[i], gs[i]);
        ck_assert_msg(fabs(gref[i] - gs[i]) <= 1e-12, "param %zu: sum w G %.17g sparse %.17g",
                      i, gref[i], gs[i]);
    }
    model_scratch_free(&s);
    free(gd);
    free(gs);
    free(G);
    free(gref);
}

START_TEST(test_core_sparse_same_weighted_gradients)
{
    static const size_t hidden[] = {6, 4}, wide[] = {19};
    mg_model *m;

    check_same_weighted(m = make_model(MG_MODEL_MLP, 2, hidden, 2), 2);
    mg_model_free(m);
    check_same_weighted(m = make_model(MG_MODEL_MLP, 3, wide, 1), 3);
    mg_model_free(m);
    check_same_weighted(m = make_model(MG_MODEL_MLP, 0, hidden, 2), 0);
    mg_model_free(m);
    check_same_weighted(m = make_model(MG_MODEL_LOGISTIC, 2, NULL, 0), 2);
    mg_model_free(m);
}
END_TEST

START_TEST(test_core_sparse_density)
{
    double X[N * W], y[N];

    make_data(X, y, 2);
    /* 5 rows of 6 non-zeros and 2 of 5: 40 of 7 x 23 = 161 values */
    ck_assert_double_eq_tol(model_input_density(X, N, W), 40.0 / 161.0, 1e-15);
    ck_assert_double_eq(model_input_density(X, 0, W), 1.0);
}
END_TEST

START_TEST(test_core_sparse_when_it_pays)
{
    static const size_t narrow[] = {7}, wide[] = {8};
    double X[N * W], y[N], D[N * W];
    mg_model *m;

    make_data(X, y, 2);
    for (size_t i = 0; i < N * W; i++)
        D[i] = 1.0 + (double)i; /* no zero at all */
    m = make_model(MG_MODEL_MLP, 2, wide, 1);
    ck_assert_int_eq(model_sparse_pays(m, X, N), 1);  /* density 0.25, 8 outputs */
    ck_assert_int_eq(model_sparse_pays(m, D, N), 0);  /* density 1 */
    mg_model_free(m);
    m = make_model(MG_MODEL_MLP, 2, narrow, 1);
    ck_assert_int_eq(model_sparse_pays(m, X, N), 0);  /* 7 outputs: too narrow */
    mg_model_free(m);
    m = make_model(MG_MODEL_LOGISTIC, 2, NULL, 0);
    ck_assert_int_eq(model_sparse_pays(m, X, N), 0);  /* one output */
    mg_model_free(m);
}
END_TEST

/* The clipper's finish: the mean over the batch (no noise: the test wants determinism). */
static int clip_finish(void *ud, double *grad, size_t count, size_t P, size_t step)
{
    (void)ud;
    (void)step;
    for (size_t i = 0; count && i < P; i++)
        grad[i] /= (double)count;
    return MG_OK;
}

/*
 * Same seed, same data: training through the sparse path is bit-identical run
 * to run, with and without a clipper.
 */
static void train_once(double *params, size_t P, int clip)
{
    static const size_t hidden[] = {8, 4};
    static double X[40 * W], y[40];
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_input in;
    mg_estimator *e;
    mg_model *m = make_model(MG_MODEL_MLP, 2, hidden, 2);

    for (size_t k = 0; k < 40 / N + 1; k++) { /* the 7 rows over and over */
        size_t n = 40 - k * N < N ? 40 - k * N : N;
        double Xk[N * W], yk[N];
        make_data(Xk, yk, 2);
        memcpy(X + k * N * W, Xk, n * W * sizeof *X);
        memcpy(y + k * N, yk, n * sizeof *y);
    }
    in.X = X, in.y = y, in.n = 40;
    to.epochs = 3;
    to.batch_size = 8;
    rc.seed = 42;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    if (clip) {
        mg_grad_clipper c = {NULL, clip_weigh, clip_finish};
        mg_estimator_set_grad_clipper(e, &c);
    }
    ck_assert_int_eq(mg_estimator_train(e, &in, NULL, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(e->sparse, 1); /* density 0.25: the run took the sparse path */
    ck_assert_uint_eq(mg_model_params(m), P);
    memcpy(params, mg_model_param_data(m), P * sizeof *params);
    mg_estimator_free(e); /* and the model with it */
}

START_TEST(test_core_sparse_training_deterministic)
{
    size_t P = W * 8 + 8 + 8 * 4 + 4 + 4 + 1;
    double *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);

    train_once(a, P, 0);
    train_once(b, P, 0);
    ck_assert_int_eq(memcmp(a, b, P * sizeof *a), 0);
    train_once(a, P, 1);
    train_once(b, P, 1);
    ck_assert_int_eq(memcmp(a, b, P * sizeof *a), 0);
    free(a);
    free(b);
}
END_TEST

static Suite *core_sparse_suite(void)
{
    Suite *s = suite_create("core_sparse");
    TCase *tc = tcase_create("sparse");

    tcase_add_test(tc, test_core_sparse_same_gradients);
    tcase_add_test(tc, test_core_sparse_same_weighted_gradients);
    tcase_add_test(tc, test_core_sparse_density);
    tcase_add_test(tc, test_core_sparse_when_it_pays);
    tcase_add_test(tc, test_core_sparse_training_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_sparse_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
