import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { PipelineUpdate, PipelineView } from '$shared/api.ts';
import { ApiError } from '../api.ts';
import PipelineSettings from './PipelineSettings.svelte';

const pipeline: PipelineView = { id: 'p1', name: 'Sales pipeline', room: 'board:p1', workspaceId: 'w1', allowedRoles: null, canEdit: true };

function renderWith(start: PipelineView = pipeline) {
  const savePipeline = vi.fn(async (_pipelineId: string, update: PipelineUpdate) => ({ ...start, ...update }) as PipelineView);
  const onsaved = vi.fn();
  render(PipelineSettings, { pipeline: start, save: savePipeline, onsaved });
  return { savePipeline, onsaved };
}

const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save Sales pipeline' }));

describe('PipelineSettings', () => {
  it('limiting a pipeline to sales and support sends exactly those roles', async () => {
    const { savePipeline, onsaved } = renderWith();
    await fireEvent.click(screen.getByLabelText('Everyone'));
    await fireEvent.click(screen.getByLabelText('Support'));
    await fireEvent.click(screen.getByLabelText('Sales'));
    await save();
    expect(savePipeline).toHaveBeenCalledWith('p1', { allowedRoles: ['sales', 'support'] });
    await waitFor(() => expect(onsaved).toHaveBeenCalledWith({ ...pipeline, allowedRoles: ['sales', 'support'] }));
    expect(screen.getByRole('status').textContent).toMatch(/Saved/);
  });

  it('ticking Everyone opens it to every role again (allowedRoles null)', async () => {
    const { savePipeline } = renderWith({ ...pipeline, allowedRoles: ['marketing'] });
    expect((screen.getByLabelText('Marketing') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Everyone') as HTMLInputElement).checked).toBe(false);
    await fireEvent.click(screen.getByLabelText('Everyone'));
    await save();
    expect(savePipeline).toHaveBeenCalledWith('p1', { allowedRoles: null });
  });

  it('no role ticked leaves the pipeline to admins only', async () => {
    const { savePipeline } = renderWith({ ...pipeline, allowedRoles: ['viewer'] });
    await fireEvent.click(screen.getByLabelText('Viewer'));
    expect(screen.getByText('Only admins will be able to open it.')).toBeTruthy();
    await save();
    expect(savePipeline).toHaveBeenCalledWith('p1', { allowedRoles: [] });
  });

  it('renames the pipeline, trimmed, with who can open it', async () => {
    const { savePipeline, onsaved } = renderWith();
    await fireEvent.input(screen.getByLabelText('Name of Sales pipeline'), { target: { value: '  New business ' } });
    await save();
    expect(savePipeline).toHaveBeenCalledWith('p1', { name: 'New business', allowedRoles: null });
    await waitFor(() => expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ name: 'New business' })));
  });

  it('refuses a blank name without sending anything', async () => {
    const { savePipeline } = renderWith();
    await fireEvent.input(screen.getByLabelText('Name of Sales pipeline'), { target: { value: '   ' } });
    await save();
    expect(screen.getByRole('alert').textContent).toBe('Name the pipeline.');
    expect(savePipeline).not.toHaveBeenCalled();
  });

  it('shows why the server refused', async () => {
    const { savePipeline, onsaved } = renderWith();
    savePipeline.mockRejectedValueOnce(new ApiError(403, 'only workspace admins can do this'));
    await save();
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('only workspace admins can do this'));
    expect(onsaved).not.toHaveBeenCalled();
  });
});
