import { describe, expect, it } from 'vitest';
import { Throttle } from './throttle.ts';

describe('login throttle', () => {
  it('lets the free attempts through, then doubles the wait per failure up to the cap', () => {
    let now = 0;
    const throttle = new Throttle(() => now, { freeAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      throttle.fail('ann');
      waits.push(throttle.waitFor('ann'));
    }
    expect(waits).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000]);
    now += 5_000;
    expect(throttle.waitFor('ann')).toBe(3_000);
    expect(throttle.waitFor('bob')).toBe(0);
    throttle.succeed('ann');
    expect(throttle.waitFor('ann')).toBe(0);
  });

  it('forgets idle keys and keeps at most maxKeys', () => {
    let now = 0;
    const throttle = new Throttle(() => now, { freeAttempts: 0, baseDelayMs: 1_000, forgetAfterMs: 10_000, maxKeys: 2 });
    throttle.fail('a');
    throttle.fail('b');
    throttle.fail('c');
    expect(throttle.waitFor('a')).toBe(0);
    expect(throttle.waitFor('c')).toBe(1_000);
    now += 20_000;
    throttle.fail('d');
    expect(throttle.waitFor('b')).toBe(0);
  });
});
