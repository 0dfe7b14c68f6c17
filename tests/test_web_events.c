/* test_web_events.c - webhooks: filter, HMAC-SHA256 signature, retries with back-off. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "events.h"
#include "testutil.h"

#include <check.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A webhook receiver: records each POST; answers 500 to the first `fail_first` ones. */
typedef struct receiver {
    pthread_mutex_t lock;
    int fail_first;
    int calls;
    char body[8][2048];
    char sig[8][128];
    char stamp[8][32];
    char event[8][64];
    struct MHD_Daemon *d;
    unsigned port;
} receiver;

typedef struct upload {
    char buf[2048];
    size_t len;
} upload;

static enum MHD_Result on_hook(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    receiver *r = cls;
    upload *u = *con_cls;
    struct MHD_Response *resp;
    enum MHD_Result ok;
    int status;

    (void)url;
    (void)method;
    (void)version;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return MHD_YES;
    }
    if (*size) {
        size_t n = *size < sizeof u->buf - 1 - u->len ? *size : sizeof u->buf - 1 - u->len;
        memcpy(u->buf + u->len, data, n);
        u->len += n;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->lock);
    if (r->calls < 8) {
        const char *s = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Modelgov-Signature");
        const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Modelgov-Timestamp");
        const char *e = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Modelgov-Event");
        snprintf(r->body[r->calls], sizeof r->body[0], "%s", u->buf);
        snprintf(r->sig[r->calls], sizeof r->sig[0], "%s", s ? s : "");
        snprintf(r->stamp[r->calls], sizeof r->stamp[0], "%s", t ? t : "");
        snprintf(r->event[r->calls], sizeof r->event[0], "%s", e ? e : "");
    }
    status = r->calls < r->fail_first ? 500 : 200;
    r->calls++;
    pthread_mutex_unlock(&r->lock);
    resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void receiver_start(receiver *r, int fail_first)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->fail_first = fail_first;
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_hook, r,
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(r->d);
    r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static int receiver_calls(receiver *r, int want)
{
    int n = 0;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&r->lock);
        n = r->calls;
        pthread_mutex_unlock(&r->lock);
        if (n >= want)
            break;
        usleep(10000);
    }
    return n;
}

/* The signature a receiver computes on its own: HMAC-SHA256(secret, stamp "." body). */
static void expected_sig(char out[80], const char *secret, const char *stamp, const char *body)
{
    char msg[4096];
    unsigned char mac[32];
    unsigned int len = 32;
    int n = snprintf(msg, sizeof msg, "%s.%s", stamp, body);

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)n, mac, &len);
    strcpy(out, "sha256=");
    for (unsigned i = 0; i < len; i++)
        sprintf(out + 7 + 2 * i, "%02x", mac[i]);
}

START_TEST(test_web_events_webhook_filter_and_signature)
{
    receiver r;
    web_events *ev;
    web_events_options o = {0};
    json_t *hook, *types = json_pack("[s]", "report.ready"), *data;
    char url[128], want[80];
    unsigned long pub, ok, bad, subs;

    receiver_start(&r, 0);
    ck_assert_int_eq(web_events_create(&ev, &o), MG_OK);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", r.port);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, url, types, "s3cret", "admin"), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(hook, "secret")), "s3cret");
    json_decref(hook);
    data = json_pack("{s:s}", "model", "credit");
    web_events_publish(ev, "model.registered", data); /* filtered out */
    web_events_publish(ev, "report.ready", data);
    ck_assert_int_eq(receiver_calls(&r, 1), 1);
    usleep(100000);
    ck_assert_int_eq(r.calls, 1); /* and only that one */
    ck_assert_str_eq(r.event[0], "report.ready");
    ck_assert_ptr_nonnull(strstr(r.body[0], "\"type\":\"report.ready\""));
    ck_assert_ptr_nonnull(strstr(r.body[0], "\"model\":\"credit\""));
    expected_sig(want, "s3cret", r.stamp[0], r.body[0]);
    ck_assert_str_eq(r.sig[0], want);
    for (int i = 0; i < 100; i++) {
        web_events_stats(ev, &pub, &ok, &bad, &subs);
        if (ok == 1)
            break;
        usleep(10000);
    }
    ck_assert_uint_eq(pub, 2);
    ck_assert_uint_eq(ok, 1);
    json_decref(data);
    json_decref(types);
    web_events_free(ev);
    MHD_stop_daemon(r.d);
}
END_TEST

/* Two 500s, then 200: three attempts 20 ms and 40 ms apart, one success. */
START_TEST(test_web_events_webhook_retries)
{
    receiver r;
    web_events *ev;
    web_events_options o = {20, 5, 2000, 0, NULL};
    json_t *hook, *data = json_object(), *list;
    char url[128];

    receiver_start(&r, 2);
    ck_assert_int_eq(web_events_create(&ev, &o), MG_OK);
    snprintf(url, sizeof url, "http://localhost:%u/hook", r.port);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, url, NULL, NULL, "admin"), MG_OK);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(hook, "secret"))), 64);
    json_decref(hook);
    web_events_publish(ev, "version.transition", data);
    ck_assert_int_eq(receiver_calls(&r, 3), 3);
    ck_assert_str_eq(r.body[0], r.body[2]); /* the same delivery, retried */
    usleep(50000);
    list = web_events_webhook_list(ev);
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(json_array_get(list, 0), "deliveries"), "succeeded")),
        1);
    ck_assert_ptr_null(json_object_get(json_array_get(list, 0), "secret"));
    json_decref(list);
    json_decref(data);
    web_events_free(ev);
    MHD_stop_daemon(r.d);
}
END_TEST

START_TEST(test_web_events_webhook_rejects_bad_targets)
{
    web_events *ev;
    json_t *hook, *types = json_pack("[s]", "no.such.event");

    ck_assert_int_eq(web_events_create(&ev, NULL), MG_OK);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "http://192.0.2.1/hook", NULL, NULL, "a"),
                     MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "loopback"));
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "ftp://127.0.0.1/x", NULL, NULL, "a"),
                     MG_EINVAL);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "http://127.0.0.1:9/x", types, NULL, "a"),
                     MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "no.such.event"));
    ck_assert_int_eq(web_events_webhook_remove(ev, 5), MG_ENOTFOUND);
    json_decref(types);
    web_events_free(ev);
}
END_TEST

/* Webhooks survive a restart through their file; a removal is kept too. */
START_TEST(test_web_events_webhooks_persist)
{
    char *file = tu_path("webhooks.json");
    web_events_options o = {0, 0, 0, 0, file};
    web_events *ev;
    json_t *hook, *list, *types = json_pack("[s,s]", "report.ready", "version.transition");

    ck_assert_int_eq(web_events_create(&ev, &o), MG_OK);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "http://127.0.0.1:9/a", types, "k1", "ada"),
                     MG_OK);
    json_decref(hook);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "http://127.0.0.1:9/b", NULL, "k2", "ada"),
                     MG_OK);
    json_decref(hook);
    web_events_free(ev);
    ck_assert_int_eq(web_events_create(&ev, &o), MG_OK);
    list = web_events_webhook_list(ev);
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "url")),
                     "http://127.0.0.1:9/a");
    ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(list, 0), "events")), 2);
    json_decref(list);
    ck_assert_int_eq(web_events_webhook_remove(ev, 1), MG_OK);
    ck_assert_int_eq(web_events_webhook_add(&hook, ev, "http://127.0.0.1:9/c", NULL, NULL, "ada"),
                     MG_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(hook, "id")), 3); /* ids never reused */
    json_decref(hook);
    web_events_free(ev);
    ck_assert_int_eq(web_events_create(&ev, &o), MG_OK);
    list = web_events_webhook_list(ev);
    ck_assert_uint_eq(json_array_size(list), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(list, 0), "id")), 2);
    json_decref(list);
    web_events_free(ev);
    tu_write(file, "{\"not\": \"a list\"}");
    ck_assert_int_eq(web_events_create(&ev, &o), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "webhooks.json"));
    json_decref(types);
    free(file);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_events");
    TCase *tc = tcase_create("webhooks");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_web_events_webhook_filter_and_signature);
    tcase_add_test(tc, test_web_events_webhook_retries);
    tcase_add_test(tc, test_web_events_webhook_rejects_bad_targets);
    tcase_add_test(tc, test_web_events_webhooks_persist);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
