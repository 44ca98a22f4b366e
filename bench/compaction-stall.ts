/**
 * `npm run bench:compaction`: does folding a large board's log stall its sockets? A stock y-websocket client moves a
 * deal on the 10,000-deal board (4 MB doc) MOVES (1,600) times, one after another, and a second stock client times
 * each move from the write to its arrival. The room compacts every 500 stored rows (the first fold also takes the
 * seeding's rows), so the run crosses two or three compactions (a fold that runs while moves go on ends later than
 * the 500th row): their cost shows in the max and p99, not the p50.
 * The server logs `room compacted` (rows folded, ms from start to commit) for each; the table lists them.
 * On PGlite and, with DATABASE_URL set, on Postgres. The server is `node dist/server/main.js` (`npm run build`
 * first); COMPACTION_SERVER_LOG=<file> keeps each server's output. Prints a table; writes bench/results/compaction-stall.json. Compare ratios, not absolutes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { moveDeal, readColumn, readDeal, readStages, type Deal } from '../shared/board-doc.ts';
import { boardRoom } from '../shared/rooms.ts';
import { connectClient, signUp } from '../tests/support/clients.ts';
import { seedBigBoard } from '../tests/support/big-board.ts';
import { measureEachStorage, ServerProcess, type Storage } from '../tests/support/server-process.ts';
import { summarize, type Summary } from './stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEALS = Number(process.env.COMPACTION_DEALS ?? 10_000);
const MOVES = Number(process.env.MOVES ?? 1_600);
/** A move that has not arrived after this long counts as lost: the run stops there. */
const LOST_MS = 10_000;

interface Figures {
  storage: string;
  moves: Summary;
  /** The moves slower than 50 ms, in order: [move number, ms]. */
  slow: Array<[number, number]>;
  compactions: Array<{ folded: number; ms: number }>;
}

async function measure(storage: Storage): Promise<Figures> {
  const server = await ServerProcess.start(storage, {}, { compiled: true });
  try {
    const ann = await signUp(server.url, 'Ann');
    await seedBigBoard(server.wsUrl, ann, DEALS);
    // A restart, so the room is loaded from storage with the seeding's rows still to fold, as after a deploy.
    await server.stop();
    await server.start();
    const from = server.output.length;
    const mover = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: ann.token });
    const watcher = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: ann.token });
    try {
      await Promise.all([mover.synced, watcher.synced]);
      const [first, second] = readStages(mover.doc);
      // The two columns, kept up to date here: reading a 2,000-deal column for every move would time the client.
      const columns = new Map<string, Deal[]>([first, second].map((stage) => [stage.id, readColumn(mover.doc, stage.id)]));
      const timings: number[] = [];
      let arrived: (() => void) | null = null;
      watcher.doc.on('update', () => arrived?.());
      for (let move = 0; move < MOVES; move++) {
        const [source, target] = move % 2 ? [second, first] : [first, second];
        const deal = columns.get(source.id)!.shift()!;
        const landed = new Promise<boolean>((resolve) => {
          arrived = () => resolve(true);
          setTimeout(() => resolve(false), LOST_MS).unref();
        });
        const started = performance.now();
        moveDeal(mover.doc, deal.id, target.id, 0, { column: columns.get(target.id)! });
        if (!(await landed)) throw new Error(`move ${move} did not arrive within ${LOST_MS} ms`);
        timings.push(performance.now() - started);
        arrived = null;
        columns.get(target.id)!.unshift(readDeal(mover.doc, deal.id)!);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const compactions = server.output
        .slice(from)
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"room compacted"') && line.includes('board:'))
        .map((line) => JSON.parse(line) as { folded: number; ms: number })
        .map(({ folded, ms }) => ({ folded, ms }));
      const slow = timings.map((ms, move): [number, number] => [move, Math.round(ms)]).filter(([, ms]) => ms > 50);
      return { storage: storage.label, moves: summarize(timings), slow, compactions };
    } finally {
      mover.destroy();
      watcher.destroy();
    }
  } finally {
    await server.finish(storage, process.env.COMPACTION_SERVER_LOG);
  }
}

const results = await measureEachStorage(measure, `${DEALS} deals, ${MOVES} moves`);
const round = (value: number) => Math.round(value * 10) / 10;
console.table(
  results.map((result) => ({
    storage: result.storage,
    moves: result.moves.n,
    'p50 ms': round(result.moves.p50),
    'p95 ms': round(result.moves.p95),
    'p99 ms': round(result.moves.p99),
    'max ms': round(result.moves.max),
    'moves over 50 ms': result.slow.map(([move, ms]) => `#${move}: ${ms}`).join(', ') || 'none',
    'compactions (rows folded, ms)': result.compactions.map(({ folded, ms }) => `${folded} in ${ms}`).join(', ')
  }))
);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/compaction-stall.json'), JSON.stringify({ measuredAt: new Date().toISOString(), results }, null, 2) + '\n');
process.exit(0);
