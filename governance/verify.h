/* verify.h - inside verification: the parallel signature checker and the first-failure record. */
#ifndef GOV_VERIFY_H
#define GOV_VERIFY_H

#include <pthread.h>

#include "mg_governance.h"
#include "store.h"

/*
 * The first failure wins by rank: entry i ranks 4i (the Merkle nodes it
 * completes 4i + 1), the tree head of size n ranks 4n - 1 (after the entries
 * it covers), anything else ranks after the log: the inventory's records by
 * the entry each concerns (GOV_RANK_RECORDS + its index, so the first failing
 * entry is named), then key files and artifacts.
 */
#define GOV_RANK_AFTER_LOG UINT64_MAX
#define GOV_RANK_RECORDS ((uint64_t)1 << 62)
#define GOV_RANK_RECORDS_SPAN ((int64_t)1 << 61)

typedef struct gov_failure {
    pthread_mutex_t mu;
    uint64_t rank; /* UINT64_MAX + no message: none yet */
    int failed;
    char msg[900];
} gov_failure;

void gov_failure_init(gov_failure *f);
void gov_failure_destroy(gov_failure *f);

/* Record a failure; the lowest rank is kept. Thread-safe. */
void gov_fail(gov_failure *f, uint64_t rank, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lowest rank failed so far (UINT64_MAX when none). Thread-safe. */
uint64_t gov_failure_rank(gov_failure *f);

/* One signed thing to check: an entry (expected index and prev) or a tree head. */
typedef struct gov_check {
    uint64_t rank;
    int is_entry;
    uint64_t index;                /* entries */
    char prev[MG_SHA256_HEX];      /* entries: the hex "prev" it must carry */
    char *bytes;                   /* owned */
    size_t len;
    unsigned char sig[MG_ED25519_SIG_LEN];
    const mg_key *key;             /* borrowed; lives as long as the checker */
    char what[64];                 /* "log entry 12", "tree head of size 13" */
} gov_check;

/* Worker threads that check signatures and the canonical form of entries. */
typedef struct gov_checker gov_checker;

/* Start `threads` workers (0: one per online CPU). Errors: MG_ENOMEM, MG_ERROR. */
int gov_checker_start(gov_checker **out, unsigned threads, gov_failure *f);

/* Hand over a check (its bytes are taken). Blocks while the queue is full. Errors: MG_ENOMEM. */
int gov_checker_add(gov_checker *k, gov_check *c);

/* Finish every queued check and stop the workers; returns the number of threads used. */
unsigned gov_checker_finish(gov_checker *k);

/*
 * Check one entry's canonical bytes: canonical JCS, exactly the six fields
 * of DESIGN §6, "index" = index, "prev" = prev. Parsed entry returned in
 * *out when out is not NULL. Returns 0 or MG_EVERIFY with the reason in `why`.
 */
int gov_entry_check(json_t **out, const char *bytes, size_t len, uint64_t index, const char *prev,
                    char *why, size_t why_len);

/* Is `v` a JSON string equal to `s` (s may be NULL: never)? */
int gov_json_str_eq(const json_t *v, const char *s);

/* Is `v` a JSON number (integer or real) equal to `x`? */
int gov_json_num_eq(const json_t *v, double x);

/* Are `a` and `b` both JSON numbers of equal value (3 and 3.0 alike)? */
int gov_json_same_num(const json_t *a, const json_t *b);

/*
 * The action an entry's canonical bytes name: canonical JSON sorts keys, so
 * a well-formed entry opens with {"action":"...". Returns a pointer into
 * `body` and its length in *n, or NULL when the bytes do not open so. Reads
 * the signed bytes, never the log's action column.
 */
const char *gov_entry_action(size_t *n, const char *body, size_t len);

/* Do an entry's canonical bytes name `action` (as gov_entry_action reads them)? */
int gov_entry_action_is(const char *body, size_t len, const char *action);

/*
 * The key a "store.init" or "key.rotate" subject announces, checked against
 * its "key_id". Returns 0 or MG_EVERIFY with the reason in `why`.
 */
int gov_announced_key(mg_key **out, const json_t *subject, char *why, size_t n);

/*
 * The key id an auditor pins with --trusted-key: `arg` is either a key id
 * (64 lower-case hex digits) or the path of a public key PEM (such as a
 * bundle's keys/<id>.pem), whose id is computed. "" and NULL pin nothing
 * (out[0] = '\0'). Errors: MG_EINVAL naming `arg` and why it is neither.
 */
int gov_trusted_key_id(char out[MG_SHA256_HEX], const char *arg);

/*
 * The inventory rows against the log entries that made them (records.c),
 * inside the caller's read transaction on `c` (a read connection of its own,
 * so that one snapshot holds throughout); failures go to `f`, ranked by the entry
 * each concerns. *records counts the rows checked. Errors: MG_EIO, MG_ENOMEM.
 */
int gov_verify_records(uint64_t *records, gov_conn *c, gov_failure *f);

#endif
