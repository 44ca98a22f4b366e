import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, initBoard, readDeal, readStages } from '$shared/board-doc.ts';
import { BoardStore, type DocLink } from './board-store.svelte.ts';
import type { ConnectionStatus } from './connection-status.ts';

/** A stand-in for a y-websocket provider whose socket events the test drives. */
class FakeLink implements DocLink {
  destroyed = false;
  private statusListener: (status: ConnectionStatus) => void = () => {};
  private syncedListener: (synced: boolean) => void = () => {};
  onStatus(listener: (status: ConnectionStatus) => void) {
    this.statusListener = listener;
    listener('connecting');
  }
  onSynced(listener: (synced: boolean) => void) {
    this.syncedListener = listener;
  }
  report(status: ConnectionStatus, synced = status === 'connected') {
    this.statusListener(status);
    this.syncedListener(synced);
  }
  destroy() {
    this.destroyed = true;
  }
}

function board() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: [{ name: 'Lead in', probability: 10, outcome: 'open' }] });
  return doc;
}

/** Two replicas of one board, kept in sync the way the provider does: remote updates carry the link as origin. */
function twoReplicas() {
  const docA = new Y.Doc();
  initBoard(docA, {
    pipelineId: 'p',
    workspaceId: 'w',
    name: 'Sales',
    stages: [
      { name: 'Lead in', probability: 10, outcome: 'open' },
      { name: 'Negotiation', probability: 60, outcome: 'open' }
    ]
  });
  const [lead, negotiation] = readStages(docA).map((stage) => stage.id);
  const first = addDeal(docA, lead, { title: 'Acme renewal', value: 100 });
  const second = addDeal(docA, lead, { title: 'Globex pilot', value: 200 });
  const docB = new Y.Doc();
  Y.applyUpdate(docB, Y.encodeStateAsUpdate(docA));
  const link = Symbol('provider');
  docA.on('update', (update: Uint8Array, origin: unknown) => origin !== link && Y.applyUpdate(docB, update, link));
  docB.on('update', (update: Uint8Array, origin: unknown) => origin !== link && Y.applyUpdate(docA, update, link));
  // A zero capture window makes every write its own undo step, so the test needs no clock.
  const ann = new BoardStore(docA, new Y.Doc(), [], { captureTimeout: 0 });
  const bob = new BoardStore(docB, new Y.Doc(), [], { captureTimeout: 0 });
  return { docA, docB, ann, bob, lead, negotiation, first, second };
}

describe('BoardStore', () => {
  it('is connected and synced only when both docs are', () => {
    const boardLink = new FakeLink();
    const contactsLink = new FakeLink();
    const store = new BoardStore(board(), new Y.Doc(), [boardLink, contactsLink]);
    expect(store.status).toBe('connecting');
    boardLink.report('connected');
    expect([store.status, store.synced]).toEqual(['connecting', false]);
    contactsLink.report('connected');
    expect([store.status, store.synced]).toEqual(['connected', true]);
    contactsLink.report('disconnected');
    expect([store.status, store.synced]).toEqual(['disconnected', false]);
  });

  it('stops following the docs and closes its links when destroyed', () => {
    const doc = board();
    const links = [new FakeLink(), new FakeLink()];
    const store = new BoardStore(doc, new Y.Doc(), links);
    const stageId = readStages(doc)[0].id;
    store.destroy();
    addDeal(doc, stageId, { title: 'After leaving' });
    expect(store.columns.get(stageId)).toEqual([]);
    expect(links.every((link) => link.destroyed)).toBe(true);
  });

  it('sums columns in the currency most deals use', () => {
    const doc = board();
    const stageId = readStages(doc)[0].id;
    addDeal(doc, stageId, { title: 'A', value: 1, currency: 'EUR' });
    addDeal(doc, stageId, { title: 'B', value: 1, currency: 'EUR' });
    addDeal(doc, stageId, { title: 'C', value: 1, currency: 'USD' });
    expect(new BoardStore(doc, new Y.Doc()).mainCurrency).toBe('EUR');
  });
});

/**
 * Ann and Bob on replicas that exchange only when the test says so (as while both are offline); `annWins` picks client
 * ids so that Ann's write wins when both write one key at once (Yjs orders concurrent writes by client id).
 */
function disconnectedPair(annWins: boolean) {
  const seed = new Y.Doc();
  const stageNames = ['Lead in', 'Negotiation', 'Won'];
  initBoard(seed, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: stageNames.map((name) => ({ name, probability: 50, outcome: 'open' })) });
  const stages = readStages(seed).map((stage) => stage.id);
  const deal = addDeal(seed, stages[0], { title: 'Acme renewal' });
  const replica = (clientID: number) => {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(seed));
    return doc;
  };
  const annDoc = replica(annWins ? 20 : 10);
  const bobDoc = replica(annWins ? 10 : 20);
  const ann = new BoardStore(annDoc, new Y.Doc(), [], { captureTimeout: 0 });
  const bob = new BoardStore(bobDoc, new Y.Doc(), [], { captureTimeout: 0 });
  const exchange = () => {
    Y.applyUpdate(annDoc, Y.encodeStateAsUpdate(bobDoc, Y.encodeStateVector(annDoc)));
    Y.applyUpdate(bobDoc, Y.encodeStateAsUpdate(annDoc, Y.encodeStateVector(bobDoc)));
  };
  /** A client that joins afterwards and loads the whole board. */
  const fresh = () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(annDoc));
    return doc;
  };
  return { annDoc, bobDoc, ann, bob, exchange, fresh, stages, deal };
}

describe('BoardStore undo after a colleague’s concurrent move (issue #17)', () => {
  const rawStage = (doc: Y.Doc, dealId: string) => doc.getMap<Y.Map<unknown>>('deals').get(dealId)?.get('stageId');

  it('when Ann’s move wins, Ann’s undo puts the deal back in stage 1, on both screens and for a fresh client', () => {
    const { annDoc, bobDoc, ann, bob, exchange, fresh, stages, deal } = disconnectedPair(true);
    ann.moveDeal(deal, stages[1], 0);
    bob.moveDeal(deal, stages[2], 0);
    exchange();
    expect(rawStage(annDoc, deal)).toBe(stages[1]);

    ann.undo();
    exchange();
    for (const doc of [annDoc, bobDoc, fresh()]) expect(rawStage(doc, deal)).toBe(stages[0]);
    for (const store of [ann, bob]) expect(store.columns.get(stages[0])?.map((each) => each.id)).toContain(deal);
  });

  it('when Bob’s move wins, Ann’s undo leaves Bob’s choice, on both screens and for a fresh client', () => {
    const { annDoc, bobDoc, ann, bob, exchange, fresh, stages, deal } = disconnectedPair(false);
    ann.moveDeal(deal, stages[1], 0);
    bob.moveDeal(deal, stages[2], 0);
    exchange();
    expect(rawStage(annDoc, deal)).toBe(stages[2]);

    ann.undo();
    exchange();
    for (const doc of [annDoc, bobDoc, fresh()]) expect(rawStage(doc, deal)).toBe(stages[2]);
    for (const store of [ann, bob]) expect(store.columns.get(stages[2])?.map((each) => each.id)).toContain(deal);
    expect(ann.canUndo).toBe(false);
  });
});

describe('BoardStore undo and redo', () => {
  it("undoes only your own changes, newest first, and never a colleague's", () => {
    const { docA, docB, ann, bob, lead, negotiation, first, second } = twoReplicas();
    expect([ann.canUndo, ann.canRedo]).toEqual([false, false]);

    ann.moveDeal(first, negotiation, 0);
    ann.updateDeal(first, { title: 'Acme renewal 2026' });
    bob.updateDeal(second, { value: 999 });
    expect([ann.canUndo, bob.canUndo]).toEqual([true, true]);

    ann.undo();
    expect(readDeal(docA, first)).toMatchObject({ title: 'Acme renewal', stageId: negotiation });
    expect(ann.canRedo).toBe(true);
    ann.undo();
    expect(readDeal(docA, first)).toMatchObject({ title: 'Acme renewal', stageId: lead });
    expect(ann.columns.get(lead)?.map((deal) => deal.id)).toContain(first);
    expect([ann.canUndo, ann.canRedo]).toEqual([false, true]);

    // Bob's edit is on both replicas, untouched by Ann's undo; Bob still has his own step to undo.
    for (const doc of [docA, docB]) expect(readDeal(doc, second)?.value).toBe(999);
    expect(readDeal(docB, first)).toMatchObject({ title: 'Acme renewal', stageId: lead });
    expect(bob.canUndo).toBe(true);

    ann.redo();
    expect(readDeal(docB, first)).toMatchObject({ title: 'Acme renewal', stageId: negotiation });
    ann.redo();
    expect(readDeal(docB, first)).toMatchObject({ title: 'Acme renewal 2026', stageId: negotiation });
    expect([ann.canUndo, ann.canRedo]).toEqual([true, false]);
    expect(readDeal(docA, second)?.value).toBe(999);
  });

  it('undoes a whole move in one step, back to its column and place', () => {
    const { ann, lead, negotiation, first, second } = twoReplicas();
    const before = ann.columns.get(lead)?.map((deal) => deal.id);
    expect(before).toEqual([second, first]);
    ann.moveDeal(first, negotiation, 0);
    ann.undo();
    expect(ann.columns.get(lead)?.map((deal) => deal.id)).toEqual(before);
    expect(ann.canUndo).toBe(false);
  });

  it('removes an added deal on undo, on every replica, and brings it back on redo', () => {
    const { docB, ann, lead } = twoReplicas();
    const id = ann.addDeal(lead, { title: 'Initech expansion' });
    expect(readDeal(docB, id)).toBeDefined();
    ann.undo();
    expect(ann.deal(id)).toBeUndefined();
    expect(readDeal(docB, id)).toBeUndefined();
    ann.redo();
    expect(readDeal(docB, id)).toMatchObject({ title: 'Initech expansion', stageId: lead });
  });

  it('brings a deleted deal back on undo, notes included, on every replica', () => {
    const { docA, docB, ann, lead, first } = twoReplicas();
    ann.dealNotes(first)!.insert(0, 'Budget approved');
    ann.deleteDeal(first);
    expect(readDeal(docB, first)).toBeUndefined();
    ann.undo();
    for (const doc of [docA, docB]) expect(readDeal(doc, first)).toMatchObject({ title: 'Acme renewal', stageId: lead, value: 100 });
    expect(ann.dealNotes(first)?.toString()).toBe('Budget approved');
    ann.redo();
    expect(readDeal(docB, first)).toBeUndefined();
  });

  it('does not let a colleague undo your change or overwrite a later one of theirs', () => {
    const { docA, ann, bob, first } = twoReplicas();
    ann.updateDeal(first, { value: 150 });
    expect(bob.canUndo).toBe(false);
    bob.undo();
    expect(readDeal(docA, first)?.value).toBe(150);

    bob.updateDeal(first, { value: 300 });
    ann.undo();
    expect(readDeal(docA, first)?.value).toBe(300);
  });

  it('a new change clears what there was to redo', () => {
    const { ann, first } = twoReplicas();
    ann.updateDeal(first, { value: 1 });
    ann.undo();
    expect(ann.canRedo).toBe(true);
    ann.updateDeal(first, { value: 2 });
    expect([ann.canUndo, ann.canRedo]).toEqual([true, false]);
  });

  it('groups changes made within the capture window into one step', () => {
    const doc = board();
    const stageId = readStages(doc)[0].id;
    const id = addDeal(doc, stageId, { title: 'A', value: 1 });
    const store = new BoardStore(doc, new Y.Doc());
    store.updateDeal(id, { title: 'B' });
    store.updateDeal(id, { value: 2 });
    store.undo();
    expect(readDeal(doc, id)).toMatchObject({ title: 'A', value: 1 });
    expect(store.canUndo).toBe(false);
  });

  it('stops recording once destroyed', () => {
    const doc = board();
    const stageId = readStages(doc)[0].id;
    const store = new BoardStore(doc, new Y.Doc());
    store.destroy();
    store.addDeal(stageId, { title: 'After leaving' });
    expect(store.canUndo).toBe(false);
  });
});
