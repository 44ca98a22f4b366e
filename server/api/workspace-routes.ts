import { Hono, type Context, type MiddlewareHandler } from 'hono';
import {
  inviteRequestSchema,
  memberUpdateSchema,
  pipelineCreateSchema,
  pipelineUpdateSchema,
  workspaceCreateSchema,
  pipelineAllows,
  type InvitePreview,
  type InviteView,
  type WorkspaceCreated
} from '../../shared/api.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import type { AppDeps, AppEnv, LiveAccess, MailDeps, RequestLimits } from '../app-env.ts';
import { clientAddress } from '../auth/client-address.ts';
import { requireUser } from '../auth/middleware.ts';
import { takeEach } from '../auth/rate-limit.ts';
import { inviteMail } from '../mail/templates.ts';
import { createInvite, findInvite, inviteProblem, markInviteAccepted, pendingInvites, revokeInvite, type InviteRow } from '../store/invites.ts';
import {
  addMember,
  changeMembership,
  createPipeline,
  createWorkspaceWithSample,
  membersOf,
  pipelineAccess,
  pipelineName,
  renamePipeline,
  pipelinesOf,
  roleIn,
  setPipelineAccess,
  workspacesOf
} from '../store/workspaces.ts';
import { tooMany } from './too-many.ts';
import { auditTrail } from './audit.ts';
import { readBody } from './validate.ts';

/** /api/pipelines, /api/workspaces/:id/* and /api/invites/:token: who works where, and joining a team. */
export function workspaceRoutes(deps: AppDeps, live: LiveAccess, limits: RequestLimits, mail: MailDeps) {
  const { db, clock } = deps;
  const routes = new Hono<AppEnv>();
  const audit = auditTrail(deps);

  const inviteUrl = (requestUrl: string, token: string) => new URL(`/invite/${token}`, requestUrl).toString();
  const inviteView = (requestUrl: string, row: InviteRow & { created_by_name: string }): InviteView => ({
    id: row.id,
    email: row.email,
    role: row.role,
    token: row.token,
    url: inviteUrl(requestUrl, row.token),
    expiresAt: new Date(row.expires_at).toISOString(),
    createdBy: row.created_by_name
  });

  /** A store refusal as a response: 404 not_found or 409 conflict, naming the field when a value clashed. */
  const refused = (c: Context<AppEnv>, refusal: { status: 404 | 409; reason: string }, field?: string) =>
    refusal.status === 404
      ? c.json({ error: 'not_found', reason: refusal.reason }, 404)
      : c.json({ error: 'conflict', ...(field ? { field } : {}), reason: refusal.reason }, 409);

  /** A workspace's routes are for its members; admin-only routes say so. 404, not 403, hides other teams' ids. */
  const member =
    (needs: 'member' | 'admin'): MiddlewareHandler<AppEnv> =>
    async (c, next) => {
      const role = await roleIn(db, c.req.param('workspaceId') ?? '', c.get('user')!.id);
      if (!role) return c.json({ error: 'not_found', reason: 'no such workspace' }, 404);
      if (needs === 'admin' && role !== 'admin') return c.json({ error: 'forbidden', reason: 'only workspace admins can do this' }, 403);
      return next();
    };

  /** New pipelines and workspaces count against the caller's account and address: a script cannot mint thousands. */
  const creationWait = (c: Context<AppEnv>) =>
    takeEach([
      [limits.creations, `account ${c.get('user')!.id}`],
      [limits.creations, `address ${clientAddress(c, limits.trustProxy)}`]
    ]);

  routes.get('/pipelines', requireUser, async (c) => c.json(await pipelinesOf(db, c.get('user')!.id)));

  /**
   * One pipeline, or why not: 404 when it does not exist or is in a workspace the caller is not a member of (the
   * same answer, so nothing leaks), 403 naming the caller's role when the pipeline is limited to other roles.
   */
  routes.get('/pipelines/:pipelineId', requireUser, async (c) => {
    const userId = c.get('user')!.id;
    const pipelineId = c.req.param('pipelineId');
    const open = (await pipelinesOf(db, userId)).find((pipeline) => pipeline.id === pipelineId);
    if (open) return c.json(open);
    const access = await pipelineAccess(db, pipelineId);
    const role = access ? await roleIn(db, access.workspaceId, userId) : null;
    if (!access || !role) return c.json({ error: 'not_found', reason: 'no such pipeline' }, 404);
    if (!pipelineAllows(access.allowedRoles, role)) {
      return c.json({ error: 'forbidden', role, reason: `this pipeline is limited to other roles than yours (${role})` }, 403);
    }
    return c.json({ error: 'not_found', reason: 'no such pipeline' }, 404);
  });

  /** A workspace of one's own (you are its admin), with the sample pipeline: e.g. after joining a team by invite. */
  routes.post('/workspaces', requireUser, async (c) => {
    const body = await readBody(c, workspaceCreateSchema);
    if (!body.ok) return body.response;
    const wait = creationWait(c);
    if (wait > 0) return tooMany(c, wait, 'too many new workspaces and pipelines');
    const user = c.get('user')!;
    const { workspaceId, pipelineId } = await db.transaction((tx) => createWorkspaceWithSample(tx, user, clock(), body.value.name));
    const created: WorkspaceCreated = { id: workspaceId, name: body.value.name, role: 'admin', contactsRoom: contactsRoom(workspaceId), pipelineId };
    return c.json(created, 201);
  });

  routes.get('/workspaces/:workspaceId/members', requireUser, member('member'), async (c) => c.json(await membersOf(db, c.req.param('workspaceId'))));

  // Invite tokens are credentials (a link joins the team): only admins see them.
  routes.get('/workspaces/:workspaceId/invites', requireUser, member('admin'), async (c) => {
    const rows = await pendingInvites(db, c.req.param('workspaceId'), clock());
    return c.json(rows.map((row) => inviteView(c.req.url, row)));
  });

  routes.post('/workspaces/:workspaceId/invites', requireUser, member('admin'), async (c) => {
    const body = await readBody(c, inviteRequestSchema);
    if (!body.ok) return body.response;
    const user = c.get('user')!;
    const { email, role, expiresInDays } = body.value;
    if (role === 'admin' && !email) {
      return c.json({ error: 'invalid', field: 'role', reason: 'an invite link cannot make anyone admin: invite their e-mail address instead' }, 400);
    }
    const row = await createInvite(
      db,
      { workspaceId: c.req.param('workspaceId'), email: email ?? null, createdBy: user.id, role, lifetimeMs: expiresInDays ? expiresInDays * 86_400_000 : undefined },
      clock()
    );
    // An e-mail invite goes to its address: the link arriving there is the proof that the person owns it.
    if (row.email) {
      const workspace = (await workspacesOf(db, user.id)).find((candidate) => candidate.id === row.workspace_id);
      mail.outbox.post(
        inviteMail(row.email, { invitedBy: user.name, workspaceName: workspace?.name ?? 'a team', role: row.role, link: mail.links.invite(row.token), expiresAt: row.expires_at })
      );
    }
    await audit(c, 'invite_created', { workspaceId: c.req.param('workspaceId'), target: row.id, detail: { email: row.email, role: row.role, expiresAt: row.expires_at } });
    return c.json(inviteView(c.req.url, { ...row, created_by_name: user.name }), 201);
  });

  /** Change a member's role: their open boards become read-only or writable, or close if they lost access. */
  routes.patch('/workspaces/:workspaceId/members/:userId', requireUser, member('admin'), async (c) => {
    const body = await readBody(c, memberUpdateSchema);
    if (!body.ok) return body.response;
    const { workspaceId, userId } = c.req.param();
    const result = await db.transaction((tx) => changeMembership(tx, workspaceId, userId, body.value.role));
    if (!result.ok) return refused(c, result);
    await audit(c, 'member_role_changed', { workspaceId, target: userId, detail: { role: body.value.role } });
    await live.recheck({ userId });
    return c.json((await membersOf(db, workspaceId)).find((row) => row.id === userId));
  });

  /** Remove a member (admins), or leave a workspace (anyone, themselves): their live sockets close at once. */
  routes.delete('/workspaces/:workspaceId/members/:userId', requireUser, async (c) => {
    const { workspaceId, userId } = c.req.param();
    const self = userId === c.get('user')!.id;
    const role = await roleIn(db, workspaceId, c.get('user')!.id);
    if (!role) return c.json({ error: 'not_found', reason: 'no such workspace' }, 404);
    if (!self && role !== 'admin') return c.json({ error: 'forbidden', reason: 'only workspace admins can do this' }, 403);
    const result = await db.transaction((tx) => changeMembership(tx, workspaceId, userId, null));
    if (!result.ok) return refused(c, result);
    await audit(c, 'member_removed', { workspaceId, target: userId, detail: { left: self } });
    await live.recheck({ userId });
    return c.body(null, 204);
  });

  /** A new pipeline with its stages; it shows up in the picker of everyone it is open to on their next load. */
  routes.post('/workspaces/:workspaceId/pipelines', requireUser, member('admin'), async (c) => {
    const body = await readBody(c, pipelineCreateSchema);
    if (!body.ok) return body.response;
    const wait = creationWait(c);
    if (wait > 0) return tooMany(c, wait, 'too many new workspaces and pipelines');
    const workspaceId = c.req.param('workspaceId');
    const result = await db.transaction((tx) => createPipeline(tx, workspaceId, body.value, clock()));
    if (!result.ok) return refused(c, result, 'name');
    await audit(c, 'pipeline_created', { workspaceId, target: result.pipelineId, detail: { name: body.value.name, allowedRoles: body.value.allowedRoles ?? null } });
    return c.json((await pipelinesOf(db, c.get('user')!.id)).find((row) => row.id === result.pipelineId), 201);
  });

  /**
   * Rename a pipeline (open boards see the new name live) and/or limit it to some roles (admins always keep access;
   * members who lose access are disconnected).
   */
  routes.patch('/workspaces/:workspaceId/pipelines/:pipelineId', requireUser, member('admin'), async (c) => {
    const body = await readBody(c, pipelineUpdateSchema);
    if (!body.ok) return body.response;
    const { workspaceId, pipelineId } = c.req.param();
    const { name, allowedRoles } = body.value;
    const result = await db.transaction(async (tx) => {
      if (name !== undefined) {
        const renamed = await renamePipeline(tx, workspaceId, pipelineId, name);
        if (!renamed.ok) return renamed;
      }
      if (allowedRoles !== undefined && !(await setPipelineAccess(tx, workspaceId, pipelineId, allowedRoles))) {
        return { ok: false as const, status: 404 as const, reason: 'no such pipeline in this workspace' };
      }
      return { ok: true as const };
    });
    if (!result.ok) return refused(c, result, 'name');
    if (name !== undefined) await live.renameBoard(boardRoom(pipelineId), name, c.get('user')!.id);
    if (name !== undefined) await audit(c, 'pipeline_renamed', { workspaceId, target: pipelineId, detail: { name } });
    if (allowedRoles !== undefined) await audit(c, 'pipeline_access_changed', { workspaceId, target: pipelineId, detail: { allowedRoles } });
    if (allowedRoles !== undefined) await live.recheck({ room: boardRoom(pipelineId) });
    return c.json((await pipelinesOf(db, c.get('user')!.id)).find((row) => row.id === pipelineId));
  });

  /**
   * Repair a board that breaks the doc schema (admins): meta rewritten from the database, every stage and deal that
   * breaks a rule repaired or removed, as a new change (the old state stays in the stored history). A board opened
   * read-only because it failed to load, migrate or validate turns writable for everyone at once.
   */
  routes.post('/workspaces/:workspaceId/pipelines/:pipelineId/repair', requireUser, member('admin'), async (c) => {
    const { workspaceId, pipelineId } = c.req.param();
    const name = await pipelineName(db, workspaceId, pipelineId);
    if (name === null) return c.json({ error: 'not_found', reason: 'no such pipeline in this workspace' }, 404);
    return c.json(await live.repairDoc(boardRoom(pipelineId), { pipelineId, workspaceId, name }, c.get('user')!.id));
  });

  /** The same for the workspace's contacts doc. */
  routes.post('/workspaces/:workspaceId/contacts/repair', requireUser, member('admin'), async (c) => {
    const workspaceId = c.req.param('workspaceId');
    return c.json(await live.repairDoc(contactsRoom(workspaceId), { workspaceId }, c.get('user')!.id));
  });

  routes.delete('/workspaces/:workspaceId/invites/:inviteId', requireUser, member('admin'), async (c) => {
    const revoked = await revokeInvite(db, c.req.param('workspaceId'), c.req.param('inviteId'), clock());
    if (revoked) await audit(c, 'invite_revoked', { workspaceId: c.req.param('workspaceId'), target: c.req.param('inviteId') });
    return revoked ? c.body(null, 204) : c.json({ error: 'not_found', reason: 'no such open invite' }, 404);
  });

  routes.get('/invites/:token', async (c) => {
    const invite = await findInvite(db, c.req.param('token'));
    const problem = inviteProblem(invite, clock());
    if (problem || !invite) return c.json({ error: invite ? 'gone' : 'not_found', reason: problem }, invite ? 410 : 404);
    const preview: InvitePreview = {
      workspaceId: invite.workspace_id,
      workspaceName: invite.workspace_name,
      invitedBy: invite.created_by_name,
      email: invite.email,
      role: invite.role,
      expiresAt: new Date(invite.expires_at).toISOString()
    };
    return c.json(preview);
  });

  routes.post('/invites/:token/accept', requireUser, async (c) => {
    const user = c.get('user')!;
    const now = clock();
    const invite = await findInvite(db, c.req.param('token'));
    const problem = inviteProblem(invite, now);
    if (problem || !invite) return c.json({ error: invite ? 'gone' : 'not_found', reason: problem }, invite ? 410 : 404);
    if (invite.email && invite.email !== user.email) {
      return c.json({ error: 'forbidden', reason: `this invite is for ${invite.email}; sign in with that address` }, 403);
    }
    await db.transaction(async (tx) => {
      await addMember(tx, invite.workspace_id, user.id, invite.role, now);
      if (invite.email) await markInviteAccepted(tx, invite.id, user.id, now);
    });
    await audit(c, 'invite_accepted', { workspaceId: invite.workspace_id, target: invite.id, detail: { role: invite.role } });
    return c.json({ workspaceId: invite.workspace_id });
  });

  return routes;
}
