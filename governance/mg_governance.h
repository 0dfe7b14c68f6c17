/* mg_governance.h - the governance library: canonical JSON, Merkle log, keys, store, workflow. */
#ifndef MG_GOVERNANCE_H
#define MG_GOVERNANCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_sha256.h"

/* ------------------------------------------------------------------------------------------ */
/* Canonical JSON (RFC 8785, JCS)                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * Append the RFC 8785 canonical form of `v` to `out`: object members sorted
 * by the UTF-16 code units of their names, no whitespace, strings escaped as
 * ECMAScript's JSON.stringify does, numbers formatted as ECMAScript's
 * Number.prototype.toString (shortest round-trip; -0 as 0). jansson integers
 * are written as such; one beyond +-2^53 is refused (not I-JSON, RFC 7493).
 * Errors: MG_EINVAL (NaN, Infinity, integer beyond 2^53, nesting deeper than
 * 512), MG_ENOMEM, MG_ETOOBIG (out->max). On error `out` is left as it was.
 * Thread safety: only reads `v`.
 */
int mg_jcs_append(mg_buf *out, const json_t *v);

/* SHA-256 of the canonical form of `v`. Errors: as mg_jcs_append(). */
int mg_jcs_sha256(unsigned char digest[MG_SHA256_LEN], const json_t *v);

#define MG_JCS_NUMBER_MAX 32 /* "-1.7976931348623157e+308" and a NUL fit */

/* One double as RFC 8785 writes it (ECMAScript rules). Errors: MG_EINVAL (NaN, Infinity). */
int mg_jcs_number(char out[MG_JCS_NUMBER_MAX], double v);

#endif
