import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, initBoard, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { silentLog } from '../log.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrations.ts';
import { appendUpdates, loadRoomUpdates, writeSnapshot } from '../store/update-log.ts';
import { Rooms } from '../sync/rooms.ts';
import { compactRoom } from './compaction.ts';
import { DAY, HOUR } from './retention.ts';
import { readChanges, readFeedPage } from './feed.ts';
import { stateAt } from './timeline.ts';
import { checkpointState } from './checkpoints.ts';
import { postgresStorage } from '../../tests/support/server-process.ts';

/** PGlite always; also the Postgres at DATABASE_URL (a throwaway database) when it is set. */
const backends = [
  { label: 'PGlite', open: async () => ({ db: await openDb({ dataDir: 'memory://' }), dispose: async () => {} }) },
  ...(process.env.DATABASE_URL
    ? [
        {
          label: 'Postgres',
          open: async () => {
            const storage = await postgresStorage(process.env.DATABASE_URL!);
            return { db: await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: '' }), dispose: () => storage.dispose() };
          }
        }
      ]
    : [])
];

describe.each(backends)('compaction keeps history, retention bounds it, on $label', ({ open }) => {
  let db: Db;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await open());
    await migrate(db);
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await dispose();
  });

  const count = async (table: string, room: string, where = '') =>
    Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE room = $1 ${where}`, [room]))[0].n);

  it('a room nobody edits any more is thinned by the sweep: one checkpoint, no raw rows, removals kept', async () => {
    const room = 'board:idle';
    const start = Date.UTC(2025, 0, 1);
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'idle', workspaceId: 'w', name: 'Idle', stages: DEFAULT_STAGES });
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(doc), start);
    const updates: Array<{ room: string; data: Uint8Array; userId: string; at: number }> = [];
    let at = start;
    doc.on('update', (data: Uint8Array) => updates.push({ room, data, userId: 'ann', at }));
    for (let hour = 1; hour <= 48; hour++) {
      at = start + hour * HOUR;
      const id = addDeal(doc, readStages(doc)[0].id, { title: `Deal ${hour}` }, { now: at });
      updateDeal(doc, id, { value: hour }, { now: at });
      if (hour % 10 === 0) deleteDeal(doc, id);
    }
    await appendUpdates(db, updates);
    expect(await compactRoom(db, room, { now: at })).toEqual({ folded: updates.length });
    expect(await count('doc_checkpoints', room)).toBe(49);
    expect(await count('doc_updates', room)).toBe(updates.length);
    const exact = await stateAt(db, room, start + 30 * HOUR + 1);
    expect(exact?.shownAt).toBe(start + 30 * HOUR + 1);

    // Two years later nobody has opened it; the hourly sweep thins it anyway.
    const rooms = new Rooms(db, silentLog, { clock: () => start + 2 * 365 * DAY });
    expect(await rooms.sweep()).toBeGreaterThanOrEqual(1);
    expect(await count('doc_checkpoints', room)).toBe(1);
    expect(await count('doc_updates', room)).toBe(0);
    expect(await count('doc_changes', room, "AND kind <> 'removed'")).toBe(0);
    expect(await count('doc_changes', room, "AND kind = 'removed'")).toBe(4);
    // The board still loads whole from its snapshot, and its newest state is still a moment one can view.
    const loaded = new Y.Doc();
    for (const update of (await loadRoomUpdates(db, room)).updates) Y.applyUpdate(loaded, update);
    expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(doc));
    const last = await stateAt(db, room, start + 2 * 365 * DAY);
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, last!.state);
    expect(Y.encodeStateVector(rebuilt)).toEqual(Y.encodeStateVector(doc));
    // A moment before the only checkpoint left is gone for good.
    expect(await stateAt(db, room, start + 30 * HOUR)).toBeNull();
    await rooms.closeAll(1001, 'test over');
  }, 60_000);

  it('a fold on the fold thread stores the same snapshot, checkpoints and changes as one run inline', async () => {
    const start = Date.UTC(2025, 0, 1);
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'fold', workspaceId: 'w', name: 'Fold', stages: DEFAULT_STAGES });
    const initial = Y.encodeStateAsUpdate(doc);
    const updates: Array<{ data: Uint8Array; userId: string; at: number }> = [];
    let at = start;
    doc.on('update', (data: Uint8Array) => updates.push({ data, userId: at % 2 ? 'ann' : 'bob', at }));
    for (let step = 1; step <= 30; step++) {
      at = start + step * 17 * 60_000; // 30 steps over about 8 hours: several checkpoints
      const id = addDeal(doc, readStages(doc)[step % 3].id, { title: `Deal ${step}` }, { now: at });
      updateDeal(doc, id, { value: step * 100 }, { now: at });
      dealNotes(doc, id)!.insert(0, `note ${step}`);
      if (step % 7 === 0) deleteDeal(doc, id);
    }
    renameStage(doc, readStages(doc)[2].id, 'Discovery');
    const stored = async (room: string) => ({
      snapshot: (await db.query<{ data: Uint8Array }>('SELECT data FROM doc_snapshots WHERE room = $1', [room]))[0].data,
      checkpoints: (await db.query<{ at: number; last_update_id: number; data: Uint8Array }>('SELECT at, last_update_id, data FROM doc_checkpoints WHERE room = $1 ORDER BY at', [room])).map(
        (row) => ({ at: Number(row.at), data: [...checkpointState(row.data)] })
      ),
      changes: (await readChanges(db, room, '')).map(({ user, at: when, entityId, kind, field, before, after }) => ({ user: user?.id, when, entityId, kind, field, before, after }))
    });
    const results = [];
    for (const [room, threadFromBytes] of [['board:fold-inline', Infinity], ['board:fold-thread', 0]] as const) {
      await writeSnapshot(db, room, initial, start);
      await appendUpdates(db, updates.map((update) => ({ ...update, room })));
      expect(await compactRoom(db, room, { now: at, threadFromBytes })).toEqual({ folded: updates.length });
      results.push(await stored(room));
    }
    const [inline, thread] = results;
    expect(inline.checkpoints.length).toBeGreaterThan(5);
    expect(inline.changes.filter((change) => change.kind === 'removed')).toHaveLength(4);
    expect([...thread.snapshot]).toEqual([...inline.snapshot]);
    expect(thread.checkpoints).toEqual(inline.checkpoints);
    expect(thread.changes).toEqual(inline.changes);
  }, 60_000);

  it('typing in notes is one entry per deal, author and hour, summed across folds; stage renames are attributed entries', async () => {
    const room = 'board:notes';
    const start = Date.UTC(2025, 0, 1);
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'notes', workspaceId: 'w', name: 'Notes', stages: DEFAULT_STAGES });
    await writeSnapshot(db, room, Y.encodeStateAsUpdate(doc), start);
    let author = 'ann';
    let at = start;
    let updates: Array<{ room: string; data: Uint8Array; userId: string; at: number }> = [];
    doc.on('update', (data: Uint8Array) => updates.push({ room, data, userId: author, at }));
    const dealId = addDeal(doc, readStages(doc)[0].id, { title: 'Acme' }, { now: at });
    const notes = dealNotes(doc, dealId)!;
    const type = (text: string) => {
      for (const char of text) {
        at += 1_000;
        notes.insert(notes.length, char);
      }
    };
    type('Hello'); // Ann, five keystrokes
    author = 'bob';
    type('!!'); // Bob, two
    author = 'ann';
    at += 1_000;
    notes.delete(0, 1); // Ann deletes one character, same hour
    at += 1_000;
    renameStage(doc, readStages(doc)[1].id, 'Discovery');
    await appendUpdates(db, updates);
    updates = [];
    await compactRoom(db, room, { now: at });

    const notesRows = async () => (await readChanges(db, room, "AND c.kind = 'notes_edited'")).map((row) => ({ user: row.user?.id, after: row.after, before: row.before }));
    expect(await notesRows()).toEqual([
      { user: 'ann', after: { added: 5, removed: 1, length: 6 }, before: null },
      { user: 'bob', after: { added: 2, removed: 0, length: 7 }, before: null }
    ]);
    const renames = await readChanges(db, room, "AND c.kind = 'stage_changed'");
    expect(renames.map((row) => [row.field, row.before, row.after])).toEqual([['name', 'Qualified', 'Discovery']]);

    // A later fold in the same hour replaces Ann's entry with one that sums both and names the one it replaces.
    const [annEntry] = await readChanges(db, room, "AND c.kind = 'notes_edited' AND c.user_id = 'ann'");
    type('abc');
    // The next hour starts a new entry.
    at = start + HOUR + 5_000;
    type('d');
    await appendUpdates(db, updates);
    await compactRoom(db, room, { now: at });
    const after = await readChanges(db, room, "AND c.kind = 'notes_edited' AND c.user_id = 'ann'");
    expect(after.map((row) => ({ after: row.after, before: row.before }))).toEqual([
      { after: { added: 1, removed: 0, length: 10 }, before: null },
      { after: { added: 8, removed: 1, length: 9 }, before: { replaces: annEntry.id } }
    ]);
    expect(after[1].id).toBeGreaterThan(annEntry.id);

    // The cursor feed: oldest first, `next` the last id listed, `more` while more follow.
    const first = await readFeedPage(db, room, {}, 2);
    expect(first.rows.map((row) => row.kind)).toEqual(['added', 'notes_edited']);
    expect(first).toMatchObject({ next: first.rows[1].id, more: true });
    const rest = await readFeedPage(db, room, { after: first.next }, 100);
    expect(rest.more).toBe(false);
    expect(rest.rows.every((row) => row.id > first.next)).toBe(true);
    const all = [...first.rows, ...rest.rows];
    expect(all.map((row) => row.id)).toEqual([...all.map((row) => row.id)].sort((a, b) => a - b));
    expect(await readFeedPage(db, room, { after: rest.next }, 100)).toEqual({ rows: [], next: rest.next, more: false });
    // By moment: what was accepted after it; with nothing newer, `next` is the newest change so far.
    expect((await readFeedPage(db, room, { since: start + HOUR }, 100)).rows.map((row) => row.user?.id)).toEqual(['ann']);
    expect(await readFeedPage(db, room, { since: at }, 100)).toEqual({ rows: [], next: rest.next, more: false });
  }, 60_000);
});
