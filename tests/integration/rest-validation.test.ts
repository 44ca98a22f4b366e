import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { openDb, type Db } from '../../server/store/db.ts';
import { migrate } from '../../server/store/migrations.ts';
import { silentLog } from '../../server/log.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from '../../server/mail/outbox.ts';
import { linkIn, MailFolder, tokenOf } from '../support/mail.ts';

const ORIGIN = 'http://lanes.test';
const LIMIT = 64 * 1024;

/** Every table a REST call can write: a refused request must leave all of them as they were. */
const TABLES = ['users', 'sessions', 'api_tokens', 'workspaces', 'memberships', 'pipelines', 'invites', 'doc_snapshots', 'audit_log', 'pipeline_reviews', 'signup_verifications', 'password_resets'];

interface Case {
  /** What is wrong with the body. */
  problem: string;
  /** An object is sent as JSON; a string is sent as it is. */
  body: unknown;
  field: string;
  reason?: RegExp;
}

interface Route {
  method: 'POST' | 'PATCH';
  path: () => string;
  /** A body the route accepts, which each case spoils in one way. */
  valid: () => Record<string, unknown>;
  cases: (valid: Record<string, unknown>) => Case[];
}

const oversized = (valid: Record<string, unknown>): Case => ({
  problem: `a body over ${LIMIT} bytes`,
  body: JSON.stringify({ ...valid, padding: 'x'.repeat(LIMIT) }),
  field: '(body)',
  reason: new RegExp(`larger than ${LIMIT} bytes`)
});
const malformed: Case = { problem: 'malformed JSON', body: '{"name": "Unclosed', field: '(body)', reason: /not valid JSON/ };
const unknownField = (valid: Record<string, unknown>, key: string): Case => ({
  problem: `an unknown field (${key})`,
  body: { ...valid, [key]: true },
  field: key,
  reason: /unknown field/
});
/** Stand-ins for link tokens that exist only once beforeAll has run: replaced when the request is sent. */
const PENDING_SIGNUP = '<the pending signup link>';
const RESET_LINK = '<the reset link>';

const notAnObject: Case = { problem: 'an array instead of an object', body: [], field: '(body)' };

/**
 * Every POST and PATCH route that takes a body, each spoiled one way at a time: the answer is 400 with `error`,
 * the field and the reason, and nothing in the database changed.
 */
describe('REST body validation', () => {
  let db: Db;
  let app: ReturnType<typeof createApp>['app'];
  let cookie: string;
  let workspaceId: string;
  let pipelineId: string;
  let memberId: string;
  let pendingToken: string;
  let resetToken: string;
  const mailbox = MailFolder.temporary();
  const linkToken = async (to: string, subject: RegExp, path: RegExp) => tokenOf(linkIn(await mailbox.waitFor(to, subject), path));

  const withLiveTokens = (body: unknown) => {
    if (!body || typeof body !== 'object' || !('token' in body)) return body;
    const token = body.token === PENDING_SIGNUP ? pendingToken : body.token === RESET_LINK ? resetToken : body.token;
    return { ...body, token };
  };

  const call = async (method: string, path: string, body: unknown, auth?: string) => {
    const headers: Record<string, string> = { origin: ORIGIN, 'content-type': 'application/json' };
    if (auth) headers.cookie = auth;
    const response = await app.request(new Request(ORIGIN + path, { method, headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null, setCookie: response.headers.get('set-cookie') };
  };

  const snapshot = async () => {
    const tables: Record<string, string[]> = {};
    for (const table of TABLES) tables[table] = (await db.query(`SELECT * FROM ${table}`)).map((row) => JSON.stringify(row)).sort();
    return tables;
  };

  beforeAll(async () => {
    db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    ({ app } = createApp({
      db,
      log: silentLog,
      clock: () => Date.UTC(2026, 10, 1),
      mail: { transport: mailTransport({ mailDir: mailbox.dir, from: DEFAULT_MAIL_FROM }, silentLog), publicUrl: ORIGIN }
    }));
    expect((await call('POST', '/api/auth/signup', { email: 'ada@example.com', name: 'Ada', password: 'a good password' })).status).toBe(202);
    const admin = await call('POST', '/api/auth/verify', { token: await linkToken('ada@example.com', /Confirm/, /^\/verify\//), password: 'a good password' });
    expect(admin.status).toBe(201);
    cookie = admin.setCookie!.split(';')[0];
    workspaceId = (await call('GET', '/api/me', undefined, cookie)).json.workspaces[0].id;
    pipelineId = (await call('GET', '/api/pipelines', undefined, cookie)).json[0].id;
    const invite = await call('POST', `/api/workspaces/${workspaceId}/invites`, { role: 'sales' }, cookie);
    await call('POST', '/api/auth/signup', { email: 'sam@example.com', name: 'Sam', password: 'a good password', invite: invite.json.token });
    const member = await call('POST', '/api/auth/verify', { token: await linkToken('sam@example.com', /Confirm/, /^\/verify\//), password: 'a good password' });
    memberId = member.json.user.id;
    // A signup still waiting for its link, and a reset link for Sam: the two link routes need a live token.
    await call('POST', '/api/auth/signup', { email: 'pending@example.com', name: 'Pending', password: 'a good password' });
    pendingToken = await linkToken('pending@example.com', /Confirm/, /^\/verify\//);
    await call('POST', '/api/auth/password-reset', { email: 'sam@example.com' });
    resetToken = await linkToken('sam@example.com', /Reset/, /^\/reset-password\//);
  });
  afterAll(() => db.close());

  const routes: Record<string, Route> = {
    'POST /api/auth/signup': {
      method: 'POST',
      path: () => '/api/auth/signup',
      valid: () => ({ email: 'new@example.com', name: 'New', password: 'a good password' }),
      cases: (valid) => [
        unknownField(valid, 'admin'),
        { problem: 'a name over 80 characters', body: { ...valid, name: 'n'.repeat(81) }, field: 'name', reason: /at most 80 characters/ },
        { problem: 'a password over 200 characters', body: { ...valid, password: 'p'.repeat(201) }, field: 'password', reason: /at most 200 characters/ },
        { problem: 'an e-mail over 254 characters', body: { ...valid, email: `${'e'.repeat(250)}@example.com` }, field: 'email' },
        { problem: 'an invite token over 128 characters', body: { ...valid, invite: 'i'.repeat(129) }, field: 'invite' },
        { problem: 'a name that is a number', body: { ...valid, name: 42 }, field: 'name' },
        { problem: 'a password that is an object', body: { ...valid, password: { length: 20 } }, field: 'password' },
        { problem: 'a blank name', body: { ...valid, name: '   ' }, field: 'name', reason: /tell us your name/ },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/auth/login': {
      method: 'POST',
      path: () => '/api/auth/login',
      valid: () => ({ email: 'ada@example.com', password: 'a good password' }),
      cases: (valid) => [
        unknownField(valid, 'remember'),
        { problem: 'an e-mail over 254 characters', body: { ...valid, email: 'e'.repeat(255) }, field: 'email', reason: /at most 254 characters/ },
        { problem: 'a password over 200 characters', body: { ...valid, password: 'p'.repeat(201) }, field: 'password', reason: /at most 200 characters/ },
        { problem: 'a password that is a number', body: { ...valid, password: 12345678 }, field: 'password' },
        { problem: 'no e-mail', body: { password: 'a good password' }, field: 'email' },
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/tokens': {
      method: 'POST',
      path: () => '/api/tokens',
      valid: () => ({ name: 'script' }),
      cases: (valid) => [
        unknownField(valid, 'scopes'),
        { problem: 'a name over 80 characters', body: { name: 't'.repeat(81) }, field: 'name' },
        { problem: 'an empty name', body: { name: '' }, field: 'name', reason: /name the token/ },
        { problem: 'a name that is a list', body: { name: ['script'] }, field: 'name' },
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/workspaces/:id/invites': {
      method: 'POST',
      path: () => `/api/workspaces/${workspaceId}/invites`,
      valid: () => ({ role: 'sales', expiresInDays: 7 }),
      cases: (valid) => [
        unknownField(valid, 'workspaceId'),
        { problem: 'a role that does not exist', body: { ...valid, role: 'owner' }, field: 'role', reason: /one of admin, sales, marketing, support, viewer/ },
        { problem: 'an expiry over 30 days', body: { ...valid, expiresInDays: 31 }, field: 'expiresInDays', reason: /at most 30 days/ },
        { problem: 'an expiry in part days', body: { ...valid, expiresInDays: 1.5 }, field: 'expiresInDays', reason: /whole days/ },
        { problem: 'an expiry as a string', body: { ...valid, expiresInDays: '7' }, field: 'expiresInDays' },
        { problem: 'an e-mail that is not one', body: { ...valid, email: 'not-an-email' }, field: 'email', reason: /not an e-mail address/ },
        { problem: 'an e-mail over 254 characters', body: { ...valid, email: `${'e'.repeat(250)}@example.com` }, field: 'email' },
        malformed,
        oversized(valid)
      ]
    },
    'PATCH /api/workspaces/:id/members/:userId': {
      method: 'PATCH',
      path: () => `/api/workspaces/${workspaceId}/members/${memberId}`,
      valid: () => ({ role: 'viewer' }),
      cases: (valid) => [
        unknownField(valid, 'name'),
        { problem: 'a role that does not exist', body: { role: 'boss' }, field: 'role', reason: /one of/ },
        { problem: 'a role that is a number', body: { role: 1 }, field: 'role' },
        { problem: 'no role', body: {}, field: 'role' },
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/workspaces/:id/pipelines': {
      method: 'POST',
      path: () => `/api/workspaces/${workspaceId}/pipelines`,
      valid: () => ({ name: 'Onboarding', stages: [{ name: 'Kick-off', probability: 50, outcome: 'open' }], allowedRoles: ['support'] }),
      cases: (valid) => [
        unknownField(valid, 'color'),
        { problem: 'a blank name', body: { ...valid, name: '  ' }, field: 'name', reason: /name the pipeline/ },
        { problem: 'a name over 80 characters', body: { ...valid, name: 'p'.repeat(81) }, field: 'name', reason: /at most 80 characters/ },
        { problem: 'no stages at all', body: { ...valid, stages: [] }, field: 'stages', reason: /at least one stage/ },
        {
          problem: 'more than 20 stages',
          body: { ...valid, stages: Array.from({ length: 21 }, (_, i) => ({ name: `Stage ${i}`, probability: 10, outcome: 'open' })) },
          field: 'stages',
          reason: /at most 20 stages/
        },
        {
          problem: 'a stage name twice, in other case',
          body: { ...valid, stages: [{ name: 'Call', probability: 10, outcome: 'open' }, { name: 'CALL', probability: 20, outcome: 'open' }] },
          field: 'stages.1.name',
          reason: /each stage name once/
        },
        {
          problem: 'a won stage at 80%',
          body: { ...valid, stages: [{ name: 'Call', probability: 10, outcome: 'open' }, { name: 'Won', probability: 80, outcome: 'won' }] },
          field: 'stages.1.probability',
          reason: /a won stage is 100%/
        },
        {
          problem: 'a lost stage at 100%',
          body: {
            ...valid,
            stages: [
              { name: 'Call', probability: 10, outcome: 'open' },
              { name: 'Won', probability: 100, outcome: 'won' },
              { name: 'Lost', probability: 100, outcome: 'lost' }
            ]
          },
          field: 'stages.2.probability',
          reason: /a lost stage is 0%/
        },
        { problem: 'only closed stages', body: { ...valid, stages: [{ name: 'Done', probability: 100, outcome: 'won' }] }, field: 'stages', reason: /open stage/ },
        { problem: 'a stage over 100%', body: { ...valid, stages: [{ name: 'Sure', probability: 101, outcome: 'open' }] }, field: 'stages.0.probability', reason: /at most 100/ },
        { problem: 'a stage with part percents', body: { ...valid, stages: [{ name: 'Half', probability: 12.5, outcome: 'open' }] }, field: 'stages.0.probability' },
        { problem: 'an unknown outcome', body: { ...valid, stages: [{ name: 'Maybe', probability: 5, outcome: 'pending' }] }, field: 'stages.0.outcome', reason: /one of open, won, lost/ },
        { problem: 'a stage with an unknown field', body: { ...valid, stages: [{ name: 'Call', probability: 5, outcome: 'open', color: 'red' }] }, field: 'stages.0.color' },
        { problem: 'a role that does not exist', body: { ...valid, allowedRoles: ['owner'] }, field: 'allowedRoles.0', reason: /one of/ },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'PATCH /api/workspaces/:id/pipelines/:pipelineId': {
      method: 'PATCH',
      path: () => `/api/workspaces/${workspaceId}/pipelines/${pipelineId}`,
      valid: () => ({ allowedRoles: ['sales'] }),
      cases: (valid) => [
        unknownField(valid, 'color'),
        {
          problem: 'a list of roles longer than there are roles',
          body: { allowedRoles: ['admin', 'sales', 'marketing', 'support', 'viewer', 'sales'] },
          field: 'allowedRoles',
          reason: /at most 5 roles/
        },
        { problem: 'a role twice', body: { allowedRoles: ['sales', 'sales'] }, field: 'allowedRoles', reason: /each role once/ },
        { problem: 'a role that does not exist', body: { allowedRoles: ['sales', 'owner'] }, field: 'allowedRoles.1', reason: /one of/ },
        { problem: 'a role list that is a string', body: { allowedRoles: 'sales' }, field: 'allowedRoles' },
        { problem: 'neither a name nor a role list', body: {}, field: 'allowedRoles', reason: /give a new name or allowedRoles/ },
        { problem: 'a blank name', body: { name: ' ' }, field: 'name', reason: /name the pipeline/ },
        { problem: 'a name over 80 characters', body: { name: 'p'.repeat(81) }, field: 'name', reason: /at most 80 characters/ },
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/pipelines/:pipelineId/restore': {
      method: 'POST',
      path: () => `/api/pipelines/${pipelineId}/restore`,
      valid: () => ({ at: Date.UTC(2026, 10, 1) }),
      cases: (valid) => [
        unknownField(valid, 'dryRun'),
        { problem: 'no moment', body: {}, field: 'at' },
        { problem: 'a moment as a date string', body: { at: '2026-11-01' }, field: 'at' },
        { problem: 'a moment in part milliseconds', body: { at: 1.5 }, field: 'at', reason: /epoch milliseconds/ },
        { problem: 'a negative moment', body: { at: -1 }, field: 'at' },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/pipelines/:pipelineId/revert': {
      method: 'POST',
      path: () => `/api/pipelines/${pipelineId}/revert`,
      valid: () => ({ userId: memberId ?? 'a-member', from: 0, to: Date.UTC(2026, 10, 1) }),
      cases: (valid) => [
        unknownField(valid, 'fields'),
        { problem: 'no member', body: { from: 0, to: 1 }, field: 'userId' },
        { problem: 'a member id over 64 characters', body: { ...valid, userId: 'u'.repeat(65) }, field: 'userId' },
        { problem: 'from after to', body: { ...valid, from: 10, to: 5 }, field: 'to', reason: /from must not be after to/ },
        { problem: 'a moment that is a string', body: { ...valid, from: 'yesterday' }, field: 'from' },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/auth/verify': {
      method: 'POST',
      path: () => '/api/auth/verify',
      valid: () => ({ token: PENDING_SIGNUP, password: 'a good password' }),
      cases: (valid) => [
        unknownField(valid, 'email'),
        { problem: 'no token', body: { password: 'a good password' }, field: 'token' },
        { problem: 'a token over 128 characters', body: { ...valid, token: 't'.repeat(129) }, field: 'token' },
        { problem: 'a password over 200 characters', body: { ...valid, password: 'p'.repeat(201) }, field: 'password', reason: /at most 200 characters/ },
        { problem: 'the wrong password', body: { ...valid, password: 'not the one chosen' }, field: 'password', reason: /not the password you chose/ },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/auth/password-reset': {
      method: 'POST',
      path: () => '/api/auth/password-reset',
      valid: () => ({ email: 'ada@example.com' }),
      cases: (valid) => [
        unknownField(valid, 'name'),
        { problem: 'not an e-mail address', body: { email: 'ada' }, field: 'email', reason: /not an e-mail address/ },
        { problem: 'an e-mail that is a number', body: { email: 42 }, field: 'email' },
        { problem: 'a NUL character', body: { email: 'a\u0000@example.com' }, field: 'email' },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'POST /api/auth/password-reset/confirm': {
      method: 'POST',
      path: () => '/api/auth/password-reset/confirm',
      valid: () => ({ token: RESET_LINK, password: 'a brand new passphrase' }),
      cases: (valid) => [
        unknownField(valid, 'email'),
        { problem: 'a short password', body: { ...valid, password: 'short' }, field: 'password', reason: /at least 8 characters/ },
        { problem: 'a common password', body: { ...valid, password: 'password' }, field: 'password' },
        { problem: 'no token', body: { password: 'a brand new passphrase' }, field: 'token' },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    'PATCH /api/account': {
      method: 'PATCH',
      path: () => '/api/account',
      valid: () => ({ name: 'Ada Lovelace' }),
      cases: (valid) => [
        unknownField(valid, 'email'),
        { problem: 'a blank name', body: { name: '  ' }, field: 'name', reason: /tell us your name/ },
        { problem: 'a name over 80 characters', body: { name: 'n'.repeat(81) }, field: 'name', reason: /at most 80 characters/ },
        { problem: 'a NUL character', body: { name: 'Ada\u0000' }, field: 'name' },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    },
    // Last: it changes Ada's password, which the login route's valid body uses.
    'POST /api/account/password': {
      method: 'POST',
      path: () => '/api/account/password',
      valid: () => ({ currentPassword: 'a good password', newPassword: 'another good passphrase' }),
      cases: (valid) => [
        unknownField(valid, 'password'),
        { problem: 'no current password', body: { newPassword: 'another good passphrase' }, field: 'currentPassword' },
        { problem: 'the wrong current password', body: { ...valid, currentPassword: 'not my password' }, field: 'currentPassword', reason: /not your current password/ },
        { problem: 'a weak new password', body: { ...valid, newPassword: '11111111' }, field: 'newPassword' },
        { problem: 'a short new password', body: { ...valid, newPassword: 'short' }, field: 'newPassword', reason: /at least 8 characters/ },
        notAnObject,
        malformed,
        oversized(valid)
      ]
    }
  };

  const table = Object.entries(routes).flatMap(([name, route]) => route.cases(route.valid()).map((spoiled) => ({ name, route, ...spoiled })));

  it.each(table)('$name with $problem: 400, the field and the reason, nothing changed', async ({ route, body, field, reason }) => {
    const auth = route.path().startsWith('/api/auth/') ? undefined : cookie;
    const before = await snapshot();
    const response = await call(route.method, route.path(), withLiveTokens(body), auth);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: 'invalid', field });
    expect(typeof response.json.reason).toBe('string');
    expect(response.json.reason.length).toBeGreaterThan(0);
    if (reason) expect(response.json.reason).toMatch(reason);
    expect(response.setCookie).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  // The table above only means something if the same route takes its valid body.
  it.each(Object.entries(routes))('%s takes its valid body', async (_name, route) => {
    const auth = route.path().startsWith('/api/auth/') ? undefined : cookie;
    const response = await call(route.method, route.path(), withLiveTokens(route.valid()), auth);
    expect(response.status).toBeLessThan(300);
  });
});
