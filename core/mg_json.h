/* mg_json.h - JSON text for people and programs: reals as the shortest decimal that reads back. */
#ifndef MG_JSON_H
#define MG_JSON_H

#include <stddef.h>

#include <jansson.h>

#define MG_JSON_NUMBER_MAX 32 /* "-2.2250738585072014e-308" and a NUL fit */

/*
 * Write finite `v` with the fewest significant digits (1 to 17) that
 * strtod() reads back as exactly `v`, as jansson writes a real: fixed
 * notation for decimal exponents -4 to 16 with ".0" when there is no
 * fraction, otherwise d.ddde-X (no "+", no leading zeros in the exponent).
 * 0.84995 is written "0.84995", where "%.17g" gives "0.84994999999999998";
 * 3.0 is "3.0", 1e-7 is "1e-7". Errors: MG_EINVAL (NaN or infinity, which
 * JSON cannot hold). Thread safety: none needed.
 */
int mg_json_number(char out[MG_JSON_NUMBER_MAX], double v);

/*
 * json_dumps(doc, flags) with every real rewritten as mg_json_number()
 * writes it, so that 0.84995 reads as such and still loads back bit for
 * bit; strings, keys and integers are untouched. Returns a new string to
 * free() with free(), or NULL when out of memory (as json_dumps).
 * Thread safety: only reads `doc`.
 */
char *mg_json_dumps(const json_t *doc, size_t flags);

#endif
