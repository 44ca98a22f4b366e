/**
 * `node --import tsx bench/cold-load-steps.ts`: the server's part of a cold first sync of a 10,000-deal board, in one
 * process (so without a restart's cold JIT and without the client), in wall and main-thread CPU time: from asking the
 * rooms for the room (storage read included) to the first fresh client's answer handed over, the way a room loaded
 * before this change answered (read, replay, migrate, check, then the answer) and the way it answers now (read, count,
 * answer from the stored rows; the replay follows). Alternating runs, medians; PGlite in a folder and, with
 * DATABASE_URL, Postgres. COLD_STEPS_RUNS (default 7). Prints a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { BOARD_SCHEMA_VERSION, initBoard } from '../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../shared/sample-pipeline.ts';
import { openDb, type Db } from '../server/store/db.ts';
import { migrate } from '../server/store/migrations.ts';
import { writeRoomSchema, writeSnapshot } from '../server/store/update-log.ts';
import { Rooms } from '../server/sync/rooms.ts';
import type { Connection } from '../server/sync/room.ts';
import { encodeSyncStep1 } from '../server/sync/protocol.ts';
import { silentLog } from '../server/log.ts';
import { postgresStorage } from '../tests/support/server-process.ts';
import { writeManyDeals } from '../tests/support/big-board.ts';

const RUNS = Number(process.env.COLD_STEPS_RUNS ?? 7);
const ROOM = 'board:coldsteps';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One cold first sync on fresh Rooms: ms of wall and of CPU until the fresh client's step 2 was handed over. */
async function once(db: Db, early: boolean): Promise<{ wall: number; cpu: number; bytes: number }> {
  const rooms = new Rooms(db, silentLog, { unloadAfterMs: 60_000 });
  const sent: Uint8Array[] = [];
  const connection: Connection = { id: 'c', userId: 'u', send: (message) => sent.push(message), close: () => {} };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const room = await rooms.acquire(ROOM, { early });
  room.join(connection);
  room.receive(connection, encodeSyncStep1(new Y.Doc()));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const stepTwo = sent.find((message) => message[0] === 0 && message[1] === 1);
  if (!stepTwo || stepTwo.length < 1_000_000) throw new Error('the fresh client was not answered with the board');
  await rooms.acquire(ROOM); // the replay, before the next run
  await rooms.closeAll(1001, 'run over');
  return { wall, cpu: (used.user + used.system) / 1000, bytes: stepTwo.length };
}

async function measure(label: string, db: Db) {
  await migrate(db);
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Big', stages: DEFAULT_STAGES });
  await writeManyDeals(doc, 10_000);
  await writeSnapshot(db, ROOM, Y.encodeStateAsUpdate(doc));
  await writeRoomSchema(db, ROOM, BOARD_SCHEMA_VERSION);
  const runs = { before: [] as Array<{ wall: number; cpu: number }>, after: [] as Array<{ wall: number; cpu: number }> };
  let bytes = 0;
  for (let run = 0; run < RUNS + 1; run++) {
    for (const early of run % 2 ? [true, false] : [false, true]) {
      const result = await once(db, early);
      bytes = result.bytes;
      if (run > 0) runs[early ? 'after' : 'before'].push(result); // the first round warms the JIT
    }
  }
  return (['before', 'after'] as const).map((way) => ({
    storage: label,
    answer: way === 'before' ? 'after replay (as before)' : 'from stored rows (now)',
    'step 2 bytes': bytes,
    'wall median ms': Math.round(median(runs[way].map((run) => run.wall))),
    'CPU median ms': Math.round(median(runs[way].map((run) => run.cpu)))
  }));
}

const rows: Array<Record<string, unknown>> = [];
const dir = mkdtempSync(join(tmpdir(), 'lanes-cold-steps-'));
const lite = await openDb({ dataDir: dir });
try {
  rows.push(...(await measure('PGlite', lite)));
} finally {
  await lite.close();
  rmSync(dir, { recursive: true, force: true });
}
if (process.env.DATABASE_URL) {
  const storage = await postgresStorage(process.env.DATABASE_URL);
  const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' });
  try {
    rows.push(...(await measure('Postgres', db)));
  } finally {
    await db.close();
    await storage.dispose();
  }
}
console.table(rows);
process.exit(0);
