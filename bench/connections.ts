/**
 * `npm run bench:connections`: what the server process costs at rest and per idle sync connection.
 *   - idle: resident memory (RSS) of the server after it started and one stock client opened one board, then idle
 *   - per connection: ROOMS boards each held open by one stock y-websocket client, then 1,000 and 5,000 clients spread
 *     over them; (memory at N − memory at ROOMS) / (N − ROOMS), as RSS and as V8 heap in use
 * The clients live in this process, the server in its own (`node dist/server/main.js` with the environment `npm start` sets; run
 * `npm run build` first, or LANES_SERVER=ts for the TypeScript sources under tsx). PGlite, or Postgres when
 * DATABASE_URL is set. CONNECTIONS=1000,5000 and ROOMS=500 override the defaults (an empty CONNECTIONS= measures the idle
 * server only); JSON goes to bench/results/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { api, connectClient, signUp, type Account } from '../tests/support/clients.ts';
import { scrapeMetrics } from '../tests/support/metrics.ts';
import { ServerProcess, pgliteStorage, postgresStorage } from '../tests/support/server-process.ts';

const COUNTS = (process.env.CONNECTIONS ?? '1000,5000').split(',').filter(Boolean).map(Number);
const ROOMS = Number(process.env.ROOMS ?? 500);
const SETTLE_MS = 8_000;
const compiled = process.env.LANES_SERVER !== 'ts';

type Client = ReturnType<typeof connectClient>;
const MB = 1024 * 1024;

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((row) => row.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Memory once the server has been left alone for a while: the lowest of a few readings (a GC may run between). */
async function settledMemory(server: ServerProcess): Promise<{ rss: number; heap: number }> {
  await sleep(SETTLE_MS);
  let rss = Infinity;
  let heap = Infinity;
  for (let i = 0; i < 5; i++) {
    rss = Math.min(rss, rssBytes(server.pid!));
    heap = Math.min(heap, (await scrapeMetrics(server.url)).get('nodejs_heap_size_used_bytes')!);
    await sleep(400);
  }
  return { rss, heap };
}

async function openClients(server: ServerProcess, account: Account, rooms: string[], from: number, to: number, into: Client[]) {
  const BATCH = 100;
  for (let start = from; start < to; start += BATCH) {
    const batch: Client[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) batch.push(connectClient(server.wsUrl, rooms[i % rooms.length], { token: account.token }));
    await Promise.all(batch.map((client) => client.synced));
    into.push(...batch);
  }
}

const storage = process.env.DATABASE_URL ? await postgresStorage(process.env.DATABASE_URL) : pgliteStorage();
const env: Record<string, string> = { ...(process.env.SERVER_ENV ? Object.fromEntries(process.env.SERVER_ENV.split(',').map((pair) => pair.split('=') as [string, string])) : {}), CREATE_RATE_LIMIT: '100000', ROOM_UNLOAD_MS: '600000' };
const results: Record<string, unknown> = { storage: storage.label, server: compiled ? 'dist/server/main.js' : 'tsx server/main.ts', at: new Date().toISOString() };
const server = await ServerProcess.start(storage, env, { compiled });
const clients: Client[] = [];

async function perConnection(server: ServerProcess, admin: Account, idle: { rss: number; heap: number }) {
  const rooms = [`board:${admin.pipelineId}`];
  while (rooms.length < ROOMS) {
    const created = await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines`, { method: 'POST', body: { name: `Board ${rooms.length}` }, cookie: admin.cookie });
    if (created.status !== 201) throw new Error(`creating a pipeline answered ${created.status} ${JSON.stringify(created.json)}`);
    rooms.push(`board:${created.json.id}`);
  }
  await openClients(server, admin, rooms, 1, ROOMS, clients);
  const base = await settledMemory(server);
  console.log(`${ROOMS} rooms, one client each: RSS ${(base.rss / MB).toFixed(1)} MB, V8 heap ${(base.heap / MB).toFixed(1)} MB`);
  const rows: Array<Record<string, number>> = [];
  for (const count of COUNTS) {
    await openClients(server, admin, rooms, clients.length, count, clients);
    const connections = (await scrapeMetrics(server.url)).get('lanes_connections')!;
    if (connections !== count) throw new Error(`the server holds ${connections} connections, expected ${count}`);
    const now = await settledMemory(server);
    const extra = count - ROOMS;
    const row = {
      connections: count,
      rssMB: +(now.rss / MB).toFixed(1),
      heapMB: +(now.heap / MB).toFixed(1),
      rssKBPerConnection: +((now.rss - base.rss) / extra / 1024).toFixed(1),
      heapKBPerConnection: +((now.heap - base.heap) / extra / 1024).toFixed(1)
    };
    rows.push(row);
    console.log(`${count} connections over ${ROOMS} rooms: RSS ${row.rssMB} MB, heap ${row.heapMB} MB; per connection ${row.rssKBPerConnection} KB RSS, ${row.heapKBPerConnection} KB heap`);
  }
  results.rooms = ROOMS;
  results.base = { rssMB: +(base.rss / MB).toFixed(1), heapMB: +(base.heap / MB).toFixed(1) };
  results.connections = rows;
  console.log('\n| connections | server RSS | V8 heap | RSS per connection | heap per connection | target |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(`| 1 (idle, one board) | ${(idle.rss / MB).toFixed(1)} MB | ${(idle.heap / MB).toFixed(1)} MB | | | RSS < 150 MB |`);
  for (const row of rows) console.log(`| ${row.connections} over ${ROOMS} rooms | ${row.rssMB} MB | ${row.heapMB} MB | ${row.rssKBPerConnection} KB | ${row.heapKBPerConnection} KB | < 20 KB |`);
}

try {
  const admin = await signUp(server.url, 'Bench');
  const first = connectClient(server.wsUrl, `board:${admin.pipelineId}`, { token: admin.token });
  await first.synced;
  clients.push(first);
  const idle = await settledMemory(server);
  results.idle = { rssMB: +(idle.rss / MB).toFixed(1), heapMB: +(idle.heap / MB).toFixed(1) };
  console.log(`idle, one board open: RSS ${(idle.rss / MB).toFixed(1)} MB, V8 heap in use ${(idle.heap / MB).toFixed(1)} MB`);
  if (COUNTS.length) await perConnection(server, admin, idle);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/connections-${storage.label.toLowerCase()}.json`, JSON.stringify(results, null, 2) + '\n');
} finally {
  for (const client of clients) client.destroy();
  await server.stop();
  await storage.dispose();
}
process.exit(0);
