import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Confirmations } from './confirmations.ts';

const REMOTE = Symbol('remote');

describe('confirmations', () => {
  it('counts local changes until the server state vector covers them; remote changes never count', () => {
    const doc = new Y.Doc();
    const server = new Y.Doc();
    const confirmations = new Confirmations(doc, (origin) => origin !== REMOTE);
    doc.getMap('m').set('a', 1);
    doc.getMap('m').set('b', 2);
    expect(confirmations.pending).toBe(2);

    Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
    doc.getMap('m').set('c', 3);
    confirmations.serverHas(Y.encodeStateVector(server));
    expect(confirmations.pending).toBe(1);

    const colleague = new Y.Doc();
    colleague.getMap('m').set('z', 9);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(colleague), REMOTE);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(colleague));
    Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
    confirmations.serverHas(Y.encodeStateVector(server));
    expect(confirmations.pending).toBe(0);
  });

  it('counts changes kept on this device from an earlier visit that the server lacks', () => {
    const earlier = new Y.Doc();
    earlier.getMap('m').set('offline', true);
    const doc = new Y.Doc();
    const confirmations = new Confirmations(doc, (origin) => origin === 'local');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(earlier), 'indexeddb');
    confirmations.serverHas(Y.encodeStateVector(new Y.Doc()));
    expect(confirmations.pending).toBe(1);
  });

  it('still counts changes kept from an earlier visit after a reload without network, from the last known server state', () => {
    const server = new Y.Doc();
    server.getMap('m').set('before', 1);
    const earlier = new Y.Doc();
    Y.applyUpdate(earlier, Y.encodeStateAsUpdate(server));
    earlier.getMap('m').set('offline', true);
    const reloaded = new Y.Doc();
    const confirmations = new Confirmations(reloaded, (origin) => origin === 'local', Y.encodeStateVector(server));
    Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(earlier), 'indexeddb');
    reloaded.transact(() => reloaded.getMap('m').set('after reload', true), 'local');
    expect(confirmations.pending).toBe(2);
  });
});
