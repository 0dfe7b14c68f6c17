/* test_cli.c - the binary: help, exit codes, messages, and the credit generator. */
#include "mg_core.h"
#include "testutil.h"
#include "cli.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_cli_version_and_help)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(tu_run(&out, &err, "--version"), 0);
    ck_assert_ptr_nonnull(strstr(out, "modelgov "));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "help"), 0);
    for (const cli_command *c = cli_commands; c->name; c++)
        ck_assert_msg(strstr(out, c->name), "help does not list %s", c->name);
    free(out);
    free(err);
}
END_TEST

/* Every command of DESIGN §3 answers --help with its usage and exit 0. */
START_TEST(test_cli_every_command_has_help)
{
    for (const cli_command *c = cli_commands; c->name; c++) {
        char *out = NULL, *err = NULL;
        ck_assert_int_eq(tu_run(&out, &err, "%s --help", c->name), 0);
        ck_assert_msg(strstr(out, "usage: modelgov ") != NULL, "%s --help: %s", c->name, out);
        ck_assert_ptr_nonnull(strstr(out, c->name));
        free(out);
        free(err);
    }
}
END_TEST

START_TEST(test_cli_unknown_command_exit_1)
{
    char *err = NULL;
    ck_assert_int_eq(tu_run(NULL, &err, "frobnicate"), 1);
    ck_assert_str_eq(err, "modelgov: unknown command 'frobnicate' (see 'modelgov help')\n");
    free(err);
}
END_TEST

START_TEST(test_cli_unknown_flag_names_it)
{
    char *err = NULL;
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --rowz 10"), 1);
    ck_assert_str_eq(err, "modelgov: unknown flag --rowz (see 'modelgov gen-data --help')\n");
    free(err);
}
END_TEST

/* A bad --trusted-key is a usage error, not a failed verification of the store or bundle. */
START_TEST(test_cli_verify_bad_trusted_key)
{
    const char *dir = tu_tmpdir();
    char *err = NULL;

    ck_assert_int_eq(tu_run(NULL, &err, "init --store %s/s", dir), 0);
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "verify --store %s/s --trusted-key xyz", dir), 1);
    ck_assert_ptr_nonnull(strstr(err, "modelgov: trusted key 'xyz': neither a key id"));
    ck_assert_ptr_null(strstr(err, "verification failed"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "verify --store %s/s --trusted-key %064d", dir, 0), 1);
    ck_assert_ptr_nonnull(strstr(err, "verification failed: log entry 0: founds the log with key"));
    free(err);
    /* a table dropped behind the store's back: where checking stopped, and why */
    ck_assert_int_eq(tu_run(NULL, NULL, "init --store %s/d", dir), 0);
    ck_assert_int_eq(tu_sh("/usr/bin/python3 -c \"import sqlite3; sqlite3.connect("
                                "'%s/d/modelgov.db').execute('DROP TABLE comments')\"",
                                dir),
                     0);
    ck_assert_int_eq(tu_run(NULL, &err, "verify --store %s/d", dir), 2);
    ck_assert_msg(strstr(err, "/d: verification stopped: ") &&
                      strstr(err, "no such table: comments"),
                  "%s", err);
    free(err);
}
END_TEST

/*
 * A bundle or store that is not there, or cannot be read, was never verified: just the error,
 * one line, no "verification failed".
 */
START_TEST(test_cli_verify_missing_input)
{
    const char *dir = tu_tmpdir();
    char *err = NULL, want[1024], *junk = tu_path("junk.tar");

    ck_assert_int_eq(tu_run(NULL, &err, "verify --bundle %s/none.tar", dir), 1);
    snprintf(want, sizeof want, "modelgov: %s/none.tar: No such file or directory\n", dir);
    ck_assert_str_eq(err, want);
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "verify --store %s/none", dir), 1);
    snprintf(want, sizeof want, "modelgov: %s/none is not a modelgov store (no modelgov.db)\n",
             dir);
    ck_assert_str_eq(err, want);
    free(err);
    /* a folder given as the bundle: it cannot be read as a file (an I/O error, exit 2) */
    ck_assert_int_eq(tu_run(NULL, &err, "verify --bundle %s", dir), 2);
    ck_assert_ptr_null(strstr(err, "verification failed"));
    ck_assert_ptr_nonnull(strstr(err, dir));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    free(err);
    /* bytes that are not a tar archive did get checked: that is a failed verification */
    tu_write(junk, "not a tar archive");
    ck_assert_int_eq(tu_run(NULL, &err, "verify --bundle %s", junk), 1);
    ck_assert_ptr_nonnull(strstr(err, "modelgov: verification failed: "));
    free(err);
    free(junk);
}
END_TEST

START_TEST(test_cli_bad_number_names_flag)
{
    char *err = NULL;
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --rows ten"), 1);
    ck_assert_str_eq(err, "modelgov: --rows: 'ten' is not a non-negative integer\n");
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --rows -5"), 1);
    ck_assert_str_eq(err, "modelgov: --rows: '-5' is not a non-negative integer\n");
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --gap 0.9"), 1);
    ck_assert_ptr_nonnull(strstr(err, "--gap"));
    free(err);
}
END_TEST

START_TEST(test_cli_missing_value_and_repeat)
{
    char *err = NULL;
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --rows"), 1);
    ck_assert_str_eq(err, "modelgov: --rows: missing value N\n");
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --seed 1 --seed 2"), 1);
    ck_assert_str_eq(err, "modelgov: --seed given twice\n");
    free(err);
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data loans"), 1);
    ck_assert_ptr_nonnull(strstr(err, "expected the data set name 'credit'"));
    free(err);
}
END_TEST

START_TEST(test_cli_gen_data_deterministic)
{
    char *a = tu_path("a.csv"), *b = tu_path("b.csv"), *c = tu_path("c.csv");
    char ha[MG_SHA256_HEX], hb[MG_SHA256_HEX], hc[MG_SHA256_HEX];

    ck_assert_int_eq(tu_run(NULL, NULL, "gen-data credit --rows 5000 --seed 7 --out '%s'", a), 0);
    ck_assert_int_eq(tu_run(NULL, NULL, "gen-data credit --rows 5000 --seed 7 --out '%s'", b), 0);
    ck_assert_int_eq(tu_run(NULL, NULL, "gen-data credit --rows 5000 --seed 8 --out '%s'", c), 0);
    ck_assert_int_eq(mg_sha256_file(ha, a), MG_OK);
    ck_assert_int_eq(mg_sha256_file(hb, b), MG_OK);
    ck_assert_int_eq(mg_sha256_file(hc, c), MG_OK);
    ck_assert_str_eq(ha, hb);
    ck_assert_str_ne(ha, hc);
    free(a);
    free(b);
    free(c);
}
END_TEST

/*
 * The documented rates, computed back from the file: P(approved | Male) =
 * 0.60, P(approved | Female) = 0.45, women 45% of rows, income 2% and
 * employment 1% missing. With 200000 rows each rate's standard error is
 * below 0.0016, so 0.01 is more than 6 standard errors.
 */
START_TEST(test_cli_gen_data_group_rates)
{
    char *path = tu_path("rates.csv");
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n, rows = 0, women = 0, yes[2] = {0, 0}, count[2] = {0, 0}, no_income = 0,
              no_employment = 0;
    int rc;

    ck_assert_int_eq(
        tu_run(NULL, NULL, "gen-data credit --rows 200000 --seed 3 --out '%s'", path), 0);
    ck_assert_int_eq(mg_csv_reader_open(&r, path, NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    ck_assert_uint_eq(n, 12);
    ck_assert_str_eq(f[1].ptr, "gender");
    ck_assert_str_eq(f[11].ptr, "approved");
    while ((rc = mg_csv_reader_next(r, &f, &n)) == 1) {
        int female = strcmp(f[1].ptr, "Female") == 0;
        ck_assert_uint_eq(n, 12);
        ck_assert(female || strcmp(f[1].ptr, "Male") == 0);
        rows++;
        women += (size_t)female;
        count[female]++;
        yes[female] += strcmp(f[11].ptr, "yes") == 0;
        no_income += f[5].len == 0;
        no_employment += f[4].len == 0;
    }
    ck_assert_int_eq(rc, 0);
    mg_csv_reader_close(r);
    ck_assert_uint_eq(rows, 200000);
    ck_assert_double_eq_tol((double)women / (double)rows, 0.45, 0.01);
    ck_assert_double_eq_tol((double)yes[0] / (double)count[0], 0.60, 0.01);
    ck_assert_double_eq_tol((double)yes[1] / (double)count[1], 0.45, 0.01);
    ck_assert_double_eq_tol((double)no_income / (double)rows, 0.02, 0.002);
    ck_assert_double_eq_tol((double)no_employment / (double)rows, 0.01, 0.002);
    free(path);
}
END_TEST

/* --gap 0 removes the gap: both groups approved at 0.60. */
START_TEST(test_cli_gen_data_gap_flag)
{
    char *path = tu_path("nogap.csv");
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t n, yes[2] = {0, 0}, count[2] = {0, 0};

    ck_assert_int_eq(
        tu_run(NULL, NULL, "gen-data credit --rows 100000 --seed 4 --gap 0 --out '%s'", path),
        0);
    ck_assert_int_eq(mg_csv_reader_open(&r, path, NULL), MG_OK);
    ck_assert_int_eq(mg_csv_reader_next(r, &f, &n), 1);
    while (mg_csv_reader_next(r, &f, &n) == 1) {
        int female = strcmp(f[1].ptr, "Female") == 0;
        count[female]++;
        yes[female] += strcmp(f[11].ptr, "yes") == 0;
    }
    mg_csv_reader_close(r);
    ck_assert_double_eq_tol((double)yes[0] / (double)count[0], 0.60, 0.012);
    ck_assert_double_eq_tol((double)yes[1] / (double)count[1], 0.60, 0.012);
    free(path);
}
END_TEST

START_TEST(test_cli_gen_data_unwritable_out)
{
    char *err = NULL;
    ck_assert_int_eq(tu_run(NULL, &err, "gen-data credit --rows 5 --out /nonexistent/dir/x.csv"),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "--out /nonexistent/dir/x.csv"));
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("binary");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_version_and_help);
    tcase_add_test(tc, test_cli_every_command_has_help);
    tcase_add_test(tc, test_cli_unknown_command_exit_1);
    tcase_add_test(tc, test_cli_unknown_flag_names_it);
    tcase_add_test(tc, test_cli_bad_number_names_flag);
    tcase_add_test(tc, test_cli_verify_bad_trusted_key);
    tcase_add_test(tc, test_cli_verify_missing_input);
    tcase_add_test(tc, test_cli_missing_value_and_repeat);
    tcase_add_test(tc, test_cli_gen_data_deterministic);
    tcase_add_test(tc, test_cli_gen_data_group_rates);
    tcase_add_test(tc, test_cli_gen_data_gap_flag);
    tcase_add_test(tc, test_cli_gen_data_unwritable_out);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
