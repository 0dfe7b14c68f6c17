/* test_governance_jcs.c - RFC 8785 canonical JSON against the RFC's own examples. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *canon(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    mg_buf b = MG_BUF_INIT;
    char *s;

    ck_assert_msg(v != NULL, "%s: %s", text, err.text);
    ck_assert_int_eq(mg_jcs_append(&b, v), MG_OK);
    json_decref(v);
    s = mg_buf_detach(&b);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* RFC 8785 §3.2.2, the input and output of the example (string escapes written as JSON). */
START_TEST(test_governance_jcs_rfc_example)
{
    char *s = canon("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
                    "0.000000000000000000000000001],\n"
                    "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
                    "  \"literals\": [null, true, false]\n}");
    ck_assert_str_eq(s, "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,"
                        "0.002,1e-27],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    free(s);
}
END_TEST

/* RFC 8785 §3.2.3: members sorted by UTF-16 code units, so U+1F600 (D83D DE00) sorts before U+FB33. */
START_TEST(test_governance_jcs_rfc_sorting)
{
    char *s = canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
                    "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
                    "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
                    "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}");
    const char *order[] = {"\\r\"", "\"1\"", "\xc2\x80", "\xc3\xb6", "\xe2\x82\xac",
                           "\xf0\x9f\x98\x80", "\xef\xac\xb3"};
    const char *prev = s;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const char *at = strstr(s, order[i]);
        ck_assert_msg(at && at >= prev, "key %zu out of order in %s", i, s);
        prev = at;
    }
    free(s);
}
END_TEST

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript spelling. */
START_TEST(test_governance_jcs_rfc_numbers)
{
    static const struct {
        uint64_t bits;
        const char *text;
    } cases[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[MG_JCS_NUMBER_MAX];
        double d;
        memcpy(&d, &cases[i].bits, sizeof d);
        ck_assert_int_eq(mg_jcs_number(out, d), MG_OK);
        ck_assert_msg(strcmp(out, cases[i].text) == 0, "%016llx: got %s, want %s",
                      (unsigned long long)cases[i].bits, out, cases[i].text);
    }
}
END_TEST

/* Any finite double: the text reads back as exactly the same double. */
START_TEST(test_governance_jcs_numbers_round_trip)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 50000; i++) {
        char out[MG_JCS_NUMBER_MAX];
        double d;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 over all bit patterns */
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        ck_assert_int_eq(mg_jcs_number(out, d), MG_OK);
        ck_assert_msg(strtod(out, NULL) == d || d == 0, "%016llx -> %s", (unsigned long long)x, out);
    }
}
END_TEST

/* Appendix B's last rows: NaN and Infinity have no canonical form. */
START_TEST(test_governance_jcs_rejects_nan_and_big_integers)
{
    char out[MG_JCS_NUMBER_MAX];
    mg_buf b = MG_BUF_INIT;
    json_t *v;

    ck_assert_int_eq(mg_jcs_number(out, NAN), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "NaN"));
    ck_assert_int_eq(mg_jcs_number(out, INFINITY), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "Infinity"));
    /* 2^53 + 1 cannot be a double, so JCS (I-JSON) cannot carry it */
    v = json_pack("{s:[i,I]}", "a", 1, (json_int_t)9007199254740993LL);
    mg_buf_puts(&b, "kept");
    ck_assert_int_eq(mg_jcs_append(&b, v), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "9007199254740993"));
    ck_assert_str_eq(b.ptr, "kept"); /* left as it was */
    json_decref(v);
    mg_buf_free(&b);
}
END_TEST

/* Control characters: the short escapes JSON.stringify uses, \u00xx in lower case otherwise, DEL raw. */
START_TEST(test_governance_jcs_string_escapes)
{
    char *s = canon("\"\\b\\t\\n\\f\\r\\u0001\\u001F\\u007f/\\u00e9\"");
    ck_assert_str_eq(s, "\"\\b\\t\\n\\f\\r\\u0001\\u001f\x7f/\xc3\xa9\"");
    free(s);
    /* a NUL inside a key and a value is escaped, not a terminator */
    {
        json_t *o = json_object();
        mg_buf b = MG_BUF_INIT;
        json_object_setn_new(o, "a\0b", 3, json_stringn("x\0", 2));
        ck_assert_int_eq(mg_jcs_append(&b, o), MG_OK);
        ck_assert_str_eq(b.ptr, "{\"a\\u0000b\":\"x\\u0000\"}");
        mg_buf_free(&b);
        json_decref(o);
    }
}
END_TEST

/* Same members in any order, nested, give the same bytes; whole numbers written as reals lose ".0". */
START_TEST(test_governance_jcs_order_independent)
{
    char *a = canon("{\"b\":[1.0,{\"y\":2,\"x\":1}],\"a\":{},\"c\":[]}");
    char *b = canon("{ \"c\" : [ ], \"a\" : { }, \"b\" : [ 1 , { \"x\" : 1 , \"y\" : 2.0 } ] }");
    ck_assert_str_eq(a, "{\"a\":{},\"b\":[1,{\"x\":1,\"y\":2}],\"c\":[]}");
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

/* sha256("{}") = 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a (FIPS 180-4) */
START_TEST(test_governance_jcs_sha256)
{
    unsigned char d[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    json_t *v = json_object();
    ck_assert_int_eq(mg_jcs_sha256(d, v), MG_OK);
    mg_sha256_hex(hex, d);
    ck_assert_str_eq(hex, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_jcs");
    TCase *tc = tcase_create("jcs");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_governance_jcs_rfc_example);
    tcase_add_test(tc, test_governance_jcs_rfc_sorting);
    tcase_add_test(tc, test_governance_jcs_rfc_numbers);
    tcase_add_test(tc, test_governance_jcs_numbers_round_trip);
    tcase_add_test(tc, test_governance_jcs_rejects_nan_and_big_integers);
    tcase_add_test(tc, test_governance_jcs_string_escapes);
    tcase_add_test(tc, test_governance_jcs_order_independent);
    tcase_add_test(tc, test_governance_jcs_sha256);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
