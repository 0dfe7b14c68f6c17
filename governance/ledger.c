/* ledger.c - the privacy ledger: each run's RDP curve against its data set, composed into totals. */
#include "inventory.h"
#include "mg_privacy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define N MG_PRIVACY_ORDERS

static int number(double *out, const json_t *v)
{
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return isfinite(*out);
}

/* The run's RDP curve on Opacus's default orders, from its events or a given curve. */
static int curve_from_privacy(double rdp[N], double *delta, const json_t *p)
{
    const json_t *events = json_object_get(p, "events"), *curve = json_object_get(p, "rdp");
    const json_t *orders = json_object_get(p, "orders");
    const double *def = mg_privacy_orders();
    int rc;

    if (!number(delta, json_object_get(p, "delta")) || *delta <= 0 || *delta >= 1)
        return mg_error_set(MG_EINVAL, "privacy.delta: expected a number in (0, 1)");
    memset(rdp, 0, N * sizeof *rdp);
    if (events) {
        size_t i;
        const json_t *e;
        if (!json_is_array(events) || json_array_size(events) == 0)
            return mg_error_set(MG_EINVAL, "privacy.events: expected a non-empty array");
        json_array_foreach(events, i, e)
        {
            mg_privacy_event ev;
            double steps;
            if (!number(&ev.sample_rate, json_object_get(e, "sample_rate")) ||
                !number(&ev.noise_multiplier, json_object_get(e, "noise_multiplier")) ||
                !number(&steps, json_object_get(e, "steps")) || steps < 0 ||
                steps != floor(steps))
                return mg_error_set(MG_EINVAL, "privacy.events[%zu]: expected {\"sample_rate\", "
                                               "\"noise_multiplier\", \"steps\"} numbers",
                                    i);
            ev.steps = (uint64_t)steps;
            if ((rc = mg_privacy_event_check(&ev)) < 0 ||
                (rc = mg_privacy_rdp_add(rdp, &ev, def, N)) < 0)
                return mg_error_set(rc, "privacy.events[%zu]: invalid event", i);
        }
        return MG_OK;
    }
    if (!json_is_array(curve) || json_array_size(curve) != N)
        return mg_error_set(MG_EINVAL, "privacy: give \"events\" or an \"rdp\" curve of %d values "
                                       "on Opacus's default orders",
                            N);
    if (orders && (!json_is_array(orders) || json_array_size(orders) != N))
        return mg_error_set(MG_EINVAL, "privacy.orders: expected Opacus's %d default orders", N);
    for (size_t i = 0; i < N; i++) {
        const json_t *v = json_array_get(curve, i);
        double o;
        if (orders && (!number(&o, json_array_get(orders, i)) || fabs(o - def[i]) > 1e-9))
            return mg_error_set(MG_EINVAL, "privacy.orders[%zu]: expected %g", i, def[i]);
        if (json_is_null(v))
            rdp[i] = INFINITY; /* a diverging order */
        else if (!number(&rdp[i], v) || rdp[i] < 0)
            return mg_error_set(MG_EINVAL, "privacy.rdp[%zu]: expected a number >= 0 or null", i);
    }
    return MG_OK;
}

static json_t *curve_json(const double rdp[N])
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < N; i++)
        json_array_append_new(a, isfinite(rdp[i]) ? json_real(rdp[i]) : json_null());
    return a;
}

static json_t *finite_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

int gov_ledger_spend(json_t **spend, json_t **summary, const json_t *privacy)
{
    double rdp[N], delta = 0, eps = INFINITY, best = NAN;
    int rc;

    *spend = *summary = NULL;
    if (privacy) {
        const json_t *reported = json_object_get(privacy, "epsilon");
        if ((rc = gov_check_object(privacy, 1, "privacy")) < 0 ||
            (rc = curve_from_privacy(rdp, &delta, privacy)) < 0 ||
            (rc = mg_privacy_rdp_epsilon_from_curve(&eps, &best, mg_privacy_orders(), rdp, N,
                                                    delta)) < 0)
            return rc;
        *spend = json_pack("{s:f,s:o,s:o,s:o}", "delta", delta, "epsilon", finite_or_null(eps),
                           "best_order", finite_or_null(best), "rdp", curve_json(rdp));
        if (*spend && json_object_get(privacy, "events"))
            json_object_set(*spend, "events", json_object_get(privacy, "events"));
        if (*spend && json_is_number(reported))
            json_object_set(*spend, "reported_epsilon", (json_t *)reported);
        *summary = json_pack("{s:s,s:o,s:f}", "kind", "rdp", "epsilon", finite_or_null(eps),
                             "delta", delta);
    } else {
        *spend = json_pack("{s:s}", "reason", "trained without differential privacy");
        *summary = json_pack("{s:s}", "kind", "unbounded");
    }
    if (!*spend || !*summary) {
        json_decref(*spend);
        json_decref(*summary);
        *spend = *summary = NULL;
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    return MG_OK;
}

int gov_ledger_add(json_t **summary, gov_tx *tx, const char *dataset_sha256, int64_t run_id,
                   const json_t *privacy)
{
    sqlite3_stmt *st;
    json_t *spend = NULL;
    char now[32];
    int rc;

    if ((rc = gov_ledger_spend(&spend, summary, privacy)) < 0)
        return rc;
    if (!(st = gov_stmt(tx->c, "INSERT INTO privacy_ledger (dataset_sha256, run_id, kind, "
                               "spend_json, created, log_index) VALUES (?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_now(now);
    gov_bind_text(st, 1, dataset_sha256);
    sqlite3_bind_int64(st, 2, run_id);
    gov_bind_text(st, 3, privacy ? "rdp" : "unbounded");
    if ((rc = gov_bind_json(st, 4, spend)) < 0)
        goto done;
    gov_bind_text(st, 5, now);
    sqlite3_bind_int64(st, 6, tx->log.size);
    rc = gov_step_done(tx->c, st, "privacy_ledger");
done:
    json_decref(spend);
    if (rc < 0) {
        json_decref(*summary);
        *summary = NULL;
    }
    return rc;
}

int gov_ledger_total(json_t **out, gov_conn *c, const char *dataset_sha256, double delta)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT run_id, kind, spend_json FROM privacy_ledger WHERE "
                                  "dataset_sha256 = ? ORDER BY id");
    double sum[N] = {0}, eps = 0, best = 0, min_delta = 1;
    json_t *unbounded = json_array();
    int64_t rows = 0, dp = 0;
    int rc;

    *out = NULL;
    if (!q || !unbounded) {
        json_decref(unbounded);
        return q ? mg_error_set(MG_ENOMEM, "out of memory") : MG_ERROR;
    }
    gov_bind_text(q, 1, dataset_sha256);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *spend, *curve;
        double d;
        rows++;
        if (strcmp((const char *)sqlite3_column_text(q, 1), "unbounded") == 0) {
            json_array_append_new(unbounded, json_integer(sqlite3_column_int64(q, 0)));
            continue;
        }
        spend = gov_col_json(q, 2);
        curve = json_object_get(spend, "rdp");
        if (!number(&d, json_object_get(spend, "delta")) || json_array_size(curve) != N) {
            json_decref(spend);
            rc = mg_error_set(MG_EPARSE, "privacy ledger of %s: damaged row for run %lld",
                              dataset_sha256, (long long)sqlite3_column_int64(q, 0));
            break;
        }
        min_delta = d < min_delta ? d : min_delta;
        for (size_t i = 0; i < N; i++) {
            const json_t *v = json_array_get(curve, i);
            sum[i] += json_is_number(v) ? json_number_value(v) : INFINITY;
        }
        dp++;
        json_decref(spend);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        json_decref(unbounded);
        return rc < 0 ? rc : gov_db_error(c, "privacy_ledger");
    }
    if (delta <= 0)
        delta = dp ? min_delta : 1e-5;
    if (dp && (rc = mg_privacy_rdp_epsilon_from_curve(&eps, &best, mg_privacy_orders(), sum, N,
                                                      delta)) < 0) {
        json_decref(unbounded);
        return rc;
    }
    if (json_array_size(unbounded) > 0)
        eps = INFINITY;
    *out = json_pack("{s:I,s:I,s:o,s:o,s:f,s:o}", "rows", (json_int_t)rows, "dp_rows",
                     (json_int_t)dp, "unbounded_runs", unbounded, "epsilon", finite_or_null(eps),
                     "delta", delta, "best_order", dp ? finite_or_null(best) : json_null());
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

int gov_ledger_of_run(json_t **out, gov_conn *c, int64_t run_id)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT kind, spend_json FROM privacy_ledger WHERE run_id = ? "
                                  "ORDER BY id DESC LIMIT 1");
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, run_id);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *spend = gov_col_json(q, 1);
        if (strcmp((const char *)sqlite3_column_text(q, 0), "unbounded") == 0)
            *out = json_pack("{s:s}", "kind", "unbounded");
        else
            *out = json_pack("{s:s,s:O,s:O}", "kind", "rdp", "epsilon",
                             json_object_get(spend, "epsilon"), "delta",
                             json_object_get(spend, "delta"));
        json_decref(spend);
        rc = *out ? MG_OK : mg_error_set(MG_EPARSE, "privacy ledger: damaged row of run %lld",
                                         (long long)run_id);
    } else {
        rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "privacy_ledger");
    }
    sqlite3_reset(q);
    return rc;
}
