/**
 * `npm run bench:cold-load`: how long a fresh stock y-websocket client waits for a 10,000-deal board (issue #12,
 * target: cold sync under 300 ms server side), on PGlite and, with DATABASE_URL set, on Postgres.
 *   - cold: the server was just restarted, so the room is read from storage (snapshot + log rows) and counted; a
 *     doc last opened at this code's schema version answers the fresh client from those stored rows and replays,
 *     migrates and checks them afterwards (any other doc does all that before the first sync step goes out)
 *   - warm: the room is still loaded (a second client right after the first)
 * both as left right after the writes (the snapshot plus the log rows written since) and once the room has unloaded
 * and folded its log into the snapshot (one row).
 * Each cold sample restarts the server on the same storage (`stop()` then `start()`). Server side, every load logs
 * `room loaded` with its steps (read, replay, migrate, check, guard, total ms; and for a room answered from its
 * stored rows, checkedMs and firstSyncMs: when that answer was handed to the socket): the table shows their medians.
 * COLD_LOAD_DEALS (default 10000), COLD_LOAD_SAMPLES (default 5); COLD_LOAD_PROFILE=<dir> writes a --cpu-prof of
 * each server run there (summarise with `node --import tsx bench/profile-summary.ts <file>`).
 * The server is `node dist/server/main.js` (`npm run build` first), or the TypeScript sources with LANES_SERVER=ts.
 * Prints a table; writes bench/results/cold-load.json. Compare ratios, not absolutes: the machine is shared.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { boardRoom } from '../shared/rooms.ts';
import { measureEachStorage, ServerProcess, type Storage } from '../tests/support/server-process.ts';
import { connectClient, signUp, type Account } from '../tests/support/clients.ts';
import { seedBigBoard } from '../tests/support/big-board.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEALS = Number(process.env.COLD_LOAD_DEALS ?? 10_000);
const SAMPLES = Number(process.env.COLD_LOAD_SAMPLES ?? 5);
const PROFILE_DIR = process.env.COLD_LOAD_PROFILE;
const compiled = process.env.LANES_SERVER !== 'ts';
/** Extra node flags for the server (experiments, e.g. `--trace-opt`), split on spaces. */
const NODE_ARGS = (process.env.COLD_LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Wait this long after the restart before the cold client connects (default 0: at once, as after a deploy). */
const DELAY_MS = Number(process.env.COLD_LOAD_DELAY_MS ?? 0);

interface Figures {
  storage: string;
  /** What a load reads: the snapshot and the log rows after it, or the snapshot alone (folded). */
  stored: string;
  deals: number;
  coldMs: number[];
  warmMs: number[];
  /** Medians of the server's `room loaded` steps over the cold samples. */
  server: Record<string, number>;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Connect a fresh stock client and time connect → synced (every deal read back). */
async function syncOnce(server: ServerProcess, account: Account, deals: number): Promise<number> {
  const started = performance.now();
  const client = connectClient(server.wsUrl, boardRoom(account.pipelineId), { token: account.token });
  try {
    await client.synced;
    const elapsed = performance.now() - started;
    const size = client.doc.getMap('deals').size;
    if (size !== deals) throw new Error(`synced ${size} deals, expected ${deals}`);
    return elapsed;
  } finally {
    client.destroy();
  }
}

/** The `room loaded` lines this server run printed (after `from` in its output). */
function loadLines(server: ServerProcess, from: number): Record<string, number>[] {
  return server.output
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"room loaded"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => String(entry.room).startsWith('board:'))
    .map((entry) => Object.fromEntries(Object.entries(entry).filter((field): field is [string, number] => typeof field[1] === 'number')));
}

/** Restart the server `SAMPLES` times; each time, time a cold then a warm sync, and read the server's load steps. */
async function samples(server: ServerProcess, account: Account, deals: number, storage: string, stored: string): Promise<Figures> {
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  const loads: Record<string, number>[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    await server.stop();
    const from = server.output.length;
    await server.start();
    if (DELAY_MS) await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    coldMs.push(await syncOnce(server, account, deals));
    warmMs.push(await syncOnce(server, account, deals));
    loads.push(...loadLines(server, from).slice(0, 1));
    console.log(`  ${storage}, ${stored}: cold ${Math.round(coldMs.at(-1)!)} ms, warm ${Math.round(warmMs.at(-1)!)} ms, server ${JSON.stringify(loads.at(-1) ?? {})}`);
  }
  const keys = [...new Set(loads.flatMap((load) => Object.keys(load)))];
  const server_ = Object.fromEntries(keys.map((key) => [key, median(loads.map((load) => load[key]).filter((value) => value !== undefined))]));
  return { storage, stored, deals, coldMs, warmMs, server: server_ };
}

/** The room's `room loaded` line after one more restart: how many stored rows it read. */
async function storedRows(server: ServerProcess, account: Account, deals: number): Promise<number> {
  await server.stop();
  const from = server.output.length;
  await server.start();
  await syncOnce(server, account, deals);
  return loadLines(server, from)[0]?.rows ?? NaN;
}

async function measure(storage: Storage): Promise<Figures[]> {
  const nodeArgs = [...NODE_ARGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  // Rooms unload (and fold their log into the snapshot) one second after their last client leaves.
  const server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '1000' }, { nodeArgs, compiled });
  try {
    const ann = await signUp(server.url, 'Ann');
    const { dealCount } = await seedBigBoard(server.wsUrl, ann, DEALS);
    console.log(`  ${storage.label}: ${dealCount} deals on the board`);
    // Restarted right after the writes: the snapshot plus the log rows written since.
    const unfolded = await samples(server, ann, dealCount, storage.label, 'snapshot + log');
    // Let the room unload and fold its log: the next loads read one row, the compacted snapshot.
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      if ((await storedRows(server, ann, dealCount)) === 1) break;
    }
    const folded = await samples(server, ann, dealCount, storage.label, 'snapshot only');
    return [unfolded, folded];
  } finally {
    await server.finish(storage, process.env.COLD_LOAD_SERVER_LOG);
  }
}

const results = (await measureEachStorage(measure, `${DEALS} deals, ${SAMPLES} restarts`)).flat();

console.table(
  results.map((result) => ({
    storage: result.storage,
    stored: result.stored,
    deals: result.deals,
    'cold sync median ms': Math.round(median(result.coldMs)),
    'warm sync median ms': Math.round(median(result.warmMs)),
    ...Object.fromEntries(Object.entries(result.server).map(([key, value]) => [`server ${key}`, value]))
  }))
);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/cold-load.json'), JSON.stringify({ measuredAt: new Date().toISOString(), results }, null, 2) + '\n');
process.exit(0);
