import type { Deal, Stage } from './board-doc.ts';

export interface ColumnSummary {
  count: number;
  total: number;
  /** total × the stage's win probability: what the column is expected to bring in. */
  weighted: number;
}

/** Sums per column. Values in different currencies are added as they are; the board shows the main currency. */
export function summarizeColumn(stage: Stage, deals: ReadonlyArray<Pick<Deal, 'value'>>): ColumnSummary {
  // Readers pass only valid deals and stages; a number that is not finite still never turns a total into NaN.
  const finite = (value: number) => (Number.isFinite(value) ? value : 0);
  const total = deals.reduce((sum, deal) => sum + finite(deal.value), 0);
  return { count: deals.length, total, weighted: Math.round((total * finite(stage.probability)) / 100) };
}

const DAY = 86_400_000;

export function daysSince(timestamp: number, now: number): number {
  return Math.max(0, Math.floor((now - timestamp) / DAY));
}

/** Freshness of a deal: idle deals are what a pipeline review asks about first. */
export type Freshness = 'fresh' | 'idle' | 'stale';

export function freshness(deal: Deal, now: number): Freshness {
  const days = daysSince(deal.lastActivityAt, now);
  return days >= 14 ? 'stale' : days >= 7 ? 'idle' : 'fresh';
}

/**
 * Number formats by kind, locale and currency, made once: building an Intl.NumberFormat costs far more than using
 * one, and a board formats every card's value and every column's sums on each render.
 */
const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(kind: 'exact' | 'compact', locale: string, currency: string): Intl.NumberFormat {
  const key = `${kind} ${locale} ${currency}`;
  let format = formats.get(key);
  if (!format) {
    format =
      kind === 'exact'
        ? new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 0 })
        : new Intl.NumberFormat(locale, { style: 'currency', currency, notation: 'compact', minimumFractionDigits: 1, maximumFractionDigits: 1 });
    formats.set(key, format);
  }
  return format;
}

export function formatMoney(value: number, currency: string, locale = 'en-US'): string {
  return numberFormat('exact', locale, currency).format(value);
}

/** From a million up, a column header shows "$1.0B" instead of "$1,000,253,543": it must fit beside the weighted figure. */
export const COMPACT_FROM = 1_000_000;

export interface MoneyFigure {
  /** What the header shows: compact from COMPACT_FROM up, else the exact amount. */
  shown: string;
  /** The exact amount, for hover and for screen readers. */
  exact: string;
}

export function moneyFigure(value: number, currency: string, locale = 'en-US'): MoneyFigure {
  const exact = formatMoney(value, currency, locale);
  if (Math.abs(value) < COMPACT_FROM) return { shown: exact, exact };
  return { shown: numberFormat('compact', locale, currency).format(value), exact };
}
