/* mg_error.h - one error convention for the whole code base. */
#ifndef MG_ERROR_H
#define MG_ERROR_H

/*
 * Fallible functions return int: MG_OK (0) or one of the negative codes
 * below, after putting a message in this thread's error slot with
 * mg_error_set(). The CLI prints the message verbatim; the web layer maps
 * the code to an HTTP status.
 */
enum {
    MG_OK = 0,
    MG_ERROR = -1,     /* internal error */
    MG_ENOMEM = -2,    /* out of memory */
    MG_EINVAL = -3,    /* invalid argument, flag or option */
    MG_EPARSE = -4,    /* malformed input file or document */
    MG_ENOTFOUND = -5, /* unknown id, column, file */
    MG_EEXISTS = -6,   /* already exists */
    MG_ECONFLICT = -7, /* state does not allow the change */
    MG_ETOOBIG = -8,   /* past a size limit */
    MG_EIO = -9,       /* operating system I/O error */
    MG_EAUTH = -10,    /* missing or bad credentials */
    MG_EPERM = -11,    /* authenticated but not allowed */
    MG_EVERIFY = -12,  /* a signature, hash or proof does not verify */
    MG_ECANCELED = -13 /* work stopped at the caller's request */
};

/*
 * Put a formatted message in this thread's slot and return `code`, so that a
 * failure is one line: return mg_error_set(MG_EINVAL, "--rows: ...");
 * Never allocates; a message longer than the slot is truncated.
 */
int mg_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like mg_error_set() but appends ": strerror(errno_value)". */
int mg_error_set_errno(int code, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The last message set on this thread. Never NULL; "" when none. Borrowed. */
const char *mg_error_last(void);

/* The code of the last mg_error_set() on this thread, MG_OK when cleared. */
int mg_error_code(void);

/* Forget the last error, after handling it and carrying on. */
void mg_error_clear(void);

/* Static text for a code, e.g. "parse error". Never NULL. */
const char *mg_strerror(int code);

/* True for the codes that mean the user's input was at fault (CLI exit 1). */
int mg_error_is_user(int code);

#endif
