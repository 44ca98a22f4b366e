import type * as Y from 'yjs';
import { BOARD_SCHEMA_VERSION, migrateBoard, readSchemaVersion } from '../../shared/board-doc.ts';
import { CONTACTS_SCHEMA_VERSION, migrateContacts } from '../../shared/contacts-doc.ts';
import { describeProblem, docProblems, type DocKind } from '../../shared/doc-schema.ts';
import { repairBoard, repairContacts, type RepairReport } from '../../shared/doc-repair.ts';
import { parseRoom } from '../../shared/rooms.ts';
import { SchemaAdmission } from './admission.ts';
import type { Db } from '../store/db.ts';
import { loadRoomUpdates, readRoomSchema, writeRoomSchema } from '../store/update-log.ts';
import { compactRoom } from '../history/compaction.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../history/retention.ts';
import { UpdateWriter } from '../store/update-writer.ts';
import type { Log } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { defaultMaxTotalItems, docLimits, DocRefused, ItemBudget, type DocLimits } from './doc-limits.ts';
import type { PresenceLimits } from './presence-guard.ts';
import { Room, serverWrite, type Connection } from './room.ts';
import { CLOSE_TRY_LATER } from './protocol.ts';
import type { RoomRelay } from './cluster.ts';

export interface RoomsOptions {
  /** Fold a room's log into its snapshot once it holds this many rows. */
  compactAfter?: number;
  /** Keep an empty room in memory this long, so a quick reconnect does not reload it. */
  unloadAfterMs?: number;
  /** Refuse updates that would grow a doc past this many bytes (MAX_DOC_BYTES). */
  maxDocBytes?: number;
  /** How long history keeps raw updates and checkpoints (HISTORY_*_DAYS). */
  retention?: RetentionPolicy;
  /** When updates are accepted (their stored time); tests pass a fake clock. */
  clock?: () => number;
  /** Refuse updates that could grow a doc past this many items (MAX_DOC_ITEMS). */
  maxDocItems?: number;
  /** Refuse updates and loads that could grow all loaded docs together past this many items (MAX_TOTAL_ITEMS). */
  maxTotalItems?: number;
  /** Close a sender whose updates leave more than this many bytes waiting for dependencies (MAX_PENDING_BYTES). */
  maxPendingBytes?: number;
  presence?: PresenceLimits;
  metrics?: Metrics;
  /** Other instances serving the same rooms (REDIS_URL): see cluster.ts. */
  relay?: RoomRelay;
}

interface Entry {
  room: Room;
  holds: number;
  logRows: number;
  compacting: Promise<unknown> | null;
  unloadTimer: NodeJS.Timeout | null;
  /** Settles once the doc is replayed, migrated and checked (at once for a room loaded the usual way). */
  ready: Promise<void>;
  /** Start replaying a room that serves its stored rows meanwhile (no-op once started or for other rooms). */
  replay: () => void;
}

/**
 * A room served from its stored rows starts replaying them once the first fresh client's answer is written out, or
 * when something waits for the doc, or after this long in any case.
 */
const REPLAY_AFTER_MS = 1_000;

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
  /**
   * Stored docs too large for this process's limits (413): nobody can change them while they are refused, so they
   * stay refused without reading and counting them again at every reconnect.
   */
  private readonly tooLarge = new Map<string, DocRefused>();
  private readonly compactAfter: number;
  private readonly unloadAfterMs: number;
  private readonly maxDocBytes: number | undefined;
  private readonly docLimits: DocLimits;
  private readonly presence: PresenceLimits | undefined;
  private readonly metrics: Metrics | undefined;
  private readonly retention: RetentionPolicy;
  private readonly clock: () => number;
  private readonly relay: RoomRelay | undefined;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: Log,
    options: RoomsOptions = {}
  ) {
    this.compactAfter = options.compactAfter ?? 500;
    this.unloadAfterMs = options.unloadAfterMs ?? 5_000;
    this.maxDocBytes = options.maxDocBytes;
    this.docLimits = docLimits({
      maxItems: options.maxDocItems,
      maxPendingBytes: options.maxPendingBytes,
      budget: new ItemBudget(options.maxTotalItems ?? defaultMaxTotalItems())
    });
    this.presence = options.presence;
    this.metrics = options.metrics;
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.clock = options.clock ?? Date.now;
    this.relay = options.relay;
    this.writer = new UpdateWriter(db, {
      onStored: (room, count, updates) => this.afterStored(room, count, updates),
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

  /** Items held by every loaded doc, against MAX_TOTAL_ITEMS. */
  get items(): { used: number; limit: number } {
    return { used: this.docLimits.budget.used, limit: this.docLimits.budget.limit };
  }

  /**
   * Load (or reuse) a room and hold it open until `release`. The room's doc is ready unless `early` is set: then a
   * room whose stored doc needs no migration may still be replaying it (Room.loading), answering fresh clients from
   * its stored rows and holding back everything else until the doc is ready (the socket route).
   */
  async acquire(name: string, options: { early?: boolean } = {}): Promise<Room> {
    const refused = this.tooLarge.get(name);
    if (refused) throw refused;
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
    if (!options.early) {
      entry.replay();
      await entry.ready;
      // Replaying may have found the doc too big for the budget after all: it was let go.
      if (this.entries.get(name) !== entry) return this.acquire(name, options);
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
   * Every `everyMs` (default hourly), fold and apply retention to every stored room, one at a time, so history of a
   * room nobody opens any more is thinned too. Off the update path; cleared by closeAll.
   */
  startRetentionSweep(everyMs = 3_600_000): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => void this.sweep(), everyMs);
    this.sweepTimer.unref();
  }

  async sweep(): Promise<number> {
    let swept = 0;
    try {
      const stored = await this.db.query<{ room: string }>('SELECT room FROM doc_snapshots ORDER BY room');
      for (const { room } of stored) {
        if (this.entries.has(room)) continue; // a loaded room compacts by itself
        await compactRoom(this.db, room, { now: this.clock(), policy: this.retention });
        swept++;
      }
    } catch (error) {
      this.log.error('history retention sweep failed; it runs again later', { error: (error as Error).message });
    }
    return swept;
  }

  /**
   * Close every connection, then store what is pending for every room, retrying failed writes for up to
   * `timeoutMs` (shutdown). Resolves with how many accepted updates could not be stored.
   */
  async closeAll(code: number, reason: string, timeoutMs = 30_000): Promise<number> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
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
        onUpdate: (target, update, userId) => {
          this.metrics?.updateIn();
          this.writer.enqueue(target.name, update, userId, this.clock());
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
      this.maxDocBytes,
      { doc: this.docLimits, presence: this.presence }
    );
    // Hear other instances first: what they store after the read below reaches this room through the relay.
    await this.relay?.subscribe(name);
    const kind = parseRoom(name)?.kind;
    const started = performance.now();
    let entry: Entry;
    try {
      const [{ updates, logRows }, recorded] = await Promise.all([loadRoomUpdates(this.db, name), kind ? readRoomSchema(this.db, name) : null]);
      const read = performance.now();
      const fields = { room: name, rows: updates.length, bytes: updates.reduce((sum, update) => sum + update.length, 0), readMs: Math.round(read - started) };
      // A doc last opened at this code's schema version needs no migration (only the server writes its version):
      // fresh clients can be answered with its stored rows while it replays. Any other doc loads first, as before.
      if (kind && updates.length && recorded === currentSchemaVersion(kind)) {
        room.checkStored(updates);
        entry = this.serveStored(room, kind, updates, logRows, { ...fields, checkedMs: Math.round(performance.now() - read) }, started);
      } else {
        const timings = this.open(room, kind, updates);
        this.log.info('room loaded', { ...fields, ...timings, totalMs: Math.round(performance.now() - started) });
        entry = { room, holds: 0, logRows, compacting: null, unloadTimer: null, ready: Promise.resolve(), replay: () => {} };
        this.relay?.open(room);
        void this.recordSchema(room, kind, recorded);
      }
    } catch (error) {
      this.relay?.unsubscribe(name);
      // A stored doc too big to hold (DocRefused): nothing of it stays in memory; the upgrade says why.
      room.destroy();
      if (error instanceof DocRefused && error.status === 413) this.tooLarge.set(name, error);
      this.log.warn('room not opened', { room: name, error: (error as Error).message });
      throw error;
    }
    this.entries.set(name, entry);
    return entry;
  }

  /**
   * The entry of a room that answers fresh clients from its stored rows (counted already) and replays them into its
   * doc in the background: once the first answer is written out (so the replay, which holds the event loop, does not
   * hold that answer back), when something waits for the doc, or after REPLAY_AFTER_MS. Then migrate (which finds
   * nothing to do but notes for deals an old tab added, broadcast as any change), check and guard as `open`; what
   * arrived meanwhile goes through the usual checks (Room.ready).
   */
  private serveStored(room: Room, kind: DocKind, updates: Uint8Array[], logRows: number, fields: Record<string, unknown>, started: number): Entry {
    let firstSyncMs: number | undefined;
    let begin!: () => void;
    const go = new Promise<void>((resolve) => (begin = resolve));
    const timer = setTimeout(begin, REPLAY_AFTER_MS);
    const replay = () => setImmediate(begin);
    room.serveStored(updates, {
      onAnswer: () => (firstSyncMs ??= Math.round(performance.now() - started)),
      onAnswered: replay,
      onWaiting: replay
    });
    const entry: Entry = { room, holds: 0, logRows, compacting: null, unloadTimer: null, ready: Promise.resolve(), replay };
    entry.ready = go.then(() => {
      clearTimeout(timer);
      const waited = Math.round(performance.now() - started);
      let timings: Record<string, number>;
      try {
        timings = this.open(room, kind, updates, true);
      } catch (error) {
        // The process budget filled up meanwhile (DocRefused 503): let the room go; its clients come back later.
        this.entries.delete(room.name);
        this.relay?.unsubscribe(room.name);
        room.closeAll(CLOSE_TRY_LATER, closeReason((error as Error).message));
        room.destroy();
        this.log.warn('room not opened', { room: room.name, error: (error as Error).message });
        return;
      }
      const served = room.ready();
      this.relay?.open(room);
      this.log.info('room loaded', { ...fields, ...served, firstSyncMs, replayAfterMs: waited, ...timings, totalMs: Math.round(performance.now() - started) });
      void this.recordSchema(room, kind, currentSchemaVersion(kind));
    });
    return entry;
  }

  /**
   * Once a load left the doc at this code's schema version and what the migration wrote is stored, record it, so the
   * next load may serve the stored rows before replaying them.
   */
  private async recordSchema(room: Room, kind: DocKind | undefined, recorded: number | null): Promise<void> {
    if (!kind) return;
    const version = kind === 'board' ? readSchemaVersion(room.doc) : readContactsVersion(room.doc);
    if (version !== currentSchemaVersion(kind) || recorded === version) return;
    try {
      await this.writer.drain(room.name);
      await writeRoomSchema(this.db, room.name, version);
    } catch (error) {
      // Not recorded: the next load replays before it answers, as before.
      this.log.warn('could not record the doc schema version', { room: room.name, error: (error as Error).message });
    }
  }

  /**
   * Replay, migrate and check a loaded doc. A doc that fails any of these opens read-only for everyone (degraded),
   * with the reason, instead of failing every upgrade: an admin's repair (repair below) makes it writable again.
   */
  private open(room: Room, kind: DocKind | undefined, updates: readonly Uint8Array[], checked = false): Record<string, number> {
    let reason: string | null = null;
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (step: string) => {
      const now = performance.now();
      timings[step] = Math.round(now - mark);
      mark = now;
    };
    try {
      room.load(updates, checked);
      lap('replayMs');
      const { from, to } = kind === 'board' ? migrateBoard(room.doc) : kind === 'contacts' ? migrateContacts(room.doc) : { from: 0, to: 0 };
      if (from !== to) this.log.info('migrated doc', { room: room.name, from, to });
      lap('migrateMs');
      const problems = kind ? docProblems(room.doc, kind) : [];
      if (problems.length) reason = problems.map(describeProblem).join('; ');
      lap('checkMs');
    } catch (error) {
      // Too big to hold is refused outright (413/503): opening it read-only would still fill the heap.
      if (error instanceof DocRefused) throw error;
      reason = `cannot be opened: ${(error as Error).message}`;
    }
    if (reason) {
      this.log.warn('doc opened read-only: it needs an admin repair', { room: room.name, reason });
      room.setDegraded(reason);
    } else if (kind) room.guard = new SchemaAdmission(kind, room.doc);
    lap('guardMs');
    return timings;
  }

  /**
   * An admin's repair (the REST repair routes): rewrite meta from the database, repair or remove every record that
   * breaks the schema, as a server write (stored and broadcast like any change; the old state stays in the log's
   * history), then check the doc again: if it is valid it turns writable for everyone at once.
   */
  async repair(name: string, meta: { pipelineId?: string; workspaceId: string; name?: string }, actorId: string | null = null): Promise<RepairReport & { degraded: string | null }> {
    const room = await this.acquire(name);
    try {
      const kind = parseRoom(name)?.kind;
      const report =
        kind === 'board'
          ? repairBoard(room.doc, { pipelineId: meta.pipelineId!, workspaceId: meta.workspaceId, name: meta.name! }, { origin: serverWrite(actorId) })
          : repairContacts(room.doc, { workspaceId: meta.workspaceId }, { origin: serverWrite(actorId) });
      const reason = this.healIfValid(room);
      this.log.info('doc repaired by an admin', { room: name, repaired: report.repaired.length, removed: report.removed.length, degraded: reason });
      return { ...report, degraded: reason };
    } finally {
      this.release(room);
    }
  }

  /**
   * A read-only (degraded) doc that is valid again, after a repair here or one another instance relayed, turns
   * writable for everyone at once. Returns what is still wrong with the doc (null: nothing).
   */
  healIfValid(room: Room): string | null {
    const kind = parseRoom(room.name)?.kind;
    const problems = kind ? docProblems(room.doc, kind) : [];
    const reason = problems.length ? problems.map(describeProblem).join('; ') : null;
    if (!reason && room.degraded && kind) {
      room.guard ??= new SchemaAdmission(kind, room.doc);
      room.setDegraded(null);
      this.log.info('doc writable again: it passes the schema check', { room: room.name });
    }
    return reason;
  }

  private afterStored(name: string, count: number, updates: readonly Uint8Array[]): void {
    this.relay?.publishStored(name, updates);
    const entry = this.entries.get(name);
    if (!entry) return;
    try {
      entry.room.stored(updates);
    } catch (error) {
      // Only the saved-state notice is lost: clients keep their changes as unconfirmed and resend them.
      this.log.error('could not tell clients what is stored', { room: name, error: (error as Error).message });
    }
    entry.logRows += count;
    if (entry.logRows >= this.compactAfter && !entry.compacting) void this.compact(entry);
  }

  /**
   * Everything this room accepted is stored and folded into history (change feed, checkpoints), e.g. before a
   * history read. Works for rooms not loaded here too.
   */
  async settle(name: string): Promise<void> {
    await this.writer.drain(name);
    const entry = this.entries.get(name);
    if (entry) {
      await entry.compacting;
      await this.compact(entry);
    } else {
      await compactRoom(this.db, name, { now: this.clock(), policy: this.retention });
    }
  }

  private compact(entry: Entry): Promise<unknown> {
    const started = performance.now();
    entry.compacting = compactRoom(this.db, entry.room.name, { now: this.clock(), policy: this.retention })
      .then(({ folded }) => {
        entry.logRows = Math.max(0, entry.logRows - folded);
        if (folded) this.log.info('room compacted', { room: entry.room.name, folded, ms: Math.round(performance.now() - started) });
      })
      .catch((error: Error) => this.log.error('compaction failed; the log keeps every update', { room: entry.room.name, error: error.message }))
      .finally(() => (entry.compacting = null));
    return entry.compacting;
  }

  private unload(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || entry.holds > 0) return Promise.resolve();
    const done = (async () => {
      await entry.ready;
      if (this.entries.get(name) !== entry || entry.holds > 0) return;
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
      this.relay?.unsubscribe(name);
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

/** The schema version this code migrates a doc of that kind to. */
function currentSchemaVersion(kind: DocKind): number {
  return kind === 'board' ? BOARD_SCHEMA_VERSION : CONTACTS_SCHEMA_VERSION;
}

/** A contacts doc's schemaVersion (0: none). */
function readContactsVersion(doc: Y.Doc): number {
  const version = doc.getMap('meta').get('schemaVersion');
  return typeof version === 'number' ? version : 0;
}
