/* governance_fixture.h - a small store with one of everything, for the governance suites. */
#ifndef GOVERNANCE_FIXTURE_H
#define GOVERNANCE_FIXTURE_H

#include "mg_governance.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The entries the fixture writes, in order (the tamper tests name them):
 *   0 store.init          (local)     7 report.write explain  (alice)
 *   1 dataset.register    (alice)     8 version.transition    (alice) -> pending_review
 *   2 run.start           (alice)     9 version.transition    (bob)   -> approved
 *   3 run.finish          (alice)    10 key.rotate            (local)
 *   4 model.create        (alice)    11 version.comment       (bob)
 *   5 version.register    (alice)    12 token.create          (local)
 *   6 report.write bias   (alice)
 */
#define FIXTURE_ENTRIES 13

typedef struct fixture {
    char artifact[MG_SHA256_HEX];    /* credit v1's model artifact */
    char bias_report[MG_SHA256_HEX]; /* its bias report document */
    char dataset[MG_SHA256_HEX];
    char first_key[MG_SHA256_HEX];
} fixture;

static inline void fixture_build(fixture *fx, const char *dir)
{
    static const mg_actor alice = {"alice", MG_ROLE_SUBMITTER};
    static const mg_actor bob = {"bob", MG_ROLE_REVIEWER};
    mg_actor local;
    mg_store *s = NULL;
    mg_gov_dataset d = {0};
    mg_gov_result r;
    json_t *config = json_pack("{s:s,s:i}", "model", "logistic", "epochs", 3);
    json_t *metrics = json_pack("{s:f}", "accuracy", 0.84);
    json_t *bias = json_loads("{\"n\":4,\"facet\":{\"name\":\"gender\"},\"metrics\":{\"DI\":"
                              "{\"value\":0.92},\"DPPL\":{\"value\":0.03}}}",
                              0, NULL);
    json_t *expl = json_loads("{\"method\":\"linear\",\"global\":{\"age\":0.3,\"income\":0.6}}",
                              0, NULL);
    json_t *keys = NULL;
    mg_gov_run run = {0, config, 11, 1, "fixture"};
    mg_gov_run_result out = {0};
    mg_gov_model m = {"credit", "risk team", "scores applications", "pre-screening", "high", NULL};
    mg_gov_version v = {0};
    mg_gov_report rb = {"bias", NULL, bias, NULL, 0}, re = {"explain", NULL, expl, NULL, 0};
    char secret[MG_TOKEN_SECRET_MAX];
    static const char model_bytes[] = "{\"format\":\"mgm/1\",\"weights\":[0.25,-1.5]}";

    mg_actor_local(&local);
    ck_assert_msg(mg_store_init(&s, dir) == MG_OK, "%s", mg_error_last());
    d.name = "applications";
    d.data = "age,income,approved\n30,41.5,yes\n45,22,no\n";
    d.len = strlen(d.data);
    d.owner = "risk team";
    ck_assert_int_eq(mg_gov_dataset_register(&r, s, &alice, &d), MG_OK);
    snprintf(fx->dataset, sizeof fx->dataset, "%s", r.sha256);
    run.dataset_id = r.id;
    ck_assert_int_eq(mg_gov_run_start(&r, s, &alice, &run), MG_OK);
    out.metrics = metrics;
    out.artifact = model_bytes;
    out.artifact_len = strlen(model_bytes);
    ck_assert_int_eq(mg_gov_run_finish(&r, s, &alice, r.id, &out), MG_OK);
    ck_assert_int_eq(mg_gov_model_create(&r, s, &alice, &m), MG_OK);
    v.artifact = model_bytes;
    v.artifact_len = strlen(model_bytes);
    v.run_id = 1;
    ck_assert_int_eq(mg_gov_version_register(&r, s, &alice, "credit", &v), MG_OK);
    snprintf(fx->artifact, sizeof fx->artifact, "%s", r.sha256);
    ck_assert_int_eq(mg_gov_report_write(&r, s, &alice, "credit", 1, &rb), MG_OK);
    snprintf(fx->bias_report, sizeof fx->bias_report, "%s", r.sha256);
    ck_assert_int_eq(mg_gov_report_write(&r, s, &alice, "credit", 1, &re), MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "credit", 1, "pending_review",
                                               "ready"),
                     MG_OK);
    ck_assert_msg(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 1, "approved", "ok") ==
                      MG_OK,
                  "%s", mg_error_last());
    ck_assert_int_eq(mg_gov_keys_list(&keys, s), MG_OK);
    snprintf(fx->first_key, sizeof fx->first_key, "%s",
             json_string_value(json_object_get(json_array_get(keys, 0), "key_id")));
    json_decref(keys);
    ck_assert_int_eq(mg_gov_key_rotate(&r, s, &local), MG_OK);
    ck_assert_int_eq(mg_gov_version_comment(&r, s, &bob, "credit", 1, "watch DI monthly"), MG_OK);
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "carol", MG_ROLE_VIEWER), MG_OK);
    ck_assert_int_eq(r.log_index, FIXTURE_ENTRIES - 1);
    mg_store_close(s);
    json_decref(config);
    json_decref(metrics);
    json_decref(bias);
    json_decref(expl);
}

/*
 * fixture_build() and then, for the checks that need them, the kinds of
 * entries it lacks: a revocation, model updates, a DP run and a version
 * made by it with metrics of its own, a failed run and one still running:
 *  13 token.create dave   (local)    18 version.register credit 2 from run 2 (alice)
 *  14 token.revoke dave   (local)    19 model.update credit: owner, risk tier (alice)
 *  15 model.update credit (alice)    20 run.start  run 3    (alice)
 *  16 run.start  DP       (alice)    21 run.finish run 3 failed, no privacy: no ledger row
 *  17 run.finish DP       (alice),   22 run.start  run 4, never finished (alice)
 *     its privacy_ledger row 2
 */
#define FIXTURE_MORE_ENTRIES 23

static inline void fixture_build_more(fixture *fx, const char *dir)
{
    static const mg_actor alice = {"alice", MG_ROLE_SUBMITTER};
    static const char model_bytes[] = "{\"format\":\"mgm/1\",\"weights\":[0.5,-1.25]}";
    mg_actor local;
    mg_store *s = NULL;
    mg_gov_result r;
    json_t *config = json_pack("{s:s,s:i,s:{s:f}}", "model", "logistic", "epochs", 3, "dp",
                               "max_grad_norm", 1.0);
    json_t *run_metrics = json_pack("{s:f}", "accuracy", 0.8);
    json_t *metrics = json_pack("{s:f,s:f}", "accuracy", 0.79, "auc", 0.85);
    json_t *privacy = json_loads("{\"delta\":1e-5,\"epsilon\":2.5,\"events\":[{\"sample_rate\":"
                                 "0.01,\"noise_multiplier\":1.1,\"steps\":1000}]}",
                                 0, NULL);
    mg_gov_run run = {1, config, 12, 1, "fixture"};
    mg_gov_run_result out = {0};
    mg_gov_model patch = {0};
    mg_gov_version v = {0};
    char secret[MG_TOKEN_SECRET_MAX];

    fixture_build(fx, dir);
    mg_actor_local(&local);
    ck_assert_msg(mg_store_open(&s, dir) == MG_OK, "%s", mg_error_last());
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "dave", MG_ROLE_REVIEWER), MG_OK);
    ck_assert_int_eq(mg_gov_token_revoke(&r, s, &local, "dave"), MG_OK);
    patch.description = "scores applications, monthly refit";
    ck_assert_msg(mg_gov_model_update(&r, s, &alice, "credit", &patch) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_int_eq(mg_gov_run_start(&r, s, &alice, &run), MG_OK);
    out.metrics = run_metrics;
    out.privacy = privacy;
    out.artifact = model_bytes;
    out.artifact_len = strlen(model_bytes);
    ck_assert_msg(mg_gov_run_finish(&r, s, &alice, r.id, &out) == MG_OK, "%s", mg_error_last());
    v.artifact = model_bytes;
    v.artifact_len = strlen(model_bytes);
    v.run_id = r.id;
    v.metrics = metrics;
    ck_assert_msg(mg_gov_version_register(&r, s, &alice, "credit", &v) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_int_eq(r.number, 2);
    patch.description = NULL;
    patch.owner = "model risk office";
    patch.risk_tier = "medium";
    ck_assert_msg(mg_gov_model_update(&r, s, &alice, "credit", &patch) == MG_OK, "%s",
                  mg_error_last());
    run.has_seed = 0;
    ck_assert_int_eq(mg_gov_run_start(&r, s, &alice, &run), MG_OK);
    memset(&out, 0, sizeof out);
    out.failed = 1;
    out.metrics = run_metrics;
    ck_assert_msg(mg_gov_run_finish(&r, s, &alice, r.id, &out) == MG_OK, "%s", mg_error_last());
    ck_assert_int_eq(mg_gov_run_start(&r, s, &alice, &run), MG_OK);
    ck_assert_int_eq(r.id, 4);
    ck_assert_int_eq(r.log_index, FIXTURE_MORE_ENTRIES - 1);
    mg_store_close(s);
    json_decref(config);
    json_decref(run_metrics);
    json_decref(metrics);
    json_decref(privacy);
}

#endif
