import { Hono } from 'hono';
import type { Db } from './store/db.ts';

export interface HealthOptions {
  db: Db;
  /** Updates accepted but not yet stored (rooms.writer.pendingCount). */
  pendingWrites: () => number;
  /** Past this many pending writes the server reports itself unready (READY_MAX_PENDING). */
  maxPendingWrites?: number;
  /** False once shutdown has begun. */
  accepting: () => boolean;
  /**
   * What degrades this instance without stopping it (Redis away: its clients keep working, other instances' do not
   * see them): reported, but still ready, so a balancer does not take every instance out at once.
   */
  warnings?: () => string[];
  /** How long the database ping may take before it counts as failed. */
  pingTimeoutMs?: number;
}

export const DEFAULT_READY_MAX_PENDING = 10_000;

/**
 * GET /healthz (the process answers) and GET /readyz (the database answers and the write backlog is small), for
 * load balancers and orchestrators. No authentication: they reveal nothing but up or down.
 */
export function healthRoutes(options: HealthOptions) {
  const maxPendingWrites = options.maxPendingWrites ?? DEFAULT_READY_MAX_PENDING;
  const pingTimeoutMs = options.pingTimeoutMs ?? 1_000;
  const routes = new Hono();

  routes.get('/healthz', (c) => c.json({ status: 'ok' }));

  routes.get('/readyz', async (c) => {
    const reasons: string[] = [];
    if (!options.accepting()) reasons.push('shutting down');
    const ping = await pingDatabase(options.db, pingTimeoutMs);
    if (ping) reasons.push(`database: ${ping}`);
    const pending = options.pendingWrites();
    if (pending >= maxPendingWrites) reasons.push(`${pending} updates waiting to be stored (limit ${maxPendingWrites})`);
    const warnings = options.warnings?.() ?? [];
    const extra = warnings.length ? { warnings } : {};
    if (reasons.length) return c.json({ status: 'unready', reasons, ...extra }, 503);
    return c.json({ status: 'ready', ...extra });
  });

  return routes;
}

/** `SELECT 1` within `timeoutMs`: null when it answered, else why not. */
async function pingDatabase(db: Db, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer to SELECT 1 within ${timeoutMs} ms`), timeoutMs);
  });
  const ping = db.query('SELECT 1').then(
    () => null,
    (error: Error) => error.message || 'SELECT 1 failed'
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
