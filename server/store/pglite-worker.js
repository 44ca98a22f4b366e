// @ts-check
/**
 * Embedded Postgres (PGlite) on its own thread: the WASM engine and its emulated file system would otherwise run on
 * the event loop and stall every socket while a batch of updates is written. The main thread talks to it through
 * `openPglite` in db.ts, request by request, answered by id (messages: pglite-protocol.ts).
 *
 * Plain JavaScript, so the thread starts without a TypeScript compiler both from the sources (tsx, vitest) and
 * from the build (esbuild copies it next to dist/server/main.js): loading tsx in a new thread costs seconds.
 */
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @typedef {import('./pglite-protocol.ts').PgliteRequest} PgliteRequest */
/** @typedef {import('./pglite-protocol.ts').PgliteReply} PgliteReply */
/** @typedef {import('./pglite-protocol.ts').PgliteWorkerData} PgliteWorkerData */

const { dataDir, settings } = /** @type {PgliteWorkerData} */ (workerData);
const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/** The fields of a Postgres error callers may read (code '23505' for a unique violation, …), besides the message. */
const ERROR_FIELDS = ['code', 'detail', 'hint', 'severity', 'schema', 'table', 'column', 'constraint', 'position', 'where', 'routine'];

/** @param {unknown} error @returns {PgliteReply['error']} */
function describe(error) {
  const source = /** @type {Record<string, unknown>} */ (error ?? {});
  /** @type {Record<string, string>} */
  const fields = {};
  for (const field of ERROR_FIELDS) if (typeof source[field] === 'string') fields[field] = /** @type {string} */ (source[field]);
  return { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error), fields };
}

async function open() {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  return PGlite.create(dataDir, { startParams });
}

const ready = open();

port.on('message', async (/** @type {PgliteRequest} */ request) => {
  /** @type {PgliteReply} */
  let reply;
  try {
    const lite = await ready;
    switch (request.op) {
      case 'open':
        reply = { id: request.id };
        break;
      case 'query':
        reply = { id: request.id, rows: /** @type {Record<string, unknown>[]} */ ((await lite.query(request.text, request.params)).rows) };
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
