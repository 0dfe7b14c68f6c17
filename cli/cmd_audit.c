/* cmd_audit.c - `modelgov audit export`: one version's audit bundle, verifiable with no store. */
#include "cli.h"
#include "mg_governance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_audit(int argc, char **argv)
{
    const char *dir, *model, *out;
    unsigned long long version;
    json_t *sum = NULL;
    mg_store *s = NULL;
    mg_actor local;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("audit"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if (a.npositional != 1 || strcmp(a.positional[0], "export") != 0)
        return cli_fail(mg_error_set(MG_EINVAL, "audit: expected 'export' (see 'modelgov audit "
                                                "--help')"));
    if ((rc = cli_require(&a, "store", &dir)) < 0 || (rc = cli_require(&a, "model", &model)) < 0 ||
        (rc = cli_require(&a, "out", &out)) < 0 ||
        (rc = cli_get_u64(&a, "version", 0, &version)) < 0)
        return cli_fail(rc);
    if (version == 0)
        return cli_fail(mg_error_set(MG_EINVAL, "missing required flag --version (a number from "
                                                "1)"));
    mg_actor_local(&local);
    if ((rc = mg_store_open(&s, dir)) < 0 ||
        (rc = mg_gov_audit_export(&sum, s, &local, model, (int64_t)version, out)) < 0)
        goto done;
    if (a.json) {
        rc = cli_print_json(sum);
    } else {
        const json_t *th = json_object_get(sum, "tree_head");
        const json_t *st = json_object_get(sum, "statement");
        printf("wrote %s (%lld bytes): %s version %llu\n", out,
               (long long)json_integer_value(json_object_get(sum, "bytes")), model, version);
        printf("  statement    log entry %lld: these are all %zu of %s %llu's entries among the "
               "log's first %lld (stage %s)\n",
               (long long)json_integer_value(json_object_get(st, "index")),
               json_array_size(json_object_get(sum, "entries")), model, version,
               (long long)json_integer_value(json_object_get(st, "index")),
               json_string_value(json_object_get(st, "stage")));
        printf("  log entries  %zu, each with its inclusion proof\n",
               json_array_size(json_object_get(sum, "entries")));
        printf("  tree head    size %lld, root %s, signed by key %.16s...\n",
               (long long)json_integer_value(json_object_get(th, "size")),
               json_string_value(json_object_get(th, "root")),
               json_string_value(json_object_get(th, "key_id")));
        printf("  keys         %zu   artifacts %zu   reports %zu\n",
               json_array_size(json_object_get(sum, "keys")),
               json_array_size(json_object_get(sum, "artifacts")),
               json_array_size(json_object_get(sum, "reports")));
        printf("check it anywhere with: modelgov verify --bundle %s\n", out);
    }
done:
    json_decref(sum);
    mg_store_close(s);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
