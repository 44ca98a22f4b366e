import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { safeColors } from '../../shared/presence-colors.ts';
import { CLOSE_POLICY, ProtocolError, Rejection } from './protocol.ts';

/** Bounds on what one connection may publish as presence (awareness). */
export interface PresenceLimits {
  /** One state, as JSON (MAX_PRESENCE_STATE_BYTES): a real one (user, open deal, drag, cursor) is under 1 KiB. */
  maxStateBytes: number;
  /** Awareness client ids one connection may own (MAX_PRESENCE_CLIENTS): a browser tab uses one. */
  maxClientsPerConnection: number;
  /** Sustained presence messages per second (MAX_PRESENCE_PER_SECOND), with a burst of twice that. */
  maxMessagesPerSecond: number;
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = { maxStateBytes: 4096, maxClientsPerConnection: 4, maxMessagesPerSecond: 40 };

/** Who the socket is, as the server knows it from the upgrade. */
export interface PresenceOwner {
  readonly userId: string;
  readonly userName?: string;
}

interface Owned {
  clients: Set<number>;
  /** Token bucket for messages that say something of the sender's own: refilled at maxMessagesPerSecond up to twice that. */
  tokens: number;
  /** Token bucket for every presence message, echoes included, ECHO_ALLOWANCE times looser. */
  anyTokens: number;
  refilledAt: number;
}

/**
 * A stock y-websocket client sends every awareness change it sees back to the server, its colleagues' included, so a
 * busy room makes honest clients echo far more than they say themselves. Echoes are dropped (nothing in them is the
 * sender's to say) and only bounded loosely, so a colleague's 30-per-second drag never gets anyone else closed.
 */
const ECHO_ALLOWANCE = 25;

const MAX_NAME_LENGTH = 80;
const MAX_DEPARTED = 10_000;

/**
 * The room's gate for awareness: every update is decoded into a scratch Awareness (y-protocols' own decoding), and
 * only what the sender may say is applied to the room's: states of client ids it owns, each tied to the socket's
 * user with hex colors, within the size, client-id and rate bounds. Entries about other connections' client ids are
 * dropped silently (a stock client relays the removals its own timeout makes); past a bound the sender is closed.
 */
export class PresenceGuard {
  private readonly scratch = new Awareness(new Y.Doc());
  private readonly owners = new Map<number, PresenceOwner>();
  private readonly owned = new Map<PresenceOwner, Owned>();
  /** Client ids whose connection left, with their last clock and user: late echoes of them must not revive them. */
  private readonly departed = new Map<number, { clock: number; userId: string }>();

  constructor(
    private readonly awareness: Awareness,
    private readonly limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS,
    private readonly clock: () => number = Date.now
  ) {}

  /**
   * Count one presence message against the sender's rate; throws past it. `own`: it says something of the sender's
   * own (a state it may publish, or a query answered with every state); otherwise it is any message, echoes included.
   */
  count(owner: PresenceOwner, kind: 'own' | 'any'): void {
    const entry = this.entry(owner);
    const now = this.clock();
    const rate = this.limits.maxMessagesPerSecond;
    const elapsed = (now - entry.refilledAt) / 1000;
    entry.tokens = Math.min(2 * rate, entry.tokens + elapsed * rate);
    entry.anyTokens = Math.min(2 * rate * ECHO_ALLOWANCE, entry.anyTokens + elapsed * rate * ECHO_ALLOWANCE);
    entry.refilledAt = now;
    if (kind === 'own') {
      if (entry.tokens < 1) throw new Rejection(CLOSE_POLICY, `presence: more than ${rate} messages per second`);
      entry.tokens -= 1;
    } else {
      if (entry.anyTokens < 1) throw new Rejection(CLOSE_POLICY, `presence: more than ${rate * ECHO_ALLOWANCE} messages per second, echoes included`);
      entry.anyTokens -= 1;
    }
  }

  /** The update to apply in place of `update` (null when nothing in it is the sender's to say), or throws. */
  admit(owner: PresenceOwner, update: Uint8Array): Uint8Array | null {
    if (this.onlyEchoes(update)) return null;
    const scratch = this.scratch;
    scratch.states.clear();
    scratch.meta.clear();
    try {
      applyAwarenessUpdate(scratch, update, null);
    } catch (error) {
      throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`);
    }
    const entry = this.entry(owner);
    const accepted: number[] = [];
    const claimed: number[] = [];
    for (const [client, { clock }] of scratch.meta) {
      // Not newer than what the room holds (y-protocols' own rule): an echo or a stale state, which changes nothing
      // and must not hand the client id to whoever echoed it.
      const known = this.awareness.meta.get(client);
      const removes = scratch.states.get(client) === undefined && this.awareness.states.has(client);
      if (known && (clock < known.clock || (clock === known.clock && !removes))) continue;
      // A client whose connection left: a colleague's late echo of it is dropped; only a tab of the same user that
      // owns no client yet (a reconnect, which resends its last state) may take it back.
      const gone = known ? undefined : this.departed.get(client);
      if (gone && clock <= gone.clock && (gone.userId !== owner.userId || entry.clients.size > 0)) continue;
      const current = this.owners.get(client);
      // A tab that reconnects keeps its client id while its old socket may linger: the same user takes it over.
      if (current && current !== owner && current.userId !== owner.userId) continue;
      const state = scratch.states.get(client);
      if (current !== owner) {
        // Removing a client nobody owns changes nothing; keeping its clock would only grow the room's memory.
        if (state === undefined) continue;
        claimed.push(client);
        if (entry.clients.size + claimed.length > this.limits.maxClientsPerConnection) {
          throw new Rejection(CLOSE_POLICY, `presence: at most ${this.limits.maxClientsPerConnection} client ids per connection`);
        }
      }
      if (state !== undefined) {
        const bytes = Buffer.byteLength(JSON.stringify(state));
        if (bytes > this.limits.maxStateBytes) throw new Rejection(CLOSE_POLICY, `presence state of ${bytes} bytes, over ${this.limits.maxStateBytes}`);
        scratch.states.set(client, tiedToUser(state, owner));
      }
      accepted.push(client);
    }
    for (const client of claimed) {
      const previous = this.owners.get(client);
      if (previous) this.owned.get(previous)?.clients.delete(client);
      this.departed.delete(client);
      entry.clients.add(client);
      this.owners.set(client, owner);
    }
    return accepted.length ? encodeAwarenessUpdate(scratch, accepted) : null;
  }

  /**
   * Whether no entry of `update` is newer than what the room holds (the first rule of `admit`), read from its client
   * ids and clocks without decoding its states: in a room of n stock clients every presence change comes back as
   * n - 1 echoes, which are then dropped at the cost of reading a few varints. Anything else (a newer entry, an
   * unknown client, bytes that do not read as entries) takes the full path, which decodes and checks it. An echo's
   * state text is not parsed: a stale entry is dropped whatever it holds, since it cannot change the room.
   */
  private onlyEchoes(update: Uint8Array): boolean {
    const decoder = decoding.createDecoder(update);
    try {
      const entries = decoding.readVarUint(decoder);
      for (let index = 0; index < entries; index++) {
        const client = decoding.readVarUint(decoder);
        const clock = decoding.readVarUint(decoder);
        const state = decoding.readVarUint8Array(decoder);
        const known = this.awareness.meta.get(client);
        if (!known || clock > known.clock) return false;
        // The same clock with a null state removes a state the room still shows: that is news. A state that is
        // neither `null` nor an object (JSON that might still read as null) is left to the full path.
        if (clock === known.clock && (isNullJson(state) ? this.awareness.states.has(client) : state[0] !== 0x7b)) return false;
      }
    } catch {
      return false;
    }
    return decoder.pos === update.length;
  }

  /** A connection left: remove its states for everyone, then their clocks, which the protocol would keep forever. */
  forget(owner: PresenceOwner): void {
    const entry = this.owned.get(owner);
    this.owned.delete(owner);
    if (!entry) return;
    const clients = [...entry.clients];
    for (const client of clients) this.owners.delete(client);
    removeAwarenessStates(this.awareness, clients, null);
    for (const client of clients) {
      const clock = this.awareness.meta.get(client)?.clock ?? 0;
      this.awareness.meta.delete(client);
      this.departed.delete(client);
      this.departed.set(client, { clock, userId: owner.userId });
    }
    // Bounded: the oldest departures are forgotten first (a Map keeps insertion order).
    for (const client of this.departed.keys()) {
      if (this.departed.size <= MAX_DEPARTED) break;
      this.departed.delete(client);
    }
  }

  destroy(): void {
    this.scratch.destroy();
    this.scratch.doc.destroy();
  }

  private entry(owner: PresenceOwner): Owned {
    let entry = this.owned.get(owner);
    if (!entry) {
      entry = { clients: new Set(), tokens: 2 * this.limits.maxMessagesPerSecond, anyTokens: 2 * this.limits.maxMessagesPerSecond * ECHO_ALLOWANCE, refilledAt: this.clock() };
      this.owned.set(owner, entry);
    }
    return entry;
  }
}

/** The UTF-8 bytes of the JSON text `null` (y-protocols' encoding of a removed state). */
function isNullJson(bytes: Uint8Array): boolean {
  return bytes.length === 4 && bytes[0] === 0x6e && bytes[1] === 0x75 && bytes[2] === 0x6c && bytes[3] === 0x6c;
}

/** The state with `user` replaced by the socket's user: id and name from the server, colors only if they are hex. */
export function tiedToUser(state: unknown, owner: PresenceOwner): Record<string, unknown> {
  const fields = state && typeof state === 'object' && !Array.isArray(state) ? (state as Record<string, unknown>) : {};
  const given = fields.user && typeof fields.user === 'object' ? (fields.user as Record<string, unknown>) : {};
  const name = owner.userName ?? (typeof given.name === 'string' ? given.name.slice(0, MAX_NAME_LENGTH) : 'Someone');
  return { ...fields, user: { id: owner.userId, name, ...safeColors(owner.userId, given.color, given.colorLight) } };
}
