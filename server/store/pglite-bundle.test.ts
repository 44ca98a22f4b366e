import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBundle } from './pglite-bundle.js';

interface Node {
  contents: Uint8Array | null;
}
interface Stream {
  node: Node;
}
interface Fs {
  analyzePath(path: string): { object: Node | null };
  readFile(path: string): Uint8Array;
  open(path: string, flags: string): Stream;
  read(stream: Stream, buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(stream: Stream): void;
}

const TIME_ZONE = '/pglite/share/postgresql/timezone/America/New_York';
const PLPGSQL = '/pglite/lib/postgresql/plpgsql.so';
const OPEN_DURING_RELEASE = '/pglite/share/postgresql/timezone/Asia/Tokyo';

describe("PGlite's bundled files, released after start", () => {
  let lite: PGlite;
  let fs: Fs;
  const before = new Map<string, Uint8Array>();
  let bundle: ArrayBuffer;
  let released = 0;
  let openStream: Stream;
  let openBytes: Uint8Array;

  beforeAll(async () => {
    lite = await PGlite.create('memory://');
    fs = (lite as unknown as { Module: { FS: Fs } }).Module.FS;
    for (const path of [TIME_ZONE, PLPGSQL]) before.set(path, fs.readFile(path).slice());
    openBytes = fs.readFile(OPEN_DURING_RELEASE).slice();
    bundle = fs.analyzePath(TIME_ZONE).object!.contents!.buffer as ArrayBuffer;
    openStream = fs.open(OPEN_DURING_RELEASE, 'r');
    released = releaseBundle(lite);
  }, 120_000);
  afterAll(() => lite.close());

  it('gives the buffer back and loads each file again only when it is opened', () => {
    expect(released).toBeGreaterThan(500);
    expect(bundle.byteLength).toBe(0);
    expect(fs.analyzePath(TIME_ZONE).object!.contents).toBeNull();
  });

  it('reads a file back byte for byte from pglite.data', () => {
    for (const [path, bytes] of before) expect(Buffer.from(fs.readFile(path)).equals(Buffer.from(bytes))).toBe(true);
    expect(fs.analyzePath(TIME_ZONE).object!.contents).not.toBeNull();
  });

  it('keeps the bytes of a file that was open while the buffer was given back', () => {
    const expected = openBytes;
    const read = new Uint8Array(expected.length);
    expect(fs.read(openStream, read, 0, read.length, 0)).toBe(expected.length);
    fs.close(openStream);
    expect(Buffer.from(read).equals(Buffer.from(expected))).toBe(true);
  });

  it('lets Postgres open files it had not opened yet: a time zone, a dictionary, a language', async () => {
    const [zoned] = (await lite.query<{ at: string }>("SELECT (timestamptz '2026-01-15 12:00:00+00' AT TIME ZONE 'Europe/Helsinki')::text AS at")).rows;
    expect(zoned.at).toBe('2026-01-15 14:00:00');
    const [words] = (await lite.query<{ v: string }>("SELECT to_tsvector('english', 'running dogs')::text AS v")).rows;
    expect(words.v).toBe("'dog':2 'run':1");
    await lite.exec('CREATE TABLE notes (n integer)');
    await lite.exec('DO $$ BEGIN INSERT INTO notes VALUES (42); END $$');
    expect((await lite.query<{ n: number }>('SELECT n FROM notes')).rows).toEqual([{ n: 42 }]);
  });
});
