import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { addDeal, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { openDb } from '../../server/store/db.ts';
import { loadRoomState } from '../../server/store/update-log.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { eventually, signUp, type Account } from '../support/clients.ts';
import { clockAfter, connectConfirmingClient } from '../support/confirming-client.ts';

const ROUNDS = 10;
const EDIT_FOR_MS = [150, 500] as const;
/** How often the old signal (the server's in-memory state vector, its answer to a sync step 1) is asked for. */
const ASK_MEMORY_EVERY_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: readonly [number, number]) => low + Math.random() * (high - low);

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

/**
 * The server is SIGKILLed while a browser-like client adds deals as fast as it can. Every deal the client was told is
 * saved (the server's stored-state message) must be in the database after the crash, with no client left to resend.
 * For comparison the test also tracks the old signal, the server's in-memory state vector, which called deals saved
 * that the crash then took.
 */
describe.each(storageKinds)('"saved" survives a SIGKILL on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let account: Account;

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage);
    account = await signUp(server.url, 'Kim');
  });

  afterAll(async () => {
    await server?.stop();
    await storage?.dispose();
  });

  it(`every deal confirmed as saved before each of ${ROUNDS} SIGKILLs is in the database afterwards`, async () => {
    const room = boardRoom(account.pipelineId);
    let made = 0;
    let confirmedTotal = 0;
    let lostConfirmed = 0;
    let lostUnconfirmed = 0;
    let lostButInMemory = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const client = connectConfirmingClient(server.wsUrl, room, { token: account.token });
      await client.synced;
      await eventually(() => expect(client.storedMessages).toBeGreaterThan(0));
      // The old signal: the server's own sync step 1 in answer to ours.
      let inMemory = new Map<number, number>();
      const handleSync = client.provider.messageHandlers[0];
      client.provider.messageHandlers[0] = (encoder, decoder, ...rest) => {
        const peek = decoding.clone(decoder);
        if (decoding.readVarUint(peek) === syncProtocol.messageYjsSyncStep1) inMemory = Y.decodeStateVector(decoding.readVarUint8Array(peek));
        handleSync(encoder, decoder, ...rest);
      };
      const askMemory = setInterval(() => {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, 0);
        syncProtocol.writeSyncStep1(encoder, client.doc);
        client.provider.ws?.send(encoding.toUint8Array(encoder));
      }, ASK_MEMORY_EVERY_MS);

      const stage = readStages(client.doc)[0].id;
      const deals: Array<{ id: string; clock: number }> = [];
      const until = Date.now() + between(EDIT_FOR_MS);
      while (Date.now() < until) {
        const id = `confirm-r${round}-${deals.length}`;
        deals.push({ id, clock: clockAfter(client.doc, () => addDeal(client.doc, stage, { title: `Round ${round} deal ${deals.length}` }, { id })) });
        await sleep(1 + Math.random() * 3);
      }
      clearInterval(askMemory);
      const confirmed = deals.filter((deal) => client.isStored(deal.clock));
      const held = deals.filter((deal) => (inMemory.get(client.doc.clientID) ?? 0) >= deal.clock);
      // No client is left to resend anything: only the database counts.
      client.destroy();
      await server.kill();
      const stored = await storedDealIds(storage, room);
      made += deals.length;
      confirmedTotal += confirmed.length;
      lostConfirmed += confirmed.filter((deal) => !stored.has(deal.id)).length;
      lostUnconfirmed += deals.filter((deal) => !stored.has(deal.id) && !client.isStored(deal.clock)).length;
      lostButInMemory += held.filter((deal) => !stored.has(deal.id)).length;
      await server.start();
    }
    console.log(
      `[${storage.label}] ${ROUNDS} SIGKILLs: ${made} deals made, ${confirmedTotal} confirmed as saved, ${lostConfirmed} of those missing; ` +
        `${lostUnconfirmed} unconfirmed deals lost with the crash; the old signal (server memory) would have called ${lostButInMemory} lost deals saved`
    );
    expect(confirmedTotal).toBeGreaterThan(0);
    expect(lostConfirmed).toBe(0);
  });
});
