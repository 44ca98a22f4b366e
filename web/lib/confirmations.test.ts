import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Confirmations } from './confirmations.ts';

const SERVER = Symbol('server');
const DEVICE = Symbol('indexeddb');
const origins = { server: SERVER, device: DEVICE };
const clocksOf = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

describe('confirmations', () => {
  it('counts local changes until the stored state covers them; what the server only holds in memory is not saved', () => {
    const doc = new Y.Doc();
    const confirmations = new Confirmations(doc, origins);
    doc.getMap('m').set('a', 1);
    doc.getMap('m').set('b', 2);
    expect(confirmations.pending).toBe(2);

    // The server has both in memory but has committed only the first.
    confirmations.serverStored(new Map(), true);
    expect(confirmations.pending).toBe(2);
    confirmations.serverStored(new Map([[doc.clientID, 1]]), false);
    expect(confirmations.pending).toBe(1);
    doc.getMap('m').set('c', 3);
    confirmations.serverStored(new Map([[doc.clientID, 2]]), false);
    expect(confirmations.pending).toBe(1);
    confirmations.serverStored(clocksOf(doc), false);
    expect(confirmations.pending).toBe(0);
  });

  it('never counts a colleague’s change, even before the server has stored it', () => {
    const doc = new Y.Doc();
    const confirmations = new Confirmations(doc, origins);
    confirmations.serverStored(new Map(), true);
    const colleague = new Y.Doc();
    colleague.getMap('m').set('z', 9);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(colleague), SERVER);
    expect(confirmations.pending).toBe(0);
  });

  it('counts changes kept on this device from an earlier visit that the database lacks', () => {
    const earlier = new Y.Doc();
    earlier.getMap('m').set('offline', true);
    const doc = new Y.Doc();
    const confirmations = new Confirmations(doc, origins);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(earlier), DEVICE);
    confirmations.serverStored(new Map(), true);
    expect(confirmations.pending).toBe(1);
    confirmations.serverStored(clocksOf(earlier), false);
    expect(confirmations.pending).toBe(0);
  });

  it('still counts changes kept from an earlier visit after a reload without network, from the last known stored state', () => {
    const server = new Y.Doc();
    server.getMap('m').set('before', 1);
    const earlier = new Y.Doc();
    Y.applyUpdate(earlier, Y.encodeStateAsUpdate(server));
    earlier.getMap('m').set('offline', true);
    const reloaded = new Y.Doc();
    const confirmations = new Confirmations(reloaded, origins, Y.encodeStateVector(server));
    Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(earlier), DEVICE);
    reloaded.transact(() => reloaded.getMap('m').set('after reload', true), 'local');
    expect(confirmations.pending).toBe(2);
    expect(confirmations.storedState()).toEqual(Y.encodeStateVector(server));
  });

  it('takes a full stored state as the whole truth, and merges partial ones by maximum', () => {
    const doc = new Y.Doc();
    const confirmations = new Confirmations(doc, origins);
    confirmations.serverStored(new Map([[1, 5], [2, 3]]), true);
    confirmations.serverStored(new Map([[1, 2], [3, 4]]), false);
    expect(Y.decodeStateVector(confirmations.storedState()!)).toEqual(new Map([[1, 5], [2, 3], [3, 4]]));
    confirmations.serverStored(new Map([[9, 1]]), true);
    expect(Y.decodeStateVector(confirmations.storedState()!)).toEqual(new Map([[9, 1]]));
  });
});
