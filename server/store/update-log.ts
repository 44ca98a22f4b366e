import * as Y from 'yjs';
import type { Db, Sql } from './db.ts';

export interface LoggedUpdate {
  room: string;
  data: Uint8Array;
}

/** Rows per INSERT: two parameters each, well under Postgres' 65,535 parameter limit. */
const ROWS_PER_INSERT = 500;

/** Append many updates with a few multi-row INSERTs in one transaction: all of the batch is stored, or none. */
export async function appendUpdates(db: Db, updates: readonly LoggedUpdate[], now = Date.now()): Promise<void> {
  if (!updates.length) return;
  await db.transaction(async (tx) => {
    for (let start = 0; start < updates.length; start += ROWS_PER_INSERT) {
      const chunk = updates.slice(start, start + ROWS_PER_INSERT);
      const values = chunk.map((_, i) => `($${i * 2 + 1}, $${i * 2 + 2}, ${now})`).join(', ');
      await tx.query(`INSERT INTO doc_updates (room, data, created_at) VALUES ${values}`, chunk.flatMap((update) => [update.room, update.data]));
    }
  });
}

/** Everything stored for a room: its snapshot, then the log rows written after it, in order. */
export async function loadRoomUpdates(db: Sql, room: string): Promise<{ updates: Uint8Array[]; logRows: number; lastId: number }> {
  const snapshot = await db.query<{ data: Uint8Array }>('SELECT data FROM doc_snapshots WHERE room = $1', [room]);
  const log = await db.query<{ id: number; data: Uint8Array }>('SELECT id, data FROM doc_updates WHERE room = $1 ORDER BY id', [room]);
  return {
    updates: [...snapshot.map((row) => row.data), ...log.map((row) => row.data)],
    logRows: log.length,
    lastId: log.at(-1)?.id ?? 0
  };
}

/** The room's whole stored state as one Yjs update. */
export async function loadRoomState(db: Sql, room: string): Promise<Uint8Array | null> {
  const { updates } = await loadRoomUpdates(db, room);
  return updates.length ? Y.mergeUpdates(updates.map((update) => new Uint8Array(update))) : null;
}

/**
 * Fold a room's log into its snapshot. Reading, writing the snapshot and deleting exactly the rows folded in happen
 * in one transaction, so an update appended meanwhile stays in the log and none is ever lost between the two.
 */
export async function compactRoom(db: Db, room: string, now = Date.now()): Promise<{ folded: number }> {
  return db.transaction(async (tx) => {
    // Serialise compactions of one room (two servers, or unload racing a threshold compaction).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [room]);
    const { updates, logRows, lastId } = await loadRoomUpdates(tx, room);
    if (logRows === 0) return { folded: 0 };
    const merged = Y.mergeUpdates(updates.map((update) => new Uint8Array(update)));
    await writeSnapshot(tx, room, merged, now);
    await tx.query('DELETE FROM doc_updates WHERE room = $1 AND id <= $2', [room, lastId]);
    return { folded: logRows };
  });
}

export async function writeSnapshot(tx: Sql, room: string, state: Uint8Array, now = Date.now()): Promise<void> {
  await tx.query(
    `INSERT INTO doc_snapshots (room, data, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (room) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
    [room, state, now]
  );
}
