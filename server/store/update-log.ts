import * as Y from 'yjs';
import { sqlLiteral, type Db, type Sql, type Statement } from './db.ts';

export interface LoggedUpdate {
  room: string;
  data: Uint8Array;
  /** Who sent it: the authenticated user of the connection, or the acting user of a server write; null: the system. */
  userId: string | null;
  /** When the room accepted it (epoch ms), so a delayed write keeps the moment the change happened. */
  at: number;
}

/** One stored row of the log, as history reads it. */
export interface LogRow {
  id: number;
  data: Uint8Array;
  userId: string | null;
  at: number;
}

/** Rows per INSERT: four parameters each, well under Postgres' 65,535 parameter limit. */
const ROWS_PER_INSERT = 500;

/**
 * Append many updates with a few multi-row INSERTs in one transaction: all of the batch is stored, or none. The
 * statements are known up front, so they go as one batch: one message to the PGlite worker, one pipeline on Postgres.
 */
export async function appendUpdates(db: Db, updates: readonly LoggedUpdate[]): Promise<void> {
  if (!updates.length) return;
  const statements: Statement[] = [];
  for (let start = 0; start < updates.length; start += ROWS_PER_INSERT) {
    const chunk = updates.slice(start, start + ROWS_PER_INSERT);
    const values = chunk.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(', ');
    statements.push({
      text: `INSERT INTO doc_updates (room, data, user_id, created_at) VALUES ${values}`,
      params: chunk.flatMap((update) => [update.room, update.data, update.userId, update.at])
    });
  }
  await db.batch(statements);
}

export interface StoredSnapshot {
  data: Uint8Array;
  /** The last log row folded into it: rows after it are not in the snapshot yet. */
  lastUpdateId: number;
  /** Log rows up to this id were deleted by retention (a checkpoint covers them). */
  rawPrunedThrough: number;
  updatedAt: number;
}

export async function readSnapshot(db: Sql, room: string): Promise<StoredSnapshot | null> {
  const rows = await db.query<{ data: Uint8Array; last_update_id: number; raw_pruned_through: number; updated_at: number }>(
    'SELECT data, last_update_id, raw_pruned_through, updated_at FROM doc_snapshots WHERE room = $1',
    [room]
  );
  const row = rows[0];
  return row ? { data: row.data, lastUpdateId: Number(row.last_update_id), rawPrunedThrough: Number(row.raw_pruned_through), updatedAt: Number(row.updated_at) } : null;
}

/** Log rows of a room after `afterId`, in order, optionally only those accepted at or before `until`. */
export async function readLogRows(db: Sql, room: string, afterId: number, until = Number.MAX_SAFE_INTEGER): Promise<LogRow[]> {
  const rows = await db.query<{ id: number; data: Uint8Array; user_id: string | null; created_at: number }>(
    'SELECT id, data, user_id, created_at FROM doc_updates WHERE room = $1 AND id > $2 AND created_at <= $3 ORDER BY id',
    [room, afterId, until]
  );
  return rows.map((row) => ({ id: Number(row.id), data: row.data, userId: row.user_id, at: Number(row.created_at) }));
}

/**
 * Everything stored for a room: its snapshot, then the log rows written after it, in order. One statement, so a
 * compaction committing meanwhile (which moves the snapshot and may prune rows it covers) is seen whole or not at all.
 */
export async function loadRoomUpdates(db: Sql, room: string): Promise<{ updates: Uint8Array[]; logRows: number; lastId: number }> {
  const select = (name: string) => `SELECT 0::int4 AS part, data, last_update_id::int8 AS id FROM doc_snapshots WHERE room = ${name}
     UNION ALL
     SELECT 1::int4 AS part, data, id::int8 FROM doc_updates
     WHERE room = ${name} AND id > coalesce((SELECT last_update_id FROM doc_snapshots WHERE room = ${name}), 0)
     ORDER BY part, id`;
  // On PGlite, the same statement through a binary COPY: a 4 MB snapshot as hex text costs far more to make and read.
  const literal = sqlLiteral(room);
  const rows =
    db.copyRows && literal
      ? await db.copyRows<{ part: number; data: Uint8Array; id: number }>(select(literal), [['part', 'int4'], ['data', 'bytea'], ['id', 'int8']])
      : await db.query<{ part: number; data: Uint8Array; id: number }>(select('$1'), [room]);
  const log = rows.filter((row) => Number(row.part) === 1);
  return {
    updates: rows.map((row) => row.data),
    logRows: log.length,
    lastId: Number(rows.at(-1)?.id ?? 0)
  };
}

/** The room's whole stored state as one Yjs update. */
export async function loadRoomState(db: Sql, room: string): Promise<Uint8Array | null> {
  const { updates } = await loadRoomUpdates(db, room);
  return updates.length ? Y.mergeUpdates(updates.map((update) => new Uint8Array(update))) : null;
}

/** Write a room's snapshot: its state with every log row up to `lastUpdateId` folded in (0 for a new doc). */
export async function writeSnapshot(tx: Sql, room: string, state: Uint8Array, now = Date.now(), lastUpdateId = 0): Promise<void> {
  await tx.query(
    `INSERT INTO doc_snapshots (room, data, updated_at, last_update_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (room) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at, last_update_id = EXCLUDED.last_update_id`,
    [room, state, now, lastUpdateId]
  );
}

/**
 * The schema version a room's stored state was last opened and migrated at (null: never recorded). Only the server
 * writes a doc's schemaVersion (clients' updates to meta are refused), so what is stored after that stays current
 * until the code's version moves on.
 */
export async function readRoomSchema(db: Sql, room: string): Promise<number | null> {
  const rows = await db.query<{ version: number }>('SELECT version FROM room_schema WHERE room = $1', [room]);
  return rows[0] ? Number(rows[0].version) : null;
}

export async function writeRoomSchema(db: Sql, room: string, version: number): Promise<void> {
  await db.query(
    'INSERT INTO room_schema (room, version) VALUES ($1, $2) ON CONFLICT (room) DO UPDATE SET version = EXCLUDED.version',
    [room, version]
  );
}
