/* test_core_dataset.c - CSV data sets: inference, missing values, schema, errors, splits. */
#include "mg_core.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static mg_dataset *open_text(const char *text, const mg_dataset_options *opts)
{
    mg_dataset *ds = NULL;
    int rc = mg_dataset_open_buffer(&ds, "t.csv", text, strlen(text), opts);
    ck_assert_msg(rc == MG_OK, "open failed: %s", mg_error_last());
    return ds;
}

/* Open `text`, expect `code` and exactly `message`. */
static void expect_error(const char *text, const mg_dataset_options *opts, int code,
                         const char *message)
{
    mg_dataset *ds = (mg_dataset *)1;
    ck_assert_int_eq(mg_dataset_open_buffer(&ds, "t.csv", text, strlen(text), opts), code);
    ck_assert_ptr_null(ds);
    ck_assert_str_eq(mg_error_last(), message);
}

START_TEST(test_dataset_infer_types)
{
    /* a: all numbers; b: text; c: a number and two missing; d: missing then text */
    mg_dataset *ds = open_text("a,b,c,d\n1,x,2.5,\n2,y,?,z\n3,x,NA,z\n", NULL);
    const double *a, *c;
    const int32_t *b, *d;

    ck_assert_uint_eq(mg_dataset_rows(ds), 3);
    ck_assert_uint_eq(mg_dataset_cols(ds), 4);
    ck_assert_str_eq(mg_dataset_name(ds), "t.csv");
    ck_assert_int_eq(mg_dataset_col_type(ds, 0), MG_COL_NUMERIC);
    ck_assert_int_eq(mg_dataset_col_type(ds, 1), MG_COL_CATEGORICAL);
    ck_assert_int_eq(mg_dataset_col_type(ds, 2), MG_COL_NUMERIC);
    ck_assert_int_eq(mg_dataset_col_type(ds, 3), MG_COL_CATEGORICAL);
    a = mg_dataset_col_numeric(ds, 0);
    ck_assert_double_eq(a[0], 1.0);
    ck_assert_double_eq(a[2], 3.0);
    ck_assert_ptr_null(mg_dataset_col_codes(ds, 0));
    b = mg_dataset_col_codes(ds, 1);
    ck_assert_ptr_null(mg_dataset_col_numeric(ds, 1));
    ck_assert_uint_eq(mg_dataset_col_levels(ds, 1), 2);
    ck_assert_str_eq(mg_dataset_col_level(ds, 1, 0), "x"); /* first appearance first */
    ck_assert_str_eq(mg_dataset_col_level(ds, 1, 1), "y");
    ck_assert_int_eq(b[0], 0);
    ck_assert_int_eq(b[1], 1);
    ck_assert_int_eq(b[2], 0);
    c = mg_dataset_col_numeric(ds, 2);
    ck_assert_double_eq(c[0], 2.5);
    ck_assert(isnan(c[1]) && isnan(c[2]));
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 2), 2);
    d = mg_dataset_col_codes(ds, 3);
    ck_assert_int_eq(d[0], -1);
    ck_assert_int_eq(d[1], 0);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 3), 1);
    ck_assert_int_eq(mg_dataset_col_find(ds, "c"), 2);
    ck_assert_int_eq(mg_dataset_col_find(ds, "zz"), -1);
    ck_assert_int_eq(mg_dataset_col_level_find(ds, 1, "y"), 1);
    ck_assert_int_eq(mg_dataset_col_level_find(ds, 1, "w"), -1);
    ck_assert_int_eq(mg_dataset_col_level_find(ds, 0, "1"), -1); /* numeric column */
    mg_dataset_close(ds);
    mg_dataset_close(NULL);
}
END_TEST

START_TEST(test_dataset_late_text_keeps_spellings)
{
    /* Numbers first, text on the last row: the column turns categorical and
     * the earlier values keep their exact spelling, in first-appearance order. */
    mg_dataset *ds = open_text("v,w\n007,1\n1.50,2\n-0,1\n1e3,x\n1.50,2\n+2,1\nabc,1\n", NULL);
    const int32_t *v = mg_dataset_col_codes(ds, 0), *w = mg_dataset_col_codes(ds, 1);
    const char *want[] = {"007", "1.50", "-0", "1e3", "+2", "abc"};

    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(mg_dataset_col_levels(ds, 0), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(mg_dataset_col_level(ds, 0, i), want[i]);
    ck_assert_int_eq(v[4], 1); /* the second "1.50" */
    ck_assert_int_eq(v[6], 5);
    /* w: "1","2","1" then "x" */
    ck_assert_uint_eq(mg_dataset_col_levels(ds, 1), 3);
    ck_assert_str_eq(mg_dataset_col_level(ds, 1, 0), "1");
    ck_assert_str_eq(mg_dataset_col_level(ds, 1, 2), "x");
    ck_assert_int_eq(w[2], 0);
    ck_assert_int_eq(w[3], 2);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_missing_tokens)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_dataset *ds;
    const double *v;

    /* defaults: "", ?, NA, and NaN / null in any case; "na" is a value */
    ds = open_text("v,s\n1,a\nnan,?\nNULL,\nNull,NA\n4,na\n", NULL);
    v = mg_dataset_col_numeric(ds, 0);
    ck_assert(isnan(v[1]) && isnan(v[2]) && isnan(v[3]));
    ck_assert_double_eq(v[4], 4.0);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 0), 3);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 1), 3);
    ck_assert_uint_eq(mg_dataset_col_levels(ds, 1), 2); /* a, na */
    mg_dataset_close(ds);
    ck_assert(mg_dataset_missing_token("", 0));
    ck_assert(mg_dataset_missing_token("nAn", 3));
    ck_assert(!mg_dataset_missing_token("none", 4));

    /* extra tokens from the options */
    o.missing = "-,none";
    ds = open_text("v\n1\n-\nnone\n2\n", &o);
    ck_assert_int_eq(mg_dataset_col_type(ds, 0), MG_COL_NUMERIC);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 0), 2);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_schema_override)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_dataset *ds;

    /* zip would infer as numeric and lose its leading zero */
    o.schema = "zip:categorical, n : numeric";
    ds = open_text("zip,n\n01234,5\n98765,?\n", &o);
    ck_assert_int_eq(mg_dataset_col_type(ds, 0), MG_COL_CATEGORICAL);
    ck_assert_str_eq(mg_dataset_col_level(ds, 0, 0), "01234");
    ck_assert_int_eq(mg_dataset_col_type(ds, 1), MG_COL_NUMERIC);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, 1), 1);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_open_ragged_row)
{
    expect_error("a,b,c\n1,2,3\n4,5\n", NULL, MG_EPARSE, "t.csv:3:1: expected 3 fields, found 2");
    /* too many: the column of the first extra field */
    expect_error("a,b,c\n1,2,3\n4,5,6,7\n", NULL, MG_EPARSE,
                 "t.csv:3:7: expected 3 fields, found 4");
}
END_TEST

START_TEST(test_dataset_open_not_a_number)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    o.schema = "b:numeric";
    /* line 3, field b starts at column 3 */
    expect_error("a,b\n1,2\n3,x7\n", &o, MG_EPARSE,
                 "t.csv:3:3: column 'b' is numeric but 'x7' is not a number");
}
END_TEST

/* Names and levels end up in JSON, which must be UTF-8: a Latin-1 byte is refused where it
 * stands. "é" in Latin-1 is the single byte 0xE9; in UTF-8 it is C3 A9 and reads fine. */
START_TEST(test_dataset_open_not_utf8)
{
    mg_dataset *ds;

    expect_error("a,caf\xe9\n1,2\n", NULL, MG_EPARSE,
                 "t.csv:1:3: byte 0xE9 at offset 3 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    expect_error("a,b\n1,x\n2,y\n3,\"Z\xfcrich\"\n", NULL, MG_EPARSE,
                 "t.csv:4:3: byte 0xFC at offset 1 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    /* overlong '/' (C0 AF), a surrogate (ED A0 80), above U+10FFFF (F4 90 80 80), cut short */
    expect_error("a\n\xc0\xaf\n", NULL, MG_EPARSE,
                 "t.csv:2:1: byte 0xC0 at offset 0 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    expect_error("a\nok\nx\xed\xa0\x80\n", NULL, MG_EPARSE,
                 "t.csv:3:1: byte 0xED at offset 1 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    expect_error("a\n\xf4\x90\x80\x80\n", NULL, MG_EPARSE,
                 "t.csv:2:1: byte 0xF4 at offset 0 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    expect_error("a\nab\xe2\x82\n", NULL, MG_EPARSE,
                 "t.csv:2:1: byte 0xE2 at offset 2 of the field is not UTF-8"
                 " (convert the file, e.g. iconv -f latin1 -t utf-8)");
    /* well-formed: 2, 3 and 4 byte sequences at the edges of their ranges */
    ds = open_text("caf\xc3\xa9,b\n\xe2\x82\xac,\xf0\x9f\x98\x80\n\xed\x9f\xbf,\xf4\x8f\xbf\xbf\n",
                   NULL);
    ck_assert_str_eq(mg_dataset_col_name(ds, 0), "caf\xc3\xa9");
    ck_assert_uint_eq(mg_dataset_col_levels(ds, 1), 2);
    ck_assert_str_eq(mg_dataset_col_level(ds, 0, 0), "\xe2\x82\xac");
    mg_dataset_close(ds);
}
END_TEST

/* strtod flags underflow with ERANGE, but a subnormal is still the correctly rounded value
 * and a number that rounds to 0 is 0 (pandas reads both); overflow stays text. */
START_TEST(test_dataset_tiny_numbers)
{
    mg_dataset *ds = open_text("a,b\n4.9e-324,1e-400\n1e-310,2\n", NULL);

    ck_assert_int_eq(mg_dataset_col_type(ds, 0), MG_COL_NUMERIC);
    ck_assert_int_eq(mg_dataset_col_type(ds, 1), MG_COL_NUMERIC);
    ck_assert_double_eq(mg_dataset_col_numeric(ds, 0)[0], 4.9406564584124654e-324);
    ck_assert_double_eq(mg_dataset_col_numeric(ds, 0)[1], 1e-310);
    ck_assert_double_eq(mg_dataset_col_numeric(ds, 1)[0], 0.0);
    mg_dataset_close(ds);
    ds = open_text("a\n1\n1e400\n", NULL);
    ck_assert_int_eq(mg_dataset_col_type(ds, 0), MG_COL_CATEGORICAL);
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_open_empty_file)
{
    expect_error("", NULL, MG_EPARSE, "t.csv:1:1: empty file (expected a header row)");
    expect_error("\n\n", NULL, MG_EPARSE, "t.csv:1:1: empty file (expected a header row)");
}
END_TEST

START_TEST(test_dataset_open_duplicate_header)
{
    expect_error("a,b,a\n1,2,3\n", NULL, MG_EPARSE,
                 "t.csv:1:5: duplicate column name 'a' (also column 1)");
    expect_error("a,,c\n1,2,3\n", NULL, MG_EPARSE, "t.csv:1:3: empty column name in the header");
}
END_TEST

START_TEST(test_dataset_open_bad_schema)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    o.schema = "zz:numeric";
    expect_error("a\n1\n", &o, MG_EINVAL, "schema: no column 'zz' in t.csv");
    o.schema = "a:text";
    expect_error("a\n1\n", &o, MG_EINVAL,
                 "schema: column 'a': unknown type 'text' (numeric or categorical)");
    o.schema = "a";
    expect_error("a\n1\n", &o, MG_EINVAL, "schema: 'a' is not COLUMN:TYPE");
}
END_TEST

START_TEST(test_dataset_open_limits_and_files)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_dataset *ds = NULL;
    char *path = tu_path("missing.csv");

    o.max_rows = 2;
    expect_error("a\n1\n2\n3\n", &o, MG_ETOOBIG, "t.csv:4: more than 2 rows");
    ck_assert_int_eq(mg_dataset_open(&ds, path, NULL), MG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "missing.csv"));
    /* a quoted field with the delimiter and a line break stays one value */
    tu_write(path, "name,n\r\n\"Smith, J\",1\r\n\"two\nlines\",2\r\n");
    ck_assert_int_eq(mg_dataset_open(&ds, path, NULL), MG_OK);
    ck_assert_str_eq(mg_dataset_col_level(ds, 0, 0), "Smith, J");
    ck_assert_str_eq(mg_dataset_col_level(ds, 0, 1), "two\nlines");
    ck_assert_str_eq(mg_dataset_name(ds), path);
    mg_dataset_close(ds);
    free(path);
}
END_TEST

START_TEST(test_dataset_sha256_of_bytes)
{
    /* the data set's hash equals a one-shot hash of the same bytes */
    const char *text = "\xEF\xBB\xBFx,y\n1,a\n";
    unsigned char d[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    mg_dataset *ds = open_text(text, NULL);

    mg_sha256_digest(d, text, strlen(text));
    mg_sha256_hex(hex, d);
    ck_assert_str_eq(mg_dataset_sha256(ds), hex);
    ck_assert_str_eq(mg_dataset_col_name(ds, 0), "x"); /* BOM not in the name */
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_subset_rows)
{
    mg_dataset *ds = open_text("a,b\n1,x\n?,y\n3,?\n", NULL), *sub;
    size_t rows[] = {2, 0};
    size_t bad[] = {3};

    ck_assert_int_eq(mg_dataset_subset(&sub, ds, rows, 2), MG_OK);
    ck_assert_uint_eq(mg_dataset_rows(sub), 2);
    ck_assert_double_eq(mg_dataset_col_numeric(sub, 0)[0], 3.0);
    ck_assert_double_eq(mg_dataset_col_numeric(sub, 0)[1], 1.0);
    ck_assert_int_eq(mg_dataset_col_codes(sub, 1)[0], -1);
    ck_assert_int_eq(mg_dataset_col_codes(sub, 1)[1], 0);
    ck_assert_uint_eq(mg_dataset_col_missing(sub, 0), 0);
    ck_assert_uint_eq(mg_dataset_col_missing(sub, 1), 1);
    ck_assert_uint_eq(mg_dataset_col_levels(sub, 1), 2); /* levels kept whole */
    ck_assert_int_eq(mg_dataset_col_find(sub, "b"), 1);
    ck_assert_str_eq(mg_dataset_sha256(sub), mg_dataset_sha256(ds));
    mg_dataset_close(sub);
    ck_assert_int_eq(mg_dataset_subset(&sub, ds, bad, 1), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "t.csv: row 3 out of range (3 rows)");
    mg_dataset_close(ds);
}
END_TEST

START_TEST(test_dataset_adult)
{
    TU_REQUIRE_SHARED(path, "data/adult/adult_train.csv");
    mg_dataset *ds;
    /* ../shared/data/adult/README.md: 32561 rows, these 6 numeric columns,
     * workclass 1836 / occupation 1843 / native-country 583 missing ('?'),
     * income 7841 '>50K' and 24720 '<=50K', and the file's sha256 */
    const char *numeric[] = {"age",          "fnlwgt",       "education-num",
                             "capital-gain", "capital-loss", "hours-per-week"};
    size_t nnum = 0, pos = 0;
    long income, wc;

    ck_assert_int_eq(mg_dataset_open(&ds, path, NULL), MG_OK);
    ck_assert_uint_eq(mg_dataset_rows(ds), 32561);
    ck_assert_uint_eq(mg_dataset_cols(ds), 15);
    for (size_t c = 0; c < 15; c++)
        nnum += mg_dataset_col_type(ds, c) == MG_COL_NUMERIC;
    ck_assert_uint_eq(nnum, 6);
    for (size_t k = 0; k < 6; k++)
        ck_assert_int_eq(mg_dataset_col_type(ds, (size_t)mg_dataset_col_find(ds, numeric[k])),
                         MG_COL_NUMERIC);
    wc = mg_dataset_col_find(ds, "workclass");
    ck_assert_uint_eq(mg_dataset_col_missing(ds, (size_t)wc), 1836);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, (size_t)mg_dataset_col_find(ds, "occupation")),
                      1843);
    ck_assert_uint_eq(mg_dataset_col_missing(ds, (size_t)mg_dataset_col_find(ds, "native-country")),
                      583);
    income = mg_dataset_col_find(ds, "income");
    ck_assert_uint_eq(mg_dataset_col_levels(ds, (size_t)income), 2);
    for (size_t r = 0; r < 32561; r++)
        pos += mg_dataset_col_codes(ds, (size_t)income)[r] ==
               mg_dataset_col_level_find(ds, (size_t)income, ">50K");
    ck_assert_uint_eq(pos, 7841);
    /* first row: 39,State-gov,... */
    ck_assert_double_eq(mg_dataset_col_numeric(ds, 0)[0], 39.0);
    ck_assert_str_eq(mg_dataset_col_level(ds, (size_t)wc, 0), "State-gov");
    ck_assert_str_eq(mg_dataset_sha256(ds),
                     "f2c62076f19504d99a38b22badf445a7f42530ade6b827acf78dd143fbce38bb");
    mg_dataset_close(ds);
}
END_TEST

/* Every row 0..n-1 in exactly one part, and each part ascending. */
static void check_partition(const mg_split *s, size_t n)
{
    char *seen = calloc(n, 1);
    const size_t *parts[3] = {s->train, s->valid, s->test};
    size_t counts[3] = {s->ntrain, s->nvalid, s->ntest};

    ck_assert_uint_eq(s->ntrain + s->nvalid + s->ntest, n);
    for (int p = 0; p < 3; p++)
        for (size_t k = 0; k < counts[p]; k++) {
            ck_assert_uint_lt(parts[p][k], n);
            ck_assert(!seen[parts[p][k]]);
            seen[parts[p][k]] = 1;
            if (k)
                ck_assert_uint_lt(parts[p][k - 1], parts[p][k]);
        }
    free(seen);
}

START_TEST(test_dataset_split_deterministic)
{
    mg_split a, b, c;

    /* 1000 rows: test 0.2 -> 200, valid 0.1 -> 100, train the other 700 */
    ck_assert_int_eq(mg_split_make(&a, 1000, 0.1, 0.2, 7, NULL), MG_OK);
    ck_assert_uint_eq(a.ntest, 200);
    ck_assert_uint_eq(a.nvalid, 100);
    ck_assert_uint_eq(a.ntrain, 700);
    check_partition(&a, 1000);
    ck_assert_int_eq(mg_split_make(&b, 1000, 0.1, 0.2, 7, NULL), MG_OK);
    ck_assert_int_eq(memcmp(a.test, b.test, 200 * sizeof *a.test), 0);
    ck_assert_int_eq(memcmp(a.valid, b.valid, 100 * sizeof *a.valid), 0);
    ck_assert_int_eq(mg_split_make(&c, 1000, 0.1, 0.2, 8, NULL), MG_OK);
    ck_assert_int_ne(memcmp(a.test, c.test, 200 * sizeof *a.test), 0);
    mg_split_free(&a);
    mg_split_free(&b);
    mg_split_free(&c);
    mg_split_free(NULL);
    ck_assert_int_eq(mg_split_make(&a, 10, 0.5, 0.5, 1, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_split_make(&a, 10, -0.1, 0.2, 1, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_split_make(&a, 10, 0.0, NAN, 1, NULL), MG_EINVAL);
}
END_TEST

START_TEST(test_dataset_split_stratified)
{
    /* 890 rows of class 0, 100 of class 1, 10 unlabelled (-1), interleaved.
     * test 0.2 per class: 178 + 20 + 2 = 200; valid 0.1: 89 + 10 + 1 = 100. */
    int32_t strata[1000];
    size_t cls[3] = {0, 0, 0};
    mg_split s;

    for (int i = 0; i < 1000; i++)
        strata[i] = i % 100 == 0 ? -1 : i % 10 == 1 ? 1 : 0;
    ck_assert_int_eq(mg_split_make(&s, 1000, 0.1, 0.2, 3, strata), MG_OK);
    check_partition(&s, 1000);
    for (size_t k = 0; k < s.ntest; k++)
        cls[strata[s.test[k]] + 1]++;
    ck_assert_uint_eq(cls[0], 2);
    ck_assert_uint_eq(cls[1], 178);
    ck_assert_uint_eq(cls[2], 20);
    ck_assert_uint_eq(s.nvalid, 100);
    mg_split_free(&s);
    /* large stratum codes take the sorting path and give the same shares */
    for (int i = 0; i < 1000; i++)
        strata[i] = strata[i] == 1 ? 2000000000 : strata[i];
    ck_assert_int_eq(mg_split_make(&s, 1000, 0.1, 0.2, 3, strata), MG_OK);
    check_partition(&s, 1000);
    memset(cls, 0, sizeof cls);
    for (size_t k = 0; k < s.ntest; k++)
        cls[strata[s.test[k]] < 0 ? 0 : strata[s.test[k]] == 0 ? 1 : 2]++;
    ck_assert_uint_eq(cls[0], 2);
    ck_assert_uint_eq(cls[1], 178);
    ck_assert_uint_eq(cls[2], 20);
    mg_split_free(&s);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("core_dataset");
    TCase *tc = tcase_create("dataset");
    tcase_add_test(tc, test_dataset_infer_types);
    tcase_add_test(tc, test_dataset_late_text_keeps_spellings);
    tcase_add_test(tc, test_dataset_missing_tokens);
    tcase_add_test(tc, test_dataset_schema_override);
    tcase_add_test(tc, test_dataset_open_ragged_row);
    tcase_add_test(tc, test_dataset_open_not_a_number);
    tcase_add_test(tc, test_dataset_open_not_utf8);
    tcase_add_test(tc, test_dataset_tiny_numbers);
    tcase_add_test(tc, test_dataset_open_empty_file);
    tcase_add_test(tc, test_dataset_open_duplicate_header);
    tcase_add_test(tc, test_dataset_open_bad_schema);
    tcase_add_test(tc, test_dataset_open_limits_and_files);
    tcase_add_test(tc, test_dataset_sha256_of_bytes);
    tcase_add_test(tc, test_dataset_subset_rows);
    tcase_add_test(tc, test_dataset_adult);
    tcase_add_test(tc, test_dataset_split_deterministic);
    tcase_add_test(tc, test_dataset_split_stratified);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dataset_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
