import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { RestoreRecord } from '$shared/history.ts';
import { formatMoment, toLocalInput } from '../moments.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import HistoryRestoreNotice from './HistoryRestoreNotice.svelte';
import HistoryRestores from './HistoryRestores.svelte';

const AT = new Date(2026, 10, 27, 9, 30).getTime();
const ann = { id: 'u-ann', name: 'Ann Admin' };
const restores: RestoreRecord[] = [
  { id: '12', at: AT + 3_600_000, actor: ann, restoredTo: AT, changed: 4, undone: null, undoable: true },
  { id: '7', at: AT - 3_600_000, actor: ann, restoredTo: AT - 86_400_000, changed: 1, undone: { at: AT, actor: ann }, undoable: false },
  { id: '3', at: AT - 9 * 86_400_000, actor: null, restoredTo: AT - 20 * 86_400_000, changed: 2, undone: null, undoable: false }
];

afterEach(() => vi.unstubAllGlobals());

describe('Undo restore after a restore (notice)', () => {
  it('asks first, undoes by the restore id and says what it put back', async () => {
    const server = contractFetch().on('POST', '/api/pipelines/p1/restores/:id/undo', json(200, { restoreId: '12', changed: 3 }));
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(HistoryRestoreNotice, { scope: { kind: 'board', pipelineId: 'p1' }, result: { at: AT, changed: 4, restoreId: '12' }, ondismiss: () => {} });
    expect(screen.getByRole('status').textContent).toContain(`The board is back to how it was on ${formatMoment(AT)} (4 changes)`);
    await fireEvent.click(screen.getByRole('button', { name: 'Undo restore' }));
    expect(confirm).toHaveBeenCalledOnce();
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Restore undone: 3 changes put back'));
    expect(server.callsTo('POST', '/api/pipelines/p1/restores/12/undo')).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Undo restore' })).toBeNull();
  });

  it('offers no undo for a restore that changed nothing, and shows why an undo was refused', async () => {
    const { unmount } = render(HistoryRestoreNotice, { scope: { kind: 'board', pipelineId: 'p1' }, result: { at: AT, changed: 0, restoreId: null }, ondismiss: () => {} });
    expect(screen.queryByRole('button', { name: 'Undo restore' })).toBeNull();
    unmount();
    contractFetch().on('POST', '/api/pipelines/p1/restores/:id/undo', refusal(409, 'conflict', 'this restore was undone already'));
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(HistoryRestoreNotice, { scope: { kind: 'board', pipelineId: 'p1' }, result: { at: AT, changed: 2, restoreId: '12' }, ondismiss: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Undo restore' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('this restore was undone already'));
  });
});

describe('Restores list (admins)', () => {
  it('lists restores with who and what, offers Undo only where it can, and reloads after an undo', async () => {
    let undone = false;
    const server = contractFetch()
      .on('GET', '/api/pipelines/p1/restores', () => json(200, undone ? restores.map((r) => (r.id === '12' ? { ...r, undoable: false, undone: { at: AT, actor: ann } } : r)) : restores))
      .on('POST', '/api/pipelines/p1/restores/:id/undo', () => {
        undone = true;
        return json(200, { restoreId: '12', changed: 4 });
      });
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(HistoryRestores, { scope: { kind: 'board', pipelineId: 'p1' }, label: 'Restores of this board' });
    const list = await screen.findByRole('list', { name: 'Restores of this board' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(items[0].textContent).toContain(`Back to ${formatMoment(AT)}`);
    expect(items[0].textContent).toContain('Ann Admin');
    expect(items[1].textContent).toContain('Undone by Ann Admin');
    expect(items[2].textContent).toContain('Too old to undo exactly');
    expect(screen.getAllByRole('button', { name: /^Undo restore/ })).toHaveLength(1);
    await fireEvent.click(screen.getByRole('button', { name: `Undo restore to ${formatMoment(AT)}` }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Restore undone: 4 changes put back.'));
    await waitFor(() => expect(screen.queryAllByRole('button', { name: /^Undo restore/ })).toHaveLength(0));
    expect(server.callsTo('POST', '/api/pipelines/p1/restores/12/undo')).toHaveLength(1);
  });

  it('restores the contacts to a picked moment, and refuses a moment in the future without asking the server', async () => {
    const server = contractFetch()
      .on('GET', '/api/workspaces/w1/contacts/restores', json(200, []))
      .on('POST', '/api/workspaces/w1/contacts/restore', json(200, { at: AT, changed: 2, restoreId: '20' }));
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(HistoryRestores, { scope: { kind: 'contacts', workspaceId: 'w1' }, label: 'Contacts of the workspace' });
    await screen.findByText('No restores yet.');
    const input = screen.getByLabelText('Restore the contacts to');
    await fireEvent.input(input, { target: { value: toLocalInput(Date.now() + 86_400_000) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(screen.getByRole('alert').textContent).toBe('Pick a moment in the past.');
    await fireEvent.input(input, { target: { value: toLocalInput(AT) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe(`The contacts are back to how they were on ${formatMoment(AT)} (2 changes).`));
    expect(server.callsTo('POST', '/api/workspaces/w1/contacts/restore')[0].body).toEqual({ at: AT });
  });
});
