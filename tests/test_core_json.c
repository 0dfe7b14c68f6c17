/* test_core_json.c - shortest round-trip reals in JSON text (core/json_text.c). */
#include "mg_core.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_number(double v, const char *want)
{
    char got[MG_JSON_NUMBER_MAX];
    ck_assert_int_eq(mg_json_number(got, v), MG_OK);
    ck_assert_str_eq(got, want);
}

/*
 * Hand-checked: the fewest digits that read back (Python's repr agrees on
 * the digits), written as jansson writes a real.
 */
START_TEST(test_core_json_number_cases)
{
    expect_number(0.84995, "0.84995"); /* %.17g: 0.84994999999999998 */
    expect_number(0.1, "0.1");
    expect_number(1.0 / 3.0, "0.3333333333333333");
    expect_number(2.0 / 3.0, "0.6666666666666666");
    expect_number(0.1 + 0.2, "0.30000000000000004");
    expect_number(3.0, "3.0");
    expect_number(-0.0, "-0.0");
    expect_number(100000.0, "100000.0");
    expect_number(1e16, "10000000000000000.0");
    expect_number(0.0001, "0.0001");
    expect_number(0.00001, "1e-5");
    expect_number(1e-7, "1e-7");
    expect_number(-2.5e-7, "-2.5e-7");
    expect_number(1e21, "1e21");
    expect_number(5e-324, "5e-324");
    expect_number(DBL_MAX, "1.7976931348623157e308");
}
END_TEST

START_TEST(test_core_json_number_not_finite)
{
    char got[MG_JSON_NUMBER_MAX];
    ck_assert_int_eq(mg_json_number(got, NAN), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "NaN"));
    ck_assert_int_eq(mg_json_number(got, -INFINITY), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "Infinity"));
}
END_TEST

/* Significant digits of a number's text: the mantissa without sign, point and outer zeros. */
static size_t significant_digits(const char *text)
{
    char d[64];
    size_t n = 0, lead = 0;

    for (const char *c = text; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            d[n++] = *c;
    while (lead < n && d[lead] == '0')
        lead++;
    while (n > lead && d[n - 1] == '0')
        n--;
    return n - lead;
}

/*
 * Property over 200000 doubles of random bits (every exponent, subnormals
 * included; NaN and infinities skipped): the text reads back bit for bit,
 * with as many significant digits as the first p of 1, 2, ... 17 for which
 * printf's p-digit "%.*e" reads back (a search independent of the code's
 * bisection), and never longer than "%.17g" plus jansson's ".0".
 */
START_TEST(test_core_json_number_round_trips)
{
    mg_rng rng;
    int checked = 0;

    mg_rng_seed(&rng, 20261125);
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = mg_rng_next(&rng);
        char got[MG_JSON_NUMBER_MAX], ref[40];
        double v, back;
        int p = 1;

        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        ck_assert_int_eq(mg_json_number(got, v), MG_OK);
        back = strtod(got, NULL);
        ck_assert_int_eq(memcmp(&back, &v, sizeof v), 0);
        for (;; p++) {
            snprintf(ref, sizeof ref, "%.*e", p - 1, v);
            if (strtod(ref, NULL) == v)
                break;
        }
        ck_assert_uint_eq(significant_digits(got), (size_t)p);
        snprintf(ref, sizeof ref, "%.17g", v);
        ck_assert_uint_le(strlen(got), strlen(ref) + 2);
        checked++;
    }
    ck_assert_int_gt(checked, 199000);
}
END_TEST

/*
 * Reals in a document are shortened; strings holding number-like text,
 * escaped quotes, keys and integers are not; the text loads back equal.
 */
START_TEST(test_core_json_dumps_rewrites_reals_only)
{
    json_t *doc =
        json_pack("{s:f, s:s, s:I, s:[f, f, f]}", "a", 0.84995, "s", "x 0.84994999999999998 \" 1.5",
                  "i", (json_int_t)12, "n", 1.0, -2.5e-7, 0.1 + 0.2);
    char *text = mg_json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_error_t err;
    json_t *back;

    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "{\"a\":0.84995,\"i\":12,\"n\":[1.0,-2.5e-7,0.30000000000000004],"
                           "\"s\":\"x 0.84994999999999998 \\\" 1.5\"}");
    back = json_loads(text, 0, &err);
    ck_assert_ptr_nonnull(back);
    ck_assert(json_equal(doc, back));
    ck_assert(json_is_real(json_array_get(json_object_get(back, "n"), 0)));
    json_decref(back);
    json_decref(doc);
    free(text);
}
END_TEST

static Suite *core_json_suite(void)
{
    Suite *s = suite_create("core_json");
    TCase *tc = tcase_create("json");

    tcase_add_test(tc, test_core_json_number_cases);
    tcase_add_test(tc, test_core_json_number_not_finite);
    tcase_add_test(tc, test_core_json_number_round_trips);
    tcase_add_test(tc, test_core_json_dumps_rewrites_reals_only);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_json_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
