import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Sql } from '../store/db.ts';
import type { CheckpointRef } from './retention.ts';

/**
 * Checkpoints: the room's whole state as of one log row, kept per hour (then per day) by retention. Stored
 * deflated: a board's state is mostly strings, and checkpoints are most of history's bytes (README: History).
 */
export async function writeCheckpoint(tx: Sql, room: string, checkpoint: CheckpointRef, state: Uint8Array): Promise<void> {
  await writeStoredCheckpoint(tx, room, checkpoint, storedCheckpoint(state));
}

/** A checkpoint already in its stored form (`storedCheckpoint`), e.g. compressed off the event loop. */
export async function writeStoredCheckpoint(tx: Sql, room: string, checkpoint: CheckpointRef, stored: Uint8Array): Promise<void> {
  await tx.query(
    'INSERT INTO doc_checkpoints (room, at, last_update_id, data) VALUES ($1, $2, $3, $4) ON CONFLICT (room, last_update_id) DO UPDATE SET at = EXCLUDED.at, data = EXCLUDED.data',
    [room, checkpoint.at, checkpoint.lastUpdateId, stored]
  );
}

/** A state as doc_checkpoints stores it (deflated); `checkpointState` reads it back. */
export function storedCheckpoint(state: Uint8Array): Uint8Array {
  return deflateRawSync(state);
}

/** The checkpoint nearest at or before `at`, with its state as a Yjs update; null when none is that old. */
export async function checkpointAtOrBefore(db: Sql, room: string, at: number): Promise<(CheckpointRef & { state: Uint8Array }) | null> {
  const rows = await db.query<{ at: number; last_update_id: number; data: Uint8Array }>(
    'SELECT at, last_update_id, data FROM doc_checkpoints WHERE room = $1 AND at <= $2 ORDER BY at DESC, last_update_id DESC LIMIT 1',
    [room, at]
  );
  const row = rows[0];
  return row ? { at: Number(row.at), lastUpdateId: Number(row.last_update_id), state: checkpointState(row.data) } : null;
}

export function checkpointState(stored: Uint8Array): Uint8Array {
  return new Uint8Array(inflateRawSync(stored));
}
