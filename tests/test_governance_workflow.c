/* test_governance_workflow.c - inventory, privacy ledger, and the approval gates of DESIGN §5. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mg_actor alice = {"alice", MG_ROLE_SUBMITTER};
static const mg_actor bob = {"bob", MG_ROLE_REVIEWER};
static const mg_actor carol = {"carol", MG_ROLE_REVIEWER};
static const mg_actor viewer = {"vic", MG_ROLE_VIEWER};
static mg_actor admin;

static const char csv[] = "age,gender,approved\n30,F,yes\n45,M,no\n51,F,yes\n";

static mg_store *fresh(const char *name)
{
    char *dir = tu_path(name);
    mg_store *s = NULL;
    ck_assert_msg(mg_store_init(&s, dir) == MG_OK, "%s", mg_error_last());
    free(dir);
    mg_actor_local(&admin);
    return s;
}

static int64_t add_dataset(mg_store *s, const char *name, const char *bytes)
{
    mg_gov_dataset d = {0};
    mg_gov_result r;
    d.name = name;
    d.data = bytes;
    d.len = strlen(bytes);
    d.owner = "credit-risk team";
    d.domain = "lending";
    d.description = "applications 2024";
    ck_assert_msg(mg_gov_dataset_register(&r, s, &alice, &d) == MG_OK, "%s", mg_error_last());
    return r.id;
}

/* A finished run on `dataset`; privacy_json NULL trains without DP. */
static int64_t add_run(mg_store *s, int64_t dataset, const char *privacy_json, const char *model)
{
    json_t *config = json_pack("{s:s,s:i}", "model", "logistic", "epochs", 5);
    json_t *metrics = json_pack("{s:f}", "accuracy", 0.81);
    json_t *privacy = privacy_json ? json_loads(privacy_json, 0, NULL) : NULL;
    mg_gov_run r = {dataset, config, 7, 1, "modelgov test"};
    mg_gov_run_result o = {0};
    mg_gov_result res;
    int64_t id;

    ck_assert_int_eq(mg_gov_run_start(&res, s, &alice, &r), MG_OK);
    id = res.id;
    o.metrics = metrics;
    o.privacy = privacy;
    o.artifact = model;
    o.artifact_len = strlen(model);
    ck_assert_msg(mg_gov_run_finish(&res, s, &alice, id, &o) == MG_OK, "%s", mg_error_last());
    json_decref(config);
    json_decref(metrics);
    json_decref(privacy);
    return id;
}

static int64_t add_version(mg_store *s, const mg_actor *by, const char *model, const char *bytes,
                           int64_t run)
{
    mg_gov_version v = {0};
    mg_gov_result r;
    v.artifact = bytes;
    v.artifact_len = strlen(bytes);
    v.run_id = run;
    ck_assert_msg(mg_gov_version_register(&r, s, by, model, &v) == MG_OK, "%s", mg_error_last());
    return r.number;
}

static void add_report(mg_store *s, const char *model, int64_t version, const char *kind,
                       const char *doc_json, const char *artifact)
{
    json_t *doc = json_loads(doc_json, 0, NULL);
    mg_gov_report rep = {kind, NULL, doc, artifact, 0};
    mg_gov_result r;
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(mg_gov_report_write(&r, s, &alice, model, version, &rep) == MG_OK, "%s",
                  mg_error_last());
    json_decref(doc);
}

static void create_model(mg_store *s, const char *name, const char *policy_json)
{
    json_t *policy = policy_json ? json_loads(policy_json, 0, NULL) : NULL;
    mg_gov_model m = {name, "credit-risk team", "approves loans", "pre-screening", "high", policy};
    mg_gov_result r;
    ck_assert_msg(mg_gov_model_create(&r, s, policy ? &admin : &alice, &m) == MG_OK, "%s",
                  mg_error_last());
    json_decref(policy);
}

static const json_t *find_gate(const json_t *gates, const char *name)
{
    size_t i;
    json_t *g;
    json_array_foreach(gates, i, g)
        if (strcmp(json_string_value(json_object_get(g, "gate")), name) == 0)
            return g;
    return NULL;
}

static int gate_passed(const json_t *gates, const char *name)
{
    const json_t *g = find_gate(gates, name);
    ck_assert_msg(g != NULL, "no gate %s", name);
    return json_is_true(json_object_get(g, "passed"));
}

#define FAIR "{\"n\":100,\"metrics\":{\"CI\":{\"value\":0.1},\"DI\":{\"value\":0.95}}}"
#define UNFAIR "{\"n\":100,\"metrics\":{\"CI\":{\"value\":0.1},\"DI\":{\"value\":0.7}}}"
#define PRE_ONLY "{\"n\":100,\"metrics\":{\"CI\":{\"value\":0.1},\"DPL\":{\"value\":0.2}}}"
#define EXPLAIN "{\"method\":\"linear\",\"global\":{\"age\":0.4,\"gender\":0.1}}"

START_TEST(test_governance_workflow_dataset_catalog)
{
    mg_store *s = fresh("catalog");
    mg_gov_dataset d = {0};
    mg_gov_result r;
    json_t *got = NULL, *list = NULL, *cols;
    int64_t id = add_dataset(s, "credit-2024", csv);

    /* the same bytes again: refused, naming the existing data set */
    d.name = "again";
    d.data = csv;
    d.len = strlen(csv);
    d.owner = "x";
    ck_assert_int_eq(mg_gov_dataset_register(&r, s, &alice, &d), MG_EEXISTS);
    ck_assert_int_eq(r.id, id);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "credit-2024"));
    ck_assert_int_eq(mg_gov_dataset_register(&r, s, &viewer, &d), MG_EPERM);
    d.data = "a,b\n1,2\n3\n";
    d.len = strlen(d.data);
    ck_assert_int_eq(mg_gov_dataset_register(&r, s, &alice, &d), MG_EPARSE);

    /* the schema as core infers it: 3 columns, 3 rows; age numeric, gender categorical */
    ck_assert_int_eq(mg_gov_dataset_get(&got, s, "1"), MG_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(got, "rows")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(got, "bytes")), (json_int_t)strlen(csv));
    cols = json_object_get(json_object_get(got, "schema"), "columns");
    ck_assert_uint_eq(json_array_size(cols), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cols, 0), "type")),
                     "numeric");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cols, 1), "type")),
                     "categorical");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cols, 1), "levels")), 2);
    /* found by its sha256 too */
    {
        json_t *by_sha = NULL;
        ck_assert_int_eq(mg_gov_dataset_get(&by_sha, s, json_string_value(json_object_get(got, "sha256"))),
                         MG_OK);
        ck_assert_int_eq(json_integer_value(json_object_get(by_sha, "id")), id);
        json_decref(by_sha);
    }
    json_decref(got);

    ck_assert_int_eq(mg_gov_datasets_list(&list, s, "LENDING"), MG_OK); /* LIKE ignores ASCII case */
    ck_assert_uint_eq(json_array_size(list), 1);
    json_decref(list);
    ck_assert_int_eq(mg_gov_datasets_list(&list, s, "100%"), MG_OK); /* % is literal */
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
    ck_assert_int_eq(mg_gov_dataset_get(&got, s, "99"), MG_ENOTFOUND);
    ck_assert_int_eq(mg_gov_dataset_get(&got, s, "zz"), MG_EINVAL);
    mg_store_close(s);
}
END_TEST

/* Opacus's RDP accountant (../shared/reference/privacy/rdp_epsilon.json), through the ledger:
   one run of T steps, and two runs of T1 + T2 = T steps on the same data set (RDP adds up). */
START_TEST(test_governance_workflow_ledger_matches_opacus)
{
    TU_REQUIRE_SHARED(path, "reference/privacy/rdp_epsilon.json");
    json_t *ref = json_load_file(path, 0, NULL), *e, *want = NULL;
    mg_store *s;
    size_t i;

    ck_assert_ptr_nonnull(ref);
    json_array_foreach(json_object_get(ref, "entries"), i, e)
    {
        const char *lib = json_string_value(json_object_get(e, "library"));
        if (lib && strstr(lib, "opacus") && json_integer_value(json_object_get(e, "steps")) == 1000) {
            want = e;
            break;
        }
    }
    ck_assert_ptr_nonnull(want);
    s = fresh("ledger");
    {
        double q = json_number_value(json_object_get(want, "q"));
        double sigma = json_number_value(json_object_get(want, "sigma"));
        double delta = json_number_value(json_object_get(want, "delta"));
        double eps = json_number_value(json_object_get(want, "epsilon"));
        char p1[256], p2[256], p3[256];
        json_t *run = NULL, *ds = NULL;
        int64_t a = add_dataset(s, "one", "x\n1\n"), b = add_dataset(s, "two", "x\n2\n");
        int64_t r1;

        snprintf(p1, sizeof p1, "{\"delta\":%.17g,\"events\":[{\"sample_rate\":%.17g,"
                                "\"noise_multiplier\":%.17g,\"steps\":1000}]}",
                 delta, q, sigma);
        snprintf(p2, sizeof p2, "{\"delta\":%.17g,\"events\":[{\"sample_rate\":%.17g,"
                                "\"noise_multiplier\":%.17g,\"steps\":300}]}",
                 delta, q, sigma);
        snprintf(p3, sizeof p3, "{\"delta\":%.17g,\"events\":[{\"sample_rate\":%.17g,"
                                "\"noise_multiplier\":%.17g,\"steps\":700}]}",
                 delta, q, sigma);
        r1 = add_run(s, a, p1, "model-one");
        ck_assert_int_eq(mg_gov_run_get(&run, s, r1), MG_OK);
        ck_assert_double_eq_tol(
            json_number_value(json_object_get(json_object_get(run, "privacy_ledger"), "epsilon")),
            eps, eps * 1e-9);
        json_decref(run);
        add_run(s, b, p2, "model-two-a");
        add_run(s, b, p3, "model-two-b");
        ck_assert_int_eq(mg_gov_dataset_get(&ds, s, "2"), MG_OK);
        ck_assert_double_eq_tol(
            json_number_value(json_object_get(json_object_get(ds, "privacy_ledger"), "epsilon")),
            eps, eps * 1e-9);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ds, "privacy_ledger"),
                                                            "dp_rows")),
                         2);
        json_decref(ds);
        /* a run without DP makes the data set's spend unbounded */
        add_run(s, b, NULL, "model-two-c");
        ck_assert_int_eq(mg_gov_dataset_get(&ds, s, "2"), MG_OK);
        ck_assert(json_is_null(json_object_get(json_object_get(ds, "privacy_ledger"), "epsilon")));
        ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(ds, "privacy_ledger"),
                                                          "unbounded_runs")),
                          1);
        json_decref(ds);
    }
    json_decref(ref);
    mg_store_close(s);
}
END_TEST

START_TEST(test_governance_workflow_stage_machine)
{
    mg_store *s = fresh("stages");
    mg_gov_result r;
    json_t *gates = NULL, *list = NULL;
    int64_t ds = add_dataset(s, "d", csv), run = add_run(s, ds, NULL, "artifact-1");

    create_model(s, "credit", NULL);
    ck_assert_int_eq(add_version(s, &alice, "credit", "artifact-1", run), 1);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert_str_eq(mg_error_last(),
                     "version 1 of 'credit' is registered; it can move to pending_review, not "
                     "approved");
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &viewer, "credit", 1,
                                               "pending_review", NULL),
                     MG_EPERM);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "credit", 1, "shipped", NULL),
                     MG_EINVAL);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "credit", 1,
                                               "pending_review", "please review"),
                     MG_OK);
    /* alice submits but may not approve: her role is too low */
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "credit", 1, "approved", NULL),
                     MG_EPERM);
    /* bob may, but no reports yet: three gates fail, each named */
    ck_assert_int_eq(mg_gov_version_transition(&r, &gates, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "3 of 4 gates failed"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "bias_report: no post-training bias report"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "explain_report"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "policy.bias.DI"));
    ck_assert(gate_passed(gates, "separation_of_duties"));
    ck_assert(!gate_passed(gates, "bias_report"));
    json_decref(gates);

    /* a pre-training report does not count; an unfair post-training one fails the DI range */
    add_report(s, "credit", 1, "bias", PRE_ONLY, NULL);
    add_report(s, "credit", 1, "explain", EXPLAIN, NULL);
    ck_assert_int_eq(mg_gov_version_transition(&r, &gates, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert(!gate_passed(gates, "bias_report"));
    ck_assert(gate_passed(gates, "explain_report"));
    json_decref(gates);
    add_report(s, "credit", 1, "bias", UNFAIR, NULL);
    ck_assert_int_eq(mg_gov_version_transition(&r, &gates, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "1 of 4 gates failed"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "DI = 0.7 is below the policy minimum 0.8"));
    json_decref(gates);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 1, "rejected",
                                               "DI too low"),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "no other stage"));

    /* version 2, fair: approved, promoted, archived */
    ck_assert_int_eq(add_version(s, &alice, "credit", "artifact-2",
                                 add_run(s, ds, NULL, "artifact-2")),
                     2);
    add_report(s, "credit", 2, "bias", FAIR, NULL);
    add_report(s, "credit", 2, "explain", EXPLAIN, NULL);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "credit", 2,
                                               "pending_review", NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, &gates, s, &bob, "credit", 2, "approved",
                                               "fair enough"),
                     MG_OK);
    ck_assert_uint_eq(json_array_size(gates), 4); /* duties, bias, explain, DI */
    json_decref(gates);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 2, "production", NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 2, "archived", NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_transitions_list(&list, s, "credit", 2), MG_OK);
    ck_assert_uint_eq(json_array_size(list), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "to")), "approved");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "actor")), "bob");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "comment")),
                     "fair enough");
    json_decref(list);
    mg_store_close(s);
}
END_TEST

/* Separation of duties and freshness: reports on another artifact, or one's own version. */
START_TEST(test_governance_workflow_duties_and_freshness)
{
    mg_store *s = fresh("duties");
    mg_gov_result r;
    json_t *gates = NULL, *v = NULL;
    char other[MG_SHA256_HEX];
    int64_t ds = add_dataset(s, "d", csv), run = add_run(s, ds, NULL, "artifact-b");

    create_model(s, "credit", NULL);
    /* bob (a reviewer) submits version 1 himself */
    add_version(s, &bob, "credit", "artifact-b", run);
    ck_assert_int_eq(mg_gov_artifact_put(other, s, "some other model", 16), MG_OK);
    add_report(s, "credit", 1, "bias", FAIR, other);
    add_report(s, "credit", 1, "explain", EXPLAIN, other);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "credit", 1, "pending_review",
                                               NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, &gates, s, &bob, "credit", 1, "approved", NULL),
                     MG_ECONFLICT);
    ck_assert(!gate_passed(gates, "separation_of_duties"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "'bob' submitted this version"));
    ck_assert(!gate_passed(gates, "bias_report"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "computed on another artifact"));
    json_decref(gates);
    ck_assert_int_eq(mg_gov_version_get(&v, s, "credit", 1), MG_OK);
    ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(v, "reports"), 0),
                                            "fresh")));
    json_decref(v);
    /* fresh reports, and carol reviews: approved */
    add_report(s, "credit", 1, "bias", FAIR, NULL);
    add_report(s, "credit", 1, "explain", EXPLAIN, NULL);
    ck_assert_int_eq(mg_gov_version_gates(&gates, s, &carol, "credit", 1), MG_OK);
    ck_assert(json_is_true(json_object_get(gates, "passed")));
    json_decref(gates);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &carol, "credit", 1, "approved", NULL),
                     MG_OK);
    mg_store_close(s);
}
END_TEST

#define DP "{\"delta\":1e-5,\"events\":[{\"sample_rate\":0.01,\"noise_multiplier\":1.1,\"steps\":1000}]}"

/* A DP model: epsilon from the data set's ledger against max_epsilon; a non-DP run on the same data breaks it. */
START_TEST(test_governance_workflow_privacy_gate)
{
    mg_store *s = fresh("privacy");
    mg_gov_result r;
    json_t *gates = NULL, *patch_policy;
    int64_t ds = add_dataset(s, "d", csv), run = add_run(s, ds, DP, "dp-model");
    mg_gov_model patch = {0};
    double eps;

    create_model(s, "dp", "{\"bias\":{\"DI\":{\"min\":0.8,\"max\":1.25}},\"max_epsilon\":100,"
                          "\"metrics\":{\"accuracy\":{\"min\":0.7}}}");
    add_version(s, &alice, "dp", "dp-model", run);
    add_report(s, "dp", 1, "bias", FAIR, NULL);
    add_report(s, "dp", 1, "explain", EXPLAIN, NULL);
    ck_assert_int_eq(mg_gov_version_gates(&gates, s, &bob, "dp", 1), MG_OK);
    ck_assert(json_is_true(json_object_get(gates, "passed")));
    ck_assert(gate_passed(json_object_get(gates, "gates"), "policy.max_epsilon"));
    ck_assert(gate_passed(json_object_get(gates, "gates"), "policy.metrics.accuracy"));
    json_decref(gates);

    /* tighten the budget below the run's epsilon (the ledger knows it): refused */
    {
        json_t *run_json = NULL;
        ck_assert_int_eq(mg_gov_run_get(&run_json, s, run), MG_OK);
        eps = json_number_value(json_object_get(json_object_get(run_json, "privacy_ledger"),
                                                "epsilon"));
        json_decref(run_json);
    }
    ck_assert(eps > 0.1 && isfinite(eps));
    patch_policy = json_pack("{s:f}", "max_epsilon", eps / 2);
    patch.policy = patch_policy;
    ck_assert_int_eq(mg_gov_model_update(&r, s, &alice, "dp", &patch), MG_EPERM);
    ck_assert_int_eq(mg_gov_model_update(&r, s, &admin, "dp", &patch), MG_OK);
    json_decref(patch_policy);
    ck_assert_int_eq(mg_gov_version_gates(&gates, s, &bob, "dp", 1), MG_OK);
    ck_assert(!gate_passed(json_object_get(gates, "gates"), "policy.max_epsilon"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     find_gate(json_object_get(gates, "gates"), "policy.max_epsilon"),
                                     "detail")),
                                 "above the policy maximum"));
    json_decref(gates);

    /* back to a generous budget, then a non-DP run on the same data: no guarantee left */
    patch_policy = json_pack("{s:f}", "max_epsilon", 100.0);
    patch.policy = patch_policy;
    ck_assert_int_eq(mg_gov_model_update(&r, s, &admin, "dp", &patch), MG_OK);
    json_decref(patch_policy);
    add_run(s, ds, NULL, "plain-model");
    ck_assert_int_eq(mg_gov_version_gates(&gates, s, &bob, "dp", 1), MG_OK);
    ck_assert(!gate_passed(json_object_get(gates, "gates"), "policy.max_epsilon"));
    json_decref(gates);
    /* the run's own spend is still within budget */
    patch_policy = json_pack("{s:f,s:s}", "max_epsilon", 100.0, "privacy_scope", "run");
    patch.policy = patch_policy;
    ck_assert_int_eq(mg_gov_model_update(&r, s, &admin, "dp", &patch), MG_OK);
    json_decref(patch_policy);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &alice, "dp", 1, "pending_review",
                                               NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, s, &bob, "dp", 1, "approved", NULL),
                     MG_OK);
    mg_store_close(s);
}
END_TEST

START_TEST(test_governance_workflow_bad_input)
{
    mg_store *s = fresh("bad");
    mg_gov_result r;
    json_t *p = json_loads("{\"bias\":{\"DI\":{\"min\":2,\"max\":1}}}", 0, NULL);
    mg_gov_model m = {"m", "o", NULL, NULL, "high", p};

    ck_assert_int_eq(mg_gov_model_create(&r, s, &admin, &m), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "policy.bias.DI: min 2 is above max 1"));
    json_decref(p);
    p = json_loads("{\"colour\":\"red\"}", 0, NULL);
    m.policy = p;
    ck_assert_int_eq(mg_gov_model_create(&r, s, &admin, &m), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "unknown field 'colour'"));
    json_decref(p);
    m.policy = NULL;
    m.risk_tier = "extreme";
    ck_assert_int_eq(mg_gov_model_create(&r, s, &alice, &m), MG_EINVAL);
    m.risk_tier = NULL;
    m.name = "a/b";
    ck_assert_int_eq(mg_gov_model_create(&r, s, &alice, &m), MG_EINVAL);
    m.name = "m";
    ck_assert_int_eq(mg_gov_model_create(&r, s, &alice, &m), MG_OK);
    ck_assert_int_eq(mg_gov_model_create(&r, s, &alice, &m), MG_EEXISTS);
    {
        mg_gov_version v = {0};
        v.artifact = "x";
        v.artifact_len = 1;
        v.run_id = 42;
        ck_assert_int_eq(mg_gov_version_register(&r, s, &alice, "m", &v), MG_ENOTFOUND);
        ck_assert_str_eq(mg_error_last(), "no run 42");
        v.run_id = 0;
        ck_assert_int_eq(mg_gov_version_register(&r, s, &alice, "nope", &v), MG_ENOTFOUND);
        ck_assert_str_eq(mg_error_last(), "no model 'nope'");
    }
    {
        /* a run that recorded another artifact: refused, both hashes named, nothing logged */
        int64_t run = add_run(s, add_dataset(s, "made", "age,approved\n30,yes\n"), NULL,
                              "the run's model");
        char made[MG_SHA256_HEX], given[MG_SHA256_HEX], want[400];
        uint64_t size0, size1;
        mg_gov_version v = {0};

        ck_assert_int_eq(mg_gov_artifact_put(made, s, "the run's model", 15), MG_OK);
        ck_assert_int_eq(mg_gov_artifact_put(given, s, "another model", 13), MG_OK);
        ck_assert_int_eq(mg_gov_log_size(&size0, s), MG_OK);
        v.artifact = "another model";
        v.artifact_len = 13;
        v.run_id = run;
        ck_assert_int_eq(mg_gov_version_register(&r, s, &alice, "m", &v), MG_ECONFLICT);
        snprintf(want, sizeof want, "model 'm': artifact sha256 %s is not the artifact run %lld "
                                    "made (sha256 %s)",
                 given, (long long)run, made);
        ck_assert_str_eq(mg_error_last(), want);
        ck_assert_int_eq(mg_gov_log_size(&size1, s), MG_OK);
        ck_assert_uint_eq(size1, size0);
        /* the run's own artifact registers */
        v.artifact = "the run's model";
        v.artifact_len = 15;
        ck_assert_msg(mg_gov_version_register(&r, s, &alice, "m", &v) == MG_OK, "%s",
                      mg_error_last());
        ck_assert_str_eq(r.sha256, made);
        ck_assert_int_eq(r.number, 1);
    }
    {
        json_t *doc = json_loads("{\"n\":1}", 0, NULL);
        mg_gov_report rep = {"bias", NULL, doc, NULL, 0};
        ck_assert_int_eq(mg_gov_report_write(&r, s, &alice, "m", 1, &rep), MG_EINVAL);
        ck_assert_ptr_nonnull(strstr(mg_error_last(), "\"metrics\""));
        rep.kind = "vibes";
        ck_assert_int_eq(mg_gov_report_write(&r, s, &alice, "m", 1, &rep), MG_EINVAL);
        json_decref(doc);
    }
    {
        json_t *bad = json_loads("{\"delta\":2,\"events\":[]}", 0, NULL), *cfg = json_object();
        mg_gov_run run = {0};
        mg_gov_run_result o = {0};
        run.dataset_id = add_dataset(s, "d", csv);
        run.config = cfg;
        run.code_version = "t";
        ck_assert_int_eq(mg_gov_run_start(&r, s, &alice, &run), MG_OK);
        o.privacy = bad;
        ck_assert_int_eq(mg_gov_run_finish(&r, s, &alice, r.id, &o), MG_EINVAL);
        ck_assert_ptr_nonnull(strstr(mg_error_last(), "privacy.delta"));
        json_decref(bad);
        json_decref(cfg);
    }
    mg_store_close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_workflow");
    TCase *tc = tcase_create("workflow");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_governance_workflow_dataset_catalog);
    tcase_add_test(tc, test_governance_workflow_ledger_matches_opacus);
    tcase_add_test(tc, test_governance_workflow_stage_machine);
    tcase_add_test(tc, test_governance_workflow_duties_and_freshness);
    tcase_add_test(tc, test_governance_workflow_privacy_gate);
    tcase_add_test(tc, test_governance_workflow_bad_input);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
