import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, readColumns, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { connectClient, eventually, signUp } from '../support/clients.ts';
import { postgresStorage, ServerProcess, type Storage } from '../support/server-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { missingForInstances } from '../support/redis.ts';

const redisUrl = process.env.REDIS_URL;
const databaseUrl = process.env.DATABASE_URL;


const missing = await missingForInstances('Redis outage');

const listedIds = (doc: Y.Doc) => [...readColumns(doc).values()].flatMap((column) => column.map((deal) => deal.id));
const readyz = async (server: ServerProcess) => {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; warnings?: string[] } };
};

describe.skipIf(missing.length > 0)('Redis away from one of two instances', () => {
  let storage: Storage;
  let proxy: TcpProxy;
  let a: ServerProcess;
  let b: ServerProcess;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    storage = await postgresStorage(databaseUrl!);
    const { hostname, port } = new URL(redisUrl!);
    // A reaches Redis through a proxy the test can cut; B directly.
    proxy = await new TcpProxy(hostname, Number(port || 6379)).start();
    const prefix = `lanes-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}:`;
    a = await ServerProcess.start(storage, { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_PREFIX: prefix });
    b = await ServerProcess.start(storage, { REDIS_URL: redisUrl!, REDIS_PREFIX: prefix });
    for (const server of [a, b]) await eventually(async () => expect((await readyz(server)).body).toEqual({ status: 'ready' }), 20_000);
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await storage?.dispose();
  });

  it('keeps serving its own clients, says so in its log and on /readyz, and both sides catch up once Redis is back', async () => {
    const admin = await signUp(a.url, 'Olga');
    const room = boardRoom(admin.pipelineId);
    const open = (server: ServerProcess) => {
      const client = connectClient(server.wsUrl, room, { token: admin.token });
      clients.push(client);
      return client;
    };
    const [onA, alsoOnA, onB] = [open(a), open(a), open(b)];
    await Promise.all([onA.synced, alsoOnA.synced, onB.synced]);
    const stage = readStages(onA.doc)[0].id;

    proxy.cutOff();
    await eventually(async () => {
      const ready = await readyz(a);
      // Still ready (a balancer keeps it), with the reason.
      expect(ready.status).toBe(200);
      expect(ready.body.warnings?.[0]).toMatch(/^redis: other instances unreachable since .*; clients here keep working$/);
    }, 20_000);
    expect(a.output).toContain('redis unavailable');

    addDeal(onA.doc, stage, { title: 'Made on A while Redis was away' }, { id: 'during-a' });
    addDeal(onB.doc, stage, { title: 'Made on B while Redis was away' }, { id: 'during-b' });
    await eventually(() => expect(listedIds(alsoOnA.doc)).toContain('during-a'), 10_000);
    // Nothing carries it to B meanwhile.
    expect(listedIds(onB.doc)).not.toContain('during-a');
    expect(listedIds(alsoOnA.doc)).not.toContain('during-b');

    proxy.restore();
    await eventually(async () => expect((await readyz(a)).body).toEqual({ status: 'ready' }), 20_000);
    await eventually(() => {
      for (const client of [onA, alsoOnA, onB]) expect(listedIds(client.doc)).toEqual(expect.arrayContaining(['during-a', 'during-b']));
    }, 20_000);
    for (const client of [onA, alsoOnA, onB]) expect(listedIds(client.doc).filter((id) => id.startsWith('during-'))).toHaveLength(2);
    expect(a.output).toContain('redis connected');
  });
});
