import { describe, expect, it } from 'vitest';
import { RateWindow } from './metrics.ts';

describe('rate window', () => {
  it('averages events per second over the last 10 s and forgets older ones', () => {
    let now = 1_000_000;
    const rate = new RateWindow(() => now, 10);
    for (let second = 0; second < 10; second++) {
      rate.add(30);
      now += 1_000;
    }
    expect(rate.perSecond()).toBe(27);
    now += 5_000;
    expect(rate.perSecond()).toBe(12);
    now += 60_000;
    expect(rate.perSecond()).toBe(0);
  });
});
