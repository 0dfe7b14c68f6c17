/* story.h - which log entries tell a model version's story: one rule for export and verify. */
#ifndef GOV_STORY_H
#define GOV_STORY_H

#include "store.h"

/* The part a log entry plays in a version's story. */
typedef enum gov_story_part {
    GOV_STORY_NONE = 0,     /* not about the version */
    GOV_STORY_KEY,          /* entry 0 or a key rotation: the key chain */
    GOV_STORY_MODEL,        /* model.create of the version's model */
    GOV_STORY_MODEL_UPDATE, /* model.update of it */
    GOV_STORY_DATASET,      /* dataset.register of the data set its run used */
    GOV_STORY_RUN_START,    /* run.start of the run that made it */
    GOV_STORY_RUN_FINISH,   /* run.finish of that run */
    GOV_STORY_REGISTER,     /* version.register of the version */
    GOV_STORY_COMMENT,      /* version.comment on it */
    GOV_STORY_REPORT,       /* report.write on it */
    GOV_STORY_TRANSITION    /* version.transition of it */
} gov_story_part;

/*
 * Is `entry` (parsed: integers or reals alike) the version.register entry of
 * `model` version `number`? Reads only the entry, never the inventory.
 */
int gov_story_is_registration(const json_t *entry, const char *model, double number);

/*
 * The part entry `idx` plays in the story of the version that `reg` (the
 * subject of its version.register entry) registered; `start` is the subject
 * of its run's run.start entry, or NULL when unknown (then no data set entry
 * is part of it). Judged by the entry's own action and subject: the model by
 * model_id, the run by run_id, the data set by dataset_id, the version's own
 * entries by model, version and version_id. Cannot fail.
 */
gov_story_part gov_story_part_of(const json_t *reg, const json_t *start, uint64_t idx,
                                 const json_t *entry);

/* A version's story as read from the log: what an audit bundle's statement says. */
typedef struct gov_story {
    json_t *reg;      /* the version.register subject (owned) */
    json_t *start;    /* its run's run.start subject (owned), or NULL */
    json_t *list;     /* the story's entry indices, increasing (owned) */
    char stage[24];   /* the `to` of its last transition, or "registered" */
    uint64_t size;    /* the entries read: [0, size) */
    /* the Merkle tree of the entries [0, hashed) as read, their bytes hashed here: the
     * perfect subtrees still open, largest first (RFC 6962's stack) */
    unsigned char stack[64][MG_SHA256_LEN];
    size_t depth;
    uint64_t hashed;
} gov_story;

/* The root of the tree whose open perfect subtrees are stack[0..depth) (SHA-256("") when
 * empty). Errors: MG_ERROR (OpenSSL). */
int gov_stack_root(unsigned char root[MG_SHA256_LEN], const unsigned char (*stack)[MG_SHA256_LEN],
                   size_t depth);

/*
 * Is the story's log the log the store signed? The root of the entries read (their bytes,
 * hashed as they were read; never the stored leaves or nodes) must be the root of the latest
 * tree head, which must cover exactly them and carry a valid signature by the key it names,
 * loaded from the store's key files in `keys_dir` (which a database writer cannot add to).
 * One line in `why` when not. Returns 1 (signed), 0 (not; why says how) or a negative code.
 */
int gov_story_signed(gov_story *st, gov_conn *c, const char *keys_dir, char *why, size_t n);

/*
 * Read the story of `model` version `number` among the log's first `size`
 * entries from the signed entries themselves (their bodies' own action and
 * subject; never the inventory tables or the action column), inside the
 * caller's transaction on `c`. Free with gov_story_free() whatever it returns.
 * Errors: MG_ENOTFOUND (the log registers no such version), MG_EIO, MG_ENOMEM.
 */
int gov_story_read(gov_story *st, gov_conn *c, const char *model, int64_t number, uint64_t size);

/*
 * Carry a story read up to st->size on to the log's first `size` entries
 * (entries appended since: transitions, comments, reports, model updates,
 * key rotations). Errors: MG_EIO, MG_ENOMEM.
 */
int gov_story_extend(gov_story *st, gov_conn *c, uint64_t size);

void gov_story_free(gov_story *st);

#endif
