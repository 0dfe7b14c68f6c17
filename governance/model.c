/* model.c - the model inventory: name, owner, description, intended use, risk tier, policy. */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

static int check_tier(const char *tier)
{
    if (tier && strcmp(tier, "low") != 0 && strcmp(tier, "medium") != 0 &&
        strcmp(tier, "high") != 0)
        return mg_error_set(MG_EINVAL, "risk tier '%s': expected low, medium or high", tier);
    return MG_OK;
}

int gov_model_find(int64_t *id, json_t **policy, gov_conn *c, const char *name)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT id, policy_json FROM models WHERE name = ?");
    int rc;

    if (policy)
        *policy = NULL;
    if (!q)
        return MG_ERROR;
    gov_bind_text(q, 1, name);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        if (policy && !(*policy = gov_col_json(q, 1)))
            rc = mg_error_set(MG_EPARSE, "model '%s': stored policy is not JSON", name);
        else
            rc = MG_OK;
    } else {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no model '%s'", name ? name : "")
                               : gov_db_error(c, "models");
    }
    sqlite3_reset(q);
    return rc;
}

typedef struct model_arg {
    mg_gov_result *res;
    const char *name;
    const mg_gov_model *m;
    const json_t *policy;
} model_arg;

static int model_create_change(gov_tx *tx, void *arg)
{
    model_arg *a = arg;
    sqlite3_stmt *st = gov_stmt(tx->c, "INSERT INTO models (name, owner, description, "
                                       "intended_use, risk_tier, policy_json, created, "
                                       "created_by, updated, log_index) VALUES (?, ?, ?, ?, ?, "
                                       "?, ?, ?, ?, ?)");
    char now[32], policy_sha[MG_SHA256_HEX];
    int rc;

    if (!st)
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, a->m->name);
    gov_bind_text(st, 2, a->m->owner);
    gov_bind_text(st, 3, a->m->description ? a->m->description : "");
    gov_bind_text(st, 4, a->m->intended_use ? a->m->intended_use : "");
    gov_bind_text(st, 5, a->m->risk_tier ? a->m->risk_tier : "medium");
    if ((rc = gov_bind_json(st, 6, a->policy)) < 0)
        return rc;
    gov_bind_text(st, 7, now);
    gov_bind_text(st, 8, tx->actor->name);
    gov_bind_text(st, 9, now);
    sqlite3_bind_int64(st, 10, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "models")) < 0)
        return rc == MG_EEXISTS ? mg_error_set(MG_EEXISTS, "a model named '%s' exists", a->m->name)
                                : rc;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    if ((rc = gov_json_sha256(policy_sha, a->policy)) < 0)
        return rc;
    return gov_append(&a->res->log_index, tx, "model.create",
                      json_pack("{s:I,s:s,s:s,s:s,s:s}", "model_id", (json_int_t)a->res->id,
                                "name", a->m->name, "owner", a->m->owner, "risk_tier",
                                a->m->risk_tier ? a->m->risk_tier : "medium", "policy_sha256",
                                policy_sha));
}

static int check_model_fields(const mg_gov_model *m, int creating)
{
    int rc;

    if ((rc = gov_check_text(m->owner, 200, creating, "model owner")) < 0 ||
        (rc = gov_check_text(m->description, 4000, 0, "model description")) < 0 ||
        (rc = gov_check_text(m->intended_use, 4000, 0, "model intended_use")) < 0 ||
        (rc = check_tier(m->risk_tier)) < 0 || (m->policy && (rc = gov_policy_check(m->policy)) < 0))
        return rc;
    return MG_OK;
}

int mg_gov_model_create(mg_gov_result *res, mg_store *s, const mg_actor *by, const mg_gov_model *m)
{
    model_arg a = {res, m->name, m, m->policy};
    json_t *def = NULL;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "creating a model")) < 0 ||
        (rc = gov_check_name(m->name, "model name")) < 0 || (rc = check_model_fields(m, 1)) < 0)
        return rc;
    /* a policy other than the default is an admin's decision (DESIGN §4) */
    if (m->policy && (rc = gov_require_role(by, MG_ROLE_ADMIN, "setting a model's policy")) < 0)
        return rc;
    if (!m->policy && !(a.policy = def = gov_policy_default()))
        return mg_error_set(MG_ENOMEM, "out of memory");
    rc = gov_write(s, by, model_create_change, &a);
    json_decref(def);
    return rc;
}

static int model_update_change(gov_tx *tx, void *arg)
{
    model_arg *a = arg;
    const mg_gov_model *m = a->m;
    struct {
        const char *column, *value;
    } fields[] = {{"owner", m->owner},
                  {"description", m->description},
                  {"intended_use", m->intended_use},
                  {"risk_tier", m->risk_tier}};
    static const char *const sql[] = {
        "UPDATE models SET owner = ?, updated = ? WHERE id = ?",
        "UPDATE models SET description = ?, updated = ? WHERE id = ?",
        "UPDATE models SET intended_use = ?, updated = ? WHERE id = ?",
        "UPDATE models SET risk_tier = ?, updated = ? WHERE id = ?"};
    json_t *changed = json_array(), *subject;
    char now[32], policy_sha[MG_SHA256_HEX] = "";
    sqlite3_stmt *st;
    int64_t id;
    int rc;

    if (!changed)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = gov_model_find(&id, NULL, tx->c, a->name)) < 0)
        goto done;
    gov_now(now);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (!fields[i].value)
            continue;
        if (!(st = gov_stmt(tx->c, sql[i]))) {
            rc = MG_ERROR;
            goto done;
        }
        gov_bind_text(st, 1, fields[i].value);
        gov_bind_text(st, 2, now);
        sqlite3_bind_int64(st, 3, id);
        if ((rc = gov_step_done(tx->c, st, "models")) < 0)
            goto done;
        json_array_append_new(changed, json_string(fields[i].column));
    }
    if (m->policy) {
        if (!(st = gov_stmt(tx->c, "UPDATE models SET policy_json = ?, updated = ? WHERE id = ?"))) {
            rc = MG_ERROR;
            goto done;
        }
        if ((rc = gov_bind_json(st, 1, m->policy)) < 0)
            goto done;
        gov_bind_text(st, 2, now);
        sqlite3_bind_int64(st, 3, id);
        if ((rc = gov_step_done(tx->c, st, "models")) < 0 ||
            (rc = gov_json_sha256(policy_sha, m->policy)) < 0)
            goto done;
        json_array_append_new(changed, json_string("policy"));
    }
    if (json_array_size(changed) == 0) {
        rc = mg_error_set(MG_EINVAL, "model '%s': nothing to change", a->name);
        goto done;
    }
    a->res->id = id;
    subject = json_pack("{s:I,s:s,s:O}", "model_id", (json_int_t)id, "name", a->name, "changed",
                        changed);
    if (subject && policy_sha[0])
        json_object_set_new(subject, "policy_sha256", json_string(policy_sha));
    /* the values the workflow and the card read are logged, so verify can compare them */
    if (subject && m->owner)
        json_object_set_new(subject, "owner", json_string(m->owner));
    if (subject && m->risk_tier)
        json_object_set_new(subject, "risk_tier", json_string(m->risk_tier));
    rc = gov_append(&a->res->log_index, tx, "model.update", subject);
done:
    json_decref(changed);
    return rc;
}

int mg_gov_model_update(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *name,
                        const mg_gov_model *patch)
{
    model_arg a = {res, name, patch, patch->policy};
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, patch->policy ? MG_ROLE_ADMIN : MG_ROLE_SUBMITTER,
                                patch->policy ? "changing a model's policy"
                                              : "changing a model")) < 0 ||
        (rc = check_model_fields(patch, 0)) < 0)
        return rc;
    if (patch->name && strcmp(patch->name, name ? name : "") != 0)
        return mg_error_set(MG_EINVAL, "model '%s': a model's name cannot change", name);
    return gov_write(s, by, model_update_change, &a);
}

typedef struct read_arg {
    json_t **out;
    const char *name;
} read_arg;

static int model_get_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q = gov_stmt(c, "SELECT * FROM models WHERE name = ?");
    json_t *versions = NULL;
    char missing[128];
    int rc;

    if (!q)
        return MG_ERROR;
    gov_bind_text(q, 1, a->name);
    snprintf(missing, sizeof missing, "no model '%.80s'", a->name ? a->name : "");
    if ((rc = gov_row1_json(a->out, c, q, missing)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT number, stage, artifact_sha256, submitter, created, updated "
                          "FROM versions WHERE model_id = ? ORDER BY number")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, json_integer_value(json_object_get(*a->out, "id")));
    if ((rc = gov_rows_json(&versions, c, q, "versions")) < 0) {
        json_decref(*a->out);
        *a->out = NULL;
        return rc;
    }
    json_object_set_new(*a->out, "versions", versions);
    return MG_OK;
}

int mg_gov_model_get(json_t **out, mg_store *s, const char *name)
{
    read_arg a = {out, name};
    *out = NULL;
    return gov_read(s, model_get_read, &a);
}

static int models_list_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q = gov_stmt(c, "SELECT m.id, m.name, m.owner, m.description, m.risk_tier, "
                                  "m.created, m.updated, (SELECT count(*) FROM versions v WHERE "
                                  "v.model_id = m.id) AS versions FROM models m ORDER BY m.name");
    return q ? gov_rows_json(a->out, c, q, "models") : MG_ERROR;
}

int mg_gov_models_list(json_t **out, mg_store *s)
{
    read_arg a = {out, NULL};
    *out = NULL;
    return gov_read(s, models_list_read, &a);
}
