/* mg_log.h - levelled logging; quiet unless the program asks for more. */
#ifndef MG_LOG_H
#define MG_LOG_H

typedef enum { MG_LOG_ERROR = 0, MG_LOG_WARN = 1, MG_LOG_INFO = 2, MG_LOG_DEBUG = 3 } mg_log_level;

/*
 * Where log lines go. Libraries never print; the program installs a sink
 * (the CLI writes to stderr). With no sink, nothing is written.
 * `ud` is passed back unchanged. Set it once at start-up, before threads.
 */
typedef void (*mg_log_sink)(void *ud, mg_log_level level, const char *msg);
void mg_log_set_sink(mg_log_sink sink, void *ud, mg_log_level max_level);

/* True when a line at `level` would be written (skip building costly messages). */
int mg_log_enabled(mg_log_level level);

/* Format and send one line. Thread-safe; never fails visibly. */
void mg_log(mg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define mg_log_error(...) mg_log(MG_LOG_ERROR, __VA_ARGS__)
#define mg_log_warn(...) mg_log(MG_LOG_WARN, __VA_ARGS__)
#define mg_log_info(...) mg_log(MG_LOG_INFO, __VA_ARGS__)
#define mg_log_debug(...) mg_log(MG_LOG_DEBUG, __VA_ARGS__)

#endif
