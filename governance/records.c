/* records.c - `verify --store`, the inventory: rows against the entries that made them and back. */
#include "inventory.h"
#include "verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WHOLE 9007199254740992.0 /* 2^53: above it a double skips integers (I-JSON) */

typedef struct rstate {
    gov_conn *c;
    gov_failure *f;
    uint64_t *records;
    unsigned char *has_row; /* per log entry: a row of its table names it */
    uint64_t entries;       /* the log's size, as far as has_row goes */
} rstate;

/* A record failure ranks by the log entry it concerns, so the first failing entry is named. */
static uint64_t rank_of(int64_t idx)
{
    return GOV_RANK_RECORDS + (uint64_t)(idx < 0 ? 0 : idx > GOV_RANK_RECORDS_SPAN
                                                            ? GOV_RANK_RECORDS_SPAN
                                                            : idx);
}

/* ---- rows to entries: each row against the entry its log index names ---- */

/* How a column is compared with the entry that made its row. */
enum {
    SAME,     /* the subject's field of that name holds the same value */
    ACTOR,    /* the entry's "actor": who made the row */
    JSON_SHA, /* a JSON column whose canonical form hashes to the field (NULL: null) */
    JSON_EQ,  /* a JSON column whose canonical form is the field's (NULL: null or absent) */
    BLOB_SHA, /* a blob column whose bytes hash to the field */
    RESULTS   /* runs: metrics_json and the next two columns hash, as one object, to the field */
};

typedef struct field {
    const char *key;
    int how;
    int optional; /* added later: older entries lack it, and absent means unchecked */
} field;

/*
 * Each entry that makes a row, the table and the column of the row that names the entry, and
 * how the row is compared with the entry. The one table both directions read: rows to their
 * entries (check_records_of) and entries to their rows (walk_entries).
 */
static const struct record_check {
    const char *action;         /* the entry that makes the row */
    const char *table, *column; /* the row, and its column that names the entry */
    const char *sql;            /* id, that column, then one column per field */
    field fields[9];
} record_checks[] = {
    {"store.init", "keys", "announced_index",
     "SELECT rowid, announced_index, id, public_pem FROM keys WHERE announced_index = 0 ORDER BY "
     "rowid",
     {{"key_id", SAME, 0}, {"public_key", SAME, 0}}},
    {"key.rotate", "keys", "announced_index",
     "SELECT rowid, announced_index, id, public_pem FROM keys WHERE announced_index <> 0 ORDER "
     "BY rowid",
     {{"key_id", SAME, 0}, {"public_key", SAME, 0}}},
    {"dataset.register", "datasets", "log_index",
     "SELECT id, log_index, id, sha256, name, rows, owner, created_by FROM datasets ORDER BY id",
     {{"dataset_id", SAME, 0},
      {"sha256", SAME, 0},
      {"name", SAME, 0},
      {"rows", SAME, 0},
      {"owner", SAME, 0},
      {"actor", ACTOR, 0}}},
    {"model.create", "models", "log_index",
     "SELECT id, log_index, id, name, created_by FROM models ORDER BY id",
     {{"model_id", SAME, 0}, {"name", SAME, 0}, {"actor", ACTOR, 0}}},
    {"version.register", "versions", "log_index",
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
    {"report.write", "reports", "log_index",
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
    {"version.transition", "transitions", "log_index",
     "SELECT id, log_index, id, version_id, from_stage, to_stage, comment, gates_json, actor, "
     "role FROM transitions ORDER BY id",
     {{"transition_id", SAME, 0},
      {"version_id", SAME, 0},
      {"from", SAME, 0},
      {"to", SAME, 0},
      {"comment", SAME, 0},
      {"gates", JSON_EQ, 0},
      {"actor", ACTOR, 0},
      {"role", SAME, 1}}},
    {"version.comment", "comments", "log_index",
     "SELECT id, log_index, id, version_id, text, actor FROM comments ORDER BY id",
     {{"comment_id", SAME, 0}, {"version_id", SAME, 0}, {"text", SAME, 0}, {"actor", ACTOR, 0}}},
    {"token.create", "tokens", "log_index",
     "SELECT id, log_index, id, name, role, created_by, secret_sha256 FROM tokens ORDER BY id",
     {{"token_id", SAME, 0},
      {"name", SAME, 0},
      {"role", SAME, 0},
      {"actor", ACTOR, 0},
      {"secret_sha256_sha256", BLOB_SHA, 1}}},
    {"run.start", "runs", "start_index",
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
    {"run.finish", "runs", "finish_index",
     "SELECT r.id, r.finish_index, r.id, r.status, r.artifact_sha256, d.sha256 AS "
     "dataset_sha256, r.metrics_json, r.loss_curves_json, r.privacy_json FROM runs r LEFT JOIN "
     "datasets d ON d.id = r.dataset_id WHERE r.finish_index IS NOT NULL ORDER BY r.id",
     {{"run_id", SAME, 0},
      {"status", SAME, 0},
      {"artifact_sha256", SAME, 0},
      {"dataset_sha256", SAME, 0},
      {"results_sha256", RESULTS, 0}}},
};

#define NCHECKS (sizeof record_checks / sizeof *record_checks)

/* The check of the rows that entries of `action` make, or NULL: such entries make none. */
static const struct record_check *made_by(const char *action, size_t n)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (strlen(record_checks[i].action) == n && memcmp(record_checks[i].action, action, n) == 0)
            return &record_checks[i];
    return NULL;
}

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

/* Do the bytes of blob column `col` hash to the hex string `want`? */
static int blob_hashes_to(sqlite3_stmt *q, int col, const json_t *want)
{
    unsigned char d[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    const void *blob = sqlite3_column_blob(q, col);

    if (!json_is_string(want) || mg_sha256_digest(d, blob ? blob : "",
                                                  (size_t)sqlite3_column_bytes(q, col)) < 0) {
        mg_error_clear();
        return 0;
    }
    mg_sha256_hex(hex, d);
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
    case BLOB_SHA:
        return blob_hashes_to(q, col, want);
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

/* Each row of one table against the entry it names; an entry of the right action has its row. */
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
        if (!e || !action || strcmp(action, rc_->action) != 0) {
            gov_fail(v->f, rank_of(idx), "%s row %lld: log entry %lld is %s%s%s, not its %s",
                     rc_->table, (long long)id, (long long)idx, e ? "\"" : "missing",
                     action ? action : "", e ? "\"" : "", rc_->action);
            json_decref(e);
            continue;
        }
        if ((uint64_t)idx < v->entries)
            v->has_row[idx] = 1;
        for (int k = 0; k < 9 && rc_->fields[k].key; k++) {
            const field *fd = &rc_->fields[k];
            if (!field_agrees(q, 2 + k, fd, e)) {
                const char *col = fd->how == RESULTS ? "metrics_json, loss_curves_json or "
                                                       "privacy_json"
                                                     : sqlite3_column_name(q, 2 + k);
                gov_fail(v->f, rank_of(idx), "%s row %lld: %s differs from log entry %lld's "
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

/*
 * A run that no run.finish entry finished (finish_index NULL) is still running as far as the log
 * knows: its row must say so and hold no results, artifact or end time, which the workflow would
 * otherwise read (only a finished run makes a version).
 */
static int check_unfinished_runs(rstate *v)
{
    static const char *const cols[] = {"metrics_json", "loss_curves_json", "privacy_json",
                                       "artifact_sha256", "finished"};
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT id, start_index, status, metrics_json, "
                                     "loss_curves_json, privacy_json, artifact_sha256, finished "
                                     "FROM runs WHERE finish_index IS NULL ORDER BY id");
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), idx = sqlite3_column_int64(q, 1);
        const char *status = (const char *)sqlite3_column_text(q, 2);

        if (!status || strcmp(status, "running") != 0) {
            gov_fail(v->f, rank_of(idx), "runs row %lld: status is %s, but no run.finish entry "
                                         "finished it (finish_index is NULL)",
                     (long long)id, status ? status : "NULL");
            continue;
        }
        for (int k = 0; k < 5; k++)
            if (sqlite3_column_type(q, 3 + k) != SQLITE_NULL) {
                gov_fail(v->f, rank_of(idx), "runs row %lld: %s is set, but no run.finish entry "
                                             "finished it (finish_index is NULL)",
                         (long long)id, cols[k]);
                break;
            }
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "runs");
}

/* ---- entries to rows: every entry that made or changed a record, against the rows ---- */

/* What the entries that change records say, collected in log order. Objects keyed by id. */
typedef struct logged {
    json_t *models;   /* model id -> {"idx","action", and for "owner","risk_tier","policy" the
                         value last logged and at which index ("owner_at", ...)} */
    json_t *versions; /* version id -> {"idx","to"}: its last transition */
    json_t *revoked;  /* token id -> {"idx","name"} */
    json_t *ledger;   /* run.finish index -> {"idx","subject"}, each that records a privacy spend */
} logged;

static void id_key(char key[32], json_int_t id)
{
    snprintf(key, 32, "%lld", (long long)id);
}

/* An index this file stored itself (a JSON integer). */
static int64_t idx_of(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

/*
 * Subject field `k` of log entry `idx` as an id: a whole number within 2^53 (casting any other
 * double would be undefined). Otherwise the entry is named and 0 returned.
 */
static int id_of(json_int_t *out, rstate *v, int64_t idx, const char *action, const json_t *s,
                 const char *k)
{
    const json_t *x = json_object_get(s, k);
    char text[MG_JCS_NUMBER_MAX];
    double d = json_number_value(x);

    if (json_is_integer(x) && json_integer_value(x) >= -(json_int_t)MAX_WHOLE &&
        json_integer_value(x) <= (json_int_t)MAX_WHOLE) {
        *out = json_integer_value(x);
        return 1;
    }
    if (json_is_real(x) && d >= -MAX_WHOLE && d <= MAX_WHOLE && d == floor(d)) {
        *out = (json_int_t)d;
        return 1;
    }
    if (!json_is_number(x) || mg_jcs_number(text, d) < 0) {
        mg_error_clear();
        snprintf(text, sizeof text, "%s", x ? "not a number" : "missing");
    }
    gov_fail(v->f, rank_of(idx), "log entry %lld (%s): its \"%s\" is %s, not a whole number "
                                 "within 2^53",
             (long long)idx, action, k, text);
    return 0;
}

/* Set field `k` of a model's record to `value` as logged by entry `idx` (NULL: unchecked). */
static int model_field(json_t *o, const char *k, const json_t *value, int64_t idx)
{
    char at[32];

    snprintf(at, sizeof at, "%s_at", k);
    if (!value) {
        json_object_del(o, k);
        json_object_del(o, at);
        return MG_OK;
    }
    if (json_object_set(o, k, (json_t *)value) < 0 ||
        json_object_set_new(o, at, json_integer((json_int_t)idx)) < 0)
        return mg_error_set(MG_ENOMEM, "out of memory");
    return MG_OK;
}

/* Fold one entry that changes records into `lg`; log-internal contradictions fail here. */
static int collect(rstate *v, logged *lg, int64_t idx, const char *action, const json_t *s)
{
    char key[32];
    json_int_t id;
    json_t *o;
    int rc;

    if (strcmp(action, "model.create") == 0 || strcmp(action, "model.update") == 0) {
        static const char *const fields[] = {"owner", "risk_tier"};
        const json_t *changed = json_object_get(s, "changed"), *c;
        int creating = strcmp(action, "model.create") == 0;
        size_t i;
        if (!id_of(&id, v, idx, action, s, "model_id"))
            return MG_OK;
        id_key(key, id);
        if (!(o = json_object_get(lg->models, key))) {
            if (!(o = json_pack("{s:I,s:s}", "idx", (json_int_t)idx, "action", action)) ||
                json_object_set_new(lg->models, key, o) < 0)
                return mg_error_set(MG_ENOMEM, "out of memory");
            creating = 1; /* an update of a model never created: what it logs is all there is */
        }
        for (size_t f = 0; f < 2; f++) {
            int named = creating;
            json_array_foreach(changed, i, c)
                named |= gov_json_str_eq(c, fields[f]);
            /* an update that changed it without logging the new value (older builds): unchecked */
            if (named && (rc = model_field(o, fields[f], json_object_get(s, fields[f]), idx)) < 0)
                return rc;
        }
        if (json_object_get(s, "policy_sha256") &&
            (rc = model_field(o, "policy", json_object_get(s, "policy_sha256"), idx)) < 0)
            return rc;
    } else if (strcmp(action, "version.transition") == 0) {
        const char *from = json_string_value(json_object_get(s, "from"));
        const char *was = "registered";
        if (!id_of(&id, v, idx, action, s, "version_id"))
            return MG_OK;
        id_key(key, id);
        if ((o = json_object_get(lg->versions, key)))
            was = json_string_value(json_object_get(o, "to"));
        if (!from || !was || strcmp(from, was) != 0)
            gov_fail(v->f, rank_of(idx), "log entry %lld: moves version %s from %s, but %s "
                                         "left it %s",
                     (long long)idx, key, from ? from : "(none)",
                     o ? "its previous transition" : "its registration", was ? was : "(none)");
        o = json_pack("{s:I,s:O?}", "idx", (json_int_t)idx, "to", json_object_get(s, "to"));
        if (!o || json_object_set_new(lg->versions, key, o) < 0)
            return mg_error_set(MG_ENOMEM, "out of memory");
    } else if (strcmp(action, "token.revoke") == 0) {
        if (!id_of(&id, v, idx, action, s, "token_id"))
            return MG_OK;
        id_key(key, id);
        if ((o = json_object_get(lg->revoked, key))) {
            gov_fail(v->f, rank_of(idx), "log entry %lld: revokes token %s, which log entry "
                                         "%lld revoked",
                     (long long)idx, key, (long long)idx_of(o, "idx"));
            return MG_OK;
        }
        if (!(o = json_pack("{s:I,s:O?}", "idx", (json_int_t)idx, "name",
                            json_object_get(s, "name"))) ||
            json_object_set_new(lg->revoked, key, o) < 0)
            return mg_error_set(MG_ENOMEM, "out of memory");
    } else if (strcmp(action, "run.finish") == 0 && json_is_object(json_object_get(s, "privacy"))) {
        id_key(key, (json_int_t)idx);
        if (!(o = json_pack("{s:I,s:O}", "idx", (json_int_t)idx, "subject", s)) ||
            json_object_set_new(lg->ledger, key, o) < 0)
            return mg_error_set(MG_ENOMEM, "out of memory");
    }
    return MG_OK;
}

/* The log's size: what has_row covers. */
static int log_size(rstate *v)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT coalesce(max(idx), -1) + 1 FROM log_entries");
    int rc;

    if (!q)
        return MG_ERROR;
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        v->entries = (uint64_t)sqlite3_column_int64(q, 0);
        rc = MG_OK;
    } else {
        rc = gov_db_error(v->c, "log_entries");
    }
    sqlite3_reset(q);
    return rc;
}

/*
 * One pass over the log, by each entry's own action (its signed bytes, not the action column).
 * Each entry that makes a row must have found it (check_records_of marked it); the entries
 * that change records are parsed and folded into `lg`.
 */
static int walk_entries(rstate *v, logged *lg)
{
    static const char *const changes[] = {"model.create", "model.update", "version.transition",
                                          "token.revoke", "run.finish"};
    sqlite3_stmt *e = gov_stmt(v->c, "SELECT idx, body FROM log_entries ORDER BY idx");
    int rc = MG_OK, step;

    if (!e)
        return MG_ERROR;
    while ((step = sqlite3_step(e)) == SQLITE_ROW) {
        int64_t idx = sqlite3_column_int64(e, 0);
        const char *body = (const char *)sqlite3_column_blob(e, 1), *action;
        size_t len = (size_t)sqlite3_column_bytes(e, 1), n = 0;
        const struct record_check *m;
        char name[64];

        /* a damaged entry was named by the log checks already */
        if (!(action = gov_entry_action(&n, body, len)) || n >= sizeof name)
            continue;
        snprintf(name, sizeof name, "%.*s", (int)n, action);
        if ((m = made_by(name, n)) && (idx < 0 || (uint64_t)idx >= v->entries || !v->has_row[idx]))
            gov_fail(v->f, rank_of(idx), "log entry %lld (%s): no row of %s has %s %lld",
                     (long long)idx, name, m->table, m->column, (long long)idx);
        for (size_t k = 0; k < sizeof changes / sizeof *changes; k++) {
            json_t *entry;
            if (strcmp(name, changes[k]) != 0)
                continue;
            entry = json_loadb(body, len, 0, NULL);
            rc = entry ? collect(v, lg, idx, name, json_object_get(entry, "subject")) : MG_OK;
            json_decref(entry);
            break;
        }
        if (rc < 0)
            break;
    }
    if (rc == MG_OK && step != SQLITE_DONE)
        rc = gov_db_error(v->c, "log_entries");
    sqlite3_reset(e);
    return rc;
}

/* The entry of `map` (id -> {"idx"}) not marked "seen" with the lowest index, or NULL. */
static const char *first_unseen(const json_t *map, int64_t *idx)
{
    const char *key, *best = NULL;
    json_t *o;

    json_object_foreach((json_t *)map, key, o)
    {
        if (!json_object_get(o, "seen") && (!best || idx_of(o, "idx") < *idx)) {
            best = key;
            *idx = idx_of(o, "idx");
        }
    }
    return best;
}

/* Look a row's id up in `map` and mark it seen; NULL when no entry names it. */
static json_t *seen(json_t *map, int64_t id)
{
    char key[32];
    json_t *o;

    id_key(key, (json_int_t)id);
    if ((o = json_object_get(map, key)))
        json_object_set_new(o, "seen", json_true());
    return o;
}

/* A model's owner, risk tier and policy: the values the log recorded last (create or update). */
static int check_models(rstate *v, const logged *lg)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT id, owner, risk_tier, policy_json FROM models ORDER "
                                     "BY id");
    static const char *const cols[] = {"owner", "risk_tier"};
    const char *key;
    int64_t idx = 0;
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        json_t *o = seen(lg->models, id), *policy;
        const char *want = json_string_value(json_object_get(o, "policy"));
        char have[MG_SHA256_HEX] = "", at[32];

        if (!o)
            continue; /* a row no entry made: named by the row checks */
        for (int k = 0; k < 2; k++) {
            snprintf(at, sizeof at, "%s_at", cols[k]);
            if (json_object_get(o, cols[k]) && !same_value(q, 1 + k, json_object_get(o, cols[k])))
                gov_fail(v->f, rank_of(idx_of(o, at)), "models row %lld: %s differs from log "
                                                       "entry %lld's \"%s\"",
                         (long long)id, cols[k], (long long)idx_of(o, at), cols[k]);
        }
        policy = gov_col_json(q, 3);
        if (!policy || gov_json_sha256(have, policy) < 0 || !want || strcmp(have, want) != 0) {
            mg_error_clear();
            gov_fail(v->f, rank_of(want ? idx_of(o, "policy_at") : idx_of(o, "idx")),
                     "models row %lld: its policy is not the one the log recorded (sha256 "
                     "%.16s...)",
                     (long long)id, want ? want : "(none)");
        }
        json_decref(policy);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return gov_db_error(v->c, "models");
    if ((key = first_unseen(lg->models, &idx)))
        gov_fail(v->f, rank_of(idx), "log entry %lld (%s): no row of models has id %s",
                 (long long)idx,
                 json_string_value(json_object_get(json_object_get(lg->models, key), "action")),
                 key);
    return MG_OK;
}

/* A version's stage is where its last logged transition took it, or "registered". */
static int check_stages(rstate *v, const logged *lg)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT id, stage, log_index FROM versions ORDER BY id");
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const json_t *o = seen(lg->versions, id);
        const char *stage = (const char *)sqlite3_column_text(q, 1);
        const char *want = o ? json_string_value(json_object_get(o, "to")) : "registered";

        if (!stage || !want || strcmp(stage, want) != 0)
            gov_fail(v->f, rank_of(o ? idx_of(o, "idx") : sqlite3_column_int64(q, 2)),
                     "versions row %lld: stage is %s, but its logged transitions end at %s",
                     (long long)id, stage ? stage : "NULL", want ? want : "(none)");
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "versions");
}

/* A token is revoked exactly when a "token.revoke" entry names it. */
static int check_revocations(rstate *v, const logged *lg)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT id, name, revoked, log_index FROM tokens ORDER BY "
                                     "id");
    const char *key;
    int64_t idx = 0;
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const json_t *o = seen(lg->revoked, id);
        int revoked = sqlite3_column_type(q, 2) != SQLITE_NULL;

        if (o && !revoked)
            gov_fail(v->f, rank_of(idx_of(o, "idx")), "tokens row %lld: revoked is NULL, but log "
                                                      "entry %lld revokes it",
                     (long long)id, (long long)idx_of(o, "idx"));
        else if (!o && revoked)
            gov_fail(v->f, rank_of(sqlite3_column_int64(q, 3)), "tokens row %lld: revoked is set, "
                                                                "but no log entry revokes it",
                     (long long)id);
        else if (o && !same_value(q, 1, json_object_get(o, "name")))
            gov_fail(v->f, rank_of(idx_of(o, "idx")), "tokens row %lld: name differs from log "
                                                      "entry %lld's \"name\"",
                     (long long)id, (long long)idx_of(o, "idx"));
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return gov_db_error(v->c, "tokens");
    if ((key = first_unseen(lg->revoked, &idx)))
        gov_fail(v->f, rank_of(idx), "log entry %lld (token.revoke): no row of tokens has id %s",
                 (long long)idx, key);
    return MG_OK;
}

/*
 * Equal JSON, numbers to a relative 1e-9: an RDP curve recomputed by another
 * build's libm may differ from the stored one in the last bits.
 */
static int json_near(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_near(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *x;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, x)
        {
            if (!json_near(x, json_object_get(b, k)))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

/* The first field of `have` or `want` (objects) on which they differ, or NULL. */
static const char *differing_field(const json_t *have, const json_t *want)
{
    const char *k;
    json_t *x;

    if (!json_is_object(have) || !json_is_object(want))
        return json_near(have, want) ? NULL : "(whole)";
    json_object_foreach((json_t *)want, k, x)
    {
        if (!json_near(json_object_get(have, k), x))
            return k;
    }
    json_object_foreach((json_t *)have, k, x)
    {
        if (!json_object_get(want, k))
            return k;
    }
    return NULL;
}

/*
 * One ledger row per run.finish that records privacy: its run, data set and
 * kind, the epsilon and delta the entry logged, and its spend (the RDP curve,
 * the events with their steps) recomputed from the run's privacy settings,
 * which the entry's results_sha256 pins.
 */
static int check_ledger(rstate *v, const logged *lg)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT l.id, l.log_index, l.run_id, l.dataset_sha256, "
                                     "l.kind, l.spend_json, r.privacy_json FROM privacy_ledger l "
                                     "LEFT JOIN runs r ON r.id = l.run_id ORDER BY l.id");
    const char *key;
    int64_t first = 0;
    int rc;

    if (!q)
        return MG_ERROR;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), idx = sqlite3_column_int64(q, 1);
        json_t *o = seen(lg->ledger, idx), *spend = NULL, *settings = NULL, *want = NULL;
        json_t *summary = NULL;
        const json_t *s = json_object_get(o, "subject"), *privacy = json_object_get(s, "privacy");
        const char *bad = NULL;

        (*v->records)++;
        if (!o) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: log entry %lld is not a "
                                             "run.finish that records a privacy spend",
                     (long long)id, (long long)idx);
            continue;
        }
        if (json_object_get(o, "ledger_row")) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: log entry %lld has its "
                                             "row already (privacy_ledger row %lld)",
                     (long long)id, (long long)idx, (long long)idx_of(o, "ledger_row"));
            continue;
        }
        json_object_set_new(o, "ledger_row", json_integer((json_int_t)id));
        if (!same_value(q, 2, json_object_get(s, "run_id")))
            bad = "run_id";
        else if (!same_value(q, 3, json_object_get(s, "dataset_sha256")))
            bad = "dataset_sha256";
        else if (!same_value(q, 4, json_object_get(privacy, "kind")))
            bad = "kind";
        if (bad) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: %s differs from log entry "
                                             "%lld's \"%s%s\"",
                     (long long)id, bad, (long long)idx,
                     strcmp(bad, "kind") == 0 ? "privacy." : "", bad);
            continue;
        }
        spend = gov_col_json(q, 5);
        if (sqlite3_column_type(q, 6) != SQLITE_NULL && !(settings = gov_col_json(q, 6)))
            bad = "(the run's privacy_json is not JSON)";
        else if (gov_ledger_spend(&want, &summary, settings) < 0)
            bad = mg_error_last();
        if (bad) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: run %lld's privacy settings "
                                             "give no spend: %s",
                     (long long)id, (long long)sqlite3_column_int64(q, 2), bad);
            mg_error_clear();
        } else if (!json_near(json_object_get(spend, "epsilon"),
                              json_object_get(privacy, "epsilon")) ||
                   !json_near(json_object_get(spend, "delta"), json_object_get(privacy, "delta"))) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: spend_json's epsilon or "
                                             "delta differs from log entry %lld's \"privacy\"",
                     (long long)id, (long long)idx);
        } else if (!json_near(summary, privacy)) {
            gov_fail(v->f, rank_of(idx), "log entry %lld: its \"privacy\" is not what run "
                                             "%lld's privacy settings give",
                     (long long)idx, (long long)sqlite3_column_int64(q, 2));
        } else if ((bad = differing_field(spend, want))) {
            gov_fail(v->f, rank_of(idx), "privacy_ledger row %lld: spend_json's \"%s\" is "
                                             "not what run %lld's privacy settings give (log "
                                             "entry %lld)",
                     (long long)id, bad, (long long)sqlite3_column_int64(q, 2), (long long)idx);
        }
        json_decref(summary);
        json_decref(want);
        json_decref(settings);
        json_decref(spend);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return gov_db_error(v->c, "privacy_ledger");
    if ((key = first_unseen(lg->ledger, &first)))
        gov_fail(v->f, rank_of(first), "log entry %s (run.finish): no row of privacy_ledger has "
                                         "log_index %s",
                 key, key);
    return MG_OK;
}

int gov_verify_records(uint64_t *records, gov_conn *c, gov_failure *f)
{
    rstate v = {c, f, records, NULL, 0};
    logged lg = {json_object(), json_object(), json_object(), json_object()};
    int rc = MG_OK;

    *records = 0;
    if (!lg.models || !lg.versions || !lg.revoked || !lg.ledger) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = log_size(&v)) < 0)
        goto done;
    if (!(v.has_row = calloc(v.entries + 1, 1))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < NCHECKS; i++)
        if ((rc = check_records_of(&v, &record_checks[i])) < 0)
            goto done;
    if ((rc = check_unfinished_runs(&v)) < 0 || (rc = walk_entries(&v, &lg)) < 0 ||
        (rc = check_models(&v, &lg)) < 0 || (rc = check_stages(&v, &lg)) < 0 ||
        (rc = check_revocations(&v, &lg)) < 0)
        goto done;
    rc = check_ledger(&v, &lg);
done:
    free(v.has_row);
    json_decref(lg.ledger);
    json_decref(lg.revoked);
    json_decref(lg.versions);
    json_decref(lg.models);
    return rc;
}
