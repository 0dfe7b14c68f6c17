/* utf8.h - UTF-8 validation (internal to core). */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/*
 * The offset of the first byte of s[0, len) that does not begin a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or len when every byte is part of one. JSON text must be UTF-8,
 * so text that ends up in a report is checked on the way in.
 */
size_t utf8_invalid(const char *s, size_t len);

#endif
