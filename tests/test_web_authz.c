/* test_web_authz.c - the authorisation matrix: every route x no token, bad token, each role. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "mg_governance.h"
#include "mg_web.h"
#include "http_client.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static mg_server *srv;
static char secrets[5][MG_TOKEN_SECRET_MAX]; /* 1..4: viewer..admin */
static char store_dir[512];

static void setup(void)
{
    static const char *const names[] = {"", "vic", "sue", "rex", "ann"};
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    static int runs;
    char name[32], *dir;
    mg_store *st;
    mg_actor local;
    mg_gov_result res;

    snprintf(name, sizeof name, "store%d", runs++);
    dir = tu_path(name);
    snprintf(store_dir, sizeof store_dir, "%s", dir);
    ck_assert_msg(mg_store_init(&st, dir) == MG_OK, "%s", mg_error_last());
    mg_actor_local(&local);
    for (int r = 1; r <= 4; r++)
        ck_assert_int_eq(mg_gov_token_create(&res, secrets[r], st, &local, names[r], (mg_role)r),
                         MG_OK);
    mg_store_close(st);
    o.store_dir = dir;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "%s", mg_error_last());
    free(dir);
}

static void teardown(void)
{
    mg_server_shutdown(srv);
}

/*
 * Send one request and read only its status line (streams such as
 * /events never end, so the body is not waited for).
 */
static unsigned status_of(const char *method, const char *path, const char *authz,
                          const char *ctype, const char *body)
{
    struct sockaddr_in a;
    struct timeval tv = {5, 0};
    char req[2048], buf[64];
    size_t got = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), n;

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)mg_server_port(srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    n = snprintf(req, sizeof req,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s"
                 "%s%s%sContent-Length: %zu\r\n\r\n%s",
                 method, path, authz ? "Authorization: " : "", authz ? authz : "",
                 authz ? "\r\n" : "", ctype ? "Content-Type: " : "", ctype ? ctype : "",
                 ctype ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    while (got < 12) {
        ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    ck_assert_msg(got >= 12, "%s %s: no status line", method, path);
    return (unsigned)atoi(buf + 9);
}

/* The route's pattern with every {param} replaced by "1". */
static void concrete(char *out, size_t size, const char *pattern)
{
    size_t k = 0;
    for (const char *p = pattern; *p && k + 2 < size; p++) {
        if (*p == '{') {
            out[k++] = '1';
            p = strchr(p, '}');
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

/*
 * The least role of every route, written out here by hand from DESIGN §4 and
 * docs/api.md, not read from the routing table under test: a route that
 * changes its role, or a new route, fails until this table agrees. Only
 * /health and the reviewer page's static files (a browser fetches those
 * without a bearer token) are open.
 */
static const struct {
    const char *method, *pattern;
    mg_web_role role;
} expected[] = {
    {"GET", "/health", MG_WEB_ROLE_NONE},
    {"GET", "/metrics", MG_WEB_ROLE_VIEWER},
    {"GET", "/openapi.json", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/datasets", MG_WEB_ROLE_VIEWER},
    {"POST", "/api/v1/datasets", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/datasets/{id}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/models", MG_WEB_ROLE_VIEWER},
    {"POST", "/api/v1/models", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/models/{name}", MG_WEB_ROLE_VIEWER},
    {"PATCH", "/api/v1/models/{name}", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/models/{name}/versions", MG_WEB_ROLE_VIEWER},
    {"POST", "/api/v1/models/{name}/versions", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/models/{name}/versions/{v}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/models/{name}/versions/{v}/card", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/models/{name}/versions/{v}/reports", MG_WEB_ROLE_VIEWER},
    {"POST", "/api/v1/models/{name}/versions/{v}/reports", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/models/{name}/versions/{v}/transitions", MG_WEB_ROLE_VIEWER},
    /* approve, reject, promote and archive need reviewer: the handler checks */
    {"POST", "/api/v1/models/{name}/versions/{v}/transitions", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/models/{name}/versions/{v}/gates", MG_WEB_ROLE_VIEWER},
    {"POST", "/api/v1/models/{name}/versions/{v}/predict", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/reports/{id}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/lineage/{kind}/{id}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/jobs/{id}", MG_WEB_ROLE_VIEWER},
    {"DELETE", "/api/v1/jobs/{id}", MG_WEB_ROLE_SUBMITTER},
    {"GET", "/api/v1/runs/{id}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/events", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/webhooks", MG_WEB_ROLE_ADMIN},
    {"POST", "/api/v1/webhooks", MG_WEB_ROLE_ADMIN},
    {"DELETE", "/api/v1/webhooks/{id}", MG_WEB_ROLE_ADMIN},
    {"GET", "/api/v1/log/keys", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/log/entries/{index}", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/log/tree-head", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/log/proof/inclusion", MG_WEB_ROLE_VIEWER},
    {"GET", "/api/v1/log/proof/consistency", MG_WEB_ROLE_VIEWER},
    {"GET", "/", MG_WEB_ROLE_NONE},
    {"GET", "/ui/{file}", MG_WEB_ROLE_NONE},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

/* The table above names every route the server has, and no other. */
START_TEST(test_web_authz_table_is_complete)
{
    ck_assert_uint_eq(mg_web_route_count(), N_EXPECTED);
    for (size_t i = 0; i < mg_web_route_count(); i++) {
        size_t k;
        for (k = 0; k < N_EXPECTED; k++)
            if (strcmp(expected[k].method, mg_web_route_method(i)) == 0 &&
                strcmp(expected[k].pattern, mg_web_route_pattern(i)) == 0)
                break;
        ck_assert_msg(k < N_EXPECTED, "route %s %s is not in the expected table",
                      mg_web_route_method(i), mg_web_route_pattern(i));
    }
}
END_TEST

/* Over HTTP: no token, a bad token, Basic, then each role against the expected least role. */
START_TEST(test_web_authz_matrix)
{
    size_t checked = 0;

    for (size_t i = 0; i < N_EXPECTED; i++) {
        const char *method = expected[i].method;
        mg_web_role need = expected[i].role;
        int has_body = strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0;
        const char *ctype = has_body ? "application/json" : NULL, *body = has_body ? "{}" : NULL;
        char path[256], bearer[128];
        unsigned st;

        concrete(path, sizeof path, expected[i].pattern);
        /* no token, and a token nobody issued */
        st = status_of(method, path, NULL, ctype, body);
        ck_assert_msg(need == MG_WEB_ROLE_NONE ? st != 401 && st != 403 : st == 401,
                      "%s %s, no token: %u", method, path, st);
        st = status_of(method, path, "Bearer mgt_notatokenatallnotatokenatallnotatokenat", ctype,
                       body);
        ck_assert_msg(need == MG_WEB_ROLE_NONE ? st != 401 : st == 401, "%s %s, bad token: %u",
                      method, path, st);
        st = status_of(method, path, "Basic dmljOnNlY3JldA==", ctype, body);
        ck_assert_msg(need == MG_WEB_ROLE_NONE ? st != 401 : st == 401, "%s %s, basic: %u",
                      method, path, st);
        for (int r = 1; r <= 4; r++) {
            snprintf(bearer, sizeof bearer, "Bearer %s", secrets[r]);
            st = status_of(method, path, bearer, ctype, body);
            if ((int)need > r)
                ck_assert_msg(st == 403, "%s %s as %s: %u, want 403", method, path,
                              mg_web_role_name((mg_web_role)r), st);
            else
                ck_assert_msg(st != 401 && st != 403 && st < 500, "%s %s as %s: %u", method,
                              path, mg_web_role_name((mg_web_role)r), st);
            checked++;
        }
    }
    ck_assert_uint_eq(checked, 4 * N_EXPECTED);
}
END_TEST

/* The document tells the same story: x-minimum-role, or "security": [] for the open routes. */
START_TEST(test_web_authz_openapi_roles)
{
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    char url[256], bearer[160];
    const char *headers[2] = {bearer, NULL};
    json_t *doc, *paths;

    snprintf(url, sizeof url, "%s/openapi.json", mg_server_url(srv));
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", secrets[1]);
    o.headers = headers;
    ck_assert_int_eq(web_http_request(&r, "GET", url, &o), MG_OK);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_ptr_nonnull(doc = json_loads(r.body.ptr, 0, NULL));
    paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < N_EXPECTED; i++) {
        char m[8];
        size_t k;
        json_t *op, *sec;
        for (k = 0; expected[i].method[k]; k++)
            m[k] = (char)(expected[i].method[k] | 0x20);
        m[k] = '\0';
        op = json_object_get(json_object_get(paths, expected[i].pattern), m);
        ck_assert_msg(op != NULL, "%s %s not in the document", expected[i].method,
                      expected[i].pattern);
        sec = json_object_get(op, "security");
        if (expected[i].role == MG_WEB_ROLE_NONE) {
            ck_assert_msg(json_is_array(sec) && json_array_size(sec) == 0,
                          "%s %s should be open", expected[i].method, expected[i].pattern);
            ck_assert_ptr_null(json_object_get(op, "x-minimum-role"));
        } else {
            ck_assert_ptr_null(sec); /* the document's bearer default */
            ck_assert_str_eq(json_string_value(json_object_get(op, "x-minimum-role")),
                             mg_web_role_name(expected[i].role));
        }
    }
    json_decref(doc);
    web_http_response_free(&r);
}
END_TEST

/*
 * A token revoked by another process stops working at once, even when the
 * server has cached its check and the store had been quiet (so the WAL file,
 * not a query, vouched for the cache).
 */
START_TEST(test_web_authz_revoked_token)
{
    mg_store *st;
    mg_actor local;
    mg_gov_result res;
    char bearer[128];

    snprintf(bearer, sizeof bearer, "Bearer %s", secrets[1]);
    usleep(100000);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(status_of("GET", "/metrics", bearer, NULL, NULL), 200);
    ck_assert_int_eq(mg_store_open(&st, store_dir), MG_OK);
    mg_actor_local(&local);
    ck_assert_int_eq(mg_gov_token_revoke(&res, st, &local, "vic"), MG_OK);
    mg_store_close(st);
    ck_assert_uint_eq(status_of("GET", "/metrics", bearer, NULL, NULL), 401);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_authz");
    TCase *tc = tcase_create("matrix");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_web_authz_table_is_complete);
    tcase_add_test(tc, test_web_authz_matrix);
    tcase_add_test(tc, test_web_authz_openapi_roles);
    tcase_add_test(tc, test_web_authz_revoked_token);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
