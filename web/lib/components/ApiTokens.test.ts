import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { ApiTokenView } from '$shared/api.ts';
import { ApiError } from '../api.ts';
import ApiTokens from './ApiTokens.svelte';

/** A fake server holding the user's tokens, with the same answers the REST routes give. */
function fakeTokens(initial: ApiTokenView[] = []) {
  let tokens = [...initial];
  const calls = {
    listTokens: vi.fn(async () => tokens.map((token) => ({ ...token }))),
    createToken: vi.fn(async (name: string) => {
      const id = `t-${tokens.length + 1}`;
      tokens = [{ id, name, createdAt: '2026-11-01T10:00:00.000Z', lastUsedAt: null }, ...tokens];
      return { id, name, token: `lanes_secret${id}` };
    }),
    revokeToken: vi.fn(async (tokenId: string) => {
      tokens = tokens.filter((token) => token.id !== tokenId);
      return null;
    })
  };
  render(ApiTokens, calls);
  return calls;
}

afterEach(() => vi.restoreAllMocks());

describe('ApiTokens', () => {
  it('lists tokens with when they were made and last used, never a secret', async () => {
    fakeTokens([{ id: 't-1', name: 'nightly import', createdAt: '2026-10-01T08:00:00.000Z', lastUsedAt: null }]);
    const item = await screen.findByText('nightly import');
    expect(item.closest('li')!.textContent).toMatch(/last used never/);
  });

  it('creates a named token and shows its secret once, to copy', async () => {
    const calls = fakeTokens();
    await screen.findByText('You have no API tokens.');
    await fireEvent.input(screen.getByLabelText('Name of the new token'), { target: { value: 'CRM import' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect(calls.createToken).toHaveBeenCalledWith('CRM import');
    expect(((await screen.findByLabelText('New API token')) as HTMLInputElement).value).toBe('lanes_secrett-1');
    await waitFor(() => expect(screen.getByRole('list', { name: 'Your API tokens' }).textContent).toContain('CRM import'));
    expect((screen.getByLabelText('Name of the new token') as HTMLInputElement).value).toBe('');
  });

  it('revokes a token after asking, and keeps it when the user says no', async () => {
    const calls = fakeTokens([{ id: 't-1', name: 'old script', createdAt: '2026-10-01T08:00:00.000Z', lastUsedAt: '2026-10-02T08:00:00.000Z' }]);
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    const revoke = await screen.findByRole('button', { name: 'Revoke token old script' });
    await fireEvent.click(revoke);
    expect(calls.revokeToken).not.toHaveBeenCalled();
    await fireEvent.click(revoke);
    expect(confirm).toHaveBeenCalledTimes(2);
    expect(calls.revokeToken).toHaveBeenCalledWith('t-1');
    await screen.findByText('You have no API tokens.');
  });

  it('shows the server’s reason when creating fails', async () => {
    const calls = fakeTokens();
    calls.createToken.mockRejectedValueOnce(new ApiError(400, 'must not contain a NUL character', 'name'));
    await fireEvent.input(await screen.findByLabelText('Name of the new token'), { target: { value: 'x' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByRole('alert')).textContent).toBe('must not contain a NUL character');
    expect(screen.queryByLabelText('New API token')).toBeNull();
  });
});
