import { describe, expect, it } from 'vitest';
import { takeAll, Throttle } from './throttle.ts';

describe('login throttle', () => {
  it('lets the free attempts through, then doubles the wait per attempt up to the cap', () => {
    let now = 0;
    const throttle = new Throttle(() => now, { freeAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 });
    const waits: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      throttle.take('ann');
      waits.push(throttle.waitFor('ann'));
    }
    expect(waits).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 8_000]);
    now += 5_000;
    expect(throttle.waitFor('ann')).toBe(3_000);
    expect(throttle.waitFor('bob')).toBe(0);
    throttle.succeed('ann');
    expect(throttle.waitFor('ann')).toBe(0);
  });

  it('counts an attempt before its outcome is known, so a parallel burst gets only the free attempts (+1) through', () => {
    const throttle = new Throttle(() => 0, { freeAttempts: 5 });
    // 61 requests arrive before any password check has finished: each takes its attempt synchronously.
    const admitted = Array.from({ length: 61 }, () => takeAll([[throttle, 'ann']]) === 0).filter(Boolean).length;
    expect(admitted).toBe(6);
  });

  it('takes every key or none, so a refused request does not lengthen anyone’s wait', () => {
    const perAccount = new Throttle(() => 0, { freeAttempts: 1 });
    const perAddress = new Throttle(() => 0, { freeAttempts: 2 });
    takeAll([[perAccount, 'ann'], [perAddress, 'office']]);
    takeAll([[perAccount, 'ann'], [perAddress, 'office']]);
    expect(takeAll([[perAccount, 'ann'], [perAddress, 'office']])).toBeGreaterThan(0);
    // The refused third attempt counted nowhere: the office is still within its 2 free attempts.
    expect(perAddress.waitFor('office')).toBe(0);
    perAddress.giveBack('office');
    takeAll([[perAddress, 'office']]);
    expect(perAddress.waitFor('office')).toBe(0);
  });

  it('never makes anyone wait longer than the cap (a minute by default)', () => {
    const throttle = new Throttle(() => 0, { freeAttempts: 0 });
    for (let attempt = 0; attempt < 200; attempt++) throttle.take('ann');
    expect(throttle.waitFor('ann')).toBe(60_000);
  });

  it('forgets idle keys and keeps at most maxKeys', () => {
    let now = 0;
    const throttle = new Throttle(() => now, { freeAttempts: 0, baseDelayMs: 1_000, forgetAfterMs: 10_000, maxKeys: 2 });
    throttle.take('a');
    throttle.take('b');
    throttle.take('c');
    expect(throttle.waitFor('a')).toBe(0);
    expect(throttle.waitFor('c')).toBe(1_000);
    now += 20_000;
    throttle.take('d');
    expect(throttle.waitFor('b')).toBe(0);
  });
});
