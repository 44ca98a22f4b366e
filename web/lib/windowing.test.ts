import { describe, expect, it } from 'vitest';
import { edgeScrollStep, indexAt, layoutOffsets, scrollToShow, totalHeight, visibleRange } from './windowing.ts';

const items = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `d${i}` }));

describe('windowing', () => {
  it('lays items out from measured heights, an estimate for the rest, and a gap between them', () => {
    const offsets = layoutOffsets(items(4), new Map([['d1', 50]]), 100, 8);
    expect([...offsets]).toEqual([0, 108, 166, 274, 382]);
    expect(totalHeight(offsets, 8)).toBe(374);
    expect(totalHeight(layoutOffsets([], new Map(), 100, 8), 8)).toBe(0);
  });

  it('renders the items a viewport shows plus the overscan, wherever it is in 10,000', () => {
    const offsets = layoutOffsets(items(10_000), new Map(), 92, 8); // 100 px per item
    expect(visibleRange(offsets, 0, 500, 0)).toEqual({ start: 0, end: 5 });
    expect(visibleRange(offsets, 500_000, 500, 0)).toEqual({ start: 5_000, end: 5_005 });
    expect(visibleRange(offsets, 500_050, 500, 200)).toEqual({ start: 4_998, end: 5_008 });
    expect(visibleRange(offsets, 2_000_000, 500, 0)).toEqual({ start: 9_999, end: 10_000 });
    expect(visibleRange(layoutOffsets([], new Map(), 92, 8), 0, 500, 0)).toEqual({ start: 0, end: 0 });
  });

  it('drops where the pointer passes an item’s middle', () => {
    const offsets = layoutOffsets(items(3), new Map(), 92, 8);
    expect([indexAt(offsets, -10), indexAt(offsets, 40), indexAt(offsets, 60), indexAt(offsets, 160), indexAt(offsets, 999)]).toEqual([0, 0, 1, 2, 3]);
  });

  it('scrolls only as far as needed to show an item', () => {
    const offsets = layoutOffsets(items(100), new Map(), 92, 8);
    expect(scrollToShow(offsets, 3, 8, 0, 0, 500)).toBe(0);
    expect(scrollToShow(offsets, 10, 8, 0, 0, 500)).toBe(1_092 + 8 - 500);
    expect(scrollToShow(offsets, 2, 8, 20, 1_000, 500)).toBe(212);
  });

  it('scrolls faster the nearer a drag comes to an edge, and not at all in the middle', () => {
    expect(edgeScrollStep(500, 0, 1_000)).toBe(0);
    expect(edgeScrollStep(990, 0, 1_000)).toBeGreaterThan(edgeScrollStep(960, 0, 1_000));
    expect(edgeScrollStep(960, 0, 1_000)).toBeGreaterThan(0);
    expect(edgeScrollStep(5, 0, 1_000)).toBeLessThan(edgeScrollStep(40, 0, 1_000));
    expect(edgeScrollStep(40, 0, 1_000)).toBeLessThan(0);
  });
});
