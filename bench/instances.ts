/**
 * `npm run bench:instances`: Lanes on one instance and on two instances (Redis relay, one shared Postgres), driven by
 * stock y-websocket clients in this process.
 *
 * - Throughput: ROOMS rooms, each with WRITERS writers and READERS readers; every writer edits a deal's value at a
 *   fixed pace, offered load in steps. "Delivered" counts (edit, receiving client) pairs: an edit that reaches the 9
 *   other clients of its room counts 9. On two instances each room's clients are split between them, so every edit
 *   crosses instances for half its readers. Counted from the clients' state vectors, so the relay's merged batches
 *   count every edit they carry.
 * - Latency: one writer and one reader in a quiet room, edit → reader's doc has it, on one instance (both clients on
 *   it) and across two (writer on A, reader on B).
 *
 * Needs DATABASE_URL and REDIS_URL (the machine's Postgres and Redis). Prints a markdown table and writes JSON to
 * bench/results/instances-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { addDeal, readDeal, readStages, updateDeal } from '../shared/board-doc.ts';
import { boardRoom } from '../shared/rooms.ts';
import { connectClient, signUp } from '../tests/support/clients.ts';
import { postgresStorage, ServerProcess, type Storage } from '../tests/support/server-process.ts';

const ROOMS = 4;
const WRITERS = 2;
const READERS = 8;
const OFFERED_EDITS_PER_SECOND = [100, 200, 400, 800];
const STEP_MS = 5_000;
const DRAIN_MS = 3_000;
const LATENCY_SAMPLES = 200;

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.error('bench:instances needs DATABASE_URL and REDIS_URL (e.g. postgres://postgres@127.0.0.1:5432/test and redis://127.0.0.1:6379)');
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Client = ReturnType<typeof connectClient>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function startInstances(storage: Storage, count: number): Promise<ServerProcess[]> {
  const env: Record<string, string> = count > 1 ? { REDIS_URL: redisUrl!, REDIS_PREFIX: `lanes-bench-${process.pid}-${Date.now()}:` } : {};
  const servers: ServerProcess[] = [];
  for (let i = 0; i < count; i++) servers.push(await ServerProcess.start(storage, env));
  for (const server of servers) {
    for (;;) {
      const body = await (await fetch(`${server.url}/readyz`)).json();
      if (body.status === 'ready' && !body.warnings) break;
      await sleep(100);
    }
  }
  return servers;
}

interface Step {
  offered: number;
  delivered: number;
  /** Share of the deliveries owed by the end of the step that had arrived by then. */
  onTime: number;
  /** Had everything arrived DRAIN_MS after the step? */
  drained: boolean;
  /** Server CPU (all instances together, less their idle use) per delivery, from the step's start until everything arrived. */
  cpuMicrosPerDelivery: number;
}

/** CPU seconds the server processes used so far (prom-client's process metric). */
async function serverCpuSeconds(servers: ServerProcess[]): Promise<number> {
  let total = 0;
  for (const server of servers) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    total += Number(text.match(/^process_cpu_seconds_total (\S+)/m)?.[1] ?? NaN);
  }
  return total;
}

/** How each room's clients are spread: all on one instance per room (sticky balancing), or alternating. */
type Placement = 'split' | 'sticky';

async function throughput(servers: ServerProcess[], placement: Placement): Promise<Step[]> {
  const rooms: Array<{ writers: Client[]; readers: Client[]; dealId: string }> = [];
  for (let r = 0; r < ROOMS; r++) {
    const account = await signUp(servers[0].url, `Bench${r}`);
    const room = boardRoom(account.pipelineId);
    // Split: clients alternate between instances, so half of each room's readers are across the relay from each
    // writer. Sticky: every client of a room on one instance, rooms spread over the instances.
    let next = placement === 'sticky' ? r : 0;
    const step = placement === 'sticky' ? 0 : 1;
    const open = () => {
      const server = servers[next % servers.length];
      next += step;
      return connectClient(server.wsUrl, room, { token: account.token });
    };
    const writers = Array.from({ length: WRITERS }, open);
    const readers = Array.from({ length: READERS }, open);
    await Promise.all([...writers, ...readers].map((client) => client.synced));
    const dealId = addDeal(writers[0].doc, readStages(writers[0].doc)[0].id, { title: 'Throughput deal' });
    rooms.push({ writers, readers, dealId });
  }
  // What the servers burn with these clients connected and nobody editing (timers, GC, metrics), per second: taken
  // off each step's CPU, so the figure is the cost of delivering edits.
  const idleFrom = await serverCpuSeconds(servers);
  const idleStarted = performance.now();
  await sleep(3_000);
  const idlePerSecond = ((await serverCpuSeconds(servers)) - idleFrom) / ((performance.now() - idleStarted) / 1000);
  const everyone = (room: (typeof rooms)[number]) => [...room.writers, ...room.readers];
  /** Clock units each writer's edits advanced, as its own doc and as every other client of its room has them. */
  const clocks = () =>
    rooms.flatMap((room) =>
      room.writers.map((writer) => {
        const id = writer.doc.clientID;
        const own = Y.getState(writer.doc.store, id);
        const others = everyone(room).filter((client) => client !== writer).map((client) => Y.getState(client.doc.store, id));
        return { own, others };
      })
    );
  const steps: Step[] = [];
  let value = 0;
  for (const offered of OFFERED_EDITS_PER_SECOND) {
    const perWriter = offered / (ROOMS * WRITERS);
    const before = clocks();
    const cpuBefore = await serverCpuSeconds(servers);
    const cpuFrom = performance.now();
    let edits = 0;
    const started = performance.now();
    // Paced by the clock, not by timer ticks (which run late in a busy process): each tick catches up.
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * perWriter) - edits;
      for (let n = 0; n < due; n++) {
        for (const room of rooms) for (const writer of room.writers) updateDeal(writer.doc, room.dealId, { value: ++value });
        edits++;
      }
    }, 10);
    await sleep(STEP_MS);
    clearInterval(timer);
    const seconds = (performance.now() - started) / 1000;
    const atEnd = clocks();
    const deliveredBy = (now: typeof atEnd) =>
      now.reduce((sum, writer, index) => {
        const editClock = (writer.own - before[index].own) / Math.max(1, edits);
        return sum + writer.others.reduce((inner, clock, other) => inner + (clock - before[index].others[other]) / editClock, 0);
      }, 0);
    const owedDeliveries = edits * ROOMS * WRITERS * (WRITERS + READERS - 1);
    const delivered = deliveredBy(atEnd);
    let drained = false;
    for (const deadline = Date.now() + DRAIN_MS; Date.now() < deadline; ) {
      const now = clocks();
      if (now.every((writer) => writer.others.every((clock) => clock >= writer.own))) {
        drained = true;
        break;
      }
      await sleep(50);
    }
    const cpu = (await serverCpuSeconds(servers)) - cpuBefore - (idlePerSecond * (performance.now() - cpuFrom)) / 1000;
    const cpuMicrosPerDelivery = (cpu * 1e6) / deliveredBy(clocks());
    console.log(`  offered ${offered} edits/s: delivered ${Math.round(delivered / seconds)}/s, on time ${(100 * delivered / owedDeliveries).toFixed(1)}%, drained ${drained}, server CPU ${cpuMicrosPerDelivery.toFixed(1)} µs per delivery`);
    steps.push({ offered: (edits * ROOMS * WRITERS) / seconds, delivered: delivered / seconds, onTime: delivered / owedDeliveries, drained, cpuMicrosPerDelivery });
  }
  for (const room of rooms) everyone(room).forEach((client) => client.destroy());
  return steps;
}

async function latency(writerServer: ServerProcess, readerServer: ServerProcess): Promise<{ p50: number; p95: number; max: number }> {
  const account = await signUp(writerServer.url, 'Latency');
  const room = boardRoom(account.pipelineId);
  const writer = connectClient(writerServer.wsUrl, room, { token: account.token });
  const reader = connectClient(readerServer.wsUrl, room, { token: account.token });
  await Promise.all([writer.synced, reader.synced]);
  const dealId = addDeal(writer.doc, readStages(writer.doc)[0].id, { title: 'Latency deal' });
  await sleep(500);
  const samples: number[] = [];
  for (let i = 1; i <= LATENCY_SAMPLES; i++) {
    const arrived = new Promise<void>((resolve) => {
      const check = () => {
        if (readDeal(reader.doc, dealId)?.value === i) {
          reader.doc.off('update', check);
          resolve();
        }
      };
      reader.doc.on('update', check);
    });
    const started = performance.now();
    updateDeal(writer.doc, dealId, { value: i });
    await arrived;
    samples.push(performance.now() - started);
    await sleep(20);
  }
  writer.destroy();
  reader.destroy();
  const sorted = samples.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

const results: Record<string, unknown> = { at: new Date().toISOString(), rooms: ROOMS, writers: WRITERS, readers: READERS, stepMs: STEP_MS };
const tables: string[] = [];
const configurations: Array<{ label: string; count: number; placement: Placement }> = [
  { label: '1 instance', count: 1, placement: 'split' },
  { label: '2 instances, each room on one (sticky)', count: 2, placement: 'sticky' },
  { label: '2 instances, each room split across both', count: 2, placement: 'split' }
];
for (const { label, count, placement } of configurations) {
  const storage = await postgresStorage(databaseUrl);
  const servers = await startInstances(storage, count);
  try {
    console.log(`${label}: latency…`);
    const lat = await latency(servers[0], servers[count - 1]);
    console.log(`${label}: edit → other client p50 ${lat.p50.toFixed(1)} ms, p95 ${lat.p95.toFixed(1)} ms; throughput…`);
    const steps = await throughput(servers, placement);
    results[label] = { latency: lat, steps };
    const drained = steps.filter((step) => step.drained);
    const cpu = drained.length ? Math.min(...drained.map((step) => step.cpuMicrosPerDelivery)) : NaN;
    tables.push(
      `| ${label} | ${lat.p50.toFixed(1)} / ${lat.p95.toFixed(1)} ms | ${steps.map((step) => `${Math.round(step.offered)} → ${Math.round(step.delivered)}${step.drained ? '' : ' (backlog)'}`).join(' · ')} | ${cpu.toFixed(0)} µs | ${Math.round(1e6 / cpu)} |`
    );
  } finally {
    for (const server of servers) await server.stop();
    await storage.dispose();
  }
}

console.log(`\nload average while measuring: ${loadavg().map((value) => value.toFixed(1)).join(' / ')} on ${cpus().length} cores (the machine is shared)`);
console.log(`\n${ROOMS} rooms × (${WRITERS} writers + ${READERS} readers), offered ${OFFERED_EDITS_PER_SECOND.join(' / ')} edits/s for ${STEP_MS / 1000} s each\n`);
console.log('| instances | edit → other client p50 / p95 (writer on A, reader on B with 2) | edits/s made → delivered per s, each step | server CPU per delivery (all instances) | deliveries per server CPU-second |');
console.log('|---|---|---|---|---|');
for (const line of tables) console.log(line);
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
const file = join(import.meta.dirname, 'results', `instances-${Date.now()}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\n${file}`);
// Stock clients leave timers behind after destroy: the run is over.
process.exit(0);
