import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Db } from './db.ts';

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
