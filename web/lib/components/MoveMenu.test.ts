import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import * as Y from 'yjs';
import { addDeal, initBoard, readColumn, readDeal, readStages } from '$shared/board-doc.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
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
  return { doc, stages, ids, store: new BoardStore(doc, new Y.Doc()) };
}

/** Counts the transactions that change the doc: a move must be one. */
function countWrites(doc: Y.Doc) {
  const writes = { count: 0 };
  doc.on('update', () => writes.count++);
  return writes;
}

describe('Move to stage menu (touch and narrow screens)', () => {
  it('moves a deal to the top of the stage picked, in one write, and says so', async () => {
    const { doc, stages, ids, store } = boardWithDeals();
    render(Board, { store });
    const writes = countWrites(doc);
    await fireEvent.click(screen.getByRole('button', { name: 'Move Alpha to another stage' }));
    const sheet = screen.getByRole('dialog', { name: 'Move to stage' });
    const here = within(sheet).getByRole('button', { name: 'Lead in (here now)' });
    expect(here.matches(':disabled')).toBe(true);
    expect(here.getAttribute('aria-current')).toBe('true');
    expect(writes.count).toBe(0); // opening the menu writes nothing
    await fireEvent.click(within(sheet).getByRole('button', { name: 'Proposal' }));
    expect(readColumn(doc, stages[3].id).map((deal) => deal.title)).toEqual(['Alpha', 'Charlie']);
    expect(readDeal(doc, ids.a)?.stageId).toBe(stages[3].id);
    expect(writes.count).toBe(1);
    expect(screen.queryByRole('dialog', { name: 'Move to stage' })).toBeNull();
    expect(screen.getByTestId('move-announcement').textContent).toBe('Moved Alpha to Proposal.');
    await tick();
    expect(document.activeElement?.getAttribute('data-deal-id')).toBe(ids.a);
  });

  it('Escape and Cancel close the menu without writing, back on its button', async () => {
    const { doc, store } = boardWithDeals();
    render(Board, { store });
    const writes = countWrites(doc);
    const button = screen.getByRole('button', { name: 'Move Bravo to another stage' });
    await fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    // The first stage it can go to has focus, so a keyboard or switch user starts in the list.
    expect(document.activeElement?.textContent?.trim()).toBe('Qualified');
    await fireEvent.keyDown(screen.getByRole('dialog', { name: 'Move to stage' }), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(button);
    await fireEvent.click(button);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(writes.count).toBe(0);
  });

  it('is not offered on a read-only board', () => {
    const { store } = boardWithDeals();
    store.readOnly = true;
    render(Board, { store });
    expect(screen.queryByRole('button', { name: /^Move / })).toBeNull();
  });
});

describe('Stage switcher (phones show one stage at a time)', () => {
  it('lists every stage with its deal count and marks the one shown; a tap shows another', async () => {
    const { store } = boardWithDeals();
    render(Board, { store });
    const switcher = within(screen.getByRole('navigation', { name: 'Stages' }));
    const choices = switcher.getAllByRole('button');
    expect(choices.map((choice) => choice.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Lead in 2',
      'Qualified 0',
      'Demo 0',
      'Proposal 1',
      'Negotiation 0',
      'Won 0',
      'Lost 0'
    ]);
    expect(switcher.getByRole('button', { current: true }).textContent).toMatch(/Lead in/);
    await fireEvent.click(switcher.getByRole('button', { name: /^Proposal/ }));
    expect(switcher.getByRole('button', { current: true }).textContent).toMatch(/Proposal/);
  });

  it('follows a card carried by the keyboard into another stage, and its counts follow moves', async () => {
    const { ids, store } = boardWithDeals();
    const { container } = render(Board, { store });
    const card = container.querySelector<HTMLElement>(`[data-deal-id="${ids.a}"]`)!;
    await fireEvent.keyDown(card, { key: ' ' });
    await fireEvent.keyDown(card, { key: 'ArrowRight' });
    const switcher = within(screen.getByRole('navigation', { name: 'Stages' }));
    expect(switcher.getByRole('button', { current: true }).textContent).toMatch(/Qualified/);
    await fireEvent.keyDown(card, { key: ' ' });
    await tick();
    expect(switcher.getByRole('button', { name: /^Lead in/ }).textContent).toMatch(/1/);
    expect(switcher.getByRole('button', { name: /^Qualified/ }).textContent).toMatch(/1/);
  });
});
