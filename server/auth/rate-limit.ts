/**
 * At most `limit` actions per key (a client address, an account) in any `windowMs`: signups, new pipelines and
 * workspaces. A sliding window of timestamps per key. Check and count happen in one synchronous step (`takeEach`),
 * so a burst of parallel requests cannot slip past together. In memory, like the sign-in throttle.
 */
export interface RateLimitOptions {
  limit: number;
  windowMs: number;
  maxKeys?: number;
}

export class RateLimit {
  private readonly hits = new Map<string, number[]>();
  private readonly maxKeys: number;

  constructor(
    private readonly clock: () => number,
    readonly options: RateLimitOptions
  ) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Milliseconds until `key` may act again (0: it may now). */
  waitFor(key: string): number {
    const now = this.clock();
    const recent = this.recent(key, now);
    return recent.length < this.options.limit ? 0 : recent[recent.length - this.options.limit] + this.options.windowMs - now;
  }

  /** Count one action of `key` now. */
  take(key: string): void {
    const now = this.clock();
    const recent = this.recent(key, now);
    recent.push(now);
    this.hits.delete(key);
    this.hits.set(key, recent);
    // Least recently active keys go first: Map order is insertion order and take() re-inserts.
    while (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
  }

  private recent(key: string, now: number): number[] {
    return (this.hits.get(key) ?? []).filter((at) => at > now - this.options.windowMs);
  }
}

/** Several limits taken as one: either every key has room and each counts the action, or none does (the wait). */
export function takeEach(limits: Array<[RateLimit, string]>): number {
  const wait = Math.max(0, ...limits.map(([limit, key]) => limit.waitFor(key)));
  if (wait > 0) return wait;
  for (const [limit, key] of limits) limit.take(key);
  return 0;
}
