/* bench_explain.c - Kernel SHAP and LIME on 1000 Adult rows with the core's MLP, vs the limits. */
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_explain.h"
#include "mg_model.h"

#include <cblas.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: bench_explain [rows] [threads]  (defaults 1000 and 2)
 * The MLP (hidden 32,16, ReLU) is trained on 10000 rows of adult_train.csv
 * over the 12 columns the tests use (Adult's 14 less fnlwgt and education),
 * the background is 100 rows sampled from the training file, the explained
 * rows are the first rows of adult_test.csv.
 */

static const char *const cols[] = {
    "age",  "workclass", "education-num", "marital-status", "occupation",     "relationship",
    "race", "sex",       "capital-gain",  "capital-loss",   "hours-per-week", "native-country"};
#define NCOLS 12
#define TRAIN_ROWS 10000
#define BATCH 2048

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_explain: %s: %s\n", what, mg_error_last());
    exit(1);
}

static const char *shared_path(const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *dir = getenv("MG_SHARED_DIR");
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir ? dir : "../shared", rel);
    return p;
}

static mg_model *train_mlp(const mg_dataset *ds)
{
    mg_model_spec spec = MG_MODEL_SPEC_INIT;
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    const char *classes[] = {"<=50K", ">50K"};
    size_t hidden[] = {32, 16}, rows[TRAIN_ROWS], w;
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    mg_estimator *e = NULL;
    size_t label = (size_t)mg_dataset_col_find(ds, "income");
    long pos = mg_dataset_col_level_find(ds, label, ">50K");
    const int32_t *codes = mg_dataset_col_codes(ds, label);
    double *raw, *X, *y;
    mg_input in;

    for (size_t i = 0; i < TRAIN_ROWS; i++)
        rows[i] = i;
    if (mg_pipeline_fit(&p, ds, rows, TRAIN_ROWS, cols, NCOLS) < 0)
        die("pipeline");
    w = mg_pipeline_width(p);
    raw = malloc(TRAIN_ROWS * NCOLS * sizeof(double));
    X = malloc(TRAIN_ROWS * w * sizeof(double));
    y = malloc(TRAIN_ROWS * sizeof(double));
    if (!raw || !X || !y || mg_pipeline_raw_from_dataset(raw, NULL, p, ds, rows, TRAIN_ROWS) < 0)
        die("raw rows");
    mg_pipeline_transform(p, raw, TRAIN_ROWS, X);
    for (size_t i = 0; i < TRAIN_ROWS; i++)
        y[i] = codes[i] == pos ? 1.0 : 0.0;
    spec.type = MG_MODEL_MLP;
    spec.classes = 2;
    spec.class_names = classes;
    spec.label = "income";
    spec.hidden = hidden;
    spec.nhidden = 2;
    if (mg_model_create(&m, &spec, p) < 0)
        die("model");
    to.epochs = 3;
    if (mg_estimator_create(&e, m, &rc, &to) < 0)
        die("estimator");
    in.X = X;
    in.y = y;
    in.n = TRAIN_ROWS;
    if (mg_estimator_train(e, &in, NULL, NULL, 0, 0) < 0)
        die("train");
    free(raw);
    free(X);
    free(y);
    return mg_estimator_release(e);
}

static double *raw_rows(const mg_model *m, const mg_dataset *ds, size_t n)
{
    double *raw = malloc(n * NCOLS * sizeof(double));
    size_t *rows = malloc(n * sizeof(size_t));
    if (!raw || !rows)
        die("raw rows");
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    if (mg_pipeline_raw_from_dataset(raw, NULL, mg_model_pipeline(m), ds, rows, n) < 0)
        die("raw rows");
    free(rows);
    return raw;
}

/*
 * shap_kernel_timing.json's big_case in our hands: the core's logistic model
 * on 12 numeric columns (weights as in the tests), background 100 and rows of
 * correlated normals. Every column differs from every background row, so no
 * synthetic row is shared: all 2048 x 100 evaluations per row are made.
 * Returns rows per second.
 */
static double big_case_rows_per_s(size_t nrows, size_t threads)
{
    static const double w[12] = {0.8, -1.2, 0.5, 0.0, 1.1, -0.4, 0.9, -0.7, 0.3, 1.4, -0.9, 0.6};
    mg_model_spec spec = MG_MODEL_SPEC_INIT;
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    mg_explain_model *em = NULL;
    mg_explain_background *bg = NULL;
    mg_explain_result *res = NULL;
    mg_explain_options o = MG_EXPLAIN_OPTIONS_INIT;
    double *data = malloc((100 + nrows) * 12 * sizeof(double)), *params, t0, dt;
    mg_rng rng;

    if (!data || mg_pipeline_identity(&p, cols, 12) < 0)
        die("big case");
    spec.type = MG_MODEL_LOGISTIC;
    spec.classes = 2;
    if (mg_model_create(&m, &spec, p) < 0)
        die("big case model");
    params = mg_model_param_data_mut(m);
    for (size_t j = 0; j < 12; j++)
        params[j] = w[j];
    params[12] = -0.2;
    mg_rng_seed(&rng, 11);
    for (size_t i = 0; i < 100 + nrows; i++)
        for (size_t j = 0; j < 12; j++) {
            double e = mg_rng_normal(&rng);
            data[i * 12 + j] = j ? 0.5 * data[i * 12 + j - 1] + sqrt(0.75) * e : e;
        }
    if (mg_explain_model_from_model(&em, m, 0) < 0 ||
        mg_explain_background_create(&bg, data, NULL, 100, 12) < 0)
        die("big case setup");
    o.threads = threads;
    o.nsamples = 2048;
    o.batch = BATCH;
    t0 = now();
    if (mg_explain_kernel_compute(&res, em, bg, data + 100 * 12, NULL, nrows, &o) < 0)
        die("big case kernel shap");
    dt = now() - t0;
    mg_explain_result_free(res);
    mg_explain_background_free(bg);
    mg_explain_model_free(em);
    mg_model_free(m);
    free(data);
    return (double)nrows / dt;
}

/* ---- the limit: batched raw predict of the same model, same threads ----- */

typedef struct limit_job {
    const mg_model *m;
    const double *rows;
    size_t n, reps;
} limit_job;

static void *limit_worker(void *arg)
{
    limit_job *j = arg;
    double *out = malloc(BATCH * sizeof(double));
    for (size_t r = 0; r < j->reps; r++)
        for (size_t i = 0; i + BATCH <= j->n; i += BATCH)
            if (mg_model_predict_raw(j->m, j->rows + i * NCOLS, BATCH, out) < 0)
                die("predict");
    free(out);
    return NULL;
}

/* Rows per second of mg_model_predict_raw on BATCH-row calls from `threads` threads. */
static double predict_limit(const mg_model *m, const double *rows, size_t n, size_t threads)
{
    pthread_t tid[64];
    limit_job j = {m, rows, n, 12};
    double t0 = now(), dt;
    for (size_t t = 0; t < threads; t++)
        pthread_create(&tid[t], NULL, limit_worker, &j);
    for (size_t t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    dt = now() - t0;
    return (double)(threads * j.reps * (n / BATCH) * BATCH) / dt;
}

static double predict_limit_best(const mg_model *m, const double *rows, size_t n, size_t threads)
{
    double blas, ours;
    openblas_set_num_threads((int)threads);
    blas = predict_limit(m, rows, n, 1);
    openblas_set_num_threads(1);
    ours = predict_limit(m, rows, n, threads);
    return fmax(blas, ours);
}

/* sec_per_row of a peer in shap_kernel_timing.json's big_case (M = 12), or NaN. */
static double peer_sec_per_row(const char *tool, long nsamples)
{
    json_error_t err;
    json_t *doc = json_load_file(shared_path("reference/explain/shap_kernel_timing.json"), 0, &err);
    json_t *e;
    size_t i;
    double v = NAN;
    if (!doc)
        return NAN;
    json_array_foreach(json_object_get(doc, "big_case"), i, e)
    {
        json_t *ns = json_object_get(e, "nsamples"), *l1 = json_object_get(e, "l1_reg");
        if (strcmp(json_string_value(json_object_get(e, "tool")), tool) != 0)
            continue;
        if (nsamples &&
            (!json_is_integer(ns) || json_integer_value(ns) != nsamples || !json_is_false(l1)))
            continue;
        v = json_number_value(json_object_get(e, "sec_per_row"));
        break;
    }
    json_decref(doc);
    return v;
}

/*
 * peer_explain.py on the same MLP (saved to a temporary .mgm): the numpy cost
 * of the evaluations shap's KernelExplainer makes per row, one thread.
 * Returns sec_per_row, or NaN (saying why) when python or numpy is missing.
 */
static double run_peer(const mg_model *m, const char *data)
{
    char src[] = __FILE__, cmd[4096], model[1024];
    const char *tmp = getenv("TMPDIR");
    json_error_t jerr;
    json_t *doc = NULL;
    double v = NAN;
    FILE *p;
    int fd;

    snprintf(model, sizeof model, "%s/bench_explain_XXXXXX", tmp ? tmp : P_tmpdir);
    fd = mkstemp(model);

    if (fd < 0 || (close(fd), mg_model_save(m, model)) < 0) {
        fprintf(stderr, "bench_explain: peer skipped: cannot save the model\n");
        return NAN;
    }
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 '%s/peer_explain.py' "
             "--model '%s' --data '%s' --rows 5",
             dirname(src), model, data);
    if ((p = popen(cmd, "r"))) {
        doc = json_loadf(p, 0, &jerr);
        if (pclose(p) == 0 && doc)
            v = json_number_value(json_object_get(doc, "sec_per_row"));
    }
    if (isnan(v))
        fprintf(stderr, "bench_explain: peer skipped: peer_explain.py failed (is /usr/bin/python3 "
                        "with numpy there?)\n");
    json_decref(doc);
    remove(model);
    return v;
}

int main(int argc, char **argv)
{
    size_t nrows = argc > 1 ? (size_t)atol(argv[1]) : 1000;
    size_t threads = argc > 2 ? (size_t)atol(argv[2]) : 2;
    mg_dataset *train = NULL, *test = NULL;
    mg_model *mlp;
    mg_explain_model *em = NULL;
    mg_explain_background *bg = NULL;
    mg_explain_lime_stats *st = NULL;
    mg_explain_result *ks = NULL, *li = NULL;
    mg_explain_options o = MG_EXPLAIN_OPTIONS_INIT;
    double *trainraw, *x, t0, tk, tl, limit, shap, lime, big, numpy;

    if (mg_dataset_open(&train, shared_path("data/adult/adult_train.csv"), NULL) < 0 ||
        mg_dataset_open(&test, shared_path("data/adult/adult_test.csv"), NULL) < 0) {
        printf("bench_explain: skipped, %s\n", mg_error_last());
        return 0;
    }
    mlp = train_mlp(train);
    trainraw = raw_rows(mlp, train, mg_dataset_rows(train));
    x = raw_rows(mlp, test, nrows);
    if (mg_explain_model_from_model(&em, mlp, 0) < 0 ||
        mg_explain_background_sample(&bg, trainraw, mg_dataset_rows(train), NCOLS, 100, 1) < 0 ||
        mg_explain_lime_stats_fit(&st, em, trainraw, mg_dataset_rows(train)) < 0)
        die("setup");

    /*
     * The limit is the better of `threads` callers with single-threaded BLAS
     * (what the explainer does) and one caller with BLAS on `threads` threads,
     * measured before and after the explanation (the machine is shared).
     */
    limit = predict_limit_best(mlp, trainraw, mg_dataset_rows(train), threads);
    o.threads = threads;
    o.nsamples = 2048;
    o.batch = BATCH;
    t0 = now();
    if (mg_explain_kernel_compute(&ks, em, bg, x, NULL, nrows, &o) < 0)
        die("kernel shap");
    tk = now() - t0;
    limit = 0.5 * (limit + predict_limit_best(mlp, trainraw, mg_dataset_rows(train), threads));
    o.nsamples = 5000;
    t0 = now();
    if (mg_explain_lime_compute(&li, em, st, x, NULL, nrows, &o) < 0)
        die("lime");
    tl = now() - t0;
    big = big_case_rows_per_s(nrows, threads);
    numpy = run_peer(mlp, shared_path("data/adult/adult_test.csv"));
    shap = peer_sec_per_row("shap.KernelExplainer", 2048);
    lime = peer_sec_per_row("lime.LimeTabularExplainer", 0);

    printf("Adult MLP (12 columns, hidden 32,16), %zu rows, %zu threads, background 100\n", nrows,
           threads);
    printf("%-46s %14s %14s %8s\n", "figure", "modelgov", "peer / limit", "ratio");
    printf("%-46s %14.1f %14.1f %8.2f\n", "Kernel SHAP rows/s (2048 samples) vs shap",
           (double)nrows / tk, 1.0 / shap, (double)nrows / tk * shap);
    printf("%-46s %14.1f %14.2f %8.1f\n", "  vs numpy floor of shap's work on this MLP",
           (double)nrows / tk, 1.0 / numpy, (double)nrows / tk * numpy);
    printf("%-46s %14.3g %14.3g %8.2f\n", "model evaluations/s vs batched predict limit",
           (double)ks->evaluations / tk, limit, (double)ks->evaluations / tk / limit);
    printf("%-46s %14.3g %14.3g %8.2f\n", "coalition x background cells/s vs limit",
           (double)ks->nominal_evaluations / tk, limit,
           (double)ks->nominal_evaluations / tk / limit);
    printf("%-46s %14.1f %14.1f %8.2f\n", "  evaluations per row (distinct / nominal)",
           (double)ks->evaluations / (double)nrows, (double)ks->nominal_evaluations / (double)nrows,
           (double)ks->evaluations / (double)ks->nominal_evaluations);
    printf("%-46s %14.1f %14.1f %8.2f\n", "Kernel SHAP rows/s, shap's big_case (logistic)", big,
           1.0 / shap, big * shap);
    printf("%-46s %14.1f %14.1f %8.2f\n", "LIME rows/s (5000 samples) vs lime", (double)nrows / tl,
           1.0 / lime, (double)nrows / tl * lime);
    printf("%-46s %14.3g %14.3g %8.2f\n", "LIME model evaluations/s vs limit",
           (double)li->evaluations / tl, limit, (double)li->evaluations / tl / limit);
    printf("peers: shap 0.49.1 KernelExplainer and lime LimeTabularExplainer on a 12-column "
           "logistic model, one thread (shap_kernel_timing.json big_case); numpy floor: "
           "bench/peer_explain.py, one thread, tile + encode + MLP of 2048 x 100 rows per row\n");

    mg_explain_result_free(ks);
    mg_explain_result_free(li);
    mg_explain_lime_stats_free(st);
    mg_explain_background_free(bg);
    mg_explain_model_free(em);
    mg_model_free(mlp);
    mg_dataset_close(train);
    mg_dataset_close(test);
    free(trainraw);
    free(x);
    return 0;
}
