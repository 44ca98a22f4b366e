import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, deleteDeal, initBoard, readDealRecord, readStages, restoreDeal, updateDeal } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';
import { CarriedFolds, foldRows, foldRowsInSlices, type FoldInput, type FoldOutput, type FoldRow } from './fold.ts';

const HOUR = 3_600_000;

/** A board and its log rows in two batches: deals added, edited and one removed in the first; that one restored, more edits in the second. */
function boardLog() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  const snapshot = Y.encodeStateAsUpdate(doc);
  const rows: FoldRow[] = [];
  let at = Date.UTC(2026, 0, 1);
  doc.on('update', (data: Uint8Array) => rows.push({ id: rows.length + 1, at, data }));
  const stages = readStages(doc);
  const ids = Array.from({ length: 12 }, (_, index) => {
    at += HOUR / 4;
    return addDeal(doc, stages[index % 3].id, { title: `Deal ${index}`, value: index * 10 }, { now: at });
  });
  const gone = readDealRecord(doc, ids[3])!;
  deleteDeal(doc, ids[3]);
  const firstBatch = rows.length;
  at += HOUR;
  restoreDeal(doc, gone);
  for (const [index, id] of ids.entries()) {
    at += HOUR / 3;
    if (index !== 3) updateDeal(doc, id, { value: index * 100 }, { now: at });
  }
  return { snapshot, first: rows.slice(0, firstBatch), second: rows.slice(firstBatch) };
}

const removedBy = (output: FoldOutput) => output.changes.filter((change) => change.kind === 'removed').map((change) => change.entityId);

describe('CarriedFolds', () => {
  it('folds from where its last fold ended, with the same result as a fold from the stored snapshot', () => {
    const { snapshot, first, second } = boardLog();
    const firstInput: FoldInput = { kind: 'board', snapshot, snapshotIsFirstCheckpoint: true, rows: first, removedIds: [] };
    const folds = new CarriedFolds();
    const carriedFirst = folds.fold(firstInput);
    expect(carriedFirst).toEqual(foldRows(firstInput));
    expect(folds.holding).toBe(true);

    // What compaction reads next: the snapshot the first fold wrote and the removals recorded so far.
    const secondInput: FoldInput = { kind: 'board', snapshot: carriedFirst.snapshot, snapshotIsFirstCheckpoint: false, rows: second, removedIds: removedBy(carriedFirst) };
    expect(secondInput.removedIds).toHaveLength(1);
    const carriedSecond = folds.fold(secondInput);
    const fresh = foldRows(secondInput);
    expect(carriedSecond.changes).toEqual(fresh.changes);
    expect(carriedSecond.changes.find((change) => change.entityId === secondInput.removedIds[0])?.kind).toBe('restored');
    expect(carriedSecond.checkpoints.length).toBeGreaterThan(1);
    expect(carriedSecond.checkpoints).toEqual(fresh.checkpoints);
    expect([...carriedSecond.snapshot]).toEqual([...fresh.snapshot]);
  });

  it('starts afresh from any other input: another snapshot, or other removals recorded', () => {
    const { snapshot, first, second } = boardLog();
    const folds = new CarriedFolds();
    const firstOutput = folds.fold({ kind: 'board', snapshot, snapshotIsFirstCheckpoint: false, rows: first, removedIds: [] });
    // A retry from the older snapshot (the first fold's write lost a race): replayed from that snapshot, not carried.
    const retry: FoldInput = { kind: 'board', snapshot, snapshotIsFirstCheckpoint: false, rows: [...first, ...second], removedIds: [] };
    expect(folds.fold(retry)).toEqual(foldRows(retry));
    // The snapshot the kept doc is at, but no removal recorded: the deal that comes back is 'added', as a fresh fold says.
    const other = new CarriedFolds();
    other.fold({ kind: 'board', snapshot, snapshotIsFirstCheckpoint: false, rows: first, removedIds: [] });
    const forgetful: FoldInput = { kind: 'board', snapshot: firstOutput.snapshot, snapshotIsFirstCheckpoint: false, rows: second, removedIds: [] };
    const output = other.fold(forgetful);
    expect(output).toEqual(foldRows(forgetful));
    expect(output.changes.some((change) => change.kind === 'restored')).toBe(false);
  });
});

describe('foldRowsInSlices', () => {
  it('gives what foldRows gives, letting the event loop run between its slices', async () => {
    const { snapshot, first, second } = boardLog();
    const input: FoldInput = { kind: 'board', snapshot, snapshotIsFirstCheckpoint: true, rows: [...first, ...second], removedIds: [] };
    // Timers, I/O and setImmediate callbacks that come due while a fold runs get their turn before it ends.
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const output = await foldRowsInSlices(input, 0);
    done = true;
    expect(output).toEqual(foldRows(input));
    expect(output.changes.length).toBeGreaterThan(12);
    // A zero-length slice is one row: every row but the last lets the loop run once.
    expect(turns).toBeGreaterThanOrEqual(input.rows.length - 1);
  });
});
