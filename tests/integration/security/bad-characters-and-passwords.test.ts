import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApp, PASSWORD } from './in-process.ts';

describe('NUL characters are refused as 400 with the field (#15.12)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  it('in the signup name, a token name, a pipeline name and the login e-mail', async () => {
    const { cookie, workspaceId } = await lanes.signUp('Nul');
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/auth/signup', { email: 'nul@example.com', name: 'Ann\u0000', password: PASSWORD }, 'name'],
      ['POST', '/api/tokens', { name: 'script\u0000' }, 'name'],
      ['POST', `/api/workspaces/${workspaceId}/pipelines`, { name: 'Pipe\u0000line' }, 'name'],
      ['POST', `/api/workspaces/${workspaceId}/pipelines`, { name: 'Ok', stages: [{ name: '\u0000', probability: 10, outcome: 'open' }] }, 'stages.0.name'],
      ['POST', '/api/auth/login', { email: 'a\u0000@example.com', password: PASSWORD }, 'email'],
      ['POST', '/api/workspaces', { name: 'Team\u0000' }, 'name']
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await lanes.call(method, path, { body, cookie });
      expect(answer.status, `${path} ${field}`).toBe(400);
      expect(answer.json).toMatchObject({ error: 'invalid', field, reason: 'must not contain a NUL character' });
    }
    expect((await lanes.call('GET', '/api/invites/abc%00def')).status).toBe(400);
    expect((await lanes.call('GET', `/api/workspaces/${workspaceId}%00/members`, { cookie })).status).toBe(400);
  });
});

describe('passwords, neutral signup answers and rate limits (#15.13)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp({ rateLimits: { signupsPerWindow: 10, createsPerWindow: 60, windowMs: 60_000 } });
  });
  afterAll(() => lanes.close());

  it('refuses common and too simple passwords, and one equal to the e-mail', async () => {
    for (const password of ['password', '11111111', 'weak@example.com']) {
      const answer = await lanes.call('POST', '/api/auth/signup', { body: { email: 'weak@example.com', name: 'Weak', password } });
      expect(answer, password).toMatchObject({ status: 400, json: { field: 'password' } });
    }
    expect((await lanes.call('POST', '/api/auth/signup', { body: { email: 'weak@example.com', name: 'Weak', password: PASSWORD } })).status).toBe(202);
    lanes.advance(60_000);
  });

  it('answers a signup for a taken address exactly as for a free one', async () => {
    const { email } = await lanes.signUp('Taken');
    const taken = await lanes.call('POST', '/api/auth/signup', { body: { email, name: 'Other', password: 'another long phrase' } });
    const free = await lanes.call('POST', '/api/auth/signup', { body: { email: `free-${email}`, name: 'Other', password: 'another long phrase' } });
    expect(taken).toMatchObject({ status: 202, cookie: null, json: { status: 'verification_sent', email } });
    expect(free).toMatchObject({ status: 202, cookie: null, json: { status: 'verification_sent', email: `free-${email}` } });
    expect([...taken.headers.keys()].sort()).toEqual([...free.headers.keys()].sort());
    lanes.advance(60_000);
  });

  it('limits signups per address: 30 in parallel get SIGNUP_RATE_LIMIT (10 here) signup links, the rest 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => lanes.call('POST', '/api/auth/signup', { body: { email: `burst${index}@example.com`, name: 'Burst', password: PASSWORD } }))
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 429), JSON.stringify(answers.filter((answer) => answer.status !== 202 && answer.status !== 429).map((answer) => answer.json))).toEqual(Array(10).fill(202));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(20);
    expect(Number(refused[0].headers.get('retry-after'))).toBeGreaterThan(0);
    lanes.advance(60_000);
    expect((await lanes.call('POST', '/api/auth/signup', { body: { email: 'later@example.com', name: 'Later', password: PASSWORD } })).status).toBe(202);
  });

  it('limits new pipelines per account: 299 in parallel get CREATE_RATE_LIMIT (60 here)', async () => {
    lanes.advance(60_000);
    const { cookie, workspaceId } = await lanes.signUp('Creator');
    const answers = await Promise.all(
      Array.from({ length: 299 }, (_, index) => lanes.call('POST', `/api/workspaces/${workspaceId}/pipelines`, { body: { name: `Pipeline ${index}` }, cookie }))
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(60);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(239);
    const pipelines = (await lanes.call('GET', '/api/pipelines', { cookie })).json;
    expect(pipelines).toHaveLength(61);
  });
});
