/* train_dp.c - DP-SGD for training jobs: privacy's sampler, aggregator and budget hook. */
#include "train.h"

#include "mg_error.h"
#include "mg_estimator.h"
#include "mg_privacy.h"

#include <math.h>
#include <stdlib.h>

struct web_train_dp {
    mg_dpsgd *d;
};

int web_train_dp_attach(web_train_dp **dp_out, mg_estimator *e, mg_hook *hooks, size_t *nh,
                        const json_t *dp, size_t rows, size_t epochs, const double *prior_rdp)
{
    mg_dpsgd_options o = MG_DPSGD_OPTIONS_INIT;
    web_train_dp *w;
    int rc;

    *dp_out = NULL;
    if (!dp)
        return MG_OK;
    if (!rows)
        return mg_error_set(MG_EINVAL, "field 'dp': no training rows");
    /* Opacus's convention: q = batch size / rows unless given */
    o.sample_rate = web_json_num(dp, "sample_rate",
                        fmin(1.0, (double)mg_estimator_options(e)->batch_size / (double)rows));
    o.max_grad_norm = web_json_num(dp, "max_grad_norm", 0);
    o.noise_multiplier = web_json_num(dp, "noise_multiplier", 0);
    o.target_epsilon = web_json_num(dp, "target_epsilon", 0);
    o.delta = web_json_num(dp, "delta", 0);
    o.max_epsilon = web_json_num(dp, "max_epsilon", 0);
    if (!(w = calloc(1, sizeof *w)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = mg_dpsgd_create(&w->d, &o, rows, epochs, prior_rdp)) < 0) {
        free(w);
        return rc;
    }
    mg_dpsgd_attach(w->d, e);
    hooks[(*nh)++] = mg_dpsgd_hook(w->d);
    *dp_out = w;
    return MG_OK;
}

int web_train_dp_finish(web_train_dp *dp, mg_estimator *e, json_t *summary, int ok)
{
    mg_dpsgd_report r;
    int rc = MG_OK;

    if (!dp)
        return MG_OK;
    if (ok && (rc = mg_dpsgd_report_get(&r, dp->d, 0)) == MG_OK &&
        (rc = mg_dpsgd_report_record(&r, mg_estimator_model_mut(e))) == MG_OK) {
        json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:b}", "sample_rate",
                              r.sample_rate, "noise_multiplier", r.noise_multiplier,
                              "max_grad_norm", r.max_grad_norm, "delta", r.delta, "steps",
                              (json_int_t)r.steps, "epsilon", r.epsilon_rdp, "best_alpha",
                              r.best_order, "stopped_by_budget", r.stopped_by_budget);
        if (!j)
            rc = mg_error_set(MG_ENOMEM, "out of memory");
        else
            json_object_set_new(summary, "dp", j);
    }
    mg_dpsgd_free(dp->d);
    free(dp);
    return rc;
}
