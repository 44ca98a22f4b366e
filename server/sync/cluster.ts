import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as Y from 'yjs';
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import type { Log } from '../log.ts';
import { RELAYED, type Room } from './room.ts';

/**
 * Several instances serving the same rooms (REDIS_URL): the relay seam of the sync layer. Each instance keeps its
 * own copy of a loaded room, as one instance does; the relay only carries, per room, on one Redis pub/sub channel:
 *
 * - what this instance accepted, once the update log has committed it (never before: so an instance that crashes
 *   never told anyone about a change it did not store, its clients resend it wherever they reconnect, and a `stored`
 *   confirmation means "committed to the log" on every instance);
 * - presence (awareness) of the clients connected here, and a question "who is here?" when a room opens;
 * - "read storage again" after a publish failed.
 *
 * A room that opens subscribes before it reads storage and buffers what arrives until it is loaded: what another
 * instance stored before the read is in storage, what it stored after was published after the subscription. After
 * Redis was away, the relay subscribes again and then re-reads every loaded room from storage (Yjs updates apply
 * idempotently), so nothing published meanwhile is missed. Access notices (role change, removal, sign-out) go on one
 * more channel, and every instance re-checks its own sockets.
 */

/** Which live sockets to re-check or close, as the REST routes say it (LiveAccess). */
export type AccessNotice =
  | { kind: 'recheck'; which: { userId?: string; room?: string } }
  | { kind: 'signOut'; which: { userId: string; sessionId?: string } };

/** What the relay asks of this instance. */
export interface RelayHost {
  /** The room's whole stored state, to catch up after Redis was away (null: nothing stored). */
  storedState(name: string): Promise<Uint8Array | null>;
  /** Another instance's update reached a loaded room here (a read-only, degraded room may be valid again). */
  relayed(room: Room): void;
  /** Another instance changed who may see what: re-check or close sockets here. */
  access(notice: AccessNotice): void;
}

/** The narrow interface rooms.ts and app.ts call. */
export interface RoomRelay {
  attach(host: RelayHost): void;
  /** Before a room is read from storage: hear other instances about it (buffered until `open`). */
  subscribe(name: string): Promise<void>;
  /** The room is loaded: apply what arrived meanwhile, then everything as it arrives; publish local presence. */
  open(room: Room): void;
  /** The room is unloaded (or failed to load) here. */
  unsubscribe(name: string): void;
  /** The update log committed these updates, accepted here, of a room. */
  publishStored(name: string, updates: readonly Uint8Array[]): void;
  publishAccess(notice: AccessNotice): void;
  /** Why other instances cannot be reached now (for /readyz and logs), or null. */
  problem(): string | null;
  close(): Promise<void>;
}

/** Message kinds on a room's channel: one byte, then the sender's id, then the payload. */
const UPDATE = 0;
const AWARENESS = 1;
const AWARENESS_QUERY = 2;
const RESYNC = 3;
const SENDER_BYTES = 8;
const HEADER_BYTES = 1 + SENDER_BYTES;

export function encodeRelayMessage(kind: number, sender: Uint8Array, payload: Uint8Array = new Uint8Array()): Buffer {
  const message = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  message[0] = kind;
  message.set(sender, 1);
  message.set(payload, HEADER_BYTES);
  return message;
}

export function decodeRelayMessage(message: Uint8Array): { kind: number; sender: Uint8Array; payload: Uint8Array } | null {
  if (message.length < HEADER_BYTES) return null;
  return { kind: message[0], sender: message.subarray(1, HEADER_BYTES), payload: message.subarray(HEADER_BYTES) };
}

interface Channel {
  readonly name: string;
  room: Room | null;
  /** Messages that arrived while the room was loading. */
  buffered: Uint8Array[];
  /** Awareness client ids other instances told us about (the rest, but the room's own, are clients connected here). */
  readonly remoteClients: Set<number>;
  /** Subscribed again after Redis was away while this room was loading: re-read storage once it is open. */
  catchUpOnOpen: boolean;
  /** A re-read of storage under way, and whether another was asked for meanwhile (it may have begun too early). */
  catchingUp: Promise<void> | null;
  catchUpAgain: boolean;
  detach: (() => void) | null;
}

export interface RedisRelayOptions {
  url: string;
  /** Prefix of every channel name (REDIS_PREFIX), so several deployments (or test runs) can share one Redis. */
  prefix: string;
  log: Log;
}

export class RedisRelay implements RoomRelay {
  private readonly id = randomBytes(SENDER_BYTES);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channels = new Map<string, Channel>();
  private readonly accessChannel: string;
  private host: RelayHost | null = null;
  /** Since when, and why, Redis cannot be used (null: both connections are up and subscribed). */
  private outage: { since: number; error: string } | null = { since: Date.now(), error: 'connecting' };
  private subscribed = false;
  /** Rooms whose update could not be published: others re-read them from storage once Redis is back. */
  private readonly missed = new Set<string>();
  private closing = false;

  /** A relay through the Redis at `options.url`; ioredis is loaded here, so a server without REDIS_URL never holds it. */
  static async connect(options: RedisRelayOptions): Promise<RedisRelay> {
    const { Redis } = await import('ioredis');
    return new RedisRelay(options, Redis);
  }

  private constructor(
    private readonly options: RedisRelayOptions,
    RedisClient: typeof Redis
  ) {
    this.accessChannel = `${options.prefix}access`;
    // No offline queue: while Redis is away a publish fails at once (the update is stored; others catch up later)
    // instead of piling up in memory; subscriptions are renewed by hand, so catching up follows them.
    const settings = { enableOfflineQueue: false, commandTimeout: 5_000, maxRetriesPerRequest: 1 };
    this.publisher = new RedisClient(options.url, { ...settings, connectionName: 'lanes-publisher' });
    this.subscriber = new RedisClient(options.url, { ...settings, autoResubscribe: false, connectionName: 'lanes-subscriber' });
    for (const connection of [this.publisher, this.subscriber]) {
      // An error that leaves the connection up (none is expected) is no outage.
      connection.on('error', (error: Error) => connection.status !== 'ready' && this.down(error.message));
      connection.on('close', () => this.down('connection closed'));
    }
    this.subscriber.on('close', () => (this.subscribed = false));
    this.subscriber.on('ready', () => void this.resubscribe());
    this.publisher.on('ready', () => {
      this.upIfReady();
      this.announceMissed();
    });
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.receive(channel.toString(), message));
  }

  attach(host: RelayHost): void {
    this.host = host;
  }

  problem(): string | null {
    if (!this.outage) return null;
    return `redis: other instances unreachable since ${new Date(this.outage.since).toISOString()} (${this.outage.error}); clients here keep working`;
  }

  async subscribe(name: string): Promise<void> {
    const key = this.key(name);
    this.channels.set(key, { name, room: null, buffered: [], remoteClients: new Set(), catchUpOnOpen: false, catchingUp: null, catchUpAgain: false, detach: null });
    // While Redis is away the room loads from storage alone; the resubscription catches it up.
    if (!this.subscribed) return;
    try {
      await this.subscriber.subscribe(key);
    } catch (error) {
      this.options.log.warn('redis: subscribing to a room failed; reconnecting', { room: name, error: (error as Error).message });
      this.subscriber.disconnect(true);
    }
  }

  open(room: Room): void {
    const channel = this.channels.get(this.key(room.name));
    if (!channel) return;
    channel.room = room;
    const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === RELAYED) {
        for (const client of [...added, ...updated]) channel.remoteClients.add(client);
        for (const client of removed) {
          channel.remoteClients.delete(client);
          // A removed client's clock would stay forever: the channel keeps messages in order, nothing older follows.
          room.awareness.meta.delete(client);
        }
        return;
      }
      // The room's own state ('local': degraded) is each instance's own; each times out stale states by itself.
      if (origin === 'local' || origin === 'timeout') return;
      const changed = [...added, ...updated, ...removed];
      for (const client of changed) channel.remoteClients.delete(client);
      this.publish(channel.name, AWARENESS, encodeAwarenessUpdate(room.awareness, changed));
    };
    room.awareness.on('update', onAwareness);
    channel.detach = () => room.awareness.off('update', onAwareness);
    const buffered = channel.buffered;
    channel.buffered = [];
    for (const message of buffered) this.apply(channel, message);
    if (channel.catchUpOnOpen) {
      channel.catchUpOnOpen = false;
      void this.catchUp(channel);
    }
    this.publish(room.name, AWARENESS_QUERY);
  }

  unsubscribe(name: string): void {
    const key = this.key(name);
    const channel = this.channels.get(key);
    if (!channel) return;
    channel.detach?.();
    this.channels.delete(key);
    if (this.subscribed) this.subscriber.unsubscribe(key).catch(() => undefined);
  }

  publishStored(name: string, updates: readonly Uint8Array[]): void {
    if (!updates.length) return;
    this.publish(name, UPDATE, updates.length === 1 ? updates[0] : Y.mergeUpdates(updates as Uint8Array[]));
  }

  publishAccess(notice: AccessNotice): void {
    this.publisher
      .publish(this.accessChannel, JSON.stringify({ sender: this.id.toString('hex'), notice }))
      .catch((error: Error) =>
        this.options.log.error('redis: an access change could not reach other instances; their sockets keep the old access until they reconnect', {
          notice,
          error: error.message
        })
      );
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const channel of this.channels.values()) channel.detach?.();
    this.channels.clear();
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private key(name: string): string {
    return `${this.options.prefix}room:${name}`;
  }

  private publish(name: string, kind: number, payload?: Uint8Array): void {
    this.publisher.publish(this.key(name), encodeRelayMessage(kind, this.id, payload)).catch(() => {
      // Stored but not announced: once Redis is back, others re-read this room from storage.
      if (kind === UPDATE) this.missed.add(name);
    });
  }

  private announceMissed(): void {
    for (const name of this.missed) this.publish(name, RESYNC);
    this.missed.clear();
  }

  private down(error: string): void {
    if (this.closing) return;
    if (!this.outage) {
      this.outage = { since: Date.now(), error };
      this.options.log.error('redis unavailable: updates reach only the clients of this instance until it is back', { error });
    } else if (this.outage.error === 'connecting' || this.outage.error === 'connection closed') this.outage.error = error;
  }

  private upIfReady(): void {
    if (!this.outage || !this.subscribed || this.publisher.status !== 'ready') return;
    this.options.log.info('redis connected: relaying updates, presence and access changes between instances', {
      downForMs: Date.now() - this.outage.since
    });
    this.outage = null;
  }

  /** (Re)connected: subscribe to every channel, then re-read every loaded room, so what was missed arrives. */
  private async resubscribe(): Promise<void> {
    const keys = [this.accessChannel, ...this.channels.keys()];
    try {
      await this.subscriber.subscribe(...keys);
    } catch (error) {
      this.options.log.warn('redis: subscribing failed; reconnecting', { error: (error as Error).message });
      this.subscriber.disconnect(true);
      return;
    }
    this.subscribed = true;
    for (const channel of this.channels.values()) {
      if (channel.room) {
        void this.catchUp(channel);
        this.publish(channel.name, AWARENESS_QUERY);
      } else channel.catchUpOnOpen = true;
    }
    this.upIfReady();
  }

  private catchUp(channel: Channel): Promise<void> {
    if (channel.catchingUp) {
      channel.catchUpAgain = true;
      return channel.catchingUp;
    }
    channel.catchingUp = (async () => {
      do {
        channel.catchUpAgain = false;
        await this.readStorageAgain(channel);
      } while (channel.catchUpAgain);
    })().finally(() => (channel.catchingUp = null));
    return channel.catchingUp;
  }

  private async readStorageAgain(channel: Channel): Promise<void> {
    if (!this.host) return;
    let state: Uint8Array | null;
    try {
      state = await this.host.storedState(channel.name);
    } catch (error) {
      this.options.log.error('could not re-read a room from storage after Redis was away', { room: channel.name, error: (error as Error).message });
      return;
    }
    const room = channel.room;
    if (!state || !room || this.channels.get(this.key(channel.name)) !== channel) return;
    this.applyUpdate(room, state);
  }

  private receive(key: string, message: Buffer): void {
    if (key === this.accessChannel) return this.receiveAccess(message);
    const channel = this.channels.get(key);
    if (!channel) return;
    if (channel.room) this.apply(channel, message);
    else channel.buffered.push(message);
  }

  private apply(channel: Channel, message: Uint8Array): void {
    const decoded = decodeRelayMessage(message);
    if (!decoded || this.id.equals(decoded.sender)) return;
    const room = channel.room!;
    try {
      switch (decoded.kind) {
        case UPDATE:
          this.applyUpdate(room, decoded.payload);
          // Built on an update that another instance published and that has not arrived yet (no order holds across
          // publishers): it is committed already, so storage has it.
          if (room.doc.store.pendingStructs || room.doc.store.pendingDs) void this.catchUp(channel);
          return;
        case AWARENESS:
          applyAwarenessUpdate(room.awareness, decoded.payload, RELAYED);
          return;
        case AWARENESS_QUERY: {
          const here = [...room.awareness.getStates().keys()].filter((client) => client !== room.doc.clientID && !channel.remoteClients.has(client));
          if (here.length) this.publish(room.name, AWARENESS, encodeAwarenessUpdate(room.awareness, here));
          return;
        }
        case RESYNC:
          void this.catchUp(channel);
          return;
        default:
          this.options.log.warn('redis: unknown relay message ignored', { room: room.name, kind: decoded.kind });
      }
    } catch (error) {
      this.options.log.error('redis: a relayed message could not be applied', { room: room.name, kind: decoded.kind, error: (error as Error).message });
    }
  }

  /** Stored by another instance: apply, tell clients here it is stored, and let the host re-check a degraded doc. */
  private applyUpdate(room: Room, update: Uint8Array): void {
    Y.applyUpdate(room.doc, update, RELAYED);
    room.stored([update]);
    this.host?.relayed(room);
  }

  private receiveAccess(message: Buffer): void {
    let parsed: { sender?: unknown; notice?: AccessNotice };
    try {
      parsed = JSON.parse(message.toString());
    } catch {
      return;
    }
    if (parsed.sender === this.id.toString('hex') || !parsed.notice) return;
    this.host?.access(parsed.notice);
  }
}
