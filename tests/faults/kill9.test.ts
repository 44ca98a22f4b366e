import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, readColumns, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { openDb } from '../../server/store/db.ts';
import { loadRoomState } from '../../server/store/update-log.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { connectClient, eventually, signUp, type Account } from '../support/clients.ts';

const ROUNDS = 20;
const CLIENTS = 3;
const EDIT_EVERY_MS = [5, 20] as const;
const KILL_AFTER_MS = [100, 600] as const;
/** How long an idle server gets to store what it accepted before the final crash: generous for a loaded machine. */
const STORE_WITHIN_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: readonly [number, number]) => low + Math.random() * (high - low);

type Client = ReturnType<typeof connectClient>;

/** One rep adding deals at a steady, jittered pace, online or not; `created` holds only deals its doc applied. */
function startAddingDeals(client: Client, clientIndex: number) {
  const created: string[] = [];
  let running = true;
  let timer: NodeJS.Timeout | null = null;
  const addOne = () => {
    if (!running) return;
    const stages = readStages(client.doc);
    const stage = stages[Math.floor(Math.random() * stages.length)];
    const id = `kill9-c${clientIndex}-${created.length}`;
    addDeal(client.doc, stage.id, { title: `Client ${clientIndex} deal ${created.length}` }, { id });
    if (client.doc.getMap('deals').has(id)) created.push(id);
    timer = setTimeout(addOne, between(EDIT_EVERY_MS));
  };
  addOne();
  return {
    created,
    stop: () => {
      running = false;
      if (timer) clearTimeout(timer);
    }
  };
}

/** Deal ids as the board lists them, across all columns (an id listed twice appears twice). */
const listedIds = (doc: Y.Doc) => [...readColumns(doc).values()].flatMap((column) => column.map((deal) => deal.id));

/** What the storage holds for the room right now, read directly while no server runs. */
async function storedDealIds(storage: Storage, room: string): Promise<Set<string>> {
  const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR ?? '' });
  try {
    const state = await loadRoomState(db, room);
    const doc = new Y.Doc();
    if (state) Y.applyUpdate(doc, state);
    return new Set(doc.getMap('deals').keys());
  } finally {
    await db.close();
  }
}

describe.each(storageKinds)('server SIGKILLed mid-stream on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let account: Account;
  const clients: Client[] = [];
  const connect = () => {
    const client = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage);
    account = await signUp(server.url, 'Kim');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it(`every deal three clients added across ${ROUNDS} SIGKILLs and restarts is stored exactly once`, async () => {
    const room = boardRoom(account.pipelineId);
    const reps = Array.from({ length: CLIENTS }, () => connect());
    await Promise.all(reps.map((rep) => rep.synced));
    const sampleDeals = listedIds(reps[0].doc).length;
    const editors = reps.map((rep, index) => startAddingDeals(rep, index));
    const allCreated = () => editors.flatMap((editor) => editor.created);

    let unstoredAtKill = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Each crash hits live connections: wait until every client is back and synced, then let the stream run.
      await eventually(() => expect(reps.every((rep) => rep.provider.synced)).toBe(true), 60_000);
      await sleep(between(KILL_AFTER_MS));
      await server.kill();
      const createdAtKill = allCreated();
      const stored = await storedDealIds(storage, room);
      // Deals the crash took from the server before it stored them: only the clients' resend can bring them back.
      unstoredAtKill += createdAtKill.filter((id) => !stored.has(id)).length;
      await server.start();
    }
    // A last stretch with no crash after it: these deals reach storage only through the update writer.
    await eventually(() => expect(reps.every((rep) => rep.provider.synced)).toBe(true), 60_000);
    await sleep(between(KILL_AFTER_MS));

    editors.forEach((editor) => editor.stop());
    const expected = allCreated();
    await eventually(() => {
      for (const rep of reps) expect(rep.doc.getMap('deals').size).toBe(sampleDeals + expected.length);
    }, 60_000);

    const countIn = async (label: string) => {
      const fresh = connect();
      await fresh.synced;
      const listed = listedIds(fresh.doc);
      const times = new Map<string, number>();
      for (const id of listed) times.set(id, (times.get(id) ?? 0) + 1);
      const missing = expected.filter((id) => !times.has(id));
      const duplicated = [...times].filter(([, count]) => count > 1).map(([id]) => id);
      const found = expected.length - missing.length;
      console.log(`[${storage.label}] ${label}: found ${found} of ${expected.length}, missing ${missing.length}, duplicated ${duplicated.length}`);
      fresh.destroy();
      return { listed, missing, duplicated };
    };

    console.log(
      `[${storage.label}] rounds ${ROUNDS}; edits per client ${editors.map((editor) => editor.created.length).join(' / ')}; ` +
        `total ${expected.length}; created but not yet stored at a kill (recovered by resend) ${unstoredAtKill}`
    );
    const live = await countIn('fresh client, live server');
    expect(live.missing).toEqual([]);
    expect(live.duplicated).toEqual([]);
    expect(live.listed).toHaveLength(sampleDeals + expected.length);

    // And it is what the server stored: with every client gone (nobody left to resend), one more SIGKILL once the
    // writer has had ample time (its target is 50 ms), then a clean restart, each followed by a fresh client.
    reps.forEach((rep) => rep.destroy());
    await sleep(STORE_WITHIN_MS);
    await server.kill();
    await server.start();
    const afterCrash = await countIn('fresh client after the clients left and one more SIGKILL');
    await server.stop();
    await server.start();
    const restarted = await countIn('fresh client after a clean restart');
    for (const result of [afterCrash, restarted]) {
      expect(result.missing).toEqual([]);
      expect(result.duplicated).toEqual([]);
      expect(result.listed).toHaveLength(sampleDeals + expected.length);
      expect(new Set(result.listed)).toEqual(new Set(live.listed));
    }
  });
});
