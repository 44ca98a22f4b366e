import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE_SYNC } from './protocol.ts';

/**
 * The bound on what may wait to be sent to one client (MAX_SEND_BUFFER_BYTES) is for the backlog of a client that
 * stopped reading. The sync step 2 answering a client's first step 1 is the whole doc, which can be larger than that
 * bound: it is always queued, and while it drains only what comes on top of it counts against the bound. Later
 * step 2 replies carry only what the client lacks and count like everything else.
 */
export class SendBound {
  private firstSyncQueued = false;
  /** Bytes of the first sync reply still on their way out: not part of any backlog. */
  private inFlightFirstSync = 0;

  constructor(private readonly maxBytes: number) {}

  /**
   * The answer to a client's first step 1 sent as several messages (the stored rows of a doc still opening, then a
   * step 2): all of it is the first sync, however large. `written` fires once the last is written out.
   */
  offerFirstSync(messages: readonly Uint8Array[], send: (message: Uint8Array, written?: () => void) => void, written: () => void): void {
    this.firstSyncQueued = true;
    const total = messages.reduce((sum, message) => sum + message.length, 0);
    this.inFlightFirstSync += total;
    messages.forEach((message, index) =>
      send(
        message,
        index === messages.length - 1
          ? () => {
              this.inFlightFirstSync = Math.max(0, this.inFlightFirstSync - total);
              written();
            }
          : undefined
      )
    );
  }

  /**
   * Queue `message` behind `buffered` bytes with `send` (whose callback fires once it is written out), or return
   * false: the client is too far behind and should be let go.
   */
  offer(message: Uint8Array, buffered: number, send: (message: Uint8Array, written?: () => void) => void): boolean {
    if (!this.firstSyncQueued && isSyncStep2(message)) {
      this.firstSyncQueued = true;
      this.inFlightFirstSync = message.length;
      send(message, () => (this.inFlightFirstSync = 0));
      return true;
    }
    if (buffered - this.inFlightFirstSync + message.length > this.maxBytes) return false;
    send(message);
    return true;
  }
}

/** A sync step 2 (the server sends one only to answer a step 1), told apart by its first two bytes. */
export function isSyncStep2(message: Uint8Array): boolean {
  return message[0] === MESSAGE_SYNC && message[1] === syncProtocol.messageYjsSyncStep2;
}
