import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { PipelineView, Role } from '$shared/api.ts';
import { ApiError } from '../api.ts';
import PipelineAccess from './PipelineAccess.svelte';

const pipeline: PipelineView = { id: 'p1', name: 'Sales pipeline', room: 'board:p1', workspaceId: 'w1', allowedRoles: null, canEdit: true };

function renderWith(start: PipelineView = pipeline) {
  const saveAccess = vi.fn(async (_pipelineId: string, allowedRoles: Role[] | null) => ({ ...start, allowedRoles }));
  const onsaved = vi.fn();
  render(PipelineAccess, { pipeline: start, saveAccess, onsaved });
  return { saveAccess, onsaved };
}

const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save who can open Sales pipeline' }));

describe('PipelineAccess', () => {
  it('limiting a pipeline to sales and support sends exactly those roles', async () => {
    const { saveAccess, onsaved } = renderWith();
    await fireEvent.click(screen.getByLabelText('Everyone'));
    await fireEvent.click(screen.getByLabelText('Support'));
    await fireEvent.click(screen.getByLabelText('Sales'));
    await save();
    expect(saveAccess).toHaveBeenCalledWith('p1', ['sales', 'support']);
    await waitFor(() => expect(onsaved).toHaveBeenCalledWith({ ...pipeline, allowedRoles: ['sales', 'support'] }));
    expect(screen.getByRole('status').textContent).toMatch(/Saved/);
  });

  it('ticking Everyone opens it to every role again (allowedRoles null)', async () => {
    const { saveAccess } = renderWith({ ...pipeline, allowedRoles: ['marketing'] });
    expect((screen.getByLabelText('Marketing') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Everyone') as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(screen.getByLabelText('Everyone'));
    await save();
    expect(saveAccess).toHaveBeenCalledWith('p1', null);
  });

  it('no role ticked leaves the pipeline to admins only', async () => {
    const { saveAccess } = renderWith({ ...pipeline, allowedRoles: ['viewer'] });
    await fireEvent.click(screen.getByLabelText('Viewer'));
    expect(screen.getByText('Only admins will be able to open it.')).toBeTruthy();
    await save();
    expect(saveAccess).toHaveBeenCalledWith('p1', []);
  });

  it('shows why the server refused', async () => {
    const { saveAccess, onsaved } = renderWith();
    saveAccess.mockRejectedValueOnce(new ApiError(403, 'only workspace admins can do this'));
    await save();
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('only workspace admins can do this'));
    expect(onsaved).not.toHaveBeenCalled();
  });
});
