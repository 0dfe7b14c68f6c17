/* test_web.c - the HTTP server core: routing, errors, limits, OpenAPI, TLS, shutdown. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "mg_governance.h"
#include "mg_web.h"
#include "http_client.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static mg_server *srv;
static char base[128];
/* Bearer headers of a token per role, index 1..4 = viewer..admin. */
static char auth[5][128];

static void make_store(const char *dir)
{
    static const char *const names[] = {"", "vera", "sam", "rita", "ada"};
    char secret[MG_TOKEN_SECRET_MAX];
    mg_store *st;
    mg_actor local;
    mg_gov_result res;

    ck_assert_msg(mg_store_init(&st, dir) == MG_OK, "%s", mg_error_last());
    mg_actor_local(&local);
    for (int r = 1; r <= 4; r++) {
        ck_assert_int_eq(mg_gov_token_create(&res, secret, st, &local, names[r], (mg_role)r),
                         MG_OK);
        snprintf(auth[r], sizeof auth[r], "Authorization: Bearer %s", secret);
    }
    mg_store_close(st);
}

static void start_server(const char *cert, const char *key)
{
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    static int runs;
    char name[32], *store;

    snprintf(name, sizeof name, "store%d", runs++);
    store = tu_path(name);
    make_store(store);
    o.store_dir = store;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    o.max_json = 4096;
    o.tls_cert = cert;
    o.tls_key = key;
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "start: %s", mg_error_last());
    snprintf(base, sizeof base, "%s", mg_server_url(srv));
    free(store);
}

static void setup(void)
{
    start_server(NULL, NULL);
}

static void teardown(void)
{
    mg_server_shutdown(srv);
    srv = NULL;
}

/* One request; returns the status, the body parsed as JSON in *j (may be NULL). */
static unsigned call(json_t **j, const char *method, const char *path, const char *const *headers,
                     const char *body)
{
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    char url[512];
    unsigned status;

    snprintf(url, sizeof url, "%s%s", base, path);
    o.headers = headers;
    o.body = body;
    o.body_len = body ? strlen(body) : 0;
    ck_assert_msg(web_http_request(&r, method, url, &o) == MG_OK, "%s", mg_error_last());
    status = r.status;
    if (j)
        *j = r.body.ptr ? json_loads(r.body.ptr, 0, NULL) : NULL;
    web_http_response_free(&r);
    return status;
}

/* The error body has exactly {"error":{"code","message"}}; returns the message (borrowed). */
static const char *error_message(const json_t *j, const char *code)
{
    json_t *e = json_object_get(j, "error");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(json_object_size(j), 1);
    ck_assert_uint_eq(json_object_size(e), 2);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    return json_string_value(json_object_get(e, "message"));
}

START_TEST(test_web_health_no_auth)
{
    json_t *j;
    ck_assert_uint_eq(call(&j, "GET", "/health", NULL, NULL), 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
}
END_TEST

START_TEST(test_web_unknown_path_404)
{
    json_t *j;
    ck_assert_uint_eq(call(&j, "GET", "/api/v1/nothing", NULL, NULL), 404);
    ck_assert_ptr_nonnull(strstr(error_message(j, "not_found"), "/api/v1/nothing"));
    json_decref(j);
}
END_TEST

START_TEST(test_web_wrong_method_405_allow)
{
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    char url[256], allow[64];
    snprintf(url, sizeof url, "%s/health", base);
    ck_assert_int_eq(web_http_request(&r, "DELETE", url, NULL), MG_OK);
    ck_assert_uint_eq(r.status, 405);
    ck_assert(web_http_header(&r, "Allow", allow, sizeof allow));
    ck_assert_str_eq(allow, "GET");
    web_http_response_free(&r);
}
END_TEST

START_TEST(test_web_missing_and_malformed_token_401)
{
    const char *const basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    const char *const unknown[] = {"Authorization: Bearer mg_not_a_real_token", NULL};
    json_t *j;

    ck_assert_uint_eq(call(&j, "GET", "/metrics", NULL, NULL), 401);
    ck_assert_ptr_nonnull(strstr(error_message(j, "unauthorized"), "Bearer"));
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/metrics", basic, NULL), 401);
    ck_assert_ptr_nonnull(strstr(error_message(j, "unauthorized"), "expected 'Bearer"));
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/metrics", unknown, NULL), 401);
    json_decref(j);
}
END_TEST

/* Roles from the token: 403 names the route's role and the token's. */
START_TEST(test_web_roles_and_metrics)
{
    const char *const viewer[] = {auth[1], NULL}, *const admin[] = {auth[4], NULL};
    const char *const viewer_json[] = {auth[1], "Content-Type: application/json", NULL};
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    char url[256];
    json_t *j;

    ck_assert_uint_eq(call(&j, "POST", "/api/v1/webhooks", viewer_json,
                           "{\"url\":\"http://127.0.0.1:9/x\"}"),
                      403);
    ck_assert_str_eq(error_message(j, "forbidden"),
                     "POST /api/v1/webhooks needs the admin role; token 'vera' is viewer");
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/api/v1/webhooks", admin, NULL), 200);
    json_decref(j);
    snprintf(url, sizeof url, "%s/metrics", base);
    o.headers = viewer;
    ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_OK);
    ck_assert_uint_eq(r.status, 200);
    /* init (entry 0) and four tokens: 5 entries */
    ck_assert_ptr_nonnull(strstr(r.body.ptr, "modelgov_log_entries 5\n"));
    ck_assert_ptr_nonnull(strstr(r.body.ptr, "modelgov_http_requests_total{method=\"POST\","
                                             "route=\"/api/v1/webhooks\",status=\"403\"} 1"));
    ck_assert_ptr_nonnull(strstr(r.body.ptr, "modelgov_jobs{state=\"running\"} 0"));
    web_http_response_free(&r);
}
END_TEST

/* Entry 2 (token 'sam' created) is in the signed tree: its proof checks against the head. */
START_TEST(test_web_log_inclusion_proof)
{
    const char *const viewer[] = {auth[1], NULL};
    json_t *head, *entry, *proof, *p;
    unsigned char leaf[MG_SHA256_LEN], root[MG_SHA256_LEN];
    mg_merkle_proof mp;
    size_t i;

    ck_assert_uint_eq(call(&head, "GET", "/api/v1/log/tree-head", viewer, NULL), 200);
    ck_assert_int_eq(json_integer_value(json_object_get(head, "size")), 5);
    ck_assert_uint_eq(call(&entry, "GET", "/api/v1/log/entries/2", viewer, NULL), 200);
    ck_assert_str_eq(json_string_value(
                         json_object_get(json_object_get(entry, "entry"), "action")),
                     "token.create");
    ck_assert_uint_eq(call(&proof, "GET", "/api/v1/log/proof/inclusion?index=2&size=5", viewer,
                           NULL),
                      200);
    ck_assert_int_eq(mg_hash_from_hex(leaf, json_string_value(json_object_get(entry,
                                                                              "leaf_hash"))),
                     MG_OK);
    ck_assert_int_eq(mg_hash_from_hex(root, json_string_value(json_object_get(head, "root"))),
                     MG_OK);
    memset(&mp, 0, sizeof mp);
    json_array_foreach(json_object_get(proof, "proof"), i, p)
        ck_assert_int_eq(mg_hash_from_hex(mp.hash[mp.n++], json_string_value(p)), MG_OK);
    ck_assert_int_eq(mg_merkle_inclusion_verify(2, 5, leaf, &mp, root), MG_OK);
    json_decref(proof);
    ck_assert_uint_eq(call(&proof, "GET", "/api/v1/log/proof/inclusion?size=5", viewer, NULL),
                      400);
    ck_assert_str_eq(error_message(proof, "bad_request"), "missing query parameter 'index'");
    json_decref(proof);
    ck_assert_uint_eq(call(&proof, "GET", "/api/v1/log/proof/inclusion?index=x", viewer, NULL),
                      400);
    json_decref(proof);
    ck_assert_uint_eq(call(&proof, "GET", "/api/v1/log/entries/99", viewer, NULL), 404);
    json_decref(proof);
    ck_assert_uint_eq(call(&proof, "GET", "/api/v1/log/proof/consistency?first=3&second=5",
                           viewer, NULL),
                      200);
    ck_assert_uint_eq(json_array_size(json_object_get(proof, "proof")) > 0, 1);
    json_decref(proof);
    json_decref(entry);
    json_decref(head);
}
END_TEST

/* Every route is in the document, and every operation of the document is a route. */
START_TEST(test_web_openapi_matches_routes)
{
    json_t *doc, *paths, *item, *op;
    const char *path, *method;
    const char *const viewer[] = {auth[1], NULL};
    size_t ops = 0;

    /* the document needs a token, as every route but /health and the UI's files */
    ck_assert_uint_eq(call(&doc, "GET", "/openapi.json", NULL, NULL), 401);
    ck_assert_str_eq(error_message(doc, "unauthorized"),
                     "missing 'Authorization: Bearer <token>' header");
    json_decref(doc);
    ck_assert_uint_eq(call(&doc, "GET", "/openapi.json", viewer, NULL), 200);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < mg_web_route_count(); i++) {
        char m[16];
        size_t k;
        for (k = 0; mg_web_route_method(i)[k]; k++)
            m[k] = (char)(mg_web_route_method(i)[k] | 0x20);
        m[k] = '\0';
        ck_assert_msg(json_object_get(json_object_get(paths, mg_web_route_pattern(i)), m),
                      "route %s %s missing from openapi.json", mg_web_route_method(i),
                      mg_web_route_pattern(i));
    }
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, method, op)
        {
            size_t i;
            for (i = 0; i < mg_web_route_count(); i++)
                if (strcmp(mg_web_route_pattern(i), path) == 0 &&
                    strcasecmp(mg_web_route_method(i), method) == 0)
                    break;
            ck_assert_msg(i < mg_web_route_count(), "openapi has %s %s, no route does", method,
                          path);
            ck_assert_ptr_nonnull(json_object_get(op, "operationId"));
            ops++;
        }
    }
    ck_assert_uint_eq(ops, mg_web_route_count());
    json_decref(doc);
}
END_TEST

/*
 * A GET route that checks its parameters' values answers 422 and the document
 * says so; the other GET routes do not list 422. The four checked here are
 * all there are (a new one must be added here and flagged in routes.c).
 */
START_TEST(test_web_openapi_get_422_matches_behaviour)
{
    static const char *const cases[][3] = {
        {"/api/v1/datasets/{id}", "/api/v1/datasets/abc",
         "data set 'abc': expected an id or a sha256"},
        {"/api/v1/lineage/{kind}/{id}", "/api/v1/lineage/bogus/1",
         "lineage kind 'bogus': expected version, dataset, run or report"},
        /* init and four tokens: the log holds 5 entries */
        {"/api/v1/log/proof/inclusion", "/api/v1/log/proof/inclusion?index=9",
         "inclusion proof: index 9 is not below tree size 5"},
        {"/api/v1/log/proof/consistency", "/api/v1/log/proof/consistency?first=3&second=9",
         "consistency 3 -> 9: need first <= second <= 5 (the log's size)"},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    const char *const viewer[] = {auth[1], NULL};
    json_t *doc, *j, *item;
    const char *path;
    size_t listed = 0;

    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(call(&j, "GET", cases[i][1], viewer, NULL), 422);
        ck_assert_str_eq(error_message(j, "unprocessable"), cases[i][2]);
        json_decref(j);
    }
    ck_assert_uint_eq(call(&doc, "GET", "/openapi.json", viewer, NULL), 200);
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_t *get = json_object_get(item, "get"), *e422;
        size_t i;
        if (!get)
            continue;
        for (i = 0; i < n && strcmp(cases[i][0], path) != 0; i++)
            ;
        e422 = json_object_get(json_object_get(get, "responses"), "422");
        if (i == n) {
            ck_assert_msg(e422 == NULL, "GET %s lists 422 but no test shows one", path);
            continue;
        }
        ck_assert_msg(e422 != NULL, "GET %s answers 422 but does not list it", path);
        ck_assert_str_eq(json_string_value(json_object_get(e422, "$ref")),
                         "#/components/responses/E422");
        listed++;
    }
    ck_assert_uint_eq(listed, n);
    json_decref(doc);
}
END_TEST

/* The embedded UI; names with a leading dot or a slash never reach the file table. */
START_TEST(test_web_ui_assets_and_traversal)
{
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    char url[256], ctype[64];
    json_t *j;

    snprintf(url, sizeof url, "%s/", base);
    ck_assert_int_eq(web_http_request(&r, "GET", url, NULL), MG_OK);
    ck_assert_uint_eq(r.status, 200);
    ck_assert(web_http_header(&r, "Content-Type", ctype, sizeof ctype));
    ck_assert_str_eq(ctype, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.body.ptr, "/ui/app.js"));
    web_http_response_free(&r);
    snprintf(url, sizeof url, "%s/ui/app.js", base);
    ck_assert_int_eq(web_http_request(&r, "GET", url, NULL), MG_OK);
    ck_assert_uint_eq(r.status, 200);
    web_http_response_free(&r);
    ck_assert_uint_eq(call(&j, "GET", "/ui/..%2f..%2fetc%2fpasswd", NULL, NULL), 404);
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/ui/..", NULL, NULL), 400);
    ck_assert_ptr_nonnull(strstr(error_message(j, "bad_request"), "may not start with '.'"));
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/ui/%ff%fe", NULL, NULL), 400);
    ck_assert_ptr_nonnull(strstr(error_message(j, "bad_request"), "0xff"));
    json_decref(j);
    ck_assert_uint_eq(call(&j, "GET", "/ui/missing.js", NULL, NULL), 404);
    json_decref(j);
}
END_TEST

START_TEST(test_web_bad_listen_and_missing_store)
{
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    mg_server *s = NULL;

    o.store_dir = tu_tmpdir();
    o.listen = "127.0.0.1:99999";
    ck_assert_int_eq(mg_server_start(&s, &o), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "port must be 0..65535"));
    o.listen = "127.0.0.1:0"; /* a folder that is no store */
    ck_assert_int_eq(mg_server_start(&s, &o), MG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "modelgov init"));
    o.listen = "127.0.0.1:99999";
    ck_assert_int_eq(mg_server_start(&s, &o), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "port must be 0..65535"));
    o.listen = "127.0.0.1:0";
    o.store_dir = "/nonexistent/store";
    ck_assert_int_eq(mg_server_start(&s, &o), MG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "/nonexistent/store"));
    o.store_dir = tu_tmpdir();
    o.tls_cert = "cert.pem";
    ck_assert_int_eq(mg_server_start(&s, &o), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "--tls-key"));
    ck_assert_ptr_null(s);
}
END_TEST

static int exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

/*
 * A crash leaves streamed uploads (tmp/upload.XXXXXX), trained models
 * waiting to be registered (tmp/train-<job>.mgm) and their half-written
 * copies (tmp/train-<job>.mgm.tmp.<pid>) behind; the next start removes
 * them and nothing else.
 */
START_TEST(test_web_start_removes_stale_temporaries)
{
    static const char *const stale[] = {"upload.a1B2c3", "upload.XXXXXX", "train-7.mgm",
                                        "train-123.mgm.tmp.4242"};
    /* mkstemp's names are "upload." and 6 letters or digits; pids and job ids are digits */
    static const char *const kept[] = {
        "notes.txt",         "upload",         "upload.",         "upload.abcde",
        "upload.toolongname", "upload.abc-ef", "xupload.abcdef",  "train-7.csv",
        "train.mgm",         "train-.mgm",     "train-7x.mgm",    "my-train-1.mgm",
        "train-7.mgm.tmp.",  "train-7.mgm.tmp.12a", "train-7.mgm.bak", "sub/upload.abcdef"};
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    char *store = tu_path("stale"), tmp[600], path[700];

    make_store(store);
    snprintf(tmp, sizeof tmp, "%s/tmp", store);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    snprintf(path, sizeof path, "%s/sub", tmp);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/upload.dir", tmp); /* a folder, not a file: kept */
    ck_assert_int_eq(mkdir(path, 0700), 0);
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, stale[i]);
        tu_write(path, "left by a crash");
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, kept[i]);
        tu_write(path, "keep me");
    }
    snprintf(path, sizeof path, "%s/upload.outside", store); /* only tmp/ is swept */
    tu_write(path, "keep me");
    o.store_dir = store;
    o.listen = "127.0.0.1:0";
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "start: %s", mg_error_last());
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++)
        ck_assert_msg(!exists(tmp, stale[i]), "tmp/%s is still there", stale[i]);
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        ck_assert_msg(exists(tmp, kept[i]), "tmp/%s was removed", kept[i]);
    ck_assert(exists(tmp, "upload.dir"));
    ck_assert(exists(store, "upload.outside"));
    mg_server_shutdown(srv);
    srv = NULL;
    free(store);
}
END_TEST

/*
 * A tmp/ that is a symbolic link is not swept: it leads to a folder that is
 * not the store's, whose upload.* and train-*.mgm files belong to someone
 * else. The server still starts.
 */
START_TEST(test_web_start_skips_a_symlinked_tmp)
{
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    char *store = tu_path("linked"), *other = tu_path("elsewhere"), tmp[600], path[700];

    make_store(store);
    ck_assert_int_eq(mkdir(other, 0700), 0);
    snprintf(path, sizeof path, "%s/upload.abcdef", other);
    tu_write(path, "someone else's");
    snprintf(path, sizeof path, "%s/train-1.mgm", other);
    tu_write(path, "someone else's");
    snprintf(tmp, sizeof tmp, "%s/tmp", store);
    ck_assert_int_eq(symlink(other, tmp), 0);
    o.store_dir = store;
    o.listen = "127.0.0.1:0";
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "start: %s", mg_error_last());
    ck_assert_msg(exists(other, "upload.abcdef"), "a file behind the tmp/ link was removed");
    ck_assert_msg(exists(other, "train-1.mgm"), "a file behind the tmp/ link was removed");
    mg_server_shutdown(srv);
    srv = NULL;
    free(store);
    free(other);
}
END_TEST

/*
 * A second server on a store already served refuses to start before it
 * touches anything: the first one's upload in flight and its running job
 * stay as they are. Once the first stops, the store can be served again,
 * and that start clears what the first left behind.
 */
START_TEST(test_web_second_server_on_a_store_refused)
{
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    mg_server *second = NULL;
    char *store = tu_path("served"), tmp[600], job[700], path[700], want[1600];
    json_t *j;

    make_store(store);
    o.store_dir = store;
    o.listen = "127.0.0.1:0";
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "start: %s", mg_error_last());
    /* what the first server has on disk in the middle of its work */
    snprintf(tmp, sizeof tmp, "%s/tmp", store);
    snprintf(path, sizeof path, "%s/upload.a1B2c3", tmp);
    tu_write(path, "an upload arriving");
    snprintf(job, sizeof job, "%s/jobs/9.json", store);
    tu_write(job, "{\"id\":9,\"kind\":\"train\",\"state\":\"running\"}");

    ck_assert_int_eq(mg_server_start(&second, &o), MG_ECONFLICT);
    snprintf(want, sizeof want, "store %s is served by another process (%s/serve.lock is locked)",
             store, store);
    ck_assert_str_eq(mg_error_last(), want);
    ck_assert_ptr_null(second);
    ck_assert_msg(exists(tmp, "upload.a1B2c3"), "the first server's upload was removed");
    ck_assert_ptr_nonnull(j = json_load_file(job, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "running");
    json_decref(j);

    mg_server_shutdown(srv); /* the lock goes with the server */
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "restart: %s", mg_error_last());
    ck_assert(!exists(tmp, "upload.a1B2c3"));
    ck_assert_ptr_nonnull(j = json_load_file(job, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "failed");
    json_decref(j);
    mg_server_shutdown(srv);
    srv = NULL;
    free(store);
}
END_TEST

/*
 * The client itself refuses a URL or a header line that could split the
 * request (defence in depth under the webhook check): nothing connects to
 * the listener for those, while a clean request does.
 */
START_TEST(test_web_client_refuses_unsafe_bytes)
{
    static const char *const bad[][2] = {
        {"/a\r\nX-Evil: 1", "control byte 0x0d at offset 24"},
        {"/a\nHost: evil", "control byte 0x0a at offset 24"},
        {"/a\x01", "control byte 0x01 at offset 24"},
        {"/a b", "space at offset 24"},
        {"/\xc3\xa9", "non-ASCII byte 0xc3 at offset 23"},
    };
    const char *const evil_header[] = {"X-Ok: 1\r\nX-Evil: 1", NULL};
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    char url[256], want[128];
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), cfd;
    unsigned port;

    ck_assert_int_ge(lfd, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    port = ntohs(a.sin_port);
    o.timeout_ms = 300;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* "http://127.0.0.1:NNNNN" is 22 bytes: the path starts at offset 22 */
        snprintf(url, sizeof url, "http://127.0.0.1:%05u%s", port, bad[i][0]);
        ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_EINVAL);
        snprintf(want, sizeof want, "URL: %s", bad[i][1]);
        ck_assert_str_eq(mg_error_last(), want);
        web_http_response_free(&r);
    }
    snprintf(url, sizeof url, "http://u@127.0.0.1:%05u/", port);
    ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(),
                     "URL: user information ('...@') before the host is not allowed");
    snprintf(url, sizeof url, "http://127.0.0.1:%05u/ok", port);
    o.headers = evil_header;
    ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_EINVAL);
    ck_assert_str_eq(mg_error_last(), "header line 1: control byte 0x0d at offset 7");
    ck_assert_int_eq(accept(lfd, NULL, NULL), -1); /* nobody connected */
    o.headers = NULL;
    ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_EIO); /* connects, no answer */
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "timed out"));
    ck_assert_int_ge(cfd = accept(lfd, NULL, NULL), 0);
    close(cfd);
    close(lfd);
}
END_TEST

/* HTTPS with a self-signed certificate made by the openssl command. */
START_TEST(test_web_tls)
{
    char *cert = tu_path("cert.pem"), *key = tu_path("key.pem"), cmd[1024];
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    char url[256];

    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null",
             key, cert);
    if (system(cmd) != 0) {
        fprintf(stderr, "SKIP %s: the openssl command could not make a certificate\n", __func__);
        free(cert);
        free(key);
        return;
    }
    start_server(cert, key);
    ck_assert(mg_server_is_tls(srv));
    ck_assert_ptr_nonnull(strstr(base, "https://"));
    snprintf(url, sizeof url, "%s/health", base);
    o.ca_file = cert;
    ck_assert_msg(web_http_request(&r, "GET", url, &o) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_eq(r.status, 200);
    web_http_response_free(&r);
    /* Without trusting the certificate the handshake fails. */
    ck_assert_int_eq(web_http_request(&r, "GET", url, NULL), MG_EIO);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "TLS"));
    web_http_response_free(&r);
    mg_server_shutdown(srv);
    srv = NULL;
    free(cert);
    free(key);
}
END_TEST

static Suite *web_suite(void)
{
    Suite *s = suite_create("web");
    TCase *tc = tcase_create("server");
    TCase *plain = tcase_create("start");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_web_health_no_auth);
    tcase_add_test(tc, test_web_unknown_path_404);
    tcase_add_test(tc, test_web_wrong_method_405_allow);
    tcase_add_test(tc, test_web_missing_and_malformed_token_401);
    tcase_add_test(tc, test_web_openapi_matches_routes);
    tcase_add_test(tc, test_web_openapi_get_422_matches_behaviour);
    tcase_add_test(tc, test_web_ui_assets_and_traversal);
    tcase_add_test(tc, test_web_roles_and_metrics);
    tcase_add_test(tc, test_web_log_inclusion_proof);
    suite_add_tcase(s, tc);
    tcase_add_test(plain, test_web_bad_listen_and_missing_store);
    tcase_add_test(plain, test_web_tls);
    tcase_add_test(plain, test_web_client_refuses_unsafe_bytes);
    tcase_add_test(plain, test_web_start_removes_stale_temporaries);
    tcase_add_test(plain, test_web_second_server_on_a_store_refused);
    tcase_add_test(plain, test_web_start_skips_a_symlinked_tmp);
    suite_add_tcase(s, plain);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(web_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
