/* bench_bias.c - the pre-training bias report on 10 M rows: vs pandas and vs reading the CSV. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"

#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET_VS_PANDAS 10.0 /* issue 5: at least 10x a straightforward pandas script */
#define TARGET_VS_READ 2.0    /* and within 2x of the time to read the CSV */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Run argv with stdout to `out` (NULL: /dev/null); wall seconds and peak RSS in KiB. */
static int run(char *const argv[], const char *out, double *secs, long *maxrss_kb)
{
    struct rusage ru;
    double t0 = now();
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *secs = now() - t0;
    *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One pass of the core's CSV reader, hashing as the bias report does. */
static double read_pass(const char *path, size_t *records)
{
    mg_csv_reader *r;
    const mg_csv_field *f;
    size_t nf;
    double t0 = now();
    int rc;

    *records = 0;
    if (mg_csv_reader_open(&r, path, NULL) < 0)
        return -1;
    while ((rc = mg_csv_reader_next(r, &f, &nf)) > 0)
        (*records)++;
    mg_csv_reader_close(r);
    return rc < 0 ? -1 : now() - t0;
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
}

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

/* The largest |ours - theirs| over the metrics both JSON files hold; -1 when unreadable. */
static double max_difference(const char *ours_path, const char *peer_path, size_t *compared)
{
    json_error_t e;
    json_t *ours = json_load_file(ours_path, 0, &e), *peer = json_load_file(peer_path, 0, &e);
    json_t *pm = json_object_get(peer, "metrics"), *v;
    const char *name;
    double worst = ours && pm ? 0 : -1;

    *compared = 0;
    json_object_foreach(pm, name, v) {
        json_t *m = json_object_get(json_object_get(ours, "metrics"), name);
        double d = m ? fabs(json_number_value(json_object_get(m, "value")) - json_number_value(v))
                     : INFINITY;
        if (isnan(d) || d > worst)
            worst = isnan(d) ? INFINITY : d;
        (*compared)++;
    }
    json_decref(ours);
    json_decref(peer);
    return worst;
}

int main(void)
{
    const char *bin = getenv("MG_BINARY") ? getenv("MG_BINARY") : "build/modelgov";
    size_t rows = env_size("MG_BENCH_ROWS", 10000000), repeat = env_size("MG_BENCH_REPEAT", 3);
    char dir[1024], data[1200], ours_json[1300], peer_json[1300], rows_s[32], src[1024];
    char peer_script[1200];
    double t_bias = INFINITY, t_read = INFINITY, t_peer = -1, secs;
    long rss_bias = 0, rss_peer = 0, kb;
    size_t records = 0, compared = 0;
    struct stat st;

    snprintf(src, sizeof src, "%s", __FILE__); /* CMake compiles with the absolute path */
    snprintf(peer_script, sizeof peer_script, "%s/peer_bias.py", dirname(src));
    snprintf(dir, sizeof dir, "%s", bin);
    snprintf(data, sizeof data, "%s/bench-data", dirname(dir));
    mkdir(data, 0755);
    snprintf(ours_json, sizeof ours_json, "%s/bias-ours.json", data);
    snprintf(peer_json, sizeof peer_json, "%s/bias-pandas.json", data);
    snprintf(rows_s, sizeof rows_s, "%zu", rows);
    snprintf(data + strlen(data), sizeof data - strlen(data), "/credit-%zu.csv", rows);

    if (stat(data, &st) != 0) {
        char *gen[] = {(char *)bin, "gen-data", "credit", "--rows", rows_s, "--seed", "1",
                       "--out", data, NULL};
        fprintf(stderr, "generating %s ...\n", data);
        if (run(gen, NULL, &secs, &kb) != 0) {
            fprintf(stderr, "bench_bias: gen-data failed\n");
            return 1;
        }
    }
    char *bias[] = {(char *)bin, "bias", "--data", data, "--label", "approved", "--positive",
                    "yes", "--facet", "gender=Female", "--group", "education", "--format",
                    "json", NULL};
    for (size_t i = 0; i < repeat; i++) {
        double t = read_pass(data, &records);
        if (t < 0) {
            fprintf(stderr, "bench_bias: reading %s: %s\n", data, mg_error_last());
            return 1;
        }
        t_read = t < t_read ? t : t_read;
        if (run(bias, ours_json, &secs, &kb) != 0) {
            fprintf(stderr, "bench_bias: modelgov bias failed\n");
            return 1;
        }
        t_bias = secs < t_bias ? secs : t_bias;
        rss_bias = kb > rss_bias ? kb : rss_bias;
    }
    if (access("/usr/bin/python3", X_OK) == 0 &&
        system("/usr/bin/python3 -c 'import pandas' 2>/dev/null") == 0) {
        char *peer[] = {"/usr/bin/python3", peer_script, data, "approved", "yes", "gender",
                        "Female", "education", NULL};
        if (run(peer, peer_json, &t_peer, &rss_peer) != 0)
            t_peer = -1;
    } else {
        fprintf(stderr, "bench_bias: skipping pandas: /usr/bin/python3 with pandas not found "
                        "(apt-get install python3-pandas)\n");
    }

    printf("pre-training bias report (CI DPL KL JS LP TVD KS CDDL): %zu rows, %.0f MB, "
           "facet gender=Female, label approved=yes, group education; best of %zu\n",
           records - 1, file_mb(data), repeat);
    printf("%-28s %14s %14s %10s\n", "figure", "modelgov", "pandas", "ratio");
    if (t_peer > 0)
        printf("%-28s %14.2f %14.2f %9.1fx\n", "wall time (s)", t_bias, t_peer, t_peer / t_bias);
    else
        printf("%-28s %14.2f %14s %10s\n", "wall time (s)", t_bias, "skipped", "-");
    printf("%-28s %14.3g %14.3g %10s\n", "rows/s", (double)(records - 1) / t_bias,
           t_peer > 0 ? (double)(records - 1) / t_peer : 0.0, "");
    printf("%-28s %14.1f %14.1f %10s\n", "peak memory (MB)", rss_bias / 1024.0,
           rss_peer / 1024.0, "");
    printf("%-28s %14.2f %14s %9.2fx\n", "read CSV only (s)", t_read, "", t_bias / t_read);
    int ok = 1;
    if (t_peer > 0) {
        double diff = max_difference(ours_json, peer_json, &compared);
        printf("%-28s %14.3g %14s %10s\n", "max |modelgov - pandas|", diff, "", "");
        if (diff < 0 || diff > 1e-9 || compared != 8) {
            fprintf(stderr, "bench_bias: the two reports disagree (%zu metrics compared)\n",
                    compared);
            ok = 0;
        }
        printf("target >= %.0fx pandas: %s\n", TARGET_VS_PANDAS,
               t_peer / t_bias >= TARGET_VS_PANDAS ? "met" : "MISSED");
    }
    printf("target <= %.0fx read time: %s\n", TARGET_VS_READ,
           t_bias / t_read <= TARGET_VS_READ ? "met" : "MISSED");
    return ok ? 0 : 1;
}
