/* events_internal.h - the event bus's state, shared by events.c and webhooks.c (not public). */
#ifndef WEB_EVENTS_INTERNAL_H
#define WEB_EVENTS_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "events.h"
#include "mg_buf.h"

#define WEB_EVENT_RING 1024     /* recent events kept for Last-Event-ID and deliveries */
#define WEB_EVENT_KEEPALIVE_S 15 /* an SSE comment when a stream was quiet this long */

typedef struct web_event {
    uint64_t id;
    char type[32];
    char *json; /* {"id","type","time","data"} */
} web_event;

/* One SSE stream. */
typedef struct web_sub {
    web_events *ev;
    struct MHD_Connection *conn;
    uint64_t cursor; /* next event id to send */
    char *types;     /* filter, NULL = all */
    mg_buf pending;  /* formatted, not yet sent */
    size_t off;
    time_t last; /* last write */
    int parked;  /* suspended, waiting for a resume */
    int started;
    struct web_sub *next;
} web_sub;

typedef struct web_hook {
    int64_t id;
    char *url;
    char *types; /* comma separated; "*" = all */
    char *secret;
    char created[32];
    char actor[128];
    unsigned long delivered, failed;
    char last_error[256];
    struct web_hook *next;
} web_hook;

/* One delivery of one event to one webhook, waiting for its time. */
typedef struct web_delivery {
    int64_t hook_id;
    uint64_t event_id;
    char type[32];
    char *body;
    unsigned attempt;
    struct timespec due;
    struct web_delivery *next;
} web_delivery;

struct web_events {
    web_events_options opt;
    pthread_mutex_t lock;
    pthread_cond_t tick; /* ticker wake-ups; stream ends */
    pthread_cond_t work; /* deliveries queued */
    pthread_t ticker, deliverer;
    int ticker_started, deliverer_started;
    int stopping, closing;
    web_event ring[WEB_EVENT_RING];
    uint64_t next_id;
    web_sub *subs;
    unsigned long nsubs;
    web_hook *hooks;
    int64_t next_hook;
    web_delivery *queue;
    unsigned long published, delivered, failed;
};

/* 1 when the comma-separated filter `types` (NULL or "" = all, "*" = all) takes `type`. */
int web_event_filter_takes(const char *types, const char *type);

/* Queue deliveries of event `e` to the webhooks that take it. Lock held. */
void web_webhooks_enqueue(web_events *ev, const web_event *e);

/* The delivery thread. */
void *web_webhooks_run(void *arg);

/* Load the webhooks of ev->opt.hooks_file (absent: none). Errors: MG_EPARSE, MG_ENOMEM. */
int web_webhooks_load(web_events *ev);

/* Free every webhook and pending delivery (after the threads stopped). */
void web_webhooks_free_all(web_events *ev);

#endif
