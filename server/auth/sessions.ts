import type { Sql } from '../store/db.ts';
import { generateSecretToken, hashToken } from './tokens.ts';

const DAY = 86_400_000;
export const SESSION_LIFETIME_MS = 30 * DAY;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export interface Session {
  id: string;
  userId: string;
  expiresAt: number;
}

/** Create a session; the caller sends `token` in the cookie, the database keeps only its hash as the session id. */
export async function createSession(db: Sql, userId: string, now: number): Promise<{ token: string; session: Session }> {
  const token = generateSecretToken();
  const session = { id: hashToken(token), userId, expiresAt: now + SESSION_LIFETIME_MS };
  await db.query('INSERT INTO sessions (id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)', [session.id, userId, session.expiresAt, now]);
  return { token, session };
}

/**
 * The session and user behind a token, or null. Sliding expiry: a session used in the second half of its life is
 * extended to a full lifetime again (`renewed` tells the caller to send a fresh cookie).
 */
export async function validateSessionToken(
  db: Sql,
  token: string,
  now: number
): Promise<{ session: Session; user: SessionUser; renewed: boolean } | null> {
  const id = hashToken(token);
  const rows = await db.query<{ user_id: string; expires_at: number; email: string; name: string }>(
    'SELECT s.user_id, s.expires_at, u.email, u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1',
    [id]
  );
  const row = rows[0];
  if (!row) return null;
  if (now >= row.expires_at) {
    await db.query('DELETE FROM sessions WHERE id = $1', [id]);
    return null;
  }
  let expiresAt = row.expires_at;
  const renewed = now >= expiresAt - SESSION_LIFETIME_MS / 2;
  if (renewed) {
    expiresAt = now + SESSION_LIFETIME_MS;
    await db.query('UPDATE sessions SET expires_at = $1 WHERE id = $2', [expiresAt, id]);
  }
  return { session: { id, userId: row.user_id, expiresAt }, user: { id: row.user_id, email: row.email, name: row.name }, renewed };
}

export async function invalidateSession(db: Sql, sessionId: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE id = $1', [sessionId]);
}

/** Log out everywhere: every session of the user ends. Returns how many there were. */
export async function invalidateUserSessions(db: Sql, userId: string): Promise<number> {
  const rows = await db.query('DELETE FROM sessions WHERE user_id = $1 RETURNING id', [userId]);
  return rows.length;
}

/** Every session of the user but `keepSessionId` ends (a password change keeps the session that made it). Returns their ids. */
export async function invalidateOtherSessions(db: Sql, userId: string, keepSessionId: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>('DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id', [userId, keepSessionId]);
  return rows.map((row) => row.id);
}
