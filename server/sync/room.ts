import * as Y from 'yjs';
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness';
import type { Role } from '../../shared/api.ts';
import { clocksAfter, encodeAccess, encodeStored, type AccessState, type Extension } from '../../shared/sync-extensions.ts';
import { CLOSE_DOC_TOO_LARGE, CLOSE_READ_ONLY, encodeAwareness, encodeDocUpdate, encodeSyncStep1, ProtocolError, readMessage, Rejection } from './protocol.ts';

/** One client socket as a room sees it: the socket layer adapts a real WebSocket to this. */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  /** The session the socket was opened with (null for API tokens): logging that session out closes it. */
  readonly sessionId?: string | null;
  /** A viewer's connection: it receives the doc and live updates; any change it sends is refused. */
  readOnly?: boolean;
  /** The user's role in the room's workspace, told to clients that ask for access messages. */
  role?: Role;
  /** Lanes' own messages this client asked for (`?messages=stored,access`); a stock client asks for none. */
  readonly extensions?: ReadonlySet<Extension>;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Default cap on a doc's size: past it, updates that add anything are refused. */
export const DEFAULT_MAX_DOC_BYTES = 50 * 1024 * 1024;

/** Transaction origin of the updates a room replays from storage: they are already stored. */
export const LOADED_FROM_STORAGE = Symbol('loaded from storage');

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
  /** Each connection and the awareness client ids it has announced, to clear them when it leaves. */
  private readonly connections = new Map<Connection, Set<number>>();
  /**
   * Bytes of every update the doc took in (stored state at load plus each accepted update): a cheap upper bound on
   * the doc's encoded size, since an update never shrinks when merged. Reset by the next load after compaction.
   */
  private receivedBytes = 0;
  /** State vector of what the update log has committed for this room: all that may be confirmed as saved. */
  private readonly storedClocks = new Map<number, number>();

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
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) this.storedClocks.set(client, clock);
  }

  join(connection: Connection): void {
    this.connections.set(connection, new Set());
    connection.send(encodeSyncStep1(this.doc));
    const present = [...this.awareness.getStates().keys()];
    if (present.length) connection.send(encodeAwareness(this.awareness, present));
    this.greet(connection);
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
    if (!connection.readOnly && !overLimit) return;
    if (Y.snapshotContainsUpdate(Y.snapshot(this.doc), update)) return;
    if (connection.readOnly) throw new Rejection(CLOSE_READ_ONLY, 'read-only: viewers cannot change this board');
    throw new Rejection(CLOSE_DOC_TOO_LARGE, `document is full: it would grow past ${this.maxDocBytes} bytes`);
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
    this.doc.off('update', this.handleUpdate);
    this.awareness.off('update', this.handleAwareness);
    this.awareness.destroy();
    this.doc.destroy();
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
    for (const connection of this.connections.keys()) if (connection !== except) connection.send(message);
  }

  private handleUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === LOADED_FROM_STORAGE) return;
    this.receivedBytes += update.length;
    this.hooks.onUpdate(this, update, updateAuthor(origin));
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
