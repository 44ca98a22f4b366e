import * as Y from 'yjs';
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness';
import type { UpdateGuard } from './admission.ts';
import { CLOSE_DOC_DEGRADED, CLOSE_DOC_TOO_LARGE, CLOSE_READ_ONLY, encodeAwareness, encodeDocUpdate, encodeSyncStep1, ProtocolError, readMessage, Rejection } from './protocol.ts';

/** One client socket as a room sees it: the socket layer adapts a real WebSocket to this. */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  /** The session the socket was opened with (null for API tokens): logging that session out closes it. */
  readonly sessionId?: string | null;
  /** A viewer's connection: it receives the doc and live updates; any change it sends is refused. */
  readOnly?: boolean;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Default cap on a doc's size: past it, updates that add anything are refused. */
export const DEFAULT_MAX_DOC_BYTES = 50 * 1024 * 1024;

/** Transaction origin of the updates a room replays from storage: they are already stored. */
export const LOADED_FROM_STORAGE = Symbol('loaded from storage');

export interface RoomHooks {
  /** Every update the room accepts, except those replayed from storage. */
  onUpdate(room: Room, update: Uint8Array): void;
  /** A connection's message was refused (malformed, read-only, doc full): the room stays healthy, the sender is closed. */
  onRejected(room: Room, connection: Connection, rejection: Rejection): void;
}

/** A live doc with its awareness and the connections editing it: the one place a room's state lives. */
export class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  /** Each connection and the awareness client ids it has announced, to clear them when it leaves. */
  private readonly connections = new Map<Connection, Set<number>>();
  /**
   * Bytes of every update the doc took in (stored state at load plus each accepted update): a cheap upper bound on
   * the doc's encoded size, since an update never shrinks when merged. Reset by the next load after compaction.
   */
  private receivedBytes = 0;
  /** The "admit update" step's schema check (set once the doc is loaded and valid), run on every client update. */
  guard: UpdateGuard | null = null;
  /** Why the doc is read-only for everyone (it failed to load, migrate or validate), or null when it is healthy. */
  private degradedReason: string | null = null;

  constructor(
    readonly name: string,
    private readonly hooks: RoomHooks,
    private readonly maxDocBytes = DEFAULT_MAX_DOC_BYTES
  ) {
    this.awareness.setLocalState(null);
    this.doc.on('update', this.handleUpdate);
    this.awareness.on('update', this.handleAwareness);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get connectionList(): Connection[] {
    return [...this.connections.keys()];
  }

  get approximateBytes(): number {
    return this.receivedBytes;
  }

  /** Replay stored state: snapshot and log rows, in order. */
  load(updates: readonly Uint8Array[]): void {
    this.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(this.doc, update, LOADED_FROM_STORAGE);
    }, LOADED_FROM_STORAGE);
    this.receivedBytes = updates.reduce((sum, update) => sum + update.length, 0);
  }

  join(connection: Connection): void {
    this.connections.set(connection, new Set());
    connection.send(encodeSyncStep1(this.doc));
    const present = [...this.awareness.getStates().keys()];
    if (present.length) connection.send(encodeAwareness(this.awareness, present));
  }

  receive(connection: Connection, message: Uint8Array): void {
    if (!this.connections.has(connection)) return;
    try {
      const replies = readMessage(message, this, connection, (update) => this.admit(connection, update));
      for (const reply of replies) connection.send(reply);
    } catch (error) {
      const rejection = error instanceof Rejection ? error : new ProtocolError((error as Error).message);
      this.hooks.onRejected(this, connection, rejection);
    }
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
  private admit(connection: Connection, update: Uint8Array): void {
    const overLimit = this.receivedBytes + update.length > this.maxDocBytes;
    if (!connection.readOnly && !overLimit && !this.degradedReason) {
      this.guard?.admit(update, connection);
      return;
    }
    if (Y.snapshotContainsUpdate(Y.snapshot(this.doc), update)) return;
    if (connection.readOnly) throw new Rejection(CLOSE_READ_ONLY, 'read-only: viewers cannot change this board');
    if (this.degradedReason) throw new Rejection(CLOSE_DOC_DEGRADED, `read-only until an admin repairs it: ${this.degradedReason}`);
    throw new Rejection(CLOSE_DOC_TOO_LARGE, `document is full: it would grow past ${this.maxDocBytes} bytes`);
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
    const clients = this.connections.get(connection);
    if (!clients) return;
    this.connections.delete(connection);
    if (clients.size) removeAwarenessStates(this.awareness, [...clients], null);
  }

  /** Close every connection, e.g. on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.connections.keys()]) {
      this.leave(connection);
      connection.close(code, reason);
    }
  }

  destroy(): void {
    this.guard?.destroy();
    this.doc.off('update', this.handleUpdate);
    this.awareness.off('update', this.handleAwareness);
    this.awareness.destroy();
    this.doc.destroy();
  }

  private broadcast(message: Uint8Array, except?: unknown): void {
    for (const connection of this.connections.keys()) if (connection !== except) connection.send(message);
  }

  private handleUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === LOADED_FROM_STORAGE) return;
    this.receivedBytes += update.length;
    this.hooks.onUpdate(this, update);
    this.broadcast(encodeDocUpdate(update), origin);
  };

  private handleAwareness = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown
  ): void => {
    const owned = this.connections.get(origin as Connection);
    if (owned) {
      for (const client of added) owned.add(client);
      for (const client of removed) owned.delete(client);
    }
    const changed = [...added, ...updated, ...removed];
    if (changed.length) this.broadcast(encodeAwareness(this.awareness, changed));
  };
}
