import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { EXTENSIONS_PARAM, MESSAGE_ACCESS, MESSAGE_STORED, readAccess, readStored, type AccessState } from '../../shared/sync-extensions.ts';

/**
 * A y-websocket client that asks for Lanes' own messages as the browser does (`?messages=stored,access`) and records
 * them: `stored` is the database's state vector as the server reported it, `access` every access message.
 */
export function connectConfirmingClient(wsUrl: string, room: string, auth: { token: string }) {
  class AuthenticatedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${auth.token}` } });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: AuthenticatedWebSocket as unknown as typeof globalThis.WebSocket,
    params: { [EXTENSIONS_PARAM]: 'stored,access' },
    disableBc: true
  });
  const stored = new Map<number, number>();
  const access: AccessState[] = [];
  let storedMessages = 0;
  provider.messageHandlers[MESSAGE_STORED] = (_encoder, decoder) => {
    const message = readStored(decoder);
    if (!message) throw new Error('malformed stored-state message');
    storedMessages++;
    if (message.full) stored.clear();
    for (const [client, clock] of message.clocks) stored.set(client, Math.max(clock, stored.get(client) ?? 0));
  };
  provider.messageHandlers[MESSAGE_ACCESS] = (_encoder, decoder) => {
    const message = readAccess(decoder);
    if (!message) throw new Error('malformed access message');
    access.push(message);
  };
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.once('sync', (isSynced: boolean) => isSynced && resolve());
  });
  return {
    doc,
    provider,
    synced,
    stored,
    access,
    get storedMessages() {
      return storedMessages;
    },
    /** Has the database stored this doc's own changes up to `clock` (its clock right after a change)? */
    isStored: (clock: number) => (stored.get(doc.clientID) ?? 0) >= clock,
    destroy: () => provider.destroy()
  };
}

/** Run a change on `doc` and return the doc's own clock right after it: stored once the stored clock reaches it. */
export function clockAfter(doc: Y.Doc, change: () => void): number {
  change();
  return Y.decodeStateVector(Y.encodeStateVector(doc)).get(doc.clientID) ?? 0;
}
