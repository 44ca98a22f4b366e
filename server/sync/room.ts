import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import type { Role } from '../../shared/api.ts';
import { clocksAfter, encodeAccess, encodeStored, type AccessState, type Extension } from '../../shared/sync-extensions.ts';
import { checkLoad, docLimits, dropPending, growthRefusal, itemsIn, pendingBytes, pendingRefusal, shapeOf, worstCaseGrowth, type DocLimits, type UpdateShape } from './doc-limits.ts';
import { updateShape } from './update-shape.ts';
import type { UpdateGuard } from './admission.ts';
import type { DecodedUpdate } from './first-pass.ts';
import { DEFAULT_PRESENCE_LIMITS, PresenceGuard, type PresenceLimits } from './presence-guard.ts';
import {
  CLOSE_DOC_DEGRADED,
  CLOSE_DOC_TOO_LARGE,
  CLOSE_READ_ONLY,
  CLOSE_TRY_LATER,
  encodeAwareness,
  encodeDocUpdate,
  encodeSyncStep1,
  encodeSyncStep2,
  type EncodedDoc,
  MESSAGE_AWARENESS,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  ProtocolError,
  readMessage,
  Rejection
} from './protocol.ts';

/** One client socket as a room sees it: the socket layer adapts a real WebSocket to this. */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  /** The user's display name, which the server writes into their presence (changed when they rename themselves). */
  userName?: string;
  /** The session the socket was opened with (null for API tokens): logging that session out closes it. */
  readonly sessionId?: string | null;
  /** A viewer's connection: it receives the doc and live updates; any change it sends is refused. */
  readOnly?: boolean;
  /** The user's role in the room's workspace, told to clients that ask for access messages. */
  role?: Role;
  /** Lanes' own messages this client asked for (`?messages=stored,access`); a stock client asks for none. */
  readonly extensions?: ReadonlySet<Extension>;
  send(message: Uint8Array): void;
  /**
   * Send the messages that answer the client's first sync step 1 (the stored doc, maybe in several messages ending
   * with the step 2), all counted as the first sync by the send bound; `written` once they are written out. Without
   * it they go through `send` one by one.
   */
  sendFirstSync?(messages: readonly Uint8Array[], written: () => void): void;
  close(code: number, reason: string): void;
}

/** Bytes of messages a room keeps while it replays its stored doc: past it, the sender is asked to come back later. */
export const MAX_EARLY_QUEUE_BYTES = 8 * 1024 * 1024;

/** A sync step 1 with an empty state vector: a client that holds nothing yet (sync, step 1, length 1, no clients). */
function isFreshSyncStep1(message: Uint8Array): boolean {
  return message.length === 4 && message[0] === MESSAGE_SYNC && message[1] === 0 && message[2] === 1 && message[3] === 0;
}

/** An update that holds nothing: ends a first sync sent as the stored rows in order (y-websocket is synced at a step 2). */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

/**
 * A room whose stored doc is known to need no migration answers fresh clients from the stored rows while the doc is
 * still being replayed (see Rooms): what else arrives meanwhile waits here, in order, and goes through the usual
 * checks once the doc is ready.
 */
interface EarlyState {
  readonly rows: readonly Uint8Array[];
  /** Connections that joined before the doc was ready: their step 1, presence and greeting are sent once it is. */
  readonly joined: Set<Connection>;
  readonly queue: Array<{ connection: Connection; message: Uint8Array }>;
  queuedBytes: number;
  /** Fresh clients answered from the stored rows. */
  answered: number;
  /** A fresh client's answer from the stored rows was handed to its socket / is written out. */
  readonly onAnswer: () => void;
  readonly onAnswered: () => void;
  /** Something waits for the doc. */
  readonly onWaiting: () => void;
}

/** Default cap on a doc's size: past it, updates that add anything are refused. */
export const DEFAULT_MAX_DOC_BYTES = 50 * 1024 * 1024;

/** Transaction origin of the updates a room replays from storage: they are already stored. */
export const LOADED_FROM_STORAGE = Symbol('loaded from storage');

/**
 * Transaction origin of what another instance accepted and stored (server/sync/cluster.ts): it reaches this room's
 * clients but is neither stored nor published again here.
 */
export const RELAYED = Symbol('relayed from another instance');

/** Transaction origin of a write the server makes on a user's behalf (restore, rename): attributed to that user. */
export interface ServerWrite {
  readonly userId: string | null;
}

export function serverWrite(userId: string | null): ServerWrite {
  return { userId };
}

/** Who made an update: the connection's authenticated user, a server write's acting user, else null (the system). */
export function updateAuthor(origin: unknown): string | null {
  if (origin && typeof origin === 'object' && 'userId' in origin && typeof origin.userId === 'string') return origin.userId;
  return null;
}

/** Bounds on what one room holds besides its byte size; see doc-limits.ts and presence-guard.ts. */
export interface RoomLimits {
  doc?: DocLimits;
  presence?: PresenceLimits;
}

export interface RoomHooks {
  /** Every update the room accepts, except those replayed from storage, with who made it (null: the system). */
  onUpdate(room: Room, update: Uint8Array, userId: string | null): void;
  /** A connection's message was refused (malformed, read-only, doc full): the room stays healthy, the sender is closed. */
  onRejected(room: Room, connection: Connection, rejection: Rejection): void;
}

/** A live doc with its awareness and the connections editing it: the one place a room's state lives. */
export class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  private readonly connections = new Set<Connection>();
  /** Which awareness client ids each connection owns, and what it may publish in them. */
  private readonly presence: PresenceGuard;
  private readonly docLimits: DocLimits;
  /** Items (structs) the doc holds, as counted into the process budget. */
  private items = 0;
  /**
   * Bytes of every update the doc took in (stored state at load plus each accepted update): a cheap upper bound on
   * the doc's encoded size, since an update never shrinks when merged. Reset by the next load after compaction.
   */
  private receivedBytes = 0;
  /** State vector of what the update log has committed for this room: all that may be confirmed as saved. */
  private readonly storedClocks = new Map<number, number>();
  /** Set while the stored doc is replayed after fresh clients were (or may be) answered from its stored rows. */
  private early: EarlyState | null = null;
  private destroyed = false;
  /** The "admit update" step's schema check (set once the doc is loaded and valid), run on every client update. */
  guard: UpdateGuard | null = null;
  /** Why the doc is read-only for everyone (it failed to load, migrate or validate), or null when it is healthy. */
  private degradedReason: string | null = null;
  /** The doc's whole state and state vector, encoded at most once per change (protocol.ts: EncodedDoc). */
  private wholeStateCache: Uint8Array | null = null;
  private stateVectorCache: Uint8Array | null = null;
  readonly encoded: EncodedDoc = {
    wholeState: () => (this.wholeStateCache ??= Y.encodeStateAsUpdate(this.doc)),
    stateVector: () => (this.stateVectorCache ??= Y.encodeStateVector(this.doc))
  };

  constructor(
    readonly name: string,
    private readonly hooks: RoomHooks,
    private readonly maxDocBytes = DEFAULT_MAX_DOC_BYTES,
    limits: RoomLimits = {}
  ) {
    this.docLimits = limits.doc ?? docLimits();
    this.presence = new PresenceGuard(this.awareness, limits.presence ?? DEFAULT_PRESENCE_LIMITS);
    this.awareness.setLocalState(null);
    this.doc.on('update', this.handleUpdate);
    this.awareness.on('update', this.handleAwareness);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get connectionList(): Connection[] {
    return [...this.connections];
  }

  get itemCount(): number {
    return this.items;
  }

  get approximateBytes(): number {
    return this.receivedBytes;
  }

  /**
   * Replay stored state: snapshot and log rows, in order. Their structure is counted before anything is applied, so
   * a stored doc too big to hold throws DocRefused instead of filling the heap.
   */
  load(updates: readonly Uint8Array[], checked = false): void {
    if (!checked) this.checkStored(updates);
    // Applied with no 'update' listener: Yjs encodes a transaction's changes for its listeners, here the whole doc
    // again (4 MB for a 10,000-deal board, ~20 % of the replay), which handleUpdate would throw away for this origin.
    this.doc.off('update', this.handleUpdate);
    try {
      this.doc.transact(() => {
        for (const update of updates) Y.applyUpdate(this.doc, update, LOADED_FROM_STORAGE);
      }, LOADED_FROM_STORAGE);
    } finally {
      this.doc.on('update', this.handleUpdate);
    }
    this.forgetEncodings();
    this.receivedBytes = updates.reduce((sum, update) => sum + update.length, 0);
    // A room stored as one row (its compacted snapshot, Y.encodeStateAsUpdate of the doc) already is the doc's whole
    // state: the first client's sync sends it as is instead of encoding 4 MB again. Any later change (a migration
    // included) forgets it, as it forgets every encoding.
    if (updates.length === 1) this.wholeStateCache = updates[0];
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) this.storedClocks.set(client, clock);
    this.recount();
  }

  /**
   * Count the stored rows' structure against the doc limits without applying them: throws DocRefused for a doc too
   * big to hold (413) or one that does not fit the process budget now (503).
   */
  checkStored(updates: readonly Uint8Array[]): void {
    let estimate = 0;
    for (const update of updates) {
      estimate += worstCaseGrowth(storedShape(update));
      checkLoad(this.docLimits, estimate);
    }
  }

  /**
   * Serve fresh clients from these stored rows (already counted by checkStored) until `ready`: a client whose first
   * sync step 1 is empty gets the rows as they are stored; everything else (updates, presence, a step 1 of a client
   * that holds something) waits in order for the doc.
   */
  serveStored(rows: readonly Uint8Array[], hooks: { onAnswer?: () => void; onAnswered: () => void; onWaiting: () => void }): void {
    this.early = { rows, joined: new Set(), queue: [], queuedBytes: 0, answered: 0, onAnswer: () => {}, ...hooks };
  }

  get loading(): boolean {
    return this.early !== null;
  }

  /**
   * The doc is replayed, migrated and checked: greet the connections that joined meanwhile as join would have, then
   * take what they sent, in the order it came, through the usual checks.
   */
  ready(): { answered: number; heldBack: number } {
    const early = this.early;
    if (!early) return { answered: 0, heldBack: 0 };
    this.early = null;
    for (const connection of early.joined) if (this.connections.has(connection)) this.greetJoined(connection);
    for (const { connection, message } of early.queue) this.receive(connection, message);
    return { answered: early.answered, heldBack: early.queue.length };
  }

  join(connection: Connection): void {
    // A room let go while a socket was opening on it (its replay found no room in the budget after all).
    if (this.destroyed) return connection.close(CLOSE_TRY_LATER, 'this board could not be opened now: reconnect in a moment');
    this.connections.add(connection);
    if (this.early) {
      this.early.joined.add(connection);
      return;
    }
    this.greetJoined(connection);
  }

  private greetJoined(connection: Connection): void {
    connection.send(encodeSyncStep1(this.doc, this.encoded.stateVector()));
    const present = [...this.awareness.getStates().keys()];
    if (present.length) connection.send(encodeAwareness(this.awareness, present));
    this.greet(connection);
  }

  receive(connection: Connection, message: Uint8Array): void {
    if (!this.connections.has(connection)) return;
    if (this.early) return this.receiveEarly(this.early, connection, message);
    try {
      if (message[0] === MESSAGE_AWARENESS) this.presence.count(connection, 'any');
      if (message[0] === MESSAGE_QUERY_AWARENESS) this.presence.count(connection, 'own');
      // An update that only waits for dependencies changes the doc's encodings without an update event.
      const { pendingStructs, pendingDs } = this.doc.store;
      const replies = readMessage(
        message,
        this,
        connection,
        (update, decoded) => this.admit(connection, update, decoded),
        (update) => {
          const own = this.presence.admit(connection, update);
          if (own) this.presence.count(connection, 'own');
          return own;
        }
      );
      if (message[0] === MESSAGE_SYNC) {
        if (this.doc.store.pendingStructs !== pendingStructs || this.doc.store.pendingDs !== pendingDs) this.forgetEncodings();
        this.refuseLingeringPending();
      }
      for (const reply of replies) connection.send(reply);
    } catch (error) {
      const rejection = error instanceof Rejection ? error : new ProtocolError((error as Error).message);
      this.hooks.onRejected(this, connection, rejection);
    }
  }

  /**
   * While the doc replays: a fresh client's step 1 is answered from the stored rows at once (a read: nothing of the
   * doc changes, so it may overtake what waits); anything else waits for the doc, bounded in bytes.
   */
  private receiveEarly(early: EarlyState, connection: Connection, message: Uint8Array): void {
    if (isFreshSyncStep1(message)) {
      const { rows } = early;
      // One row is the doc's whole state: the step 2 itself. Several are sent in their stored order (as the doc
      // replays them), then an empty step 2 tells the client it is synced.
      early.answered++;
      const messages = rows.length === 1 ? [encodeSyncStep2(rows[0])] : [...rows.map(encodeDocUpdate), encodeSyncStep2(EMPTY_UPDATE)];
      if (connection.sendFirstSync) connection.sendFirstSync(messages, early.onAnswered);
      else for (const reply of messages) connection.send(reply);
      early.onAnswer();
      if (!connection.sendFirstSync) early.onAnswered();
      return;
    }
    if (early.queuedBytes + message.length > MAX_EARLY_QUEUE_BYTES) {
      this.hooks.onRejected(this, connection, new Rejection(CLOSE_TRY_LATER, 'this board is still opening: reconnect in a moment'));
      return;
    }
    early.queue.push({ connection, message });
    early.queuedBytes += message.length;
    if (message[0] === MESSAGE_SYNC) early.onWaiting();
  }

  /** Close one connection from the server side (access revoked, signed out). */
  disconnect(connection: Connection, code: number, reason: string): void {
    if (!this.connections.has(connection)) return;
    this.leave(connection);
    connection.close(code, reason);
  }

  /**
   * May this update reach the doc? Updates that change nothing always may: a viewer's client sends its (empty)
   * sync step 2 on connect, and a full doc must still let clients sync.
   */
  private admit(connection: Connection, update: Uint8Array, decoded: DecodedUpdate): void {
    const refusal = connection.readOnly
      ? new Rejection(CLOSE_READ_ONLY, 'read-only: viewers cannot change this board')
      : this.degradedReason
        ? new Rejection(CLOSE_DOC_DEGRADED, `read-only until an admin repairs it: ${this.degradedReason}`)
        : this.growthRefusal(update, shapeOf(decoded));
    if (!refusal) {
      // The "admit update" step's schema check: throws a Rejection (4422) for an update that would break the doc.
      this.guard?.admit(update, connection, decoded);
      return;
    }
    if (Y.snapshotContainsUpdate(Y.snapshot(this.doc), update)) return;
    throw refusal;
  }

  /** Bytes (updates waiting for dependencies included) and items, for this doc and for the process. */
  private growthRefusal(update: Uint8Array, shape: ReturnType<typeof shapeOf>): Rejection | null {
    if (this.receivedBytes + pendingBytes(this.doc) + update.length > this.maxDocBytes) {
      return new Rejection(CLOSE_DOC_TOO_LARGE, `document is full: it would grow past ${this.maxDocBytes} bytes`);
    }
    return growthRefusal(this.docLimits, this.items, shape);
  }

  /**
   * Updates whose dependencies never arrive would wait in memory, unstored, re-read by every later update. A client
   * that sends one while its earlier changes are still on the way is normal; past a small bound, drop what waits and
   * close the sender (a stock client resyncs on reconnect).
   */
  private refuseLingeringPending(): void {
    const refusal = pendingRefusal(this.docLimits, this.doc);
    if (!refusal) return;
    dropPending(this.doc);
    this.forgetEncodings();
    throw refusal;
  }

  get degraded(): string | null {
    return this.degradedReason;
  }

  /**
   * Open the doc read-only for everyone (reason given) or writable again (null). The reason is the room's own
   * awareness state `{degraded: {reason}}`, so every client, stock or ours, learns it live.
   */
  setDegraded(reason: string | null): void {
    this.degradedReason = reason;
    this.awareness.setLocalState(reason ? { degraded: { reason } } : null);
  }

  leave(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    this.presence.forget(connection);
  }

  /** Close every connection, e.g. on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections]) {
      this.leave(connection);
      connection.close(code, reason);
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.guard?.destroy();
    this.doc.off('update', this.handleUpdate);
    this.awareness.off('update', this.handleAwareness);
    this.presence.destroy();
    this.awareness.destroy();
    this.doc.destroy();
    this.docLimits.budget.change(-this.items);
    this.items = 0;
  }

  /** Count the doc's items again (one step per client) and move the process budget by the difference. */
  private recount(): void {
    const items = itemsIn(this.doc);
    this.docLimits.budget.change(items - this.items);
    this.items = items;
  }

  /**
   * The update log committed these updates of this room (in the order the room accepted them): tell the clients that
   * asked which clocks are now stored, so they confirm as saved only what a crash cannot take.
   */
  stored(updates: readonly Uint8Array[]): void {
    const advanced = new Map<number, number>();
    for (const update of updates) {
      for (const [client, clock] of clocksAfter(update)) {
        if (clock > Math.max(this.storedClocks.get(client) ?? 0, advanced.get(client) ?? 0)) advanced.set(client, clock);
      }
    }
    if (!advanced.size) return;
    for (const [client, clock] of advanced) this.storedClocks.set(client, clock);
    const message = encodeStored({ full: false, clocks: advanced });
    for (const connection of this.connections.keys()) if (connection.extensions?.has('stored')) connection.send(message);
  }

  /** A re-check found this connection's role or rights changed: apply them and tell a client that asked, at once. */
  setAccess(connection: Connection, access: AccessState): void {
    const changed = Boolean(connection.readOnly) !== access.readOnly || connection.role !== access.role;
    connection.readOnly = access.readOnly;
    connection.role = access.role;
    if (changed && this.connections.has(connection) && connection.extensions?.has('access')) connection.send(encodeAccess(access));
  }

  /** Lanes' own messages for a joining client that asked: the stored state and its access. */
  private greet(connection: Connection): void {
    if (connection.extensions?.has('stored')) connection.send(encodeStored({ full: true, clocks: this.storedClocks }));
    if (connection.extensions?.has('access') && connection.role) {
      connection.send(encodeAccess({ readOnly: Boolean(connection.readOnly), role: connection.role }));
    }
  }

  private broadcast(message: Uint8Array, except?: unknown): void {
    for (const connection of this.connections) if (connection !== except) connection.send(message);
  }

  private forgetEncodings(): void {
    this.wholeStateCache = null;
    this.stateVectorCache = null;
  }

  private handleUpdate = (update: Uint8Array, origin: unknown): void => {
    this.forgetEncodings();
    if (origin === LOADED_FROM_STORAGE) return;
    this.recount();
    this.receivedBytes += update.length;
    if (origin !== RELAYED) this.hooks.onUpdate(this, update, updateAuthor(origin));
    this.broadcast(encodeDocUpdate(update), origin);
  };

  private handleAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const changed = [...added, ...updated, ...removed];
    if (changed.length) this.broadcast(encodeAwareness(this.awareness, changed));
  };
}

/** An update's shape read from its bytes (update-shape.ts), or from Y.decodeUpdate when the walk cannot read it. */
function storedShape(update: Uint8Array): UpdateShape {
  try {
    return updateShape(update);
  } catch {
    return shapeOf(Y.decodeUpdate(update));
  }
}
