/* test_privacy_noise.c - DP-SGD's Gaussian sampler: its law, its secure and seeded sources. */
#define _POSIX_C_SOURCE 200809L
#include "mg_error.h"
#include "noise.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAWS 2000000

/* The standard normal CDF. */
static double phi(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Kolmogorov-Smirnov distance of z[0..n) (sorted in place) to N(0, 1):
 * max over i of |F_n - Phi| on both sides of each step.
 */
static double ks_distance(double *z, size_t n)
{
    double d = 0;
    qsort(z, n, sizeof *z, cmp_double);
    for (size_t i = 0; i < n; i++) {
        double f = phi(z[i]);
        d = fmax(d, fmax(fabs((double)(i + 1) / (double)n - f), fabs(f - (double)i / (double)n)));
    }
    return d;
}

/* Pearson's chi-square of z[0..n) in BINS cells of equal N(0, 1) probability. */
#define BINS 100
static double chi_square(const double *z, size_t n)
{
    double count[BINS] = {0}, e = (double)n / BINS, x2 = 0;
    for (size_t i = 0; i < n; i++) {
        int b = (int)(phi(z[i]) * BINS);
        count[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
    }
    for (int b = 0; b < BINS; b++)
        x2 += (count[b] - e) * (count[b] - e) / e;
    return x2;
}

/*
 * The bounds, worked by hand for n = 2e6. KS: P(sqrt(n) D > x) <=
 * 2 exp(-2 x^2), which is 1e-9 at x = sqrt(ln(2e9) / 2) = 3.27, so D <=
 * 3.27 / sqrt(2e6) = 0.00231. Chi-square with 99 degrees of freedom: mean
 * 99, sd sqrt(198) = 14.1; 99 + 6 sd = 183.4. The tail beyond the
 * ziggurat's base R = 3.6541: expected count n erfc(R / sqrt 2) = 2e6 *
 * 2.58e-4 = 516, Poisson sd 22.7; within 6 sd. Mean within 6 / sqrt(n) =
 * 0.00424, variance within 6 sqrt(2 / n) = 0.0060. (Accepting every point
 * of the ziggurat's wedges, about 0.7% of the mass misplaced, fails the
 * chi-square.)
 */
static void check_normal(double *z, size_t n, const char *what)
{
    double mean = 0, var = 0, tail = 0, R = 3.6541528853610088;
    for (size_t i = 0; i < n; i++) {
        mean += z[i];
        tail += fabs(z[i]) > R;
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (z[i] - mean) * (z[i] - mean);
    var /= (double)(n - 1);
    double et = (double)n * erfc(R / sqrt(2.0)), x2 = chi_square(z, n), d = ks_distance(z, n);
    ck_assert_msg(fabs(mean) < 0.00424, "%s: mean %g", what, mean);
    ck_assert_msg(fabs(var - 1) < 0.0060, "%s: variance %g", what, var);
    ck_assert_msg(fabs(tail - et) < 6 * sqrt(et), "%s: %g beyond R, expected %g", what, tail, et);
    ck_assert_msg(x2 < 183.4, "%s: chi-square %g (99 df)", what, x2);
    ck_assert_msg(d < 0.00231, "%s: KS distance %g", what, d);
}

/* Single ziggurat draws, secure layout (AES-CTR keystream) and seeded layout. */
START_TEST(test_noise_single_draws_are_normal)
{
    double *z = malloc(DRAWS * sizeof *z);
    noise_source *s = malloc(sizeof *s);
    for (int secure = 0; secure < 2; secure++) {
        noise_source_init(s, secure, 77, 3);
        ck_assert_int_eq(noise_gaussians(z, DRAWS, s), MG_OK);
        check_normal(z, DRAWS, secure ? "secure draws" : "seeded draws");
        noise_source_free(s);
    }
    free(s);
    free(z);
}
END_TEST

/*
 * DP-SGD's noise: the secure source adds (z0 + z1 + z2 + z3) / 2, again
 * N(0, 1) at std 1; with std 3 on top of 5 the values are 5 + 3 N(0, 1).
 * Vectors of odd lengths cross the block and chunk edges.
 */
START_TEST(test_noise_sums_are_normal)
{
    double *z = malloc(DRAWS * sizeof *z);
    noise_source *s = malloc(sizeof *s);
    for (int secure = 0; secure < 2; secure++) {
        noise_source_init(s, secure, 5, 1);
        for (size_t i = 0; i < DRAWS; i++)
            z[i] = 5;
        for (size_t done = 0, len = 1; done < DRAWS; done += len, len = len * 3 + 1) {
            if (len > DRAWS - done)
                len = DRAWS - done;
            ck_assert_int_eq(noise_add_gaussian(z + done, len, 3.0, s), MG_OK);
        }
        for (size_t i = 0; i < DRAWS; i++)
            z[i] = (z[i] - 5) / 3;
        check_normal(z, DRAWS, secure ? "secure noise" : "seeded noise");
        noise_source_free(s);
    }
    free(s);
    free(z);
}
END_TEST

/* n values of noise from a fresh source. */
static void draw(double *z, size_t n, int secure, uint64_t seed)
{
    noise_source *s = malloc(sizeof *s);
    noise_source_init(s, secure, seed, 1);
    memset(z, 0, n * sizeof *z);
    ck_assert_int_eq(noise_add_gaussian(z, n, 1.0, s), MG_OK);
    noise_source_free(s);
    free(s);
}

/* How many of the n positions hold the same value in a and b. */
static size_t same_values(const double *a, const double *b, size_t n)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += a[i] == b[i];
    return same;
}

/* Read len bytes from fd (a pipe delivers them in pieces); the count read. */
static size_t read_all(int fd, void *buf, size_t len)
{
    size_t got = 0;
    for (ssize_t r; got < len && (r = read(fd, (char *)buf + got, len - got)) > 0;)
        got += (size_t)r;
    return got;
}

/*
 * Seeded sources repeat exactly; secure ones never share a value (two fresh
 * sources; a source and its copy in a forked child, which must drop the
 * parent's unused words rather than hand them out again): values of a
 * continuous law agree only when their bits come from the same words, so
 * a single equal position among 20000 is a fault.
 */
START_TEST(test_noise_secure_not_reproducible)
{
    const size_t n = 20000;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), ua, ub = 0;
    noise_source *s = malloc(sizeof *s);
    int fd[2], status;

    draw(a, n, 0, 42);
    draw(b, n, 0, 42);
    ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
    draw(b, n, 0, 43);
    ck_assert_uint_eq(same_values(a, b, n), 0);

    draw(a, n, 1, 42);
    draw(b, n, 1, 42);
    ck_assert_uint_eq(same_values(a, b, n), 0);

    /* keyed, its block partly used: parent and child then draw a uniform and n values each */
    noise_source_init(s, 1, 0, 1);
    memset(a, 0, n * sizeof *a);
    ck_assert_int_eq(noise_add_gaussian(a, 10, 1.0, s), MG_OK);
    ck_assert_int_eq(pipe(fd), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        memset(b, 0, n * sizeof *b);
        int ok = noise_uniform(&ub, s) == MG_OK && noise_add_gaussian(b, n, 1.0, s) == MG_OK &&
                 write(fd[1], &ub, sizeof ub) == (ssize_t)sizeof ub &&
                 write(fd[1], b, n * sizeof *b) == (ssize_t)(n * sizeof *b);
        _exit(ok ? 0 : 1);
    }
    close(fd[1]);
    memset(a, 0, n * sizeof *a);
    ck_assert_int_eq(noise_uniform(&ua, s), MG_OK);
    ck_assert_int_eq(noise_add_gaussian(a, n, 1.0, s), MG_OK);
    ck_assert_uint_eq(read_all(fd[0], &ub, sizeof ub), sizeof ub);
    size_t got = read_all(fd[0], b, n * sizeof *b);
    close(fd[0]);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_eq(got, n * sizeof *b);
    ck_assert(ua != ub);
    ck_assert_uint_eq(same_values(a, b, n), 0);
    noise_source_free(s);
    free(s);
    free(a);
    free(b);
}
END_TEST

/*
 * A stream gives the vectors a single source gives, in order, whether it
 * draws on a worker thread or in the caller's (seeded, so comparable).
 */
static void stream_matches_source(noise_thread thread)
{
    const size_t n = 40000; /* over the threading threshold */
    double *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    noise_source *s = malloc(sizeof *s);
    noise_stream *st;

    ck_assert_int_eq(noise_stream_start(&st, 0, 9, 1, n, 2.0, thread), MG_OK);
    ck_assert_int_eq(noise_stream_threaded(st), thread == NOISE_THREAD_ALWAYS);
    noise_source_init(s, 0, 9, 1);
    for (int step = 0; step < 3; step++) {
        memset(a, 0, n * sizeof *a);
        memset(b, 0, n * sizeof *b);
        ck_assert_int_eq(noise_stream_add(st, a), MG_OK);
        ck_assert_int_eq(noise_add_gaussian(b, n, 2.0, s), MG_OK);
        ck_assert_int_eq(memcmp(a, b, n * sizeof *a), 0);
    }
    noise_stream_stop(st);
    noise_source_free(s);
    free(s);
    free(a);
    free(b);
}

START_TEST(test_noise_stream_matches_source)
{
    stream_matches_source(NOISE_THREAD_ALWAYS);
    stream_matches_source(NOISE_THREAD_NEVER);
}
END_TEST

/*
 * Secure noise from the worker thread has the stated scale: 4 vectors of
 * 40000 values of N(0, 1.5^2). The sample variance of m = 160000 normals has
 * a relative standard deviation of sqrt(2 / m) = 0.35%, the mean a standard
 * deviation of 1.5 / sqrt(m) = 0.0038: bounds of 2% and 0.03 are over five
 * of those, and a wrong factor (a missing halving of the four-sum, std
 * instead of std^2) would be far outside them.
 */
START_TEST(test_noise_stream_secure_scale)
{
    const size_t n = 40000;
    double *x = malloc(n * sizeof *x), sum = 0, sumsq = 0;
    noise_stream *st;

    ck_assert_int_eq(noise_stream_start(&st, 1, 0, 0, n, 1.5, NOISE_THREAD_ALWAYS), MG_OK);
    ck_assert(noise_stream_threaded(st));
    for (int step = 0; step < 4; step++) {
        memset(x, 0, n * sizeof *x);
        ck_assert_int_eq(noise_stream_add(st, x), MG_OK);
        for (size_t i = 0; i < n; i++) {
            sum += x[i];
            sumsq += x[i] * x[i];
        }
    }
    noise_stream_stop(st);
    double m = 4.0 * (double)n, mean = sum / m, var = sumsq / m - mean * mean;
    ck_assert_double_lt(fabs(mean), 0.03);
    ck_assert_double_lt(fabs(var / 2.25 - 1), 0.02);
    free(x);
}
END_TEST

/*
 * fork() copies only the calling thread: a child of a process whose stream
 * draws on a worker must neither wait for the worker (it would hang) nor add
 * the vector the parent drew (the parent adds it too: the same noise twice).
 * The parent forks right after a step, while its worker makes the next
 * vector; the child takes two steps under a watchdog, and its vector shares
 * no value with the parent's next one and has the right scale.
 */
START_TEST(test_noise_stream_fork)
{
    const size_t n = 40000;
    double *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    noise_stream *st;
    int fd[2], status;

    ck_assert_int_eq(noise_stream_start(&st, 1, 0, 0, n, 2.0, NOISE_THREAD_ALWAYS), MG_OK);
    ck_assert_int_eq(noise_stream_add(st, a), MG_OK);
    ck_assert_int_eq(pipe(fd), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        double sumsq = 0;
        alarm(20);
        memset(b, 0, n * sizeof *b);
        int ok = noise_stream_add(st, b) == MG_OK &&
                 write(fd[1], b, n * sizeof *b) == (ssize_t)(n * sizeof *b);
        for (size_t i = 0; i < n; i++)
            sumsq += b[i] * b[i];
        ok = ok && fabs(sumsq / (double)n / 4.0 - 1) < 0.05 && !noise_stream_threaded(st) &&
             noise_stream_add(st, b) == MG_OK;
        noise_stream_stop(st);
        _exit(ok ? 0 : 1);
    }
    close(fd[1]);
    memset(a, 0, n * sizeof *a);
    ck_assert_int_eq(noise_stream_add(st, a), MG_OK);
    ck_assert(noise_stream_threaded(st));
    ck_assert_uint_eq(read_all(fd[0], b, n * sizeof *b), n * sizeof *b);
    close(fd[0]);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    ck_assert_uint_eq(same_values(a, b, n), 0);
    noise_stream_stop(st);
    free(a);
    free(b);
}
END_TEST

static Suite *noise_suite(void)
{
    Suite *s = suite_create("privacy_noise");
    TCase *tc = tcase_create("noise");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_noise_single_draws_are_normal);
    tcase_add_test(tc, test_noise_sums_are_normal);
    tcase_add_test(tc, test_noise_secure_not_reproducible);
    tcase_add_test(tc, test_noise_stream_matches_source);
    tcase_add_test(tc, test_noise_stream_secure_scale);
    tcase_add_test(tc, test_noise_stream_fork);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(noise_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
