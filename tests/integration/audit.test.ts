import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../shared/history.ts';
import { api, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';

/** The admins' audit log: who did what, when and from which address; filters and a CSV export. */
describe.each(storageKinds)('audit log on $label', ({ create }) => {
  const team = teamSuite(create, { TRUST_PROXY: '1' });
  const call = (who: Account, path: string, init: { method?: string; body?: unknown } = {}) => api(team.server.url, path, { ...init, cookie: who.cookie });
  const audit = async (query = ''): Promise<AuditEntry[]> => {
    const response = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit${query}`);
    expect(response.status).toBe(200);
    return response.json.entries;
  };
  const login = (email: string, password: string, forwardedFor: string) =>
    fetch(`${team.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: team.server.url, 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ email, password })
    });

  it('records sign-ins (failed ones too) with the address the throttle sees, and account events of members', async () => {
    const since = Date.now();
    expect((await login(team.bob.email, 'not the password', '203.0.113.7')).status).toBe(401);
    expect((await login(team.bob.email, 'a long password', '203.0.113.8, 10.0.0.1')).status).toBe(200);
    const token = await call(team.bob, '/api/tokens', { method: 'POST', body: { name: 'CI script' } });
    expect((await call(team.bob, `/api/tokens/${token.json.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(team.bob, `/api/tokens/${token.json.id}`, { method: 'DELETE' })).status).toBe(404);

    const entries = await audit(`?userId=${team.bob.userId}&from=${since}`);
    expect(entries.map((entry) => entry.action)).toEqual(['token_revoked', 'token_created', 'signin', 'signin_failed']);
    expect(entries.every((entry) => entry.actor?.id === team.bob.userId && entry.actor.name === 'Bob')).toBe(true);
    expect(entries.find((entry) => entry.action === 'signin_failed')).toMatchObject({ address: '203.0.113.7', target: team.bob.email });
    expect(entries.find((entry) => entry.action === 'signin')).toMatchObject({ address: '203.0.113.8' });
    expect(entries.find((entry) => entry.action === 'token_created')).toMatchObject({ target: token.json.id, detail: { name: 'CI script' } });
    // Sorted newest first, with times.
    expect(entries.map((entry) => entry.at)).toEqual([...entries.map((entry) => entry.at)].sort((a, b) => b - a));
    expect((await audit('?action=signup')).map((entry) => entry.actor?.id)).toEqual(expect.arrayContaining([team.ann.userId, team.bob.userId]));
  });

  it('records invites, role and membership changes and pipeline access, filterable by action and time', async () => {
    const since = Date.now();
    const invite = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/invites`, { method: 'POST', body: { role: 'support' } });
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/invites/${invite.json.id}`, { method: 'DELETE' })).status).toBe(204);
    const cleo = await signUpColleague(team.server.url, team.ann, 'Cleo', 'marketing');
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/members/${cleo.userId}`, { method: 'PATCH', body: { role: 'viewer' } })).status).toBe(200);
    const pipeline = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/pipelines`, { method: 'POST', body: { name: 'Renewals' } });
    await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/pipelines/${pipeline.json.id}`, { method: 'PATCH', body: { name: 'Renewals 2027', allowedRoles: ['sales'] } });
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/members/${cleo.userId}`, { method: 'DELETE' })).status).toBe(204);

    const entries = await audit(`?from=${since}`);
    expect(entries.map((entry) => entry.action)).toEqual([
      'member_removed',
      'pipeline_access_changed',
      'pipeline_renamed',
      'pipeline_created',
      'member_role_changed',
      'token_created',
      'invite_accepted',
      'signup',
      'invite_created',
      'invite_revoked',
      'invite_created'
    ]);
    const byAction = (action: string) => entries.find((entry) => entry.action === action)!;
    expect(byAction('invite_revoked')).toMatchObject({ actor: { id: team.ann.userId }, target: invite.json.id });
    expect(byAction('invite_accepted')).toMatchObject({ actor: { id: cleo.userId, name: 'Cleo' } });
    // Cleo's account events stay in the log of the workspace she was in then, though she has been removed since.
    expect(byAction('signup')).toMatchObject({ actor: { id: cleo.userId } });
    expect(byAction('token_created')).toMatchObject({ actor: { id: cleo.userId } });
    expect(byAction('member_role_changed')).toMatchObject({ target: cleo.userId, detail: { role: 'viewer' } });
    expect(byAction('pipeline_renamed')).toMatchObject({ target: pipeline.json.id, detail: { name: 'Renewals 2027' } });
    expect(byAction('pipeline_access_changed')).toMatchObject({ detail: { allowedRoles: ['sales'] } });
    expect(byAction('member_removed')).toMatchObject({ target: cleo.userId, detail: { left: false } });
    expect(entries.every((entry) => entry.address === '127.0.0.1' || entry.address === '::ffff:127.0.0.1')).toBe(true);

    expect((await audit(`?action=pipeline_created&from=${since}`)).map((entry) => entry.target)).toEqual([pipeline.json.id]);
    expect(await audit(`?from=${since}&to=${since - 1}`)).toEqual([]);
    expect(await audit(`?from=${since}&limit=2`)).toHaveLength(2);
  });

  it('exports CSV with a header row, quoting commas and quotes, and writes would-be formulas as text', async () => {
    const dee = await signUpColleague(team.server.url, team.ann, 'Dee, "the closer"');
    const eve = await signUpColleague(team.server.url, team.ann, '=HYPERLINK("x")');
    const response = await fetch(`${team.server.url}/api/workspaces/${team.ann.workspaceId}/audit?action=signup&format=csv`, { headers: { cookie: team.ann.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await response.text();
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('id,at,actor_id,actor_name,action,target,detail,address');
    expect(text).toContain(`${dee.userId},"Dee, ""the closer""",signup`);
    expect(text).toContain(`${eve.userId},"'=HYPERLINK(""x"")",signup`);
    expect(lines.length).toBe(1 + (await audit('?action=signup')).length);
  });

  it('is for admins of the workspace only, and refuses unknown filters', async () => {
    expect((await call(team.bob, `/api/workspaces/${team.ann.workspaceId}/audit`)).status).toBe(403);
    const stranger = await signUp(team.server.url, 'Stranger');
    expect((await call(stranger, `/api/workspaces/${team.ann.workspaceId}/audit`)).status).toBe(404);
    // Another workspace's events are not shown: the stranger's own sign-up is not in Ann's log.
    expect((await audit('?action=signup')).some((entry) => entry.actor?.id === stranger.userId)).toBe(false);
    const bad = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=dance`);
    expect(bad).toMatchObject({ status: 400, json: { field: 'action' } });
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?sort=up`)).json).toMatchObject({ field: 'sort', reason: 'unknown field' });
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?limit=0`)).status).toBe(400);
  });
});
