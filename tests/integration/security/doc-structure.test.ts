import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, readDeals, readStages } from '../../../shared/board-doc.ts';
import { boardRoom } from '../../../shared/rooms.ts';
import { encodeDocUpdate } from '../../../server/sync/protocol.ts';
import { deleteRanges, everyOther } from '../../support/attacks.ts';
import { connectClient, eventually, signUp, signUpColleague, upgradeStatus, type Account } from '../../support/clients.ts';
import { scrapeMetrics } from '../../support/metrics.ts';
import { logLinesSince, mib, rawSocket } from '../../support/raw-socket.ts';
import { freePort, ServerProcess, storageKinds, type Storage } from '../../support/server-process.ts';

const MAX_DOC_ITEMS = 30_000;
const titles = (doc: Y.Doc) => readDeals(doc).map((deal) => deal.title);
const rss = (values: Map<string, number>) => values.get('process_resident_memory_bytes')!;

/**
 * Issue #15 item 1: small valid updates that split one long string into hundreds of thousands of items blew up the
 * server's memory, and the stored log crashed it again at every load. Now updates are counted by the items they can
 * add (MAX_DOC_ITEMS), and a stored doc too big to hold is refused at the upgrade instead of loaded.
 */
describe.each(storageKinds)('a doc split into too many items on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let mallory: Account;
  let zed: Account;
  const clients: Array<{ destroy(): void }> = [];
  /** What Mallory's deal notes held when the server stopped her: nothing of it may be lost. */
  let acceptedNotes = '';
  let dealId = '';

  const connect = (target: ServerProcess, room: string, token: string) => {
    const client = connectClient(target.wsUrl, room, { token });
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    clients.push(client);
    return { ...client, closes };
  };

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '200', MAX_DOC_ITEMS: String(MAX_DOC_ITEMS) });
    ann = await signUp(server.url, 'Ann');
    mallory = await signUpColleague(server.url, ann, 'Mallory', 'sales');
    zed = await signUp(server.url, 'Zed');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('closes the sender with 4413 before the doc passes MAX_DOC_ITEMS; the board and other workspaces carry on', async () => {
    const room = boardRoom(ann.pipelineId);
    const annBoard = connect(server, room, ann.token);
    const bobBoard = connect(server, room, ann.token);
    const zedBoard = connect(server, boardRoom(zed.pipelineId), zed.token);
    const zedToo = connect(server, boardRoom(zed.pipelineId), zed.token);
    await Promise.all([annBoard.synced, bobBoard.synced, zedBoard.synced, zedToo.synced]);
    const before = await scrapeMetrics(server.url);

    // Mallory adds a deal whose notes are one 60,000-character item, then deletes every other character.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(annBoard.doc));
    const since = Y.encodeStateVector(doc);
    dealId = addDeal(doc, readStages(doc)[0].id, { title: 'Split me', value: 1, currency: 'EUR' });
    const textStart = Y.getState(doc.store, doc.clientID);
    dealNotes(doc, dealId)!.insert(0, 'x'.repeat(60_000));
    const attacker = await rawSocket(server.wsUrl, room, mallory.token);
    attacker.send(encodeDocUpdate(Y.encodeStateAsUpdate(doc, since)));
    await eventually(() => expect(dealNotes(annBoard.doc, dealId)?.length).toBe(60_000));
    let sent = 0;
    for (let from = textStart + 1; !attacker.closedWith && from < textStart + 60_000; from += 10_000) {
      attacker.send(encodeDocUpdate(deleteRanges(doc.clientID, everyOther(from, from + 10_000))));
      sent++;
      // Until the server applied these 5,000 deletes (Ann sees them) or closed Mallory.
      const applied = eventually(() => expect(dealNotes(annBoard.doc, dealId)!.length).toBe(60_000 - 5_000 * sent), 10_000);
      await Promise.race([attacker.closed, applied]);
    }
    const { code, reason } = await attacker.closed;
    expect(code).toBe(4413);
    expect(reason).toMatch(/document is full: it would hold more than 30000 items/);
    // Each message of 5,000 ranges could add 10,000 items: two fit beside the board, the third does not.
    expect(sent).toBe(3);
    await eventually(() => expect(dealNotes(bobBoard.doc, dealId)!.toString()).toBe(dealNotes(annBoard.doc, dealId)!.toString()));
    acceptedNotes = dealNotes(annBoard.doc, dealId)!.toString();
    expect(acceptedNotes.length).toBe(60_000 - 2 * 5_000);

    addDeal(annBoard.doc, readStages(annBoard.doc)[0].id, { title: 'After the split', value: 1, currency: 'EUR' });
    addDeal(zedBoard.doc, readStages(zedBoard.doc)[0].id, { title: 'Another workspace', value: 1, currency: 'EUR' });
    await eventually(() => expect(titles(bobBoard.doc)).toContain('After the split'));
    await eventually(() => expect(titles(zedToo.doc)).toContain('Another workspace'));
    expect([...annBoard.closes, ...bobBoard.closes, ...zedBoard.closes, ...zedToo.closes]).toEqual([]);
    const after = await scrapeMetrics(server.url);
    console.log(`split attack: closed with 4413 after ${sent} delete messages; server RSS ${mib(rss(before))} → ${mib(rss(after))} MiB`);
    expect(rss(after) - rss(before)).toBeLessThan(128 * 1024 * 1024);
    // Both loaded boards together: Ann's, split to just under MAX_DOC_ITEMS, and Zed's.
    expect(after.get('lanes_doc_items')).toBeGreaterThan(20_000);
    expect(after.get('lanes_doc_items')).toBeLessThan(MAX_DOC_ITEMS + 5_000);
    for (const client of clients.splice(0)) client.destroy();
  });

  it('refuses to open a stored doc too big for the limits with 413, stays up for everything else, and loses nothing', async () => {
    // The operator lowers the limit below what the stored board needs: 5 × 4,000 items is less than its log may hold.
    await server.stop();
    const lowered = new ServerProcess(storage, await freePort(), { MAX_DOC_ITEMS: '4000' });
    try {
      await lowered.start();
      const logFrom = lowered.output.length;
      expect(await upgradeStatus(`${lowered.wsUrl}/${boardRoom(ann.pipelineId)}`, { authorization: `Bearer ${ann.token}` })).toBe(413);
      const refused = await fetch(`${lowered.url}/ws/${boardRoom(ann.pipelineId)}`, { headers: { authorization: `Bearer ${ann.token}` } });
      expect(refused.status).toBe(413);
      expect(await refused.json()).toMatchObject({ error: 'doc_too_large', reason: expect.stringMatching(/too large to open/) });
      // Read and counted once: the second attempt is answered from memory.
      const notOpened = logLinesSince(lowered, logFrom).filter((line) => line.message === 'room not opened');
      expect(notOpened).toEqual([expect.objectContaining({ room: boardRoom(ann.pipelineId), error: expect.stringMatching(/too large to open/) })]);
      // The process is fine and so is every other board.
      expect((await fetch(`${lowered.url}/healthz`)).status).toBe(200);
      const zedBoard = connect(lowered, boardRoom(zed.pipelineId), zed.token);
      await zedBoard.synced;
      expect(titles(zedBoard.doc)).toContain('Another workspace');
    } finally {
      await lowered.stop();
    }

    // With the limits it was written under, the board opens with everything it accepted.
    await server.start();
    const reopened = connect(server, boardRoom(ann.pipelineId), ann.token);
    await reopened.synced;
    expect(titles(reopened.doc)).toEqual(expect.arrayContaining(['Split me', 'After the split']));
    expect(dealNotes(reopened.doc, dealId)!.toString()).toBe(acceptedNotes);
    expect(server.output).not.toMatch(/heap out of memory|uncaught|unhandled/i);
  });

  it('refuses the issue’s attack at the default limits at its first delete frame', async () => {
    await server.stop();
    const defaults = new ServerProcess(storage, await freePort());
    try {
      await defaults.start();
      const room = boardRoom(zed.pipelineId);
      const board = connect(defaults, room, zed.token);
      await board.synced;
      const before = await scrapeMetrics(defaults.url);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(board.doc));
      const since = Y.encodeStateVector(doc);
      const id = addDeal(doc, readStages(doc)[0].id, { title: 'The issue’s string', value: 1, currency: 'EUR' });
      const textStart = Y.getState(doc.store, doc.clientID);
      dealNotes(doc, id)!.insert(0, 'x'.repeat(700_000));
      const attacker = await rawSocket(defaults.wsUrl, room, zed.token);
      attacker.send(encodeDocUpdate(Y.encodeStateAsUpdate(doc, since)));
      // About 1 MiB: 260,000 ranges, each of which may split an item twice, past the 500,000 items of MAX_DOC_ITEMS.
      const frame = encodeDocUpdate(deleteRanges(doc.clientID, everyOther(textStart + 1, textStart + 520_001)));
      attacker.send(frame);
      expect(await attacker.closed).toMatchObject({ code: 4413, reason: expect.stringMatching(/more than 500000 items/) });
      await eventually(() => expect(dealNotes(board.doc, id)?.length).toBe(700_000));
      const after = await scrapeMetrics(defaults.url);
      console.log(`issue attack at default limits: a ${mib(frame.length)} MiB delete frame refused; server RSS ${mib(rss(before))} → ${mib(rss(after))} MiB`);
      expect(board.closes).toEqual([]);
    } finally {
      await defaults.stop();
    }
  });
});
