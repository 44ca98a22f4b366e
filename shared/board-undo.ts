import type * as Y from 'yjs';
import {
  BoardError,
  deleteDeal,
  placeDeal,
  readDealRecord,
  restoreDeal,
  updateDeal,
  type DealPlace,
  type DealRecord,
  type WriteContext
} from './board-doc.ts';
import { InvalidFieldError, type DealFields } from './deal-fields.ts';

/**
 * One user's undo and redo on a board, as forward writes through the board accessors.
 *
 * Why not Y.UndoManager: it undoes by deleting this user's items and re-inserting the ones they replaced, and a
 * replaced map value cannot come back when a colleague's concurrent value sits next to it. Undoing a move (or a
 * title edit) that won over a colleague's concurrent one then leaves the deal with no `stageId` (or no `title`) at
 * all: in no stage anyone chose, and refused by the server's schema check.
 *
 * Here each step remembers, per deal, what this user changed (place, field, tag, the deal's existence) from what to
 * what. Undo writes the old value back only where the board still shows what this user left; anything a colleague
 * has changed since stays as they chose. Redo does the same the other way. The writes are ordinary updates through
 * placeDeal/updateDeal/restoreDeal/deleteDeal, so every replica merges them alike, and none removes a required key.
 * A deal's notes are not board history: they keep their own editor's undo, and ride along when a deal is restored.
 */

type ScalarField = Exclude<keyof DealFields, 'tags'>;
const SCALAR_FIELDS: readonly ScalarField[] = ['title', 'value', 'currency', 'contactId', 'ownerId', 'expectedCloseDate'];

/** One thing one user changed on one deal, from `before` to `after`; a null record means the deal did not exist. */
export type DealChange =
  | { kind: 'place'; dealId: string; before: DealPlace; after: DealPlace }
  | { kind: 'field'; dealId: string; field: ScalarField; before: DealFields[ScalarField]; after: DealFields[ScalarField] }
  | { kind: 'tag'; dealId: string; tag: string; before: boolean; after: boolean }
  | { kind: 'existence'; dealId: string; before: DealRecord | null; after: DealRecord | null };

/** What one undo (or redo) takes back: the changes in the order they were made. */
type Step = DealChange[];

export interface BoardUndoOptions {
  /** Origin of every write, so other listeners can tell this user's changes (and undos) from a colleague's. */
  origin?: unknown;
  /** Changes closer together than this (ms) undo as one step, so a burst of field edits is one undo. */
  captureTimeout?: number;
  now?: () => number;
}

export class BoardUndo {
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  private lastChangeAt = -Infinity;
  private closed = false;
  private readonly origin: unknown;
  private readonly captureTimeout: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: Y.Doc,
    options: BoardUndoOptions = {}
  ) {
    this.origin = options.origin;
    this.captureTimeout = options.captureTimeout ?? 500;
    this.now = options.now ?? Date.now;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /**
   * Run `write`, a change of this user's to one deal (made with this history's origin), and remember what it changed
   * so it can be undone. A write that throws changes nothing and records nothing.
   */
  track<T>(dealId: string, write: () => T): T {
    if (this.closed) return write();
    const before = readDealRecord(this.doc, dealId) ?? null;
    const result = write();
    const changes = dealChanges(dealId, before, readDealRecord(this.doc, dealId) ?? null);
    if (changes.length) this.record(changes);
    return result;
  }

  /** Take back this user's newest step that still shows; returns false when nothing was left to undo. */
  undo(): boolean {
    return this.replay(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.replay(this.redoStack, this.undoStack);
  }

  /** The next change starts a step of its own, however soon it comes. */
  stopCapturing(): void {
    this.lastChangeAt = -Infinity;
  }

  /** Forget everything and record nothing more (the board was closed). */
  close(): void {
    this.closed = true;
    this.undoStack.length = 0;
    this.redoStack.length = 0;
  }

  private record(changes: Step): void {
    const now = this.now();
    const top = this.undoStack.at(-1);
    if (top && now - this.lastChangeAt < this.captureTimeout) top.push(...changes);
    else this.undoStack.push(changes);
    this.lastChangeAt = now;
    this.redoStack.length = 0;
  }

  /**
   * Revert the newest step of `from` and push what was reverted onto `to`. A step that a colleague has overridden
   * entirely reverts nothing and is dropped, and the one before it is tried, as Y.UndoManager does.
   */
  private replay(from: Step[], to: Step[]): boolean {
    while (from.length) {
      const reverted = revertStep(this.doc, from.pop()!, this.origin);
      if (reverted.length) {
        to.push(reverted);
        this.stopCapturing();
        return true;
      }
    }
    return false;
  }
}

/** What changed on one deal between two readings of it. */
function dealChanges(dealId: string, before: DealRecord | null, after: DealRecord | null): DealChange[] {
  if (!before || !after) return before === after ? [] : [{ kind: 'existence', dealId, before, after }];
  const changes: DealChange[] = [];
  if (before.stageId !== after.stageId || before.rank !== after.rank) {
    changes.push({ kind: 'place', dealId, before: placeOf(before), after: placeOf(after) });
  }
  for (const field of SCALAR_FIELDS) {
    if (before[field] !== after[field]) changes.push({ kind: 'field', dealId, field, before: before[field], after: after[field] });
  }
  for (const tag of new Set([...before.tags, ...after.tags])) {
    const had = before.tags.includes(tag);
    const has = after.tags.includes(tag);
    if (had !== has) changes.push({ kind: 'tag', dealId, tag, before: had, after: has });
  }
  return changes;
}

/**
 * Revert a step's changes, newest first, in one transaction (one update): each only where the board still shows
 * what the step left and its old value can still be written. Returns the changes reverted, as a step that redoes them.
 */
function revertStep(doc: Y.Doc, step: Step, origin: unknown): Step {
  const reverted: Step = [];
  doc.transact(() => {
    for (const change of [...step].reverse()) {
      if (stillShows(doc, change) && writeBefore(doc, change, origin)) reverted.push(inverse(change));
    }
  }, origin);
  return reverted;
}

function inverse(change: DealChange): DealChange {
  return { ...change, before: change.after, after: change.before } as DealChange;
}

const placeOf = (deal: DealPlace): DealPlace => ({ stageId: deal.stageId, rank: deal.rank });

/** Does the board still show what this change left? If not, someone changed it since and their choice stands. */
function stillShows(doc: Y.Doc, change: DealChange): boolean {
  const current = readDealRecord(doc, change.dealId);
  switch (change.kind) {
    case 'place':
      return !!current && current.stageId === change.after.stageId && current.rank === change.after.rank;
    case 'field':
      return !!current && current[change.field] === change.after;
    case 'tag':
      return !!current && current.tags.includes(change.tag) === change.after;
    case 'existence':
      return change.after ? !!current && sameContent(current, change.after) : !current;
  }
}

/**
 * Write a change's old value back; false when it can no longer be written (its stage is gone, a field rule refuses
 * it). The accessors check everything before they write, so a refused write leaves the doc untouched.
 */
function writeBefore(doc: Y.Doc, change: DealChange, origin: unknown): boolean {
  try {
    writeThrough(doc, change, { origin });
    return true;
  } catch (error) {
    if (error instanceof BoardError || error instanceof InvalidFieldError) return false;
    throw error;
  }
}

function writeThrough(doc: Y.Doc, change: DealChange, context: WriteContext): void {
  switch (change.kind) {
    case 'place':
      return placeDeal(doc, change.dealId, change.before, context);
    case 'field':
      return updateDeal(doc, change.dealId, { [change.field]: change.before }, context);
    case 'tag': {
      const others = readDealRecord(doc, change.dealId)!.tags.filter((tag) => tag !== change.tag);
      return updateDeal(doc, change.dealId, { tags: change.before ? [...others, change.tag] : others }, context);
    }
    case 'existence':
      return change.before ? restoreDeal(doc, change.before, context) : deleteDeal(doc, change.dealId, context);
  }
}

/**
 * Two readings of a deal show the same thing: its place, fields, tags and notes (not its timestamps). An added deal
 * is removed by undo only while it is exactly as its author left it, so a colleague's edits or notes are never lost.
 */
function sameContent(a: DealRecord, b: DealRecord): boolean {
  return (
    a.stageId === b.stageId &&
    a.rank === b.rank &&
    a.notes === b.notes &&
    SCALAR_FIELDS.every((field) => a[field] === b[field]) &&
    a.tags.length === b.tags.length &&
    a.tags.every((tag) => b.tags.includes(tag))
  );
}
