import type { AuditAction, AuditEntry } from '../../shared/history.ts';
import type { Sql } from './db.ts';

export interface AuditRecord {
  action: AuditAction;
  /**
   * The workspace it concerns; null for events of an account (sign-ins, tokens), which are written once for each
   * workspace the actor belongs to at that moment, so a member removed later still shows in those logs.
   */
  workspaceId: string | null;
  actorId: string | null;
  target?: string | null;
  detail?: Record<string, unknown>;
  address: string | null;
  at: number;
}

export async function recordAudit(db: Sql, record: AuditRecord): Promise<void> {
  const values = [record.at, record.actorId, record.action, record.target ?? null, JSON.stringify(record.detail ?? {}), record.address];
  const columns = 'workspace_id, at, actor_id, action, target, detail, address';
  if (record.workspaceId || !record.actorId) {
    await db.query(`INSERT INTO audit_log (${columns}) VALUES ($7, $1, $2, $3, $4, $5, $6)`, [...values, record.workspaceId]);
    return;
  }
  const written = await db.query(
    `INSERT INTO audit_log (${columns}) SELECT m.workspace_id, $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text FROM memberships m WHERE m.user_id = $2 RETURNING id`,
    values
  );
  if (!written.length) await db.query(`INSERT INTO audit_log (${columns}) VALUES (NULL, $1, $2, $3, $4, $5, $6)`, values);
}

export interface AuditFilter {
  action?: AuditAction;
  userId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** A workspace's audit log, newest first: its own events, and account events of whoever was a member then. */
export async function queryAudit(db: Sql, workspaceId: string, filter: AuditFilter): Promise<AuditEntry[]> {
  const conditions = ['a.workspace_id = $1'];
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
