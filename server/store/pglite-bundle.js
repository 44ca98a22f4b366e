// @ts-check
/**
 * Used by the PGlite worker (pglite-worker.js), plain JavaScript like it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * PGlite's bundled files (`pglite.data`, 6 MB: initdb's scripts, time zones, encodings, dictionaries, ICU data) are
 * views of one buffer PGlite keeps for the thread's life, though a running server opens few of them. Each file is
 * read again from that file on disk when it is first opened, and the buffer's memory is given back at once:
 * transferred into a message nobody receives, which detaches it (without waiting for a garbage collection). Nothing
 * is dropped: a file Postgres opens later (a time zone, a dictionary, plpgsql) is still there. Does nothing when the
 * files are not laid out as expected (another PGlite version).
 * @param {import('@electric-sql/pglite').PGlite} lite
 * @returns {number} how many files now load on first open
 */
export function releaseBundle(lite) {
  const { FS } = /** @type {{ FS: EmscriptenFs }} */ (/** @type {unknown} */ (lite).Module);
  const file = new URL('pglite.data', import.meta.resolve('@electric-sql/pglite'));
  const bundle = FS.analyzePath('/pglite/share/postgresql/postgres.bki').object?.contents?.buffer;
  if (!(bundle instanceof ArrayBuffer) || bundle.byteLength !== statSync(file).size) return 0;
  /** @type {Map<EmscriptenNode, { offset: number; length: number; ops: EmscriptenNode['stream_ops'] }>} */
  const lazy = new Map();
  const load = (/** @type {{ node: EmscriptenNode }} */ stream) => {
    const { node } = stream;
    const where = lazy.get(node);
    if (where) {
      const bytes = new Uint8Array(where.length);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, bytes, 0, where.length, where.offset);
      } finally {
        closeSync(fd);
      }
      node.contents = bytes;
      node.stream_ops = where.ops;
      lazy.delete(node);
    }
    node.stream_ops.open?.(stream);
  };
  // A file open at this moment keeps its bytes (copied): its stream was made with the eager operations.
  const open = new Set(FS.streams.filter(Boolean).map((stream) => stream.node));
  const visit = (/** @type {string} */ dir) => {
    for (const name of FS.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir === '/' ? '' : dir}/${name}`;
      const { node } = FS.lookupPath(path);
      if (FS.isMountpoint(node)) continue;
      if (FS.isDir(node.mode)) visit(path);
      else if (!FS.isFile(node.mode) || node.contents?.buffer !== bundle) continue;
      else if (open.has(node)) node.contents = node.contents.slice(0, node.usedBytes);
      else {
        lazy.set(node, { offset: node.contents.byteOffset, length: node.usedBytes, ops: node.stream_ops });
        node.stream_ops = { ...node.stream_ops, open: load };
        node.contents = null;
      }
    }
  };
  visit('/');
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [bundle]);
  port1.close();
  port2.close();
  return lazy.size;
}

/**
 * The parts of Emscripten's file system (MEMFS) releaseBundle uses.
 * @typedef {{ mode: number; contents: Uint8Array | null; usedBytes: number; stream_ops: { open?: (stream: { node: EmscriptenNode }) => void } }} EmscriptenNode
 * @typedef {{
 *   streams: Array<{ node: EmscriptenNode } | null | undefined>;
 *   readdir(path: string): string[];
 *   lookupPath(path: string): { node: EmscriptenNode };
 *   analyzePath(path: string): { object: EmscriptenNode | null };
 *   isMountpoint(node: EmscriptenNode): boolean;
 *   isDir(mode: number): boolean;
 *   isFile(mode: number): boolean;
 * }} EmscriptenFs
 */
