import { describe, expect, it } from 'vitest';
import { compareRanked, rankAtEnd, rankBetween } from './ranking.ts';

describe('ranking between neighbours', () => {
  it('sorts a new rank strictly between its neighbours', () => {
    const a = { id: 'a', rank: rankBetween(undefined, undefined) };
    const c = { id: 'c', rank: rankBetween(a, undefined) };
    const b = { id: 'b', rank: rankBetween(a, c) };
    expect([c, b, a].sort(compareRanked).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it('goes before the first and after the last', () => {
    const only = { id: 'x', rank: 'a0' };
    expect(rankBetween(undefined, only) < 'a0').toBe(true);
    expect(rankAtEnd([only]) > 'a0').toBe(true);
  });

  it('breaks rank ties by id and still finds room after a tie', () => {
    const column = [
      { id: 'p', rank: 'a1' },
      { id: 'q', rank: 'a1' },
      { id: 'r', rank: 'a3' }
    ].sort(compareRanked);
    expect(column.map((x) => x.id)).toEqual(['p', 'q', 'r']);
    const rank = rankBetween(column[0], column[1], column);
    expect(rank > 'a1' && rank < 'a3').toBe(true);
  });

  it('keeps finding room after many inserts at the same spot', () => {
    let low = { id: 'low', rank: rankBetween(undefined, undefined) };
    const high = { id: 'high', rank: rankBetween(low, undefined) };
    for (let i = 0; i < 200; i++) {
      const mid = { id: `m${i}`, rank: rankBetween(low, high) };
      expect(mid.rank > low.rank && mid.rank < high.rank).toBe(true);
      low = mid;
    }
  });
});
