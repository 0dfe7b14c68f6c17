/* lineage.c - W3C PROV lineage: entities, activities and agents, and what used or generated what. */
#include "inventory.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * PROV-DM terms (W3C Recommendation, 2013): entities (data sets, model
 * artifacts, versions, reports), activities (training runs, report jobs,
 * registrations, transitions), agents (token names). Edges point from the
 * subject of the relation: activity --used--> entity, entity
 * --wasGeneratedBy--> activity, activity --wasAssociatedWith--> agent,
 * entity --wasDerivedFrom--> entity.
 */
typedef struct graph {
    json_t *nodes; /* id -> node */
    json_t *edges;
    json_t *seen_edges; /* "from|relation|to" -> true */
} graph;

static json_t *node(graph *g, const char *prov, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The node with this id, made on first sight. Borrowed from the graph. */
static json_t *node(graph *g, const char *prov, const char *type, const char *fmt, ...)
{
    char id[256];
    json_t *n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(id, sizeof id, fmt, ap);
    va_end(ap);
    if ((n = json_object_get(g->nodes, id)))
        return n;
    n = json_pack("{s:s,s:s,s:s}", "id", id, "prov", prov, "type", type);
    json_object_set_new(g->nodes, id, n);
    return n;
}

static void edge(graph *g, const json_t *from, const char *relation, const json_t *to)
{
    const char *f = json_string_value(json_object_get(from, "id"));
    const char *t = json_string_value(json_object_get(to, "id"));
    char key[600];

    if (!f || !t)
        return;
    snprintf(key, sizeof key, "%s|%s|%s", f, relation, t);
    if (json_object_get(g->seen_edges, key))
        return;
    json_object_set_new(g->seen_edges, key, json_true());
    json_array_append_new(g->edges, json_pack("{s:s,s:s,s:s}", "from", f, "relation", relation,
                                              "to", t));
}

static json_t *agent(graph *g, const char *name)
{
    json_t *a = node(g, "agent", "token", "agent:%s", name);
    json_object_set_new(a, "name", json_string(name));
    return a;
}

static void set_text(json_t *n, const char *key, sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    if (t)
        json_object_set_new(n, key, json_string(t));
}

/* dataset:ID with its attributes. */
static int dataset_node(json_t **out, graph *g, gov_conn *c, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT sha256, name, owner, rows FROM datasets WHERE id = ?");
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, id);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *n = node(g, "entity", "dataset", "dataset:%lld", (long long)id);
        set_text(n, "sha256", q, 0);
        set_text(n, "name", q, 1);
        set_text(n, "owner", q, 2);
        json_object_set_new(n, "rows", json_integer(sqlite3_column_int64(q, 3)));
        *out = n;
        rc = MG_OK;
    } else {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no data set %lld", (long long)id)
                               : gov_db_error(c, "datasets");
    }
    sqlite3_reset(q);
    return rc;
}

/* run:ID, the data set it used, its agent and the artifact it generated. */
static int run_node(json_t **out, graph *g, gov_conn *c, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT dataset_id, status, started_by, artifact_sha256, "
                                  "code_version, seed, started, finished FROM runs WHERE id = ?");
    json_t *ds = NULL, *n;
    int64_t dataset_id;
    char artifact[MG_SHA256_HEX] = "", by[MG_ACTOR_NAME_MAX] = "";
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, id);
    if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no run %lld", (long long)id)
                               : gov_db_error(c, "runs");
        sqlite3_reset(q);
        return rc;
    }
    n = node(g, "activity", "training_run", "run:%lld", (long long)id);
    dataset_id = sqlite3_column_int64(q, 0);
    set_text(n, "status", q, 1);
    snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(q, 2));
    if (sqlite3_column_type(q, 3) != SQLITE_NULL)
        snprintf(artifact, sizeof artifact, "%s", (const char *)sqlite3_column_text(q, 3));
    set_text(n, "code_version", q, 4);
    if (sqlite3_column_type(q, 5) != SQLITE_NULL)
        json_object_set_new(n, "seed", json_integer(sqlite3_column_int64(q, 5)));
    set_text(n, "started", q, 6);
    set_text(n, "ended", q, 7);
    sqlite3_reset(q);
    if ((rc = dataset_node(&ds, g, c, dataset_id)) < 0)
        return rc;
    edge(g, n, "used", ds);
    edge(g, n, "wasAssociatedWith", agent(g, by));
    if (artifact[0]) {
        json_t *a = node(g, "entity", "artifact", "artifact:%s", artifact);
        json_object_set_new(a, "sha256", json_string(artifact));
        edge(g, a, "wasGeneratedBy", n);
    }
    *out = n;
    return MG_OK;
}

/* report:ID generated by its report job, which used the artifact (and data set) it names. */
static int report_node(json_t **out, graph *g, gov_conn *c, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT kind, sha256, artifact_sha256, coalesce(dataset_id, 0), "
                                  "created_by, created FROM reports WHERE id = ?");
    json_t *n, *job, *art, *ds = NULL;
    char artifact[MG_SHA256_HEX], by[MG_ACTOR_NAME_MAX];
    int64_t dataset_id;
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, id);
    if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no report %lld", (long long)id)
                               : gov_db_error(c, "reports");
        sqlite3_reset(q);
        return rc;
    }
    n = node(g, "entity", "report", "report:%lld", (long long)id);
    set_text(n, "kind", q, 0);
    set_text(n, "sha256", q, 1);
    snprintf(artifact, sizeof artifact, "%s", (const char *)sqlite3_column_text(q, 2));
    dataset_id = sqlite3_column_int64(q, 3);
    snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(q, 4));
    job = node(g, "activity", "report_job", "report_job:%lld", (long long)id);
    set_text(job, "kind", q, 0);
    set_text(job, "ended", q, 5);
    sqlite3_reset(q);
    art = node(g, "entity", "artifact", "artifact:%s", artifact);
    json_object_set_new(art, "sha256", json_string(artifact));
    edge(g, n, "wasGeneratedBy", job);
    edge(g, job, "used", art);
    edge(g, job, "wasAssociatedWith", agent(g, by));
    if (dataset_id) {
        if ((rc = dataset_node(&ds, g, c, dataset_id)) < 0)
            return rc;
        edge(g, job, "used", ds);
    }
    *out = n;
    return MG_OK;
}

/* Ids from a one-column query bound to `key`, into a caller-freed array. */
static int ids_of(int64_t **ids, size_t *n, gov_conn *c, const char *sql, int64_t key,
                  const char *text)
{
    sqlite3_stmt *q = gov_stmt(c, sql);
    int rc;

    *ids = NULL;
    *n = 0;
    if (!q)
        return MG_ERROR;
    if (text)
        gov_bind_text(q, 1, text);
    else
        sqlite3_bind_int64(q, 1, key);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t *grown = realloc(*ids, (*n + 1) * sizeof **ids);
        if (!grown) {
            rc = mg_error_set(MG_ENOMEM, "out of memory");
            break;
        }
        *ids = grown;
        (*ids)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_reset(q);
    if (rc == SQLITE_DONE)
        return MG_OK;
    free(*ids);
    *ids = NULL;
    *n = 0;
    return rc < 0 ? rc : gov_db_error(c, "lineage");
}

/* version:MODEL:N, derived from its artifact, registered by its submitter; its reports and transitions. */
static int version_graph(graph *g, gov_conn *c, const gov_version *v, int with_reviews)
{
    json_t *n = node(g, "entity", "version", "version:%s:%lld", v->model, (long long)v->number);
    json_t *art = node(g, "entity", "artifact", "artifact:%s", v->artifact);
    json_t *reg = node(g, "activity", "registration", "registration:%lld", (long long)v->id);
    json_t *run = NULL, *r;
    int64_t *ids = NULL;
    size_t nids;
    int rc;

    json_object_set_new(n, "model", json_string(v->model));
    json_object_set_new(n, "version", json_integer(v->number));
    json_object_set_new(n, "stage", json_string(v->stage));
    json_object_set_new(art, "sha256", json_string(v->artifact));
    edge(g, n, "wasDerivedFrom", art);
    edge(g, n, "wasGeneratedBy", reg);
    edge(g, reg, "used", art);
    edge(g, reg, "wasAssociatedWith", agent(g, v->submitter));
    if (v->run_id) {
        if ((rc = run_node(&run, g, c, v->run_id)) < 0)
            return rc;
        edge(g, n, "wasGeneratedBy", run);
    }
    if ((rc = ids_of(&ids, &nids, c, "SELECT id FROM reports WHERE version_id = ? ORDER BY id",
                     v->id, NULL)) < 0)
        return rc;
    for (size_t i = 0; i < nids && rc == MG_OK; i++)
        if ((rc = report_node(&r, g, c, ids[i])) == MG_OK)
            edge(g, r, "wasDerivedFrom", n);
    free(ids);
    if (rc < 0 || !with_reviews)
        return rc;
    {
        sqlite3_stmt *q = gov_stmt(c, "SELECT id, from_stage, to_stage, actor, created FROM "
                                      "transitions WHERE version_id = ? ORDER BY id");
        if (!q)
            return MG_ERROR;
        sqlite3_bind_int64(q, 1, v->id);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            json_t *t = node(g, "activity", "transition", "transition:%lld",
                             (long long)sqlite3_column_int64(q, 0));
            set_text(t, "from", q, 1);
            set_text(t, "to", q, 2);
            set_text(t, "ended", q, 4);
            edge(g, t, "used", n);
            edge(g, t, "wasAssociatedWith", agent(g, (const char *)sqlite3_column_text(q, 3)));
        }
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "transitions");
    }
}

/* Everything produced from a data set: runs that used it, their artifacts, versions, reports. */
static int dataset_graph(graph *g, gov_conn *c, int64_t dataset_id)
{
    int64_t *runs = NULL, *reports = NULL, *versions = NULL;
    size_t nruns, nreports, nversions;
    json_t *ds = NULL, *x;
    int rc;

    if ((rc = dataset_node(&ds, g, c, dataset_id)) < 0 ||
        (rc = ids_of(&runs, &nruns, c, "SELECT id FROM runs WHERE dataset_id = ? ORDER BY id",
                     dataset_id, NULL)) < 0)
        return rc;
    for (size_t i = 0; i < nruns && rc == MG_OK; i++) {
        if ((rc = run_node(&x, g, c, runs[i])) < 0 ||
            (rc = ids_of(&versions, &nversions, c,
                         "SELECT id FROM versions WHERE run_id = ? ORDER BY id", runs[i], NULL)) < 0)
            break;
        for (size_t k = 0; k < nversions && rc == MG_OK; k++) {
            sqlite3_stmt *q = gov_stmt(c, "SELECT m.name, v.number FROM versions v JOIN models m "
                                          "ON m.id = v.model_id WHERE v.id = ?");
            gov_version v;
            char model[MG_ACTOR_NAME_MAX] = "";
            int64_t number = 0;
            if (!q) {
                rc = MG_ERROR;
                break;
            }
            sqlite3_bind_int64(q, 1, versions[k]);
            if (sqlite3_step(q) == SQLITE_ROW) {
                snprintf(model, sizeof model, "%s", (const char *)sqlite3_column_text(q, 0));
                number = sqlite3_column_int64(q, 1);
            }
            sqlite3_reset(q);
            if ((rc = gov_version_find(&v, c, model, number)) == MG_OK)
                rc = version_graph(g, c, &v, 0);
        }
        free(versions);
        versions = NULL;
    }
    free(runs);
    if (rc < 0)
        return rc;
    /* reports computed with this data set, on whatever model */
    if ((rc = ids_of(&reports, &nreports, c,
                     "SELECT id FROM reports WHERE dataset_id = ? ORDER BY id", dataset_id,
                     NULL)) < 0)
        return rc;
    for (size_t i = 0; i < nreports && rc == MG_OK; i++)
        rc = report_node(&x, g, c, reports[i]);
    free(reports);
    return rc;
}

typedef struct lineage_arg {
    json_t **out;
    const char *kind, *id;
} lineage_arg;

static int parse_id(int64_t *out, const char *text, const char *what)
{
    char *end;
    long long v;

    if (!text || !isdigit((unsigned char)*text))
        return mg_error_set(MG_EINVAL, "%s id '%.80s': expected a number", what, text ? text : "");
    v = strtoll(text, &end, 10);
    if (*end || v <= 0)
        return mg_error_set(MG_EINVAL, "%s id '%.80s': expected a number", what, text);
    *out = v;
    return MG_OK;
}

static int lineage_read(gov_conn *c, void *arg)
{
    lineage_arg *a = arg;
    graph g = {json_object(), json_array(), json_object()};
    json_t *nodes = json_array(), *v;
    const char *root = NULL, *key;
    char root_id[256] = "";
    int64_t id = 0;
    int rc;

    if (!g.nodes || !g.edges || !g.seen_edges || !nodes) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (strcmp(a->kind, "version") == 0) {
        /* "MODEL:N" */
        const char *colon = strrchr(a->id, ':');
        char model[MG_ACTOR_NAME_MAX];
        gov_version gv;
        if (!colon || colon == a->id || (size_t)(colon - a->id) >= sizeof model) {
            rc = mg_error_set(MG_EINVAL, "version '%.80s': expected MODEL:NUMBER", a->id);
            goto done;
        }
        snprintf(model, sizeof model, "%.*s", (int)(colon - a->id), a->id);
        if ((rc = parse_id(&id, colon + 1, "version")) < 0 ||
            (rc = gov_version_find(&gv, c, model, id)) < 0 || (rc = version_graph(&g, c, &gv, 1)) < 0)
            goto done;
        snprintf(root_id, sizeof root_id, "version:%s:%lld", model, (long long)id);
    } else if (strcmp(a->kind, "dataset") == 0) {
        if (mg_hex_is_sha256(a->id)) {
            sqlite3_stmt *q = gov_stmt(c, "SELECT id FROM datasets WHERE sha256 = ?");
            if (!q) {
                rc = MG_ERROR;
                goto done;
            }
            gov_bind_text(q, 1, a->id);
            id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
            sqlite3_reset(q);
            if (!id) {
                rc = mg_error_set(MG_ENOTFOUND, "no data set %s", a->id);
                goto done;
            }
        } else if ((rc = parse_id(&id, a->id, "data set")) < 0) {
            goto done;
        }
        if ((rc = dataset_graph(&g, c, id)) < 0)
            goto done;
        snprintf(root_id, sizeof root_id, "dataset:%lld", (long long)id);
    } else if (strcmp(a->kind, "run") == 0 || strcmp(a->kind, "report") == 0) {
        json_t *n;
        int is_run = a->kind[1] == 'u';
        if ((rc = parse_id(&id, a->id, a->kind)) < 0 ||
            (rc = is_run ? run_node(&n, &g, c, id) : report_node(&n, &g, c, id)) < 0)
            goto done;
        snprintf(root_id, sizeof root_id, "%s:%lld", a->kind, (long long)id);
    } else {
        rc = mg_error_set(MG_EINVAL, "lineage kind '%.40s': expected version, dataset, run or "
                                     "report",
                          a->kind);
        goto done;
    }
    root = root_id;
    json_object_foreach(g.nodes, key, v)
        json_array_append(nodes, v);
    *a->out = json_pack("{s:s,s:s,s:s,s:O,s:O}", "kind", a->kind, "id", a->id, "root", root,
                        "nodes", nodes, "edges", g.edges);
    rc = *a->out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
done:
    json_decref(nodes);
    json_decref(g.nodes);
    json_decref(g.edges);
    json_decref(g.seen_edges);
    return rc;
}

int mg_gov_lineage(json_t **out, mg_store *s, const char *kind, const char *id)
{
    lineage_arg a = {out, kind ? kind : "", id ? id : ""};
    *out = NULL;
    return gov_read(s, lineage_read, &a);
}
