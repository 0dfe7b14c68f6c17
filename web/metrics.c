/* metrics.c - per-route request counts by status and latency histograms, lock-free. */
#include "metrics.h"
#include "route.h"

#include <stdatomic.h>

static const unsigned statuses[WEB_METRIC_STATUSES] = {200, 201, 202, 204, 304, 400,
                                                        401, 403, 404, 405, 409, 413,
                                                        415, 422, 500, 501, 503, 507};
/* Upper bounds in seconds: 100 µs .. 10 s. */
static const double bounds[WEB_METRIC_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                  0.01,   0.025,   0.05,   0.1,   1.0,    10.0};

void web_metrics_observe(web_metrics *m, long route, unsigned status, unsigned long us)
{
    size_t nroutes;
    size_t slot, s, b;
    double sec = (double)us / 1e6;

    web_routes(&nroutes);
    slot = route >= 0 && (size_t)route < nroutes && (size_t)route < WEB_METRIC_ROUTES - 1
               ? (size_t)route
               : WEB_METRIC_ROUTES - 1;
    for (s = 0; s < WEB_METRIC_STATUSES && statuses[s] != status; s++)
        ;
    for (b = 0; b < WEB_METRIC_BUCKETS && sec > bounds[b]; b++)
        ;
    atomic_fetch_add_explicit(&m->route[slot].by_status[s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->route[slot].buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->route[slot].sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->route[slot].count, 1, memory_order_relaxed);
}

/* The label pair of slot i: route="GET /api/v1/models". */
static int route_label(mg_buf *b, size_t i)
{
    size_t n;
    const web_route *t = web_routes(&n);

    if (i < n && i < WEB_METRIC_ROUTES - 1)
        return mg_buf_printf(b, "method=\"%s\",route=\"%s\"", t[i].method, t[i].pattern);
    return mg_buf_puts(b, "method=\"\",route=\"unmatched\"");
}

static int write_counts(mg_buf *b, web_metrics *m)
{
    int rc = mg_buf_puts(b, "# HELP modelgov_http_requests_total HTTP requests by route and "
                            "status.\n# TYPE modelgov_http_requests_total counter\n");
    for (size_t i = 0; rc == 0 && i < WEB_METRIC_ROUTES; i++)
        for (size_t s = 0; rc == 0 && s <= WEB_METRIC_STATUSES; s++) {
            unsigned long v = atomic_load(&m->route[i].by_status[s]);
            if (!v)
                continue;
            if ((rc = mg_buf_puts(b, "modelgov_http_requests_total{")) == 0 &&
                (rc = route_label(b, i)) == 0) {
                if (s < WEB_METRIC_STATUSES)
                    rc = mg_buf_printf(b, ",status=\"%u\"} %lu\n", statuses[s], v);
                else
                    rc = mg_buf_printf(b, ",status=\"other\"} %lu\n", v);
            }
        }
    return rc;
}

static int write_histogram(mg_buf *b, web_metrics *m)
{
    int rc = mg_buf_puts(b, "# HELP modelgov_http_request_duration_seconds Time from the "
                            "request's first byte to the reply.\n"
                            "# TYPE modelgov_http_request_duration_seconds histogram\n");
    for (size_t i = 0; rc == 0 && i < WEB_METRIC_ROUTES; i++) {
        unsigned long count = atomic_load(&m->route[i].count), cum = 0;
        if (!count)
            continue;
        for (size_t k = 0; rc == 0 && k <= WEB_METRIC_BUCKETS; k++) {
            cum += atomic_load(&m->route[i].buckets[k]);
            if ((rc = mg_buf_puts(b, "modelgov_http_request_duration_seconds_bucket{")) < 0 ||
                (rc = route_label(b, i)) < 0)
                break;
            if (k < WEB_METRIC_BUCKETS)
                rc = mg_buf_printf(b, ",le=\"%g\"} %lu\n", bounds[k], cum);
            else
                rc = mg_buf_printf(b, ",le=\"+Inf\"} %lu\n", cum);
        }
        if (rc == 0 && (rc = mg_buf_puts(b, "modelgov_http_request_duration_seconds_sum{")) == 0 &&
            (rc = route_label(b, i)) == 0)
            rc = mg_buf_printf(b, "} %.6f\n", (double)atomic_load(&m->route[i].sum_us) / 1e6);
        if (rc == 0 &&
            (rc = mg_buf_puts(b, "modelgov_http_request_duration_seconds_count{")) == 0 &&
            (rc = route_label(b, i)) == 0)
            rc = mg_buf_printf(b, "} %lu\n", count);
    }
    return rc;
}

int web_metrics_write(mg_buf *b, web_metrics *m)
{
    int rc;

    if ((rc = write_counts(b, m)) < 0)
        return rc;
    return write_histogram(b, m);
}
