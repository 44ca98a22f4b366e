import { createApp, type AppOptions } from '../../../server/app.ts';
import { openDb, type Db } from '../../../server/store/db.ts';
import { migrate } from '../../../server/store/migrations.ts';
import { silentLog } from '../../../server/log.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from '../../../server/mail/outbox.ts';
import { linkIn, MailFolder, tokenOf } from '../../support/mail.ts';

export const ORIGIN = 'http://lanes.test';
export const PASSWORD = 'a long password';

export interface Call {
  status: number;
  json: any;
  headers: Headers;
  cookie: string | null;
}

/**
 * The whole app over an in-memory PGlite, called with `app.request` (no port, no process): a movable clock, and
 * requests shaped the way a browser or a script would send them.
 */
export async function inProcessApp(options: Partial<AppOptions> = {}) {
  const db: Db = await openDb({ dataDir: 'memory://' });
  await migrate(db);
  let now = Date.UTC(2026, 10, 1);
  // Mail goes to a MAIL_DIR folder of its own, read back like an inbox.
  const mailbox = MailFolder.temporary();
  const { app, live, outbox } = createApp({
    db,
    log: silentLog,
    clock: () => now,
    mail: { transport: mailTransport({ mailDir: mailbox.dir, from: DEFAULT_MAIL_FROM }, silentLog), publicUrl: ORIGIN },
    ...options
  });
  let counter = 0;

  const call = async (
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; contentType?: string; cookie?: string; token?: string; origin?: string | null; headers?: Record<string, string> } = {}
  ): Promise<Call> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.origin !== null) headers.origin = init.origin ?? ORIGIN;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    if (init.cookie) headers.cookie = init.cookie;
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const response = await app.request(new Request(ORIGIN + path, { method, headers, body }));
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, json, headers: response.headers, cookie: response.headers.get('set-cookie')?.split(';')[0] ?? null };
  };

  /** A fresh account (own workspace unless `invite` is given): its cookie, user, and first workspace and pipeline. */
  const signUp = async (name: string, extra: { invite?: string; email?: string } = {}) => {
    const email = extra.email ?? `${name.toLowerCase().replace(/\W+/g, '')}${counter++}@example.com`;
    let response = await call('POST', '/api/auth/signup', { body: { email, name, password: PASSWORD, ...(extra.invite ? { invite: extra.invite } : {}) } });
    // Without an e-mail invite the account exists once the link e-mailed to the address is opened.
    if (response.status === 202) response = await call('POST', '/api/auth/verify', { body: { token: await verificationToken(email), password: PASSWORD } });
    if (response.status !== 201) throw new Error(`signup failed: ${response.status} ${JSON.stringify(response.json)}`);
    const cookie = response.cookie!;
    const me = (await call('GET', '/api/me', { cookie })).json;
    const pipelines = (await call('GET', '/api/pipelines', { cookie })).json;
    return { email, cookie, user: response.json.user as { id: string; email: string; name: string }, workspaceId: me.workspaces[0]?.id as string, pipelineId: pipelines[0]?.id as string };
  };

  /** The token of the newest signup link e-mailed to `email`. */
  const verificationToken = async (email: string) => tokenOf(linkIn(await mailbox.waitFor(email, /Confirm your e-mail/), /^\/verify\//));

  return {
    db,
    app,
    live,
    call,
    signUp,
    mailbox,
    outbox,
    verificationToken,
    advance: (ms: number) => {
      now += ms;
    },
    close: async () => {
      await outbox.drained();
      await db.close();
    }
  };
}
