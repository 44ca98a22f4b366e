import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import * as Y from 'yjs';
import { addDeal, initBoard, readColumn, readDeal, readStages } from '$shared/board-doc.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
import { NO_FILTERS } from '../presence.ts';
import { BoardStore } from '../board-store.svelte.ts';
import Board from './Board.svelte';

function boardWithDeals() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  const stages = readStages(doc);
  const ids = {
    a: addDeal(doc, stages[0].id, { title: 'Alpha', value: 1000 }, { position: 'bottom' }),
    b: addDeal(doc, stages[0].id, { title: 'Bravo', value: 3000 }, { position: 'bottom' }),
    c: addDeal(doc, stages[3].id, { title: 'Charlie', value: 5000 }, { position: 'bottom' })
  };
  const store = new BoardStore(doc, new Y.Doc());
  return { doc, stages, ids, store };
}

const column = (name: string) => screen.getByRole('region', { name });
const card = (container: HTMLElement, dealId: string) => container.querySelector<HTMLElement>(`[data-deal-id="${dealId}"]`)!;

describe('Board', () => {
  it('renders one column per stage with its count, total and probability-weighted total', () => {
    const { store } = boardWithDeals();
    render(Board, { store });
    expect(screen.getAllByRole('region').map((region) => region.getAttribute('aria-label'))).toEqual(DEFAULT_STAGES.map((stage) => stage.name));
    const lead = within(column('Lead in'));
    expect(lead.getByTitle('Deals').textContent).toBe('2');
    expect(lead.getByTitle(/^Total value/).textContent).toBe('$4,000');
    expect(lead.getByTitle(/Weighted by 10%/).textContent).toContain('$400');
    const proposal = within(column('Proposal'));
    expect(proposal.getByTitle('Deals').textContent).toBe('1');
    expect(proposal.getByTitle(/Weighted by 60%/).textContent).toContain('$3,000');
    expect(within(column('Won')).getByTitle('Deals').textContent).toBe('0');
  });

  it('moves a card to the next column from the keyboard: Space, ArrowRight, Space', async () => {
    const { doc, stages, ids, store } = boardWithDeals();
    const { container } = render(Board, { store });
    card(container, ids.a).focus();
    await fireEvent.keyDown(card(container, ids.a), { key: ' ' });
    expect(screen.getByTestId('move-announcement').textContent).toMatch(/Picked up Alpha/);
    expect(readDeal(doc, ids.a)?.stageId).toBe(stages[0].id); // nothing written until the drop
    await fireEvent.keyDown(card(container, ids.a), { key: 'ArrowRight' });
    await fireEvent.keyDown(card(container, ids.a), { key: ' ' });
    expect(readDeal(doc, ids.a)?.stageId).toBe(stages[1].id);
    await tick();
    await tick();
    expect(within(column('Qualified')).getByText('Alpha')).toBeTruthy();
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe(ids.a);
  });

  it('reorders within a column with ArrowDown, and Escape cancels without writing', async () => {
    const { doc, stages, ids, store } = boardWithDeals();
    const { container } = render(Board, { store });
    await fireEvent.keyDown(card(container, ids.a), { key: ' ' });
    await fireEvent.keyDown(card(container, ids.a), { key: 'ArrowDown' });
    await fireEvent.keyDown(card(container, ids.a), { key: 'Enter' });
    expect(readColumn(doc, stages[0].id).map((deal) => deal.title)).toEqual(['Bravo', 'Alpha']);
    const before = Y.encodeStateVector(doc);
    await fireEvent.keyDown(card(container, ids.c), { key: ' ' });
    await fireEvent.keyDown(card(container, ids.c), { key: 'ArrowLeft' });
    await fireEvent.keyDown(card(container, ids.c), { key: 'Escape' });
    expect(Y.encodeStateVector(doc)).toEqual(before);
    expect(readDeal(doc, ids.c)?.stageId).toBe(stages[3].id);
  });

  it('shows a remote change without any local action', async () => {
    const { doc, stages, store } = boardWithDeals();
    render(Board, { store });
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    addDeal(remote, stages[5].id, { title: 'Signed by a colleague', value: 700 });
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)), 'remote');
    await tick();
    expect(within(column('Won')).getByText('Signed by a colleague')).toBeTruthy();
    expect(within(column('Won')).getByTitle('Deals').textContent).toBe('1');
  });

  it('moves a card dropped on another column with the mouse, writing once on drop', async () => {
    const { doc, stages, ids, store } = boardWithDeals();
    const { container } = render(Board, { store });
    const dragData = new Map<string, string>();
    const dataTransfer = { setData: (type: string, value: string) => dragData.set(type, value), getData: (type: string) => dragData.get(type) ?? '' };
    await fireEvent.dragStart(card(container, ids.b), { dataTransfer });
    await fireEvent.dragOver(column('Proposal'), { dataTransfer });
    expect(readDeal(doc, ids.b)?.stageId).toBe(stages[0].id);
    await fireEvent.drop(column('Proposal'), { dataTransfer });
    expect(readColumn(doc, stages[3].id).map((deal) => deal.title)).toEqual(['Bravo', 'Charlie']);
  });

  it('accepts a dragged card the moment it enters a column or a card in it, before any dragover', async () => {
    const { ids, store } = boardWithDeals();
    const { container } = render(Board, { store });
    const dataTransfer = { setData: () => undefined, getData: () => '', dropEffect: 'none' };
    await fireEvent.dragStart(card(container, ids.b), { dataTransfer });
    // A drop follows the last dragenter or dragover; one left uncancelled makes the browser refuse the drop.
    expect(await fireEvent.dragEnter(card(container, ids.c), { dataTransfer })).toBe(false);
    expect(await fireEvent.dragEnter(column('Proposal'), { dataTransfer })).toBe(false);
    expect(dataTransfer.dropEffect).toBe('move');
  });

  it('adds a deal at the top of a column from its Add deal form', async () => {
    const { doc, stages, store } = boardWithDeals();
    render(Board, { store });
    await fireEvent.click(screen.getByRole('button', { name: 'Add deal to Lead in' }));
    await fireEvent.input(screen.getByLabelText('Deal title'), { target: { value: 'Fresh lead' } });
    await fireEvent.input(screen.getByLabelText('Deal value'), { target: { value: '2500' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add deal' }));
    expect(readColumn(doc, stages[0].id)[0]).toMatchObject({ title: 'Fresh lead', value: 2500 });
  });
});

describe('Board figures follow what it shows', () => {
  /** Seven deals: two about analytics, three in Lead in, one each in Won and Lost. */
  function boardOfSeven() {
    const doc = new Y.Doc();
    initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
    const stages = readStages(doc);
    const add = (stage: number, title: string, value: number) => addDeal(doc, stages[stage].id, { title, value }, { position: 'bottom', now: 0 });
    const ids = {
      analytics: add(0, 'Analytics suite', 1000),
      crm: add(0, 'CRM rollout', 2000),
      support: add(0, 'Support plan', 4000),
      moreAnalytics: add(3, 'Analytics add-on', 500),
      training: add(3, 'Training', 300),
      won: add(5, 'Signed renewal', 9000),
      lost: add(6, 'Lost pilot', 700)
    };
    return { doc, stages, ids, store: new BoardStore(doc, new Y.Doc()) };
  }

  it('counts and sums only the matching deals while filtering: "1 of 3", and fades the rest in place', () => {
    const { ids, store } = boardOfSeven();
    const { container } = render(Board, { store, filters: { ...NO_FILTERS, query: 'analytics' } });
    const lead = within(column('Lead in'));
    expect(lead.getByTitle(/^Deals matching/).textContent).toBe('1 of 3');
    expect(lead.getByTitle(/^Total value/).textContent).toBe('$1,000');
    expect(lead.getByTitle(/Weighted by 10%/).textContent).toContain('$100');
    expect(within(column('Proposal')).getByTitle(/^Deals matching/).textContent).toBe('1 of 2');
    expect(within(column('Won')).getByTitle(/^Deals matching/).textContent).toBe('0 of 1');
    expect(within(column('Won')).getByTitle(/^Total value/).textContent).toBe('$0');
    // The phone's stage switcher counts the same way.
    const switcher = within(screen.getByRole('navigation', { name: 'Stages' }));
    expect(switcher.getByRole('button', { name: /^Lead in/ }).textContent?.trim()).toBe('Lead in 1 of 3');
    // Non-matching cards stay where they are, faded, so positions mean the same on every screen.
    expect(card(container, ids.crm).classList.contains('muted')).toBe(true);
    expect(card(container, ids.analytics).classList.contains('muted')).toBe(false);
    expect(screen.queryByText(/No deals match/)).toBeNull();
  });

  it('says when nothing matches, and its Clear filter button asks to clear the filter', async () => {
    const { store } = boardOfSeven();
    let cleared = 0;
    const { rerender } = render(Board, { store, filters: { ...NO_FILTERS, query: ' acme ' }, onclearfilters: () => cleared++ });
    expect(screen.getByRole('status').textContent).toMatch(/No deals match “acme”\./);
    await fireEvent.click(screen.getByRole('button', { name: 'Clear filter' }));
    expect(cleared).toBe(1);
    await rerender({ store, filters: NO_FILTERS, onclearfilters: () => cleared++ });
    expect(screen.queryByText(/No deals match/)).toBeNull();
    expect(within(column('Lead in')).getByTitle('Deals').textContent).toBe('3');
  });

  it('names the filter in general words for an owner or tag, and offers Clear filter only with a handler', () => {
    const { store } = boardOfSeven();
    render(Board, { store, filters: { ...NO_FILTERS, tag: 'nothing-has-this' } });
    expect(screen.getByText(/No deals match the filter\./)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Clear filter' })).toBeNull(); // no handler, no button that does nothing
  });

  it('shows huge totals compactly, the exact figure on hover and to screen readers', () => {
    const { doc, stages, store } = boardOfSeven();
    addDeal(doc, stages[3].id, { title: 'Mega deal', value: 1_000_252_743 }, { now: 0 });
    render(Board, { store });
    const total = within(column('Proposal')).getByTitle(/^Total value/);
    expect(total.getAttribute('title')).toBe('Total value: $1,000,253,543');
    expect(total.querySelector('[aria-hidden="true"]')?.textContent).toBe('$1.0B');
    expect(total.querySelector('.visually-hidden')?.textContent).toBe('$1,000,253,543');
    const weighted = within(column('Proposal')).getByTitle(/Weighted by 60%/);
    expect(weighted.getAttribute('title')).toBe('Weighted by 60% win probability: $600,152,126');
    expect(weighted.querySelector('[aria-hidden="true"]')?.textContent).toBe('$600.2M');
  });

  it('clamps a long card title, keeping the full title on hover and in the card\'s name', () => {
    const { doc, stages, store } = boardOfSeven();
    const title = 'Enterprise analytics platform '.repeat(6).trim();
    const id = addDeal(doc, stages[0].id, { title, value: 10 });
    const { container } = render(Board, { store });
    const shown = card(container, id).querySelector<HTMLElement>('.title')!;
    expect(shown.getAttribute('title')).toBe(title);
    expect(shown.textContent).toBe(title);
    expect(card(container, id).textContent).toContain(title);
  });

  it('shows no idle badge on closed deals: Won and Lost never rot', () => {
    const { ids, store } = boardOfSeven();
    const { container } = render(Board, { store, now: 39 * 86_400_000 });
    expect(card(container, ids.crm).querySelector('[title="Days since last activity"]')?.textContent).toBe('39d idle');
    expect(card(container, ids.won).querySelector('[title="Days since last activity"]')).toBeNull();
    expect(card(container, ids.lost).querySelector('[title="Days since last activity"]')).toBeNull();
    expect(card(container, ids.won).textContent).not.toMatch(/idle|today/);
  });
});
