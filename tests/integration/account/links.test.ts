import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../server/app.ts';
import type { Log } from '../../../server/log.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from '../../../server/mail/outbox.ts';
import { openDb } from '../../../server/store/db.ts';
import { migrate } from '../../../server/store/migrations.ts';
import { eventually } from '../../support/clients.ts';
import { linkIn, tokenOf } from '../../support/mail.ts';
import { inProcessApp, ORIGIN, PASSWORD } from '../security/in-process.ts';

const HOUR = 3_600_000;

/** Link lifetimes and request limits, on a movable clock (the whole app in process, mail in a MAIL_DIR folder). */
describe('signup and reset links', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp();
  });
  afterAll(() => lanes.close());

  const resetLink = async (email: string) => tokenOf(linkIn(await lanes.mailbox.waitFor(email, /Reset your Lanes password/), /^\/reset-password\//));

  it('a signup link expires after 24 hours', async () => {
    const email = 'late@example.com';
    expect((await lanes.call('POST', '/api/auth/signup', { body: { email, name: 'Late', password: PASSWORD } })).status).toBe(202);
    const token = await lanes.verificationToken(email);
    lanes.advance(24 * HOUR + 1);
    expect(await lanes.call('POST', '/api/auth/verify', { body: { token, password: PASSWORD } })).toMatchObject({ status: 410, cookie: null });
    expect((await lanes.call('POST', '/api/auth/login', { body: { email, password: PASSWORD } })).status).toBe(401);
  });

  it('a second signup link for the same address stops working once the first is used', async () => {
    const email = 'twice@example.com';
    await lanes.call('POST', '/api/auth/signup', { body: { email, name: 'First', password: PASSWORD } });
    const first = await lanes.verificationToken(email);
    await lanes.call('POST', '/api/auth/signup', { body: { email, name: 'Second', password: 'a different long phrase' } });
    const second = await eventually(async () => {
      const newest = await lanes.verificationToken(email);
      expect(newest).not.toBe(first);
      return newest;
    });
    expect((await lanes.call('POST', '/api/auth/verify', { body: { token: first, password: PASSWORD } })).status).toBe(201);
    expect((await lanes.call('POST', '/api/auth/verify', { body: { token: second, password: 'a different long phrase' } })).status).toBe(410);
  });

  it('a reset link expires after one hour, and a newer password ends older links', async () => {
    const { email } = await lanes.signUp('Hana');
    await lanes.call('POST', '/api/auth/password-reset', { body: { email } });
    const expired = await resetLink(email);
    lanes.advance(HOUR + 1);
    expect((await lanes.call('POST', '/api/auth/password-reset/confirm', { body: { token: expired, password: 'hana has a new phrase' } })).status).toBe(410);

    await lanes.call('POST', '/api/auth/password-reset', { body: { email } });
    const older = await resetLink(email);
    await lanes.call('POST', '/api/auth/password-reset', { body: { email } });
    const newer = await eventually(async () => {
      const newest = await resetLink(email);
      expect(newest).not.toBe(older);
      return newest;
    });
    expect((await lanes.call('POST', '/api/auth/password-reset/confirm', { body: { token: newer, password: 'hana has a new phrase' } })).status).toBe(200);
    expect((await lanes.call('POST', '/api/auth/password-reset/confirm', { body: { token: older, password: 'hana has another phrase' } })).status).toBe(410);
    lanes.advance(HOUR);
  });

  it('limits reset requests per e-mail address, known or not, with the same 429', async () => {
    const { email } = await lanes.signUp('Ivo');
    const unknown = `x${email.slice(1)}`;
    // The signup link counted too: start from a fresh window.
    lanes.advance(HOUR);
    for (const address of [email, unknown]) {
      const answers = [];
      for (let index = 0; index < 6; index++) answers.push(await lanes.call('POST', '/api/auth/password-reset', { body: { email: address } }));
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202, 429]);
      expect(Number(answers[5].headers.get('retry-after'))).toBeGreaterThan(0);
    }
    lanes.advance(HOUR);
  });

  it('limits signups per e-mail address, registered or not, and a refused weak password does not count', async () => {
    const { email } = await lanes.signUp('Jun');
    const unknown = `x${email.slice(1)}`;
    lanes.advance(HOUR);
    for (const address of [email, unknown]) {
      for (let index = 0; index < 3; index++) {
        expect((await lanes.call('POST', '/api/auth/signup', { body: { email: address, name: 'Jun', password: 'password' } })).status).toBe(400);
      }
      const answers = [];
      for (let index = 0; index < 6; index++) answers.push((await lanes.call('POST', '/api/auth/signup', { body: { email: address, name: 'Jun', password: PASSWORD } })).status);
      expect(answers).toEqual([202, 202, 202, 202, 202, 429]);
    }
    lanes.advance(HOUR);
  });
});

describe('mail with no SMTP_URL', () => {
  it('is written to the server log with its link, so a lone `npm start` can finish a signup', async () => {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log: Log = { info: (message, fields) => lines.push({ message, fields }), warn: () => {}, error: () => {} };
    const { app, outbox } = createApp({ db, log, clock: Date.now, mail: { transport: mailTransport({ from: DEFAULT_MAIL_FROM }, log), publicUrl: 'https://lanes.example' } });
    expect(outbox.kind).toBe('log');
    const answer = await app.request(
      new Request(`${ORIGIN}/api/auth/signup`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'solo@example.com', name: 'Solo', password: PASSWORD })
      })
    );
    expect(answer.status).toBe(202);
    await outbox.drained();
    const line = lines.find((entry) => entry.fields?.to === 'solo@example.com');
    expect(line?.fields).toMatchObject({ subject: 'Confirm your e-mail address for Lanes', link: expect.stringMatching(/^https:\/\/lanes\.example\/verify\/\w+$/) });
    await db.close();
  });
});
