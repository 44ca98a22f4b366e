import type { Deal } from '$shared/board-doc.ts';
import type { BoardFilters } from './presence.ts';

export function hasFilters(filters: BoardFilters): boolean {
  return Boolean(filters.query.trim() || filters.ownerId || filters.tag);
}

/** Does a deal match the filter bar? Text matches the title or the contact's name, case-insensitively. */
export function matchesFilters(deal: Deal, filters: BoardFilters, contactName: string | null): boolean {
  const query = filters.query.trim().toLowerCase();
  if (query && !deal.title.toLowerCase().includes(query) && !(contactName ?? '').toLowerCase().includes(query)) return false;
  if (filters.ownerId && deal.ownerId !== filters.ownerId) return false;
  if (filters.tag && !deal.tags.includes(filters.tag)) return false;
  return true;
}

/** Every tag in use on the board, sorted, for the filter bar. */
export function tagsInUse(columns: Map<string, Deal[]>): string[] {
  const tags = new Set<string>();
  for (const deals of columns.values()) for (const deal of deals) for (const tag of deal.tags) tags.add(tag);
  return [...tags].sort((a, b) => a.localeCompare(b));
}

/** The column header's count: "4 of 12" while filtering (how many match of how many there are), else "12". */
export function countLabel(matching: number, total: number, filtering: boolean): string {
  return filtering ? `${matching} of ${total}` : String(total);
}

/** How many deals on the whole board match the filter bar: none means the board says so and offers to clear it. */
export function countMatching(columns: Map<string, Deal[]>, filters: BoardFilters, contactName: (deal: Deal) => string | null): number {
  let count = 0;
  for (const deals of columns.values()) for (const deal of deals) if (matchesFilters(deal, filters, contactName(deal))) count++;
  return count;
}
