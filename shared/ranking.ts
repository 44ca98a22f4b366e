import { generateKeyBetween } from 'fractional-indexing';

/** Anything placed in a column: ordered by rank, then id, so equal ranks (two concurrent inserts) still give one total order. */
export interface Ranked {
  id: string;
  rank: string;
}

export function compareRanked(a: Ranked, b: Ranked): number {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A rank that sorts after `before` and before `after` (either may be missing: start or end of the column).
 * `column` is the sorted column, used when two neighbours share a rank, which happens after concurrent inserts.
 */
export function rankBetween(before: Ranked | undefined, after: Ranked | undefined, column: readonly Ranked[] = []): string {
  const low = before?.rank ?? null;
  let high = after?.rank ?? null;
  if (low !== null && high !== null && low >= high) {
    // Neighbours tie on rank: go just past the tie, towards the next distinct rank in the column.
    high = column.map((item) => item.rank).find((rank) => rank > low) ?? null;
  }
  return generateKeyBetween(low, high);
}

/** Rank for the end of a sorted column. */
export function rankAtEnd(column: readonly Ranked[]): string {
  return rankBetween(column.at(-1), undefined, column);
}
