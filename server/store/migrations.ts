import type { Db } from './db.ts';

/** Append-only: ids go up by exactly one and a shipped migration is never edited. */
export const migrations: Array<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'accounts, workspaces, pipelines, doc storage',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        email text NOT NULL UNIQUE,
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at bigint NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE TABLE api_tokens (
        id text PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at bigint NOT NULL,
        last_used_at bigint
      );
      CREATE TABLE workspaces (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE TABLE memberships (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (workspace_id, user_id)
      );
      CREATE INDEX memberships_user ON memberships(user_id);
      CREATE TABLE pipelines (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE TABLE invites (
        id text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        token text NOT NULL UNIQUE,
        email text,
        created_by text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        accepted_by text REFERENCES users(id) ON DELETE SET NULL,
        accepted_at bigint,
        revoked_at bigint
      );
      CREATE TABLE doc_updates (
        id bigserial PRIMARY KEY,
        room text NOT NULL,
        data bytea NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX doc_updates_room ON doc_updates(room, id);
      CREATE TABLE doc_snapshots (
        room text PRIMARY KEY,
        data bytea NOT NULL,
        updated_at bigint NOT NULL
      );
    `
  },
  {
    id: 2,
    name: 'roles: admin, sales, marketing, support, viewer; pipelines limited to roles; invites carry a role',
    sql: `
      UPDATE memberships SET role = 'sales' WHERE role = 'member';
      ALTER TABLE pipelines ADD COLUMN allowed_roles text;
      ALTER TABLE invites ADD COLUMN role text NOT NULL DEFAULT 'sales'
    `
  },
  {
    id: 3,
    name: 'history: attributed update log kept past compaction, checkpoints, change feed, reviews, audit log',
    sql: `
      ALTER TABLE doc_updates ADD COLUMN user_id text;
      ALTER TABLE doc_snapshots ADD COLUMN last_update_id bigint NOT NULL DEFAULT 0;
      ALTER TABLE doc_snapshots ADD COLUMN raw_pruned_through bigint NOT NULL DEFAULT 0;
      CREATE INDEX doc_updates_created ON doc_updates(room, created_at);
      CREATE TABLE doc_checkpoints (
        room text NOT NULL,
        at bigint NOT NULL,
        last_update_id bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (room, last_update_id)
      );
      CREATE INDEX doc_checkpoints_at ON doc_checkpoints(room, at);
      CREATE TABLE doc_changes (
        id bigserial PRIMARY KEY,
        room text NOT NULL,
        update_id bigint NOT NULL,
        at bigint NOT NULL,
        user_id text,
        entity_id text NOT NULL,
        title text NOT NULL,
        kind text NOT NULL,
        field text,
        before text,
        after text
      );
      CREATE INDEX doc_changes_room_at ON doc_changes(room, at);
      CREATE INDEX doc_changes_entity ON doc_changes(room, entity_id, id);
      CREATE TABLE pipeline_reviews (
        pipeline_id text NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
        user_id text REFERENCES users(id) ON DELETE SET NULL,
        at bigint NOT NULL
      );
      CREATE INDEX pipeline_reviews_at ON pipeline_reviews(pipeline_id, at);
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        workspace_id text,
        at bigint NOT NULL,
        actor_id text,
        action text NOT NULL,
        target text,
        detail text NOT NULL,
        address text
      );
      CREATE INDEX audit_log_workspace ON audit_log(workspace_id, at);
      CREATE INDEX audit_log_actor ON audit_log(actor_id, at)
    `
  },
  {
    id: 4,
    name: 'account e-mail: signups waiting for their address to be confirmed, password reset links',
    sql: `
      CREATE TABLE signup_verifications (
        id text PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        invite_id text REFERENCES invites(id) ON DELETE SET NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint
      );
      CREATE INDEX signup_verifications_email ON signup_verifications(email);
      CREATE TABLE password_resets (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint
      );
      CREATE INDEX password_resets_user ON password_resets(user_id)
    `
  },
  {
    id: 5,
    name: 'the schema version a room was last opened at, so a current doc can be served from its stored bytes',
    sql: `
      CREATE TABLE room_schema (
        room text PRIMARY KEY,
        version integer NOT NULL
      )
    `
  }
];

/** Bring the database up to the newest migration; safe when several servers start at once on one Postgres. */
export async function migrate(db: Db): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
  const applied: number[] = [];
  for (const migration of migrations) {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7243001)');
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
      if (done.length) return;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [migration.id, migration.name, Date.now()]);
      applied.push(migration.id);
    });
  }
  return applied;
}

/** Migrations hold plain DDL (no functions, no quoted semicolons), so splitting on ';' is exact. */
function splitStatements(script: string): string[] {
  return script
    .split(';')
    .map((statement) => statement.trim())
    .filter(Boolean);
}
