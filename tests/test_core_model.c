/* test_core_model.c - models, gradients, optimizers, metrics and the .mgm artifact. */
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_metrics.h"
#include "mg_model.h"
#include "mg_optim.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 6
#define W 4

/* Random encoded rows and targets for a model with `classes` (0 = regression). */
static void make_batch(double *X, double *y, size_t classes, uint64_t seed)
{
    mg_rng r;
    mg_rng_seed(&r, seed);
    for (size_t i = 0; i < B * W; i++)
        X[i] = 2.0 * mg_rng_uniform(&r) - 1.0;
    for (size_t b = 0; b < B; b++)
        y[b] = classes ? (double)mg_rng_below(&r, classes) : 3.0 * mg_rng_uniform(&r) - 1.5;
}

static mg_model *make_model(mg_model_type type, size_t classes, const size_t *hidden,
                            size_t nhidden, mg_activation act, mg_regression_loss loss)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_model *m;
    mg_rng r;

    sp.type = type;
    sp.inputs = W;
    sp.classes = classes;
    sp.hidden = hidden;
    sp.nhidden = nhidden;
    sp.activation = act;
    sp.loss = loss;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    mg_model_init_params(m, 7);
    /* Non-zero biases too, so their gradients are exercised. */
    mg_rng_seed(&r, 99);
    for (size_t i = 0; i < mg_model_params(m); i++)
        mg_model_param_data_mut(m)[i] += 0.1 * (mg_rng_uniform(&r) - 0.5);
    return m;
}

/* Central differences (L(p + h) - L(p - h)) / 2h against the analytic gradient. */
static void check_gradient(mg_model *m, size_t classes)
{
    size_t P = mg_model_params(m);
    double X[B * W], y[B], *g = malloc(P * sizeof *g), lp, lm, total;
    double *p = mg_model_param_data_mut(m);

    make_batch(X, y, classes, 3);
    ck_assert_int_eq(mg_model_batch_grad(g, &total, m, X, y, B), MG_OK);
    for (size_t i = 0; i < P; i++) {
        double keep = p[i], h = 1e-6, num;
        p[i] = keep + h;
        ck_assert_int_eq(mg_model_loss(&lp, m, X, y, B), MG_OK);
        p[i] = keep - h;
        ck_assert_int_eq(mg_model_loss(&lm, m, X, y, B), MG_OK);
        p[i] = keep;
        num = (lp - lm) / (2 * h);
        ck_assert_msg(fabs(num - g[i]) <= 1e-6 * (1.0 + fabs(num)),
                      "%s param %zu: analytic %.10g numeric %.10g",
                      mg_model_type_name(mg_model_kind(m)), i, g[i], num);
    }
    free(g);
}

START_TEST(test_core_model_gradcheck_linear)
{
    mg_model *m = make_model(MG_MODEL_LINEAR, 0, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE);
    check_gradient(m, 0);
    mg_model_free(m);
    m = make_model(MG_MODEL_LINEAR, 0, NULL, 0, MG_ACT_RELU, MG_LOSS_MAE);
    check_gradient(m, 0);
    mg_model_free(m);
}
END_TEST

START_TEST(test_core_model_gradcheck_logistic)
{
    mg_model *m = make_model(MG_MODEL_LOGISTIC, 2, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE);
    check_gradient(m, 2);
    mg_model_free(m);
}
END_TEST

START_TEST(test_core_model_gradcheck_softmax)
{
    mg_model *m = make_model(MG_MODEL_SOFTMAX, 3, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE);
    check_gradient(m, 3);
    mg_model_free(m);
}
END_TEST

START_TEST(test_core_model_gradcheck_mlp)
{
    const size_t h2[] = {5, 3}, h1[] = {7};
    mg_model *m = make_model(MG_MODEL_MLP, 0, h2, 2, MG_ACT_RELU, MG_LOSS_MSE);
    check_gradient(m, 0);
    mg_model_free(m);
    m = make_model(MG_MODEL_MLP, 2, h2, 2, MG_ACT_TANH, MG_LOSS_MSE);
    check_gradient(m, 2);
    mg_model_free(m);
    m = make_model(MG_MODEL_MLP, 4, h1, 1, MG_ACT_RELU, MG_LOSS_MSE);
    check_gradient(m, 4);
    mg_model_free(m);
    m = make_model(MG_MODEL_MLP, 0, h1, 1, MG_ACT_TANH, MG_LOSS_MAE);
    check_gradient(m, 0);
    mg_model_free(m);
}
END_TEST

/* Sum over b of G's rows = the batch gradient; per-example losses sum to the batch loss. */
START_TEST(test_core_model_per_example_sum)
{
    const size_t h[] = {5, 3};
    mg_model *ms[] = {make_model(MG_MODEL_LOGISTIC, 2, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE),
                      make_model(MG_MODEL_SOFTMAX, 3, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE),
                      make_model(MG_MODEL_MLP, 3, h, 2, MG_ACT_RELU, MG_LOSS_MSE),
                      make_model(MG_MODEL_MLP, 0, h, 2, MG_ACT_TANH, MG_LOSS_MSE)};
    const size_t classes[] = {2, 3, 3, 0};

    for (size_t k = 0; k < 4; k++) {
        mg_model *m = ms[k];
        size_t P = mg_model_params(m);
        double X[B * W], y[B], loss[B], total, lsum = 0;
        double *G = malloc(B * P * sizeof *G), *g = malloc(P * sizeof *g);

        make_batch(X, y, classes[k], 11 + k);
        ck_assert_int_eq(mg_model_per_example_grads(m, X, y, B, G, loss), MG_OK);
        ck_assert_int_eq(mg_model_batch_grad(g, &total, m, X, y, B), MG_OK);
        for (size_t i = 0; i < P; i++) {
            double s = 0;
            for (size_t b = 0; b < B; b++)
                s += G[b * P + i];
            ck_assert_double_eq_tol(s, g[i], 1e-12 * (1 + fabs(g[i])));
        }
        for (size_t b = 0; b < B; b++)
            lsum += loss[b];
        ck_assert_double_eq_tol(lsum, total, 1e-12 * (1 + total));
        /* Row 0 alone: the gradient of a one-row batch. */
        ck_assert_int_eq(mg_model_batch_grad(g, NULL, m, X, y, 1), MG_OK);
        for (size_t i = 0; i < P; i++)
            ck_assert_double_eq_tol(G[i], g[i], 1e-12 * (1 + fabs(g[i])));
        free(G);
        free(g);
        mg_model_free(m);
    }
}
END_TEST

/* A hand-set logistic model: w = (1, -2, 0, 0.5), b = 0.25. */
START_TEST(test_core_model_logistic_by_hand)
{
    mg_model *m = make_model(MG_MODEL_LOGISTIC, 2, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE);
    double *p = mg_model_param_data_mut(m), X[2 * W] = {1, 1, 9, 2, 0, 0, 0, 0}, out[2], g[W + 1];
    double y[2] = {1, 0}, loss[2], G[2 * (W + 1)];
    const double *w;
    double bias;

    p[0] = 1, p[1] = -2, p[2] = 0, p[3] = 0.5, p[4] = 0.25;
    ck_assert_int_eq(mg_model_predict_encoded(m, X, 2, out), MG_OK);
    /* Row 0: z = 1 - 2 + 0 + 1 + 0.25 = 0.25; row 1: z = 0.25. */
    ck_assert_double_eq_tol(out[0], 1 / (1 + exp(-0.25)), 1e-15);
    ck_assert_double_eq_tol(out[1], 1 / (1 + exp(-0.25)), 1e-15);
    ck_assert_uint_eq(mg_model_decide(m, out), 1);
    ck_assert_int_eq(mg_model_linear_weights(&w, &bias, m), MG_OK);
    ck_assert_double_eq(w[1], -2);
    ck_assert_double_eq(bias, 0.25);
    /* Per-example: loss_0 = -log(sigma(0.25)), d/dz = sigma(0.25) - 1; row 1: d/dz = sigma(0.25). */
    ck_assert_int_eq(mg_model_per_example_grads(m, X, y, 2, G, loss), MG_OK);
    ck_assert_double_eq_tol(loss[0], -log(out[0]), 1e-15);
    ck_assert_double_eq_tol(G[2], (out[0] - 1) * 9, 1e-14);
    ck_assert_double_eq_tol(G[4], out[0] - 1, 1e-15);
    ck_assert_double_eq_tol(G[5 + 4], out[1], 1e-15);
    ck_assert_double_eq_tol(G[5 + 0], 0, 1e-15);
    ck_assert_int_eq(mg_model_batch_grad(g, NULL, m, X, y, 2), MG_OK);
    ck_assert_double_eq_tol(g[4], 2 * out[0] - 1, 1e-15);
    mg_model_free(m);
}
END_TEST

START_TEST(test_core_model_bad_spec)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_model *m;
    size_t zero = 0;

    sp.type = MG_MODEL_LOGISTIC;
    sp.inputs = 3;
    sp.classes = 3;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "exactly 2 classes"));
    sp.type = MG_MODEL_MLP;
    sp.hidden = &zero;
    sp.nhidden = 1;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "size 0"));
    sp.type = MG_MODEL_LINEAR;
    sp.classes = 0;
    sp.inputs = 0;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_EINVAL);
    /* A softmax target that is no class index. */
    m = make_model(MG_MODEL_SOFTMAX, 3, NULL, 0, MG_ACT_RELU, MG_LOSS_MSE);
    {
        double X[W] = {0}, y = 3, g[3 * (W + 1)];
        ck_assert_int_eq(mg_model_batch_grad(g, NULL, m, X, &y, 1), MG_EINVAL);
        ck_assert_ptr_nonnull(strstr(mg_error_last(), "row 0"));
    }
    mg_model_free(m);
}
END_TEST

/* PyTorch's workflow example: y = 0.7 x + 0.3 at x = 0, 0.02, ..., 0.98. The data
 * lie exactly on the line, so least squares' optimum is w = 0.7, b = 0.3. */
START_TEST(test_core_model_linear_recovers_line)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_estimator *e;
    mg_model *m;
    double X[50], y[50], bias;
    const double *w;
    mg_input in;

    for (int i = 0; i < 50; i++) {
        X[i] = 0.02 * i;
        y[i] = 0.7 * X[i] + 0.3;
    }
    sp.type = MG_MODEL_LINEAR;
    sp.inputs = 1;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    to.optim.kind = MG_OPTIM_SGD;
    to.optim.lr = 0.1;
    to.batch_size = 10;
    to.epochs = 300;
    rc.seed = 42;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    in = (mg_input){X, y, 50};
    ck_assert_int_eq(mg_estimator_train(e, &in, NULL, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(mg_model_linear_weights(&w, &bias, mg_estimator_model(e)), MG_OK);
    ck_assert_double_eq_tol(w[0], 0.7, 1e-3);
    ck_assert_double_eq_tol(bias, 0.3, 1e-3);
    mg_estimator_free(e);
}
END_TEST

/* ---- optimizers ---- */

START_TEST(test_core_optim_sgd_momentum)
{
    mg_optim_options o = MG_OPTIM_OPTIONS_INIT;
    mg_optimizer *opt;
    double w[2] = {1, 2}, g[2];

    o.kind = MG_OPTIM_SGD;
    o.lr = 0.1;
    o.momentum = 0.5;
    o.l2 = 0.2;
    ck_assert_int_eq(mg_optimizer_create(&opt, &o, 2, (const unsigned char[]){1, 0}), MG_OK);
    /* Step 1: g = (1 + 0.2*1, 1) = (1.2, 1); v = g; w = (1 - 0.12, 2 - 0.1) = (0.88, 1.9). */
    g[0] = g[1] = 1;
    mg_optimizer_step(opt, w, g);
    ck_assert_double_eq_tol(w[0], 0.88, 1e-15);
    ck_assert_double_eq_tol(w[1], 1.9, 1e-15);
    /* Step 2: g = (1 + 0.176, 1); v = 0.5 v + g = (1.776, 1.5); w -= 0.1 v. */
    g[0] = g[1] = 1;
    mg_optimizer_step(opt, w, g);
    ck_assert_double_eq_tol(w[0], 0.88 - 0.1776, 1e-15);
    ck_assert_double_eq_tol(w[1], 1.9 - 0.15, 1e-15);
    mg_optimizer_free(opt);
}
END_TEST

START_TEST(test_core_optim_adam_first_steps)
{
    mg_optim_options o = MG_OPTIM_OPTIONS_INIT;
    mg_optimizer *opt;
    double w[2] = {0, 0}, g[2];

    o.lr = 0.01;
    o.eps = 1e-300; /* negligible next to |g| */
    ck_assert_int_eq(mg_optimizer_create(&opt, &o, 2, NULL), MG_OK);
    /* Bias-corrected first step: m^ = g, v^ = g^2, so w -= lr * sign(g). */
    g[0] = 3, g[1] = -0.5;
    mg_optimizer_step(opt, w, g);
    ck_assert_double_eq_tol(w[0], -0.01, 1e-15);
    ck_assert_double_eq_tol(w[1], 0.01, 1e-15);
    /* Second step with the same g: m^ = g and v^ = g^2 again: another lr * sign(g). */
    g[0] = 3, g[1] = -0.5;
    mg_optimizer_step(opt, w, g);
    ck_assert_double_eq_tol(w[0], -0.02, 1e-15);
    ck_assert_double_eq_tol(w[1], 0.02, 1e-15);
    mg_optimizer_free(opt);
}
END_TEST

START_TEST(test_core_optim_schedules)
{
    mg_optim_options o = MG_OPTIM_OPTIONS_INIT;
    mg_optimizer *opt;
    double w = 0, g;

    o.kind = MG_OPTIM_SGD;
    o.momentum = 0;
    o.lr = 1;
    o.schedule = MG_SCHEDULE_STEP;
    o.step_size = 2;
    o.gamma = 0.5;
    ck_assert_int_eq(mg_optimizer_create(&opt, &o, 1, NULL), MG_OK);
    /* lr at steps 0..4: 1, 1, 0.5, 0.5, 0.25 */
    const double step_lr[] = {1, 1, 0.5, 0.5, 0.25};
    for (int t = 0; t < 5; t++) {
        ck_assert_double_eq(mg_optimizer_lr(opt), step_lr[t]);
        g = 1;
        mg_optimizer_step(opt, &w, &g);
    }
    mg_optimizer_free(opt);
    o.schedule = MG_SCHEDULE_COSINE;
    o.total_steps = 4;
    o.min_lr = 0.2;
    ck_assert_int_eq(mg_optimizer_create(&opt, &o, 1, NULL), MG_OK);
    /* 0.2 + 0.8 (1 + cos(pi t / 4)) / 2 at t = 0, 2, 4: 1, 0.6, 0.2 */
    ck_assert_double_eq_tol(mg_optimizer_lr(opt), 1.0, 1e-15);
    mg_optimizer_step(opt, &w, &g);
    mg_optimizer_step(opt, &w, &g);
    ck_assert_double_eq_tol(mg_optimizer_lr(opt), 0.6, 1e-15);
    mg_optimizer_step(opt, &w, &g);
    mg_optimizer_step(opt, &w, &g);
    ck_assert_double_eq_tol(mg_optimizer_lr(opt), 0.2, 1e-15);
    mg_optimizer_free(opt);
    o.lr = -1;
    ck_assert_int_eq(mg_optimizer_create(&opt, &o, 1, NULL), MG_EINVAL);
}
END_TEST

/* A row's prediction must not depend on the batch it comes in: the web API predicts one
 * row, the CLI a file, explainers thousands of perturbed rows, and an auditor compares them
 * bit for bit. A wide softmax MLP on random rows: alone, all at once (a 4096-row pass, a
 * 400-row one and a padded tail), and from odd offsets. */
START_TEST(test_core_predict_batch_independent)
{
    enum { D = 37, N = 4500, K = 3 };
    static const size_t hidden[] = {64, 32};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    double *X = malloc(N * D * sizeof *X), *all = malloc(N * K * sizeof *all);
    double *part = malloc(N * K * sizeof *part), one[K];
    mg_model *m;
    mg_rng r;

    sp.type = MG_MODEL_MLP;
    sp.inputs = D;
    sp.classes = K;
    sp.hidden = hidden;
    sp.nhidden = 2;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    mg_model_init_params(m, 11);
    mg_rng_seed(&r, 5);
    for (size_t i = 0; i < N * D; i++)
        X[i] = 4.0 * mg_rng_uniform(&r) - 2.0;
    ck_assert_int_eq(mg_model_predict_encoded(m, X, N, all), MG_OK);
    for (size_t i = 0; i < N; i++) {
        ck_assert_int_eq(mg_model_predict_encoded(m, X + i * D, 1, one), MG_OK);
        ck_assert_msg(memcmp(one, all + i * K, sizeof one) == 0, "row %zu alone differs", i);
    }
    ck_assert_int_eq(mg_model_predict_encoded(m, X + 7 * D, 100, part), MG_OK);
    ck_assert(memcmp(part, all + 7 * K, 100 * K * sizeof *part) == 0);
    ck_assert_int_eq(mg_model_predict_encoded(m, X + 190 * D, 13, part), MG_OK);
    ck_assert(memcmp(part, all + 190 * K, 13 * K * sizeof *part) == 0);
    ck_assert_int_eq(mg_model_predict_encoded(m, X + 333 * D, 4111, part), MG_OK);
    ck_assert(memcmp(part, all + 333 * K, 4111 * K * sizeof *part) == 0);
    mg_model_free(m);
    free(X);
    free(all);
    free(part);
}
END_TEST

/* ---- metrics ---- */

/* Labels 0 1 1 0 1, scores .1 .4 .4 .4 .9. Positive/negative pairs: (.4 vs .1) 1,
 * (.4 vs .4) 1/2, (.4,.1) 1, (.4,.4) 1/2, (.9,.1) 1, (.9,.4) 1 -> 5/6. */
START_TEST(test_core_metrics_auc_ties)
{
    const double y[] = {0, 1, 1, 0, 1}, s[] = {0.1, 0.4, 0.4, 0.4, 0.9};
    double auc;
    ck_assert_int_eq(mg_metrics_auc(&auc, y, s, 5), MG_OK);
    ck_assert_double_eq_tol(auc, 5.0 / 6.0, 1e-15);
    ck_assert_int_eq(mg_metrics_auc(&auc, y, s, 1), MG_EINVAL);
}
END_TEST

/* A diverged model predicts NaN: NaN compares unequal to itself, so a tie-run loop that
 * waits for a score to equal itself would never end. Every entry point must refuse it. */
START_TEST(test_core_metrics_not_finite)
{
    const double y[] = {0, 1, 1, 0}, s[] = {0.1, NAN, 0.4, 0.3}, inf[] = {0.1, 0.2, INFINITY, 0};
    const double pk[] = {.5, .5, .2, .8, NAN, 1, .3, .7}, yk[] = {0, 1, 1, 0};
    mg_metrics m;
    double auc;

    ck_assert_int_eq(mg_metrics_auc(&auc, y, s, 4), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "metrics: the score of row 1 is NaN"));
    ck_assert_int_eq(mg_metrics_auc(&auc, y, inf, 4), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "metrics: the score of row 2 is infinite");
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_BINARY, y, s, 4, 2, 0), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "the prediction for evaluated row 1 is NaN: the model diverged"));
    ck_assert_ptr_null(m.confusion);
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_MULTICLASS, yk, pk, 4, 2, 0), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "prediction for evaluated row 2 is NaN"));
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_REGRESSION, s, y, 4, 0, 0), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "the label of evaluated row 1 is NaN"));
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_REGRESSION, y, inf, 4, 0, 0), MG_EINVAL);
}
END_TEST

/* Predictions at 0.5: 0 1 1 0 1 vs labels 0 1 0 0 1 ... worked below. */
START_TEST(test_core_metrics_binary)
{
    const double y[] = {1, 1, 0, 0, 1, 0}, p[] = {0.9, 0.3, 0.6, 0.2, 0.7, 0.1};
    mg_metrics m;
    double v;

    /* predicted 1 0 1 0 1 0: TP 2, FN 1, FP 1, TN 2. accuracy 4/6, precision 2/3,
     * recall 2/3, F1 2/3; log loss = -mean(log .9, log .3, log .4, log .8, log .7, log .9). */
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_BINARY, y, p, 6, 2, 0), MG_OK);
    ck_assert_double_eq_tol(m.accuracy, 4.0 / 6, 1e-15);
    ck_assert_double_eq_tol(m.precision, 2.0 / 3, 1e-15);
    ck_assert_double_eq_tol(m.recall, 2.0 / 3, 1e-15);
    ck_assert_double_eq_tol(m.f1, 2.0 / 3, 1e-15);
    ck_assert_double_eq_tol(m.log_loss,
                            -(log(.9) + log(.3) + log(.4) + log(.8) + log(.7) + log(.9)) / 6,
                            1e-15);
    /* AUC: positives .9 .3 .7 vs negatives .6 .2 .1: .9 beats 3, .3 beats 2, .7 beats 3 -> 8/9. */
    ck_assert_double_eq_tol(m.auc, 8.0 / 9, 1e-15);
    ck_assert_uint_eq(m.confusion[0 * 2 + 0], 2);
    ck_assert_uint_eq(m.confusion[0 * 2 + 1], 1);
    ck_assert_uint_eq(m.confusion[1 * 2 + 0], 1);
    ck_assert_uint_eq(m.confusion[1 * 2 + 1], 2);
    ck_assert_int_eq(mg_metrics_get(&v, &m, "auc"), MG_OK);
    ck_assert_int_eq(mg_metrics_get(&v, &m, "r2"), MG_ENOTFOUND);
    json_t *j = mg_metrics_to_json(&m);
    ck_assert_ptr_nonnull(json_object_get(j, "accuracy"));
    ck_assert_ptr_nonnull(json_object_get(j, "confusion_matrix"));
    json_decref(j);
    mg_metrics_free(&m);
}
END_TEST

START_TEST(test_core_metrics_multiclass_and_regression)
{
    /* 3 classes; argmax predictions 0, 1, 2, 2 for labels 0, 1, 1, 2. */
    const double y[] = {0, 1, 1, 2};
    const double p[] = {.8, .1, .1, .2, .7, .1, .1, .3, .6, .2, .2, .6};
    const double yr[] = {1, 2, 3, 4}, pr[] = {1.5, 2, 2, 4};
    mg_metrics m;

    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_MULTICLASS, y, p, 4, 3, 0), MG_OK);
    ck_assert_double_eq_tol(m.accuracy, 0.75, 1e-15);
    /* per class (P, R): 0 (1, 1), 1 (1, 1/2), 2 (1/2, 1); macro P = 5/6, R = 5/6,
     * F1 = (1 + 2/3 + 2/3) / 3 = 7/9 */
    ck_assert_double_eq_tol(m.precision, 5.0 / 6, 1e-15);
    ck_assert_double_eq_tol(m.recall, 5.0 / 6, 1e-15);
    ck_assert_double_eq_tol(m.f1, 7.0 / 9, 1e-15);
    ck_assert_double_eq_tol(m.log_loss, -(log(.8) + log(.7) + log(.3) + log(.6)) / 4, 1e-15);
    mg_metrics_free(&m);
    /* residuals .5 0 -1 0: MAE .375, MSE 1.25/4, SS_tot = 5, R2 = 1 - 1.25/5 = .75 */
    ck_assert_int_eq(mg_metrics_compute(&m, MG_TASK_REGRESSION, yr, pr, 4, 0, 0), MG_OK);
    ck_assert_double_eq_tol(m.mae, 0.375, 1e-15);
    ck_assert_double_eq_tol(m.mse, 0.3125, 1e-15);
    ck_assert_double_eq_tol(m.r2, 0.75, 1e-15);
    ck_assert_double_eq_tol(m.loss, 0.3125, 1e-15);
    ck_assert(isnan(m.accuracy));
    mg_metrics_free(&m);
}
END_TEST

/* ---- the .mgm artifact ---- */

/* A linear model over x1, x2 written by hand; x1 standardised with mean 1, std 2. */
static const char *linear_mgm =
    "{\"format\":\"modelgov-model\",\"format_version\":1,\"type\":\"linear\","
    "\"label\":{\"column\":\"y\"},"
    "\"pipeline\":{\"inputs\":[{\"name\":\"x1\",\"type\":\"numeric\",\"mean\":1,\"std\":2},"
    "{\"name\":\"x2\",\"type\":\"numeric\",\"mean\":0,\"std\":1}]},"
    "\"network\":{\"layers\":[{\"inputs\":2,\"outputs\":1,\"weights\":[[2,-1]],\"bias\":[0.5]}]}}";

static const char *logistic_mgm =
    "{\"format\":\"modelgov-model\",\"format_version\":1,\"type\":\"logistic\","
    "\"label\":{\"column\":\"y\",\"classes\":[\"no\",\"yes\"],\"positive\":\"yes\"},"
    "\"pipeline\":{\"inputs\":[{\"name\":\"a\",\"type\":\"numeric\",\"mean\":0,\"std\":1},"
    "{\"name\":\"b\",\"type\":\"numeric\",\"mean\":0,\"std\":1}]},"
    "\"network\":{\"layers\":[{\"inputs\":2,\"outputs\":1,\"weights\":[[1,1]],\"bias\":[0]}]}}";

static const char *mlp_mgm =
    "{\"format\":\"modelgov-model\",\"format_version\":1,\"type\":\"mlp\","
    "\"label\":{\"column\":\"y\"},"
    "\"pipeline\":{\"inputs\":[{\"name\":\"u\",\"type\":\"numeric\",\"mean\":0,\"std\":1},"
    "{\"name\":\"v\",\"type\":\"numeric\",\"mean\":0,\"std\":1}]},"
    "\"network\":{\"activation\":\"relu\",\"layers\":["
    "{\"inputs\":2,\"outputs\":2,\"weights\":[[1,-1],[0.5,0.5]],\"bias\":[0,-1]},"
    "{\"inputs\":2,\"outputs\":1,\"weights\":[[2,3]],\"bias\":[1]}]}}";

static mg_model *load_text(const char *name, const char *text)
{
    char *path = tu_path(name);
    mg_model *m;

    tu_write(path, text);
    ck_assert_msg(mg_model_load(&m, path) == MG_OK, "%s", mg_error_last());
    free(path);
    return m;
}

START_TEST(test_core_model_hand_written_files)
{
    mg_model *lin = load_text("lin.mgm", linear_mgm), *log_ = load_text("log.mgm", logistic_mgm);
    mg_model *mlp = load_text("mlp.mgm", mlp_mgm);
    double raw[4], out[2];

    /* (x1, x2) = (3, 1): 2 (3 - 1) / 2 - 1 + 0.5 = 1.5; (1, 3): 0 - 3 + 0.5 = -2.5 */
    raw[0] = 3, raw[1] = 1, raw[2] = 1, raw[3] = 3;
    ck_assert_int_eq(mg_model_predict_raw(lin, raw, 2, out), MG_OK);
    ck_assert_double_eq_tol(out[0], 1.5, 1e-15);
    ck_assert_double_eq_tol(out[1], -2.5, 1e-15);
    ck_assert_uint_eq(mg_model_classes(lin), 0);
    /* (0.5, -0.5): z = 0, p = 1/2; (ln 3, 0): p = 3 / (3 + 1) = 3/4 */
    raw[0] = 0.5, raw[1] = -0.5, raw[2] = log(3.0), raw[3] = 0;
    ck_assert_int_eq(mg_model_predict_raw(log_, raw, 2, out), MG_OK);
    ck_assert_double_eq_tol(out[0], 0.5, 1e-15);
    ck_assert_double_eq_tol(out[1], 0.75, 1e-15);
    ck_assert_str_eq(mg_model_class_name(log_, 1), "yes");
    /* (3, 1): h = relu(2, 1) -> 2*2 + 3*1 + 1 = 8; (1, 3): h = relu(-2, 1) = (0, 1) -> 4 */
    raw[0] = 3, raw[1] = 1, raw[2] = 1, raw[3] = 3;
    ck_assert_int_eq(mg_model_predict_raw(mlp, raw, 2, out), MG_OK);
    ck_assert_double_eq_tol(out[0], 8, 1e-15);
    ck_assert_double_eq_tol(out[1], 4, 1e-15);
    ck_assert_uint_eq(mg_model_layers(mlp), 2);
    mg_model_free(lin);
    mg_model_free(log_);
    mg_model_free(mlp);
}
END_TEST

/* Save, load, predict: the same bits. Weights of a trained-looking model (seeded init). */
START_TEST(test_core_model_save_load_bit_identical)
{
    static const char *const names[3] = {"a", "b", "c"};
    static const char *const classes[3] = {"red", "green", "blue"};
    const size_t hidden[] = {6, 5};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_pipeline *p;
    mg_model *m, *back;
    char *path = tu_path("rt.mgm"), *path2 = tu_path("rt2.mgm");
    double raw[3 * 7], o1[7 * 3], o2[7 * 3];
    mg_rng r;

    ck_assert_int_eq(mg_pipeline_identity(&p, names, 3), MG_OK);
    sp.type = MG_MODEL_MLP;
    sp.classes = 3;
    sp.class_names = classes;
    sp.hidden = hidden;
    sp.nhidden = 2;
    sp.activation = MG_ACT_TANH;
    sp.label = "colour";
    ck_assert_int_eq(mg_model_create(&m, &sp, p), MG_OK);
    mg_model_init_params(m, 31);
    json_object_set_new(mg_model_training(m), "dp", json_pack("{s:f}", "epsilon", 1.25));
    mg_rng_seed(&r, 8);
    for (size_t i = 0; i < 21; i++)
        raw[i] = mg_rng_normal(&r) / 3.0;
    ck_assert_int_eq(mg_model_save(m, path), MG_OK);
    ck_assert_int_eq(mg_model_load(&back, path), MG_OK);
    ck_assert_uint_eq(mg_model_params(back), mg_model_params(m));
    ck_assert(memcmp(mg_model_param_data(back), mg_model_param_data(m),
                     mg_model_params(m) * sizeof(double)) == 0);
    ck_assert_int_eq(mg_model_predict_raw(m, raw, 7, o1), MG_OK);
    ck_assert_int_eq(mg_model_predict_raw(back, raw, 7, o2), MG_OK);
    ck_assert(memcmp(o1, o2, sizeof o1) == 0);
    ck_assert_str_eq(mg_model_class_name(back, 2), "blue");
    ck_assert_str_eq(mg_model_label(back), "colour");
    ck_assert_int_eq(mg_model_activation(back), MG_ACT_TANH);
    ck_assert_double_eq(json_real_value(json_object_get(
                            json_object_get(mg_model_training(back), "dp"), "epsilon")), 1.25);
    /* Saving the loaded model again writes the same bytes. */
    ck_assert_int_eq(mg_model_save(back, path2), MG_OK);
    {
        char h1[MG_SHA256_HEX], h2[MG_SHA256_HEX];
        ck_assert_int_eq(mg_sha256_file(h1, path), MG_OK);
        ck_assert_int_eq(mg_sha256_file(h2, path2), MG_OK);
        ck_assert_str_eq(h1, h2);
    }
    mg_model_free(m);
    mg_model_free(back);
    free(path);
    free(path2);
}
END_TEST

/* Damaged or foreign files: MG_EPARSE naming the field; never a crash. */
START_TEST(test_core_model_load_damaged)
{
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"", "not a modelgov model"},
        {"[1,2]", "expected a JSON object"},
        {"{\"format\":\"onnx\"}", "field 'format'"},
        {"{\"format\":\"modelgov-model\",\"format_version\":9}", "version 9 is not supported"},
        {"{\"format\":\"modelgov-model\",\"format_version\":1,\"type\":\"forest\"}", "field 'type'"},
        {"{\"format\":\"modelgov-model\",\"format_version\":1,\"type\":\"linear\"}",
         "field 'label'"},
    };
    char *path = tu_path("bad.mgm");
    mg_buf b = MG_BUF_INIT;
    mg_model *m;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_write(path, cases[i].text);
        ck_assert_int_eq(mg_model_load(&m, path), MG_EPARSE);
        ck_assert_ptr_null(m);
        ck_assert_msg(strstr(mg_error_last(), cases[i].expect), "case %zu: %s", i,
                      mg_error_last());
    }
    /* One weight short in the hand-written linear model. */
    mg_buf_puts(&b, linear_mgm);
    *strstr(b.ptr, ",-1]]") = ' ';
    memcpy(strstr(b.ptr, " -1]]"), "   ]]", 5);
    tu_write(path, b.ptr);
    ck_assert_int_eq(mg_model_load(&m, path), MG_EPARSE);
    ck_assert_msg(strstr(mg_error_last(), "network.layers[0].weights"), "%s", mg_error_last());
    /* A pipeline of another width than the first layer. */
    mg_buf_clear(&b);
    mg_buf_puts(&b, linear_mgm);
    memcpy(strstr(b.ptr, "\"inputs\":2,"), "\"inputs\":3,", 11);
    tu_write(path, b.ptr);
    ck_assert_int_eq(mg_model_load(&m, path), MG_EPARSE);
    ck_assert_msg(strstr(mg_error_last(), "network.layers[0]"), "%s", mg_error_last());
    /* Every truncation of a valid file fails cleanly. */
    for (size_t cut = 0; cut < strlen(mlp_mgm); cut += 7) {
        mg_buf_clear(&b);
        mg_buf_put(&b, mlp_mgm, cut);
        tu_write(path, b.ptr ? b.ptr : "");
        ck_assert_int_eq(mg_model_load(&m, path), MG_EPARSE);
    }
    ck_assert_int_eq(mg_model_load(&m, "/nonexistent/x.mgm"), MG_ENOTFOUND);
    mg_buf_free(&b);
    free(path);
}
END_TEST

Suite *core_model_suite(void);

Suite *core_model_suite(void)
{
    Suite *s = suite_create("core_model");
    TCase *tc = tcase_create("model");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_core_model_gradcheck_linear);
    tcase_add_test(tc, test_core_model_gradcheck_logistic);
    tcase_add_test(tc, test_core_model_gradcheck_softmax);
    tcase_add_test(tc, test_core_model_gradcheck_mlp);
    tcase_add_test(tc, test_core_model_per_example_sum);
    tcase_add_test(tc, test_core_model_logistic_by_hand);
    tcase_add_test(tc, test_core_model_bad_spec);
    tcase_add_test(tc, test_core_model_linear_recovers_line);
    tcase_add_test(tc, test_core_optim_sgd_momentum);
    tcase_add_test(tc, test_core_optim_adam_first_steps);
    tcase_add_test(tc, test_core_optim_schedules);
    tcase_add_test(tc, test_core_predict_batch_independent);
    tcase_add_test(tc, test_core_metrics_auc_ties);
    tcase_add_test(tc, test_core_metrics_not_finite);
    tcase_add_test(tc, test_core_metrics_binary);
    tcase_add_test(tc, test_core_metrics_multiclass_and_regression);
    tcase_add_test(tc, test_core_model_hand_written_files);
    tcase_add_test(tc, test_core_model_save_load_bit_identical);
    tcase_add_test(tc, test_core_model_load_damaged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_model_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
