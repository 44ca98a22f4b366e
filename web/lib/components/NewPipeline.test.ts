import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { PipelineCreate, PipelineView } from '$shared/api.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
import { ApiError } from '../api.ts';
import NewPipeline from './NewPipeline.svelte';

function renderForm() {
  const createPipeline = vi.fn(
    async (body: PipelineCreate): Promise<PipelineView> => ({
      id: 'p2',
      name: body.name,
      room: 'board:p2',
      workspaceId: 'w1',
      allowedRoles: body.allowedRoles ?? null,
      canEdit: true
    })
  );
  const oncreated = vi.fn();
  render(NewPipeline, { createPipeline, oncreated });
  return { createPipeline, oncreated };
}

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
const type = (label: string, value: string) => fireEvent.input(input(label), { target: { value } });
const create = () => fireEvent.click(screen.getByRole('button', { name: 'Create pipeline' }));
const stageNames = () => screen.getAllByLabelText(/^Stage \d+ name$/).map((field) => (field as HTMLInputElement).value);

describe('NewPipeline', () => {
  it('starts from the sales stages and sends the name, the edited stages and the roles it is for', async () => {
    const { createPipeline, oncreated } = renderForm();
    expect(stageNames()).toEqual(DEFAULT_STAGES.map((stage) => stage.name));
    await type('Name', 'Support onboarding');
    // Keep three stages: Kick-off (renamed from Lead in), Go-live (added) and Won.
    for (let remove = 0; remove < 4; remove++) await fireEvent.click(screen.getByRole('button', { name: 'Remove stage 2' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Remove stage 3' }));
    expect(stageNames()).toEqual(['Lead in', 'Won']);
    await type('Stage 1 name', 'Kick-off');
    await fireEvent.click(screen.getByRole('button', { name: 'Add stage' }));
    expect(stageNames()).toEqual(['Kick-off', '', 'Won']);
    await type('Stage 2 name', 'Go-live');
    await type('Stage 2 win probability', '90');
    await fireEvent.click(screen.getByLabelText('Everyone'));
    await fireEvent.click(screen.getByLabelText('Support'));
    await create();

    expect(createPipeline).toHaveBeenCalledWith({
      name: 'Support onboarding',
      stages: [
        { name: 'Kick-off', probability: 10, outcome: 'open' },
        { name: 'Go-live', probability: 90, outcome: 'open' },
        { name: 'Won', probability: 100, outcome: 'won' }
      ],
      allowedRoles: ['support']
    });
    await waitFor(() => expect(oncreated).toHaveBeenCalledWith(expect.objectContaining({ id: 'p2', name: 'Support onboarding' })));
    const link = screen.getByRole('link', { name: 'Support onboarding' });
    expect(link.getAttribute('href')).toBe('/board/p2');
    expect(input('Name').value).toBe('');
    expect(stageNames()).toEqual(DEFAULT_STAGES.map((stage) => stage.name));
  });

  it('says what is wrong before sending: no name, a blank stage, a stage name twice', async () => {
    const { createPipeline } = renderForm();
    await create();
    expect(screen.getByRole('alert').textContent).toBe('Name: name the pipeline');
    await type('Name', 'Renewals');
    await type('Stage 3 name', ' ');
    await create();
    expect(screen.getByRole('alert').textContent).toBe('Stage 3: name every stage');
    await type('Stage 3 name', 'qualified');
    await create();
    expect(screen.getByRole('alert').textContent).toBe('Stage 3: each stage name once');
    expect(input('Stage 3 name').getAttribute('aria-invalid')).toBe('true');
    expect(createPipeline).not.toHaveBeenCalled();
  });

  it('refuses a won stage below 100% and a lost stage above 0%, beside the field', async () => {
    const { createPipeline } = renderForm();
    await type('Name', 'Renewals');
    // The sales stages end with Won (stage 6) and Lost (stage 7).
    await type('Stage 6 win probability', '80');
    await create();
    const won = input('Stage 6 win probability');
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('Stage 6: a won stage is 100%');
    expect(won.getAttribute('aria-invalid')).toBe('true');
    expect(won.getAttribute('aria-describedby')).toBe(alert.id);
    expect(won.closest('td')?.contains(alert)).toBe(true);

    await type('Stage 6 win probability', '100');
    await type('Stage 7 win probability', '100');
    await create();
    expect(screen.getByRole('alert').textContent).toBe('Stage 7: a lost stage is 0%');
    expect(input('Stage 6 win probability').getAttribute('aria-invalid')).toBe('false');
    expect(createPipeline).not.toHaveBeenCalled();

    await type('Stage 7 win probability', '0');
    await create();
    await waitFor(() => expect(createPipeline).toHaveBeenCalledOnce());
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows why the server refused, and keeps what was typed', async () => {
    const { createPipeline, oncreated } = renderForm();
    createPipeline.mockRejectedValueOnce(new ApiError(409, 'this workspace already has a pipeline named "Renewals"', 'name'));
    await type('Name', 'Renewals');
    await create();
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('this workspace already has a pipeline named "Renewals"'));
    expect(input('Name').value).toBe('Renewals');
    expect(oncreated).not.toHaveBeenCalled();
  });
});
