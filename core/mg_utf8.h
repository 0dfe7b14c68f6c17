/* mg_utf8.h - UTF-8 validation: JSON text must be UTF-8, and not every input is. */
#ifndef MG_UTF8_H
#define MG_UTF8_H

#include <stddef.h>

/*
 * The offset of the first byte of s[0, len) that does not begin a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or len when every byte is part of one. Text that ends up in JSON
 * (a report's column names, an error message quoting a path) is checked with
 * it. Never fails; thread safety: only reads s.
 */
size_t mg_utf8_invalid(const char *s, size_t len);

#endif
