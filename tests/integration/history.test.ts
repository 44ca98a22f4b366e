import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeal, readDeals, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { deleteContact, readContact, readContacts } from '../../shared/contacts-doc.ts';
import type { ChangeEntry, ChangesResponse } from '../../shared/history.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { api, connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** History, restore and revert against a real server: Ann is admin, Bob (sales) edits Ann's board with her. */
describe.each(storageKinds)('history and restore on $label', ({ create }) => {
  const team = teamSuite(create, { ROOM_UNLOAD_MS: '300' });
  const pipelineId = () => team.ann.pipelineId;
  const call = (who: Account, path: string, init: { method?: string; body?: unknown } = {}) => api(team.server.url, path, { ...init, cookie: who.cookie });

  /** A stock client on Ann's board (or another room) as `who`, synced. */
  async function open(who: Account, room = boardRoom(pipelineId())) {
    const client = connectClient(team.server.wsUrl, room, { token: who.token });
    team.clients.push(client);
    await client.synced;
    return client;
  }

  const stageId = (doc: Y.Doc, name: string) => readStages(doc).find((stage) => stage.name === name)!.id;
  const changes = async (who: Account, since?: number): Promise<ChangesResponse> =>
    (await call(who, `/api/pipelines/${pipelineId()}/changes${since === undefined ? '' : `?since=${since}`}`)).json;
  const about = (feed: ChangesResponse, dealId: string) => feed.changes.filter((change) => change.dealId === dealId);
  const brief = (change: ChangeEntry) => ({ kind: change.kind, user: change.user?.name ?? null, field: change.field });

  it('a deleted deal comes back with its notes for a fresh client, and the feed names who added, removed and restored it', async () => {
    const since = Date.now();
    const ann = await open(team.ann);
    const bob = await open(team.bob);
    const dealId = addDeal(bob.doc, stageId(bob.doc, 'Demo'), { title: 'Acme renewal', value: 5000, tags: ['vip'] });
    dealNotes(bob.doc, dealId)!.insert(0, 'Call back on Tuesday');
    await eventually(() => expect(dealNotes(ann.doc, dealId)?.toString()).toBe('Call back on Tuesday'));
    deleteDeal(ann.doc, dealId);
    await eventually(() => expect(readDeal(bob.doc, dealId)).toBeUndefined());

    const deleted = await call(team.bob, `/api/pipelines/${pipelineId()}/deleted-deals`);
    expect(deleted.status).toBe(200);
    expect(deleted.json[0]).toMatchObject({ dealId, title: 'Acme renewal', deletedBy: { id: team.ann.userId, name: 'Ann' } });

    const vera = await signUpColleague(team.server.url, team.ann, 'Vera', 'viewer');
    expect((await call(vera, `/api/pipelines/${pipelineId()}/deals/${dealId}/restore`, { method: 'POST' })).status).toBe(403);
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/deals/no-such-deal/restore`, { method: 'POST' })).status).toBe(404);
    const restored = await call(team.bob, `/api/pipelines/${pipelineId()}/deals/${dealId}/restore`, { method: 'POST' });
    expect(restored).toMatchObject({ status: 200, json: { dealId } });
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/deals/${dealId}/restore`, { method: 'POST' })).status).toBe(409);

    // Live for everyone at once, and from storage for a client that connects afterwards.
    await eventually(() => expect(readDeal(ann.doc, dealId)?.title).toBe('Acme renewal'));
    const fresh = await open(team.ann);
    expect(readDeal(fresh.doc, dealId)).toMatchObject({ title: 'Acme renewal', value: 5000, tags: ['vip'], stageId: stageId(fresh.doc, 'Demo') });
    expect(dealNotes(fresh.doc, dealId)?.toString()).toBe('Call back on Tuesday');
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/deleted-deals`)).json.map((row: { dealId: string }) => row.dealId)).not.toContain(dealId);

    const feed = await changes(team.bob, since);
    expect(about(feed, dealId).map(brief)).toEqual([
      { kind: 'restored', user: 'Bob', field: undefined },
      { kind: 'removed', user: 'Ann', field: undefined },
      { kind: 'added', user: 'Bob', field: undefined }
    ]);
    const audit = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=deal_restored`);
    expect(audit.json.entries[0]).toMatchObject({ action: 'deal_restored', actor: { id: team.bob.userId, name: 'Bob' }, target: dealId });
  });

  it("reverting one member's edits puts back what they changed and leaves a colleague's edits in place", async () => {
    const ann = await open(team.ann);
    const bob = await open(team.bob);
    const [first, second, third] = readDeals(ann.doc).sort((a, b) => a.title.localeCompare(b.title));
    await wait(5);
    const from = Date.now();
    updateDeal(bob.doc, first.id, { value: 1 });
    moveDeal(bob.doc, second.id, stageId(bob.doc, 'Negotiation'), 0);
    const bobsDeal = addDeal(bob.doc, stageId(bob.doc, 'Lead in'), { title: 'Added by Bob' });
    deleteDeal(bob.doc, third.id);
    updateDeal(ann.doc, first.id, { title: 'Renamed by Ann' });
    await eventually(() => {
      expect(readDeal(ann.doc, bobsDeal)).toBeDefined();
      expect(readDeal(bob.doc, first.id)?.title).toBe('Renamed by Ann');
    });
    await wait(5);
    const to = Date.now();

    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/revert`, { method: 'POST', body: { userId: team.bob.userId, from, to } })).status).toBe(403);
    expect((await call(team.ann, `/api/pipelines/${pipelineId()}/revert`, { method: 'POST', body: { userId: team.bob.userId, from: to, to: from } })).status).toBe(400);
    const reverted = await call(team.ann, `/api/pipelines/${pipelineId()}/revert`, { method: 'POST', body: { userId: team.bob.userId, from, to } });
    expect(reverted).toMatchObject({ status: 200, json: { reverted: 4 } });

    await eventually(() => {
      expect(readDeal(bob.doc, first.id)).toMatchObject({ value: first.value, title: 'Renamed by Ann' });
      expect(readDeal(bob.doc, second.id)).toMatchObject({ stageId: second.stageId, rank: second.rank });
      expect(readDeal(bob.doc, bobsDeal)).toBeUndefined();
      expect(readDeal(bob.doc, third.id)).toMatchObject({ title: third.title, value: third.value });
    });
    const audit = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=member_reverted`);
    expect(audit.json.entries[0]).toMatchObject({ actor: { id: team.ann.userId }, target: team.bob.userId, detail: { reverted: 4 } });
  });

  it('rebuilds the board at a past moment exactly, and an admin restores the whole board to it as one new change', async () => {
    const ann = await open(team.ann);
    const bob = await open(team.bob);
    const picture = (doc: Y.Doc) => ({
      deals: readDeals(doc)
        .map(({ id, title, value, stageId: stage, tags }) => ({ id, title, value, stage, tags }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      stages: readStages(doc).map((stage) => stage.name)
    });
    await wait(5);
    const at = Date.now();
    const then = picture(ann.doc);
    await wait(5);
    renameStage(bob.doc, stageId(bob.doc, 'Demo'), 'Product demo');
    deleteDeal(bob.doc, readDeals(bob.doc)[0].id);
    updateDeal(bob.doc, readDeals(bob.doc)[0].id, { title: 'Changed after the moment' });
    addDeal(bob.doc, stageId(bob.doc, 'Lead in'), { title: 'New after the moment' });
    await eventually(() => expect(readDeals(ann.doc).map((deal) => deal.title)).toContain('New after the moment'));

    const moments = await call(team.bob, `/api/pipelines/${pipelineId()}/history`);
    expect(moments.status).toBe(200);
    expect(moments.json.checkpoints.length).toBeGreaterThan(0);
    expect(moments.json.oldest).toBeLessThanOrEqual(at);

    const state = await fetch(`${team.server.url}/api/pipelines/${pipelineId()}/history/state?at=${at}`, { headers: { cookie: team.bob.cookie } });
    expect(state.status).toBe(200);
    expect(state.headers.get('content-type')).toBe('application/octet-stream');
    expect(Number(state.headers.get('x-lanes-state-at'))).toBe(at);
    const past = new Y.Doc();
    Y.applyUpdate(past, new Uint8Array(await state.arrayBuffer()));
    expect(picture(past)).toEqual(then);
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/history/state?at=1`)).status).toBe(404);
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/history/state?at=soon`)).status).toBe(400);

    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/restore`, { method: 'POST', body: { at } })).status).toBe(403);
    const restored = await call(team.ann, `/api/pipelines/${pipelineId()}/restore`, { method: 'POST', body: { at } });
    expect(restored.status).toBe(200);
    expect(restored.json).toEqual({ at, changed: 4 });
    await eventually(() => expect(picture(bob.doc)).toEqual(then));
  });

  it('lists what changed since the last review: a deal won, a value edited, and the value per stage before and now', async () => {
    const bob = await open(team.bob);
    const review = await call(team.ann, `/api/pipelines/${pipelineId()}/reviews`, { method: 'POST' });
    expect(review.status).toBe(201);
    const deal = readDeals(bob.doc).find((candidate) => readStages(bob.doc).find((stage) => stage.id === candidate.stageId)?.outcome === 'open')!;
    const won = stageId(bob.doc, 'Won');
    const before = readDeals(bob.doc).filter((candidate) => candidate.stageId === won);
    moveDeal(bob.doc, deal.id, won, 0);
    updateDeal(bob.doc, deal.id, { value: deal.value + 1000 });
    const ann = await open(team.ann);
    await eventually(() => expect(readDeal(ann.doc, deal.id)?.value).toBe(deal.value + 1000));

    const feed = await changes(team.ann);
    expect(feed.since).toBe(review.json.at);
    expect(feed.lastReviewAt).toBe(review.json.at);
    const stageNames = new Map(readStages(bob.doc).map((stage) => [stage.id, stage.name]));
    expect(about(feed, deal.id)).toEqual([
      { at: expect.any(Number), user: { id: team.bob.userId, name: 'Bob' }, kind: 'edited', dealId: deal.id, title: deal.title, field: 'value', before: deal.value, after: deal.value + 1000 },
      {
        at: expect.any(Number),
        user: { id: team.bob.userId, name: 'Bob' },
        kind: 'won',
        dealId: deal.id,
        title: deal.title,
        field: 'stageId',
        fromStage: { id: deal.stageId, name: stageNames.get(deal.stageId) },
        toStage: { id: won, name: 'Won' }
      }
    ]);
    const wonStage = feed.stages.find((stage) => stage.stageId === won)!;
    expect(wonStage).toMatchObject({ countBefore: before.length, countNow: before.length + 1 });
    expect(wonStage.totalNow - wonStage.totalBefore).toBe(deal.value + 1000);
    expect(wonStage.weightedNow - wonStage.weightedBefore).toBe(deal.value + 1000);
  });

  it('a board nobody has edited yet has its history from creation, and the feed defaults to the last week', async () => {
    const created = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/pipelines`, { method: 'POST', body: { name: 'Untouched' } });
    const before = Date.now();
    const moments = await call(team.ann, `/api/pipelines/${created.json.id}/history`);
    expect(moments.json.checkpoints).toHaveLength(1);
    expect(moments.json.oldest).toBe(moments.json.checkpoints[0].at);
    const feed = (await call(team.bob, `/api/pipelines/${created.json.id}/changes`)).json as ChangesResponse;
    expect(feed.lastReviewAt).toBeNull();
    expect(feed.since).toBeGreaterThanOrEqual(before - 7 * 86_400_000 - 1_000);
    expect(feed.since).toBeLessThanOrEqual(Date.now() - 7 * 86_400_000);
    expect(feed.changes).toEqual([]);
    expect(feed.stages.map((stage) => stage.name)).toEqual(['Lead in', 'Qualified', 'Demo', 'Proposal', 'Negotiation', 'Won', 'Lost']);
    // A pipeline limited to other roles answers 403, one of another workspace 404.
    await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/pipelines/${created.json.id}`, { method: 'PATCH', body: { allowedRoles: ['support'] } });
    expect((await call(team.bob, `/api/pipelines/${created.json.id}/changes`)).status).toBe(403);
    expect((await call(team.bob, `/api/pipelines/${created.json.id}/history`)).status).toBe(403);
    const stranger = await signUp(team.server.url, 'Stranger');
    expect((await call(team.ann, `/api/pipelines/${stranger.pipelineId}/history`)).status).toBe(404);
    expect((await call(team.ann, `/api/pipelines/${stranger.pipelineId}/deleted-deals`)).status).toBe(404);
  });

  it('a deleted contact comes back for a fresh client', async () => {
    const room = contactsRoom(team.ann.workspaceId);
    const bob = await open(team.bob, room);
    const contact = readContacts(bob.doc)[0];
    deleteContact(bob.doc, contact.id);
    const listed = await eventually(async () => {
      const response = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/deleted-contacts`);
      expect(response.json[0]).toMatchObject({ contactId: contact.id, name: contact.name, deletedBy: { id: team.bob.userId } });
      return response;
    });
    expect(listed.status).toBe(200);
    const restored = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/contacts/${contact.id}/restore`, { method: 'POST' });
    expect(restored).toMatchObject({ status: 200, json: { contactId: contact.id } });
    expect((await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/contacts/${contact.id}/restore`, { method: 'POST' })).status).toBe(409);
    const fresh = await open(team.ann, room);
    expect(readContact(fresh.doc, contact.id)).toMatchObject({ name: contact.name, email: contact.email, company: contact.company });
  });

  it('history survives compaction, unloading and kill -9: the feed, removals and attribution are still there', async () => {
    const bob = await open(team.bob);
    const doomed = readDeals(bob.doc)[0];
    const edited = readDeals(bob.doc)[1];
    const since = Date.now();
    deleteDeal(bob.doc, doomed.id);
    updateDeal(bob.doc, edited.id, { title: 'Edited before the crash' });
    const ann = await open(team.ann);
    await eventually(() => expect(readDeal(ann.doc, edited.id)?.title).toBe('Edited before the crash'));
    // Reading the feed settles the room: its updates are stored and folded into history.
    expect(about(await changes(team.ann, since), doomed.id).map(brief)).toEqual([{ kind: 'removed', user: 'Bob', field: undefined }]);

    await team.server.kill();
    await team.server.start();
    await eventually(async () => expect((await call(team.ann, `/api/pipelines/${pipelineId()}/deleted-deals`)).status).toBe(200), 20_000);
    const feed = await changes(team.ann, since);
    expect(about(feed, doomed.id).map(brief)).toEqual([{ kind: 'removed', user: 'Bob', field: undefined }]);
    expect(about(feed, edited.id).map(brief)).toEqual([{ kind: 'edited', user: 'Bob', field: 'title' }]);
    const deleted = (await call(team.ann, `/api/pipelines/${pipelineId()}/deleted-deals`)).json;
    expect(deleted.map((row: { dealId: string }) => row.dealId)).toContain(doomed.id);
    expect((await call(team.ann, `/api/pipelines/${pipelineId()}/deals/${doomed.id}/restore`, { method: 'POST' })).status).toBe(200);
    const fresh = await open(team.ann);
    expect(readDeal(fresh.doc, doomed.id)?.title).toBe(doomed.title);
  });
});
