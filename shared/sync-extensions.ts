import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { ROLES, type Role } from './api.ts';

/**
 * Lanes' own server messages on the sync socket, beyond the y-websocket protocol (types 0–3). The server sends them
 * only to a client that asks for them in the socket URL (`?messages=stored,access`), so a stock client never sees a
 * message type it does not know. Both sides use these functions; the client never sends these types.
 */
export const MESSAGE_STORED = 100;
export const MESSAGE_ACCESS = 101;

/** The query parameter that opts in, and the message kinds it may list (comma separated). */
export const EXTENSIONS_PARAM = 'messages';
export const EXTENSIONS = ['stored', 'access'] as const;
export type Extension = (typeof EXTENSIONS)[number];

/** The kinds a client asked for; unknown names are ignored, so a newer client still talks to an older server. */
export function parseExtensions(value: string | null | undefined): Set<Extension> {
  const asked = new Set((value ?? '').split(',').map((name) => name.trim()));
  return new Set(EXTENSIONS.filter((name) => asked.has(name)));
}

/**
 * What the update log has committed for the room, as a state vector (client id → clock). `full` on join: the whole
 * stored state; otherwise only the clients a commit advanced, to merge by maximum.
 */
export interface StoredState {
  full: boolean;
  clocks: Map<number, number>;
}

export function encodeStored({ full, clocks }: StoredState): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_STORED);
  encoding.writeVarUint(encoder, full ? 1 : 0);
  encoding.writeVarUint8Array(encoder, Y.encodeStateVector(clocks));
  return encoding.toUint8Array(encoder);
}

/** Read the body of a stored-state message (after its type); null when it does not decode. */
export function readStored(decoder: decoding.Decoder): StoredState | null {
  try {
    const flag = decoding.readVarUint(decoder);
    const clocks = Y.decodeStateVector(decoding.readVarUint8Array(decoder));
    if (flag > 1) return null;
    for (const clock of clocks.values()) if (!Number.isSafeInteger(clock)) return null;
    return { full: flag === 1, clocks };
  } catch {
    return null;
  }
}

/** The connection's role and whether it may change the doc, sent on join and whenever either changes. */
export interface AccessState {
  readOnly: boolean;
  role: Role;
}

export function encodeAccess({ readOnly, role }: AccessState): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_ACCESS);
  encoding.writeVarUint(encoder, readOnly ? 1 : 0);
  encoding.writeVarString(encoder, role);
  return encoding.toUint8Array(encoder);
}

/** Read the body of an access message (after its type); null when it does not decode or names no known role. */
export function readAccess(decoder: decoding.Decoder): AccessState | null {
  try {
    const flag = decoding.readVarUint(decoder);
    const role = decoding.readVarString(decoder);
    if (flag > 1 || !(ROLES as readonly string[]).includes(role)) return null;
    return { readOnly: flag === 1, role: role as Role };
  } catch {
    return null;
  }
}

/**
 * The clients and clocks an update brings the doc up to. The room's updates arrive in causal order, each with a
 * contiguous range per client, so once an update is stored its `to` clocks are stored too.
 */
export function clocksAfter(update: Uint8Array): Map<number, number> {
  return Y.parseUpdateMeta(update).to;
}
