import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { colorFor } from '../../shared/presence-colors.ts';
import { PresenceGuard } from './presence-guard.ts';
import { MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS } from './protocol.ts';
import { Room, type Connection } from './room.ts';

function connection(userId: string, userName: string) {
  const sent: Uint8Array[] = [];
  const closed: Array<[number, string]> = [];
  const conn: Connection = { id: userId, userId, userName, send: (message) => sent.push(message), close: (code, reason) => closed.push([code, reason]) };
  return { conn, sent, closed };
}

function makeRoom() {
  return new Room('board:test', {
    onUpdate: () => {},
    onRejected: (target, conn, rejection) => target.disconnect(conn, rejection.code, rejection.message)
  });
}

/** One awareness message announcing `states` (client id → state; null removes) with clock 1. */
function awarenessMessage(states: Map<number, unknown>, clock = 1): Uint8Array {
  const source = new Awareness(new Y.Doc());
  source.states.clear();
  for (const [client, state] of states) {
    if (state !== null) source.states.set(client, state as Record<string, unknown>);
    source.meta.set(client, { clock, lastUpdated: 0 });
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(source, [...states.keys()]));
  source.destroy();
  return encoding.toUint8Array(encoder);
}

/** The states a colleague's client ends up with from what the room sent it. */
function seenBy(sent: Uint8Array[]): Map<number, Record<string, unknown>> {
  const view = new Awareness(new Y.Doc());
  view.states.clear();
  for (const message of sent) {
    const decoder = decoding.createDecoder(message);
    if (decoding.readVarUint(decoder) !== MESSAGE_AWARENESS) continue;
    applyAwarenessUpdate(view, decoding.readVarUint8Array(decoder), null);
  }
  const states = new Map(view.states);
  view.destroy();
  return states;
}

describe('presence guard', () => {
  it('ties every state to the socket’s user: a viewer cannot publish as the admin or send a color that is not a color', () => {
    const room = makeRoom();
    const admin = connection('u-admin', 'Ada Admin');
    const viewer = connection('u-viewer', 'Vic Viewer');
    room.join(admin.conn);
    room.join(viewer.conn);
    room.receive(admin.conn, awarenessMessage(new Map([[1, { user: { id: 'u-admin', name: 'Ada Admin', color: '#d92d20', colorLight: '#d92d2033' } }]])));
    const forged = { id: 'u-admin', name: 'Ada Admin', color: 'red;background:url(https://evil.example/x)', colorLight: 'url(https://evil.example/y)' };
    room.receive(viewer.conn, awarenessMessage(new Map([[2, { user: forged, presenting: { pipelineId: 'p1' } }]])));
    // The viewer also tries to overwrite and to remove the admin's own state.
    room.receive(viewer.conn, awarenessMessage(new Map([[1, { user: forged }]]), 5));
    room.receive(viewer.conn, awarenessMessage(new Map([[1, null]]), 9));
    expect(viewer.closed).toEqual([]);

    const states = seenBy(admin.sent);
    expect(states.get(2)).toEqual({ user: { id: 'u-viewer', name: 'Vic Viewer', ...colorFor('u-viewer') }, presenting: { pipelineId: 'p1' } });
    expect(room.awareness.getStates().get(1)).toMatchObject({ user: { id: 'u-admin', color: '#d92d20' } });
    expect(JSON.stringify([...room.awareness.getStates().values()])).not.toMatch(/evil/);
  });

  it('closes a connection that publishes a state over MAX_PRESENCE_STATE_BYTES (1008); nobody receives it', () => {
    const room = makeRoom();
    const ann = connection('ann', 'Ann');
    const mallory = connection('mallory', 'Mallory');
    room.join(ann.conn);
    room.join(mallory.conn);
    const seen = ann.sent.length;
    room.receive(mallory.conn, awarenessMessage(new Map([[7, { user: { name: 'M' }, junk: 'x'.repeat(1_000_000) }]])));
    expect(mallory.closed).toEqual([[1008, expect.stringMatching(/presence state of \d+ bytes, over 4096/)]]);
    expect(ann.sent.length).toBe(seen);
    expect(room.awareness.getStates().size).toBe(0);
  });

  it('closes a connection that announces more than 4 client ids; removals of unknown ids are dropped without a trace', () => {
    const room = makeRoom();
    const mallory = connection('mallory', 'Mallory');
    room.join(mallory.conn);
    // The room's own (empty) local state has a clock too.
    const ownClock = room.awareness.meta.size;
    const empties = new Map<number, unknown>(Array.from({ length: 100_000 }, (_, index) => [index + 10, null]));
    room.receive(mallory.conn, awarenessMessage(empties));
    expect(mallory.closed).toEqual([]);
    expect(room.awareness.meta.size).toBe(ownClock);

    const many = new Map<number, unknown>(Array.from({ length: 5 }, (_, index) => [index + 10, { user: { name: 'M' } }]));
    room.receive(mallory.conn, awarenessMessage(many));
    expect(mallory.closed).toEqual([[1008, expect.stringMatching(/at most 4 client ids/)]]);
    expect(room.awareness.getStates().size).toBe(0);
    expect(room.awareness.meta.size).toBe(ownClock);
  });

  it('drops colleagues’ echoes of a state unread and unsent, but takes the owner’s removal at the same clock and any newer state', () => {
    const room = makeRoom();
    const ann = connection('ann', 'Ann');
    const bob = connection('bob', 'Bob');
    room.join(ann.conn);
    room.join(bob.conn);
    room.receive(ann.conn, awarenessMessage(new Map([[7, { user: { name: 'Ann' }, open: 'deal-1' }]]), 3));
    const before = [ann.sent.length, bob.sent.length];
    // Bob's stock client sends Ann's state back (same clock), an older one, and one whose text is not even JSON:
    // none of them can change the room, so nothing is broadcast and nobody is closed.
    room.receive(bob.conn, awarenessMessage(new Map([[7, { user: { name: 'Ann' }, open: 'deal-1' }]]), 3));
    room.receive(bob.conn, awarenessMessage(new Map([[7, { user: { name: 'Ann' }, open: 'deal-0' }]]), 2));
    const garbled = encoding.createEncoder();
    encoding.writeVarUint(garbled, MESSAGE_AWARENESS);
    const body = encoding.createEncoder();
    encoding.writeVarUint(body, 1);
    encoding.writeVarUint(body, 7);
    encoding.writeVarUint(body, 3);
    encoding.writeVarString(body, '{"user": "cut off');
    encoding.writeVarUint8Array(garbled, encoding.toUint8Array(body));
    room.receive(bob.conn, encoding.toUint8Array(garbled));
    expect([ann.sent.length, bob.sent.length]).toEqual(before);
    expect(bob.closed).toEqual([]);
    expect(room.awareness.getStates().get(7)).toMatchObject({ open: 'deal-1' });
    // The same garbled text for a client the room does not know is read in full and refused.
    const unknown = connection('carol', 'Carol');
    room.join(unknown.conn);
    const fresh = encoding.createEncoder();
    encoding.writeVarUint(fresh, MESSAGE_AWARENESS);
    const freshBody = encoding.createEncoder();
    encoding.writeVarUint(freshBody, 1);
    encoding.writeVarUint(freshBody, 8);
    encoding.writeVarUint(freshBody, 1);
    encoding.writeVarString(freshBody, '{"user": "cut off');
    encoding.writeVarUint8Array(fresh, encoding.toUint8Array(freshBody));
    room.receive(unknown.conn, encoding.toUint8Array(fresh));
    expect(unknown.closed.map(([code]) => code)).toEqual([1007]);
    // A newer state from its owner, then the owner's removal at that same clock, reach the colleague.
    room.receive(ann.conn, awarenessMessage(new Map([[7, { user: { name: 'Ann' }, open: 'deal-2' }]]), 4));
    expect(seenBy(bob.sent).get(7)).toMatchObject({ open: 'deal-2' });
    room.receive(ann.conn, awarenessMessage(new Map([[7, null]]), 4));
    expect(room.awareness.getStates().has(7)).toBe(false);
    expect(seenBy(bob.sent).has(7)).toBe(false);
  });

  it('forgets a leaving connection’s states and their clocks', () => {
    const room = makeRoom();
    const ann = connection('ann', 'Ann');
    const bob = connection('bob', 'Bob');
    room.join(ann.conn);
    room.join(bob.conn);
    const ownClock = room.awareness.meta.size;
    room.receive(ann.conn, awarenessMessage(new Map([[1, { user: { name: 'Ann' } }], [2, { user: { name: 'Ann' } }]])));
    expect(room.awareness.getStates().size).toBe(2);
    room.leave(ann.conn);
    expect(room.awareness.getStates().size).toBe(0);
    expect(room.awareness.meta.size).toBe(ownClock);
    expect([...seenBy(bob.sent).keys()]).toEqual([]);
  });

  it('lets a reconnecting tab of the same user take its client id over from its lingering old socket', () => {
    const room = makeRoom();
    const watcher = connection('bob', 'Bob');
    const old = connection('ann', 'Ann');
    const fresh = connection('ann', 'Ann');
    room.join(watcher.conn);
    room.join(old.conn);
    room.receive(old.conn, awarenessMessage(new Map([[1, { openDealId: 'd1' }]]), 1));
    room.join(fresh.conn);
    room.receive(fresh.conn, awarenessMessage(new Map([[1, { openDealId: 'd2' }]]), 2));
    expect(room.awareness.getStates().get(1)).toMatchObject({ openDealId: 'd2', user: { id: 'ann' } });
    // The old socket's close no longer removes the state: it is the new socket's now.
    room.leave(old.conn);
    expect(room.awareness.getStates().get(1)).toMatchObject({ openDealId: 'd2' });
    room.leave(fresh.conn);
    expect(room.awareness.getStates().has(1)).toBe(false);
  });

  it('closes a connection past its presence message rate (queries count too), and lets a steady 30 per second through', () => {
    let now = 0;
    const awareness = new Awareness(new Y.Doc());
    const guard = new PresenceGuard(awareness, { maxStateBytes: 4096, maxClientsPerConnection: 4, maxMessagesPerSecond: 40 }, () => now);
    const steady = { userId: 'ann' };
    for (let index = 0; index < 30 * 60; index++) {
      now += 1000 / 30;
      guard.count(steady, 'own');
    }
    const flood = { userId: 'mallory' };
    let sent = 0;
    expect(() => {
      for (; sent < 1_000; sent++) guard.count(flood, 'own');
    }).toThrow(/more than 40 messages per second/);
    expect(sent).toBe(80);
    // Echoes of colleagues' states (nothing of the sender's own) are bounded 25 times more loosely.
    const echoer = { userId: 'bob' };
    let echoed = 0;
    expect(() => {
      for (; echoed < 5_000; echoed++) guard.count(echoer, 'any');
    }).toThrow(/echoes included/);
    expect(echoed).toBe(2_000);
    guard.destroy();
    awareness.destroy();

    const room = makeRoom();
    const mallory = connection('mallory', 'Mallory');
    room.join(mallory.conn);
    for (let index = 0; index < 100 && mallory.closed.length === 0; index++) room.receive(mallory.conn, Uint8Array.of(MESSAGE_QUERY_AWARENESS));
    expect(mallory.closed).toEqual([[1008, expect.stringMatching(/messages per second/)]]);
  });
});
