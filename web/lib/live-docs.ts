import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { clearDocument, IndexeddbPersistence } from 'y-indexeddb';
import { EXTENSIONS_PARAM, MESSAGE_ACCESS, MESSAGE_STORED, readAccess, readStored, type AccessState } from '$shared/sync-extensions.ts';
import type { DocLink } from './board-store.svelte.ts';
import { Confirmations } from './confirmations.ts';
import { nextStatus, reconnectDelay, type ConnectionStatus, type SocketEvent } from './connection-status.ts';
import { lastServerState, rememberLocalDoc, rememberServerState } from './offline.ts';
import { keepPeerColorsSafe } from './presence.ts';

/** The sync endpoint of the server that served this page. */
export function syncUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

const socketEvents: Record<'connecting' | 'connected' | 'disconnected', SocketEvent> = { connecting: 'attempt', connected: 'open', disconnected: 'close' };
/** Remember the stored state for the next visit at most this often (it may change with every commit). */
const REMEMBER_STORED_MS = 500;
/** The socket waits at most this long for the copy kept on this device (IndexedDB) before it connects anyway. */
const LOCAL_FIRST_MS = 1_500;

export interface LiveDocOptions {
  /** Who is signed in: the local copy in IndexedDB is kept per user and room, and cleared on logout. */
  userId: string;
  /**
   * The server closed the socket for good (4401 signed out, 4403 no access or a change refused as read-only, 4413 doc
   * full): the link does not reconnect by itself; `reconnect()` tries again, backing off after each refusal.
   */
  onRefused?: (code: number, reason: string) => void;
  /** The server told this connection its role and whether it may edit: on connect and whenever they change. */
  onAccess?: (access: AccessState) => void;
}

/** The IndexedDB database that keeps one user's copy of one room on this device. */
const localDocName = (userId: string, room: string) => `lanes:${userId}:${room}`;

/**
 * Delete this device's copy of a room (call after the doc's link is destroyed): changes the server refused must
 * never come back from it, not after a reload and not after the user may edit again.
 */
export function discardLocalCopy(userId: string, room: string): Promise<void> {
  return clearDocument(localDocName(userId, room));
}

/**
 * Open a doc on the sync endpoint; the session cookie authenticates the socket. The doc is also kept in IndexedDB,
 * so a reload without network shows the last state and offline edits are sent when the connection returns.
 * Reconnects use full-jitter back-off (see reconnectDelay) instead of y-websocket's fixed schedule.
 */
export function openLiveDoc(room: string, options: LiveDocOptions): { doc: Y.Doc; link: DocLink } {
  const doc = new Y.Doc();
  const localName = localDocName(options.userId, room);
  rememberLocalDoc(options.userId, localName);
  const local = new IndexeddbPersistence(localName, doc);
  const provider = new WebsocketProvider(syncUrl(), room, doc, {
    // Connected below, once the copy kept on this device is loaded: see LOCAL_FIRST_MS.
    connect: false,
    // Ask for Lanes' own messages: what the database has stored, and our access whenever it changes.
    params: { [EXTENSIONS_PARAM]: 'stored,access' },
    // Tabs share changes through the server only: a tab would otherwise hand a change the server refused (and this
    // tab discarded) straight back to it.
    disableBc: true,
    // Every close comes to `closed` below, which decides whether and when to try again.
    shouldReconnect: () => false
  });
  keepPeerColorsSafe(provider.awareness);
  const confirmations = new Confirmations(doc, { server: provider, device: local }, lastServerState(localName));

  let status: ConnectionStatus = navigator.onLine ? 'connecting' : 'offline';
  const statusListeners: Array<(status: ConnectionStatus) => void> = [];
  const pendingListeners: Array<(count: number) => void> = [];
  const report = (event: SocketEvent) => {
    status = nextStatus(status, event);
    for (const listener of statusListeners) listener(status);
  };
  const reportPending = () => {
    const count = confirmations.pending;
    for (const listener of pendingListeners) listener(count);
  };
  provider.on('status', ({ status: reported }) => report(socketEvents[reported]));
  // A refused socket never opened, so y-websocket emits no 'disconnected' for it: only this event.
  provider.on('connection-close', () => report('close'));

  // What the database has stored (not merely what the server holds in memory) is all that counts as saved.
  let rememberTimer: ReturnType<typeof setTimeout> | null = null;
  const rememberStored = () => {
    rememberTimer = null;
    const state = confirmations.storedState();
    if (state) rememberServerState(localName, state);
  };
  provider.messageHandlers[MESSAGE_STORED] = (_encoder, decoder) => {
    const stored = readStored(decoder);
    if (!stored) return;
    confirmations.serverStored(stored.clocks, stored.full);
    rememberTimer ??= setTimeout(rememberStored, REMEMBER_STORED_MS);
    reportPending();
  };
  provider.messageHandlers[MESSAGE_ACCESS] = (_encoder, decoder) => {
    const access = readAccess(decoder);
    if (access) options.onAccess?.(access);
  };
  const onLocalChange = (_update: Uint8Array, origin: unknown) => {
    if (origin !== provider && origin !== local) reportPending();
  };
  doc.on('update', onLocalChange);

  // Reconnect: jittered back-off, at once when the browser is back online, never after a deliberate refusal.
  let attempt = 0;
  // Refusals are counted apart and never reset by a sync: a refused socket syncs before the server refuses its change.
  let refusals = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let destroyed = false;
  const retry = (delay: number) => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!destroyed && navigator.onLine) provider.connect();
    }, delay);
  };
  provider.on('sync', (synced: boolean) => {
    if (synced) attempt = 0;
  });
  provider.on('closed', ({ code, reason }) => {
    if (code >= 4400 && code < 4500) {
      refusals++;
      options.onRefused?.(code, reason);
      return;
    }
    retry(reconnectDelay(attempt++));
  });
  // The socket opens once the local copy is in the doc (or after LOCAL_FIRST_MS without it), so its first sync asks
  // the server only for what this device lacks instead of the whole board: on a 10,000-deal board that is a small
  // diff instead of megabytes to download and parse again.
  let connectTimer: ReturnType<typeof setTimeout> | null = setTimeout(connectFirst, LOCAL_FIRST_MS);
  void local.whenSynced.then(connectFirst);
  function connectFirst() {
    if (connectTimer === null) return;
    clearTimeout(connectTimer);
    connectTimer = null;
    if (!destroyed && navigator.onLine) provider.connect();
  }
  const goneOffline = () => report('offline');
  const backOnline = () => {
    report('online');
    attempt = 0;
    retry(0);
  };
  addEventListener('offline', goneOffline);
  addEventListener('online', backOnline);
  // Leave the others' presence lists at once when the tab closes, not after the 30 s awareness timeout.
  // Also remember what the server has stored now: a reload soon after a commit must not count those changes again.
  const leave = () => {
    provider.awareness.setLocalState(null);
    if (rememberTimer) {
      clearTimeout(rememberTimer);
      rememberStored();
    }
  };
  addEventListener('pagehide', leave);

  return {
    doc,
    link: {
      awareness: provider.awareness,
      onStatus: (listener) => {
        statusListeners.push(listener);
        listener(status);
      },
      onSynced: (listener) => provider.on('sync', (synced: boolean) => listener(synced)),
      onLocalLoaded: (listener) => void local.whenSynced.then(() => listener()),
      onPending: (listener) => {
        pendingListeners.push(listener);
        listener(confirmations.pending);
      },
      reconnect: () => retry(refusals ? reconnectDelay(refusals) : 0),
      destroy: () => {
        destroyed = true;
        if (retryTimer) clearTimeout(retryTimer);
        if (connectTimer) clearTimeout(connectTimer);
        if (rememberTimer) {
          clearTimeout(rememberTimer);
          rememberStored();
        }
        removeEventListener('pagehide', leave);
        removeEventListener('offline', goneOffline);
        removeEventListener('online', backOnline);
        doc.off('update', onLocalChange);
        confirmations.destroy();
        provider.destroy();
        void local.destroy();
        doc.destroy();
      }
    }
  };
}
