/* ledger.c - privacy budget per data set: RDP curves of every run, composed. */
#include "mg_privacy.h"
#include "mg_buf.h"
#include "mg_error.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "modelgov-privacy-ledger/1"

typedef struct run {
    char id[MG_PRIVACY_RUN_ID_MAX + 1];
    int is_private;
    mg_privacy_event ev; /* private runs only */
    double delta;
    double rdp[MG_PRIVACY_ORDERS];
} run;

typedef struct account {
    char sha256[65];
    int unbounded;
    mg_buf runs; /* run[] */
} account;

struct mg_privacy_ledger {
    mg_buf accounts; /* account[] */
};

static size_t account_count(const mg_privacy_ledger *l)
{
    return l->accounts.len / sizeof(account);
}

static account *account_at(const mg_privacy_ledger *l, size_t i)
{
    return (account *)(void *)l->accounts.ptr + i;
}

static size_t run_count(const account *a)
{
    return a->runs.len / sizeof(run);
}

static const run *run_at(const account *a, size_t i)
{
    return (const run *)(const void *)a->runs.ptr + i;
}

int mg_privacy_ledger_create(mg_privacy_ledger **out)
{
    if (!(*out = calloc(1, sizeof **out)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    return MG_OK;
}

void mg_privacy_ledger_free(mg_privacy_ledger *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < account_count(l); i++)
        mg_buf_free(&account_at(l, i)->runs);
    mg_buf_free(&l->accounts);
    free(l);
}

size_t mg_privacy_ledger_datasets(const mg_privacy_ledger *l)
{
    return account_count(l);
}

const char *mg_privacy_ledger_dataset(const mg_privacy_ledger *l, size_t i)
{
    return i < account_count(l) ? account_at(l, i)->sha256 : NULL;
}

static int check_sha256(const char *sha)
{
    size_t n = sha ? strlen(sha) : 0;
    if (n != 64 || strspn(sha, "0123456789abcdef") != 64)
        return mg_error_set(MG_EINVAL, "data set digest '%.80s': expected 64 lower-case hex digits",
                            sha ? sha : "");
    return MG_OK;
}

static account *find_account(const mg_privacy_ledger *l, const char *sha)
{
    for (size_t i = 0; i < account_count(l); i++)
        if (strcmp(account_at(l, i)->sha256, sha) == 0)
            return account_at(l, i);
    return NULL;
}

/* The data set's account, opened empty on first use. */
static int open_account(account **out, mg_privacy_ledger *l, const char *sha)
{
    account fresh;
    int rc;

    if ((*out = find_account(l, sha)))
        return MG_OK;
    memset(&fresh, 0, sizeof fresh);
    memcpy(fresh.sha256, sha, 65);
    if ((rc = mg_buf_put(&l->accounts, &fresh, sizeof fresh)) < 0)
        return rc;
    *out = account_at(l, account_count(l) - 1);
    return MG_OK;
}

/* Append `r` to the data set's runs, refusing a run id already there. */
static int add_run(account *a, const run *r)
{
    int rc;

    for (size_t i = 0; i < run_count(a); i++)
        if (strcmp(run_at(a, i)->id, r->id) == 0)
            return mg_error_set(MG_EEXISTS, "run '%s' is already in the ledger of data set %.12s",
                                r->id, a->sha256);
    if ((rc = mg_buf_put(&a->runs, r, sizeof *r)) < 0)
        return rc;
    a->unbounded |= !r->is_private;
    return MG_OK;
}

/* A zeroed run named `id`. Errors: MG_EINVAL (empty or too long). */
static int run_init(run *r, const char *id)
{
    size_t n = id ? strlen(id) : 0;
    memset(r, 0, sizeof *r);
    if (n == 0 || n > MG_PRIVACY_RUN_ID_MAX)
        return mg_error_set(MG_EINVAL, "run id: expected 1 to %d bytes", MG_PRIVACY_RUN_ID_MAX);
    memcpy(r->id, id, n);
    return MG_OK;
}

static int check_delta(double delta)
{
    if (!(delta > 0 && delta < 1))
        return mg_error_set(MG_EINVAL, "delta %g: must be in (0, 1)", delta);
    return MG_OK;
}

int mg_privacy_ledger_add_dp(mg_privacy_ledger *l, const char *sha256, const char *run_id,
                             const mg_privacy_event *ev, double delta)
{
    account *a;
    run r;
    int rc;

    if ((rc = check_sha256(sha256)) < 0 || (rc = run_init(&r, run_id)) < 0 ||
        (rc = check_delta(delta)) < 0)
        return rc;
    r.is_private = 1;
    r.ev = *ev;
    r.delta = delta;
    if ((rc = mg_privacy_rdp_add(r.rdp, ev, mg_privacy_orders(), MG_PRIVACY_ORDERS)) < 0 ||
        (rc = open_account(&a, l, sha256)) < 0)
        return rc;
    return add_run(a, &r);
}

int mg_privacy_ledger_add_nonprivate(mg_privacy_ledger *l, const char *sha256, const char *run_id)
{
    account *a;
    run r;
    int rc;

    if ((rc = check_sha256(sha256)) < 0 || (rc = run_init(&r, run_id)) < 0 ||
        (rc = open_account(&a, l, sha256)) < 0)
        return rc;
    return add_run(a, &r);
}

int mg_privacy_ledger_spend(mg_privacy_spend *out, const mg_privacy_ledger *l, const char *sha256,
                            double delta, const mg_privacy_event *planned)
{
    double curve[MG_PRIVACY_ORDERS] = {0};
    const account *a;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = check_sha256(sha256)) < 0 || (rc = check_delta(delta)) < 0)
        return rc;
    if (planned &&
        (rc = mg_privacy_rdp_add(curve, planned, mg_privacy_orders(), MG_PRIVACY_ORDERS)) < 0)
        return rc;
    if ((a = find_account(l, sha256))) {
        out->runs = run_count(a);
        out->unbounded = a->unbounded;
        for (size_t i = 0; i < run_count(a); i++) {
            const run *r = run_at(a, i);
            if (!r->is_private)
                continue;
            out->dp_runs++;
            for (size_t k = 0; k < MG_PRIVACY_ORDERS; k++)
                curve[k] += r->rdp[k];
        }
    }
    if (out->unbounded) {
        out->epsilon = INFINITY;
        return MG_OK;
    }
    if (out->dp_runs == 0 && !planned)
        return MG_OK;
    return mg_privacy_rdp_epsilon_from_curve(&out->epsilon, &out->best_order, mg_privacy_orders(),
                                             curve, MG_PRIVACY_ORDERS, delta);
}

int mg_privacy_ledger_curve(double *rdp, int *unbounded, const mg_privacy_ledger *l,
                            const char *sha256)
{
    const account *a;
    int rc;

    memset(rdp, 0, MG_PRIVACY_ORDERS * sizeof *rdp);
    *unbounded = 0;
    if ((rc = check_sha256(sha256)) < 0)
        return rc;
    if (!(a = find_account(l, sha256)))
        return MG_OK;
    *unbounded = a->unbounded;
    for (size_t i = 0; i < run_count(a); i++)
        for (size_t k = 0; run_at(a, i)->is_private && k < MG_PRIVACY_ORDERS; k++)
            rdp[k] += run_at(a, i)->rdp[k];
    return MG_OK;
}

int mg_privacy_ledger_spend_prv(double *eps, const mg_privacy_ledger *l, const char *sha256,
                                double delta)
{
    const account *a;
    mg_privacy_event *ev;
    size_t n = 0;
    int rc;

    *eps = 0;
    if ((rc = check_sha256(sha256)) < 0 || (rc = check_delta(delta)) < 0)
        return rc;
    if (!(a = find_account(l, sha256)))
        return MG_OK;
    if (a->unbounded) {
        *eps = INFINITY;
        return MG_OK;
    }
    if (!(ev = malloc((run_count(a) + 1) * sizeof *ev)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < run_count(a); i++)
        if (run_at(a, i)->is_private)
            ev[n++] = run_at(a, i)->ev;
    rc = mg_privacy_prv_epsilon(eps, NULL, NULL, ev, n, delta, NULL);
    free(ev);
    return rc;
}

/* ---- JSON ---- */

/* Numbers as a JSON array; +inf (an order whose RDP is unbounded) is written as null. */
static json_t *doubles_json(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null()) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *run_json(const run *r)
{
    if (!r->is_private)
        return json_pack("{s:s, s:b}", "run", r->id, "private", 0);
    return json_pack("{s:s, s:b, s:f, s:f, s:I, s:f, s:o}", "run", r->id, "private", 1,
                     "sample_rate", r->ev.sample_rate, "noise_multiplier", r->ev.noise_multiplier,
                     "steps", (json_int_t)r->ev.steps, "delta", r->delta, "rdp",
                     doubles_json(r->rdp, MG_PRIVACY_ORDERS));
}

static json_t *account_json(const account *a)
{
    json_t *runs = json_array();
    for (size_t i = 0; runs && i < run_count(a); i++)
        if (json_array_append_new(runs, run_json(run_at(a, i))) < 0) {
            json_decref(runs);
            return NULL;
        }
    return json_pack("{s:s, s:b, s:o}", "sha256", a->sha256, "unbounded", a->unbounded, "runs",
                     runs);
}

int mg_privacy_ledger_to_json(char **out, const mg_privacy_ledger *l)
{
    json_t *datasets = json_array(), *doc;

    *out = NULL;
    for (size_t i = 0; datasets && i < account_count(l); i++)
        if (json_array_append_new(datasets, account_json(account_at(l, i))) < 0) {
            json_decref(datasets);
            datasets = NULL;
        }
    doc = json_pack("{s:s, s:s, s:o, s:o}", "format", FORMAT, "accountant", "rdp", "orders",
                    doubles_json(mg_privacy_orders(), MG_PRIVACY_ORDERS), "datasets", datasets);
    if (doc)
        *out = json_dumps(doc, JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory writing the privacy ledger");
}

/* Read n numbers from the array `v` at `field`; null reads as +inf. */
static int doubles_from(double *dst, size_t n, const json_t *v, const char *field)
{
    if (!json_is_array(v) || json_array_size(v) != n)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: expected an array of %zu numbers",
                            field, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        if (json_is_null(x)) {
            dst[i] = INFINITY;
            continue;
        }
        if (!json_is_number(x))
            return mg_error_set(MG_EPARSE, "privacy ledger: %s[%zu]: expected a number", field, i);
        dst[i] = json_number_value(x);
    }
    return MG_OK;
}

/*
 * A run's stored curve is its event's (mg_privacy_ledger_add_dp makes it so):
 * recomputed and compared, so that an edited, stale or corrupt file cannot
 * understate a data set's spend. 1e-9 relative leaves room for another
 * libm's last bits; an infinite order must be infinite in both.
 */
static int check_curve(const run *r, const char *field)
{
    double want[MG_PRIVACY_ORDERS] = {0};
    int rc;

    if ((rc = mg_privacy_rdp_add(want, &r->ev, mg_privacy_orders(), MG_PRIVACY_ORDERS)) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", field, mg_error_last());
    for (size_t k = 0; k < MG_PRIVACY_ORDERS; k++) {
        double got = r->rdp[k];
        int same = isinf(want[k]) ? got == want[k]
                                  : fabs(got - want[k]) <= 1e-9 * fmax(fabs(want[k]), 1e-300);
        if (!(got >= 0) || !same)
            return mg_error_set(MG_EPARSE,
                                "privacy ledger: %s[%zu]: %.17g is not the RDP of the run's "
                                "sample_rate, noise_multiplier and steps (%.17g at order %g)",
                                field, k, got, want[k], mg_privacy_orders()[k]);
    }
    return MG_OK;
}

static int run_from(run *r, const json_t *v, const char *where)
{
    const char *id = NULL;
    int is_private = 0;
    json_t *rdp = NULL;
    double q = NAN, sigma = NAN, delta = NAN;
    json_int_t steps = -1;
    json_error_t jerr;
    int rc;

    if (json_unpack_ex((json_t *)v, &jerr, 0, "{s:s, s:b}", "run", &id, "private", &is_private) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", where, jerr.text);
    if ((rc = run_init(r, id)) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", where, mg_error_last());
    if (!is_private)
        return MG_OK;
    if (json_unpack_ex((json_t *)v, &jerr, 0, "{s:F, s:F, s:I, s:F, s:o}", "sample_rate", &q,
                       "noise_multiplier", &sigma, "steps", &steps, "delta", &delta, "rdp",
                       &rdp) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", where, jerr.text);
    r->is_private = 1;
    r->ev = (mg_privacy_event){q, sigma, (uint64_t)steps};
    r->delta = delta;
    if (steps < 0 || mg_privacy_event_check(&r->ev) < 0 || check_delta(delta) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", where,
                            steps < 0 ? "steps: must be >= 0" : mg_error_last());
    char field[96];
    snprintf(field, sizeof field, "%s.rdp", where);
    if ((rc = doubles_from(r->rdp, MG_PRIVACY_ORDERS, rdp, field)) < 0)
        return rc;
    return check_curve(r, field);
}

static int account_from(mg_privacy_ledger *l, const json_t *v, size_t i)
{
    const char *sha = NULL;
    json_t *runs = NULL, *x;
    int unbounded = 0, rc;
    json_error_t jerr;
    char where[80];
    account *a;
    size_t k;

    if (json_unpack_ex((json_t *)v, &jerr, 0, "{s:s, s:b, s:o}", "sha256", &sha, "unbounded",
                       &unbounded, "runs", &runs) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: datasets[%zu]: %s", i, jerr.text);
    if (!json_is_array(runs))
        return mg_error_set(MG_EPARSE, "privacy ledger: datasets[%zu].runs: expected an array", i);
    if (check_sha256(sha) < 0)
        return mg_error_set(MG_EPARSE, "privacy ledger: datasets[%zu]: %s", i, mg_error_last());
    if (find_account(l, sha))
        return mg_error_set(MG_EPARSE, "privacy ledger: datasets[%zu]: data set %.12s listed twice",
                            i, sha);
    if ((rc = open_account(&a, l, sha)) < 0)
        return rc;
    json_array_foreach(runs, k, x)
    {
        run r;
        snprintf(where, sizeof where, "datasets[%zu].runs[%zu]", i, k);
        if ((rc = run_from(&r, x, where)) < 0)
            return rc;
        if ((rc = add_run(a, &r)) == MG_EEXISTS)
            return mg_error_set(MG_EPARSE, "privacy ledger: %s: %s", where, mg_error_last());
        if (rc < 0)
            return rc;
    }
    if (!unbounded != !a->unbounded)
        return mg_error_set(MG_EPARSE,
                            "privacy ledger: datasets[%zu].unbounded: disagrees with its runs", i);
    return MG_OK;
}

int mg_privacy_ledger_from_json(mg_privacy_ledger **out, const char *text, size_t len)
{
    mg_privacy_ledger *l = NULL;
    json_t *doc = NULL, *orders = NULL, *datasets = NULL, *x;
    const char *format = NULL;
    double o[MG_PRIVACY_ORDERS];
    json_error_t jerr;
    size_t i;
    int rc;

    *out = NULL;
    if (!(doc = json_loadb(text, len, 0, &jerr))) {
        rc = mg_error_set(MG_EPARSE, "privacy ledger:%d:%d: %s", jerr.line, jerr.column, jerr.text);
        goto done;
    }
    if (json_unpack_ex(doc, &jerr, 0, "{s:s, s:o, s:o}", "format", &format, "orders", &orders,
                       "datasets", &datasets) < 0) {
        rc = mg_error_set(MG_EPARSE, "privacy ledger: %s", jerr.text);
        goto done;
    }
    if (strcmp(format, FORMAT) != 0) {
        rc = mg_error_set(MG_EPARSE, "privacy ledger: format '%s': expected '%s'", format, FORMAT);
        goto done;
    }
    if ((rc = doubles_from(o, MG_PRIVACY_ORDERS, orders, "orders")) < 0)
        goto done;
    if (memcmp(o, mg_privacy_orders(), sizeof o) != 0) {
        rc = mg_error_set(MG_EPARSE, "privacy ledger: orders: not Opacus's default orders");
        goto done;
    }
    if (!json_is_array(datasets)) {
        rc = mg_error_set(MG_EPARSE, "privacy ledger: datasets: expected an array");
        goto done;
    }
    if ((rc = mg_privacy_ledger_create(&l)) < 0)
        goto done;
    json_array_foreach(datasets, i, x)
    {
        if ((rc = account_from(l, x, i)) < 0)
            goto done;
    }
    *out = l;
    l = NULL;
    rc = MG_OK;
done:
    mg_privacy_ledger_free(l);
    json_decref(doc);
    return rc;
}
