import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, initBoard, moveDeal, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { boardTracker, diffStages, type EntityChange } from './changes.ts';

/** A board doc whose every update is replayed into a tracker, as compaction replays the log. */
function trackedBoard() {
  const source = new Y.Doc();
  initBoard(source, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(source));
  const tracker = boardTracker(replica);
  const changes: EntityChange[][] = [];
  source.on('update', (update: Uint8Array) => changes.push(tracker.apply(update)));
  return { source, changes, stage: (name: string) => readStages(source).find((stage) => stage.name === name)!.id };
}

const stageMaps = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>('stages');

describe('change derivation: stages and notes', () => {
  it('a stage rename is one entry naming the stage, from and to', () => {
    const { source, changes, stage } = trackedBoard();
    const demo = stage('Demo');
    renameStage(source, demo, 'Product demo');
    expect(changes).toEqual([[{ entityId: demo, title: 'Product demo', kind: 'stage_changed', field: 'name', before: 'Demo', after: 'Product demo' }]]);
  });

  it("a stage's win % and outcome changes are entries with from and to", () => {
    const { source, changes, stage } = trackedBoard();
    const proposal = stage('Proposal');
    source.transact(() => {
      const map = stageMaps(source).toArray().find((candidate) => candidate.get('id') === proposal)!;
      map.set('probability', 70);
      map.set('outcome', 'won');
    });
    expect(changes[0]).toEqual([
      { entityId: proposal, title: 'Proposal', kind: 'stage_changed', field: 'probability', before: 60, after: 70 },
      { entityId: proposal, title: 'Proposal', kind: 'stage_changed', field: 'outcome', before: 'open', after: 'won' }
    ]);
  });

  it('a reorder names only the stage that moved, with its old and new place', () => {
    const { source, changes, stage } = trackedBoard();
    const lead = stage('Lead in');
    // The first stage goes fourth: the others keep their order and are not listed.
    source.transact(() => {
      const array = stageMaps(source);
      const fields = array.get(0).toJSON();
      array.delete(0, 1);
      array.insert(3, [new Y.Map<unknown>(Object.entries(fields))]);
    });
    expect(changes[0]).toEqual([{ entityId: lead, title: 'Lead in', kind: 'stage_changed', field: 'position', before: 1, after: 4 }]);
  });

  it('a deal moved into a stage an earlier update added is a move (the stages are read again once they change)', () => {
    const { source, changes, stage } = trackedBoard();
    const deal = addDeal(source, stage('Lead in'), { title: 'Acme', value: 100 });
    source.transact(() => {
      const array = stageMaps(source);
      array.push([new Y.Map<unknown>(Object.entries({ ...array.get(0).toJSON(), id: 'review', name: 'Review' }))]);
    });
    moveDeal(source, deal, 'review', 0);
    expect(changes.at(-1)).toEqual([expect.objectContaining({ entityId: deal, kind: 'moved', field: 'stageId' })]);
  });

  it('diffStages: a stage added or removed by a repair is listed whole', () => {
    const before = [
      { id: 'a', name: 'A', probability: 10, outcome: 'open' as const },
      { id: 'b', name: 'B', probability: 50, outcome: 'open' as const }
    ];
    const after = [before[1], { id: 'c', name: 'C', probability: 0, outcome: 'open' as const }];
    expect(diffStages(before, after)).toEqual([
      { entityId: 'a', title: 'A', kind: 'stage_changed', field: 'stage', before: before[0], after: null },
      { entityId: 'c', title: 'C', kind: 'stage_changed', field: 'stage', before: null, after: after[1] }
    ]);
  });

  it('typing in notes counts the characters each update added and removed, not the whole text', () => {
    const { source, changes, stage } = trackedBoard();
    let dealId = '';
    source.transact(() => {
      dealId = addDeal(source, stage('Lead in'), { title: 'Acme' });
      dealNotes(source, dealId)!.insert(0, 'First call');
    });
    // A deal that arrives with notes is an 'added' entry, not a notes edit.
    expect(changes.at(-1)!.map((change) => change.kind)).toEqual(['added']);
    const notes = dealNotes(source, dealId)!;
    notes.insert(notes.length, ' went well');
    notes.delete(0, 5);
    updateDeal(source, dealId, { value: 10 });
    const notesEntries = changes.flat().filter((change) => change.kind === 'notes_edited');
    expect(notesEntries).toEqual([
      { entityId: dealId, title: 'Acme', kind: 'notes_edited', field: 'notes', before: null, after: { added: 10, removed: 0, length: notes.length + 5 } },
      { entityId: dealId, title: 'Acme', kind: 'notes_edited', field: 'notes', before: null, after: { added: 0, removed: 5, length: notes.length } }
    ]);
    // The value edit is listed on its own, with no notes entry.
    expect(changes.at(-1)!.map((change) => [change.kind, change.field])).toEqual([['edited', 'value']]);
  });
});
