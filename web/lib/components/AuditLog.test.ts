import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { AuditEntry } from '$shared/history.ts';
import { formatMoment } from '../moments.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import AuditLog from './AuditLog.svelte';

const AT = Date.UTC(2026, 10, 28, 8, 15, 3);
const entries: AuditEntry[] = [
  { id: 'a3', at: AT, actor: { id: 'u-ann', name: 'Ann Admin' }, action: 'token_created', target: 'deploy script', detail: { tokenId: 't1' }, address: '203.0.113.7' },
  { id: 'a2', at: AT - 60_000, actor: { id: 'u-ann', name: 'Ann Admin' }, action: 'member_role_changed', target: 'bob@example.com', detail: { from: 'sales', to: 'viewer' }, address: null },
  { id: 'a1', at: AT - 120_000, actor: null, action: 'signin_failed', target: 'mallory@example.com', detail: {}, address: '198.51.100.9' }
];
const members = [
  { id: 'u-ann', name: 'Ann Admin' },
  { id: 'u-bob', name: 'Bob Sales' }
];

const lastQuery = (server: ReturnType<typeof contractFetch>) => server.callsTo('GET', '/api/workspaces/w1/audit').at(-1)!.url.searchParams;

afterEach(() => vi.unstubAllGlobals());

describe('Audit log (admins, in Settings)', () => {
  it('shows who did what, when and from which address, newest first', async () => {
    const server = contractFetch().on('GET', '/api/workspaces/w1/audit', json(200, { entries }));
    render(AuditLog, { workspaceId: 'w1', members });
    const table = await screen.findByRole('table', { name: 'Audit log' });
    const rows = within(table).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').map((cell) => cell.textContent));
    expect(rows).toEqual([
      [formatMoment(AT), 'Ann Admin', 'API token created', 'deploy script', 'tokenId: t1', '203.0.113.7'],
      [formatMoment(AT - 60_000), 'Ann Admin', 'Role changed', 'bob@example.com', 'from: sales, to: viewer', 'unknown'],
      [formatMoment(AT - 120_000), '—', 'Failed sign-in', 'mallory@example.com', '', '198.51.100.9']
    ]);
    expect(lastQuery(server).toString()).toBe('limit=100');
  });

  it('filters by action, member and days, and the CSV link carries the same filters', async () => {
    const server = contractFetch().on('GET', '/api/workspaces/w1/audit', json(200, { entries }));
    render(AuditLog, { workspaceId: 'w1', members });
    await screen.findByRole('table', { name: 'Audit log' });
    await fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'token_created' } });
    await fireEvent.change(screen.getByLabelText('Member'), { target: { value: 'u-ann' } });
    await fireEvent.input(screen.getByLabelText('From day'), { target: { value: '2026-11-27' } });
    await fireEvent.input(screen.getByLabelText('To day'), { target: { value: '2026-11-28' } });
    const from = new Date(2026, 10, 27).getTime();
    const to = new Date(2026, 10, 29).getTime() - 1;
    await waitFor(() => expect(lastQuery(server).get('to')).toBe(String(to)));
    expect(Object.fromEntries(lastQuery(server))).toEqual({ action: 'token_created', userId: 'u-ann', from: String(from), to: String(to), limit: '100' });

    const csv = screen.getByRole('link', { name: 'Export CSV' });
    const href = new URL(csv.getAttribute('href')!, 'http://lanes.test');
    expect(href.pathname).toBe('/api/workspaces/w1/audit');
    expect(Object.fromEntries(href.searchParams)).toEqual({ action: 'token_created', userId: 'u-ann', from: String(from), to: String(to), format: 'csv' });
    expect(csv.hasAttribute('download')).toBe(true);

    await fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(lastQuery(server).toString()).toBe('limit=100'));
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/api/workspaces/w1/audit?format=csv');
  });

  it('refuses a backwards day range without asking the server', async () => {
    const server = contractFetch().on('GET', '/api/workspaces/w1/audit', json(200, { entries }));
    render(AuditLog, { workspaceId: 'w1', members });
    await screen.findByRole('table', { name: 'Audit log' });
    const asked = server.calls.length;
    await fireEvent.input(screen.getByLabelText('From day'), { target: { value: '2026-11-28' } });
    await fireEvent.input(screen.getByLabelText('To day'), { target: { value: '2026-11-20' } });
    expect(screen.getByRole('alert').textContent).toBe('The start day is after the end day.');
    expect(server.calls.length).toBe(asked + 1); // only the "from" change was asked for
  });

  it('offers older entries when a page is full', async () => {
    const many = Array.from({ length: 100 }, (_, index) => ({ ...entries[0], id: `e${index}`, at: AT - index * 1000 }));
    const server = contractFetch().on('GET', '/api/workspaces/w1/audit', json(200, { entries: many }));
    render(AuditLog, { workspaceId: 'w1', members });
    await fireEvent.click(await screen.findByRole('button', { name: 'Show older entries' }));
    await waitFor(() => expect(lastQuery(server).get('limit')).toBe('200'));
  });

  it('shows the server’s reason when it refuses', async () => {
    contractFetch().on('GET', '/api/workspaces/w1/audit', refusal(403, 'forbidden', 'only workspace admins can do this'));
    render(AuditLog, { workspaceId: 'w1', members });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('only workspace admins can do this'));
  });
});
