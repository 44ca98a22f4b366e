import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApp } from './in-process.ts';

describe('personal API tokens can be listed and revoked (#15.9)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  const mint = async (cookie: string, name: string) => (await lanes.call('POST', '/api/tokens', { body: { name }, cookie })).json;

  it('lists id, name, created and last used, never the secret; revoking ends the token at once', async () => {
    const ann = await lanes.signUp('Ann');
    const importer = await mint(ann.cookie, 'import script');
    lanes.advance(1_000);
    const backup = await mint(ann.cookie, 'backup');
    lanes.advance(1_000);
    expect((await lanes.call('GET', '/api/me', { token: importer.token, origin: null })).status).toBe(200);
    const listed = await lanes.call('GET', '/api/tokens', { cookie: ann.cookie });
    expect(listed.json).toEqual([
      { id: backup.id, name: 'backup', createdAt: expect.any(String), lastUsedAt: null },
      { id: importer.id, name: 'import script', createdAt: expect.any(String), lastUsedAt: expect.any(String) }
    ]);
    expect(JSON.stringify(listed.json)).not.toContain(importer.token.slice(6));

    const other = await lanes.signUp('Bob');
    expect((await lanes.call('DELETE', `/api/tokens/${importer.id}`, { cookie: other.cookie })).status).toBe(404);
    expect((await lanes.call('DELETE', `/api/tokens/${importer.id}`, { cookie: ann.cookie })).status).toBe(204);
    expect((await lanes.call('GET', '/api/me', { token: importer.token, origin: null })).status).toBe(401);
    expect((await lanes.call('GET', '/api/tokens', { cookie: ann.cookie })).json.map((t: { id: string }) => t.id)).toEqual([backup.id]);
  });

  it('a token cannot mint, list or revoke tokens', async () => {
    const cy = await lanes.signUp('Cy');
    const token = (await mint(cy.cookie, 'script')).token;
    expect((await lanes.call('POST', '/api/tokens', { body: { name: 'more' }, token, origin: null })).status).toBe(403);
    expect((await lanes.call('GET', '/api/tokens', { token, origin: null })).status).toBe(403);
    const id = (await lanes.call('GET', '/api/tokens', { cookie: cy.cookie })).json[0].id;
    expect((await lanes.call('DELETE', `/api/tokens/${id}`, { token, origin: null })).status).toBe(403);
    expect((await lanes.call('GET', '/api/tokens', { cookie: cy.cookie })).json).toHaveLength(1);
  });

  it('log out everywhere ends every session and every token', async () => {
    const dee = await lanes.signUp('Dee');
    const token = (await mint(dee.cookie, 'script')).token;
    const ended = await lanes.call('POST', '/api/auth/logout-everywhere', { cookie: dee.cookie });
    expect(ended.json).toMatchObject({ sessionsEnded: 1, tokensRevoked: 1 });
    expect((await lanes.call('GET', '/api/me', { token, origin: null })).status).toBe(401);
    expect((await lanes.call('GET', '/api/me', { cookie: dee.cookie })).status).toBe(401);
  });
});
