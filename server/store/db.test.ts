import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, sqlLiteral, toWire, type Db } from './db.ts';

describe('PGlite in its worker thread', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite('memory://');
    await db.exec('CREATE TABLE people (id integer PRIMARY KEY, email text UNIQUE NOT NULL, photo bytea, born bigint)');
  }, 120_000);
  afterAll(() => db.close());

  it('answers queries with parameters, bytes and big integers as the server reads them', async () => {
    const photo = new Uint8Array([0, 1, 254, 255]);
    await db.query('INSERT INTO people (id, email, photo, born) VALUES ($1, $2, $3, $4)', [1, 'ann@example.com', photo, 1_700_000_000_000]);
    const [row] = await db.query<{ email: string; photo: Uint8Array; born: number }>('SELECT email, photo, born FROM people WHERE id = $1', [1]);
    expect(row.email).toBe('ann@example.com');
    expect([...row.photo]).toEqual([0, 1, 254, 255]);
    expect(Number(row.born)).toBe(1_700_000_000_000);
  });

  it('opens bundled files Postgres had not opened yet (a time zone, a dictionary) after the worker released them', async () => {
    const sql = "SELECT (timestamptz '2026-01-15 12:00:00+00' AT TIME ZONE 'Asia/Tokyo')::text AS at, to_tsvector('english', 'running dogs')::text AS words";
    expect(await db.query(sql)).toEqual([{ at: '2026-01-15 21:00:00', words: "'dog':2 'run':1" }]);
  });

  it('rejects a unique violation with the Postgres code and constraint callers check', async () => {
    const duplicate = db.query('INSERT INTO people (id, email) VALUES ($1, $2)', [2, 'ann@example.com']);
    await expect(duplicate).rejects.toMatchObject({ code: '23505', constraint: 'people_email_key', message: expect.stringContaining('duplicate key') });
  });

  it('rolls a transaction back when its work throws, and commits it when it resolves', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO people (id, email) VALUES ($1, $2)', [3, 'bob@example.com']);
        throw new Error('changed my mind');
      })
    ).rejects.toThrow('changed my mind');
    expect(await db.query('SELECT id FROM people WHERE id = 3')).toEqual([]);
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO people (id, email) VALUES ($1, $2)', [4, 'cleo@example.com']);
    });
    expect(await db.query('SELECT id FROM people WHERE id = 4')).toEqual([{ id: 4 }]);
  });

  it('reads rows through a binary COPY as a query reads them: bytes (large, empty, NULL), int4 and int8', { timeout: 60_000 }, async () => {
    const large = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + (i >> 9)) % 256);
    await db.query('INSERT INTO people (id, email, photo, born) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8), ($9, $10, NULL, NULL)', [
      10, 'large@example.com', large, 9_007_199_254_740_000, 11, 'empty@example.com', new Uint8Array(0), -5, 12, 'none@example.com'
    ]);
    const select = (where: string) => `SELECT id::int4 AS id, photo, born::int8 AS born FROM people WHERE id >= ${where} ORDER BY id`;
    const copied = await db.copyRows!<{ id: number; photo: Uint8Array | null; born: number | null }>(select('10'), [['id', 'int4'], ['photo', 'bytea'], ['born', 'int8']]);
    const queried = await db.query<{ id: number; photo: Uint8Array | null; born: number | null }>(select('$1'), [10]);
    expect(copied).toHaveLength(3);
    expect(copied.map((row) => [row.id, row.born, row.photo?.length ?? null])).toEqual([[10, 9_007_199_254_740_000, large.length], [11, -5, 0], [12, null, null]]);
    expect(copied.map((row) => ({ ...row, photo: row.photo && Buffer.from(row.photo) }))).toEqual(
      queried.map((row) => ({ id: row.id, born: row.born === null ? null : Number(row.born), photo: row.photo && Buffer.from(row.photo) }))
    );
    await db.query('DELETE FROM people WHERE id >= 10');
  });

  it('serialises parameters that text cannot carry as is (objects, booleans, dates) by their column’s type', async () => {
    // Text, numbers and bytes go in one call into the engine; these go through PGlite's typed serialisers.
    await db.exec('CREATE TABLE prefs (id integer PRIMARY KEY, body jsonb, active boolean, seen timestamptz)');
    const seen = new Date('2026-11-29T12:00:00Z');
    await db.batch([{ text: 'INSERT INTO prefs (id, body, active, seen) VALUES ($1, $2, $3, $4)', params: [1, { stages: ['Lead', 'Won'], n: 2 }, true, seen] }]);
    await db.query('INSERT INTO prefs (id, body, active, seen) VALUES ($1, $2, $3, $4)', [2, ['a'], false, seen]);
    const rows = await db.query<{ id: number; body: unknown; active: boolean; seen: Date }>('SELECT id, body, active, seen FROM prefs ORDER BY id');
    expect(rows.map((row) => [row.id, row.body, row.active, row.seen.toISOString()])).toEqual([
      [1, { stages: ['Lead', 'Won'], n: 2 }, true, seen.toISOString()],
      [2, ['a'], false, seen.toISOString()]
    ]);
  });

  it('refuses to inline anything but a plain name as a literal', () => {
    expect(sqlLiteral('board:abc_12-x.y')).toBe("'board:abc_12-x.y'");
    for (const text of ["a'; DROP TABLE people; --", 'a\\b', 'a b', 'ü']) expect(sqlLiteral(text)).toBeNull();
  });

  it('keeps a plain query out of another caller’s open transaction', async () => {
    let insideDone!: () => void;
    const inside = new Promise<void>((resolve) => (insideDone = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query('INSERT INTO people (id, email) VALUES ($1, $2)', [5, 'dan@example.com']);
      await inside;
      throw new Error('roll back');
    });
    // Queued behind the transaction: it must not see (or join) the uncommitted row.
    const outside = db.query('SELECT count(*)::int AS n FROM people WHERE id = 5');
    insideDone();
    await expect(transaction).rejects.toThrow('roll back');
    expect(await outside).toEqual([{ n: 0 }]);
  });
});

/** A throwaway database on each backend: PGlite always, Postgres when DATABASE_URL is set. */
const backends: Array<{ label: string; open: () => Promise<{ db: Db; dispose: () => Promise<void> }> }> = [
  { label: 'PGlite', open: async () => ({ db: await openPglite('memory://'), dispose: async () => {} }) }
];
if (process.env.DATABASE_URL) {
  const baseUrl = process.env.DATABASE_URL;
  backends.push({
    label: 'Postgres',
    open: async () => {
      const name = `lanes_dbtest_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE DATABASE ${name}`);
      const url = new URL(baseUrl);
      url.pathname = `/${name}`;
      return {
        db: await openPostgres(url.toString()),
        dispose: async () => {
          await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        }
      };
    }
  });
}

describe.each(backends)('statements in one batch on $label', ({ open }) => {
  let db: Db;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await open());
    await db.exec('CREATE TABLE notes (id integer PRIMARY KEY, body bytea NOT NULL, tag text UNIQUE)');
  }, 120_000);
  afterAll(async () => {
    await db.close();
    await dispose();
  });

  it('runs them in order in one transaction and answers each one’s rows, bytes intact', async () => {
    // A view into a larger buffer (as a received message's update is): only its own bytes are stored.
    const message = new Uint8Array([9, 9, 1, 2, 3, 9, 9]);
    const results = await db.batch<{ id: number; body: Uint8Array }>([
      { text: 'INSERT INTO notes (id, body, tag) VALUES ($1, $2, $3), ($4, $5, $6)', params: [1, message.subarray(2, 5), 'a', 2, new Uint8Array(), 'b'] },
      { text: 'SELECT id, body FROM notes ORDER BY id' },
      { text: 'DELETE FROM notes WHERE id = $1 RETURNING id', params: [2] }
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual([]);
    expect(results[1].map((row) => [row.id, [...row.body]])).toEqual([
      [1, [1, 2, 3]],
      [2, []]
    ]);
    expect(results[2]).toEqual([{ id: 2 }]);
    expect([...message]).toEqual([9, 9, 1, 2, 3, 9, 9]);
  });

  it('stores none of them when one fails, and rejects with the Postgres code and constraint', async () => {
    const failing = db.batch([
      { text: 'INSERT INTO notes (id, body, tag) VALUES ($1, $2, $3)', params: [10, new Uint8Array([1]), 'fresh'] },
      { text: 'INSERT INTO notes (id, body, tag) VALUES ($1, $2, $3)', params: [11, new Uint8Array([2]), 'a'] }
    ]);
    const error = (await failing.then(() => null, (reason: unknown) => reason)) as Error & Record<string, unknown>;
    expect(error).toMatchObject({ code: '23505', message: expect.stringContaining('duplicate key') });
    // The constraint's name, as each driver spells the field.
    expect(error.constraint ?? error.constraint_name).toBe('notes_tag_key');
    expect(await db.query('SELECT id FROM notes WHERE id IN (10, 11)')).toEqual([]);
    // The connection is usable afterwards, outside any transaction.
    expect(await db.query('SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 1 }]);
  });

  it('runs a batch of one statement (no BEGIN, no COMMIT) all or nothing, and answers its rows', async () => {
    const failing = db.batch([{ text: 'INSERT INTO notes (id, body, tag) VALUES ($1, $2, $3), ($4, $5, $6)', params: [30, new Uint8Array([1]), 'single', 31, new Uint8Array([2]), 'a'] }]);
    expect(await failing.then(() => null, (reason: unknown) => reason)).toMatchObject({ code: '23505' });
    expect(await db.query('SELECT id FROM notes WHERE id IN (30, 31)')).toEqual([]);
    const message = new Uint8Array([9, 4, 5, 9]);
    const [rows] = await db.batch<{ id: number; body: Uint8Array }>([{ text: 'INSERT INTO notes (id, body) VALUES ($1, $2) RETURNING id, body', params: [32, message.subarray(1, 3)] }]);
    expect(rows.map((row) => [row.id, [...row.body]])).toEqual([[32, [4, 5]]]);
    await db.query('DELETE FROM notes WHERE id = 32');
  });

  it('answers an empty batch with no results', async () => {
    expect(await db.batch([])).toEqual([]);
  });

  it('commits a callback transaction whose first statement carries its BEGIN, and one that ran nothing', async () => {
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [20, new Uint8Array([7])]);
      await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [21, new Uint8Array([8])]);
    });
    expect(await db.transaction(async () => 'nothing to do')).toBe('nothing to do');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [22, new Uint8Array([9])]);
        await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [20, new Uint8Array([9])]);
      })
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('SELECT id FROM notes WHERE id >= 20 ORDER BY id')).toEqual([{ id: 20 }, { id: 21 }]);
  });
});

describe('a new PGlite folder', () => {
  it('is initialised, opened, and keeps what was stored across a reopen', { timeout: 120_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'lanes-pglite-')), 'data');
    try {
      let db = await openPglite(dataDir);
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      await db.exec('CREATE TABLE kept (n integer)');
      await db.query('INSERT INTO kept VALUES ($1)', [7]);
      await db.close();
      db = await openPglite(dataDir);
      expect(await db.query('SELECT n FROM kept')).toEqual([{ n: 7 }]);
      await db.close();
    } finally {
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('says which folder could not be initialised, and why', { timeout: 60_000 }, async () => {
    const parent = mkdtempSync(join(tmpdir(), 'lanes-pglite-'));
    const blocker = join(parent, 'a-file');
    writeFileSync(blocker, 'not a folder');
    try {
      await expect(openPglite(join(blocker, 'data'))).rejects.toThrow(/initialising the PGlite folder .*a-file\/data failed \(exit code 1\): .*ENOTDIR/s);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('statements on their way to the PGlite worker', () => {
  it('copies each byte parameter once into one buffer and leaves the other parameters as they were', () => {
    const big = new Uint8Array(1000).fill(5);
    const { statements, buffer } = toWire([
      { text: 'a', params: ['x', big.subarray(10, 13), 3] },
      { text: 'b' },
      { text: 'c', params: [new Uint8Array([1, 2])] }
    ]);
    expect(buffer?.byteLength).toBe(5);
    expect([...new Uint8Array(buffer!)]).toEqual([5, 5, 5, 1, 2]);
    expect(statements).toEqual([
      { text: 'a', params: ['x', null, 3], bytes: [[1, 0, 3]] },
      { text: 'b', params: [] },
      { text: 'c', params: [null], bytes: [[0, 3, 2]] }
    ]);
    expect(toWire([{ text: 'd', params: [1] }])).toEqual({ statements: [{ text: 'd', params: [1] }] });
  });
});
