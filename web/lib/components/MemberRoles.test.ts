import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { MemberView } from '$shared/api.ts';
import { ApiError } from '../api.ts';
import MemberRoles from './MemberRoles.svelte';

const ann: MemberView = { id: 'u-ann', email: 'ann@example.com', name: 'Ann', role: 'admin' };
const bob: MemberView = { id: 'u-bob', email: 'bob@example.com', name: 'Bob', role: 'sales' };

function renderAs(currentUserId: string, isAdmin: boolean, members: MemberView[] = [ann, bob]) {
  const calls = {
    changeRole: vi.fn(async (_userId: string, _role: string) => ({})),
    removeMember: vi.fn(async (_userId: string) => null),
    onchanged: vi.fn(),
    onleft: vi.fn()
  };
  render(MemberRoles, { members, currentUserId, isAdmin, ...calls });
  return calls;
}

afterEach(() => vi.restoreAllMocks());

describe('MemberRoles', () => {
  it('an admin changing a role calls the API with the new role, then asks for a reload', async () => {
    const calls = renderAs(ann.id, true);
    await fireEvent.change(screen.getByLabelText('Role of Bob'), { target: { value: 'viewer' } });
    expect(calls.changeRole).toHaveBeenCalledWith(bob.id, 'viewer');
    await waitFor(() => expect(calls.onchanged).toHaveBeenCalledTimes(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('a refused role change shows the server’s reason and puts the old role back', async () => {
    const calls = renderAs(ann.id, true);
    calls.changeRole.mockRejectedValueOnce(new ApiError(409, 'a workspace needs at least one admin: make someone else admin first'));
    const select = screen.getByLabelText('Role of Ann') as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: 'sales' } });
    expect(calls.changeRole).toHaveBeenCalledWith(ann.id, 'sales');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('a workspace needs at least one admin: make someone else admin first'));
    expect(select.value).toBe('admin');
    expect(calls.onchanged).not.toHaveBeenCalled();
  });

  it('removing a colleague asks first, and does nothing when the admin says no', async () => {
    const calls = renderAs(ann.id, true);
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    const remove = screen.getByRole('button', { name: 'Remove Bob' });
    await fireEvent.click(remove);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(calls.removeMember).not.toHaveBeenCalled();
    await fireEvent.click(remove);
    expect(calls.removeMember).toHaveBeenCalledWith(bob.id);
    await waitFor(() => expect(calls.onchanged).toHaveBeenCalledTimes(1));
  });

  it('the only admin cannot leave and gets no Remove button for themselves', () => {
    renderAs(ann.id, true);
    expect(screen.queryByRole('button', { name: 'Leave workspace' })).toBeNull();
    expect(screen.getAllByRole('button', { name: /^Remove/ }).map((button) => button.getAttribute('aria-label'))).toEqual(['Remove Bob']);
  });

  it('an admin may leave when another admin remains', async () => {
    const calls = renderAs(ann.id, true, [ann, { ...bob, role: 'admin' }]);
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Leave workspace' }));
    expect(calls.removeMember).toHaveBeenCalledWith(ann.id);
    await waitFor(() => expect(calls.onleft).toHaveBeenCalledTimes(1));
  });

  it('a member who is not an admin sees roles as text, no Remove buttons, and can leave', async () => {
    const calls = renderAs(bob.id, false);
    expect(screen.queryByRole('combobox')).toBeNull();
    expect(screen.queryByRole('button', { name: /^Remove/ })).toBeNull();
    expect(screen.getByText('Admin')).toBeTruthy();
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Leave workspace' }));
    expect(calls.removeMember).toHaveBeenCalledWith(bob.id);
  });
});
