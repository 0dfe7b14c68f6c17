/* test_core.c - the core's foundations: errors, buffers, rng, sha256, CSV, credit data. */
#include "mg_core.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_core_error_slot)
{
    mg_error_clear();
    ck_assert_str_eq(mg_error_last(), "");
    ck_assert_int_eq(mg_error_set(MG_EPARSE, "%s:%d:%d: bad", "f.csv", 3, 7), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(), "f.csv:3:7: bad");
    ck_assert_int_eq(mg_error_code(), MG_EPARSE);
    ck_assert_str_eq(mg_strerror(MG_EPARSE), "parse error");
    ck_assert(mg_error_is_user(MG_EINVAL));
    ck_assert(!mg_error_is_user(MG_ENOMEM));
    mg_error_clear();
    ck_assert_int_eq(mg_error_code(), MG_OK);
}
END_TEST

START_TEST(test_core_buf_cap)
{
    mg_buf b = MG_BUF_INIT;
    b.max = 8;
    ck_assert_int_eq(mg_buf_puts(&b, "abcd"), MG_OK);
    ck_assert_int_eq(mg_buf_printf(&b, "%d", 1234), MG_OK);
    ck_assert_str_eq(b.ptr, "abcd1234");
    ck_assert_int_eq(mg_buf_putc(&b, 'x'), MG_ETOOBIG);
    ck_assert_str_eq(b.ptr, "abcd1234"); /* unchanged after a failed append */
    mg_buf_free(&b);
    mg_buf_free(NULL);
}
END_TEST

/* Adding context to the last message must not read the slot while writing it. */
START_TEST(test_core_error_wraps_last)
{
    mg_error_set(MG_EPARSE, "line 3: bad value");
    mg_error_set(MG_EPARSE, "data.csv: %s", mg_error_last());
    ck_assert_str_eq(mg_error_last(), "data.csv: line 3: bad value");
}
END_TEST

START_TEST(test_core_buf_terminated_after_grow)
{
    mg_buf b = MG_BUF_INIT;
    ck_assert_int_eq(mg_buf_grow(&b, 16), MG_OK);
    ck_assert_str_eq(b.ptr, "");
    mg_buf_free(&b);
}
END_TEST

START_TEST(test_core_rng_reproducible)
{
    mg_rng a, b;
    double sum = 0, sum2 = 0;
    mg_rng_seed(&a, 42);
    mg_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(mg_rng_next(&a), mg_rng_next(&b));
    /* 200000 standard normals: mean within 5 sigma/sqrt(n) = 0.011, variance within 0.02 */
    for (int i = 0; i < 200000; i++) {
        double z = mg_rng_normal(&a);
        sum += z;
        sum2 += z * z;
    }
    ck_assert_double_le(fabs(sum / 200000), 0.011);
    ck_assert_double_le(fabs(sum2 / 200000 - 1.0), 0.02);
}
END_TEST

START_TEST(test_core_sha256_abc)
{
    /* FIPS 180-2 appendix B.1 */
    unsigned char d[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    ck_assert_int_eq(mg_sha256_digest(d, "abc", 3), MG_OK);
    mg_sha256_hex(hex, d);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* Read every record of `text` into "a|b|c;..." form. */
static int csv_flatten(const char *text, mg_buf *out)
{
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;
    int rc;

    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", text, strlen(text), NULL), MG_OK);
    while ((rc = mg_csv_reader_next(r, &f, &n)) == 1) {
        for (size_t i = 0; i < n; i++) {
            mg_buf_put(out, f[i].ptr, f[i].len);
            mg_buf_putc(out, i + 1 < n ? '|' : ';');
        }
    }
    mg_csv_reader_close(r);
    return rc;
}

START_TEST(test_core_csv_rfc4180)
{
    mg_buf b = MG_BUF_INIT;
    const char *text = "\xEF\xBB\xBF"
                       "a,b,c\r\n"
                       "\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
                       "\n"
                       "1,,3";
    ck_assert_int_eq(csv_flatten(text, &b), 0);
    ck_assert_str_eq(b.ptr, "a|b|c;x, y|say \"hi\"|two\nlines;1||3;");
    mg_buf_free(&b);
}
END_TEST

START_TEST(test_core_csv_unterminated_quote)
{
    mg_buf b = MG_BUF_INIT;
    ck_assert_int_eq(csv_flatten("a,b\n1,\"open\n2,3\n", &b), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(), "t.csv:2:3: unterminated quoted field");
    mg_buf_free(&b);
}
END_TEST

START_TEST(test_core_csv_junk_after_quote)
{
    mg_buf b = MG_BUF_INIT;
    ck_assert_int_eq(csv_flatten("a,b\n\"x\"y,2\n", &b), MG_EPARSE);
    ck_assert_str_eq(mg_error_last(), "t.csv:2:4: unexpected 'y' after a closing quote");
    mg_buf_free(&b);
}
END_TEST

START_TEST(test_core_csv_lines_and_columns)
{
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;
    const char *text = "h1,h2\n\"a\nb\",cc\nx,y\n";

    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", text, strlen(text), NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(mg_csv_reader_line(r), 2);
    ck_assert_uint_eq(mg_csv_reader_column(r, 1), 4); /* `cc` starts at column 4 of line 3 */
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(mg_csv_reader_line(r), 4);
    ck_assert_uint_eq(mg_csv_reader_column(r, 1), 3);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 0);
    mg_csv_reader_close(r);
}
END_TEST

START_TEST(test_core_csv_sha256_of_bytes)
{
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;
    char hex[MG_SHA256_HEX];

    /* sha256("abc") again: the hash covers exactly the bytes read */
    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", "abc", 3, NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_sha256(r, hex), MG_EINVAL);
    while (mg_csv_reader_next(r, &f, &n) == 1)
        ;
    ck_assert_int_eq(mg_csv_reader_sha256(r, hex), MG_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    mg_csv_reader_close(r);
}
END_TEST

START_TEST(test_core_csv_parse_double)
{
    mg_csv_field f;
    double v;
    f.ptr = " 42 ";
    f.len = 4;
    ck_assert(mg_csv_parse_double(&f, &v));
    ck_assert_double_eq(v, 42.0);
    f.ptr = "-1.5e3";
    f.len = 6;
    ck_assert(mg_csv_parse_double(&f, &v));
    ck_assert_double_eq(v, -1500.0);
    f.ptr = "12a";
    f.len = 3;
    ck_assert(!mg_csv_parse_double(&f, &v));
    f.ptr = "-";
    f.len = 1;
    ck_assert(!mg_csv_parse_double(&f, &v));
    f.ptr = "nan";
    f.len = 3;
    ck_assert(!mg_csv_parse_double(&f, &v));
}
END_TEST

START_TEST(test_core_csv_write_field_quotes)
{
    mg_buf b = MG_BUF_INIT;
    mg_csv_write_field(&b, "plain", 5, ',');
    mg_buf_putc(&b, ',');
    mg_csv_write_field(&b, "a,\"b\"", 5, ',');
    ck_assert_str_eq(b.ptr, "plain,\"a,\"\"b\"\"\"");
    mg_buf_free(&b);
}
END_TEST

Suite *core_suite(void);
Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("foundation");
    tcase_add_test(tc, test_core_error_slot);
    tcase_add_test(tc, test_core_buf_cap);
    tcase_add_test(tc, test_core_error_wraps_last);
    tcase_add_test(tc, test_core_buf_terminated_after_grow);
    tcase_add_test(tc, test_core_rng_reproducible);
    tcase_add_test(tc, test_core_sha256_abc);
    tcase_add_test(tc, test_core_csv_rfc4180);
    tcase_add_test(tc, test_core_csv_unterminated_quote);
    tcase_add_test(tc, test_core_csv_junk_after_quote);
    tcase_add_test(tc, test_core_csv_lines_and_columns);
    tcase_add_test(tc, test_core_csv_sha256_of_bytes);
    tcase_add_test(tc, test_core_csv_parse_double);
    tcase_add_test(tc, test_core_csv_write_field_quotes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
