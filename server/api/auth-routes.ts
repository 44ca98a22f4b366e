import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { loginSchema, signupSchema, tokenRequestSchema } from '../../shared/api.ts';
import { newId } from '../../shared/ids.ts';
import type { AppDeps, AppEnv, LiveAccess } from '../app-env.ts';
import { createApiToken, revokeApiToken } from '../auth/api-tokens.ts';
import { clientAddress } from '../auth/client-address.ts';
import { clearSessionCookie, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth/middleware.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../auth/passwords.ts';
import { createSession, invalidateSession, invalidateUserSessions } from '../auth/sessions.ts';
import { Throttle } from '../auth/throttle.ts';
import { hashToken } from '../auth/tokens.ts';
import { findUserByEmail, insertUser, normalizeEmail } from '../store/accounts.ts';
import { findInvite, inviteProblem, markInviteAccepted, openInvitesForEmail } from '../store/invites.ts';
import { addMember, createWorkspaceWithSample, workspacesOf } from '../store/workspaces.ts';
import { auditTrail } from './audit.ts';
import { readBody } from './validate.ts';

export interface AuthOptions {
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (TRUST_PROXY=1). */
  trustProxy?: boolean;
}

/** /api/auth/* and /api/me, /api/tokens: accounts and sessions. */
export function authRoutes(deps: AppDeps, live: LiveAccess, options: AuthOptions = {}) {
  const { db, clock } = deps;
  const routes = new Hono<AppEnv>();
  const audit = auditTrail(deps);
  // Guessing one account's password is slowed after 5 misses; one address trying many accounts after 20.
  const accountThrottle = new Throttle(clock, { freeAttempts: 5 });
  const addressThrottle = new Throttle(clock, { freeAttempts: 20 });

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
        await addMember(tx, open.workspace_id, userId, open.role, now);
        if (open.email) await markInviteAccepted(tx, open.id, userId, now);
      }
      return { ...(await createSession(tx, userId, now)), joined: invites.map((open) => open.workspace_id) };
    });
    setSessionCookie(c, token.token, token.session, now);
    await audit(c, 'signup', { actorId: userId, detail: { email: normalizeEmail(email), invite: Boolean(invite) } });
    for (const workspaceId of token.joined) await audit(c, 'invite_accepted', { workspaceId, actorId: userId });
    return c.json({ user: { id: userId, email: email.trim().toLowerCase(), name: name.trim() } }, 201);
  });

  routes.post('/auth/login', async (c) => {
    const body = await readBody(c, loginSchema);
    if (!body.ok) return body.response;
    const { email, password } = body.value;
    const accountKey = normalizeEmail(email);
    const addressKey = clientAddress(c, options.trustProxy ?? false);
    const wait = Math.max(accountThrottle.waitFor(accountKey), addressThrottle.waitFor(addressKey));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header('Retry-After', String(seconds));
      return c.json({ error: 'too_many_attempts', reason: `too many failed sign-ins; try again in ${seconds} s` }, 429);
    }
    const user = await findUserByEmail(db, email);
    const valid = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDecoy(password);
    if (!user || !valid) {
      accountThrottle.fail(accountKey);
      addressThrottle.fail(addressKey);
      await audit(c, 'signin_failed', { actorId: user?.id ?? null, target: accountKey });
      return c.json({ error: 'unauthorized', reason: 'wrong e-mail or password' }, 401);
    }
    accountThrottle.succeed(accountKey);
    const now = clock();
    const { token, session } = await createSession(db, user.id, now);
    setSessionCookie(c, token, session, now);
    await audit(c, 'signin', { actorId: user.id });
    return c.json({ user: { id: user.id, email: user.email, name: user.name } });
  });

  routes.post('/auth/logout', async (c) => {
    const credential = c.get('credential');
    const token = getCookie(c, SESSION_COOKIE);
    const sessionId =
      credential?.kind === 'cookie' ? credential.session.id : token ? hashToken(token) : credential?.kind === 'bearer' ? credential.sessionId : null;
    if (sessionId) {
      await invalidateSession(db, sessionId);
      const user = c.get('user');
      if (user) live.signOut({ userId: user.id, sessionId });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  /** Every session of this user ends, on every device, and their live sockets close. */
  routes.post('/auth/logout-everywhere', requireUser, async (c) => {
    const user = c.get('user')!;
    const ended = await invalidateUserSessions(db, user.id);
    const socketsClosed = live.signOut({ userId: user.id });
    clearSessionCookie(c);
    await audit(c, 'signout_everywhere', { detail: { sessionsEnded: ended, socketsClosed } });
    return c.json({ sessionsEnded: ended, socketsClosed });
  });

  routes.get('/me', requireUser, async (c) => {
    const user = c.get('user')!;
    return c.json({ user, workspaces: await workspacesOf(db, user.id) });
  });

  routes.post('/tokens', requireUser, async (c) => {
    const body = await readBody(c, tokenRequestSchema);
    if (!body.ok) return body.response;
    const { id, token } = await createApiToken(db, c.get('user')!.id, body.value.name, clock());
    await audit(c, 'token_created', { target: id, detail: { name: body.value.name } });
    return c.json({ id, name: body.value.name, token }, 201);
  });

  routes.delete('/tokens/:tokenId', requireUser, async (c) => {
    const revoked = await revokeApiToken(db, c.get('user')!.id, c.req.param('tokenId'));
    if (!revoked) return c.json({ error: 'not_found', reason: 'no such token of yours' }, 404);
    await audit(c, 'token_revoked', { target: c.req.param('tokenId'), detail: { name: revoked.name } });
    return c.body(null, 204);
  });

  return routes;
}
