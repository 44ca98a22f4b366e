import { newId } from '../../shared/ids.ts';
import type { Sql } from '../store/db.ts';
import type { SessionUser } from './sessions.ts';
import { generateSecretToken, hashToken } from './tokens.ts';

/** Personal API tokens for scripts (`Authorization: Bearer lanes_…`): stored hashed, valid until revoked. */
const PREFIX = 'lanes_';

export async function createApiToken(db: Sql, userId: string, name: string, now: number): Promise<{ id: string; token: string }> {
  const token = PREFIX + generateSecretToken();
  const id = newId();
  await db.query('INSERT INTO api_tokens (id, token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4, $5)', [id, hashToken(token), userId, name, now]);
  return { id, token };
}

export function isApiToken(token: string): boolean {
  return token.startsWith(PREFIX);
}

export async function validateApiToken(db: Sql, token: string, now: number): Promise<SessionUser | null> {
  const rows = await db.query<{ id: string; user_id: string; email: string; name: string }>(
    'SELECT t.id, t.user_id, u.email, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1',
    [hashToken(token)]
  );
  const row = rows[0];
  if (!row) return null;
  await db.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [now, row.id]);
  return { id: row.user_id, email: row.email, name: row.name };
}

/** Revoke one of a user's tokens: its name, or null when they have no such token. */
export async function revokeApiToken(db: Sql, userId: string, tokenId: string): Promise<{ name: string } | null> {
  const rows = await db.query<{ name: string }>('DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING name', [tokenId, userId]);
  return rows[0] ?? null;
}
