import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { loginSchema, signupSchema, tokenRequestSchema, type ApiTokenCreated } from '../../shared/api.ts';
import { newId } from '../../shared/ids.ts';
import type { AppDeps, AppEnv, LiveAccess, RequestLimits } from '../app-env.ts';
import { createApiToken, listApiTokens, revokeApiToken, revokeUserApiTokens } from '../auth/api-tokens.ts';
import { clientAddress } from '../auth/client-address.ts';
import { apiTokenSignOutKey, clearSessionCookie, requireSession, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth/middleware.ts';
import { passwordWeakness } from '../auth/password-strength.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../auth/passwords.ts';
import { takeEach } from '../auth/rate-limit.ts';
import { createSession, invalidateSession, invalidateUserSessions } from '../auth/sessions.ts';
import { takeAll, Throttle } from '../auth/throttle.ts';
import { hashToken } from '../auth/tokens.ts';
import { findUserByEmail, insertUser, normalizeEmail } from '../store/accounts.ts';
import { findInvite, inviteProblem, markInviteAccepted } from '../store/invites.ts';
import { addMember, createWorkspaceWithSample, workspacesOf } from '../store/workspaces.ts';
import { auditTrail } from './audit.ts';
import { tooMany } from './too-many.ts';
import { readBody } from './validate.ts';

/** /api/auth/* and /api/me, /api/tokens: accounts and sessions. */
export function authRoutes(deps: AppDeps, live: LiveAccess, limits: RequestLimits) {
  const { db, clock } = deps;
  const routes = new Hono<AppEnv>();
  const audit = auditTrail(deps);
  // Guessing one account's password from one address is slowed after 5 misses; the account from anywhere after
  // 20 (so a burst from one place does not lock its owner out elsewhere); one address trying many accounts after 20.
  const accountFromAddressThrottle = new Throttle(clock, { freeAttempts: 5 });
  const accountThrottle = new Throttle(clock, { freeAttempts: 20 });
  const addressThrottle = new Throttle(clock, { freeAttempts: 20 });

  /**
   * Sign up. With an invite you join that workspace only (you can create your own later); without one you get your
   * own workspace with the sample pipeline. An e-mail invite is bound to its address: only that address can use its
   * link, and the link is the proof of owning the address (typing the address at signup is none).
   */
  routes.post('/auth/signup', async (c) => {
    const body = await readBody(c, signupSchema);
    if (!body.ok) return body.response;
    const { email, name, password, invite: inviteToken } = body.value;
    const wait = takeEach([[limits.signups, clientAddress(c, limits.trustProxy)]]);
    if (wait > 0) return tooMany(c, wait, 'too many signups from your address');
    const weakness = passwordWeakness(password, { email, name });
    if (weakness) return c.json({ error: 'invalid', field: 'password', reason: weakness }, 400);
    const now = clock();
    const invite = inviteToken ? await findInvite(db, inviteToken) : undefined;
    if (inviteToken) {
      const problem = inviteProblem(invite, now);
      if (problem) return c.json({ error: 'invalid', field: 'invite', reason: problem }, 400);
      if (invite?.email && invite.email !== normalizeEmail(email)) {
        return c.json({ error: 'invalid', field: 'invite', reason: 'this invite is for another e-mail address: sign up with the address it was sent to' }, 400);
      }
    }
    // Hashed before we know whether the address is free, so both answers take the same time.
    const passwordHash = await hashPassword(password);
    const userId = newId();
    const token = await db.transaction(async (tx) => {
      if (!(await insertUser(tx, { id: userId, email, name, passwordHash }, now))) return null;
      if (invite) {
        await addMember(tx, invite.workspace_id, userId, invite.role, now);
        if (invite.email) await markInviteAccepted(tx, invite.id, userId, now);
      } else {
        await createWorkspaceWithSample(tx, { id: userId, name: name.trim() }, now);
      }
      return createSession(tx, userId, now);
    });
    // Neutral: does not say that an account exists (the same words whatever the reason the address cannot be used).
    if (!token) return c.json({ error: 'invalid', field: 'email', reason: 'cannot sign up with this e-mail address: if it is yours, try logging in' }, 400);
    setSessionCookie(c, token.token, token.session, now);
    await audit(c, 'signup', { actorId: userId, detail: { email: normalizeEmail(email), invite: Boolean(invite) } });
    if (invite) await audit(c, 'invite_accepted', { workspaceId: invite.workspace_id, actorId: userId, target: invite.id });
    return c.json({ user: { id: userId, email: normalizeEmail(email), name: name.trim() } }, 201);
  });

  routes.post('/auth/login', async (c) => {
    const body = await readBody(c, loginSchema);
    if (!body.ok) return body.response;
    const { email, password } = body.value;
    const accountKey = normalizeEmail(email);
    const addressKey = clientAddress(c, limits.trustProxy);
    const accountFromAddressKey = `${accountKey} ${addressKey}`;
    // Counted before the password is checked, in one synchronous step: parallel guesses cannot all slip through.
    const wait = takeAll([
      [accountFromAddressThrottle, accountFromAddressKey],
      [accountThrottle, accountKey],
      [addressThrottle, addressKey]
    ]);
    if (wait > 0) return tooMany(c, wait, 'too many failed sign-ins');
    const user = await findUserByEmail(db, email);
    const valid = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDecoy(password);
    if (!user || !valid) {
      await audit(c, 'signin_failed', { actorId: user?.id ?? null, target: accountKey });
      return c.json({ error: 'unauthorized', reason: 'wrong e-mail or password' }, 401);
    }
    accountFromAddressThrottle.succeed(accountFromAddressKey);
    accountThrottle.succeed(accountKey);
    addressThrottle.giveBack(addressKey);
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

  /**
   * Every session *and every API token* of this user ends, on every device, and their live sockets close: someone
   * who stole a session could have minted a token with it, so "everywhere" has to include tokens.
   */
  routes.post('/auth/logout-everywhere', requireUser, async (c) => {
    const user = c.get('user')!;
    const { sessionsEnded, tokensRevoked } = await db.transaction(async (tx) => ({
      sessionsEnded: await invalidateUserSessions(tx, user.id),
      tokensRevoked: await revokeUserApiTokens(tx, user.id)
    }));
    const socketsClosed = live.signOut({ userId: user.id });
    clearSessionCookie(c);
    await audit(c, 'signout_everywhere', { detail: { sessionsEnded, tokensRevoked, socketsClosed } });
    return c.json({ sessionsEnded, tokensRevoked, socketsClosed });
  });

  routes.get('/me', requireUser, async (c) => {
    const user = c.get('user')!;
    return c.json({ user, workspaces: await workspacesOf(db, user.id) });
  });

  routes.get('/tokens', requireUser, requireSession, async (c) => c.json(await listApiTokens(db, c.get('user')!.id)));

  routes.post('/tokens', requireUser, requireSession, async (c) => {
    const body = await readBody(c, tokenRequestSchema);
    if (!body.ok) return body.response;
    const { id, token } = await createApiToken(db, c.get('user')!.id, body.value.name, clock());
    await audit(c, 'token_created', { target: id, detail: { name: body.value.name } });
    const created: ApiTokenCreated = { id, name: body.value.name, token };
    return c.json(created, 201);
  });

  /** Revoke a token: it stops working at once and the sockets opened with it close. */
  routes.delete('/tokens/:tokenId', requireUser, requireSession, async (c) => {
    const user = c.get('user')!;
    const tokenId = c.req.param('tokenId');
    const revoked = await revokeApiToken(db, user.id, tokenId);
    if (!revoked) return c.json({ error: 'not_found', reason: 'no such token' }, 404);
    live.signOut({ userId: user.id, sessionId: apiTokenSignOutKey(tokenId) });
    await audit(c, 'token_revoked', { target: tokenId, detail: { name: revoked.name } });
    return c.body(null, 204);
  });

  return routes;
}
