import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import AppShell from './AppShell.svelte';

const user = { id: 'u', email: 'ann@example.com', name: 'Ann Admin' };
const workspaces = [{ id: 'w1', name: 'Acme sales', role: 'admin' as const, contactsRoom: 'contacts:w1' }];
const pipelines = [{ id: 'p1', name: 'Sales pipeline', room: 'board:p1', workspaceId: 'w1', allowedRoles: null, canEdit: true }];

describe('AppShell', () => {
  it('offers the pipelines, Settings and Account in one navigation, with the workspace name', () => {
    render(AppShell, { user, workspaces, pipelines, currentPipelineId: 'p1', path: '/board/p1' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect((nav.querySelector('#pipeline-picker') as HTMLSelectElement).value).toBe('p1');
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('href')).toBe('/settings');
    expect(screen.getByRole('link', { name: 'Account' }).getAttribute('href')).toBe('/account');
    expect(screen.getByText('Acme sales')).toBeTruthy();
  });

  it('marks the current place with aria-current', () => {
    const { unmount } = render(AppShell, { user, workspaces, pipelines, path: '/settings' });
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('link', { name: 'Account' }).getAttribute('aria-current')).toBeNull();
    unmount();
    render(AppShell, { user, workspaces, pipelines, path: '/account' });
    expect(screen.getByRole('link', { name: 'Account' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBeNull();
  });

  it('opens the user menu with sign-out from a button, and Escape closes it and returns focus', async () => {
    render(AppShell, { user, workspaces, pipelines, path: '/board/p1' });
    const button = screen.getByRole('button', { name: /Ann Admin/ });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('button', { name: 'Log out' })).toBeNull();
    await fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    screen.getByRole('button', { name: 'Log out' }).focus();
    expect(screen.getByText('ann@example.com')).toBeTruthy();
    await fireEvent.keyDown(screen.getByRole('button', { name: 'Log out' }), { key: 'Escape' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(button);
  });

  it('folds the navigation behind a Menu button that says whether it is open', async () => {
    render(AppShell, { user, workspaces, pipelines, path: '/board/p1' });
    const menu = screen.getByRole('button', { name: 'Menu' });
    expect(menu.getAttribute('aria-controls')).toBe('main-navigation');
    expect(menu.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(menu);
    expect(menu.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByRole('navigation', { name: 'Main' }).classList.contains('open')).toBe(true);
  });

  it('offers to log in only once the server said nobody is signed in, not while it is still asking', () => {
    const { unmount } = render(AppShell, { user: null, path: '/no-such-page' });
    expect(screen.queryByRole('link', { name: 'Log in' })).toBeNull();
    unmount();
    render(AppShell, { user: null, signedOut: true, path: '/no-such-page' });
    expect(screen.getByRole('link', { name: 'Log in' }).getAttribute('href')).toBe('/login');
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
  });
});
