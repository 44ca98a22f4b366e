import { describe, expect, it } from 'vitest';
import type { Deal } from '$shared/board-doc.ts';
import { NO_FILTERS } from './presence.ts';
import { hasFilters, matchesFilters, tagsInUse } from './filters.ts';

const deal = (fields: Partial<Deal>): Deal => ({
  id: 'd',
  stageId: 's',
  rank: 'a0',
  title: 'Acme renewal',
  value: 0,
  currency: 'EUR',
  contactId: null,
  ownerId: 'u1',
  expectedCloseDate: null,
  tags: ['renewal'],
  createdAt: 0,
  updatedAt: 0,
  lastActivityAt: 0,
  ...fields
});

describe('board filters', () => {
  it('matches title or contact text, owner and tag together', () => {
    expect(hasFilters(NO_FILTERS)).toBe(false);
    expect(matchesFilters(deal({}), NO_FILTERS, null)).toBe(true);
    expect(matchesFilters(deal({}), { ...NO_FILTERS, query: 'ACME' }, null)).toBe(true);
    expect(matchesFilters(deal({}), { ...NO_FILTERS, query: 'globex' }, 'Globex Corp')).toBe(true);
    expect(matchesFilters(deal({}), { ...NO_FILTERS, query: 'globex' }, null)).toBe(false);
    expect(matchesFilters(deal({}), { ...NO_FILTERS, ownerId: 'u2' }, null)).toBe(false);
    expect(matchesFilters(deal({}), { query: 'acme', ownerId: 'u1', tag: 'renewal' }, null)).toBe(true);
    expect(matchesFilters(deal({}), { ...NO_FILTERS, tag: 'upsell' }, null)).toBe(false);
  });

  it('lists the tags in use once, sorted', () => {
    const columns = new Map([['s', [deal({ tags: ['b', 'a'] }), deal({ tags: ['a'] })]]]);
    expect(tagsInUse(columns)).toEqual(['a', 'b']);
  });
});
