/* results.c - printing what train and evaluate found: a table, or DESIGN §3's JSON. */
#include "results.h"
#include "cli.h"
#include "mg_error.h"
#include "train_dp.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Print and release `doc` (NULL: out of memory). Errors: MG_ENOMEM. */
static int print_json(json_t *doc)
{
    int rc = cli_print_json(doc);

    json_decref(doc);
    return rc;
}

static void metrics_table(const mg_metrics *m, const mg_model *model)
{
    static const char *const names[] = {"accuracy", "auc", "precision", "recall", "f1",
                                        "log_loss", "mae", "mse", "rmse", "r2"};
    double v;

    printf("%-12s %s\n", "metric", "value");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (mg_metrics_get(&v, m, names[i]) == MG_OK)
            printf("%-12s %.6f\n", names[i], v);
    mg_error_clear();
    if (m->confusion) {
        printf("\nconfusion matrix (rows: actual, columns: predicted)\n%-16s", "");
        for (size_t c = 0; c < m->classes; c++)
            printf(" %12.12s", mg_model_class_name(model, c));
        putchar('\n');
        for (size_t r = 0; r < m->classes; r++) {
            printf("%-16.16s", mg_model_class_name(model, r));
            for (size_t c = 0; c < m->classes; c++)
                printf(" %12zu", m->confusion[r * m->classes + c]);
            putchar('\n');
        }
    }
}

static json_t *label_json(const mg_model *m)
{
    json_t *j = json_object(), *cls = json_array();

    json_object_set_new(j, "column", json_string(mg_model_label(m)));
    for (size_t k = 0; k < mg_model_classes(m); k++)
        json_array_append_new(cls, json_string(mg_model_class_name(m, k)));
    json_object_set_new(j, "classes", cls);
    if (mg_model_classes(m) == 2)
        json_object_set_new(j, "positive", json_string(mg_model_class_name(m, 1)));
    return j;
}

static json_t *curve(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

static int train_json(const train_result *r, const mg_estimator *e)
{
    const mg_model *m = mg_estimator_model(e);
    json_t *doc = json_object(), *model = json_object(), *rows = json_object(), *curves;
    size_t n;
    const double *tl = mg_estimator_train_loss(e, &n), *el = mg_estimator_eval_loss(e, &n);

    json_object_set_new(model, "type", json_string(mg_model_type_name(mg_model_kind(m))));
    json_object_set_new(model, "params", json_integer((json_int_t)mg_model_params(m)));
    json_object_set_new(model, "path", r->out ? json_string(r->out) : json_null());
    json_object_set_new(model, "sha256", r->out ? json_string(r->sha256) : json_null());
    json_object_set_new(doc, "model", model);
    json_object_set_new(doc, "label", label_json(m));
    json_object_set_new(rows, "train", json_integer((json_int_t)r->ntrain));
    json_object_set_new(rows, "test", json_integer((json_int_t)r->ntest));
    json_object_set_new(rows, "dropped_missing_label",
                        json_integer((json_int_t)(r->dropped + r->test_dropped)));
    json_object_set_new(doc, "rows", rows);
    json_object_set_new(doc, "metrics", r->have_metrics ? mg_metrics_to_json(&r->metrics)
                                                        : json_object());
    curves = json_object();
    json_object_set_new(curves, "train_loss", curve(tl, n));
    json_object_set_new(curves, "eval_loss", curve(el, n));
    json_object_set_new(doc, "curves", curves);
    json_object_set_new(doc, "epochs", json_integer((json_int_t)mg_estimator_epoch(e)));
    json_object_set_new(doc, "steps", json_integer((json_int_t)mg_estimator_global_step(e)));
    json_object_set_new(doc, "seconds", json_real(r->seconds));
    if ((curves = train_dp_json(m)))
        json_object_set_new(doc, "privacy", curves);
    return print_json(doc);
}

int results_print_train(const train_result *r, const mg_estimator *e, int json)
{
    const mg_model *m = mg_estimator_model(e);
    const mg_train_options *o = mg_estimator_options(e);
    size_t n;
    const double *tl = mg_estimator_train_loss(e, &n), *el = mg_estimator_eval_loss(e, &n);

    if (json)
        return train_json(r, e);
    printf("model     %s, %zu parameters", mg_model_type_name(mg_model_kind(m)),
           mg_model_params(m));
    if (r->out)
        printf(" -> %s (sha256 %.16s...)\n", r->out, r->sha256);
    else
        printf(" (not saved: give --out MODEL.mgm)\n");
    printf("rows      %zu train, %zu test", r->ntrain, r->ntest);
    if (r->dropped + r->test_dropped)
        printf(", %zu dropped (missing label)", r->dropped + r->test_dropped);
    printf("\ntraining  %zu epochs, %zu steps, %s lr %g, batch %zu, %.2f s\n\n",
           mg_estimator_epoch(e), mg_estimator_global_step(e),
           mg_optim_kind_name(o->optim.kind), o->optim.lr, o->batch_size, r->seconds);
    printf("%-6s %12s %12s\n", "epoch", "train_loss", "eval_loss");
    for (size_t i = 0; i < n; i++)
        printf("%-6zu %12.6f %12.6f\n", i + 1, tl[i], el[i]);
    if (r->have_metrics) {
        printf("\ntest set (%zu rows)\n", r->ntest);
        metrics_table(&r->metrics, m);
    }
    train_dp_table(m);
    return MG_OK;
}

int results_print_eval(const mg_metrics *m, const mg_model *model, const char *model_path,
                       size_t dropped, size_t unknown, int json)
{
    if (json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "model", json_string(model_path));
        json_object_set_new(doc, "label", label_json(model));
        json_object_set_new(doc, "n", json_integer((json_int_t)m->n));
        json_object_set_new(doc, "dropped_missing_label", json_integer((json_int_t)dropped));
        json_object_set_new(doc, "unknown_categories", json_integer((json_int_t)unknown));
        json_object_set_new(doc, "metrics", mg_metrics_to_json(m));
        return print_json(doc);
    }
    printf("model     %s (%s)\nrows      %zu", model_path,
           mg_model_type_name(mg_model_kind(model)), m->n);
    if (dropped)
        printf(", %zu dropped (missing label)", dropped);
    if (unknown)
        printf(", %zu categorical values unseen in training (encoded as all zeros)", unknown);
    printf("\n\n");
    metrics_table(m, model);
    return MG_OK;
}
