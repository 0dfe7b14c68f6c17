/* cli.h - flag parsing, output and exit codes shared by the subcommands. */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of DESIGN §3. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_USER = 1, CLI_EXIT_INTERNAL = 2 };

/* One flag a command accepts. `metavar` NULL means a boolean flag. */
typedef struct cli_flag {
    const char *name; /* without the leading dashes */
    const char *metavar;
    const char *help;
} cli_flag;

/* A subcommand: its flags (terminated by a zeroed entry) and its entry point. */
typedef struct cli_command {
    const char *name;
    const char *usage;   /* one line: the arguments after "modelgov NAME" */
    const char *summary; /* one line for `modelgov help` */
    const cli_flag *flags;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_command;

#define CLI_MAX_ARGS 64

/* The parsed flags of one invocation. */
typedef struct cli_args {
    const cli_command *cmd;
    const char *names[CLI_MAX_ARGS];
    const char *values[CLI_MAX_ARGS]; /* "" for a boolean flag */
    size_t n;
    const char *positional[CLI_MAX_ARGS];
    size_t npositional;
    int json; /* --format json */
} cli_args;

/*
 * Parse argv[first..] against cmd->flags (plus the global --format, --verbose,
 * --help). Returns 0, 1 when --help was printed (exit 0), or a negative MG_E*
 * with the message naming the bad flag.
 */
int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv, int first);

/* The value of --name, or NULL when absent. */
const char *cli_get(const cli_args *a, const char *name);

/* 1 when --name was given. */
int cli_has(const cli_args *a, const char *name);

/* Typed getters: fill *out with the value or `def` when absent. Errors: MG_EINVAL naming the flag.
 */
int cli_get_double(const cli_args *a, const char *name, double def, double *out);
int cli_get_size(const cli_args *a, const char *name, size_t def, size_t *out);
int cli_get_u64(const cli_args *a, const char *name, unsigned long long def,
                unsigned long long *out);

/* Fails with MG_EINVAL "missing required flag --name" when absent. */
int cli_require(const cli_args *a, const char *name, const char **out);

/* Print a command's help text to `f`. */
void cli_print_help(FILE *f, const cli_command *cmd);

/* Print "modelgov: <last error>" to stderr and map the code to an exit code. */
int cli_fail(int rc);

struct json_t;

/*
 * Print `doc` on stdout, indented, with reals in their shortest round-trip
 * form (mg_json_dumps), and a newline. A NULL `doc` (a failed json_pack) is
 * MG_ENOMEM, as is running out of memory while printing.
 */
int cli_print_json(const struct json_t *doc);

/* Every command, terminated by a zeroed entry. */
extern const cli_command cli_commands[];

/* The subcommands, one per file cli/cmd_<name>.c. */
int cmd_init(int argc, char **argv);
int cmd_gen_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_bias(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_privacy(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/* The entry of `cli_commands` named `name`, or NULL. */
const cli_command *cli_find(const char *name);

/* Run the binary: dispatch argv[1] to its command. Returns the exit code. */
int cli_main(int argc, char **argv);

#endif
