import { newId } from '../../shared/ids.ts';
import type { ApiTokenView } from '../../shared/api.ts';
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

/** The user behind a token (and the token's id), or null; records when it was last used. */
export async function validateApiToken(db: Sql, token: string, now: number): Promise<{ user: SessionUser; tokenId: string } | null> {
  const rows = await db.query<{ id: string; user_id: string; email: string; name: string }>(
    'SELECT t.id, t.user_id, u.email, u.name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1',
    [hashToken(token)]
  );
  const row = rows[0];
  if (!row) return null;
  await db.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [now, row.id]);
  return { user: { id: row.user_id, email: row.email, name: row.name }, tokenId: row.id };
}

/** A user's tokens, newest first: never the secret (only its hash is stored anyway). */
export async function listApiTokens(db: Sql, userId: string): Promise<ApiTokenView[]> {
  const rows = await db.query<{ id: string; name: string; created_at: number; last_used_at: number | null }>(
    'SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id',
    [userId]
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)).toISOString()
  }));
}

/** Log out everywhere: every token of the user ends too. Returns how many there were. */
export async function revokeUserApiTokens(db: Sql, userId: string): Promise<number> {
  const rows = await db.query('DELETE FROM api_tokens WHERE user_id = $1 RETURNING id', [userId]);
  return rows.length;
}

/** Revoke one of a user's tokens: its name, or null when they have no such token. */
export async function revokeApiToken(db: Sql, userId: string, tokenId: string): Promise<{ name: string } | null> {
  const rows = await db.query<{ name: string }>('DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING name', [tokenId, userId]);
  return rows[0] ?? null;
}
