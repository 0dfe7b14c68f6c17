/* cmd_predict.c - `modelgov predict`: a saved model's predictions for the rows of a CSV. */
#include "cli.h"
#include "mg_core.h"
#include "model_data.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One header field, prefix + name, quoted as CSV needs: a label or class may hold a comma. */
static int header_field(mg_buf *b, const char *prefix, const char *name, int first)
{
    size_t np = strlen(prefix), nn = strlen(name);
    char *f = malloc(np + nn + 1);
    int rc;

    if (!f)
        return mg_error_set(MG_ENOMEM, "predict: no memory for the header");
    memcpy(f, prefix, np);
    memcpy(f + np, name, nn + 1);
    rc = first ? MG_OK : mg_buf_putc(b, ',');
    if (rc == MG_OK)
        rc = mg_csv_write_field(b, f, np + nn, ',');
    free(f);
    return rc;
}

/* Header: predicted_<label>, then score (binary) or p_<class> per class (K classes). */
static int csv_header(mg_buf *b, const mg_model *m)
{
    size_t K = mg_model_outputs(m);
    int rc;

    if ((rc = header_field(b, "predicted_", mg_model_label(m), 1)) < 0)
        return rc;
    if (mg_model_classes(m) == 2 && K == 1)
        rc = mg_buf_puts(b, ",score");
    for (size_t k = 0; rc == MG_OK && K > 1 && k < K; k++)
        rc = header_field(b, "p_", mg_model_class_name(m, k), 0);
    return rc < 0 ? rc : mg_buf_putc(b, '\n');
}

static int csv_row(mg_buf *b, const mg_model *m, const double *p)
{
    size_t K = mg_model_outputs(m);
    const char *cls;
    int rc;

    if (mg_model_classes(m) == 0)
        return mg_buf_printf(b, "%.17g\n", p[0]);
    cls = mg_model_class_name(m, mg_model_decide(m, p));
    if ((rc = mg_csv_write_field(b, cls, strlen(cls), ',')) < 0)
        return rc;
    for (size_t k = 0; k < K; k++)
        if ((rc = mg_buf_printf(b, ",%.17g", p[k])) < 0)
            return rc;
    return mg_buf_putc(b, '\n');
}

static json_t *json_row(const mg_model *m, const double *p)
{
    size_t K = mg_model_outputs(m);
    json_t *o, *probs;

    if (mg_model_classes(m) == 0)
        return json_real(p[0]);
    o = json_object();
    json_object_set_new(o, "label", json_string(mg_model_class_name(m, mg_model_decide(m, p))));
    if (K == 1) {
        json_object_set_new(o, "score", json_real(p[0]));
        return o;
    }
    probs = json_object();
    for (size_t k = 0; k < K; k++)
        json_object_set_new(probs, mg_model_class_name(m, k), json_real(p[k]));
    json_object_set_new(o, "probabilities", probs);
    return o;
}

static int write_out(const cli_args *a, const mg_model *m, const double *pred, size_t n,
                     size_t unknown)
{
    const char *out = cli_get(a, "out");
    size_t K = mg_model_outputs(m);
    mg_buf b = MG_BUF_INIT;
    json_t *doc = NULL, *rows;
    char *text = NULL;
    int rc = MG_OK;

    if (out || !a->json) {
        if ((rc = csv_header(&b, m)) < 0)
            goto done;
        for (size_t r = 0; r < n && rc == MG_OK; r++)
            rc = csv_row(&b, m, pred + r * K);
        if (rc < 0)
            goto done;
        if (out && (rc = mg_file_write_atomic(out, b.ptr, b.len, 0644)) < 0)
            goto done;
        if (!out)
            fwrite(b.ptr, 1, b.len, stdout);
    }
    if (a->json) {
        doc = json_object();
        json_object_set_new(doc, "model", json_string(cli_get(a, "model")));
        json_object_set_new(doc, "n", json_integer((json_int_t)n));
        json_object_set_new(doc, "unknown_categories", json_integer((json_int_t)unknown));
        json_object_set_new(doc, "out", out ? json_string(out) : json_null());
        if (!out) {
            rows = json_array();
            for (size_t r = 0; r < n; r++)
                json_array_append_new(rows, json_row(m, pred + r * K));
            json_object_set_new(doc, "predictions", rows);
        }
        if (!(text = mg_json_dumps(doc, JSON_COMPACT))) {
            rc = mg_error_set(MG_ENOMEM, "no memory for the JSON output");
            goto done;
        }
        puts(text);
    } else if (out) {
        fprintf(stderr, "modelgov: wrote %zu predictions to %s\n", n, out);
    }
    if (unknown)
        fprintf(stderr, "modelgov: %zu categorical values unseen in training were encoded as"
                        " all zeros\n", unknown);
done:
    free(text);
    json_decref(doc);
    mg_buf_free(&b);
    return rc;
}

static int predict(const cli_args *a)
{
    const char *path, *data;
    mg_model *m = NULL;
    mg_dataset *ds = NULL;
    double *X = NULL, *pred = NULL;
    size_t n, dropped, unknown;
    int rc;

    if ((rc = cli_require(a, "model", &path)) < 0 || (rc = cli_require(a, "data", &data)) < 0)
        return rc;
    if ((rc = mg_model_load(&m, path)) < 0 || (rc = mg_train_open_for_model(&ds, data, m)) < 0 ||
        (rc = mg_train_encode_for_model(&X, NULL, &n, &dropped, &unknown, m, ds, NULL)) < 0)
        goto done;
    if (!(pred = malloc((n ? n : 1) * mg_model_outputs(m) * sizeof *pred))) {
        rc = mg_error_set(MG_ENOMEM, "no memory for %zu predictions", n);
        goto done;
    }
    if ((rc = mg_model_predict_encoded(m, X, n, pred)) < 0)
        goto done;
    rc = write_out(a, m, pred, n, unknown);
done:
    free(pred);
    free(X);
    mg_dataset_close(ds);
    mg_model_free(m);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("predict"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    return (rc = predict(&a)) < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
