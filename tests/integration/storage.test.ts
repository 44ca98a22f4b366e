import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, BOARD_SCHEMA_VERSION, dealNotes, initBoard, readDeals, readSchemaVersion, readStages } from '../../shared/board-doc.ts';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { openDb, type Db } from '../../server/store/db.ts';
import { migrate } from '../../server/store/migrations.ts';
import { appendUpdates, loadRoomState, loadRoomUpdates, readRoomSchema, writeRoomSchema, writeSnapshot } from '../../server/store/update-log.ts';
import { compactRoom } from '../../server/history/compaction.ts';
import { Rooms } from '../../server/sync/rooms.ts';
import type { Connection, Room } from '../../server/sync/room.ts';
import { silentLog } from '../../server/log.ts';
import { encodeDocUpdate, encodeSyncStep1 } from '../../server/sync/protocol.ts';
import { postgresStorage, type Storage } from '../support/server-process.ts';
import { eventually } from '../support/clients.ts';
import { writeV1Board } from '../support/board-v1.ts';

const backends = [
  { label: 'PGlite', open: async () => ({ db: await openDb({ dataDir: 'memory://' }), storage: null as Storage | null }) },
  ...(process.env.DATABASE_URL
    ? [
        {
          label: 'Postgres',
          open: async () => {
            const storage = await postgresStorage(process.env.DATABASE_URL!);
            return { db: await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' }), storage };
          }
        }
      ]
    : [])
];

const connection = (): Connection & { sent: Uint8Array[] } => {
  const sent: Uint8Array[] = [];
  return { id: 'c', userId: 'u', sent, send: (message) => sent.push(message), close: () => {} };
};

describe.each(backends)('update log and snapshots on $label', ({ open }) => {
  let db: Db;
  let storage: Storage | null;
  let roomCounter = 0;
  let room: string;

  beforeAll(async () => {
    ({ db, storage } = await open());
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await storage?.dispose();
  });
  beforeEach(() => {
    room = `board:r${Date.now()}x${roomCounter++}`;
  });

  const logRows = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM doc_updates WHERE room = $1', [room]))[0].n;

  it('runs migrations once', async () => {
    expect(await migrate(db)).toEqual([]);
  });

  it('appends a batch of updates in order and loads them back as one doc', async () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Test', stages: DEFAULT_STAGES });
    for (let i = 0; i < 1200; i++) addDeal(doc, readStages(doc)[0].id, { title: `Deal ${i}` });
    await appendUpdates(db, updates.map((data) => ({ room, data, userId: null, at: Date.now() })));
    expect(await logRows()).toBe(updates.length);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, (await loadRoomState(db, room))!);
    expect(readDeals(loaded)).toHaveLength(1200);
  });

  it('compaction folds the log into the snapshot, keeps the folded rows as history and loads updates appended after it', async () => {
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Test', stages: DEFAULT_STAGES });
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(doc));
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 10; i++) addDeal(doc, readStages(doc)[0].id, { title: `Deal ${i}` });
    await appendUpdates(db, updates.map((data) => ({ room, data, userId: 'ann', at: Date.now() })));
    expect(await compactRoom(db, room)).toEqual({ folded: 10 });
    expect(await compactRoom(db, room)).toEqual({ folded: 0 });
    // History keeps the rows (retention thins them later); loading starts after the snapshot's last folded row.
    expect(await logRows()).toBe(10);
    addDeal(doc, readStages(doc)[1].id, { title: 'After compaction' });
    await appendUpdates(db, [{ room, data: updates.at(-1)!, userId: 'ann', at: Date.now() }]);
    const { updates: stored, logRows: rows } = await loadRoomUpdates(db, room);
    expect(rows).toBe(1);
    const loaded = new Y.Doc();
    stored.forEach((update) => Y.applyUpdate(loaded, update));
    expect(readDeals(loaded).map((deal) => deal.title)).toContain('After compaction');
    expect(readDeals(loaded)).toHaveLength(11);
  });

  it('a room stores each accepted update at once, compacts past its threshold and unloads into a snapshot', async () => {
    const rooms = new Rooms(db, silentLog, { compactAfter: 20, unloadAfterMs: 10 });
    const seed = new Y.Doc();
    initBoard(seed, { pipelineId: 'p', workspaceId: 'w', name: 'Test', stages: DEFAULT_STAGES });
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(seed));

    const live = await rooms.acquire(room);
    const client = connection();
    live.join(client);
    const clientDoc = new Y.Doc();
    Y.applyUpdate(clientDoc, Y.encodeStateAsUpdate(live.doc));
    clientDoc.on('update', (update: Uint8Array) => live.receive(client, encodeDocUpdate(update)));

    addDeal(clientDoc, readStages(clientDoc)[0].id, { title: 'First' });
    const sentAt = Date.now();
    await eventually(async () => expect(await logRows()).toBe(1), 2_000);
    const storedWithin = Date.now() - sentAt;
    expect(storedWithin).toBeLessThan(1_000); // generous for a noisy machine; the 50 ms target is measured by `npm run bench`

    for (let i = 0; i < 30; i++) addDeal(clientDoc, readStages(clientDoc)[0].id, { title: `Deal ${i}` });
    // Past 20 rows the room folds its log into the snapshot.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await loadRoomUpdates(db, room)).logRows).toBeLessThan(20);

    live.leave(client);
    rooms.release(live);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(rooms.loadedCount).toBe(0);
    expect((await loadRoomUpdates(db, room)).logRows).toBe(0);
    expect(await logRows()).toBe(31);
    const reloaded = await rooms.acquire(room);
    expect(readDeals(reloaded.doc)).toHaveLength(31);
    rooms.release(reloaded);
    await rooms.closeAll(1001, 'test over');
  });

  it('a stored v1 board is migrated to v2 on load, notes on every deal, and the migration is stored', async () => {
    const rooms = new Rooms(db, silentLog, { unloadAfterMs: 10 });
    const v1 = new Y.Doc();
    const ids = writeV1Board(v1, ['Acme', 'Globex']);
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(v1));
    const live = await rooms.acquire(room);
    expect(readSchemaVersion(live.doc)).toBe(2);
    expect(ids.map((id) => dealNotes(live.doc, id)?.toString())).toEqual(['', '']);
    dealNotes(live.doc, ids[0])!.insert(0, 'Renewal call booked');
    rooms.release(live);
    await eventually(() => expect(rooms.loadedCount).toBe(0), 2_000);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, (await loadRoomState(db, room))!);
    expect(readSchemaVersion(stored)).toBe(2);
    expect(ids.map((id) => dealNotes(stored, id)?.toString())).toEqual(['Renewal call booked', '']);
    await rooms.closeAll(1001, 'test over');
  });

  it('a board that needs migrating is migrated before any client is answered; once that is stored, the next load answers fresh clients from the stored rows', async () => {
    const rooms = new Rooms(db, silentLog, { unloadAfterMs: 10 });
    const v1 = new Y.Doc();
    const ids = writeV1Board(v1, ['Acme', 'Globex']);
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(v1));
    /** A fresh client's first sync with `target`: the doc it builds from what the room sent. */
    const freshSync = (target: Room) => {
      const client = connection();
      target.join(client);
      target.receive(client, encodeSyncStep1(new Y.Doc()));
      const seen = new Y.Doc();
      for (const message of client.sent) {
        const decoder = decoding.createDecoder(message);
        if (decoding.readVarUint(decoder) === 0) syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), seen, null);
      }
      target.leave(client);
      return seen;
    };
    const first = await rooms.acquire(room, { early: true });
    expect(first.loading).toBe(false); // no recorded version: replayed and migrated first, as before
    const migrated = freshSync(first);
    expect(readSchemaVersion(migrated)).toBe(BOARD_SCHEMA_VERSION);
    expect(ids.map((id) => dealNotes(migrated, id)?.toString())).toEqual(['', '']);
    rooms.release(first);
    await eventually(async () => expect(await readRoomSchema(db, room)).toBe(BOARD_SCHEMA_VERSION), 2_000);
    await eventually(() => expect(rooms.loadedCount).toBe(0), 2_000);

    const again = await rooms.acquire(room, { early: true });
    expect(again.loading).toBe(true);
    const served = freshSync(again);
    expect(readSchemaVersion(served)).toBe(BOARD_SCHEMA_VERSION);
    expect(ids.map((id) => dealNotes(served, id)?.toString())).toEqual(['', '']);
    // A caller that needs the doc waits for it.
    const ready = await rooms.acquire(room);
    expect(ready).toBe(again);
    expect(ready.loading).toBe(false);
    expect(readSchemaVersion(ready.doc)).toBe(BOARD_SCHEMA_VERSION);
    rooms.release(again);
    rooms.release(ready);
    await eventually(() => expect(rooms.loadedCount).toBe(0), 2_000);

    // A version recorded by older code does not count: the doc loads first again.
    await writeRoomSchema(db, room, BOARD_SCHEMA_VERSION - 1);
    const older = await rooms.acquire(room, { early: true });
    expect(older.loading).toBe(false);
    rooms.release(older);
    await rooms.closeAll(1001, 'test over');
  });
});

