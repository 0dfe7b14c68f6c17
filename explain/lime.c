/* lime.c - LIME for tabular data (Ribeiro, Singh & Guestrin 2016) as lime's LimeTabularExplainer.
 */
#include "lime_stats.h"
#include "result.h"
#include "runner.h"
#include "wls.h"

#include "mg_buf.h"
#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef row_job job;

/* lime's defaults: 5000 samples, 10 features, kernel width 0.75 sqrt(columns). */
static size_t lime_samples(const job *j)
{
    return j->o->nsamples ? j->o->nsamples : 5000;
}

static const lime_column *lime_col(const job *j, size_t c)
{
    return &((const mg_explain_lime_stats *)j->extra)->col[c];
}

typedef struct ws {
    evaluator ev;
    double *bin; /* N x M column-major: 1 where the sample shares x's bin or level */
    double *inv; /* N x inputs: the samples as raw rows */
    double *y, *w, *X, *yhat, *beta;
    size_t *used;
} ws;

static void ws_free(void *p)
{
    ws *w = p;
    if (!w)
        return;
    evaluator_free(&w->ev);
    free(w->bin);
    free(w->inv);
    free(w->y);
    free(w->w);
    free(w->X);
    free(w->yhat);
    free(w->beta);
    free(w->used);
    free(w);
}

static int ws_create(void **out, void *jp)
{
    job *j = jp;
    size_t N = lime_samples(j), M = j->m->inputs;
    ws *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (!w)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = evaluator_init(&w->ev, j->m, 0)) < 0) {
        ws_free(w);
        return rc;
    }
    w->bin = malloc(N * M * sizeof(double));
    w->inv = malloc(N * M * sizeof(double));
    w->y = malloc(N * sizeof(double));
    w->w = malloc(N * sizeof(double));
    w->X = malloc(N * M * sizeof(double));
    w->yhat = malloc(N * sizeof(double));
    w->beta = malloc(M * sizeof(double));
    w->used = malloc(M * sizeof(size_t));
    if (!w->bin || !w->inv || !w->y || !w->w || !w->X || !w->yhat || !w->beta || !w->used) {
        ws_free(w);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    *out = w;
    return MG_OK;
}

/*
 * lime's __data_inverse: row 0 is x itself; every other sample takes, column
 * by column, a discretised value drawn from the training frequencies, then a
 * raw value inside that bin.
 */
static void sample(job *j, ws *w, const double *x, mg_rng *rng)
{
    size_t N = lime_samples(j), M = j->m->inputs;
    for (size_t c = 0; c < M; c++) {
        const lime_column *col = lime_col(j, c);
        double first = lime_discretize(col, x[c]);
        w->bin[c * N] = 1.0;
        w->inv[c] = x[c];
        for (size_t i = 1; i < N; i++) {
            double v = lime_draw(col, rng);
            w->bin[c * N + i] = raw_same(v, first) ? 1.0 : 0.0;
            w->inv[i * M + c] = col->numeric ? lime_undiscretize(col, v, rng) : v;
        }
    }
}

/* Copy the chosen columns of bin into X (column-major N x k). */
static void gather(ws *w, size_t N, const size_t *cols, size_t k)
{
    for (size_t q = 0; q < k; q++)
        memcpy(w->X + q * N, w->bin + cols[q] * N, N * sizeof(double));
}

static void predict_local(ws *w, size_t N, size_t k, double icpt)
{
    for (size_t i = 0; i < N; i++) {
        double s = icpt;
        for (size_t q = 0; q < k; q++)
            s += w->beta[q] * w->X[q * N + i];
        w->yhat[i] = s;
    }
}

/* lime's forward_selection: greedily add the column whose Ridge(alpha=0) fit scores best. */
static int forward_selection(ws *w, size_t N, size_t M, size_t K)
{
    for (size_t k = 0; k < K; k++) {
        double best = -1e8, icpt;
        size_t arg = 0;
        for (size_t c = 0; c < M; c++) {
            double score;
            int rc, taken = 0;
            for (size_t q = 0; q < k; q++)
                taken |= w->used[q] == c;
            if (taken)
                continue;
            w->used[k] = c;
            gather(w, N, w->used, k + 1);
            if ((rc = ridge_fit(w->beta, &icpt, w->X, w->y, w->w, N, k + 1, 0.0)) < 0)
                return rc;
            predict_local(w, N, k + 1, icpt);
            score = weighted_r2(w->y, w->yhat, w->w, N);
            if (score > best) {
                best = score;
                arg = c;
            }
        }
        w->used[k] = arg;
    }
    return MG_OK;
}

/* lime's highest_weights: the K largest |coefficients| of Ridge(alpha=0.01) on every column. */
static int highest_weights(ws *w, size_t N, size_t M, size_t K)
{
    size_t all[64], *cols = M <= 64 ? all : malloc(M * sizeof(size_t));
    double icpt;
    int rc;

    if (!cols)
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t c = 0; c < M; c++)
        cols[c] = c;
    gather(w, N, cols, M);
    if ((rc = ridge_fit(w->beta, &icpt, w->X, w->y, w->w, N, M, 0.01)) == 0) {
        /* stable selection by |coef|, ties to the lower column as Python's sorted() */
        for (size_t k = 0; k < K; k++) {
            size_t arg = M;
            for (size_t c = 0; c < M; c++) {
                int taken = 0;
                for (size_t q = 0; q < k; q++)
                    taken |= w->used[q] == c;
                if (!taken && (arg == M || fabs(w->beta[c]) > fabs(w->beta[arg])))
                    arg = c;
            }
            w->used[k] = arg;
        }
    }
    if (cols != all)
        free(cols);
    return rc;
}

/* "age <= 37.00", "28.00 < age <= 37.00", "sex=Male": the row's bin or level of column c. */
static char *rule(const job *j, size_t c, double xv)
{
    const lime_column *col = lime_col(j, c);
    const char *name = j->m->names[c];
    mg_buf b = MG_BUF_INIT;
    int rc;

    if (isnan(xv)) {
        rc = mg_buf_printf(&b, "%s is missing", name);
    } else if (col->numeric) {
        size_t k = (size_t)lime_discretize(col, xv);
        if (col->nq == 0)
            rc = mg_buf_printf(&b, "%s = %.2f", name, xv);
        else if (k == 0)
            rc = mg_buf_printf(&b, "%s <= %.2f", name, col->q[0]);
        else if (k == col->nq)
            rc = mg_buf_printf(&b, "%s > %.2f", name, col->q[k - 1]);
        else
            rc = mg_buf_printf(&b, "%.2f < %s <= %.2f", col->q[k - 1], name, col->q[k]);
    } else {
        const char *lv = NULL;
        if (j->m->level_name && xv >= 0 && xv == floor(xv))
            lv = j->m->level_name(j->m->ctx, c, (size_t)xv);
        if (lv)
            rc = mg_buf_printf(&b, "%s=%s", name, lv);
        else if (xv < 0)
            rc = mg_buf_printf(&b, "%s=(unseen)", name);
        else
            rc = mg_buf_printf(&b, "%s=%g", name, xv);
    }
    if (rc < 0) {
        mg_buf_free(&b);
        return NULL;
    }
    return mg_buf_detach(&b);
}

static int run_row(void *jp, void *wp, size_t r)
{
    job *j = jp;
    ws *w = wp;
    size_t N = lime_samples(j), M = j->m->inputs, K = j->o->top ? j->o->top : 10;
    double width = j->o->kernel_width > 0 ? j->o->kernel_width : 0.75 * sqrt((double)M);
    size_t before = w->ev.evaluations;
    const double *x = j->raw + r * M;
    mg_explain_result *res = j->res;
    double icpt, local;
    mg_rng rng;
    int rc;

    if (K > M)
        K = M;
    mg_rng_seed_stream(&rng, j->o->seed, res->ids[r]);
    sample(j, w, x, &rng);
    if ((rc = evaluator_predict(&w->ev, w->inv, N, w->y)) < 0)
        return rc;
    res->prediction[r] = w->y[0];
    for (size_t i = 0; i < N; i++) {
        double d2 = 0; /* squared Euclidean distance of the binary row to x's (all ones) */
        for (size_t c = 0; c < M; c++)
            d2 += (1.0 - w->bin[c * N + i]) * (1.0 - w->bin[c * N + i]);
        w->w[i] = sqrt(exp(-d2 / (width * width)));
    }
    rc = K <= 6 ? forward_selection(w, N, M, K) : highest_weights(w, N, M, K);
    if (rc < 0)
        return rc;
    gather(w, N, w->used, K);
    if ((rc = ridge_fit(w->beta, &icpt, w->X, w->y, w->w, N, K, 1.0)) < 0)
        return rc;
    predict_local(w, N, K, icpt);
    res->r2[r] = weighted_r2(w->y, w->yhat, w->w, N);
    res->intercept[r] = icpt;
    local = icpt;
    for (size_t q = 0; q < K; q++) {
        size_t c = w->used[q];
        local += w->beta[q];
        res->phi[r * M + c] = w->beta[q];
        if (!(res->rules[r * M + c] = rule(j, c, x[c])))
            return mg_error_set(MG_ENOMEM, "out of memory");
    }
    res->local_prediction[r] = local;
    j->evals[r] = j->nominal[r] = w->ev.evaluations - before;
    return MG_OK;
}

int mg_explain_lime_compute(mg_explain_result **out, const mg_explain_model *m,
                            const mg_explain_lime_stats *stats, const double *raw,
                            const size_t *ids, size_t n, const mg_explain_options *opts)
{
    static const row_method lime = {MG_EXPLAIN_LIME, "LIME", ws_create, ws_free, run_row};
    *out = NULL;
    if (m && (!stats || stats->inputs != m->inputs))
        return mg_error_set(MG_EINVAL,
                            "LIME: training statistics of %zu columns, the model "
                            "has %zu",
                            stats ? stats->inputs : 0, m->inputs);
    if (opts && opts->nsamples == 1)
        return mg_error_set(MG_EINVAL, "LIME: nsamples must be at least 2");
    return explain_rows(out, &lime, m, NULL, stats, raw, ids, n, opts);
}
