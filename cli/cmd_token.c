/* cmd_token.c - `modelgov token create`: a new API token, its secret printed once. */
#include "cli.h"
#include "mg_governance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_token(int argc, char **argv)
{
    char secret[MG_TOKEN_SECRET_MAX] = "";
    const char *dir, *name, *role_text;
    mg_store *s = NULL;
    mg_gov_result res;
    mg_actor local;
    mg_role role;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("token"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if (a.npositional != 1 || strcmp(a.positional[0], "create") != 0)
        return cli_fail(mg_error_set(MG_EINVAL, "token: expected 'create' (see 'modelgov token "
                                                "--help')"));
    if ((rc = cli_require(&a, "store", &dir)) < 0 || (rc = cli_require(&a, "name", &name)) < 0 ||
        (rc = cli_require(&a, "role", &role_text)) < 0)
        return cli_fail(rc);
    if (mg_role_parse(&role, role_text) < 0)
        return cli_fail(mg_error_set(MG_EINVAL, "--role: '%s' is not one of viewer, submitter, "
                                                "reviewer, admin",
                                     role_text));
    mg_actor_local(&local);
    if ((rc = mg_store_open(&s, dir)) < 0 ||
        (rc = mg_gov_token_create(&res, secret, s, &local, name, role)) < 0)
        goto done;
    if (a.json) {
        json_t *out = json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)res.id, "name", name,
                                "role", mg_role_name(role), "secret", secret, "log_index",
                                (json_int_t)res.log_index);
        rc = cli_print_json(out);
        json_decref(out);
    } else {
        printf("token '%s' (%s) created, log entry %lld\n", name, mg_role_name(role),
               (long long)res.log_index);
        printf("secret (shown only now; the store keeps its SHA-256):\n%s\n", secret);
    }
done:
    memset(secret, 0, sizeof secret);
    mg_store_close(s);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
