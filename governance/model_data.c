/* model_data.c - reading a CSV for a saved model: types from its pipeline, targets from a label. */
#include "mg_train.h"

#include "mg_buf.h"
#include "mg_csv.h"
#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "col:type,..." for the model's inputs that the file's header has. */
static int schema_for(mg_buf *schema, const char *path, const mg_pipeline *p)
{
    mg_csv_reader *r = NULL;
    const mg_csv_field *f;
    size_t nf;
    int rc;

    if ((rc = mg_csv_reader_open(&r, path, NULL)) < 0)
        return rc;
    if ((rc = mg_csv_reader_next(r, &f, &nf)) <= 0) {
        mg_csv_reader_close(r);
        return rc; /* 0: empty file, which mg_dataset_open reports */
    }
    for (size_t i = 0; i < mg_pipeline_inputs(p); i++) {
        const char *name = mg_pipeline_input_name(p, i);
        int present = 0;
        for (size_t k = 0; k < nf && !present; k++)
            present = strcmp(f[k].ptr, name) == 0;
        if (!present || strpbrk(name, ",:"))
            continue;
        if ((rc = mg_buf_printf(schema, "%s%s:%s", schema->len ? "," : "", name,
                                mg_pipeline_input_type(p, i) == MG_COL_NUMERIC ? "numeric"
                                                                               : "categorical")) < 0)
            break;
    }
    mg_csv_reader_close(r);
    return rc < 0 ? rc : MG_OK;
}

int mg_train_open_for_model(mg_dataset **out, const char *path, const mg_model *m)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_buf schema = MG_BUF_INIT;
    int rc;

    *out = NULL;
    if ((rc = schema_for(&schema, path, mg_model_pipeline(m))) < 0)
        goto done;
    o.schema = schema.len ? schema.ptr : NULL;
    rc = mg_dataset_open(out, path, &o);
done:
    mg_buf_free(&schema);
    return rc;
}

int mg_train_encode_for_model(double **Xo, double **yo, size_t *n, size_t *dropped,
                              size_t *unknown, const mg_model *m, const mg_dataset *ds, const char *label)
{
    size_t rows = mg_dataset_rows(ds), w = mg_model_inputs(m), keep = 0;
    double *X = NULL, *y = NULL;
    long col = -1;
    int rc;

    *Xo = NULL;
    if (yo)
        *yo = NULL;
    *n = *dropped = 0;
    if (label && (col = mg_dataset_col_find(ds, label)) < 0)
        return mg_error_set(MG_ENOTFOUND, "--label: no column '%s' in %s", label,
                            mg_dataset_name(ds));
    if ((rc = mg_model_encode(&X, label ? &y : NULL, unknown, m, ds, col, NULL, 0)) < 0)
        return rc;
    /* Rows with a missing label cannot be scored: drop them, keeping order. */
    for (size_t r = 0; r < rows; r++) {
        if (label && isnan(y[r]))
            continue;
        if (keep != r && label) {
            memcpy(X + keep * w, X + r * w, w * sizeof *X);
            y[keep] = y[r];
        }
        keep++;
    }
    *dropped = rows - keep;
    *n = keep;
    *Xo = X;
    if (yo)
        *yo = y;
    else
        free(y);
    return MG_OK;
}
