import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { DocLink } from './board-store.svelte.ts';
import { nextStatus, type ConnectionStatus, type SocketEvent } from './connection-status.ts';

/** The sync endpoint of the server that served this page. */
export function syncUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

const socketEvents: Record<ConnectionStatus, SocketEvent> = { connecting: 'attempt', connected: 'open', disconnected: 'close' };

/** Open a doc on the sync endpoint; the session cookie authenticates the socket. */
export function openLiveDoc(room: string): { doc: Y.Doc; link: DocLink } {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(syncUrl(), room, doc);
  let status: ConnectionStatus = 'connecting';
  const statusListeners: Array<(status: ConnectionStatus) => void> = [];
  const report = (event: SocketEvent) => {
    status = nextStatus(status, event);
    for (const listener of statusListeners) listener(status);
  };
  provider.on('status', ({ status: reported }) => report(socketEvents[reported]));
  // A refused socket never opened, so y-websocket emits no 'disconnected' for it: only this event.
  provider.on('connection-close', () => report('close'));
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
      destroy: () => {
        removeEventListener('pagehide', leave);
        provider.destroy();
        doc.destroy();
      }
    }
  };
}
