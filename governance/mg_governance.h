/* mg_governance.h - the governance library: canonical JSON, Merkle log, keys, store, workflow. */
#ifndef MG_GOVERNANCE_H
#define MG_GOVERNANCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_sha256.h"
#include "mg_train.h"

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

/* ------------------------------------------------------------------------------------------ */
/* Merkle trees (RFC 6962 §2.1; proofs verified as RFC 9162 §2.1.3.2 / §2.1.4.2 say)         */
/* ------------------------------------------------------------------------------------------ */

/* Leaf hash SHA-256(0x00 || data). Errors: MG_ERROR (OpenSSL). */
int mg_merkle_leaf_hash(unsigned char out[MG_SHA256_LEN], const void *data, size_t len);

/* Interior node hash SHA-256(0x01 || left || right). Errors: MG_ERROR (OpenSSL). */
int mg_merkle_node_hash(unsigned char out[MG_SHA256_LEN], const unsigned char left[MG_SHA256_LEN],
                        const unsigned char right[MG_SHA256_LEN]);

/*
 * The caller's storage of a tree: write into `out` the hash of the perfect
 * subtree at `level` over leaves [index * 2^level, (index + 1) * 2^level)
 * (level 0: the leaf hash itself). Return 0 or a negative MG_E* code.
 */
typedef int (*mg_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                 unsigned char out[MG_SHA256_LEN]);

/* A proof: at most one hash per level, so 64 (plus one for consistency) suffice. */
#define MG_MERKLE_PROOF_MAX 66
typedef struct mg_merkle_proof {
    size_t n;
    unsigned char hash[MG_MERKLE_PROOF_MAX][MG_SHA256_LEN];
} mg_merkle_proof;

/*
 * Root MTH(D[0:size]) of the first `size` leaves (SHA-256("") when size is 0),
 * reading only perfect subtrees through `fn`. Errors: whatever `fn` returns.
 */
int mg_merkle_root(unsigned char root[MG_SHA256_LEN], uint64_t size, mg_merkle_node_fn fn,
                   void *ctx);

/*
 * Inclusion proof PATH(index, D[0:size]) of RFC 6962 §2.1.1, deepest sibling
 * first. Errors: MG_EINVAL (index >= size), whatever `fn` returns.
 */
int mg_merkle_inclusion_proof(mg_merkle_proof *out, uint64_t index, uint64_t size,
                              mg_merkle_node_fn fn, void *ctx);

/*
 * Consistency proof PROOF(size1, D[0:size2]) of RFC 6962 §2.1.2; empty when
 * size1 is 0 or equals size2. Errors: MG_EINVAL (size1 > size2), `fn`'s.
 */
int mg_merkle_consistency_proof(mg_merkle_proof *out, uint64_t size1, uint64_t size2,
                                mg_merkle_node_fn fn, void *ctx);

/*
 * Check that leaf hash `leaf` sits at `index` of the tree of `size` leaves
 * whose root is `root`. Returns MG_OK or MG_EVERIFY saying why (index out of
 * range, too many or too few hashes, wrong root). Cannot allocate.
 */
int mg_merkle_inclusion_verify(uint64_t index, uint64_t size, const unsigned char leaf[MG_SHA256_LEN],
                               const mg_merkle_proof *proof, const unsigned char root[MG_SHA256_LEN]);

/*
 * Check that the tree of size2 leaves with root2 extends the one of size1
 * leaves with root1. Equal sizes need equal roots and an empty proof; an
 * empty first tree needs an empty proof. Returns MG_OK or MG_EVERIFY.
 */
int mg_merkle_consistency_verify(uint64_t size1, uint64_t size2,
                                 const unsigned char root1[MG_SHA256_LEN],
                                 const unsigned char root2[MG_SHA256_LEN],
                                 const mg_merkle_proof *proof);

/*
 * A root computed while leaves stream past, in O(log n) memory: the compact
 * range of perfect subtrees. mg_merkle_stream_init() it on the stack.
 */
typedef struct mg_merkle_stream {
    uint64_t size;
    size_t depth;
    unsigned char stack[64][MG_SHA256_LEN];
} mg_merkle_stream;

void mg_merkle_stream_init(mg_merkle_stream *s);

/* Add the next leaf hash. Errors: MG_ERROR (OpenSSL). */
int mg_merkle_stream_push(mg_merkle_stream *s, const unsigned char leaf[MG_SHA256_LEN]);

/* Root of the leaves pushed so far. Errors: MG_ERROR (OpenSSL). */
int mg_merkle_stream_root(unsigned char root[MG_SHA256_LEN], const mg_merkle_stream *s);

/* ------------------------------------------------------------------------------------------ */
/* Encodings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* 64 lower-case hex digits to 32 bytes (mg_sha256_hex() goes back). Errors: MG_EPARSE. */
int mg_hash_from_hex(unsigned char out[MG_SHA256_LEN], const char *hex);

/* 1 when `hex` is 64 lower-case hex digits, else 0. Cannot fail. */
int mg_hex_is_sha256(const char *hex);

/* Append standard base64 (RFC 4648 §4, padded). Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_base64_encode(mg_buf *out, const void *data, size_t len);

/*
 * Append the bytes of strict base64 `text` (padded, no whitespace, zero pad
 * bits). Errors: MG_EPARSE naming the offset, MG_ENOMEM; `out` unchanged then.
 */
int mg_base64_decode(mg_buf *out, const char *text, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Ed25519 keys (OpenSSL EVP)                                                                  */
/* ------------------------------------------------------------------------------------------ */

#define MG_ED25519_SIG_LEN 64
#define MG_ED25519_PUBLIC_LEN 32

/*
 * An Ed25519 key: a pair that signs, or a public key that only verifies.
 * Its id is the hex SHA-256 of its SubjectPublicKeyInfo DER (RFC 8410), so
 * `openssl pkey -pubin -in pub.pem -outform DER | sha256sum` prints it.
 * A key is immutable: sign and verify from several threads at once.
 */
typedef struct mg_key mg_key;

/* A fresh key pair. Errors: MG_ERROR (OpenSSL), MG_ENOMEM. Free with mg_key_free(). */
int mg_key_generate(mg_key **out);

/*
 * Load a PKCS#8 PEM private key written by mg_key_save(). Refuses a file
 * others can read. Errors: MG_ENOTFOUND, MG_EPERM (mode not 0600), MG_EPARSE
 * (not an Ed25519 PEM key), MG_EIO, MG_ENOMEM.
 */
int mg_key_load(mg_key **out, const char *path);

/* Write the private key as PKCS#8 PEM, atomically, mode 0600. Errors: MG_EINVAL (public only), MG_EIO. */
int mg_key_save(const mg_key *k, const char *path);

/* A public key from SubjectPublicKeyInfo PEM text. Errors: MG_EPARSE, MG_ENOMEM. */
int mg_key_from_public_pem(mg_key **out, const char *pem, size_t len);

/* Append the SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----..."). Errors: MG_ENOMEM. */
int mg_key_public_pem(mg_buf *out, const mg_key *k);

/* The 32 raw public key bytes (RFC 8032). Errors: MG_ERROR. */
int mg_key_public_raw(unsigned char out[MG_ED25519_PUBLIC_LEN], const mg_key *k);

/* Hex key id, borrowed while `k` lives. Cannot fail. */
const char *mg_key_id(const mg_key *k);

/* 1 when `k` can sign. */
int mg_key_has_private(const mg_key *k);

/*
 * Ed25519 signature over the raw bytes of `msg` (no pre-hash), the form
 * `openssl pkeyutl -sign -rawin` makes. Errors: MG_EINVAL (public key only), MG_ERROR.
 */
int mg_key_sign(unsigned char sig[MG_ED25519_SIG_LEN], const mg_key *k, const void *msg,
                size_t len);

/* MG_OK when `sig` is k's signature over `msg`; MG_EVERIFY otherwise (naming the key id). */
int mg_key_verify(const mg_key *k, const void *msg, size_t len,
                  const unsigned char sig[MG_ED25519_SIG_LEN]);

void mg_key_free(mg_key *k); /* NULL is a no-op */

/*
 * A verification context for one key, set up once and reused for many
 * signatures (as `openssl speed` measures): the fast path for verifying a
 * whole log. One thread at a time; `k` must outlive it.
 */
typedef struct mg_key_verifier mg_key_verifier;

/* Errors: MG_ENOMEM, MG_ERROR (OpenSSL). */
int mg_key_verifier_create(mg_key_verifier **out, const mg_key *k);

/* MG_OK when `sig` is the key's signature over `msg`; MG_EVERIFY otherwise. */
int mg_key_verifier_check(mg_key_verifier *v, const void *msg, size_t len,
                          const unsigned char sig[MG_ED25519_SIG_LEN]);

/* The key it checks against. Borrowed. */
const mg_key *mg_key_verifier_key(const mg_key_verifier *v);

void mg_key_verifier_free(mg_key_verifier *v); /* NULL is a no-op */

/* ------------------------------------------------------------------------------------------ */
/* The store (DESIGN §7): DIR/modelgov.db, DIR/artifacts/<sha256>, DIR/keys/<key id>.pem       */
/* ------------------------------------------------------------------------------------------ */

#define MG_STORE_DB "modelgov.db"

/*
 * An open store. One handle serves a whole process: every function below is
 * safe to call from several threads at once on the same handle (readers get
 * pooled SQLite connections; writers are group-committed, see below).
 *
 * Every state change is one call that runs in a SQLite transaction, makes the
 * change, appends its Ed25519-signed log entry, and returns only once the
 * transaction is durable (WAL, synchronous=FULL): all of it or none of it.
 * Changes made at the same moment by several threads share one transaction
 * (a savepoint each, so one failing change does not take the others with
 * it), one signed tree head and one fsync.
 */
typedef struct mg_store mg_store;

/*
 * Create a store in `dir` (made if missing): the database, the artifact and
 * key folders, a first Ed25519 key (keys/<id>.pem, mode 0600), and log entry
 * 0 ("store.init") announcing that key, with the first signed tree head.
 * Errors: MG_EEXISTS (already a store), MG_EIO, MG_ENOMEM.
 */
int mg_store_init(mg_store **out, const char *dir);

/*
 * Open an existing store, bringing an older schema up to date. Errors:
 * MG_ENOTFOUND (no modelgov.db: "run 'modelgov init --store DIR'"),
 * MG_ECONFLICT (written by a newer modelgov: refused, nothing changed),
 * MG_EPARSE (not a modelgov database), MG_EIO, MG_ENOMEM.
 */
int mg_store_open(mg_store **out, const char *dir);

/* Close; no call may be running on `s`. NULL is a no-op. */
void mg_store_close(mg_store *s);

/* The directory given to open/init. Borrowed. */
const char *mg_store_dir(const mg_store *s);

/* ------------------------------------------------------------------------------------------ */
/* Actors and roles (DESIGN §4): every change names who made it                                */
/* ------------------------------------------------------------------------------------------ */

/* Roles in increasing power; the same numbers as web's mg_web_role. */
typedef enum mg_role {
    MG_ROLE_VIEWER = 1,    /* read */
    MG_ROLE_SUBMITTER = 2, /* data sets, runs, models, versions, reports */
    MG_ROLE_REVIEWER = 3,  /* approve / reject / promote */
    MG_ROLE_ADMIN = 4      /* tokens, policies, key rotation */
} mg_role;

#define MG_ACTOR_NAME_MAX 65
#define MG_ACTOR_LOCAL "local" /* the command line, acting with filesystem access to the store */

/* Who acts: a token's name and role (mg_gov_token_authenticate), or the local operator. */
typedef struct mg_actor {
    char name[MG_ACTOR_NAME_MAX];
    mg_role role;
} mg_actor;

/* "viewer", "submitter", "reviewer", "admin" ("none" otherwise). Never NULL. */
const char *mg_role_name(mg_role r);

/* Parse a role name. Errors: MG_EINVAL naming the value and the choices. */
int mg_role_parse(mg_role *out, const char *text);

/* The command line's actor: MG_ACTOR_LOCAL with the admin role. */
void mg_actor_local(mg_actor *out);

/*
 * What a change returns. `id` is the new (or changed) row, `number` a new
 * version's number, `log_index` the entry the change appended, `sha256` the
 * content hash it stored (data set, artifact, report). Unused fields are 0/"".
 */
typedef struct mg_gov_result {
    int64_t id;
    int64_t number;
    int64_t log_index;
    char sha256[MG_SHA256_HEX];
} mg_gov_result;

/* ------------------------------------------------------------------------------------------ */
/* Tokens                                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define MG_TOKEN_SECRET_MAX 64 /* "mgt_" and 43 base64url characters, and a NUL */

/*
 * Create a token `name` (1-64 of A-Za-z0-9._-@) with `role`. The secret is
 * written to `secret` once and only its SHA-256 is stored: show it to the
 * user now. Needs the admin role. Log: "token.create".
 * Errors: MG_EPERM, MG_EINVAL (name, role), MG_EEXISTS (name taken), MG_EIO.
 */
int mg_gov_token_create(mg_gov_result *res, char secret[MG_TOKEN_SECRET_MAX], mg_store *s,
                        const mg_actor *by, const char *name, mg_role role);

/* Revoke token `name` (admin). Log: "token.revoke". Errors: MG_EPERM, MG_ENOTFOUND, MG_EIO. */
int mg_gov_token_revoke(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *name);

/*
 * The actor a bearer secret stands for; the stored hash is compared in
 * constant time. Errors: MG_EAUTH ("unknown token", "token 'x' was revoked"), MG_EIO.
 */
int mg_gov_token_authenticate(mg_actor *out, mg_store *s, const char *secret);

/* [{"id","name","role","created","created_by","revoked","log_index"}]. Errors: MG_EIO. */
int mg_gov_tokens_list(json_t **out, mg_store *s);

/* ------------------------------------------------------------------------------------------ */
/* Artifacts: content-addressed, read-only files (model artifacts, data sets, reports)         */
/* ------------------------------------------------------------------------------------------ */

/*
 * Store bytes as DIR/artifacts/<sha256> (temp file, fsync, rename, fsync of
 * the folder; mode 0444) and write the hex hash. Storing the same bytes
 * twice is harmless. Errors: MG_EIO, MG_ENOMEM.
 */
int mg_gov_artifact_put(char hex[MG_SHA256_HEX], mg_store *s, const void *data, size_t len);

/* The same from a file, streamed (uploads). Errors: MG_ENOTFOUND, MG_EIO, MG_ENOMEM. */
int mg_gov_artifact_put_file(char hex[MG_SHA256_HEX], mg_store *s, const char *path);

/* Path of a stored artifact (malloc'd). Errors: MG_EINVAL (not a sha256), MG_ENOTFOUND. */
int mg_gov_artifact_path(char **out, mg_store *s, const char *hex);

/* Append an artifact's bytes, checked against its name. Errors: MG_ENOTFOUND, MG_EVERIFY, MG_EIO. */
int mg_gov_artifact_read(mg_buf *out, mg_store *s, const char *hex);

/* ------------------------------------------------------------------------------------------ */
/* The signed log (DESIGN §6)                                                                  */
/* ------------------------------------------------------------------------------------------ */

/*
 * Entry n is the canonical JSON (RFC 8785) of
 *   {"index":n,"time":"2026-01-02T03:04:05Z","actor":"alice","action":"version.transition",
 *    "subject":{...ids and sha256s...},"prev":"<hex SHA-256 of entry n-1's bytes>"}
 * ("prev" of entry 0 is 64 zeros). Its Merkle leaf is SHA-256(0x00 || bytes);
 * its signature is Ed25519 over the bytes. A tree head's signature covers
 * the canonical JSON of {"root":"<hex>","size":n,"time":"..."}.
 *
 * JSON shapes returned below (also the web API's and the audit bundle's):
 *   signed entry: {"entry":{...},"leaf_hash":"<hex>","key_id":"<hex>","signature":"<base64>"}
 *   tree head:    {"size":n,"root":"<hex>","time":"...","key_id":"<hex>","signature":"<base64>"}
 */

/* Number of entries. Errors: MG_EIO. */
int mg_gov_log_size(uint64_t *out, mg_store *s);

/* One signed entry. Errors: MG_ENOTFOUND, MG_EIO. */
int mg_gov_log_entry(json_t **out, mg_store *s, uint64_t index);

/* The latest signed tree head. Errors: MG_ENOTFOUND (empty log), MG_EIO. */
int mg_gov_tree_head(json_t **out, mg_store *s);

/*
 * {"index","size","leaf_hash","root","proof":["<hex>",...],"tree_head":{...}}:
 * the inclusion proof of entry `index` in the tree of `size` entries (0: the
 * latest signed tree head's size, which is then included; it is also
 * included whenever a head of exactly `size` was signed).
 * Errors: MG_EINVAL (index >= size, size beyond the log), MG_ENOTFOUND, MG_EIO.
 */
int mg_gov_inclusion_proof(json_t **out, mg_store *s, uint64_t index, uint64_t size);

/*
 * {"first","second","first_root","second_root","proof":[...]} proving the
 * log of `second` entries extends the one of `first`.
 * Errors: MG_EINVAL (first > second, second beyond the log), MG_EIO.
 */
int mg_gov_consistency_proof(json_t **out, mg_store *s, uint64_t first, uint64_t second);

/*
 * Rotate the signing key (admin): a new Ed25519 key is saved in DIR/keys/,
 * announced by a "key.rotate" entry {"previous_key_id","key_id","public_key"}
 * signed by the old key, and signs everything after. res->sha256 gets the
 * new key id. Errors: MG_EPERM, MG_EIO.
 */
int mg_gov_key_rotate(mg_gov_result *res, mg_store *s, const mg_actor *by);

/* [{"key_id","status":"active"|"retired","created","announced_index","public_key":PEM}]. */
int mg_gov_keys_list(json_t **out, mg_store *s);

/* The bytes a tree head signature covers. Errors: MG_ENOMEM. */
int mg_gov_tree_head_bytes(mg_buf *out, uint64_t size, const char *root_hex, const char *time);

/* ------------------------------------------------------------------------------------------ */
/* Inventory: data sets, training runs, models, versions, reports                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * Reads return JSON documents (new references: json_decref() them) with the
 * rows' columns by name; "*_json" columns come back parsed without the
 * suffix. Errors of every read: MG_ENOTFOUND naming what is missing, MG_EIO.
 * Every change below needs at least the submitter role (MG_EPERM otherwise),
 * checks its input (MG_EINVAL naming the field), and appends one log entry.
 */

/* A CSV data set to register. Give `path` or `data`/`len`. */
typedef struct mg_gov_dataset {
    const char *name;        /* 1-64 of A-Za-z0-9._-@ */
    const char *path;        /* the CSV file, streamed into the store... */
    const void *data;        /* ...or its bytes */
    size_t len;
    const json_t *schema;    /* NULL: inferred by core's CSV reader, with the row count */
    int64_t rows;            /* with a schema given */
    const char *owner;       /* team, required */
    const char *domain;      /* optional */
    const char *description; /* optional */
} mg_gov_dataset;

/*
 * Register a data set, stored as DIR/artifacts/<sha256>. Log: "dataset.register".
 * res: id, sha256, log_index. Errors: MG_EEXISTS (same bytes already
 * registered; res->id and res->sha256 name it), MG_EPARSE (CSV), MG_EINVAL, MG_EPERM.
 */
int mg_gov_dataset_register(mg_gov_result *res, mg_store *s, const mg_actor *by,
                            const mg_gov_dataset *d);

/* A data set by numeric id or sha256, with its runs and privacy ledger total. */
int mg_gov_dataset_get(json_t **out, mg_store *s, const char *id_or_sha256);

/* The catalog; `query` (NULL: all) matches a substring of name, owner, domain or description. */
int mg_gov_datasets_list(json_t **out, mg_store *s, const char *query);

/* A training run as it starts. */
typedef struct mg_gov_run {
    int64_t dataset_id;
    const json_t *config;     /* the training settings (required object) */
    int64_t seed;
    int has_seed;
    const char *code_version; /* e.g. "modelgov 0.1.0" or a commit (required) */
} mg_gov_run;

/* Record a run starting. Log: "run.start". res: id, log_index. Errors: MG_ENOTFOUND (data set). */
int mg_gov_run_start(mg_gov_result *res, mg_store *s, const mg_actor *by, const mg_gov_run *r);

/*
 * A run's outcome. `privacy` is the DP spend:
 *   {"delta": 1e-5, "events": [{"sample_rate": q, "noise_multiplier": sigma, "steps": T}, ...]}
 * or {"delta": d, "rdp": [151 values on Opacus's default orders, null = diverged]}
 * (plus any fields of the trainer's, e.g. "epsilon", kept as "reported_epsilon").
 * NULL for a finished run means it trained without DP: the data set's ledger
 * then records an unbounded spend. The model file it produced is optional.
 */
typedef struct mg_gov_run_result {
    int failed;                /* the run failed (no ledger row unless privacy is given) */
    const json_t *metrics;     /* {"accuracy": ..., "auc": ...} */
    const json_t *loss_curves; /* {"train": [...], "eval": [...]} */
    const json_t *privacy;
    const char *artifact_path; /* the .mgm the run wrote, or bytes: */
    const void *artifact;
    size_t artifact_len;
} mg_gov_run_result;

/*
 * Record a run's end: results, artifact, and its row in the data set's
 * privacy ledger (RDP curve composed on Opacus's orders). Log: "run.finish".
 * res: id, sha256 (artifact), log_index. Errors: MG_ENOTFOUND, MG_ECONFLICT
 * (already finished), MG_EINVAL (privacy fields named).
 */
int mg_gov_run_finish(mg_gov_result *res, mg_store *s, const mg_actor *by, int64_t run_id,
                      const mg_gov_run_result *r);

/* A run with its data set and privacy ledger row. */
int mg_gov_run_get(json_t **out, mg_store *s, int64_t run_id);

/* A model's inventory entry. On update, NULL fields stay as they are. */
typedef struct mg_gov_model {
    const char *name;         /* 1-64 of A-Za-z0-9._-@, unique */
    const char *owner;        /* required on create */
    const char *description;
    const char *intended_use; /* for the model card */
    const char *risk_tier;    /* "low" | "medium" (default) | "high" */
    /*
     * Approval thresholds; NULL: {"bias":{"DI":{"min":0.8,"max":1.25}}}. Fields:
     * "bias": {METRIC: {"min","max"}} on every fresh post-training bias report,
     * "metrics": {NAME: {"min","max"}} on the version's metrics,
     * "max_epsilon": x (a DP model: epsilon from the privacy ledger <= x),
     * "delta": d (for that epsilon; default the smallest delta recorded),
     * "privacy_scope": "dataset" (default: every run on the training data,
     * composed) | "run" (the version's own run). Setting one needs admin.
     */
    const json_t *policy;
} mg_gov_model;

/* Create a model. Log: "model.create". Errors: MG_EEXISTS (name), MG_EINVAL, MG_EPERM. */
int mg_gov_model_create(mg_gov_result *res, mg_store *s, const mg_actor *by,
                        const mg_gov_model *m);

/* Change a model's fields (PATCH). Log: "model.update" naming the fields. Errors: MG_ENOTFOUND. */
int mg_gov_model_update(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *name,
                        const mg_gov_model *patch);

/* A model with the list of its versions. */
int mg_gov_model_get(json_t **out, mg_store *s, const char *name);

/* Every model, by name, with its version count. */
int mg_gov_models_list(json_t **out, mg_store *s);

/* A new version: the model artifact (.mgm), and the run that trained it. */
typedef struct mg_gov_version {
    const char *artifact_path; /* the .mgm file, or its bytes: */
    const void *artifact;
    size_t artifact_len;
    int64_t run_id;            /* 0: none (no lineage, no privacy ledger) */
    const json_t *metrics;     /* NULL: the run's metrics */
    const char *description;
} mg_gov_version;

/*
 * Register the next version of `model` in stage "registered", submitted by
 * `by`. Log: "version.register". res: id, number, sha256 (artifact),
 * log_index. Errors: MG_ENOTFOUND (model, run), MG_ECONFLICT (run not
 * finished, or it recorded an artifact other than this one).
 */
int mg_gov_version_register(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                            const mg_gov_version *v);

/*
 * A version: stage, artifact, metrics, its reports (each "fresh" when
 * computed on the current artifact), transitions, comments, privacy.
 */
int mg_gov_version_get(json_t **out, mg_store *s, const char *model, int64_t number);

/* The versions of a model. */
int mg_gov_versions_list(json_t **out, mg_store *s, const char *model);

/* A review comment on a version. Log: "version.comment". */
int mg_gov_version_comment(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                           int64_t number, const char *text);

/* A report on a version (a job's result). */
typedef struct mg_gov_report {
    const char *kind;            /* "bias" | "explain" | "privacy" | "evaluation" */
    const json_t *config;        /* how it was computed (NULL: {}) */
    const json_t *document;      /* the report, DESIGN §3's shape ("metrics" / "global") */
    const char *artifact_sha256; /* the model artifact it was computed on; NULL: the current one */
    int64_t dataset_id;          /* the data it was computed with; 0: not recorded */
} mg_gov_report;

/*
 * Store a report as canonical JSON (its sha256 names its content) and link
 * it to the version. Log: "report.write". res: id, sha256, log_index.
 */
int mg_gov_report_write(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                        int64_t number, const mg_gov_report *r);

/* The reports of a version, without documents, each with "fresh". */
int mg_gov_reports_list(json_t **out, mg_store *s, const char *model, int64_t number);

/* One report with its "document" (read back and checked against its sha256: MG_EVERIFY). */
int mg_gov_report_get(json_t **out, mg_store *s, int64_t id);

/* ------------------------------------------------------------------------------------------ */
/* The approval workflow (DESIGN §5)                                                           */
/* ------------------------------------------------------------------------------------------ */

/*
 * Move a version: registered -> pending_review (submitter), pending_review ->
 * approved | rejected (reviewer), approved -> production (reviewer),
 * production -> archived (reviewer). Approving evaluates every gate:
 *   separation_of_duties  the reviewer is not the version's submitter;
 *   bias_report           a post-training bias report on the current artifact;
 *   explain_report        an explainability report on the current artifact;
 *   policy.bias.<M>       each policy bias range holds in every such report;
 *   policy.metrics.<M>    each policy metric range holds for the version;
 *   policy.max_epsilon    epsilon from the privacy ledger <= the maximum.
 * When `gates_out` is not NULL an approval attempt sets it to
 * [{"gate","passed","detail"}] (json_decref() it), success or not.
 * Log: "version.transition" {"from","to","comment","artifact_sha256","gates"}.
 * res: id (transition), number, sha256 (artifact), log_index.
 * Errors: MG_ECONFLICT (not allowed from this stage, or gates failed: the
 * message lists each failing gate in words), MG_EPERM (role), MG_EINVAL
 * (stage name), MG_ENOTFOUND.
 */
int mg_gov_version_transition(mg_gov_result *res, json_t **gates_out, mg_store *s,
                              const mg_actor *by, const char *model, int64_t number,
                              const char *to, const char *comment);

/* The gates as `reviewer` would meet them now, without changing anything: {"passed","gates"}. */
int mg_gov_version_gates(json_t **out, mg_store *s, const mg_actor *reviewer, const char *model,
                         int64_t number);

/* The transitions of a version: [{"from","to","actor","role","comment","gates","created"}]. */
int mg_gov_transitions_list(json_t **out, mg_store *s, const char *model, int64_t number);

/* ------------------------------------------------------------------------------------------ */
/* Lineage (W3C PROV) and model cards                                                           */
/* ------------------------------------------------------------------------------------------ */

/*
 * The lineage graph of one thing, in PROV-DM terms:
 *   {"kind","id","root":"<node id>",
 *    "nodes":[{"id":"run:3","prov":"entity"|"activity"|"agent","type":..., ...attributes}],
 *    "edges":[{"from":"run:3","relation":"used","to":"dataset:1"}]}
 * Entities: dataset:ID, artifact:SHA256, version:MODEL:N, report:ID.
 * Activities: run:ID (training), report_job:ID, registration:ID, transition:ID.
 * Agents: agent:TOKEN_NAME. Relations: used (activity -> entity), wasGeneratedBy
 * (entity -> activity), wasAssociatedWith (activity -> agent), wasDerivedFrom
 * (entity -> entity).
 * kind "version", id "MODEL:N": what produced this version (its run, data,
 *   artifact, registration, reports and the transitions that decided it);
 * kind "dataset", id ID or sha256: what was produced from this data set
 *   (runs, artifacts, versions and their reports, reports computed with it);
 * kind "run" or "report", id ID: that activity or entity and its inputs.
 * Errors: MG_EINVAL (kind or id), MG_ENOTFOUND, MG_EIO.
 */
int mg_gov_lineage(json_t **out, mg_store *s, const char *kind, const char *id);

/*
 * A model card from the store: {"model","version","training_data",
 * "training_run","metrics","bias":{report_id,fresh,facet,label,metrics},
 * "top_features":{report_id,method,features:[{column,importance}]},
 * "privacy":{differentially_private,training_run,dataset_ledger},
 * "approval_history":[...],"evidence":{"log_entries":[...],"tree_head":{...}}}.
 */
int mg_gov_card(json_t **out, mg_store *s, const char *model, int64_t number);

/* Append the Markdown rendering of a card from mg_gov_card(). Errors: MG_EINVAL, MG_ENOMEM. */
int mg_gov_card_markdown(mg_buf *out, const json_t *card);

/* ------------------------------------------------------------------------------------------ */
/* Verification (offline: no server, no private key needed)                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct mg_gov_verify_summary {
    uint64_t entries, tree_heads, records, keys, artifacts;
    unsigned threads;          /* signature-checking threads used */
    char root[MG_SHA256_HEX];  /* root of the latest signed tree head */
    double seconds;
} mg_gov_verify_summary;

/*
 * Verify the store in `dir`, read-only: every entry's position, canonical
 * form, fields, "prev" chain, leaf hash and Ed25519 signature (the key chain
 * founded by entry 0 and extended only by "key.rotate" entries the old key
 * signed); every stored Merkle node; every signed tree head's root, bytes and
 * signature, the latest covering the whole log; the inventory rows against
 * the entries that made them (hashes, stages, policies); the key files; and
 * every artifact's bytes against its sha256 name. Signatures are checked on
 * `threads` threads (0: one per CPU). `trusted_key` (NULL or "": none) pins
 * the key entry 0 must found the log with: a key id (64 hex digits) or the
 * path of that key's public PEM.
 * Returns MG_OK, or MG_EVERIFY whose message names the first failure: the
 * lowest log entry or tree head at fault, else the inventory failure about
 * the lowest entry, else the key file or artifact.
 * Errors also: MG_ENOTFOUND (no store), MG_EINVAL (trusted key), MG_EIO.
 */
int mg_gov_verify_store(mg_gov_verify_summary *out, const char *dir, unsigned threads,
                        const char *trusted_key);

/*
 * Write the audit bundle of version `number` of `model` to `path` (a ustar
 * archive, written atomically). First the inventory is checked against the
 * log (the record checks of mg_gov_verify_store): a store whose tables were
 * changed behind the log's back is refused with MG_EVERIFY naming the first
 * failing entry, and nothing is logged. Then `by` (any role) appends the
 * bundle's statement to the log: an "audit.export" entry whose subject is
 * {"model","version","version_id","stage","entries":[i...],"size","root"},
 * "entries" being every entry of the version's story among the log's first
 * "size" entries (size = the statement's own index) and "root" their Merkle
 * root. The archive then holds:
 *   bundle.json      {"format":"modelgov-audit-bundle/2","model","version",
 *                     "tree_head":{signed},"entries":[i...],"keys":[id...],
 *                     "artifacts":[sha...],"reports":[sha...]} (canonical JSON)
 *   statement.json   the statement entry signed, its inclusion proof in that
 *                     tree head ("proof") and the consistency proof from
 *                     "size" to the tree head's size ("consistency")
 *   log/<i>.json     each listed entry signed + "proof": its inclusion proof
 *   keys/<id>.pem    every signing key, exactly as the log announced it
 *   artifacts/<sha>  the version's model artifact
 *   reports/<sha>    its reports (those the statement's entries name)
 * The story is entry 0 and every key rotation (the key chain), the model's
 * creation and updates, the data set, the run, the registration, reports,
 * comments and transitions, read from the signed entries themselves (their
 * own action and subject), never from the inventory tables; "stage" is the
 * `to` of the version's last transition entry ("registered" without one),
 * the artifact and reports those the listed entries name. The tree head is
 * the one the statement's commit signed. *summary (may be NULL) gets the manifest with "bytes", "path" and
 * "statement":{"index","time","key_id","stage","root"}. A failure after the
 * statement was logged leaves it in the log (an export that wrote no file).
 * Errors: MG_ENOTFOUND, MG_EPERM (no actor), MG_EVERIFY (the inventory
 * disagrees with the log, or the entries are not the ones the latest signed
 * tree head covers), MG_ECONFLICT (the key was rotated in the same commit:
 * export again), MG_EIO, MG_ENOMEM.
 */
int mg_gov_audit_export(json_t **summary, mg_store *s, const mg_actor *by, const char *model,
                        int64_t number, const char *path);

/*
 * Verify an audit bundle with no store, in this order (docs/governance.md
 * lists it too): the archive byte for byte (tar checksums, zero padding), the
 * manifest canonical and complete; the statement's signature, with the key it
 * names, before anything it lists is believed, then its shape (size = its
 * index, entries increasing from 0 below it); each entry it lists, present
 * (a missing one is named), canonical, chained, signed by the key in force
 * along the chain from entry 0, included in the tree head by its proof; the
 * statement itself the same way; no log entry beyond those listed (an extra
 * one is named); the tree head signed; the statement's log prefix consistent
 * with it; the listed entries each part of the version's story, holding its
 * registration, model, run (its start, and its finish as "finished") and
 * data set, and transitions unbroken up to the stage the statement names;
 * the artifact and reports hash to the sha256 the entries name, and the
 * manifest's lists and keys are the statement's and the chain's. A bundle
 * without a signed tree head or statement (format /1) is refused. Counts
 * and indices must be whole numbers within 2^53. `trusted_key` (NULL or "":
 * none) pins the key entry 0 must announce: a key id or the path of its
 * public key PEM. On success *summary is {"bundle","model","version","stage",
 * "submitter","artifact_sha256","entries","reports":[...],"tree_head",
 * "statement","keys"} (counts and indices as JSON integers) and
 * "trusted_key" when pinned. Errors: MG_EVERIFY naming the first failure,
 * MG_EPARSE (not a tar), MG_ENOTFOUND, MG_ETOOBIG (over 2 GiB), MG_EINVAL
 * (trusted key).
 */
int mg_gov_verify_bundle(json_t **summary, const char *path, const char *trusted_key);

#endif
