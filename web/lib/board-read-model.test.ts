import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { generateNKeysBetween } from 'fractional-indexing';
import { addDeal, deleteDeal, initBoard, inspectBoard, moveDeal, readColumns, readStages, renameStage, updateDeal } from '$shared/board-doc.ts';
import { DEFAULT_STAGES } from '$shared/sample-pipeline.ts';
import { BoardReadModel } from './board-read-model.ts';
import { BoardStore } from './board-store.svelte.ts';

function emptyBoard(): Y.Doc {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  return doc;
}

/** A board of `count` deals spread over the stages, written in one transaction the way a stock client would. */
function bigBoard(count: number): Y.Doc {
  const doc = emptyBoard();
  const stages = readStages(doc);
  const ranks = generateNKeysBetween(null, null, count);
  doc.transact(() => {
    const deals = doc.getMap('deals');
    for (let i = 0; i < count; i++) {
      const id = `deal-${i}`;
      const map = new Y.Map<unknown>();
      deals.set(id, map);
      const fields = { id, title: `Deal ${i}`, value: i, currency: 'USD', stageId: stages[i % stages.length].id, rank: ranks[i], contactId: null, ownerId: null, expectedCloseDate: null, createdAt: 1, updatedAt: 1, lastActivityAt: 1 };
      for (const [key, value] of Object.entries(fields)) map.set(key, value);
      map.set('tags', new Y.Map());
      map.set('notes', new Y.Text());
    }
  });
  return doc;
}

/** A colleague's replica: edits made there arrive here as one remote update, as through the provider. */
function colleagueOf(doc: Y.Doc): Y.Doc {
  const colleague = new Y.Doc();
  Y.applyUpdate(colleague, Y.encodeStateAsUpdate(doc));
  colleague.on('update', (update: Uint8Array) => Y.applyUpdate(doc, update, 'remote'));
  return colleague;
}

const ids = (columns: Map<string, Array<{ id: string }>>) => [...columns].map(([stageId, deals]) => [stageId, deals.map((deal) => deal.id)]);

// Building 10,000-deal boards takes seconds on a busy machine: this is not a timing test.
describe('BoardReadModel', { timeout: 60_000 }, () => {
  it('a colleague’s move on a 10,000-deal board re-reads that one deal, and only the two columns it touched change', () => {
    const doc = bigBoard(10_000);
    const store = new BoardStore(doc, new Y.Doc());
    const colleague = colleagueOf(doc);
    const stages = readStages(doc);
    const before = store.columns;
    const readsBefore = store.dealReads;
    expect(readsBefore).toBe(10_000);

    moveDeal(colleague, 'deal-0', stages[1].id, 5);

    expect(store.dealReads - readsBefore).toBe(1);
    expect(store.columns.get(stages[1].id)![5].id).toBe('deal-0');
    expect(store.columns.get(stages[0].id)!.some((deal) => deal.id === 'deal-0')).toBe(false);
    // Columns the move did not touch keep their arrays, and untouched deals their objects: nothing re-renders there.
    for (const stage of stages.slice(2)) expect(store.columns.get(stage.id)).toBe(before.get(stage.id));
    expect(store.columns.get(stages[1].id)![0]).toBe(before.get(stages[1].id)![0]);
    expect(ids(store.columns)).toEqual(ids(readColumns(doc)));
    store.destroy();
  });

  it('a move made here on a 10,000-deal board reads a handful of deal fields, not the board', () => {
    const doc = bigBoard(10_000);
    const store = new BoardStore(doc, new Y.Doc());
    const stages = readStages(doc);
    const reads = store.dealReads;
    const fieldReads = vi.spyOn(Y.Map.prototype, 'get');
    try {
      store.moveDeal('deal-0', stages[2].id, 100);
      store.addDeal(stages[3].id, { title: 'Fresh lead' });
    } finally {
      fieldReads.mockRestore();
    }
    // Before and after each write (its undo record), its stage check and the store's re-read: a few hundred at most,
    // where re-reading the board would be over 100,000 (10,000 deals × their fields).
    expect(fieldReads.mock.calls.length).toBeLessThan(1_000);
    expect(store.dealReads - reads).toBe(2);
    expect(store.columns.get(stages[2].id)![100].id).toBe('deal-0');
    expect(store.columns.get(stages[3].id)![0].title).toBe('Fresh lead');
    store.destroy();
  });

  it('an edit of one field re-reads one deal; typing in its notes reads nothing', () => {
    const doc = bigBoard(500);
    const store = new BoardStore(doc, new Y.Doc());
    const colleague = colleagueOf(doc);
    const reads = store.dealReads;
    updateDeal(colleague, 'deal-7', { title: 'Renamed' });
    expect(store.dealReads - reads).toBe(1);
    expect(store.deal('deal-7')?.title).toBe('Renamed');
    const notes = (colleague.getMap('deals').get('deal-7') as Y.Map<unknown>).get('notes') as Y.Text;
    notes.insert(0, 'call back on Monday');
    expect(store.dealReads - reads).toBe(1);
    store.destroy();
  });

  it('a record that breaks the schema is listed, not shown, and shows again once repaired', () => {
    const doc = bigBoard(20);
    const model = new BoardReadModel(doc);
    const deal = doc.getMap('deals').get('deal-3') as Y.Map<unknown>;
    const follow = (events: Array<Y.YEvent<any>>) => model.applyDealEvents(events);
    doc.getMap('deals').observeDeep(follow);
    deal.set('value', 'lots');
    expect(model.problems).toEqual([{ path: 'deals.deal-3.value', reason: 'must be a number' }]);
    expect(model.deal('deal-3')).toBeUndefined();
    expect(ids(model.columns)).toEqual(ids(readColumns(doc)));
    deal.set('value', 3);
    expect(model.problems).toEqual([]);
    expect(model.deal('deal-3')?.value).toBe(3);
    expect(ids(model.columns)).toEqual(ids(readColumns(doc)));
  });

  it('random adds, moves, edits, deletes and renames leave it equal to a full read of the board', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), stage: fc.nat(6), bottom: fc.boolean() }),
      fc.record({ kind: fc.constant('move' as const), deal: fc.nat(), stage: fc.nat(6), index: fc.nat(30) }),
      fc.record({ kind: fc.constant('edit' as const), deal: fc.nat(), value: fc.nat(1_000_000), currency: fc.constantFrom('USD', 'EUR', 'GBP') }),
      fc.record({ kind: fc.constant('delete' as const), deal: fc.nat() }),
      fc.record({ kind: fc.constant('break' as const), deal: fc.nat() }),
      fc.record({ kind: fc.constant('rename' as const), stage: fc.nat(6) })
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.boolean(), (steps, remote) => {
        const doc = bigBoard(12);
        const store = new BoardStore(doc, new Y.Doc());
        const writer = remote ? colleagueOf(doc) : doc;
        const stages = readStages(doc);
        for (const action of steps) {
          const dealIds = [...writer.getMap('deals').keys()];
          const dealId = dealIds.length ? dealIds[('deal' in action ? action.deal : 0) % dealIds.length] : null;
          try {
            if (action.kind === 'add') addDeal(writer, stages[action.stage].id, { title: 'New' }, { position: action.bottom ? 'bottom' : 'top' });
            else if (action.kind === 'rename') renameStage(writer, stages[action.stage].id, `Stage ${steps.indexOf(action)}`);
            else if (!dealId) continue;
            else if (action.kind === 'move') moveDeal(writer, dealId, stages[action.stage].id, action.index);
            else if (action.kind === 'edit') updateDeal(writer, dealId, { value: action.value, currency: action.currency });
            else if (action.kind === 'delete') deleteDeal(writer, dealId);
            else (writer.getMap('deals').get(dealId) as Y.Map<unknown>).set('rank', '');
          } catch {
            // A deal broken by an earlier step cannot be moved or edited: the accessors refuse, as they should.
          }
        }
        const full = inspectBoard(doc);
        expect(ids(store.columns)).toEqual(ids(readColumns(full)));
        expect([...store.columns.values()].flat()).toEqual(expect.arrayContaining(full.deals));
        expect(store.stages).toEqual(full.stages);
        expect(new Set(store.problems.map((problem) => problem.path))).toEqual(new Set(full.problems.map((problem) => problem.path)));
        store.destroy();
      }),
      { numRuns: 60 }
    );
  });
});
