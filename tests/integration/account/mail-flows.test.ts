import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardRoom } from '../../../shared/rooms.ts';
import { colorFor } from '../../../shared/presence-colors.ts';
import { api, connectClient, eventually, signUp, type Account } from '../../support/clients.ts';
import { linkIn, SmtpReceiver, tokenOf } from '../../support/mail.ts';
import { ServerProcess, storageKinds, type Storage } from '../../support/server-process.ts';

const PASSWORD = 'a long password';

/** Every header but the clock's: two answers that must not be told apart have these equal. */
const headersOf = (headers: Headers) => [...headers.entries()].filter(([name]) => name !== 'date');

/**
 * Issue #17 "Account and e-mail", and #15.13's residual (signup must not tell who has an account), against the real
 * server sending through SMTP (nodemailer) to a real SMTP receiver (smtp-server) started here: every assertion about
 * mail reads what arrived over SMTP.
 */
describe.each(storageKinds)('account e-mail over SMTP on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let smtp: SmtpReceiver;
  let ann: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    smtp = await SmtpReceiver.start();
    storage = await create();
    server = await ServerProcess.start(storage, { SMTP_URL: smtp.url, MAIL_FROM: 'Lanes <lanes@lanes.test>' }, { mailbox: smtp });
    ann = await signUp(server.url, 'Ann');
  });
  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
    await smtp?.stop();
  });

  const post = (path: string, body: unknown, cookie?: string) => api(server.url, path, { method: 'POST', body, cookie });

  it('sends the signup link over SMTP: no account until it is opened with the password, then once only', async () => {
    const email = `dana-${Date.now()}@example.com`;
    const signup = await post('/api/auth/signup', { email, name: 'Dana', password: PASSWORD });
    expect(signup.status).toBe(202);
    expect(signup.json).toEqual({ status: 'verification_sent', email });
    expect(signup.headers.get('set-cookie')).toBeNull();
    const mail = await smtp.waitFor(email, /Confirm your e-mail/);
    expect(mail.from).toBe('lanes@lanes.test');
    expect(smtp.envelopes.at(-1)).toEqual([email]);
    const link = linkIn(mail, /^\/verify\//);
    expect(link.startsWith(`${server.url}/verify/`)).toBe(true);
    expect(mail.html).toContain(link);
    // Not an account yet: it cannot sign in.
    expect((await post('/api/auth/login', { email, password: PASSWORD })).status).toBe(401);
    // The link alone is not enough: someone who typed your address cannot have you confirm their password.
    expect((await post('/api/auth/verify', { token: tokenOf(link), password: 'somebody elses password' })).json).toMatchObject({ field: 'password' });
    const verified = await post('/api/auth/verify', { token: tokenOf(link), password: PASSWORD });
    expect(verified.status).toBe(201);
    const cookie = verified.headers.get('set-cookie')!.split(';')[0];
    const me = await api(server.url, '/api/me', { cookie });
    expect(me.json.user).toMatchObject({ email, name: 'Dana' });
    expect(me.json.workspaces).toEqual([expect.objectContaining({ name: "Dana's team", role: 'admin' })]);
    expect((await post('/api/auth/verify', { token: tokenOf(link), password: PASSWORD })).status).toBe(410);
    expect((await post('/api/auth/login', { email, password: PASSWORD })).status).toBe(200);
  });

  it('answers a signup with a registered address exactly as a new one, and tells the owner instead', async () => {
    // As long as Ann's address, so even Content-Length cannot differ for any other reason.
    const fresh = `z${ann.email.slice(1)}`;
    const before = smtp.received.length;
    const taken = await post('/api/auth/signup', { email: ann.email, name: 'Mallory', password: 'mallory owns this now' });
    const free = await post('/api/auth/signup', { email: fresh, name: 'Mallory', password: 'mallory owns this now' });
    expect(taken.status).toBe(free.status);
    expect(taken.json).toEqual({ ...free.json, email: ann.email });
    expect(headersOf(taken.headers)).toEqual(headersOf(free.headers));
    const notice = await smtp.waitFor(ann.email, /Someone tried to sign up/);
    expect(notice.text).toMatch(/already has one\. Nothing was changed/);
    expect(linkIn(notice, /^\/login$/)).toBe(`${server.url}/login`);
    expect(linkIn(notice, /^\/forgot-password$/)).toBe(`${server.url}/forgot-password`);
    expect(notice.text).not.toMatch(/\/verify\//);
    await smtp.waitFor(fresh, /Confirm your e-mail/);
    expect(smtp.received.slice(before).map((mail) => mail.to).sort()).toEqual([ann.email, fresh].sort());
    // Ann's account is untouched: her password still works, Mallory's does not.
    expect((await post('/api/auth/login', { email: ann.email, password: 'mallory owns this now' })).status).toBe(401);
    expect((await post('/api/auth/login', { email: ann.email, password: PASSWORD })).status).toBe(200);
  });

  it('sends an e-mail invite to its address; signing up through its link joins that workspace at once', async () => {
    const email = `erin-${Date.now()}@example.com`;
    const invite = await post(`/api/workspaces/${ann.workspaceId}/invites`, { email, role: 'marketing' }, ann.cookie);
    expect(invite.status).toBe(201);
    const mail = await smtp.waitFor(email, /Ann invited you to Ann's team/);
    const link = linkIn(mail, /^\/invite\//);
    expect(tokenOf(link)).toBe(invite.json.token);
    expect(mail.text).toMatch(/as marketing/);
    const joined = await post('/api/auth/signup', { email, name: 'Erin', password: PASSWORD, invite: tokenOf(link) });
    expect(joined.status).toBe(201);
    const cookie = joined.headers.get('set-cookie')!.split(';')[0];
    expect((await api(server.url, '/api/me', { cookie })).json.workspaces).toEqual([expect.objectContaining({ id: ann.workspaceId, role: 'marketing' })]);
    // A link invite sends nothing (there is no address to send it to).
    const count = smtp.received.length;
    expect((await post(`/api/workspaces/${ann.workspaceId}/invites`, {}, ann.cookie)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.length).toBe(count);
  });

  it('answers a reset request the same for a known and an unknown address; the link works once and ends every session and token', async () => {
    const owner = await signUp(server.url, 'Fay');
    const secondSession = (await post('/api/auth/login', { email: owner.email, password: PASSWORD })).headers.get('set-cookie')!.split(';')[0];
    const unknown = `x${owner.email.slice(1)}`;
    const known = await post('/api/auth/password-reset', { email: owner.email });
    const stranger = await post('/api/auth/password-reset', { email: unknown });
    expect(known.status).toBe(202);
    expect(stranger.status).toBe(known.status);
    expect(stranger.json).toEqual({ ...known.json, email: unknown });
    expect(headersOf(stranger.headers)).toEqual(headersOf(known.headers));
    const mail = await smtp.waitFor(owner.email, /Reset your Lanes password/);
    const link = linkIn(mail, /^\/reset-password\//);
    expect(mail.text).toMatch(/works once, within one hour/);

    expect((await post('/api/auth/password-reset/confirm', { token: tokenOf(link), password: 'password' })).json).toMatchObject({ field: 'password' });
    const reset = await post('/api/auth/password-reset/confirm', { token: tokenOf(link), password: 'a fresh start for fay' });
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ status: 'password_changed', sessionsEnded: 2, tokensRevoked: 1 });
    expect((await post('/api/auth/password-reset/confirm', { token: tokenOf(link), password: 'yet another fresh start' })).status).toBe(410);
    for (const cookie of [owner.cookie, secondSession]) expect((await api(server.url, '/api/me', { cookie })).status).toBe(401);
    expect((await api(server.url, '/api/me', { token: owner.token })).status).toBe(401);
    expect((await post('/api/auth/login', { email: owner.email, password: PASSWORD })).status).toBe(401);
    expect((await post('/api/auth/login', { email: owner.email, password: 'a fresh start for fay' })).status).toBe(200);
    await smtp.waitFor(owner.email, /password was changed/);
    expect(smtp.received.filter((each) => each.to === unknown)).toEqual([]);
  });

  it('changes the password with the current one: every other session ends, this one stays, tokens stay', async () => {
    const owner = await signUp(server.url, 'Gil');
    const other = (await post('/api/auth/login', { email: owner.email, password: PASSWORD })).headers.get('set-cookie')!.split(';')[0];
    const wrong = await post('/api/account/password', { currentPassword: 'not it at all', newPassword: 'gil picks a new phrase' }, owner.cookie);
    expect(wrong).toMatchObject({ status: 400, json: { field: 'currentPassword' } });
    // A script's token cannot change the password: that takes a signed-in browser.
    expect((await api(server.url, '/api/account/password', { method: 'POST', body: { currentPassword: PASSWORD, newPassword: 'gil picks a new phrase' }, token: owner.token })).status).toBe(403);
    const changed = await post('/api/account/password', { currentPassword: PASSWORD, newPassword: 'gil picks a new phrase' }, owner.cookie);
    expect(changed.json).toEqual({ status: 'password_changed', sessionsEnded: 1 });
    expect((await api(server.url, '/api/me', { cookie: other })).status).toBe(401);
    expect((await api(server.url, '/api/me', { cookie: owner.cookie })).status).toBe(200);
    expect((await api(server.url, '/api/me', { token: owner.token })).status).toBe(200);
    expect((await post('/api/auth/login', { email: owner.email, password: 'gil picks a new phrase' })).status).toBe(200);
    await smtp.waitFor(owner.email, /password was changed/);
  });

  it('shows a new display name in the API and in presence on an open board', async () => {
    const room = boardRoom(ann.pipelineId);
    const bob = await signUp(server.url, 'Bob', { invite: (await post(`/api/workspaces/${ann.workspaceId}/invites`, {}, ann.cookie)).json.token });
    const annClient = connectClient(server.wsUrl, room, { token: ann.token });
    const bobClient = connectClient(server.wsUrl, room, { token: bob.token });
    clients.push(annClient, bobClient);
    await Promise.all([annClient.synced, bobClient.synced]);
    bobClient.provider.awareness.setLocalStateField('user', { id: bob.userId, name: 'Bob', ...colorFor(bob.userId) });
    await eventually(() => expect(annClient.provider.awareness.getStates().get(bobClient.doc.clientID)?.user?.name).toBe('Bob'));

    const renamed = await api(server.url, '/api/account', { method: 'PATCH', body: { name: 'Robert' }, cookie: bob.cookie });
    expect(renamed.json.user).toMatchObject({ id: bob.userId, name: 'Robert' });
    expect((await api(server.url, '/api/me', { cookie: bob.cookie })).json.user.name).toBe('Robert');
    const members = (await api(server.url, `/api/workspaces/${ann.workspaceId}/members`, { cookie: ann.cookie })).json;
    expect(members.find((member: { id: string }) => member.id === bob.userId).name).toBe('Robert');
    // Bob's open socket publishes the new name from his next presence update on, whatever name the client sends.
    bobClient.provider.awareness.setLocalStateField('openDealId', null);
    await eventually(() => expect(annClient.provider.awareness.getStates().get(bobClient.doc.clientID)?.user?.name).toBe('Robert'));
  });
});
