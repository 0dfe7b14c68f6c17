/* cmd_serve.c - `modelgov serve`: run the web API until SIGTERM or SIGINT, then stop cleanly. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "mg_buf.h"
#include "mg_error.h"
#include "mg_web.h"

#include <signal.h>
#include <stdio.h>

static int serve_options(mg_server_options *o, const cli_args *a)
{
    size_t n;
    int rc;

    if ((rc = cli_require(a, "store", &o->store_dir)) < 0)
        return rc;
    o->listen = cli_get(a, "listen");
    o->tls_cert = cli_get(a, "tls-cert");
    o->tls_key = cli_get(a, "tls-key");
    o->webhook_allow_any = cli_has(a, "webhook-any-host");
    if ((rc = cli_get_size(a, "threads", 4, &n)) < 0)
        return rc;
    if (n < 1 || n > 256)
        return mg_error_set(MG_EINVAL, "--threads: expected 1..256");
    o->http_threads = (unsigned)n;
    if ((rc = cli_get_size(a, "workers", 2, &n)) < 0)
        return rc;
    if (n < 1 || n > 64)
        return mg_error_set(MG_EINVAL, "--workers: expected 1..64");
    o->job_workers = (unsigned)n;
    if ((rc = cli_get_size(a, "max-body", 0, &o->max_json)) < 0 ||
        (rc = cli_get_size(a, "max-upload", 0, &o->max_upload)) < 0)
        return rc;
    return MG_OK;
}

static int write_port(const char *path, unsigned port)
{
    char text[16];
    int n = snprintf(text, sizeof text, "%u\n", port);
    return mg_file_write_atomic(path, text, (size_t)n, 0644);
}

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    mg_server *s = NULL;
    sigset_t sigs;
    int rc = cli_parse(&a, cli_find("serve"), argc, argv, 1), sig = 0;

    if (rc < 0)
        return cli_fail(rc);
    if (rc > 0)
        return CLI_EXIT_OK;
    if ((rc = serve_options(&o, &a)) < 0)
        return cli_fail(rc);
    /* Block the stop signals before any thread starts, so only sigwait() sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = mg_server_start(&s, &o)) < 0)
        return cli_fail(rc);
    if (cli_get(&a, "port-file") &&
        (rc = write_port(cli_get(&a, "port-file"), mg_server_port(s))) < 0) {
        mg_server_shutdown(s);
        return cli_fail(rc);
    }
    fprintf(stderr, "modelgov: serving %s (store %s); Ctrl-C stops\n", mg_server_url(s),
            o.store_dir);
    sigwait(&sigs, &sig);
    fprintf(stderr, "modelgov: %s: finishing in-flight requests, then stopping\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    mg_server_shutdown(s);
    fprintf(stderr, "modelgov: stopped\n");
    return CLI_EXIT_OK;
}
