import type { Context } from 'hono';

/** 429 for a throttled or rate-limited request: why, and Retry-After in whole seconds. */
export function tooMany(c: Context, waitMs: number, what: string) {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  c.header('Retry-After', String(seconds));
  return c.json({ error: 'too_many_attempts', reason: `${what}; try again in ${seconds} s` }, 429);
}
