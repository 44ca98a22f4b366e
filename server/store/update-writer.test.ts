import { describe, expect, it } from 'vitest';
import type { Db, Sql, Statement } from './db.ts';
import { UpdateWriter } from './update-writer.ts';

/** A database that records each batch's row count; each `commit()` lets one write (in flight or next) commit. */
function recordingDb() {
  const batches: number[] = [];
  let permits = 0;
  let waiting: (() => void) | null = null;
  const tx: Sql = {
    query: async <Row,>(text: string, params?: unknown[]) => {
      if (text.startsWith('INSERT INTO doc_updates')) batches.push((params?.length ?? 0) / 4);
      return [] as Row[];
    }
  };
  const db: Db = {
    kind: 'pglite',
    query: tx.query,
    exec: async () => {},
    close: async () => {},
    transaction: async <T,>(work: (tx: Sql) => Promise<T>) => {
      const result = await work(tx);
      if (permits === 0) await new Promise<void>((resolve) => (waiting = resolve));
      permits--;
      return result;
    },
    batch: async <Row,>(statements: readonly Statement[]) =>
      db.transaction(async (inside) => {
        const results: Row[][] = [];
        for (const statement of statements) results.push(await inside.query<Row>(statement.text, statement.params));
        return results;
      })
  };
  const commit = () => {
    permits++;
    waiting?.();
    waiting = null;
  };
  return { db, batches, commit };
}

const update = new Uint8Array([1, 2, 3]);

describe('update writer batches', () => {
  it('waits the short delay while updates come one by one', () => {
    const { db } = recordingDb();
    const writer = new UpdateWriter(db, { batchDelayMs: 10, maxLatencyMs: 50 });
    expect(writer.batchDelay()).toBe(10);
    writer.close();
  });

  it('under load, gathers what arrives during a write into the next batch and waits longer, within half the bound', async () => {
    const { db, batches, commit } = recordingDb();
    const writer = new UpdateWriter(db, { batchDelayMs: 10, maxLatencyMs: 50 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) writer.enqueue('board:a', update, 'u', Date.now());
      const flushed = writer.flush();
      // While the write is in flight, more updates arrive: they wait for the next batch, all together.
      for (let i = 0; i < 40; i++) writer.enqueue('board:a', update, 'u', Date.now());
      commit();
      await flushed;
      commit();
      await writer.flush();
    }
    expect(batches).toEqual(Array.from({ length: 5 }, () => [100, 40]).flat());
    const delay = writer.batchDelay();
    expect(delay).toBeGreaterThan(10);
    expect(delay).toBeLessThanOrEqual(25);
    expect(writer.pendingCount).toBe(0);
    writer.close();
  });

  it('writes a full batch at once instead of waiting out its delay', async () => {
    const { db, batches, commit } = recordingDb();
    const writer = new UpdateWriter(db, { batchDelayMs: 60_000, maxBatchRows: 50 });
    for (let i = 0; i < 50; i++) writer.enqueue('board:a', update, 'u', Date.now());
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([50]);
    commit();
    await writer.drain();
    expect(writer.pendingCount).toBe(0);
    writer.close();
  });
});
