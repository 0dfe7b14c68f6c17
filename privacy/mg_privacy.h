/* mg_privacy.h - differential privacy: RDP and PRV accountants, noise calibration. */
#ifndef MG_PRIVACY_H
#define MG_PRIVACY_H

#include <stddef.h>
#include <stdint.h>

#include "mg_estimator.h"

/*
 * The mechanism every accountant here analyses is DP-SGD's: the Poisson-
 * subsampled Gaussian mechanism (each example in a batch with probability q,
 * L2 sensitivity 1 after clipping, Gaussian noise of standard deviation
 * sigma), add/remove-one adjacency, composed over `steps` steps. Semantics
 * follow Opacus (pytorch/opacus, opacus/accountants) so that an auditor who
 * knows Opacus gets the same numbers.
 */

/* One stretch of training with fixed parameters: `steps` steps at rate q and noise sigma. */
typedef struct mg_privacy_event {
    double sample_rate;      /* q, in [0, 1] */
    double noise_multiplier; /* sigma, >= 0 (0: no privacy, epsilon infinite) */
    uint64_t steps;
} mg_privacy_event;

/* Which accountant turns a history into epsilon. */
typedef enum mg_privacy_accountant {
    MG_PRIVACY_RDP = 0, /* Renyi DP, Opacus's RDPAccountant */
    MG_PRIVACY_PRV = 1  /* privacy random variables, Opacus's PRVAccountant */
} mg_privacy_accountant;

/* "rdp" or "prv". Never NULL. */
const char *mg_privacy_accountant_name(mg_privacy_accountant a);

/* Parse "rdp" / "prv". Errors: MG_EINVAL naming the value. */
int mg_privacy_accountant_parse(mg_privacy_accountant *out, const char *name);

/*
 * Check one event's parameters: q in [0, 1], sigma >= 0, both finite.
 * Errors: MG_EINVAL naming "sample rate" or "noise multiplier".
 */
int mg_privacy_event_check(const mg_privacy_event *ev);

/* ---- RDP accountant (privacy/rdp.c) ---- */

/* Number of orders in Opacus's RDPAccountant.DEFAULT_ALPHAS. */
#define MG_PRIVACY_ORDERS 151

/*
 * Opacus's default RDP orders: 1.1, 1.2, ..., 10.9 then 12, 13, ..., 63
 * (MG_PRIVACY_ORDERS values). Borrowed, static, never NULL.
 */
const double *mg_privacy_orders(void);

/*
 * RDP of `ev` at each of the `n` orders, times ev->steps, added to rdp[0..n)
 * (so that successive calls compose a history; zero rdp first for one event).
 * Integer orders by the binomial sum, fractional orders by the erfc series of
 * Mironov, Talwar and Zhang 2019 (arXiv 1908.10530, Sec 3.3), in log space as
 * Opacus computes them. An order whose series does not converge gets +inf
 * (conservative: the conversion then never picks it).
 * Errors: MG_EINVAL (bad event, an order <= 1 or not finite).
 * Thread safety: pure.
 */
int mg_privacy_rdp_add(double *rdp, const mg_privacy_event *ev, const double *orders, size_t n);

/*
 * (epsilon, delta)-DP from an RDP curve, Balle et al. 2020 ("Hypothesis
 * testing interpretations and Renyi DP", Thm 21) as Opacus:
 *   eps(a) = rdp(a) - (ln delta + ln a) / (a - 1) + ln((a - 1) / a),
 * minimised over the orders (NaN orders skipped, the first minimum wins),
 * with no clamp at 0. *best_order gets the minimising order. A curve that is
 * all NaN gives +inf and NaN.
 * Errors: MG_EINVAL (n == 0, delta outside (0, 1)).
 */
int mg_privacy_rdp_epsilon_from_curve(double *eps, double *best_order, const double *orders,
                                      const double *rdp, size_t n, double delta);

/*
 * The RDP accountant over a history of `n` events, Opacus's default orders:
 * the composed curve (events' curves summed), then the conversion above.
 * An empty history spends nothing: epsilon 0, best order 0 (as Opacus).
 * Errors: MG_EINVAL (bad event or delta).
 */
int mg_privacy_rdp_epsilon(double *eps, double *best_order, const mg_privacy_event *events,
                           size_t n, double delta);

/* ---- PRV accountant (privacy/prv.c) ---- */

/* Error parameters of the PRV accountant; Opacus's defaults with MG_PRIVACY_PRV_OPTIONS_INIT. */
typedef struct mg_privacy_prv_options {
    double eps_error;   /* half-width of the epsilon error, 0.01 */
    double delta_error; /* error allowed on delta; 0 means delta / 1000 */
} mg_privacy_prv_options;

#define MG_PRIVACY_PRV_OPTIONS_INIT                                                                \
    {                                                                                              \
        0.01, 0.0                                                                                  \
    }

/*
 * The PRV accountant (Gopi, Lee and Wutschitz 2021, "Numerical composition of
 * differential privacy", arXiv 2106.02848) over a history of `n` events, as
 * Opacus's PRVAccountant: a domain safe by the RDP bound (Remark 5.6), a mesh
 * of eps_error / sqrt(T ln(12 / delta_error) / 2), each PRV truncated,
 * discretised with its mean preserved, self-composed by FFT (FFTW) and the
 * events convolved together. *eps gets Opacus's answer, the upper bound
 * eps_estimate + eps_error; `lower` and `estimate` (each may be NULL) get the
 * lower bound and the estimate. `opts` NULL means the defaults.
 * Errors: MG_EINVAL (bad event, delta, or error parameters; delta too small
 * for the domain), MG_ETOOBIG (the domain would exceed 2^27 points),
 * MG_ENOMEM, MG_ERROR (numerical failure, named).
 * Thread safety: safe; FFTW's planner is serialised internally.
 */
int mg_privacy_prv_epsilon(double *eps, double *lower, double *estimate,
                           const mg_privacy_event *events, size_t n, double delta,
                           const mg_privacy_prv_options *opts);

/* ---- Noise calibration (privacy/calibrate.c) ---- */

/* Opacus's epsilon_tolerance default of get_noise_multiplier. */
#define MG_PRIVACY_EPSILON_TOLERANCE 0.01

/*
 * The noise multiplier for `steps` steps at rate q that spends at most
 * `target_eps` at `delta`, as Opacus's get_noise_multiplier: sigma doubles
 * from 20 until epsilon <= target, then bisection on [0, sigma] until
 * target - epsilon <= tolerance. *sigma gets the upper end of the bracket,
 * whose epsilon (in *eps, may be NULL) is <= target_eps and within
 * `tolerance` of it.
 * Errors: MG_EINVAL (bad q, delta, steps 0, target_eps <= 0 or tolerance <= 0,
 * or a budget so small that sigma would pass 1e6: "privacy budget too low").
 */
int mg_privacy_noise_calibrate(double *sigma, double *eps, double target_eps, double delta,
                               double sample_rate, uint64_t steps, mg_privacy_accountant acc,
                               double tolerance);

/* Epsilon of a history by either accountant (PRV with default options); best_order may be NULL. */
int mg_privacy_epsilon(double *eps, double *best_order, const mg_privacy_event *events, size_t n,
                       double delta, mg_privacy_accountant acc);

/* ---- Privacy ledger per data set (privacy/ledger.c) ---- */

/*
 * The privacy spent on each data set, keyed by the SHA-256 of its bytes,
 * across every training run that used it. A DP run adds its RDP curve (the
 * per-order RDP at Opacus's default orders times its steps): RDP composes by
 * addition, so the data set's epsilon is the conversion of the summed curve.
 * A non-private run makes the data set's budget unbounded for good. The
 * ledger is what governance shows and gates on; it round-trips through JSON.
 * Not thread-safe: one writer at a time.
 */
typedef struct mg_privacy_ledger mg_privacy_ledger;

/* Longest run id, in bytes. */
#define MG_PRIVACY_RUN_ID_MAX 127

/* An empty ledger. Errors: MG_ENOMEM. Free with mg_privacy_ledger_free(). */
int mg_privacy_ledger_create(mg_privacy_ledger **out);

void mg_privacy_ledger_free(mg_privacy_ledger *l); /* NULL is a no-op */

/*
 * Record a DP run `run_id` on data set `sha256` (64 lower-case hex digits):
 * its event and the delta it reported at. The run's RDP curve is computed
 * and stored. Errors: MG_EINVAL (bad digest, id, event or delta),
 * MG_EEXISTS (the run is already on this data set), MG_ENOMEM.
 */
int mg_privacy_ledger_add_dp(mg_privacy_ledger *l, const char *sha256, const char *run_id,
                             const mg_privacy_event *ev, double delta);

/*
 * Record a non-private run on data set `sha256`: its budget becomes
 * unbounded. Errors: MG_EINVAL, MG_EEXISTS, MG_ENOMEM as above.
 */
int mg_privacy_ledger_add_nonprivate(mg_privacy_ledger *l, const char *sha256, const char *run_id);

/* What one data set has spent. */
typedef struct mg_privacy_spend {
    double epsilon;    /* RDP composition over its runs; +inf when unbounded; 0 when none */
    double best_order; /* the order the conversion chose (0 without DP runs) */
    int unbounded;     /* 1 when a non-private run used the data */
    size_t runs;       /* runs recorded, private or not */
    size_t dp_runs;
} mg_privacy_spend;

/*
 * The spend of data set `sha256` at `delta`, as if the run `planned` (may be
 * NULL) were added too: the check before a run that must stay under a
 * budget. A data set the ledger has never seen has spent nothing.
 * Errors: MG_EINVAL (bad digest, delta or planned event).
 */
int mg_privacy_ledger_spend(mg_privacy_spend *out, const mg_privacy_ledger *l, const char *sha256,
                            double delta, const mg_privacy_event *planned);

/*
 * The same data set's epsilon by the PRV accountant (default error
 * parameters), composing its DP runs' events: tighter than the RDP figure.
 * +inf when unbounded. Errors: those of mg_privacy_prv_epsilon().
 */
int mg_privacy_ledger_spend_prv(double *eps, const mg_privacy_ledger *l, const char *sha256,
                                double delta);

/* Number of data sets, and the digest of the i-th (borrowed, valid while `l` lives unchanged). */
size_t mg_privacy_ledger_datasets(const mg_privacy_ledger *l);
const char *mg_privacy_ledger_dataset(const mg_privacy_ledger *l, size_t i);

/*
 * The ledger as one JSON document (numbers with 17 significant digits, so it
 * round-trips exactly): {"format":"modelgov-privacy-ledger/1","orders":[...],
 * "datasets":[{"sha256":..., "unbounded":..., "runs":[{"run":..., "private":true,
 * "sample_rate":..., "noise_multiplier":..., "steps":..., "delta":..., "rdp":[...]}]}]}.
 * *out is malloc'd; the caller frees it. Errors: MG_ENOMEM.
 */
int mg_privacy_ledger_to_json(char **out, const mg_privacy_ledger *l);

/*
 * Read a ledger written by mg_privacy_ledger_to_json(). Errors: MG_EPARSE
 * naming the field at fault (also for orders other than Opacus's defaults),
 * MG_ENOMEM.
 */
int mg_privacy_ledger_from_json(mg_privacy_ledger **out, const char *text, size_t len);

/*
 * The RDP curve a data set has accumulated (sum over its DP runs, at
 * mg_privacy_orders()) into rdp[MG_PRIVACY_ORDERS], and whether a
 * non-private run made it unbounded: the `prior` a new DP run's budget check
 * starts from. Zeros for an unknown data set. Errors: MG_EINVAL (bad digest).
 */
int mg_privacy_ledger_curve(double *rdp, int *unbounded, const mg_privacy_ledger *l,
                            const char *sha256);

/* ---- DP-SGD (privacy/dpsgd.c, privacy/noise.c) ---- */

/*
 * DP-SGD (Abadi et al. 2016) as Opacus runs it, on the core's training loop:
 * each step samples a Poisson batch (every training row independently with
 * probability q, so the batch size varies and may be 0), clips each
 * example's gradient to L2 norm C over all parameters (factor
 * min(1, C / (norm + 1e-6)), Opacus's), adds N(0, sigma^2 C^2) noise to
 * the sum and divides by the expected batch size q N. An epoch is
 * floor(1 / q) steps (Opacus's Poisson data loader). Noise and sampling come
 * from OpenSSL's CSPRNG (RAND_bytes), and each noise value is the sum of four
 * Gaussians halved, as Opacus's secure mode does against floating-point
 * attacks; `insecure_seed` swaps in the seeded xoshiro generator for
 * reproducible tests, and the run records that it is not secure.
 */
typedef struct mg_dpsgd_options {
    double sample_rate;      /* q in (0, 1] */
    double max_grad_norm;    /* C > 0 */
    double noise_multiplier; /* sigma >= 0 (0: no privacy, for tests); calibrated when
                                target_epsilon > 0 */
    double target_epsilon;   /* > 0: calibrate sigma so the planned steps spend at most this */
    double delta;            /* in (0, 1) */
    double max_epsilon;      /* > 0: never spend more (prior spend included); 0: no cap */
    mg_privacy_accountant accountant; /* names the epsilon that calibration and the cap use */
    int insecure;                     /* 1: seeded noise and sampling, NOT secure */
    uint64_t insecure_seed;
} mg_dpsgd_options;

#define MG_DPSGD_OPTIONS_INIT                                                                      \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, MG_PRIVACY_RDP, 0, 0                                                     \
    }

typedef struct mg_dpsgd mg_dpsgd;

/*
 * DP-SGD for `rows` training rows and `epochs` epochs (planned steps =
 * epochs * floor(1 / q)). `prior` (MG_PRIVACY_ORDERS values, may be NULL) is
 * the RDP the data set has already spent (mg_privacy_ledger_curve), counted
 * against max_epsilon; it needs the RDP accountant (curves compose, PRVs
 * need the events: with MG_PRIVACY_PRV a prior is MG_EINVAL). With
 * target_epsilon, sigma is calibrated for this run alone (Opacus's
 * get_noise_multiplier). With max_epsilon the number of steps allowed is
 * fixed up front; 0 allowed steps refuses the run.
 * Errors: MG_EINVAL (an option out of range, naming it), MG_ECONFLICT
 * ("--max-epsilon": not one step fits in the budget), MG_ENOMEM, MG_ERROR
 * (the CSPRNG failed).
 */
int mg_dpsgd_create(mg_dpsgd **out, const mg_dpsgd_options *o, size_t rows, size_t epochs,
                    const double *prior);
void mg_dpsgd_free(mg_dpsgd *d); /* NULL is a no-op */

/*
 * The batch sampler, gradient clipper and hook that make an estimator's
 * training DP-SGD; mg_dpsgd_attach() installs the first two. The clipper
 * takes per-example gradient norms from the core without forming the
 * per-example gradient matrix (mg_model_weighted_grad); the aggregator does
 * the same arithmetic on a materialised matrix G (the estimator's general
 * path; same results up to rounding). `d` must outlive training. The hook (its ud is `d`, nothing
 * to free) stops training cleanly (after_step returns 1) once the allowed steps are taken; past
 * them the clipper and aggregator fail with MG_ECONFLICT. Cannot fail.
 */
mg_batch_sampler mg_dpsgd_sampler(mg_dpsgd *d);
mg_grad_aggregator mg_dpsgd_aggregator(mg_dpsgd *d);
mg_grad_clipper mg_dpsgd_clipper(mg_dpsgd *d);
mg_hook mg_dpsgd_hook(mg_dpsgd *d);
void mg_dpsgd_attach(mg_dpsgd *d, mg_estimator *e);

/* What a DP-SGD run did and spent (after or during training). */
typedef struct mg_dpsgd_report {
    double sample_rate, noise_multiplier, max_grad_norm, delta;
    double expected_batch;          /* q N */
    uint64_t steps;                 /* steps taken */
    uint64_t planned_steps;         /* epochs * floor(1 / q) */
    uint64_t allowed_steps;         /* what max_epsilon allows (planned_steps without a cap) */
    double epsilon_rdp, best_order; /* this run alone */
    double epsilon_prv;             /* this run alone, PRV accountant (NaN if not computed) */
    double max_epsilon, target_epsilon;
    int stopped_by_budget; /* training ended because max_epsilon was reached */
    int insecure;
    uint64_t insecure_seed;
} mg_dpsgd_report;

/*
 * Fill *out; with_prv 1 also runs the PRV accountant (slower).
 * Errors: those of the accountants.
 */
int mg_dpsgd_report_get(mg_dpsgd_report *out, const mg_dpsgd *d, int with_prv);

/* The run's event (q, sigma, steps taken), for the ledger. */
mg_privacy_event mg_dpsgd_event(const mg_dpsgd *d);

/*
 * Record the report in the model's training settings as the "dp" object
 * (mg_model_training(m)["dp"]): sample_rate, noise_multiplier,
 * max_grad_norm, delta, steps, epsilon (RDP), best_alpha, epsilon_prv,
 * accountant, noise ("secure" or "insecure-seed") and the seed when
 * insecure. Errors: MG_ENOMEM.
 */
int mg_dpsgd_report_record(const mg_dpsgd_report *r, mg_model *m);

#endif
