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

/** Close codes the server uses, besides the standard ones (1001 going away, 1003, 1007, 1009). */
export const CLOSE_READ_ONLY = 4403;
export const CLOSE_SIGNED_OUT = 4401;
export const CLOSE_DOC_TOO_LARGE = 4413;
/** The update would leave the doc breaking its schema (shared/doc-schema.ts); the reason names the record and rule. */
export const CLOSE_SCHEMA_VIOLATION = 4422;
/** The doc is read-only for everyone until an admin repairs it (it failed to load, migrate or validate). */
export const CLOSE_DOC_DEGRADED = 4423;
export const CLOSE_BAD_MESSAGE = 1007;
/** A message within the protocol but past a bound on presence or on updates waiting for dependencies. */
export const CLOSE_POLICY = 1008;
/** The process is at its memory budget for docs: the client may retry later. */
export const CLOSE_TRY_LATER = 1013;

/** A message the server will not take: the sender is closed with `code`, nobody else is affected. */
export class Rejection extends Error {
  override name = 'Rejection';
  constructor(
    readonly code: number,
    message: string
  ) {
    super(message);
  }
}

/** The message is not a valid y-websocket message. */
export class ProtocolError extends Rejection {
  override name = 'ProtocolError';
  constructor(message: string) {
    super(CLOSE_BAD_MESSAGE, message);
  }
}

/** Sync step 1 (the state vector): `stateVector` when the caller has it encoded already. */
export function encodeSyncStep1(doc: Y.Doc, stateVector: Uint8Array = Y.encodeStateVector(doc)): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, stateVector);
  return encoding.toUint8Array(encoder);
}

/** Sync step 2 carrying `update` (e.g. a doc's whole stored state) as it is. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/**
 * A doc's whole state and state vector, encoded once until the doc changes (a room keeps them): every fresh client's
 * first sync, and every sync step 1 the server sends, reuse them instead of encoding the doc again.
 */
export interface EncodedDoc {
  wholeState(): Uint8Array;
  stateVector(): Uint8Array;
}

/** An encoded state vector that names no client: a fresh client, which needs the whole doc. */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0;
}

export function encodeDocUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** A broadcast doc update (sync message, update subtype), told apart by its first two bytes without decoding it. */
export function isDocUpdateMessage(message: Uint8Array): boolean {
  return message[0] === MESSAGE_SYNC && message[1] === syncProtocol.messageYjsUpdate;
}

export function encodeAwareness(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}

/** Checks a decoded doc update before it is applied; throws a Rejection to refuse it. */
export type AdmitUpdate = (update: Uint8Array, decoded: ReturnType<typeof Y.decodeUpdate>) => void;
/** Returns the awareness update to apply in place of the client's (null: nothing), or throws a Rejection. */
export type AdmitAwareness = (update: Uint8Array) => Uint8Array | null;

/**
 * Apply one message from a client to the room's doc and awareness, with `origin` as the transaction origin.
 * Every document update is decoded in full before anything is applied, then passed to `admit`, which may throw a
 * Rejection (read-only connection, doc too large); every awareness update goes through `admitAwareness`.
 * Returns the replies to send back to that client (maybe none). Throws ProtocolError on anything malformed;
 * nothing of a refused message reaches the doc.
 */
export function readMessage(
  message: Uint8Array,
  target: { doc: Y.Doc; awareness: awarenessProtocol.Awareness; encoded?: EncodedDoc },
  origin: unknown,
  admit: AdmitUpdate = () => {},
  admitAwareness: AdmitAwareness = (update) => update
): Uint8Array[] {
  const decoder = decoding.createDecoder(message);
  let type: number;
  let body: Uint8Array | null = null;
  let syncType = -1;
  try {
    type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      syncType = decoding.readVarUint(decoder);
      body = decoding.readVarUint8Array(decoder);
    } else if (type === MESSAGE_AWARENESS) {
      body = decoding.readVarUint8Array(decoder);
    }
  } catch (error) {
    throw new ProtocolError(`truncated message: ${(error as Error).message}`);
  }
  switch (type) {
    case MESSAGE_SYNC:
      return readSync(syncType, body!, target.doc, origin, admit, target.encoded);
    case MESSAGE_AWARENESS: {
      const admitted = admitAwareness(body!);
      if (!admitted) return [];
      try {
        awarenessProtocol.applyAwarenessUpdate(target.awareness, admitted, origin);
      } catch (error) {
        throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`);
      }
      return [];
    }
    case MESSAGE_QUERY_AWARENESS:
      return [encodeAwareness(target.awareness, [...target.awareness.getStates().keys()])];
    case MESSAGE_AUTH:
      // Authentication happens on the HTTP upgrade; the stock client never sends this.
      return [];
    default:
      throw new ProtocolError(`unknown message type ${type}`);
  }
}

/**
 * Sync step 1 is answered with step 2 (what the client lacks) and the server's own step 1: its state vector tells
 * the client which of its changes the server holds (the UI's "not yet confirmed" count), and the client answers
 * with anything the server lacks. A stock client handles both as usual.
 */
function readSync(syncType: number, body: Uint8Array, doc: Y.Doc, origin: unknown, admit: AdmitUpdate, encoded?: EncodedDoc): Uint8Array[] {
  switch (syncType) {
    case syncProtocol.messageYjsSyncStep1: {
      const reply = encoding.createEncoder();
      encoding.writeVarUint(reply, MESSAGE_SYNC);
      if (encoded && isEmptyStateVector(body)) {
        encoding.writeVarUint(reply, syncProtocol.messageYjsSyncStep2);
        encoding.writeVarUint8Array(reply, encoded.wholeState());
      } else {
        try {
          syncProtocol.writeSyncStep2(reply, doc, body);
        } catch (error) {
          throw new ProtocolError(`malformed state vector: ${(error as Error).message}`);
        }
      }
      return [encoding.toUint8Array(reply), encodeSyncStep1(doc, encoded?.stateVector())];
    }
    case syncProtocol.messageYjsSyncStep2:
    case syncProtocol.messageYjsUpdate: {
      let decoded: ReturnType<typeof Y.decodeUpdate>;
      try {
        decoded = Y.decodeUpdate(body);
      } catch (error) {
        throw new ProtocolError(`update does not decode: ${(error as Error).message}`);
      }
      admit(body, decoded);
      try {
        Y.applyUpdate(doc, body, origin);
      } catch (error) {
        throw new ProtocolError(`update does not apply: ${(error as Error).message}`);
      }
      return [];
    }
    default:
      throw new ProtocolError(`unknown sync message type ${syncType}`);
  }
}
