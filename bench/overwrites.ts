/**
 * `npm run bench:overwrites`: stored bytes for one deal whose value is overwritten OVERWRITES (100,000) times.
 * A stock y-websocket client overwrites the value (with updatedAt and lastActivityAt, as every edit does) through the
 * real server, which logs each update and compacts the room every 500 rows; the server is stopped (SIGTERM: all is
 * stored, the room unloads into its snapshot) and the bytes each table holds for the room are summed: right after
 * the overwrites, then once the raw window (HISTORY_RAW_DAYS), the hourly window and a year have passed, when
 * retention has thinned the log and the checkpoints (compactRoom with a later clock, as the server's sweep does).
 * The server is `node dist/server/main.js` (run `npm run build` first), or the TypeScript sources with LANES_SERVER=ts.
 */
import * as Y from 'yjs';
import { readDeal, readDeals, updateDeal } from '../shared/board-doc.ts';
import { boardRoom } from '../shared/rooms.ts';
import { openDb, type Db } from '../server/store/db.ts';
import { compactRoom } from '../server/history/compaction.ts';
import { DAY, DEFAULT_RETENTION } from '../server/history/retention.ts';
import { connectClient, eventually, signUp } from '../tests/support/clients.ts';
import { scrapeMetrics } from '../tests/support/metrics.ts';
import { ServerProcess, pgliteStorage, postgresStorage } from '../tests/support/server-process.ts';

const OVERWRITES = Number(process.env.OVERWRITES ?? 100_000);
const compiled = process.env.LANES_SERVER !== 'ts';

async function bytesPerTable(db: Db, room: string) {
  const one = async (sql: string) => Number((await db.query<{ n: number }>(sql, [room]))[0].n ?? 0);
  return {
    doc_updates: await one('SELECT coalesce(sum(octet_length(data)), 0) AS n FROM doc_updates WHERE room = $1'),
    doc_checkpoints: await one('SELECT coalesce(sum(octet_length(data)), 0) AS n FROM doc_checkpoints WHERE room = $1'),
    doc_snapshots: await one('SELECT coalesce(sum(octet_length(data)), 0) AS n FROM doc_snapshots WHERE room = $1'),
    doc_changes: await one(
      `SELECT coalesce(sum(octet_length(entity_id) + octet_length(title) + octet_length(kind) + coalesce(octet_length(field), 0)
        + coalesce(octet_length(before), 0) + coalesce(octet_length(after), 0) + coalesce(octet_length(user_id), 0)), 0) AS n
       FROM doc_changes WHERE room = $1`
    ),
    rawRows: await one('SELECT count(*) AS n FROM doc_updates WHERE room = $1'),
    checkpoints: await one('SELECT count(*) AS n FROM doc_checkpoints WHERE room = $1'),
    changeRows: await one('SELECT count(*) AS n FROM doc_changes WHERE room = $1')
  };
}

const storage = process.env.DATABASE_URL ? await postgresStorage(process.env.DATABASE_URL) : pgliteStorage();
const server = await ServerProcess.start(storage, {}, { compiled });
let room = '';
let finalValue = 0;
let docBytes = 0;
let sentBytes = 0;
const started = performance.now();
try {
  const account = await signUp(server.url, 'Bench');
  room = boardRoom(account.pipelineId);
  const client = connectClient(server.wsUrl, room, { token: account.token });
  await client.synced;
  const dealId = readDeals(client.doc)[0].id;
  client.doc.on('update', (update: Uint8Array) => (sentBytes += update.byteLength));
  const socket = () => (client.provider as unknown as { ws: { bufferedAmount: number } | null }).ws;
  for (let i = 1; i <= OVERWRITES; i++) {
    updateDeal(client.doc, dealId, { value: i });
    finalValue = i;
    // Let the socket drain now and then: the server bounds what one client may have in flight.
    if (i % 200 === 0) {
      while ((socket()?.bufferedAmount ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (i % 10_000 === 0) console.log(`${i} overwrites sent (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  await eventually(async () => {
    if ((await scrapeMetrics(server.url)).get('lanes_pending_writes') !== 0) throw new Error('updates still waiting to be stored');
  }, 120_000);
  const reader = connectClient(server.wsUrl, room, { token: account.token });
  await reader.synced;
  // The server may still be working through the last messages: the reader gets them live.
  await eventually(() => {
    if (readDeal(reader.doc, dealId)?.value !== finalValue) throw new Error(`a fresh client reads ${readDeal(reader.doc, dealId)?.value}, expected ${finalValue}`);
  }, 300_000);
  await eventually(async () => {
    if ((await scrapeMetrics(server.url)).get('lanes_pending_writes') !== 0) throw new Error('updates still waiting to be stored');
  }, 120_000);
  docBytes = Y.encodeStateAsUpdate(reader.doc).byteLength;
  reader.destroy();
  client.destroy();
} finally {
  const code = await server.stop();
  if (code !== 0) console.error(`the server exited with ${code}:\n${server.output.slice(-2000)}`);
}

const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR ?? '' });
try {
  const now = Date.now();
  const rows: Record<string, Awaited<ReturnType<typeof bytesPerTable>> & { total: number }> = {};
  const measure = async (label: string) => {
    const bytes = await bytesPerTable(db, room);
    rows[label] = { ...bytes, total: bytes.doc_updates + bytes.doc_checkpoints + bytes.doc_snapshots + bytes.doc_changes };
  };
  await measure('right after (server stopped)');
  for (const [label, days] of [
    [`after the raw window (${DEFAULT_RETENTION.rawDays + 1} d)`, DEFAULT_RETENTION.rawDays + 1],
    [`after the hourly window (${DEFAULT_RETENTION.hourlyDays + 1} d)`, DEFAULT_RETENTION.hourlyDays + 1],
    ['a year later', 366]
  ] as const) {
    await compactRoom(db, room, { now: now + days * DAY });
    await measure(label);
  }
  console.log(
    `${OVERWRITES} overwrites of one deal's value by a stock client in ${((performance.now() - started) / 1000).toFixed(0)} s on ${storage.label}; ` +
      `${sentBytes} bytes of updates sent; the live doc encodes to ${docBytes} bytes`
  );
  console.table(rows);
} finally {
  await db.close();
  await storage.dispose();
}
