/* test_core_csv.c - the CSV reader across buffer boundaries, against records built alongside. */
#include "mg_core.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Write `rows` records of 1..7 fields with every kind of field (plain, empty,
 * quoted with delimiters, doubled quotes, LF and CRLF inside) and LF / CRLF /
 * blank-line endings, while keeping the expected fields as "a|b|c;" text. The
 * text is several MiB, so records straddle the reader's 256 KiB reads.
 */
static void build(mg_buf *csv, mg_buf *want, size_t rows, uint64_t seed)
{
    static const char *const plain[] = {"x", "12.5", "", "hello world", "-3", "a\"b"};
    mg_rng r;

    mg_rng_seed(&r, seed);
    for (size_t i = 0; i < rows; i++) {
        size_t nf = 1 + (size_t)mg_rng_below(&r, 7);
        for (size_t k = 0; k < nf; k++) {
            uint64_t kind = mg_rng_below(&r, 6);
            char field[64];
            if (kind < 3) {
                const char *s = plain[mg_rng_below(&r, 6)];
                if (nf == 1 && !*s)
                    s = "x"; /* a lone empty field would be a blank line */
                mg_buf_puts(csv, s);
                mg_buf_puts(want, s);
            } else {
                /* quoted: delimiters, quotes, LF and CRLF inside */
                static const char *const piece[] = {"a", "b", ",", "\"", "\n", " ", "\r\n"};
                size_t len = 0, np = (size_t)mg_rng_below(&r, 20);
                for (size_t c = 0; c < np; c++) {
                    const char *s = piece[mg_rng_below(&r, 7)];
                    memcpy(field + len, s, strlen(s));
                    len += strlen(s);
                }
                char quoted[2 * sizeof field + 2];
                size_t q = 0;
                quoted[q++] = '"';
                for (size_t c = 0; c < len; c++) {
                    if (field[c] == '"')
                        quoted[q++] = '"';
                    quoted[q++] = field[c];
                }
                quoted[q++] = '"';
                mg_buf_put(csv, quoted, q);
                mg_buf_put(want, field, len);
            }
            if (k + 1 < nf)
                mg_buf_putc(csv, ',');
            mg_buf_putc(want, k + 1 < nf ? '|' : ';');
        }
        switch (mg_rng_below(&r, 4)) {
        case 0:
            mg_buf_puts(csv, "\r\n");
            break;
        case 1:
            mg_buf_puts(csv, "\n\n"); /* a blank line follows */
            break;
        default:
            mg_buf_putc(csv, '\n');
        }
    }
}

static void read_all(mg_csv_reader *r, mg_buf *got)
{
    const mg_csv_field *f;
    size_t n, bad_nul = 0;
    int rc;

    while ((rc = mg_csv_reader_next(r, &f, &n)) == 1)
        for (size_t i = 0; i < n; i++) {
            bad_nul += f[i].ptr[f[i].len] != '\0';
            mg_buf_put(got, f[i].ptr, f[i].len);
            mg_buf_putc(got, i + 1 < n ? '|' : ';');
        }
    ck_assert_msg(rc == 0, "%s", mg_error_last());
    ck_assert_uint_eq(bad_nul, 0); /* every field NUL-terminated at its length */
}

START_TEST(test_csv_boundaries_buffer_and_file)
{
    mg_buf csv = MG_BUF_INIT, want = MG_BUF_INIT, got = MG_BUF_INIT;
    mg_csv_reader *r;
    char *path = tu_path("big.csv");
    char hex[MG_SHA256_HEX], hex2[MG_SHA256_HEX];

    build(&csv, &want, 120000, 11);
    ck_assert_uint_gt(csv.len, (size_t)3 << 20);
    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "b.csv", csv.ptr, csv.len, NULL), MG_OK);
    read_all(r, &got);
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.ptr, want.ptr, want.len) == 0);
    ck_assert_uint_eq(mg_csv_reader_bytes(r), csv.len);
    ck_assert_int_eq(mg_csv_reader_sha256(r, hex), MG_OK);
    mg_csv_reader_close(r);

    tu_write(path, csv.ptr);
    mg_buf_clear(&got);
    ck_assert_int_eq(mg_csv_reader_open(&r, path, NULL), MG_OK);
    read_all(r, &got);
    ck_assert(got.len == want.len && memcmp(got.ptr, want.ptr, want.len) == 0);
    ck_assert_int_eq(mg_csv_reader_sha256(r, hex2), MG_OK);
    ck_assert_str_eq(hex, hex2);
    ck_assert_int_eq(mg_sha256_file(hex2, path), MG_OK);
    ck_assert_str_eq(hex, hex2);
    mg_csv_reader_close(r);
    free(path);
    mg_buf_free(&csv);
    mg_buf_free(&want);
    mg_buf_free(&got);
}
END_TEST

START_TEST(test_csv_line_numbers_past_quoted_breaks)
{
    /* record 3 starts on line 5: line 2 holds a field that spans lines 2-4 */
    const char *text = "a,b\n1,\"x\ny\nz\"\n2,3\n\n4,\"\"\"q\"\n";
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;

    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", text, strlen(text), NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_str_eq(f[1].ptr, "x\ny\nz");
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(mg_csv_reader_line(r), 5);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(mg_csv_reader_line(r), 7);
    ck_assert_uint_eq(mg_csv_reader_column(r, 1), 3);
    ck_assert_str_eq(f[1].ptr, "\"q");
    ck_assert_uint_eq(f[1].len, 2);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 0);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 0); /* stays at the end */
    mg_csv_reader_close(r);
}
END_TEST

START_TEST(test_csv_record_too_long)
{
    mg_csv_options o = MG_CSV_OPTIONS_INIT;
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;
    const char *text = "a,b\n1234567,89\n";

    o.max_record = 8;
    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", text, strlen(text), &o), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), MG_ETOOBIG);
    ck_assert_str_eq(mg_error_last(), "t.csv:2: record longer than 8 bytes");
    mg_csv_reader_close(r);
}
END_TEST

START_TEST(test_csv_record_larger_than_a_read)
{
    /* one 3 MiB field: the buffer grows to hold the whole record */
    size_t big = (size_t)3 << 20;
    char *text = malloc(big + 16);
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n;

    memcpy(text, "h\n\"", 3);
    memset(text + 3, 'v', big);
    memcpy(text + 3 + big, "\"\nw", 4);
    ck_assert_int_eq(mg_csv_reader_open_buffer(&r, "t.csv", text, strlen(text), NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(f[0].len, big);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_str_eq(f[0].ptr, "w");
    ck_assert_uint_eq(mg_csv_reader_line(r), 3);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 0);
    mg_csv_reader_close(r);
    free(text);
}
END_TEST

START_TEST(test_csv_parse_number_spellings)
{
    struct {
        const char *text;
        int ok;
        double value;
        int decimals; /* -1: printf("%.*f") would not give the text back */
    } cases[] = {
        {"36.58", 1, 36.58, 2},
        {"-0", 1, -0.0, 0},
        {"0.50", 1, 0.5, 2},
        {"007", 1, 7, -1},
        {"1e3", 1, 1000, -1},
        {" 5 ", 1, 5, -1},
        {"+2", 1, 2, -1},
        {".5", 1, 0.5, -1},
        {"5.", 1, 5, -1},
        {"0x10", 0, 0, -1},
        {"inf", 0, 0, -1},
        {"nan", 0, 0, -1},
        {"1.2.3", 0, 0, -1},
        {"", 0, 0, -1},
        {"-", 0, 0, -1},
        {"123456789012345", 1, 123456789012345.0, 0},
        {"1234567890123456", 1, 1234567890123456.0, -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double v = 0;
        int d = 99;
        int ok = mg_csv_parse_number(cases[k].text, strlen(cases[k].text), &v, &d);
        ck_assert_msg(ok == cases[k].ok, "%s", cases[k].text);
        if (!ok)
            continue;
        ck_assert_msg(v == cases[k].value && signbit(v) == signbit(cases[k].value), "%s",
                      cases[k].text);
        ck_assert_msg(d == cases[k].decimals, "%s: decimals %d", cases[k].text, d);
    }
}
END_TEST

START_TEST(test_csv_parse_number_matches_strtod)
{
    /* The fast path must round exactly as strtod does: 200000 random plain
     * decimals of 1..15 digits, compared bit for bit, and each spelled back. */
    mg_rng r;
    char text[40], back[40];
    size_t mismatches = 0, respelled = 0;

    mg_rng_seed(&r, 5);
    for (int k = 0; k < 200000; k++) {
        int digits = 1 + (int)mg_rng_below(&r, 15), frac = (int)mg_rng_below(&r, (uint64_t)digits);
        size_t n = 0;
        double v, ref;
        int d;
        if (mg_rng_below(&r, 2))
            text[n++] = '-';
        for (int i = 0; i < digits; i++) {
            if (i == digits - frac)
                text[n++] = '.';
            text[n++] = (char)('0' + (i == 0 && digits - frac > 1 ? 1 + mg_rng_below(&r, 9)
                                                                  : mg_rng_below(&r, 10)));
        }
        text[n] = '\0';
        ck_assert_msg(mg_csv_parse_number(text, n, &v, &d), "%s", text);
        ref = strtod(text, NULL);
        mismatches += memcmp(&v, &ref, sizeof v) != 0;
        snprintf(back, sizeof back, "%.*f", d, v);
        respelled += d >= 0 && strcmp(back, text) == 0;
    }
    ck_assert_uint_eq(mismatches, 0);
    ck_assert_uint_eq(respelled, 200000);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("core_csv");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, test_csv_boundaries_buffer_and_file);
    tcase_add_test(tc, test_csv_line_numbers_past_quoted_breaks);
    tcase_add_test(tc, test_csv_record_too_long);
    tcase_add_test(tc, test_csv_record_larger_than_a_read);
    tcase_add_test(tc, test_csv_parse_number_spellings);
    tcase_add_test(tc, test_csv_parse_number_matches_strtod);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csv_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
