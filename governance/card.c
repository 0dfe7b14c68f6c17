/* card.c - model cards from the store: JSON, and Markdown for people (cf. Mitchell et al. 2019). */
#include "inventory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOP_FEATURES 10

typedef struct card_arg {
    json_t **out;
    mg_store *s;
    const char *model;
    int64_t number;
} card_arg;

/* The first row of `sql` bound to `id`, or JSON null when there is none. */
static int row_or_null(json_t **out, gov_conn *c, const char *sql, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, sql);
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, id);
    rc = gov_row1_json(out, c, q, "none");
    if (rc == MG_ENOTFOUND) {
        mg_error_clear();
        *out = json_null();
        return MG_OK;
    }
    return rc;
}

/* The newest report of `kind` on the version, fresh ones first, with its document. */
static int latest_report(json_t **out, json_t **doc, card_arg *a, gov_conn *c, const gov_version *v,
                         const char *kind)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT id, sha256, artifact_sha256 = ?2 AS fresh, created FROM "
                                  "reports WHERE version_id = ?1 AND kind = ?3 ORDER BY fresh "
                                  "DESC, id DESC LIMIT 1");
    mg_buf bytes = MG_BUF_INIT;
    int rc;

    *out = NULL;
    *doc = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, v->id);
    gov_bind_text(q, 2, v->artifact);
    gov_bind_text(q, 3, kind);
    rc = gov_row1_json(out, c, q, "none");
    if (rc == MG_ENOTFOUND) {
        mg_error_clear();
        return MG_OK;
    }
    if (rc < 0)
        return rc;
    json_object_set_new(*out, "fresh",
                        json_boolean(json_integer_value(json_object_get(*out, "fresh"))));
    if ((rc = mg_gov_artifact_read(&bytes, a->s, json_string_value(json_object_get(*out, "sha256")))) <
        0)
        return rc;
    *doc = json_loadb(bytes.ptr, bytes.len, 0, NULL);
    mg_buf_free(&bytes);
    return *doc ? MG_OK : mg_error_set(MG_EPARSE, "report: stored document is not JSON");
}

static int by_importance(const void *x, const void *y)
{
    double a = json_number_value(json_object_get(*(json_t *const *)x, "importance"));
    double b = json_number_value(json_object_get(*(json_t *const *)y, "importance"));
    return a < b ? 1 : a > b ? -1 : 0;
}

/* {"column": mean |phi|} -> the TOP_FEATURES largest, descending. */
static json_t *top_features(const json_t *global)
{
    size_t n = json_object_size(global), k = 0;
    json_t **items = n ? calloc(n, sizeof *items) : NULL, *out = json_array(), *v;
    const char *col;

    if (n && !items)
        return out;
    json_object_foreach((json_t *)global, col, v)
        if (json_is_number(v))
            items[k++] = json_pack("{s:s,s:f}", "column", col, "importance", json_number_value(v));
    if (k)
        qsort(items, k, sizeof *items, by_importance);
    for (size_t i = 0; i < k; i++) {
        if (i < TOP_FEATURES)
            json_array_append(out, items[i]);
        json_decref(items[i]);
    }
    free(items);
    return out;
}

/* {"DI": 0.93, ...}: the value of each metric of a bias report. */
static json_t *metric_values(const json_t *metrics)
{
    json_t *out = json_object(), *m;
    const char *name;

    json_object_foreach((json_t *)metrics, name, m)
    {
        const json_t *v = json_is_object(m) ? json_object_get(m, "value") : m;
        if (json_is_number(v))
            json_object_set_new(out, name, json_real(json_number_value(v)));
    }
    return out;
}

static int card_read(gov_conn *c, void *arg)
{
    card_arg *a = arg;
    json_t *card = NULL, *model = NULL, *version = NULL, *run = NULL, *data = NULL, *history = NULL;
    json_t *bias = NULL, *bias_doc = NULL, *expl = NULL, *expl_doc = NULL, *privacy = NULL;
    json_t *ledger = NULL, *total = NULL, *th = NULL, *entries = NULL;
    sqlite3_stmt *q;
    gov_version v;
    int rc;

    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0)
        return rc;
    if ((rc = row_or_null(&model, c, "SELECT name, owner, description, intended_use, risk_tier, "
                                     "policy_json FROM models WHERE id = ?",
                          v.model_id)) < 0 ||
        (rc = row_or_null(&version, c, "SELECT number, stage, artifact_sha256, submitter, "
                                       "description, metrics_json, created, updated, log_index "
                                       "FROM versions WHERE id = ?",
                          v.id)) < 0 ||
        (rc = row_or_null(&run, c, "SELECT id, dataset_id, config_json, seed, code_version, "
                                   "status, started, finished, metrics_json, loss_curves_json "
                                   "FROM runs WHERE id = ?",
                          v.run_id)) < 0)
        goto done;
    if (json_is_object(run) &&
        (rc = row_or_null(&data, c, "SELECT id, name, sha256, rows, owner, domain, description "
                                    "FROM datasets WHERE id = ?",
                          json_integer_value(json_object_get(run, "dataset_id")))) < 0)
        goto done;
    if (!data)
        data = json_null();
    if ((rc = latest_report(&bias, &bias_doc, a, c, &v, "bias")) < 0 ||
        (rc = latest_report(&expl, &expl_doc, a, c, &v, "explain")) < 0)
        goto done;
    if (v.run_id && (rc = gov_ledger_of_run(&ledger, c, v.run_id)) < 0)
        goto done;
    if (json_is_object(data) &&
        (rc = gov_ledger_total(&total, c, json_string_value(json_object_get(data, "sha256")), 0)) <
            0)
        goto done;
    privacy = json_pack("{s:b,s:O?,s:O?}", "differentially_private",
                        ledger && strcmp(json_string_value(json_object_get(ledger, "kind")), "rdp") == 0,
                        "training_run", ledger, "dataset_ledger", total);
    if (!(q = gov_stmt(c, "SELECT from_stage AS \"from\", to_stage AS \"to\", actor, role, "
                          "comment, created, log_index FROM transitions WHERE version_id = ? ORDER "
                          "BY id"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(q, 1, v.id);
    if ((rc = gov_rows_json(&history, c, q, "transitions")) < 0)
        goto done;
    if (!(q = gov_stmt(c, "SELECT log_index FROM versions WHERE id = ?1 UNION SELECT log_index "
                          "FROM reports WHERE version_id = ?1 UNION SELECT log_index FROM "
                          "transitions WHERE version_id = ?1 UNION SELECT log_index FROM "
                          "comments WHERE version_id = ?1 ORDER BY 1"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(q, 1, v.id);
    if ((rc = gov_rows_json(&entries, c, q, "log")) < 0 ||
        (rc = gov_tree_head_json(&th, c, 0)) < 0)
        goto done;
    card = json_pack(
        "{s:O,s:O,s:O,s:O,s:O?,s:o,s:o,s:O,s:O,s:{s:O,s:O}}", "model", model, "version", version,
        "training_data", data, "training_run", run, "metrics",
        json_object_get(version, "metrics"), "bias",
        bias ? json_pack("{s:O,s:O,s:O,s:O?,s:O?,s:o}", "report_id", json_object_get(bias, "id"),
                         "sha256", json_object_get(bias, "sha256"), "fresh",
                         json_object_get(bias, "fresh"), "facet", json_object_get(bias_doc, "facet"),
                         "label", json_object_get(bias_doc, "label"), "metrics",
                         metric_values(json_object_get(bias_doc, "metrics")))
             : json_null(),
        "top_features",
        expl ? json_pack("{s:O,s:O,s:O?,s:o}", "report_id", json_object_get(expl, "id"), "fresh",
                         json_object_get(expl, "fresh"), "method",
                         json_object_get(expl_doc, "method"), "features",
                         top_features(json_object_get(expl_doc, "global")))
             : json_null(),
        "privacy", privacy, "approval_history", history, "evidence", "log_entries", entries,
        "tree_head", th);
    if (!card) {
        rc = mg_error_set(MG_ENOMEM, "model card: out of memory");
        goto done;
    }
    *a->out = card;
done:
    json_decref(model);
    json_decref(version);
    json_decref(run);
    json_decref(data);
    json_decref(bias);
    json_decref(bias_doc);
    json_decref(expl);
    json_decref(expl_doc);
    json_decref(ledger);
    json_decref(total);
    json_decref(privacy);
    json_decref(history);
    json_decref(entries);
    json_decref(th);
    return rc;
}

int mg_gov_card(json_t **out, mg_store *s, const char *model, int64_t number)
{
    card_arg a = {out, s, model, number};
    *out = NULL;
    return gov_read(s, card_read, &a);
}

/* ---- Markdown ---- */

static const char *str(const json_t *obj, const char *key)
{
    const char *t = json_string_value(json_object_get(obj, key));
    return t && *t ? t : "-";
}

/* Table cells: pipes and line breaks would break the row. */
static void cell(mg_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            mg_buf_puts(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            mg_buf_putc(b, ' ');
        else
            mg_buf_putc(b, *p);
    }
}

static void number_text(mg_buf *b, const json_t *v)
{
    if (json_is_integer(v))
        mg_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        mg_buf_printf(b, "%.4g", json_number_value(v));
    else
        mg_buf_puts(b, "-");
}

static void kv_row(mg_buf *b, const char *key, const char *value)
{
    mg_buf_printf(b, "| %s | ", key);
    cell(b, value);
    mg_buf_puts(b, " |\n");
}

static void md_numbers(mg_buf *b, const json_t *obj, const char *head)
{
    const char *k;
    json_t *v;

    if (!json_is_object(obj) || json_object_size(obj) == 0) {
        mg_buf_puts(b, "None recorded.\n\n");
        return;
    }
    mg_buf_printf(b, "| %s | value |\n|---|---|\n", head);
    json_object_foreach((json_t *)obj, k, v)
    {
        mg_buf_puts(b, "| ");
        cell(b, k);
        mg_buf_puts(b, " | ");
        number_text(b, v);
        mg_buf_puts(b, " |\n");
    }
    mg_buf_puts(b, "\n");
}

static void md_privacy(mg_buf *b, const json_t *p)
{
    const json_t *run = json_object_get(p, "training_run"), *ds = json_object_get(p, "dataset_ledger");

    if (json_is_true(json_object_get(p, "differentially_private"))) {
        mg_buf_puts(b, "Trained with differential privacy (DP-SGD): epsilon ");
        number_text(b, json_object_get(run, "epsilon"));
        mg_buf_puts(b, " at delta ");
        number_text(b, json_object_get(run, "delta"));
        mg_buf_puts(b, " (RDP accountant, Opacus's orders).");
    } else {
        mg_buf_puts(b, "No differential-privacy guarantee: trained without DP.");
    }
    if (json_is_object(ds)) {
        mg_buf_printf(b, " The training data's privacy ledger has %lld row(s); ",
                      (long long)json_integer_value(json_object_get(ds, "rows")));
        if (json_is_number(json_object_get(ds, "epsilon"))) {
            mg_buf_puts(b, "composed epsilon ");
            number_text(b, json_object_get(ds, "epsilon"));
            mg_buf_puts(b, ".");
        } else {
            mg_buf_puts(b, "its composed spend is unbounded (a run trained on it without DP).");
        }
    }
    mg_buf_puts(b, "\n\n");
}

int mg_gov_card_markdown(mg_buf *out, const json_t *card)
{
    const json_t *m = json_object_get(card, "model"), *v = json_object_get(card, "version");
    const json_t *d = json_object_get(card, "training_data"), *bias = json_object_get(card, "bias");
    const json_t *top = json_object_get(card, "top_features"), *it;
    const json_t *th = json_object_get(json_object_get(card, "evidence"), "tree_head");
    size_t mark = out->len, i;
    char num[32];

    if (!json_is_object(m) || !json_is_object(v))
        return mg_error_set(MG_EINVAL, "model card: expected \"model\" and \"version\" objects");
    mg_buf_printf(out, "# Model card: %s, version %lld\n\n", str(m, "name"),
                  (long long)json_integer_value(json_object_get(v, "number")));
    mg_buf_puts(out, "| field | value |\n|---|---|\n");
    kv_row(out, "owner", str(m, "owner"));
    kv_row(out, "risk tier", str(m, "risk_tier"));
    kv_row(out, "stage", str(v, "stage"));
    kv_row(out, "submitted by", str(v, "submitter"));
    kv_row(out, "registered", str(v, "created"));
    kv_row(out, "artifact sha256", str(v, "artifact_sha256"));
    mg_buf_puts(out, "\n## Description\n\n");
    mg_buf_printf(out, "%s\n\n## Intended use\n\n%s\n\n", str(m, "description"),
                  str(m, "intended_use"));
    mg_buf_puts(out, "## Training data\n\n");
    if (json_is_object(d)) {
        mg_buf_puts(out, "| field | value |\n|---|---|\n");
        kv_row(out, "name", str(d, "name"));
        kv_row(out, "sha256", str(d, "sha256"));
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(d, "rows")));
        kv_row(out, "rows", num);
        kv_row(out, "owner", str(d, "owner"));
        mg_buf_puts(out, "\n");
    } else {
        mg_buf_puts(out, "Not recorded (no training run linked).\n\n");
    }
    mg_buf_puts(out, "## Metrics\n\n");
    md_numbers(out, json_object_get(card, "metrics"), "metric");
    mg_buf_puts(out, "## Bias\n\n");
    if (json_is_object(bias)) {
        mg_buf_printf(out, "Report %lld%s.\n\n",
                      (long long)json_integer_value(json_object_get(bias, "report_id")),
                      json_is_true(json_object_get(bias, "fresh"))
                          ? ", computed on this artifact"
                          : ", computed on an earlier artifact (stale)");
        md_numbers(out, json_object_get(bias, "metrics"), "metric");
    } else {
        mg_buf_puts(out, "No bias report.\n\n");
    }
    mg_buf_puts(out, "## Top features\n\n");
    if (json_is_object(top) && json_array_size(json_object_get(top, "features"))) {
        mg_buf_printf(out, "Mean |SHAP| by original column (%s, report %lld).\n\n"
                           "| column | importance |\n|---|---|\n",
                      str(top, "method"),
                      (long long)json_integer_value(json_object_get(top, "report_id")));
        json_array_foreach(json_object_get(top, "features"), i, it)
        {
            mg_buf_puts(out, "| ");
            cell(out, str(it, "column"));
            mg_buf_puts(out, " | ");
            number_text(out, json_object_get(it, "importance"));
            mg_buf_puts(out, " |\n");
        }
        mg_buf_puts(out, "\n");
    } else {
        mg_buf_puts(out, "No explainability report.\n\n");
    }
    mg_buf_puts(out, "## Privacy\n\n");
    md_privacy(out, json_object_get(card, "privacy"));
    mg_buf_puts(out, "## Approval history\n\n");
    if (json_array_size(json_object_get(card, "approval_history"))) {
        mg_buf_puts(out, "| when | from | to | by | comment | log entry |\n|---|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(card, "approval_history"), i, it)
        {
            mg_buf_printf(out, "| %s | %s | %s | ", str(it, "created"), str(it, "from"),
                          str(it, "to"));
            cell(out, str(it, "actor"));
            mg_buf_puts(out, " | ");
            cell(out, str(it, "comment"));
            mg_buf_printf(out, " | %lld |\n",
                          (long long)json_integer_value(json_object_get(it, "log_index")));
        }
        mg_buf_puts(out, "\n");
    } else {
        mg_buf_puts(out, "No transitions yet.\n\n");
    }
    mg_buf_puts(out, "## Evidence\n\nEvery fact above is recorded in the signed log");
    if (json_is_object(th))
        mg_buf_printf(out, " (tree head: size %lld, root %s, signed by key %.16s)",
                      (long long)json_integer_value(json_object_get(th, "size")), str(th, "root"),
                      str(th, "key_id"));
    if (mg_buf_puts(out, "; check it offline with `modelgov audit export` and "
                         "`modelgov verify --bundle`.\n") < 0) {
        out->len = mark;
        if (out->ptr)
            out->ptr[mark] = '\0';
        return mg_error_set(MG_ENOMEM, "model card: out of memory");
    }
    return MG_OK;
}
