/**
 * `node --import tsx bench/hotpath-fanout.ts`: the server's per-update hot path against a real server process.
 * One writer and N stock y-websocket watchers in one room (N from HOTPATH_CLIENTS, default 10,50,200); each edit
 * waits until every watcher has it. Prints fan-out latency (p50, p99) and the server process's CPU time per
 * delivered update (utime + stime from /proc, over the edit loop only, divided by edits × watchers).
 * HOTPATH_DB=postgres uses DATABASE_URL; HOTPATH_PROFILE=dir writes a --cpu-prof of the server there.
 * The watchers run in this process, so latency includes their apply time; the CPU figure is the server's alone.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { addDeal, readDeal, readStages, updateDeal } from '../shared/board-doc.ts';
import { boardRoom } from '../shared/rooms.ts';
import { ServerProcess, pgliteStorage, postgresStorage } from '../tests/support/server-process.ts';
import { connectClient, signUp } from '../tests/support/clients.ts';

const CLIENT_COUNTS = (process.env.HOTPATH_CLIENTS ?? '10,50,200').split(',').map(Number);
const EDITS = Number(process.env.HOTPATH_EDITS ?? 200);
const TICKS_PER_SECOND = 100;

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After the command name: utime is field 14 and stime field 15 of stat, i.e. index 11 and 12 here.
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(clients: number) {
  const storage = process.env.HOTPATH_DB === 'postgres' ? await postgresStorage(process.env.DATABASE_URL!) : pgliteStorage();
  const extraEnv: Record<string, string> = {};
  if (process.env.HOTPATH_PROFILE) extraEnv.NODE_OPTIONS = `--import ${new URL("./hotpath-profiler.mjs", import.meta.url).pathname}`;
  const server = await ServerProcess.start(storage, extraEnv);
  const pid = (server as unknown as { child: ChildProcess }).child.pid!;
  try {
    const account = await signUp(server.url, 'Bench');
    const room = boardRoom(account.pipelineId);
    const writer = connectClient(server.wsUrl, room, { token: account.token });
    const watchers: Array<ReturnType<typeof connectClient>> = [];
    for (let i = 0; i < clients; i++) watchers.push(connectClient(server.wsUrl, room, { token: account.token }));
    await Promise.all([writer.synced, ...watchers.map((watcher) => watcher.synced)]);
    const dealId = addDeal(writer.doc, readStages(writer.doc)[0].id, { title: 'Fan-out deal' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const samples: number[] = [];
    const cpuBefore = cpuMicros(pid);
    const wallBefore = performance.now();
    for (let i = 1; i <= EDITS; i++) {
      let missing = watchers.length;
      const arrived = new Promise<void>((resolve) => {
        for (const watcher of watchers) {
          const check = () => {
            if (readDeal(watcher.doc, dealId)?.value !== i) return;
            watcher.doc.off('update', check);
            if (--missing === 0) resolve();
          };
          watcher.doc.on('update', check);
        }
      });
      const started = performance.now();
      updateDeal(writer.doc, dealId, { value: i });
      await arrived;
      samples.push(performance.now() - started);
    }
    const cpu = cpuMicros(pid) - cpuBefore;
    const wall = performance.now() - wallBefore;
    const sorted = samples.sort((a, b) => a - b);
    writer.destroy();
    watchers.forEach((watcher) => watcher.destroy());
    return {
      clients,
      storage: storage.label,
      edits: EDITS,
      'p50 ms': percentile(sorted, 50).toFixed(1),
      'p99 ms': percentile(sorted, 99).toFixed(1),
      'server CPU µs / delivered update': (cpu / (EDITS * clients)).toFixed(1),
      'server busy %': ((cpu / 1000 / wall) * 100).toFixed(0)
    };
  } finally {
    await server.stop();
    await storage.dispose();
  }
}

const rows = [];
for (const clients of CLIENT_COUNTS) rows.push(await run(clients));
console.table(rows);
process.exit(0);
