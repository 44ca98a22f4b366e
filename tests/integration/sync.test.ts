import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDeal, moveDeal, readColumns, readDeal, readDeals, readStages, updateDeal } from '../../shared/board-doc.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { readContacts } from '../../shared/contacts-doc.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { scrapeMetrics } from '../support/metrics.ts';
import { connectClient, eventually, signUp, signUpColleague, upgradeStatus, type Account } from '../support/clients.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storageKinds)('live board sync on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  let outsider: Account;
  const clients: Array<{ destroy(): void }> = [];
  const connect = (room: string, account: Account) => {
    const client = connectClient(server.wsUrl, room, { token: account.token });
    clients.push(client);
    return client;
  };

  const annAndBobOnAnnsBoard = async () => {
    const annBoard = connect(boardRoom(ann.pipelineId), ann);
    const bobBoard = connect(boardRoom(ann.pipelineId), bob);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    return { annBoard, bobBoard, stages: readStages(annBoard.doc) };
  };

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '200' });
    ann = await signUp(server.url, 'Ann');
    bob = await signUpColleague(server.url, ann, 'Bob');
    outsider = await signUp(server.url, 'Olga');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('serves the seeded sample pipeline to a stock y-websocket client', async () => {
    const board = connect(boardRoom(ann.pipelineId), ann);
    const contacts = connect(contactsRoom(ann.workspaceId), ann);
    await Promise.all([board.synced, contacts.synced]);
    expect(readStages(board.doc).map((stage) => stage.name)).toEqual(['Lead in', 'Qualified', 'Demo', 'Proposal', 'Negotiation', 'Won', 'Lost']);
    expect(readDeals(board.doc).length).toBeGreaterThanOrEqual(28);
    expect(readContacts(contacts.doc).length).toBeGreaterThanOrEqual(28);
  });

  it('two users on two stock clients see each other’s moves, adds and edits', async () => {
    const { annBoard, bobBoard, stages } = await annAndBobOnAnnsBoard();
    const deal = readColumns(annBoard.doc).get(stages[0].id)![0];

    moveDeal(annBoard.doc, deal.id, stages[3].id, 0);
    await eventually(() => expect(readDeal(bobBoard.doc, deal.id)?.stageId).toBe(stages[3].id));

    const added = addDeal(bobBoard.doc, stages[1].id, { title: 'Added by Bob', value: 1234 });
    await eventually(() => expect(readDeal(annBoard.doc, added)?.title).toBe('Added by Bob'));

    updateDeal(annBoard.doc, added, { value: 4321 });
    await eventually(() => expect(readDeal(bobBoard.doc, added)?.value).toBe(4321));
  });

  it('both dragging the same card at the same moment leaves one card in one column', async () => {
    const { annBoard, bobBoard, stages } = await annAndBobOnAnnsBoard();
    const deal = readColumns(annBoard.doc).get(stages[1].id)![0];
    moveDeal(annBoard.doc, deal.id, stages[2].id, 0);
    moveDeal(bobBoard.doc, deal.id, stages[4].id, 1);
    const placement = (doc: typeof annBoard.doc) =>
      [...readColumns(doc)].flatMap(([stageId, deals]) => deals.filter((candidate) => candidate.id === deal.id).map(() => stageId));
    await eventually(() => {
      expect(placement(annBoard.doc)).toHaveLength(1);
      expect(placement(bobBoard.doc)).toEqual(placement(annBoard.doc));
      expect(readDeal(bobBoard.doc, deal.id)).toEqual(readDeal(annBoard.doc, deal.id));
    });
    expect(readDeals(annBoard.doc).length).toBe(readDeals(bobBoard.doc).length);
  });

  it('refuses an upgrade without a session with 401, before any Yjs message', async () => {
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(ann.pipelineId)}`)).toBe(401);
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(ann.pipelineId)}`, { authorization: 'Bearer lanes_notatoken' })).toBe(401);
  });

  it('refuses a room of another workspace with 403', async () => {
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(ann.pipelineId)}`, { authorization: `Bearer ${outsider.token}` })).toBe(403);
    expect(await upgradeStatus(`${server.wsUrl}/${contactsRoom(ann.workspaceId)}`, { authorization: `Bearer ${outsider.token}` })).toBe(403);
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(outsider.pipelineId)}`, { authorization: `Bearer ${outsider.token}` })).toBe(101);
  });

  it('accepts a browser session cookie from its own origin and refuses it from another site', async () => {
    const room = `${server.wsUrl}/${boardRoom(ann.pipelineId)}`;
    expect(await upgradeStatus(room, { cookie: ann.cookie, origin: server.url })).toBe(101);
    expect(await upgradeStatus(room, { cookie: ann.cookie, origin: 'http://evil.example' })).toBe(403);
  });

  it('keeps every edit across a kill -9 and restart', async () => {
    const writer = connect(boardRoom(ann.pipelineId), ann);
    await writer.synced;
    const stages = readStages(writer.doc);
    const titles = Array.from({ length: 20 }, (_, i) => `Crash-proof deal ${i}`);
    const ids = titles.map((title, i) => addDeal(writer.doc, stages[i % 5].id, { title, value: i }));
    moveDeal(writer.doc, ids[0], stages[6].id, 0);
    updateDeal(writer.doc, ids[1], { tags: ['survivor'] });
    const before = JSON.stringify([...readColumns(writer.doc)]);
    // Wait until the server holds every edit (a second client sees them) and has stored them (nothing pending):
    // a fixed pause is too short on a busy machine.
    const watcher = connect(boardRoom(ann.pipelineId), bob);
    await eventually(() => expect(JSON.stringify([...readColumns(watcher.doc)])).toBe(before), 20_000);
    await eventually(async () => expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBe(0), 20_000);
    watcher.destroy();
    writer.destroy();

    await server.kill();
    await server.start();

    const reader = connect(boardRoom(ann.pipelineId), bob);
    await reader.synced;
    expect(JSON.stringify([...readColumns(reader.doc)])).toBe(before);
    expect(readDeal(reader.doc, ids[0])?.stageId).toBe(stages[6].id);
    expect(readDeal(reader.doc, ids[1])?.tags).toEqual(['survivor']);
  });

  it('stores pending updates and exits 0 on Ctrl-C (SIGINT), then serves them after restart', async () => {
    const writer = connect(boardRoom(ann.pipelineId), ann);
    await writer.synced;
    const stage = readStages(writer.doc)[2].id;
    const id = addDeal(writer.doc, stage, { title: 'Written just before Ctrl-C' });
    await eventually(() => expect(writer.provider.wsconnected).toBe(true));
    await wait(20);
    expect(await server.stop('SIGINT')).toBe(0);
    writer.destroy();
    await server.start();
    const reader = connect(boardRoom(ann.pipelineId), ann);
    await reader.synced;
    expect(readDeal(reader.doc, id)?.stageId).toBe(stage);
  });
});
