import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { DeletedDeal } from '$shared/history.ts';
import { formatWhen } from '../moments.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import DeletedDeals from './DeletedDeals.svelte';

const DELETED_AT = Date.UTC(2026, 10, 27, 15, 30);
const deleted: DeletedDeal[] = [
  { dealId: 'd1', title: 'Acme renewal', deletedAt: DELETED_AT, deletedBy: { id: 'u-bob', name: 'Bob Sales' } },
  { dealId: 'd2', title: 'Globex pilot', deletedAt: DELETED_AT - 60_000, deletedBy: null }
];

const item = (title: string) => screen.getByText(title).closest('li')!;

afterEach(() => vi.unstubAllGlobals());

describe('Deleted deals', () => {
  it('lists the deals history can bring back, with who deleted them and when', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/deleted-deals', json(200, deleted));
    render(DeletedDeals, { pipelineId: 'p1', canEdit: true });
    await screen.findByText('Acme renewal');
    expect(item('Acme renewal').textContent).toContain(`deleted by Bob Sales · ${formatWhen(DELETED_AT)}`);
    expect(item('Globex pilot').textContent).toContain('deleted by someone');
  });

  it('an editor restores one: the server is asked, the deal leaves the list and the board is told', async () => {
    const server = contractFetch()
      .on('GET', '/api/pipelines/p1/deleted-deals', json(200, deleted))
      .on('POST', '/api/pipelines/p1/deals/:dealId/restore', (url) => json(200, { dealId: url.pathname.split('/')[5] }));
    const onrestored = vi.fn();
    render(DeletedDeals, { pipelineId: 'p1', canEdit: true, onrestored });
    await fireEvent.click(await screen.findByRole('button', { name: 'Restore Acme renewal' }));
    await waitFor(() => expect(onrestored).toHaveBeenCalledWith('d1', 'Acme renewal'));
    expect(server.callsTo('POST', '/api/pipelines/p1/deals/:dealId/restore').map((call) => call.url.pathname)).toEqual(['/api/pipelines/p1/deals/d1/restore']);
    expect(screen.queryByText('Acme renewal', { selector: '.title' })).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('“Acme renewal” is back.');
    expect(screen.getByText('Globex pilot')).toBeTruthy();
  });

  it('shows the server’s reason when the deal exists again (409) and keeps it listed', async () => {
    contractFetch()
      .on('GET', '/api/pipelines/p1/deleted-deals', json(200, deleted))
      .on('POST', '/api/pipelines/p1/deals/d2/restore', refusal(409, 'conflict', 'this deal is on the board already'));
    const onrestored = vi.fn();
    render(DeletedDeals, { pipelineId: 'p1', canEdit: true, onrestored });
    const restore = await screen.findByRole('button', { name: 'Restore Globex pilot' });
    await fireEvent.click(restore);
    const alert = await within(item('Globex pilot')).findByRole('alert');
    expect(alert.textContent).toBe('this deal is on the board already');
    expect(restore.getAttribute('aria-describedby')).toBe(alert.id);
    expect(onrestored).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Restore Acme renewal' })).toBeTruthy();
  });

  it('a viewer sees the list but no Restore button', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/deleted-deals', json(200, deleted));
    render(DeletedDeals, { pipelineId: 'p1', canEdit: false });
    await screen.findByText('Acme renewal');
    expect(screen.queryByRole('button', { name: /^Restore/ })).toBeNull();
    expect(screen.getByText('Your role can see these but not restore them.')).toBeTruthy();
  });

  it('says when there is nothing to restore, and refreshes on demand', async () => {
    const server = contractFetch().on('GET', '/api/pipelines/p1/deleted-deals', json(200, []));
    render(DeletedDeals, { pipelineId: 'p1', canEdit: true });
    await screen.findByText('No deleted deals to restore.');
    server.on('GET', '/api/pipelines/p1/deleted-deals', json(200, deleted.slice(0, 1)));
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh deleted deals' }));
    await screen.findByText('Acme renewal');
  });
});
