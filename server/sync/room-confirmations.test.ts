import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { MESSAGE_ACCESS, MESSAGE_STORED, readAccess, readStored, type Extension } from '../../shared/sync-extensions.ts';
import { encodeDocUpdate } from './protocol.ts';
import { Room, type Connection } from './room.ts';

function connection(userId: string, extensions: Extension[] = []) {
  const sent: Uint8Array[] = [];
  const conn: Connection = { id: userId, userId, role: 'sales', extensions: new Set(extensions), send: (message) => sent.push(message), close: () => {} };
  return { conn, sent };
}

/** The room's own messages a connection received, decoded, in order. */
function notices(sent: Uint8Array[]) {
  return sent.flatMap((message) => {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_STORED) return [{ stored: readStored(decoder) }];
    if (type === MESSAGE_ACCESS) return [{ access: readAccess(decoder) }];
    return [];
  });
}

function makeRoom() {
  const accepted: Uint8Array[] = [];
  const room = new Room('board:test', { onUpdate: (_room, update) => accepted.push(update), onRejected: () => {} });
  return { room, accepted };
}

function edit(doc: Y.Doc, key: string) {
  const before = Y.encodeStateVector(doc);
  doc.getMap('m').set(key, key);
  return encodeDocUpdate(Y.encodeStateAsUpdate(doc, before));
}

describe('room: what is stored and who may edit, told to the clients that ask', () => {
  it('confirms an accepted update only once the update log has committed it, and only to clients that asked', () => {
    const { room, accepted } = makeRoom();
    const saved = new Y.Doc();
    saved.getMap('m').set('old', 1);
    room.load([Y.encodeStateAsUpdate(saved)]);
    const ann = connection('ann', ['stored']);
    const stock = connection('stock');
    room.join(ann.conn);
    room.join(stock.conn);
    expect(notices(ann.sent)).toEqual([{ stored: { full: true, clocks: new Map([[saved.clientID, 1]]) } }]);

    const annDoc = new Y.Doc();
    room.receive(ann.conn, edit(annDoc, 'a'));
    room.receive(ann.conn, edit(annDoc, 'b'));
    expect(accepted).toHaveLength(2);
    // Accepted and broadcast, but not committed yet: nothing is confirmed.
    expect(notices(ann.sent)).toHaveLength(1);

    room.stored(accepted.slice(0, 1));
    room.stored(accepted.slice(1));
    expect(notices(ann.sent).slice(1)).toEqual([
      { stored: { full: false, clocks: new Map([[annDoc.clientID, 1]]) } },
      { stored: { full: false, clocks: new Map([[annDoc.clientID, 2]]) } }
    ]);
    expect(notices(stock.sent)).toEqual([]);

    // A client joining later gets the whole stored state at once.
    const bob = connection('bob', ['stored']);
    room.join(bob.conn);
    expect(notices(bob.sent)).toEqual([{ stored: { full: true, clocks: new Map([[saved.clientID, 1], [annDoc.clientID, 2]]) } }]);
  });

  it('tells a client that asked its role on join and again whenever a re-check changes it; a stock client hears nothing', () => {
    const { room } = makeRoom();
    const bob = connection('bob', ['access']);
    const stock = connection('stock');
    room.join(bob.conn);
    room.join(stock.conn);
    expect(notices(bob.sent)).toEqual([{ access: { readOnly: false, role: 'sales' } }]);

    room.setAccess(bob.conn, { readOnly: false, role: 'sales' });
    expect(notices(bob.sent)).toHaveLength(1);
    room.setAccess(bob.conn, { readOnly: true, role: 'viewer' });
    room.setAccess(stock.conn, { readOnly: true, role: 'viewer' });
    expect(notices(bob.sent).at(-1)).toEqual({ access: { readOnly: true, role: 'viewer' } });
    expect(bob.conn.readOnly).toBe(true);
    expect(stock.conn.readOnly).toBe(true);
    expect(notices(stock.sent)).toEqual([]);

    // The room enforces the new right at once.
    const closed: number[] = [];
    const strict = new Room('board:x', { onUpdate: () => {}, onRejected: (_room, _conn, rejection) => closed.push(rejection.code) });
    const vic = connection('vic', ['access']);
    strict.join(vic.conn);
    strict.setAccess(vic.conn, { readOnly: true, role: 'viewer' });
    strict.receive(vic.conn, edit(new Y.Doc(), 'forged'));
    expect(closed).toEqual([4403]);
    expect(strict.doc.getMap('m').size).toBe(0);
  });
});
