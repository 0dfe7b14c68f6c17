/* migrate.c - schema migrations: numbered scripts, a version table, newer stores refused. */
#include "store.h"

#include <stdio.h>

/*
 * Migration N brings a store from version N - 1 to N. Never edit a released
 * script: add the next one. The log tables are append-only (triggers), so a
 * tamperer has to drop the triggers first; `modelgov verify` catches the rest.
 */
/* 1: the signed log, keys, tokens and the inventory */
static const char *const migration_1[] = {
    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL) STRICT;",
    "CREATE TABLE keys (id TEXT PRIMARY KEY, public_pem TEXT NOT NULL, created TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('active', 'retired')), announced_index INTEGER NOT"
    " NULL) STRICT;",
    "CREATE UNIQUE INDEX keys_one_active ON keys (status) WHERE status = 'active';",
    "CREATE TABLE log_entries (idx INTEGER PRIMARY KEY, body TEXT NOT NULL, leaf BLOB NOT NULL,"
    " key_id TEXT NOT NULL REFERENCES keys (id), sig BLOB NOT NULL, action TEXT NOT NULL)"
    " STRICT;",
    "CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT"
    " NULL, PRIMARY KEY (level, idx)) STRICT, WITHOUT ROWID;",
    "CREATE TABLE tree_heads (size INTEGER PRIMARY KEY, root BLOB NOT NULL, time TEXT NOT NULL,"
    " body TEXT NOT NULL, key_id TEXT NOT NULL REFERENCES keys (id), sig BLOB NOT NULL) STRICT;",
    "CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries BEGIN SELECT RAISE(ABORT,"
    " 'the log is append-only'); END;",
    "CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries BEGIN SELECT RAISE(ABORT,"
    " 'the log is append-only'); END;",
    "CREATE TRIGGER tree_heads_no_update BEFORE UPDATE ON tree_heads BEGIN SELECT RAISE(ABORT,"
    " 'tree heads are append-only'); END;",
    "CREATE TRIGGER tree_heads_no_delete BEFORE DELETE ON tree_heads BEGIN SELECT RAISE(ABORT,"
    " 'tree heads are append-only'); END;",
    "CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL"
    " CHECK (role IN ('viewer', 'submitter', 'reviewer', 'admin')), secret_sha256 BLOB NOT NULL"
    " UNIQUE, created TEXT NOT NULL, created_by TEXT NOT NULL, revoked TEXT, log_index INTEGER"
    " NOT NULL) STRICT;",
    "CREATE TABLE datasets (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, name TEXT NOT"
    " NULL, schema_json TEXT NOT NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, owner TEXT"
    " NOT NULL, domain TEXT NOT NULL, description TEXT NOT NULL, created TEXT NOT NULL,"
    " created_by TEXT NOT NULL, log_index INTEGER NOT NULL) STRICT;",
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets"
    " (id), config_json TEXT NOT NULL, seed INTEGER, code_version TEXT NOT NULL, status TEXT NOT"
    " NULL CHECK (status IN ('running', 'finished', 'failed')), metrics_json TEXT,"
    " loss_curves_json TEXT, privacy_json TEXT, artifact_sha256 TEXT, started TEXT NOT NULL,"
    " started_by TEXT NOT NULL, finished TEXT, start_index INTEGER NOT NULL, finish_index"
    " INTEGER) STRICT;",
    "CREATE INDEX runs_dataset ON runs (dataset_id);",
    "CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner TEXT NOT"
    " NULL, description TEXT NOT NULL, intended_use TEXT NOT NULL, risk_tier TEXT NOT NULL CHECK"
    " (risk_tier IN ('low', 'medium', 'high')), policy_json TEXT NOT NULL, created TEXT NOT"
    " NULL, created_by TEXT NOT NULL, updated TEXT NOT NULL, log_index INTEGER NOT NULL) STRICT;",
    "CREATE TABLE versions (id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL REFERENCES models"
    " (id), number INTEGER NOT NULL, artifact_sha256 TEXT NOT NULL, stage TEXT NOT NULL CHECK"
    " (stage IN ('registered', 'pending_review', 'approved', 'production', 'archived',"
    " 'rejected')), submitter TEXT NOT NULL, run_id INTEGER REFERENCES runs (id), metrics_json"
    " TEXT, description TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, log_index"
    " INTEGER NOT NULL, UNIQUE (model_id, number)) STRICT;",
    "CREATE INDEX versions_run ON versions (run_id);",
    "CREATE TABLE reports (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL REFERENCES"
    " versions (id), kind TEXT NOT NULL CHECK (kind IN ('bias', 'explain', 'privacy',"
    " 'evaluation')), config_json TEXT NOT NULL, sha256 TEXT NOT NULL, artifact_sha256 TEXT NOT"
    " NULL, dataset_id INTEGER REFERENCES datasets (id), created TEXT NOT NULL, created_by TEXT"
    " NOT NULL, log_index INTEGER NOT NULL) STRICT;",
    "CREATE INDEX reports_version ON reports (version_id);",
    "CREATE INDEX reports_dataset ON reports (dataset_id);",
    "CREATE TABLE transitions (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL REFERENCES"
    " versions (id), from_stage TEXT NOT NULL, to_stage TEXT NOT NULL, actor TEXT NOT NULL, role"
    " TEXT NOT NULL, comment TEXT NOT NULL, gates_json TEXT, created TEXT NOT NULL, log_index"
    " INTEGER NOT NULL) STRICT;",
    "CREATE INDEX transitions_version ON transitions (version_id);",
    "CREATE TABLE comments (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL REFERENCES"
    " versions (id), actor TEXT NOT NULL, text TEXT NOT NULL, created TEXT NOT NULL, log_index"
    " INTEGER NOT NULL) STRICT;",
    "CREATE INDEX comments_version ON comments (version_id);",
    "CREATE TABLE privacy_ledger (id INTEGER PRIMARY KEY, dataset_sha256 TEXT NOT NULL"
    " REFERENCES datasets (sha256), run_id INTEGER NOT NULL REFERENCES runs (id), kind TEXT NOT"
    " NULL CHECK (kind IN ('rdp', 'unbounded')), spend_json TEXT NOT NULL, created TEXT NOT"
    " NULL, log_index INTEGER NOT NULL) STRICT;",
    "CREATE INDEX privacy_ledger_dataset ON privacy_ledger (dataset_sha256);",
    NULL};

static const char *const *const migrations[] = {migration_1};

#define LATEST ((int)(sizeof migrations / sizeof *migrations))

_Static_assert(LATEST == GOV_SCHEMA_VERSION, "GOV_SCHEMA_VERSION names the last migration");

static int int_query(int *out, gov_conn *c, const char *sql)
{
    sqlite3_stmt *st = gov_stmt(c, sql);
    int rc;

    if (!st)
        return MG_ERROR;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = MG_OK;
    } else {
        rc = gov_db_error(c, "schema version");
    }
    sqlite3_reset(st);
    return rc;
}

static int exec1(gov_conn *c, const char *sql)
{
    sqlite3_stmt *st = gov_stmt(c, sql);
    return st ? gov_step_done(c, st, sql) : MG_ERROR;
}

int gov_migrate(gov_conn *c, const char *db_path)
{
    int have_table = 0, other = 0, version = 0, rc;

    if ((rc = exec1(c, "BEGIN IMMEDIATE")) < 0)
        return rc;
    if ((rc = int_query(&have_table, c,
                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = "
                        "'schema_version'")) < 0 ||
        (rc = int_query(&other, c, "SELECT count(*) FROM sqlite_schema")) < 0)
        goto fail;
    if (!have_table && other > 0) {
        rc = mg_error_set(MG_EPARSE, "%s is not a modelgov database", db_path);
        goto fail;
    }
    if (have_table &&
        (rc = int_query(&version, c, "SELECT coalesce(max(version), 0) FROM schema_version")) < 0)
        goto fail;
    if (version > LATEST) {
        rc = mg_error_set(MG_ECONFLICT,
                          "%s: store schema version %d is newer than this modelgov (%s) "
                          "understands (up to %d); upgrade modelgov to open it",
                          db_path, version, MG_VERSION, LATEST);
        goto fail;
    }
    for (int v = version + 1; v <= LATEST; v++) {
        sqlite3_stmt *st;
        char now[32];

        for (const char *const *sql = migrations[v - 1]; *sql; sql++)
            if ((rc = gov_exec_script(c, *sql)) < 0)
                goto fail;
        if (!(st = gov_stmt(c, "INSERT INTO schema_version (version, applied) VALUES (?, ?)"))) {
            rc = MG_ERROR;
            goto fail;
        }
        gov_now(now);
        sqlite3_bind_int(st, 1, v);
        gov_bind_text(st, 2, now);
        if ((rc = gov_step_done(c, st, "schema_version")) < 0)
            goto fail;
    }
    return exec1(c, "COMMIT");
fail:
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
