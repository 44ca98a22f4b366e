import { describe, expect, it } from 'vitest';
import type { Deal } from '$shared/board-doc.ts';
import { NO_FILTERS } from './presence.ts';
import { countLabel, countMatching, hasFilters, matchesFilters, tagsInUse } from './filters.ts';

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

describe('filtered column figures', () => {
  it('says "4 of 12" while filtering and just the count otherwise', () => {
    expect(countLabel(4, 12, true)).toBe('4 of 12');
    expect(countLabel(0, 3, true)).toBe('0 of 3');
    expect(countLabel(12, 12, false)).toBe('12');
  });

  it('counts matching deals across every column, contact names included', () => {
    const columns = new Map([
      ['s1', [deal({ id: 'a', title: 'Acme renewal' }), deal({ id: 'b', title: 'Other', contactId: 'c1' })]],
      ['s2', [deal({ id: 'c', title: 'Globex' })]]
    ]);
    const contactName = (d: Deal) => (d.contactId === 'c1' ? 'Acme buyer' : null);
    expect(countMatching(columns, { ...NO_FILTERS, query: 'acme' }, contactName)).toBe(2);
    expect(countMatching(columns, { ...NO_FILTERS, query: 'initech' }, contactName)).toBe(0);
    expect(countMatching(columns, NO_FILTERS, contactName)).toBe(3);
  });
});
