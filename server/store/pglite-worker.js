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
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { releaseBundle } from './pglite-bundle.js';
import { startParamsOf } from './pglite-start.js';

const { serialize } = protocol;

/** @typedef {import('./pglite-protocol.ts').PgliteRequest} PgliteRequest */
/** @typedef {import('./pglite-protocol.ts').PgliteReply} PgliteReply */
/** @typedef {import('./pglite-protocol.ts').PgliteWorkerData} PgliteWorkerData */
/** @typedef {import('./pglite-protocol.ts').WireStatement} WireStatement */

const { dataDir, settings } = /** @type {PgliteWorkerData} */ (workerData);
const startParams = startParamsOf(settings);
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
  const lite = await PGlite.create(dataDir, { startParams, serializers, parsers, pgliteWasmModule: await compileEngine() });
  releaseBundle(lite);
  return lite;
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

/**
 * A statement's parameters as the extended protocol sends them, or null when one is of a kind only PGlite's `query()`
 * serialises right (a JSON object, a Date: its serialisers pick the column's type, which costs an extra round trip
 * into the engine to learn). Text and numbers go as text, as `query()` sends them; byte values go in binary, as
 * they are, instead of as hex text.
 * @param {unknown[]} params
 * @returns {Array<string | Uint8Array | null> | null}
 */
function wireValues(params) {
  /** @type {Array<string | Uint8Array | null>} */
  const values = [];
  for (const value of params) {
    if (value == null) values.push(null);
    else if (typeof value === 'string' || value instanceof Uint8Array) values.push(value);
    else if (typeof value === 'number' || typeof value === 'bigint') values.push(String(value));
    else return null;
  }
  return values;
}

/**
 * Run statements with their parameters in one call into the engine, their rows in order, or null when a parameter
 * needs `query()` (wireValues). `query()` calls into the engine six times per statement (Parse, Describe, Bind,
 * Describe, Execute, Sync), to learn parameter types before serialising them: that cost a log INSERT 139–176 µs of
 * CPU against 84 µs for the same messages in one buffer (README: CPU per edit). Parse, Bind, Describe and Execute of
 * every statement then one Sync: Postgres runs a series before a Sync as one implicit transaction (all commit, or
 * an error rolls back all and skips the rest), or inside the transaction an earlier BEGIN opened.
 * @param {PGlite} lite
 * @param {WireStatement[]} statements
 * @param {ArrayBuffer | undefined} buffer
 * @returns {Promise<Record<string, unknown>[][] | null>}
 */
async function runExtended(lite, statements, buffer) {
  /** @type {Uint8Array[]} */
  const parts = [];
  for (const statement of statements) {
    const values = wireValues(paramsOf(statement, buffer));
    if (!values) return null;
    parts.push(serialize.parse({ text: statement.text }), serialize.bind({ values }), serialize.describe({ type: 'P' }), serialize.execute({}));
  }
  parts.push(serialize.sync());
  const message = Buffer.concat(parts);
  return lite.runExclusive(async () => {
    const messages = await lite.execProtocolStream(message, { syncToFs: false });
    if (!lite.isInTransaction()) await lite.syncToFs();
    const results = parse.parseResults(messages, lite.parsers);
    if (results.length !== statements.length) throw new Error(`${statements.length} statements gave ${results.length} results`);
    return results.map((result) => /** @type {Record<string, unknown>[]} */ (result.rows));
  });
}

const COPY_SIGNATURE = 'PGCOPY\n\xff\r\n\0';

/**
 * The rows of a binary COPY (Postgres' documented format: a signature, flags and a header extension, then per row a
 * field count and each field as a length, -1 for NULL, and its bytes; a count of -1 ends it). Byte values are views
 * of `buffer`, not copies.
 * @param {ArrayBuffer} buffer
 * @param {import('./pglite-protocol.ts').CopyColumn[]} columns
 */
function parseCopyBinary(buffer, columns) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < COPY_SIGNATURE.length; i++) {
    if (bytes[i] !== COPY_SIGNATURE.charCodeAt(i)) throw new Error('binary COPY: unexpected signature');
  }
  let offset = COPY_SIGNATURE.length + 4;
  offset += 4 + view.getInt32(offset);
  /** @type {Record<string, unknown>[]} */
  const rows = [];
  for (;;) {
    const fields = view.getInt16(offset);
    offset += 2;
    if (fields === -1) break;
    if (fields !== columns.length) throw new Error(`binary COPY: ${fields} fields, expected ${columns.length}`);
    /** @type {Record<string, unknown>} */
    const row = {};
    for (const [name, type] of columns) {
      const length = view.getInt32(offset);
      offset += 4;
      if (length === -1) {
        row[name] = null;
        continue;
      }
      if (type === 'bytea') row[name] = new Uint8Array(buffer, offset, length);
      else if (type === 'int4' && length === 4) row[name] = view.getInt32(offset);
      else if (type === 'int8' && length === 8) row[name] = Number(view.getBigInt64(offset));
      else throw new Error(`binary COPY: ${length} bytes for an ${type}`);
      offset += length;
    }
    rows.push(row);
  }
  return rows;
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
        const { statement, buffer } = request;
        const rows = (await runExtended(lite, [statement], buffer))?.[0] ?? (await lite.query(statement.text, paramsOf(statement, buffer))).rows;
        reply = { id: request.id, rows: /** @type {Record<string, unknown>[]} */ (rows) };
        break;
      }
      case 'transaction': {
        const { statements, buffer } = request;
        const results =
          (await runExtended(lite, statements, buffer)) ??
          (await lite.transaction(async (tx) => {
            /** @type {Record<string, unknown>[][]} */
            const all = [];
            for (const statement of statements) all.push(/** @type {Record<string, unknown>[]} */ ((await tx.query(statement.text, paramsOf(statement, buffer))).rows));
            return all;
          }));
        reply = { id: request.id, results };
        break;
      }
      case 'copy': {
        const result = /** @type {{ blob?: Blob }} */ (await lite.query(`COPY (${request.text}) TO '/dev/blob' WITH (FORMAT binary)`));
        if (!result.blob) throw new Error('binary COPY wrote nothing');
        const buffer = await result.blob.arrayBuffer();
        reply = { id: request.id, rows: parseCopyBinary(buffer, request.columns), buffer };
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
  port.postMessage(reply, reply.buffer ? [reply.buffer] : results ? transferablesOf(results) : []);
});
