/* test_governance_card.c - PROV lineage graphs and model cards built from the store. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mg_actor alice = {"alice", MG_ROLE_SUBMITTER};
static const mg_actor bob = {"bob", MG_ROLE_REVIEWER};

typedef struct world {
    mg_store *s;
    int64_t ds, other_ds, run;
    char artifact[MG_SHA256_HEX];
} world;

/* data set 1 -> run 1 -> artifact -> credit v1, with a bias report (on data set 2) and an explain report, approved. */
static void build(world *w, const char *name)
{
    char *dir = tu_path(name);
    mg_gov_dataset d = {0}, d2 = {0};
    mg_gov_result r;
    json_t *config = json_pack("{s:s}", "model", "logistic");
    json_t *metrics = json_pack("{s:f,s:f}", "accuracy", 0.8125, "auc", 0.875);
    json_t *bias = json_loads("{\"n\":3,\"label\":{\"name\":\"approved\"},\"facet\":{\"name\":"
                              "\"gender\"},\"metrics\":{\"DI\":{\"value\":0.9},\"DPPL\":{\"value\""
                              ":0.05}}}",
                              0, NULL);
    json_t *expl = json_loads("{\"method\":\"linear\",\"global\":{\"age\":0.4,\"gender\":0.1,"
                              "\"income\":0.7}}",
                              0, NULL);
    mg_gov_run run = {0, config, 3, 1, "test"};
    mg_gov_run_result out = {0};
    mg_gov_model m = {"credit", "risk team", "scores loan applications",
                      "pre-screening | second look by a person", "high", NULL};
    mg_gov_version v = {0};
    mg_gov_report rb = {"bias", NULL, bias, NULL, 0}, re = {"explain", NULL, expl, NULL, 0};

    ck_assert_int_eq(mg_store_init(&w->s, dir), MG_OK);
    d.name = "apps";
    d.data = "age,gender,approved\n30,F,yes\n";
    d.len = strlen(d.data);
    d.owner = "risk";
    ck_assert_int_eq(mg_gov_dataset_register(&r, w->s, &alice, &d), MG_OK);
    w->ds = r.id;
    d2 = d;
    d2.name = "holdout";
    d2.data = "age,gender,approved\n41,M,no\n";
    d2.len = strlen(d2.data);
    ck_assert_int_eq(mg_gov_dataset_register(&r, w->s, &alice, &d2), MG_OK);
    w->other_ds = r.id;
    run.dataset_id = w->ds;
    ck_assert_int_eq(mg_gov_run_start(&r, w->s, &alice, &run), MG_OK);
    w->run = r.id;
    out.metrics = metrics;
    out.artifact = "model bytes";
    out.artifact_len = 11;
    ck_assert_int_eq(mg_gov_run_finish(&r, w->s, &alice, w->run, &out), MG_OK);
    snprintf(w->artifact, sizeof w->artifact, "%s", r.sha256);
    ck_assert_int_eq(mg_gov_model_create(&r, w->s, &alice, &m), MG_OK);
    v.artifact = "model bytes";
    v.artifact_len = 11;
    v.run_id = w->run;
    ck_assert_int_eq(mg_gov_version_register(&r, w->s, &alice, "credit", &v), MG_OK);
    ck_assert_str_eq(r.sha256, w->artifact); /* the run's artifact is the version's */
    rb.dataset_id = w->other_ds;
    ck_assert_int_eq(mg_gov_report_write(&r, w->s, &alice, "credit", 1, &rb), MG_OK);
    ck_assert_int_eq(mg_gov_report_write(&r, w->s, &alice, "credit", 1, &re), MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, w->s, &alice, "credit", 1,
                                               "pending_review", NULL),
                     MG_OK);
    ck_assert_int_eq(mg_gov_version_transition(&r, NULL, w->s, &bob, "credit", 1, "approved",
                                               "looks fair | ok"),
                     MG_OK);
    json_decref(config);
    json_decref(metrics);
    json_decref(bias);
    json_decref(expl);
    free(dir);
}

static int has_node(const json_t *g, const char *id, const char *prov)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(g, "nodes"), i, n)
        if (strcmp(json_string_value(json_object_get(n, "id")), id) == 0)
            return strcmp(json_string_value(json_object_get(n, "prov")), prov) == 0;
    return 0;
}

static int has_edge(const json_t *g, const char *from, const char *rel, const char *to)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(g, "edges"), i, e)
        if (strcmp(json_string_value(json_object_get(e, "from")), from) == 0 &&
            strcmp(json_string_value(json_object_get(e, "relation")), rel) == 0 &&
            strcmp(json_string_value(json_object_get(e, "to")), to) == 0)
            return 1;
    return 0;
}

START_TEST(test_governance_card_lineage_of_version)
{
    world w;
    json_t *g = NULL;
    char art[128];

    build(&w, "lin-version");
    snprintf(art, sizeof art, "artifact:%s", w.artifact);
    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "version", "credit:1"), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(g, "root")), "version:credit:1");
    ck_assert(has_node(g, "version:credit:1", "entity"));
    ck_assert(has_node(g, art, "entity"));
    ck_assert(has_node(g, "run:1", "activity"));
    ck_assert(has_node(g, "dataset:1", "entity"));
    ck_assert(has_node(g, "agent:alice", "agent"));
    ck_assert(has_node(g, "agent:bob", "agent"));
    /* what produced it: data -> run -> artifact -> version */
    ck_assert(has_edge(g, "run:1", "used", "dataset:1"));
    ck_assert(has_edge(g, art, "wasGeneratedBy", "run:1"));
    ck_assert(has_edge(g, "version:credit:1", "wasGeneratedBy", "run:1"));
    ck_assert(has_edge(g, "version:credit:1", "wasDerivedFrom", art));
    ck_assert(has_edge(g, "run:1", "wasAssociatedWith", "agent:alice"));
    /* its evidence and the decision */
    ck_assert(has_edge(g, "report:1", "wasGeneratedBy", "report_job:1"));
    ck_assert(has_edge(g, "report_job:1", "used", art));
    ck_assert(has_edge(g, "report_job:1", "used", "dataset:2"));
    ck_assert(has_edge(g, "transition:2", "used", "version:credit:1"));
    ck_assert(has_edge(g, "transition:2", "wasAssociatedWith", "agent:bob"));
    json_decref(g);

    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "version", "credit:9"), MG_ENOTFOUND);
    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "version", "credit"), MG_EINVAL);
    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "planet", "1"), MG_EINVAL);
    mg_store_close(w.s);
}
END_TEST

START_TEST(test_governance_card_lineage_of_dataset)
{
    world w;
    json_t *g = NULL;
    char art[128];

    build(&w, "lin-data");
    snprintf(art, sizeof art, "artifact:%s", w.artifact);
    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "dataset", "1"), MG_OK);
    /* produced from data set 1: the run, its artifact, the version, the version's reports */
    ck_assert(has_edge(g, "run:1", "used", "dataset:1"));
    ck_assert(has_edge(g, art, "wasGeneratedBy", "run:1"));
    ck_assert(has_node(g, "version:credit:1", "entity"));
    ck_assert(has_node(g, "report:2", "entity"));
    json_decref(g);
    /* data set 2 only fed the bias report */
    ck_assert_int_eq(mg_gov_lineage(&g, w.s, "dataset", "2"), MG_OK);
    ck_assert(has_edge(g, "report_job:1", "used", "dataset:2"));
    ck_assert(!has_node(g, "run:1", "activity"));
    ck_assert(!has_node(g, "version:credit:1", "entity"));
    json_decref(g);
    mg_store_close(w.s);
}
END_TEST

START_TEST(test_governance_card_json_and_markdown)
{
    world w;
    json_t *card = NULL, *f;
    mg_buf md = MG_BUF_INIT;

    build(&w, "card");
    ck_assert_int_eq(mg_gov_card(&card, w.s, "credit", 1), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(card, "version"), "stage")),
                     "approved");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(card, "training_data"),
                                                       "name")),
                     "apps");
    ck_assert_double_eq(json_number_value(json_object_get(json_object_get(card, "metrics"),
                                                          "accuracy")),
                        0.8125);
    ck_assert_double_eq(json_number_value(json_object_get(
                            json_object_get(json_object_get(card, "bias"), "metrics"), "DI")),
                        0.9);
    /* importance 0.7 > 0.4 > 0.1: income, age, gender */
    f = json_object_get(json_object_get(card, "top_features"), "features");
    ck_assert_uint_eq(json_array_size(f), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f, 0), "column")), "income");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(f, 2), "column")), "gender");
    ck_assert(json_is_false(json_object_get(json_object_get(card, "privacy"),
                                            "differentially_private")));
    ck_assert_uint_eq(json_array_size(json_object_get(card, "approval_history")), 2);
    /* version.register, 2 x report.write, 2 x version.transition */
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(card, "evidence"),
                                                      "log_entries")),
                      5);

    ck_assert_int_eq(mg_gov_card_markdown(&md, card), MG_OK);
    ck_assert_ptr_nonnull(strstr(md.ptr, "# Model card: credit, version 1\n"));
    ck_assert_ptr_nonnull(strstr(md.ptr, "| stage | approved |"));
    ck_assert_ptr_nonnull(strstr(md.ptr, "| income | 0.7 |"));
    ck_assert_ptr_nonnull(strstr(md.ptr, "| DI | 0.9 |"));
    ck_assert_ptr_nonnull(strstr(md.ptr, "No differential-privacy guarantee"));
    ck_assert_ptr_nonnull(strstr(md.ptr, "looks fair \\| ok")); /* a pipe cannot break the table */
    ck_assert_ptr_nonnull(strstr(md.ptr, "pre-screening | second look")); /* prose keeps it */
    mg_buf_free(&md);
    json_decref(card);
    ck_assert_int_eq(mg_gov_card(&card, w.s, "credit", 2), MG_ENOTFOUND);
    mg_store_close(w.s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_card");
    TCase *tc = tcase_create("card");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_governance_card_lineage_of_version);
    tcase_add_test(tc, test_governance_card_lineage_of_dataset);
    tcase_add_test(tc, test_governance_card_json_and_markdown);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
