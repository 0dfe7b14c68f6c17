/* openapi.c - the OpenAPI 3.1 document, generated from the routing table and body shapes. */
#include "route.h"

#include "mg_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MG_VERSION
#define MG_VERSION "0.0.0"
#endif

static const char *oa_type(web_type t)
{
    static const char *const names[] = {"string", "integer", "number", "boolean",
                                        "object", "array",   NULL};
    return names[t];
}

static json_t *schema_of_fields(const web_field *fields);

static json_t *schema_of_type(web_type t, const web_field *sub, web_type items)
{
    json_t *s = json_object();

    if (!s)
        return NULL;
    if (oa_type(t))
        json_object_set_new(s, "type", json_string(oa_type(t)));
    if (t == WEB_OBJECT && sub) {
        json_decref(s);
        return schema_of_fields(sub);
    }
    if (t == WEB_ARRAY)
        json_object_set_new(s, "items", schema_of_type(items, sub, WEB_ANY));
    return s;
}

static json_t *schema_of_fields(const web_field *fields)
{
    json_t *s = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", json_object(),
                          "additionalProperties", 0);
    json_t *props = json_object_get(s, "properties"), *req = json_array();

    for (const web_field *f = fields; f->name; f++) {
        json_t *p = schema_of_type(f->type, f->sub, f->items);
        if (f->help)
            json_object_set_new(p, "description", json_string(f->help));
        if (f->choices) {
            json_t *e = json_array();
            for (size_t i = 0; f->choices[i]; i++)
                json_array_append_new(e, json_string(f->choices[i]));
            json_object_set_new(f->type == WEB_ARRAY ? json_object_get(p, "items") : p, "enum", e);
        }
        json_object_set_new(props, f->name, p);
        if (f->required)
            json_array_append_new(req, json_string(f->name));
    }
    if (json_array_size(req))
        json_object_set_new(s, "required", req);
    else
        json_decref(req);
    return s;
}

/* "GET /api/v1/models/{name}" -> "getModelsName". */
static void operation_id(char *out, size_t size, const web_route *r)
{
    const char *p = r->pattern;
    size_t k = 0;
    int up = 1;

    for (const char *m = r->method; *m && k + 1 < size; m++)
        out[k++] = (char)tolower((unsigned char)*m);
    if (strncmp(p, "/api/v1", 7) == 0)
        p += 7;
    for (; *p && k + 1 < size; p++) {
        if (isalnum((unsigned char)*p)) {
            out[k++] = up ? (char)toupper((unsigned char)*p) : *p;
            up = 0;
        } else {
            up = 1;
        }
    }
    if (k == strlen(r->method))
        k += (size_t)snprintf(out + k, size - k, "Root");
    out[k] = '\0';
}

static json_t *parameters(const web_route *r)
{
    json_t *ps = json_array();
    const char *p = r->pattern;

    while ((p = strchr(p, '{'))) {
        const char *e = strchr(p, '}');
        char name[32];
        size_t n = (size_t)(e - p - 1) < sizeof name - 1 ? (size_t)(e - p - 1) : sizeof name - 1;
        memcpy(name, p + 1, n);
        name[n] = '\0';
        json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "name", name, "in",
                                            "path", "required", 1, "schema", "type", "string",
                                            "pattern", "^[A-Za-z0-9_@:-][A-Za-z0-9._@:-]{0,127}$"));
        p = e;
    }
    for (const web_query *q = r->query; q && q->name; q++)
        json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", q->name, "in",
                                            "query", "required", q->required, "description",
                                            q->help, "schema", "type", oa_type(q->type)));
    return ps;
}

static json_t *request_body(const web_route *r)
{
    json_t *content = json_object();

    if (r->body == WEB_BODY_JSON || r->body == WEB_BODY_JSON_OR_FILE)
        json_object_set_new(content, "application/json",
                            json_pack("{s:o}", "schema",
                                      r->fields ? schema_of_fields(r->fields)
                                                : json_pack("{s:s}", "type", "object")));
    if (r->body == WEB_BODY_FILE || r->body == WEB_BODY_JSON_OR_FILE) {
        const char *type = strstr(r->pattern, "datasets") ? "text/csv" : "application/octet-stream";
        json_object_set_new(content, type,
                            json_pack("{s:{s:s, s:s}}", "schema", "type", "string",
                                      "contentMediaType", type));
    }
    return json_pack("{s:b, s:o}", "required", 1,
                     "content", content);
}

static json_t *responses(const web_route *r)
{
    char code[8];
    json_t *rs = json_object();
    const char *ctype = r->produces ? r->produces : "application/json";
    json_t *ok;

    if (r->ok_status == 204)
        ok = json_pack("{s:s}", "description", "done");
    else if (strcmp(ctype, "application/json") == 0)
        ok = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", r->summary, "content", ctype,
                       "schema", "type", "object");
    else
        ok = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", r->summary, "content", ctype,
                       "schema", "type", "string");
    snprintf(code, sizeof code, "%u", r->ok_status);
    json_object_set_new(rs, code, ok);
    if (r->body == WEB_BODY_JSON_OR_FILE) /* the JSON form starts a job */
        json_object_set_new(rs, "202",
                            json_pack("{s:s, s:{s:{s:{s:s}}}}", "description",
                                      "A job was queued (see Location: /api/v1/jobs/{id})",
                                      "content", "application/json", "schema", "type", "object"));
#define ERR(c) json_object_set_new(rs, c, json_pack("{s:s}", "$ref", "#/components/responses/E" c))
    if (r->body || strchr(r->pattern, '{') || r->query)
        ERR("400");
    if (r->min_role != MG_WEB_ROLE_NONE) {
        ERR("401");
        if (r->min_role > MG_WEB_ROLE_VIEWER)
            ERR("403");
    }
    if (strchr(r->pattern, '{'))
        ERR("404");
    if (strcmp(r->method, "GET") != 0) {
        ERR("409");
        ERR("422");
    } else if (r->unprocessable) {
        ERR("422");
    }
    if (r->body) {
        ERR("413");
        if (r->body != WEB_BODY_FILE)
            ERR("415");
    }
#undef ERR
    return rs;
}

static json_t *operation(const web_route *r)
{
    char id[128];
    json_t *op;

    operation_id(id, sizeof id, r);
    op = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "operationId", id, "summary", r->summary, "tags",
                   r->tag, "parameters", parameters(r), "responses", responses(r));
    if (r->min_role == MG_WEB_ROLE_NONE)
        json_object_set_new(op, "security", json_array());
    else
        json_object_set_new(op, "x-minimum-role", json_string(mg_web_role_name(r->min_role)));
    if (r->body)
        json_object_set_new(op, "requestBody", request_body(r));
    return op;
}

static json_t *error_response(const char *what)
{
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", what, "content", "application/json",
                     "schema", "$ref", "#/components/schemas/Error");
}

static json_t *components(void)
{
    json_t *err = json_pack(
        "{s:s, s:[s], s:b, s:{s:{s:s, s:[s,s], s:b, s:{s:{s:s}, s:{s:s}}}}}", "type", "object",
        "required", "error", "additionalProperties", 0, "properties", "error", "type", "object",
        "required", "code", "message", "additionalProperties", 0, "properties", "code", "type",
        "string", "message", "type", "string");
    return json_pack(
        "{s:{s:{s:s, s:s, s:s}}, s:{s:o}, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
        "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "description",
        "A token from 'modelgov token create'; roles viewer < submitter < reviewer < admin.",
        "schemas", "Error", err, "responses", "E400",
        error_response("Malformed request: bad JSON, wrong type, unknown field or bad name"),
        "E401", error_response("Missing or unknown bearer token"), "E403",
        error_response("The token's role is too low for this route"), "E404",
        error_response("No such resource"), "E409",
        error_response("The current state does not allow it (e.g. failing approval gates)"),
        "E413", error_response("Request body past the configured limit"), "E415",
        error_response("A JSON route was sent another media type"), "E422",
        error_response("Well-formed but invalid values: in the body, or in a path or query "
                       "parameter (e.g. an inclusion proof's index past the tree size)"));
}

static const char *tag_help(const char *tag)
{
    static const char *const help[][2] = {
        {"meta", "Health, metrics and this document"},
        {"datasets", "CSV data sets, stored by sha256 with an inferred schema"},
        {"models", "The model inventory: names, owners, risk tiers"},
        {"versions", "Model versions: artifacts, training jobs, cards and metrics"},
        {"reports", "Bias and explainability reports of a version"},
        {"workflow", "The approval workflow and its gates"},
        {"predict", "Predictions in TF Serving's REST shape"},
        {"jobs", "Background jobs: training runs and reports"},
        {"lineage", "The lineage graph: used, generated-by, approved-by"},
        {"log", "The signed append-only log and its Merkle proofs"},
        {"events", "Server-Sent Events and webhooks"},
        {"ui", "The reviewer UI's static assets"}};
    for (size_t i = 0; i < sizeof help / sizeof help[0]; i++)
        if (strcmp(help[i][0], tag) == 0)
            return help[i][1];
    return tag;
}

static json_t *tags(const web_route *t, size_t n)
{
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < i && strcmp(t[j].tag, t[i].tag) != 0; j++)
            ;
        if (j == i)
            json_array_append_new(out, json_pack("{s:s, s:s}", "name", t[i].tag, "description",
                                                 tag_help(t[i].tag)));
    }
    return out;
}

char *mg_web_openapi_text(void)
{
    size_t n;
    const web_route *t = web_routes(&n);
    json_t *paths = json_object(), *doc;
    char *text;

    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object_get(paths, t[i].pattern);
        char m[16];
        size_t k;
        if (!item) {
            item = json_object();
            json_object_set_new(paths, t[i].pattern, item);
        }
        for (k = 0; t[i].method[k] && k + 1 < sizeof m; k++)
            m[k] = (char)tolower((unsigned char)t[i].method[k]);
        m[k] = '\0';
        json_object_set_new(item, m, operation(&t[i]));
    }
    doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:[{s:[]}], s:o, s:o}",
                    "openapi", "3.1.0", "info", "title", "modelgov API", "version", MG_VERSION,
                    "description",
                    "Model governance: inventory, reports, training jobs, the approval workflow "
                    "and the signed log. Errors are {\"error\":{\"code\",\"message\"}}.",
                    "servers", "url", "/",
                    "tags", tags(t, n), "security", "bearer", "paths", paths, "components",
                    components());
    if (!doc) {
        mg_error_set(MG_ENOMEM, "out of memory building the OpenAPI document");
        return NULL;
    }
    text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(doc);
    return text;
}

size_t mg_web_route_count(void)
{
    size_t n;
    web_routes(&n);
    return n;
}

const char *mg_web_route_method(size_t i)
{
    size_t n;
    const web_route *t = web_routes(&n);
    return i < n ? t[i].method : NULL;
}

const char *mg_web_route_pattern(size_t i)
{
    size_t n;
    const web_route *t = web_routes(&n);
    return i < n ? t[i].pattern : NULL;
}

mg_web_role mg_web_route_role(size_t i)
{
    size_t n;
    const web_route *t = web_routes(&n);
    return i < n ? t[i].min_role : MG_WEB_ROLE_NONE;
}
