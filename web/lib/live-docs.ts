import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence } from 'y-indexeddb';
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
const MESSAGE_SYNC = 0;
const SYNC_STEP_1 = 0;
/** After local changes settle, ask the server for its state vector to learn what it has confirmed. */
const CONFIRM_AFTER_MS = 400;

export interface LiveDocOptions {
  /** Who is signed in: the local copy in IndexedDB is kept per user and room, and cleared on logout. */
  userId: string;
  /** The server closed the socket for good (4401 signed out, 4403 no access or read-only, 4413 doc full). */
  onRefused?: (code: number, reason: string) => void;
}

/**
 * Open a doc on the sync endpoint; the session cookie authenticates the socket. The doc is also kept in IndexedDB,
 * so a reload without network shows the last state and offline edits are sent when the connection returns.
 * Reconnects use full-jitter back-off (see reconnectDelay) instead of y-websocket's fixed schedule.
 */
export function openLiveDoc(room: string, options: LiveDocOptions): { doc: Y.Doc; link: DocLink } {
  const doc = new Y.Doc();
  const localName = `lanes:${options.userId}:${room}`;
  rememberLocalDoc(options.userId, localName);
  const local = new IndexeddbPersistence(localName, doc);
  const provider = new WebsocketProvider(syncUrl(), room, doc, {
    connect: navigator.onLine,
    // Every close comes to `closed` below, which decides whether and when to try again.
    shouldReconnect: () => false
  });
  keepPeerColorsSafe(provider.awareness);
  const confirmations = new Confirmations(doc, (origin) => origin !== provider && origin !== local, lastServerState(localName));

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

  // The server's state vector (its sync step 1) tells which of our changes it holds.
  const handleSync = provider.messageHandlers[MESSAGE_SYNC];
  provider.messageHandlers[MESSAGE_SYNC] = (encoder, decoder, ...rest) => {
    const peek = decoding.clone(decoder);
    if (decoding.readVarUint(peek) === SYNC_STEP_1) {
      const stateVector = decoding.readVarUint8Array(peek);
      confirmations.serverHas(stateVector);
      rememberServerState(localName, stateVector);
      queueMicrotask(reportPending);
    }
    handleSync(encoder, decoder, ...rest);
  };
  let confirmTimer: ReturnType<typeof setTimeout> | null = null;
  const askServerState = () => {
    confirmTimer = null;
    const socket = provider.ws;
    if (!provider.wsconnected || !socket || socket.readyState !== WebSocket.OPEN) return;
    // A standard sync step 1: the server answers with step 2 and its own step 1.
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, doc);
    socket.send(encoding.toUint8Array(encoder));
  };
  const onLocalChange = (_update: Uint8Array, origin: unknown) => {
    if (origin === provider || origin === local) return;
    reportPending();
    if (!confirmTimer) confirmTimer = setTimeout(askServerState, CONFIRM_AFTER_MS);
  };
  doc.on('update', onLocalChange);

  // Reconnect: jittered back-off, at once when the browser is back online, never after a deliberate refusal.
  let attempt = 0;
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
      options.onRefused?.(code, reason);
      return;
    }
    retry(reconnectDelay(attempt++));
  });
  const goneOffline = () => report('offline');
  const backOnline = () => {
    report('online');
    attempt = 0;
    retry(0);
  };
  addEventListener('offline', goneOffline);
  addEventListener('online', backOnline);
  // Leave the others' presence lists at once when the tab closes, not after the 30 s awareness timeout.
  const leave = () => provider.awareness.setLocalState(null);
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
      reconnect: () => {
        attempt = 0;
        provider.connect();
      },
      destroy: () => {
        destroyed = true;
        if (retryTimer) clearTimeout(retryTimer);
        if (confirmTimer) clearTimeout(confirmTimer);
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
