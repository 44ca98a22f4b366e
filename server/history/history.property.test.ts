import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, initBoard, moveDeal, readDeal, readDeals, readStages, updateDeal, type Deal } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrations.ts';
import { appendUpdates, writeSnapshot } from '../store/update-log.ts';
import { checkpointState } from './checkpoints.ts';
import { compactRoom } from './compaction.ts';
import { readChanges } from './feed.ts';
import { DAY, HOUR, type RetentionPolicy } from './retention.ts';
import { stateAt } from './timeline.ts';

const USERS = ['ann', 'bob', 'cleo'];

type OpKind = 'add' | 'move' | 'value' | 'title' | 'delete' | 'notes' | 'sync';
interface Op {
  user: number;
  kind: OpKind;
  pick: number;
  stage: number;
  amount: number;
  gapMs: number;
}

/** What one op did: its update, who and when, which deal it was about, and that deal on the server before and after. */
interface Applied {
  op: Op;
  data: Uint8Array;
  userId: string;
  at: number;
  dealId: string;
  /** The deal (with its notes) in the server's doc just before and just after this update: what history must see. */
  before: (Deal & { notes: string }) | undefined;
  after: (Deal & { notes: string }) | undefined;
}

const opArbitrary: fc.Arbitrary<Op> = fc.record({
  user: fc.integer({ min: 0, max: USERS.length - 1 }),
  // 'sync': that user's replica catches up with the server; until then their edits are concurrent with others'.
  kind: fc.constantFrom<OpKind>('add', 'add', 'move', 'value', 'title', 'delete', 'notes', 'sync', 'sync'),
  pick: fc.nat(),
  stage: fc.nat({ max: DEFAULT_STAGES.length - 1 }),
  amount: fc.integer({ min: 0, max: 100_000 }),
  // Mostly seconds apart, sometimes hours: the log spans several days, so checkpoints and thinning both happen.
  gapMs: fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: HOUR, max: 30 * HOUR }))
});

/** Apply one op to its user's replica; the deal it is about, or null when it cannot apply (no deal to act on). */
function applyOp(doc: Y.Doc, op: Op, at: number): string | null {
  const deals = readDeals(doc).sort((a, b) => a.id.localeCompare(b.id));
  const stages = readStages(doc);
  if (op.kind === 'add') return addDeal(doc, stages[op.stage].id, { title: `Deal ${op.amount}`, value: op.amount }, { now: at });
  const deal = deals[op.pick % Math.max(1, deals.length)];
  if (!deal) return null;
  switch (op.kind) {
    case 'move':
      moveDeal(doc, deal.id, stages[op.stage].id, op.pick % 3, { now: at });
      break;
    case 'value':
      updateDeal(doc, deal.id, { value: op.amount }, { now: at });
      break;
    case 'title':
      updateDeal(doc, deal.id, { title: `Renamed ${op.amount}` }, { now: at });
      break;
    case 'notes':
      dealNotes(doc, deal.id)!.insert(0, `${USERS[op.user]} ${op.amount}. `);
      break;
    case 'delete':
      deleteDeal(doc, deal.id);
      break;
  }
  return deal.id;
}

const dealWithNotes = (doc: Y.Doc, id: string) => {
  const deal = readDeal(doc, id);
  return deal ? { ...deal, notes: dealNotes(doc, id)?.toString() ?? '' } : undefined;
};

/** A board as a comparable value: every deal with its fields and notes, and the stages. */
function picture(doc: Y.Doc) {
  return {
    stages: readStages(doc),
    deals: readDeals(doc)
      .map((deal) => ({ ...deal, notes: dealNotes(doc, deal.id)?.toString() ?? null }))
      .sort((a, b) => a.id.localeCompare(b.id))
  };
}

describe('history checkpoints and attribution (property)', () => {
  let db: Db;
  let roomCounter = 0;
  beforeAll(async () => {
    db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
  }, 120_000);
  afterAll(async () => db.close());

  it('with three users editing their own replicas concurrently, the board rebuilt at each checkpoint (and at any moment) equals the log replayed up to it, and every change names the user who made it', async () => {
    const policy: RetentionPolicy = { rawDays: 1, hourlyDays: 2, dailyDays: 4 };
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 6 }), async (ops, batchSizes) => {
        const room = `board:prop${roomCounter++}`;
        const start = 1_700_000_000_000;
        // The server's doc takes every update in the order it arrives; each user edits their own replica.
        const server = new Y.Doc();
        initBoard(server, { pipelineId: 'p', workspaceId: 'w', name: 'Property', stages: DEFAULT_STAGES });
        const initial = Y.encodeStateAsUpdate(server);
        await writeSnapshot(db, room, initial, start);
        const replicas = USERS.map(() => {
          const replica = new Y.Doc();
          Y.applyUpdate(replica, initial, 'server');
          return replica;
        });

        let at = start;
        const applied: Applied[] = [];
        let pending: Uint8Array | null = null;
        replicas.forEach((replica) => replica.on('update', (update: Uint8Array, origin: unknown) => origin !== 'server' && (pending = update)));
        for (const op of ops) {
          at += op.gapMs;
          const replica = replicas[op.user];
          if (op.kind === 'sync') {
            Y.applyUpdate(replica, Y.encodeStateAsUpdate(server, Y.encodeStateVector(replica)), 'server');
            continue;
          }
          pending = null;
          const dealId = applyOp(replica, op, at);
          if (!dealId || !pending) continue;
          const before = dealWithNotes(server, dealId);
          Y.applyUpdate(server, pending);
          applied.push({ op, data: pending, userId: USERS[op.user], at, dealId, before, after: dealWithNotes(server, dealId) });
        }

        if (!applied.length) return;
        // Store the log in random batches, compacting (with retention at that moment) after each, as a server would.
        let stored = 0;
        for (let i = 0; stored < applied.length; i++) {
          const batch = applied.slice(stored, stored + 1 + batchSizes[i % batchSizes.length]);
          await appendUpdates(db, batch.map(({ data, userId, at: acceptedAt }) => ({ room, data, userId, at: acceptedAt })));
          stored += batch.length;
          await compactRoom(db, room, { now: batch.at(-1)!.at, policy });
        }

        /** The board replayed from the start through the updates for which `keep` holds. */
        const replay = (keep: (entry: Applied, index: number) => boolean) => {
          const replica = new Y.Doc();
          Y.applyUpdate(replica, initial);
          applied.forEach((entry, index) => keep(entry, index) && Y.applyUpdate(replica, entry.data));
          return picture(replica);
        };

        // Ids are assigned in log order: the i-th applied update has the i-th id of this room.
        const allIds = await db.query<{ last: number }>('SELECT max(id) AS last FROM doc_updates');
        const lastId = Number(allIds[0].last);
        const idOf = (index: number) => lastId - (applied.length - 1 - index);

        const checkpoints = await db.query<{ at: number; last_update_id: number; data: Uint8Array }>(
          'SELECT at, last_update_id, data FROM doc_checkpoints WHERE room = $1 ORDER BY last_update_id',
          [room]
        );
        expect(checkpoints.length).toBeGreaterThan(0);
        for (const checkpoint of checkpoints) {
          const rebuilt = new Y.Doc();
          Y.applyUpdate(rebuilt, checkpointState(checkpoint.data));
          expect(picture(rebuilt)).toEqual(replay((_, index) => idOf(index) <= Number(checkpoint.last_update_id)));
          if (Number(checkpoint.last_update_id) > 0) expect(Number(checkpoint.at)).toBe(applied.find((_, index) => idOf(index) === Number(checkpoint.last_update_id))!.at);
        }

        // Any moment: exact where raw rows are kept, else the checkpoint it falls back to, named in shownAt.
        for (const entry of applied.filter((_, index) => index % 3 === 0)) {
          const found = await stateAt(db, room, entry.at);
          if (!found) continue;
          const rebuilt = new Y.Doc();
          Y.applyUpdate(rebuilt, found.state);
          expect(picture(rebuilt)).toEqual(replay((other) => other.at <= found.shownAt));
        }

        // Attribution: every change belongs to the update that made it, names its user and its deal.
        const changes = (await readChanges(db, room)).reverse();
        for (const change of changes) {
          const index = applied.findIndex((_, i) => idOf(i) === change.updateId);
          expect(index).toBeGreaterThanOrEqual(0);
          expect(change.user?.id).toBe(applied[index].userId);
          expect(change.entityId).toBe(applied[index].dealId);
          expect(change.at).toBe(applied[index].at);
        }
        // The feed keeps removals for good and the rest for the daily window: check what it still holds.
        const feedFrom = applied.at(-1)!.at - policy.dailyDays * DAY;
        applied.forEach((entry, index) => {
          if (entry.at < feedFrom && entry.op.kind !== 'delete') return;
          const mine = changes.filter((change) => change.updateId === idOf(index));
          const { before, after } = entry;
          // What the server's doc saw this update do, whatever the sender's replica believed.
          if (!before && after) expect(mine.map((change) => change.kind)).toEqual([entry.op.kind === 'add' ? 'added' : 'restored']);
          if (before && !after) {
            expect(mine.map((change) => change.kind)).toEqual(['removed']);
            expect(mine[0].before).toMatchObject({ id: before.id, title: before.title, value: before.value, notes: before.notes, stageId: before.stageId });
          }
          if (!before && !after) expect(mine).toEqual([]);
          if (before && after) {
            expect(mine.some((change) => ['moved', 'won', 'lost'].includes(change.kind))).toBe(before.stageId !== after.stageId);
            for (const field of ['title', 'value'] as const) {
              const edit = mine.find((change) => change.field === field);
              if (before[field] === after[field]) expect(edit).toBeUndefined();
              else expect(edit).toMatchObject({ kind: 'edited', before: before[field], after: after[field] });
            }
            if (entry.op.kind === 'notes') expect(mine.every((change) => change.kind === 'notes_edited')).toBe(true);
          }
        });
        // Typing in notes: one entry per deal, author and hour, on that hour's last keystroke, with every character counted.
        const typed = new Map<string, { first: number; last: number; added: number }>();
        applied.forEach((entry, index) => {
          if (entry.op.kind !== 'notes' || !entry.before || !entry.after || entry.before.notes === entry.after.notes) return;
          const key = `${entry.dealId} ${entry.userId} ${Math.floor(entry.at / HOUR)}`;
          const group = typed.get(key) ?? { first: index, last: index, added: 0 };
          typed.set(key, { first: group.first, last: index, added: group.added + entry.after.notes.length - entry.before.notes.length });
        });
        const notesEntries = changes.filter((change) => change.kind === 'notes_edited');
        // Groups the retention window cuts through are left out: their older part may be gone from the feed.
        const expected = [...typed.values()].filter((group) => applied[group.first].at >= feedFrom);
        const kept = notesEntries.filter((change) => expected.some((group) => idOf(group.last) === change.updateId));
        expect(kept.map((change) => change.updateId).sort((a, b) => a - b)).toEqual(expected.map((group) => idOf(group.last)).sort((a, b) => a - b));
        expect(new Set(notesEntries.map((change) => change.updateId)).size).toBe(notesEntries.length);
        for (const change of notesEntries) expect(typed.has(`${change.entityId} ${change.user?.id} ${Math.floor(change.at / HOUR)}`)).toBe(true);
        for (const group of expected) {
          const entry = notesEntries.find((change) => change.updateId === idOf(group.last))!;
          expect(entry.after).toMatchObject({ added: group.added, removed: 0, length: applied[group.last].after!.notes.length });
        }
      }),
      { numRuns: 25 }
    );
  }, 240_000);
});
