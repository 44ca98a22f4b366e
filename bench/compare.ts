/**
 * The side-by-side measures of `npm run bench`, run the same way against every system (bench/systems.ts): the
 * writer and the measuring live in this process, the other stock clients in child processes (bench/client-pool.ts),
 * the server in its own. Time is the machine's monotonic clock, shared by all processes.
 */
import * as Y from 'yjs';
import { addDeal, initBoard, readDeals, readStages, updateDeal } from '../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../shared/sample-pipeline.ts';
import { writeManyDeals } from '../tests/support/big-board.ts';
import { ClientPool } from './client-pool.ts';
import { percentile, summarize } from './stats.ts';
import { now, openMany, openStockClient, type Endpoint, type StockClient } from './stock-client.ts';
import { cpuMillis, rssBytes, type System } from './systems.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function endpointOf(system: System): Endpoint {
  return { protocol: system.protocol, wsUrl: system.wsUrl, token: system.token };
}

/**
 * What a new Lanes pipeline's room holds (meta and the stages, no deals): the peers' rooms are seeded with the same,
 * by their first client, so every system serves the same doc.
 */
export function emptyBoardSeed(): Uint8Array {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'bench', workspaceId: 'bench', name: 'Bench', stages: DEFAULT_STAGES });
  return Y.encodeStateAsUpdate(doc);
}

/** A writer in this process, in a fresh room of the system (seeded for the peers), synced. */
export async function openWriter(system: System, room: string): Promise<StockClient> {
  const writer = openStockClient(endpointOf(system), room, system.durable ? undefined : emptyBoardSeed());
  await withTimeout(writer.synced, 30_000, `${system.label}: the writer did not sync`);
  await eventually(() => readStages(writer.doc).length > 0, 10_000, `${system.label}: the board has no stages`);
  return writer;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function eventually(check: () => boolean, ms: number, message: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(10);
  }
}

export interface FanOutResult {
  clients: number;
  edits: number;
  p50: number;
  p99: number;
  /** Server CPU time per update delivered to a client, µs. */
  cpuPerDeliveredMicros: number;
}

/**
 * `clients` stock clients in one room: one writer here edits one deal's value, the other clients-1 (in child
 * processes) receive it; a sample is the time from the edit until the last of them has it. The next edit waits for
 * it. Server CPU over the edits ÷ (edits × receivers) is its CPU per delivered update.
 */
export async function fanOut(system: System, clients: number, edits: number, options: { processes?: number; onSteady?: () => Promise<void> } = {}): Promise<FanOutResult> {
  const [room] = await system.rooms(1);
  const writer = await openWriter(system, room);
  const stage = readStages(writer.doc)[0].id;
  const dealId = addDeal(writer.doc, stage, { title: 'Fan-out deal', value: 0 });
  await sleep(300);
  const pool = ClientPool.spawn(Math.min(options.processes ?? 2, clients - 1));
  try {
    const held = await pool.open(endpointOf(system), [room], clients - 1, { timeoutMs: 120_000 });
    if (held < clients - 1) throw new Error(`${system.label}: only ${held} of ${clients - 1} clients synced within 2 minutes`);
    await sleep(500);
    let waiting: { value: number; remaining: number; last: number; done: () => void } | null = null;
    const stop = pool.watch([dealId], (_deal, value, at) => {
      if (!waiting || waiting.value !== value) return;
      waiting.last = Math.max(waiting.last, at);
      if (--waiting.remaining === 0) waiting.done();
    });
    const warmUp = Math.min(10, Math.floor(edits / 5));
    const samples: number[] = [];
    let cpuStart = 0;
    for (let value = 1; value <= warmUp + edits; value++) {
      if (value === warmUp + 1) {
        await options.onSteady?.();
        cpuStart = cpuMillis(system.pid);
      }
      const arrived = new Promise<void>((done) => (waiting = { value, remaining: pool.size, last: 0, done }));
      const sentAt = now();
      updateDeal(writer.doc, dealId, { value });
      await withTimeout(arrived, 30_000, `${system.label}: edit ${value} did not reach all ${clients - 1} clients`);
      if (value > warmUp) samples.push(waiting!.last - sentAt);
    }
    const cpu = cpuMillis(system.pid) - cpuStart;
    stop();
    const summary = summarize(samples);
    return { clients, edits, p50: summary.p50, p99: summary.p99, cpuPerDeliveredMicros: (cpu * 1000) / (edits * (clients - 1)) };
  } finally {
    writer.destroy();
    await pool.close();
  }
}

export interface MemoryResult {
  idleBytes: number;
  /** RSS with that many idle connections open. */
  /** RSS with `connections` opened, of which `held` synced within the time allowed (a step short of its target ends the run). */
  withConnections: Array<{ connections: number; held: number; rooms: number; bytes: number }>;
  /** (RSS at the last step − RSS at the first) ÷ the connections added: one more connection's share, its room's doc included. */
  bytesPerConnection: number;
}

/**
 * Server RSS idle (a fresh process, settled), then with idle stock clients: each step adds connections over new
 * rooms, ten to a room, held by child processes. Rooms of the peers are seeded with Lanes' new-pipeline board.
 */
export async function memory(
  system: System,
  steps: readonly number[],
  options: { processes?: number; timeoutMs?: number; onShort?: () => void; settleMs?: number } = {}
): Promise<MemoryResult> {
  const settleMs = options.settleMs ?? 5_000;
  await sleep(settleMs);
  const idleBytes = rssBytes(system.pid);
  const pool = ClientPool.spawn(options.processes ?? 4);
  const withConnections: MemoryResult['withConnections'] = [];
  try {
    let open = 0;
    let held = 0;
    for (const target of steps) {
      const added = target - open;
      const rooms = await system.rooms(Math.ceil(added / 10));
      const started = Date.now();
      held += await pool.open(endpointOf(system), rooms, added, { seed: system.durable ? undefined : emptyBoardSeed(), concurrency: 25, timeoutMs: options.timeoutMs ?? 180_000 });
      open = target;
      console.log(`  ${held} of ${target} connections synced (${((Date.now() - started) / 1000).toFixed(0)} s for the last ${added})`);
      await sleep(settleMs * 0.6);
      withConnections.push({ connections: target, held, rooms: (withConnections.at(-1)?.rooms ?? 0) + rooms.length, bytes: rssBytes(system.pid) });
      if (held < target) {
        options.onShort?.();
        break;
      }
    }
  } finally {
    await pool.close();
  }
  // The marginal cost between the first and the last step: a fresh process' RSS still moves for reasons that are
  // not connections (a runtime settling after start, PGlite's start-up work being returned to the system).
  const first = withConnections[0];
  const last = withConnections.at(-1)!;
  const perConnection = last === first ? (last.bytes - idleBytes) / last.held : (last.bytes - first.bytes) / (last.held - first.held);
  // RSS that shrank while connections were added says the process' own churn outweighed them: no figure then.
  return { idleBytes, withConnections, bytesPerConnection: perConnection > 0 ? perConnection : Number.NaN };
}

export interface BigBoardResult {
  deals: number;
  docBytes: number;
  /** A fresh stock client, from creating it until it has synced the whole board, the room already loaded (ms). */
  warm: number[];
  /** The same right after the server restarted from its storage (durable systems only). */
  cold: number[];
}

/**
 * A board of `deals` deals, written by a stock client; then fresh stock clients sync it, one at a time. Warm: the
 * room is loaded (the writer stays connected). Cold (durable systems): the server restarts and the first client
 * after it loads the room from storage.
 */
export async function bigBoard(
  system: System,
  deals: number,
  options: { warmSamples: number; coldSamples: number; room?: string; beforeCold?: (room: string) => Promise<void> }
): Promise<BigBoardResult & { room: string }> {
  const room = options.room ?? (await system.rooms(1))[0];
  const writer = await openWriter(system, room);
  const before = readDeals(writer.doc).length;
  await writeManyDeals(writer.doc, deals);
  const expected = before + deals;
  const docBytes = Y.encodeStateAsUpdate(writer.doc).length;
  const syncTime = async (): Promise<number> => {
    const started = now();
    const client = openStockClient(endpointOf(system), room);
    try {
      await withTimeout(client.synced, 60_000, `${system.label}: a fresh client did not sync the big board`);
      const elapsed = now() - started;
      const count = client.doc.getMap('deals').size;
      if (count !== expected) throw new Error(`${system.label}: a fresh client synced ${count} deals, expected ${expected}`);
      return elapsed;
    } finally {
      client.destroy();
    }
  };
  // The writer's frames are in once a fresh client sees every deal.
  for (let attempt = 0; ; attempt++) {
    try {
      await syncTime();
      break;
    } catch (error) {
      if (attempt > 100) throw error;
      await sleep(200);
    }
  }
  const warm: number[] = [];
  for (let i = 0; i < options.warmSamples; i++) warm.push(await syncTime());
  writer.destroy();
  const cold: number[] = [];
  if (system.restart) {
    for (let i = 0; i < options.coldSamples; i++) {
      await system.restart();
      await options.beforeCold?.(room);
      cold.push(await syncTime());
    }
  }
  return { deals: expected, docBytes, warm, cold, room };
}

export interface SustainedResult {
  /** The highest offered rate whose p99 (edit → seen by a watcher) stayed within the bound, edits/s (0: none did). */
  editsPerSecond: number;
  steps: Array<{ offered: number; achieved: number; p99: number; lost: number }>;
}

/**
 * Edits at a rising rate from `writers` stock clients here (each edits its own deal), seen by one stock client in a
 * child process; each step runs `stepMs`, then the next doubles the rate, until p99 passes `boundMs`.
 */
export async function sustained(system: System, options: { rates: readonly number[]; stepMs: number; writers?: number; boundMs?: number }): Promise<SustainedResult> {
  const boundMs = options.boundMs ?? 100;
  const [room] = await system.rooms(1);
  const first = await openWriter(system, room);
  const stage = readStages(first.doc)[0].id;
  const writers = [first, ...(await openMany(endpointOf(system), [room], (options.writers ?? 4) - 1)).clients];
  const dealIds = writers.map((writer, i) => addDeal(writer.doc, stage, { title: `Sustained ${i}`, value: 0 }));
  const pool = ClientPool.spawn(1);
  const steps: SustainedResult['steps'] = [];
  try {
    await sleep(500);
    await pool.open(endpointOf(system), [room], 1);
    const sent = writers.map(() => new Map<number, number>());
    const arrived = writers.map(() => new Map<number, number>());
    const stop = pool.watch(dealIds, (deal, value, at) => arrived[deal].set(value, at));
    const values = writers.map(() => 0);
    // Warm-up, not counted: the first edits of a fresh room pay for loading code paths and caches.
    for (let i = 0; i < 50; i++) {
      const w = i % writers.length;
      updateDeal(writers[w].doc, dealIds[w], { value: ++values[w] });
      await sleep(10);
    }
    await sleep(1_000);
    let editsPerSecond = 0;
    for (const rate of options.rates) {
      for (const map of [...sent, ...arrived]) map.clear();
      const started = now();
      let count = 0;
      while (now() - started < options.stepMs) {
        const due = Math.floor(((now() - started) / 1000) * rate);
        for (; count < due; count++) {
          const w = count % writers.length;
          const value = ++values[w];
          sent[w].set(value, now());
          updateDeal(writers[w].doc, dealIds[w], { value });
        }
        await sleep(5);
      }
      const achieved = count / ((now() - started) / 1000);
      const total = () => arrived.reduce((sum, map) => sum + map.size, 0);
      const deadline = now() + 3_000;
      while (total() < count && now() < deadline) await sleep(20);
      const latencies: number[] = [];
      sent.forEach((map, w) => map.forEach((at, value) => latencies.push((arrived[w].get(value) ?? Number.POSITIVE_INFINITY) - at)));
      const lost = latencies.filter((latency) => !Number.isFinite(latency)).length;
      const p99 = percentile(latencies, 99);
      steps.push({ offered: rate, achieved, p99, lost });
      if (p99 > boundMs || achieved < rate * 0.9) break;
      editsPerSecond = rate;
      await sleep(500);
    }
    stop();
    return { editsPerSecond, steps };
  } finally {
    writers.forEach((writer) => writer.destroy());
    await pool.close();
  }
}
