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

export async function findUserById(db: Sql, userId: string): Promise<UserRow | undefined> {
  const rows = await db.query<UserRow>('SELECT id, email, name, password_hash FROM users WHERE id = $1', [userId]);
  return rows[0];
}

export async function renameUser(db: Sql, userId: string, name: string): Promise<void> {
  await db.query('UPDATE users SET name = $1 WHERE id = $2', [name.trim(), userId]);
}

/** A new password; every reset link still open for the account stops working with it. */
export async function setPassword(db: Sql, userId: string, passwordHash: string, now: number): Promise<void> {
  await db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
  await db.query('UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL', [now, userId]);
}

/** Sign-up links live a day; reset links an hour. */
export const SIGNUP_LINK_LIFETIME_MS = 24 * 3_600_000;
export const RESET_LINK_LIFETIME_MS = 3_600_000;

/** A signup waiting for its address to be confirmed: no account exists until then, so nobody can squat an address. */
export interface SignupVerificationRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  invite_id: string | null;
}

/** `id` is the SHA-256 of the link's token: a leaked row cannot be replayed as a link. */
export async function insertSignupVerification(
  db: Sql,
  row: { id: string; email: string; name: string; passwordHash: string; inviteId: string | null },
  now: number
): Promise<void> {
  await db.query(
    'INSERT INTO signup_verifications (id, email, name, password_hash, invite_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [row.id, normalizeEmail(row.email), row.name.trim(), row.passwordHash, row.inviteId, now, now + SIGNUP_LINK_LIFETIME_MS]
  );
}

/** The signup behind a link, while it is unused and unexpired. */
export async function findSignupVerification(db: Sql, id: string, now: number): Promise<SignupVerificationRow | undefined> {
  const rows = await db.query<SignupVerificationRow>(
    'SELECT id, email, name, password_hash, invite_id FROM signup_verifications WHERE id = $1 AND used_at IS NULL AND expires_at > $2',
    [id, now]
  );
  return rows[0];
}

/**
 * Use a link up: true for exactly one caller, even when two confirm at once. Every other signup link for the same
 * address ends with it, since the address now has its account.
 */
export async function consumeSignupVerification(db: Sql, row: SignupVerificationRow, now: number): Promise<boolean> {
  const used = await db.query('UPDATE signup_verifications SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 RETURNING id', [now, row.id]);
  if (!used.length) return false;
  await db.query('UPDATE signup_verifications SET used_at = $1 WHERE email = $2 AND used_at IS NULL', [now, row.email]);
  return true;
}

export async function insertPasswordReset(db: Sql, row: { id: string; userId: string }, now: number): Promise<void> {
  await db.query('INSERT INTO password_resets (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [row.id, row.userId, now, now + RESET_LINK_LIFETIME_MS]);
}

/** The account a reset link is for, while the link is unused and unexpired. */
export async function findPasswordReset(db: Sql, id: string, now: number): Promise<UserRow | undefined> {
  const rows = await db.query<UserRow>(
    `SELECT u.id, u.email, u.name, u.password_hash FROM password_resets r JOIN users u ON u.id = r.user_id
     WHERE r.id = $1 AND r.used_at IS NULL AND r.expires_at > $2`,
    [id, now]
  );
  return rows[0];
}

/** Use a reset link up: true for exactly one caller. */
export async function consumePasswordReset(db: Sql, id: string, now: number): Promise<boolean> {
  const rows = await db.query('UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 RETURNING id', [now, id]);
  return rows.length > 0;
}
