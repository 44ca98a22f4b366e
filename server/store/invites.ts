import { newId } from '../../shared/ids.ts';
import type { Role } from '../../shared/api.ts';
import type { Sql } from './db.ts';
import { normalizeEmail } from './accounts.ts';
import { generateSecretToken } from '../auth/tokens.ts';

export const INVITE_LIFETIME_MS = 7 * 86_400_000;

export interface InviteRow {
  id: string;
  workspace_id: string;
  token: string;
  email: string | null;
  role: Role;
  created_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
}

/**
 * Invite links are shown again to admins (to copy), so the token is kept as is; it expires (after a week unless the
 * admin chose otherwise), can be revoked, and joins the workspace with the role the admin picked. An invite with an
 * e-mail address works once, for that address only, through its link (the link sent to the address is the proof
 * of owning it). Only an e-mail invite can grant admin.
 */
export async function createInvite(
  db: Sql,
  input: { workspaceId: string; email: string | null; createdBy: string; role?: Role; lifetimeMs?: number },
  now: number
): Promise<InviteRow> {
  const row: InviteRow = {
    id: newId(),
    workspace_id: input.workspaceId,
    token: generateSecretToken(),
    email: input.email ? normalizeEmail(input.email) : null,
    role: input.role ?? 'sales',
    created_by: input.createdBy,
    created_at: now,
    expires_at: now + (input.lifetimeMs ?? INVITE_LIFETIME_MS),
    accepted_at: null,
    revoked_at: null
  };
  await db.query(
    'INSERT INTO invites (id, workspace_id, token, email, role, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [row.id, row.workspace_id, row.token, row.email, row.role, row.created_by, row.created_at, row.expires_at]
  );
  return row;
}

export async function pendingInvites(db: Sql, workspaceId: string, now: number): Promise<Array<InviteRow & { created_by_name: string }>> {
  return db.query(
    `SELECT i.*, u.name AS created_by_name FROM invites i JOIN users u ON u.id = i.created_by
     WHERE i.workspace_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC`,
    [workspaceId, now]
  );
}

export async function findInvite(db: Sql, token: string): Promise<(InviteRow & { workspace_name: string; created_by_name: string }) | undefined> {
  const rows = await db.query<InviteRow & { workspace_name: string; created_by_name: string }>(
    `SELECT i.*, w.name AS workspace_name, u.name AS created_by_name FROM invites i
     JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.created_by WHERE i.token = $1`,
    [token]
  );
  return rows[0];
}

export async function findInviteById(db: Sql, inviteId: string): Promise<InviteRow | undefined> {
  const rows = await db.query<InviteRow>('SELECT * FROM invites WHERE id = $1', [inviteId]);
  return rows[0];
}

/** Why an invite cannot be used now, or null when it can. */
export function inviteProblem(invite: InviteRow | undefined, now: number): string | null {
  if (!invite) return 'this invite link is not valid';
  if (invite.revoked_at) return 'this invite was revoked';
  // Anyone holding a link could become admin: admin rights go to one e-mail address only (older links included).
  if (!invite.email && invite.role === 'admin') return 'an invite link cannot make anyone admin; ask for an invite to your e-mail address';
  // A link invite serves the whole team until it expires; an e-mail invite is for one person, once.
  if (invite.email && invite.accepted_at) return 'this invite was already used';
  if (invite.expires_at <= now) return 'this invite has expired';
  return null;
}

export async function markInviteAccepted(db: Sql, inviteId: string, userId: string, now: number): Promise<void> {
  await db.query('UPDATE invites SET accepted_by = $1, accepted_at = $2 WHERE id = $3', [userId, now, inviteId]);
}

export async function revokeInvite(db: Sql, workspaceId: string, inviteId: string, now: number): Promise<boolean> {
  const rows = await db.query('UPDATE invites SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL RETURNING id', [now, inviteId, workspaceId]);
  return rows.length > 0;
}
