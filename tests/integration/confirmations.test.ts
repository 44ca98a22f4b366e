import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { addDeal, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { openPostgres } from '../../server/store/db.ts';
import { loadRoomState } from '../../server/store/update-log.ts';
import { encodeSyncStep1 } from '../../server/sync/protocol.ts';
import { postgresStorage, ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { api, connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { clockAfter, connectConfirmingClient } from '../support/confirming-client.ts';
import { scrapeMetrics } from '../support/metrics.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newDeal = (doc: Y.Doc, title: string) => addDeal(doc, readStages(doc)[0].id, { title, value: 1000, currency: 'EUR' });
const titles = (doc: Y.Doc) => readDeals(doc).map((deal) => deal.title);

/** A bare socket speaking as a stock client does (no opt-in): records the outer type of every message it receives. */
function stockSocket(wsUrl: string, room: string, token: string) {
  const types: number[] = [];
  const socket = new WebSocket(`${wsUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
  socket.binaryType = 'nodebuffer';
  socket.on('message', (data: Buffer) => types.push(decoding.readVarUint(decoding.createDecoder(new Uint8Array(data)))));
  const opened = new Promise<void>((resolve) => socket.once('open', () => resolve()));
  void opened.then(() => socket.send(encodeSyncStep1(new Y.Doc())));
  return { types, opened, close: () => socket.close() };
}

describe.each(storageKinds)('what the server confirms as saved, and access changes, on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  const clients: Array<{ destroy(): void }> = [];
  const confirming = (account: Account) => {
    const client = connectConfirmingClient(server.wsUrl, boardRoom(ann.pipelineId), { token: account.token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage);
    ann = await signUp(server.url, 'Ann');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('tells an opted-in client the stored state on join and after each commit; a stock client gets only y-websocket messages', async () => {
    const board = confirming(ann);
    const stock = stockSocket(server.wsUrl, boardRoom(ann.pipelineId), ann.token);
    await Promise.all([board.synced, stock.opened]);
    await eventually(() => expect(board.storedMessages).toBeGreaterThan(0));
    expect(board.access).toEqual([{ readOnly: false, role: 'admin' }]);
    // Everything the doc held on join came from the database (the sample deals).
    const atJoin = Y.decodeStateVector(Y.encodeStateVector(board.doc));
    for (const [client, clock] of atJoin) if (client !== board.doc.clientID) expect(board.stored.get(client)).toBe(clock);

    const clocks = [1, 2, 3].map((n) => clockAfter(board.doc, () => newDeal(board.doc, `Stored ${n}`)));
    await eventually(() => expect(board.isStored(clocks.at(-1)!)).toBe(true));
    expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBe(0);

    await wait(300);
    stock.close();
    expect(stock.types.length).toBeGreaterThan(0);
    expect(new Set(stock.types)).toEqual(new Set(stock.types.filter((type) => type <= 3)));
  });

  it('tells an open board at once when its role changes, and the new right holds on that very socket', async () => {
    const bob = await signUpColleague(server.url, ann, 'Bob');
    const board = confirming(bob);
    const stockBoard = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: bob.token });
    clients.push(stockBoard);
    await Promise.all([board.synced, stockBoard.synced]);
    await eventually(() => expect(board.access).toEqual([{ readOnly: false, role: 'sales' }]));

    const member = `/api/workspaces/${ann.workspaceId}/members/${bob.userId}`;
    const demotedAt = Date.now();
    expect((await api(server.url, member, { method: 'PATCH', body: { role: 'viewer' }, cookie: ann.cookie })).status).toBe(200);
    await eventually(() => expect(board.access.at(-1)).toEqual({ readOnly: true, role: 'viewer' }), 2_000);
    console.log(`[access] viewer role reached the open socket ${Date.now() - demotedAt} ms after the PATCH was sent`);
    // A re-check that changes nothing sends nothing.
    await api(server.url, `/api/workspaces/${ann.workspaceId}/pipelines/${ann.pipelineId}`, { method: 'PATCH', body: { allowedRoles: null }, cookie: ann.cookie });
    await wait(200);
    expect(board.access).toHaveLength(2);

    const closes: number[] = [];
    board.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    newDeal(board.doc, 'Typed while a viewer');
    await eventually(() => expect(closes).toContain(4403));

    expect((await api(server.url, member, { method: 'PATCH', body: { role: 'sales' }, cookie: ann.cookie })).status).toBe(200);
    const again = confirming(bob);
    await again.synced;
    await eventually(() => expect(again.access).toEqual([{ readOnly: false, role: 'sales' }]));
    expect(titles(again.doc)).not.toContain('Typed while a viewer');
    // The stock client was never sent an access message and was not disturbed by any of it.
    expect(stockBoard.provider.wsconnected).toBe(true);
  });
});

const databaseUrl = process.env.DATABASE_URL;

/** The database stops answering (a TCP proxy in front of Postgres is cut): edits still sync live, none is confirmed. */
describe.skipIf(!databaseUrl)('confirmations wait for the database, on Postgres behind a cut proxy', () => {
  let storage: Storage;
  let proxy: TcpProxy;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    storage = await postgresStorage(databaseUrl!);
    const direct = new URL(storage.env.DATABASE_URL);
    proxy = await new TcpProxy(direct.hostname, Number(direct.port || 5432)).start();
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    server = await ServerProcess.start({ ...storage, env: { DATABASE_URL: proxied.toString() } });
    ann = await signUp(server.url, 'Ann');
    bob = await signUpColleague(server.url, ann, 'Bob');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    proxy?.restore();
    await server?.stop();
    await proxy?.close();
    await storage?.dispose();
  });

  it('confirms an edit only after its row is committed, not when the server merely holds it', async () => {
    const room = boardRoom(ann.pipelineId);
    const annBoard = connectConfirmingClient(server.wsUrl, room, { token: ann.token });
    const bobBoard = connectClient(server.wsUrl, room, { token: bob.token });
    clients.push(annBoard, bobBoard);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    await eventually(() => expect(annBoard.storedMessages).toBeGreaterThan(0));

    proxy.cutOff();
    const clock = clockAfter(annBoard.doc, () => newDeal(annBoard.doc, 'Made while the database is away'));
    // Accepted: the server broadcast it to a colleague ...
    await eventually(() => expect(titles(bobBoard.doc)).toContain('Made while the database is away'));
    await eventually(async () => expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBeGreaterThan(0));
    // ... but not stored, so not confirmed.
    await wait(1_500);
    expect(annBoard.isStored(clock)).toBe(false);

    proxy.restore();
    const restoredAt = Date.now();
    await eventually(() => expect(annBoard.isStored(clock)).toBe(true), 20_000);
    console.log(`[confirm] confirmed ${Date.now() - restoredAt} ms after the database came back`);
    const db = await openPostgres(storage.env.DATABASE_URL);
    try {
      const stored = new Y.Doc();
      Y.applyUpdate(stored, (await loadRoomState(db, room))!);
      expect(titles(stored)).toContain('Made while the database is away');
    } finally {
      await db.close();
    }
  });
});
