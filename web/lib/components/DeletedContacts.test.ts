import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { DeletedContact } from '$shared/history.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import DeletedContacts from './DeletedContacts.svelte';

const deleted: DeletedContact[] = [
  { contactId: 'c1', name: 'Ada Buyer', title: 'Ada Buyer', deletedAt: Date.UTC(2026, 10, 27, 9, 0), deletedBy: { id: 'u-bob', name: 'Bob Sales' } },
  { contactId: 'c2', name: 'Grace Lead', title: 'Grace Lead', deletedAt: Date.UTC(2026, 10, 26, 9, 0), deletedBy: null }
];

afterEach(() => vi.unstubAllGlobals());

describe('Deleted contacts', () => {
  it('an editor restores a workspace contact', async () => {
    const server = contractFetch()
      .on('GET', '/api/workspaces/w1/deleted-contacts', json(200, deleted))
      .on('POST', '/api/workspaces/w1/contacts/c1/restore', json(200, { contactId: 'c1' }));
    render(DeletedContacts, { workspaceId: 'w1', canEdit: true });
    expect((await screen.findByText('Ada Buyer')).closest('li')!.textContent).toContain('deleted by Bob Sales');
    await fireEvent.click(screen.getByRole('button', { name: 'Restore Ada Buyer' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('“Ada Buyer” is back.'));
    expect(server.callsTo('POST', '/api/workspaces/w1/contacts/:contactId/restore')).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Restore Ada Buyer' })).toBeNull();
  });

  it('shows why a restore was refused', async () => {
    contractFetch()
      .on('GET', '/api/workspaces/w1/deleted-contacts', json(200, deleted))
      .on('POST', '/api/workspaces/w1/contacts/c2/restore', refusal(409, 'conflict', 'this contact exists now'));
    render(DeletedContacts, { workspaceId: 'w1', canEdit: true });
    await fireEvent.click(await screen.findByRole('button', { name: 'Restore Grace Lead' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('this contact exists now'));
  });
});
