import { getHeapStatistics } from 'node:v8';
import * as Y from 'yjs';
import { CLOSE_DOC_TOO_LARGE, CLOSE_POLICY, CLOSE_TRY_LATER, Rejection } from './protocol.ts';

/**
 * What a doc costs in memory is its structure, not its encoded size: a delete range of three bytes on the wire can
 * split a long string item in two, and each item costs some 230 bytes of heap. So a room counts the items its doc
 * holds, bounds them per doc (MAX_DOC_ITEMS) and across the process (MAX_TOTAL_ITEMS), and refuses an update that
 * could pass either bound before applying it.
 */
export const DEFAULT_MAX_DOC_ITEMS = 500_000;
/** Heap one item costs, rounded up from a measurement (an Item, its ID and ContentDeleted after a split). */
export const BYTES_PER_ITEM = 256;
/** Updates with missing dependencies wait in the doc, are re-read by every later update and never stored: keep few. */
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024;
/**
 * A stored doc opens while the worst case of its structure stays under this many times MAX_DOC_ITEMS. A doc accepted
 * live holds at most MAX_DOC_ITEMS items; its snapshot estimates at most 3 per item plus 2 per delete range (at most
 * one range per deleted item), so it always opens again, while a log that could split into millions of items does not.
 */
export const LOAD_HEADROOM = 5;

/** The process-wide default: what fits in 40% of V8's heap limit (so `--max-old-space-size` moves it too). */
export function defaultMaxTotalItems(): number {
  return Math.floor((getHeapStatistics().heap_size_limit * 0.4) / BYTES_PER_ITEM);
}

export interface DocLimits {
  /** Refuse updates that could grow one doc past this many items (MAX_DOC_ITEMS). */
  maxItems: number;
  /** Close a sender whose update leaves more than this many bytes waiting for missing dependencies. */
  maxPendingBytes: number;
  /** Shared by every room of the process (MAX_TOTAL_ITEMS). */
  budget: ItemBudget;
}

export function docLimits(options: { maxItems?: number; maxPendingBytes?: number; budget?: ItemBudget } = {}): DocLimits {
  return {
    maxItems: options.maxItems ?? DEFAULT_MAX_DOC_ITEMS,
    maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    budget: options.budget ?? new ItemBudget(defaultMaxTotalItems())
  };
}

/** Items held by every loaded doc of the process, against one limit. */
export class ItemBudget {
  private usedItems = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.usedItems;
  }

  fits(extra: number): boolean {
    return this.usedItems + extra <= this.limit;
  }

  change(delta: number): void {
    this.usedItems = Math.max(0, this.usedItems + delta);
  }
}

/** The decoded structure of one update: what it can add to a doc's memory. */
export interface UpdateShape {
  structs: number;
  deleteRanges: number;
}

export function shapeOf(decoded: ReturnType<typeof Y.decodeUpdate>): UpdateShape {
  let deleteRanges = 0;
  for (const ranges of decoded.ds.clients.values()) deleteRanges += ranges.length;
  return { structs: decoded.structs.length, deleteRanges };
}

/**
 * The most items an update can add to a doc that already holds some: each struct is one item and may split the
 * items at its left and right origin; each delete range may split an item at either end.
 */
export function worstCaseGrowth(shape: UpdateShape): number {
  return 3 * shape.structs + 2 * shape.deleteRanges;
}

/** Items (structs, deleted ones included) the doc holds: an array per client, so this costs one step per client. */
export function itemsIn(doc: Y.Doc): number {
  let items = 0;
  for (const structs of doc.store.clients.values()) items += structs.length;
  return items;
}

/** Bytes of updates waiting in the doc for dependencies that have not arrived. */
export function pendingBytes(doc: Y.Doc): number {
  return (doc.store.pendingStructs?.update.length ?? 0) + (doc.store.pendingDs?.length ?? 0);
}

/** Drop whatever waits for missing dependencies: a refused update must not linger in the room. */
export function dropPending(doc: Y.Doc): void {
  doc.store.pendingStructs = null;
  doc.store.pendingDs = null;
}

/** Why this update may not grow the doc (it holds `items` now), or null when it fits. */
export function growthRefusal(limits: DocLimits, items: number, shape: UpdateShape): Rejection | null {
  const growth = worstCaseGrowth(shape);
  if (items + growth > limits.maxItems) {
    return new Rejection(CLOSE_DOC_TOO_LARGE, `document is full: it would hold more than ${limits.maxItems} items`);
  }
  if (!limits.budget.fits(growth)) {
    return new Rejection(CLOSE_TRY_LATER, 'server is at its memory budget for documents; try again later');
  }
  return null;
}

export function pendingRefusal(limits: DocLimits, doc: Y.Doc): Rejection | null {
  const waiting = pendingBytes(doc);
  if (waiting <= limits.maxPendingBytes) return null;
  return new Rejection(CLOSE_POLICY, `update depends on changes the server does not have (${waiting} bytes waiting, limit ${limits.maxPendingBytes})`);
}

/** A stored doc that is not opened: 413 when it is too big for any server with these limits, 503 when memory is short now. */
export class DocRefused extends Error {
  override name = 'DocRefused';
  constructor(
    readonly status: 413 | 503,
    message: string
  ) {
    super(message);
  }
}

/** Before applying a stored doc whose structure could add `estimate` items: throws DocRefused if that passes a bound. */
export function checkLoad(limits: DocLimits, estimate: number): void {
  const bound = LOAD_HEADROOM * limits.maxItems;
  if (estimate > bound) {
    throw new DocRefused(413, `this document is too large to open: it may hold more than ${bound} items (${LOAD_HEADROOM} × MAX_DOC_ITEMS)`);
  }
  if (!limits.budget.fits(estimate)) throw new DocRefused(503, 'server is at its memory budget for documents; try again later');
}
