import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { DocLink } from './board-store.svelte.ts';

/** Open a doc on the sync endpoint; the session cookie authenticates the socket. */
export function openLiveDoc(room: string): { doc: Y.Doc; link: DocLink } {
  const doc = new Y.Doc();
  const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const provider = new WebsocketProvider(base, room, doc);
  return {
    doc,
    link: {
      onStatus: (listener) => provider.on('status', ({ status }: { status: 'connecting' | 'connected' | 'disconnected' }) => listener(status)),
      onSynced: (listener) => provider.on('sync', (synced: boolean) => listener(synced)),
      destroy: () => {
        provider.destroy();
        doc.destroy();
      }
    }
  };
}
