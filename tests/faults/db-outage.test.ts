import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDeal, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { postgresStorage, ServerProcess, type Storage } from '../support/server-process.ts';
import { connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { scrapeMetrics } from '../support/metrics.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) console.warn('DATABASE_URL is not set: the Postgres outage tests are skipped (they cut a TCP proxy in front of a real Postgres).');

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readyStatus = async (baseUrl: string) => (await fetch(`${baseUrl}/readyz`)).status;

/**
 * The database goes away while people edit: the board keeps syncing live, nothing accepted is lost, and storage
 * catches up by itself once the database is back. The server reaches Postgres through a proxy the test cuts.
 */
describe.skipIf(!databaseUrl)('Postgres outage', () => {
  let storage: Storage;
  let proxy: TcpProxy;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    // The database is created through the real port; only the server's traffic goes through the proxy.
    storage = await postgresStorage(databaseUrl!);
    const direct = new URL(storage.env.DATABASE_URL);
    proxy = await new TcpProxy(direct.hostname, Number(direct.port || 5432)).start();
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    server = await ServerProcess.start({ ...storage, env: { DATABASE_URL: proxied.toString() } }, { SHUTDOWN_TIMEOUT_MS: '3000' });
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

  const connect = (account: Account) => {
    const client = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: account.token });
    clients.push(client);
    return client;
  };
  const titles = (doc: Parameters<typeof readDeals>[0], prefix: string) => readDeals(doc).map((deal) => deal.title).filter((title) => title.startsWith(prefix));

  it('keeps syncing live while Postgres is away, reports unready, and stores every edit once it is back', async () => {
    const annBoard = connect(ann);
    const bobBoard = connect(bob);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    const stages = readStages(annBoard.doc).map((stage) => stage.id);
    const made: string[] = [];
    const edit = (doc: typeof annBoard.doc, who: string) => {
      const title = `Outage ${who} ${made.length}`;
      addDeal(doc, stages[made.length % stages.length], { title, value: made.length });
      made.push(title);
    };

    for (let i = 0; i < 10; i++) edit(i % 2 ? bobBoard.doc : annBoard.doc, i % 2 ? 'bob' : 'ann');
    await eventually(async () => expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBe(0));
    expect(await readyStatus(server.url)).toBe(200);
    const failuresBefore = (await scrapeMetrics(server.url)).get('lanes_write_failures_total')!;

    proxy.cutOff();
    const cutAt = Date.now();
    let peakPending = 0;
    let sawUnready = false;
    while (Date.now() - cutAt < 3_000) {
      edit(annBoard.doc, 'ann');
      edit(bobBoard.doc, 'bob');
      await wait(50);
      if (made.length % 10 === 0) {
        peakPending = Math.max(peakPending, (await scrapeMetrics(server.url)).get('lanes_pending_writes')!);
        sawUnready ||= (await readyStatus(server.url)) === 503;
      }
    }
    // Live sync does not need the database: each side sees every edit made during the outage.
    await eventually(() => {
      expect(titles(annBoard.doc, 'Outage ')).toHaveLength(made.length);
      expect(titles(bobBoard.doc, 'Outage ')).toHaveLength(made.length);
    });
    const duringOutage = await scrapeMetrics(server.url);
    peakPending = Math.max(peakPending, duringOutage.get('lanes_pending_writes')!);
    const readyz = await fetch(`${server.url}/readyz`);
    const unready = await readyz.json();
    expect(readyz.status).toBe(503);
    expect(unready.status).toBe('unready');
    expect(unready.reasons.join(' ')).toMatch(/^database: /);
    expect(sawUnready).toBe(true);
    expect(duringOutage.get('lanes_pending_writes')).toBeGreaterThan(0);
    const failuresDuringOutage = duringOutage.get('lanes_write_failures_total')! - failuresBefore;
    expect(failuresDuringOutage).toBeGreaterThan(0);

    proxy.restore();
    const restoredAt = Date.now();
    await eventually(async () => expect(await readyStatus(server.url)).toBe(200), 15_000);
    const readyAfterMs = Date.now() - restoredAt;
    await eventually(async () => expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBe(0), 15_000);
    const storedAfterMs = Date.now() - restoredAt;

    // Only what the server stored counts: drop the editors so they cannot push their copies to the restarted server.
    annBoard.destroy();
    bobBoard.destroy();
    expect(await server.stop()).toBe(0);
    await server.start();
    const fresh = connect(ann);
    await fresh.synced;
    const found = titles(fresh.doc, 'Outage ');
    console.log(
      `[db outage] edits made: ${made.length} (${made.length - 10} while Postgres was away for ${restoredAt - cutAt} ms), ` +
        `pending at peak: ${peakPending}, write failures: ${failuresDuringOutage}, ready again after: ${readyAfterMs} ms, ` +
        `all stored after: ${storedAfterMs} ms, found after restart: ${found.length} (${new Set(found).size} distinct)`
    );
    expect(found).toHaveLength(made.length);
    expect(new Set(found)).toEqual(new Set(made));
  });

  it('SIGTERM while Postgres is away retries until SHUTDOWN_TIMEOUT_MS, then exits 1 saying how many updates were not stored', async () => {
    const annBoard = connect(ann);
    await annBoard.synced;
    proxy.cutOff();
    const stage = readStages(annBoard.doc)[0].id;
    for (let i = 0; i < 7; i++) addDeal(annBoard.doc, stage, { title: `Lost ${i}` });
    await eventually(async () => expect((await scrapeMetrics(server.url)).get('lanes_pending_writes')).toBe(7));
    const started = Date.now();
    const exitCode = await server.stop('SIGTERM');
    const tookMs = Date.now() - started;
    const line = /shutdown gave up after 3000 ms: (\d+) updates were not stored/.exec(server.output);
    console.log(`[db outage] SIGTERM with Postgres away: exit ${exitCode} after ${tookMs} ms; log: "${line?.[0]}"`);
    expect(exitCode).toBe(1);
    expect(Number(line?.[1])).toBe(7);
    expect(tookMs).toBeGreaterThanOrEqual(2_900);
    expect(tookMs).toBeLessThan(10_000);
    annBoard.destroy();
    proxy.restore();
  });
});
