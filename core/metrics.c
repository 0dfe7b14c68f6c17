/* metrics.c - accuracy, precision, recall, F1, exact ROC AUC, log loss, confusion; MAE, MSE, R². */
#include "mg_metrics.h"
#include "mg_error.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PROB_EPS 1e-15

typedef struct scored {
    double s;
    int pos;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

static const char *not_finite_name(double v)
{
    return isnan(v) ? "NaN" : v > 0 ? "infinite" : "minus infinite";
}

int mg_metrics_auc(double *out, const double *y, const double *score, size_t n)
{
    scored *v;
    double npos = 0, rank_sum = 0;

    if (!(v = malloc((n ? n : 1) * sizeof *v)))
        return mg_error_set(MG_ENOMEM, "metrics: no memory for %zu scores", n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i])) {
            free(v);
            return mg_error_set(MG_EINVAL, "metrics: the score of row %zu is %s", i,
                                not_finite_name(score[i]));
        }
        v[i].s = score[i];
        v[i].pos = y[i] > 0.5;
        npos += v[i].pos;
    }
    if (npos == 0 || npos == (double)n) {
        free(v);
        return mg_error_set(MG_EINVAL, "metrics: AUC needs both classes among the labels");
    }
    qsort(v, n, sizeof *v, by_score);
    /* Ranks 1..n; a run of tied scores shares the average of its ranks. */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double cnt = 0;
        while (j < n && v[j].s == v[i].s)
            cnt += v[j++].pos;
        rank_sum += cnt * ((double)(i + 1) + (double)j) / 2.0;
        i = j;
    }
    *out = (rank_sum - npos * (npos + 1) / 2.0) / (npos * ((double)n - npos));
    free(v);
    return MG_OK;
}

static double clip_prob(double p)
{
    return p < PROB_EPS ? PROB_EPS : p > 1 - PROB_EPS ? 1 - PROB_EPS : p;
}

static void regression(mg_metrics *m, const double *y, const double *pred, size_t n, int mae)
{
    double sa = 0, ss = 0, mean = 0, tot = 0;

    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = pred[i] - y[i];
        sa += fabs(d);
        ss += d * d;
        tot += (y[i] - mean) * (y[i] - mean);
    }
    m->mae = sa / (double)n;
    m->mse = ss / (double)n;
    m->rmse = sqrt(m->mse);
    /* scikit-learn's r2_score: 1 - SS_res / SS_tot, and 0 when y is constant
     * and the fit imperfect (1 when perfect). */
    m->r2 = tot > 0 ? 1.0 - ss / tot : (ss == 0 ? 1.0 : 0.0);
    m->loss = mae ? m->mae : m->mse;
}

/* Precision, recall and F1 of class k from the confusion matrix; 0 when undefined (sklearn). */
static void class_prf(const mg_metrics *m, size_t k, double *p, double *r, double *f)
{
    size_t K = m->classes;
    double tp = (double)m->confusion[k * K + k], pred = 0, act = 0;

    for (size_t j = 0; j < K; j++) {
        pred += (double)m->confusion[j * K + k];
        act += (double)m->confusion[k * K + j];
    }
    *p = pred > 0 ? tp / pred : 0.0;
    *r = act > 0 ? tp / act : 0.0;
    *f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

static int classification(mg_metrics *m, const double *y, const double *pred, size_t n)
{
    size_t K = m->classes, correct = 0;
    int binary = m->task == MG_TASK_BINARY;
    double ll = 0;

    if (!(m->confusion = calloc(K * K, sizeof *m->confusion)))
        return mg_error_set(MG_ENOMEM, "metrics: no memory");
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)y[i], hat = 0;
        if (!(y[i] >= 0) || (double)c != y[i] || c >= K)
            return mg_error_set(MG_EINVAL, "metrics: label of row %zu (%g) is not a class index"
                                           " below %zu", i, y[i], K);
        if (binary) {
            hat = pred[i] > 0.5;
            ll -= log(clip_prob(c ? pred[i] : 1 - pred[i]));
        } else {
            const double *p = pred + i * K;
            for (size_t k = 1; k < K; k++)
                hat = p[k] > p[hat] ? k : hat;
            ll -= log(clip_prob(p[c]));
        }
        correct += hat == c;
        m->confusion[c * K + hat]++;
    }
    m->accuracy = (double)correct / (double)n;
    m->log_loss = m->loss = ll / (double)n;
    if (binary) {
        class_prf(m, 1, &m->precision, &m->recall, &m->f1);
        if (mg_metrics_auc(&m->auc, y, pred, n) < 0) {
            m->auc = NAN; /* one class only: AUC undefined, the rest still holds */
            mg_error_clear();
        }
    } else {
        double p, r, f;
        m->precision = m->recall = m->f1 = 0;
        for (size_t k = 0; k < K; k++) {
            class_prf(m, k, &p, &r, &f);
            m->precision += p / (double)K;
            m->recall += r / (double)K;
            m->f1 += f / (double)K;
        }
    }
    return MG_OK;
}

/* A NaN or infinite prediction (a model that diverged) has no metric: say so rather than
 * return NaN figures or sort NaN scores. Rows count from 0 in the evaluated order. */
static int check_finite(const double *y, const double *pred, size_t n, size_t width)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return mg_error_set(MG_EINVAL, "metrics: the label of evaluated row %zu is %s", i,
                                not_finite_name(y[i]));
        for (size_t k = 0; k < width; k++)
            if (!isfinite(pred[i * width + k]))
                return mg_error_set(MG_EINVAL,
                                    "metrics: the prediction for evaluated row %zu is %s: the"
                                    " model diverged (try a smaller learning rate)",
                                    i, not_finite_name(pred[i * width + k]));
    }
    return MG_OK;
}

int mg_metrics_compute(mg_metrics *out, mg_task task, const double *y, const double *pred,
                       size_t n, size_t classes, int mae_loss)
{
    mg_metrics m = MG_METRICS_INIT;
    int rc = MG_OK;

    m.task = task;
    m.n = n;
    m.accuracy = m.precision = m.recall = m.f1 = m.auc = m.log_loss = NAN;
    m.mae = m.mse = m.rmse = m.r2 = NAN;
    *out = m;
    if (n == 0)
        return mg_error_set(MG_EINVAL, "metrics: no rows to evaluate");
    if ((rc = check_finite(y, pred, n, task == MG_TASK_MULTICLASS ? classes : 1)) < 0)
        return rc;
    if (task == MG_TASK_REGRESSION) {
        regression(&m, y, pred, n, mae_loss);
    } else {
        m.classes = task == MG_TASK_BINARY ? 2 : classes;
        if (m.classes < 2)
            return mg_error_set(MG_EINVAL, "metrics: need at least 2 classes");
        if ((rc = classification(&m, y, pred, n)) < 0) {
            mg_metrics_free(&m);
            return rc;
        }
    }
    *out = m;
    return MG_OK;
}

void mg_metrics_free(mg_metrics *m)
{
    if (!m)
        return;
    free(m->confusion);
    m->confusion = NULL;
}

static const char *const higher_better[] = {"accuracy", "precision", "recall", "f1", "auc", "r2"};

int mg_metrics_higher_is_better(const char *name)
{
    for (size_t i = 0; i < sizeof higher_better / sizeof *higher_better; i++)
        if (strcmp(name, higher_better[i]) == 0)
            return 1;
    return 0;
}

static const double *field(const mg_metrics *m, const char *name)
{
    static const char *const names[] = {"loss", "accuracy", "precision", "recall", "f1", "auc",
                                        "log_loss", "mae", "mse", "rmse", "r2"};
    const double *vals[] = {&m->loss, &m->accuracy, &m->precision, &m->recall, &m->f1, &m->auc,
                            &m->log_loss, &m->mae, &m->mse, &m->rmse, &m->r2};

    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return vals[i];
    return NULL;
}

int mg_metrics_get(double *value, const mg_metrics *m, const char *name)
{
    const double *v = field(m, name);

    if (!v || isnan(*v))
        return mg_error_set(MG_ENOTFOUND, "metrics: no metric '%s' for this model", name);
    *value = *v;
    return MG_OK;
}

json_t *mg_metrics_to_json(const mg_metrics *m)
{
    static const char *const order[] = {"accuracy", "auc", "precision", "recall", "f1",
                                        "log_loss", "mae", "mse", "rmse", "r2", "loss"};
    json_t *j = json_object(), *cm;

    if (!j)
        return NULL;
    json_object_set_new(j, "n", json_integer((json_int_t)m->n));
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const double *v = field(m, order[i]);
        if (!isnan(*v))
            json_object_set_new(j, order[i], json_real(*v));
    }
    if (m->confusion && (cm = json_array())) {
        for (size_t r = 0; r < m->classes; r++) {
            json_t *row = json_array();
            for (size_t c = 0; row && c < m->classes; c++)
                json_array_append_new(row, json_integer((json_int_t)m->confusion[r * m->classes + c]));
            json_array_append_new(cm, row);
        }
        json_object_set_new(j, "confusion_matrix", cm);
    }
    return j;
}
