/* test_governance_train.c - mg_train_run: a hand-made data set trains; DP record; bad specs. */
#include "mg_core.h"
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * 40 rows: x = -19.5 .. 19.5 in steps of 1, a noise column z, label "yes"
 * exactly when x > 0 — separable by the sign of x, so a trained logistic
 * model classifies every held-out row right.
 */
static mg_dataset *make_data(void)
{
    char csv[4096];
    size_t len = (size_t)snprintf(csv, sizeof csv, "x,z,label\n");
    mg_dataset *ds = NULL;

    for (int i = 0; i < 40; i++) {
        double x = -19.5 + i;
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%.1f,%d,%s\n", x, i % 3,
                                x > 0 ? "yes" : "no");
    }
    ck_assert_msg(mg_dataset_open_buffer(&ds, "hand.csv", csv, len, NULL) == MG_OK, "%s",
                  mg_error_last());
    return ds;
}

static int calls;
static void count_progress(void *ud, double fraction, int *cancel)
{
    (void)ud;
    (void)cancel;
    ck_assert(fraction >= 0 && fraction <= 1);
    calls++;
}

START_TEST(test_train_logistic_metrics)
{
    mg_dataset *ds = make_data();
    mg_train_spec s = MG_TRAIN_SPEC_INIT;
    mg_train_result *r = NULL;
    const char *const ignore[] = {"z"};

    s.label = "label";
    s.positive = "yes";
    s.epochs = 200;
    s.batch = 8;
    s.lr = 0.1;
    s.test_fraction = 0.25;
    s.ignore = ignore;
    s.nignore = 1;
    ck_assert_msg(mg_train_run(&r, ds, &s, count_progress, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_int_gt(calls, 0);
    /* Every row has a label: 40 rows split into training and test rows. */
    ck_assert_uint_eq(r->dropped, 0);
    ck_assert_uint_eq(r->ntrain + r->ntest, 40);
    ck_assert_uint_gt(r->ntest, 0);
    ck_assert(r->have_metrics);
    ck_assert_double_eq(r->metrics.accuracy, 1.0); /* separable, see make_data */
    ck_assert_double_eq(json_real_value(json_object_get(r->metrics_json, "accuracy")), 1.0);
    /* One loss per epoch, and the model carries the data's sha256 and the metrics. */
    ck_assert_uint_eq(json_array_size(json_object_get(r->loss_curves, "train")), 200);
    ck_assert_ptr_nonnull(json_object_get(mg_model_metrics(mg_estimator_model_mut(r->est)),
                                          "accuracy"));
    ck_assert_int_eq(r->have_dp, 0);
    /* The model sees x only: one encoded input besides the ignored z. */
    ck_assert_uint_eq(mg_model_inputs(mg_estimator_model(r->est)), 1);
    mg_train_result_free(r);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_train_dp_record)
{
    mg_dataset *ds = make_data();
    mg_train_spec s = MG_TRAIN_SPEC_INIT;
    mg_train_result *r = NULL;
    const json_t *rec;

    s.label = "label";
    s.epochs = 2;
    s.batch = 10;
    s.test_fraction = 0.0; /* all 40 rows train */
    s.dp.on = 1;
    s.dp.max_grad_norm = 1.0;
    s.dp.noise_multiplier = 1.1;
    s.dp.delta = 1e-5;
    s.dp.insecure = 1;
    s.dp.insecure_seed = 7;
    ck_assert_msg(mg_train_run(&r, ds, &s, NULL, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_eq(r->ntrain, 40);
    ck_assert_uint_eq(r->ntest, 0);
    ck_assert(!r->have_metrics);
    ck_assert(r->have_dp);
    /* q = batch / rows = 10 / 40 = 0.25; steps = epochs * (1 / q) = 2 * 4 = 8. */
    ck_assert_double_eq_tol(r->dp.sample_rate, 0.25, 1e-15);
    ck_assert_double_eq(r->dp.noise_multiplier, 1.1);
    ck_assert_double_eq(r->dp.max_grad_norm, 1.0);
    ck_assert_double_eq(r->dp.delta, 1e-5);
    ck_assert_uint_eq(r->dp.steps, 8);
    ck_assert(r->dp.epsilon_rdp > 0 && isfinite(r->dp.epsilon_rdp));
    ck_assert(r->dp.best_order > 1);
    ck_assert(isnan(r->dp.epsilon_prv)); /* with_prv not asked */
    ck_assert_int_eq(r->dp.insecure, 1);
    rec = json_object_get(mg_model_training(mg_estimator_model_mut(r->est)), "dp");
    ck_assert_ptr_nonnull(rec);
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "steps")), 8);
    mg_train_result_free(r);
    mg_dataset_close(ds);
}
END_TEST

/* A bad spec fails with MG_EINVAL / MG_ENOTFOUND and a message naming the field or flag. */
static void expect_error(const mg_train_spec *s, int code, const char *msg)
{
    mg_dataset *ds = make_data();
    mg_train_result *r = (mg_train_result *)1;

    ck_assert_int_eq(mg_train_run(&r, ds, s, NULL, NULL), code);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(mg_error_last(), msg);
    mg_dataset_close(ds);
}

START_TEST(test_train_bad_specs)
{
    mg_train_spec s = MG_TRAIN_SPEC_INIT;
    const size_t bad_hidden[] = {4, 0};
    const char *const ignore[] = {"nope"};

    s.label = "label";
    s.names = MG_TRAIN_FIELDS;
    s.epochs = 0;
    expect_error(&s, MG_EINVAL, "field 'epochs': must be at least 1");
    s.names = MG_TRAIN_FLAGS;
    expect_error(&s, MG_EINVAL, "--epochs must be at least 1");
    s.epochs = 1;
    s.test_fraction = 1.0;
    expect_error(&s, MG_EINVAL, "--test-fraction: expected a share in [0, 1)");
    s.test_fraction = 0.2;
    s.model = MG_MODEL_MLP;
    s.hidden = bad_hidden;
    s.nhidden = 2;
    s.names = MG_TRAIN_FIELDS;
    expect_error(&s, MG_EINVAL, "field 'hidden[1]': must be positive");
    s.model = MG_MODEL_LOGISTIC;
    s.nhidden = 0;
    s.label = "nope";
    expect_error(&s, MG_ENOTFOUND, "field 'label': no column 'nope' in the data set");
    s.names = MG_TRAIN_FLAGS;
    expect_error(&s, MG_ENOTFOUND, "--label: no column 'nope' in hand.csv");
    s.label = "label";
    s.ignore = ignore;
    s.nignore = 1;
    expect_error(&s, MG_ENOTFOUND, "--ignore: no column 'nope' in hand.csv");
    s.nignore = 0;
    s.model = MG_MODEL_LINEAR;
    expect_error(&s, MG_EINVAL,
                 "--label: 'label' holds text in hand.csv; linear regression needs numbers");
    s.model = MG_MODEL_LOGISTIC;
    /* DP with an expected batch of 64 over 32 training rows (40 less 0.2 held out). */
    s.dp.on = 1;
    s.dp.max_grad_norm = 1;
    s.dp.noise_multiplier = 1;
    s.dp.delta = 1e-5;
    expect_error(&s, MG_EINVAL,
                 "--batch 64: DP-SGD's expected batch must not exceed the 32 training rows");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_train");
    TCase *tc = tcase_create("train");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_train_logistic_metrics);
    tcase_add_test(tc, test_train_dp_record);
    tcase_add_test(tc, test_train_bad_specs);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
