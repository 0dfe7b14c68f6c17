/* test_core_pipeline.c - the feature pipeline: fit, raw rows, transform, JSON. */
#include "mg_core.h"
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static mg_dataset *open_text(const char *text, const char *schema)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_dataset *ds = NULL;
    o.schema = schema;
    ck_assert_msg(mg_dataset_open_buffer(&ds, "t.csv", text, strlen(text), &o) == MG_OK, "open: %s",
                  mg_error_last());
    return ds;
}

static const char *const three_cols[] = {"x", "c", "z"};

/* x: 1, 3, missing; c: a, b, a; z: constant 10 */
static const char *const three_rows = "x,c,z\n1,a,10\n3,b,10\n?,a,10\n";

START_TEST(test_pipeline_fit_by_hand)
{
    mg_dataset *ds = open_text(three_rows, NULL);
    mg_pipeline *p;
    double raw[9], X[12];
    /* x: mean of 1 and 3 = 2; imputed to 1, 3, 2 -> deviations -1, 1, 0,
     * std = sqrt(2 / 3), so 1 -> -1 / sqrt(2/3) = -sqrt(1.5), 3 -> +sqrt(1.5).
     * c: levels a, b (first appearance); a is the most frequent.
     * z: std 0 -> 1, so every row encodes as (10 - 10) / 1 = 0. */
    const double s = sqrt(1.5);
    const double want[12] = {-s, 1, 0, 0, s, 0, 1, 0, 0, 1, 0, 0};
    size_t unknown = 99;

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, three_cols, 3), MG_OK);
    ck_assert_uint_eq(mg_pipeline_inputs(p), 3);
    ck_assert_uint_eq(mg_pipeline_width(p), 4);
    ck_assert_str_eq(mg_pipeline_feature_name(p, 0), "x");
    ck_assert_str_eq(mg_pipeline_feature_name(p, 1), "c=a");
    ck_assert_str_eq(mg_pipeline_feature_name(p, 2), "c=b");
    ck_assert_str_eq(mg_pipeline_feature_name(p, 3), "z");
    ck_assert_ptr_null(mg_pipeline_feature_name(p, 4));
    ck_assert_uint_eq(mg_pipeline_input_offset(p, 1), 1);
    ck_assert_uint_eq(mg_pipeline_input_span(p, 1), 2);
    ck_assert_uint_eq(mg_pipeline_input_offset(p, 2), 3);
    ck_assert_uint_eq(mg_pipeline_input_span(p, 0), 1);
    ck_assert_int_eq(mg_pipeline_input_type(p, 1), MG_COL_CATEGORICAL);
    ck_assert_uint_eq(mg_pipeline_input_levels(p, 1), 2);
    ck_assert_uint_eq(mg_pipeline_input_levels(p, 0), 0);
    ck_assert_str_eq(mg_pipeline_input_level(p, 1, 1), "b");
    ck_assert_str_eq(mg_pipeline_input_name(p, 2), "z");

    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, &unknown, p, ds, NULL, 0), MG_OK);
    ck_assert_uint_eq(unknown, 0);
    /* raw rows: numbers as they are, level indices, NaN for missing */
    ck_assert_double_eq(raw[0], 1.0);
    ck_assert_double_eq(raw[1], 0.0);
    ck_assert_double_eq(raw[4], 1.0);
    ck_assert(isnan(raw[6]));
    ck_assert_uint_eq(mg_pipeline_transform(p, raw, 3, X), 0);
    for (int k = 0; k < 12; k++)
        ck_assert_double_eq_tol(X[k], want[k], 1e-15);
    mg_pipeline_free(p);
    mg_pipeline_free(NULL);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_pipeline_fit_on_rows_only)
{
    mg_dataset *ds = open_text(three_rows, NULL);
    mg_pipeline *p;
    size_t rows[] = {1};
    double raw[9], X[3];
    size_t unknown;

    /* fitted on row 1 alone: x mean 3 (std 0 -> 1), c has the one level b */
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, rows, 1, three_cols, 3), MG_OK);
    ck_assert_uint_eq(mg_pipeline_width(p), 3);
    ck_assert_str_eq(mg_pipeline_input_level(p, 1, 0), "b");
    /* row 0 holds c = a, never seen: raw -1, all zeros, counted */
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, &unknown, p, ds, NULL, 0), MG_OK);
    ck_assert_uint_eq(unknown, 2);
    ck_assert_double_eq(raw[1], -1.0);
    ck_assert_uint_eq(mg_pipeline_transform(p, raw, 1, X), 1);
    ck_assert_double_eq(X[0], -2.0); /* (1 - 3) / 1 */
    ck_assert_double_eq(X[1], 0.0);
    ck_assert_double_eq(X[2], 0.0);
    mg_pipeline_free(p);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_pipeline_unknown_and_missing_category)
{
    mg_dataset *train = open_text(three_rows, NULL);
    /* new data: an unseen level, a missing level, and columns in another order */
    mg_dataset *test = open_text("z,c,x,extra\n10,zzz,2,1\n10,?,2,1\n10,b,2,1\n", NULL);
    mg_pipeline *p;
    double raw[9], X[12];
    size_t unknown;

    ck_assert_int_eq(mg_pipeline_fit(&p, train, NULL, 0, three_cols, 3), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, &unknown, p, test, NULL, 0), MG_OK);
    ck_assert_uint_eq(unknown, 1);
    ck_assert_double_eq(raw[0], 2.0); /* x first, as in the pipeline */
    ck_assert_double_eq(raw[1], -1.0);
    ck_assert(isnan(raw[4]));
    ck_assert_double_eq(raw[7], 1.0);
    ck_assert_uint_eq(mg_pipeline_transform(p, raw, 3, X), 1);
    ck_assert_double_eq(X[1] + X[2], 0.0); /* unknown: all zeros */
    ck_assert_double_eq(X[5], 1.0);        /* missing: the most frequent, a */
    ck_assert_double_eq(X[6], 0.0);
    ck_assert_double_eq(X[10], 1.0); /* b */
    mg_pipeline_free(p);
    mg_dataset_close(train);
    mg_dataset_close(test);
}
END_TEST

START_TEST(test_pipeline_numeric_column_to_levels)
{
    /* code is categorical by schema when fitting; another file reads it as
     * numbers: values are matched to levels by value ("2.0" is level "2") */
    mg_dataset *train = open_text("code\n1\n2\n", "code:categorical");
    mg_dataset *other = open_text("code\n2.0\n7\n?\n", NULL);
    const char *cols[] = {"code"};
    mg_pipeline *p;
    double raw[3], v;
    size_t unknown;

    ck_assert_int_eq(mg_pipeline_fit(&p, train, NULL, 0, cols, 1), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, &unknown, p, other, NULL, 0), MG_OK);
    ck_assert_double_eq(raw[0], 1.0);
    ck_assert_double_eq(raw[1], -1.0);
    ck_assert(isnan(raw[2]));
    ck_assert_uint_eq(unknown, 1);
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 0, "1.0"), MG_OK);
    ck_assert_double_eq(v, 0.0);
    mg_pipeline_free(p);
    mg_dataset_close(train);
    mg_dataset_close(other);
}
END_TEST

START_TEST(test_pipeline_raw_parse)
{
    mg_dataset *ds = open_text(three_rows, NULL);
    mg_pipeline *p;
    double v;

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, three_cols, 3), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 0, "2.5"), MG_OK);
    ck_assert_double_eq(v, 2.5);
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 0, "?"), MG_OK);
    ck_assert(isnan(v));
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 0, NULL), MG_OK);
    ck_assert(isnan(v));
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 1, "b"), MG_OK);
    ck_assert_double_eq(v, 1.0);
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 1, "q"), MG_OK);
    ck_assert_double_eq(v, -1.0);
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 0, "abc"), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "column 'x': 'abc' is not a number");
    ck_assert_int_eq(mg_pipeline_raw_parse(&v, p, 3, "1"), MG_EINVAL);
    mg_pipeline_free(p);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_pipeline_errors)
{
    mg_dataset *ds = open_text(three_rows, NULL);
    mg_dataset *text_x = open_text("x,c,z\nbig,a,1\n", NULL);
    mg_dataset *no_z = open_text("x,c\n1,a\n", NULL);
    const char *bad_cols[] = {"x", "nope"};
    const char *twice[] = {"x", "x"};
    size_t out_of_range[] = {3};
    mg_pipeline *p = (mg_pipeline *)1;
    double raw[3];

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, bad_cols, 2), MG_ENOTFOUND);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(mg_error_last(), "column 'nope' not in t.csv");
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, bad_cols, 0), MG_EINVAL);
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, out_of_range, 0, three_cols, 3), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "pipeline: no rows to fit on in t.csv");
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, out_of_range, 1, three_cols, 3), MG_EINVAL);
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, twice, 2), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "pipeline: column 'x' given twice");

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, three_cols, 3), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, NULL, p, no_z, NULL, 0), MG_ENOTFOUND);
    ck_assert_str_eq(mg_error_last(), "column 'z' not in t.csv");
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, NULL, p, text_x, NULL, 0), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(),
                     "column 'x' holds text in t.csv but the model expects numbers");
    mg_pipeline_free(p);
    mg_dataset_close(ds);
    mg_dataset_close(text_x);
    mg_dataset_close(no_z);
}
END_TEST

/* Values near DBL_MAX: the plain sum 1e308 + 1.5e308 + 1.7e308 overflows, the statistics
 * do not. mean = 1.4e308, deviations -.4, .1, .3 (x 1e308), std = sqrt(.26 / 3) x 1e308.
 * A column spanning -1e308..1e308 cannot be centred without overflow: refused by name. */
START_TEST(test_pipeline_huge_values)
{
    mg_dataset *ds = open_text("x,y\n1e308,1\n1.5e308,2\n1.7e308,3\n", NULL);
    mg_dataset *wide = open_text("x,w\n1,-1e308\n2,1e308\n", NULL);
    static const char *const xs[] = {"x"}, *const ws[] = {"x", "w"};
    const double sd = sqrt(0.26 / 3);
    mg_pipeline *p;
    double raw[3], X[3];
    size_t unknown;

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, xs, 1), MG_OK);
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, &unknown, p, ds, NULL, 0), MG_OK);
    ck_assert_uint_eq(mg_pipeline_transform(p, raw, 3, X), 0);
    ck_assert_double_eq_tol(X[0], -0.4 / sd, 1e-12);
    ck_assert_double_eq_tol(X[1], 0.1 / sd, 1e-12);
    ck_assert_double_eq_tol(X[2], 0.3 / sd, 1e-12);
    mg_pipeline_free(p);
    ck_assert_int_eq(mg_pipeline_fit(&p, wide, NULL, 0, ws, 2), MG_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "column 'w' spans -1e+308 to 1e+308"));
    mg_dataset_close(ds);
    mg_dataset_close(wide);
}
END_TEST

START_TEST(test_pipeline_identity)
{
    const char *names[] = {"a", "b"};
    mg_pipeline *p;
    double raw[4] = {1.5, -2.0, NAN, 1e300}, X[4];

    ck_assert_int_eq(mg_pipeline_identity(&p, names, 2), MG_OK);
    ck_assert_uint_eq(mg_pipeline_width(p), 2);
    ck_assert_uint_eq(mg_pipeline_transform(p, raw, 2, X), 0);
    ck_assert_double_eq(X[0], 1.5);
    ck_assert_double_eq(X[1], -2.0);
    ck_assert_double_eq(X[2], 0.0); /* missing -> the mean, 0 */
    ck_assert_double_eq(X[3], 1e300);
    mg_pipeline_free(p);
    ck_assert_int_eq(mg_pipeline_identity(&p, names, 0), MG_EINVAL);
}
END_TEST

/* Dump with 17 significant digits, as the model file does, and parse back. */
static mg_pipeline *round_trip(const mg_pipeline *p, char **text_out)
{
    json_t *j = mg_pipeline_to_json(p), *back;
    json_error_t err;
    mg_pipeline *q = NULL;
    char *text;

    ck_assert_ptr_nonnull(j);
    text = json_dumps(j, JSON_REAL_PRECISION(17));
    ck_assert_ptr_nonnull(text);
    back = json_loads(text, 0, &err);
    ck_assert_ptr_nonnull(back);
    ck_assert_msg(mg_pipeline_from_json(&q, back, "m.mgm") == MG_OK, "%s", mg_error_last());
    json_decref(j);
    json_decref(back);
    *text_out = text;
    return q;
}

START_TEST(test_pipeline_json_round_trip)
{
    /* awkward doubles: means and stds with no short decimal form */
    mg_dataset *ds =
        open_text("x,c,y\n0.1,a,1e-300\n0.2,\"b, \"\"q\"\"\",3\n0.7,a,2\n1,?,7\n", NULL);
    const char *cols[] = {"y", "c", "x"};
    mg_pipeline *p, *q;
    char *t1, *t2;
    double raw[12], X1[16], X2[16];

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, cols, 3), MG_OK);
    q = round_trip(p, &t1);
    mg_pipeline_free(round_trip(q, &t2));
    ck_assert_str_eq(t1, t2);
    ck_assert_uint_eq(mg_pipeline_width(q), mg_pipeline_width(p));
    ck_assert_str_eq(mg_pipeline_feature_name(q, 2), "c=b, \"q\"");
    ck_assert_int_eq(mg_pipeline_raw_from_dataset(raw, NULL, p, ds, NULL, 0), MG_OK);
    mg_pipeline_transform(p, raw, 4, X1);
    mg_pipeline_transform(q, raw, 4, X2);
    ck_assert_int_eq(memcmp(X1, X2, sizeof X1), 0); /* bit-identical */
    free(t1);
    free(t2);
    mg_pipeline_free(p);
    mg_pipeline_free(q);
    mg_dataset_close(ds);
}
END_TEST

/* from_json on `text` fails with MG_EPARSE and exactly `message`. */
static void expect_json_error(const char *text, const char *message)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    mg_pipeline *p = (mg_pipeline *)1;

    ck_assert_msg(j != NULL, "bad test JSON: %s", err.text);
    ck_assert_int_eq(mg_pipeline_from_json(&p, j, "m.mgm"), MG_EPARSE);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(mg_error_last(), message);
    json_decref(j);
}

START_TEST(test_pipeline_json_bad_fields)
{
    expect_json_error("[1]", "m.mgm: field 'pipeline': expected an object");
    expect_json_error("{}", "m.mgm: field 'pipeline.inputs': expected a non-empty array");
    expect_json_error("{\"inputs\":[]}",
                      "m.mgm: field 'pipeline.inputs': expected a non-empty array");
    expect_json_error("{\"inputs\":[7]}", "m.mgm: field 'pipeline.inputs[0]': expected an object");
    expect_json_error("{\"inputs\":[{\"type\":\"numeric\"}]}",
                      "m.mgm: field 'pipeline.inputs[0].name': expected a non-empty string");
    expect_json_error("{\"inputs\":[{\"name\":\"a\",\"type\":\"numeric\",\"mean\":0,\"std\":1},"
                      "{\"name\":\"a\",\"type\":\"numeric\",\"mean\":0,\"std\":1}]}",
                      "m.mgm: field 'pipeline.inputs[1].name': duplicate input name");
    expect_json_error("{\"inputs\":[{\"name\":\"a\",\"type\":\"text\"}]}",
                      "m.mgm: field 'pipeline.inputs[0].type': expected \"numeric\" or "
                      "\"categorical\"");
    expect_json_error(
        "{\"inputs\":[{\"name\":\"a\",\"type\":\"numeric\",\"mean\":\"0\",\"std\":1}]}",
        "m.mgm: field 'pipeline.inputs[0].mean': expected a finite number");
    expect_json_error("{\"inputs\":[{\"name\":\"a\",\"type\":\"numeric\",\"mean\":0,\"std\":0}]}",
                      "m.mgm: field 'pipeline.inputs[0].std': expected a positive finite number");
    expect_json_error(
        "{\"inputs\":[{\"name\":\"a\",\"type\":\"categorical\",\"levels\":[\"x\",\"x\"],"
        "\"impute\":\"x\"}]}",
        "m.mgm: field 'pipeline.inputs[0].levels[1]': duplicate level");
    expect_json_error(
        "{\"inputs\":[{\"name\":\"a\",\"type\":\"categorical\",\"levels\":[\"x\",2]}]}",
        "m.mgm: field 'pipeline.inputs[0].levels[1]': expected a string");
    expect_json_error("{\"inputs\":[{\"name\":\"a\",\"type\":\"categorical\",\"levels\":[\"x\"],"
                      "\"impute\":\"y\"}]}",
                      "m.mgm: field 'pipeline.inputs[0].impute': expected one of the levels");
    expect_json_error("{\"inputs\":[{\"name\":\"a\",\"type\":\"numeric\",\"mean\":0,\"std\":1}],"
                      "\"width\":2}",
                      "m.mgm: field 'pipeline.width': expected the integer 1 (the encoded "
                      "features)");
}
END_TEST

START_TEST(test_pipeline_json_every_field_removed)
{
    /* Drop each field of each input in turn: always a clean MG_EPARSE. */
    mg_dataset *ds = open_text(three_rows, NULL);
    mg_pipeline *p, *q;
    json_t *j;

    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, three_cols, 3), MG_OK);
    j = mg_pipeline_to_json(p);
    for (size_t i = 0; i < 3; i++) {
        json_t *in = json_array_get(json_object_get(j, "inputs"), i);
        const char *keys[] = {"name", "type", "mean", "std", "levels", "impute"};
        for (size_t k = 0; k < 6; k++) {
            json_t *copy = json_deep_copy(j);
            json_t *cin = json_array_get(json_object_get(copy, "inputs"), i);
            if (!json_object_get(in, keys[k])) {
                json_decref(copy);
                continue;
            }
            json_object_del(cin, keys[k]);
            ck_assert_int_eq(mg_pipeline_from_json(&q, copy, "m.mgm"), MG_EPARSE);
            ck_assert_ptr_nonnull(strstr(mg_error_last(), keys[k]));
            /* the same field with a wrong type */
            json_object_set_new(cin, keys[k], json_true());
            ck_assert_int_eq(mg_pipeline_from_json(&q, copy, "m.mgm"), MG_EPARSE);
            json_decref(copy);
        }
    }
    json_decref(j);
    mg_pipeline_free(p);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_pipeline_adult)
{
    TU_REQUIRE_SHARED(path, "data/adult/adult_train.csv");
    const char *cols[] = {"age",
                          "workclass",
                          "fnlwgt",
                          "education",
                          "education-num",
                          "marital-status",
                          "occupation",
                          "relationship",
                          "race",
                          "sex",
                          "capital-gain",
                          "capital-loss",
                          "hours-per-week",
                          "native-country"};
    mg_dataset *ds;
    mg_pipeline *p;

    ck_assert_int_eq(mg_dataset_open(&ds, path, NULL), MG_OK);
    ck_assert_int_eq(mg_pipeline_fit(&p, ds, NULL, 0, cols, 14), MG_OK);
    /* adult.names lists the values of each categorical column, '?' aside:
     * workclass 8, education 16, marital-status 7, occupation 14,
     * relationship 6, race 5, sex 2, native-country 41 = 99; + 6 numeric */
    ck_assert_uint_eq(mg_pipeline_width(p), 105);
    ck_assert_str_eq(mg_pipeline_feature_name(p, 1), "workclass=State-gov");
    mg_pipeline_free(p);
    mg_dataset_close(ds);
}
END_TEST

static Suite *pipeline_suite(void)
{
    Suite *s = suite_create("core_pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_add_test(tc, test_pipeline_fit_by_hand);
    tcase_add_test(tc, test_pipeline_fit_on_rows_only);
    tcase_add_test(tc, test_pipeline_unknown_and_missing_category);
    tcase_add_test(tc, test_pipeline_numeric_column_to_levels);
    tcase_add_test(tc, test_pipeline_raw_parse);
    tcase_add_test(tc, test_pipeline_errors);
    tcase_add_test(tc, test_pipeline_huge_values);
    tcase_add_test(tc, test_pipeline_identity);
    tcase_add_test(tc, test_pipeline_json_round_trip);
    tcase_add_test(tc, test_pipeline_json_bad_fields);
    tcase_add_test(tc, test_pipeline_json_every_field_removed);
    tcase_add_test(tc, test_pipeline_adult);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pipeline_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
