import { describe, expect, it } from 'vitest';
import { formatAmount, parseAmount, writeAmount } from './amount.ts';

const read = (typed: string, locale = 'en-US') => parseAmount(typed, locale);
const amountOf = (typed: string, locale = 'en-US') => {
  const reading = read(typed, locale);
  return reading.ok ? reading.amount : reading.reason;
};

describe('parseAmount reads what people type', () => {
  it.each([
    ['5000', 5000],
    ['$5,000', 5000],
    ['$ 5,000.50', 5000.5],
    ['12k', 12000],
    ['12 K', 12000],
    ['1.5m', 1_500_000],
    ['$1.25M', 1_250_000],
    ['1,234,567', 1_234_567],
    ['12,34,567', 1_234_567],
    ['.5', 0.5],
    ['0', 0],
    ['  900 ', 900],
    ['5000 USD', 5000],
    ['eur 250', 250],
    ['1 200', 1200],
    ['1\u00a0200', 1200]
  ])('"%s" in en-US is %d', (typed, amount) => {
    expect(read(typed)).toEqual({ ok: true, amount });
  });

  it.each([
    ['5.000,50', 5000.5],
    ['5.000', 5000],
    ['€ 1 200', 1200],
    ['1.200 €', 1200],
    ['1,5m', 1_500_000],
    ['12k', 12000],
    ['12,5', 12.5]
  ])('"%s" in de-DE is %d', (typed, amount) => {
    expect(read(typed, 'de-DE')).toEqual({ ok: true, amount });
  });

  it('reads French and Swiss thousands separators', () => {
    expect(amountOf('1 200,50', 'fr-FR')).toBe(1200.5);
    expect(amountOf("CHF 1'200.50", 'de-CH')).toBe(1200.5);
  });

  it.each(['0x1F', '0X10', '1e9', '2E+3', '1e-2'])('refuses "%s" rather than reading it as code would', (typed) => {
    expect(read(typed).ok).toBe(false);
  });

  it.each(['-5', '−5', '$-5', '-$5', '(500)', '5-'])('refuses the negative "%s"', (typed) => {
    expect(read(typed)).toEqual({ ok: false, reason: 'cannot be negative' });
  });

  it.each(['', '   ', '12kk', 'k', 'abc', '1,2,3', '12,5', '1.2.3', '5.000,50', '1,000.000.5', '12..5', '$', '1 2,00', '1,00', '12m k', '12b'])(
    'refuses "%s" in en-US with a hint',
    (typed) => {
      expect(read(typed).ok).toBe(false);
    }
  );

  it('refuses a third decimal without a suffix, naming the separator', () => {
    expect(read('12.345')).toEqual({ ok: false, reason: 'at most 2 decimals; in this locale "." marks cents' });
    expect(read('1.5', 'de-DE').ok).toBe(false);
  });

  it('refuses amounts over a trillion', () => {
    expect(read('2000000m')).toEqual({ ok: false, reason: 'too large' });
    expect(amountOf('1000000m')).toBe(1e12);
  });

  it('keeps cents exact after a suffix', () => {
    expect(amountOf('1.1m')).toBe(1_100_000);
    expect(amountOf('0.29k')).toBe(290);
  });

  it('falls back to en-US separators for an unknown locale', () => {
    expect(amountOf('$5,000', 'not a locale!')).toBe(5000);
  });

  it('writes amounts back the way the locale reads them', () => {
    for (const [amount, locale] of [[12000.5, 'en-US'], [12000.5, 'de-DE'], [1200, 'fr-FR'], [1234567, 'en-IN']] as const) {
      expect(amountOf(writeAmount(amount, locale), locale)).toBe(amount);
    }
    expect(formatAmount(12000, 'USD', 'en-US')).toBe('$12,000');
  });
});
