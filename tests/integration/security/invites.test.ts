import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApp, PASSWORD } from './in-process.ts';

describe('invites do not leak admin rights (#15.3)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  const invite = async (cookie: string, workspaceId: string, body: Record<string, unknown>) =>
    lanes.call('POST', `/api/workspaces/${workspaceId}/invites`, { body, cookie });
  const workspacesOf = async (cookie: string) => (await lanes.call('GET', '/api/me', { cookie })).json.workspaces.map((w: { id: string }) => w.id);

  it('shows invites and their tokens to admins only: a viewer listing them gets 403', async () => {
    const admin = await lanes.signUp('Ada');
    const viewerInvite = await invite(admin.cookie, admin.workspaceId, { role: 'viewer' });
    await invite(admin.cookie, admin.workspaceId, { email: 'boss@example.com', role: 'admin' });
    const viewer = await lanes.signUp('Vic', { invite: viewerInvite.json.token });
    const listed = await lanes.call('GET', `/api/workspaces/${admin.workspaceId}/invites`, { cookie: viewer.cookie });
    expect(listed.status).toBe(403);
    expect(JSON.stringify(listed.json)).not.toMatch(/token/);
    const asAdmin = await lanes.call('GET', `/api/workspaces/${admin.workspaceId}/invites`, { cookie: admin.cookie });
    expect(asAdmin.json).toHaveLength(2);
  });

  it('offers no invite link that grants admin; admin goes to one e-mail address', async () => {
    const admin = await lanes.signUp('Bea');
    const link = await invite(admin.cookie, admin.workspaceId, { role: 'admin' });
    expect(link).toMatchObject({ status: 400, json: { field: 'role' } });
    expect((await invite(admin.cookie, admin.workspaceId, { role: 'admin', email: 'co-admin@example.com' })).status).toBe(201);
  });

  it('refuses an admin link invite made before this rule, at signup and when accepting', async () => {
    const admin = await lanes.signUp('Cal');
    const legacy = await invite(admin.cookie, admin.workspaceId, { role: 'sales' });
    await lanes.db.query("UPDATE invites SET role = 'admin' WHERE id = $1", [legacy.json.id]);
    const signup = await lanes.call('POST', '/api/auth/signup', { body: { email: 'grab@example.com', name: 'Grab', password: PASSWORD, invite: legacy.json.token } });
    expect(signup).toMatchObject({ status: 400, json: { field: 'invite' } });
    const stranger = await lanes.signUp('Dee');
    expect((await lanes.call('POST', `/api/invites/${legacy.json.token}/accept`, { cookie: stranger.cookie })).status).toBe(410);
    expect(await workspacesOf(stranger.cookie)).not.toContain(admin.workspaceId);
  });

  it('binds an e-mail invite to its address: someone else’s invite token does not let you in', async () => {
    const admin = await lanes.signUp('Eli');
    const forBoss = await invite(admin.cookie, admin.workspaceId, { email: 'boss2@example.com', role: 'admin' });
    const thief = await lanes.call('POST', '/api/auth/signup', { body: { email: 'thief@example.com', name: 'Thief', password: PASSWORD, invite: forBoss.json.token } });
    expect(thief).toMatchObject({ status: 400, json: { field: 'invite', reason: expect.stringMatching(/another e-mail address/) } });
    const members = (await lanes.call('GET', `/api/workspaces/${admin.workspaceId}/members`, { cookie: admin.cookie })).json;
    expect(members.map((m: { email: string }) => m.email)).toEqual([admin.email]);
    // The invite is still there for its owner, who proves the address by using the link sent to it.
    const boss = await lanes.signUp('Boss', { email: 'boss2@example.com', invite: forBoss.json.token });
    expect(await workspacesOf(boss.cookie)).toEqual([admin.workspaceId]);
  });

  it('does not join anyone who merely types an invited address at signup', async () => {
    const admin = await lanes.signUp('Fay');
    await invite(admin.cookie, admin.workspaceId, { email: 'typed@example.com', role: 'admin' });
    const impostor = await lanes.signUp('Impostor', { email: 'typed@example.com' });
    expect(await workspacesOf(impostor.cookie)).not.toContain(admin.workspaceId);
    expect(await workspacesOf(impostor.cookie)).toHaveLength(1);
  });

  it('a removed member cannot rejoin as admin', async () => {
    const admin = await lanes.signUp('Gil');
    const salesLink = await invite(admin.cookie, admin.workspaceId, { role: 'sales' });
    const member = await lanes.signUp('Hub', { invite: salesLink.json.token });
    expect((await lanes.call('GET', `/api/workspaces/${admin.workspaceId}/invites`, { cookie: member.cookie })).status).toBe(403);
    expect((await lanes.call('DELETE', `/api/workspaces/${admin.workspaceId}/members/${member.user.id}`, { cookie: admin.cookie })).status).toBe(204);
    expect((await invite(member.cookie, admin.workspaceId, { role: 'admin' })).status).toBe(404);
    // The only way back is an invite the admins choose to send; the sales link still says sales.
    expect((await lanes.call('POST', `/api/invites/${salesLink.json.token}/accept`, { cookie: member.cookie })).status).toBe(200);
    const rejoined = (await lanes.call('GET', `/api/workspaces/${admin.workspaceId}/members`, { cookie: admin.cookie })).json;
    expect(rejoined.find((m: { id: string }) => m.id === member.user.id).role).toBe('sales');
  });
});

describe('someone invited joins the inviting workspace only (#17.15)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  it('gets no workspace of their own at signup, and can create one later with the sample pipeline', async () => {
    const admin = await lanes.signUp('Ivy');
    const link = await lanes.call('POST', `/api/workspaces/${admin.workspaceId}/invites`, { body: {}, cookie: admin.cookie });
    const joiner = await lanes.signUp('Jon', { invite: link.json.token });
    const me = (await lanes.call('GET', '/api/me', { cookie: joiner.cookie })).json;
    expect(me.workspaces).toEqual([expect.objectContaining({ id: admin.workspaceId, role: 'sales' })]);
    const pipelines = (await lanes.call('GET', '/api/pipelines', { cookie: joiner.cookie })).json;
    expect(pipelines.map((p: { name: string }) => p.name)).toEqual(['Sales pipeline']);

    lanes.advance(60_000); // workspaces are listed in the order you joined them
    const own = await lanes.call('POST', '/api/workspaces', { body: { name: '  Jon’s agency ' }, cookie: joiner.cookie });
    expect(own).toMatchObject({ status: 201, json: { name: 'Jon’s agency', role: 'admin' } });
    const after = (await lanes.call('GET', '/api/me', { cookie: joiner.cookie })).json.workspaces;
    expect(after.map((w: { id: string; role: string }) => `${w.id}:${w.role}`)).toEqual([`${admin.workspaceId}:sales`, `${own.json.id}:admin`]);
    const ownPipelines = (await lanes.call('GET', '/api/pipelines', { cookie: joiner.cookie })).json.filter((p: { workspaceId: string }) => p.workspaceId === own.json.id);
    expect(ownPipelines).toEqual([expect.objectContaining({ id: own.json.pipelineId, name: 'Sales pipeline', canEdit: true })]);
    expect((await lanes.call('POST', '/api/workspaces', { body: { name: '' }, cookie: joiner.cookie })).json).toMatchObject({ field: 'name' });
    expect((await lanes.call('POST', '/api/workspaces', { body: { name: 'x' } })).status).toBe(401);
  });
});
