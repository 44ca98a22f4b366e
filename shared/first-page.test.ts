import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, initBoard, readColumns, readStages } from './board-doc.ts';
import { addContact } from './contacts-doc.ts';
import { FIRST_PAGE_CARDS, parseFirstPage, readCheckedFirstPage, readFirstPage } from './first-page.ts';

function board() {
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
  return { doc, stages: readStages(doc) };
}

describe('a board’s first page', () => {
  it('has every column’s full count and sums but only its first cards, in board order', () => {
    const { doc, stages } = board();
    for (let i = 0; i < 30; i++) addDeal(doc, stages[0].id, { title: `Deal ${i}`, value: 100 * (i + 1) });
    addDeal(doc, stages[1].id, { title: 'Closed', value: 5_000 });
    const page = readFirstPage(doc, null);
    expect(page.name).toBe('Sales');
    expect(page.columns.map((column) => column.stage.name)).toEqual(['Lead in', 'Won']);
    const [lead, won] = page.columns;
    expect(lead.count).toBe(30);
    expect(lead.total).toBe((100 * 30 * 31) / 2);
    expect(lead.weighted).toBe(Math.round(lead.total / 10));
    expect(lead.deals.map((deal) => deal.id)).toEqual(readColumns(doc).get(stages[0].id)!.slice(0, FIRST_PAGE_CARDS).map((deal) => deal.id));
    expect(won).toMatchObject({ count: 1, total: 5_000, weighted: 5_000 });
    expect(parseFirstPage(JSON.parse(JSON.stringify(page)))).toEqual(page);
  });

  it('skips deals that break the schema, as the live board does, and names the cards’ contacts', () => {
    const { doc, stages } = board();
    const contacts = new Y.Doc();
    const contactId = addContact(contacts, { name: 'Grace Hopper' });
    addDeal(doc, stages[0].id, { title: 'Named', value: 10, contactId });
    const broken = new Y.Map<unknown>();
    doc.getMap('deals').set('broken', broken);
    broken.set('id', 'broken');
    broken.set('stageId', stages[0].id);
    broken.set('value', 'lots');
    const page = readFirstPage(doc, contacts);
    expect(page.columns[0]).toMatchObject({ count: 1, total: 10 });
    expect(page.contactNames).toEqual({ [contactId]: 'Grace Hopper' });
  });

  it('reads the same page from a checked doc without reading every deal whole', () => {
    const { doc, stages } = board();
    const contacts = new Y.Doc();
    const contactId = addContact(contacts, { name: 'Ada' });
    for (let i = 0; i < 40; i++) addDeal(doc, stages[i % 2].id, { title: `Deal ${i}`, value: 10 * i, currency: i % 3 ? 'EUR' : 'USD', contactId: i % 5 ? null : contactId });
    expect(readCheckedFirstPage(doc, contacts)).toEqual(readFirstPage(doc, contacts));
  });

  it('refuses a kept or served page that is damaged or of another version', () => {
    const { doc, stages } = board();
    addDeal(doc, stages[0].id, { title: 'One', value: 1 });
    const page = JSON.parse(JSON.stringify(readFirstPage(doc, null)));
    expect(parseFirstPage({ ...page, version: 0 })).toBeNull();
    expect(parseFirstPage({ ...page, columns: [{ ...page.columns[0], count: -1 }] })).toBeNull();
    expect(parseFirstPage('<html>')).toBeNull();
    // A card the page could not show: a currency no formatter knows, tags that are not a list.
    const card = page.columns[0].deals[0];
    expect(parseFirstPage({ ...page, columns: [{ ...page.columns[0], deals: [{ ...card, currency: 'XXXX' }] }] })).toBeNull();
    expect(parseFirstPage({ ...page, columns: [{ ...page.columns[0], deals: [{ ...card, tags: 'vip' }] }] })).toBeNull();
    expect(parseFirstPage({ ...page, mainCurrency: 'ZZZ' })).toBeNull();
  });
});
