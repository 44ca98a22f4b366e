import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { BoardHistory } from '../board-history.svelte.ts';
import { NO_FILTERS } from '../presence.ts';
import { contractFetch, json } from '../testing/contract-fetch.ts';
import HistoryPanel from './HistoryPanel.svelte';
import MeetingBar from './MeetingBar.svelte';

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

function server() {
  return contractFetch()
    .on('GET', '/api/pipelines/p1/history', json(200, { checkpoints: [{ at: T0 }], oldest: T0, now: T0 + 60_000 }))
    .on('GET', '/api/pipelines/p1/changes', json(200, { since: T0, until: T0 + 60_000, lastReviewAt: T0, changes: [], stages: [] }))
    .on('GET', '/api/pipelines/p1/deleted-deals', json(200, []));
}

const tabNames = () => screen.getAllByRole('tab').map((tab) => tab.textContent);

afterEach(() => vi.unstubAllGlobals());

describe('History panel', () => {
  it('opens on the moments slider, loading the timeline, with focus in the panel', async () => {
    const calls = server();
    render(HistoryPanel, { history: new BoardHistory('p1'), onclose: vi.fn() });
    expect(document.activeElement).toBe(screen.getByRole('dialog', { name: 'History' }));
    await screen.findByLabelText('Moment');
    expect(calls.callsTo('GET', '/api/pipelines/p1/history')).toHaveLength(1);
    expect(tabNames()).toEqual(['Moments', 'Since last review', 'Deleted deals']);
  });

  it('offers admins the member revert and the restores too, the board’s and the contacts’', async () => {
    const calls = server().on('GET', '/api/pipelines/p1/restores', json(200, [])).on('GET', '/api/workspaces/w1/contacts/restores', json(200, []));
    render(HistoryPanel, { history: new BoardHistory('p1'), workspaceId: 'w1', isAdmin: true, onclose: vi.fn() });
    expect(tabNames()).toEqual(['Moments', 'Since last review', 'Deleted deals', 'Revert a member', 'Restores']);
    await fireEvent.click(screen.getByRole('tab', { name: 'Restores' }));
    await screen.findByRole('list', { name: 'Restores of this board' });
    await screen.findByRole('list', { name: 'Contacts of the workspace' });
    expect(calls.callsTo('GET', '/api/workspaces/w1/contacts/restores')).toHaveLength(1);
  });

  it('moves between views with the arrow keys, as a tab list does', async () => {
    server();
    render(HistoryPanel, { history: new BoardHistory('p1'), onclose: vi.fn() });
    const moments = screen.getByRole('tab', { name: 'Moments' });
    await fireEvent.keyDown(moments, { key: 'ArrowRight' });
    const since = screen.getByRole('tab', { name: 'Since last review' });
    expect(since.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(since);
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe(since.id);
    await screen.findByLabelText('Changes since');
    await fireEvent.keyDown(since, { key: 'ArrowLeft' });
    await fireEvent.keyDown(screen.getByRole('tab', { name: 'Moments' }), { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'Deleted deals' }).getAttribute('aria-selected')).toBe('true');
    await screen.findByText('No deleted deals to restore.');
  });

  it('closes with its button and with Escape', async () => {
    server();
    const onclose = vi.fn();
    render(HistoryPanel, { history: new BoardHistory('p1'), onclose });
    await fireEvent.click(screen.getByRole('button', { name: 'Close history' }));
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(onclose).toHaveBeenCalledTimes(2);
  });
});

describe('History button in the meeting bar', () => {
  const props = (overrides: Record<string, unknown> = {}) => ({
    peers: [],
    workspacePeers: [],
    self: null,
    filters: { ...NO_FILTERS },
    presenting: false,
    followingUserId: null,
    onfilters: vi.fn(),
    onpresent: vi.fn(),
    onfollow: vi.fn(),
    onspotlight: vi.fn(),
    ...overrides
  });

  it('opens the history panel and says whether it is open', async () => {
    const onhistory = vi.fn();
    render(MeetingBar, props({ onhistory, historyOpen: true }));
    const button = screen.getByRole('button', { name: 'History' });
    expect(button.getAttribute('aria-expanded')).toBe('true');
    await fireEvent.click(button);
    expect(onhistory).toHaveBeenCalledTimes(1);
  });

  it('is not shown where no history can be opened', () => {
    render(MeetingBar, props());
    expect(screen.queryByRole('button', { name: 'History' })).toBeNull();
  });
});
