import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * GET /metrics is public unless METRICS_TOKEN is set; then it needs `Authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time, over digests so the length does not leak either).
 */
export function metricsAccess(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  const expected = digest(token);
  return async (c, next) => {
    const given = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (given && timingSafeEqual(digest(given), expected)) return next();
    c.header('WWW-Authenticate', 'Bearer realm="metrics"');
    return c.json({ error: 'unauthorized', reason: 'send Authorization: Bearer <METRICS_TOKEN>' }, 401);
  };
}
