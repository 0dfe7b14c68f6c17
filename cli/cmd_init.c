/* cmd_init.c - `modelgov init`: a new store with its first signing key and log entry. */
#include "cli.h"
#include "mg_governance.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_init(int argc, char **argv)
{
    const char *dir;
    mg_store *s = NULL;
    json_t *keys = NULL, *th = NULL;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("init"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if ((rc = cli_require(&a, "store", &dir)) < 0)
        return cli_fail(rc);
    if ((rc = mg_store_init(&s, dir)) < 0 || (rc = mg_gov_keys_list(&keys, s)) < 0 ||
        (rc = mg_gov_tree_head(&th, s)) < 0)
        goto done;
    if (a.json) {
        json_t *out = json_pack("{s:s,s:O,s:O}", "store", dir, "keys", keys, "tree_head", th);
        rc = cli_print_json(out);
        json_decref(out);
    } else {
        printf("initialised store %s\n", dir);
        printf("  signing key  %s (%s/keys/, mode 0600)\n",
               json_string_value(json_object_get(json_array_get(keys, 0), "key_id")), dir);
        printf("  log          %lld entry, tree head %s\n",
               (long long)json_integer_value(json_object_get(th, "size")),
               json_string_value(json_object_get(th, "root")));
    }
done:
    json_decref(keys);
    json_decref(th);
    mg_store_close(s);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
