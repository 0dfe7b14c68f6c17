/* train_dp.c - DP-SGD for training jobs: until privacy's DP-SGD lands, a DP spec is refused. */
#include "train.h"

#include "mg_error.h"

int web_train_dp_attach(web_train_dp **dp_out, struct mg_estimator *e, struct mg_hook *hooks,
                        size_t *nh, const json_t *dp, size_t rows, size_t epochs,
                        const double *prior_rdp)
{
    (void)e;
    (void)hooks;
    (void)nh;
    (void)rows;
    (void)epochs;
    (void)prior_rdp;
    *dp_out = NULL;
    if (dp)
        return mg_error_set(MG_EINVAL, "field 'dp': differential privacy is not in this build");
    return MG_OK;
}

int web_train_dp_finish(web_train_dp *dp, struct mg_estimator *e, json_t *summary, int ok)
{
    (void)dp;
    (void)e;
    (void)summary;
    (void)ok;
    return MG_OK;
}
