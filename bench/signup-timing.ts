/**
 * Does a signup's answer time tell whether the address has an account? Signs up alternately with registered and
 * new addresses against the whole app in process (PGlite in memory, mail to a MAIL_DIR folder) and prints the
 * median and p90 of each. `node --import tsx bench/signup-timing.ts [rounds]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../server/app.ts';
import { silentLog } from '../server/log.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from '../server/mail/outbox.ts';
import { openDb } from '../server/store/db.ts';
import { migrate } from '../server/store/migrations.ts';
import { hashPassword } from '../server/auth/passwords.ts';
import { insertUser } from '../server/store/accounts.ts';

const rounds = Number(process.argv[2] ?? 40);
const ORIGIN = 'http://lanes.test';
const mailDir = mkdtempSync(join(tmpdir(), 'lanes-bench-mail-'));
const db = await openDb({ dataDir: 'memory://' });
await migrate(db);
const { app, outbox } = createApp({
  db,
  log: silentLog,
  clock: Date.now,
  rateLimits: { signupsPerWindow: 1_000_000, mailsPerAddressPerWindow: 1_000_000 },
  mail: { transport: mailTransport({ mailDir, from: DEFAULT_MAIL_FROM }, silentLog), publicUrl: ORIGIN }
});
const registered = Array.from({ length: rounds }, (_, index) => `taken${String(index).padStart(4, '0')}@example.com`);
const passwordHash = await hashPassword('a long password');
for (const [index, email] of registered.entries()) await insertUser(db, { id: `u${index}`, email, name: 'Taken', passwordHash }, Date.now());

const signup = async (email: string) => {
  const started = performance.now();
  const response = await app.request(
    new Request(`${ORIGIN}/api/auth/signup`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: 'Someone', password: 'a long password' })
    })
  );
  await response.text();
  if (response.status !== 202) throw new Error(`signup answered ${response.status}`);
  return performance.now() - started;
};

const times = { registered: [] as number[], new: [] as number[] };
await signup('warmup@example.com');
// Each round in a random order, so neither kind always follows the other's background mail.
for (let index = 0; index < rounds; index++) {
  const steps = [async () => times.registered.push(await signup(registered[index])), async () => times.new.push(await signup(`fresh${String(index).padStart(4, '0')}@example.com`))];
  if (Math.random() < 0.5) steps.reverse();
  for (const step of steps) await step();
}
await outbox.drained();
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
console.table(
  Object.fromEntries(Object.entries(times).map(([kind, values]) => [kind, { median_ms: +quantile(values, 0.5).toFixed(1), p90_ms: +quantile(values, 0.9).toFixed(1), n: values.length }]))
);
await db.close();
rmSync(mailDir, { recursive: true, force: true });
