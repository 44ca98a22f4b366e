import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { addDeal, initBoard, readDeal, readStages } from '$shared/board-doc.ts';
import { readContacts } from '$shared/contacts-doc.ts';
import { BoardStore } from '../board-store.svelte.ts';
import DealPanel from './DealPanel.svelte';

function storeWithDeal() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: [{ name: 'Lead in', probability: 10, outcome: 'open' }] });
  const dealId = addDeal(doc, readStages(doc)[0].id, { title: 'Bravo', value: 3000 });
  const contactsDoc = new Y.Doc();
  return { doc, contactsDoc, dealId, store: new BoardStore(doc, contactsDoc) };
}

describe('DealPanel', () => {
  it('is headed with the deal\'s title, and follows a rename', async () => {
    const { dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Bravo');
    await fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Bravo renewal' } });
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Bravo renewal');
    expect(screen.getByRole('heading', { level: 2 }).getAttribute('title')).toBe('Bravo renewal');
  });

  it('shows why a negative value is refused and leaves the doc unchanged', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    const value = screen.getByLabelText('Value');
    await fireEvent.change(value, { target: { value: '-50' } });
    expect(screen.getByRole('alert').textContent).toBe('cannot be negative');
    expect(readDeal(doc, dealId)?.value).toBe(3000);
    await fireEvent.change(value, { target: { value: '4500' } });
    expect(readDeal(doc, dealId)?.value).toBe(4500);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('refuses a value that is not a number, writing nothing', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    await fireEvent.change(screen.getByLabelText('Value'), { target: { value: '' } });
    expect(screen.getByRole('alert').textContent).toMatch(/enter an amount/);
    expect(readDeal(doc, dealId)?.value).toBe(3000);
  });

  it('edits title and tags of the deal', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    await fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Bravo renewal' } });
    await fireEvent.change(screen.getByLabelText(/Tags/), { target: { value: 'renewal, q4' } });
    expect(readDeal(doc, dealId)).toMatchObject({ title: 'Bravo renewal', tags: ['q4', 'renewal'] });
  });

  it('creates a contact by name and links it to the deal', async () => {
    const { doc, contactsDoc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    await fireEvent.change(screen.getByLabelText('Contact'), { target: { value: '__new' } });
    await fireEvent.input(screen.getByLabelText('New contact name'), { target: { value: 'Nina Sharp' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    const [contact] = readContacts(contactsDoc);
    expect(contact.name).toBe('Nina Sharp');
    expect(readDeal(doc, dealId)?.contactId).toBe(contact.id);
    expect((screen.getByLabelText('Contact') as HTMLSelectElement).value).toBe(contact.id);
  });

  it('shows the deal notes under a Notes heading, read-only for a viewer', async () => {
    const { dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, readOnly: true, onclose: () => {} });
    expect(screen.getByRole('heading', { name: 'Notes' })).toBeTruthy();
    const notes = await screen.findByRole('textbox', { name: 'Notes on Bravo' });
    expect(notes.getAttribute('contenteditable')).toBe('false');
  });

  it('closes with Escape', async () => {
    const { dealId, store } = storeWithDeal();
    let closed = 0;
    render(DealPanel, { store, dealId, onclose: () => closed++ });
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(closed).toBe(1);
  });

  it('shows who else has this record open, live', async () => {
    const { store, dealId } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    expect(screen.queryByRole('group', { name: 'Also on this record' })).toBeNull();
    const colleague = new Awareness(new Y.Doc());
    colleague.setLocalState({ user: { id: 'u2', name: 'Sue Support', color: '#0e9384', colorLight: '#0e938433' }, openDealId: dealId });
    applyAwarenessUpdate(store.awareness, encodeAwarenessUpdate(colleague, [colleague.clientID]), 'remote');
    const here = await screen.findByRole('group', { name: 'Also on this record' });
    expect(here.textContent).toContain('SS');
    expect(screen.getByRole('img', { name: 'Sue Support' })).toBeTruthy();
  });

  it('shows a viewer every field but lets them change none, and offers no delete', () => {
    const { store, dealId } = storeWithDeal();
    render(DealPanel, { store, dealId, readOnly: true, onclose: () => {} });
    expect(screen.getByLabelText('Title').matches(':disabled')).toBe(true);
    expect(screen.getByLabelText('Value').matches(':disabled')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Delete deal' })).toBeNull();
  });

  it('reads "12k" as 12,000 and shows it before saving; refuses hex and exponents', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, locale: 'en-US', onclose: () => {} });
    const value = screen.getByLabelText('Value') as HTMLInputElement;
    expect(value.value).toBe('3,000');
    await fireEvent.input(value, { target: { value: '12k' } });
    expect(screen.getByRole('status').textContent).toBe('= $12,000');
    expect(readDeal(doc, dealId)?.value).toBe(3000);
    await fireEvent.change(value);
    expect(readDeal(doc, dealId)?.value).toBe(12000);
    expect(value.value).toBe('12,000');
    for (const [typed, reason] of [['0x1F', /hexadecimal/], ['1e9', /no exponents/]] as const) {
      await fireEvent.input(value, { target: { value: typed } });
      await fireEvent.change(value);
      expect(screen.getByRole('alert').textContent).toMatch(reason);
      expect(readDeal(doc, dealId)?.value).toBe(12000);
    }
  });

  it('reads amounts the German way in a de-DE locale', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, locale: 'de-DE', onclose: () => {} });
    const value = screen.getByLabelText('Value');
    await fireEvent.input(value, { target: { value: '5.000,50' } });
    await fireEvent.change(value);
    expect(readDeal(doc, dealId)?.value).toBe(5000.5);
  });

  it('writes the close date once, when the person leaves the field, not on every keystroke', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    let writes = 0;
    doc.on('update', () => writes++);
    const close = screen.getByLabelText('Expected close date') as HTMLInputElement;
    // What a browser's date field reports while 03/15/2027 is typed segment by segment.
    for (const partial of ['2027-03-01', '2027-03-15', '0002-03-15', '0202-03-15', '2027-03-15']) {
      await fireEvent.input(close, { target: { value: partial } });
      await fireEvent.change(close);
    }
    expect(writes).toBe(0);
    await fireEvent.blur(close);
    expect(readDeal(doc, dealId)?.expectedCloseDate).toBe('2027-03-15');
    expect(writes).toBe(1);
    await fireEvent.blur(close);
    expect(writes).toBe(1);
  });

  it('refuses an impossible close date, says so and keeps the old one', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealPanel, { store, dealId, onclose: () => {} });
    const close = screen.getByLabelText('Expected close date') as HTMLInputElement;
    await fireEvent.input(close, { target: { value: '2027-01-15' } });
    await fireEvent.keyDown(close, { key: 'Enter' });
    expect(readDeal(doc, dealId)?.expectedCloseDate).toBe('2027-01-15');
    let writes = 0;
    doc.on('update', () => writes++);
    // A browser shows 02/30/2026 as typed but reports an empty value with badInput set.
    await fireEvent.input(close, { target: { value: '' } });
    Object.defineProperty(close, 'validity', { configurable: true, value: { badInput: true } });
    await fireEvent.blur(close);
    expect(screen.getByRole('alert').textContent).toBe('not a real date; the close date is unchanged');
    expect(readDeal(doc, dealId)?.expectedCloseDate).toBe('2027-01-15');
    expect(writes).toBe(0);
    // Emptying the field on purpose clears the date.
    Object.defineProperty(close, 'validity', { configurable: true, value: { badInput: false } });
    await fireEvent.blur(close);
    expect(readDeal(doc, dealId)?.expectedCloseDate).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
