import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../server/store/db.ts';
import { openDb } from '../../server/store/db.ts';
import { migrate } from '../../server/store/migrations.ts';
import { loadRoomState } from '../../server/store/update-log.ts';
import { silentLog } from '../../server/log.ts';
import { RedisRelay } from '../../server/sync/cluster.ts';
import { serverWrite } from '../../server/sync/room.ts';
import { Rooms } from '../../server/sync/rooms.ts';
import { eventually } from '../support/clients.ts';
import { postgresStorage, type Storage } from '../support/server-process.ts';
import { missingForInstances } from '../support/redis.ts';

const redisUrl = process.env.REDIS_URL;
const databaseUrl = process.env.DATABASE_URL;


const missing = await missingForInstances('relay load race');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROOM = 'relay:race';

/** Two instances in one process: their own Rooms and relay each, one database and one Redis. */
describe.skipIf(missing.length > 0)('a room loading while another instance stores', () => {
  let storage: Storage;
  let db: Db;
  const relays: RedisRelay[] = [];
  const all: Rooms[] = [];

  const instance = async (database: Db, prefix: string) => {
    const relay = await RedisRelay.connect({ url: redisUrl!, prefix, log: silentLog });
    const rooms = new Rooms(database, silentLog, { relay, unloadAfterMs: 5 });
    relay.attach({ storedState: (name) => loadRoomState(db, name), relayed: () => {}, access: () => {} });
    relays.push(relay);
    all.push(rooms);
    return { rooms, relay };
  };

  beforeAll(async () => {
    storage = await postgresStorage(databaseUrl!);
    db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' });
    await migrate(db);
  });

  afterAll(async () => {
    for (const rooms of all) await rooms.closeAll(1001, 'test over', 5_000);
    for (const relay of relays) await relay.close();
    await db?.close();
    await storage?.dispose();
  });

  it('misses none of what is stored and published between its read of storage and its first message', async () => {
    const prefix = `lanes-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
    const writer = await instance(db, prefix);
    // The reader's read of storage returns 40 ms late: whatever the writer commits meanwhile is only in Redis.
    const slowDb: Db = {
      ...db,
      query: async (text, params) => {
        const rows = await db.query(text, params);
        if (text.includes('UNION ALL')) await sleep(40);
        return rows as never;
      }
    };
    const reader = await instance(slowDb, prefix);
    await eventually(() => expect(relays.map((relay) => relay.problem())).toEqual([null, null]), 10_000);

    const source = await writer.rooms.acquire(ROOM);
    let written = 0;
    const stream = setInterval(() => {
      source.doc.getMap('values').set(`k${written}`, written);
      written++;
    }, 2);
    try {
      for (let round = 0; round < 8; round++) {
        const copy = await reader.rooms.acquire(ROOM);
        const upTo = written;
        // Everything written before the load finished must arrive; later writes come through the relay too.
        await eventually(() => {
          const values = copy.doc.getMap('values');
          const holes = Array.from({ length: upTo }, (_, i) => `k${i}`).filter((key) => !values.has(key));
          expect(holes).toEqual([]);
        }, 10_000);
        reader.rooms.release(copy);
        await eventually(() => expect(reader.rooms.loadedCount).toBe(0), 10_000);
      }
    } finally {
      clearInterval(stream);
    }
    const copy = await reader.rooms.acquire(ROOM);
    await eventually(() => {
      const values = copy.doc.getMap('values');
      expect(values.size).toBe(written);
      for (let i = 0; i < written; i++) expect(values.get(`k${i}`)).toBe(i);
    }, 10_000);
    reader.rooms.release(copy);
    writer.rooms.release(source);
  });
});
