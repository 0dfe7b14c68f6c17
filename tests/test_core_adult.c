/* test_core_adult.c - logistic regression and an MLP on UCI Adult reach the bar. */
#include "mg_core.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct adult {
    mg_dataset *train, *test;
    mg_pipeline *pipe;
    double *Xtr, *ytr, *Xte, *yte;
    size_t ntr, nte;
    char **classes;
    size_t nclasses;
} adult;

/* Read both files, fit the pipeline on the training file, make a model of `type`. */
static mg_model *load_adult(adult *a, const char *train, const char *test, mg_model_type type,
                            const size_t *hidden, size_t nhidden)
{
    const char *features[16];
    size_t nf = 0;
    long label;
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_pipeline *copy;
    mg_model *m;

    memset(a, 0, sizeof *a);
    ck_assert_int_eq(mg_dataset_open(&a->train, train, NULL), MG_OK);
    ck_assert_int_eq(mg_dataset_open(&a->test, test, NULL), MG_OK);
    label = mg_dataset_col_find(a->train, "income");
    ck_assert_int_ge(label, 0);
    for (size_t c = 0; c < mg_dataset_cols(a->train); c++)
        if ((long)c != label)
            features[nf++] = mg_dataset_col_name(a->train, c);
    ck_assert_int_eq(mg_label_classes(&a->classes, &a->nclasses, a->train, (size_t)label, NULL, 0,
                                      ">50K"),
                     MG_OK);
    ck_assert_int_eq(mg_pipeline_fit(&a->pipe, a->train, NULL, 0, features, nf), MG_OK);
    /* The model owns its own pipeline: fit a second one (same data, same result). */
    ck_assert_int_eq(mg_pipeline_fit(&copy, a->train, NULL, 0, features, nf), MG_OK);
    sp.type = type;
    sp.label = "income";
    sp.classes = 2;
    sp.class_names = (const char *const *)a->classes;
    sp.hidden = hidden;
    sp.nhidden = nhidden;
    ck_assert_int_eq(mg_model_create(&m, &sp, copy), MG_OK);
    ck_assert_int_eq(mg_model_encode(&a->Xtr, &a->ytr, NULL, m, a->train, label, NULL, 0), MG_OK);
    ck_assert_int_eq(mg_model_encode(&a->Xte, &a->yte, NULL, m, a->test,
                                     mg_dataset_col_find(a->test, "income"), NULL, 0),
                     MG_OK);
    a->ntr = mg_dataset_rows(a->train);
    a->nte = mg_dataset_rows(a->test);
    return m;
}

static void free_adult(adult *a)
{
    free(a->Xtr);
    free(a->ytr);
    free(a->Xte);
    free(a->yte);
    mg_pipeline_free(a->pipe);
    mg_label_classes_free(a->classes, a->nclasses);
    mg_dataset_close(a->train);
    mg_dataset_close(a->test);
}

static mg_estimator *train(adult *a, mg_model *m, size_t batch, size_t epochs)
{
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_input tr = {a->Xtr, a->ytr, a->ntr};
    mg_estimator *e;

    to.batch_size = batch;
    to.epochs = epochs;
    to.optim.schedule = MG_SCHEDULE_COSINE;
    to.optim.total_steps = epochs * ((a->ntr + batch - 1) / batch);
    ck_assert_int_eq(mg_estimator_create(&e, m, &rc, &to), MG_OK);
    ck_assert_int_eq(mg_estimator_train(e, &tr, NULL, NULL, 0, 0), MG_OK);
    return e;
}

/* Issue 4: test accuracy >= 0.850 and AUC >= 0.90 on adult_test.csv. */
START_TEST(test_core_adult_logistic)
{
    TU_REQUIRE_SHARED(tr, "data/adult/adult_train.csv");
    char train_path[1024];
    snprintf(train_path, sizeof train_path, "%s", tr);
    TU_REQUIRE_SHARED(te, "data/adult/adult_test.csv");
    adult a;
    mg_model *m = load_adult(&a, train_path, te, MG_MODEL_LOGISTIC, NULL, 0);
    mg_estimator *e = train(&a, m, 128, 5);
    mg_input test = {a.Xte, a.yte, a.nte};
    mg_metrics met;

    ck_assert_int_eq(mg_estimator_evaluate(&met, e, &test), MG_OK);
    fprintf(stderr, "adult logistic: accuracy %.4f auc %.4f\n", met.accuracy, met.auc);
    ck_assert_double_ge(met.accuracy, 0.850);
    ck_assert_double_ge(met.auc, 0.90);
    mg_metrics_free(&met);
    mg_estimator_free(e);
    free_adult(&a);
}
END_TEST

/* Issue 4: an MLP >= 0.850; its saved artifact predicts the same bits from raw rows. */
START_TEST(test_core_adult_mlp_save_load)
{
    TU_REQUIRE_SHARED(tr, "data/adult/adult_train.csv");
    char train_path[1024];
    snprintf(train_path, sizeof train_path, "%s", tr);
    TU_REQUIRE_SHARED(te, "data/adult/adult_test.csv");
    const size_t hidden[] = {32, 16};
    adult a;
    mg_model *m = load_adult(&a, train_path, te, MG_MODEL_MLP, hidden, 2), *back;
    mg_estimator *e = train(&a, m, 64, 4);
    mg_input test = {a.Xte, a.yte, a.nte};
    size_t ni = mg_pipeline_inputs(a.pipe);
    double *raw = malloc(a.nte * ni * sizeof *raw), *p1 = malloc(a.nte * sizeof *p1);
    double *p2 = malloc(a.nte * sizeof *p2);
    char *path = tu_path("adult_mlp.mgm");
    mg_metrics met;

    ck_assert_int_eq(mg_estimator_evaluate(&met, e, &test), MG_OK);
    fprintf(stderr, "adult mlp: accuracy %.4f auc %.4f\n", met.accuracy, met.auc);
    ck_assert_double_ge(met.accuracy, 0.850);
    ck_assert_int_eq(mg_estimator_export(e, path), MG_OK);
    ck_assert_int_eq(mg_model_load(&back, path), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, NULL, a.pipe, a.test, NULL, a.nte), MG_OK);
    ck_assert_int_eq(mg_model_predict_raw(mg_estimator_model(e), raw, a.nte, p1), MG_OK);
    ck_assert_int_eq(mg_model_predict_raw(back, raw, a.nte, p2), MG_OK);
    ck_assert(memcmp(p1, p2, a.nte * sizeof *p1) == 0);
    mg_metrics_free(&met);
    mg_model_free(back);
    mg_estimator_free(e);
    free(raw);
    free(p1);
    free(p2);
    free(path);
    free_adult(&a);
}
END_TEST

Suite *core_adult_suite(void);

Suite *core_adult_suite(void)
{
    Suite *s = suite_create("core_adult");
    TCase *tc = tcase_create("adult");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_core_adult_logistic);
    tcase_add_test(tc, test_core_adult_mlp_save_load);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_adult_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
