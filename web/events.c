/* events.c - the event bus: a ring of recent events streamed to SSE subscribers. */
#define _POSIX_C_SOURCE 200809L
#include "events.h"
#include "events_internal.h"

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_json.h"
#include "mg_log.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const web_event_types[] = {
    "*", /* every type */
    "dataset.registered", "model.registered",   "model.updated", "version.registered",
    "version.submitted",  "version.transition", "report.ready",  "job.queued",
    "job.finished",       NULL};

int web_event_type_known(const char *type)
{
    for (size_t i = 0; web_event_types[i]; i++)
        if (strcmp(web_event_types[i], type) == 0)
            return 1;
    return 0;
}

/* Does the comma-separated list `types` (NULL = all) contain `type`? */
int web_event_filter_takes(const char *types, const char *type)
{
    size_t n = strlen(type);
    const char *p = types;

    if (!types || !*types)
        return 1;
    while (*p) {
        size_t len = strcspn(p, ",");
        if ((len == n && strncmp(p, type, n) == 0) || (len == 1 && *p == '*'))
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static void rfc3339_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Resume every parked subscriber. Lock held. */
static void wake_subscribers(web_events *ev)
{
    for (web_sub *s = ev->subs; s; s = s->next) {
        if (s->parked) {
            s->parked = 0;
            MHD_resume_connection(s->conn);
        }
    }
}

void web_events_publish(web_events *ev, const char *type, const json_t *data)
{
    char when[32];
    json_t *e;
    char *text;
    web_event *slot;

    if (!ev)
        return;
    rfc3339_now(when);
    pthread_mutex_lock(&ev->lock);
    e = json_pack("{s:I, s:s, s:s, s:O}", "id", (json_int_t)ev->next_id, "type", type, "time",
                  when, "data", (json_t *)data);
    text = e ? mg_json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(e);
    if (!text) {
        pthread_mutex_unlock(&ev->lock);
        mg_log_error("events: out of memory; %s event dropped", type);
        return;
    }
    slot = &ev->ring[ev->next_id % WEB_EVENT_RING];
    free(slot->json);
    slot->id = ev->next_id++;
    snprintf(slot->type, sizeof slot->type, "%s", type);
    slot->json = text;
    ev->published++;
    wake_subscribers(ev);
    web_webhooks_enqueue(ev, slot);
    pthread_mutex_unlock(&ev->lock);
}

/* Append the events from s->cursor on that pass the filter to s->pending. Lock held. */
static void fill_pending(web_events *ev, web_sub *s)
{
    uint64_t oldest = ev->next_id > WEB_EVENT_RING ? ev->next_id - WEB_EVENT_RING : 1;

    if (s->cursor < oldest)
        s->cursor = oldest;
    for (; s->cursor < ev->next_id && s->pending.len < 65536; s->cursor++) {
        web_event *e = &ev->ring[s->cursor % WEB_EVENT_RING];
        if (!web_event_filter_takes(s->types, e->type))
            continue;
        if (mg_buf_printf(&s->pending, "id: %llu\nevent: %s\ndata: %s\n\n",
                          (unsigned long long)e->id, e->type, e->json) < 0)
            break;
    }
}

static long sub_read(void *ud, char *buf, size_t max)
{
    web_sub *s = ud;
    web_events *ev = s->ev;
    size_t n;
    time_t now = time(NULL);

    pthread_mutex_lock(&ev->lock);
    if (s->off == s->pending.len) {
        mg_buf_clear(&s->pending);
        s->off = 0;
        if (ev->closing) {
            pthread_mutex_unlock(&ev->lock);
            return -1;
        }
        if (!s->started) {
            mg_buf_puts(&s->pending, ": modelgov events\nretry: 3000\n\n");
            s->started = 1;
        }
        fill_pending(ev, s);
        if (s->pending.len == 0 && now - s->last >= WEB_EVENT_KEEPALIVE_S)
            mg_buf_puts(&s->pending, ": keep-alive\n\n");
        if (s->pending.len == 0) {
            s->parked = 1; /* request.c suspends the connection; a publish or the ticker resumes */
            pthread_mutex_unlock(&ev->lock);
            return 0;
        }
    }
    n = s->pending.len - s->off;
    if (n > max)
        n = max;
    memcpy(buf, s->pending.ptr + s->off, n);
    s->off += n;
    s->last = now;
    pthread_mutex_unlock(&ev->lock);
    return (long)n;
}

static void sub_free(void *ud)
{
    web_sub *s = ud;
    web_events *ev = s->ev;

    pthread_mutex_lock(&ev->lock);
    for (web_sub **pp = &ev->subs; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    ev->nsubs--;
    pthread_cond_broadcast(&ev->tick);
    pthread_mutex_unlock(&ev->lock);
    mg_buf_free(&s->pending);
    free(s->types);
    free(s);
}

int web_events_subscribe(web_reply *rep, web_events *ev, web_request *req, int64_t after,
                         const char *types)
{
    web_sub *s;

    if (types) {
        const char *p = types;
        while (*p) {
            size_t len = strcspn(p, ",");
            char one[64];
            snprintf(one, sizeof one, "%.*s", (int)(len < 63 ? len : 63), p);
            if (!web_event_type_known(one))
                return mg_error_set(MG_EPARSE, "query parameter 'types': unknown event type '%s'",
                                    one);
            p += len;
            if (*p == ',')
                p++;
        }
    }
    if (!(s = calloc(1, sizeof *s)) || (types && !(s->types = strdup(types)))) {
        free(s);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    s->ev = ev;
    s->conn = req->conn;
    s->last = time(NULL);
    pthread_mutex_lock(&ev->lock);
    s->cursor = after >= 0 ? (uint64_t)after + 1 : ev->next_id;
    if (s->cursor > ev->next_id)
        s->cursor = ev->next_id;
    s->next = ev->subs;
    ev->subs = s;
    ev->nsubs++;
    pthread_mutex_unlock(&ev->lock);
    rep->stream.read = sub_read;
    rep->stream.free = sub_free;
    rep->stream.ud = s;
    rep->content_type = "text/event-stream";
    return MG_OK;
}

void web_events_close_streams(web_events *ev)
{
    struct timespec until;

    if (!ev)
        return;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&ev->lock);
    ev->closing = 1;
    wake_subscribers(ev);
    /* Wait for the streams to end, so the server can drain its requests. */
    while (ev->nsubs > 0)
        if (pthread_cond_timedwait(&ev->tick, &ev->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&ev->lock);
}

/* The ticker: resumes parked streams once a second (keep-alives, and a missed wake-up). */
static void *ticker(void *arg)
{
    web_events *ev = arg;

    pthread_mutex_lock(&ev->lock);
    while (!ev->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&ev->tick, &ev->lock, &until);
        if (!ev->stopping)
            wake_subscribers(ev);
    }
    pthread_mutex_unlock(&ev->lock);
    return NULL;
}

int web_events_create(web_events **out, const web_events_options *opt)
{
    web_events *ev = calloc(1, sizeof *ev);
    int rc;

    *out = NULL;
    if (!ev)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (opt)
        ev->opt = *opt;
    if (!ev->opt.retry_base_ms)
        ev->opt.retry_base_ms = 1000;
    if (!ev->opt.max_attempts)
        ev->opt.max_attempts = 6;
    if (!ev->opt.timeout_ms)
        ev->opt.timeout_ms = 5000;
    ev->next_id = 1;
    ev->next_hook = 1;
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->tick, NULL);
    pthread_cond_init(&ev->work, NULL);
    if ((rc = web_webhooks_load(ev)) < 0) {
        web_events_free(ev);
        return rc;
    }
    if (pthread_create(&ev->ticker, NULL, ticker, ev) != 0) {
        web_events_free(ev);
        return mg_error_set(MG_ERROR, "cannot start the events thread");
    }
    ev->ticker_started = 1;
    if (pthread_create(&ev->deliverer, NULL, web_webhooks_run, ev) != 0) {
        web_events_free(ev);
        return mg_error_set(MG_ERROR, "cannot start the webhook thread");
    }
    ev->deliverer_started = 1;
    *out = ev;
    return MG_OK;
}

void web_events_stats(web_events *ev, unsigned long *published, unsigned long *delivered,
                      unsigned long *failed, unsigned long *subscribers)
{
    pthread_mutex_lock(&ev->lock);
    *published = ev->published;
    *delivered = ev->delivered;
    *failed = ev->failed;
    *subscribers = ev->nsubs;
    pthread_mutex_unlock(&ev->lock);
}

void web_events_free(web_events *ev)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->lock);
    ev->stopping = 1;
    ev->closing = 1;
    pthread_cond_broadcast(&ev->tick);
    pthread_cond_broadcast(&ev->work);
    pthread_mutex_unlock(&ev->lock);
    if (ev->ticker_started)
        pthread_join(ev->ticker, NULL);
    if (ev->deliverer_started)
        pthread_join(ev->deliverer, NULL);
    web_webhooks_free_all(ev);
    for (size_t i = 0; i < WEB_EVENT_RING; i++)
        free(ev->ring[i].json);
    pthread_cond_destroy(&ev->work);
    pthread_cond_destroy(&ev->tick);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}
