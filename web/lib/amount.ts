/** A money amount typed by a person ("12000", "12,000.50", " 900 "), or null when it is not a number. */
export function readAmount(text: string): number | null {
  const cleaned = text.replace(/[\s,]/g, '');
  if (cleaned === '') return null;
  const amount = Number(cleaned);
  return Number.isFinite(amount) ? amount : null;
}

export const AMOUNT_HINT = 'enter an amount, like 12000';
