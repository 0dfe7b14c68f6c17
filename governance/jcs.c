/* jcs.c - RFC 8785 JSON Canonicalization Scheme over jansson values. */
#include "mg_governance.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512
#define SAFE_INTEGER 9007199254740992LL /* 2^53: I-JSON's exact range (RFC 7493 §2.2) */

/* Walks a UTF-8 string as UTF-16 code units (RFC 8785 §3.2.3 sorts by them). */
typedef struct utf16_iter {
    const unsigned char *p, *end;
    unsigned pending; /* low surrogate still to return, or 0 */
} utf16_iter;

/* The next code unit, or -1 at the end. jansson guarantees valid UTF-8. */
static long utf16_next(utf16_iter *it)
{
    unsigned cp, c;
    int extra;

    if (it->pending) {
        cp = it->pending;
        it->pending = 0;
        return (long)cp;
    }
    if (it->p >= it->end)
        return -1;
    c = *it->p++;
    if (c < 0x80)
        return (long)c;
    extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    cp = c & (0x3Fu >> extra);
    while (extra-- > 0 && it->p < it->end)
        cp = (cp << 6) | (*it->p++ & 0x3Fu);
    if (cp < 0x10000)
        return (long)cp;
    cp -= 0x10000;
    it->pending = 0xDC00 + (cp & 0x3FF);
    return (long)(0xD800 + (cp >> 10));
}

typedef struct member {
    const char *key;
    size_t len;
    json_t *value;
} member;

static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;
    utf16_iter i = {(const unsigned char *)x->key, (const unsigned char *)x->key + x->len, 0};
    utf16_iter j = {(const unsigned char *)y->key, (const unsigned char *)y->key + y->len, 0};

    for (;;) {
        long u = utf16_next(&i), v = utf16_next(&j);
        if (u != v)
            return u < v ? -1 : 1;
        if (u < 0)
            return 0;
    }
}

/* JSON.stringify's string quoting (ECMA-262 QuoteJSONString), as RFC 8785 §3.2.2.2 asks. */
static int put_string(mg_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the bytes copied as they are */
    int rc;

    if ((rc = mg_buf_grow(out, len + 2)) < 0 || (rc = mg_buf_putc(out, '"')) < 0)
        return rc;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if ((rc = mg_buf_put(out, s + run, i - run)) < 0 || (rc = mg_buf_put(out, esc, n)) < 0)
            return rc;
        run = i + 1;
    }
    if ((rc = mg_buf_put(out, s + run, len - run)) < 0)
        return rc;
    return mg_buf_putc(out, '"');
}

/* Does s x 10^exp read back as exactly v? */
static int round_trips(long long s, int exp, double v)
{
    char text[48];

    snprintf(text, sizeof text, "%llde%d", s, exp);
    return strtod(text, NULL) == v;
}

/*
 * The shortest decimal digits (no trailing zeros) and exponent n with
 * v = 0.digits x 10^n that read back as v, the closest such when several have
 * that length (ECMA-262 Number::toString step 5). v is finite and > 0.
 * printf's %.*e rounds correctly, so the p-digit candidate nearest v comes
 * first; its neighbours cover the rare case where the rounding interval is
 * lopsided (v a power of two) and the nearest p-digit value falls outside it.
 * 17 digits always round-trip a double (IEEE 754-2008 §5.12.2).
 */
static void shortest_digits(char digits[24], int *n, double v)
{
    char text[48], *e;
    long long s = 0;
    int exp = 0;

    for (int p = 1; p <= 17; p++) {
        snprintf(text, sizeof text, "%.*e", p - 1, v);
        e = strchr(text, 'e');
        exp = atoi(e + 1) - (p - 1);
        s = 0;
        for (const char *c = text; c < e; c++)
            if (*c != '.')
                s = s * 10 + (*c - '0');
        if (round_trips(s, exp, v))
            break;
        if (round_trips(s - 1, exp, v)) {
            s--;
            break;
        }
        if (round_trips(s + 1, exp, v)) {
            s++;
            break;
        }
    }
    snprintf(digits, 24, "%lld", s);
    *n = exp + (int)strlen(digits);
    for (size_t k = strlen(digits); k > 1 && digits[k - 1] == '0'; k--)
        digits[k - 1] = '\0';
}

int mg_jcs_number(char out[MG_JCS_NUMBER_MAX], double v)
{
    char digits[24], *o = out;
    int n, k;

    if (!isfinite(v))
        return mg_error_set(MG_EINVAL, "JSON number %s is not allowed in canonical JSON",
                            isnan(v) ? "NaN" : "Infinity");
    if (v == 0) { /* also -0 (ECMA-262 Number::toString step 2) */
        strcpy(out, "0");
        return MG_OK;
    }
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    if (v < 9007199254740992.0 && v == (double)(long long)v) {
        /* an integer below 2^53: its digits exactly, as Number::toString writes them */
        snprintf(o, MG_JCS_NUMBER_MAX - 1, "%lld", (long long)v);
        return MG_OK;
    }
    shortest_digits(digits, &n, v);
    k = (int)strlen(digits);
    if (k <= n && n <= 21) { /* 1e21 > every such value: digits then zeros */
        o += sprintf(o, "%s", digits);
        for (int z = 0; z < n - k; z++)
            *o++ = '0';
        *o = '\0';
    } else if (0 < n && n <= 21) {
        sprintf(o, "%.*s.%s", n, digits, digits + n);
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -n; z++)
            *o++ = '0';
        sprintf(o, "%s", digits);
    } else {
        int e = n - 1;
        size_t left = MG_JCS_NUMBER_MAX - (size_t)(o - out);
        if (k == 1)
            snprintf(o, left, "%se%c%d", digits, e < 0 ? '-' : '+', abs(e));
        else
            snprintf(o, left, "%c.%se%c%d", digits[0], digits + 1, e < 0 ? '-' : '+', abs(e));
    }
    return MG_OK;
}

static int put_value(mg_buf *out, const json_t *v, int depth);

static int put_object(mg_buf *out, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    member *m = NULL;
    const char *key;
    size_t key_len;
    json_t *value;
    int rc = MG_OK;

    if (n && !(m = calloc(n, sizeof *m)))
        return mg_error_set(MG_ENOMEM, "canonical JSON: out of memory");
    json_object_keylen_foreach((json_t *)v, key, key_len, value)
    {
        m[i].key = key;
        m[i].len = key_len;
        m[i++].value = value;
    }
    if (n)
        qsort(m, n, sizeof *m, member_cmp);
    if ((rc = mg_buf_putc(out, '{')) < 0)
        goto done;
    for (i = 0; i < n; i++) {
        if ((i && (rc = mg_buf_putc(out, ',')) < 0) ||
            (rc = put_string(out, m[i].key, m[i].len)) < 0 || (rc = mg_buf_putc(out, ':')) < 0 ||
            (rc = put_value(out, m[i].value, depth + 1)) < 0)
            goto done;
    }
    rc = mg_buf_putc(out, '}');
done:
    free(m);
    return rc;
}

static int put_value(mg_buf *out, const json_t *v, int depth)
{
    char num[MG_JCS_NUMBER_MAX];
    int rc;

    if (depth > MAX_DEPTH)
        return mg_error_set(MG_EINVAL, "canonical JSON: nested deeper than %d levels", MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put_object(out, v, depth);
    case JSON_ARRAY:
        if ((rc = mg_buf_putc(out, '[')) < 0)
            return rc;
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((i && (rc = mg_buf_putc(out, ',')) < 0) ||
                (rc = put_value(out, json_array_get(v, i), depth + 1)) < 0)
                return rc;
        return mg_buf_putc(out, ']');
    case JSON_STRING:
        return put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        if (i > SAFE_INTEGER || i < -SAFE_INTEGER)
            return mg_error_set(MG_EINVAL,
                                "canonical JSON: integer %lld is beyond 2^53 (not I-JSON)",
                                (long long)i);
        return mg_buf_printf(out, "%lld", (long long)i);
    }
    case JSON_REAL:
        if ((rc = mg_jcs_number(num, json_real_value(v))) < 0)
            return rc;
        return mg_buf_puts(out, num);
    case JSON_TRUE:
        return mg_buf_puts(out, "true");
    case JSON_FALSE:
        return mg_buf_puts(out, "false");
    case JSON_NULL:
        return mg_buf_puts(out, "null");
    }
    return mg_error_set(MG_EINVAL, "canonical JSON: unknown value type");
}

int mg_jcs_append(mg_buf *out, const json_t *v)
{
    size_t mark = out->len;
    int rc;

    if (!v)
        return mg_error_set(MG_EINVAL, "canonical JSON: no value");
    if ((rc = put_value(out, v, 0)) < 0) {
        out->len = mark; /* leave the buffer as it was */
        if (out->ptr)
            out->ptr[mark] = '\0';
    }
    return rc;
}

int mg_jcs_sha256(unsigned char digest[MG_SHA256_LEN], const json_t *v)
{
    mg_buf b = MG_BUF_INIT;
    int rc;

    if ((rc = mg_jcs_append(&b, v)) == MG_OK)
        rc = mg_sha256_digest(digest, b.ptr ? b.ptr : "", b.len);
    mg_buf_free(&b);
    return rc;
}
