import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp, DEFAULT_RATE_LIMITS } from './app.ts';
import { retentionFromEnv } from './history/retention.ts';
import { DEFAULT_MAX_DOC_ITEMS, DEFAULT_MAX_PENDING_BYTES, defaultMaxTotalItems } from './sync/doc-limits.ts';
import { DEFAULT_PRESENCE_LIMITS } from './sync/presence-guard.ts';
import { consoleLog } from './log.ts';
import { PublicLinks } from './mail/links.ts';
import { DEFAULT_MAIL_FROM, mailTransport } from './mail/outbox.ts';
import { openDb } from './store/db.ts';
import { migrate } from './store/migrations.ts';
import { RedisRelay } from './sync/cluster.ts';

/** `npm start`: configuration from the environment, then one process on one port. */
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST;
const dataDir = resolve(process.env.DATA_DIR ?? 'data');
const uiDir = resolve(process.env.UI_DIR ?? 'build');
const log = consoleLog;

/** A positive whole number from the environment, or the default; anything else stops the server with a clear error. */
function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    log.error(`${name} must be a positive whole number`, { value: raw });
    process.exit(2);
  }
  return value;
}

const shutdownTimeoutMs = envInt('SHUTDOWN_TIMEOUT_MS', 30_000);
const retention = retentionFromEnv(process.env, (message) => {
  log.error(message);
  process.exit(2);
});

// Links in e-mails point here (never at a request's Host header, which anyone can set).
const publicUrl = process.env.PUBLIC_URL || `http://localhost:${port}`;
try {
  new PublicLinks(publicUrl);
} catch {
  log.error('PUBLIC_URL must be a URL such as https://lanes.example.com', { value: publicUrl });
  process.exit(2);
}
const mail = mailTransport({ smtpUrl: process.env.SMTP_URL || undefined, mailDir: process.env.MAIL_DIR ? resolve(process.env.MAIL_DIR) : undefined, from: process.env.MAIL_FROM || DEFAULT_MAIL_FROM }, log);
const redisUrl = process.env.REDIS_URL || undefined;
if (redisUrl && !process.env.DATABASE_URL) {
  // Each instance would keep its own embedded database: they would never see each other's stored changes.
  log.error('REDIS_URL is set but DATABASE_URL is not: several instances need one shared Postgres (set DATABASE_URL), or unset REDIS_URL to run one process on the embedded database');
  process.exit(2);
}

const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir });
const applied = await migrate(db);
log.info('database ready', { kind: db.kind, where: db.kind === 'pglite' ? dataDir : 'DATABASE_URL', migrationsApplied: applied });
if (!existsSync(uiDir)) log.warn('no built UI found; run `npm run build`', { uiDir });

const relay = redisUrl ? await RedisRelay.connect({ url: redisUrl, prefix: process.env.REDIS_PREFIX ?? 'lanes:', log }) : undefined;
if (relay) log.info('several instances: relaying through Redis', { prefix: process.env.REDIS_PREFIX ?? 'lanes:' });

const { app, rooms, injectWebSocket, wss, stopAccepting, outbox } = createApp({
  db,
  relay,
  log,
  clock: Date.now,
  uiDir,
  rooms: {
    unloadAfterMs: envInt('ROOM_UNLOAD_MS', 5_000),
    maxDocBytes: envInt('MAX_DOC_BYTES', 50 * 1024 * 1024),
    maxDocItems: envInt('MAX_DOC_ITEMS', DEFAULT_MAX_DOC_ITEMS),
    maxTotalItems: envInt('MAX_TOTAL_ITEMS', defaultMaxTotalItems()),
    maxPendingBytes: envInt('MAX_PENDING_BYTES', DEFAULT_MAX_PENDING_BYTES),
    retention,
    presence: {
      maxStateBytes: envInt('MAX_PRESENCE_STATE_BYTES', DEFAULT_PRESENCE_LIMITS.maxStateBytes),
      maxClientsPerConnection: envInt('MAX_PRESENCE_CLIENTS', DEFAULT_PRESENCE_LIMITS.maxClientsPerConnection),
      maxMessagesPerSecond: envInt('MAX_PRESENCE_PER_SECOND', DEFAULT_PRESENCE_LIMITS.maxMessagesPerSecond)
    }
  },
  sockets: { maxMessageBytes: envInt('MAX_MESSAGE_BYTES', 1024 * 1024), maxSendBufferBytes: envInt('MAX_SEND_BUFFER_BYTES', 8 * 1024 * 1024) },
  readyMaxPending: envInt('READY_MAX_PENDING', 10_000),
  trustProxy: ['1', 'true', 'yes'].includes((process.env.TRUST_PROXY ?? '').toLowerCase()),
  rateLimits: {
    signupsPerWindow: envInt('SIGNUP_RATE_LIMIT', DEFAULT_RATE_LIMITS.signupsPerWindow),
    createsPerWindow: envInt('CREATE_RATE_LIMIT', DEFAULT_RATE_LIMITS.createsPerWindow),
    mailsPerAddressPerWindow: envInt('MAIL_RATE_LIMIT', DEFAULT_RATE_LIMITS.mailsPerAddressPerWindow),
    windowMs: envInt('RATE_LIMIT_WINDOW_S', DEFAULT_RATE_LIMITS.windowMs / 1000) * 1000
  },
  metricsToken: process.env.METRICS_TOKEN || undefined,
  mail: { transport: mail, publicUrl }
});
log.info('mail', { via: mail.kind, publicUrl, ...(mail.kind === 'log' ? { note: 'no SMTP_URL: messages and their links are written to this log' } : {}) });
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  log.info('Lanes is running', { url: `http://localhost:${info.port}` });
});
injectWebSocket(server);
rooms.startRetentionSweep();

let stopping = false;

/**
 * SIGTERM/SIGINT: stop taking connections, close every socket with 1001, then store every pending update,
 * retrying a failing database for up to SHUTDOWN_TIMEOUT_MS. Exit 0 when all is stored, 1 when not.
 */
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  stopAccepting();
  server.close();
  log.info('shutting down: closing sockets and storing pending updates', { signal, pending: rooms.writer.pendingCount, timeoutMs: shutdownTimeoutMs });
  const notStored = await rooms.closeAll(1001, 'server going away', shutdownTimeoutMs);
  // A socket whose upgrade was still under way when the rooms closed.
  for (const socket of wss.clients) socket.close(1001, 'server going away');
  await socketsClosed(1_000);
  // After the rooms stored (and so announced) what they accepted.
  await relay?.close();
  if (notStored > 0) {
    log.error(`shutdown gave up after ${shutdownTimeoutMs} ms: ${notStored} updates were not stored`, { notStored, timeoutMs: shutdownTimeoutMs });
    process.exit(1);
  }
  // Messages already accepted (a reset link someone waits for) leave before we do, within a few seconds.
  await Promise.race([outbox.drained(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await db.close().catch((error: Error) => log.warn('closing the database failed', { error: error.message }));
  log.info('shut down: every update is stored');
  process.exit(0);
}

/** Give clients a moment to answer our close frames, so they see 1001 rather than a dropped connection. */
async function socketsClosed(withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
