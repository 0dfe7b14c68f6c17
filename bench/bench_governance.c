/* bench_governance.c - durable signed appends/s, and `verify` over 1 M entries vs openssl speed. */
#define _POSIX_C_SOURCE 200809L
#include "mg_governance.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WRITERS 64             /* concurrent appenders for group commit */
#define TESSERA_APPENDS 2900.0 /* issue 8: Rekor v2 / Tessera, ~2900/s on a 12-core node */
#define TARGET_APPENDS 3000.0
#define TARGET_VERIFY_RATIO 0.8 /* of openssl's Ed25519 verify rate, per core used */

static const mg_actor bob = {"bob", MG_ROLE_REVIEWER};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_governance: %s: %s\n", what, mg_error_last());
    exit(1);
}

typedef struct writer {
    mg_store *s;
    long n;
} writer;

/* One durable signed append: a review comment (a version lookup, a row, a log entry). */
static void *append_n(void *p)
{
    writer *w = p;
    for (long i = 0; i < w->n; i++) {
        mg_gov_result r;
        if (mg_gov_version_comment(&r, w->s, &bob, "bench", 1, "looked at it") != MG_OK)
            die("append");
    }
    return NULL;
}

/* Appends per second with `threads` writers sharing the store, `total` appends in all. */
static double appends(mg_store *s, int threads, long total)
{
    pthread_t th[WRITERS];
    writer w[WRITERS];
    double t0 = now();

    for (int i = 0; i < threads; i++) {
        w[i] = (writer){s, total / threads + (i < total % threads)};
        pthread_create(&th[i], NULL, append_n, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    return (double)total / (now() - t0);
}

/* openssl speed's Ed25519 verifications per second on one core, or 0. */
static double openssl_verify_rate(void)
{
    FILE *p = popen("openssl speed -seconds 3 ed25519 2>/dev/null", "r");
    char line[512];
    double sign = 0, verify = 0;

    if (!p)
        return 0;
    while (fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "(Ed25519)");
        double a, b;
        if (at && sscanf(at + 9, " %*s %*s %lf %lf", &a, &b) == 2) {
            sign = a;
            verify = b;
        }
    }
    pclose(p);
    (void)sign;
    return verify;
}

static void row(const char *figure, const char *value, const char *peer, double ratio)
{
    char r[16] = "-";
    if (ratio > 0)
        snprintf(r, sizeof r, "%.2f", ratio);
    printf("%-50s %16s %30s %7s\n", figure, value, peer, r);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    const char *env_n = getenv("MG_BENCH_ENTRIES");
    long entries = env_n ? atol(env_n) : 1000000;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char dir[512], cmd[600], v[64], peer[64];
    double one, many, bulk, ossl;
    mg_store *s = NULL;
    mg_gov_result r;
    mg_gov_model m = {"bench", "bench team", NULL, NULL, "low", NULL};
    mg_gov_version ver = {0};
    mg_actor local;
    uint64_t size;

    snprintf(dir, sizeof dir, "%s/mgbench.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        die("mkdtemp");
    strcat(dir, "/store");
    mg_actor_local(&local);
    if (mg_store_init(&s, dir) < 0 || mg_gov_model_create(&r, s, &local, &m) < 0)
        die("setup");
    ver.artifact = "bench model";
    ver.artifact_len = 11;
    if (mg_gov_version_register(&r, s, &local, "bench", &ver) < 0)
        die("setup");

    printf("governance: durable signed appends (WAL, synchronous=FULL, Ed25519 per entry and per "
           "tree head) and offline verification; %ld CPUs\n",
           cpus);
    printf("%-50s %16s %30s %7s\n", "figure", "value", "peer", "ratio");
    one = appends(s, 1, 2000);
    snprintf(v, sizeof v, "%.0f /s", one);
    row("appends, 1 writer (a commit + fsync each)", v, "-", 0);
    many = appends(s, WRITERS, 40000);
    snprintf(v, sizeof v, "%.0f /s", many);
    snprintf(peer, sizeof peer, "%.0f /s (Tessera, quoted)", TESSERA_APPENDS);
    row("appends, 64 writers (group commit)", v, peer, many / TESSERA_APPENDS);
    snprintf(peer, sizeof peer, ">= %.0f /s (target)", TARGET_APPENDS);
    row("appends, 64 writers vs the target", v, peer, many / TARGET_APPENDS);

    /* fill the log up to `entries` with the same group-committed appends */
    if (mg_gov_log_size(&size, s) < 0)
        die("size");
    bulk = (long)size < entries ? appends(s, WRITERS, entries - (long)size) : many;
    if (mg_gov_log_size(&size, s) < 0)
        die("size");
    snprintf(v, sizeof v, "%.0f /s", bulk);
    snprintf(cmd, sizeof cmd, "appends, 64 writers, up to %llu entries", (unsigned long long)size);
    row(cmd, v, "-", 0);
    mg_store_close(s);

    ossl = openssl_verify_rate();
    snprintf(peer, sizeof peer, "%.0f /s/core (openssl speed)", ossl);
    for (int pass = 0; pass < 2; pass++) {
        unsigned threads = pass == 0 ? 1 : (unsigned)(cpus > 0 ? cpus : 1);
        mg_gov_verify_summary sum;
        double t0 = now(), c0 = cpu(), wall, cores, rate;
        if (mg_gov_verify_store(&sum, dir, threads, NULL) < 0)
            die("verify");
        wall = now() - t0;
        cores = (cpu() - c0) / wall;
        rate = (double)sum.entries / wall;
        snprintf(cmd, sizeof cmd, "verify %llu entries, %u sig thread%s: entries/s", (unsigned long long)sum.entries,
                 threads, threads == 1 ? "" : "s");
        snprintf(v, sizeof v, "%.0f /s", rate);
        row(cmd, v, "-", 0);
        snprintf(cmd, sizeof cmd, "  per core used (%.2f cores, %llu tree heads too)", cores,
                 (unsigned long long)sum.tree_heads);
        snprintf(v, sizeof v, "%.0f /s/core", rate / cores);
        row(cmd, v, peer, ossl > 0 ? rate / cores / ossl : 0);
    }
    /* An audit export scans the whole log before it signs (the record checks, the story, every
     * entry re-hashed against the signed tree head): a version with a short story, in it. */
    {
        mg_gov_version ver2 = {0};
        json_t *summary = NULL;
        char tar[600];
        double t0;

        ver2.artifact = "bench model 2";
        ver2.artifact_len = 13;
        snprintf(tar, sizeof tar, "%.*s/export.tar", (int)(strlen(dir) - 6), dir);
        if (mg_store_open(&s, dir) < 0 ||
            mg_gov_version_register(&r, s, &local, "bench", &ver2) < 0)
            die("export setup");
        t0 = now();
        if (mg_gov_audit_export(&summary, s, &local, "bench", 2, tar) < 0)
            die("export");
        snprintf(cmd, sizeof cmd, "audit export, a log of %llu entries",
                 (unsigned long long)size + 1);
        snprintf(v, sizeof v, "%.2f s", now() - t0);
        row(cmd, v, "-", 0);
        json_decref(summary);
        mg_store_close(s);
    }
    printf("targets: appends >= %.0f/s; verify >= %.1f of openssl's verify rate per core used\n",
           TARGET_APPENDS, TARGET_VERIFY_RATIO);
    if (getenv("MG_BENCH_KEEP")) { /* for a profiler: verify it again by hand */
        fprintf(stderr, "bench_governance: kept %s\n", dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 6), dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_governance: could not remove %s\n", dir);
    return 0;
}
