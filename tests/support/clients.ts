import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { linkIn, mailboxes, tokenOf } from './mail.ts';

export interface Account {
  userId: string;
  email: string;
  cookie: string;
  /** A personal API token, for non-browser sync clients. */
  token: string;
  workspaceId: string;
  pipelineId: string;
}

let counter = 0;

export async function api(baseUrl: string, path: string, init: { method?: string; body?: unknown; cookie?: string; token?: string } = {}) {
  const headers: Record<string, string> = { origin: baseUrl };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.cookie) headers.cookie = init.cookie;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(baseUrl + path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : null };
}

/**
 * Sign up a fresh user the way a person does: the signup form's request, then the link that arrives by e-mail (the
 * server's mailbox: its MAIL_DIR, or the SMTP receiver the test gave it) with the password again. Through an e-mail
 * invite the account exists at once. Without an invite it gets its own sample workspace; mints an API token too.
 */
export async function signUp(baseUrl: string, name = 'Rep', extra: { invite?: string; email?: string } = {}): Promise<Account> {
  const email = extra.email ?? `${name.toLowerCase().replace(/\W+/g, '')}${Date.now()}${counter++}@example.com`;
  const password = 'a long password';
  const signup = await api(baseUrl, '/api/auth/signup', { method: 'POST', body: { email, name, password, ...(extra.invite ? { invite: extra.invite } : {}) } });
  let done = signup;
  if (signup.status === 202) {
    const mailbox = mailboxes.get(baseUrl);
    if (!mailbox) throw new Error(`no mailbox known for ${baseUrl}: start it with ServerProcess`);
    const link = linkIn(await mailbox.waitFor(email, /Confirm your e-mail/), /^\/verify\//);
    done = await api(baseUrl, '/api/auth/verify', { method: 'POST', body: { token: tokenOf(link), password } });
  }
  if (done.status !== 201) throw new Error(`signup failed: ${done.status} ${JSON.stringify(done.json)}`);
  const cookie = done.headers.get('set-cookie')!.split(';')[0];
  const me = await api(baseUrl, '/api/me', { cookie });
  const pipelines = await api(baseUrl, '/api/pipelines', { cookie });
  const token = await api(baseUrl, '/api/tokens', { method: 'POST', body: { name: 'tests' }, cookie });
  return {
    userId: done.json.user.id,
    email,
    cookie,
    token: token.json.token,
    workspaceId: me.json.workspaces[0].id,
    pipelineId: pipelines.json[0].id
  };
}

/** A colleague joining `admin`'s workspace through an invite link of `role` (default: the server's, sales). */
export async function signUpColleague(baseUrl: string, admin: Account, name: string, role?: string): Promise<Account> {
  const invite = await api(baseUrl, `/api/workspaces/${admin.workspaceId}/invites`, { method: 'POST', body: role ? { role } : {}, cookie: admin.cookie });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.json)}`);
  return signUp(baseUrl, name, { invite: invite.json.token });
}

/** A stock y-websocket client, authenticated the way a script would be: `Authorization: Bearer <token>`. */
export function connectClient(wsUrl: string, room: string, auth: { token?: string; cookie?: string; origin?: string }) {
  const headers: Record<string, string> = {};
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.origin) headers.origin = auth.origin;
  class AuthenticatedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: AuthenticatedWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true
  });
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.once('sync', (isSynced: boolean) => isSynced && resolve());
  });
  return { doc, provider, synced, destroy: () => provider.destroy() };
}

/** Poll until `check` passes (or throw its last error after `timeoutMs`). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Try a WebSocket upgrade and report the HTTP status the server answered with (101 when it was accepted). */
export function upgradeStatus(wsUrl: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => resolve(0));
  });
}
