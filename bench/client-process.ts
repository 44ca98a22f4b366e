/**
 * A child process holding stock clients for the bench (never the server's process, nor the one measuring). Driven
 * over IPC by bench/client-pool.ts:
 *   open  → opens `count` stock clients over `rooms` and answers `opened` once all have synced
 *   watch → for each listed deal, reports (`seen`) when every client here has a value of it, and when (monotonic ms)
 *   close → destroys its clients and exits
 */
import type { Endpoint, StockClient } from './stock-client.ts';
import { now, openMany } from './stock-client.ts';
import * as Y from 'yjs';

export type ClientCommand =
  | { type: 'open'; endpoint: Endpoint; rooms: string[]; count: number; seed?: Uint8Array; concurrency?: number; timeoutMs?: number }
  | { type: 'watch'; dealIds: string[] }
  | { type: 'close' };

/** `seen`: [deal index, value, monotonic ms at which the last client here got it]. */
export type ClientReport = { type: 'opened'; clients: number; held: number } | { type: 'seen'; arrivals: Array<[number, number, number]> } | { type: 'error'; message: string };

// Each y-websocket provider listens for the process' exit: hundreds of clients here are expected.
process.setMaxListeners(0);

let clients: StockClient[] = [];
let stopWatching: Array<() => void> = [];

function send(report: ClientReport) {
  process.send!(report);
}

function value(doc: Y.Doc, dealId: string): number {
  const deal = doc.getMap('deals').get(dealId);
  const raw = deal instanceof Y.Map ? deal.get('value') : undefined;
  return typeof raw === 'number' ? raw : -1;
}

/** Count, per deal and value, the clients that have it; report each value once every client here has it. */
function watch(dealIds: string[]) {
  for (const stop of stopWatching) stop();
  const counts = dealIds.map(() => new Map<number, number>());
  let pending: Array<[number, number, number]> = [];
  const flush = () => {
    if (pending.length) send({ type: 'seen', arrivals: pending });
    pending = [];
  };
  stopWatching = clients.map((client) => {
    const last = dealIds.map((dealId) => value(client.doc, dealId));
    const onUpdate = () => {
      dealIds.forEach((dealId, index) => {
        const current = value(client.doc, dealId);
        // Values only go up; a client that receives several edits at once has every value in between.
        for (let seen = last[index] + 1; seen <= current; seen++) {
          const count = (counts[index].get(seen) ?? 0) + 1;
          if (count === clients.length) {
            counts[index].delete(seen);
            if (pending.length === 0) setImmediate(flush);
            pending.push([index, seen, now()]);
          } else counts[index].set(seen, count);
        }
        if (current > last[index]) last[index] = current;
      });
    };
    client.doc.on('update', onUpdate);
    return () => client.doc.off('update', onUpdate);
  });
}

process.on('message', async (command: ClientCommand) => {
  try {
    switch (command.type) {
      case 'open':
        {
          const opened = await openMany(command.endpoint, command.rooms, command.count, { seed: command.seed, concurrency: command.concurrency, timeoutMs: command.timeoutMs });
          clients = clients.concat(opened.clients);
          send({ type: 'opened', clients: clients.length, held: opened.held });
        }
        break;
      case 'watch':
        watch(command.dealIds);
        break;
      case 'close':
        for (const client of clients) client.destroy();
        process.exit(0);
    }
  } catch (error) {
    send({ type: 'error', message: (error as Error).stack ?? String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
