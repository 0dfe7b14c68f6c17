/* mg_metrics.h - evaluation metrics: classification (binary, K-class) and regression. */
#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stddef.h>

typedef enum mg_task {
    MG_TASK_REGRESSION = 0,
    MG_TASK_BINARY = 1,    /* labels 0/1, one score per row: P(class 1) */
    MG_TASK_MULTICLASS = 2 /* labels 0..K-1, K probabilities per row */
} mg_task;

/*
 * One evaluation. Fields that do not apply to the task are NaN. For K
 * classes precision, recall and F1 are macro averages (scikit-learn's
 * average='macro'); for binary they are those of class 1 at threshold 0.5.
 * `confusion` is K x K (rows: actual, columns: predicted), owned by the
 * struct: release with mg_metrics_free().
 */
typedef struct mg_metrics {
    mg_task task;
    size_t n;
    double loss; /* the training loss: MSE or MAE (regression), log loss (classes) */
    double accuracy, precision, recall, f1, auc, log_loss;
    double mae, mse, rmse, r2;
    size_t classes;
    size_t *confusion;
} mg_metrics;

#define MG_METRICS_INIT {MG_TASK_REGRESSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL}

/*
 * Compute the metrics of n predictions against labels y. `pred` holds one
 * value per row (regression: the prediction; binary: P(class 1)) or K per row
 * (multiclass probabilities). `mae_loss` picks MAE as a regression's loss.
 * Log loss clips probabilities to [1e-15, 1 - 1e-15] as scikit-learn does.
 * Errors: MG_EINVAL (n = 0, a label that is not a class index, or a NaN or
 * infinite label or prediction), MG_ENOMEM.
 */
int mg_metrics_compute(mg_metrics *out, mg_task task, const double *y, const double *pred,
                       size_t n, size_t classes, int mae_loss);

void mg_metrics_free(mg_metrics *m); /* frees `confusion`; NULL-safe */

/*
 * ROC AUC of scores against 0/1 labels, exact: the Mann-Whitney U statistic
 * with tied scores given their average rank (= the trapezoidal area under the
 * ROC curve). Errors: MG_EINVAL (only one class present, or a score that is
 * NaN or infinite), MG_ENOMEM.
 */
int mg_metrics_auc(double *out, const double *y, const double *score, size_t n);

/*
 * A metric by name: "loss", "accuracy", "precision", "recall", "f1", "auc",
 * "log_loss", "mae", "mse", "rmse", "r2". Errors: MG_ENOTFOUND (unknown name
 * or not defined for the task).
 */
int mg_metrics_get(double *value, const mg_metrics *m, const char *name);

/* 1 when a larger value of the named metric is better (accuracy, auc, r2, ...). */
int mg_metrics_higher_is_better(const char *name);

/*
 * The metrics as a new JSON object {"n":…, "accuracy":…, …} (only those that
 * apply, plus "confusion_matrix" as an array of rows), or NULL on ENOMEM.
 */
struct json_t *mg_metrics_to_json(const mg_metrics *m);

#endif
