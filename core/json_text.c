/* json_text.c - JSON text with each real written as the shortest decimal that reads back. */
#include "mg_json.h"
#include "mg_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does v written with p significant digits (into text) read back as v? */
static int round_trips(char text[MG_JSON_NUMBER_MAX], int p, double v)
{
    snprintf(text, MG_JSON_NUMBER_MAX, "%.*e", p - 1, v);
    return strtod(text, NULL) == v;
}

int mg_json_number(char out[MG_JSON_NUMBER_MAX], double v)
{
    char sci[MG_JSON_NUMBER_MAX];
    int lo = 1, hi = 17, exp;

    if (!isfinite(v))
        return mg_error_set(MG_EINVAL, "JSON number %s is not allowed",
                            isnan(v) ? "NaN" : "Infinity");
    /*
     * printf rounds correctly, so if p digits read back, p + 1 do too: the
     * fewest is found by bisection (17 always read back, IEEE 754 §5.12.2).
     */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (round_trips(sci, mid, v))
            hi = mid;
        else
            lo = mid + 1;
    }
    round_trips(sci, lo, v);
    char *e = strchr(sci, 'e');
    exp = atoi(e + 1);
    if (-4 <= exp && exp < 17 && lo - 1 - exp > 0) {
        snprintf(out, MG_JSON_NUMBER_MAX, "%.*f", lo - 1 - exp, v);
    } else if (-4 <= exp && exp < 17) {
        /* a whole number: the significant digits, then zeros (%.0f would print them all) */
        char *o = out;
        for (const char *c = sci; c < e; c++)
            if (*c != '.')
                *o++ = *c;
        for (int z = exp - (lo - 1); z > 0; z--)
            *o++ = '0';
        strcpy(o, ".0");
    } else {
        snprintf(out, MG_JSON_NUMBER_MAX, "%.*se%d", (int)(e - sci), sci, exp);
    }
    return MG_OK;
}

/* The length of the JSON string starting at s[0] == '"', quotes included. */
static size_t string_span(const char *s)
{
    size_t i = 1;
    while (s[i] && s[i] != '"')
        i += s[i] == '\\' && s[i + 1] ? 2 : 1;
    return s[i] ? i + 1 : i;
}

char *mg_json_dumps(const json_t *doc, size_t flags)
{
    char *text = json_dumps(doc, flags), *out, *o;
    const char *s;

    if (!text || !(out = malloc(strlen(text) + 1))) {
        free(text);
        return NULL;
    }
    for (s = text, o = out; *s;) {
        size_t n;
        if (*s == '"') {
            n = string_span(s);
        } else if (*s == '-' || (*s >= '0' && *s <= '9')) {
            char num[MG_JSON_NUMBER_MAX];
            n = strspn(s, "0123456789+-.eE");
            /* a real (it has a fraction or an exponent) that comes out no longer */
            if (strcspn(s, ".eE") < n && n < MG_JSON_NUMBER_MAX &&
                mg_json_number(num, strtod(s, NULL)) == MG_OK && strlen(num) <= n) {
                o += sprintf(o, "%s", num);
                s += n;
                continue;
            }
        } else {
            n = 1;
        }
        memcpy(o, s, n);
        o += n;
        s += n;
    }
    *o = '\0';
    free(text);
    return out;
}
