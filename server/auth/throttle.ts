/**
 * Sign-in attempts per key (an account, an account from one address, a client address), with exponential
 * back-off: the first `freeAttempts` cost nothing, each further one doubles the wait (from `baseDelayMs`, capped at
 * `maxDelayMs`: slowing a guesser down, never locking the owner out for long).
 *
 * An attempt is counted when it is *taken*, before the password is checked, and synchronously, so a burst of
 * parallel requests cannot all pass the check while none has been counted yet. A success gives the attempt back.
 * Kept in memory: one Lanes process serves one team, and a restart forgiving a few failures is fine.
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
  attempts: number;
  blockedUntil: number;
  lastAttempt: number;
}

export const DEFAULT_MAX_DELAY_MS = 60_000;

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
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.forgetAfterMs = options.forgetAfterMs ?? 24 * 3_600_000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Milliseconds the caller must still wait before trying `key` again (0: go ahead). */
  waitFor(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.blockedUntil - this.clock()) : 0;
  }

  /** Count one attempt for `key` now (as a failure until `succeed` or `giveBack` says otherwise). */
  take(key: string): void {
    const now = this.clock();
    const entry = this.entries.get(key) ?? { attempts: 0, blockedUntil: 0, lastAttempt: now };
    entry.attempts++;
    entry.lastAttempt = now;
    const over = entry.attempts - this.options.freeAttempts;
    if (over > 0) entry.blockedUntil = now + Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(over - 1, 30));
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.prune(now);
  }

  /** The right password: the key starts afresh. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** An attempt that turned out fine but must not clear the key (an address shared by an office): uncount it. */
  giveBack(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.attempts = Math.max(0, entry.attempts - 1);
    if (entry.attempts <= this.options.freeAttempts) entry.blockedUntil = 0;
  }

  private prune(now: number): void {
    // Map order is least recently attempted first (take() re-inserts), so the oldest keys go first.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys && now - entry.lastAttempt < this.forgetAfterMs) break;
      this.entries.delete(key);
    }
  }
}

/** Several throttles checked and taken as one: either every key is free and each counts the attempt, or none does. */
export function takeAll(checks: Array<[Throttle, string]>): number {
  const wait = Math.max(0, ...checks.map(([throttle, key]) => throttle.waitFor(key)));
  if (wait > 0) return wait;
  for (const [throttle, key] of checks) throttle.take(key);
  return 0;
}
