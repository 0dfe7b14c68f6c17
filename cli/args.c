/* args.c - the flag parser every subcommand shares; help text from the same table. */
#include "cli.h"
#include "mg_error.h"
#include "mg_log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void stderr_sink(void *ud, mg_log_level level, const char *msg)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    (void)ud;
    fprintf(stderr, "modelgov: %s: %s\n", names[level], msg);
}

static const cli_flag *find_flag(const cli_command *cmd, const char *name, size_t len)
{
    for (const cli_flag *f = cmd->flags; f && f->name; f++)
        if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv, int first)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i], *name, *eq, *value = NULL;
        size_t len;
        const cli_flag *f;

        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (a->npositional == CLI_MAX_ARGS)
                return mg_error_set(MG_EINVAL, "too many arguments");
            a->positional[a->npositional++] = arg;
            continue;
        }
        name = arg + 2;
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 4 && strncmp(name, "help", 4) == 0) {
            cli_print_help(stdout, cmd);
            return 1;
        }
        if (len == 7 && strncmp(name, "verbose", 7) == 0) {
            mg_log_set_sink(stderr_sink, NULL, MG_LOG_DEBUG);
            continue;
        }
        if (len == 6 && strncmp(name, "format", 6) == 0) {
            value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value || (strcmp(value, "json") != 0 && strcmp(value, "table") != 0))
                return mg_error_set(MG_EINVAL, "--format: expected 'json' or 'table'");
            a->json = strcmp(value, "json") == 0;
            continue;
        }
        if (!(f = find_flag(cmd, name, len)))
            return mg_error_set(MG_EINVAL, "unknown flag --%.*s (see 'modelgov %s --help')",
                                (int)len, name, cmd->name);
        if (f->metavar) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return mg_error_set(MG_EINVAL, "--%s: missing value %s", f->name, f->metavar);
        } else {
            if (eq)
                return mg_error_set(MG_EINVAL, "--%s takes no value", f->name);
            value = "";
        }
        for (size_t k = 0; k < a->n; k++)
            if (strcmp(a->names[k], f->name) == 0)
                return mg_error_set(MG_EINVAL, "--%s given twice", f->name);
        if (a->n == CLI_MAX_ARGS)
            return mg_error_set(MG_EINVAL, "too many flags");
        a->names[a->n] = f->name;
        a->values[a->n++] = value;
    }
    return MG_OK;
}

const char *cli_get(const cli_args *a, const char *name)
{
    for (size_t k = 0; k < a->n; k++)
        if (strcmp(a->names[k], name) == 0)
            return a->values[k];
    return NULL;
}

int cli_has(const cli_args *a, const char *name)
{
    return cli_get(a, name) != NULL;
}

int cli_require(const cli_args *a, const char *name, const char **out)
{
    if (!(*out = cli_get(a, name)) || !**out)
        return mg_error_set(MG_EINVAL, "missing required flag --%s (see 'modelgov %s --help')",
                            name, a->cmd->name);
    return MG_OK;
}

int cli_get_double(const cli_args *a, const char *name, double def, double *out)
{
    const char *v = cli_get(a, name);
    char *end;

    *out = def;
    if (!v)
        return MG_OK;
    errno = 0;
    *out = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(*out))
        return mg_error_set(MG_EINVAL, "--%s: '%s' is not a number", name, v);
    return MG_OK;
}

int cli_get_u64(const cli_args *a, const char *name, unsigned long long def,
                unsigned long long *out)
{
    const char *v = cli_get(a, name);
    char *end;

    *out = def;
    if (!v)
        return MG_OK;
    errno = 0;
    if (*v == '-' || !*v || (*out = strtoull(v, &end, 10), *end) || errno)
        return mg_error_set(MG_EINVAL, "--%s: '%s' is not a non-negative integer", name, v);
    return MG_OK;
}

int cli_get_size(const cli_args *a, const char *name, size_t def, size_t *out)
{
    unsigned long long v;
    int rc = cli_get_u64(a, name, def, &v);

    *out = (size_t)v;
    return rc;
}

void cli_print_help(FILE *f, const cli_command *cmd)
{
    fprintf(f, "usage: modelgov %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->flags && cmd->flags->name) {
        fprintf(f, "\nflags:\n");
        for (const cli_flag *fl = cmd->flags; fl->name; fl++) {
            char left[64];
            snprintf(left, sizeof left, "--%s%s%s", fl->name, fl->metavar ? " " : "",
                     fl->metavar ? fl->metavar : "");
            fprintf(f, "  %-28s %s\n", left, fl->help);
        }
    }
    fprintf(f, "\nglobal flags:\n  %-28s %s\n  %-28s %s\n  %-28s %s\n", "--format json|table",
            "machine-readable JSON on stdout, or human tables (default)", "--verbose",
            "log progress and details to stderr", "--help", "show this text");
}

int cli_fail(int rc)
{
    const char *msg = mg_error_last();

    fprintf(stderr, "modelgov: %s\n", *msg ? msg : mg_strerror(rc));
    return mg_error_is_user(rc) ? CLI_EXIT_USER : CLI_EXIT_INTERNAL;
}
