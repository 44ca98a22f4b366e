import { describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { encodeAccess, encodeStored, MESSAGE_ACCESS, MESSAGE_STORED, parseExtensions, readAccess, readStored } from './sync-extensions.ts';

/** Skip the outer message type, as y-websocket does before calling a message handler. */
function body(message: Uint8Array, type: number) {
  const decoder = decoding.createDecoder(message);
  expect(decoding.readVarUint(decoder)).toBe(type);
  return decoder;
}

function bytes(write: (encoder: encoding.Encoder) => void) {
  const encoder = encoding.createEncoder();
  write(encoder);
  return decoding.createDecoder(encoding.toUint8Array(encoder));
}

describe('Lanes sync extensions', () => {
  it('round-trips a stored state and an access message', () => {
    const clocks = new Map([
      [12345, 7],
      [2 ** 31, 900]
    ]);
    expect(readStored(body(encodeStored({ full: true, clocks }), MESSAGE_STORED))).toEqual({ full: true, clocks });
    expect(readStored(body(encodeStored({ full: false, clocks: new Map() }), MESSAGE_STORED))).toEqual({ full: false, clocks: new Map() });
    expect(readAccess(body(encodeAccess({ readOnly: true, role: 'viewer' }), MESSAGE_ACCESS))).toEqual({ readOnly: true, role: 'viewer' });
  });

  it('reads bad bytes as null instead of throwing', () => {
    expect(readStored(bytes(() => {}))).toBeNull();
    expect(readStored(bytes((e) => encoding.writeVarUint(e, 1)))).toBeNull();
    expect(readStored(bytes((e) => (encoding.writeVarUint(e, 7), encoding.writeVarUint8Array(e, new Uint8Array([0])))))).toBeNull();
    expect(readStored(bytes((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint8Array(e, new Uint8Array([5, 1])))))).toBeNull();
    expect(readAccess(bytes((e) => (encoding.writeVarUint(e, 1), encoding.writeVarString(e, 'owner'))))).toBeNull();
    expect(readAccess(bytes((e) => (encoding.writeVarUint(e, 3), encoding.writeVarString(e, 'viewer'))))).toBeNull();
    expect(readAccess(bytes((e) => encoding.writeVarUint(e, 0)))).toBeNull();
  });

  it('takes only the message kinds it knows from the opt-in parameter', () => {
    expect([...parseExtensions('stored,access')]).toEqual(['stored', 'access']);
    expect([...parseExtensions(' access , later-kind')]).toEqual(['access']);
    expect([...parseExtensions(undefined)]).toEqual([]);
  });
});
