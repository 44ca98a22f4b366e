/** The messages between the server's main thread and the PGlite worker thread (pglite-worker.ts). */
export interface PgliteWorkerData {
  /** A folder, or 'memory://' for a throwaway in-memory database. */
  dataDir: string;
  /** Postgres settings (`-c name=value` on the backend's command line), on top of PGlite's defaults. */
  settings: Record<string, string>;
}

export type PgliteRequest =
  | { id: number; op: 'open' }
  | { id: number; op: 'query'; text: string; params?: unknown[] }
  | { id: number; op: 'exec'; text: string }
  | { id: number; op: 'close' };

export interface PgliteReply {
  id: number;
  rows?: Record<string, unknown>[];
  /** A failed request: the error's name, message and Postgres fields (code, detail, constraint, …). */
  error?: { name: string; message: string; fields: Record<string, string> };
}
