import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type postgres from 'postgres';
import type { CopyColumn, PgliteReply, PgliteRequest, PgliteWorkerData, WireStatement } from './pglite-protocol.ts';

/** The SQL surface the server uses: the same statements run on Postgres (postgres.js) and on embedded PGlite. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * PGlite only: the rows of a SELECT without parameters (values inlined with sqlLiteral), read in Postgres' binary
   * COPY format, so byte values skip the hex text a query returns them as. `columns` names its columns and types.
   */
  copyRows?<Row = Record<string, unknown>>(select: string, columns: CopyColumn[]): Promise<Row[]>;
}

/**
 * A string as an SQL literal, for the few statements that cannot take parameters (COPY). Only plain names (letters,
 * digits, `:`, `_`, `-`, `.`) are accepted: anything else returns null, and the caller uses a parameter instead.
 */
export function sqlLiteral(text: string): string | null {
  return /^[A-Za-z0-9:_.-]*$/.test(text) ? `'${text}'` : null;
}

/** A statement and its parameters. */
export interface Statement {
  text: string;
  params?: unknown[];
}

export interface Db extends Sql {
  readonly kind: 'postgres' | 'pglite';
  /** Run `work` in one transaction; it commits when the promise resolves and rolls back when it rejects. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Statements known up front, in order, in one transaction: all commit or none. Resolves with each one's rows.
   * Cheaper than `transaction` when nothing depends on an earlier answer: PGlite runs them in one message to its
   * worker, postgres.js pipelines them.
   */
  batch<Row = Record<string, unknown>>(statements: readonly Statement[]): Promise<Row[][]>;
  /** Several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** postgres.js is loaded here, so the embedded (PGlite) server never holds it. */
export async function openPostgres(url: string): Promise<Db> {
  const { default: connect } = await import('postgres');
  const sql = connect(url, {
    max: 10,
    onnotice: () => {},
    // int8 as number (ids, epoch milliseconds), as PGlite returns them.
    types: { int8: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) } }
  });
  const params = (values: unknown[] = []) => values.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value));
  const wrap = (runner: postgres.Sql | postgres.TransactionSql): Sql => ({
    query: async <Row,>(text: string, values?: unknown[]) =>
      (await runner.unsafe(text, params(values) as postgres.ParameterOrJSON<never>[])) as unknown as Row[]
  });
  return {
    kind: 'postgres',
    ...wrap(sql),
    transaction: <T,>(work: (tx: Sql) => Promise<T>) => sql.begin((tx) => work(wrap(tx))) as Promise<T>,
    batch: async <Row,>(statements: readonly Statement[]) => {
      if (!statements.length) return [];
      // One statement is atomic by itself: no BEGIN and COMMIT, one round trip to the server instead of three.
      if (statements.length === 1) return [(await sql.unsafe(statements[0].text, params(statements[0].params) as postgres.ParameterOrJSON<never>[])) as unknown as Row[]];
      const results = await sql.begin((tx) => statements.map((statement) => tx.unsafe(statement.text, params(statement.params) as postgres.ParameterOrJSON<never>[])));
      return results as unknown as Row[][];
    },
    exec: async (script) => {
      await sql.unsafe(script);
    },
    close: () => sql.end({ timeout: 5 })
  };
}

/**
 * PGlite's Postgres settings. Its defaults are a server's (128 MB of shared buffers, 100 connections' shared
 * memory): one single-user backend serving one process needs far less, and every page of it counts in the process'
 * resident memory, for good: WebAssembly memory never shrinks. A buffer page is touched once a disk page is read into
 * it, so an idle server after its migrations held ~14 MB of 16 MB; 4 MB keeps the catalog's hot pages, and a page
 * read again comes from the OS page cache through the worker (README: Operations, Memory).
 */
export const PGLITE_SETTINGS: Record<string, string> = {
  shared_buffers: '4MB',
  max_connections: '3',
  wal_buffers: '256kB'
};

/**
 * The worker's V8 young generation (MB). The default (up to 16 MB per semi-space) stayed committed in an idle
 * worker; the worker's short-lived objects are rows on their way to the main thread, and scavenging a small space
 * often is cheap.
 */
export const PGLITE_WORKER_YOUNG_MB = 6;

/**
 * V8 flags for PGlite's engine, the only WebAssembly in the process (so they reach no other code). By default V8
 * compiles a module quickly (Liftoff), then recompiles each function that turns hot (TurboFan) on its background
 * threads. Right after a restart the first board read (a 4 MB COPY) set off such compiles, which took the two cores
 * from the main thread as it counted and answered that board: a cold first sync of 0.63–0.77 s, 0.10–0.24 s with
 * Liftoff only (README: Cold load). The price: a batch of log rows costs ~20% more CPU once TurboFan's code would have
 * been ready (single-row writes the same; the first batches after a start cost less, nothing to compile). Set from
 * the main thread before the worker starts: set inside the worker they changed nothing, nor did --no-wasm-tier-up.
 * PGLITE_WASM_FLAGS='' keeps V8's defaults.
 */
export const PGLITE_WASM_FLAGS = process.env.PGLITE_WASM_FLAGS ?? '--liftoff-only';

/**
 * Statements as they cross to the worker: every byte parameter copied once into one buffer that is transferred, not
 * cloned (cloning a Uint8Array copies its whole underlying buffer, often a much larger received message).
 */
export function toWire(statements: readonly Statement[]): { statements: WireStatement[]; buffer?: ArrayBuffer } {
  let size = 0;
  for (const statement of statements) for (const value of statement.params ?? []) if (value instanceof Uint8Array) size += value.byteLength;
  if (!size) return { statements: statements.map(({ text, params }) => ({ text, params })) };
  const buffer = new ArrayBuffer(size);
  const into = new Uint8Array(buffer);
  let offset = 0;
  const wire = statements.map(({ text, params = [] }): WireStatement => {
    const bytes: WireStatement['bytes'] = [];
    const plain = params.map((value, index) => {
      if (!(value instanceof Uint8Array)) return value;
      into.set(value, offset);
      bytes.push([index, offset, value.byteLength]);
      offset += value.byteLength;
      return null;
    });
    return bytes.length ? { text, params: plain, bytes } : { text, params };
  });
  return { statements: wire, buffer };
}

type Pending = { resolve: (reply: PgliteReply) => void; reject: (error: Error) => void };

/** One PGlite worker thread and its request/reply bookkeeping. */
class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;

  constructor(dataDir: string) {
    const workerData: PgliteWorkerData = { dataDir, settings: PGLITE_SETTINGS };
    // Process-wide; they took effect only when set before the worker started.
    if (PGLITE_WASM_FLAGS) setFlagsFromString(PGLITE_WASM_FLAGS);
    this.worker = startWorker(workerData);
    this.worker.unref();
    this.worker.on('message', (reply: PgliteReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      waiting.resolve(reply);
    });
    const fail = (error: Error) => {
      this.stopped = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => fail(new Error(`the PGlite worker failed: ${error.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`the PGlite worker stopped (exit code ${code})`)));
  }

  async call(request: DistributiveOmit<PgliteRequest, 'id'>): Promise<PgliteReply> {
    if (this.stopped) throw this.stopped;
    const id = this.nextId++;
    const reply = await new Promise<PgliteReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive while a request is out, as an open database connection would, but not when idle.
      if (this.pending.size === 1) this.worker.ref();
      const message = { ...request, id };
      this.worker.postMessage(message, 'buffer' in message && message.buffer ? [message.buffer] : []);
    });
    if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name }, reply.error.fields);
    return reply;
  }

  async stop(): Promise<void> {
    await this.call({ op: 'close' });
    await this.worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The worker is plain JavaScript, next to this module in the sources and next to main.js in dist/server. */
function startWorker(workerData: PgliteWorkerData): Worker {
  return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData, resourceLimits: { maxYoungGenerationSizeMb: PGLITE_WORKER_YOUNG_MB } });
}

/**
 * A new folder's initdb, in a child process (pglite-init.js, next to this module and to main.js in dist/server):
 * initdb's WASM module and the memory it grew (several hundred MB) go with the process, so the server's memory is as
 * small as on any later start. (A first worker thread that then exited gave back its heap but not its malloc arena,
 * which the long-lived worker reused with ~28 MB of free pages resident.)
 */
async function initialise(dataDir: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-init.js', import.meta.url));
  const flags = PGLITE_WASM_FLAGS.split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...flags, script, dataDir, JSON.stringify(PGLITE_SETTINGS)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`initialising the PGlite folder ${dataDir} failed (exit code ${code}): ${errors.trim()}`);
}

/**
 * Embedded Postgres in a worker thread. `dataDir` is a folder, or 'memory://' for a throwaway in-memory database.
 * A new folder is initialised first, by a process of its own (initialise).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://') && !existsSync(join(dataDir, 'PG_VERSION'))) await initialise(dataDir);
  const thread = new PgliteThread(dataDir);
  await thread.call({ op: 'open' });
  // One connection: queue transactions so a plain query never lands inside another caller's transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T,>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const query = async <Row,>(text: string, params?: unknown[], begin = false) => {
    const { statements, buffer } = toWire([{ text, params }]);
    return (await thread.call({ op: 'query', statement: statements[0], buffer, begin })).rows as Row[];
  };
  return {
    kind: 'pglite',
    query: <Row,>(text: string, params?: unknown[]) => serial(() => query<Row>(text, params)),
    copyRows: <Row,>(select: string, columns: CopyColumn[]) => serial(async () => (await thread.call({ op: 'copy', text: select, columns })).rows as Row[]),
    transaction: <T,>(work: (tx: Sql) => Promise<T>) =>
      serial(async () => {
        // BEGIN rides along with the first statement; a transaction that ran none has nothing to commit.
        let begun = false;
        const inTransaction: Sql = {
          query: <Row,>(text: string, params?: unknown[]) => {
            const begin = !begun;
            begun = true;
            return query<Row>(text, params, begin);
          }
        };
        let result: T;
        try {
          result = await work(inTransaction);
        } catch (error) {
          if (begun) await query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        if (begun) await query('COMMIT');
        return result;
      }),
    batch: <Row,>(statements: readonly Statement[]) =>
      serial(async () => {
        if (!statements.length) return [];
        // One statement is atomic by itself: PGlite runs it without BEGIN and COMMIT statements around it.
        if (statements.length === 1) return [await query<Row>(statements[0].text, statements[0].params)];
        return (await thread.call({ op: 'transaction', ...toWire(statements) })).results as Row[][];
      }),
    exec: (script) => serial(async () => void (await thread.call({ op: 'exec', text: script }))),
    close: () => serial(() => thread.stop())
  };
}

/** DATABASE_URL → that Postgres server; otherwise embedded PGlite in `dataDir`. */
export async function openDb(options: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}
