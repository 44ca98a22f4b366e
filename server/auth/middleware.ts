import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppDeps, AppEnv, Credential } from '../app-env.ts';
import { isApiToken, validateApiToken } from './api-tokens.ts';
import { validateSessionToken, type Session } from './sessions.ts';

export const SESSION_COOKIE = 'lanes_session';

export function setSessionCookie(c: Context, token: string, session: Session, now: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
    path: '/',
    maxAge: Math.floor((session.expiresAt - now) / 1000)
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

function bearerToken(c: Context): string | null {
  const header = c.req.header('authorization');
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match ? match[1] : null;
}

/** Who is calling: sets `user` and `credential` (or null); never rejects by itself. */
export function authenticate({ db, clock }: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('user', null);
    c.set('credential', null);
    const now = clock();
    const bearer = bearerToken(c);
    if (bearer) {
      if (isApiToken(bearer)) {
        const found = await validateApiToken(db, bearer, now);
        if (found) {
          c.set('user', found.user);
          c.set('credential', { kind: 'bearer', sessionId: null, apiTokenId: found.tokenId });
        }
      } else {
        const result = await validateSessionToken(db, bearer, now);
        if (result) {
          c.set('user', result.user);
          c.set('credential', { kind: 'bearer', sessionId: result.session.id, apiTokenId: null });
        }
      }
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    if (token) {
      const result = await validateSessionToken(db, token, now);
      if (result) {
        c.set('user', result.user);
        c.set('credential', { kind: 'cookie', session: result.session });
        if (result.renewed) setSessionCookie(c, token, result.session, now);
      } else {
        clearSessionCookie(c);
      }
    }
    return next();
  };
}

export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('user')) return c.json({ error: 'unauthorized', reason: 'sign in first' }, 401);
  return next();
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence (Lucia's guide): a mutation, or a WebSocket upgrade, must come from this site's own origin. This holds
 * without a cookie too, so a foreign page cannot sign a browser in as someone else (login CSRF) or sign it up.
 * Bearer-token requests carry no ambient credential and are exempt.
 */
export const sameOriginForBrowsers: MiddlewareHandler<AppEnv> = async (c, next) => {
  const isUpgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
  if (bearerToken(c) || (SAFE_METHODS.has(c.req.method) && !isUpgrade)) return next();
  const origin = c.req.header('origin');
  // The socket adapter (server/sync/node-socket.ts) rebuilds upgrade URLs on a placeholder host, so Host wins; a bare Request (tests) has only its URL.
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  if (!origin) {
    // Browsers always send Origin on cross-site mutations and on every WebSocket; Sec-Fetch-Site is the fallback.
    const site = c.req.header('sec-fetch-site');
    if (!site || site === 'same-origin' || site === 'none') return next();
    return c.json({ error: 'forbidden', reason: 'cross-site request refused' }, 403);
  }
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return c.json({ error: 'forbidden', reason: 'bad Origin header' }, 403);
  }
  if (originHost !== host) return c.json({ error: 'forbidden', reason: 'cross-site request refused' }, 403);
  return next();
};

/** Managing API tokens takes a signed-in session: a token must not mint, list or revoke tokens. */
export const requireSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = c.get('credential');
  if (credential?.kind === 'bearer' && credential.apiTokenId) {
    return c.json({ error: 'forbidden', reason: 'an API token cannot manage API tokens: sign in to do this' }, 403);
  }
  return next();
};

/** What live sockets opened with this credential are grouped by, so signing it out (or revoking it) closes them. */
export function signOutKey(credential: Credential | null): string | null {
  if (!credential) return null;
  if (credential.kind === 'cookie') return credential.session.id;
  return credential.sessionId ?? (credential.apiTokenId ? apiTokenSignOutKey(credential.apiTokenId) : null);
}

export const apiTokenSignOutKey = (tokenId: string) => `api-token:${tokenId}`;
