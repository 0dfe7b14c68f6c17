/* events.h - governance events: a ring of recent events, SSE subscribers, webhooks (not public). */
#ifndef WEB_EVENTS_H
#define WEB_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "route.h"

typedef struct web_events web_events;

/* Event types published, after "*" (all); NULL-terminated. Filters name some of them. */
extern const char *const web_event_types[];

/* 1 when `type` is one of web_event_types. */
int web_event_type_known(const char *type);

/* Settings of the webhook deliveries. */
typedef struct web_events_options {
    unsigned retry_base_ms; /* first back-off; doubles each attempt (default 1000) */
    unsigned max_attempts;  /* deliveries tried at most (default 6) */
    unsigned timeout_ms;    /* per delivery (default 5000) */
    int allow_any_host;     /* 0: webhook URLs must be loopback */
    const char *hooks_file; /* webhooks are kept here (mode 0600: it holds their secrets); NULL: memory only */
} web_events_options;

/*
 * Start the event bus and its delivery thread, loading the webhooks of
 * opt->hooks_file when it exists. Errors: MG_EPARSE (a damaged hooks file,
 * named), MG_ENOMEM, MG_ERROR.
 */
int web_events_create(web_events **out, const web_events_options *opt);

/*
 * Publish one event of `type` with `data` (borrowed; copied) to every SSE
 * subscriber and every webhook whose filter takes it. Never fails visibly:
 * an event that cannot be built is dropped and logged.
 */
void web_events_publish(web_events *ev, const char *type, const json_t *data);

/*
 * Fill `rep` with an SSE stream for the connection of `req`, replaying the
 * recent events after id `after` (Last-Event-ID, or ?after=; 0 replays all
 * that are kept; -1 = only new events) and keeping only `types` (comma
 * separated; NULL = all).
 * Errors: MG_EPARSE (an unknown type, named), MG_ENOMEM.
 */
int web_events_subscribe(web_reply *rep, web_events *ev, web_request *req, int64_t after,
                         const char *types);

/* End every stream (shutdown). */
void web_events_close_streams(web_events *ev);

/*
 * Register a webhook: deliveries of the filtered events go to `url` as
 * POSTs signed with HMAC-SHA256 over the body, with `secret`.
 * On success *out is the webhook as the API shows it (with its id).
 * Errors: MG_EINVAL (bad URL, a non-loopback host when not allowed, unknown
 * event type), MG_ENOMEM.
 */
int web_events_webhook_add(json_t **out, web_events *ev, const char *url, const json_t *types,
                           const char *secret, const char *actor);

/* Every webhook with its delivery counters (new reference). */
json_t *web_events_webhook_list(web_events *ev);

/* Remove webhook `id`. Errors: MG_ENOTFOUND. */
int web_events_webhook_remove(web_events *ev, int64_t id);

/* Counters for /metrics: events published, deliveries ok / failed, subscribers. */
void web_events_stats(web_events *ev, unsigned long *published, unsigned long *delivered,
                      unsigned long *failed, unsigned long *subscribers);

/* Stop the delivery thread (pending deliveries are dropped) and free. NULL is a no-op. */
void web_events_free(web_events *ev);

#endif
