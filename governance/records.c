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

static const struct record_check {
    const char *table, *action;
    const char *sql; /* id, log index, then one column per key */
    const char *keys[4];
} record_checks[] = {
    {"datasets", "dataset.register",
     "SELECT id, log_index, id, sha256, name FROM datasets ORDER BY id",
     {"dataset_id", "sha256", "name"}},
    {"models", "model.create", "SELECT id, log_index, id, name FROM models ORDER BY id",
     {"model_id", "name"}},
    {"versions", "version.register",
     "SELECT v.id, v.log_index, v.id, m.name, v.number, v.artifact_sha256 FROM versions v JOIN "
     "models m ON m.id = v.model_id ORDER BY v.id",
     {"version_id", "model", "version", "artifact_sha256"}},
    {"reports", "report.write",
     "SELECT id, log_index, id, version_id, sha256, artifact_sha256 FROM reports ORDER BY id",
     {"report_id", "version_id", "sha256", "artifact_sha256"}},
    {"transitions", "version.transition",
     "SELECT id, log_index, id, version_id, from_stage, to_stage FROM transitions ORDER BY id",
     {"transition_id", "version_id", "from", "to"}},
    {"comments", "version.comment",
     "SELECT id, log_index, id, version_id, text FROM comments ORDER BY id",
     {"comment_id", "version_id", "text"}},
    {"tokens", "token.create", "SELECT id, log_index, id, name, role FROM tokens ORDER BY id",
     {"token_id", "name", "role"}},
    {"runs", "run.start", "SELECT id, start_index, id, dataset_id FROM runs ORDER BY id",
     {"run_id", "dataset_id"}},
    {"runs", "run.finish",
     "SELECT id, finish_index, id, status, artifact_sha256 FROM runs WHERE finish_index IS NOT "
     "NULL ORDER BY id",
     {"run_id", "status", "artifact_sha256"}},
    {"keys", NULL, "SELECT rowid, announced_index, id, public_pem FROM keys ORDER BY rowid",
     {"key_id", "public_key"}},
};

/* Does column `col` of `q` hold the same value as JSON `v`? */
static int same_value(sqlite3_stmt *q, int col, const json_t *v)
{
    switch (sqlite3_column_type(q, col)) {
    case SQLITE_NULL:
        return !v || json_is_null(v);
    case SQLITE_INTEGER:
        return json_is_number(v) && json_number_value(v) == (double)sqlite3_column_int64(q, col);
    default:
        return json_is_string(v) &&
               strcmp(json_string_value(v), (const char *)sqlite3_column_text(q, col)) == 0;
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
        const json_t *subject;

        (*v->records)++;
        if ((rc = entry_at(&e, v, idx)) < 0)
            break;
        action = json_string_value(json_object_get(e, "action"));
        subject = json_object_get(e, "subject");
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
        for (int k = 0; k < 4 && rc_->keys[k]; k++) {
            if (!same_value(q, 2 + k, json_object_get(subject, rc_->keys[k]))) {
                const char *col = sqlite3_column_name(q, 2 + k);
                gov_fail(v->f, GOV_RANK_RECORDS, "%s row %lld: %s differs from log entry %lld's \"%s\"",
                         rc_->table, (long long)id, col, (long long)idx, rc_->keys[k]);
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
