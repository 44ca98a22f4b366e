import * as Y from 'yjs';
import { changeProblem, checkField, checkTag, currentStageIds, describeProblem, locate, stageFieldsName, TOP_LEVEL_TYPES, type DocKind, type SchemaProblem } from '../../shared/doc-schema.ts';
import { CLOSE_SCHEMA_VIOLATION, Rejection } from './protocol.ts';

/** What a room asks before it applies a client's update: throw a Rejection to refuse it as a whole. */
export interface UpdateGuard {
  admit(update: Uint8Array, origin: unknown): void;
  destroy(): void;
}

const ADMITTING = Symbol('admission check');

/**
 * The "admit update" step: every client update is applied first to an admission copy of the room's doc, the records
 * its transaction touched are checked with the shared schema rules (shared/doc-schema.ts: changeProblem), and only
 * then may the room apply it to the real doc, broadcast and store it. A refused update reached only the copy, which
 * is rebuilt from the real doc. The copy follows every other write to the real doc (loads, migrations, server
 * writes), so it always holds the same state.
 *
 * Why a copy rather than decoding the update's structs against the doc: Yjs infers an item's parent and map key
 * from its neighbours, a map key's value is its rightmost item, and deletes arrive as ranges; applying the update is
 * the one exact way to know the resulting state. It costs a second apply per update and a second copy of the doc in
 * memory (README: Security and durability, measured).
 */
export class SchemaAdmission implements UpdateGuard {
  private shadow: Y.Doc;
  /** Origins (connections) whose updates passed here: their echo on the real doc is already in the copy. */
  private readonly admittedOrigins = new WeakSet<object>();

  constructor(
    private readonly kind: DocKind,
    private readonly doc: Y.Doc
  ) {
    this.shadow = this.copy();
    doc.on('update', this.follow);
  }

  admit(update: Uint8Array, origin: unknown): void {
    if (typeof origin === 'object' && origin !== null) this.admittedOrigins.add(origin);
    // Most bad writes are a bad value in a known place: found from the decoded structs alone, the copy stays clean.
    const early = writtenValueProblem(this.doc, this.kind, update);
    if (early) throw new Rejection(CLOSE_SCHEMA_VIOLATION, `update breaks the ${this.kind} schema: ${describeProblem(early)}`);
    let refusal: string | null = null;
    try {
      this.shadow.transact((transaction) => {
        Y.applyUpdate(this.shadow, update, ADMITTING);
        // Structs the copy cannot place yet wait in both docs (bounded by MAX_PENDING_BYTES, see doc-limits.ts): a client
        // resending after a crash may send a new edit before the older ones it depends on. They are checked in the
        // transaction that completes them, whose `changed` includes them.
        const problem = changeProblem(this.shadow, this.kind, transaction.changed);
        if (problem) refusal = `update breaks the ${this.kind} schema: ${describeProblem(problem)}`;
      }, ADMITTING);
    } catch (error) {
      refusal = `update does not apply: ${(error as Error).message}`;
    }
    if (refusal) {
      this.rebuild();
      throw new Rejection(CLOSE_SCHEMA_VIOLATION, refusal);
    }
  }

  destroy(): void {
    this.doc.off('update', this.follow);
    this.shadow.destroy();
  }

  /** Writes that did not come through admit (load, migration, server writes) reach the copy here. */
  private follow = (update: Uint8Array, origin: unknown): void => {
    if (typeof origin === 'object' && origin !== null && this.admittedOrigins.has(origin)) return;
    Y.applyUpdate(this.shadow, update, origin);
  };

  private rebuild(): void {
    this.shadow.destroy();
    this.shadow = this.copy();
  }

  private copy(): Y.Doc {
    const shadow = new Y.Doc({ gc: this.doc.gc });
    // Typed top-level types, so the checks see a Y.Map where the schema has one.
    for (const name of TOP_LEVEL_TYPES[this.kind]) (name === 'stages' ? shadow.getArray(name) : shadow.getMap(name));
    // The v2 encoding copies a doc with a long history faster.
    Y.applyUpdateV2(shadow, Y.encodeStateAsUpdateV2(this.doc));
    return shadow;
  }
}

/** An item of `doc` by id, or null when the doc does not have it (yet) or only as garbage. */
function knownItem(doc: Y.Doc, id: Y.ID): Y.Item | null {
  if (id.clock >= Y.getState(doc.store, id.client)) return null;
  const struct = Y.getItem(doc.store, id) as Y.Item | Y.GC;
  return struct instanceof Y.Item ? struct : null;
}

/**
 * The cheap first pass of the admission check: each new item of the update whose place (parent type and key) is
 * already in the doc, checked against the rule for that place: the right kind of content, and for a record's field
 * the field's rule. Items placed inside types the same update creates, and deletions, are left to the copy.
 */
export function writtenValueProblem(doc: Y.Doc, kind: DocKind, update: Uint8Array): SchemaProblem | null {
  let stageIds: Set<string> | null = null;
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item) || struct.content instanceof Y.ContentDeleted) continue;
    if (struct.id.clock < Y.getState(doc.store, struct.id.client)) continue; // already in the doc
    let parent: Y.AbstractType<any> | string | null = null;
    let key: string | null = struct.parentSub;
    if (typeof struct.parent === 'string') {
      // A known top-level type the doc has not used yet (an empty contacts map) is created by the copy; check it there.
      parent = doc.share.get(struct.parent) ?? (TOP_LEVEL_TYPES[kind].includes(struct.parent) ? null : struct.parent);
    }
    else if (struct.parent) {
      const item = knownItem(doc, struct.parent as Y.ID);
      if (item?.content instanceof Y.ContentType) parent = item.content.type;
    } else {
      const neighbour = (struct.origin && knownItem(doc, struct.origin)) || (struct.rightOrigin && knownItem(doc, struct.rightOrigin));
      if (neighbour && neighbour.parent instanceof Y.AbstractType) {
        parent = neighbour.parent;
        key = neighbour.parentSub;
      }
    }
    if (parent === null) continue;
    if (typeof parent === 'string') return { path: parent, reason: 'is not a top-level type of this doc' };
    const { root, keys } = locate(doc, parent);
    if (root === null) continue;
    stageIds ??= kind === 'board' ? currentStageIds(doc) : new Set();
    const problem = slotProblem(kind, root, keys, key, struct.content, stageIds);
    if (problem) return problem;
  }
  return null;
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
  const path = [root, ...keys, key].filter((part) => part !== null).join('.');
  if (!TOP_LEVEL_TYPES[kind].includes(root)) return { path: root, reason: 'is not a top-level type of this doc' };
  if (root === 'meta') return { path, reason: 'is written by the server only' };
  const isType = content instanceof Y.ContentType;
  if (root === 'stages') {
    if (keys.length === 0) return { path: 'stages', reason: 'cannot be added, removed or reordered by a client' };
    if (keys.length > 1 || key !== 'name') return { path, reason: 'cannot be changed by a client (only a stage’s name)' };
    return stageFieldsName.safeParse(plainValue(content)).success ? null : { path, reason: 'must be a stage name (1–80 characters)' };
  }
  const record = root === 'deals' ? 'deal' : 'contact';
  if (keys.length === 0) {
    if (key === null) return { path: root, reason: 'was changed in a way its type does not allow' };
    return isType && (content as Y.ContentType).type instanceof Y.Map ? null : { path, reason: 'must be a Y.Map' };
  }
  const recordKey = keys[0];
  if (recordKey === null) return { path: root, reason: 'was changed in a way its type does not allow' };
  if (keys.length === 1) {
    if (key === null) return { path, reason: 'was changed in a way its type does not allow' };
    if (record === 'deal' && key === 'tags') return isType && (content as Y.ContentType).type instanceof Y.Map ? null : { path, reason: 'must be a Y.Map of tag → true' };
    if (record === 'deal' && key === 'notes') return { path, reason: 'cannot be replaced or removed by a client' };
    if (isType) return { path, reason: 'must be a plain value' };
    return checkField(record, recordKey, key, plainValue(content), stageIds);
  }
  if (record === 'deal' && keys.length === 2 && keys[1] === 'tags') {
    if (key === null) return { path, reason: 'was changed in a way its type does not allow' };
    return checkTag(`deals.${recordKey}.tags`, key, plainValue(content));
  }
  if (record === 'deal' && keys.length === 2 && keys[1] === 'notes') {
    return key === null && content instanceof Y.ContentString ? null : { path, reason: 'must hold plain text only' };
  }
  return null;
}
