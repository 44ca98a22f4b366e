import { describe, expect, it } from 'vitest';
import { moneyFigure } from './pipeline-stats.ts';

describe('moneyFigure', () => {
  it('shows amounts under a million exactly', () => {
    expect(moneyFigure(999_999, 'USD')).toEqual({ shown: '$999,999', exact: '$999,999' });
    expect(moneyFigure(0, 'EUR')).toEqual({ shown: '€0', exact: '€0' });
  });

  it('shows a million and up compactly, keeping the exact figure', () => {
    expect(moneyFigure(1_000_253_543, 'USD')).toEqual({ shown: '$1.0B', exact: '$1,000,253,543' });
    expect(moneyFigure(600_152_126, 'EUR')).toEqual({ shown: '€600.2M', exact: '€600,152,126' });
    expect(moneyFigure(1_000_000, 'USD').shown).toBe('$1.0M');
  });

  it('follows the locale', () => {
    expect(moneyFigure(1_000_253_543, 'EUR', 'de-DE').shown).toBe('1,0\u00a0Mrd.\u00a0€');
  });
});
