import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { ChangesResponse } from '$shared/history.ts';
import { formatWhen, toLocalInput } from '../moments.ts';
import { contractFetch, json, refusal } from '../testing/contract-fetch.ts';
import ChangesSinceReview from './ChangesSinceReview.svelte';

const HOUR = 3_600_000;
const REVIEW = Date.UTC(2026, 10, 23, 9, 0, 0);
const NOW = REVIEW + 5 * 24 * HOUR;
const bob = { id: 'u-bob', name: 'Bob Sales' };
const cy = { id: 'u-cy', name: 'Cy Support' };
const lead = { id: 's-lead', name: 'Lead in' };
const qualified = { id: 's-qual', name: 'Qualified' };
const negotiation = { id: 's-neg', name: 'Negotiation' };
const won = { id: 's-won', name: 'Won' };

/** What the server answers for the default moment (the last review), newest first as the contract says. */
const sinceReview: ChangesResponse = {
  since: REVIEW,
  until: NOW,
  lastReviewAt: REVIEW,
  changes: [
    { at: NOW - 1 * HOUR, user: bob, kind: 'moved', dealId: 'd1', title: 'Acme renewal', fromStage: lead, toStage: qualified },
    { at: NOW - 2 * HOUR, user: cy, kind: 'edited', dealId: 'd2', title: 'Globex pilot', field: 'value', before: 1000, after: 2500 },
    { at: NOW - 3 * HOUR, user: bob, kind: 'edited', dealId: 'd2', title: 'Globex pilot', field: 'ownerId', before: null, after: 'u-bob' },
    { at: NOW - 4 * HOUR, user: bob, kind: 'won', dealId: 'd3', title: 'Initech expansion', fromStage: negotiation, toStage: won },
    { at: NOW - 5 * HOUR, user: null, kind: 'removed', dealId: 'd4', title: 'Old lead', fromStage: lead },
    { at: NOW - 6 * HOUR, user: cy, kind: 'added', dealId: 'd5', title: 'Umbrella', toStage: lead }
  ],
  stages: [
    { stageId: lead.id, name: lead.name, countBefore: 3, countNow: 2, totalBefore: 6000, totalNow: 4000, weightedBefore: 600, weightedNow: 400 },
    { stageId: qualified.id, name: qualified.name, countBefore: 1, countNow: 2, totalBefore: 2000, totalNow: 4500, weightedBefore: 500, weightedNow: 1125 },
    { stageId: won.id, name: won.name, countBefore: 0, countNow: 1, totalBefore: 0, totalNow: 9000, weightedBefore: 0, weightedNow: 9000 }
  ],
  truncated: false
};

const memberNames = new Map([
  [bob.id, bob.name],
  [cy.id, cy.name]
]);

afterEach(() => vi.unstubAllGlobals());

describe('Since the last review', () => {
  it('asks for the server’s default moment and says it is the last review', async () => {
    const server = contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, sinceReview));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Acme renewal');
    expect(server.callsTo('GET', '/api/pipelines/p1/changes')[0].url.search).toBe('');
    expect(screen.getByRole('status').textContent).toContain(`From ${formatWhen(REVIEW)} (the last review) to ${formatWhen(NOW)}`);
    expect((screen.getByLabelText('Changes since') as HTMLInputElement).value).toBe(toLocalInput(REVIEW));
  });

  it('lists each change under its kind with what happened, who and when', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, sinceReview));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Acme renewal');
    const headings = screen.getAllByRole('heading', { level: 4 }).map((heading) => heading.textContent);
    expect(headings).toEqual(['Won (1)', 'Moved (1)', 'Added (1)', 'Changed (2)', 'Removed (1)']);

    const moved = within(screen.getByRole('region', { name: 'Moved (1)' })).getByRole('listitem');
    expect(moved.textContent).toContain('Acme renewal');
    expect(moved.textContent).toContain('moved Lead in → Qualified');
    expect(moved.textContent).toContain(`Bob Sales · ${formatWhen(NOW - HOUR)}`);

    const edits = within(screen.getByRole('region', { name: 'Changed (2)' })).getAllByRole('listitem');
    expect(edits[0].textContent).toContain('value $1,000 → $2,500');
    expect(edits[0].textContent).toContain('Cy Support');
    expect(edits[1].textContent).toContain('owner unassigned → Bob Sales');
    expect(within(screen.getByRole('region', { name: 'Won (1)' })).getByRole('listitem').textContent).toContain('won (Negotiation → Won)');
    expect(within(screen.getByRole('region', { name: 'Added (1)' })).getByRole('listitem').textContent).toContain('added in Lead in');
    const removed = within(screen.getByRole('region', { name: 'Removed (1)' })).getByRole('listitem');
    expect(removed.textContent).toContain('removed from Lead in');
    expect(removed.textContent).toContain('Someone ·');
  });

  it('words stage renames, reorders, win % changes and notes typing, each with who and when', async () => {
    const proposal = { id: 's-prop', name: 'Offer' };
    contractFetch().on(
      'GET',
      '/api/pipelines/p1/changes',
      json(200, {
        ...sinceReview,
        changes: [
          { id: 9, at: NOW - HOUR, user: bob, kind: 'notes_edited', dealId: 'd1', title: 'Acme renewal', field: 'notes', after: { added: 120, removed: 8, length: 300 }, replaces: 4 },
          { id: 8, at: NOW - 2 * HOUR, user: cy, kind: 'notes_edited', dealId: 'd2', title: 'Globex pilot', field: 'notes', after: { added: 0, removed: 1, length: 3 } },
          { id: 7, at: NOW - 3 * HOUR, user: bob, kind: 'stage_changed', dealId: proposal.id, title: 'Offer', stage: proposal, field: 'name', before: 'Proposal', after: 'Offer' },
          { id: 6, at: NOW - 4 * HOUR, user: cy, kind: 'stage_changed', dealId: proposal.id, title: 'Offer', stage: proposal, field: 'probability', before: 60, after: 70 },
          { id: 5, at: NOW - 5 * HOUR, user: cy, kind: 'stage_changed', dealId: lead.id, title: 'Lead in', stage: lead, field: 'position', before: 1, after: 4 }
        ]
      })
    );
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    const notes = within(await screen.findByRole('region', { name: 'Notes (2)' })).getAllByRole('listitem');
    expect(notes[0].textContent).toContain('Acme renewal');
    expect(notes[0].textContent).toContain('notes edited: 120 characters added, 8 removed');
    expect(notes[0].textContent).toContain(`Bob Sales · ${formatWhen(NOW - HOUR)}`);
    expect(notes[1].textContent).toContain('notes edited: 1 character removed');
    const stages = within(screen.getByRole('region', { name: 'Stages (3)' })).getAllByRole('listitem');
    expect(stages.map((item) => item.querySelector('.title')?.textContent)).toEqual(['Stage Offer', 'Stage Offer', 'Stage Lead in']);
    expect(stages[0].textContent).toContain('renamed Proposal → Offer');
    expect(stages[0].textContent).toContain('Bob Sales');
    expect(stages[1].textContent).toContain('win chance 60% → 70%');
    expect(stages[2].textContent).toContain('moved from place 1 to 4');
    expect(stages[2].textContent).toContain('Cy Support');
  });

  it('shows each stage’s count, total and weighted value then and now, with signed differences and a total row', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, sinceReview));
    const { container } = render(ChangesSinceReview, { pipelineId: 'p1', memberNames, currency: 'USD' });
    await screen.findByText('Acme renewal');
    const cells = (selector: string) => [...container.querySelectorAll<HTMLElement>(`${selector} td`)].map((cell) => cell.textContent!.replace(/\s+/g, ' ').trim());
    expect(cells('[data-stage-delta="s-lead"]')).toEqual(['2 −1, was 3', '$4,000 −$2,000, was $6,000', '$400 −$200, was $600']);
    expect(cells('[data-stage-delta="s-qual"]')).toEqual(['2 +1, was 1', '$4,500 +$2,500, was $2,000', '$1,125 +$625, was $500']);
    expect(cells('[data-stage-delta="s-won"]')).toEqual(['1 +1, was 0', '$9,000 +$9,000, was $0', '$9,000 +$9,000, was $0']);
    expect(cells('tfoot tr')).toEqual(['5 +1, was 4', '$17,500 +$9,500, was $8,000', '$10,525 +$9,425, was $1,100']);
    expect(container.querySelector('[data-stage-delta="s-qual"] td')!.getAttribute('title')).toBe('Was 1');
  });

  it('counts from another moment picked by the user, and from a week ago', async () => {
    const server = contractFetch().on('GET', '/api/pipelines/p1/changes', (url) => {
      const since = Number(url.searchParams.get('since') ?? REVIEW);
      return json(200, { ...sinceReview, since, changes: url.searchParams.has('since') ? [] : sinceReview.changes });
    });
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Acme renewal');
    const picked = REVIEW - 48 * HOUR;
    await fireEvent.input(screen.getByLabelText('Changes since'), { target: { value: toLocalInput(picked) } });
    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    await screen.findByText('Nothing changed on this board in that time.');
    expect(server.calls.at(-1)!.url.searchParams.get('since')).toBe(String(picked));
    expect(screen.getByRole('status').textContent).not.toContain('(the last review)');

    const before = Date.now();
    await fireEvent.click(screen.getByRole('button', { name: 'A week ago' }));
    await waitFor(() => expect(server.calls).toHaveLength(3));
    const weekAgo = Number(server.calls[2].url.searchParams.get('since'));
    expect(before - 7 * 24 * HOUR - weekAgo).toBeLessThanOrEqual(0);
    expect(weekAgo - (Date.now() - 7 * 24 * HOUR)).toBeLessThanOrEqual(0);

    await fireEvent.click(screen.getByRole('button', { name: 'Last review' }));
    await waitFor(() => expect(server.calls).toHaveLength(4));
    expect(server.calls[3].url.searchParams.get('since')).toBe(String(REVIEW));
  });

  it('says when the server listed only the newest changes', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, { ...sinceReview, truncated: true }));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Acme renewal');
    expect(screen.getByText(/More changed than can be listed here/)).toBeTruthy();
  });

  it('says when there has been no review yet', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, { ...sinceReview, lastReviewAt: null, since: NOW - 7 * 24 * HOUR }));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Acme renewal');
    expect(screen.getByRole('status').textContent).toContain('(no review yet)');
    expect(screen.queryByRole('button', { name: 'Last review' })).toBeNull();
  });

  it('shows the server’s reason when it refuses', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/changes', refusal(404, 'not_found', 'no such pipeline'));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('no such pipeline'));
  });

  it('survives odd data: unknown kinds, missing stages, non-number values', async () => {
    const odd = {
      ...sinceReview,
      changes: [
        { at: NOW, user: null, kind: 'teleported', dealId: 'x', title: 'Ghost' },
        { at: 'soon', user: null, kind: 'edited', dealId: 'y', title: '', field: 'tags', before: ['a', 'b'], after: { weird: true } },
        { at: NOW, user: bob, kind: 'moved', dealId: 'z', title: 'Half a move', toStage: won }
      ],
      stages: [{ stageId: 's', name: 'Odd', countBefore: 'x', countNow: 2, totalBefore: null, totalNow: 10, weightedBefore: 0, weightedNow: 1 }]
    };
    contractFetch().on('GET', '/api/pipelines/p1/changes', json(200, odd));
    render(ChangesSinceReview, { pipelineId: 'p1', memberNames });
    await screen.findByText('Half a move');
    expect(screen.queryByText('Ghost')).toBeNull();
    expect(screen.getByText('Untitled deal')).toBeTruthy();
    expect(screen.getByText('tags a, b → {"weird":true}')).toBeTruthy();
    expect(screen.getByText('moved to Won')).toBeTruthy();
  });
});
