/**
 * Embedded Postgres (PGlite) on its own thread: the WASM engine and its emulated file system would otherwise run on
 * the event loop and stall every socket while a batch of updates is written. The main thread talks to it through
 * `openPglite` in db.ts: one request at a time in flight per call, answered by id.
 */
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { PgliteReply, PgliteRequest, PgliteWorkerData } from './pglite-protocol.ts';

const { dataDir, settings } = workerData as PgliteWorkerData;
const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
const port = parentPort!;

/** The fields of a Postgres error callers may read (code '23505' for a unique violation, …), plus the message. */
const ERROR_FIELDS = ['code', 'detail', 'hint', 'severity', 'schema', 'table', 'column', 'constraint', 'position', 'where', 'routine'] as const;

function describe(error: unknown): PgliteReply['error'] {
  const source = error as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const field of ERROR_FIELDS) if (typeof source?.[field] === 'string') fields[field] = source[field] as string;
  return { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error), fields };
}

async function open() {
  if (dataDir.startsWith('memory://')) return PGlite.create(dataDir, { startParams });
  mkdirSync(dataDir, { recursive: true });
  return PGlite.create(dataDir, { startParams });
}

const ready = open();

port.on('message', async (request: PgliteRequest) => {
  let reply: PgliteReply;
  try {
    const lite = await ready;
    switch (request.op) {
      case 'open':
        reply = { id: request.id };
        break;
      case 'query':
        reply = { id: request.id, rows: (await lite.query(request.text, request.params)).rows as Record<string, unknown>[] };
        break;
      case 'exec':
        await lite.exec(request.text);
        reply = { id: request.id };
        break;
      case 'close':
        await lite.close();
        reply = { id: request.id };
        break;
    }
  } catch (error) {
    reply = { id: request.id, error: describe(error) };
  }
  port.postMessage(reply);
});
