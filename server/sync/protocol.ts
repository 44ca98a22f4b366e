import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';

/** The y-websocket wire protocol's outer message types (the same numbers the stock client uses). */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

export function encodeDocUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeAwareness(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}

/**
 * Apply one message from a client to the room's doc and awareness, with `origin` as the transaction origin.
 * Returns the reply to send back to that client, or null. Throws ProtocolError on anything malformed.
 */
export function readMessage(
  message: Uint8Array,
  target: { doc: Y.Doc; awareness: awarenessProtocol.Awareness },
  origin: unknown
): Uint8Array | null {
  const decoder = decoding.createDecoder(message);
  const reply = encoding.createEncoder();
  try {
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MESSAGE_SYNC: {
        encoding.writeVarUint(reply, MESSAGE_SYNC);
        let failure: Error | undefined;
        syncProtocol.readSyncMessage(decoder, reply, target.doc, origin, (error) => (failure = error));
        if (failure) throw new ProtocolError(`update does not apply: ${failure.message}`);
        // Only sync step 1 writes a reply (step 2); the others leave the encoder at its type byte.
        return encoding.length(reply) > 1 ? encoding.toUint8Array(reply) : null;
      }
      case MESSAGE_AWARENESS:
        awarenessProtocol.applyAwarenessUpdate(target.awareness, decoding.readVarUint8Array(decoder), origin);
        return null;
      case MESSAGE_QUERY_AWARENESS:
        return encodeAwareness(target.awareness, [...target.awareness.getStates().keys()]);
      case MESSAGE_AUTH:
        // Authentication happens on the HTTP upgrade; the stock client never sends this.
        return null;
      default:
        throw new ProtocolError(`unknown message type ${type}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`malformed message: ${(error as Error).message}`);
  }
}
