/* cmd_gen_data.c - `modelgov gen-data credit`: the synthetic data set. */
#include "cli.h"
#include "mg_credit.h"
#include "mg_error.h"

#include <errno.h>
#include <string.h>

int cmd_gen_data(int argc, char **argv)
{
    mg_credit_options o = MG_CREDIT_OPTIONS_INIT;
    const char *out;
    unsigned long long seed;
    FILE *f = stdout;
    cli_args a;
    int rc;

    if ((rc = cli_parse(&a, cli_find("gen-data"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if (a.npositional != 1 || strcmp(a.positional[0], "credit") != 0)
        return cli_fail(mg_error_set(MG_EINVAL, "gen-data: expected the data set name 'credit'"
                                                " (see 'modelgov gen-data --help')"));
    if ((rc = cli_get_size(&a, "rows", o.rows, &o.rows)) < 0 ||
        (rc = cli_get_u64(&a, "seed", o.seed, &seed)) < 0 ||
        (rc = cli_get_double(&a, "gap", o.gap, &o.gap)) < 0)
        return cli_fail(rc);
    o.seed = seed;
    out = cli_get(&a, "out");
    if (out && !(f = fopen(out, "wb")))
        return cli_fail(mg_error_set_errno(MG_EINVAL, errno, "--out %s", out));
    rc = mg_credit_write(f, out ? out : "stdout", &o);
    if (out && fclose(f) != 0 && rc == MG_OK)
        rc = mg_error_set_errno(MG_EIO, errno, "%s", out);
    if (rc < 0) {
        if (out)
            remove(out);
        return cli_fail(rc);
    }
    return CLI_EXIT_OK;
}
