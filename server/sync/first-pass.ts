import * as Y from 'yjs';
import { checkContact, checkDeal, checkField, checkTag, currentStageIds, locate, stageFieldsName, TOP_LEVEL_TYPES, type DocKind, type SchemaProblem } from '../../shared/doc-schema.ts';

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

/** What the first pass over an update's decoded structs found, before anything is applied anywhere. */
export interface FirstPass {
  /** A write that breaks its place's rule: the update is refused as a whole. */
  problem: SchemaProblem | null;
  /**
   * No problem, and the update is of a kind whose whole effect is known without applying it: plain values written
   * to fields of records known valid, tags set or removed, notes typed or erased, fields replaced, records removed.
   * Such an update needs no check on the admission copy. False: the copy decides.
   */
  settled: boolean;
  /**
   * The problem is one the exact check finds too, whatever else happens: a deletion nothing in the update refills.
   * (A bad written value is refused early even when it might lose to a concurrent write.)
   */
  certain?: boolean;
}

/**
 * What the first pass may take as known about a doc between updates: records found valid, and the board's stage ids
 * (clients cannot change them). Admitted client updates keep both true; whoever changes the doc otherwise (a load,
 * a server write) must start a new one.
 */
export class KnownState {
  readonly records = new WeakSet<Y.AbstractType<any>>();
  stageIds: Set<string> | null = null;
}

/**
 * The first pass of the admission check (admission.ts). Every new item of the update whose place (parent type and
 * key) is already in the doc is checked against the rule for that place: the right kind of content, and for a
 * record's field the field's rule. Then the update is settled here when nothing else can follow from it:
 * - every item is the next one of its client (nothing waits for dependencies, nothing is a duplicate), sits between
 *   neighbours the doc holds, and writes one plain value to a record's field or tag, or text into a deal's notes;
 * - every deletion removes a whole record, a tag, notes text, an optional field, or a field's value that an item of
 *   the same update replaces (its left origin);
 * - every record it touches was valid before (`known` remembers the records found valid, see admission.ts).
 * A record valid before stays valid after such an update, whichever concurrent write wins a key, because every
 * candidate value is valid and no key is left empty. Anything else (new records, nested types, deletions of required
 * fields, stages, pending dependencies) is left to the copy, the exact check.
 */
export function firstPass(doc: Y.Doc, kind: DocKind, decoded: DecodedUpdate, known: KnownState = new KnownState()): FirstPass {
  const store = doc.store;
  let settled = store.pendingStructs === null && store.pendingDs === null;
  const stages = () => (known.stageIds ??= kind === 'board' ? currentStageIds(doc) : new Set());
  const recordsRoot = kind === 'board' ? 'deals' : 'contacts';
  /** The next clock of each client: the doc's, then past each item of this update. */
  const nextClock = new Map<number, number>();
  /** Items of the doc whose value an item of this update replaces (it names them as its left origin). */
  const replaced = new Set<Y.Item>();
  const touched = new Set<Y.Map<unknown>>();
  /** Where the update's items land, when every place is known exactly: then a deletion nothing refills is certain. */
  const targets = new Map<Y.AbstractType<any>, Set<string | null>>();
  let placesExact = true;

  for (const struct of decoded.structs) {
    if (settled) {
      const client = struct.id.client;
      const expected = nextClock.get(client) ?? Y.getState(store, client);
      if (!(struct instanceof Y.Item) || struct.id.clock !== expected) settled = false;
      else nextClock.set(client, expected + struct.length);
    }
    if (!(struct instanceof Y.Item)) {
      settled = false;
      if (struct.id.clock + struct.length > Y.getState(store, struct.id.client)) placesExact = false;
      continue;
    }
    if (struct.id.clock < Y.getState(store, struct.id.client)) continue; // already in the doc
    const exact = exactPlace(doc, struct);
    if (exact) {
      const keys = targets.get(exact.parent) ?? new Set();
      targets.set(exact.parent, keys.add(exact.key));
    } else placesExact = false;
    if (struct.content instanceof Y.ContentDeleted) {
      settled = false;
      continue;
    }
    const place = exact ?? loosePlace(doc, kind, struct);
    if (place === null) {
      settled = false;
      continue;
    }
    if (typeof place === 'string') return { problem: { path: place, reason: 'is not a top-level type of this doc' }, settled: false };
    const { root, keys } = locate(doc, place.parent);
    if (root === null) {
      settled = false;
      continue;
    }
    const problem = slotProblem(kind, root, keys, place.key, struct.content, stages());
    if (problem) return { problem, settled: false };
    if (!settled) continue;
    if (exact === null || root !== recordsRoot || !plainWrite(keys, place.key, struct.content)) {
      settled = false;
      continue;
    }
    touched.add(recordOf(place.parent, keys.length));
    if (struct.origin && place.key !== null) {
      const left = knownItem(doc, struct.origin)!;
      if (struct.origin.clock === left.id.clock + left.length - 1) replaced.add(left);
    }
  }
  // Nothing waits in the doc that this update could complete: its deletions are all there is to know.
  if (store.pendingStructs !== null || store.pendingDs !== null) return { problem: null, settled: false };
  const deletions = deletionsCheck(doc, kind, decoded, replaced, touched, placesExact ? targets : null);
  if (deletions.problem) return { problem: deletions.problem, settled: false, certain: true };
  if (!settled || !deletions.settled) return { problem: null, settled: false };
  for (const record of touched) {
    if (record._item?.deleted || known.records.has(record)) continue;
    const key = record._item!.parentSub!;
    const problem = kind === 'board' ? checkDeal(record, key, stages()) : checkContact(record, key);
    // A record that is invalid already (stored before the schema check): the copy decides, as for any change to it.
    if (problem) return { problem: null, settled: false };
    known.records.add(record);
  }
  return { problem: null, settled: true };
}

/** An item of `doc` by id, or null when the doc does not have it (yet) or only as garbage. */
function knownItem(doc: Y.Doc, id: Y.ID): Y.Item | null {
  if (id.clock >= Y.getState(doc.store, id.client)) return null;
  const struct = Y.getItem(doc.store, id) as Y.Item | Y.GC;
  return struct instanceof Y.Item ? struct : null;
}

interface Place {
  parent: Y.AbstractType<any>;
  key: string | null;
}

/**
 * Where Yjs will put the item, known exactly: from its left origin (else right origin) when the doc holds every
 * origin it names and they agree on the place, or from its parent when it names no origin. Null otherwise.
 */
function exactPlace(doc: Y.Doc, struct: Y.Item): Place | null {
  if (struct.origin || struct.rightOrigin) {
    const left = struct.origin ? knownItem(doc, struct.origin) : null;
    const right = struct.rightOrigin ? knownItem(doc, struct.rightOrigin) : null;
    if ((struct.origin && !left) || (struct.rightOrigin && !right)) return null;
    if (left && right && (left.parent !== right.parent || left.parentSub !== right.parentSub)) return null;
    const neighbour = (left ?? right)!;
    return neighbour.parent instanceof Y.AbstractType ? { parent: neighbour.parent, key: neighbour.parentSub } : null;
  }
  if (typeof struct.parent === 'string') {
    const type = doc.share.get(struct.parent);
    return type ? { parent: type, key: struct.parentSub } : null;
  }
  if (struct.parent) {
    const item = knownItem(doc, struct.parent as Y.ID);
    return item?.content instanceof Y.ContentType ? { parent: item.content.type, key: struct.parentSub } : null;
  }
  return null;
}

/**
 * A place good enough to refuse a bad value early when it is not exactly known (one origin still on the way): a
 * top-level name the doc kind does not have comes back as that name. Null when there is nothing to check.
 */
function loosePlace(doc: Y.Doc, kind: DocKind, struct: Y.Item): Place | string | null {
  if (typeof struct.parent === 'string') {
    // A known top-level type the doc has not used yet (an empty contacts map) is created by the copy; check it there.
    const type = doc.share.get(struct.parent);
    if (type) return { parent: type, key: struct.parentSub };
    return TOP_LEVEL_TYPES[kind].includes(struct.parent) ? null : struct.parent;
  }
  if (struct.parent) {
    const item = knownItem(doc, struct.parent as Y.ID);
    return item?.content instanceof Y.ContentType ? { parent: item.content.type, key: struct.parentSub } : null;
  }
  const neighbour = (struct.origin && knownItem(doc, struct.origin)) || (struct.rightOrigin && knownItem(doc, struct.rightOrigin));
  return neighbour && neighbour.parent instanceof Y.AbstractType ? { parent: neighbour.parent, key: neighbour.parentSub } : null;
}

/** One plain value into a record's field or a deal's tag, or text into a deal's notes (keys lead from the records map). */
function plainWrite(keys: Array<string | null>, key: string | null, content: Y.Item['content']): boolean {
  if (keys[0] === null || keys[0] === undefined) return false;
  const oneValue = content instanceof Y.ContentAny && content.arr.length === 1;
  if (keys.length === 1) return key !== null && oneValue;
  if (keys.length === 2 && keys[1] === 'tags') return key !== null && oneValue;
  if (keys.length === 2 && keys[1] === 'notes') return key === null && content instanceof Y.ContentString;
  return false;
}

/** The record (a deal's or contact's Y.Map) holding a type `depth` levels below the records map. */
function recordOf(type: Y.AbstractType<any>, depth: number): Y.Map<unknown> {
  let record = type;
  for (let level = depth; level > 1; level--) record = record._item!.parent as Y.AbstractType<any>;
  return record as Y.Map<unknown>;
}

/**
 * The update's deletions. Settled: each leaves the records it touches valid (see firstPass; those records are added
 * to `touched`). A problem: a deletion the exact check refuses whatever else happens, found when the place of every
 * item of the update is known (`targets`, else null) and none refills what is deleted: a live item of `meta` or of
 * the stages list, a stage's field other than its name, or a required field, `tags` or `notes` of a record that stays.
 */
function deletionsCheck(
  doc: Y.Doc,
  kind: DocKind,
  decoded: DecodedUpdate,
  replaced: ReadonlySet<Y.Item>,
  touched: Set<Y.Map<unknown>>,
  targets: ReadonlyMap<Y.AbstractType<any>, ReadonlySet<string | null>> | null
): { settled: boolean; problem: SchemaProblem | null } {
  const unsettled = { settled: false, problem: null };
  const recordsRoot = kind === 'board' ? 'deals' : 'contacts';
  const deleted: Y.Item[] = [];
  for (const [client, ranges] of decoded.ds.clients) {
    const structs = doc.store.clients.get(client);
    const state = Y.getState(doc.store, client);
    for (const { clock, len } of ranges) {
      if (len === 0) continue;
      // A deletion of something the doc does not hold yet (the update's own items, or changes on the way).
      if (!structs || clock + len > state) return unsettled;
      for (let index = Y.findIndexSS(structs, clock); index < structs.length && structs[index].id.clock < clock + len; index++) {
        const struct = structs[index];
        if (!struct.deleted) deleted.push(struct as Y.Item);
      }
    }
  }
  if (!deleted.length) return { settled: true, problem: null };
  const removed = new Set(deleted);
  const refilled = (type: Y.AbstractType<any>, key: string | null) => targets === null || Boolean(targets.get(type)?.has(key));
  let settled = true;
  for (const item of deleted) {
    const parent = item.parent as Y.AbstractType<any>;
    const key = item.parentSub;
    const { root, keys } = locate(doc, parent);
    if (targets !== null && root === 'meta') return { settled: false, problem: { path: pathOf(root, keys, key), reason: 'is written by the server only' } };
    if (targets !== null && root === 'stages' && keys.length === 0) {
      return { settled: false, problem: { path: 'stages', reason: 'cannot be added, removed or reordered by a client' } };
    }
    if (targets !== null && root === 'stages' && keys.length === 1 && key !== 'name') {
      return { settled: false, problem: { path: pathOf(root, keys, key), reason: 'cannot be changed by a client (only a stage’s name)' } };
    }
    if (root !== recordsRoot) {
      settled = false;
      continue;
    }
    // A whole record removed: allowed (a list position in the records map is not a record).
    if (keys.length === 0) {
      if (key === null) settled = false;
      continue;
    }
    if (keys[0] === null) {
      settled = false;
      continue;
    }
    const record = recordOf(parent, keys.length);
    const recordItem = record._item!;
    if (recordItem.deleted || removed.has(recordItem)) continue; // inside a record that is gone
    if (keys.length === 1) {
      if (key === null) {
        settled = false;
        continue;
      }
      if (!replaced.has(item)) {
        // Left empty: only an optional field may be.
        const problem =
          key === 'notes'
            ? { path: pathOf(root, keys, key), reason: 'cannot be replaced or removed by a client' }
            : key === 'tags' && kind === 'board'
              ? { path: pathOf(root, keys, key), reason: 'is missing' }
              : checkField(kind === 'board' ? 'deal' : 'contact', keys[0], key, undefined);
        if (problem) {
          const stays = !refilled(recordItem.parent as Y.AbstractType<any>, recordItem.parentSub) && !refilled(record, key);
          if (stays) return { settled: false, problem };
          settled = false;
          continue;
        }
      }
    } else if (!(keys.length === 2 && ((keys[1] === 'tags' && key !== null) || (keys[1] === 'notes' && key === null)))) {
      settled = false;
      continue;
    }
    touched.add(record);
  }
  return settled ? { settled, problem: null } : unsettled;
}

/** `deals.<id>.tags.<tag>`: where a write lands, for a refusal's reason. */
function pathOf(root: string, keys: Array<string | null>, key: string | null): string {
  return [root, ...keys, key].filter((part) => part !== null).join('.');
}

/** The single value an item writes to a map key, or undefined when its content is not one plain value. */
function plainValue(content: Y.Item['content']): unknown {
  return content instanceof Y.ContentAny && content.arr.length === 1 ? content.arr[0] : undefined;
}

/** May `content` be written at `key` of the type at root/keys? (A new record's or new type's contents are checked by the copy.) */
function slotProblem(
  kind: DocKind,
  root: string,
  keys: Array<string | null>,
  key: string | null,
  content: Y.Item['content'],
  stageIds: ReadonlySet<string>
): SchemaProblem | null {
  if (!TOP_LEVEL_TYPES[kind].includes(root)) return { path: root, reason: 'is not a top-level type of this doc' };
  if (root === 'meta') return { path: pathOf(root, keys, key), reason: 'is written by the server only' };
  const isType = content instanceof Y.ContentType;
  if (root === 'stages') {
    if (keys.length === 0) return { path: 'stages', reason: 'cannot be added, removed or reordered by a client' };
    if (keys.length > 1 || key !== 'name') return { path: pathOf(root, keys, key), reason: 'cannot be changed by a client (only a stage’s name)' };
    return stageFieldsName.safeParse(plainValue(content)).success ? null : { path: pathOf(root, keys, key), reason: 'must be a stage name (1–80 characters)' };
  }
  const record = root === 'deals' ? 'deal' : 'contact';
  if (keys.length === 0) {
    if (key === null) return { path: root, reason: 'was changed in a way its type does not allow' };
    return isType && (content as Y.ContentType).type instanceof Y.Map ? null : { path: pathOf(root, keys, key), reason: 'must be a Y.Map' };
  }
  const recordKey = keys[0];
  if (recordKey === null) return { path: root, reason: 'was changed in a way its type does not allow' };
  if (keys.length === 1) {
    if (key === null) return { path: pathOf(root, keys, key), reason: 'was changed in a way its type does not allow' };
    if (record === 'deal' && key === 'tags') return isType && (content as Y.ContentType).type instanceof Y.Map ? null : { path: pathOf(root, keys, key), reason: 'must be a Y.Map of tag → true' };
    if (record === 'deal' && key === 'notes') return { path: pathOf(root, keys, key), reason: 'cannot be replaced or removed by a client' };
    if (isType) return { path: pathOf(root, keys, key), reason: 'must be a plain value' };
    return checkField(record, recordKey, key, plainValue(content), stageIds);
  }
  if (record === 'deal' && keys.length === 2 && keys[1] === 'tags') {
    if (key === null) return { path: pathOf(root, keys, key), reason: 'was changed in a way its type does not allow' };
    return checkTag(`deals.${recordKey}.tags`, key, plainValue(content));
  }
  if (record === 'deal' && keys.length === 2 && keys[1] === 'notes') {
    return key === null && content instanceof Y.ContentString ? null : { path: pathOf(root, keys, key), reason: 'must hold plain text only' };
  }
  return null;
}
