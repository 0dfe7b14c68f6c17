/* encoding.c - hex digests and strict base64 (RFC 4648 §4) for hashes, keys and signatures. */
#include "mg_governance.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is refused: one spelling per hash */
}

int mg_hash_from_hex(unsigned char out[MG_SHA256_LEN], const char *hex)
{
    if (!hex || strlen(hex) != 2 * MG_SHA256_LEN)
        return mg_error_set(MG_EPARSE, "'%.80s' is not 64 lower-case hex digits", hex ? hex : "");
    for (size_t i = 0; i < MG_SHA256_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return mg_error_set(MG_EPARSE, "'%.80s' is not 64 lower-case hex digits", hex);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return MG_OK;
}

int mg_hex_is_sha256(const char *hex)
{
    unsigned char d[MG_SHA256_LEN];
    int ok = mg_hash_from_hex(d, hex) == MG_OK;

    if (!ok)
        mg_error_clear();
    return ok;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mg_base64_encode(mg_buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    int rc;

    if (len && (rc = mg_buf_grow(out, (len + 2) / 3 * 4)) < 0)
        return rc;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        char q[4];
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = b64[v >> 18];
        q[1] = b64[(v >> 12) & 63];
        q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < len ? b64[v & 63] : '=';
        mg_buf_put(out, q, 4); /* room reserved above */
    }
    return MG_OK;
}

static int b64_value(char c)
{
    const char *at = c ? strchr(b64, c) : NULL;
    return at ? (int)(at - b64) : -1;
}

int mg_base64_decode(mg_buf *out, const char *text, size_t len)
{
    size_t mark = out->len;
    int rc = MG_OK;

    if (len % 4 != 0)
        return mg_error_set(MG_EPARSE, "base64: length %zu is not a multiple of 4", len);
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        unsigned char bytes[3];
        for (int j = 0; j < 4; j++) {
            char c = text[i + j];
            if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || text[i + 3] == '=')) {
                v[j] = 0;
                pad++;
            } else if ((v[j] = b64_value(c)) < 0) {
                rc = mg_error_set(MG_EPARSE, "base64: bad character at offset %zu", i + j);
                goto fail;
            }
        }
        bytes[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        bytes[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        bytes[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
        /* the bits under the padding must be zero: one text per byte string */
        if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15))) {
            rc = mg_error_set(MG_EPARSE, "base64: non-canonical padding bits");
            goto fail;
        }
        if ((rc = mg_buf_put(out, bytes, (size_t)(3 - pad))) < 0)
            goto fail;
    }
    return MG_OK;
fail:
    out->len = mark;
    if (out->ptr)
        out->ptr[mark] = '\0';
    return rc;
}
