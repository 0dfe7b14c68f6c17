/* workflow.c - the approval state machine and its policy gates (DESIGN §5), for CLI and web alike. */
#include "inventory.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DESIGN §5's stages and who may move a version along each edge. */
static const struct {
    const char *from, *to;
    mg_role role;
} edges[] = {
    {"registered", "pending_review", MG_ROLE_SUBMITTER},
    {"pending_review", "approved", MG_ROLE_REVIEWER},
    {"pending_review", "rejected", MG_ROLE_REVIEWER},
    {"approved", "production", MG_ROLE_REVIEWER},
    {"production", "archived", MG_ROLE_REVIEWER},
};

static const char *const stages[] = {"registered", "pending_review", "approved",
                                     "production", "archived",       "rejected"};

/* smclarify's post-training metrics: a bias report with one of them was computed on predictions */
static const char *const post_training[] = {"DPPL", "DI", "DCA", "DCAcc", "DCR", "RD", "SD",
                                            "DAR",  "DRR", "AD", "CDDPL", "TE",  "FT", "GE"};

typedef struct gates {
    json_t *list;
    int failed;
} gates;

static void gate(gates *g, const char *name, int passed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void gate(gates *g, const char *name, int passed, const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    json_array_append_new(g->list, json_pack("{s:s,s:b,s:s}", "gate", name, "passed", passed,
                                             "detail", detail));
    g->failed += !passed;
}

static int is_post_training(const json_t *doc)
{
    const json_t *m = json_object_get(doc, "metrics");
    for (size_t i = 0; i < sizeof post_training / sizeof *post_training; i++)
        if (json_object_get(m, post_training[i]))
            return 1;
    return 0;
}

/* A metric's value: a bare number or {"value": number}. */
static int metric_value(double *out, const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "value");
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return isfinite(*out);
}

/* "value within [min, max]" in words, or NULL when it is. */
static const char *out_of_range(char *buf, size_t n, double x, const json_t *range)
{
    const json_t *lo = json_object_get(range, "min"), *hi = json_object_get(range, "max");
    if (lo && x < json_number_value(lo))
        snprintf(buf, n, "%g is below the policy minimum %g", x, json_number_value(lo));
    else if (hi && x > json_number_value(hi))
        snprintf(buf, n, "%g is above the policy maximum %g", x, json_number_value(hi));
    else
        return NULL;
    return buf;
}

typedef struct report_doc {
    int64_t id;
    json_t *doc;
} report_doc;

/* Fresh reports of `kind` (computed on the current artifact), documents loaded and checked. */
static int fresh_reports(report_doc **out, size_t *n, int64_t *stale, mg_store *s, gov_conn *c,
                         const gov_version *v, const char *kind)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT id, sha256, artifact_sha256 FROM reports WHERE "
                                  "version_id = ? AND kind = ? ORDER BY id");
    int rc;

    *out = NULL;
    *n = 0;
    *stale = 0;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, v->id);
    gov_bind_text(q, 2, kind);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        mg_buf bytes = MG_BUF_INIT;
        report_doc *grown;
        json_t *doc;
        if (strcmp((const char *)sqlite3_column_text(q, 2), v->artifact) != 0) {
            *stale = sqlite3_column_int64(q, 0);
            continue;
        }
        if ((rc = mg_gov_artifact_read(&bytes, s, (const char *)sqlite3_column_text(q, 1))) < 0)
            break;
        doc = json_loadb(bytes.ptr, bytes.len, 0, NULL);
        mg_buf_free(&bytes);
        if (!doc || !(grown = realloc(*out, (*n + 1) * sizeof **out))) {
            json_decref(doc);
            rc = mg_error_set(MG_EPARSE, "report %lld: stored document unreadable",
                              (long long)sqlite3_column_int64(q, 0));
            break;
        }
        *out = grown;
        (*out)[*n].id = sqlite3_column_int64(q, 0);
        (*out)[(*n)++].doc = doc;
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? MG_OK : rc < 0 ? rc : gov_db_error(c, "reports");
}

static void free_reports(report_doc *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(r[i].doc);
    free(r);
}

static void gate_bias(gates *g, const report_doc *bias, size_t nbias, const json_t *policy)
{
    const json_t *ranges = json_object_get(policy, "bias"), *range;
    const char *metric;
    char why[160];

    json_object_foreach((json_t *)ranges, metric, range)
    {
        char name[96];
        int ok = nbias > 0;
        snprintf(name, sizeof name, "policy.bias.%s", metric);
        if (!nbias) {
            gate(g, name, 0, "no post-training bias report on the current artifact to check %s",
                 metric);
            continue;
        }
        for (size_t i = 0; i < nbias && ok; i++) {
            double x;
            const char *bad;
            if (!metric_value(&x, json_object_get(json_object_get(bias[i].doc, "metrics"),
                                                  metric))) {
                gate(g, name, 0, "bias report %lld has no %s", (long long)bias[i].id, metric);
                ok = -1;
            } else if ((bad = out_of_range(why, sizeof why, x, range))) {
                gate(g, name, 0, "%s = %s in bias report %lld", metric, bad,
                     (long long)bias[i].id);
                ok = -1;
            }
        }
        if (ok > 0)
            gate(g, name, 1, "%s within the policy's range in %zu bias report%s", metric, nbias,
                 nbias == 1 ? "" : "s");
    }
}

static void gate_metrics(gates *g, const json_t *metrics, const json_t *policy)
{
    const json_t *range;
    const char *metric;
    char why[160];

    json_object_foreach(json_object_get(policy, "metrics"), metric, range)
    {
        char name[96];
        const char *bad;
        double x;
        snprintf(name, sizeof name, "policy.metrics.%s", metric);
        if (!metric_value(&x, json_object_get(metrics, metric)))
            gate(g, name, 0, "the version records no %s", metric);
        else if ((bad = out_of_range(why, sizeof why, x, range)))
            gate(g, name, 0, "%s = %s", metric, bad);
        else
            gate(g, name, 1, "%s = %g", metric, x);
    }
}

/* The privacy budget: epsilon from the data set's ledger (or the run's row) against the policy. */
static int gate_privacy(gates *g, gov_conn *c, const gov_version *v, const json_t *policy)
{
    const json_t *max = json_object_get(policy, "max_epsilon");
    const char *scope = json_string_value(json_object_get(policy, "privacy_scope"));
    double delta = json_is_number(json_object_get(policy, "delta"))
                       ? json_number_value(json_object_get(policy, "delta"))
                       : 0;
    json_t *ledger = NULL;
    sqlite3_stmt *q;
    char sha[MG_SHA256_HEX] = "";
    const json_t *eps;
    int rc;

    if (!max)
        return MG_OK;
    if (!v->run_id) {
        gate(g, "policy.max_epsilon", 0, "the version names no training run, so there is no "
                                         "privacy ledger to check epsilon <= %g against",
             json_number_value(max));
        return MG_OK;
    }
    if (scope && strcmp(scope, "run") == 0) {
        if ((rc = gov_ledger_of_run(&ledger, c, v->run_id)) < 0)
            return rc;
    } else {
        if (!(q = gov_stmt(c, "SELECT d.sha256 FROM runs r JOIN datasets d ON d.id = "
                              "r.dataset_id WHERE r.id = ?")))
            return MG_ERROR;
        sqlite3_bind_int64(q, 1, v->run_id);
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(sha, sizeof sha, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_reset(q);
        if ((rc = gov_ledger_total(&ledger, c, sha, delta)) < 0)
            return rc;
    }
    eps = json_object_get(ledger, "epsilon");
    if (!ledger)
        gate(g, "policy.max_epsilon", 0, "run %lld has no privacy ledger row",
             (long long)v->run_id);
    else if (!json_is_number(eps) && json_array_size(json_object_get(ledger, "unbounded_runs")))
        gate(g, "policy.max_epsilon", 0,
             "data set %.12s has no privacy guarantee: %zu run(s) trained on it without DP "
             "(first: run %lld)",
             sha, json_array_size(json_object_get(ledger, "unbounded_runs")),
             (long long)json_integer_value(
                 json_array_get(json_object_get(ledger, "unbounded_runs"), 0)));
    else if (!json_is_number(eps))
        gate(g, "policy.max_epsilon", 0, "run %lld trained without a finite privacy guarantee",
             (long long)v->run_id);
    else if (json_number_value(eps) > json_number_value(max))
        gate(g, "policy.max_epsilon", 0, "epsilon %g (%s, delta %g) is above the policy maximum %g",
             json_number_value(eps), sha[0] ? "data set ledger, RDP" : "training run, RDP",
             json_number_value(json_object_get(ledger, "delta")), json_number_value(max));
    else
        gate(g, "policy.max_epsilon", 1, "epsilon %g (%s, delta %g) <= %g", json_number_value(eps),
             sha[0] ? "data set ledger, RDP" : "training run, RDP",
             json_number_value(json_object_get(ledger, "delta")), json_number_value(max));
    json_decref(ledger);
    return MG_OK;
}

/* Every approval gate of DESIGN §5, evaluated for `reviewer` on one snapshot. */
static int evaluate(gates *g, mg_store *s, gov_conn *c, const gov_version *v,
                    const mg_actor *reviewer)
{
    report_doc *bias = NULL, *explain = NULL;
    size_t nbias = 0, nexplain = 0, post = 0;
    int64_t stale_bias, stale_explain, model_id;
    json_t *policy = NULL, *metrics = NULL;
    sqlite3_stmt *q;
    int rc;

    if (!(g->list = json_array()))
        return mg_error_set(MG_ENOMEM, "out of memory");
    g->failed = 0;
    if (strcmp(reviewer->name, v->submitter) == 0)
        gate(g, "separation_of_duties", 0, "'%s' submitted this version and cannot approve it",
             reviewer->name);
    else
        gate(g, "separation_of_duties", 1, "reviewer '%s' is not the submitter '%s'",
             reviewer->name, v->submitter);
    if ((rc = gov_model_find(&model_id, &policy, c, v->model)) < 0 ||
        (rc = fresh_reports(&bias, &nbias, &stale_bias, s, c, v, "bias")) < 0 ||
        (rc = fresh_reports(&explain, &nexplain, &stale_explain, s, c, v, "explain")) < 0)
        goto done;
    /* only post-training reports (computed on the model's predictions) count */
    for (size_t i = 0; i < nbias; i++) {
        if (is_post_training(bias[i].doc))
            bias[post++] = bias[i];
        else
            json_decref(bias[i].doc);
    }
    nbias = post;
    if (nbias)
        gate(g, "bias_report", 1, "%zu post-training bias report%s on artifact %.12s (latest: %lld)",
             nbias, nbias == 1 ? "" : "s", v->artifact, (long long)bias[nbias - 1].id);
    else
        gate(g, "bias_report", 0, "no post-training bias report computed on the current artifact "
                                  "%.12s%s",
             v->artifact, stale_bias ? " (older reports were computed on another artifact)" : "");
    if (nexplain)
        gate(g, "explain_report", 1, "%zu explainability report%s on artifact %.12s", nexplain,
             nexplain == 1 ? "" : "s", v->artifact);
    else
        gate(g, "explain_report", 0, "no explainability report computed on the current artifact "
                                     "%.12s%s",
             v->artifact, stale_explain ? " (older reports were computed on another artifact)" : "");
    gate_bias(g, bias, nbias, policy);
    if (!(q = gov_stmt(c, "SELECT metrics_json FROM versions WHERE id = ?"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(q, 1, v->id);
    if (sqlite3_step(q) == SQLITE_ROW)
        metrics = gov_col_json(q, 0);
    sqlite3_reset(q);
    gate_metrics(g, metrics, policy);
    rc = gate_privacy(g, c, v, policy);
done:
    free_reports(bias, nbias);
    free_reports(explain, nexplain);
    json_decref(policy);
    json_decref(metrics);
    if (rc < 0) {
        json_decref(g->list);
        g->list = NULL;
    }
    return rc;
}

/* "3 of 6 gates failed: a: why; b: why" into the error slot, as MG_ECONFLICT. */
static int refuse(const gates *g, const gov_version *v)
{
    char msg[1000];
    size_t len, i;
    json_t *it;

    len = (size_t)snprintf(msg, sizeof msg, "cannot approve version %lld of '%s': %d of %zu gates "
                                            "failed",
                           (long long)v->number, v->model, g->failed, json_array_size(g->list));
    json_array_foreach(g->list, i, it)
    {
        if (json_is_true(json_object_get(it, "passed")) || len >= sizeof msg)
            continue;
        len += (size_t)snprintf(msg + len, sizeof msg - len, "; %s: %s",
                                json_string_value(json_object_get(it, "gate")),
                                json_string_value(json_object_get(it, "detail")));
    }
    return mg_error_set(MG_ECONFLICT, "%s", msg);
}

typedef struct transition_arg {
    mg_gov_result *res;
    json_t **gates_out;
    const char *model, *to, *comment;
    int64_t number;
} transition_arg;

static int transition_change(gov_tx *tx, void *arg)
{
    transition_arg *a = arg;
    gates g = {NULL, 0};
    sqlite3_stmt *st;
    gov_version v;
    json_t *subject;
    char now[32], allowed[128] = "";
    size_t e;
    int rc;

    if ((rc = gov_version_find(&v, tx->c, a->model, a->number)) < 0)
        return rc;
    for (e = 0; e < sizeof edges / sizeof *edges; e++)
        if (strcmp(edges[e].from, v.stage) == 0 && strcmp(edges[e].to, a->to) == 0)
            break;
    if (e == sizeof edges / sizeof *edges) {
        for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
            if (strcmp(edges[k].from, v.stage) == 0)
                snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                         allowed[0] ? " or " : "", edges[k].to);
        return mg_error_set(MG_ECONFLICT, "version %lld of '%s' is %s; it can move to %s, not %s",
                            (long long)v.number, v.model, v.stage,
                            allowed[0] ? allowed : "no other stage", a->to);
    }
    if ((rc = gov_require_role(tx->actor, edges[e].role, "this transition")) < 0)
        return rc;
    if (strcmp(a->to, "approved") == 0) {
        if ((rc = evaluate(&g, tx->s, tx->c, &v, tx->actor)) < 0)
            return rc;
        if (a->gates_out) {
            json_decref(*a->gates_out);
            *a->gates_out = json_incref(g.list);
        }
        if (g.failed) {
            rc = refuse(&g, &v);
            goto done;
        }
    }
    gov_now(now);
    if (!(st = gov_stmt(tx->c, "UPDATE versions SET stage = ?, updated = ? WHERE id = ?"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_bind_text(st, 1, a->to);
    gov_bind_text(st, 2, now);
    sqlite3_bind_int64(st, 3, v.id);
    if ((rc = gov_step_done(tx->c, st, "versions")) < 0)
        goto done;
    if (!(st = gov_stmt(tx->c, "INSERT INTO transitions (version_id, from_stage, to_stage, actor, "
                               "role, comment, gates_json, created, log_index) VALUES (?, ?, ?, "
                               "?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(st, 1, v.id);
    gov_bind_text(st, 2, v.stage);
    gov_bind_text(st, 3, a->to);
    gov_bind_text(st, 4, tx->actor->name);
    gov_bind_text(st, 5, mg_role_name(tx->actor->role));
    gov_bind_text(st, 6, a->comment ? a->comment : "");
    if ((rc = gov_bind_json(st, 7, g.list)) < 0)
        goto done;
    gov_bind_text(st, 8, now);
    sqlite3_bind_int64(st, 9, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "transitions")) < 0)
        goto done;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    a->res->number = v.number;
    snprintf(a->res->sha256, sizeof a->res->sha256, "%s", v.artifact);
    subject = json_pack("{s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "model", v.model, "version",
                        (json_int_t)v.number, "version_id", (json_int_t)v.id, "transition_id",
                        (json_int_t)a->res->id, "from", v.stage, "to", a->to, "artifact_sha256",
                        v.artifact, "comment", a->comment ? a->comment : "", "role",
                        mg_role_name(tx->actor->role));
    if (subject && g.list)
        json_object_set(subject, "gates", g.list);
    rc = gov_append(&a->res->log_index, tx, "version.transition", subject);
done:
    json_decref(g.list);
    return rc;
}

int mg_gov_version_transition(mg_gov_result *res, json_t **gates_out, mg_store *s,
                              const mg_actor *by, const char *model, int64_t number,
                              const char *to, const char *comment)
{
    transition_arg a = {res, gates_out, model, to, comment, number};
    size_t k;
    int rc;

    memset(res, 0, sizeof *res);
    if (gates_out)
        *gates_out = NULL;
    for (k = 0; k < sizeof stages / sizeof *stages; k++)
        if (to && strcmp(to, stages[k]) == 0)
            break;
    if (k == sizeof stages / sizeof *stages)
        return mg_error_set(MG_EINVAL, "stage '%s': expected registered, pending_review, "
                                       "approved, production, archived or rejected",
                            to ? to : "");
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "moving a version")) < 0 ||
        (rc = gov_check_text(comment, 4000, 0, "comment")) < 0)
        return rc;
    return gov_write(s, by, transition_change, &a);
}

typedef struct gates_arg {
    json_t **out;
    mg_store *s;
    const mg_actor *reviewer;
    const char *model;
    int64_t number;
} gates_arg;

static int gates_read(gov_conn *c, void *arg)
{
    gates_arg *a = arg;
    gates g = {NULL, 0};
    gov_version v;
    int rc;

    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0 ||
        (rc = evaluate(&g, a->s, c, &v, a->reviewer)) < 0)
        return rc;
    *a->out = json_pack("{s:s,s:I,s:s,s:b,s:o}", "model", v.model, "version",
                        (json_int_t)v.number, "stage", v.stage, "passed", g.failed == 0, "gates",
                        g.list);
    return *a->out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

int mg_gov_version_gates(json_t **out, mg_store *s, const mg_actor *reviewer, const char *model,
                         int64_t number)
{
    gates_arg a = {out, s, reviewer, model, number};
    *out = NULL;
    return gov_read(s, gates_read, &a);
}

typedef struct list_arg {
    json_t **out;
    const char *model;
    int64_t number;
} list_arg;

static int transitions_read(gov_conn *c, void *arg)
{
    list_arg *a = arg;
    sqlite3_stmt *q;
    gov_version v;
    int rc;

    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT id, from_stage AS \"from\", to_stage AS \"to\", actor, role, "
                          "comment, gates_json, created, log_index FROM transitions WHERE "
                          "version_id = ? ORDER BY id")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, v.id);
    return gov_rows_json(a->out, c, q, "transitions");
}

int mg_gov_transitions_list(json_t **out, mg_store *s, const char *model, int64_t number)
{
    list_arg a = {out, model, number};
    *out = NULL;
    return gov_read(s, transitions_read, &a);
}
