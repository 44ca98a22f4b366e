import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { addDeal, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { encodeDocUpdate, encodeSyncStep1, MESSAGE_SYNC } from '../../server/sync/protocol.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { seedBigBoard } from '../support/big-board.ts';
import { logLinesSince, rawSocket } from '../support/raw-socket.ts';

const DEALS = 2_000;

/** The doc a stock client builds from the sync messages a raw socket received, and whether a step 2 came. */
function docFrom(received: readonly Uint8Array[]) {
  const doc = new Y.Doc();
  let synced = false;
  for (const message of received) {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) continue;
    if (syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, null) === syncProtocol.messageYjsSyncStep2) synced = true;
  }
  return { doc, synced };
}

/**
 * A cold load (the server just restarted) of a board that needs no migration: fresh clients are answered from the
 * stored rows while the doc replays, and what clients send meanwhile waits for the doc, then is checked as always.
 */
describe.each(storageKinds)('a cold load of a stored board, on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let cleo: Account;
  let stored: Uint8Array;
  let deals: number;

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage);
    ann = await signUp(server.url, 'Ann');
    cleo = await signUpColleague(server.url, ann, 'Cleo');
    ({ dealCount: deals } = await seedBigBoard(server.wsUrl, ann, DEALS));
    const reader = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: ann.token });
    await reader.synced;
    await eventually(() => expect(reader.doc.getMap('deals').size).toBe(deals), 30_000);
    stored = Y.encodeStateAsUpdate(reader.doc);
    reader.destroy();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    server?.disposeMail();
    await storage?.dispose();
  });

  it('answers a fresh client from storage, keeps and checks the edits sent while the doc replays, and they reach the others', { timeout: 180_000 }, async () => {
    const room = boardRoom(ann.pipelineId);
    // Ann's edits, made on the stored board: a new deal (valid), and a number as an existing deal's title (refused).
    const mine = new Y.Doc();
    Y.applyUpdate(mine, stored);
    const edits: Uint8Array[] = [];
    mine.on('update', (update: Uint8Array) => edits.push(update));
    addDeal(mine, readStages(mine)[0].id, { title: 'Added while the doc replayed', value: 1, currency: 'EUR' });
    const victim = readDeals(mine)[0].id;
    (mine.getMap('deals').get(victim) as Y.Map<unknown>).set('title', 42);
    expect(edits).toHaveLength(2);

    await server.stop();
    const from = server.output.length;
    await server.start();
    const raw = await rawSocket(server.wsUrl, room, ann.token);
    // One write: the server reads the step 1 and both edits in one go, before its replay can start.
    const tcp = (raw.socket as unknown as { _socket: Socket })._socket;
    tcp.cork();
    raw.send(encodeSyncStep1(new Y.Doc()));
    for (const edit of edits) raw.send(encodeDocUpdate(edit));
    tcp.uncork();
    const cleoBoard = connectClient(server.wsUrl, room, { token: cleo.token });
    try {
      // The bad edit closes Ann's socket with 4422, after the good one was taken, in the order sent.
      expect((await raw.closed).code).toBe(4422);
      const answered = docFrom(raw.received);
      expect(answered.synced).toBe(true);
      expect(answered.doc.getMap('deals').size).toBe(deals);
      const loaded = await eventually(() => {
        const line = logLinesSince(server, from).find((entry) => entry.message === 'room loaded' && entry.room === room);
        expect(line).toMatchObject({ answered: expect.any(Number), heldBack: expect.any(Number) });
        return line;
      });
      expect(loaded!.answered as number).toBeGreaterThanOrEqual(1);
      expect(loaded!.heldBack as number).toBeGreaterThanOrEqual(2);
      // The valid edit reached a colleague's stock client, with the whole board; the refused one reached nobody.
      await cleoBoard.synced;
      await eventually(() => expect(readDeals(cleoBoard.doc).map((deal) => deal.title)).toContain('Added while the doc replayed'), 30_000);
      expect(cleoBoard.doc.getMap('deals').size).toBe(deals + 1);
      expect(readDeals(cleoBoard.doc).find((deal) => deal.id === victim)?.title).toEqual(expect.any(String));
    } finally {
      cleoBoard.destroy();
      raw.socket.terminate();
    }

    // And it is what the server stored: after another restart a fresh stock client sees the valid edit only.
    await server.stop();
    await server.start();
    const fresh = connectClient(server.wsUrl, room, { token: cleo.token });
    try {
      await fresh.synced;
      expect(fresh.doc.getMap('deals').size).toBe(deals + 1);
      expect(readDeals(fresh.doc).map((deal) => deal.title)).toContain('Added while the doc replayed');
      expect(typeof (fresh.doc.getMap('deals').get(victim) as Y.Map<unknown>).get('title')).toBe('string');
    } finally {
      fresh.destroy();
    }
  });
});
