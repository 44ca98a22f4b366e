/**
 * `npm run bench`: the speed targets, measured on the real server process with stock clients. Two parts:
 * Lanes' own measures (this file) and the side-by-side comparison with the y-websocket 2.1 reference server and
 * Hocuspocus (bench/compare.ts, bench/report.ts), printed as a markdown table and written to bench/results/.
 *   - propagation: an edit in one client appears in another client (target p95 < 100 ms), with stock Node clients
 *     and between two Chromium browsers (keyboard move in one, card rendered in the other's column)
 *   - storage: an accepted update is committed to the update log (target p95 < 50 ms)
 *   - batching: rows per second with the batching writer vs one INSERT per update
 *   - drag ghost: awareness updates per second a watcher receives while a colleague drags (target ≥ 20/s)
 *   - fan-out: an edit in one stock client until all of FAN_OUT_CLIENTS other clients in the room have it (the
 *     schema admission must not make it more than 10% slower)
 * BENCH_ONLY=fanout,propagation (names of the measures, see MEASURES in bench/report.ts) runs only those;
 * BENCH_QUICK=1 takes fewer samples and smaller counts (a smoke run of a few minutes).
 * Compare ratios between runs, not absolutes: the machine is shared.
 */
import * as Y from 'yjs';
import { addDeal, readDeal, readStages, updateDeal } from '../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../shared/sample-pipeline.ts';
import { boardRoom } from '../shared/rooms.ts';
import { initBoard } from '../shared/board-doc.ts';
import { openDb } from '../server/store/db.ts';
import { migrate } from '../server/store/migrations.ts';
import { UpdateWriter } from '../server/store/update-writer.ts';
import { appendUpdates } from '../server/store/update-log.ts';
import { ServerProcess, pgliteStorage, storagesFromEnv, type Storage } from '../tests/support/server-process.ts';
import { connectClient, signUp, signUpColleague } from '../tests/support/clients.ts';
import { boardPageAs, launchChromium } from '../tests/support/browser.ts';
import { existsSync } from 'node:fs';
import { keyboardMoveLatencies } from './browser-moves.ts';
import { DRAG_UPDATES_PER_SECOND, throttle } from '../web/lib/presence.ts';
import { percentile } from './stats.ts';
import { compareSystems, MEASURES } from './report.ts';

const QUICK = process.env.BENCH_QUICK === '1';
// Each stock y-websocket client listens for this process' exit; the 20-client fan-out opens more than 10.
process.setMaxListeners(0);
const rows: Array<{ measure: string; backend: string; n: number; p50: string; p95: string; max: string; target: string }> = [];

function record(measure: string, backend: string, samples: number[], target: string) {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  rows.push({ measure, backend, n: samples.length, p50: ms(percentile(samples, 50)), p95: ms(percentile(samples, 95)), max: ms(Math.max(...samples)), target });
}

async function propagation(storage: Storage) {
  const server = await ServerProcess.start(storage);
  try {
    const account = await signUp(server.url, 'Bench');
    const a = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
    const b = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
    await Promise.all([a.synced, b.synced]);
    const stage = readStages(a.doc)[0].id;
    const dealId = addDeal(a.doc, stage, { title: 'Bench deal' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const samples: number[] = [];
    for (let i = 1; i <= (QUICK ? 30 : 200); i++) {
      const arrived = new Promise<void>((resolve) => {
        const check = () => {
          if (readDeal(b.doc, dealId)?.value === i) {
            b.doc.off('update', check);
            resolve();
          }
        };
        b.doc.on('update', check);
      });
      const started = performance.now();
      updateDeal(a.doc, dealId, { value: i });
      await arrived;
      samples.push(performance.now() - started);
    }
    record('edit → other client', storage.label, samples, 'p95 < 100 ms');
    a.destroy();
    b.destroy();
  } finally {
    await server.stop();
  }
}

const FAN_OUT_CLIENTS = 20;

/** One writer, FAN_OUT_CLIENTS watchers in one room: from an edit until the last watcher has it. */
async function fanOut(storage: Storage) {
  const server = await ServerProcess.start(storage);
  try {
    const account = await signUp(server.url, 'Bench');
    const room = boardRoom(account.pipelineId);
    const writer = connectClient(server.wsUrl, room, { token: account.token });
    const watchers = Array.from({ length: FAN_OUT_CLIENTS }, () => connectClient(server.wsUrl, room, { token: account.token }));
    await Promise.all([writer.synced, ...watchers.map((watcher) => watcher.synced)]);
    const stage = readStages(writer.doc)[0].id;
    const dealId = addDeal(writer.doc, stage, { title: 'Fan-out deal' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples: number[] = [];
    for (let i = 1; i <= (QUICK ? 30 : 300); i++) {
      const arrivals = watchers.map(
        (watcher) =>
          new Promise<void>((resolve) => {
            const check = () => {
              if (readDeal(watcher.doc, dealId)?.value === i) {
                watcher.doc.off('update', check);
                resolve();
              }
            };
            watcher.doc.on('update', check);
          })
      );
      const started = performance.now();
      updateDeal(writer.doc, dealId, { value: i });
      await Promise.all(arrivals);
      samples.push(performance.now() - started);
    }
    record(`edit → all ${FAN_OUT_CLIENTS} other clients`, storage.label, samples, 'p95 < 100 ms');
    writer.destroy();
    watchers.forEach((watcher) => watcher.destroy());
  } finally {
    await server.stop();
  }
}

/**
 * A colleague drags a card for 3 s, their pointer producing a new drop position every 4 ms; the same throttle the
 * board uses publishes it in awareness; a second stock client counts the drag states it receives per second.
 */
async function ghostRate(storage: Storage) {
  const server = await ServerProcess.start(storage);
  try {
    const account = await signUp(server.url, 'Bench');
    const dragger = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
    const watcher = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
    await Promise.all([dragger.synced, watcher.synced]);
    const arrivals: number[] = [];
    let lastIndex = -1;
    watcher.provider.awareness.on('change', () => {
      const drag = watcher.provider.awareness.getStates().get(dragger.doc.clientID)?.drag as { index: number } | undefined;
      if (drag && drag.index !== lastIndex) {
        lastIndex = drag.index;
        arrivals.push(performance.now());
      }
    });
    const publish = throttle((index: number) => dragger.provider.awareness.setLocalStateField('drag', { dealId: 'd', stageId: 's', index }), 1000 / DRAG_UPDATES_PER_SECOND);
    const started = performance.now();
    for (let step = 0; performance.now() - started < 3_000; step++) {
      publish(step);
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
    publish.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seconds = (arrivals.at(-1)! - arrivals[0]) / 1000;
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]);
    rows.push({
      measure: 'drag ghost updates a watcher receives',
      backend: storage.label,
      n: arrivals.length,
      p50: `${((arrivals.length - 1) / seconds).toFixed(1)}/s`,
      p95: `gap p95 ${percentile(gaps, 95).toFixed(1)} ms`,
      max: `gap max ${Math.max(...gaps).toFixed(1)} ms`,
      target: '≥ 20/s'
    });
    dragger.destroy();
    watcher.destroy();
  } finally {
    await server.stop();
  }
}

async function storageLatency(storage: Storage) {
  const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR ?? '' });
  await migrate(db);
  const started = new Map<string, number>();
  const samples: number[] = [];
  const writer = new UpdateWriter(db, {
    onStored: (room) => {
      const at = started.get(room);
      if (at !== undefined) samples.push(performance.now() - at);
    }
  });
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Bench', stages: DEFAULT_STAGES });
  const stage = readStages(doc)[0].id;
  let lastUpdate: Uint8Array = new Uint8Array();
  doc.on('update', (update: Uint8Array) => (lastUpdate = update));
  for (let i = 0; i < 300; i++) {
    const room = `board:bench${i}`;
    addDeal(doc, stage, { title: `Deal ${i}` });
    started.set(room, performance.now());
    writer.enqueue(room, lastUpdate);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  await writer.drain();
  record('accepted → in update log', storage.label, samples, 'p95 < 50 ms');

  const update = Y.encodeStateAsUpdate(doc);
  const batch = Array.from({ length: 2000 }, () => ({ room: 'board:throughput', data: update.slice(0, 64), userId: 'bench-user', at: Date.now() }));
  // Wall clock, and CPU time of this whole process (the PGlite worker included), which a busy machine distorts less.
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  let t = performance.now();
  let cpu = process.cpuUsage();
  await appendUpdates(db, batch);
  const batched = 2000 / ((performance.now() - t) / 1000);
  const batchedCpu = 2000 / cpuSeconds(cpu);
  t = performance.now();
  cpu = process.cpuUsage();
  for (const row of batch.slice(0, 300)) await appendUpdates(db, [row]);
  const single = 300 / ((performance.now() - t) / 1000);
  const singleCpu = 300 / cpuSeconds(cpu);
  rows.push({ measure: 'log rows/s batched vs one INSERT each', backend: storage.label, n: 2300, p50: `${Math.round(batched)}/s`, p95: `${Math.round(single)}/s`, max: `×${(batched / single).toFixed(1)}`, target: 'batched ≫ single' });
  rows.push({ measure: 'log rows per CPU-second, batched vs one each', backend: storage.label, n: 2300, p50: `${Math.round(batchedCpu)}`, p95: `${Math.round(singleCpu)}`, max: `×${(batchedCpu / singleCpu).toFixed(1)}`, target: 'batched ≫ single' });
  writer.close();
  await db.close();
}

/** Two users in two Chromium contexts: a keyboard move in one until the card is rendered in the other's column. */
async function browserPropagation() {
  const storage = pgliteStorage();
  const server = await ServerProcess.start(storage);
  const browser = await launchChromium();
  try {
    const ann = await signUp(server.url, 'Ann');
    const bob = await signUpColleague(server.url, ann, 'Bob');
    const open = async (cookie: string) => (await boardPageAs(browser, server.url, cookie, `/board/${ann.pipelineId}`)).page;
    const mover = await open(ann.cookie);
    const watcher = await open(bob.cookie);
    const samples = await keyboardMoveLatencies(mover, watcher, QUICK ? 5 : 30);
    record('move in browser → rendered in other browser', 'PGlite', samples, 'p95 < 100 ms');
  } finally {
    await browser.close();
    await server.stop();
    await storage.dispose();
  }
}

const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !MEASURES.includes(name)) ?? [];
if (unknown.length) {
  console.error(`BENCH_ONLY: unknown measure ${unknown.join(', ')}; the measures are ${MEASURES.join(', ')}`);
  process.exit(2);
}
const wanted = (name: string) => !only || only.includes(name);
const hasChromium = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');

if (!wanted('browser')) console.log('skipping the browser-to-browser measurement (BENCH_ONLY)');
else if (hasChromium) await browserPropagation();
else console.log('Chromium not found: skipping the browser-to-browser measurement (apt-get install -y chromium)');

const storages = storagesFromEnv();

for (const create of storages) {
  if (!['propagation', 'fanout', 'ghost', 'storage'].some(wanted)) break;
  const storage = await create();
  try {
    if (wanted('propagation')) await propagation(storage);
    if (wanted('fanout')) await fanOut(storage);
    if (wanted('ghost')) await ghostRate(storage);
    if (wanted('storage')) await storageLatency(storage);
  } finally {
    await storage.dispose();
  }
}
if (rows.length) console.table(rows);

await compareSystems({ wanted, quick: QUICK, storages, chromium: hasChromium, lanesMeasures: rows });
process.exit(0);
