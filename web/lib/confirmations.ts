import * as Y from 'yjs';

/**
 * Which of this browser's changes the server has confirmed. The server's state vector (its sync step 1, sent on
 * connect and in answer to every step 1 we send) says up to which clock it holds each client's changes; a local
 * change is confirmed once the server's clock for our client id reaches the clock right after that change.
 * Changes kept on this device from an earlier visit (IndexedDB, another client id) count once per client id the
 * server is behind on.
 */
export class Confirmations {
  /** Our client clock right after each local change not yet confirmed, oldest first. */
  private readonly waiting: number[] = [];
  private serverState: Map<number, number> | null = null;

  /** `lastKnown`: the server state vector seen on an earlier visit, so offline changes kept from then still count. */
  constructor(
    private readonly doc: Y.Doc,
    private readonly isLocal: (origin: unknown) => boolean,
    lastKnown?: Uint8Array | null
  ) {
    doc.on('afterTransaction', this.track);
    if (lastKnown) this.serverState = Y.decodeStateVector(lastKnown);
  }

  /** How many changes made here the server has not confirmed. Unknown server state: everything local since load. */
  get pending(): number {
    const server = this.serverState;
    if (!server) return this.waiting.length;
    const mine = this.waiting.filter((clock) => clock > (server.get(this.doc.clientID) ?? 0)).length;
    let earlier = 0;
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) {
      if (client !== this.doc.clientID && clock > (server.get(client) ?? 0)) earlier++;
    }
    return mine + earlier;
  }

  /** The server's state vector arrived. */
  serverHas(stateVector: Uint8Array): void {
    this.serverState = Y.decodeStateVector(stateVector);
    const confirmedUpTo = this.serverState.get(this.doc.clientID) ?? 0;
    while (this.waiting.length && this.waiting[0] <= confirmedUpTo) this.waiting.shift();
  }

  destroy(): void {
    this.doc.off('afterTransaction', this.track);
  }

  private track = (transaction: Y.Transaction): void => {
    if (!this.isLocal(transaction.origin)) return;
    const before = transaction.beforeState.get(this.doc.clientID) ?? 0;
    const after = transaction.afterState.get(this.doc.clientID) ?? 0;
    // Deletes change no clock; they are confirmed with the next change or by the next server state vector.
    if (after > before) this.waiting.push(after);
  };
}
