import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import { MAX_EARLY_QUEUE_BYTES, Room, type Connection } from './room.ts';
import { MESSAGE_AWARENESS, encodeDocUpdate, encodeSyncStep1 } from './protocol.ts';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';

function connection(userId: string) {
  const sent: Uint8Array[] = [];
  const closed: Array<[number, string]> = [];
  const conn: Connection = { id: userId, userId, send: (message) => sent.push(message), close: (code, reason) => closed.push([code, reason]) };
  return { conn, sent, closed };
}

function makeRoom(maxDocBytes?: number) {
  const stored: Uint8Array[] = [];
  const bad: Error[] = [];
  const room = new Room('board:test', {
    onUpdate: (_room, update) => stored.push(update),
    onRejected: (target, conn, rejection) => {
      bad.push(rejection);
      target.disconnect(conn, rejection.code, rejection.message);
    }
  }, maxDocBytes);
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

  it('answers every fresh client with the whole doc, encoded once until the doc changes, and never a stale one', () => {
    const { room } = makeRoom();
    const saved = new Y.Doc();
    saved.getMap('m').set('k', 1);
    room.load([Y.encodeStateAsUpdate(saved)]);
    /** A fresh stock client: its first sync step 1, and the doc it builds from the server's step 2. */
    const freshSync = () => {
      const client = connection('fresh');
      room.join(client.conn);
      room.receive(client.conn, encodeSyncStep1(new Y.Doc()));
      const doc = new Y.Doc();
      for (const message of client.sent) {
        const decoder = decoding.createDecoder(message);
        if (decoding.readVarUint(decoder) === 0) syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, null);
      }
      room.leave(client.conn);
      return { doc, stepTwo: client.sent.find((message) => message[0] === 0 && message[1] === 1)! };
    };
    const first = freshSync();
    const second = freshSync();
    expect(second.stepTwo).toEqual(first.stepTwo);
    expect(second.doc.getMap('m').toJSON()).toEqual({ k: 1 });
    const encoded = room.encoded.wholeState();
    expect(room.encoded.wholeState()).toBe(encoded); // not encoded again while nothing changed
    // A client's edit, then a server write: each reaches the next fresh client.
    const ann = connection('ann');
    room.join(ann.conn);
    const edit = new Y.Doc();
    Y.applyUpdate(edit, Y.encodeStateAsUpdate(room.doc));
    const before = Y.encodeStateVector(edit);
    edit.getMap('m').set('k', 2);
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(edit, before)));
    expect(freshSync().doc.getMap('m').toJSON()).toEqual({ k: 2 });
    expect(room.encoded.wholeState()).not.toBe(encoded);
    room.doc.getMap('m').set('server', true);
    expect(freshSync().doc.getMap('m').toJSON()).toEqual({ k: 2, server: true });
    expect(freshSync().doc.getMap('m').toJSON()).toEqual(room.doc.getMap('m').toJSON());
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
    expect(mallory.closed).toHaveLength(1);
    expect(mallory.closed[0][0]).toBe(1007);
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

  it('refuses every change from a read-only connection: nothing reaches the doc, storage or the others', () => {
    const { room, stored, bad } = makeRoom();
    const ann = connection('ann');
    const viewer = connection('vic');
    viewer.conn.readOnly = true;
    room.join(ann.conn);
    room.join(viewer.conn);
    const seed = new Y.Doc();
    seed.getMap('m').set('k', 'by ann');
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(seed)));
    stored.length = 0;
    const annSeen = ann.sent.length;

    // The viewer's client syncs on connect: its step 2 changes nothing and is accepted silently.
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc));
    room.receive(viewer.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica, Y.encodeStateVector(room.doc))));
    room.receive(viewer.conn, encodeDocUpdate(Y.encodeStateAsUpdate(new Y.Doc())));
    expect(viewer.closed).toEqual([]);

    // A real change: an edit, and a delete of ann's entry.
    replica.getMap('m').set('k', 'by the viewer');
    room.receive(viewer.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica, Y.encodeStateVector(room.doc))));
    expect(viewer.closed[0][0]).toBe(4403);
    expect(bad[0].message).toMatch(/read-only/);
    expect(room.doc.getMap('m').get('k')).toBe('by ann');
    expect(stored).toEqual([]);
    expect(ann.sent.length).toBe(annSeen);
  });

  it('refuses a delete from a read-only connection too', () => {
    const { room } = makeRoom();
    const ann = connection('ann');
    const viewer = connection('vic');
    viewer.conn.readOnly = true;
    room.join(ann.conn);
    room.join(viewer.conn);
    const replica = new Y.Doc();
    replica.getArray<number>('a').push([1, 2, 3]);
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica)));
    const before = Y.encodeStateVector(replica);
    replica.getArray<number>('a').delete(0, 1);
    room.receive(viewer.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica, before)));
    expect(viewer.closed[0][0]).toBe(4403);
    expect(room.doc.getArray('a').toArray()).toEqual([1, 2, 3]);
  });

  it('refuses updates that would grow the doc past its limit, but still lets clients sync', () => {
    const { room, bad } = makeRoom(4_000);
    const ann = connection('ann');
    room.join(ann.conn);
    const writer = new Y.Doc();
    const text = writer.getText('t');
    let accepted = 0;
    for (let round = 0; round < 20 && !ann.closed.length; round++) {
      const before = Y.encodeStateVector(writer);
      text.insert(text.length, 'x'.repeat(500));
      room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(writer, before)));
      if (!ann.closed.length) accepted++;
    }
    expect(accepted).toBeGreaterThan(3);
    expect(ann.closed[0][0]).toBe(4413);
    expect(bad[0].message).toMatch(/document is full/);
    expect(room.doc.getText('t').length).toBe(accepted * 500);
    const bob = connection('bob');
    room.join(bob.conn);
    room.receive(bob.conn, encodeDocUpdate(Y.encodeStateAsUpdate(room.doc)));
    expect(bob.closed).toEqual([]);
  });

  it('sends a room stored as one row as it is to a fresh client, and encodes it again once it changes', () => {
    const saved = new Y.Doc();
    saved.getMap('m').set('k', 'stored');
    const snapshot = Y.encodeStateAsUpdate(saved);
    const { room } = makeRoom();
    room.load([snapshot]);
    expect(room.encoded.wholeState()).toBe(snapshot);
    const ann = connection('ann');
    room.join(ann.conn);
    const edit = new Y.Doc();
    Y.applyUpdate(edit, snapshot);
    edit.getMap('m').set('k', 'changed');
    room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(edit, Y.encodeStateVector(saved))));
    const whole = room.encoded.wholeState();
    expect(whole).not.toBe(snapshot);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, whole);
    expect(fresh.getMap('m').get('k')).toBe('changed');
  });

  it('encodes a room stored as several rows from its doc', () => {
    const saved = new Y.Doc();
    const rows: Uint8Array[] = [];
    saved.on('update', (update: Uint8Array) => rows.push(update));
    saved.getMap('m').set('a', 1);
    saved.getMap('m').set('b', 2);
    const { room } = makeRoom();
    room.load(rows);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, room.encoded.wholeState());
    expect(fresh.getMap('m').toJSON()).toEqual({ a: 1, b: 2 });
  });

  describe('while its stored doc replays (serveStored)', () => {
    /** What a stock client makes of the messages it was sent: its doc, and whether a step 2 came (y-websocket: synced). */
    function clientView(sent: readonly Uint8Array[]) {
      const doc = new Y.Doc();
      let synced = false;
      for (const message of sent) {
        const decoder = decoding.createDecoder(message);
        if (decoding.readVarUint(decoder) !== 0) continue;
        const type = syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, null);
        if (type === syncProtocol.messageYjsSyncStep2) synced = true;
      }
      return { doc, synced };
    }

    /** A stored doc as rows: a snapshot then `logRows` updates, each adding a key. */
    function storedRows(logRows: number) {
      const source = new Y.Doc();
      source.getMap('m').set('snapshot', true);
      const rows = [Y.encodeStateAsUpdate(source)];
      source.on('update', (update: Uint8Array) => rows.push(update));
      for (let i = 0; i < logRows; i++) source.getMap('m').set(`row${i}`, i);
      return { source, rows };
    }

    for (const logRows of [0, 3]) {
      it(`answers a fresh client from ${logRows ? 'a snapshot and log rows, in order, then an empty step 2' : 'its one stored row'} before the doc holds anything`, () => {
        const { room } = makeRoom();
        const { source, rows } = storedRows(logRows);
        let answered = 0;
        room.serveStored(rows, { onAnswered: () => answered++, onWaiting: () => {} });
        const ann = connection('ann');
        room.join(ann.conn);
        expect(ann.sent).toEqual([]); // no step 1 from a doc that is not there yet
        room.receive(ann.conn, encodeSyncStep1(new Y.Doc()));
        expect(answered).toBe(1);
        expect(room.doc.getMap('m').size).toBe(0);
        const view = clientView(ann.sent);
        expect(view.synced).toBe(true);
        expect(view.doc.getMap('m').toJSON()).toEqual(source.getMap('m').toJSON());
        // The step 2 came last: y-websocket is synced only once every row is applied.
        expect(ann.sent.at(-1)![1]).toBe(syncProtocol.messageYjsSyncStep2);
        room.load(rows);
        room.ready();
        // Once ready it greets as join does: the server's step 1, with the doc's state vector.
        const stepOne = ann.sent.at(-1)!;
        expect(stepOne[1]).toBe(syncProtocol.messageYjsSyncStep1);
        expect(stepOne).toEqual(encodeSyncStep1(room.doc));
      });
    }

    it('holds back every other message in order until ready, then checks and applies each as usual', () => {
      const { room, stored, bad } = makeRoom();
      const { source, rows } = storedRows(1);
      const waiting: string[] = [];
      room.serveStored(rows, { onAnswered: () => {}, onWaiting: () => waiting.push('sync') });
      const ann = connection('ann');
      const bob = connection('bob');
      const viewer = connection('viewer');
      viewer.conn.readOnly = true;
      for (const client of [ann, bob, viewer]) room.join(client.conn);
      room.receive(ann.conn, encodeSyncStep1(new Y.Doc()));
      // Bob edits on top of the stored doc twice, the second edit depending on the first; a viewer tries to edit.
      const bobDoc = new Y.Doc();
      Y.applyUpdate(bobDoc, Y.encodeStateAsUpdate(source));
      const edits: Uint8Array[] = [];
      bobDoc.on('update', (update: Uint8Array) => edits.push(update));
      bobDoc.getMap('m').set('bob', 1);
      bobDoc.getMap('m').set('bob', 2);
      for (const edit of edits) room.receive(bob.conn, encodeDocUpdate(edit));
      const viewerEdit = new Y.Doc();
      viewerEdit.getMap('m').set('viewer', true);
      room.receive(viewer.conn, encodeDocUpdate(Y.encodeStateAsUpdate(viewerEdit)));
      expect(waiting).toEqual(['sync', 'sync', 'sync']);
      expect(room.doc.getMap('m').size).toBe(0);
      expect(stored).toEqual([]);
      expect(bad).toEqual([]);
      room.load(rows);
      expect(room.ready()).toEqual({ answered: 1, heldBack: 3 });
      expect(room.doc.getMap('m').get('bob')).toBe(2);
      expect(room.doc.getMap('m').has('viewer')).toBe(false);
      expect(stored).toEqual(edits); // stored once each, in order
      expect(bad.map((rejection) => (rejection as { code?: number }).code)).toEqual([4403]);
      expect(viewer.closed[0][0]).toBe(4403);
      // Ann, answered from the stored rows, gets Bob's edits as they are applied.
      expect(clientView(ann.sent).doc.getMap('m').get('bob')).toBe(2);
    });

    it('refuses what waited once the doc turns out degraded, and answers a client that holds something from the doc', () => {
      const { room, bad } = makeRoom();
      const { source, rows } = storedRows(0);
      room.serveStored(rows, { onAnswered: () => {}, onWaiting: () => {} });
      const ann = connection('ann');
      room.join(ann.conn);
      // A returning client holds part of the doc: its step 1 is not fresh, so it waits for the doc.
      const partial = new Y.Doc();
      Y.applyUpdate(partial, Y.encodeStateAsUpdate(source));
      partial.getMap('m').set('ann', 1);
      room.receive(ann.conn, encodeSyncStep1(partial));
      room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(partial, Y.encodeStateVector(source))));
      expect(ann.sent).toEqual([]);
      room.load(rows);
      room.setDegraded('meta is broken');
      room.ready();
      expect(bad.map((rejection) => (rejection as { code?: number }).code)).toEqual([4423]);
      expect(room.doc.getMap('m').has('ann')).toBe(false);
      // It was answered (step 2 from the doc, with nothing it lacks) before its update was refused.
      expect(ann.sent.some((message) => message[0] === 0 && message[1] === syncProtocol.messageYjsSyncStep2)).toBe(true);
    });

    it('asks a sender to come back later rather than hold more than MAX_EARLY_QUEUE_BYTES', () => {
      const { room, bad } = makeRoom();
      room.serveStored(storedRows(0).rows, { onAnswered: () => {}, onWaiting: () => {} });
      const ann = connection('ann');
      room.join(ann.conn);
      const big = new Y.Doc();
      big.getMap('m').set('blob', 'x'.repeat(900_000));
      const message = encodeDocUpdate(Y.encodeStateAsUpdate(big));
      for (let i = 0; i < Math.ceil(MAX_EARLY_QUEUE_BYTES / message.length) + 1; i++) room.receive(ann.conn, message);
      expect(ann.closed[0]?.[0]).toBe(1013);
      expect(bad).toHaveLength(1);
    });
  });
});

