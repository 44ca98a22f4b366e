import * as Y from 'yjs';
import type { Sql } from '../store/db.ts';
import { readLogRows, readSnapshot } from '../store/update-log.ts';
import { checkpointAtOrBefore, checkpointState } from './checkpoints.ts';

/** The moments of a room one can view: its checkpoints, and from when on every moment is exact (raw rows kept). */
export async function historyMoments(db: Sql, room: string): Promise<{ checkpoints: number[]; exactFrom: number | null }> {
  const rows = await db.query<{ at: number; last_update_id: number }>('SELECT at, last_update_id FROM doc_checkpoints WHERE room = $1 ORDER BY at, last_update_id', [room]);
  const prunedThrough = (await readSnapshot(db, room))?.rawPrunedThrough ?? 0;
  const exact = rows.find((row) => Number(row.last_update_id) >= prunedThrough);
  return { checkpoints: rows.map((row) => Number(row.at)), exactFrom: exact ? Number(exact.at) : null };
}

/**
 * The room's state as of `at`, as one Yjs update: the nearest checkpoint at or before it, plus the raw rows
 * accepted after that checkpoint up to `at` when they are all still kept (then `shownAt` is `at` itself);
 * otherwise the checkpoint alone (`shownAt` is its moment). Null when history holds nothing that old.
 */
export async function stateAt(db: Sql, room: string, at: number): Promise<{ state: Uint8Array; shownAt: number } | null> {
  const checkpoint = await checkpointAtOrBefore(db, room, at);
  if (!checkpoint) return null;
  const prunedThrough = (await readSnapshot(db, room))?.rawPrunedThrough ?? 0;
  if (checkpoint.lastUpdateId < prunedThrough) return { state: checkpoint.state, shownAt: checkpoint.at };
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, checkpoint.state);
    // One transaction per row, as the room took them in, so the replay equals what the room held at `at`.
    for (const row of await readLogRows(db, room, checkpoint.lastUpdateId, at)) Y.applyUpdate(doc, new Uint8Array(row.data));
    return { state: Y.encodeStateAsUpdate(doc), shownAt: at };
  } finally {
    doc.destroy();
  }
}

/** The oldest state history holds (for a board: as it was created), as a doc. */
export async function oldestDoc(db: Sql, room: string): Promise<Y.Doc | null> {
  const oldest = await db.query<{ at: number }>('SELECT min(at) AS at FROM doc_checkpoints WHERE room = $1', [room]);
  if (oldest[0]?.at === null || oldest[0]?.at === undefined) return null;
  return (await docAt(db, room, Number(oldest[0].at)))?.doc ?? null;
}

/** `stateAt` as a doc to read with the shared accessors. */
export async function docAt(db: Sql, room: string, at: number): Promise<{ doc: Y.Doc; shownAt: number } | null> {
  const found = await stateAt(db, room, at);
  if (!found) return null;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, found.state);
  return { doc, shownAt: found.shownAt };
}

/**
 * The room's state just before log row `rowId` (every row before it, none after), as a doc: exact, or null when
 * retention has thinned the raw rows that state needs.
 */
export async function docBeforeRow(db: Sql, room: string, rowId: number): Promise<Y.Doc | null> {
  const checkpoints = await db.query<{ last_update_id: number; data: Uint8Array }>(
    'SELECT last_update_id, data FROM doc_checkpoints WHERE room = $1 AND last_update_id < $2 ORDER BY last_update_id DESC LIMIT 1',
    [room, rowId]
  );
  const checkpoint = checkpoints[0];
  const prunedThrough = (await readSnapshot(db, room))?.rawPrunedThrough ?? 0;
  if (!checkpoint || Number(checkpoint.last_update_id) < prunedThrough) return null;
  const rows = await db.query<{ data: Uint8Array }>('SELECT data FROM doc_updates WHERE room = $1 AND id > $2 AND id < $3 ORDER BY id', [
    room,
    Number(checkpoint.last_update_id),
    rowId
  ]);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, checkpointState(checkpoint.data));
  for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
  return doc;
}

/** The id of the log row holding exactly `update` by `userId` (a server write just stored), or null. */
export async function loggedUpdateId(db: Sql, room: string, userId: string, update: Uint8Array): Promise<number | null> {
  const rows = await db.query<{ id: number; data: Uint8Array }>('SELECT id, data FROM doc_updates WHERE room = $1 AND user_id = $2 ORDER BY id DESC LIMIT 20', [room, userId]);
  const wanted = Buffer.from(update.buffer, update.byteOffset, update.byteLength);
  const found = rows.find((row) => Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength).equals(wanted));
  return found ? Number(found.id) : null;
}
