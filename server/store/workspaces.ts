import { newId } from '../../shared/ids.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { buildSamplePipeline } from '../../shared/sample-pipeline.ts';
import type { MemberView, PipelineView, Role, WorkspaceView } from '../../shared/api.ts';
import * as Y from 'yjs';
import type { Sql } from './db.ts';
import { writeSnapshot } from './update-log.ts';

/** A new workspace with its owner as admin, seeded with the sample sales pipeline and its contacts. */
export async function createWorkspaceWithSample(db: Sql, owner: { id: string; name: string }, now: number): Promise<{ workspaceId: string; pipelineId: string }> {
  const workspaceId = newId();
  const pipelineId = newId();
  await db.query('INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)', [workspaceId, `${owner.name}'s team`, now]);
  await addMember(db, workspaceId, owner.id, 'admin', now);
  await db.query('INSERT INTO pipelines (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)', [pipelineId, workspaceId, 'Sales pipeline', now]);
  const { board, contacts } = buildSamplePipeline({ pipelineId, workspaceId, ownerId: owner.id, now });
  await writeSnapshot(db, boardRoom(pipelineId), Y.encodeStateAsUpdate(board), now);
  await writeSnapshot(db, contactsRoom(workspaceId), Y.encodeStateAsUpdate(contacts), now);
  return { workspaceId, pipelineId };
}

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

export async function pipelinesOf(db: Sql, userId: string): Promise<PipelineView[]> {
  const rows = await db.query<{ id: string; name: string; workspace_id: string }>(
    `SELECT p.id, p.name, p.workspace_id FROM pipelines p JOIN memberships m ON m.workspace_id = p.workspace_id
     WHERE m.user_id = $1 ORDER BY m.created_at, p.created_at, p.id`,
    [userId]
  );
  return rows.map((row) => ({ id: row.id, name: row.name, workspaceId: row.workspace_id, room: boardRoom(row.id) }));
}

export async function pipelineWorkspace(db: Sql, pipelineId: string): Promise<string | null> {
  const rows = await db.query<{ workspace_id: string }>('SELECT workspace_id FROM pipelines WHERE id = $1', [pipelineId]);
  return rows[0]?.workspace_id ?? null;
}

export async function membersOf(db: Sql, workspaceId: string): Promise<MemberView[]> {
  return db.query<MemberView>(
    'SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.name, u.id',
    [workspaceId]
  );
}
