import { mkdirSync } from 'node:fs';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';

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

/** `dataDir` is a folder, or 'memory://' for a throwaway in-memory database. */
export async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create(dataDir);
  // PGlite has one connection: queue transactions so a plain query never lands inside another caller's transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T,>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    kind: 'pglite',
    query: <Row,>(text: string, values?: unknown[]) => serial(async () => (await lite.query<Row>(text, values)).rows),
    transaction: <T,>(work: (tx: Sql) => Promise<T>) =>
      serial(() =>
        lite.transaction((tx) => work({ query: async <Row,>(text: string, values?: unknown[]) => (await tx.query<Row>(text, values)).rows }))
      ) as Promise<T>,
    exec: (script) => serial(async () => void (await lite.exec(script))),
    close: () => serial(() => lite.close())
  };
}

/** DATABASE_URL → that Postgres server; otherwise embedded PGlite in `dataDir`. */
export async function openDb(options: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}
