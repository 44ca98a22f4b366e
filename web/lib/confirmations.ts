import * as Y from 'yjs';

/** Transaction origins the doc sees besides the user's own edits. */
export interface ConfirmationOrigins {
  /** The sync provider: changes that came from the server (colleagues', or ours echoed by another tab). */
  server: unknown;
  /** The copy kept on this device (IndexedDB): changes from an earlier visit. */
  device: unknown;
}

/**
 * Which of this browser's changes the server has stored. The server tells (its "stored" message) up to which clock
 * its update log has committed each client's changes; a local change is saved once the stored clock for our client
 * id reaches the clock right after that change. Changes kept on this device from an earlier visit (IndexedDB,
 * another client id) count once per such client id the database is behind on. A change the server only holds in
 * memory is not saved: a crash would take it.
 */
export class Confirmations {
  /** Our client clock right after each local change not yet stored, oldest first. */
  private readonly waiting: number[] = [];
  private stored: Map<number, number> | null = null;
  /** Client ids whose latest changes came from this device rather than from the server. */
  private readonly fromDevice = new Set<number>();

  /** `lastKnown`: the stored state seen on an earlier visit, so offline changes kept from then still count. */
  constructor(
    private readonly doc: Y.Doc,
    private readonly origins: ConfirmationOrigins,
    lastKnown?: Uint8Array | null
  ) {
    doc.on('afterTransaction', this.track);
    if (lastKnown) this.stored = Y.decodeStateVector(lastKnown);
  }

  /** How many changes made here are not stored yet. Unknown stored state: everything local since load. */
  get pending(): number {
    const stored = this.stored;
    if (!stored) return this.waiting.length;
    const mine = this.waiting.filter((clock) => clock > (stored.get(this.doc.clientID) ?? 0)).length;
    let earlier = 0;
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) {
      if (this.fromDevice.has(client) && clock > (stored.get(client) ?? 0)) earlier++;
    }
    return mine + earlier;
  }

  /** The server's stored state: the whole of it (`full`), or the clocks a commit advanced. */
  serverStored(clocks: Map<number, number>, full: boolean): void {
    const stored = full || !this.stored ? new Map(clocks) : this.stored;
    if (!full) for (const [client, clock] of clocks) stored.set(client, Math.max(clock, stored.get(client) ?? 0));
    this.stored = stored;
    const confirmedUpTo = stored.get(this.doc.clientID) ?? 0;
    while (this.waiting.length && this.waiting[0] <= confirmedUpTo) this.waiting.shift();
  }

  /** The stored state as a state vector, to remember for the next visit; null before the server said anything. */
  storedState(): Uint8Array | null {
    return this.stored ? Y.encodeStateVector(this.stored) : null;
  }

  destroy(): void {
    this.doc.off('afterTransaction', this.track);
  }

  private track = (transaction: Y.Transaction): void => {
    const origin = transaction.origin;
    const me = this.doc.clientID;
    for (const [client, after] of transaction.afterState) {
      if (client === me || after <= (transaction.beforeState.get(client) ?? 0)) continue;
      if (origin === this.origins.server) this.fromDevice.delete(client);
      else if (origin === this.origins.device) this.fromDevice.add(client);
    }
    if (origin === this.origins.server || origin === this.origins.device) return;
    const before = transaction.beforeState.get(me) ?? 0;
    const after = transaction.afterState.get(me) ?? 0;
    // Deletes change no clock; they are confirmed with the next change or by the next stored state.
    if (after > before) this.waiting.push(after);
  };
}
