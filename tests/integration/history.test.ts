import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeal, readDeals, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { addContact, deleteContact, readContact, readContacts, updateContact } from '../../shared/contacts-doc.ts';
import type { ChangeEntry, ChangeFeedPage, ChangesResponse, RestoreRecord } from '../../shared/history.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { api, connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { openDb } from '../../server/store/db.ts';
import { appendUpdates, loadRoomState } from '../../server/store/update-log.ts';
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
      { kind: 'notes_edited', user: 'Bob', field: 'notes' },
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
    expect(restored.json).toEqual({ at, changed: 4, restoreId: expect.any(String) });
    await eventually(() => expect(picture(bob.doc)).toEqual(then));
    // The stage name the restore put back is in the feed as the admin's change, after Bob's rename.
    const renames = (await changes(team.ann, at)).changes.filter((change) => change.kind === 'stage_changed');
    expect(renames.map((change) => [change.user?.name, change.field, change.before, change.after, change.stage?.name])).toEqual([
      ['Ann', 'name', 'Product demo', 'Demo', 'Demo'],
      ['Bob', 'name', 'Demo', 'Product demo', 'Demo']
    ]);
  });

  it('an admin undoes a restore: the board comes back to just before it, as a new change, and the undo is audited', async () => {
    const ann = await open(team.ann);
    const bob = await open(team.bob);
    const picture = (doc: Y.Doc) =>
      readDeals(doc)
        .map(({ id, title, value, stageId: stage }) => ({ id, title, value, stage }))
        .sort((a, b) => a.id.localeCompare(b.id));
    await wait(5);
    const at = Date.now();
    await wait(5);
    const added = addDeal(bob.doc, stageId(bob.doc, 'Lead in'), { title: 'Added after the moment' });
    updateDeal(bob.doc, readDeals(bob.doc)[0].id, { value: 123_456 });
    await eventually(() => expect(readDeal(ann.doc, added)).toBeDefined());
    const beforeRestore = picture(ann.doc);

    const restored = await call(team.ann, `/api/pipelines/${pipelineId()}/restore`, { method: 'POST', body: { at } });
    expect(restored.status).toBe(200);
    await eventually(() => expect(readDeal(bob.doc, added)).toBeUndefined());
    const { restoreId } = restored.json as { restoreId: string };
    // After the restore, Bob edits a deal the restore did not touch: the undo leaves it as it is now.
    const untouched = readDeals(bob.doc).find((deal) => beforeRestore.some((was) => was.id === deal.id && was.value === deal.value && was.title === deal.title))!;
    updateDeal(bob.doc, untouched.id, { title: 'Edited after the restore' });
    await eventually(() => expect(readDeal(ann.doc, untouched.id)?.title).toBe('Edited after the restore'));

    const listed = await call(team.ann, `/api/pipelines/${pipelineId()}/restores`);
    expect(listed.status).toBe(200);
    expect((listed.json as RestoreRecord[])[0]).toMatchObject({ id: restoreId, actor: { id: team.ann.userId }, restoredTo: at, undone: null, undoable: true });
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/restores`)).status).toBe(403);
    expect((await call(team.bob, `/api/pipelines/${pipelineId()}/restores/${restoreId}/undo`, { method: 'POST' })).status).toBe(403);
    expect((await call(team.ann, `/api/pipelines/${pipelineId()}/restores/999999/undo`, { method: 'POST' })).status).toBe(404);
    expect((await call(team.ann, `/api/pipelines/${pipelineId()}/restores/nonsense/undo`, { method: 'POST' })).status).toBe(404);

    const undone = await call(team.ann, `/api/pipelines/${pipelineId()}/restores/${restoreId}/undo`, { method: 'POST' });
    expect(undone).toMatchObject({ status: 200, json: { restoreId, changed: expect.any(Number) } });
    const expected = beforeRestore.map((deal) => (deal.id === untouched.id ? { ...deal, title: 'Edited after the restore' } : deal));
    await eventually(() => expect(picture(bob.doc)).toEqual(expected));
    const fresh = await open(team.bob);
    expect(picture(fresh.doc)).toEqual(expected);

    expect((await call(team.ann, `/api/pipelines/${pipelineId()}/restores/${restoreId}/undo`, { method: 'POST' })).status).toBe(409);
    const after = (await call(team.ann, `/api/pipelines/${pipelineId()}/restores`)).json as RestoreRecord[];
    expect(after[0]).toMatchObject({ id: restoreId, undone: { actor: { id: team.ann.userId } }, undoable: false });
    const audit = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=restore_undone`);
    expect(audit.json.entries[0]).toMatchObject({ actor: { id: team.ann.userId }, target: pipelineId(), detail: { restoreId } });
    // Nothing was rewritten: the feed holds the restore's removal of Bob's deal and the undo bringing it back, both Ann's.
    const feed = about(await changes(team.ann, at), added).map(brief);
    expect(feed).toEqual([
      { kind: 'restored', user: 'Ann', field: undefined },
      { kind: 'removed', user: 'Ann', field: undefined },
      { kind: 'added', user: 'Bob', field: undefined }
    ]);
  });

  it('stage renames and notes typing are attributed entries of the feed, notes once per author', async () => {
    const since = Date.now();
    const ann = await open(team.ann);
    const bob = await open(team.bob);
    const proposal = stageId(bob.doc, 'Proposal');
    renameStage(bob.doc, proposal, 'Offer');
    // A deal of its own: typing on a deal earlier in the hour would be summed into the same entries.
    const deal = { id: addDeal(ann.doc, stageId(ann.doc, 'Lead in'), { title: 'Typed in' }) };
    await eventually(() => expect(dealNotes(bob.doc, deal.id)).not.toBeNull());
    const notes = dealNotes(bob.doc, deal.id)!;
    const start = notes.length;
    for (const char of 'Budget ok') notes.insert(notes.length, char);
    notes.delete(start, 3);
    await eventually(() => expect(dealNotes(ann.doc, deal.id)!.toString()).toContain('get ok'));
    dealNotes(ann.doc, deal.id)!.insert(0, 'Ann: ');
    await eventually(() => expect(dealNotes(bob.doc, deal.id)!.toString()).toContain('Ann: '));

    const feed = await changes(team.ann, since);
    const stage = feed.changes.filter((change) => change.kind === 'stage_changed');
    expect(stage).toEqual([
      { id: expect.any(Number), at: expect.any(Number), user: { id: team.bob.userId, name: 'Bob' }, kind: 'stage_changed', dealId: proposal, title: 'Offer', stage: { id: proposal, name: 'Offer' }, field: 'name', before: 'Proposal', after: 'Offer' }
    ]);
    const typed = about(feed, deal.id).filter((change) => change.kind === 'notes_edited');
    const length = dealNotes(ann.doc, deal.id)!.length;
    expect(typed.map((change) => ({ user: change.user?.name, field: change.field, after: change.after }))).toEqual([
      { user: 'Ann', field: 'notes', after: { added: 5, removed: 0, length } },
      { user: 'Bob', field: 'notes', after: { added: 9, removed: 3, length: length - 5 } }
    ]);
    // Reading again (another fold) adds no entries; more typing in the hour replaces Bob's entry with the sum.
    notes.insert(notes.length, '!');
    await eventually(() => expect(dealNotes(ann.doc, deal.id)!.toString().endsWith('!')).toBe(true));
    const again = about(await changes(team.ann, since), deal.id).filter((change) => change.kind === 'notes_edited');
    expect(again).toHaveLength(2);
    expect(again[0]).toMatchObject({ user: { name: 'Bob' }, after: { added: 10, removed: 3 }, replaces: typed[1].id });
  });

  it("an admin's repair of a stage is attributed to that admin in the feed", async () => {
    const room = boardRoom(pipelineId());
    const since = Date.now();
    // A stage stored with a win % no valid write could make (data from before the schema checks).
    await team.server.stop();
    const db = await openDb({ databaseUrl: team.storage.env.DATABASE_URL, dataDir: team.storage.env.DATA_DIR ?? '' });
    let demo = '';
    try {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, (await loadRoomState(db, room))!);
      const before = Y.encodeStateVector(doc);
      const stage = doc.getArray<Y.Map<unknown>>('stages').toArray().find((candidate) => candidate.get('name') === 'Demo')!;
      demo = stage.get('id') as string;
      stage.set('probability', 'lots');
      await appendUpdates(db, [{ room, data: Y.encodeStateAsUpdate(doc, before), userId: null, at: Date.now() }]);
    } finally {
      await db.close();
    }
    await team.server.start();
    const repaired = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/pipelines/${pipelineId()}/repair`, { method: 'POST' });
    expect(repaired.status).toBe(200);
    const stage = (await changes(team.ann, since)).changes.filter((change) => change.kind === 'stage_changed' && change.dealId === demo);
    // The bad stage could not be read (gone from the board), and came back with the admin's repair.
    expect(stage.map((change) => [change.user?.name ?? null, change.field, change.before === null ? null : 'Demo', change.after === null ? null : 'Demo'])).toEqual([
      ['Ann', 'stage', null, 'Demo'],
      [null, 'stage', 'Demo', null]
    ]);
    expect(stage[0].after).toMatchObject({ id: demo, name: 'Demo', probability: 0 });
  });

  it('the change feed pages with a cursor, oldest first, and refuses a bad cursor', async () => {
    const bob = await open(team.bob);
    const path = `/api/pipelines/${pipelineId()}/changes/feed`;
    const start = (await call(team.ann, `${path}?since=${Date.now()}`)).json as ChangeFeedPage;
    expect(start).toMatchObject({ changes: [], more: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(addDeal(bob.doc, stageId(bob.doc, 'Lead in'), { title: `Paged ${i}` }));
    const seen: ChangeEntry[] = [];
    let cursor = start.next;
    for (let page = 0; page < 10; page++) {
      const answer = await call(team.bob, `${path}?after=${cursor}&limit=2`);
      expect(answer.status).toBe(200);
      const body = answer.json as ChangeFeedPage;
      seen.push(...body.changes);
      expect(body.changes.length).toBeLessThanOrEqual(2);
      cursor = body.next;
      if (!body.more) break;
    }
    expect(seen.map((change) => [change.kind, change.dealId])).toEqual(ids.map((id) => ['added', id]));
    expect(seen.map((change) => change.id)).toEqual([...seen.map((change) => change.id!)].sort((a, b) => a - b));
    expect(((await call(team.bob, `${path}?after=${cursor}`)).json as ChangeFeedPage).changes).toEqual([]);
    for (const bad of ['after=-1', 'limit=0', 'limit=5000', 'since=soon', 'after=1&since=1', 'cursor=1']) {
      const answer = await call(team.bob, `${path}?${bad}`);
      expect(answer.status, bad).toBe(400);
      expect(answer.json.field).toBeTruthy();
    }
    const contactsFeed = await call(team.bob, `/api/workspaces/${team.ann.workspaceId}/contacts/changes/feed`);
    expect(contactsFeed.status).toBe(200);
  });

  it("reverting one member's contact edits puts back what they changed and leaves a colleague's edits in place", async () => {
    const room = contactsRoom(team.ann.workspaceId);
    const ann = await open(team.ann, room);
    const bob = await open(team.bob, room);
    const [first, second, third] = readContacts(ann.doc).sort((a, b) => a.name.localeCompare(b.name));
    await wait(5);
    const from = Date.now();
    updateContact(bob.doc, first.id, { company: 'Bob Corp' });
    updateContact(bob.doc, second.id, { phone: '+1 555 0100' });
    const bobs = addContact(bob.doc, { name: 'Added by Bob' });
    deleteContact(bob.doc, third.id);
    // Ann edits after Bob's edits reached her: her phone number comes later than his.
    await eventually(() => expect(readContact(ann.doc, third.id)).toBeUndefined());
    updateContact(ann.doc, second.id, { phone: '+1 555 0199' });
    updateContact(ann.doc, first.id, { email: 'ann.edit@example.com' });
    await eventually(() => {
      expect(readContact(ann.doc, bobs)).toBeDefined();
      expect(readContact(bob.doc, first.id)?.email).toBe('ann.edit@example.com');
    });
    await wait(5);
    const to = Date.now();
    const path = `/api/workspaces/${team.ann.workspaceId}/contacts/revert`;
    expect((await call(team.bob, path, { method: 'POST', body: { userId: team.bob.userId, from, to } })).status).toBe(403);
    expect((await call(team.ann, path, { method: 'POST', body: { userId: team.bob.userId, from: to, to: from } })).status).toBe(400);
    const reverted = await call(team.ann, path, { method: 'POST', body: { userId: team.bob.userId, from, to } });
    // Bob's phone edit stays reverted-free: Ann changed that phone after him.
    expect(reverted.json).toEqual({ reverted: 3 });
    await eventually(() => {
      expect(readContact(bob.doc, first.id)).toMatchObject({ company: first.company, email: 'ann.edit@example.com' });
      expect(readContact(bob.doc, second.id)).toMatchObject({ phone: '+1 555 0199' });
      expect(readContact(bob.doc, bobs)).toBeUndefined();
      expect(readContact(bob.doc, third.id)).toMatchObject({ name: third.name, email: third.email });
    });
    const audit = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=member_reverted`);
    expect(audit.json.entries[0]).toMatchObject({ target: team.bob.userId, detail: { contacts: true, reverted: 3 } });
  });

  it('an admin restores the contacts to a moment and undoes it', async () => {
    const room = contactsRoom(team.ann.workspaceId);
    const bob = await open(team.bob, room);
    const names = (doc: Y.Doc) => readContacts(doc).map((contact) => `${contact.name}/${contact.company}`).sort();
    await wait(5);
    const at = Date.now();
    const then = names(bob.doc);
    await wait(5);
    const edited = readContacts(bob.doc)[0].id;
    const added = addContact(bob.doc, { name: 'After the moment' });
    updateContact(bob.doc, edited, { company: 'Changed Co' });
    const ann = await open(team.ann, room);
    await eventually(() => expect(readContact(ann.doc, added)).toBeDefined());
    const beforeRestore = names(ann.doc);
    const base = `/api/workspaces/${team.ann.workspaceId}/contacts`;
    expect((await call(team.bob, `${base}/restore`, { method: 'POST', body: { at } })).status).toBe(403);
    expect(await call(team.ann, `${base}/restore`, { method: 'POST', body: { at: 'yesterday' } })).toMatchObject({ status: 400, json: { field: 'at' } });
    expect((await call(team.ann, `${base}/restores/1/undo`, { method: 'POST' })).status).toBe(404);
    const restored = await call(team.ann, `${base}/restore`, { method: 'POST', body: { at } });
    expect(restored.json).toEqual({ at, changed: 2, restoreId: expect.any(String) });
    await eventually(() => expect(names(bob.doc)).toEqual(then));
    const undone = await call(team.ann, `${base}/restores/${restored.json.restoreId}/undo`, { method: 'POST' });
    expect(undone.status).toBe(200);
    await eventually(() => expect(names(bob.doc)).toEqual(beforeRestore));
    expect(((await call(team.ann, `${base}/restores`)).json as RestoreRecord[])[0]).toMatchObject({ id: restored.json.restoreId, undoable: false, undone: { actor: { id: team.ann.userId } } });
    const audit = await call(team.ann, `/api/workspaces/${team.ann.workspaceId}/audit?action=contacts_restored`);
    expect(audit.json.entries[0]).toMatchObject({ target: team.ann.workspaceId, detail: { changed: 2 } });
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
      { id: expect.any(Number), at: expect.any(Number), user: { id: team.bob.userId, name: 'Bob' }, kind: 'edited', dealId: deal.id, title: deal.title, field: 'value', before: deal.value, after: deal.value + 1000 },
      {
        id: expect.any(Number),
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
