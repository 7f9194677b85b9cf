/**
 * Versioned schema migrations, applied in order inside one transaction each. `PRAGMA user_version` holds the
 * version reached; `schema_migrations` records when each one ran. Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'initial schema: projects, workspaces, chats, turns, chat events',
    sql: `
      CREATE TABLE projects (
        id             TEXT PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        path           TEXT NOT NULL UNIQUE,
        default_branch TEXT NOT NULL,
        created_at     INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE workspaces (
        id              TEXT PRIMARY KEY,
        project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        branch          TEXT NOT NULL,
        base_branch     TEXT NOT NULL,
        path            TEXT NOT NULL UNIQUE,
        status          TEXT NOT NULL DEFAULT 'ready',
        setup_status    TEXT NOT NULL DEFAULT 'none',
        setup_output    TEXT NOT NULL DEFAULT '',
        setup_exit_code INTEGER,
        active_chat_id  TEXT,
        initial_request TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        UNIQUE (project_id, branch)
      ) STRICT;

      CREATE TABLE chats (
        id               TEXT PRIMARY KEY,
        workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        agent_id         TEXT NOT NULL,
        model            TEXT,
        mode             TEXT,
        agent_session_id TEXT,
        title            TEXT NOT NULL DEFAULT '',
        status           TEXT NOT NULL DEFAULT 'waiting',
        last_seq         INTEGER NOT NULL DEFAULT 0,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX chats_by_workspace ON chats (workspace_id, created_at);

      CREATE TABLE turns (
        id          TEXT PRIMARY KEY,
        chat_id     TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        prompt      TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'aborted')),
        error       TEXT,
        cost_usd    REAL,
        duration_ms INTEGER,
        num_turns   INTEGER,
        created_at  INTEGER NOT NULL,
        started_at  INTEGER,
        finished_at INTEGER
      ) STRICT;
      CREATE INDEX turns_by_chat ON turns (chat_id, status);

      CREATE TABLE chat_events (
        chat_id    TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        turn_id    TEXT REFERENCES turns(id) ON DELETE SET NULL,
        type       TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (chat_id, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX chat_events_by_turn ON chat_events (turn_id);
    `,
  },
]);

/** The schema version this build of @band/store writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
