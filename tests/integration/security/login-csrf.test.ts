import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApp, PASSWORD } from './in-process.ts';

describe('login CSRF and JSON-only bodies (#15.8)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  it('refuses a text/plain form posted to /api/auth/login (what a foreign page can send without a preflight)', async () => {
    const attacker = await lanes.signUp('Attacker');
    const body = JSON.stringify({ email: attacker.email, password: PASSWORD });
    // Same origin even, so only the media type refuses it.
    const plain = await lanes.call('POST', '/api/auth/login', { raw: body, contentType: 'text/plain' });
    expect(plain).toMatchObject({ status: 415, cookie: null });
    const form = await lanes.call('POST', '/api/auth/login', { raw: `email=${attacker.email}`, contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect((await lanes.call('POST', '/api/auth/login', { raw: body, contentType: 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('refuses sign-in and signup from a foreign Origin, with no cookie', async () => {
    const attacker = await lanes.signUp('Mallory');
    const login = await lanes.call('POST', '/api/auth/login', { body: { email: attacker.email, password: PASSWORD }, origin: 'http://evil.example' });
    expect(login).toMatchObject({ status: 403, cookie: null });
    const signup = await lanes.call('POST', '/api/auth/signup', { body: { email: 'victim@example.com', name: 'V', password: PASSWORD }, origin: 'http://evil.example' });
    expect(signup).toMatchObject({ status: 403, cookie: null });
    const crossSite = await lanes.call('POST', '/api/auth/login', {
      body: { email: attacker.email, password: PASSWORD },
      origin: null,
      headers: { 'sec-fetch-site': 'cross-site' }
    });
    expect(crossSite.status).toBe(403);
  });

  it('requires application/json on every route that reads a body', async () => {
    const { cookie, workspaceId } = await lanes.signUp('Json');
    const routes: Array<[string, string]> = [
      ['POST', '/api/auth/signup'],
      ['POST', '/api/tokens'],
      ['POST', '/api/workspaces'],
      ['POST', `/api/workspaces/${workspaceId}/invites`],
      ['POST', `/api/workspaces/${workspaceId}/pipelines`]
    ];
    for (const [method, path] of routes) {
      const answer = await lanes.call(method, path, { raw: '{"name":"x"}', contentType: 'text/plain', cookie });
      expect(answer.status, path).toBe(415);
    }
  });
});
