/**
 * `npm run bench:edit-cost`: what one edit costs the server in CPU, and how that changes as the server warms up and
 * with the pace of edits. One room, one writer here and RECEIVERS (9) stock y-websocket clients in child processes;
 * each edit waits until every receiver has it. Phases, in order on one fresh server:
 *   - idle: the server's CPU per second with the clients connected and nothing sent;
 *   - cold: the first 300 edits back to back (the server's code still tiers up in V8);
 *   - alone: 150 edits, one every 30 ms (each is stored in its own log commit and wakes the server on its own);
 *   - warm: 500 more edits back to back. Lanes folds a room's log every 500 stored rows (server/history), so one
 *     fold falls in this phase, as one does in every 500 edits of a busy room.
 * The same for the y-websocket 2.1 reference server (memory only) and Lanes on PGlite and, with DATABASE_URL set,
 * on Postgres (the Postgres server's own CPU is not counted: it is another process). The server is
 * `node dist/server/main.js` as `npm start` runs it (`npm run build` first). CPU is user + system time of the server
 * process, all threads, from /proc. Prints a table; writes bench/results/edit-cost.json. Compare ratios: the
 * machine is shared.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addDeal, readStages, updateDeal } from '../shared/board-doc.ts';
import { storagesFromEnv } from '../tests/support/server-process.ts';
import { ClientPool } from './client-pool.ts';
import { endpointOf, openWriter, withTimeout } from './compare.ts';
import { now } from './stock-client.ts';
import { cpuMillis, REFERENCE_LABEL, startLanes, startReference, type System } from './systems.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RECEIVERS = Number(process.env.RECEIVERS ?? 9);
const PHASES = [
  { name: 'cold', edits: 300, paceMs: 0, what: 'first 300 edits, back to back' },
  { name: 'alone', edits: 150, paceMs: 30, what: '150 edits, one every 30 ms' },
  { name: 'warm', edits: 500, paceMs: 0, what: '500 more edits, back to back (Lanes: one log fold among them)' }
] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PhaseFigures {
  cpuPerEditMicros: number;
  wallPerEditMs: number;
}

interface SystemFigures {
  system: string;
  idleCpuMsPerSecond: number;
  phases: Record<string, PhaseFigures>;
}

async function measure(system: System): Promise<SystemFigures> {
  const [room] = await system.rooms(1);
  const endpoint = endpointOf(system);
  const writer = await openWriter(system, room);
  const pool = ClientPool.spawn(2);
  try {
    const dealId = addDeal(writer.doc, readStages(writer.doc)[0].id, { title: 'Edited deal', value: 0 });
    const held = await pool.open(endpoint, [room], RECEIVERS, { timeoutMs: 60_000 });
    if (held < RECEIVERS) throw new Error(`${system.label}: only ${held} of ${RECEIVERS} clients synced`);
    await sleep(1_000);
    let waiting: { value: number; remaining: number; done: () => void } | null = null;
    const stop = pool.watch([dealId], (_deal, value) => {
      if (waiting && waiting.value === value && --waiting.remaining === 0) waiting.done();
    });
    const idleFrom = cpuMillis(system.pid);
    await sleep(5_000);
    const idleCpuMsPerSecond = (cpuMillis(system.pid) - idleFrom) / 5;
    let value = 0;
    const phases: Record<string, PhaseFigures> = {};
    for (const phase of PHASES) {
      const cpuFrom = cpuMillis(system.pid);
      const startedAt = now();
      for (let i = 0; i < phase.edits; i++) {
        value++;
        const arrived = new Promise<void>((done) => (waiting = { value, remaining: pool.size, done }));
        updateDeal(writer.doc, dealId, { value });
        await withTimeout(arrived, 30_000, `${system.label}: edit ${value} did not reach every receiver`);
        if (phase.paceMs) await sleep(phase.paceMs);
      }
      phases[phase.name] = {
        cpuPerEditMicros: ((cpuMillis(system.pid) - cpuFrom) * 1000) / phase.edits,
        wallPerEditMs: (now() - startedAt) / phase.edits
      };
    }
    stop();
    return { system: system.label, idleCpuMsPerSecond, phases };
  } finally {
    writer.destroy();
    await pool.close();
  }
}

const results: SystemFigures[] = [];
const reference = await startReference();
try {
  results.push(await measure(reference));
} finally {
  await reference.stop();
}
for (const create of storagesFromEnv()) {
  const storage = await create();
  const lanes = await startLanes(storage);
  try {
    results.push(await measure(lanes));
  } finally {
    await lanes.stop();
    await storage.dispose();
  }
}

const base = results.find((figures) => figures.system === REFERENCE_LABEL)!;
const lanes = results.filter((figures) => figures !== base);
const micros = (value: number) => `${Math.round(value).toLocaleString('en')} µs`;
console.log(`\nServer CPU per edit, one writer and ${RECEIVERS} receivers in one room (Lanes ÷ ${REFERENCE_LABEL} in brackets):\n`);
console.log(`| phase | ${results.map((figures) => figures.system).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
console.log(`| idle, CPU per second | ${results.map((figures) => `${figures.idleCpuMsPerSecond.toFixed(0)} ms`).join(' | ')} |`);
for (const phase of PHASES) {
  const cells = [micros(base.phases[phase.name].cpuPerEditMicros)];
  for (const figures of lanes) {
    const ratio = figures.phases[phase.name].cpuPerEditMicros / base.phases[phase.name].cpuPerEditMicros;
    cells.push(`${micros(figures.phases[phase.name].cpuPerEditMicros)} (×${ratio.toFixed(2)})`);
  }
  console.log(`| ${phase.what} | ${cells.join(' | ')} |`);
}

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/edit-cost.json'), JSON.stringify({ measuredAt: new Date().toISOString(), receivers: RECEIVERS, results }, null, 2) + '\n');
process.exit(0);
