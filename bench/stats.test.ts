import { describe, expect, it } from 'vitest';
import { bestPeer, formatValue, holds, markdownTable, percentile, ratio, summarize, type Row } from './stats.ts';

describe('bench arithmetic', () => {
  it('takes percentiles by nearest rank, whatever the order of the samples', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 90)).toBe(9);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize(samples)).toEqual({ n: 10, p50: 5, p95: 10, p99: 10, max: 10 });
  });

  it('compares Lanes with the best peer in the direction that is better', () => {
    expect(bestPeer([12, 8, undefined], 'lower')).toBe(8);
    expect(bestPeer([400, 100], 'higher')).toBe(400);
    expect(bestPeer([undefined, Number.NaN], 'lower')).toBeUndefined();
    expect(ratio(6, 8)).toBe(0.75);
    expect(ratio(6, undefined)).toBeUndefined();
    expect(holds({ kind: 'ratio-at-most', value: 0.8 }, 6, 8)).toBe(true);
    expect(holds({ kind: 'ratio-at-most', value: 0.8 }, 7, 8)).toBe(false);
    expect(holds({ kind: 'below', value: 150 }, 160, undefined)).toBe(false);
    expect(holds({ kind: 'above', value: 20 }, 30, undefined)).toBe(true);
    expect(holds({ kind: 'below', value: 300 }, undefined, 100)).toBeUndefined();
    expect(holds({ kind: 'none' }, 3, 4)).toBeUndefined();
  });

  it('formats figures to what the noise allows', () => {
    expect(formatValue(2.456, 'ms')).toBe('2.46 ms');
    expect(formatValue(41.04, 'ms')).toBe('41 ms');
    expect(formatValue(236.4, 'ms')).toBe('236 ms');
    expect(formatValue(10_030, '')).toBe('10,030');
    expect(formatValue(undefined, 'ms')).toBe('–');
  });

  it('prints each system, the ratio to the best peer, the target and whether it holds', () => {
    const rows: Row[] = [
      { measure: 'fan-out p99, 10 clients', unit: 'ms', better: 'lower', target: { kind: 'ratio-at-most', value: 0.8 }, values: { Lanes: 4, Ref: 5.8, Hocus: 6.6 } },
      { measure: 'cold load', note: 'peers are memory only', unit: 'ms', better: 'lower', target: { kind: 'below', value: 300 }, values: { Lanes: 450 } }
    ];
    expect(markdownTable(rows, { lanes: ['Lanes'], peers: ['Ref', 'Hocus'] }).split('\n')).toEqual([
      '| measure | Lanes | Ref | Hocus | Lanes ÷ best peer | target | holds |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| fan-out p99, 10 clients | 4 ms | 5.8 ms | 6.6 ms | ×0.69 | ≤ 0.8 × best peer | yes |',
      '| cold load (peers are memory only) | 450 ms | – | – | – | < 300 ms | no |'
    ]);
  });

  it('gives each Lanes storage its own ratio and verdict', () => {
    const rows: Row[] = [{ measure: 'CPU', unit: 'µs', better: 'lower', target: { kind: 'ratio-at-most', value: 1 }, values: { PGlite: 20, Postgres: 15, Ref: 17 } }];
    expect(markdownTable(rows, { lanes: ['PGlite', 'Postgres'], peers: ['Ref'] }).split('\n').at(-1)).toBe('| CPU | 20 µs | 15 µs | 17 µs | ×1.18 | ×0.88 | ≤ best peer | no / yes |');
  });
});
