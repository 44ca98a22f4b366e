import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { consoleLog } from './log.ts';
import { openDb } from './store/db.ts';
import { migrate } from './store/migrations.ts';

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

const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir });
const applied = await migrate(db);
log.info('database ready', { kind: db.kind, where: db.kind === 'pglite' ? dataDir : 'DATABASE_URL', migrationsApplied: applied });
if (!existsSync(uiDir)) log.warn('no built UI found; run `npm run build`', { uiDir });

const { app, rooms, injectWebSocket } = createApp({
  db,
  log,
  clock: Date.now,
  uiDir,
  rooms: { unloadAfterMs: envInt('ROOM_UNLOAD_MS', 5_000), maxDocBytes: envInt('MAX_DOC_BYTES', 50 * 1024 * 1024) },
  sockets: { maxMessageBytes: envInt('MAX_MESSAGE_BYTES', 1024 * 1024), maxSendBufferBytes: envInt('MAX_SEND_BUFFER_BYTES', 8 * 1024 * 1024) },
  readyMaxPending: envInt('READY_MAX_PENDING', 10_000),
  trustProxy: ['1', 'true', 'yes'].includes((process.env.TRUST_PROXY ?? '').toLowerCase())
});
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  log.info('Lanes is running', { url: `http://localhost:${info.port}` });
});
injectWebSocket(server);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info('shutting down: storing pending updates', { signal });
  server.close();
  try {
    await rooms.closeAll(1001, 'server going away');
    await db.close();
    process.exit(0);
  } catch (error) {
    log.error('shutdown could not store everything', { error: (error as Error).message });
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
