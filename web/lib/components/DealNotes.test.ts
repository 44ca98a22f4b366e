import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { EditorView } from '@codemirror/view';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { addDeal, dealNotes, initBoard, readStages } from '$shared/board-doc.ts';
import { writeV1Board } from '../../../tests/support/board-v1.ts';
import { BoardStore } from '../board-store.svelte.ts';
import { presenceUser } from '../presence.ts';
import DealNotes from './DealNotes.svelte';

function storeWithDeal() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: [{ name: 'Lead in', probability: 10, outcome: 'open' }] });
  const dealId = addDeal(doc, readStages(doc)[0].id, { title: 'Bravo' });
  return { doc, dealId, store: new BoardStore(doc, new Y.Doc()) };
}

const editorOf = (element: HTMLElement) => EditorView.findFromDOM(element)!;

describe('DealNotes', () => {
  it('shows the deal notes in a text box named after the deal', async () => {
    const { doc, dealId, store } = storeWithDeal();
    dealNotes(doc, dealId)!.insert(0, 'Called on Monday');
    render(DealNotes, { store, dealId });
    const box = await screen.findByRole('textbox', { name: 'Notes on Bravo' });
    expect(box.textContent).toBe('Called on Monday');
    expect(screen.getByRole('heading', { name: 'Notes' })).toBeTruthy();
  });

  it('writes typing into the Y.Text and shows a colleague’s typing', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealNotes, { store, dealId });
    const view = editorOf(await screen.findByRole('textbox', { name: 'Notes on Bravo' }));
    view.dispatch({ changes: { from: 0, insert: 'Demo booked.' } });
    expect(dealNotes(doc, dealId)!.toString()).toBe('Demo booked.');
    const colleague = new Y.Doc();
    Y.applyUpdate(colleague, Y.encodeStateAsUpdate(doc));
    dealNotes(colleague, dealId)!.insert(12, ' Ticket closed.');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(colleague, Y.encodeStateVector(doc)), 'remote');
    expect(view.state.doc.toString()).toBe('Demo booked. Ticket closed.');
  });

  it('shows a colleague’s cursor labelled with their name', async () => {
    const { doc, dealId, store } = storeWithDeal();
    dealNotes(doc, dealId)!.insert(0, 'Budget approved');
    render(DealNotes, { store, dealId });
    await screen.findByRole('textbox');
    const colleague = new Y.Doc();
    Y.applyUpdate(colleague, Y.encodeStateAsUpdate(doc));
    const presence = new Awareness(colleague);
    const text = dealNotes(colleague, dealId)!;
    presence.setLocalState({
      user: presenceUser({ id: 'u-ada', name: 'Ada Support' }),
      cursor: { anchor: Y.createRelativePositionFromTypeIndex(text, 0), head: Y.createRelativePositionFromTypeIndex(text, 6) }
    });
    applyAwarenessUpdate(store.awareness, encodeAwarenessUpdate(presence, [colleague.clientID]), 'remote');
    expect(document.querySelector('.cm-ySelectionInfo')?.textContent).toBe('Ada Support');
    expect(document.querySelector('.cm-ySelection')?.textContent).toBe('Budget');
    presence.destroy();
  });

  it('undoes only this user’s typing, not a colleague’s', async () => {
    const { doc, dealId, store } = storeWithDeal();
    render(DealNotes, { store, dealId });
    const view = editorOf(await screen.findByRole('textbox'));
    view.dispatch({ changes: { from: 0, insert: 'mine' } });
    dealNotes(doc, dealId)!.insert(4, ' theirs');
    const mod = navigator.platform.includes('Mac') ? { metaKey: true } : { ctrlKey: true };
    view.contentDOM.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', bubbles: true, cancelable: true, ...mod }));
    expect(dealNotes(doc, dealId)!.toString()).toBe(' theirs');
  });

  it('takes no typing when read-only', async () => {
    const { dealId, store } = storeWithDeal();
    const { rerender } = render(DealNotes, { store, dealId, readOnly: true });
    const box = await screen.findByRole('textbox', { name: 'Notes on Bravo' });
    expect(box.getAttribute('contenteditable')).toBe('false');
    expect(editorOf(box).state.readOnly).toBe(true);
    await rerender({ store, dealId, readOnly: false });
    expect(screen.getByRole('textbox')).toBe(box);
    expect(box.getAttribute('contenteditable')).toBe('true');
  });

  it('renames the text box with the deal, keeping the same editor', async () => {
    const { dealId, store } = storeWithDeal();
    render(DealNotes, { store, dealId });
    const box = await screen.findByRole('textbox', { name: 'Notes on Bravo' });
    store.updateDeal(dealId, { title: 'Bravo renewal' });
    await tick();
    expect(screen.getByRole('textbox', { name: 'Notes on Bravo renewal' })).toBe(box);
  });

  it('shows no notes for a deal of a doc the server has not migrated, and creates none', () => {
    const doc = new Y.Doc();
    const [dealId] = writeV1Board(doc, ['Old deal']);
    const store = new BoardStore(doc, new Y.Doc());
    render(DealNotes, { store, dealId });
    expect(screen.queryByRole('heading', { name: 'Notes' })).toBeNull();
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(dealNotes(doc, dealId)).toBeNull();
  });

  it('destroys the editor and stops following the notes when unmounted', async () => {
    const { doc, dealId, store } = storeWithDeal();
    const { unmount } = render(DealNotes, { store, dealId });
    const view = editorOf(await screen.findByRole('textbox'));
    unmount();
    expect(view.dom.isConnected).toBe(false);
    dealNotes(doc, dealId)!.insert(0, 'after close');
    expect(view.state.doc.toString()).toBe('');
  });

  it('builds no editor when closed before the editor code has loaded', async () => {
    const { dealId, store } = storeWithDeal();
    // A built editor listens to the awareness for colleagues' cursors (lib0 Observable keeps listeners in _observers).
    const awarenessListeners = () => (store.awareness as unknown as { _observers: Map<string, Set<unknown>> })._observers.get('change')?.size ?? 0;
    const before = awarenessListeners();
    const { unmount } = render(DealNotes, { store, dealId });
    unmount();
    await import('../notes-editor.ts');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(awarenessListeners()).toBe(before);
  });
});
