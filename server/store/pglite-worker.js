// @ts-check
/**
 * Embedded Postgres (PGlite) on its own thread: the WASM engine and its emulated file system would otherwise run on
 * the event loop and stall every socket while a batch of updates is written. The main thread talks to it through
 * `openPglite` in db.ts, request by request, answered by id (messages: pglite-protocol.ts).
 *
 * Plain JavaScript, so the thread starts without a TypeScript compiler both from the sources (tsx, vitest) and
 * from the build (esbuild copies it next to dist/server/main.js): loading tsx in a new thread costs seconds.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @typedef {import('./pglite-protocol.ts').PgliteRequest} PgliteRequest */
/** @typedef {import('./pglite-protocol.ts').PgliteReply} PgliteReply */
/** @typedef {import('./pglite-protocol.ts').PgliteWorkerData} PgliteWorkerData */
/** @typedef {import('./pglite-protocol.ts').WireStatement} WireStatement */

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

const BYTEA = 17;

/**
 * bytea in and out through Node's hex codec: PGlite's own maps every byte through a JavaScript string (Array.from,
 * parseInt per byte), which dominated a batch of log INSERTs. Each value read gets a buffer of its own, so the reply
 * can transfer it instead of copying it.
 */
const serializers = {
  [BYTEA]: (/** @type {unknown} */ value) => {
    if (!(value instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
    return '\\x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  }
};
const parsers = {
  [BYTEA]: (/** @type {string} */ text) => {
    const bytes = Buffer.allocUnsafeSlow((text.length - 2) / 2);
    bytes.write(text.slice(2), 'hex');
    return new Uint8Array(bytes.buffer, 0, bytes.length);
  }
};

/**
 * PGlite's 9 MB WebAssembly module, compiled as it streams from the file. PGlite itself reads the whole file into one
 * buffer first, and that buffer stays in memory until the thread's next full garbage collection, which an idle worker
 * may not run for a long time (README: Operations, Memory).
 */
function compileEngine() {
  const file = new URL('pglite.wasm', import.meta.resolve('@electric-sql/pglite'));
  const body = /** @type {ReadableStream<Uint8Array>} */ (Readable.toWeb(createReadStream(file)));
  return WebAssembly.compileStreaming(new Response(body, { headers: { 'content-type': 'application/wasm' } }));
}

async function open() {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  return PGlite.create(dataDir, { startParams, serializers, parsers, pgliteWasmModule: await compileEngine() });
}

/** A statement's parameters with its byte parameters put back, as views of the request's transferred buffer. */
function paramsOf(/** @type {WireStatement} */ statement, /** @type {ArrayBuffer | undefined} */ buffer) {
  const params = statement.params ?? [];
  if (!statement.bytes?.length || !buffer) return params;
  const restored = [...params];
  for (const [index, offset, length] of statement.bytes) restored[index] = new Uint8Array(buffer, offset, length);
  return restored;
}

/** The buffers of the byte values in `rows`, to transfer with the reply (the parser gave each its own). */
function transferablesOf(/** @type {Record<string, unknown>[][]} */ results) {
  /** @type {Set<ArrayBuffer>} */
  const buffers = new Set();
  for (const rows of results)
    for (const row of rows)
      for (const value of Object.values(row))
        if (value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer)
          buffers.add(value.buffer);
  return [...buffers];
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
      case 'query': {
        if (request.begin) await lite.exec('BEGIN');
        const { rows } = await lite.query(request.statement.text, paramsOf(request.statement, request.buffer));
        reply = { id: request.id, rows: /** @type {Record<string, unknown>[]} */ (rows) };
        break;
      }
      case 'transaction': {
        const { statements, buffer } = request;
        const results = await lite.transaction(async (tx) => {
          /** @type {Record<string, unknown>[][]} */
          const all = [];
          for (const statement of statements) all.push(/** @type {Record<string, unknown>[]} */ ((await tx.query(statement.text, paramsOf(statement, buffer))).rows));
          return all;
        });
        reply = { id: request.id, results };
        break;
      }
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
  const results = reply.rows ? [reply.rows] : reply.results;
  port.postMessage(reply, results ? transferablesOf(results) : []);
});
