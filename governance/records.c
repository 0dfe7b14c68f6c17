/* records.c - `verify --store`, the inventory: each row against the log entry that made it. */
#include "inventory.h"
#include "verify.h"

#include <stdio.h>
#include <string.h>

typedef struct rstate {
    gov_conn *c;
    gov_failure *f;
    uint64_t *records;
} rstate;

/* ---- rows to entries: each row against the entry its log index names ---- */

/* How a column is compared with the entry that made its row. */
enum {
    SAME,     /* the subject's field of that name holds the same value */
    ACTOR,    /* the entry's "actor": who made the row */
    JSON_SHA, /* a JSON column whose canonical form hashes to the field (NULL: null) */
    JSON_EQ,  /* a JSON column whose canonical form is the field's (NULL: null or absent) */
    RESULTS   /* runs: metrics_json and the next two columns hash, as one object, to the field */
};

typedef struct field {
    const char *key;
    int how;
    int optional; /* added later: older entries lack it, and absent means unchecked */
} field;

static const struct record_check {
    const char *table, *action; /* action NULL: the keys table ("store.init" or "key.rotate") */
    const char *sql;            /* id, log index, then one column per field */
    field fields[9];
} record_checks[] = {
    {"datasets", "dataset.register",
     "SELECT id, log_index, id, sha256, name, rows, owner, created_by FROM datasets ORDER BY id",
     {{"dataset_id", SAME, 0},
      {"sha256", SAME, 0},
      {"name", SAME, 0},
      {"rows", SAME, 0},
      {"owner", SAME, 0},
      {"actor", ACTOR, 0}}},
    {"models", "model.create", "SELECT id, log_index, id, name, created_by FROM models ORDER BY id",
     {{"model_id", SAME, 0}, {"name", SAME, 0}, {"actor", ACTOR, 0}}},
    {"versions", "version.register",
     "SELECT v.id, v.log_index, v.id, m.name AS model, v.model_id, v.number, v.artifact_sha256, "
     "v.run_id, v.submitter, v.metrics_json FROM versions v LEFT JOIN models m ON m.id = "
     "v.model_id ORDER BY v.id",
     {{"version_id", SAME, 0},
      {"model", SAME, 0},
      {"model_id", SAME, 0},
      {"version", SAME, 0},
      {"artifact_sha256", SAME, 0},
      {"run_id", SAME, 0},
      {"actor", ACTOR, 0},
      {"metrics_sha256", JSON_SHA, 1}}},
    {"reports", "report.write",
     "SELECT id, log_index, id, version_id, kind, sha256, artifact_sha256, dataset_id, "
     "config_json, created_by FROM reports ORDER BY id",
     {{"report_id", SAME, 0},
      {"version_id", SAME, 0},
      {"kind", SAME, 0},
      {"sha256", SAME, 0},
      {"artifact_sha256", SAME, 0},
      {"dataset_id", SAME, 0},
      {"config_sha256", JSON_SHA, 0},
      {"actor", ACTOR, 0}}},
    {"transitions", "version.transition",
     "SELECT id, log_index, id, version_id, from_stage, to_stage, comment, gates_json, actor FROM "
     "transitions ORDER BY id",
     {{"transition_id", SAME, 0},
      {"version_id", SAME, 0},
      {"from", SAME, 0},
      {"to", SAME, 0},
      {"comment", SAME, 0},
      {"gates", JSON_EQ, 0},
      {"actor", ACTOR, 0}}},
    {"comments", "version.comment",
     "SELECT id, log_index, id, version_id, text, actor FROM comments ORDER BY id",
     {{"comment_id", SAME, 0}, {"version_id", SAME, 0}, {"text", SAME, 0}, {"actor", ACTOR, 0}}},
    {"tokens", "token.create",
     "SELECT id, log_index, id, name, role, created_by FROM tokens ORDER BY id",
     {{"token_id", SAME, 0}, {"name", SAME, 0}, {"role", SAME, 0}, {"actor", ACTOR, 0}}},
    {"runs", "run.start",
     "SELECT r.id, r.start_index, r.id, r.dataset_id, d.sha256 AS dataset_sha256, r.config_json, "
     "r.seed, r.code_version, r.started_by FROM runs r LEFT JOIN datasets d ON d.id = "
     "r.dataset_id ORDER BY r.id",
     {{"run_id", SAME, 0},
      {"dataset_id", SAME, 0},
      {"dataset_sha256", SAME, 0},
      {"config_sha256", JSON_SHA, 0},
      {"seed", SAME, 0},
      {"code_version", SAME, 0},
      {"actor", ACTOR, 0}}},
    {"runs", "run.finish",
     "SELECT r.id, r.finish_index, r.id, r.status, r.artifact_sha256, d.sha256 AS "
     "dataset_sha256, r.metrics_json, r.loss_curves_json, r.privacy_json FROM runs r LEFT JOIN "
     "datasets d ON d.id = r.dataset_id WHERE r.finish_index IS NOT NULL ORDER BY r.id",
     {{"run_id", SAME, 0},
      {"status", SAME, 0},
      {"artifact_sha256", SAME, 0},
      {"dataset_sha256", SAME, 0},
      {"results_sha256", RESULTS, 0}}},
    {"keys", NULL, "SELECT rowid, announced_index, id, public_pem FROM keys ORDER BY rowid",
     {{"key_id", SAME, 0}, {"public_key", SAME, 0}}},
};

/* Does column `col` of `q` hold the same value as JSON `v`? */
static int same_value(sqlite3_stmt *q, int col, const json_t *v)
{
    switch (sqlite3_column_type(q, col)) {
    case SQLITE_NULL:
        return !v || json_is_null(v);
    case SQLITE_INTEGER:
        return json_is_number(v) && json_number_value(v) == (double)sqlite3_column_int64(q, col);
    case SQLITE_FLOAT:
        return json_is_number(v) && json_number_value(v) == sqlite3_column_double(q, col);
    default:
        return json_is_string(v) &&
               strcmp(json_string_value(v), (const char *)sqlite3_column_text(q, col)) == 0;
    }
}

/* JSON column `col` parsed into *out (SQL NULL: JSON null); 0, or -1 when it is not JSON. */
static int column_json(json_t **out, sqlite3_stmt *q, int col)
{
    *out = sqlite3_column_type(q, col) == SQLITE_NULL ? json_null() : gov_col_json(q, col);
    return *out ? 0 : -1;
}

/* Is the canonical form of `a` that of `b`? NULL and JSON null are one. */
static int same_canonical(const json_t *a, const json_t *b)
{
    mg_buf x = MG_BUF_INIT, y = MG_BUF_INIT;
    json_t *null = json_null();
    int same = mg_jcs_append(&x, a ? a : null) == MG_OK &&
               mg_jcs_append(&y, b ? b : null) == MG_OK && x.len == y.len &&
               memcmp(x.ptr, y.ptr, x.len) == 0;

    mg_error_clear();
    mg_buf_free(&x);
    mg_buf_free(&y);
    json_decref(null);
    return same;
}

/* Does `v` (a JSON value or NULL) hash, canonically, to the hex string `want` (null for NULL)? */
static int hashes_to(const json_t *v, const json_t *want)
{
    char hex[MG_SHA256_HEX];

    if (!v || json_is_null(v))
        return !want || json_is_null(want);
    if (!json_is_string(want) || gov_json_sha256(hex, v) < 0) {
        mg_error_clear();
        return 0;
    }
    return strcmp(hex, json_string_value(want)) == 0;
}

/* The results run.finish hashes: {"metrics","loss_curves","privacy"} from three JSON columns. */
static int same_results(sqlite3_stmt *q, int col, const json_t *want)
{
    json_t *m = NULL, *l = NULL, *p = NULL, *all = NULL;
    int same = 0;

    if (column_json(&m, q, col) == 0 && column_json(&l, q, col + 1) == 0 &&
        column_json(&p, q, col + 2) == 0 &&
        (all = json_pack("{s:O,s:O,s:O}", "metrics", m, "loss_curves", l, "privacy", p)))
        same = json_is_string(want) && hashes_to(all, want);
    json_decref(all);
    json_decref(p);
    json_decref(l);
    json_decref(m);
    return same;
}

/* Does column `col` agree with the entry `e` as field `fd` says? */
static int field_agrees(sqlite3_stmt *q, int col, const field *fd, const json_t *e)
{
    const json_t *subject = json_object_get(e, "subject"), *want;
    json_t *have = NULL;
    int same;

    if (fd->how == ACTOR)
        return same_value(q, col, json_object_get(e, "actor"));
    want = json_object_get(subject, fd->key);
    if (!want && fd->optional)
        return 1;
    switch (fd->how) {
    case SAME:
        return same_value(q, col, want);
    case RESULTS:
        return same_results(q, col, want);
    default:
        if (column_json(&have, q, col) < 0)
            return 0;
        same = fd->how == JSON_SHA ? hashes_to(have, want) : same_canonical(have, want);
        json_decref(have);
        return same;
    }
}

static int entry_at(json_t **out, rstate *v, int64_t idx)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT body FROM log_entries WHERE idx = ?");
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, idx);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW)
        *out = json_loadb((const char *)sqlite3_column_blob(q, 0),
                          (size_t)sqlite3_column_bytes(q, 0), 0, NULL);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "log_entries");
    sqlite3_reset(q);
    return rc;
}

static int check_records_of(rstate *v, const struct record_check *rc_)
{
    sqlite3_stmt *q = gov_stmt(v->c, rc_->sql);
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), idx = sqlite3_column_int64(q, 1);
        const char *action;
        json_t *e = NULL;

        (*v->records)++;
        if ((rc = entry_at(&e, v, idx)) < 0)
            break;
        action = json_string_value(json_object_get(e, "action"));
        if (!e || !action ||
            (rc_->action ? strcmp(action, rc_->action) != 0
                         : strcmp(action, "store.init") != 0 && strcmp(action, "key.rotate") != 0)) {
            gov_fail(v->f, GOV_RANK_RECORDS, "%s row %lld: log entry %lld is %s%s%s, not its %s",
                     rc_->table, (long long)id, (long long)idx, e ? "\"" : "missing",
                     action ? action : "", e ? "\"" : "",
                     rc_->action ? rc_->action : "key announcement");
            json_decref(e);
            continue;
        }
        for (int k = 0; k < 9 && rc_->fields[k].key; k++) {
            const field *fd = &rc_->fields[k];
            if (!field_agrees(q, 2 + k, fd, e)) {
                const char *col = fd->how == RESULTS ? "metrics_json, loss_curves_json or "
                                                       "privacy_json"
                                                     : sqlite3_column_name(q, 2 + k);
                gov_fail(v->f, GOV_RANK_RECORDS, "%s row %lld: %s differs from log entry %lld's "
                                                 "\"%s\"",
                         rc_->table, (long long)id, col, (long long)idx, fd->key);
                break;
            }
        }
        json_decref(e);
    }
    rc = rc == SQLITE_DONE ? MG_OK : rc < 0 ? rc : gov_db_error(v->c, rc_->table);
    sqlite3_reset(q);
    return rc;
}

/* A version's stage is where its last logged transition took it. */
static int check_stages(rstate *v)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT v.id, v.stage, coalesce((SELECT t.to_stage FROM "
                                     "transitions t WHERE t.version_id = v.id ORDER BY t.id DESC "
                                     "LIMIT 1), 'registered') FROM versions v ORDER BY v.id");
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (strcmp((const char *)sqlite3_column_text(q, 1),
                   (const char *)sqlite3_column_text(q, 2)) != 0)
            gov_fail(v->f, GOV_RANK_RECORDS, "versions row %lld: stage is %s, but its logged "
                                          "transitions end at %s",
                     (long long)sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
                     (const char *)sqlite3_column_text(q, 2));
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "versions");
    sqlite3_reset(q);
    return rc;
}

/* A model's policy is the one its last "model.create"/"model.update" naming a policy logged. */
static int check_policies(rstate *v)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT id, policy_json FROM models ORDER BY id");
    sqlite3_stmt *e = gov_stmt(v->c, "SELECT body FROM log_entries WHERE action IN "
                                     "('model.create', 'model.update') ORDER BY idx");
    json_t *last = json_object();
    int rc;

    if (!q || !e || !last) {
        json_decref(last);
        return q && e ? mg_error_set(MG_ENOMEM, "out of memory") : MG_ERROR;
    }
    while ((rc = sqlite3_step(e)) == SQLITE_ROW) {
        json_t *entry = json_loadb((const char *)sqlite3_column_blob(e, 0),
                                   (size_t)sqlite3_column_bytes(e, 0), 0, NULL);
        const json_t *s = json_object_get(entry, "subject");
        const json_t *sha = json_object_get(s, "policy_sha256");
        char key[32];
        if (json_is_string(sha)) {
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(s, "model_id")));
            json_object_set(last, key, (json_t *)sha);
        }
        json_decref(entry);
    }
    sqlite3_reset(e);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *policy = gov_col_json(q, 1);
        char have[MG_SHA256_HEX] = "", key[32];
        const char *want;
        snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(q, 0));
        want = json_string_value(json_object_get(last, key));
        if (!policy || gov_json_sha256(have, policy) < 0 || !want || strcmp(have, want) != 0) {
            mg_error_clear();
            gov_fail(v->f, GOV_RANK_RECORDS, "models row %s: its policy is not the one the log "
                                          "recorded (sha256 %.16s...)",
                     key, want ? want : "(none)");
        }
        json_decref(policy);
    }
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "models");
    sqlite3_reset(q);
    json_decref(last);
    return rc;
}

int gov_verify_records(uint64_t *records, gov_conn *c, gov_failure *f)
{
    rstate v = {c, f, records};
    int rc;

    *records = 0;
    for (size_t i = 0; i < sizeof record_checks / sizeof *record_checks; i++)
        if ((rc = check_records_of(&v, &record_checks[i])) < 0)
            return rc;
    if ((rc = check_stages(&v)) < 0)
        return rc;
    return check_policies(&v);
}
