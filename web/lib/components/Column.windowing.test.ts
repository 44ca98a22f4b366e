import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import * as Y from 'yjs';
import { generateNKeysBetween } from 'fractional-indexing';
import { initBoard, readDeal, readStages } from '$shared/board-doc.ts';
import { BoardStore } from '../board-store.svelte.ts';
import Board from './Board.svelte';

/** One long column (`count` deals in Lead in) and one short one (Won: 2 deals), written as a stock client would. */
function longColumnBoard(count: number) {
  const doc = new Y.Doc();
  initBoard(doc, {
    pipelineId: 'p',
    workspaceId: 'w',
    name: 'Sales',
    stages: [
      { name: 'Lead in', probability: 10, outcome: 'open' },
      { name: 'Won', probability: 100, outcome: 'won' }
    ]
  });
  const [lead, won] = readStages(doc).map((stage) => stage.id);
  const ranks = generateNKeysBetween(null, null, count + 2);
  doc.transact(() => {
    for (let i = 0; i < count + 2; i++) {
      const id = `deal-${i}`;
      const map = new Y.Map<unknown>();
      doc.getMap('deals').set(id, map);
      const fields = { id, title: i % 3 === 0 ? `Acme order ${i}` : `Deal ${i}`, value: 100, currency: 'USD', stageId: i < count ? lead : won, rank: ranks[i], contactId: null, ownerId: null, expectedCloseDate: null, createdAt: 1, updatedAt: 1, lastActivityAt: 1 };
      for (const [key, value] of Object.entries(fields)) map.set(key, value);
      map.set('tags', new Y.Map());
      map.set('notes', new Y.Text());
    }
  });
  return { doc, lead, won, store: new BoardStore(doc, new Y.Doc()) };
}

const list = (name: string) => screen.getByRole('list', { name: `Deals in ${name}` });
const items = (name: string) => within(list(name)).getAllByRole('listitem');
const positions = (name: string) => items(name).map((item) => Number(item.getAttribute('aria-posinset')));
const scroller = (name: string) => list(name).closest<HTMLElement>('[data-column-scroller]')!;

async function scrollColumn(name: string, top: number) {
  const box = scroller(name);
  box.scrollTop = top;
  await fireEvent.scroll(box);
  await tick();
}

// Building 10,000-deal boards takes seconds on a busy machine: this is not a timing test.
describe('a windowed column', { timeout: 60_000 }, () => {
  it('renders only the cards near the viewport of a 10,000-deal column, each with its place in the whole list', () => {
    const { store } = longColumnBoard(10_000);
    render(Board, { store });
    const shown = items('Lead in');
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(40);
    expect(positions('Lead in')).toEqual(shown.map((_, i) => i + 1));
    for (const item of shown) expect(item.getAttribute('aria-setsize')).toBe('10000');
    expect(items('Won').map((item) => item.getAttribute('aria-setsize'))).toEqual(['2', '2']);
    // The header still counts every deal, not just the rendered ones.
    expect(within(screen.getByRole('region', { name: 'Lead in' })).getByTitle('Deals').textContent).toBe('10000');
    // The padding stands in for the rest: the list is as tall as all its cards.
    expect(parseFloat(list('Lead in').style.paddingBottom)).toBeGreaterThan(9_000 * 50);
  });

  it('scrolling brings the cards at that place into the DOM, and only those', async () => {
    const { store } = longColumnBoard(10_000);
    render(Board, { store });
    const topBefore = parseFloat(list('Lead in').style.paddingTop);
    expect(topBefore).toBe(0);
    await scrollColumn('Lead in', 5_000 * 108);
    const shown = positions('Lead in');
    expect(shown.length).toBeLessThan(40);
    expect(shown[0]).toBeGreaterThan(4_900);
    expect(shown.at(-1)).toBeLessThan(5_100);
    expect(shown).toContain(5_001);
    const first = items('Lead in')[0];
    expect(within(first).getByRole('button', { name: new RegExp(`^(Acme order|Deal) ${shown[0] - 1}\\b`) })).toBeTruthy();
    expect(parseFloat(list('Lead in').style.paddingTop)).toBeGreaterThan(4_900 * 100);
  });

  it('keeps the focused card in the DOM, and focused, when the column scrolls far away from it', async () => {
    const { store } = longColumnBoard(10_000);
    const { container } = render(Board, { store });
    const card = container.querySelector<HTMLElement>('[data-deal-id="deal-1"]')!;
    card.focus();
    await scrollColumn('Lead in', 8_000 * 108);
    expect(document.activeElement).toBe(card);
    expect(card.isConnected).toBe(true);
    expect(positions('Lead in')).toContain(2);
    expect(positions('Lead in')).toContain(8_001);
    // Placed where it is in the column, not in the window's flow.
    expect(card.closest<HTMLElement>('[role="listitem"]')!.style.top).toBe(`${108}px`);
  });

  it('walks the column from the keyboard: ArrowDown to the next card, End to the last of 10,000, Home back', async () => {
    const { store } = longColumnBoard(10_000);
    const { container } = render(Board, { store });
    const first = container.querySelector<HTMLElement>('[data-deal-id="deal-0"]')!;
    first.focus();
    await fireEvent.keyDown(first, { key: 'ArrowDown' });
    await tick();
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe('deal-1');
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await tick();
    await tick();
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe('deal-9999');
    expect(document.activeElement?.closest('[role="listitem"]')?.getAttribute('aria-posinset')).toBe('10000');
    expect(items('Lead in').length).toBeLessThan(40);
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    await tick();
    await tick();
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe('deal-0');
  });

  it('a card carried by the keyboard down a long column keeps its drop place rendered and lands there', async () => {
    const { doc, store, lead } = longColumnBoard(2_000);
    const { container } = render(Board, { store });
    const card = container.querySelector<HTMLElement>('[data-deal-id="deal-0"]')!;
    card.focus();
    await fireEvent.keyDown(card, { key: ' ' });
    for (let i = 0; i < 40; i++) await fireEvent.keyDown(card, { key: 'ArrowDown' });
    expect(screen.getByTestId('move-announcement').textContent).toBe('Lead in, position 41 of 2000.');
    const line = list('Lead in').querySelector('.drop-line');
    expect(line?.closest('[role="listitem"]')?.getAttribute('aria-posinset')).toBe('42');
    await fireEvent.keyDown(card, { key: ' ' });
    await tick();
    await tick();
    expect(readDeal(doc, 'deal-0')?.stageId).toBe(lead);
    expect(store.columns.get(lead)!.findIndex((deal) => deal.id === 'deal-0')).toBe(40);
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe('deal-0');
  });

  it('counts every match of a filter, rendered or not, and fades only what does not match', async () => {
    const { store } = longColumnBoard(10_000);
    const { rerender } = render(Board, { store });
    await rerender({ store, filters: { query: 'acme', ownerId: null, tag: null } });
    expect(within(screen.getByRole('region', { name: 'Lead in' })).getByTitle('Deals matching the filter, of all deals').textContent).toBe('3334 of 10000');
    await scrollColumn('Lead in', 6_000 * 108);
    for (const item of items('Lead in')) {
      const card = item.querySelector<HTMLElement>('[data-deal-id]')!;
      expect(card.classList.contains('muted'), card.textContent!).toBe(!card.textContent!.includes('Acme'));
    }
  });
});
