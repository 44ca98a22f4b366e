/**
 * `npm run bench:history`: stored bytes per 10,000 edits with the history retention policy (README: History).
 * Three users make 10,000 edits to the sample board over 30 days (moves, value and title edits, notes typing,
 * added and removed deals), the log is compacted every 500 rows as a server does, and the bytes each history table
 * holds are summed: right after the edits, then 30 days and a year later, once retention has thinned them.
 */
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeals, readStages, updateDeal } from '../shared/board-doc.ts';
import { buildSamplePipeline } from '../shared/sample-pipeline.ts';
import { boardRoom } from '../shared/rooms.ts';
import { openDb, type Db } from '../server/store/db.ts';
import { migrate } from '../server/store/migrations.ts';
import { appendUpdates, writeSnapshot } from '../server/store/update-log.ts';
import { compactRoom } from '../server/history/compaction.ts';
import { DAY, DEFAULT_RETENTION } from '../server/history/retention.ts';

const EDITS = 10_000;
const SPAN_MS = 30 * DAY;
const USERS = ['user-ann', 'user-bob', 'user-cleo'];

/** A small deterministic random source, so runs compare. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

async function bytesPerTable(db: Db, room: string) {
  const one = async (sql: string) => Number((await db.query<{ n: number }>(sql, [room]))[0].n ?? 0);
  return {
    doc_updates: await one('SELECT coalesce(sum(octet_length(data) + 32), 0) AS n FROM doc_updates WHERE room = $1'),
    doc_snapshots: await one('SELECT coalesce(sum(octet_length(data) + 24), 0) AS n FROM doc_snapshots WHERE room = $1'),
    doc_checkpoints: await one('SELECT coalesce(sum(octet_length(data) + 24), 0) AS n FROM doc_checkpoints WHERE room = $1'),
    doc_changes: await one(
      `SELECT coalesce(sum(octet_length(entity_id) + octet_length(title) + octet_length(kind) + coalesce(octet_length(field), 0)
        + coalesce(octet_length(before), 0) + coalesce(octet_length(after), 0) + coalesce(octet_length(user_id), 0) + 40), 0) AS n
       FROM doc_changes WHERE room = $1`
    ),
    checkpoints: await one('SELECT count(*) AS n FROM doc_checkpoints WHERE room = $1'),
    rawRows: await one('SELECT count(*) AS n FROM doc_updates WHERE room = $1')
  };
}

async function main() {
  const db = await openDb({ dataDir: 'memory://' });
  await migrate(db);
  const start = Date.UTC(2026, 0, 1);
  const { board } = buildSamplePipeline({ pipelineId: 'bench', workspaceId: 'w', ownerId: USERS[0], now: start });
  const room = boardRoom('bench');
  await writeSnapshot(db, room, Y.encodeStateAsUpdate(board), start);
  const next = random(42);
  let pending: Uint8Array | null = null;
  board.on('update', (update: Uint8Array) => (pending = update));
  const batch: Array<{ room: string; data: Uint8Array; userId: string; at: number }> = [];
  const stages = readStages(board);
  for (let edit = 0; edit < EDITS; edit++) {
    const at = start + Math.floor((edit / EDITS) * SPAN_MS);
    const deals = readDeals(board);
    const deal = deals[Math.floor(next() * deals.length)];
    const roll = next();
    pending = null;
    if (roll < 0.3) moveDeal(board, deal.id, stages[Math.floor(next() * stages.length)].id, Math.floor(next() * 5), { now: at });
    else if (roll < 0.5) updateDeal(board, deal.id, { value: Math.round(next() * 100_000) }, { now: at });
    else if (roll < 0.6) updateDeal(board, deal.id, { title: `${deal.title.split(' #')[0]} #${edit}` }, { now: at });
    else if (roll < 0.9) dealNotes(board, deal.id)?.insert(0, 'x');
    else if (roll < 0.95 || deals.length < 10) addDeal(board, stages[0].id, { title: `New deal ${edit}`, value: 1000 }, { now: at });
    else deleteDeal(board, deal.id);
    if (pending) batch.push({ room, data: pending, userId: USERS[edit % USERS.length], at });
    if (batch.length === 500 || edit === EDITS - 1) {
      await appendUpdates(db, batch.splice(0));
      await compactRoom(db, room, { now: at });
    }
  }
  const afterEdits = await bytesPerTable(db, room);
  /** One more edit at `at` triggers a compaction there: retention thins checkpoints, raw rows and feed rows. */
  const editAt = async (at: number) => {
    pending = null;
    updateDeal(board, readDeals(board)[0].id, { value: at % 1000 }, { now: at });
    await appendUpdates(db, [{ room, data: pending!, userId: USERS[0], at }]);
    await compactRoom(db, room, { now: at });
    return bytesPerTable(db, room);
  };
  const afterMonth = await editAt(start + SPAN_MS + 30 * DAY);
  const afterYear = await editAt(start + SPAN_MS + 365 * DAY);
  const total = (bytes: typeof afterEdits) => bytes.doc_updates + bytes.doc_snapshots + bytes.doc_checkpoints + bytes.doc_changes;
  console.log(`policy: raw ${DEFAULT_RETENTION.rawDays} d, hourly ${DEFAULT_RETENTION.hourlyDays} d, daily ${DEFAULT_RETENTION.dailyDays} d; ${EDITS} edits over 30 days by ${USERS.length} users`);
  console.table({
    'right after the edits': { ...afterEdits, total: total(afterEdits) },
    '30 days later': { ...afterMonth, total: total(afterMonth) },
    'a year later': { ...afterYear, total: total(afterYear) }
  });
  await db.close();
}

await main();
