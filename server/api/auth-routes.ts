import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { loginSchema, signupSchema, tokenRequestSchema } from '../../shared/api.ts';
import { newId } from '../../shared/ids.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { createApiToken } from '../auth/api-tokens.ts';
import { clearSessionCookie, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth/middleware.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../auth/passwords.ts';
import { createSession, invalidateSession } from '../auth/sessions.ts';
import { hashToken } from '../auth/tokens.ts';
import { findUserByEmail, insertUser } from '../store/accounts.ts';
import { findInvite, inviteProblem, markInviteAccepted, openInvitesForEmail } from '../store/invites.ts';
import { addMember, createWorkspaceWithSample, workspacesOf } from '../store/workspaces.ts';
import { readBody } from './validate.ts';

/** /api/auth/* and /api/me, /api/tokens: accounts and sessions. */
export function authRoutes(deps: AppDeps) {
  const { db, clock } = deps;
  const routes = new Hono<AppEnv>();

  routes.post('/auth/signup', async (c) => {
    const body = await readBody(c, signupSchema);
    if (!body.ok) return body.response;
    const { email, name, password, invite: inviteToken } = body.value;
    const now = clock();
    const invite = inviteToken ? await findInvite(db, inviteToken) : undefined;
    if (inviteToken) {
      const problem = inviteProblem(invite, now);
      if (problem) return c.json({ error: 'invalid', field: 'invite', reason: problem }, 400);
    }
    if (await findUserByEmail(db, email)) {
      return c.json({ error: 'invalid', field: 'email', reason: 'an account with this e-mail already exists; sign in instead' }, 400);
    }
    const passwordHash = await hashPassword(password);
    const userId = newId();
    const token = await db.transaction(async (tx) => {
      await insertUser(tx, { id: userId, email, name, passwordHash }, now);
      await createWorkspaceWithSample(tx, { id: userId, name: name.trim() }, now);
      const invites = [...(await openInvitesForEmail(tx, email, now)), ...(invite ? [invite] : [])];
      for (const open of invites) {
        await addMember(tx, open.workspace_id, userId, 'member', now);
        if (open.email) await markInviteAccepted(tx, open.id, userId, now);
      }
      return createSession(tx, userId, now);
    });
    setSessionCookie(c, token.token, token.session, now);
    return c.json({ user: { id: userId, email: email.trim().toLowerCase(), name: name.trim() } }, 201);
  });

  routes.post('/auth/login', async (c) => {
    const body = await readBody(c, loginSchema);
    if (!body.ok) return body.response;
    const { email, password } = body.value;
    const user = await findUserByEmail(db, email);
    const valid = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDecoy(password);
    if (!user || !valid) return c.json({ error: 'unauthorized', reason: 'wrong e-mail or password' }, 401);
    const now = clock();
    const { token, session } = await createSession(db, user.id, now);
    setSessionCookie(c, token, session, now);
    return c.json({ user: { id: user.id, email: user.email, name: user.name } });
  });

  routes.post('/auth/logout', async (c) => {
    const credential = c.get('credential');
    const token = getCookie(c, SESSION_COOKIE);
    if (credential?.kind === 'cookie') await invalidateSession(db, credential.session.id);
    else if (token) await invalidateSession(db, hashToken(token));
    else if (credential?.kind === 'bearer' && credential.sessionId) await invalidateSession(db, credential.sessionId);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  routes.get('/me', requireUser, async (c) => {
    const user = c.get('user')!;
    return c.json({ user, workspaces: await workspacesOf(db, user.id) });
  });

  routes.post('/tokens', requireUser, async (c) => {
    const body = await readBody(c, tokenRequestSchema);
    if (!body.ok) return body.response;
    const { id, token } = await createApiToken(db, c.get('user')!.id, body.value.name, clock());
    return c.json({ id, name: body.value.name, token }, 201);
  });

  return routes;
}
