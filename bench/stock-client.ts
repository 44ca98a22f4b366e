/**
 * One stock client of a system under test: y-websocket 3's WebsocketProvider (Lanes and the reference server) or
 * @hocuspocus/provider (Hocuspocus), each on a socket of its own, in Node with `ws`.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { connectClient } from '../tests/support/clients.ts';
import type { Protocol } from './systems.ts';

export interface Endpoint {
  protocol: Protocol;
  wsUrl: string;
  token?: string;
}

export interface StockClient {
  doc: Y.Doc;
  synced: Promise<void>;
  destroy(): void;
}

/** Connect a stock client to `room`; `seed` (a doc update) is applied to its doc first, so it brings that content along. */
export function openStockClient(endpoint: Endpoint, room: string, seed?: Uint8Array): StockClient {
  if (endpoint.protocol === 'y-websocket') {
    if (!seed) return connectClient(endpoint.wsUrl, room, { token: endpoint.token });
    // connectClient creates its own doc: seed it before the socket opens, so the first sync carries the seed.
    const client = connectClient(endpoint.wsUrl, room, { token: endpoint.token });
    Y.applyUpdate(client.doc, seed);
    return client;
  }
  const doc = new Y.Doc();
  if (seed) Y.applyUpdate(doc, seed);
  const provider = new HocuspocusProvider({ url: endpoint.wsUrl, name: room, document: doc, WebSocketPolyfill: WebSocket, token: endpoint.token ?? null } as never);
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.on('synced', () => resolve());
  });
  return { doc, synced, destroy: () => provider.destroy() };
}

/**
 * Open clients `concurrency` at a time (so thousands do not all knock at once) and wait until each has synced, or
 * until `timeoutMs` has passed: `held` counts the clients that synced (the others keep trying, as stock clients do).
 */
export async function openMany(
  endpoint: Endpoint,
  rooms: readonly string[],
  count: number,
  options: { concurrency?: number; seed?: Uint8Array; timeoutMs?: number } = {}
): Promise<{ clients: StockClient[]; held: number }> {
  const clients: StockClient[] = [];
  const seeded = new Set<string>();
  let held = 0;
  let next = 0;
  const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      const room = rooms[index % rooms.length];
      const seed = options.seed && !seeded.has(room) ? options.seed : undefined;
      seeded.add(room);
      const client = openStockClient(endpoint, room, seed);
      clients[index] = client;
      client.synced.then(() => held++);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)))));
      await Promise.race([client.synced, late]);
      clearTimeout(timer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 50, count) }, worker));
  await Promise.resolve();
  return { clients: clients.filter(Boolean), held };
}

/** A monotonic clock shared by every process on this machine (CLOCK_MONOTONIC), in milliseconds. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
