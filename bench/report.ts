/**
 * The side-by-side part of `npm run bench`: runs bench/compare.ts against Lanes (each storage), the y-websocket 2.1
 * reference server and Hocuspocus, prints the markdown table (bench/stats.ts) and writes everything measured to
 * bench/results/<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { Storage } from '../tests/support/server-process.ts';
import { measureAdmissionCost, type AdmissionCost } from './admission-cost.ts';
import { browserBoard, type BrowserBoardResult } from './browser-board.ts';
import { bigBoard, fanOut, memory, sustained, type BigBoardResult, type FanOutResult, type MemoryResult, type SustainedResult } from './compare.ts';
import { markdownTable, percentile, type Row } from './stats.ts';
import { HOCUSPOCUS_LABEL, REFERENCE_LABEL, startHocuspocus, startLanes, startReference, type System } from './systems.ts';

/** Every name BENCH_ONLY accepts: Lanes' own measures (bench/run.ts), then the side-by-side ones. */
export const MEASURES = ['browser', 'propagation', 'fanout', 'ghost', 'storage', 'admission', 'compare-fanout', 'sustained', 'memory', 'bigboard', 'chromium'];

interface SystemResults {
  durable: boolean;
  fanOut?: FanOutResult[];
  sustained?: SustainedResult;
  memory?: MemoryResult;
  bigBoard?: BigBoardResult;
  browser?: BrowserBoardResult;
  error?: string[];
}

interface Plan {
  fanOutSizes: number[];
  fanOutEdits: (clients: number) => number;
  connectionSteps: number[];
  /** How long a step of connections may take to sync before the rest count as not held. */
  connectTimeoutMs: number;
  /** How long a server settles before its RSS is read (idle, and after each step: 0.6 × this). */
  settleMs: number;
  bigBoardDeals: number;
  warmSamples: number;
  coldSamples: number;
  rates: number[];
  stepMs: number;
  browserMoves: number;
}

function plan(quick: boolean): Plan {
  const sizes = process.env.BENCH_FANOUT_SIZES?.split(',').map(Number);
  return quick
    ? {
        fanOutSizes: sizes ?? [10, 50],
        fanOutEdits: () => 30,
        connectionSteps: [100, 500],
        connectTimeoutMs: 60_000,
        settleMs: 1_500,
        bigBoardDeals: 1_000,
        warmSamples: 2,
        coldSamples: 1,
        rates: [25, 100, 400],
        stepMs: 1_000,
        browserMoves: 3
      }
    : {
        fanOutSizes: sizes ?? [10, 50, 200],
        fanOutEdits: (clients) => (clients >= 200 ? 100 : 200),
        connectionSteps: [1_000, 5_000],
        connectTimeoutMs: 180_000,
        settleMs: 5_000,
        bigBoardDeals: 10_000,
        warmSamples: 5,
        coldSamples: 3,
        rates: [25, 50, 100, 200, 400, 800, 1_600, 3_200],
        stepMs: 2_500,
        browserMoves: 20
      };
}

/** Start a system for one phase and stop it after, whatever happens; a failure is recorded, not fatal. */
async function phase<T extends System>(start: () => Promise<T>, results: SystemResults, name: string, body: (system: T) => Promise<void>): Promise<void> {
  let system: T | undefined;
  const started = Date.now();
  try {
    system = await start();
    console.log(`· ${system.label}: ${name}`);
    await body(system);
    console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    const message = `${name}: ${(error as Error).message}`;
    console.error(`  failed: ${message}`);
    (results.error ??= []).push(message);
  } finally {
    await system?.stop();
    afterPhase?.();
  }
}
let afterPhase: (() => void) | undefined;

export async function compareSystems(options: {
  wanted: (name: string) => boolean;
  quick: boolean;
  storages: Array<() => Promise<Storage>>;
  chromium: boolean;
  lanesMeasures: unknown[];
}): Promise<void> {
  const { wanted } = options;
  const settings = plan(options.quick);
  const results: Record<string, SystemResults> = {};
  const lanesLabels: string[] = [];
  let admission: AdmissionCost | undefined;

  if (wanted('admission')) {
    console.log('· admission cost, in one process (rooms with and without the schema admission step, alternating)');
    admission = measureAdmissionCost(options.quick ? { edits: 200, rounds: 3 } : { edits: 500, rounds: 7 });
  }

  const common = async (system: System, own: SystemResults) => {
    if (wanted('compare-fanout')) {
      own.fanOut = [];
      for (const clients of settings.fanOutSizes) own.fanOut.push(await fanOut(system, clients, settings.fanOutEdits(clients)));
    }
    if (wanted('sustained')) own.sustained = await sustained(system, { rates: settings.rates, stepMs: settings.stepMs });
  };
  const profileDir = process.env.BENCH_PROFILE_DIR;

  const systems = process.env.BENCH_SYSTEMS?.split(',').map((name) => name.trim());
  const runs = (name: string) => !systems || systems.includes(name);
  const save = () => writeResults(options, settings, results, admission, lanesLabels);
  afterPhase = save;

  for (const create of options.storages) {
    if (!runs('lanes')) break;
    const storage = await create();
    const label = `Lanes (${storage.label})`;
    const own: SystemResults = (results[label] = { durable: true });
    lanesLabels.push(label);
    try {
      const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      if (wanted('compare-fanout') || wanted('sustained')) await phase(() => startLanes(storage, profile), own, 'fan-out and sustained edits', (system) => common(system, own));
      if (wanted('memory'))
        await phase(() => startLanes(storage), own, 'memory', async (system) => {
          const tail = () => console.log(`  the server's last words:\n${system.server.output.trimEnd().split('\n').slice(-12).join('\n')}`);
          own.memory = await memory(system, settings.connectionSteps, { onShort: tail, timeoutMs: settings.connectTimeoutMs, settleMs: settings.settleMs });
        });
      if (wanted('bigboard') || wanted('chromium'))
        await phase(() => startLanes(storage), own, 'large board', async (system) => {
          const room = `board:${system.account.pipelineId}`;
          own.bigBoard = await bigBoard(system, settings.bigBoardDeals, { warmSamples: settings.warmSamples, coldSamples: settings.coldSamples, room });
          if (wanted('chromium') && options.chromium && storage.label === 'PGlite') {
            console.log(`· ${system.label}: Chromium on the ${own.bigBoard.deals}-deal board`);
            own.browser = await browserBoard(system.server, system.account, system.account.pipelineId, settings.browserMoves);
          }
        });
    } finally {
      await storage.dispose();
    }
  }

  for (const [name, label, start] of [
    ['y-websocket', REFERENCE_LABEL, startReference],
    ['hocuspocus', HOCUSPOCUS_LABEL, startHocuspocus]
  ] as const) {
    if (!runs(name)) continue;
    const own: SystemResults = (results[label] = { durable: false });
    if (wanted('compare-fanout') || wanted('sustained')) await phase(start, own, 'fan-out and sustained edits', (system) => common(system, own));
    if (wanted('memory')) await phase(start, own, 'memory', async (system) => void (own.memory = await memory(system, settings.connectionSteps, { timeoutMs: settings.connectTimeoutMs, settleMs: settings.settleMs })));
    if (wanted('bigboard'))
      await phase(start, own, 'large board', async (system) => void (own.bigBoard = await bigBoard(system, settings.bigBoardDeals, { warmSamples: settings.warmSamples, coldSamples: 0 })));
  }

  const { table, file } = save();
  if (table) console.log(`\n${table}\n`);
  for (const [label, own] of Object.entries(results)) if (own.error) console.log(`${label} failed: ${own.error.join('; ')}`);
  console.log(`results written to ${file}`);
}

const startedAt = new Date().toISOString();

/** Write what is measured so far (after each phase, so a run cut short keeps its figures). */
function writeResults(
  options: { quick: boolean; lanesMeasures: unknown[] },
  settings: Plan,
  results: Record<string, SystemResults>,
  admission: AdmissionCost | undefined,
  lanesLabels: string[]
): { table: string; file: string } {
  const rows = comparisonRows(results, settings, admission, lanesLabels);
  const table = rows.length ? markdownTable(rows, { lanes: lanesLabels, peers: [REFERENCE_LABEL, HOCUSPOCUS_LABEL] }) : '';
  const dir = resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const partial = process.env.BENCH_ONLY || process.env.BENCH_SYSTEMS || process.env.BENCH_FANOUT_SIZES || process.env.BENCH_PROFILE_DIR;
  const file = resolve(dir, `${startedAt.slice(0, 10)}${options.quick ? '-quick' : ''}${partial ? '-partial' : ''}.json`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: loadavg(), node: process.version };
  const env = Object.fromEntries(['BENCH_ONLY', 'BENCH_QUICK', 'BENCH_SYSTEMS', 'BENCH_FANOUT_SIZES', 'BENCH_PROFILE_DIR'].map((name) => [name, process.env[name] ?? null]));
  writeFileSync(
    file,
    JSON.stringify({ startedAt, writtenAt: new Date().toISOString(), env, machine, settings: { ...settings, fanOutEdits: settings.fanOutSizes.map(settings.fanOutEdits) }, admission, results, lanesMeasures: options.lanesMeasures, table }, null, 2) + '\n'
  );
  return { table, file };
}

const MB = 1024 * 1024;

function comparisonRows(results: Record<string, SystemResults>, settings: Plan, admission: AdmissionCost | undefined, lanesLabels: string[]): Row[] {
  const rows: Row[] = [];
  const by = (pick: (own: SystemResults) => number | undefined): Record<string, number | undefined> =>
    Object.fromEntries(Object.entries(results).map(([label, own]) => [label, pick(own)]));
  const anyHas = (pick: (own: SystemResults) => unknown) => Object.values(results).some((own) => pick(own) !== undefined);

  for (const clients of settings.fanOutSizes) {
    const at = (own: SystemResults) => own.fanOut?.find((result) => result.clients === clients);
    if (!anyHas(at)) continue;
    rows.push({ measure: `fan-out p50, ${clients} clients`, unit: 'ms', better: 'lower', target: { kind: 'none' }, values: by((own) => at(own)?.p50) });
    rows.push({ measure: `fan-out p99, ${clients} clients`, unit: 'ms', better: 'lower', target: { kind: 'ratio-at-most', value: 0.8 }, values: by((own) => at(own)?.p99) });
    rows.push({ measure: `server CPU per delivered update, ${clients} clients`, unit: 'µs', better: 'lower', target: { kind: 'ratio-at-most', value: 1 }, values: by((own) => at(own)?.cpuPerDeliveredMicros) });
  }
  if (anyHas((own) => own.sustained))
    rows.push({
      measure: 'sustained edits/s until p99 > 100 ms',
      note: 'Lanes stores every edit; the peers keep memory only',
      unit: '/s',
      better: 'higher',
      target: { kind: 'none' },
      values: by((own) => own.sustained?.editsPerSecond)
    });
  if (anyHas((own) => own.memory)) {
    const steps = Object.values(results).find((own) => own.memory)!.memory!.withConnections;
    rows.push({ measure: 'server RSS, idle', unit: 'MB', better: 'lower', target: { kind: 'below', value: 150 }, values: by((own) => (own.memory ? own.memory.idleBytes / MB : undefined)) });
    for (const [index, step] of steps.entries())
      rows.push({
        measure: `server RSS, ${step.connections.toLocaleString('en-US')} idle connections over ${step.rooms} rooms`,
        unit: 'MB',
        better: 'lower',
        target: { kind: 'none' },
        values: by((own) => (own.memory?.withConnections[index] ? own.memory.withConnections[index].bytes / MB : undefined))
      });
    const target = steps.at(-1)!.connections;
    rows.push({
      measure: `idle connections held (of ${target.toLocaleString('en-US')} opened)`,
      unit: '',
      better: 'higher',
      target: { kind: 'above', value: target },
      values: by((own) => own.memory?.withConnections.at(-1)?.held)
    });
    rows.push({
      measure: 'server memory per idle connection',
      note: `RSS from ${steps[0].connections.toLocaleString('en-US')} to ${steps.at(-1)!.connections.toLocaleString('en-US')} connections ÷ the connections added, rooms included`,
      unit: 'KB',
      better: 'lower',
      target: { kind: 'below', value: 20 },
      values: by((own) => (own.memory ? own.memory.bytesPerConnection / 1024 : undefined))
    });
  }
  if (anyHas((own) => own.bigBoard)) {
    const deals = Object.values(results).find((own) => own.bigBoard)!.bigBoard!.deals;
    rows.push({ measure: `${deals.toLocaleString('en-US')}-deal board: doc size`, unit: 'MB', better: 'lower', target: { kind: 'none' }, values: by((own) => (own.bigBoard ? own.bigBoard.docBytes / MB : undefined)) });
    rows.push({
      measure: `${deals.toLocaleString('en-US')}-deal board: fresh stock client synced, warm (room loaded), median`,
      unit: 'ms',
      better: 'lower',
      target: { kind: 'none' },
      values: by((own) => (own.bigBoard?.warm.length ? percentile(own.bigBoard.warm, 50) : undefined))
    });
    rows.push({
      measure: `${deals.toLocaleString('en-US')}-deal board: fresh stock client synced, cold (right after a restart), median`,
      note: 'memory-only peers have no cold load',
      unit: 'ms',
      better: 'lower',
      target: { kind: 'below', value: 300 },
      values: by((own) => (own.bigBoard?.cold.length ? percentile(own.bigBoard.cold, 50) : undefined))
    });
  }
  const browser = Object.values(results).find((own) => own.browser)?.browser;
  if (browser) {
    const lanes = lanesLabels[0];
    const only = (value: number) => ({ [lanes]: value });
    rows.push({ measure: 'Chromium, large board: first card painted (the read-only first page counts)', unit: 'ms', better: 'lower', target: { kind: 'below', value: 1_000 }, values: only(browser.firstCard) });
    rows.push({ measure: 'Chromium, large board: first card, returning browser (IndexedDB)', unit: 'ms', better: 'lower', target: { kind: 'below', value: 300 }, values: only(browser.firstCardReturning) });
    rows.push({ measure: "Chromium, large board: the live (editable) board's first card", unit: 'ms', better: 'lower', target: { kind: 'none' }, values: only(browser.liveCard) });
    rows.push({ measure: "Chromium, large board: the live board's first card, returning browser", unit: 'ms', better: 'lower', target: { kind: 'none' }, values: only(browser.liveCardReturning) });
    rows.push({ measure: "Chromium, large board: a colleague's move rendered, p95", unit: 'ms', better: 'lower', target: { kind: 'below', value: 100 }, values: only(percentile(browser.moveRendered, 95)) });
    rows.push({ measure: 'Chromium, large board: drag frame time p95', unit: 'ms', better: 'lower', target: { kind: 'below', value: 20 }, values: only(percentile(browser.dragFrames, 95)) });
    rows.push({ measure: 'Chromium, large board: DOM nodes', note: 'the target is a bound set by windowed columns', unit: '', better: 'lower', target: { kind: 'none' }, values: only(browser.domNodes) });
  }
  if (admission)
    rows.push({
      measure: `schema admission: extra time per edit fanned out to ${admission.fanOut} clients`,
      note: `in one process, ${admission.withoutMicros.toFixed(0)} → ${admission.withMicros.toFixed(0)} µs`,
      unit: '%',
      better: 'lower',
      target: { kind: 'below', value: 10 },
      values: { [lanesLabels[0] ?? 'Lanes (PGlite)']: admission.overhead * 100 }
    });
  return rows;
}
