import { describe, expect, it } from 'vitest';
import type { Db } from './store/db.ts';
import { healthRoutes } from './health.ts';

const answering = { query: async () => [{ '?column?': 1 }] } as unknown as Db;
const refusing = { query: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) } as unknown as Db;
const hanging = { query: () => new Promise(() => {}) } as unknown as Db;

const probe = (db: Db, pending = 0, accepting = true) =>
  healthRoutes({ db, pendingWrites: () => pending, maxPendingWrites: 100, accepting: () => accepting, pingTimeoutMs: 50 });

describe('health probes', () => {
  it('/healthz answers ok whatever the database does', async () => {
    const response = await probe(refusing).request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is ready when the database answers and few writes are pending', async () => {
    const response = await probe(answering, 99).request('/readyz');
    expect(response.status).toBe(200);
  });

  it('/readyz stays ready with a warning while other instances cannot be reached (Redis away)', async () => {
    const routes = healthRoutes({ db: answering, pendingWrites: () => 0, accepting: () => true, warnings: () => ['redis: other instances unreachable'] });
    const response = await routes.request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', warnings: ['redis: other instances unreachable'] });
  });

  it('/readyz is unready when the database refuses, says why', async () => {
    const response = await probe(refusing).request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unready', reasons: ['database: connect ECONNREFUSED 127.0.0.1:5432'] });
  });

  it('/readyz gives up on a database that does not answer within the timeout', async () => {
    const started = Date.now();
    const response = await probe(hanging).request('/readyz');
    expect(response.status).toBe(503);
    expect((await response.json()).reasons[0]).toMatch(/no answer to SELECT 1 within 50 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('/readyz is unready with too many updates waiting to be stored, and while shutting down', async () => {
    const backlog = await probe(answering, 100).request('/readyz');
    expect(backlog.status).toBe(503);
    expect((await backlog.json()).reasons).toEqual(['100 updates waiting to be stored (limit 100)']);
    const stopping = await probe(answering, 0, false).request('/readyz');
    expect((await stopping.json()).reasons).toEqual(['shutting down']);
  });
});
