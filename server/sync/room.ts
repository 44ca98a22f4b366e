import * as Y from 'yjs';
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness';
import { encodeAwareness, encodeDocUpdate, encodeSyncStep1, readMessage } from './protocol.ts';

/** One client socket as a room sees it: the socket layer adapts a real WebSocket to this. */
export interface Connection {
  readonly id: string;
  readonly userId: string;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Transaction origin of the updates a room replays from storage: they are already stored. */
export const LOADED_FROM_STORAGE = Symbol('loaded from storage');

export interface RoomHooks {
  /** Every update the room accepts, except those replayed from storage. */
  onUpdate(room: Room, update: Uint8Array): void;
  /** A connection's message could not be read: the room stays healthy, the sender is closed. */
  onBadMessage(room: Room, connection: Connection, error: Error): void;
}

/** A live doc with its awareness and the connections editing it: the one place a room's state lives. */
export class Room {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  /** Each connection and the awareness client ids it has announced, to clear them when it leaves. */
  private readonly connections = new Map<Connection, Set<number>>();

  constructor(
    readonly name: string,
    private readonly hooks: RoomHooks
  ) {
    this.awareness.setLocalState(null);
    this.doc.on('update', this.handleUpdate);
    this.awareness.on('update', this.handleAwareness);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Replay stored state: snapshot and log rows, in order. */
  load(updates: readonly Uint8Array[]): void {
    this.doc.transact(() => {
      for (const update of updates) Y.applyUpdate(this.doc, update, LOADED_FROM_STORAGE);
    }, LOADED_FROM_STORAGE);
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
      const reply = readMessage(message, this, connection);
      if (reply) connection.send(reply);
    } catch (error) {
      this.hooks.onBadMessage(this, connection, error as Error);
    }
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

  private broadcast(message: Uint8Array, except?: unknown): void {
    for (const connection of this.connections.keys()) if (connection !== except) connection.send(message);
  }

  private handleUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === LOADED_FROM_STORAGE) return;
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
