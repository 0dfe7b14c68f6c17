/* metrics.h - request counters and latency histograms for /metrics (not public). */
#ifndef WEB_METRICS_H
#define WEB_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "mg_buf.h"

/* Statuses counted one by one; anything else lands in "other". */
#define WEB_METRIC_STATUSES 18
/* Latency buckets (seconds), Prometheus-style cumulative on output. */
#define WEB_METRIC_BUCKETS 12
/* Routes of the table plus one slot for requests no route matched. */
#define WEB_METRIC_ROUTES 48

typedef struct web_route_metrics {
    atomic_ulong by_status[WEB_METRIC_STATUSES + 1];
    atomic_ulong buckets[WEB_METRIC_BUCKETS + 1]; /* last: +Inf */
    atomic_ulong sum_us;
    atomic_ulong count;
} web_route_metrics;

typedef struct web_metrics {
    web_route_metrics route[WEB_METRIC_ROUTES];
} web_metrics;

/* Count one request of route `route` (-1: unmatched) answered with `status` in `us`. */
void web_metrics_observe(web_metrics *m, long route, unsigned status, unsigned long us);

/* Append the request series in Prometheus text format. Errors: MG_ENOMEM. */
int web_metrics_write(mg_buf *b, web_metrics *m);

#endif
