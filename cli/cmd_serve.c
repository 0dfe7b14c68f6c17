/* cmd_serve.c - `modelgov serve`: flags and help only until its library lands. */
#include "cli.h"

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&a, cli_find("serve"), argc, argv, 1);

    if (rc < 0)
        return cli_fail(rc);
    if (rc > 0)
        return CLI_EXIT_OK;
    return cli_not_available("serve");
}
