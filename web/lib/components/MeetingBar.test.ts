import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { NO_FILTERS, type Peer } from '../presence.ts';
import MeetingBar from './MeetingBar.svelte';

const user = (id: string, name: string) => ({ id, name, color: '#1570ef', colorLight: '#1570ef33' });
const me = user('me', 'Me');

function props(overrides: Record<string, unknown> = {}) {
  return {
    peers: [] as Peer[],
    workspacePeers: [] as Peer[],
    self: me,
    filters: { ...NO_FILTERS },
    presenting: false,
    followingUserId: null,
    onfilters: vi.fn(),
    onpresent: vi.fn(),
    onfollow: vi.fn(),
    onspotlight: vi.fn(),
    ...overrides
  };
}

describe('MeetingBar', () => {
  it('shows one avatar per person on the board, faded when every tab of theirs is idle', () => {
    const peers: Peer[] = [
      { clientId: 1, user: user('ann', 'Ann Lee'), idle: true },
      { clientId: 2, user: user('bob', 'Bob Ray'), idle: true },
      { clientId: 3, user: user('bob', 'Bob Ray'), idle: false }
    ];
    render(MeetingBar, props({ peers }));
    const avatars = screen.getAllByTestId('avatar');
    expect(avatars.map((avatar) => avatar.getAttribute('aria-label'))).toEqual(['Ann Lee, idle', 'Bob Ray']);
    expect(avatars[0].classList.contains('idle')).toBe(true);
    expect(avatars[1].classList.contains('idle')).toBe(false);
  });

  it('offers to follow whoever presents in the workspace, and says whom you follow', async () => {
    const presenter: Peer = {
      clientId: 9,
      user: user('ann', 'Ann Lee'),
      presenting: { pipelineId: 'p', filters: { ...NO_FILTERS }, scroll: 0, openDealId: null }
    };
    const onfollow = vi.fn();
    const { rerender } = render(MeetingBar, props({ workspacePeers: [presenter, { clientId: 4, user: user('bob', 'Bob Ray') }], onfollow }));
    expect(screen.queryByRole('button', { name: 'Follow Bob Ray' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Follow Ann Lee' }));
    expect(onfollow).toHaveBeenCalledWith('ann');
    await rerender(props({ workspacePeers: [presenter], followingUserId: 'ann', onfollow }));
    expect(screen.getByRole('status').textContent).toBe('Following Ann Lee');
    await fireEvent.click(screen.getByRole('button', { name: 'Stop following' }));
    expect(onfollow).toHaveBeenLastCalledWith(null);
  });

  it('sends filter changes and offers the spotlight only with a deal open', async () => {
    const onfilters = vi.fn();
    const { rerender } = render(MeetingBar, props({ onfilters }));
    expect(screen.queryByRole('button', { name: 'Spotlight' })).toBeNull();
    await fireEvent.input(screen.getByLabelText('Search deals'), { target: { value: 'acme' } });
    expect(onfilters).toHaveBeenCalledWith({ query: 'acme', ownerId: null, tag: null });
    await rerender(props({ onfilters, openDealTitle: 'Acme renewal' }));
    expect(screen.getByRole('button', { name: 'Spotlight' })).toBeTruthy();
  });
});
