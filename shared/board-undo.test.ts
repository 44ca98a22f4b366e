import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  BoardError,
  addDeal,
  dealNotes,
  deleteDeal,
  initBoard,
  moveDeal,
  placeDeal,
  readColumn,
  readDeal,
  readDealRecord,
  readStages,
  restoreDeal,
  updateDeal
} from './board-doc.ts';
import { BoardUndo } from './board-undo.ts';
import { InvalidFieldError } from './deal-fields.ts';

const STAGES = ['Lead', 'Qualified', 'Proposal'].map((name) => ({ name, probability: 10, outcome: 'open' as const }));

/**
 * Ann and Bob on one board, each with their own replica; `exchange()` brings both up to date (as the server would).
 * `annWins` picks the client ids so that Ann's write wins when both write one key at once (Yjs orders concurrent
 * writes by client id).
 */
function team({ annWins = true, captureTimeout = 0, now = Date.now } = {}) {
  const seed = new Y.Doc();
  initBoard(seed, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: STAGES });
  const [lead, qualified, proposal] = readStages(seed).map((stage) => stage.id);
  const dealId = addDeal(seed, lead, { title: 'Acme renewal', value: 100, tags: ['renewal'] }, { position: 'bottom' });
  addDeal(seed, lead, { title: 'Globex pilot' }, { position: 'bottom' });
  const replica = (clientID: number) => {
    const doc = new Y.Doc();
    doc.clientID = clientID;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(seed));
    return doc;
  };
  const annDoc = replica(annWins ? 20 : 10);
  const bobDoc = replica(annWins ? 10 : 20);
  const annOrigin = Symbol('ann');
  const ann = new BoardUndo(annDoc, { origin: annOrigin, captureTimeout, now });
  const bob = new BoardUndo(bobDoc, { origin: Symbol('bob'), captureTimeout, now });
  const exchange = () => {
    Y.applyUpdate(annDoc, Y.encodeStateAsUpdate(bobDoc, Y.encodeStateVector(annDoc)));
    Y.applyUpdate(bobDoc, Y.encodeStateAsUpdate(annDoc, Y.encodeStateVector(bobDoc)));
  };
  /** A client that joins later and loads everything from scratch. */
  const fresh = () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(annDoc));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(bobDoc));
    return doc;
  };
  const annMoves = (stageId: string, index = 0) => ann.track(dealId, () => moveDeal(annDoc, dealId, stageId, index, { origin: annOrigin }));
  return { annDoc, bobDoc, ann, bob, annOrigin, annMoves, exchange, fresh, dealId, lead, qualified, proposal };
}

const rawStageId = (doc: Y.Doc, dealId: string) => doc.getMap<Y.Map<unknown>>('deals').get(dealId)?.get('stageId');

describe('per-user undo of a move against a colleague’s concurrent move (issue #17)', () => {
  it('when Ann’s move wins, her undo puts the deal back in its first stage, on every replica and for a fresh client', () => {
    const { annDoc, bobDoc, ann, annMoves, exchange, fresh, dealId, lead, qualified, proposal } = team({ annWins: true });
    annMoves(qualified);
    moveDeal(bobDoc, dealId, proposal, 0);
    exchange();
    expect(readDeal(annDoc, dealId)?.stageId).toBe(qualified);

    expect(ann.undo()).toBe(true);
    exchange();
    for (const doc of [annDoc, bobDoc, fresh()]) {
      expect(rawStageId(doc, dealId)).toBe(lead);
      expect(readColumn(doc, lead).map((deal) => deal.id)).toContain(dealId);
    }
  });

  it('when Bob’s move wins, Ann’s undo leaves the deal where Bob put it, and every replica agrees', () => {
    const { annDoc, bobDoc, ann, annMoves, exchange, fresh, dealId, qualified, proposal } = team({ annWins: false });
    annMoves(qualified);
    moveDeal(bobDoc, dealId, proposal, 0);
    exchange();
    expect(readDeal(annDoc, dealId)?.stageId).toBe(proposal);

    expect(ann.undo()).toBe(false);
    exchange();
    for (const doc of [annDoc, bobDoc, fresh()]) expect(rawStageId(doc, dealId)).toBe(proposal);
    expect([ann.canUndo, ann.canRedo]).toEqual([false, false]);
  });

  it('undo and redo never leave a deal without its stage or title, whoever wins', () => {
    for (const annWins of [true, false]) {
      const { annDoc, bobDoc, ann, annOrigin, annMoves, exchange, fresh, dealId, qualified, proposal } = team({ annWins });
      annMoves(qualified);
      ann.track(dealId, () => updateDeal(annDoc, dealId, { title: 'Ann’s title' }, { origin: annOrigin }));
      moveDeal(bobDoc, dealId, proposal, 0);
      updateDeal(bobDoc, dealId, { title: 'Bob’s title' });
      exchange();
      ann.undo();
      ann.undo();
      ann.redo();
      exchange();
      for (const doc of [annDoc, bobDoc, fresh()]) {
        const raw = doc.getMap<Y.Map<unknown>>('deals').get(dealId)!.toJSON();
        expect(readStages(doc).map((stage) => stage.id)).toContain(raw.stageId);
        expect(raw.rank).toEqual(expect.any(String));
        expect(['Ann’s title', 'Bob’s title', 'Acme renewal']).toContain(raw.title);
      }
      expect(readDeal(bobDoc, dealId)).toEqual(readDeal(annDoc, dealId));
    }
  });
});

describe('BoardUndo', () => {
  it('puts a moved deal back in its column and place, and redo moves it again', () => {
    const { annDoc, ann, annMoves, dealId, lead, proposal } = team();
    const column = readColumn(annDoc, lead).map((deal) => deal.id);
    annMoves(proposal);
    ann.undo();
    expect(readColumn(annDoc, lead).map((deal) => deal.id)).toEqual(column);
    ann.redo();
    expect(readDeal(annDoc, dealId)?.stageId).toBe(proposal);
  });

  it('leaves a deal a colleague moved since, even within its column, and goes on to the step before', () => {
    const { annDoc, bobDoc, ann, annOrigin, annMoves, exchange, dealId, qualified, proposal } = team();
    ann.track(dealId, () => updateDeal(annDoc, dealId, { value: 250 }, { origin: annOrigin }));
    annMoves(qualified);
    exchange();
    moveDeal(bobDoc, dealId, proposal, 0);
    exchange();

    expect(ann.undo()).toBe(true);
    expect(readDeal(annDoc, dealId)).toMatchObject({ stageId: proposal, value: 100 });
    expect(ann.canUndo).toBe(false);
  });

  it('redoes only what the undo changed, and not over a colleague’s later change', () => {
    const { annDoc, bobDoc, ann, annOrigin, exchange, dealId } = team();
    ann.track(dealId, () => updateDeal(annDoc, dealId, { title: 'Acme 2026', value: 300 }, { origin: annOrigin }));
    ann.undo();
    exchange();
    updateDeal(bobDoc, dealId, { value: 999 });
    exchange();
    ann.redo();
    expect(readDeal(annDoc, dealId)).toMatchObject({ title: 'Acme 2026', value: 999 });
  });

  it('undoes only this user’s tags, so a colleague’s tag added meanwhile stays', () => {
    const { annDoc, bobDoc, ann, annOrigin, exchange, dealId } = team();
    ann.track(dealId, () => updateDeal(annDoc, dealId, { tags: ['renewal', 'hot'] }, { origin: annOrigin }));
    updateDeal(bobDoc, dealId, { tags: ['renewal', 'vip'] });
    exchange();
    ann.undo();
    exchange();
    for (const doc of [annDoc, bobDoc]) expect(readDeal(doc, dealId)?.tags).toEqual(['renewal', 'vip']);
  });

  it('removes an added deal on undo and brings it back, same id, on redo', () => {
    const { annDoc, bobDoc, ann, annOrigin, exchange, qualified } = team();
    const id = 'added-by-ann';
    ann.track(id, () => addDeal(annDoc, qualified, { title: 'Initech expansion', tags: ['new'] }, { origin: annOrigin, id }));
    exchange();
    ann.undo();
    exchange();
    expect(readDeal(bobDoc, id)).toBeUndefined();
    ann.redo();
    exchange();
    expect(readDeal(bobDoc, id)).toMatchObject({ title: 'Initech expansion', stageId: qualified, tags: ['new'] });
  });

  it('keeps an added deal a colleague has worked on since: their edits and notes are never lost', () => {
    const { annDoc, bobDoc, ann, annOrigin, exchange, qualified } = team();
    const id = 'added-by-ann';
    ann.track(id, () => addDeal(annDoc, qualified, { title: 'Initech expansion' }, { origin: annOrigin, id }));
    exchange();
    dealNotes(bobDoc, id)!.insert(0, 'Call back on Monday');
    exchange();
    expect(ann.undo()).toBe(false);
    expect(dealNotes(annDoc, id)?.toString()).toBe('Call back on Monday');
  });

  it('brings a deleted deal back with its fields, tags, place and notes, and redo deletes it again', () => {
    const { annDoc, bobDoc, ann, annOrigin, exchange, dealId, lead } = team();
    dealNotes(annDoc, dealId)!.insert(0, 'Budget approved');
    const before = readDeal(annDoc, dealId)!;
    ann.track(dealId, () => deleteDeal(annDoc, dealId, { origin: annOrigin }));
    exchange();
    ann.undo();
    exchange();
    for (const doc of [annDoc, bobDoc]) {
      const { updatedAt: _updated, lastActivityAt: _active, ...kept } = before;
      expect(readDeal(doc, dealId)).toMatchObject(kept);
      expect(dealNotes(doc, dealId)?.toString()).toBe('Budget approved');
      expect(readColumn(doc, lead)[0].id).toBe(dealId);
    }
    ann.redo();
    exchange();
    expect(readDeal(bobDoc, dealId)).toBeUndefined();
  });

  it('writes each undo as one update, so no replica ever sees half of it', () => {
    const { annDoc, ann, annOrigin, annMoves, dealId, proposal } = team({ captureTimeout: 10_000 });
    annMoves(proposal);
    ann.track(dealId, () => updateDeal(annDoc, dealId, { title: 'Moved and renamed' }, { origin: annOrigin }));
    const updates: unknown[] = [];
    annDoc.on('update', (_update: Uint8Array, origin: unknown) => updates.push(origin));
    ann.undo();
    expect(updates).toEqual([annOrigin]);
  });

  it('groups changes within the capture window into one step, and starts a new one after it or after an undo', () => {
    let clock = 0;
    const { annDoc, ann, annOrigin, dealId } = team({ captureTimeout: 500, now: () => clock });
    const edit = (title: string) => ann.track(dealId, () => updateDeal(annDoc, dealId, { title }, { origin: annOrigin }));
    edit('One');
    clock = 400;
    edit('Two');
    clock = 1_000;
    edit('Three');
    ann.undo();
    expect(readDeal(annDoc, dealId)?.title).toBe('Two');
    clock = 1_100;
    edit('Four');
    ann.undo();
    expect(readDeal(annDoc, dealId)?.title).toBe('Two');
    ann.undo();
    expect(readDeal(annDoc, dealId)?.title).toBe('Acme renewal');
    expect(ann.canUndo).toBe(false);
  });

  it('skips a place whose stage is gone instead of writing a deal into no stage', () => {
    const { annDoc, ann, annOrigin, annMoves, dealId, lead, proposal } = team();
    ann.track(dealId, () => updateDeal(annDoc, dealId, { value: 5 }, { origin: annOrigin }));
    annMoves(proposal);
    const stages = annDoc.getArray<Y.Map<unknown>>('stages');
    stages.delete(stages.toArray().findIndex((stage) => stage.get('id') === lead), 1);
    ann.undo();
    expect(readDeal(annDoc, dealId)).toMatchObject({ stageId: proposal, value: 100 });
  });

  it('records nothing for a refused write or once closed', () => {
    const { annDoc, ann, annOrigin, dealId } = team();
    expect(() => ann.track(dealId, () => updateDeal(annDoc, dealId, { title: ' ' }, { origin: annOrigin }))).toThrow(/title/);
    expect(ann.canUndo).toBe(false);
    ann.close();
    ann.track(dealId, () => updateDeal(annDoc, dealId, { title: 'After closing' }, { origin: annOrigin }));
    expect(ann.canUndo).toBe(false);
  });
});

describe('the accessors undo writes through', () => {
  it('placeDeal puts a deal at an exact stage and rank, and refuses an unknown stage or an empty rank', () => {
    const { annDoc, dealId, proposal } = team();
    placeDeal(annDoc, dealId, { stageId: proposal, rank: 'a5' });
    expect(readDeal(annDoc, dealId)).toMatchObject({ stageId: proposal, rank: 'a5' });
    expect(() => placeDeal(annDoc, dealId, { stageId: 'gone', rank: 'a6' })).toThrow(BoardError);
    expect(() => placeDeal(annDoc, dealId, { stageId: proposal, rank: '' })).toThrow(BoardError);
    expect(readDeal(annDoc, dealId)).toMatchObject({ stageId: proposal, rank: 'a5' });
  });

  it('restoreDeal brings a deal back whole, and refuses a taken id, an unknown stage or an invalid field', () => {
    const { annDoc, dealId } = team();
    dealNotes(annDoc, dealId)!.insert(0, 'Keep me');
    const record = readDealRecord(annDoc, dealId)!;
    expect(() => restoreDeal(annDoc, record)).toThrow(BoardError);
    deleteDeal(annDoc, dealId);
    expect(() => restoreDeal(annDoc, { ...record, stageId: 'gone' })).toThrow(BoardError);
    expect(() => restoreDeal(annDoc, { ...record, title: ' ' })).toThrow(InvalidFieldError);
    expect(readDeal(annDoc, dealId)).toBeUndefined();
    restoreDeal(annDoc, record);
    expect(readDealRecord(annDoc, dealId)).toMatchObject({ title: 'Acme renewal', tags: ['renewal'], notes: 'Keep me', createdAt: record.createdAt });
  });
});
