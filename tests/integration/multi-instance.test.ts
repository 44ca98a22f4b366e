import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, readColumns, readMeta, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { openDb, type Db } from '../../server/store/db.ts';
import { loadRoomState } from '../../server/store/update-log.ts';
import { api, connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { Haproxy } from '../support/haproxy.ts';
import { MailFolder, mailboxes } from '../support/mail.ts';
import { freePort, pgliteStorage, postgresStorage, ServerProcess, type Storage } from '../support/server-process.ts';
import { missingForInstances } from '../support/redis.ts';


const redisUrl = process.env.REDIS_URL;
const databaseUrl = process.env.DATABASE_URL;
const missing = await missingForInstances('several instances', [!Haproxy.available() && 'haproxy is not installed (apt-get install haproxy)']);

type Client = ReturnType<typeof connectClient> & { closes: number[] };

describe('several instances need one shared Postgres', () => {
  it('refuses to start with REDIS_URL but no DATABASE_URL, and says why', async () => {
    const storage = pgliteStorage();
    try {
      const started = ServerProcess.start(storage, { REDIS_URL: 'redis://127.0.0.1:6379' });
      await expect(started).rejects.toThrow(/exited with 2[\s\S]*REDIS_URL is set but DATABASE_URL is not: several instances need one shared Postgres/);
    } finally {
      await storage.dispose();
    }
  });
});

/** Deal ids as the board lists them, across all columns (an id listed twice appears twice). */
const listedIds = (doc: Y.Doc) => [...readColumns(doc).values()].flatMap((column) => column.map((deal) => deal.id));
const gauge = async (server: ServerProcess, name: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? NaN);
};

describe.skipIf(missing.length > 0)('several instances behind HAProxy, sharing Postgres and Redis', () => {
  let storage: Storage;
  let db: Db;
  let a: ServerProcess;
  let b: ServerProcess;
  let balancer: Haproxy;
  const clients: Client[] = [];

  const connect = (wsUrl: string, room: string, auth: { token?: string; cookie?: string; origin?: string }): Client => {
    const client = connectClient(wsUrl, room, auth);
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closes.push(event.code);
    });
    clients.push({ ...client, closes });
    return { ...client, closes };
  };
  const storedRows = async (room: string) => Number((await db.query<{ count: number }>('SELECT count(*)::int AS count FROM doc_updates WHERE room = $1', [room]))[0].count);
  const storedDoc = async (room: string) => {
    const doc = new Y.Doc();
    const state = await loadRoomState(db, room);
    if (state) Y.applyUpdate(doc, state);
    return doc;
  };

  beforeAll(async () => {
    storage = await postgresStorage(databaseUrl!);
    // A channel prefix of this run's own, so parallel runs on one Redis never hear each other.
    const env = { REDIS_URL: redisUrl!, REDIS_PREFIX: `lanes-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`, ROOM_UNLOAD_MS: '500' };
    // One mail folder for both: a signup through the balancer may be confirmed by either instance.
    const mail = MailFolder.temporary();
    a = await ServerProcess.start(storage, { ...env, MAIL_DIR: mail.dir }, { mailbox: mail });
    b = await ServerProcess.start(storage, { ...env, MAIL_DIR: mail.dir }, { mailbox: mail });
    for (const server of [a, b]) {
      // Ready, and no warning: both of its Redis connections are up.
      await eventually(async () => expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' }), 20_000);
    }
    balancer = await Haproxy.start(await freePort(), [
      { name: 'a', port: a.port },
      { name: 'b', port: b.port }
    ]);
    mailboxes.set(balancer.url, mail);
    db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' });
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    balancer?.stop();
    await a?.stop();
    await b?.stop();
    await db?.close();
    await storage?.dispose();
  });

  it('a client on A and one on B converge, and every edit is stored once, by the instance that accepted it', async () => {
    const admin = await signUp(a.url, 'Ada');
    const room = boardRoom(admin.pipelineId);
    const onA = connect(a.wsUrl, room, { token: admin.token });
    const onB = connect(b.wsUrl, room, { token: admin.token });
    await Promise.all([onA.synced, onB.synced]);
    const rowsBefore = await storedRows(room);
    const edits = 25;
    const stage = readStages(onA.doc)[0].id;
    for (let i = 0; i < edits; i++) {
      addDeal(onA.doc, stage, { title: `From A ${i}` }, { id: `a-${i}` });
      addDeal(onB.doc, stage, { title: `From B ${i}` }, { id: `b-${i}` });
    }
    await eventually(() => {
      for (const client of [onA, onB]) {
        const ids = listedIds(client.doc);
        for (let i = 0; i < edits; i++) expect(ids).toEqual(expect.arrayContaining([`a-${i}`, `b-${i}`]));
      }
      expect(Y.encodeStateVector(onA.doc)).toEqual(Y.encodeStateVector(onB.doc));
      expect(listedIds(onA.doc)).toEqual(listedIds(onB.doc));
    }, 20_000);
    // Both writers idle: had either stored what the other relayed, its rows would be there now.
    await eventually(async () => {
      expect(await gauge(a, 'lanes_pending_writes')).toBe(0);
      expect(await gauge(b, 'lanes_pending_writes')).toBe(0);
    });
    expect(await storedRows(room)).toBe(rowsBefore + 2 * edits);
    const stored = listedIds(await storedDoc(room));
    expect(stored.filter((id) => /^[ab]-/.test(id)).sort()).toEqual([...Array.from({ length: edits }, (_, i) => [`a-${i}`, `b-${i}`]).flat()].sort());
  });

  it('presence set on A reaches a client on B, one that opens the room on B later too, and leaves with it', async () => {
    const admin = await signUp(a.url, 'Pat');
    const room = boardRoom(admin.pipelineId);
    const onA = connect(a.wsUrl, room, { token: admin.token });
    const alsoOnA = connect(a.wsUrl, room, { token: admin.token });
    await Promise.all([onA.synced, alsoOnA.synced]);
    onA.provider.awareness.setLocalStateField('openDeal', 'deal-42');
    const seenBy = (client: Client) => [...client.provider.awareness.getStates().entries()].find(([id]) => id === onA.doc.clientID)?.[1];
    await eventually(() => expect(seenBy(alsoOnA)).toMatchObject({ openDeal: 'deal-42' }), 10_000);
    // B opens the room now: it asks who is there, rather than waiting for A's client to renew its state (every 15 s).
    const onB = connect(b.wsUrl, room, { token: admin.token });
    await onB.synced;
    await eventually(() => expect(seenBy(onB)).toMatchObject({ openDeal: 'deal-42', user: { id: admin.userId } }), 8_000);
    onA.provider.awareness.setLocalStateField('openDeal', 'deal-43');
    await eventually(() => expect(seenBy(onB)).toMatchObject({ openDeal: 'deal-43' }), 10_000);
    onA.destroy();
    await eventually(() => expect(seenBy(onB)).toBeUndefined(), 10_000);
  });

  it('a rename made through A (a server write into the doc) reaches a board open on B', async () => {
    const admin = await signUp(a.url, 'Rena');
    const room = boardRoom(admin.pipelineId);
    const onB = connect(b.wsUrl, room, { token: admin.token });
    await onB.synced;
    const path = `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`;
    expect((await api(a.url, path, { method: 'PATCH', body: { name: 'Renamed on A' }, cookie: admin.cookie })).status).toBe(200);
    await eventually(() => expect(readMeta(onB.doc).name).toBe('Renamed on A'), 10_000);
  });

  it('a role change and a sign-out made on A reach the member’s sockets on B', async () => {
    const admin = await signUp(a.url, 'Ines');
    const rep = await signUpColleague(a.url, admin, 'Ray', 'sales');
    const room = boardRoom(admin.pipelineId);
    const adminOnA = connect(a.wsUrl, room, { token: admin.token });
    const repOnB = connect(b.wsUrl, room, { token: rep.token });
    const repBrowserOnB = connect(b.wsUrl, room, { cookie: rep.cookie, origin: b.url });
    await Promise.all([adminOnA.synced, repOnB.synced, repBrowserOnB.synced]);
    const stage = readStages(repOnB.doc)[0].id;
    addDeal(repOnB.doc, stage, { title: 'Before the demotion' }, { id: 'before' });
    await eventually(() => expect(listedIds(adminOnA.doc)).toContain('before'), 10_000);

    const demoted = await api(a.url, `/api/workspaces/${admin.workspaceId}/members/${rep.userId}`, { method: 'PATCH', body: { role: 'viewer' }, cookie: admin.cookie });
    expect(demoted.json.role).toBe('viewer');
    // B learns it without any request reaching B (within milliseconds, not within the PATCH): an edit the rep makes
    // there once it has is refused as a viewer's, and is never stored.
    let refused = '';
    await eventually(async () => {
      refused = `after-${Math.random()}`;
      addDeal(repOnB.doc, stage, { title: 'After the demotion' }, { id: refused });
      expect(repOnB.closes).toContain(4403);
    }, 10_000);
    await eventually(async () => expect(await gauge(b, 'lanes_pending_writes')).toBe(0));
    expect(listedIds(await storedDoc(room))).not.toContain(refused);

    const out = await api(a.url, '/api/auth/logout-everywhere', { method: 'POST', cookie: rep.cookie });
    expect(out.status).toBe(200);
    await eventually(() => expect(repBrowserOnB.closes).toContain(4401), 10_000);
  });

  it('kill -9 of the instance a client edits through: it reconnects through the balancer to the other, and every edit is stored once', async () => {
    // Only this test's socket counts in the gauges below.
    clients.splice(0).forEach((client) => client.destroy());
    await eventually(async () => expect((await gauge(a, 'lanes_connections')) + (await gauge(b, 'lanes_connections'))).toBe(0), 10_000);
    const admin = await signUp(balancer.url, 'Kim');
    const room = boardRoom(admin.pipelineId);
    const client = connect(balancer.wsUrl, room, { token: admin.token });
    await client.synced;
    const sampleDeals = listedIds(client.doc).length;
    const holder = (await gauge(a, 'lanes_connections')) > 0 ? a : b;
    const survivor = holder === a ? b : a;
    expect(await gauge(holder, 'lanes_connections')).toBe(1);
    // A colleague on the other instance keeps the room loaded there: it holds what the relay brought, stored or not.
    const colleague = connect(survivor.wsUrl, room, { token: admin.token });
    await colleague.synced;

    const created: string[] = [];
    const stage = readStages(client.doc)[0].id;
    const editor = setInterval(() => {
      const id = `kill-${created.length}`;
      addDeal(client.doc, stage, { title: `Deal ${created.length}` }, { id });
      created.push(id);
    }, 5);
    try {
      await eventually(() => expect(created.length).toBeGreaterThanOrEqual(60), 10_000);
      await holder.kill();
      const atKill = created.length;
      // The stream goes on while the client is cut off, and after it is back (through the balancer, on the survivor).
      await eventually(() => expect(client.provider.wsconnected && created.length > atKill + 60).toBe(true), 30_000);
      await eventually(async () => expect(await gauge(survivor, 'lanes_connections')).toBe(2), 10_000);
    } finally {
      clearInterval(editor);
    }

    await eventually(async () => {
      const stored = listedIds(await storedDoc(room));
      expect(stored.filter((id) => id.startsWith('kill-')).sort()).toEqual([...created].sort());
      expect(stored).toHaveLength(sampleDeals + created.length);
    }, 30_000);
    await eventually(() => expect(listedIds(colleague.doc)).toHaveLength(sampleDeals + created.length), 10_000);
    const fresh = connect(survivor.wsUrl, room, { token: admin.token });
    await fresh.synced;
    expect(listedIds(fresh.doc)).toHaveLength(sampleDeals + created.length);
    await holder.start();
  });
});
