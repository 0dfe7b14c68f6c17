/* test_web_train.c - training jobs from a JSON spec: artifact, metrics, progress, cancel. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "mg_model.h"
#include "jobs.h"
#include "testutil.h"
#include "report.h"
#include "train.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *data_path;
static char data_sha[MG_SHA256_HEX];

static void make_data(void)
{
    mg_credit_options o = MG_CREDIT_OPTIONS_INIT;
    FILE *f;

    if (data_path)
        return;
    data_path = tu_path("credit.csv");
    o.rows = 3000;
    ck_assert_ptr_nonnull(f = fopen(data_path, "w"));
    ck_assert_int_eq(mg_credit_write(f, data_path, &o), MG_OK);
    fclose(f);
    ck_assert_int_eq(mg_sha256_file(data_sha, data_path), MG_OK);
}

static json_t *spec(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_msg(web_json_check(j, web_train_fields) == MG_OK, "%s", mg_error_last());
    ck_assert_msg(web_train_check(j) == MG_OK, "%s", mg_error_last());
    return j;
}

START_TEST(test_web_train_logistic_artifact)
{
    json_t *s = spec("{\"dataset\":\"1\",\"label\":\"approved\",\"positive\":\"yes\","
                     "\"model\":\"logistic\",\"epochs\":3,\"seed\":7}"),
           *sum;
    char *out = tu_path("m.mgm");
    mg_model *m;
    double acc;

    make_data();
    ck_assert_msg(web_train_run(&sum, s, data_path, data_sha, out, NULL, NULL) == MG_OK, "%s",
                  mg_error_last());
    /* 3000 rows, test_fraction 0.2 by default: 600 held out */
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "test_rows")), 600);
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "train_rows")), 2400);
    acc = json_number_value(json_object_get(json_object_get(sum, "metrics"), "accuracy"));
    ck_assert_msg(acc > 0.6 && acc <= 1.0, "accuracy %g", acc); /* the label is learnable */
    ck_assert_int_eq(mg_model_load(&m, out), MG_OK);
    ck_assert_str_eq(mg_model_data_sha256(m), data_sha);
    ck_assert_str_eq(mg_model_label(m), "approved");
    mg_model_free(m);
    json_decref(sum);
    json_decref(s);
    free(out);
}
END_TEST

START_TEST(test_web_train_bad_specs_name_fields)
{
    json_t *sum, *s = spec("{\"dataset\":\"1\",\"label\":\"nope\",\"model\":\"logistic\"}");
    char *out = tu_path("bad.mgm");

    make_data();
    ck_assert_int_eq(web_train_run(&sum, s, data_path, data_sha, out, NULL, NULL), MG_ENOTFOUND);
    ck_assert_str_eq(mg_error_last(), "field 'label': no column 'nope' in the data set");
    json_decref(s);
    s = json_loads("{\"dataset\":\"1\",\"label\":\"approved\",\"model\":\"logistic\","
                   "\"epochs\":0}", 0, NULL);
    ck_assert_int_eq(web_train_check(s), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "field 'epochs': expected 1..100000");
    json_decref(s);
    s = json_loads("{\"dataset\":\"1\",\"label\":\"approved\",\"model\":\"forest\"}", 0, NULL);
    ck_assert_int_eq(web_json_check(s, web_train_fields), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(),
                     "field 'model': 'forest' is not one of linear, logistic, softmax, mlp");
    json_decref(s);
    s = json_loads("{\"dataset\":\"1\",\"label\":\"approved\",\"model\":\"mlp\","
                   "\"dp\":{\"max_grad_norm\":1,\"delta\":1e-5}}", 0, NULL);
    ck_assert_int_eq(web_train_check(s), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "noise_multiplier and target_epsilon"));
    json_decref(s);
    free(out);
}
END_TEST

typedef struct train_arg {
    json_t *spec;
    char *out;
} train_arg;

static int train_job(web_job *job, void *ud, json_t **result, char **link)
{
    train_arg *a = ud;
    (void)link;
    return web_train_run(result, a->spec, data_path, data_sha, a->out, job, NULL);
}

/* A job's progress follows the Estimator's steps; DELETE stops it between steps. */
START_TEST(test_web_train_job_progress_and_cancel)
{
    web_jobs *p;
    train_arg a;
    int64_t id;
    json_t *j = NULL;
    double progress = 0;
    const char *state = "";

    make_data();
    a.spec = spec("{\"dataset\":\"1\",\"label\":\"approved\",\"positive\":\"yes\","
                  "\"model\":\"mlp\",\"hidden\":[64,64],\"epochs\":400,\"batch\":16}");
    a.out = tu_path("slow.mgm");
    ck_assert_int_eq(web_jobs_create(&p, 1, 4, 1, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&id, p, "train", "t", NULL, train_job, &a, NULL), MG_OK);
    for (int i = 0; i < 2000 && progress <= 0.0; i++) {
        usleep(5000);
        json_decref(j);
        ck_assert_int_eq(web_jobs_get(&j, p, id), MG_OK);
        progress = json_real_value(json_object_get(j, "progress"));
    }
    ck_assert_msg(progress > 0.0 && progress < 0.95, "progress %g", progress);
    ck_assert_int_eq(web_jobs_cancel(p, id), MG_OK);
    for (int i = 0; i < 2000; i++) {
        json_decref(j);
        ck_assert_int_eq(web_jobs_get(&j, p, id), MG_OK);
        state = json_string_value(json_object_get(j, "state"));
        if (strcmp(state, "running") != 0)
            break;
        usleep(5000);
    }
    ck_assert_str_eq(state, "cancelled");
    ck_assert_int_ne(access(a.out, F_OK), 0); /* nothing half-written */
    json_decref(j);
    web_jobs_free(p, "test over");
    json_decref(a.spec);
    free(a.out);
}
END_TEST

/* DP-SGD: sigma calibrated for epsilon 3, recorded in the artifact and the summary. */
START_TEST(test_web_train_dp_target_epsilon)
{
    json_t *s = spec("{\"dataset\":\"1\",\"label\":\"approved\",\"positive\":\"yes\","
                     "\"model\":\"logistic\",\"epochs\":2,\"batch\":120,"
                     "\"dp\":{\"max_grad_norm\":1.0,\"target_epsilon\":3.0,\"delta\":1e-5}}"),
           *sum, *dp;
    char *out = tu_path("dp.mgm");
    mg_model *m;

    make_data();
    ck_assert_msg(web_train_run(&sum, s, data_path, data_sha, out, NULL, NULL) == MG_OK, "%s",
                  mg_error_last());
    dp = json_object_get(sum, "dp");
    ck_assert_ptr_nonnull(dp);
    /* q = 120 / 2400 = 0.05; 2 epochs of floor(1/q) = 20 steps */
    ck_assert_double_eq_tol(json_number_value(json_object_get(dp, "sample_rate")), 0.05, 1e-12);
    ck_assert_int_eq(json_integer_value(json_object_get(dp, "steps")), 40);
    ck_assert_double_le(json_number_value(json_object_get(dp, "epsilon")), 3.0 + 1e-9);
    ck_assert_int_eq(mg_model_load(&m, out), MG_OK);
    ck_assert_ptr_nonnull(json_object_get(mg_model_training_const(m), "dp"));
    mg_model_free(m);
    json_decref(sum);
    json_decref(s);
    free(out);
}
END_TEST

/* Reports on a trained version: post-training bias (DI present) and Kernel SHAP. */
START_TEST(test_web_train_reports)
{
    json_t *s = spec("{\"dataset\":\"1\",\"label\":\"approved\",\"positive\":\"yes\","
                     "\"model\":\"logistic\",\"epochs\":2}"),
           *sum, *r, *bias, *ex, *rows;
    char *out = tu_path("r.mgm");
    mg_model *m;
    size_t i;
    json_t *row;

    make_data();
    ck_assert_int_eq(web_train_run(&sum, s, data_path, data_sha, out, NULL, NULL), MG_OK);
    ck_assert_int_eq(mg_model_load(&m, out), MG_OK);
    bias = json_loads("{\"kind\":\"bias\",\"dataset\":\"1\",\"label\":\"approved\","
                      "\"positive\":\"yes\",\"facet\":\"gender=Female\"}", 0, NULL);
    ck_assert_int_eq(web_json_check(bias, web_report_fields), MG_OK);
    ck_assert_int_eq(web_report_check(bias), MG_OK);
    ck_assert_msg(web_report_run(&r, bias, m, out, data_path, NULL) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(r, "metrics"), "DI"),
                                          "value"));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r, "metrics"), "CI"));
    json_decref(r);
    ex = json_loads("{\"kind\":\"explain\",\"dataset\":\"1\",\"method\":\"kernel-shap\","
                    "\"rows\":\"0-2\",\"background\":20}", 0, NULL);
    ck_assert_int_eq(web_report_check(ex), MG_OK);
    ck_assert_msg(web_report_run(&r, ex, m, out, data_path, NULL) == MG_OK, "%s",
                  mg_error_last());
    rows = json_object_get(r, "rows");
    ck_assert_uint_eq(json_array_size(rows), 3);
    /* Shapley efficiency: base_value + sum of phi = prediction, on every row */
    json_array_foreach(rows, i, row)
    {
        double total = json_number_value(json_object_get(r, "base_value"));
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(row, "phi"), k, v) total += json_number_value(v);
        ck_assert_double_eq_tol(total, json_number_value(json_object_get(row, "prediction")),
                                1e-6);
    }
    json_decref(r);
    /* a field of the other kind is refused by name */
    json_object_set_new(ex, "facet", json_string("gender=Female"));
    ck_assert_int_eq(web_report_check(ex), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "field 'facet' is for bias reports");
    json_decref(ex);
    json_decref(bias);
    json_decref(sum);
    json_decref(s);
    mg_model_free(m);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_train");
    TCase *tc = tcase_create("train");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_web_train_logistic_artifact);
    tcase_add_test(tc, test_web_train_bad_specs_name_fields);
    tcase_add_test(tc, test_web_train_job_progress_and_cancel);
    tcase_add_test(tc, test_web_train_reports);
    tcase_add_test(tc, test_web_train_dp_target_epsilon);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
