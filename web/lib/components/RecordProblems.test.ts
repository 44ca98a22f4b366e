import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import * as Y from 'yjs';
import { addDeal, initBoard, readStages } from '$shared/board-doc.ts';
import { addContact, initContacts } from '$shared/contacts-doc.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
import { BoardStore } from '../board-store.svelte.ts';
import Board from './Board.svelte';

/** A board as the incident left it, plus every other kind of bad entry, each written with raw Y calls. */
function brokenBoard() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  const stages = readStages(doc);
  const good = {
    alpha: addDeal(doc, stages[0].id, { title: 'Alpha', value: 1000 }),
    bravo: addDeal(doc, stages[0].id, { title: 'Bravo', value: 3000 }),
    charlie: addDeal(doc, stages[3].id, { title: 'Charlie', value: 5000 })
  };
  const deals = doc.getMap<unknown>('deals');
  const broken = (title: string, change: (deal: Y.Map<unknown>) => void) => {
    const id = addDeal(doc, stages[1].id, { title, value: 10 });
    change(deals.get(id) as Y.Map<unknown>);
    return id;
  };
  const bad = {
    numberTitle: broken('Number title', (deal) => deal.set('title', 42)),
    stringValue: broken('String value', (deal) => deal.set('value', 'a lot')),
    nanValue: broken('NaN value', (deal) => deal.set('value', NaN)),
    noStage: broken('No such stage', (deal) => deal.set('stageId', 'no-such-stage')),
    noRank: broken('No rank', (deal) => deal.delete('rank')),
    tagsNotMap: broken('Tags not a map', (deal) => deal.set('tags', ['vip'])),
    unknownField: broken('Unknown field', (deal) => deal.set('color', 'red')),
    notAMap: 'string-deal'
  };
  deals.set(bad.notAMap, 'a plain string');
  // The first stage's probability as a string: the stage cannot be shown, its deals neither.
  (doc.getArray<Y.Map<unknown>>('stages').get(6) as Y.Map<unknown>).set('probability', 'NaN');
  const contacts = new Y.Doc();
  initContacts(contacts, 'w');
  addContact(contacts, { name: 'Ana' });
  contacts.getMap<unknown>('contacts').set('bad-contact', 7);
  return { doc, stages, good, bad, store: new BoardStore(doc, contacts) };
}

const columnNames = () => screen.getAllByRole('region').map((region) => region.getAttribute('aria-label'));

describe('a board holding records that break the schema', () => {
  it('renders every valid stage and deal, counts the rest in a notice, and never shows NaN', { timeout: 30_000 }, () => {
    const { store, good } = brokenBoard();
    const { container } = render(Board, { store });
    expect(columnNames()).toEqual(DEFAULT_STAGES.slice(0, 6).map((stage) => stage.name));
    for (const id of Object.values(good)) expect(container.querySelector(`[data-deal-id="${id}"]`)).not.toBeNull();
    expect(container.querySelectorAll('[data-deal-id]')).toHaveLength(3);
    // 8 bad deals, 1 bad stage, 1 bad contact
    expect(screen.getByTestId('record-problems').textContent).toContain('10 records could not be shown');
    expect(container.textContent).not.toMatch(/NaN/);
    const lead = within(screen.getByRole('region', { name: 'Lead in' }));
    expect(lead.getByTitle(/^Total value/).textContent).toBe('$4,000');
    expect(within(screen.getByRole('region', { name: 'Qualified' })).getByTitle('Deals').textContent).toBe('0');
    // A member sees the notice, but not the list.
    expect(screen.queryByRole('button', { name: 'Review' })).toBeNull();
  });

  it('lets an admin see each bad record with its reason, repair it where a default is obvious, or remove it', { timeout: 30_000 }, async () => {
    const { store, bad, doc, stages } = brokenBoard();
    const { container } = render(Board, { store, admin: true });
    await fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    const dialog = within(screen.getByRole('dialog', { name: 'Records that could not be shown' }));
    expect(dialog.getByText(`deals.${bad.numberTitle}.title`)).toBeTruthy();
    expect(dialog.getByText(`deals.${bad.stringValue}.value`).nextElementSibling?.textContent).toBe('must be a number');
    expect(dialog.getByText(`deals.${bad.noStage}.stageId`).nextElementSibling?.textContent).toBe('must name a stage of this board');
    expect(dialog.getByText(`deals.${bad.notAMap}`).nextElementSibling?.textContent).toBe('must be a Y.Map');
    expect(dialog.getByText('stages.6.probability')).toBeTruthy();
    expect(dialog.getByText('contacts.bad-contact')).toBeTruthy();
    // A plain string has no obvious repair: only Remove.
    expect(dialog.queryByRole('button', { name: `Repair deals.${bad.notAMap}` })).toBeNull();

    await fireEvent.click(dialog.getByRole('button', { name: `Remove deals.${bad.notAMap}` }));
    await fireEvent.click(dialog.getByRole('button', { name: `Repair deals.${bad.numberTitle}` }));
    await fireEvent.click(dialog.getByRole('button', { name: `Repair deals.${bad.noStage}` }));
    await fireEvent.click(dialog.getByRole('button', { name: `Repair deals.${bad.stringValue}` }));
    await tick();
    expect(doc.getMap('deals').has(bad.notAMap)).toBe(false);
    const qualified = within(screen.getByRole('region', { name: 'Qualified' }));
    expect(qualified.getByText('42')).toBeTruthy();
    expect(container.querySelector(`[data-deal-id="${bad.noStage}"]`)?.closest('section')?.getAttribute('data-stage-id')).toBe(stages[0].id);
    expect(container.querySelector(`[data-deal-id="${bad.stringValue}"]`)).not.toBeNull();
    expect(screen.getByTestId('record-problems').textContent).toContain('6 records could not be shown');
  });

  it('shows why a degraded board is read-only, with a repair button for admins', { timeout: 30_000 }, async () => {
    const { store } = brokenBoard();
    let repaired = 0;
    render(Board, {
      store,
      admin: true,
      onrepairall: async () => {
        repaired++;
        return 'Repaired 9 and removed 1 records.';
      }
    });
    // The room's state comes from the server's awareness client, not this tab's: put it there.
    const server = new Y.Doc();
    const { Awareness, encodeAwarenessUpdate, applyAwarenessUpdate } = await import('y-protocols/awareness');
    const serverAwareness = new Awareness(server);
    serverAwareness.setLocalState({ degraded: { reason: 'meta.schemaVersion must be 2' } });
    applyAwarenessUpdate(store.awareness, encodeAwarenessUpdate(serverAwareness, [server.clientID]), 'server');
    await tick();
    expect(store.readOnly).toBe(true);
    expect(screen.getByRole('alert').textContent).toContain('read-only until an admin repairs it');
    expect(screen.getByRole('alert').textContent).toContain('meta.schemaVersion must be 2');
    expect(screen.queryByRole('button', { name: /Add deal/ })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Repair now' }));
    await tick();
    expect(repaired).toBe(1);
    expect(screen.getByText('Repaired 9 and removed 1 records.')).toBeTruthy();
  });
});
