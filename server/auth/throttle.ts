/**
 * Failed sign-ins per key (an account's e-mail, a client IP), with exponential back-off: the first `freeAttempts`
 * failures cost nothing, each further one doubles the wait (from `baseDelayMs`, capped at `maxDelayMs`). A success
 * clears the key. Kept in memory: one Lanes process serves one team, and a restart forgiving a few failures is fine.
 */
export interface ThrottleOptions {
  freeAttempts: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Forget keys idle this long (and bound memory). */
  forgetAfterMs?: number;
  maxKeys?: number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class Throttle {
  private readonly entries = new Map<string, Entry>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly clock: () => number,
    private readonly options: ThrottleOptions
  ) {
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 24 * 3_600_000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Milliseconds the caller must still wait before trying `key` again (0: go ahead). */
  waitFor(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.blockedUntil - this.clock()) : 0;
  }

  fail(key: string): void {
    const now = this.clock();
    const entry = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    entry.failures++;
    entry.lastFailure = now;
    const over = entry.failures - this.options.freeAttempts;
    if (over > 0) entry.blockedUntil = now + Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (over - 1));
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.prune(now);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    // Map order is least recently failed first (fail() re-inserts), so the oldest keys go first.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys && now - entry.lastFailure < this.forgetAfterMs) break;
      this.entries.delete(key);
    }
  }
}
