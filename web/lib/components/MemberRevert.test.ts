import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { toLocalInput } from '../moments.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import MemberRevert from './MemberRevert.svelte';

const members = [
  { id: 'u-ann', name: 'Ann Admin' },
  { id: 'u-bob', name: 'Bob Sales' }
];
const FROM = new Date(2026, 10, 28, 10, 0).getTime();
const TO = new Date(2026, 10, 28, 10, 42).getTime();

async function fill(userId: string, from: number, to: number) {
  await fireEvent.change(screen.getByLabelText('Member'), { target: { value: userId } });
  await fireEvent.input(screen.getByLabelText('From'), { target: { value: toLocalInput(from) } });
  await fireEvent.input(screen.getByLabelText('To (including that minute)'), { target: { value: toLocalInput(to) } });
}

afterEach(() => vi.unstubAllGlobals());

describe('Revert a member’s changes (admins)', () => {
  it('asks first, then sends the member and the range, the end minute included, and says how many changes went', async () => {
    const server = contractFetch().on('POST', '/api/pipelines/p1/revert', json(200, { reverted: 3 }));
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    const onreverted = vi.fn();
    render(MemberRevert, { pipelineId: 'p1', members, onreverted });
    await fill('u-bob', FROM, TO);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    expect(confirm.mock.calls[0][0]).toMatch(/^Revert every change Bob Sales made on this board from/);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Reverted 3 changes by Bob Sales on this board.'));
    expect(server.callsTo('POST', '/api/pipelines/p1/revert')[0].body).toEqual({ userId: 'u-bob', from: FROM, to: TO + 59_999 });
    expect(onreverted).toHaveBeenCalledWith({ reverted: 3 });
  });

  it('sends nothing when the admin cancels, no member is picked or the range is backwards', async () => {
    const server = contractFetch().on('POST', '/api/pipelines/p1/revert', json(200, { reverted: 1 }));
    vi.spyOn(window, 'confirm').mockReturnValue(false);
    render(MemberRevert, { pipelineId: 'p1', members });
    await fill('', FROM, TO);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    expect(screen.getByRole('alert').textContent).toBe('Pick a member.');
    expect(screen.getByLabelText('Member').getAttribute('aria-invalid')).toBe('true');

    await fill('u-bob', TO, FROM);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    expect(screen.getByRole('alert').textContent).toBe('The start must be before the end.');

    await fill('u-bob', FROM, TO);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    expect(server.calls).toHaveLength(0);
  });

  it("reverts a member's changes in the workspace's contacts when that is picked", async () => {
    const server = contractFetch().on('POST', '/api/workspaces/w1/contacts/revert', json(200, { reverted: 2 }));
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(MemberRevert, { pipelineId: 'p1', workspaceId: 'w1', members });
    await fill('u-bob', FROM, TO);
    const contacts = screen.getByLabelText('The workspace’s contacts') as HTMLInputElement;
    await fireEvent.click(contacts);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    expect(confirm.mock.calls.at(-1)![0]).toMatch(/^Revert every change Bob Sales made in the contacts from/);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Reverted 2 changes by Bob Sales in the contacts.'));
    expect(server.callsTo('POST', '/api/workspaces/w1/contacts/revert')[0].body).toEqual({ userId: 'u-bob', from: FROM, to: TO + 59_999 });
    expect(server.callsTo('POST', '/api/pipelines/p1/revert')).toHaveLength(0);
  });

  it('offers no choice of place without a workspace', () => {
    render(MemberRevert, { pipelineId: 'p1', members });
    expect(screen.queryByRole('group', { name: 'Where' })).toBeNull();
  });

  it('shows why the server refused', async () => {
    contractFetch().on('POST', '/api/pipelines/p1/revert', refusal(403, 'forbidden', 'only workspace admins can do this'));
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    render(MemberRevert, { pipelineId: 'p1', members });
    await fill('u-ann', FROM, TO);
    await fireEvent.click(screen.getByRole('button', { name: 'Revert their changes' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('only workspace admins can do this'));
  });
});
