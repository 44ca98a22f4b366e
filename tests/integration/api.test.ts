import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { openDb, type Db } from '../../server/store/db.ts';
import { migrate } from '../../server/store/migrations.ts';
import { silentLog } from '../../server/log.ts';
import { SESSION_LIFETIME_MS } from '../../server/auth/sessions.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from '../../server/mail/outbox.ts';
import { linkIn, MailFolder, tokenOf } from '../support/mail.ts';

const ORIGIN = 'http://lanes.test';
const DAY = 86_400_000;

describe('REST API', () => {
  let db: Db;
  let now = Date.UTC(2026, 10, 1);
  let app: ReturnType<typeof createApp>['app'];
  const mailbox = MailFolder.temporary();
  const viaMailbox = { transport: mailTransport({ mailDir: mailbox.dir, from: DEFAULT_MAIL_FROM }, silentLog), publicUrl: ORIGIN };

  beforeAll(async () => {
    db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    ({ app } = createApp({ db, log: silentLog, clock: () => now, mail: viaMailbox }));
  });
  afterAll(() => db.close());

  /** The signup link e-mailed to `email`, opened with the password chosen at signup. */
  const confirm = async (email: string, password: string) => {
    const token = tokenOf(linkIn(await mailbox.waitFor(email, /Confirm your e-mail/), /^\/verify\//));
    return call('POST', '/api/auth/verify', { body: { token, password } });
  };

  const call = async (method: string, path: string, options: { body?: unknown; cookie?: string; token?: string; origin?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    if (options.origin !== null) headers.origin = options.origin ?? ORIGIN;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.cookie) headers.cookie = options.cookie;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await app.request(new Request(ORIGIN + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }));
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null, setCookie: response.headers.get('set-cookie') };
  };
  const cookieOf = (setCookie: string | null) => setCookie!.split(';')[0];
  let emailCounter = 0;
  const signUp = async (name: string) => {
    const email = `${name.toLowerCase()}${emailCounter++}@example.com`;
    expect((await call('POST', '/api/auth/signup', { body: { email, name, password: 'a good password' } })).status).toBe(202);
    const response = await confirm(email, 'a good password');
    expect(response.status).toBe(201);
    return { email, cookie: cookieOf(response.setCookie), user: response.json.user };
  };

  it('answers /healthz and /readyz without authentication', async () => {
    expect(await call('GET', '/healthz', { origin: null })).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await call('GET', '/readyz', { origin: null })).toMatchObject({ status: 200, json: { status: 'ready' } });
  });

  it('signs up once the e-mailed link is opened: a session cookie, a sample workspace and pipeline', async () => {
    const signup = await call('POST', '/api/auth/signup', { body: { email: 'Dana@Example.com', name: 'Dana', password: 'a good password' } });
    expect(signup).toMatchObject({ status: 202, json: { status: 'verification_sent', email: 'dana@example.com' }, setCookie: null });
    const response = await confirm('dana@example.com', 'a good password');
    expect(response.status).toBe(201);
    expect(response.setCookie).toMatch(/lanes_session=\w+;.*HttpOnly/);
    expect(response.setCookie).toMatch(/SameSite=Lax/);
    const cookie = cookieOf(response.setCookie);
    const me = await call('GET', '/api/me', { cookie });
    expect(me.json.user).toMatchObject({ email: 'dana@example.com', name: 'Dana' });
    expect(me.json.workspaces).toEqual([expect.objectContaining({ name: "Dana's team", role: 'admin' })]);
    const pipelines = await call('GET', '/api/pipelines', { cookie });
    expect(pipelines.json).toEqual([expect.objectContaining({ name: 'Sales pipeline', room: `board:${pipelines.json[0].id}` })]);
  });

  it('answers bad input with 400, the field and the reason', async () => {
    expect((await call('POST', '/api/auth/signup', { body: { email: 'not-an-email', name: 'X', password: 'long enough' } })).json).toMatchObject({
      error: 'invalid',
      field: 'email'
    });
    expect((await call('POST', '/api/auth/signup', { body: { email: 'x@example.com', name: 'X', password: 'short' } })).json).toMatchObject({
      field: 'password',
      reason: 'at least 8 characters'
    });
    const unknownField = await call('POST', '/api/auth/signup', { body: { email: 'x@example.com', name: 'X', password: 'long enough', admin: true } });
    expect(unknownField.status).toBe(400);
    const notJson = await app.request(new Request(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: '{' }));
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ field: '(body)', reason: 'not valid JSON' });
  });

  it('makes no second account for the same e-mail', async () => {
    const { email } = await signUp('Eve');
    const again = await call('POST', '/api/auth/signup', { body: { email: email.toUpperCase(), name: 'Eve', password: 'another password' } });
    expect(again.status).toBe(202);
    expect((await call('POST', '/api/auth/login', { body: { email, password: 'another password' } })).status).toBe(401);
    expect((await call('POST', '/api/auth/login', { body: { email, password: 'a good password' } })).status).toBe(200);
  });

  it('logs in and out; a wrong password gets a 401 that does not reveal whether the e-mail exists', async () => {
    const { email } = await signUp('Finn');
    const wrong = await call('POST', '/api/auth/login', { body: { email, password: 'wrong password' } });
    const unknown = await call('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    const login = await call('POST', '/api/auth/login', { body: { email, password: 'a good password' } });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login.setCookie);
    expect((await call('GET', '/api/me', { cookie })).status).toBe(200);
    expect((await call('POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
  });

  it('slides a session forward when used in the second half of its life, and ends it after', async () => {
    const { cookie } = await signUp('Gus');
    now += 10 * DAY;
    const early = await call('GET', '/api/me', { cookie });
    expect(early.status).toBe(200);
    expect(early.setCookie).toBeNull();
    now += 10 * DAY; // 20 days in: past half of 30
    const renewed = await call('GET', '/api/me', { cookie });
    expect(renewed.setCookie).toMatch(`Max-Age=${SESSION_LIFETIME_MS / 1000}`);
    now += 25 * DAY; // 45 days since signup, 25 since renewal: still valid
    expect((await call('GET', '/api/me', { cookie })).status).toBe(200);
    now += SESSION_LIFETIME_MS + DAY;
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
  });

  it('refuses cookie-authenticated mutations from another origin (CSRF)', async () => {
    const { cookie } = await signUp('Hal');
    const forged = await call('POST', '/api/tokens', { body: { name: 'x' }, cookie, origin: 'http://evil.example' });
    expect(forged.status).toBe(403);
    expect((await call('POST', '/api/tokens', { body: { name: 'x' }, cookie })).status).toBe(201);
  });

  it('issues personal API tokens that authenticate scripts as bearer tokens', async () => {
    const { cookie, user } = await signUp('Ida');
    const created = await call('POST', '/api/tokens', { body: { name: 'import script' }, cookie });
    expect(created.json.token).toMatch(/^lanes_/);
    const me = await call('GET', '/api/me', { token: created.json.token, origin: null });
    expect(me.json.user.id).toBe(user.id);
    expect((await call('GET', '/api/me', { token: 'lanes_forged', origin: null })).status).toBe(401);
  });

  it('invites by link and by e-mail address, and only admins can invite', async () => {
    const admin = await signUp('Jo');
    const workspaceId = (await call('GET', '/api/me', { cookie: admin.cookie })).json.workspaces[0].id;
    const link = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: {}, cookie: admin.cookie });
    expect(link.status).toBe(201);
    expect(link.json.url).toBe(`${ORIGIN}/invite/${link.json.token}`);
    expect((await call('GET', `/api/invites/${link.json.token}`)).json).toMatchObject({ workspaceName: "Jo's team", invitedBy: 'Jo' });

    const kim = await signUp('Kim');
    expect((await call('POST', `/api/invites/${link.json.token}/accept`, { cookie: kim.cookie })).json).toEqual({ workspaceId });
    const kimsPipelines = (await call('GET', '/api/pipelines', { cookie: kim.cookie })).json;
    expect(kimsPipelines.map((p: { workspaceId: string }) => p.workspaceId)).toContain(workspaceId);
    const members = (await call('GET', `/api/workspaces/${workspaceId}/members`, { cookie: kim.cookie })).json;
    expect(members.map((m: { name: string; role: string }) => `${m.name}:${m.role}`)).toEqual(['Jo:admin', 'Kim:sales']);
    expect((await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: {}, cookie: kim.cookie })).status).toBe(403);

    const byEmail = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: { email: 'Lee@Example.com' }, cookie: admin.cookie });
    expect(byEmail.json.email).toBe('lee@example.com');
    // The link sent to that address is the proof: Lee signs up through it and joins Jo's workspace only.
    const lee = await call('POST', '/api/auth/signup', { body: { email: 'lee@example.com', name: 'Lee', password: 'a good password', invite: byEmail.json.token } });
    const leesWorkspaces = (await call('GET', '/api/me', { cookie: cookieOf(lee.setCookie) })).json.workspaces;
    expect(leesWorkspaces.map((w: { id: string }) => w.id)).toEqual([workspaceId]);
    expect((await call('GET', `/api/invites/${byEmail.json.token}`)).status).toBe(410);

    const revoked = await call('DELETE', `/api/workspaces/${workspaceId}/invites/${link.json.id}`, { cookie: admin.cookie });
    expect(revoked.status).toBe(204);
    expect((await call('GET', `/api/invites/${link.json.token}`)).json.reason).toBe('this invite was revoked');
  });

  it('hides other workspaces', async () => {
    const a = await signUp('Max');
    const b = await signUp('Ned');
    const workspaceId = (await call('GET', '/api/me', { cookie: a.cookie })).json.workspaces[0].id;
    expect((await call('GET', `/api/workspaces/${workspaceId}/members`, { cookie: b.cookie })).status).toBe(404);
    expect((await call('GET', '/api/nothing-here', { cookie: b.cookie })).status).toBe(404);
  });

  /** An admin's workspace with one more member of `role`, joined through an invite of that role. */
  const teamWith = async (role: string, names = ['Olga', 'Pat']) => {
    const admin = await signUp(names[0]);
    const workspaceId = (await call('GET', '/api/me', { cookie: admin.cookie })).json.workspaces[0].id;
    const pipelineId = (await call('GET', '/api/pipelines', { cookie: admin.cookie })).json[0].id;
    const invite = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: { role }, cookie: admin.cookie });
    expect(invite.json.role).toBe(role);
    const member = await signUp(names[1]);
    expect((await call('POST', `/api/invites/${invite.json.token}/accept`, { cookie: member.cookie })).status).toBe(200);
    return { admin, member, workspaceId, pipelineId };
  };

  it('invites with a role and an expiry of the admin’s choosing', async () => {
    const { admin, member, workspaceId } = await teamWith('viewer');
    const roles = (await call('GET', `/api/workspaces/${workspaceId}/members`, { cookie: admin.cookie })).json;
    expect(roles.find((m: { id: string }) => m.id === member.user.id).role).toBe('viewer');
    expect((await call('GET', '/api/pipelines', { cookie: member.cookie })).json.find((p: { workspaceId: string }) => p.workspaceId === workspaceId).canEdit).toBe(false);

    const short = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: { role: 'support', expiresInDays: 2 }, cookie: admin.cookie });
    expect(Date.parse(short.json.expiresAt) - now).toBe(2 * DAY);
    expect((await call('GET', `/api/invites/${short.json.token}`)).json.role).toBe('support');
    now += 3 * DAY;
    expect((await call('GET', `/api/invites/${short.json.token}`)).status).toBe(410);
    for (const body of [{ role: 'owner' }, { expiresInDays: 0 }, { expiresInDays: 31 }, { role: 'sales', extra: 1 }]) {
      const refused = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body, cookie: admin.cookie });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.json.field).toBeTruthy();
    }
  });

  it('lets admins change roles and remove members, never the last admin', async () => {
    const { admin, member, workspaceId } = await teamWith('sales', ['Quinn', 'Ray']);
    const path = (userId: string) => `/api/workspaces/${workspaceId}/members/${userId}`;
    expect((await call('PATCH', path(admin.user.id), { body: { role: 'viewer' }, cookie: member.cookie })).status).toBe(403);
    expect((await call('DELETE', path(admin.user.id), { cookie: member.cookie })).status).toBe(403);
    const lastAdmin = await call('PATCH', path(admin.user.id), { body: { role: 'sales' }, cookie: admin.cookie });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.json.reason).toMatch(/at least one admin/);
    expect((await call('DELETE', path(admin.user.id), { cookie: admin.cookie })).status).toBe(409);
    expect((await call('PATCH', path(member.user.id), { body: { role: 'boss' }, cookie: admin.cookie })).json).toMatchObject({ field: 'role' });

    const changed = await call('PATCH', path(member.user.id), { body: { role: 'marketing' }, cookie: admin.cookie });
    expect(changed.json).toMatchObject({ id: member.user.id, role: 'marketing' });
    expect((await call('DELETE', path(member.user.id), { cookie: admin.cookie })).status).toBe(204);
    expect((await call('GET', `/api/workspaces/${workspaceId}/members`, { cookie: member.cookie })).status).toBe(404);
    const left = (await call('GET', '/api/pipelines', { cookie: member.cookie })).json;
    expect(left.map((p: { workspaceId: string }) => p.workspaceId)).not.toContain(workspaceId);
    expect((await call('DELETE', path(member.user.id), { cookie: admin.cookie })).status).toBe(404);
  });

  it('lets a member leave a workspace themselves', async () => {
    const { admin, member, workspaceId } = await teamWith('support', ['Sid', 'Tia']);
    expect((await call('DELETE', `/api/workspaces/${workspaceId}/members/${member.user.id}`, { cookie: member.cookie })).status).toBe(204);
    const members = (await call('GET', `/api/workspaces/${workspaceId}/members`, { cookie: admin.cookie })).json;
    expect(members.map((m: { id: string }) => m.id)).toEqual([admin.user.id]);
  });

  it('limits a pipeline to some roles; admins always see it', async () => {
    const { admin, member: sales, workspaceId, pipelineId } = await teamWith('sales', ['Uma', 'Vic']);
    const invite = await call('POST', `/api/workspaces/${workspaceId}/invites`, { body: { role: 'support' }, cookie: admin.cookie });
    const support = await signUp('Wes');
    await call('POST', `/api/invites/${invite.json.token}/accept`, { cookie: support.cookie });
    const path = `/api/workspaces/${workspaceId}/pipelines/${pipelineId}`;
    expect((await call('PATCH', path, { body: { allowedRoles: ['support'] }, cookie: sales.cookie })).status).toBe(403);
    expect((await call('PATCH', path, { body: { allowedRoles: ['support', 'support'] }, cookie: admin.cookie })).status).toBe(400);
    const limited = await call('PATCH', path, { body: { allowedRoles: ['support'] }, cookie: admin.cookie });
    expect(limited.json).toMatchObject({ id: pipelineId, allowedRoles: ['support'] });
    const sees = async (cookie: string) => (await call('GET', '/api/pipelines', { cookie })).json.some((p: { id: string }) => p.id === pipelineId);
    expect(await sees(admin.cookie)).toBe(true);
    expect(await sees(support.cookie)).toBe(true);
    expect(await sees(sales.cookie)).toBe(false);
    // One pipeline says why it cannot be opened: the role for a member, nothing at all for an outsider.
    expect((await call('GET', `/api/pipelines/${pipelineId}`, { cookie: support.cookie })).json).toMatchObject({ id: pipelineId, canEdit: true });
    const refused = await call('GET', `/api/pipelines/${pipelineId}`, { cookie: sales.cookie });
    expect([refused.status, refused.json.error, refused.json.role]).toEqual([403, 'forbidden', 'sales']);
    const outsider = await signUp('Xena');
    const hidden = await call('GET', `/api/pipelines/${pipelineId}`, { cookie: outsider.cookie });
    const missing = await call('GET', '/api/pipelines/no-such-pipeline', { cookie: outsider.cookie });
    expect([hidden.status, hidden.json]).toEqual([missing.status, missing.json]);
    expect(hidden.status).toBe(404);
    await call('PATCH', path, { body: { allowedRoles: null }, cookie: admin.cookie });
    expect(await sees(sales.cookie)).toBe(true);
  });

  it('lets admins create pipelines with their own stages, limited to some roles; names are unique per workspace', async () => {
    const { admin, member: sales, workspaceId } = await teamWith('sales', ['Xena', 'Yan']);
    const path = `/api/workspaces/${workspaceId}/pipelines`;
    const onboarding = { name: 'Support onboarding', stages: [{ name: 'Kick-off', probability: 30, outcome: 'open' }, { name: 'Live', probability: 100, outcome: 'won' }] };
    expect((await call('POST', path, { body: onboarding, cookie: sales.cookie })).status).toBe(403);
    now += 60_000; // pipelines are listed oldest first

    const created = await call('POST', path, { body: { ...onboarding, allowedRoles: ['support'] }, cookie: admin.cookie });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Support onboarding', workspaceId, allowedRoles: ['support'], canEdit: true, room: `board:${created.json.id}` });
    const listed = async (cookie: string) =>
      (await call('GET', '/api/pipelines', { cookie })).json.filter((p: { workspaceId: string }) => p.workspaceId === workspaceId).map((p: { name: string }) => p.name);
    expect(await listed(admin.cookie)).toEqual(['Sales pipeline', 'Support onboarding']);
    expect(await listed(sales.cookie)).toEqual(['Sales pipeline']);

    const again = await call('POST', path, { body: { name: 'support ONBOARDING' }, cookie: admin.cookie });
    expect(again).toMatchObject({ status: 409, json: { field: 'name', reason: expect.stringMatching(/already has a pipeline named/) } });
    now += 60_000;
    const everyone = await call('POST', path, { body: { name: 'Renewals' }, cookie: admin.cookie });
    expect(everyone.json).toMatchObject({ name: 'Renewals', allowedRoles: null });
    expect(await listed(sales.cookie)).toEqual(['Sales pipeline', 'Renewals']);

    const stranger = await signUp('Zed');
    expect((await call('POST', path, { body: { name: 'Hijack' }, cookie: stranger.cookie })).status).toBe(404);
  });

  it('lets admins rename a pipeline, to a name no other pipeline of the workspace has', async () => {
    const { admin, member: sales, workspaceId, pipelineId } = await teamWith('sales', ['Abe', 'Bea']);
    const path = `/api/workspaces/${workspaceId}/pipelines/${pipelineId}`;
    await call('POST', `/api/workspaces/${workspaceId}/pipelines`, { body: { name: 'Partners' }, cookie: admin.cookie });
    expect((await call('PATCH', path, { body: { name: 'New business' }, cookie: sales.cookie })).status).toBe(403);
    expect(await call('PATCH', path, { body: { name: 'PARTNERS' }, cookie: admin.cookie })).toMatchObject({ status: 409, json: { field: 'name' } });
    const renamed = await call('PATCH', path, { body: { name: '  New business ' }, cookie: admin.cookie });
    expect(renamed).toMatchObject({ status: 200, json: { id: pipelineId, name: 'New business', allowedRoles: null } });
    expect((await call('PATCH', path, { body: { name: 'NEW BUSINESS', allowedRoles: ['sales'] }, cookie: admin.cookie })).json).toMatchObject({
      name: 'NEW BUSINESS',
      allowedRoles: ['sales']
    });
    const seen = (await call('GET', '/api/pipelines', { cookie: sales.cookie })).json.find((p: { id: string }) => p.id === pipelineId);
    expect(seen.name).toBe('NEW BUSINESS');
    expect((await call('PATCH', `/api/workspaces/${workspaceId}/pipelines/nope`, { body: { name: 'Ghost' }, cookie: admin.cookie })).status).toBe(404);
  });

  it('throttles failed sign-ins per account with growing waits and a clear 429', async () => {
    const { email } = await signUp('Xena');
    const attempt = (password: string) => call('POST', '/api/auth/login', { body: { email, password } });
    for (let miss = 0; miss < 5; miss++) expect((await attempt('wrong password')).status).toBe(401);
    expect((await attempt('wrong password')).status).toBe(401);
    const blocked = await app.request(
      new Request(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'a good password' }) })
    );
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('1');
    expect((await blocked.json()).reason).toMatch(/too many failed sign-ins/);
    expect((await attempt('wrong password')).status).toBe(429);
    now += 1_000;
    expect((await attempt('wrong password')).status).toBe(401);
    const longer = await attempt('a good password');
    expect(longer.status).toBe(429);
    expect(longer.json.reason).toMatch(/2 s/);
    now += 2_000;
    expect((await attempt('a good password')).status).toBe(200);
    expect((await attempt('wrong password')).status).toBe(401);
  });

  it('logs out everywhere: every session of the user ends', async () => {
    const { email, cookie } = await signUp('Yan');
    const second = cookieOf((await call('POST', '/api/auth/login', { body: { email, password: 'a good password' } })).setCookie);
    const ended = await call('POST', '/api/auth/logout-everywhere', { cookie });
    expect(ended.json).toMatchObject({ sessionsEnded: 2 });
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
    expect((await call('GET', '/api/me', { cookie: second })).status).toBe(401);
  });

  it('refuses a cross-site mutation that carries no Origin but says so in Sec-Fetch-Site', async () => {
    const { cookie } = await signUp('Zed');
    const response = await app.request(
      new Request(`${ORIGIN}/api/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body: '{"name":"x"}' })
    );
    expect(response.status).toBe(403);
  });
});

describe('sign-in throttling per client address', () => {
  it('slows down one address trying many accounts, and trusts X-Forwarded-For only behind a proxy', async () => {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    const now = Date.UTC(2026, 10, 1);
    try {
      for (const trustProxy of [false, true]) {
        const { app } = createApp({ db, log: silentLog, clock: () => now, trustProxy });
        const attempt = (email: string, forwardedFor: string) =>
          app.request(
            new Request(`${ORIGIN}/api/auth/login`, {
              method: 'POST',
              headers: { origin: ORIGIN, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
              body: JSON.stringify({ email, password: 'not the password' })
            })
          );
        // 21 failures for 21 different accounts from one address (20 are free): each account is fine, the address is not.
        for (let index = 0; index < 21; index++) expect((await attempt(`user${index}-${trustProxy}@example.com`, '203.0.113.7')).status).toBe(401);
        const blocked = await attempt(`fresh-${trustProxy}@example.com`, '203.0.113.7');
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        // A different forwarded address is a different client only when the proxy is trusted.
        expect((await attempt(`other-${trustProxy}@example.com`, '198.51.100.9')).status).toBe(trustProxy ? 401 : 429);
      }
    } finally {
      await db.close();
    }
  });

  it('marks the session cookie Secure when the site is served over https', async () => {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    try {
      const mailbox = MailFolder.temporary();
      const mail = { transport: mailTransport({ mailDir: mailbox.dir, from: DEFAULT_MAIL_FROM }, silentLog), publicUrl: 'https://lanes.example' };
      const { app } = createApp({ db, log: silentLog, clock: () => Date.UTC(2026, 10, 1), mail });
      const post = (path: string, body: unknown) =>
        app.request(
          new Request(`https://lanes.example${path}`, {
            method: 'POST',
            headers: { origin: 'https://lanes.example', 'content-type': 'application/json' },
            body: JSON.stringify(body)
          })
        );
      expect((await post('/api/auth/signup', { email: 'sec@example.com', name: 'Sec', password: 'a good password' })).status).toBe(202);
      const token = tokenOf(linkIn(await mailbox.waitFor('sec@example.com', /Confirm your e-mail/), /^\/verify\//));
      const response = await post('/api/auth/verify', { token, password: 'a good password' });
      expect(response.status).toBe(201);
      expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
      expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/);
    } finally {
      await db.close();
    }
  });
});
