/* cmd_verify.c - `modelgov verify`: re-check a store, or an audit bundle with no store. */
#include "cli.h"
#include "mg_governance.h"

#include <stdio.h>
#include <stdlib.h>

/* Print and release `out` (NULL: out of memory). Errors: MG_ENOMEM. */
static int print_json(json_t *out)
{
    int rc = cli_print_json(out);

    json_decref(out);
    return rc;
}

/*
 * A check that failed (MG_EVERIFY, or MG_EPARSE: a damaged archive) says
 * "verification failed" (after `where`, if any). A bad flag (MG_EINVAL, e.g.
 * --trusted-key naming no key), a missing store or bundle (MG_ENOTFOUND) or
 * an unreadable one (MG_EIO) never got as far as checking and says only what
 * is wrong. An internal error (a table dropped from the database makes SQL
 * fail to prepare) says where checking stopped.
 */
static int fail_verify(int rc, const char *where)
{
    const char *how = rc == MG_EVERIFY || rc == MG_EPARSE ? "verification failed" : NULL;
    char why[900];

    if (rc == MG_EINVAL || rc == MG_ENOTFOUND || rc == MG_EIO)
        return cli_fail(rc);
    snprintf(why, sizeof why, "%s", mg_error_last());
    return cli_fail(mg_error_set(rc, "%s%s%s: %s", where ? where : "", where ? ": " : "",
                                 how ? how : "verification stopped", why));
}

static int verify_store(const cli_args *a, const char *dir, unsigned threads)
{
    mg_gov_verify_summary sum;
    int rc = mg_gov_verify_store(&sum, dir, threads, cli_get(a, "trusted-key"));

    if (rc < 0)
        return fail_verify(rc, dir);
    if (a->json) {
        rc = print_json(json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:i,s:f}", "store", dir, "ok",
                                  1, "entries", (json_int_t)sum.entries, "tree_heads",
                                  (json_int_t)sum.tree_heads, "records", (json_int_t)sum.records,
                                  "key_files", (json_int_t)sum.keys, "artifacts",
                                  (json_int_t)sum.artifacts, "root", sum.root, "threads",
                                  (int)sum.threads, "seconds", sum.seconds));
        return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
    }
    printf("store %s verifies\n", dir);
    printf("  log entries  %llu: positions, canonical JSON, prev chain, leaf hashes, Ed25519 "
           "signatures\n",
           (unsigned long long)sum.entries);
    printf("  tree heads   %llu signed; the latest covers every entry, root %s\n",
           (unsigned long long)sum.tree_heads, sum.root);
    printf("  records      %llu inventory rows match the entries that made them, and each "
           "entry has its rows\n",
           (unsigned long long)sum.records);
    printf("  key files    %llu\n", (unsigned long long)sum.keys);
    printf("  artifacts    %llu files hash to their names\n", (unsigned long long)sum.artifacts);
    printf("  %.3f s on %u signature thread%s (%.0f entries/s)\n", sum.seconds, sum.threads,
           sum.threads == 1 ? "" : "s", sum.seconds > 0 ? (double)sum.entries / sum.seconds : 0);
    return CLI_EXIT_OK;
}

static int verify_bundle(const cli_args *a, const char *path)
{
    json_t *sum = NULL;
    const json_t *th, *st, *r;
    const char *trusted;
    size_t i;
    int rc = mg_gov_verify_bundle(&sum, path, cli_get(a, "trusted-key"));

    if (rc < 0)
        return fail_verify(rc, NULL);
    if (a->json) {
        json_object_set_new(sum, "ok", json_true());
        rc = print_json(sum);
        return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
    }
    th = json_object_get(sum, "tree_head");
    st = json_object_get(sum, "statement");
    trusted = json_string_value(json_object_get(sum, "trusted_key"));
    printf("bundle %s verifies\n", path);
    printf("  version      %s %lld, stage %s, submitted by %s\n",
           json_string_value(json_object_get(sum, "model")),
           (long long)json_number_value(json_object_get(sum, "version")),
           json_string_value(json_object_get(sum, "stage")),
           json_string_value(json_object_get(sum, "submitter")));
    printf("  statement    log entry %lld, signed and in the tree head: these are all %lld of "
           "the version's entries among the log's first %lld\n",
           (long long)json_number_value(json_object_get(st, "index")),
           (long long)json_integer_value(json_object_get(sum, "entries")),
           (long long)json_number_value(json_object_get(st, "index")));
    printf("  log entries  %lld signed, each included in the signed tree head; none missing, none "
           "extra\n",
           (long long)json_integer_value(json_object_get(sum, "entries")));
    printf("  tree head    size %lld, root %s\n",
           (long long)json_number_value(json_object_get(th, "size")),
           json_string_value(json_object_get(th, "root")));
    if (trusted)
        printf("  keys         %zu in the chain from entry 0, whose key %.16s... is the trusted "
               "one\n",
               json_array_size(json_object_get(sum, "keys")), trusted);
    else
        printf("  keys         %zu in the chain from entry 0 (not pinned: see --trusted-key)\n",
               json_array_size(json_object_get(sum, "keys")));
    printf("  artifact     %s\n", json_string_value(json_object_get(sum, "artifact_sha256")));
    json_array_foreach(json_object_get(sum, "reports"), i, r)
        printf("  report       %s %s\n", json_string_value(json_object_get(r, "kind")),
               json_string_value(json_object_get(r, "sha256")));
    json_decref(sum);
    return CLI_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    const char *store, *bundle;
    size_t threads;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("verify"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if ((rc = cli_get_size(&a, "threads", 0, &threads)) < 0)
        return cli_fail(rc);
    store = cli_get(&a, "store");
    bundle = cli_get(&a, "bundle");
    if (!store == !bundle)
        return cli_fail(mg_error_set(MG_EINVAL, "give either --store DIR or --bundle FILE (see "
                                                "'modelgov verify --help')"));
    if (store)
        return verify_store(&a, store, (unsigned)threads);
    return verify_bundle(&a, bundle);
}
