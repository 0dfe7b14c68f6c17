/* dataset.c - the data catalog: CSV data sets stored by sha256 with schema, owner and lineage. */
#include "inventory.h"
#include "mg_dataset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int gov_check_text(const char *text, size_t max, int required, const char *what)
{
    if (!text || !*text)
        return required ? mg_error_set(MG_EINVAL, "%s is required", what) : MG_OK;
    if (strlen(text) > max)
        return mg_error_set(MG_EINVAL, "%s: longer than %zu bytes", what, max);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\t')
            return mg_error_set(MG_EINVAL, "%s: control character at byte %zu", what,
                                (size_t)(p - (const unsigned char *)text) + 1);
    return MG_OK;
}

int gov_check_object(const json_t *v, int required, const char *what)
{
    if (!v)
        return required ? mg_error_set(MG_EINVAL, "%s is required", what) : MG_OK;
    if (!json_is_object(v))
        return mg_error_set(MG_EINVAL, "%s: expected a JSON object", what);
    return MG_OK;
}

int gov_json_sha256(char hex[MG_SHA256_HEX], const json_t *v)
{
    unsigned char d[MG_SHA256_LEN];
    int rc;

    hex[0] = '\0';
    if (!v)
        return MG_OK;
    if ((rc = mg_jcs_sha256(d, v)) < 0)
        return rc;
    mg_sha256_hex(hex, d);
    return MG_OK;
}

int gov_put_bytes_or_file(char hex[MG_SHA256_HEX], mg_store *s, const char *path, const void *data,
                          size_t len, const char *what)
{
    if (path && data)
        return mg_error_set(MG_EINVAL, "%s: give a file or bytes, not both", what);
    if (path)
        return mg_gov_artifact_put_file(hex, s, path);
    if (!data)
        return mg_error_set(MG_EINVAL, "%s is required", what);
    return mg_gov_artifact_put(hex, s, data, len);
}

/* The schema as core's CSV reader infers it: {"columns":[{"name","type","missing"[,"levels"]}]}. */
static int infer_schema(json_t **schema, int64_t *rows, const mg_gov_dataset *d)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    mg_dataset *ds = NULL;
    json_t *cols;
    int rc;

    *schema = NULL;
    rc = d->path ? mg_dataset_open(&ds, d->path, &o)
                 : mg_dataset_open_buffer(&ds, d->name, d->data, d->len, &o);
    if (rc < 0)
        return rc;
    if (!(cols = json_array()) || !(*schema = json_pack("{s:o}", "columns", cols))) {
        mg_dataset_close(ds);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < mg_dataset_cols(ds); i++) {
        int cat = mg_dataset_col_type(ds, i) == MG_COL_CATEGORICAL;
        json_t *col = json_pack("{s:s,s:s,s:I}", "name", mg_dataset_col_name(ds, i), "type",
                                cat ? "categorical" : "numeric", "missing",
                                (json_int_t)mg_dataset_col_missing(ds, i));
        if (col && cat)
            json_object_set_new(col, "levels", json_integer((json_int_t)mg_dataset_col_levels(ds, i)));
        json_array_append_new(cols, col);
    }
    *rows = (int64_t)mg_dataset_rows(ds);
    mg_dataset_close(ds);
    return MG_OK;
}

typedef struct dataset_arg {
    mg_gov_result *res;
    const mg_gov_dataset *d;
    const json_t *schema;
    int64_t rows, bytes;
} dataset_arg;

static int dataset_change(gov_tx *tx, void *arg)
{
    dataset_arg *a = arg;
    sqlite3_stmt *st = gov_stmt(tx->c, "SELECT id, name FROM datasets WHERE sha256 = ?");
    char now[32];
    int rc;

    if (!st)
        return MG_ERROR;
    gov_bind_text(st, 1, a->res->sha256);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        a->res->id = sqlite3_column_int64(st, 0);
        rc = mg_error_set(MG_EEXISTS, "data set %s is already registered (id %lld, '%s')",
                          a->res->sha256, (long long)a->res->id,
                          (const char *)sqlite3_column_text(st, 1));
        sqlite3_reset(st);
        return rc;
    }
    sqlite3_reset(st);
    if (!(st = gov_stmt(tx->c, "INSERT INTO datasets (sha256, name, schema_json, rows, bytes, "
                               "owner, domain, description, created, created_by, log_index) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, a->res->sha256);
    gov_bind_text(st, 2, a->d->name);
    if ((rc = gov_bind_json(st, 3, a->schema)) < 0)
        return rc;
    sqlite3_bind_int64(st, 4, a->rows);
    sqlite3_bind_int64(st, 5, a->bytes);
    gov_bind_text(st, 6, a->d->owner);
    gov_bind_text(st, 7, a->d->domain ? a->d->domain : "");
    gov_bind_text(st, 8, a->d->description ? a->d->description : "");
    gov_bind_text(st, 9, now);
    gov_bind_text(st, 10, tx->actor->name);
    sqlite3_bind_int64(st, 11, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "datasets")) < 0)
        return rc;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    return gov_append(&a->res->log_index, tx, "dataset.register",
                      json_pack("{s:I,s:s,s:s,s:I,s:s}", "dataset_id", (json_int_t)a->res->id,
                                "name", a->d->name, "sha256", a->res->sha256, "rows",
                                (json_int_t)a->rows, "owner", a->d->owner));
}

int mg_gov_dataset_register(mg_gov_result *res, mg_store *s, const mg_actor *by,
                            const mg_gov_dataset *d)
{
    json_t *inferred = NULL;
    char *path = NULL;
    struct stat st;
    dataset_arg a;
    int rc;

    memset(res, 0, sizeof *res);
    memset(&a, 0, sizeof a);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "registering a data set")) < 0 ||
        (rc = gov_check_name(d->name, "data set name")) < 0 ||
        (rc = gov_check_text(d->owner, 200, 1, "data set owner")) < 0 ||
        (rc = gov_check_text(d->domain, 200, 0, "data set domain")) < 0 ||
        (rc = gov_check_text(d->description, 4000, 0, "data set description")) < 0 ||
        (rc = gov_check_object(d->schema, 0, "data set schema")) < 0)
        return rc;
    a.res = res;
    a.d = d;
    a.schema = d->schema;
    a.rows = d->rows;
    if (!d->schema) {
        if ((rc = infer_schema(&inferred, &a.rows, d)) < 0)
            return rc;
        a.schema = inferred;
    } else if (d->rows < 0) {
        return mg_error_set(MG_EINVAL, "data set rows: %lld is negative", (long long)d->rows);
    }
    if ((rc = gov_put_bytes_or_file(res->sha256, s, d->path, d->data, d->len, "data set")) < 0)
        goto done;
    if ((rc = mg_gov_artifact_path(&path, s, res->sha256)) < 0)
        goto done;
    if (stat(path, &st) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s", path);
        goto done;
    }
    a.bytes = (int64_t)st.st_size;
    rc = gov_write(s, by, dataset_change, &a);
done:
    free(path);
    json_decref(inferred);
    return rc;
}

typedef struct get_arg {
    json_t **out;
    const char *key;
    int64_t id;
} get_arg;

static int dataset_get_read(gov_conn *c, void *arg)
{
    get_arg *a = arg;
    sqlite3_stmt *q;
    json_t *total = NULL, *runs = NULL;
    char missing[160];
    int rc;

    if (a->id > 0)
        q = gov_stmt(c, "SELECT * FROM datasets WHERE id = ?");
    else
        q = gov_stmt(c, "SELECT * FROM datasets WHERE sha256 = ?");
    if (!q)
        return MG_ERROR;
    if (a->id > 0)
        sqlite3_bind_int64(q, 1, a->id);
    else
        gov_bind_text(q, 1, a->key);
    snprintf(missing, sizeof missing, "no data set '%.100s'", a->key);
    if ((rc = gov_row1_json(a->out, c, q, missing)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT id, status, started, started_by FROM runs WHERE dataset_id = ? "
                          "ORDER BY id")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, json_integer_value(json_object_get(*a->out, "id")));
    if ((rc = gov_rows_json(&runs, c, q, "runs")) < 0 ||
        (rc = gov_ledger_total(&total, c, json_string_value(json_object_get(*a->out, "sha256")),
                               0)) < 0) {
        json_decref(runs);
        json_decref(*a->out);
        *a->out = NULL;
        return rc;
    }
    json_object_set_new(*a->out, "runs", runs);
    json_object_set_new(*a->out, "privacy_ledger", total);
    return MG_OK;
}

int mg_gov_dataset_get(json_t **out, mg_store *s, const char *id_or_sha256)
{
    get_arg a = {out, id_or_sha256 ? id_or_sha256 : "", 0};
    const char *p = a.key;

    *out = NULL;
    while (*p && isdigit((unsigned char)*p))
        p++;
    if (*a.key && !*p && strlen(a.key) < 18)
        a.id = strtoll(a.key, NULL, 10);
    else if (!mg_hex_is_sha256(a.key))
        return mg_error_set(MG_EINVAL, "data set '%.100s': expected an id or a sha256", a.key);
    return gov_read(s, dataset_get_read, &a);
}

typedef struct list_arg {
    json_t **out;
    const char *query;
} list_arg;

static int datasets_list_read(gov_conn *c, void *arg)
{
    list_arg *a = arg;
    sqlite3_stmt *q;
    mg_buf like = MG_BUF_INIT;
    int rc;

    if (!a->query || !*a->query) {
        if (!(q = gov_stmt(c, "SELECT id, sha256, name, rows, bytes, owner, domain, description, "
                              "created, created_by, log_index FROM datasets ORDER BY id")))
            return MG_ERROR;
        return gov_rows_json(a->out, c, q, "datasets");
    }
    /* a substring of name, owner, domain or description; % and _ taken literally */
    mg_buf_putc(&like, '%');
    for (const char *p = a->query; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            mg_buf_putc(&like, '\\');
        mg_buf_putc(&like, *p);
    }
    if ((rc = mg_buf_putc(&like, '%')) < 0)
        goto done;
    if (!(q = gov_stmt(c, "SELECT id, sha256, name, rows, bytes, owner, domain, description, "
                          "created, created_by, log_index FROM datasets WHERE name LIKE ?1 "
                          "ESCAPE '\\' OR owner LIKE ?1 ESCAPE '\\' OR domain LIKE ?1 ESCAPE '\\' "
                          "OR description LIKE ?1 ESCAPE '\\' ORDER BY id"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_bind_text(q, 1, like.ptr);
    rc = gov_rows_json(a->out, c, q, "datasets");
done:
    mg_buf_free(&like);
    return rc;
}

int mg_gov_datasets_list(json_t **out, mg_store *s, const char *query)
{
    list_arg a = {out, query};
    *out = NULL;
    return gov_read(s, datasets_list_read, &a);
}
