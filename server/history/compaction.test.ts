import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, deleteDeal, initBoard, readStages, updateDeal } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { silentLog } from '../log.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrations.ts';
import { appendUpdates, loadRoomUpdates, writeSnapshot } from '../store/update-log.ts';
import { Rooms } from '../sync/rooms.ts';
import { compactRoom } from './compaction.ts';
import { DAY, HOUR } from './retention.ts';
import { stateAt } from './timeline.ts';
import { postgresStorage } from '../../tests/support/server-process.ts';

/** PGlite always; also the Postgres at DATABASE_URL (a throwaway database) when it is set. */
const backends = [
  { label: 'PGlite', open: async () => ({ db: await openDb({ dataDir: 'memory://' }), dispose: async () => {} }) },
  ...(process.env.DATABASE_URL
    ? [
        {
          label: 'Postgres',
          open: async () => {
            const storage = await postgresStorage(process.env.DATABASE_URL!);
            return { db: await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' }), dispose: () => storage.dispose() };
          }
        }
      ]
    : [])
];

describe.each(backends)('compaction keeps history, retention bounds it, on $label', ({ open }) => {
  let db: Db;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await open());
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await dispose();
  });

  const count = async (table: string, room: string, where = '') =>
    Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE room = $1 ${where}`, [room]))[0].n);

  it('a room nobody edits any more is thinned by the sweep: one checkpoint, no raw rows, removals kept', async () => {
    const room = 'board:idle';
    const start = Date.UTC(2025, 0, 1);
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'idle', workspaceId: 'w', name: 'Idle', stages: DEFAULT_STAGES });
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(doc), start);
    const updates: Array<{ room: string; data: Uint8Array; userId: string; at: number }> = [];
    let at = start;
    doc.on('update', (data: Uint8Array) => updates.push({ room, data, userId: 'ann', at }));
    for (let hour = 1; hour <= 48; hour++) {
      at = start + hour * HOUR;
      const id = addDeal(doc, readStages(doc)[0].id, { title: `Deal ${hour}` }, { now: at });
      updateDeal(doc, id, { value: hour }, { now: at });
      if (hour % 10 === 0) deleteDeal(doc, id);
    }
    await appendUpdates(db, updates);
    expect(await compactRoom(db, room, { now: at })).toEqual({ folded: updates.length });
    expect(await count('doc_checkpoints', room)).toBe(49);
    expect(await count('doc_updates', room)).toBe(updates.length);
    const exact = await stateAt(db, room, start + 30 * HOUR + 1);
    expect(exact?.shownAt).toBe(start + 30 * HOUR + 1);

    // Two years later nobody has opened it; the hourly sweep thins it anyway.
    const rooms = new Rooms(db, silentLog, { clock: () => start + 2 * 365 * DAY });
    expect(await rooms.sweep()).toBeGreaterThanOrEqual(1);
    expect(await count('doc_checkpoints', room)).toBe(1);
    expect(await count('doc_updates', room)).toBe(0);
    expect(await count('doc_changes', room, "AND kind <> 'removed'")).toBe(0);
    expect(await count('doc_changes', room, "AND kind = 'removed'")).toBe(4);
    // The board still loads whole from its snapshot, and its newest state is still a moment one can view.
    const loaded = new Y.Doc();
    for (const update of (await loadRoomUpdates(db, room)).updates) Y.applyUpdate(loaded, update);
    expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(doc));
    const last = await stateAt(db, room, start + 2 * 365 * DAY);
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, last!.state);
    expect(Y.encodeStateVector(rebuilt)).toEqual(Y.encodeStateVector(doc));
    // A moment before the only checkpoint left is gone for good.
    expect(await stateAt(db, room, start + 30 * HOUR)).toBeNull();
    await rooms.closeAll(1001, 'test over');
  }, 60_000);
});
