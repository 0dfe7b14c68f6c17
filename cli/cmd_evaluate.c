/* cmd_evaluate.c - `modelgov evaluate`: metrics of a saved model on labelled rows. */
#include "cli.h"
#include "mg_core.h"
#include "model_data.h"
#include "results.h"

#include <stdlib.h>
#include <string.h>

static int check_positive(const mg_model *m, const char *positive)
{
    if (!positive)
        return MG_OK;
    if (mg_model_classes(m) != 2)
        return mg_error_set(MG_EINVAL, "--positive: the model is not a binary classifier");
    if (strcmp(positive, mg_model_class_name(m, 1)) != 0)
        return mg_error_set(MG_EINVAL, "--positive: the model's positive class is '%s', not '%s'",
                            mg_model_class_name(m, 1), positive);
    return MG_OK;
}

static int evaluate(const cli_args *a)
{
    const char *path, *data, *label;
    mg_model *m = NULL;
    mg_dataset *ds = NULL;
    mg_metrics met = MG_METRICS_INIT;
    double *X = NULL, *y = NULL, *pred = NULL;
    size_t n, dropped, unknown;
    int rc;

    if ((rc = cli_require(a, "model", &path)) < 0 || (rc = cli_require(a, "data", &data)) < 0 ||
        (rc = cli_require(a, "label", &label)) < 0)
        return rc;
    if ((rc = mg_model_load(&m, path)) < 0 || (rc = check_positive(m, cli_get(a, "positive"))) < 0 ||
        (rc = mg_train_open_for_model(&ds, data, m)) < 0 ||
        (rc = mg_train_encode_for_model(&X, &y, &n, &dropped, &unknown, m, ds, label)) < 0)
        goto done;
    if (n == 0) {
        rc = mg_error_set(MG_EINVAL, "%s: no rows with a label '%s' to evaluate", data, label);
        goto done;
    }
    if (!(pred = malloc(n * mg_model_outputs(m) * sizeof *pred))) {
        rc = mg_error_set(MG_ENOMEM, "no memory for %zu predictions", n);
        goto done;
    }
    if ((rc = mg_model_predict_encoded(m, X, n, pred)) < 0 ||
        (rc = mg_metrics_compute(&met, mg_model_task(m), y, pred, n, mg_model_classes(m),
                                 mg_model_regression_loss(m) == MG_LOSS_MAE)) < 0)
        goto done;
    rc = results_print_eval(&met, m, path, dropped, unknown, a->json);
done:
    mg_metrics_free(&met);
    free(pred);
    free(X);
    free(y);
    mg_dataset_close(ds);
    mg_model_free(m);
    return rc;
}

int cmd_evaluate(int argc, char **argv)
{
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("evaluate"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    return (rc = evaluate(&a)) < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
