import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import TopBar from './TopBar.svelte';

const user = { id: 'u', email: 'ann@example.com', name: 'Ann' };

describe('TopBar', () => {
  it('says plainly when the board is not connected', () => {
    render(TopBar, { user, status: 'disconnected' });
    const status = screen.getByRole('status');
    expect(status.dataset.connection).toBe('disconnected');
    expect(status.textContent).toMatch(/Reconnecting/);
  });

  it('tells offline apart from a server that cannot be reached, and counts changes not yet saved', () => {
    render(TopBar, { user, status: 'offline', pending: 3 });
    const status = screen.getByRole('status');
    expect(status.dataset.connection).toBe('offline');
    expect(status.textContent).toMatch(/Offline · 3 changes not yet saved/);
  });

  it('groups pipelines by workspace when there are several teams', () => {
    render(TopBar, {
      user,
      workspaces: [
        { id: 'w1', name: "Ann's team", role: 'admin', contactsRoom: 'contacts:w1' },
        { id: 'w2', name: 'Globex', role: 'sales', contactsRoom: 'contacts:w2' }
      ],
      pipelines: [
        { id: 'p1', name: 'Sales pipeline', room: 'board:p1', workspaceId: 'w1', allowedRoles: null, canEdit: true },
        { id: 'p2', name: 'Sales pipeline', room: 'board:p2', workspaceId: 'w2', allowedRoles: null, canEdit: true }
      ],
      currentPipelineId: 'p2'
    });
    const picker = screen.getByLabelText('Pipeline') as HTMLSelectElement;
    expect([...picker.querySelectorAll('optgroup')].map((group) => group.label)).toEqual(["Ann's team", 'Globex']);
    expect(picker.value).toBe('p2');
  });

  it('shows Undo and Redo only where undo is offered', () => {
    render(TopBar, { user });
    expect(screen.queryByRole('button', { name: /Undo/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Redo/ })).toBeNull();
  });

  it('enables Undo and Redo by what can be undone and redone, and calls their handlers', async () => {
    const onundo = vi.fn();
    const onredo = vi.fn();
    const { rerender } = render(TopBar, { user, onundo, onredo, canUndo: true, canRedo: false });
    const undo = screen.getByRole('button', { name: 'Undo your last change (Ctrl+Z)' }) as HTMLButtonElement;
    const redo = screen.getByRole('button', { name: 'Redo (Shift+Ctrl+Z)' }) as HTMLButtonElement;
    expect([undo.textContent, redo.textContent]).toEqual(['Undo', 'Redo']);
    expect([undo.disabled, redo.disabled]).toEqual([false, true]);

    // element.click() honours `disabled` as a user's click does (a synthetic dispatched event would not).
    undo.click();
    redo.click();
    expect([onundo.mock.calls.length, onredo.mock.calls.length]).toEqual([1, 0]);

    await rerender({ canUndo: false, canRedo: true });
    expect([undo.disabled, redo.disabled]).toEqual([true, false]);
    redo.click();
    expect(onredo).toHaveBeenCalledTimes(1);
  });
});
