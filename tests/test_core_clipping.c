/* test_core_clipping.c - per-example clipping without G: ghost norms, weighted sums, the clipper.
 */
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_model.h"
#include "mg_pipeline.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define B 37
#define W 6

static mg_model *make_model(mg_model_type type, size_t classes, mg_activation act,
                            mg_regression_loss loss)
{
    static const size_t hidden[2] = {5, 3};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_model *m;

    sp.type = type;
    sp.inputs = W;
    sp.classes = classes;
    sp.activation = act;
    sp.loss = loss;
    if (type == MG_MODEL_MLP) {
        sp.hidden = hidden;
        sp.nhidden = 2;
    }
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    mg_model_init_params(m, 9);
    return m;
}

/* Weights that depend on the norms, as clipping does: min(1, 0.5 / norm). */
static int clip_half(void *ud, double *w, const double *norms, size_t n)
{
    size_t *calls = ud;
    (*calls)++;
    for (size_t b = 0; b < n; b++)
        w[b] = fmin(1.0, 0.5 / norms[b]);
    return MG_OK;
}

/*
 * Against the definition: the norms are the L2 norms of the rows of
 * mg_model_per_example_grads' G, and the weighted gradient is
 * sum_b min(1, 0.5 / |G_b|) G_b, for every head, loss and activation.
 */
START_TEST(test_core_clipping_matches_per_example_grads)
{
    const struct {
        mg_model_type type;
        size_t classes;
        mg_activation act;
        mg_regression_loss loss;
    } cases[] = {
        {MG_MODEL_LINEAR, 0, MG_ACT_RELU, MG_LOSS_MSE},
        {MG_MODEL_LINEAR, 0, MG_ACT_RELU, MG_LOSS_MAE},
        {MG_MODEL_LOGISTIC, 2, MG_ACT_RELU, MG_LOSS_MSE},
        {MG_MODEL_SOFTMAX, 4, MG_ACT_RELU, MG_LOSS_MSE},
        {MG_MODEL_MLP, 2, MG_ACT_RELU, MG_LOSS_MSE},
        {MG_MODEL_MLP, 3, MG_ACT_TANH, MG_LOSS_MSE},
        {MG_MODEL_MLP, 0, MG_ACT_TANH, MG_LOSS_MSE},
    };
    double X[B * W], y[B];
    mg_rng r;

    mg_rng_seed(&r, 4);
    for (size_t i = 0; i < B * W; i++)
        X[i] = 2 * mg_rng_normal(&r);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mg_model *m = make_model(cases[k].type, cases[k].classes, cases[k].act, cases[k].loss);
        size_t P = mg_model_params(m), calls = 0;
        double *G = malloc(B * P * sizeof *G), *want = calloc(P, sizeof *want);
        double *grad = malloc(P * sizeof *grad), norms[B], loss_w, loss_g = 0, losses[B];

        for (size_t b = 0; b < B; b++)
            y[b] =
                cases[k].classes ? (double)mg_rng_below(&r, cases[k].classes) : mg_rng_normal(&r);
        ck_assert_int_eq(mg_model_per_example_grads(m, X, y, B, G, losses), MG_OK);
        ck_assert_int_eq(
            mg_model_weighted_grad(grad, norms, &loss_w, m, X, y, B, clip_half, &calls), MG_OK);
        ck_assert_uint_eq(calls, 1);
        for (size_t b = 0; b < B; b++) {
            double n2 = 0;
            for (size_t i = 0; i < P; i++)
                n2 += G[b * P + i] * G[b * P + i];
            ck_assert_double_eq_tol(norms[b], sqrt(n2), 1e-12 * (1 + sqrt(n2)));
            for (size_t i = 0; i < P; i++)
                want[i] += fmin(1.0, 0.5 / sqrt(n2)) * G[b * P + i];
            loss_g += losses[b];
        }
        for (size_t i = 0; i < P; i++)
            ck_assert_msg(fabs(grad[i] - want[i]) <= 1e-12 * (1 + fabs(want[i])),
                          "case %zu param %zu: %.17g vs %.17g", k, i, grad[i], want[i]);
        ck_assert_double_eq_tol(loss_w, loss_g, 1e-12 * (1 + fabs(loss_g)));
        free(G);
        free(want);
        free(grad);
        mg_model_free(m);
    }
}
END_TEST

/* An empty batch: no call to weigh, a zero gradient. */
START_TEST(test_core_clipping_empty_batch)
{
    mg_model *m = make_model(MG_MODEL_MLP, 2, MG_ACT_RELU, MG_LOSS_MSE);
    size_t P = mg_model_params(m), calls = 0;
    double *grad = malloc(P * sizeof *grad), loss = 1, x = 0, yv = 0, norm;

    for (size_t i = 0; i < P; i++)
        grad[i] = 7;
    ck_assert_int_eq(mg_model_weighted_grad(grad, &norm, &loss, m, &x, &yv, 0, clip_half, &calls),
                     MG_OK);
    ck_assert_uint_eq(calls, 0);
    for (size_t i = 0; i < P; i++)
        ck_assert(grad[i] == 0);
    ck_assert(loss == 0);
    free(grad);
    mg_model_free(m);
}
END_TEST

/* The estimator's clipper and aggregator paths, fed the same weights, train to the same model. */
typedef struct sum_of {
    size_t finishes;
} sum_of;

static int weigh_half(void *ud, double *w, const double *norms, size_t n)
{
    (void)ud;
    for (size_t b = 0; b < n; b++)
        w[b] = fmin(1.0, 0.5 / norms[b]);
    return MG_OK;
}

static int finish_mean(void *ud, double *grad, size_t count, size_t P, size_t step)
{
    sum_of *s = ud;
    (void)step;
    s->finishes++;
    for (size_t i = 0; count && i < P; i++)
        grad[i] /= (double)count;
    return MG_OK;
}

static int aggregate_half(void *ud, double *grad, double *G, size_t count, size_t P, size_t step)
{
    memset(grad, 0, P * sizeof *grad);
    for (size_t b = 0; b < count; b++) {
        double n2 = 0;
        for (size_t i = 0; i < P; i++)
            n2 += G[b * P + i] * G[b * P + i];
        for (size_t i = 0; i < P; i++)
            grad[i] += fmin(1.0, 0.5 / sqrt(n2)) * G[b * P + i];
    }
    return finish_mean(ud, grad, count, P, step);
}

START_TEST(test_core_clipping_estimator_paths_agree)
{
    static double X[300 * W], Y[300];
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_input in = {X, Y, 300};
    mg_estimator *e[2];
    sum_of s[2] = {{0}, {0}};
    mg_rng r;

    mg_rng_seed(&r, 8);
    for (size_t i = 0; i < 300 * W; i++)
        X[i] = mg_rng_normal(&r);
    for (size_t i = 0; i < 300; i++)
        Y[i] = X[i * W] - X[i * W + 1] > 0;
    to.epochs = 2;
    to.batch_size = 32;
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(mg_estimator_create(&e[k],
                                             make_model(MG_MODEL_MLP, 2, MG_ACT_RELU, MG_LOSS_MSE),
                                             &rc, &to),
                         MG_OK);
        if (k == 0) {
            mg_grad_clipper c = {&s[0], weigh_half, finish_mean};
            mg_estimator_set_grad_clipper(e[0], &c);
        } else {
            mg_grad_aggregator g = {&s[1], aggregate_half};
            mg_estimator_set_grad_aggregator(e[1], &g);
        }
        ck_assert_int_eq(mg_estimator_train(e[k], &in, NULL, NULL, 0, 0), MG_OK);
    }
    ck_assert_uint_eq(s[0].finishes, 20); /* 2 epochs of ceil(300 / 32) steps */
    ck_assert_uint_eq(s[1].finishes, 20);
    const mg_model *a = mg_estimator_model(e[0]), *b = mg_estimator_model(e[1]);
    for (size_t i = 0; i < mg_model_params(a); i++)
        ck_assert_double_eq_tol(mg_model_param_data(a)[i], mg_model_param_data(b)[i], 1e-10);
    mg_estimator_free(e[0]);
    mg_estimator_free(e[1]);
}
END_TEST

Suite *clipping_suite(void);

Suite *clipping_suite(void)
{
    Suite *s = suite_create("core_clipping");
    TCase *tc = tcase_create("clipping");
    tcase_add_test(tc, test_core_clipping_matches_per_example_grads);
    tcase_add_test(tc, test_core_clipping_empty_batch);
    tcase_add_test(tc, test_core_clipping_estimator_paths_agree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clipping_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
