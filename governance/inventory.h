/* inventory.h - inside the inventory: lookups and checks shared by data sets, versions, workflow. */
#ifndef GOV_INVENTORY_H
#define GOV_INVENTORY_H

#include "store.h"

/* A model version as the workflow sees it. */
typedef struct gov_version {
    int64_t id, model_id, number, run_id, log_index; /* run_id 0: none */
    char model[MG_ACTOR_NAME_MAX];
    char stage[24];
    char artifact[MG_SHA256_HEX];
    char submitter[MG_ACTOR_NAME_MAX];
} gov_version;

/* Find version `number` of `model`. Errors: MG_ENOTFOUND ("no model 'x'", "model 'x' has no version 3"), MG_EIO. */
int gov_version_find(gov_version *v, gov_conn *c, const char *model, int64_t number);

/* Set "fresh" on each report of `reports`: computed on `artifact`, the version's current one. */
void gov_mark_fresh(json_t *reports, const char *artifact);

/* The model's id and policy (parsed; caller frees). Errors: MG_ENOTFOUND, MG_EIO. */
int gov_model_find(int64_t *id, json_t **policy, gov_conn *c, const char *name);

/* Free text of at most `max` bytes; NULL allowed when !required. Errors: MG_EINVAL naming `what`. */
int gov_check_text(const char *text, size_t max, int required, const char *what);

/* A JSON object (or NULL when !required). Errors: MG_EINVAL naming `what`. */
int gov_check_object(const json_t *v, int required, const char *what);

/* Hex SHA-256 of the canonical form of `v` into `hex` ("" for NULL). Errors: MG_EINVAL, MG_ENOMEM. */
int gov_json_sha256(char hex[MG_SHA256_HEX], const json_t *v);

/* Store an artifact from a path or bytes (exactly one given). Errors: MG_EINVAL, MG_EIO. */
int gov_put_bytes_or_file(char hex[MG_SHA256_HEX], mg_store *s, const char *path, const void *data,
                          size_t len, const char *what);

/* ---- the privacy ledger (ledger.c) ---- */

/*
 * The ledger row a run's `privacy` makes (NULL: trained without DP): *spend
 * is the row's spend_json, *summary what run.finish logs (below); both the
 * caller's. Verification recomputes rows with it. Errors: MG_EINVAL naming
 * the field, MG_ENOMEM.
 */
int gov_ledger_spend(json_t **spend, json_t **summary, const json_t *privacy);

/*
 * Record a run's privacy spend against its data set: `privacy` NULL means
 * trained without DP ("unbounded"); otherwise see mg_gov_run_result. On
 * success *summary is {"kind":"rdp","epsilon","delta"} or {"kind":"unbounded"}.
 * Errors: MG_EINVAL naming the field, MG_EIO.
 */
int gov_ledger_add(json_t **summary, gov_tx *tx, const char *dataset_sha256, int64_t run_id,
                   const json_t *privacy);

/*
 * The data set's total spend: RDP curves of its rows summed, then epsilon at
 * `delta` (<= 0: the smallest delta any row names). *out is
 * {"rows","dp_rows","unbounded_runs":[ids],"epsilon":x|null,"delta","best_order"}.
 * Errors: MG_EIO, MG_EPARSE (damaged row).
 */
int gov_ledger_total(json_t **out, gov_conn *c, const char *dataset_sha256, double delta);

/* The run's own ledger row summary, or NULL when it has none. Errors: MG_EIO. */
int gov_ledger_of_run(json_t **out, gov_conn *c, int64_t run_id);

/* ---- policies (policy.c) ---- */

/* The default policy: {"bias":{"DI":{"min":0.8,"max":1.25}}}. NULL on ENOMEM. */
json_t *gov_policy_default(void);

/* Check a policy's shape. Errors: MG_EINVAL naming the field at fault. */
int gov_policy_check(const json_t *policy);

#endif
