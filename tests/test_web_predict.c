/* test_web_predict.c - TF Serving's predict shape on a hand-made logistic model. */
#include "mg_core.h"
#include "mg_model.h"
#include "predict.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <string.h>

/* logistic on identity inputs a, b: z = 1*a - 2*b + 0.5, p = 1 / (1 + e^-z) */
static mg_model *make_model(void)
{
    const char *names[] = {"a", "b"};
    mg_pipeline *p;
    mg_model *m;
    mg_model_spec spec = MG_MODEL_SPEC_INIT;
    double *w;

    ck_assert_int_eq(mg_pipeline_identity(&p, names, 2), MG_OK);
    spec.type = MG_MODEL_LOGISTIC;
    spec.classes = 2;
    spec.label = "y";
    ck_assert_int_eq(mg_model_create(&m, &spec, p), MG_OK);
    ck_assert_uint_eq(mg_model_params(m), 3);
    w = mg_model_param_data_mut(m);
    w[0] = 1.0;
    w[1] = -2.0;
    w[2] = 0.5;
    return m;
}

static json_t *body(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(web_json_check(j, web_predict_fields), MG_OK);
    return j;
}

START_TEST(test_web_predict_logistic_by_hand)
{
    mg_model *m = make_model();
    /* row 1: z = 1 - 0.5 + 0.5 = 1 -> 0.7310585786300049; row 2: z = 0 - 0 + 0.5 = 0.5 ->
     * 0.6224593312018546; numbers may come as strings, as TF Serving clients send them */
    json_t *in = body("{\"instances\":[{\"a\":1,\"b\":0.25},{\"a\":\"0\",\"b\":0}],"
                      "\"signature_name\":\"serving_default\"}"),
           *out;
    ck_assert_int_eq(web_predict(&out, m, in), MG_OK);
    json_t *p = json_object_get(out, "predictions");
    ck_assert_uint_eq(json_array_size(p), 2);
    ck_assert_double_eq_tol(json_real_value(json_array_get(p, 0)), 1.0 / (1.0 + exp(-1.0)), 1e-12);
    ck_assert_double_eq_tol(json_real_value(json_array_get(p, 1)), 1.0 / (1.0 + exp(-0.5)), 1e-12);
    json_decref(out);
    json_decref(in);
    mg_model_free(m);
}
END_TEST

START_TEST(test_web_predict_bad_instances)
{
    mg_model *m = make_model();
    json_t *out, *in;

    in = body("{\"instances\":[{\"a\":1}]}");
    ck_assert_int_eq(web_predict(&out, m, in), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(),
                     "instances[0]: missing column 'b' (send null for a missing value)");
    json_decref(in);
    in = body("{\"instances\":[{\"a\":1,\"b\":2},{\"a\":1,\"b\":2,\"c\":3}]}");
    ck_assert_int_eq(web_predict(&out, m, in), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "instances[1]: the model has no input column 'c'");
    json_decref(in);
    in = body("{\"instances\":[{\"a\":\"ten\",\"b\":2}]}");
    ck_assert_int_eq(web_predict(&out, m, in), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "instances[0]: column 'a'"));
    json_decref(in);
    in = body("{\"instances\":[]}");
    ck_assert_int_eq(web_predict(&out, m, in), MG_EINVAL);
    json_decref(in);
    /* the shape check rejects what is not a list of objects, naming the place */
    in = json_loads("{\"instances\":[1]}", 0, NULL);
    ck_assert_int_eq(web_json_check(in, web_predict_fields), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(), "field 'instances[0]': expected object, got an integer");
    json_decref(in);
    in = json_loads("{\"inputs\":[]}", 0, NULL);
    ck_assert_int_eq(web_json_check(in, web_predict_fields), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(), "unknown field 'inputs'");
    json_decref(in);
    mg_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_predict");
    TCase *tc = tcase_create("predict");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_web_predict_logistic_by_hand);
    tcase_add_test(tc, test_web_predict_bad_instances);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
