/** The messages between the server's main thread and the PGlite worker thread (pglite-worker.js). */
export interface PgliteWorkerData {
  /** A folder, or 'memory://' for a throwaway in-memory database. */
  dataDir: string;
  /** Postgres settings (`-c name=value` on the backend's command line), on top of PGlite's defaults. */
  settings: Record<string, string>;
}

/**
 * One statement as it crosses to the worker. Its byte parameters (Uint8Array) travel apart, copied once into the
 * request's `buffer`, which is transferred rather than cloned: `bytes` lists [parameter index, offset, length], and
 * those parameters are null in `params`.
 */
export interface WireStatement {
  text: string;
  params?: unknown[];
  bytes?: Array<[index: number, offset: number, length: number]>;
}

export type PgliteRequest =
  | { id: number; op: 'open' }
  /** One statement; `begin` runs BEGIN first, so a transaction's first statement costs no extra round trip. */
  | { id: number; op: 'query'; statement: WireStatement; buffer?: ArrayBuffer; begin?: boolean }
  /** Statements known up front, run in order in one transaction inside the worker: one round trip for all. */
  | { id: number; op: 'transaction'; statements: WireStatement[]; buffer?: ArrayBuffer }
  /**
   * A SELECT without parameters, its rows read through `COPY … TO '/dev/blob' (FORMAT binary)`: byte values come as
   * they are stored instead of as hex text (a 4 MB bytea: one copy instead of 8 MB of hex made in WASM, turned into a
   * string and decoded). `columns` names the SELECT's columns and their types, in order.
   */
  | { id: number; op: 'copy'; text: string; columns: CopyColumn[] }
  | { id: number; op: 'exec'; text: string }
  | { id: number; op: 'close' };

/** A column of a binary COPY: its name in the rows, and its type (int4 and int8 as numbers, bytea as Uint8Array). */
export type CopyColumn = [name: string, type: 'int4' | 'int8' | 'bytea'];

export interface PgliteReply {
  id: number;
  /** The one buffer a 'copy' reply's byte values are views of, transferred with it. */
  buffer?: ArrayBuffer;
  /** The rows of a 'query'. Byte values arrive as Uint8Arrays whose buffers were transferred. */
  rows?: Record<string, unknown>[];
  /** The rows of each statement of a 'transaction', in order. */
  results?: Record<string, unknown>[][];
  /** A failed request: the error's name, message and Postgres fields (code, detail, constraint, …). */
  error?: { name: string; message: string; fields: Record<string, string> };
}
