import * as Y from 'yjs';
import { readDealRecord, readStages, type DealRecord } from '../../shared/board-doc.ts';
import { readContact, type Contact } from '../../shared/contacts-doc.ts';
import type { ChangeKind } from '../../shared/history.ts';

/**
 * The change feed: replaying a doc's log one update at a time, what each update did to deals (or contacts), in
 * read-model terms (added, moved from → to, a field edited, removed with everything needed to bring it back).
 * Pure over Yjs: the caller feeds updates and stores what comes out.
 */

export interface EntityChange {
  entityId: string;
  /** The deal's title (contact's name) at that moment, so a feed can name what was removed. */
  title: string;
  kind: ChangeKind;
  field: string | null;
  before: unknown;
  after: unknown;
}

/** Deal fields whose edits the feed lists one by one. */
export const TRACKED_DEAL_FIELDS = ['title', 'value', 'currency', 'ownerId', 'contactId', 'expectedCloseDate', 'tags'] as const;
export const TRACKED_CONTACT_FIELDS = ['name', 'email', 'company', 'phone'] as const;

/** Replays updates into a doc and reports each one's changes. */
export interface ChangeTracker {
  readonly doc: Y.Doc;
  apply(update: Uint8Array): EntityChange[];
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A tracker over the entities of one top-level map (`deals` or `contacts`): it watches which entries an update
 * touches and diffs only those against what it last read, so a big board costs no more per update than a small one.
 */
function mapTracker<Entity>(
  doc: Y.Doc,
  mapName: string,
  read: (id: string) => Entity | undefined,
  diff: (id: string, before: Entity | undefined, after: Entity | undefined, wasRemoved: boolean) => EntityChange[],
  removedEarlier: Iterable<string>
): ChangeTracker {
  const map = doc.getMap<Y.Map<unknown>>(mapName);
  const known = new Map<string, Entity>();
  for (const id of map.keys()) {
    const entity = read(id);
    if (entity) known.set(id, entity);
  }
  const removed = new Set(removedEarlier);
  const touched = new Set<string>();
  map.observeDeep((events) => {
    for (const event of events) {
      if (event.target === map) for (const key of event.changes.keys.keys()) touched.add(key);
      else if (typeof event.path[0] === 'string') touched.add(event.path[0]);
    }
  });
  return {
    doc,
    apply(update) {
      touched.clear();
      Y.applyUpdate(doc, update);
      const changes: EntityChange[] = [];
      for (const id of touched) {
        const before = known.get(id);
        const after = read(id);
        changes.push(...diff(id, before, after, removed.has(id)));
        if (after) known.set(id, after);
        else known.delete(id);
        if (before && !after) removed.add(id);
      }
      return changes;
    }
  };
}

/** A board's deals: added, moved (won/lost when the stage has that outcome), each tracked field edited, removed. */
export function boardTracker(doc: Y.Doc, removedEarlier: Iterable<string> = []): ChangeTracker {
  return mapTracker<DealRecord>(doc, 'deals', (id) => readDealRecord(doc, id), (id, before, after, wasRemoved) => diffDeal(doc, id, before, after, wasRemoved), removedEarlier);
}

export function diffDeal(doc: Y.Doc, id: string, before: DealRecord | undefined, after: DealRecord | undefined, wasRemoved: boolean): EntityChange[] {
  if (!before && !after) return [];
  if (!before) return [{ entityId: id, title: after!.title, kind: wasRemoved ? 'restored' : 'added', field: null, before: null, after: dealSummary(after!) }];
  // A removal keeps the whole deal with its notes: restoring it later needs nothing else.
  if (!after) return [{ entityId: id, title: before.title, kind: 'removed', field: null, before, after: null }];
  const changes: EntityChange[] = [];
  if (before.stageId !== after.stageId) {
    const outcome = readStages(doc).find((stage) => stage.id === after.stageId)?.outcome ?? 'open';
    changes.push({
      entityId: id,
      title: after.title,
      kind: outcome === 'won' ? 'won' : outcome === 'lost' ? 'lost' : 'moved',
      field: 'stageId',
      before: { stageId: before.stageId, rank: before.rank },
      after: { stageId: after.stageId, rank: after.rank }
    });
  }
  for (const field of TRACKED_DEAL_FIELDS) {
    if (!sameValue(before[field], after[field])) changes.push({ entityId: id, title: after.title, kind: 'edited', field, before: before[field], after: after[field] });
  }
  return changes;
}

/** What an 'added' entry keeps: the deal's fields and place, without the notes. */
function dealSummary(deal: DealRecord) {
  const { notes: _notes, ...rest } = deal;
  return rest;
}

/** A workspace's contacts: added, each field edited, removed (with the whole contact), restored. */
export function contactsTracker(doc: Y.Doc, removedEarlier: Iterable<string> = []): ChangeTracker {
  return mapTracker<Contact>(doc, 'contacts', (id) => readContact(doc, id), diffContact, removedEarlier);
}

export function diffContact(id: string, before: Contact | undefined, after: Contact | undefined, wasRemoved: boolean): EntityChange[] {
  if (!before && !after) return [];
  if (!before) return [{ entityId: id, title: after!.name, kind: wasRemoved ? 'restored' : 'added', field: null, before: null, after }];
  if (!after) return [{ entityId: id, title: before.name, kind: 'removed', field: null, before, after: null }];
  return TRACKED_CONTACT_FIELDS.filter((field) => before[field] !== after[field]).map((field) => ({
    entityId: id,
    title: after.name,
    kind: 'edited' as const,
    field,
    before: before[field],
    after: after[field]
  }));
}
