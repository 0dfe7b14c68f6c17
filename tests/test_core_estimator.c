/* test_core_estimator.c - the Estimator: determinism, hooks, checkpoints, pluggable sampling. */
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_model.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 400
#define WIDTH 5

static double X[N * WIDTH], Y[N];

/* Two classes separated by a noisy hyperplane. */
static void make_data(void)
{
    mg_rng r;
    const double w[WIDTH] = {1.5, -2, 0.5, 0, 1};

    mg_rng_seed(&r, 5);
    for (size_t i = 0; i < N; i++) {
        double z = 0.2;
        for (size_t j = 0; j < WIDTH; j++) {
            X[i * WIDTH + j] = mg_rng_normal(&r);
            z += w[j] * X[i * WIDTH + j];
        }
        Y[i] = z + 0.5 * mg_rng_normal(&r) > 0;
    }
}

static mg_estimator *make_estimator(mg_model_type type, uint64_t seed, const char *dir,
                                    size_t every)
{
    static const size_t hidden[] = {8, 4};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_estimator *e;
    mg_model *m;

    sp.type = type;
    sp.inputs = WIDTH;
    sp.classes = 2;
    if (type == MG_MODEL_MLP) {
        sp.hidden = hidden;
        sp.nhidden = 2;
    }
    static const char *const names[WIDTH] = {"x1", "x2", "x3", "x4", "x5"};
    mg_pipeline *p;
    ck_assert_int_eq(mg_pipeline_identity(&p, names, WIDTH), MG_OK);
    ck_assert_int_eq(mg_model_create(&m, &sp, p), MG_OK);
    to.batch_size = 32;
    to.epochs = 6;
    rc.seed = seed;
    rc.model_dir = dir;
    rc.checkpoint_every = every;
    rc.keep_checkpoints = 2;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    return e;
}

static const mg_input train_in = {X, Y, 300}, eval_in = {X + 300 * WIDTH, Y + 300, 100};

static int same_params(const mg_estimator *a, const mg_estimator *b)
{
    const mg_model *x = mg_estimator_model(a), *y = mg_estimator_model(b);
    return mg_model_params(x) == mg_model_params(y) &&
           memcmp(mg_model_param_data(x), mg_model_param_data(y),
                  mg_model_params(x) * sizeof(double)) == 0;
}

START_TEST(test_core_estimator_deterministic)
{
    mg_estimator *a = make_estimator(MG_MODEL_MLP, 3, NULL, 0);
    mg_estimator *b = make_estimator(MG_MODEL_MLP, 3, NULL, 0);
    mg_estimator *c = make_estimator(MG_MODEL_MLP, 4, NULL, 0);
    mg_metrics m;
    size_t n;

    make_data();
    ck_assert_int_eq(mg_estimator_train(a, &train_in, &eval_in, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(mg_estimator_train(b, &train_in, &eval_in, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(mg_estimator_train(c, &train_in, &eval_in, NULL, 0, 0), MG_OK);
    ck_assert(same_params(a, b));
    ck_assert(!same_params(a, c));
    /* 6 epochs of ceil(300 / 32) = 10 steps; a curve point per epoch. */
    ck_assert_uint_eq(mg_estimator_global_step(a), 60);
    ck_assert_ptr_nonnull(mg_estimator_eval_loss(a, &n));
    ck_assert_uint_eq(n, 6);
    ck_assert(mg_estimator_train_loss(a, &n)[5] < mg_estimator_train_loss(a, &n)[0]);
    ck_assert_int_eq(mg_estimator_evaluate(&m, a, &eval_in), MG_OK);
    /* The noise (sd 0.5 against |w| = 2.8) leaves the separable part learnable. */
    ck_assert_double_ge(m.accuracy, 0.8);
    mg_metrics_free(&m);
    mg_estimator_free(a);
    mg_estimator_free(b);
    mg_estimator_free(c);
}
END_TEST

/* A batch size near SIZE_MAX means "the whole set": one step per epoch, not a wrapped
 * ceil(n / B) of 0 steps; absurd epochs saturate the step total instead of wrapping. */
START_TEST(test_core_estimator_huge_batch)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    static const char *const names[WIDTH] = {"x1", "x2", "x3", "x4", "x5"};
    mg_estimator *e;
    mg_pipeline *p;
    mg_model *m;

    make_data();
    sp.type = MG_MODEL_LOGISTIC;
    sp.inputs = WIDTH;
    sp.classes = 2;
    ck_assert_int_eq(mg_pipeline_identity(&p, names, WIDTH), MG_OK);
    ck_assert_int_eq(mg_model_create(&m, &sp, p), MG_OK);
    to.batch_size = SIZE_MAX;
    to.epochs = 3;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, NULL, NULL, 0, 0), MG_OK);
    ck_assert_uint_eq(mg_estimator_global_step(e), 3);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, NULL, NULL, 0, 5), MG_OK);
    ck_assert_uint_eq(mg_estimator_global_step(e), 5);
    mg_estimator_free(e);
}
END_TEST

static void cancel_at_7(void *ud, double fraction, int *cancel)
{
    size_t *calls = ud;
    ck_assert(fraction >= 0 && fraction <= 1);
    if (++*calls == 7)
        *cancel = 1;
}

START_TEST(test_core_estimator_progress_cancel)
{
    mg_estimator *e = make_estimator(MG_MODEL_LOGISTIC, 1, NULL, 0);
    mg_hook h;
    size_t calls = 0;

    make_data();
    ck_assert_int_eq(mg_hook_progress(&h, cancel_at_7, &calls), MG_OK);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, NULL, &h, 1, 0), MG_ECANCELED);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "step 7"));
    ck_assert_uint_eq(mg_estimator_global_step(e), 7);
    mg_hook_free(&h);
    mg_estimator_free(e);
}
END_TEST

/* Labels that cannot be learned (eval labels flipped): eval accuracy stops improving. */
START_TEST(test_core_estimator_early_stopping)
{
    mg_estimator *e = make_estimator(MG_MODEL_LOGISTIC, 1, NULL, 0);
    double flipped[100];
    mg_input ev = {X + 300 * WIDTH, flipped, 100};
    mg_hook h;

    make_data();
    for (int i = 0; i < 100; i++)
        flipped[i] = 1 - Y[300 + i];
    ck_assert_int_eq(mg_hook_early_stopping(&h, "loss", 2), MG_OK);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, &ev, &h, 1, 1000), MG_OK);
    /* Learning the training labels only raises the flipped eval loss: best after epoch 1,
     * two epochs without improvement, stop after epoch 3 (30 steps) instead of 1000. */
    ck_assert_uint_eq(mg_estimator_epoch(e), 3);
    ck_assert_uint_eq(mg_estimator_global_step(e), 30);
    mg_hook_free(&h);
    ck_assert_int_eq(mg_hook_early_stopping(&h, "nope", 0), MG_EINVAL);
    mg_estimator_free(e);
}
END_TEST

/* The same unlearnable eval set, judged every 5 steps: the flipped loss is best at the first
 * evaluation (step 5) and only grows, so 10 steps later (step 15) the hook stops. */
START_TEST(test_core_estimator_early_stopping_steps)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    double flipped[100];
    mg_input ev = {X + 300 * WIDTH, flipped, 100};
    mg_estimator *e;
    mg_model *m;
    mg_hook h;
    size_t n;

    make_data();
    for (int i = 0; i < 100; i++)
        flipped[i] = 1 - Y[300 + i];
    sp.type = MG_MODEL_LOGISTIC;
    sp.inputs = WIDTH;
    sp.classes = 2;
    ck_assert_int_eq(mg_model_create(&m, &sp, NULL), MG_OK);
    to.batch_size = 32;
    rc.eval_every = 5;
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    ck_assert_int_eq(mg_hook_early_stopping_steps(&h, "loss", 10), MG_OK);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, &ev, &h, 1, 1000), MG_OK);
    ck_assert_uint_eq(mg_estimator_global_step(e), 15);
    /* Only the epoch end (step 10) is on the curve. */
    mg_estimator_eval_loss(e, &n);
    ck_assert_uint_eq(n, 1);
    mg_hook_free(&h);
    mg_estimator_free(e);
}
END_TEST

static size_t count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* 2 epochs, checkpoint, a fresh estimator restores and trains on: the same bits as 6 straight. */
START_TEST(test_core_estimator_checkpoint_resume)
{
    char *dir = tu_path("ckpt"), *path = tu_path("ckpt/ckpt-60.mgm"), *best = tu_path("best.mgm");
    mg_estimator *full = make_estimator(MG_MODEL_MLP, 9, NULL, 0);
    mg_estimator *part = make_estimator(MG_MODEL_MLP, 9, dir, 7);
    mg_estimator *resumed = make_estimator(MG_MODEL_MLP, 123, dir, 7);
    mg_hook h;
    mg_model *loaded;
    size_t n1, n2;

    make_data();
    ck_assert_int_eq(mg_estimator_train(full, &train_in, &eval_in, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(mg_estimator_train(part, &train_in, &eval_in, NULL, 0, 20), MG_OK);
    /* Checkpoints at steps 7, 14 and the end (20); the newest 2 are kept. */
    ck_assert_uint_eq(count_files(dir, "ckpt-"), 2);
    ck_assert_int_eq(mg_estimator_restore_latest(resumed), 1);
    ck_assert_uint_eq(mg_estimator_global_step(resumed), 20);
    ck_assert(same_params(part, resumed));
    ck_assert_int_eq(mg_hook_best_exporter(&h, best, "auc"), MG_OK);
    ck_assert_int_eq(mg_estimator_train(resumed, &train_in, &eval_in, &h, 1, 0), MG_OK);
    ck_assert(same_params(full, resumed));
    const double *c1 = mg_estimator_eval_loss(full, &n1), *c2 = mg_estimator_eval_loss(resumed, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(c1, c2, n1 * sizeof *c1) == 0);
    /* The best exporter wrote a loadable model. */
    ck_assert_int_eq(mg_model_load(&loaded, best), MG_OK);
    mg_model_free(loaded);
    /* A checkpoint is a model file: mg_model_load reads it too. */
    ck_assert_int_eq(mg_model_load(&loaded, path), MG_OK);
    mg_model_free(loaded);
    mg_hook_free(&h);
    mg_estimator_free(full);
    mg_estimator_free(part);
    mg_estimator_free(resumed);
    free(dir);
    free(path);
    free(best);
}
END_TEST

/* ---- pluggable sampling and aggregation ---- */

typedef struct every_other {
    size_t rows[150], next_start;
} every_other;

/* Batches of the even rows then of the odd rows, 75 each; 2 steps per epoch. */
static int eo_next(void *ud, const size_t **rows, size_t *count)
{
    every_other *s = ud;
    for (size_t i = 0; i < 150; i++)
        s->rows[i] = 2 * i + s->next_start;
    s->next_start ^= 1;
    *rows = s->rows;
    *count = 150;
    return MG_OK;
}

typedef struct mean_agg {
    size_t calls, last_count;
} mean_agg;

static int mean_of_rows(void *ud, double *grad, double *G, size_t count, size_t P, size_t step)
{
    mean_agg *a = ud;
    ck_assert_uint_eq(step, a->calls);
    a->calls++;
    a->last_count = count;
    memset(grad, 0, P * sizeof *grad);
    for (size_t b = 0; b < count; b++)
        for (size_t i = 0; i < P; i++)
            grad[i] += G[b * P + i] / (double)count;
    return MG_OK;
}

START_TEST(test_core_estimator_custom_sampler_aggregator)
{
    mg_estimator *a = make_estimator(MG_MODEL_MLP, 2, NULL, 0);
    mg_estimator *b = make_estimator(MG_MODEL_MLP, 2, NULL, 0);
    every_other s1 = {{0}, 0}, s2 = {{0}, 0};
    mg_batch_sampler bs = {&s1, NULL, eo_next, 2};
    mean_agg agg = {0, 0};
    mg_grad_aggregator ga = {&agg, mean_of_rows};
    const double *pa, *pb;

    make_data();
    mg_estimator_set_batch_sampler(a, &bs);
    mg_estimator_set_grad_aggregator(a, &ga);
    bs.ud = &s2;
    mg_estimator_set_batch_sampler(b, &bs);
    ck_assert_int_eq(mg_estimator_train(a, &train_in, NULL, NULL, 0, 0), MG_OK);
    ck_assert_int_eq(mg_estimator_train(b, &train_in, NULL, NULL, 0, 0), MG_OK);
    ck_assert_uint_eq(agg.calls, 12); /* 6 epochs x 2 steps */
    ck_assert_uint_eq(agg.last_count, 150);
    /* Mean of per-example rows = the fast path's mean, up to summation order. */
    pa = mg_model_param_data(mg_estimator_model(a));
    pb = mg_model_param_data(mg_estimator_model(b));
    for (size_t i = 0; i < mg_model_params(mg_estimator_model(a)); i++)
        ck_assert_double_eq_tol(pa[i], pb[i], 1e-9);
    mg_estimator_free(a);
    mg_estimator_free(b);
}
END_TEST


/* A sampler whose batches vary in size and are sometimes empty, as Poisson sampling's are. */
typedef struct varying {
    size_t rows[300], calls;
} varying;

static int varying_next(void *ud, const size_t **rows, size_t *count)
{
    varying *s = ud;
    size_t k = s->calls++ % 4;
    *count = k == 0 ? 0 : k * 40; /* 0, 40, 80, 120, 0, ... */
    for (size_t i = 0; i < *count; i++)
        s->rows[i] = (7 * i + s->calls) % 300;
    *rows = s->rows;
    return MG_OK;
}

typedef struct noise_agg {
    size_t empty;
} noise_agg;

/* Sum of the rows divided by the expected batch size (60), like DP-SGD's. */
static int expected_mean(void *ud, double *grad, double *G, size_t count, size_t P, size_t step)
{
    noise_agg *a = ud;
    (void)step;
    memset(grad, 0, P * sizeof *grad);
    if (count == 0) {
        ck_assert_ptr_null(G);
        a->empty++;
        return MG_OK;
    }
    for (size_t b = 0; b < count; b++)
        for (size_t i = 0; i < P; i++)
            grad[i] += G[b * P + i] / 60.0;
    return MG_OK;
}

START_TEST(test_core_estimator_variable_batches)
{
    mg_estimator *e = make_estimator(MG_MODEL_LOGISTIC, 2, NULL, 0);
    varying s;
    noise_agg agg = {0};
    mg_batch_sampler bs = {&s, NULL, varying_next, 5};
    mg_grad_aggregator ga = {&agg, expected_mean};
    size_t n;

    memset(&s, 0, sizeof s);
    make_data();
    mg_estimator_set_batch_sampler(e, &bs);
    mg_estimator_set_grad_aggregator(e, &ga);
    ck_assert_int_eq(mg_estimator_train(e, &train_in, &eval_in, NULL, 0, 40), MG_OK);
    ck_assert_uint_eq(agg.empty, 10); /* every fourth of 40 steps */
    ck_assert_uint_eq(mg_estimator_epoch(e), 8); /* 5 steps per epoch */
    ck_assert(isfinite(mg_estimator_train_loss(e, &n)[7]));
    mg_estimator_free(e);
}
END_TEST

Suite *core_estimator_suite(void);

Suite *core_estimator_suite(void)
{
    Suite *s = suite_create("core_estimator");
    TCase *tc = tcase_create("estimator");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_core_estimator_deterministic);
    tcase_add_test(tc, test_core_estimator_huge_batch);
    tcase_add_test(tc, test_core_estimator_progress_cancel);
    tcase_add_test(tc, test_core_estimator_early_stopping);
    tcase_add_test(tc, test_core_estimator_early_stopping_steps);
    tcase_add_test(tc, test_core_estimator_checkpoint_resume);
    tcase_add_test(tc, test_core_estimator_custom_sampler_aggregator);
    tcase_add_test(tc, test_core_estimator_variable_batches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_estimator_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
