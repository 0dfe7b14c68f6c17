/* bench_train.c - time per training epoch (logistic, MLP 64,32) beside scikit-learn and PyTorch. */
#define _POSIX_C_SOURCE 200809L
#include "bench_blas.h"
#include "mg_core.h"

#include <cblas.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOGISTIC_EPOCHS 5
#define MLP_EPOCHS 5

typedef struct bench_data {
    const char *name, *train, *test, *label, *positive;
    mg_dataset *tr, *te;
    mg_pipeline *pipe;
    char **classes;
    size_t nclasses;
    const char **features;
    size_t nfeatures;
} bench_data;

/* CPU seconds of this process: the issue compares CPU time at equal thread counts, and the
 * machine is shared, so wall time would measure the neighbours. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_train: %s: %s\n", what, mg_error_last());
    exit(1);
}

static void open_data(bench_data *d)
{
    long label;

    if (mg_dataset_open(&d->tr, d->train, NULL) < 0 || mg_dataset_open(&d->te, d->test, NULL) < 0)
        die("reading data");
    label = mg_dataset_col_find(d->tr, d->label);
    d->features = calloc(mg_dataset_cols(d->tr), sizeof *d->features);
    for (size_t c = 0; c < mg_dataset_cols(d->tr); c++)
        if ((long)c != label)
            d->features[d->nfeatures++] = mg_dataset_col_name(d->tr, c);
    if (label < 0 ||
        mg_label_classes(&d->classes, &d->nclasses, d->tr, (size_t)label, NULL, 0, d->positive) < 0)
        die("label");
}

static void close_data(bench_data *d)
{
    mg_label_classes_free(d->classes, d->nclasses);
    free(d->features);
    mg_dataset_close(d->tr);
    mg_dataset_close(d->te);
}

/* A model of `type` with a pipeline fitted on the training file, and its encoded data. */
static mg_model *make_model(bench_data *d, mg_model_type type, mg_input *tr, mg_input *te)
{
    static const size_t hidden[] = {64, 32};
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    mg_pipeline *p;
    mg_model *m;
    double *X, *y;

    if (mg_pipeline_fit(&p, d->tr, NULL, 0, d->features, d->nfeatures) < 0)
        die("pipeline");
    sp.type = type;
    sp.label = d->label;
    sp.classes = 2;
    sp.class_names = (const char *const *)d->classes;
    if (type == MG_MODEL_MLP) {
        sp.hidden = hidden;
        sp.nhidden = 2;
    }
    if (mg_model_create(&m, &sp, p) < 0)
        die("model");
    if (mg_model_encode(&X, &y, NULL, m, d->tr, mg_dataset_col_find(d->tr, d->label), NULL, 0) < 0)
        die("encoding the training data");
    *tr = (mg_input){X, y, mg_dataset_rows(d->tr)};
    if (mg_model_encode(&X, &y, NULL, m, d->te, mg_dataset_col_find(d->te, d->label), NULL, 0) < 0)
        die("encoding the test data");
    *te = (mg_input){X, y, mg_dataset_rows(d->te)};
    return m;
}

typedef struct ours {
    double epoch_s;   /* mean training seconds per epoch */
    double to_target; /* training seconds until test accuracy >= 0.850, NaN if never */
    double accuracy, auc;
} ours;

/* Train epoch by epoch (timed), evaluating after each (not timed). */
static ours run_ours(bench_data *d, mg_model_type type, size_t batch, size_t epochs)
{
    mg_train_options to = MG_TRAIN_OPTIONS_INIT;
    mg_run_config rc = MG_RUN_CONFIG_INIT;
    mg_input tr, te;
    mg_model *m = make_model(d, type, &tr, &te);
    mg_estimator *e;
    size_t spe = (tr.n + batch - 1) / batch;
    double total = 0;
    ours r = {0, NAN, 0, 0};

    to.batch_size = batch;
    to.epochs = epochs;
    if (mg_estimator_create(&e, m, &rc, &to) < 0)
        die("estimator");
    for (size_t k = 1; k <= epochs; k++) {
        mg_metrics met;
        double t0 = now();
        if (mg_estimator_train(e, &tr, NULL, NULL, 0, k * spe) < 0)
            die("training");
        total += now() - t0;
        if (mg_estimator_evaluate(&met, e, &te) < 0)
            die("evaluating");
        r.accuracy = met.accuracy;
        r.auc = met.auc;
        if (isnan(r.to_target) && met.accuracy >= 0.850)
            r.to_target = total;
        mg_metrics_free(&met);
    }
    r.epoch_s = total / (double)epochs;
    mg_estimator_free(e);
    free((double *)tr.X);
    free((double *)tr.y);
    free((double *)te.X);
    free((double *)te.y);
    return r;
}

/* The peers' JSON, or NULL (with the reason printed) when python or the script fails. */
static json_t *run_peer(const bench_data *d, int threads)
{
    char src[] = __FILE__, cmd[4096];
    const char *script = getenv("MG_BENCH_PEER");
    json_error_t jerr;
    json_t *doc;
    FILE *p;

    if (!script) {
        static char path[2048];
        snprintf(path, sizeof path, "%s/peer_train.py", dirname(src));
        script = path;
    }
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=%d OMP_NUM_THREADS=%d /usr/bin/python3 '%s' --train '%s'"
             " --test '%s' --label '%s' --positive '%s' --threads %d --hidden 64,32 --batch 256"
             " --epochs %d",
             threads, threads, script, d->train, d->test, d->label, d->positive, threads,
             MLP_EPOCHS);
    if (!(p = popen(cmd, "r"))) {
        fprintf(stderr, "bench_train: peers skipped: cannot run /usr/bin/python3\n");
        return NULL;
    }
    doc = json_loadf(p, 0, &jerr);
    if (pclose(p) != 0 || !doc) {
        fprintf(stderr, "bench_train: peers skipped: %s failed (is /usr/bin/python3 there?)\n",
                script);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static double peer_num(const json_t *doc, const char *peer, const char *key)
{
    const json_t *v = json_object_get(json_object_get(doc, peer), key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void peer_note(const json_t *doc, const char *peer, const char *label)
{
    const char *why = json_string_value(json_object_get(json_object_get(doc, peer), "skipped"));
    if (!doc)
        printf("  (%s skipped: peer script did not run)\n", label);
    else if (why)
        printf("  (%s skipped: %s)\n", label, why);
}

static void row(const char *data, const char *figure, double ours_v, const char *peer,
                double peer_v, const char *unit)
{
    char ov[32] = "-", pv[32] = "-", ratio[32] = "-";

    if (!isnan(ours_v))
        snprintf(ov, sizeof ov, "%.4f", ours_v);
    else
        unit = "(not reached)";
    if (!isnan(peer_v)) {
        snprintf(pv, sizeof pv, "%.4f", peer_v);
        if (!isnan(ours_v) && peer_v > 0)
            snprintf(ratio, sizeof ratio, "%.3f", ours_v / peer_v);
    }
    printf("%-7s %-44s %10s %-8s %10s %7s %s\n", data, figure, ov, peer, pv, ratio, unit);
}

static void bench(bench_data *d, int threads)
{
    ours lg, mlp;
    json_t *peer;

    open_data(d);
    lg = run_ours(d, MG_MODEL_LOGISTIC, 128, LOGISTIC_EPOCHS);
    mlp = run_ours(d, MG_MODEL_MLP, 256, MLP_EPOCHS);
    peer = run_peer(d, threads);
    row(d->name, "logistic (Adam, batch 128): CPU s / epoch", lg.epoch_s, "sklearn",
        peer_num(peer, "sklearn", "fit_seconds"), "peer: default fit");
    row(d->name, "logistic: CPU s to test accuracy >= 0.850", lg.to_target, "sklearn",
        peer_num(peer, "sklearn", "fit_seconds"), "peer: default fit");
    row(d->name, "logistic: test accuracy", lg.accuracy, "sklearn",
        peer_num(peer, "sklearn", "accuracy"), "");
    row(d->name, "logistic: test AUC", lg.auc, "sklearn", peer_num(peer, "sklearn", "auc"), "");
    row(d->name, "MLP 64,32 (Adam, batch 256): CPU s / epoch", mlp.epoch_s, "torch",
        peer_num(peer, "torch", "epoch_seconds"), "peer: float32");
    row(d->name, "MLP: test accuracy", mlp.accuracy, "torch", peer_num(peer, "torch", "accuracy"),
        "");
    peer_note(peer, "sklearn", "scikit-learn");
    peer_note(peer, "torch", "PyTorch");
    json_decref(peer);
    close_data(d);
}

/* The synthetic credit data: `rows` training rows and rows / 5 test rows. */
static void make_credit(char *train, char *test, size_t len, size_t rows)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    mg_credit_options o = MG_CREDIT_OPTIONS_INIT;
    FILE *f;

    snprintf(train, len, "%s/mg_bench_credit_train.csv", tmp);
    snprintf(test, len, "%s/mg_bench_credit_test.csv", tmp);
    o.rows = rows;
    o.seed = 11;
    if (!(f = fopen(train, "wb")) || mg_credit_write(f, train, &o) < 0 || fclose(f) != 0)
        die("writing the credit data");
    o.rows = rows / 5 ? rows / 5 : 1;
    o.seed = 12;
    if (!(f = fopen(test, "wb")) || mg_credit_write(f, test, &o) < 0 || fclose(f) != 0)
        die("writing the credit data");
}

int main(int argc, char **argv)
{
    const char *shared = getenv("MG_SHARED_DIR") ? getenv("MG_SHARED_DIR") : "../shared";
    int threads = getenv("MG_BENCH_THREADS") ? atoi(getenv("MG_BENCH_THREADS")) : 1;
    size_t rows = getenv("MG_BENCH_ROWS") ? strtoul(getenv("MG_BENCH_ROWS"), NULL, 10) : 1000000;
    char atr[1024], ate[1024], ctr[1024], cte[1024], rname[32];
    bench_data adult, credit;
    FILE *f;

    (void)argc;
    bench_pin_blas_pool("bench_train", argv, threads);
    memset(&adult, 0, sizeof adult);
    memset(&credit, 0, sizeof credit);
    adult.name = "adult", adult.train = atr, adult.test = ate;
    adult.label = "income", adult.positive = ">50K";
    openblas_set_num_threads(threads < 1 ? 1 : threads);
    printf("bench_train: %d thread(s) for modelgov (OpenBLAS) and the peers (torch, numpy);"
           " ratio = modelgov / peer, lower is better\n\n",
           threads);
    printf("%-7s %-44s %10s %-8s %10s %7s\n", "data", "figure", "modelgov", "peer", "peer value",
           "ratio");
    snprintf(atr, sizeof atr, "%s/data/adult/adult_train.csv", shared);
    snprintf(ate, sizeof ate, "%s/data/adult/adult_test.csv", shared);
    if ((f = fopen(atr, "rb"))) {
        fclose(f);
        bench(&adult, threads);
    } else {
        printf("adult   skipped: %s not found (set MG_SHARED_DIR)\n", atr);
    }
    make_credit(ctr, cte, sizeof ctr, rows);
    snprintf(rname, sizeof rname, "%zuk", rows / 1000);
    credit.name = rname, credit.train = ctr, credit.test = cte;
    credit.label = "approved", credit.positive = "yes";
    bench(&credit, threads);
    remove(ctr);
    remove(cte);
    return 0;
}
