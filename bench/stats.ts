/**
 * The arithmetic and the report of `npm run bench`: percentiles, Lanes' ratio to the best peer, whether a target
 * holds, and the markdown table. Pure functions, so bench/stats.test.ts checks them without running a server.
 */

/** The p-th percentile (0–100) of samples, by the nearest-rank method; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : Number.NaN
  };
}

/** Whether a smaller or a larger figure is better for a measure. */
export type Better = 'lower' | 'higher';

/** A target for Lanes' figure: an absolute bound, or a bound relative to the best peer's figure. */
export type Target = { kind: 'below'; value: number } | { kind: 'above'; value: number } | { kind: 'ratio-at-most'; value: number } | { kind: 'none' };

/** The best of the peers' figures (the lowest or highest that was measured), or undefined when none was. */
export function bestPeer(peers: ReadonlyArray<number | undefined>, better: Better): number | undefined {
  const measured = peers.filter((value): value is number => value !== undefined && Number.isFinite(value));
  if (measured.length === 0) return undefined;
  return better === 'lower' ? Math.min(...measured) : Math.max(...measured);
}

/** Lanes' figure divided by the best peer's (1.25 = 25 % more than the best peer), or undefined. */
export function ratio(lanes: number | undefined, best: number | undefined): number | undefined {
  if (lanes === undefined || best === undefined || !Number.isFinite(lanes) || !Number.isFinite(best) || best === 0) return undefined;
  return lanes / best;
}

/** Whether Lanes' figure meets its target: true, false, or undefined when it cannot be told (no figure, no target). */
export function holds(target: Target, lanes: number | undefined, best: number | undefined): boolean | undefined {
  if (lanes === undefined || !Number.isFinite(lanes)) return undefined;
  switch (target.kind) {
    case 'below':
      return lanes < target.value;
    case 'above':
      return lanes >= target.value;
    case 'ratio-at-most': {
      const r = ratio(lanes, best);
      return r === undefined ? undefined : r <= target.value;
    }
    case 'none':
      return undefined;
  }
}

export function describeTarget(target: Target, unit: string): string {
  switch (target.kind) {
    case 'below':
      return `< ${formatValue(target.value, unit)}`;
    case 'above':
      return `≥ ${formatValue(target.value, unit)}`;
    case 'ratio-at-most':
      return target.value === 1 ? '≤ best peer' : `≤ ${target.value} × best peer`;
    case 'none':
      return '';
  }
}

/** A figure with its unit, rounded to what the machine's noise allows (3 significant digits, at most 1 decimal place above 10). */
export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

/** One row of the comparison: a measure, each system's figure, the target for Lanes. */
export interface Row {
  measure: string;
  unit: string;
  better: Better;
  target: Target;
  /** Figures by system label; a missing system was not measured (or has no such figure, say cold load on a memory-only peer). */
  values: Record<string, number | undefined>;
  /** A short note printed after the measure (how it was measured, why a cell is empty). */
  note?: string;
}

export interface Columns {
  lanes: string[];
  peers: string[];
}

/** The markdown table: one column per system, then for each Lanes system its ratio to the best peer, the target and whether it holds. */
export function markdownTable(rows: readonly Row[], columns: Columns): string {
  const ratioHeads = columns.lanes.length > 1 ? columns.lanes.map((label) => `${label} ÷ best peer`) : ['Lanes ÷ best peer'];
  const head = ['measure', ...columns.lanes, ...columns.peers, ...ratioHeads, 'target', 'holds'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    const best = bestPeer(
      columns.peers.map((label) => row.values[label]),
      row.better
    );
    const verdicts = columns.lanes.map((label) => holds(row.target, row.values[label], best));
    const cells = [
      row.note ? `${row.measure} (${row.note})` : row.measure,
      ...columns.lanes.map((label) => formatValue(row.values[label], row.unit)),
      ...columns.peers.map((label) => formatValue(row.values[label], row.unit)),
      ...columns.lanes.map((label) => {
        const r = ratio(row.values[label], best);
        return r === undefined ? '–' : `×${r.toFixed(2)}`;
      }),
      describeTarget(row.target, row.unit),
      verdicts.every((verdict) => verdict === undefined) ? '' : verdicts.map((verdict) => (verdict === undefined ? '–' : verdict ? 'yes' : 'no')).join(' / ')
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
