import { describe, expect, it } from 'vitest';
import { RateLimit, takeEach } from './rate-limit.ts';

describe('rate limit', () => {
  it('allows `limit` actions per sliding window, then says how long to wait', () => {
    let now = 0;
    const limit = new RateLimit(() => now, { limit: 3, windowMs: 10_000 });
    expect([1, 2, 3, 4].map(() => takeEach([[limit, 'ann']]))).toEqual([0, 0, 0, 10_000]);
    now = 4_000;
    expect(takeEach([[limit, 'ann']])).toBe(6_000);
    expect(takeEach([[limit, 'bob']])).toBe(0);
    now = 10_001;
    expect(takeEach([[limit, 'ann']])).toBe(0);
  });

  it('counts an action against every key or none', () => {
    const perAccount = new RateLimit(() => 0, { limit: 1, windowMs: 1_000 });
    const perAddress = new RateLimit(() => 0, { limit: 5, windowMs: 1_000 });
    expect(takeEach([[perAccount, 'ann'], [perAddress, 'office']])).toBe(0);
    expect(takeEach([[perAccount, 'ann'], [perAddress, 'office']])).toBeGreaterThan(0);
    for (let index = 0; index < 4; index++) expect(takeEach([[perAddress, 'office']])).toBe(0);
  });
});
