/* story.c - which log entries tell a model version's story, read from the signed entries alone. */
#include "story.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Actions whose entries can be part of a story; anything else is not even parsed. */
static const char *const story_actions[] = {
    "store.init",       "key.rotate", "model.create", "model.update",
    "dataset.register", "run.start",  "run.finish",   "version.register",
    "version.comment",  "report.write", "version.transition",
};

static int maybe_story(const char *body, size_t len, uint64_t idx)
{
    for (size_t i = 0; i < sizeof story_actions / sizeof *story_actions; i++)
        if (gov_entry_action_is(body, len, story_actions[i]))
            return 1;
    return idx == 0;
}

int gov_story_is_registration(const json_t *entry, const char *model, double number)
{
    const json_t *s = json_object_get(entry, "subject");

    return gov_json_str_eq(json_object_get(entry, "action"), "version.register") &&
           gov_json_str_eq(json_object_get(s, "model"), model) &&
           gov_json_num_eq(json_object_get(s, "version"), number);
}

/* Do subjects `a` and `b` hold the same number under `key`? */
static int same_id(const json_t *a, const json_t *b, const char *key)
{
    return gov_json_same_num(json_object_get(a, key), json_object_get(b, key));
}

gov_story_part gov_story_part_of(const json_t *reg, const json_t *start, uint64_t idx,
                                 const json_t *entry)
{
    const char *action = json_string_value(json_object_get(entry, "action"));
    const json_t *s = json_object_get(entry, "subject");

    if (!action || !reg)
        return GOV_STORY_NONE;
    if (idx == 0 || strcmp(action, "key.rotate") == 0)
        return GOV_STORY_KEY;
    if (strcmp(action, "model.create") == 0 || strcmp(action, "model.update") == 0) {
        if (!same_id(s, reg, "model_id"))
            return GOV_STORY_NONE;
        return strcmp(action, "model.create") == 0 ? GOV_STORY_MODEL : GOV_STORY_MODEL_UPDATE;
    }
    if (strcmp(action, "run.start") == 0 || strcmp(action, "run.finish") == 0) {
        if (!same_id(s, reg, "run_id")) /* a version without a run has a null run_id */
            return GOV_STORY_NONE;
        return strcmp(action, "run.start") == 0 ? GOV_STORY_RUN_START : GOV_STORY_RUN_FINISH;
    }
    if (strcmp(action, "dataset.register") == 0)
        return start && same_id(s, start, "dataset_id") ? GOV_STORY_DATASET : GOV_STORY_NONE;
    if (!gov_json_str_eq(json_object_get(s, "model"),
                         json_string_value(json_object_get(reg, "model"))) ||
        !same_id(s, reg, "version") || !same_id(s, reg, "version_id"))
        return GOV_STORY_NONE;
    if (strcmp(action, "version.register") == 0)
        return GOV_STORY_REGISTER;
    if (strcmp(action, "version.comment") == 0)
        return GOV_STORY_COMMENT;
    if (strcmp(action, "report.write") == 0)
        return GOV_STORY_REPORT;
    if (strcmp(action, "version.transition") == 0)
        return GOV_STORY_TRANSITION;
    return GOV_STORY_NONE;
}

int gov_stack_root(unsigned char root[MG_SHA256_LEN], const unsigned char (*stack)[MG_SHA256_LEN],
                   size_t depth)
{
    unsigned char h[MG_SHA256_LEN];
    int rc;

    if (depth == 0)
        return mg_sha256_digest(root, "", 0);
    memcpy(h, stack[depth - 1], MG_SHA256_LEN);
    for (size_t i = depth - 1; i-- > 0;)
        if ((rc = mg_merkle_node_hash(h, stack[i], h)) < 0)
            return rc;
    memcpy(root, h, MG_SHA256_LEN);
    return MG_OK;
}

/* Entry `hashed` (the next one) into the story's Merkle tree: its leaf, then each subtree
 * it completes. */
static int push_leaf(gov_story *st, const char *body, size_t len)
{
    unsigned char h[MG_SHA256_LEN];
    int rc;

    if ((rc = mg_merkle_leaf_hash(h, body, len)) < 0)
        return rc;
    for (uint64_t n = st->hashed; n & 1; n >>= 1)
        if ((rc = mg_merkle_node_hash(h, st->stack[--st->depth], h)) < 0)
            return rc;
    memcpy(st->stack[st->depth++], h, MG_SHA256_LEN);
    st->hashed++;
    return MG_OK;
}

/*
 * Each entry of [from, to) that may be part of a story (and, when `only` is set, has that
 * action), parsed, to `fn`; fn returns 0 to go on. Every entry's bytes, part of the story or
 * not, go into the story's Merkle tree the first time they are read: gov_story_signed() then
 * holds the bytes read against the signed tree head, so an entry altered or relabelled
 * behind the log's back is caught, never skipped. An entry that does not parse is damaged.
 */
typedef int (*entry_fn)(gov_story *st, uint64_t idx, const json_t *entry, void *arg);

static int each_entry(gov_story *st, gov_conn *c, uint64_t from, uint64_t to,
                      const char *const *only, entry_fn fn, void *arg)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT idx, body FROM log_entries WHERE idx >= ? AND idx < ? "
                                  "ORDER BY idx");
    int rc = MG_OK, step;

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t idx = (uint64_t)sqlite3_column_int64(q, 0);
        const char *body = (const char *)sqlite3_column_blob(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        int want = 0;
        json_t *e;

        if (idx == st->hashed && (rc = push_leaf(st, body, len)) < 0)
            break;
        for (size_t i = 0; only && only[i]; i++)
            want |= gov_entry_action_is(body, len, only[i]);
        if (only ? !want : !maybe_story(body, len, idx))
            continue;
        if (!(e = json_loadb(body, len, 0, NULL))) {
            rc = mg_error_set(MG_EVERIFY, "log entry %llu is not JSON (see 'modelgov verify "
                                          "--store')", (unsigned long long)idx);
            break;
        }
        rc = fn(st, idx, e, arg);
        json_decref(e);
        if (rc < 0)
            break;
    }
    if (rc == MG_OK && step != SQLITE_DONE)
        rc = gov_db_error(c, "log_entries");
    sqlite3_reset(q);
    return rc;
}

typedef struct find_arg {
    const char *model;
    int64_t number;
    json_t *starts; /* run id -> its run.start subject */
} find_arg;

/* The registration, and every run's start (the run that made the version precedes it). */
static int find_registration(gov_story *st, uint64_t idx, const json_t *e, void *arg)
{
    find_arg *a = arg;
    const json_t *s = json_object_get(e, "subject");
    char key[32];

    (void)idx;
    if (!st->reg && gov_story_is_registration(e, a->model, (double)a->number)) {
        st->reg = json_incref((json_t *)s);
    } else if (gov_json_str_eq(json_object_get(e, "action"), "run.start") &&
               json_is_integer(json_object_get(s, "run_id"))) {
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(s, "run_id")));
        if (!json_object_get(a->starts, key) &&
            json_object_set(a->starts, key, (json_t *)s) < 0)
            return mg_error_set(MG_ENOMEM, "out of memory");
    }
    return MG_OK;
}

static int add_part(gov_story *st, uint64_t idx, const json_t *e, void *arg)
{
    gov_story_part part = gov_story_part_of(st->reg, st->start, idx, e);
    const char *to;

    (void)arg;
    if (part == GOV_STORY_NONE)
        return MG_OK;
    if (json_array_append_new(st->list, json_integer((json_int_t)idx)) < 0)
        return mg_error_set(MG_ENOMEM, "out of memory");
    to = json_string_value(json_object_get(json_object_get(e, "subject"), "to"));
    if (part == GOV_STORY_TRANSITION && to)
        snprintf(st->stage, sizeof st->stage, "%s", to);
    return MG_OK;
}

int gov_story_extend(gov_story *st, gov_conn *c, uint64_t size)
{
    int rc = MG_OK;

    if (size > st->size &&
        (rc = each_entry(st, c, st->size, size, NULL, add_part, NULL)) == MG_OK)
        st->size = size;
    return rc;
}

int gov_story_read(gov_story *st, gov_conn *c, const char *model, int64_t number, uint64_t size)
{
    static const char *const first[] = {"version.register", "run.start", NULL};
    find_arg a = {model, number, json_object()};
    const json_t *run;
    char key[32];
    int rc;

    memset(st, 0, sizeof *st);
    snprintf(st->stage, sizeof st->stage, "registered");
    if (!a.starts || !(st->list = json_array())) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = each_entry(st, c, 0, size, first, find_registration, &a)) < 0)
        goto done;
    if (!st->reg) {
        rc = mg_error_set(MG_ENOTFOUND, "the log's first %llu entries register no version %lld "
                                        "of '%s'",
                          (unsigned long long)size, (long long)number, model);
        goto done;
    }
    run = json_object_get(st->reg, "run_id");
    if (json_is_integer(run)) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(run));
        st->start = json_incref(json_object_get(a.starts, key));
    }
    rc = gov_story_extend(st, c, size);
done:
    json_decref(a.starts);
    return rc;
}

/* Is `id` a key id (64 lower-case hex digits), safe to make a file name of? */
static int is_key_id(const char *id)
{
    size_t i = 0;

    for (; id && i < 64; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return id && id[64] == '\0';
}

int gov_story_signed(gov_story *st, gov_conn *c, const char *keys_dir, char *why, size_t n)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT size, root, time, body, key_id, sig FROM tree_heads "
                                  "ORDER BY size DESC LIMIT 1");
    unsigned char root[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    char path[4096];
    mg_buf want = MG_BUF_INIT;
    mg_key *key = NULL;
    uint64_t size;
    const char *time, *key_id;
    int rc, ok = 0;

    if (!q)
        return MG_ERROR;
    if ((rc = gov_stack_root(root, (const unsigned char(*)[MG_SHA256_LEN])st->stack,
                             st->depth)) < 0)
        return rc;
    mg_sha256_hex(hex, root);
    if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "tree_heads");
        snprintf(why, n, "the store has no signed tree head");
        goto done;
    }
    size = (uint64_t)sqlite3_column_int64(q, 0);
    time = (const char *)sqlite3_column_text(q, 2);
    key_id = (const char *)sqlite3_column_text(q, 4);
    rc = MG_OK;
    if (size != st->hashed) {
        snprintf(why, n, "the latest signed tree head covers %llu entries, the log holds %llu",
                 (unsigned long long)size, (unsigned long long)st->hashed);
    } else if (sqlite3_column_bytes(q, 1) != MG_SHA256_LEN ||
               memcmp(sqlite3_column_blob(q, 1), root, MG_SHA256_LEN) != 0) {
        snprintf(why, n, "the log's entries hash to root %.16s..., not the root its latest signed "
                         "tree head (size %llu) vouches for: an entry was altered",
                 hex, (unsigned long long)size);
    } else if (!is_key_id(key_id) ||
               snprintf(path, sizeof path, "%s/%s.pem", keys_dir, key_id) >= (int)sizeof path ||
               mg_key_load(&key, path) < 0 || strcmp(mg_key_id(key), key_id) != 0) {
        mg_error_clear();
        snprintf(why, n, "the latest tree head (size %llu) names signing key %.16s..., which is "
                         "not one of the store's key files",
                 (unsigned long long)size, key_id ? key_id : "(none)");
    } else if ((rc = mg_gov_tree_head_bytes(&want, size, hex, time ? time : "")) < 0) {
        goto done;
    } else if ((size_t)sqlite3_column_bytes(q, 3) != want.len ||
               memcmp(sqlite3_column_blob(q, 3), want.ptr, want.len) != 0 ||
               sqlite3_column_bytes(q, 5) != MG_ED25519_SIG_LEN ||
               mg_key_verify(key, want.ptr, want.len, sqlite3_column_blob(q, 5)) != MG_OK) {
        mg_error_clear();
        snprintf(why, n, "the latest tree head (size %llu) is not signed by key %.16s...",
                 (unsigned long long)size, key_id);
    } else {
        ok = 1;
    }
done:
    mg_key_free(key);
    mg_buf_free(&want);
    sqlite3_reset(q);
    return rc < 0 ? rc : ok;
}

void gov_story_free(gov_story *st)
{
    json_decref(st->reg);
    json_decref(st->start);
    json_decref(st->list);
    memset(st, 0, sizeof *st);
}
