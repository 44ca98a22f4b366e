import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import postgres from 'postgres';
import type { PgliteReply, PgliteRequest, PgliteWorkerData } from './pglite-protocol.ts';

/** The SQL surface the server uses: the same statements run on Postgres (postgres.js) and on embedded PGlite. */
export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

export interface Db extends Sql {
  readonly kind: 'postgres' | 'pglite';
  /** Run `work` in one transaction; it commits when the promise resolves and rolls back when it rejects. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export function openPostgres(url: string): Db {
  const sql = postgres(url, {
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
    exec: async (script) => {
      await sql.unsafe(script);
    },
    close: () => sql.end({ timeout: 5 })
  };
}

/**
 * PGlite's Postgres settings. Its defaults are a server's (128 MB of shared buffers, 100 connections' shared
 * memory): one single-user backend serving one process needs far less, and every page of it counts in the process'
 * resident memory (README: Configuration, memory).
 */
export const PGLITE_SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  max_connections: '3',
  wal_buffers: '256kB'
};

type Pending = { resolve: (reply: PgliteReply) => void; reject: (error: Error) => void };

/** One PGlite worker thread and its request/reply bookkeeping. */
class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;

  constructor(dataDir: string) {
    const workerData: PgliteWorkerData = { dataDir, settings: PGLITE_SETTINGS };
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
      this.worker.postMessage({ ...request, id });
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
  return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData });
}

/**
 * Embedded Postgres in a worker thread. `dataDir` is a folder, or 'memory://' for a throwaway in-memory database.
 * A new folder is initialised by a first worker that then exits: initdb's WASM module and the memory it grew
 * (several hundred MB) go with it, so the long-lived worker is as small as on any later start.
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const fresh = !dataDir.startsWith('memory://') && !existsSync(join(dataDir, 'PG_VERSION'));
  let thread = new PgliteThread(dataDir);
  await thread.call({ op: 'open' });
  if (fresh) {
    await thread.stop();
    thread = new PgliteThread(dataDir);
    await thread.call({ op: 'open' });
  }
  // One connection: queue transactions so a plain query never lands inside another caller's transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T,>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const query = async <Row,>(text: string, params?: unknown[]) => (await thread.call({ op: 'query', text, params })).rows as Row[];
  const inTransaction: Sql = { query };
  return {
    kind: 'pglite',
    query: <Row,>(text: string, params?: unknown[]) => serial(() => query<Row>(text, params)),
    transaction: <T,>(work: (tx: Sql) => Promise<T>) =>
      serial(async () => {
        await query('BEGIN');
        let result: T;
        try {
          result = await work(inTransaction);
        } catch (error) {
          await query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        await query('COMMIT');
        return result;
      }),
    exec: (script) => serial(async () => void (await thread.call({ op: 'exec', text: script }))),
    close: () => serial(() => thread.stop())
  };
}

/** DATABASE_URL → that Postgres server; otherwise embedded PGlite in `dataDir`. */
export async function openDb(options: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}
