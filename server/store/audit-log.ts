import type { AuditAction, AuditEntry } from '../../shared/history.ts';
import type { Sql } from './db.ts';

export interface AuditRecord {
  action: AuditAction;
  /** The workspace it concerns; null for events of an account (sign-ins, tokens), shown to its workspaces' admins. */
  workspaceId: string | null;
  actorId: string | null;
  target?: string | null;
  detail?: Record<string, unknown>;
  address: string | null;
  at: number;
}

export async function recordAudit(db: Sql, record: AuditRecord): Promise<void> {
  await db.query('INSERT INTO audit_log (workspace_id, at, actor_id, action, target, detail, address) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    record.workspaceId,
    record.at,
    record.actorId,
    record.action,
    record.target ?? null,
    JSON.stringify(record.detail ?? {}),
    record.address
  ]);
}

export interface AuditFilter {
  action?: AuditAction;
  userId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/**
 * A workspace's audit log, newest first: its own events, and account events (sign-ins, tokens) of its current
 * members.
 */
export async function queryAudit(db: Sql, workspaceId: string, filter: AuditFilter): Promise<AuditEntry[]> {
  const conditions = ['(a.workspace_id = $1 OR (a.workspace_id IS NULL AND a.actor_id IN (SELECT user_id FROM memberships WHERE workspace_id = $1)))'];
  const params: unknown[] = [workspaceId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.action) add('a.action = ?', filter.action);
  if (filter.userId) add('a.actor_id = ?', filter.userId);
  if (filter.from !== undefined) add('a.at >= ?', filter.from);
  if (filter.to !== undefined) add('a.at <= ?', filter.to);
  const rows = await db.query<{
    id: number;
    at: number;
    actor_id: string | null;
    actor_name: string | null;
    action: AuditAction;
    target: string | null;
    detail: string;
    address: string | null;
  }>(
    `SELECT a.id, a.at, a.actor_id, u.name AS actor_name, a.action, a.target, a.detail, a.address
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
     WHERE ${conditions.join(' AND ')} ORDER BY a.at DESC, a.id DESC LIMIT ${Math.trunc(filter.limit ?? 500)}`,
    params
  );
  return rows.map((row) => ({
    id: String(row.id),
    at: Number(row.at),
    actor: row.actor_id ? { id: row.actor_id, name: row.actor_name ?? 'former member' } : null,
    action: row.action,
    target: row.target,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    address: row.address
  }));
}
