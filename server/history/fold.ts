import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { boardTracker, contactsTracker, type ChangeTracker, type EntityChange } from './changes.ts';
import { storedCheckpoint } from './checkpoints.ts';
import { HOUR } from './retention.ts';

/**
 * The CPU part of a compaction, pure: replay a room's new log rows onto its snapshot, with what each row changed
 * (the change feed) and the state at the end of each hour with activity (a checkpoint), compressed as stored.
 * No database: compaction.ts reads the input and writes the output, and runs this in fold-thread.ts for a large
 * room, so replaying a 4 MB board never stalls the sockets, and in slices between socket events for a small one.
 */

export interface FoldRow {
  id: number;
  at: number;
  data: Uint8Array;
}

export interface FoldInput {
  /** The room's doc kind; null for a room without a change feed (its rows are replayed only). */
  kind: 'board' | 'contacts' | null;
  snapshot: Uint8Array | null;
  /** The snapshot itself is the first checkpoint: the room has none yet. */
  snapshotIsFirstCheckpoint: boolean;
  rows: FoldRow[];
  /** Entities a removal was recorded for earlier: one that reappears is 'restored', not 'added'. */
  removedIds: string[];
}

export interface FoldCheckpoint {
  at: number;
  lastUpdateId: number;
  /** The state, compressed as doc_checkpoints stores it. */
  stored: Uint8Array;
}

export interface FoldOutput {
  /** Each change with the index (in `rows`) of the row that made it. */
  changes: Array<EntityChange & { rowIndex: number }>;
  /** The snapshot's state as a checkpoint, when it is the room's first (at the snapshot's time, set by the caller). */
  firstCheckpoint: Uint8Array | null;
  checkpoints: FoldCheckpoint[];
  /** The new snapshot: the state after the last row. */
  snapshot: Uint8Array;
}

/** Input bytes: what decides whether a fold is worth a thread. */
export function foldInputBytes(input: FoldInput): number {
  return (input.snapshot?.byteLength ?? 0) + input.rows.reduce((sum, row) => sum + row.data.byteLength, 0);
}

/** A doc at some state with its change tracker (null for a room without a change feed). */
interface Replay {
  doc: Y.Doc;
  tracker: ChangeTracker | null;
}

function startReplay(input: FoldInput): Replay {
  const doc = new Y.Doc();
  if (input.snapshot) Y.applyUpdate(doc, input.snapshot);
  const tracker = input.kind === 'board' ? boardTracker(doc, input.removedIds) : input.kind === 'contacts' ? contactsTracker(doc, input.removedIds) : null;
  return { doc, tracker };
}

/**
 * Replay `input.rows` onto `replay` (at the state of `input.snapshot`): the changes, checkpoints and new snapshot.
 * A step per row, so a fold on the main thread can let the event loop run between rows (foldRowsInSlices).
 */
function* foldSteps({ doc, tracker }: Replay, input: FoldInput): Generator<void, FoldOutput> {
  const firstCheckpoint = input.snapshot && input.snapshotIsFirstCheckpoint ? storedCheckpoint(input.snapshot) : null;
  const changes: FoldOutput['changes'] = [];
  const checkpoints: FoldCheckpoint[] = [];
  let lastState: Uint8Array | null = null;
  for (const [rowIndex, row] of input.rows.entries()) {
    if (tracker) for (const change of tracker.apply(row.data)) changes.push({ ...change, rowIndex });
    else Y.applyUpdate(doc, row.data);
    const next = input.rows[rowIndex + 1];
    // The last state of each hour with activity is a checkpoint (retention drops the current hour's earlier ones).
    if (!next || Math.floor(next.at / HOUR) !== Math.floor(row.at / HOUR)) {
      lastState = Y.encodeStateAsUpdate(doc);
      checkpoints.push({ at: row.at, lastUpdateId: row.id, stored: storedCheckpoint(lastState) });
    }
    yield;
  }
  // The last row always ends a checkpoint: its state is the new snapshot, encoded once (4 MB on a big board).
  return { changes, firstCheckpoint, checkpoints, snapshot: lastState ?? Y.encodeStateAsUpdate(doc) };
}

function foldOnto(replay: Replay, input: FoldInput): FoldOutput {
  const steps = foldSteps(replay, input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export function foldRows(input: FoldInput): FoldOutput {
  const replay = startReplay(input);
  try {
    return foldOnto(replay, input);
  } finally {
    replay.doc.destroy();
  }
}

/**
 * `foldRows(input)` on this thread, in slices of about `sliceMs` with the event loop running between them: a small
 * room's fold (500 rows, tens of milliseconds on a cold server) would otherwise hold up every socket at once.
 */
export async function foldRowsInSlices(input: FoldInput, sliceMs = 4): Promise<FoldOutput> {
  const replay = startReplay(input);
  try {
    const steps = foldSteps(replay, input);
    for (;;) {
      const until = performance.now() + sliceMs;
      let step = steps.next();
      while (!step.done && performance.now() < until) step = steps.next();
      if (step.done) return step.value;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    replay.doc.destroy();
  }
}

/**
 * What identifies the state a fold starts from: the doc kind, the snapshot's bytes and the entities already recorded
 * as removed (the tracker reports one that comes back as 'restored').
 */
function startKey(kind: FoldInput['kind'], snapshot: Uint8Array | null, removedIds: Iterable<string>): string {
  const hash = createHash('sha256');
  hash.update(`${kind}\u0000${[...new Set(removedIds)].sort().join('\u0001')}\u0000`);
  if (snapshot) hash.update(snapshot);
  return hash.digest('base64');
}

/**
 * Folds that keep the doc and tracker their last fold ended with. A busy room is folded every 500 rows, each time
 * from the snapshot the previous fold wrote: starting from the kept doc skips replaying that snapshot and reading
 * every entity again (on the 10,030-deal board about two thirds of a fold). The kept state is used only when the next
 * input starts exactly where it ended (same kind, snapshot bytes and removed entities, compared by hash); any other
 * input (another room, a fold whose write lost a race and is retried, another instance's fold) starts afresh.
 * One doc is kept at a time; the fold thread drops it with itself when idle.
 */
export class CarriedFolds {
  private kept: (Replay & { key: string }) | null = null;

  fold(input: FoldInput): FoldOutput {
    const key = startKey(input.kind, input.snapshot, input.removedIds);
    let replay: Replay;
    if (this.kept?.key === key) replay = this.kept;
    else {
      this.drop();
      replay = startReplay(input);
    }
    this.kept = null;
    try {
      const output = foldOnto(replay, input);
      const removed = [...input.removedIds, ...output.changes.filter((change) => change.kind === 'removed').map((change) => change.entityId)];
      this.kept = { ...replay, key: startKey(input.kind, output.snapshot, removed) };
      return output;
    } catch (error) {
      replay.doc.destroy();
      throw error;
    }
  }

  /** Whether a doc is kept (for tests). */
  get holding(): boolean {
    return this.kept !== null;
  }

  drop(): void {
    this.kept?.doc.destroy();
    this.kept = null;
  }
}
