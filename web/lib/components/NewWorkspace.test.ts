import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { ApiError } from '../api.ts';
import NewWorkspace from './NewWorkspace.svelte';

function renderForm() {
  const calls = {
    createWorkspace: vi.fn(async (name: string) => ({ id: 'w-2', name, role: 'admin' as const, contactsRoom: 'contacts:w-2', pipelineId: 'p-2' })),
    oncreated: vi.fn()
  };
  render(NewWorkspace, { suggestedName: "Jon's team", ...calls });
  return calls;
}

describe('NewWorkspace', () => {
  it('creates a workspace with the name typed, or the suggested one, and hands it on', async () => {
    const calls = renderForm();
    await fireEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(calls.createWorkspace).toHaveBeenCalledWith("Jon's team");
    await fireEvent.input(screen.getByLabelText('Name of your new workspace'), { target: { value: '  Jon’s agency ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(calls.createWorkspace).toHaveBeenLastCalledWith('Jon’s agency');
    await waitFor(() => expect(calls.oncreated).toHaveBeenCalledTimes(2));
    expect(calls.oncreated.mock.calls[1][0]).toMatchObject({ id: 'w-2', pipelineId: 'p-2' });
  });

  it('shows why the server refused, and creates nothing', async () => {
    const calls = renderForm();
    calls.createWorkspace.mockRejectedValueOnce(new ApiError(429, 'too many new workspaces and pipelines; try again in 30 s'));
    await fireEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect((await screen.findByRole('alert')).textContent).toBe('too many new workspaces and pipelines; try again in 30 s');
    expect(calls.oncreated).not.toHaveBeenCalled();
  });
});
