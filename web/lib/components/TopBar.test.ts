import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import TopBar from './TopBar.svelte';

const user = { id: 'u', email: 'ann@example.com', name: 'Ann' };

describe('TopBar', () => {
  it('says plainly when the board is not connected', () => {
    render(TopBar, { user, status: 'disconnected' });
    const status = screen.getByRole('status');
    expect(status.dataset.connection).toBe('disconnected');
    expect(status.textContent).toMatch(/Offline/);
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
});
