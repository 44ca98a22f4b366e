import { migrateBoard } from '../../shared/board-doc.ts';
import { migrateContacts } from '../../shared/contacts-doc.ts';
import { describeProblem, docProblems, type DocKind } from '../../shared/doc-schema.ts';
import { repairBoard, repairContacts, type RepairReport } from '../../shared/doc-repair.ts';
import { parseRoom } from '../../shared/rooms.ts';
import { SchemaAdmission } from './admission.ts';
import type { Db } from '../store/db.ts';
import { compactRoom, loadRoomUpdates } from '../store/update-log.ts';
import { UpdateWriter } from '../store/update-writer.ts';
import type { Log } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { Room, type Connection } from './room.ts';

export interface RoomsOptions {
  /** Fold a room's log into its snapshot once it holds this many rows. */
  compactAfter?: number;
  /** Keep an empty room in memory this long, so a quick reconnect does not reload it. */
  unloadAfterMs?: number;
  /** Refuse updates that would grow a doc past this many bytes (MAX_DOC_BYTES). */
  maxDocBytes?: number;
  metrics?: Metrics;
}

interface Entry {
  room: Room;
  holds: number;
  logRows: number;
  compacting: Promise<unknown> | null;
  unloadTimer: NodeJS.Timeout | null;
}

/**
 * The rooms this process holds, with their lifecycle: load (snapshot + log) → apply & broadcast (Room) →
 * store (UpdateWriter) → compact → unload. Concurrent loads of one room share one promise; a room unloads only
 * once everything it accepted is stored.
 */
export class Rooms {
  readonly writer: UpdateWriter;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly compactAfter: number;
  private readonly unloadAfterMs: number;
  private readonly maxDocBytes: number | undefined;
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    options: RoomsOptions = {}
  ) {
    this.compactAfter = options.compactAfter ?? 500;
    this.unloadAfterMs = options.unloadAfterMs ?? 5_000;
    this.maxDocBytes = options.maxDocBytes;
    this.metrics = options.metrics;
    this.writer = new UpdateWriter(db, {
      onStored: (room, count) => this.afterStored(room, count),
      onWritten: (seconds) => this.metrics?.writeSeconds.observe(seconds),
      onError: (error, attempt) => {
        this.metrics?.writeFailures.inc();
        this.log.error('update log write failed; keeping updates in memory', { attempt, pending: this.writer.pendingCount, error: error.message });
      }
    });
  }

  get loadedCount(): number {
    return this.entries.size;
  }

  /** Load (or reuse) a room and hold it open until `release`. */
  async acquire(name: string): Promise<Room> {
    await this.unloading.get(name);
    let entry = this.entries.get(name);
    if (!entry) {
      let load = this.loading.get(name);
      if (!load) {
        load = this.load(name).finally(() => this.loading.delete(name));
        this.loading.set(name, load);
      }
      entry = await load;
    }
    entry.holds++;
    if (entry.unloadTimer) clearTimeout(entry.unloadTimer);
    entry.unloadTimer = null;
    return entry.room;
  }

  release(room: Room): void {
    const entry = this.entries.get(room.name);
    if (!entry || entry.room !== room) return;
    entry.holds = Math.max(0, entry.holds - 1);
    if (entry.holds === 0 && !entry.unloadTimer) {
      entry.unloadTimer = setTimeout(() => {
        entry.unloadTimer = null;
        void this.unload(room.name);
      }, this.unloadAfterMs);
    }
  }

  /** Every live connection with its room, e.g. to re-check access after a membership change. */
  *connections(): Generator<{ room: Room; connection: Connection }> {
    for (const entry of this.entries.values()) for (const connection of entry.room.connectionList) yield { room: entry.room, connection };
  }

  get connectionCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) count += entry.room.connectionCount;
    return count;
  }

  /**
   * Close every connection, then store what is pending for every room, retrying failed writes for up to
   * `timeoutMs` (shutdown). Resolves with how many accepted updates could not be stored.
   */
  async closeAll(code: number, reason: string, timeoutMs = 30_000): Promise<number> {
    for (const entry of this.entries.values()) {
      if (entry.unloadTimer) clearTimeout(entry.unloadTimer);
      entry.room.closeAll(code, reason);
    }
    const notStored = await this.writer.drainWithin(timeoutMs);
    this.writer.close();
    return notStored;
  }

  private async load(name: string): Promise<Entry> {
    const room = new Room(
      name,
      {
        onUpdate: (target, update) => {
          this.metrics?.updateIn();
          this.writer.enqueue(target.name, update);
        },
        onRejected: (target, connection: Connection, rejection) => {
          this.metrics?.rejected(rejection.code);
          this.log.warn('closing connection: message refused', {
            room: target.name,
            user: connection.userId,
            connection: connection.id,
            code: rejection.code,
            reason: rejection.message
          });
          target.disconnect(connection, rejection.code, closeReason(rejection.message));
        }
      },
      this.maxDocBytes
    );
    const { updates, logRows } = await loadRoomUpdates(this.db, name);
    const kind = parseRoom(name)?.kind;
    this.open(room, kind, updates);
    const entry: Entry = { room, holds: 0, logRows, compacting: null, unloadTimer: null };
    this.entries.set(name, entry);
    return entry;
  }

  /**
   * Replay, migrate and check a loaded doc. A doc that fails any of these opens read-only for everyone (degraded),
   * with the reason, instead of failing every upgrade: an admin's repair (repair below) makes it writable again.
   */
  private open(room: Room, kind: DocKind | undefined, updates: readonly Uint8Array[]): void {
    let reason: string | null = null;
    try {
      room.load(updates);
      const { from, to } = kind === 'board' ? migrateBoard(room.doc) : kind === 'contacts' ? migrateContacts(room.doc) : { from: 0, to: 0 };
      if (from !== to) this.log.info('migrated doc', { room: room.name, from, to });
      const problems = kind ? docProblems(room.doc, kind) : [];
      if (problems.length) reason = problems.map(describeProblem).join('; ');
    } catch (error) {
      reason = `cannot be opened: ${(error as Error).message}`;
    }
    if (reason) {
      this.log.warn('doc opened read-only: it needs an admin repair', { room: room.name, reason });
      room.setDegraded(reason);
    } else if (kind) room.guard = new SchemaAdmission(kind, room.doc);
  }

  /**
   * An admin's repair (the REST repair routes): rewrite meta from the database, repair or remove every record that
   * breaks the schema, as a server write (stored and broadcast like any change; the old state stays in the log's
   * history), then check the doc again: if it is valid it turns writable for everyone at once.
   */
  async repair(name: string, meta: { pipelineId?: string; workspaceId: string; name?: string }): Promise<RepairReport & { degraded: string | null }> {
    const room = await this.acquire(name);
    try {
      const kind = parseRoom(name)?.kind;
      const report =
        kind === 'board'
          ? repairBoard(room.doc, { pipelineId: meta.pipelineId!, workspaceId: meta.workspaceId, name: meta.name! })
          : repairContacts(room.doc, { workspaceId: meta.workspaceId });
      const problems = kind ? docProblems(room.doc, kind) : [];
      const reason = problems.length ? problems.map(describeProblem).join('; ') : null;
      if (!reason && room.degraded && kind) {
        room.guard ??= new SchemaAdmission(kind, room.doc);
        room.setDegraded(null);
      }
      this.log.info('doc repaired by an admin', { room: name, repaired: report.repaired.length, removed: report.removed.length, degraded: reason });
      return { ...report, degraded: reason };
    } finally {
      this.release(room);
    }
  }

  private afterStored(name: string, count: number): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.logRows += count;
    if (entry.logRows >= this.compactAfter && !entry.compacting) void this.compact(entry);
  }

  private compact(entry: Entry): Promise<unknown> {
    entry.compacting = compactRoom(this.db, entry.room.name)
      .then(({ folded }) => {
        entry.logRows = Math.max(0, entry.logRows - folded);
      })
      .catch((error: Error) => this.log.error('compaction failed; the log keeps every update', { room: entry.room.name, error: error.message }))
      .finally(() => (entry.compacting = null));
    return entry.compacting;
  }

  private unload(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || entry.holds > 0) return Promise.resolve();
    const done = (async () => {
      try {
        await this.writer.drain(name);
      } catch (error) {
        // Never drop a room whose updates are not stored yet: try again later.
        this.log.warn('room kept in memory: its updates are not stored yet', { room: name, error: (error as Error).message });
        if (entry.holds === 0) entry.unloadTimer = setTimeout(() => void this.unload(name), this.unloadAfterMs);
        return;
      }
      if (entry.holds > 0) return;
      await entry.compacting;
      await this.compact(entry);
      if (entry.holds > 0) return;
      this.entries.delete(name);
      entry.room.destroy();
    })().finally(() => this.unloading.delete(name));
    this.unloading.set(name, done);
    return done;
  }
}

/** A WebSocket close reason is at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 123) return text;
  return new TextDecoder().decode(bytes.slice(0, 120)).replace(/\uFFFD$/, '') + '…';
}
