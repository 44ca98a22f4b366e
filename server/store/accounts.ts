import type { Sql } from './db.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: Sql, email: string): Promise<UserRow | undefined> {
  const rows = await db.query<UserRow>('SELECT id, email, name, password_hash FROM users WHERE email = $1', [normalizeEmail(email)]);
  return rows[0];
}

/** Create the account; false (and nothing written) when the e-mail already has one, even under a concurrent signup. */
export async function insertUser(db: Sql, user: { id: string; email: string; name: string; passwordHash: string }, now: number): Promise<boolean> {
  const rows = await db.query('INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id', [
    user.id,
    normalizeEmail(user.email),
    user.name.trim(),
    user.passwordHash,
    now
  ]);
  return rows.length > 0;
}
