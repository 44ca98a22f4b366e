import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import { Room, type Connection } from './room.ts';
import { MESSAGE_AWARENESS, encodeDocUpdate } from './protocol.ts';

function connection(userId: string) {
  const sent: Uint8Array[] = [];
  const closed: Array<[number, string]> = [];
  const conn: Connection = { id: userId, userId, send: (message) => sent.push(message), close: (code, reason) => closed.push([code, reason]) };
  return { conn, sent, closed };
}

function makeRoom() {
  const stored: Uint8Array[] = [];
  const bad: Error[] = [];
  const room = new Room('board:test', {
    onUpdate: (_room, update) => stored.push(update),
    onBadMessage: (_room, conn, error) => {
      bad.push(error);
      conn.close(1007, 'bad message');
    }
  });
  return { room, stored, bad };
}

describe('room', () => {
  it('broadcasts an accepted update to the other connections and hands it to storage once', () => {
    const { room, stored } = makeRoom();
    const ann = connection('ann');
    const bob = connection('bob');
    room.join(ann.conn);
    room.join(bob.conn);
    const before = { ann: ann.sent.length, bob: bob.sent.length };
    const edit = new Y.Doc();
    edit.getMap('m').set('k', 1);
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(edit)));
    expect(stored).toHaveLength(1);
    expect(bob.sent.length).toBe(before.bob + 1);
    expect(ann.sent.length).toBe(before.ann);
  });

  it('does not store what it replays from storage', () => {
    const { room, stored } = makeRoom();
    const saved = new Y.Doc();
    saved.getMap('m').set('k', 1);
    room.load([Y.encodeStateAsUpdate(saved)]);
    expect(room.doc.getMap('m').get('k')).toBe(1);
    expect(stored).toHaveLength(0);
  });

  it('closes only the connection that sent garbage; the doc and the others carry on', () => {
    const { room, stored, bad } = makeRoom();
    const ann = connection('ann');
    const mallory = connection('mallory');
    room.join(ann.conn);
    room.join(mallory.conn);
    room.receive(mallory.conn, new Uint8Array([0, 2, 200, 1, 2]));
    expect(bad).toHaveLength(1);
    expect(mallory.closed).toEqual([[1007, 'bad message']]);
    expect(ann.closed).toEqual([]);
    const edit = new Y.Doc();
    edit.getMap('m').set('still', 'works');
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(edit)));
    expect(room.doc.getMap('m').get('still')).toBe('works');
    expect(stored).toHaveLength(1);
  });

  it('removes a leaving connection’s awareness states for everyone', () => {
    const { room } = makeRoom();
    const ann = connection('ann');
    room.join(ann.conn);
    const annDoc = new Y.Doc();
    const annAwareness = new Awareness(annDoc);
    annAwareness.setLocalState({ name: 'Ann' });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(annAwareness, [annDoc.clientID]));
    room.receive(ann.conn, encoding.toUint8Array(encoder));
    expect(room.awareness.getStates().has(annDoc.clientID)).toBe(true);
    room.leave(ann.conn);
    expect(room.awareness.getStates().has(annDoc.clientID)).toBe(false);
  });
});
