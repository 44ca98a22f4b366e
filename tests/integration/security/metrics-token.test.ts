import { describe, expect, it } from 'vitest';
import { inProcessApp } from './in-process.ts';

describe('/metrics with METRICS_TOKEN (#15.14)', () => {
  it('stays public without a token, and needs the bearer token once one is set', async () => {
    const open = await inProcessApp();
    const locked = await inProcessApp({ metricsToken: 'scrape-secret' });
    try {
      expect((await open.call('GET', '/metrics', { origin: null })).status).toBe(200);
      expect((await locked.call('GET', '/metrics', { origin: null })).status).toBe(401);
      expect((await locked.call('GET', '/metrics', { origin: null, token: 'wrong' })).status).toBe(401);
      const scraped = await locked.call('GET', '/metrics', { origin: null, token: 'scrape-secret' });
      expect(scraped.status).toBe(200);
      expect(scraped.json).toMatch(/lanes_connections/);
    } finally {
      await open.close();
      await locked.close();
    }
  });
});
