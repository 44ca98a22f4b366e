import { describe, expect, it } from 'vitest';
import { chooseColor, colorFor, PALETTE, type ColorClaim } from './presence-colors.ts';

/** WCAG 2.x contrast ratio of a #rrggbb color against white. */
function contrastOnWhite(hex: string): number {
  const channel = (index: number) => {
    const value = parseInt(hex.slice(index, index + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05);
}

const claim = (clientId: number, userId: string, color: string, claimedAt: number): ColorClaim => ({ clientId, userId, color, claimedAt });

describe('presence colors', () => {
  it('are sixteen different colors, each readable as a name on white and behind white initials (4.5:1)', () => {
    expect(new Set(PALETTE).size).toBe(16);
    for (const color of PALETTE) expect(contrastOnWhite(color), color).toBeGreaterThanOrEqual(4.5);
  });

  it('start from the same color for the same user id', () => {
    expect(colorFor('user-1')).toEqual(colorFor('user-1'));
    expect(colorFor('user-1').colorLight).toBe(`${colorFor('user-1').color}33`);
  });

  it('keep a color nobody else holds', () => {
    expect(chooseColor(claim(1, 'ann', PALETTE[3], 10), [claim(2, 'bob', PALETTE[4], 5)])).toBe(PALETTE[3]);
  });

  it('move the later claim to a color nobody holds when two people hold the same one', () => {
    const ann = claim(1, 'ann', PALETTE[3], 10);
    const bob = claim(2, 'bob', PALETTE[3], 20);
    expect(chooseColor(ann, [bob])).toBe(PALETTE[3]);
    const moved = chooseColor(bob, [ann]);
    expect(moved).not.toBe(PALETTE[3]);
    expect(PALETTE).toContain(moved);
  });

  it('settle a tie in claim time by client id, the same way on both sides', () => {
    const ann = claim(7, 'ann', PALETTE[0], 10);
    const bob = claim(3, 'bob', PALETTE[0], 10);
    expect(chooseColor(bob, [ann])).toBe(PALETTE[0]);
    expect(chooseColor(ann, [bob])).not.toBe(PALETTE[0]);
  });

  it('give a second tab of the same person the first tab’s color, not a new one', () => {
    const first = claim(1, 'ann', PALETTE[5], 10);
    const second = claim(2, 'ann', PALETTE[9], 20);
    expect(chooseColor(second, [first, claim(3, 'bob', PALETTE[6], 15)])).toBe(PALETTE[5]);
    expect(chooseColor(first, [second])).toBe(PALETTE[5]);
  });

  it('when all sixteen are taken, share the least-used color rather than move for nothing', () => {
    const others = PALETTE.map((color, index) => claim(index + 10, `user-${index}`, color, index));
    const late = claim(99, 'late', PALETTE[0], 100);
    // Every color is used once by others: moving would not make anything more distinct.
    expect(chooseColor(late, others)).toBe(PALETTE[0]);
    // Only PALETTE[2] is free and the latecomer's color is held by someone earlier: it moves there.
    const withoutTwo = others.filter((other) => other.color !== PALETTE[2]);
    expect(chooseColor(claim(99, 'late', PALETTE[1], 100), withoutTwo)).toBe(PALETTE[2]);
  });
});
