import { CURRENCIES } from './deal-fields.ts';

/**
 * Money amounts as people type them ("$5,000", "5.000,50" in German, "12k", "€ 1 200"), read in one place so the
 * add-deal form, the deal panel and any API agree. Hex, exponents and negatives are refused: they are typos or
 * tricks, never how someone writes a deal's value.
 */
export type AmountReading = { ok: true; amount: number } | { ok: false; reason: string };

export const AMOUNT_MAX = 1e12;
export const AMOUNT_HINT = 'enter an amount, like 12,000 or 12k';

const SUFFIXES: Record<string, number> = { k: 1e3, m: 1e6 };
const SYMBOLS = ['$', '€', '£', '¥', 'CHF', 'kr', ...CURRENCIES];
/** Spaces of every width and the Swiss apostrophe separate thousands in any locale. */
const ALWAYS_GROUPING = /[\s\u00a0\u202f'’]/g;
const isAlwaysGrouping = (separator: string) => /^[\s\u00a0\u202f'’]$/.test(separator);

/** The locale's decimal and thousands separators, e.g. "." and "," for en-US, "," and "." for de-DE. */
export function separatorsOf(locale: string): { decimal: string; group: string } {
  let parts: Intl.NumberFormatPart[];
  try {
    parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  } catch {
    parts = new Intl.NumberFormat('en-US').formatToParts(12345.6);
  }
  const decimal = parts.find((part) => part.type === 'decimal')?.value ?? '.';
  const group = parts.find((part) => part.type === 'group')?.value ?? ',';
  return { decimal, group: isAlwaysGrouping(group) ? ' ' : group };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const symbolPattern = SYMBOLS.map(escapeRegExp).join('|');
const LEADING_SYMBOL = new RegExp(`^(?:${symbolPattern})\\s*`, 'i');
const TRAILING_SYMBOL = new RegExp(`\\s*(?:${symbolPattern})$`, 'i');

/** Read a typed amount in `locale` (a BCP 47 tag such as "en-US" or "de-DE"). */
export function parseAmount(typed: string, locale: string): AmountReading {
  let text = typed.trim();
  if (text === '') return { ok: false, reason: AMOUNT_HINT };
  if (/^[-−(]/.test(text) || /[-−)]$/.test(text)) return { ok: false, reason: 'cannot be negative' };
  text = text.replace(LEADING_SYMBOL, '').replace(TRAILING_SYMBOL, '').trim();
  if (/^[-−]/.test(text)) return { ok: false, reason: 'cannot be negative' };
  if (/^0x/i.test(text)) return { ok: false, reason: 'hexadecimal is not an amount; type digits, like 31' };
  if (/\de[+-]?\d/i.test(text)) return { ok: false, reason: 'no exponents; type 1,000,000,000 or 1000m' };

  const suffix = /([km])$/i.exec(text);
  const multiplier = suffix ? SUFFIXES[suffix[1].toLowerCase()] : 1;
  if (suffix) text = text.slice(0, -1).trimEnd();

  const number = readNumber(text, separatorsOf(locale), Boolean(suffix));
  if (!number.ok) return number;
  // Cents are the finest unit; rounding also drops the float noise of 1.1 × 1e6.
  const amount = Math.round(number.amount * multiplier * 100) / 100;
  if (amount > AMOUNT_MAX) return { ok: false, reason: 'too large' };
  return { ok: true, amount };
}

/** Digits with the locale's thousands and decimal separators; groups of three so "1,5" in English is not 15. */
function readNumber(text: string, { decimal, group }: { decimal: string; group: string }, suffixed: boolean): AmountReading {
  const unified = text.replace(ALWAYS_GROUPING, ' ');
  const [whole, fraction, extra] = unified.split(decimal);
  const invalid = { ok: false as const, reason: AMOUNT_HINT };
  if (extra !== undefined || whole === undefined) return invalid;
  // Only one kind of thousands separator at a time: "1 200" or "1,200", not "1 2,00".
  if (group !== ' ' && whole.includes(' ') && whole.includes(group)) return invalid;
  const groups = whole.split(whole.includes(' ') ? ' ' : group);
  if (!(groups.length === 1 ? /^\d*$/.test(whole) && (whole !== '' || fraction !== undefined) : groupedInThousands(groups))) return invalid;
  if (fraction !== undefined && !/^\d+$/.test(fraction)) return invalid;
  if (fraction !== undefined && !suffixed && fraction.length > 2) return { ok: false, reason: `at most 2 decimals; in this locale "${decimal}" marks cents` };
  const amount = Number(`${groups.join('') || '0'}.${fraction ?? '0'}`);
  return Number.isFinite(amount) ? { ok: true, amount } : invalid;
}

/** "1,234,567" or the Indian "12,34,567": the last group three digits, none empty. */
function groupedInThousands(groups: string[]): boolean {
  return /^\d{1,3}$/.test(groups[0]) && groups.slice(1, -1).every((part) => /^\d{2,3}$/.test(part)) && /^\d{3}$/.test(groups.at(-1)!);
}

/** The parsed amount as the person will see it on the board, e.g. "$12,000" or "12.000,50 €". */
export function formatAmount(amount: number, currency: string, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(amount);
  } catch {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(amount);
  }
}

/** An amount written back in the locale's own way, so the field shows what the parser reads back. */
export function writeAmount(amount: number, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(amount);
  } catch {
    return String(amount);
  }
}
