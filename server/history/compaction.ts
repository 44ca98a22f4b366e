import * as Y from 'yjs';
import type { NotesEdit } from '../../shared/history.ts';
import { parseRoom } from '../../shared/rooms.ts';
import type { Db, Sql } from '../store/db.ts';
import { readLogRows, readSnapshot, writeSnapshot, type LogRow } from '../store/update-log.ts';
import { boardTracker, contactsTracker, type ChangeTracker, type EntityChange } from './changes.ts';
import { writeCheckpoint } from './checkpoints.ts';
import { checkpointsToKeep, DAY, DEFAULT_RETENTION, HOUR, type RetentionPolicy } from './retention.ts';

export interface CompactionOptions {
  now?: number;
  policy?: RetentionPolicy;
}

/**
 * Fold a room's new log rows into its snapshot, keeping history: in one transaction, replay each row after the
 * snapshot, derive its changes (with the row's user and time) into doc_changes, write a checkpoint at the end of
 * each hour the rows span, move the snapshot forward, then apply retention. Log rows are not deleted here except
 * by retention, once they are older than the raw window and a checkpoint covers them.
 */
export async function compactRoom(db: Db, room: string, options: CompactionOptions = {}): Promise<{ folded: number }> {
  const now = options.now ?? Date.now();
  const policy = options.policy ?? DEFAULT_RETENTION;
  return db.transaction(async (tx) => {
    // Serialise compactions of one room (two servers, or unload racing a threshold compaction).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [room]);
    const snapshot = await readSnapshot(tx, room);
    const rows = await readLogRows(tx, room, snapshot?.lastUpdateId ?? 0);
    if (snapshot && !(await hasCheckpoint(tx, room))) {
      // History starts with the state the room was created with.
      await writeCheckpoint(tx, room, { at: snapshot.updatedAt, lastUpdateId: snapshot.lastUpdateId }, new Uint8Array(snapshot.data));
    }
    if (!rows.length) {
      // Nothing new, but time has passed: a room nobody edits any more is thinned too.
      await applyRetention(tx, room, now, policy);
      return { folded: 0 };
    }
    const doc = new Y.Doc();
    if (snapshot) Y.applyUpdate(doc, new Uint8Array(snapshot.data));
    const tracker = await trackerFor(tx, room, doc);
    const changes: PendingChange[] = [];
    for (const [index, row] of rows.entries()) {
      const update = new Uint8Array(row.data);
      if (tracker) changes.push(...tracker.apply(update).map((change) => ({ ...change, row })));
      else Y.applyUpdate(doc, update);
      const next = rows[index + 1];
      // The last state of each hour with activity is a checkpoint (retention drops the current hour's earlier ones).
      if (!next || Math.floor(next.at / HOUR) !== Math.floor(row.at / HOUR)) {
        await writeCheckpoint(tx, room, { at: row.at, lastUpdateId: row.id }, Y.encodeStateAsUpdate(doc));
      }
    }
    await insertChanges(tx, room, await coalesceNotes(tx, room, changes));
    const last = rows.at(-1)!;
    await writeSnapshot(tx, room, Y.encodeStateAsUpdate(doc), now, last.id);
    await applyRetention(tx, room, now, policy);
    doc.destroy();
    return { folded: rows.length };
  });
}

async function hasCheckpoint(tx: Sql, room: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM doc_checkpoints WHERE room = $1 LIMIT 1', [room])).length > 0;
}

async function trackerFor(tx: Sql, room: string, doc: Y.Doc): Promise<ChangeTracker | null> {
  const kind = parseRoom(room)?.kind;
  if (!kind) return null;
  // An entity that reappears after a removal recorded earlier is 'restored', not 'added'.
  const removed = await tx.query<{ entity_id: string }>("SELECT DISTINCT entity_id FROM doc_changes WHERE room = $1 AND kind = 'removed'", [room]);
  const ids = removed.map((row) => row.entity_id);
  return kind === 'board' ? boardTracker(doc, ids) : contactsTracker(doc, ids);
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
