import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import {
  accountUpdateSchema,
  loginSchema,
  passwordChangeSchema,
  passwordResetRequestSchema,
  passwordResetSchema,
  signupSchema,
  signupVerifySchema,
  tokenRequestSchema,
  type ApiTokenCreated,
  type PasswordResetRequested,
  type SignupPending,
  type SignupVerified,
  type UserView
} from '../../shared/api.ts';
import { newId } from '../../shared/ids.ts';
import type { AppDeps, AppEnv, LiveAccess, MailDeps, RequestLimits } from '../app-env.ts';
import { createApiToken, listApiTokens, revokeApiToken, revokeUserApiTokens } from '../auth/api-tokens.ts';
import { clientAddress } from '../auth/client-address.ts';
import { apiTokenSignOutKey, clearSessionCookie, requireSession, requireUser, SESSION_COOKIE, setSessionCookie } from '../auth/middleware.ts';
import { passwordWeakness } from '../auth/password-strength.ts';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from '../auth/passwords.ts';
import { takeEach, type RateLimit } from '../auth/rate-limit.ts';
import { createSession, invalidateOtherSessions, invalidateSession, invalidateUserSessions } from '../auth/sessions.ts';
import { takeAll, Throttle } from '../auth/throttle.ts';
import { generateSecretToken, hashToken } from '../auth/tokens.ts';
import { passwordChangedMail, passwordResetMail, signupAttemptMail, verifySignupMail } from '../mail/templates.ts';
import {
  consumePasswordReset,
  consumeSignupVerification,
  findPasswordReset,
  findSignupVerification,
  findUserByEmail,
  findUserById,
  insertPasswordReset,
  insertSignupVerification,
  insertUser,
  normalizeEmail,
  renameUser,
  setPassword
} from '../store/accounts.ts';
import { findInvite, findInviteById, inviteProblem, markInviteAccepted } from '../store/invites.ts';
import { addMember, createWorkspaceWithSample, workspacesOf } from '../store/workspaces.ts';
import { auditTrail } from './audit.ts';
import { tooMany } from './too-many.ts';
import { readBody } from './validate.ts';

/** /api/auth/* and /api/me, /api/tokens: accounts and sessions. */
export function authRoutes(deps: AppDeps, live: LiveAccess, limits: RequestLimits, mail: MailDeps) {
  const { db, clock } = deps;
  const routes = new Hono<AppEnv>();
  const audit = auditTrail(deps);
  // Guessing one account's password from one address is slowed after 5 misses; the account from anywhere after
  // 20 (so a burst from one place does not lock its owner out elsewhere); one address trying many accounts after 20.
  const accountFromAddressThrottle = new Throttle(clock, { freeAttempts: 5 });
  const accountThrottle = new Throttle(clock, { freeAttempts: 20 });
  const addressThrottle = new Throttle(clock, { freeAttempts: 20 });

  // Finishing a signup asks again for the password chosen at signup: a stranger who signed up with your address
  // cannot get you to confirm an account whose password they know by sending you its link.
  const verifyThrottle = new Throttle(clock, { freeAttempts: 5 });
  // Changing the password checks the current one: a borrowed session cannot guess it quickly.
  const currentPasswordThrottle = new Throttle(clock, { freeAttempts: 5 });

  /** Counts a message a stranger asks us to send to `email`, and the request against the caller's address. */
  const mailWait = (c: Context<AppEnv>, perAddress: RateLimit, email: string) =>
    takeEach([
      [perAddress, clientAddress(c, limits.trustProxy)],
      [limits.mailsPerAddress, normalizeEmail(email)]
    ]);

  /**
   * Sign up. Without an e-mail invite, nothing is created yet: the address gets a link (24 h, once) and the account
   * exists when its owner opens it and enters the password again. If the address already has an account, its owner
   * gets a notice instead, and the answer is the same (status, body, headers, and the same password hashing), so
   * signup does not tell who has an account. Through an e-mail invite the link was the proof of the address: the
   * account is created at once and joins that workspace only. A link invite (not bound to an address) is kept with
   * the pending signup and joined when the address is confirmed.
   */
  routes.post('/auth/signup', async (c) => {
    const body = await readBody(c, signupSchema);
    if (!body.ok) return body.response;
    const { email, name, password, invite: inviteToken } = body.value;
    const wait = takeEach([[limits.signups, clientAddress(c, limits.trustProxy)]]);
    if (wait > 0) return tooMany(c, wait, 'too many signups from your address');
    const weakness = await passwordWeakness(password, { email, name });
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
    // Counted only once a message would go out (a weak password tried again costs nothing), and whether or not the
    // address has an account, so a 429 here says nothing about it either.
    const mailsWait = takeEach([[limits.mailsPerAddress, normalizeEmail(email)]]);
    if (mailsWait > 0) return tooMany(c, mailsWait, 'too many signups for this e-mail address');
    // Hashed before we know whether the address is free, so every answer takes the same time.
    const passwordHash = await hashPassword(password);
    if (invite?.email) return signUpThroughEmailInvite(c, { email, name, passwordHash, invite }, now);

    const existing = await findUserByEmail(db, email);
    if (existing) {
      mail.outbox.post(signupAttemptMail(existing.email, { name: existing.name, signInLink: mail.links.signIn(), resetLink: mail.links.forgotPassword() }));
    } else {
      const token = generateSecretToken();
      await insertSignupVerification(db, { id: hashToken(token), email, name, passwordHash, inviteId: invite?.id ?? null }, now);
      mail.outbox.post(verifySignupMail(normalizeEmail(email), { name: name.trim(), link: mail.links.verifySignup(token) }));
    }
    const pending: SignupPending = { status: 'verification_sent', email: normalizeEmail(email) };
    return c.json(pending, 202);
  });

  async function signUpThroughEmailInvite(
    c: Context<AppEnv>,
    input: { email: string; name: string; passwordHash: string; invite: NonNullable<Awaited<ReturnType<typeof findInvite>>> },
    now: number
  ) {
    const { email, name, passwordHash, invite } = input;
    const userId = newId();
    const token = await db.transaction(async (tx) => {
      if (!(await insertUser(tx, { id: userId, email, name, passwordHash }, now))) return null;
      await addMember(tx, invite.workspace_id, userId, invite.role, now);
      await markInviteAccepted(tx, invite.id, userId, now);
      return createSession(tx, userId, now);
    });
    // Whoever holds the link received it at this address, so saying the address has an account tells its owner.
    if (!token) return c.json({ error: 'invalid', field: 'email', reason: 'this address already has an account: log in, then open the invite link again' }, 400);
    setSessionCookie(c, token.token, token.session, now);
    await audit(c, 'signup', { actorId: userId, detail: { email: normalizeEmail(email), invite: true } });
    await audit(c, 'invite_accepted', { workspaceId: invite.workspace_id, actorId: userId, target: invite.id });
    return c.json({ user: { id: userId, email: normalizeEmail(email), name: name.trim() } }, 201);
  }

  /**
   * Confirm an address from the link e-mailed at signup, with the password chosen then: the account is created (with
   * a workspace of its own, or joining the link invite it signed up with, if that still works) and signed in.
   */
  routes.post('/auth/verify', async (c) => {
    const body = await readBody(c, signupVerifySchema);
    if (!body.ok) return body.response;
    const linkId = hashToken(body.value.token);
    const wait = takeAll([[verifyThrottle, linkId]]);
    if (wait > 0) return tooMany(c, wait, 'too many wrong passwords for this link');
    const pending = await findSignupVerification(db, linkId, clock());
    if (!pending) return c.json({ error: 'gone', field: 'token', reason: 'this link has expired or was already used: sign up again, or log in' }, 410);
    if (!(await verifyPassword(pending.password_hash, body.value.password))) {
      return c.json({ error: 'invalid', field: 'password', reason: 'not the password you chose when you signed up' }, 400);
    }
    verifyThrottle.succeed(linkId);
    const now = clock();
    const invite = pending.invite_id ? await findInviteById(db, pending.invite_id) : undefined;
    const joinable = invite && !inviteProblem(invite, now) && !invite.email ? invite : undefined;
    const userId = newId();
    const outcome = await db.transaction(async (tx) => {
      if (!(await consumeSignupVerification(tx, pending, now))) return 'used' as const;
      if (!(await insertUser(tx, { id: userId, email: pending.email, name: pending.name, passwordHash: pending.password_hash }, now))) return 'taken' as const;
      if (joinable) await addMember(tx, joinable.workspace_id, userId, joinable.role, now);
      else await createWorkspaceWithSample(tx, { id: userId, name: pending.name }, now);
      return createSession(tx, userId, now);
    });
    if (outcome === 'used') return c.json({ error: 'gone', field: 'token', reason: 'this link has expired or was already used: sign up again, or log in' }, 410);
    // Only the owner of the address holds this link.
    if (outcome === 'taken') return c.json({ error: 'conflict', field: 'token', reason: 'this address already has an account: log in' }, 409);
    setSessionCookie(c, outcome.token, outcome.session, now);
    await audit(c, 'signup', { actorId: userId, detail: { email: pending.email, invite: Boolean(joinable) } });
    if (joinable) await audit(c, 'invite_accepted', { workspaceId: joinable.workspace_id, actorId: userId, target: joinable.id });
    const verified: SignupVerified = {
      user: { id: userId, email: pending.email, name: pending.name },
      joinedWorkspaceId: joinable?.workspace_id ?? null,
      inviteProblem: invite && !joinable ? (inviteProblem(invite, now) ?? 'the invite could not be used') : null
    };
    return c.json(verified, 201);
  });

  /**
   * Ask for a reset link. The answer is the same whether or not the address has an account; only an account gets a
   * message (one hour, once). Counted per client address and per e-mail address.
   */
  routes.post('/auth/password-reset', async (c) => {
    const body = await readBody(c, passwordResetRequestSchema);
    if (!body.ok) return body.response;
    const { email } = body.value;
    const wait = mailWait(c, limits.resetRequests, email);
    if (wait > 0) return tooMany(c, wait, 'too many reset requests from your address or for this e-mail address');
    const user = await findUserByEmail(db, email);
    if (user) {
      const token = generateSecretToken();
      await insertPasswordReset(db, { id: hashToken(token), userId: user.id }, clock());
      mail.outbox.post(passwordResetMail(user.email, { name: user.name, link: mail.links.resetPassword(token) }));
      await audit(c, 'password_reset_requested', { actorId: user.id });
    }
    const answer: PasswordResetRequested = { status: 'reset_link_sent', email: normalizeEmail(email) };
    return c.json(answer, 202);
  });

  /**
   * A new password through a reset link. The reset is the way back in after a password may have leaked, so every
   * session *and every API token* of the account ends (someone who had the password could have minted a token), and
   * their sockets close. The person signs in again with the new password.
   */
  routes.post('/auth/password-reset/confirm', async (c) => {
    const body = await readBody(c, passwordResetSchema);
    if (!body.ok) return body.response;
    const linkId = hashToken(body.value.token);
    const user = await findPasswordReset(db, linkId, clock());
    if (!user) return c.json({ error: 'gone', field: 'token', reason: 'this reset link has expired or was already used: ask for a new one' }, 410);
    const weakness = await passwordWeakness(body.value.password, { email: user.email, name: user.name });
    if (weakness) return c.json({ error: 'invalid', field: 'password', reason: weakness }, 400);
    const passwordHash = await hashPassword(body.value.password);
    const now = clock();
    const done = await db.transaction(async (tx) => {
      if (!(await consumePasswordReset(tx, linkId, now))) return null;
      await setPassword(tx, user.id, passwordHash, now);
      return { sessionsEnded: await invalidateUserSessions(tx, user.id), tokensRevoked: await revokeUserApiTokens(tx, user.id) };
    });
    if (!done) return c.json({ error: 'gone', field: 'token', reason: 'this reset link has expired or was already used: ask for a new one' }, 410);
    live.signOut({ userId: user.id });
    clearSessionCookie(c);
    mail.outbox.post(passwordChangedMail(user.email, { name: user.name, resetLink: mail.links.forgotPassword() }));
    await audit(c, 'password_reset', { actorId: user.id, detail: done });
    return c.json({ status: 'password_changed', ...done });
  });

  /** Change one's display name: colleagues see it in member lists at once, and on boards as their sockets reconnect. */
  routes.patch('/account', requireUser, requireSession, async (c) => {
    const body = await readBody(c, accountUpdateSchema);
    if (!body.ok) return body.response;
    const user = c.get('user')!;
    await renameUser(db, user.id, body.value.name);
    live.rename(user.id, body.value.name);
    await audit(c, 'account_renamed', { detail: { from: user.name, to: body.value.name } });
    const view: UserView = { id: user.id, email: user.email, name: body.value.name };
    return c.json({ user: view });
  });

  /**
   * Change one's password with the current one. Every *other* session ends and its sockets close; this one stays.
   * API tokens stay (scripts keep working): revoke them in Settings, or log out everywhere, if one may have leaked.
   */
  routes.post('/account/password', requireUser, requireSession, async (c) => {
    const body = await readBody(c, passwordChangeSchema);
    if (!body.ok) return body.response;
    const user = c.get('user')!;
    const credential = c.get('credential');
    if (credential?.kind !== 'cookie') return c.json({ error: 'forbidden', reason: 'change your password from a signed-in browser' }, 403);
    const key = `account ${user.id}`;
    const wait = takeAll([[currentPasswordThrottle, key]]);
    if (wait > 0) return tooMany(c, wait, 'too many wrong current passwords');
    const row = await findUserById(db, user.id);
    if (!row || !(await verifyPassword(row.password_hash, body.value.currentPassword))) {
      return c.json({ error: 'invalid', field: 'currentPassword', reason: 'not your current password' }, 400);
    }
    currentPasswordThrottle.succeed(key);
    const weakness = await passwordWeakness(body.value.newPassword, { email: user.email, name: user.name });
    if (weakness) return c.json({ error: 'invalid', field: 'newPassword', reason: weakness }, 400);
    const passwordHash = await hashPassword(body.value.newPassword);
    const now = clock();
    const ended = await db.transaction(async (tx) => {
      await setPassword(tx, user.id, passwordHash, now);
      return invalidateOtherSessions(tx, user.id, credential.session.id);
    });
    for (const sessionId of ended) live.signOut({ userId: user.id, sessionId });
    mail.outbox.post(passwordChangedMail(user.email, { name: user.name, resetLink: mail.links.forgotPassword() }));
    await audit(c, 'password_changed', { detail: { sessionsEnded: ended.length } });
    return c.json({ status: 'password_changed', sessionsEnded: ended.length });
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
