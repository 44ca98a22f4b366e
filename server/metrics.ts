import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the gauges read at scrape time; `Rooms` is one. */
export interface MetricsSource {
  readonly connectionCount: number;
  readonly loadedCount: number;
  readonly writer: { readonly pendingCount: number };
  readonly items: { readonly used: number };
}

/** Events per second over the last `windowSeconds` whole seconds, from per-second buckets (no timers). */
export class RateWindow {
  private readonly buckets: number[];
  private lastSecond: number;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly windowSeconds = 10
  ) {
    this.buckets = new Array(windowSeconds).fill(0);
    this.lastSecond = Math.floor(clock() / 1000);
  }

  add(count = 1): void {
    this.advance();
    this.buckets[this.lastSecond % this.windowSeconds] += count;
  }

  /** The average rate over the window. */
  perSecond(): number {
    this.advance();
    return this.buckets.reduce((sum, value) => sum + value, 0) / this.windowSeconds;
  }

  private advance(): void {
    const now = Math.floor(this.clock() / 1000);
    for (let second = this.lastSecond + 1; second <= Math.min(now, this.lastSecond + this.windowSeconds); second++) {
      this.buckets[second % this.windowSeconds] = 0;
    }
    this.lastSecond = Math.max(this.lastSecond, now);
  }
}

/**
 * The server's Prometheus metrics, in a registry of its own (tests run several apps in one process). Counters only
 * count; rates per second come from Prometheus' rate() over them. Gauges read the live state when scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesIn: Counter;
  readonly updatesIn: Counter;
  readonly updatesOut: Counter;
  readonly messagesRejected: Counter<'code'>;
  readonly writeSeconds: Histogram;
  readonly writeFailures: Counter;
  private source: MetricsSource | null = null;
  private readonly inRate: RateWindow;
  private readonly outRate: RateWindow;

  constructor(clock: () => number = Date.now) {
    const registers = [this.registry];
    this.inRate = new RateWindow(clock);
    this.outRate = new RateWindow(clock);
    // Also as ready-made rates, for a look at /metrics without Prometheus (with it, rate() over the counters is better).
    const inRate = this.inRate;
    const outRate = this.outRate;
    new Gauge({
      name: 'lanes_updates_in_per_second',
      help: 'Doc updates accepted per second, averaged over the last 10 s',
      registers,
      collect() {
        this.set(inRate.perSecond());
      }
    });
    new Gauge({
      name: 'lanes_updates_out_per_second',
      help: 'Doc update messages sent per second, averaged over the last 10 s',
      registers,
      collect() {
        this.set(outRate.perSecond());
      }
    });
    this.gauge('lanes_connections', 'Live sync sockets', (source) => source.connectionCount);
    this.gauge('lanes_rooms_loaded', 'Rooms (docs) held in memory', (source) => source.loadedCount);
    this.gauge('lanes_doc_items', 'Items (structs) held by every loaded doc, counted against MAX_TOTAL_ITEMS', (source) => source.items.used);
    this.gauge('lanes_pending_writes', 'Updates accepted but not yet stored in the update log', (source) => source.writer.pendingCount);
    this.messagesIn = new Counter({ name: 'lanes_messages_in_total', help: 'WebSocket messages received from clients (any kind, valid or not)', registers });
    this.updatesIn = new Counter({ name: 'lanes_updates_in_total', help: 'Doc updates accepted from clients', registers });
    this.updatesOut = new Counter({ name: 'lanes_updates_out_total', help: 'Doc update messages sent to clients', registers });
    this.messagesRejected = new Counter({
      name: 'lanes_messages_rejected_total',
      help: 'Sockets closed for a refused message (bad input, read-only, too large), by close code',
      labelNames: ['code'],
      registers
    });
    this.writeSeconds = new Histogram({
      name: 'lanes_write_seconds',
      help: 'Time to commit one batch of updates to the update log',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    });
    this.writeFailures = new Counter({ name: 'lanes_write_failures_total', help: 'Update log writes that failed (and will be retried)', registers });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Attach the live state the gauges report (the app's Rooms). */
  watch(source: MetricsSource): void {
    this.source = source;
  }

  updateIn(): void {
    this.updatesIn.inc();
    this.inRate.add();
  }

  updateOut(): void {
    this.updatesOut.inc();
    this.outRate.add();
  }

  rejected(code: number): void {
    this.messagesRejected.inc({ code: String(code) });
  }

  private gauge(name: string, help: string, pick: (source: MetricsSource) => number): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: () => {
        if (this.source) gauge.set(pick(this.source));
      }
    });
  }

  /** The exposition text for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
