/* utf8.c - UTF-8 validation by the table of well-formed byte sequences (Unicode 15, table 3-7). */
#include "mg_utf8.h"

size_t mg_utf8_invalid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i], lo = 0x80, hi = 0xBF;
        size_t more;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            more = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            more = 3;
        else
            return i; /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
        /* the second byte's range excludes overlongs (E0, F0), surrogates (ED), > U+10FFFF (F4) */
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (len - i <= more || p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= more; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return i;
        i += more + 1;
    }
    return len;
}
