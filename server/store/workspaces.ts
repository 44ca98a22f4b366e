import { newId } from '../../shared/ids.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { buildSamplePipeline, DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { initBoard } from '../../shared/board-doc.ts';
import { canEdit, pipelineAllows, ROLES, type MemberView, type PipelineCreate, type PipelineView, type Role, type WorkspaceView } from '../../shared/api.ts';
import * as Y from 'yjs';
import type { Sql } from './db.ts';
import { writeSnapshot } from './update-log.ts';

/** A new workspace (named "<owner>'s team" unless given a name) with its owner as admin, seeded with the sample sales pipeline and its contacts. */
export async function createWorkspaceWithSample(
  db: Sql,
  owner: { id: string; name: string },
  now: number,
  workspaceName = `${owner.name}'s team`
): Promise<{ workspaceId: string; pipelineId: string }> {
  const workspaceId = newId();
  const pipelineId = newId();
  await db.query('INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)', [workspaceId, workspaceName, now]);
  await addMember(db, workspaceId, owner.id, 'admin', now);
  const { board, contacts } = buildSamplePipeline({ pipelineId, workspaceId, ownerId: owner.id, now });
  await insertPipeline(db, { id: pipelineId, workspaceId, name: 'Sales pipeline', allowedRoles: null, board }, now);
  await writeSnapshot(db, contactsRoom(workspaceId), Y.encodeStateAsUpdate(contacts), now);
  return { workspaceId, pipelineId };
}

/** A pipeline row and its board doc's first snapshot, so the room loads the laid-out board. */
async function insertPipeline(
  db: Sql,
  pipeline: { id: string; workspaceId: string; name: string; allowedRoles: Role[] | null; board: Y.Doc },
  now: number
): Promise<void> {
  await db.query('INSERT INTO pipelines (id, workspace_id, name, allowed_roles, created_at) VALUES ($1, $2, $3, $4, $5)', [
    pipeline.id,
    pipeline.workspaceId,
    pipeline.name,
    storedRoles(pipeline.allowedRoles),
    now
  ]);
  await writeSnapshot(db, boardRoom(pipeline.id), Y.encodeStateAsUpdate(pipeline.board), now);
}

type Refusal = { ok: false; status: 404 | 409; reason: string };
export type PipelineCreation = { ok: true; pipelineId: string } | Refusal;

/** Lock the workspace, then: is `name` (ignoring case) taken by another of its pipelines than `exceptId`? */
async function pipelineNameTaken(tx: Sql, workspaceId: string, name: string, exceptId = ''): Promise<string | null> {
  await tx.query('SELECT id FROM workspaces WHERE id = $1 FOR UPDATE', [workspaceId]);
  const taken = await tx.query('SELECT id FROM pipelines WHERE workspace_id = $1 AND lower(name) = lower($2) AND id <> $3', [workspaceId, name, exceptId]);
  return taken.length ? `this workspace already has a pipeline named "${name}"` : null;
}

/**
 * A new, empty pipeline in a workspace with the given stages (the sales stages when none are given). Names are
 * unique within a workspace, ignoring case, so the pipeline picker never shows two alike. Runs in the caller's
 * transaction; the workspace row lock makes two admins creating the same name at once end with one of it.
 */
export async function createPipeline(tx: Sql, workspaceId: string, input: PipelineCreate, now: number): Promise<PipelineCreation> {
  const taken = await pipelineNameTaken(tx, workspaceId, input.name);
  if (taken) return { ok: false, status: 409, reason: taken };
  const pipelineId = newId();
  const board = new Y.Doc();
  initBoard(board, { pipelineId, workspaceId, name: input.name, stages: input.stages ?? DEFAULT_STAGES });
  await insertPipeline(tx, { id: pipelineId, workspaceId, name: input.name, allowedRoles: input.allowedRoles ?? null, board }, now);
  return { ok: true, pipelineId };
}

/** Rename a pipeline's row (its board doc is renamed by the caller, live); same unique-name rule as creating. */
export async function renamePipeline(
  tx: Sql,
  workspaceId: string,
  pipelineId: string,
  name: string
): Promise<{ ok: true } | Refusal> {
  const taken = await pipelineNameTaken(tx, workspaceId, name, pipelineId);
  if (taken) return { ok: false, status: 409, reason: taken };
  const rows = await tx.query('UPDATE pipelines SET name = $1 WHERE id = $2 AND workspace_id = $3 RETURNING id', [name, pipelineId, workspaceId]);
  return rows.length ? { ok: true } : { ok: false, status: 404, reason: 'no such pipeline in this workspace' };
}

/** Join a workspace; someone already in it keeps their role (an invite never demotes or promotes). */
export async function addMember(db: Sql, workspaceId: string, userId: string, role: Role, now: number): Promise<void> {
  await db.query(
    'INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, user_id) DO NOTHING',
    [workspaceId, userId, role, now]
  );
}

export async function roleIn(db: Sql, workspaceId: string, userId: string): Promise<Role | null> {
  const rows = await db.query<{ role: Role }>('SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
  return rows[0]?.role ?? null;
}

export async function workspacesOf(db: Sql, userId: string): Promise<WorkspaceView[]> {
  const rows = await db.query<{ id: string; name: string; role: Role }>(
    'SELECT w.id, w.name, m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY m.created_at, w.id',
    [userId]
  );
  return rows.map((row) => ({ ...row, contactsRoom: contactsRoom(row.id) }));
}

/** allowed_roles holds a JSON array of roles, or NULL for "every member". Admins always may, so are never listed. */
function storedRoles(allowedRoles: Role[] | null): string | null {
  return allowedRoles === null ? null : JSON.stringify(allowedRoles.filter((role) => role !== 'admin'));
}

function parseAllowedRoles(text: string | null): Role[] | null {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((role): role is Role => (ROLES as readonly string[]).includes(role)) : null;
}

/** The pipelines this user may open: those of their workspaces that are not limited to other roles. */
export async function pipelinesOf(db: Sql, userId: string): Promise<PipelineView[]> {
  const rows = await db.query<{ id: string; name: string; workspace_id: string; allowed_roles: string | null; role: Role }>(
    `SELECT p.id, p.name, p.workspace_id, p.allowed_roles, m.role FROM pipelines p JOIN memberships m ON m.workspace_id = p.workspace_id
     WHERE m.user_id = $1 ORDER BY m.created_at, p.created_at, p.id`,
    [userId]
  );
  return rows
    .map((row) => ({ row, allowedRoles: parseAllowedRoles(row.allowed_roles) }))
    .filter(({ row, allowedRoles }) => pipelineAllows(allowedRoles, row.role))
    .map(({ row, allowedRoles }) => ({
      id: row.id,
      name: row.name,
      workspaceId: row.workspace_id,
      room: boardRoom(row.id),
      allowedRoles,
      canEdit: canEdit(row.role)
    }));
}

export async function pipelineWorkspace(db: Sql, pipelineId: string): Promise<string | null> {
  return (await pipelineAccess(db, pipelineId))?.workspaceId ?? null;
}

export async function pipelineAccess(db: Sql, pipelineId: string): Promise<{ workspaceId: string; allowedRoles: Role[] | null } | null> {
  const rows = await db.query<{ workspace_id: string; allowed_roles: string | null }>('SELECT workspace_id, allowed_roles FROM pipelines WHERE id = $1', [pipelineId]);
  return rows[0] ? { workspaceId: rows[0].workspace_id, allowedRoles: parseAllowedRoles(rows[0].allowed_roles) } : null;
}

/** A pipeline's name as the database holds it (the source of truth a board repair rewrites its meta from). */
export async function pipelineName(db: Sql, workspaceId: string, pipelineId: string): Promise<string | null> {
  const rows = await db.query<{ name: string }>('SELECT name FROM pipelines WHERE id = $1 AND workspace_id = $2', [pipelineId, workspaceId]);
  return rows[0]?.name ?? null;
}

/** Limit a pipeline to some roles (admins always keep access), or open it to everyone with null. */
export async function setPipelineAccess(db: Sql, workspaceId: string, pipelineId: string, allowedRoles: Role[] | null): Promise<boolean> {
  const rows = await db.query('UPDATE pipelines SET allowed_roles = $1 WHERE id = $2 AND workspace_id = $3 RETURNING id', [
    storedRoles(allowedRoles),
    pipelineId,
    workspaceId
  ]);
  return rows.length > 0;
}

export async function membersOf(db: Sql, workspaceId: string): Promise<MemberView[]> {
  return db.query<MemberView>(
    'SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.name, u.id',
    [workspaceId]
  );
}

export type MembershipChange = { ok: true } | { ok: false; status: 404 | 409; reason: string };

/**
 * Change a member's role, or remove them (role null). A workspace always keeps one admin: the change that would
 * leave none is refused. Runs in the caller's transaction; the row lock serializes two admins demoting each other.
 */
export async function changeMembership(tx: Sql, workspaceId: string, userId: string, role: Role | null): Promise<MembershipChange> {
  const admins = await tx.query<{ user_id: string }>("SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'admin' FOR UPDATE", [workspaceId]);
  const current = await roleIn(tx, workspaceId, userId);
  if (!current) return { ok: false, status: 404, reason: 'no such member' };
  const losesAdmin = current === 'admin' && role !== 'admin';
  if (losesAdmin && admins.length <= 1) {
    return { ok: false, status: 409, reason: 'a workspace needs at least one admin: make someone else admin first' };
  }
  if (role === null) await tx.query('DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
  else await tx.query('UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3', [role, workspaceId, userId]);
  return { ok: true };
}
