import { afterEach, describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import * as Y from 'yjs';
import { addDeal, initBoard, readStages } from '$shared/board-doc.ts';
import { boardRoom } from '$shared/rooms.ts';
import { BoardStore, type DocLink } from '../board-store.svelte.ts';
import { keepFirstPage, keptFirstPage, showsFirstPage } from '../first-page.ts';
import { cacheResponse, clearOfflineData, lastFirstPage } from '../offline.ts';
import FirstPage from './FirstPage.svelte';

/** Ann's board with 20 deals in Lead in and one in Won. */
function annsBoard() {
  const doc = new Y.Doc();
  initBoard(doc, {
    pipelineId: 'p1',
    workspaceId: 'w',
    name: 'Sales',
    stages: [
      { name: 'Lead in', probability: 10, outcome: 'open' },
      { name: 'Won', probability: 100, outcome: 'won' }
    ]
  });
  const [lead, won] = readStages(doc);
  for (let i = 0; i < 20; i++) addDeal(doc, lead.id, { title: `Deal ${i}`, value: 1_000, ownerId: 'ann' });
  addDeal(doc, won.id, { title: 'Signed', value: 7_000 });
  return doc;
}

/** A link that has not synced yet: the doc is still on its way. */
const loading = (): DocLink => ({ onStatus: (listener) => listener('connecting'), onSynced: () => {}, destroy: () => {} });

const signedIn = (id: string) => cacheResponse('/api/me', { user: { id, name: id, email: `${id}@example.com` }, workspaces: [] });

afterEach(async () => {
  await clearOfflineData();
  document.body.innerHTML = '';
});

describe('the first page kept on this device', () => {
  it('is kept from the synced board, per user and room, and painted read-only with the whole columns’ figures', () => {
    signedIn('ann');
    const live = new BoardStore(annsBoard(), new Y.Doc());
    expect(keepFirstPage(live, 'ann', 'p1', (id) => (id === 'ann' ? 'Ann Lee' : null))).toBe(true);
    expect(lastFirstPage('bob', boardRoom('p1'))).toBeNull();
    expect(keptFirstPage('p2')).toBeNull();
    const kept = keptFirstPage('p1')!;
    expect(kept.userId).toBe('ann');

    render(FirstPage, { page: kept.page, now: Date.now() });
    const lead = screen.getByRole('region', { name: 'Lead in' });
    expect(within(lead).getByTitle('Deals').textContent).toBe('20');
    expect(within(lead).getByTitle(/^Total value/).textContent).toBe('$20,000');
    const cards = within(lead).getAllByRole('listitem');
    expect(cards.length).toBeLessThan(20);
    expect(cards[0].getAttribute('aria-setsize')).toBe('20');
    // In board order: the live board's first cards, as many as fit a windowed column's first screen.
    const liveLead = live.columns.get(live.stages[0].id)!;
    expect(cards.map((card) => card.querySelector('[data-first-page-deal]')!.getAttribute('data-first-page-deal'))).toEqual(liveLead.slice(0, cards.length).map((deal) => deal.id));
    expect(within(cards[0]).getByText('owner Ann Lee')).toBeTruthy();
    // Nothing to press, pick up or drop: pictures of cards (not the live board's), no add button, and a busy board.
    expect(document.querySelectorAll('[data-first-page-deal]').length).toBeGreaterThan(0);
    for (const card of document.querySelectorAll('[data-first-page-deal]')) expect(card.getAttribute('draggable')).toBe('false');
    expect(document.querySelectorAll('[data-deal-id], [data-first-page-deal][tabindex]')).toHaveLength(0);
    expect(screen.queryByRole('button', { name: /Add deal/ })).toBeNull();
    expect(document.querySelector('[data-first-page]')!.getAttribute('aria-busy')).toBe('true');
    live.destroy();
  });

  it('is never kept from a board that has not synced with the server', () => {
    const doc = annsBoard();
    const store = new BoardStore(doc, new Y.Doc(), [loading(), loading()]);
    expect(keepFirstPage(store, 'ann', 'p1')).toBe(false);
    expect(lastFirstPage('ann', boardRoom('p1'))).toBeNull();
    store.destroy();
  });

  it('shows until the doc is there, then gives way to the live board for good', () => {
    signedIn('ann');
    const synced = new BoardStore(annsBoard(), new Y.Doc());
    keepFirstPage(synced, 'ann', 'p1');
    synced.destroy();
    const kept = keptFirstPage('p1');
    expect(showsFirstPage(kept, null)).toBe(true);
    const doc = new Y.Doc();
    const store = new BoardStore(doc, new Y.Doc(), [loading(), loading()]);
    expect(showsFirstPage(kept, store)).toBe(true);
    // The doc arrives (this device's copy or the server's): the live board replaces the page, synced or not.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(annsBoard()));
    expect(showsFirstPage(kept, store)).toBe(false);
    expect(showsFirstPage(null, null)).toBe(false);
    store.destroy();
  });

  it('is cleared on logout with the rest of the offline data', async () => {
    signedIn('ann');
    const live = new BoardStore(annsBoard(), new Y.Doc());
    keepFirstPage(live, 'ann', 'p1');
    live.destroy();
    expect(keptFirstPage('p1')).not.toBeNull();
    await clearOfflineData();
    expect(lastFirstPage('ann', boardRoom('p1'))).toBeNull();
    expect(keptFirstPage('p1')).toBeNull();
  });
});
