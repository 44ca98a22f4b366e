import type { Db } from './db.ts';
import { appendUpdates, type LoggedUpdate } from './update-log.ts';

export interface UpdateWriterOptions {
  /** How long an update waits to share an INSERT with others when few arrive. */
  batchDelayMs?: number;
  /** The durability bound: an accepted update is committed within this long (while the database answers). */
  maxLatencyMs?: number;
  /** A batch this large is written at once, without waiting out its delay. */
  maxBatchRows?: number;
  /** Back-off after a failed write: first retry delay, doubled up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** A batch committed: per room, how many of its updates and which, in the order they were accepted. */
  onStored?: (room: string, count: number, updates: readonly Uint8Array[]) => void;
  onError?: (error: Error, attempt: number) => void;
  /** How long a successful batch write took. */
  onWritten?: (seconds: number) => void;
}

/**
 * Batches accepted updates into few INSERTs. An update stays in memory until its INSERT commits, and a failed
 * write is retried with back-off, so a database hiccup delays storage but loses nothing.
 *
 * Batches adapt to the load: when few updates arrive a batch waits `batchDelayMs`; when the last batches were
 * large, a batch waits as long as the durability bound allows (`maxLatencyMs` minus twice the recent write time,
 * at most half the bound), so each commit carries more rows, and a batch of `maxBatchRows` goes at once.
 */
export class UpdateWriter {
  private pending: LoggedUpdate[] = [];
  private inFlight: LoggedUpdate[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private readonly batchDelayMs: number;
  private readonly maxLatencyMs: number;
  private readonly maxBatchRows: number;
  /** Recent batch commit time and size, averaged (exponentially weighted), to size the next batch's wait. */
  private writeMs = 5;
  private batchRows = 1;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly db: Db,
    private readonly options: UpdateWriterOptions = {}
  ) {
    this.batchDelayMs = options.batchDelayMs ?? 10;
    this.maxLatencyMs = options.maxLatencyMs ?? 50;
    this.maxBatchRows = options.maxBatchRows ?? 2_000;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  }

  /** Updates accepted but not yet committed to the log (queued plus in flight). */
  get pendingCount(): number {
    return this.pending.length + this.inFlight.length;
  }

  /** Queue an accepted update with who sent it (null: the system) and when it was accepted. */
  enqueue(room: string, data: Uint8Array, userId: string | null = null, at = Date.now()): void {
    this.pending.push({ room, data, userId, at });
    if (this.pending.length >= this.maxBatchRows && !this.writing) {
      this.clearTimer();
      this.flush().catch(() => undefined);
    } else this.schedule(this.batchDelay());
  }

  /** How long the batch an update opens may gather more: longer under load, always inside the durability bound. */
  batchDelay(): number {
    const busy = this.batchRows >= 16;
    if (!busy) return this.batchDelayMs;
    return Math.max(this.batchDelayMs, Math.min(this.maxLatencyMs / 2, this.maxLatencyMs - 2 * this.writeMs));
  }

  hasPending(room: string): boolean {
    return this.pending.some((update) => update.room === room) || this.inFlight.some((update) => update.room === room);
  }

  /** Write everything queued now; resolves when it is committed, rejects if the write failed (it stays queued). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
    if (!this.pending.length) return;
    this.clearTimer();
    this.inFlight = this.pending;
    this.pending = [];
    const batch = this.inFlight;
    const started = performance.now();
    this.writing = appendUpdates(this.db, batch).then(
      () => {
        const tookMs = performance.now() - started;
        this.writeMs = 0.7 * this.writeMs + 0.3 * tookMs;
        this.batchRows = 0.7 * this.batchRows + 0.3 * batch.length;
        this.options.onWritten?.(tookMs / 1000);
        this.failures = 0;
        this.inFlight = [];
        const perRoom = new Map<string, Uint8Array[]>();
        for (const update of batch) {
          const updates = perRoom.get(update.room);
          if (updates) updates.push(update.data);
          else perRoom.set(update.room, [update.data]);
        }
        for (const [room, updates] of perRoom) this.options.onStored?.(room, updates.length, updates);
      },
      (error: Error) => {
        this.failures++;
        // Put the batch back in front, in order, so the next attempt writes it first.
        this.pending = [...batch, ...this.pending];
        this.inFlight = [];
        this.options.onError?.(error, this.failures);
        this.schedule(Math.min(this.retryDelayMs * 2 ** (this.failures - 1), this.maxRetryDelayMs));
        throw error;
      }
    );
    try {
      await this.writing;
    } finally {
      this.writing = null;
    }
  }

  /** Resolves once nothing for `room` is waiting; rejects if a write fails meanwhile. */
  async drain(room?: string): Promise<void> {
    while (room ? this.hasPending(room) : this.pendingCount > 0) await this.flush();
  }

  /**
   * Keep writing, retrying failures with back-off, until nothing is pending or `timeoutMs` has passed (shutdown
   * with the database away). Resolves with how many updates are still not stored.
   */
  async drainWithin(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let attempt = 0;
    while (this.pendingCount > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      const timeUp = new Promise<'time up'>((resolve) => (timer = setTimeout(() => resolve('time up'), left)));
      const outcome = await Promise.race([this.flush().then(() => 'stored' as const, () => 'failed' as const), timeUp]);
      clearTimeout(timer);
      if (outcome === 'time up') break;
      if (outcome === 'failed') {
        const delay = Math.min(this.retryDelayMs * 2 ** attempt++, this.maxRetryDelayMs, Math.max(0, deadline - Date.now()));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return this.pendingCount;
  }

  close(): void {
    this.clearTimer();
  }

  private schedule(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(() => undefined);
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
