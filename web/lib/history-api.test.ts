import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.ts';
import { historyApi, STATE_AT_HEADER } from './history-api.ts';
import { bytes, contractFetch, json } from './testing/contract-fetch.ts';

afterEach(() => vi.unstubAllGlobals());

describe('history API client', () => {
  it('records a review with a POST to the pipeline’s reviews', async () => {
    const server = contractFetch().on('POST', '/api/pipelines/p1/reviews', json(201, { at: 1234 }));
    expect(await historyApi.markReview('p1')).toEqual({ at: 1234 });
    expect(server.calls.map((call) => `${call.method} ${call.url.pathname}`)).toEqual(['POST /api/pipelines/p1/reviews']);
  });

  it('reads a state’s bytes and the moment the server says it shows, else the moment asked for', async () => {
    const update = new Uint8Array([1, 2, 3]);
    const server = contractFetch().on('GET', '/api/pipelines/p1/history/state', bytes(update, { [STATE_AT_HEADER]: '900' }));
    expect(await historyApi.stateAt('p1', 1000.4)).toEqual({ update, at: 900 });
    expect(server.calls[0].url.search).toBe('?at=1000');
    server.on('GET', '/api/pipelines/p1/history/state', bytes(update));
    expect((await historyApi.stateAt('p1', 1000)).at).toBe(1000);
  });

  it('turns a refusal that is not JSON into an ApiError with the status text', async () => {
    contractFetch().on('GET', '/api/pipelines/p1/history/state', new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(historyApi.stateAt('p1', 1)).rejects.toEqual(new ApiError(502, 'Bad Gateway'));
  });

  it('reports a network failure as no connection', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(historyApi.stateAt('p1', 1)).rejects.toMatchObject({ status: 0, reason: 'no connection to the Lanes server' });
  });

  it('escapes ids in paths, and builds the CSV link from the filters set', () => {
    expect(historyApi.auditCsvUrl('w/1', { action: 'signin', from: 5 })).toBe('/api/workspaces/w%2F1/audit?action=signin&from=5&format=csv');
    expect(historyApi.auditCsvUrl('w1')).toBe('/api/workspaces/w1/audit?format=csv');
  });

  it('sends restores, undos, reverts and the cursor feed to the board’s or the contacts’ routes', async () => {
    const server = contractFetch()
      .on('GET', '/api/pipelines/p1/changes/feed', json(200, { changes: [], next: 7, more: false }))
      .on('GET', '/api/workspaces/w1/contacts/changes/feed', json(200, { changes: [], next: 0, more: false }))
      .on('POST', '/api/workspaces/w1/contacts/restores/:id/undo', json(200, { restoreId: '4', changed: 1 }))
      .on('POST', '/api/workspaces/w1/contacts/revert', json(200, { reverted: 2 }));
    expect(await historyApi.feed({ kind: 'board', pipelineId: 'p1' }, { after: 5, limit: 50 })).toEqual({ changes: [], next: 7, more: false });
    expect(server.calls[0].url.search).toBe('?after=5&limit=50');
    await historyApi.feed({ kind: 'contacts', workspaceId: 'w1' });
    expect(server.calls[1].url.search).toBe('');
    expect(await historyApi.undoRestore({ kind: 'contacts', workspaceId: 'w1' }, '4')).toEqual({ restoreId: '4', changed: 1 });
    expect(await historyApi.revertMember({ kind: 'contacts', workspaceId: 'w1' }, { userId: 'u', from: 1, to: 2 })).toEqual({ reverted: 2 });
    expect(server.calls.map((call) => `${call.method} ${call.url.pathname}`).slice(2)).toEqual(['POST /api/workspaces/w1/contacts/restores/4/undo', 'POST /api/workspaces/w1/contacts/revert']);
  });
});
