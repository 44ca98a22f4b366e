import type { NotesEdit } from '../../shared/history.ts';
import { parseRoom } from '../../shared/rooms.ts';
import type { Db, Sql } from '../store/db.ts';
import { readLogRows, readSnapshot, writeSnapshot, type LogRow } from '../store/update-log.ts';
import type { EntityChange } from './changes.ts';
import { writeCheckpoint, writeStoredCheckpoint } from './checkpoints.ts';
import { foldInputBytes, foldRowsInSlices, type FoldInput, type FoldOutput } from './fold.ts';
import { foldOnThread } from './fold-thread.ts';
import { checkpointsToKeep, DAY, DEFAULT_RETENTION, HOUR, type RetentionPolicy } from './retention.ts';

export interface CompactionOptions {
  now?: number;
  policy?: RetentionPolicy;
  /** Folds of at least this many input bytes (snapshot + new rows) run on the fold thread; smaller ones here, in slices. */
  threadFromBytes?: number;
}

/**
 * A 10,000-deal board's snapshot is about 4 MB. A fold of less than this runs on the main thread in slices of a few
 * milliseconds (a thread of its own would first load and warm up its code, and hold its own heap).
 */
export const THREAD_FROM_BYTES = 256 * 1024;

/** How often a fold is redone when another compaction of the room (another server) moved the snapshot meanwhile. */
const ATTEMPTS = 3;

/**
 * Fold a room's new log rows into its snapshot, keeping history: replay each row after the snapshot, derive its
 * changes (with the row's user and time) into doc_changes, write a checkpoint at the end of each hour the rows
 * span, move the snapshot forward, then apply retention. Log rows are not deleted here except by retention, once
 * they are older than the raw window and a checkpoint covers them.
 *
 * The replay runs outside the write transaction (on the fold thread for a large room): the event loop keeps serving
 * sockets, and PGlite, which runs one transaction at a time, keeps storing updates meanwhile. The write transaction
 * then checks, under the room's lock, that the snapshot is still the one the fold started from.
 */
export async function compactRoom(db: Db, room: string, options: CompactionOptions = {}): Promise<{ folded: number }> {
  const now = options.now ?? Date.now();
  const policy = options.policy ?? DEFAULT_RETENTION;
  for (let attempt = 1; ; attempt++) {
    const result = await compactOnce(db, room, now, policy, options.threadFromBytes ?? THREAD_FROM_BYTES);
    if (result || attempt === ATTEMPTS) return result ?? { folded: 0 };
  }
}

/** One fold; null when the snapshot moved while it ran (nothing written). */
async function compactOnce(db: Db, room: string, now: number, policy: RetentionPolicy, threadFromBytes: number): Promise<{ folded: number } | null> {
  const read = await db.transaction(async (tx) => {
    const snapshot = await readSnapshot(tx, room);
    const rows = await readLogRows(tx, room, snapshot?.lastUpdateId ?? 0);
    const firstCheckpoint = snapshot !== null && !(await hasCheckpoint(tx, room));
    return { snapshot, rows, firstCheckpoint, removedIds: rows.length ? await removedEarlier(tx, room) : [] };
  });
  const { snapshot, rows } = read;
  const from = snapshot?.lastUpdateId ?? null;
  let output: FoldOutput | null = null;
  if (rows.length) {
    const kind = parseRoom(room)?.kind ?? null;
    const input: FoldInput = {
      kind,
      snapshot: snapshot && new Uint8Array(snapshot.data),
      snapshotIsFirstCheckpoint: read.firstCheckpoint,
      rows: rows.map((row) => ({ id: row.id, at: row.at, data: new Uint8Array(row.data) })),
      removedIds: read.removedIds
    };
    output = foldInputBytes(input) >= threadFromBytes ? await foldOnThread(input) : await foldRowsInSlices(input);
  }
  return db.transaction(async (tx) => {
    // Serialise compactions of one room (two servers, or unload racing a threshold compaction).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [room]);
    const current = await tx.query<{ last_update_id: number }>('SELECT last_update_id FROM doc_snapshots WHERE room = $1', [room]);
    if ((current[0] ? Number(current[0].last_update_id) : null) !== from) return null;
    if (snapshot && read.firstCheckpoint && !(await hasCheckpoint(tx, room))) {
      // History starts with the state the room was created with.
      const at = { at: snapshot.updatedAt, lastUpdateId: snapshot.lastUpdateId };
      if (output?.firstCheckpoint) await writeStoredCheckpoint(tx, room, at, output.firstCheckpoint);
      else await writeCheckpoint(tx, room, at, new Uint8Array(snapshot.data));
    }
    if (!output) {
      // Nothing new, but time has passed: a room nobody edits any more is thinned too.
      await applyRetention(tx, room, now, policy);
      return { folded: 0 };
    }
    for (const checkpoint of output.checkpoints) {
      await writeStoredCheckpoint(tx, room, { at: checkpoint.at, lastUpdateId: checkpoint.lastUpdateId }, checkpoint.stored);
    }
    const changes = output.changes.map(({ rowIndex, ...change }) => ({ ...change, row: rows[rowIndex] }));
    await insertChanges(tx, room, await coalesceNotes(tx, room, changes));
    await writeSnapshot(tx, room, output.snapshot, now, rows.at(-1)!.id);
    await applyRetention(tx, room, now, policy);
    return { folded: rows.length };
  });
}

async function hasCheckpoint(tx: Sql, room: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM doc_checkpoints WHERE room = $1 LIMIT 1', [room])).length > 0;
}

/** Entities a removal was recorded for: one that reappears after it is 'restored', not 'added'. */
async function removedEarlier(tx: Sql, room: string): Promise<string[]> {
  const removed = await tx.query<{ entity_id: string }>("SELECT DISTINCT entity_id FROM doc_changes WHERE room = $1 AND kind = 'removed'", [room]);
  return removed.map((row) => row.entity_id);
}

type PendingChange = EntityChange & { row: LogRow };

const notesKey = (entityId: string, userId: string | null, at: number) => `${entityId}\u0000${userId ?? ''}\u0000${Math.floor(at / HOUR)}`;

/**
 * Typing in notes is one entry per deal, author and hour, not one per keystroke: within this fold the counts add up
 * (the entry keeps the last keystroke's moment and title), and an entry of the same hour stored by an earlier fold
 * is replaced by one that sums both (the new entry names the old id in `before.replaces`, so a reader following
 * the feed with a cursor can drop the one it already has).
 */
async function coalesceNotes(tx: Sql, room: string, changes: readonly PendingChange[]): Promise<PendingChange[]> {
  // Each key's entry sits where its last keystroke was; earlier places are left empty and dropped at the end.
  const out: Array<PendingChange | null> = [];
  const merged = new Map<string, number>();
  for (const change of changes) {
    if (change.kind !== 'notes_edited') {
      out.push(change);
      continue;
    }
    const key = notesKey(change.entityId, change.row.userId, change.row.at);
    const earlier = merged.get(key);
    const after = earlier === undefined ? change.after : addNotes(out[earlier]!.after as NotesEdit, change.after as NotesEdit);
    if (earlier !== undefined) out[earlier] = null;
    merged.set(key, out.length);
    out.push({ ...change, after });
  }
  for (const index of merged.values()) {
    const change = out[index]!;
    const hour = Math.floor(change.row.at / HOUR) * HOUR;
    const stored = await tx.query<{ id: number; after: string | null }>(
      `SELECT id, after FROM doc_changes WHERE room = $1 AND kind = 'notes_edited' AND entity_id = $2 AND user_id IS NOT DISTINCT FROM $3
       AND at >= $4 AND at < $5 ORDER BY id DESC LIMIT 1`,
      [room, change.entityId, change.row.userId, hour, hour + HOUR]
    );
    const old = stored[0];
    if (!old) continue;
    await tx.query('DELETE FROM doc_changes WHERE id = $1', [old.id]);
    out[index] = { ...change, before: { replaces: Number(old.id) }, after: addNotes(JSON.parse(old.after ?? 'null') as NotesEdit | null, change.after as NotesEdit) };
  }
  return out.filter((change): change is PendingChange => change !== null);
}

function addNotes(earlier: NotesEdit | null, later: NotesEdit): NotesEdit {
  return { added: (Number(earlier?.added) || 0) + later.added, removed: (Number(earlier?.removed) || 0) + later.removed, length: later.length };
}

const CHANGES_PER_INSERT = 200;

async function insertChanges(tx: Sql, room: string, changes: readonly PendingChange[]): Promise<void> {
  for (let start = 0; start < changes.length; start += CHANGES_PER_INSERT) {
    const chunk = changes.slice(start, start + CHANGES_PER_INSERT);
    const columns = 10;
    const values = chunk.map((_, i) => `(${Array.from({ length: columns }, (_, c) => `$${i * columns + c + 1}`).join(', ')})`).join(', ');
    await tx.query(
      `INSERT INTO doc_changes (room, update_id, at, user_id, entity_id, title, kind, field, before, after) VALUES ${values}`,
      chunk.flatMap((change) => [
        room,
        change.row.id,
        change.row.at,
        change.row.userId,
        change.entityId,
        change.title,
        change.kind,
        change.field,
        change.before === null || change.before === undefined ? null : JSON.stringify(change.before),
        change.after === null || change.after === undefined ? null : JSON.stringify(change.after)
      ])
    );
  }
}

/** Thin checkpoints to the policy, drop raw rows a kept checkpoint covers past the raw window, and old feed rows. */
async function applyRetention(tx: Sql, room: string, now: number, policy: RetentionPolicy): Promise<void> {
  const rows = await tx.query<{ at: number; last_update_id: number }>('SELECT at, last_update_id FROM doc_checkpoints WHERE room = $1', [room]);
  const all = rows.map((row) => ({ at: Number(row.at), lastUpdateId: Number(row.last_update_id) }));
  const kept = checkpointsToKeep(all, now, policy);
  const keptIds = new Set(kept.map((checkpoint) => checkpoint.lastUpdateId));
  const dropped = all.filter((checkpoint) => !keptIds.has(checkpoint.lastUpdateId)).map((checkpoint) => checkpoint.lastUpdateId);
  for (let start = 0; start < dropped.length; start += 500) {
    const chunk = dropped.slice(start, start + 500);
    await tx.query(`DELETE FROM doc_checkpoints WHERE room = $1 AND last_update_id IN (${chunk.map((_, i) => `$${i + 2}`).join(', ')})`, [room, ...chunk]);
  }
  // Raw rows older than the raw window go once folded: the newest checkpoint (at the snapshot) covers them.
  const prunable = await tx.query<{ through: number | null }>(
    'SELECT max(u.id) AS through FROM doc_updates u JOIN doc_snapshots s ON s.room = u.room WHERE u.room = $1 AND u.created_at < $2 AND u.id <= s.last_update_id',
    [room, now - policy.rawDays * DAY]
  );
  const through = Number(prunable[0]?.through ?? 0);
  if (through > 0) {
    await tx.query('DELETE FROM doc_updates WHERE room = $1 AND id <= $2', [room, through]);
    await tx.query('UPDATE doc_snapshots SET raw_pruned_through = greatest(raw_pruned_through, $2) WHERE room = $1', [room, through]);
  }
  await tx.query("DELETE FROM doc_changes WHERE room = $1 AND at < $2 AND kind <> 'removed'", [room, now - policy.dailyDays * DAY]);
}
