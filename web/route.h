/* route.h - what a route handler sees: the request, the reply, the routing table entry. */
#ifndef WEB_ROUTE_H
#define WEB_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mg_governance.h"
#include "mg_web.h"

struct mg_server;

/* The JSON types a body field may have (OpenAPI's names). */
typedef enum web_type {
    WEB_STRING = 0,
    WEB_INTEGER,
    WEB_NUMBER,
    WEB_BOOLEAN,
    WEB_OBJECT, /* fields listed in `sub` when set, any object otherwise */
    WEB_ARRAY,  /* items of type `items` (WEB_OBJECT items use `sub`) */
    WEB_ANY
} web_type;

/*
 * One field of a JSON request body. A table of them, ended by a zeroed
 * entry, is both the validator's input and the OpenAPI schema.
 */
typedef struct web_field {
    const char *name;
    web_type type;
    int required;
    const char *help;
    const struct web_field *sub; /* fields of an object (or of array items) */
    web_type items;              /* item type of an array */
    const char *const *choices;  /* allowed string values, NULL-terminated, or NULL */
} web_field;

/* What a route accepts as a body. */
typedef enum web_body {
    WEB_BODY_NONE = 0, /* any body is refused */
    WEB_BODY_JSON = 1, /* application/json, capped at max_json, checked against `fields` */
    WEB_BODY_FILE = 2, /* any other type is streamed to a temporary file (uploads) */
    WEB_BODY_JSON_OR_FILE = 3
} web_body;

typedef struct web_request web_request;
typedef struct web_reply web_reply;

/*
 * A handler fills `rep` and returns MG_OK, or returns a negative MG_E* after
 * mg_error_set(); the server turns the code into the status and the message
 * into DESIGN §4's error body.
 */
typedef int (*web_handler)(web_reply *rep, web_request *req);

/* A query parameter a route documents (every one is an optional string or integer). */
typedef struct web_query {
    const char *name;
    web_type type;
    int required;
    const char *help;
} web_query;

/* One row of the routing table (routes.c): dispatch, auth and the OpenAPI document. */
typedef struct web_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/api/v1/models/{name}/versions/{v}" */
    web_handler handler;
    mg_web_role min_role; /* MG_ROLE_NONE: no token needed */
    const char *summary;
    web_body body;
    const web_field *fields; /* JSON body shape (WEB_BODY_JSON*) */
    const web_query *query;  /* documented query parameters, or NULL */
    const char *tag;         /* OpenAPI tag */
    unsigned ok_status;      /* the success status (200, 201, 202, 204) */
    const char *produces;    /* NULL: application/json */
    int cache;               /* 1: a GET whose reply depends only on the store (reply_cache.h) */
    int unprocessable; /* 1: a GET that checks its parameters' values too (422, not only 400) */
} web_route;

/* The table and its length. */
const web_route *web_routes(size_t *n);

#define WEB_MAX_PARAMS 4

/* The authenticated caller: the actor governance records, and its role for routing. */
typedef struct web_principal {
    mg_actor actor;
    const char *name; /* actor.name */
    mg_web_role role;
} web_principal;

struct web_request {
    struct mg_server *srv;
    void *conn; /* struct MHD_Connection * */
    const web_route *route;
    const char *method;
    const char *path;
    char param_names[WEB_MAX_PARAMS][32];
    char *params[WEB_MAX_PARAMS];
    size_t nparams;
    json_t *body; /* validated JSON body, or NULL */
    /* A streamed upload: a temporary file the handler may rename away. */
    char *upload_path;
    char upload_sha256[65];
    uint64_t upload_size;
    const char *content_type;
    web_principal who;
    int have_stamp;
    uint64_t stamp; /* the log's size when the request began (caches' version stamp) */
};

/* Hooks of a streamed response (Server-Sent Events). */
typedef struct web_stream {
    /* Fill up to `max` bytes; 0 = nothing yet (the connection is parked), -1 = end. */
    long (*read)(void *ud, char *buf, size_t max);
    void (*free)(void *ud);
    void *ud;
} web_stream;

struct web_reply {
    unsigned status; /* 0: the route's ok_status */
    json_t *json;    /* owned; sent as application/json */
    char *text;      /* owned, malloc'd; sent as content_type */
    size_t text_len;
    const char *content_type;
    char location[512]; /* Location header when non-empty */
    web_stream stream;  /* when stream.read is set: a streamed body */
};

/* Parameter `name` of the matched pattern (borrowed), or NULL. */
const char *web_param(const web_request *req, const char *name);

/* Query parameter `name` (borrowed), or NULL. */
const char *web_query_get(const web_request *req, const char *name);

/*
 * Integer query parameter: *out gets its value, or `def` when absent.
 * Errors: MG_EPARSE naming the parameter (not a non-negative integer).
 */
int web_query_u64(const web_request *req, const char *name, uint64_t def, uint64_t *out);

/* Reply with `j` (stolen; NULL means ENOMEM). Returns MG_OK or MG_ENOMEM. */
int web_reply_json(web_reply *rep, unsigned status, json_t *j);

/*
 * Check `body` against `fields`: every required field present, each of its
 * type, no field not in the table. Errors: MG_EPARSE "field 'x': expected
 * integer", "unknown field 'y'" (dotted paths for nested fields).
 */
int web_json_check(const json_t *body, const web_field *fields);

/*
 * A name in a path or a body (model, data set): 1..128 bytes of
 * [A-Za-z0-9._-], not starting with '.', so never "..", "/" or a control
 * byte. Errors: MG_EPARSE naming `what`.
 */
int web_name_check(const char *name, const char *what);

/* Member `k` of object `o` as a string / integer / number, or `def` when absent. */
const char *web_json_str(const json_t *o, const char *k, const char *def);
long long web_json_int(const json_t *o, const char *k, long long def);
double web_json_num(const json_t *o, const char *k, double def);

/* A new formatted string (free() it), or NULL on ENOMEM. */
char *web_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The HTTP status and the error body's code for an MG_E* code. */
unsigned web_status_of(int code);
const char *web_error_code_of(unsigned status);

#endif
