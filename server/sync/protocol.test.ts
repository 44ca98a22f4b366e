import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, ProtocolError, encodeDocUpdate, encodeSyncStep1, readMessage } from './protocol.ts';

function target() {
  const doc = new Y.Doc();
  return { doc, awareness: new Awareness(doc) };
}

describe('y-websocket protocol', () => {
  it('answers sync step 1 with step 2 holding what the client lacks, then its own step 1 (its state vector)', () => {
    const server = target();
    server.doc.getMap('m').set('k', 'v');
    const client = new Y.Doc();
    const [reply, serverStep1] = readMessage(encodeSyncStep1(client), server, 'client');
    const decoder = decoding.createDecoder(reply);
    expect(decoding.readVarUint(decoder)).toBe(MESSAGE_SYNC);
    syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), client, 'server');
    expect(client.getMap('m').get('k')).toBe('v');
    expect(serverStep1).toEqual(encodeSyncStep1(server.doc));
  });

  it('applies an update with the sender as origin and sends no reply', () => {
    const server = target();
    const origins: unknown[] = [];
    server.doc.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin));
    const client = new Y.Doc();
    client.getMap('m').set('k', 1);
    expect(readMessage(encodeDocUpdate(Y.encodeStateAsUpdate(client)), server, 'alice')).toEqual([]);
    expect(server.doc.getMap('m').get('k')).toBe(1);
    expect(origins).toEqual(['alice']);
  });

  it('applies awareness and answers an awareness query with every state', () => {
    const server = target();
    const peer = new Y.Doc();
    const peerAwareness = new Awareness(peer);
    peerAwareness.setLocalState({ user: { name: 'Ann' } });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(peerAwareness, [peer.clientID]));
    readMessage(encoding.toUint8Array(encoder), server, 'ann');
    expect(server.awareness.getStates().get(peer.clientID)).toEqual({ user: { name: 'Ann' } });
    const query = encoding.createEncoder();
    encoding.writeVarUint(query, MESSAGE_QUERY_AWARENESS);
    const [reply] = readMessage(encoding.toUint8Array(query), server, 'ann');
    expect(decoding.readVarUint(decoding.createDecoder(reply))).toBe(MESSAGE_AWARENESS);
  });

  it('throws a ProtocolError on an unknown type, an empty frame or a truncated update', () => {
    const server = target();
    expect(() => readMessage(new Uint8Array([9]), server, 'x')).toThrow(ProtocolError);
    expect(() => readMessage(new Uint8Array([]), server, 'x')).toThrow(ProtocolError);
    const client = new Y.Doc();
    client.getMap('m').set('k', 'a long enough value');
    const whole = encodeDocUpdate(Y.encodeStateAsUpdate(client));
    expect(() => readMessage(whole.slice(0, whole.length - 5), server, 'x')).toThrow(ProtocolError);
    expect(server.doc.getMap('m').size).toBe(0);
  });
});
