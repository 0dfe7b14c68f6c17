/* webhooks.c - webhook registry and deliveries signed with HMAC-SHA256, retried with back-off. */
#define _POSIX_C_SOURCE 200809L
#include "events_internal.h"
#include "http_client.h"

#include "mg_error.h"
#include "mg_log.h"
#include "mg_sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rfc3339(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *hook_json(const web_hook *h)
{
    json_t *types = json_array();
    const char *p = h->types;

    while (*p) {
        size_t len = strcspn(p, ",");
        json_array_append_new(types, json_stringn(p, len));
        p += len;
        if (*p == ',')
            p++;
    }
    return json_pack("{s:I, s:s, s:o, s:s, s:s, s:{s:I, s:I, s:s}}", "id", (json_int_t)h->id,
                     "url", h->url, "events", types, "created", h->created, "actor", h->actor,
                     "deliveries", "succeeded", (json_int_t)h->delivered, "failed",
                     (json_int_t)h->failed, "last_error", h->last_error);
}

static int check_types(mg_buf *list, const json_t *types)
{
    size_t i;
    json_t *t;

    if (!types || json_array_size(types) == 0)
        return mg_buf_puts(list, "*");
    json_array_foreach(types, i, t)
    {
        const char *s = json_string_value(t);
        if (!web_event_type_known(s))
            return mg_error_set(MG_EINVAL, "field 'events[%zu]': unknown event type '%s'", i, s);
        if ((list->len && mg_buf_putc(list, ',') < 0) || mg_buf_puts(list, s) < 0)
            return MG_ENOMEM;
    }
    return MG_OK;
}

/* Every webhook with its secret, oldest first, for the hooks file. Lock held. */
static json_t *hooks_doc(web_events *ev)
{
    json_t *a = json_array();
    for (web_hook *h = ev->hooks; a && h; h = h->next) {
        json_t *j = hook_json(h);
        json_object_del(j, "deliveries");
        json_object_set_new(j, "secret", json_string(h->secret));
        json_array_insert_new(a, 0, j);
    }
    return a;
}

/* Rewrite the hooks file (atomically, mode 0600). Lock held. */
static int save(web_events *ev)
{
    json_t *doc;
    char *text;
    int rc;

    if (!ev->opt.hooks_file)
        return MG_OK;
    doc = hooks_doc(ev);
    text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text)
        return mg_error_set(MG_ENOMEM, "out of memory");
    rc = mg_file_write_atomic(ev->opt.hooks_file, text, strlen(text), 0600);
    free(text);
    return rc;
}

int web_webhooks_load(web_events *ev)
{
    json_error_t jerr;
    json_t *doc, *j;
    size_t i;
    FILE *f;

    if (!ev->opt.hooks_file || !(f = fopen(ev->opt.hooks_file, "r")))
        return MG_OK;
    doc = json_loadf(f, 0, &jerr);
    fclose(f);
    if (!json_is_array(doc)) {
        json_decref(doc);
        return mg_error_set(MG_EPARSE, "%s:%d:%d: not a list of webhooks", ev->opt.hooks_file,
                            jerr.line, jerr.column);
    }
    json_array_foreach(doc, i, j)
    {
        web_hook *h = calloc(1, sizeof *h);
        mg_buf types = MG_BUF_INIT;
        const char *url = json_string_value(json_object_get(j, "url"));
        const char *secret = json_string_value(json_object_get(j, "secret"));
        if (!h || !url || !secret || check_types(&types, json_object_get(j, "events")) < 0 ||
            !(h->url = strdup(url)) || !(h->secret = strdup(secret)) ||
            !(h->types = mg_buf_detach(&types))) {
            if (h) {
                free(h->url);
                free(h->secret);
                free(h);
            }
            mg_buf_free(&types);
            json_decref(doc);
            return mg_error_set(MG_EPARSE, "%s: webhook %zu is damaged", ev->opt.hooks_file, i);
        }
        h->id = (int64_t)json_integer_value(json_object_get(j, "id"));
        snprintf(h->created, sizeof h->created, "%s", web_json_str(j, "created", ""));
        snprintf(h->actor, sizeof h->actor, "%s", web_json_str(j, "actor", ""));
        if (h->id >= ev->next_hook)
            ev->next_hook = h->id + 1;
        h->next = ev->hooks;
        ev->hooks = h;
    }
    json_decref(doc);
    return MG_OK;
}

int web_events_webhook_add(json_t **out, web_events *ev, const char *url, const json_t *types,
                           const char *secret, const char *actor)
{
    mg_buf list = MG_BUF_INIT;
    web_hook *h = NULL;
    unsigned char raw[32];
    char hex[MG_SHA256_HEX];
    int rc;

    *out = NULL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return mg_error_set(MG_EINVAL, "field 'url': expected an http:// or https:// URL");
    if (web_http_url_check(url) < 0) /* "URL: space at offset 20" */
        return mg_error_set(MG_EINVAL, "field 'url': %s", mg_error_last() + strlen("URL: "));
    if (!ev->opt.allow_any_host && !web_http_url_is_loopback(url))
        return mg_error_set(MG_EINVAL,
                            "field 'url': only loopback hosts (127.0.0.1, ::1, localhost) are "
                            "allowed by this server");
    if ((rc = check_types(&list, types)) < 0)
        goto done;
    if (!secret) {
        if (RAND_bytes(raw, sizeof raw) != 1) {
            rc = mg_error_set(MG_ERROR, "no randomness for the webhook secret");
            goto done;
        }
        mg_sha256_hex(hex, raw);
        secret = hex;
    }
    if (!(h = calloc(1, sizeof *h)) || !(h->url = strdup(url)) || !(h->secret = strdup(secret)) ||
        !(h->types = mg_buf_detach(&list))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    rfc3339(h->created);
    snprintf(h->actor, sizeof h->actor, "%s", actor);
    pthread_mutex_lock(&ev->lock);
    h->id = ev->next_hook++;
    h->next = ev->hooks;
    ev->hooks = h;
    if ((rc = save(ev)) < 0) {
        ev->hooks = h->next;
        pthread_mutex_unlock(&ev->lock);
        goto done;
    }
    *out = hook_json(h);
    pthread_mutex_unlock(&ev->lock);
    /* The secret is shown once, at creation. */
    if (*out)
        json_object_set_new(*out, "secret", json_string(h->secret));
    h = NULL;
    rc = *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
done:
    if (h) {
        free(h->url);
        free(h->secret);
        free(h->types);
        free(h);
    }
    mg_buf_free(&list);
    return rc;
}

json_t *web_events_webhook_list(web_events *ev)
{
    json_t *a = json_array();

    pthread_mutex_lock(&ev->lock);
    for (web_hook *h = ev->hooks; a && h; h = h->next)
        json_array_insert_new(a, 0, hook_json(h));
    pthread_mutex_unlock(&ev->lock);
    return a;
}

static void hook_free(web_hook *h)
{
    free(h->url);
    free(h->secret);
    free(h->types);
    free(h);
}

int web_events_webhook_remove(web_events *ev, int64_t id)
{
    web_hook *found = NULL;

    pthread_mutex_lock(&ev->lock);
    for (web_hook **pp = &ev->hooks; *pp; pp = &(*pp)->next)
        if ((*pp)->id == id) {
            found = *pp;
            *pp = found->next;
            break;
        }
    if (found && save(ev) < 0) {
        found->next = ev->hooks; /* keep memory and file in agreement */
        ev->hooks = found;
        pthread_mutex_unlock(&ev->lock);
        return mg_error_code();
    }
    pthread_mutex_unlock(&ev->lock);
    if (!found)
        return mg_error_set(MG_ENOTFOUND, "no webhook %lld", (long long)id);
    hook_free(found); /* its queued deliveries find no hook and are dropped */
    return MG_OK;
}

void web_webhooks_enqueue(web_events *ev, const web_event *e)
{
    for (web_hook *h = ev->hooks; h; h = h->next) {
        web_delivery *d;
        if (!web_event_filter_takes(h->types, e->type))
            continue;
        if (!(d = calloc(1, sizeof *d)) || !(d->body = strdup(e->json))) {
            free(d);
            mg_log_error("webhooks: out of memory; delivery to %s dropped", h->url);
            continue;
        }
        d->hook_id = h->id;
        d->event_id = e->id;
        snprintf(d->type, sizeof d->type, "%s", e->type);
        clock_gettime(CLOCK_REALTIME, &d->due);
        d->next = ev->queue;
        ev->queue = d;
    }
    pthread_cond_signal(&ev->work);
}

/* HMAC-SHA256(secret, timestamp "." body) in hex: what X-Modelgov-Signature carries. */
static void sign(char hex[MG_SHA256_HEX], const char *secret, const char *stamp, const char *body)
{
    mg_buf msg = MG_BUF_INIT;
    unsigned char mac[MG_SHA256_LEN];
    unsigned int len = sizeof mac;

    hex[0] = '\0';
    if (mg_buf_printf(&msg, "%s.%s", stamp, body) == 0 &&
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.ptr, msg.len,
             mac, &len))
        mg_sha256_hex(hex, mac);
    mg_buf_free(&msg);
}

/* POST one delivery. Returns MG_OK on a 2xx answer. No lock held. */
static int deliver(const web_delivery *d, const char *url, const char *secret, unsigned timeout_ms)
{
    char stamp[32], sig[MG_SHA256_HEX], h_sig[100], h_event[80], h_id[80], h_stamp[64];
    const char *headers[6];
    web_http_response r = WEB_HTTP_RESPONSE_INIT;
    web_http_options o = {0};
    int rc;

    snprintf(stamp, sizeof stamp, "%lld", (long long)time(NULL));
    sign(sig, secret, stamp, d->body);
    snprintf(h_sig, sizeof h_sig, "X-Modelgov-Signature: sha256=%s", sig);
    snprintf(h_event, sizeof h_event, "X-Modelgov-Event: %s", d->type);
    snprintf(h_id, sizeof h_id, "X-Modelgov-Delivery: %lld-%llu", (long long)d->hook_id,
             (unsigned long long)d->event_id);
    snprintf(h_stamp, sizeof h_stamp, "X-Modelgov-Timestamp: %s", stamp);
    headers[0] = "Content-Type: application/json";
    headers[1] = h_sig;
    headers[2] = h_event;
    headers[3] = h_id;
    headers[4] = h_stamp;
    headers[5] = NULL;
    o.headers = headers;
    o.body = d->body;
    o.body_len = strlen(d->body);
    o.timeout_ms = timeout_ms;
    o.max_body = 65536;
    if ((rc = web_http_request(&r, "POST", url, &o)) == MG_OK && (r.status < 200 || r.status > 299))
        rc = mg_error_set(MG_EIO, "%s answered %u", url, r.status);
    web_http_response_free(&r);
    return rc;
}

static web_hook *hook_find(web_events *ev, int64_t id)
{
    for (web_hook *h = ev->hooks; h; h = h->next)
        if (h->id == id)
            return h;
    return NULL;
}

/* The delivery due first, taken off the queue, or NULL (then *wait says until when). */
static web_delivery *take_due(web_events *ev, struct timespec *wait)
{
    struct timespec now;
    web_delivery **best = NULL, *d;

    clock_gettime(CLOCK_REALTIME, &now);
    for (web_delivery **pp = &ev->queue; *pp; pp = &(*pp)->next)
        if (!best || (*pp)->due.tv_sec < (*best)->due.tv_sec ||
            ((*pp)->due.tv_sec == (*best)->due.tv_sec && (*pp)->due.tv_nsec < (*best)->due.tv_nsec))
            best = pp;
    if (!best)
        return NULL;
    d = *best;
    if (d->due.tv_sec > now.tv_sec || (d->due.tv_sec == now.tv_sec && d->due.tv_nsec > now.tv_nsec)) {
        *wait = d->due;
        return NULL;
    }
    *best = d->next;
    return d;
}

static void delivery_done(web_events *ev, web_delivery *d, int rc)
{
    web_hook *h = hook_find(ev, d->hook_id);

    if (rc == MG_OK) {
        ev->delivered++;
        if (h)
            h->delivered++;
    } else if (h && ++d->attempt < ev->opt.max_attempts) {
        /* back-off: base, 2 base, 4 base, ... */
        unsigned long ms = (unsigned long)ev->opt.retry_base_ms << (d->attempt - 1);
        clock_gettime(CLOCK_REALTIME, &d->due);
        d->due.tv_sec += (time_t)(ms / 1000);
        d->due.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (d->due.tv_nsec >= 1000000000L) {
            d->due.tv_sec++;
            d->due.tv_nsec -= 1000000000L;
        }
        d->next = ev->queue;
        ev->queue = d;
        return;
    } else {
        ev->failed++;
        if (h)
            h->failed++;
        mg_log_warn("webhook %lld: event %llu given up after %u attempts",
                    (long long)d->hook_id, (unsigned long long)d->event_id, d->attempt);
    }
    free(d->body);
    free(d);
}

void *web_webhooks_run(void *arg)
{
    web_events *ev = arg;

    pthread_mutex_lock(&ev->lock);
    while (!ev->stopping) {
        struct timespec wait = {0, 0};
        web_delivery *d = take_due(ev, &wait);
        web_hook *h;
        char *url = NULL, *secret = NULL;
        int rc;

        if (!d) {
            if (wait.tv_sec)
                pthread_cond_timedwait(&ev->work, &ev->lock, &wait);
            else
                pthread_cond_wait(&ev->work, &ev->lock);
            continue;
        }
        if (!(h = hook_find(ev, d->hook_id))) {
            free(d->body);
            free(d);
            continue;
        }
        url = strdup(h->url);
        secret = strdup(h->secret);
        pthread_mutex_unlock(&ev->lock);
        rc = url && secret ? deliver(d, url, secret, ev->opt.timeout_ms)
                           : mg_error_set(MG_ENOMEM, "out of memory");
        pthread_mutex_lock(&ev->lock);
        if (rc < 0 && (h = hook_find(ev, d->hook_id)))
            snprintf(h->last_error, sizeof h->last_error, "%s", mg_error_last());
        delivery_done(ev, d, rc);
        free(url);
        free(secret);
    }
    pthread_mutex_unlock(&ev->lock);
    return NULL;
}

void web_webhooks_free_all(web_events *ev)
{
    while (ev->hooks) {
        web_hook *h = ev->hooks;
        ev->hooks = h->next;
        hook_free(h);
    }
    while (ev->queue) {
        web_delivery *d = ev->queue;
        ev->queue = d->next;
        free(d->body);
        free(d);
    }
}
