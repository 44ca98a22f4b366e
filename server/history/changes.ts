import * as Y from 'yjs';
import { readDealRecord, readStages, type DealRecord, type Stage } from '../../shared/board-doc.ts';
import { boardStageIds } from '../../shared/doc-schema.ts';
import { readContact, type Contact } from '../../shared/contacts-doc.ts';
import type { ChangeKind, NotesEdit, StageChangeField } from '../../shared/history.ts';

/**
 * The change feed: replaying a doc's log one update at a time, what each update did to deals (or contacts), in
 * read-model terms (added, moved from → to, a field edited, removed with everything needed to bring it back,
 * characters typed into notes), and to the board's stages (renamed, reordered, win % changed).
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

/** One part of a doc a tracker watches: it observes while an update applies, then says what changed. */
interface Watcher {
  begin(): void;
  end(): EntityChange[];
}

function tracker(doc: Y.Doc, watchers: Watcher[]): ChangeTracker {
  return {
    doc,
    apply(update) {
      for (const watcher of watchers) watcher.begin();
      Y.applyUpdate(doc, update);
      return watchers.flatMap((watcher) => watcher.end());
    }
  };
}

/**
 * The entities of one top-level map (`deals` or `contacts`): it watches which entries an update touches and diffs
 * only those against what it last read, so a big board costs no more per update than a small one.
 */
function mapWatcher<Entity>(
  doc: Y.Doc,
  mapName: string,
  read: (id: string) => Entity | undefined,
  diff: (id: string, before: Entity | undefined, after: Entity | undefined, wasRemoved: boolean) => EntityChange[],
  removedEarlier: Iterable<string>
): Watcher {
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
    begin: () => touched.clear(),
    end() {
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

/**
 * Typing in a deal's notes: characters inserted and deleted per deal, from the Y.Text's own deltas (so a keystroke
 * counts one, not the whole text). Notes that arrive with a new or restored deal are part of that change instead.
 */
function notesWatcher(doc: Y.Doc, readDeal: (id: string) => DealRecord | undefined): Watcher {
  const deals = doc.getMap<Y.Map<unknown>>('deals');
  const typed = new Map<string, { added: number; removed: number }>();
  deals.observeDeep((events) => {
    for (const event of events) {
      const [dealId, key] = event.path;
      if (!(event.target instanceof Y.Text) || typeof dealId !== 'string' || key !== 'notes' || event.path.length !== 2) continue;
      const counts = typed.get(dealId) ?? { added: 0, removed: 0 };
      for (const op of event.delta) {
        if (typeof op.insert === 'string') counts.added += op.insert.length;
        else if (op.insert !== undefined) counts.added += 1;
        if (op.delete) counts.removed += op.delete;
      }
      typed.set(dealId, counts);
    }
  });
  return {
    begin: () => typed.clear(),
    end() {
      const changes: EntityChange[] = [];
      for (const [dealId, counts] of typed) {
        const deal = readDeal(dealId);
        if (!deal || (counts.added === 0 && counts.removed === 0)) continue;
        const after: NotesEdit = { ...counts, length: deal.notes.length };
        changes.push({ entityId: dealId, title: deal.title, kind: 'notes_edited', field: 'notes', before: null, after });
      }
      return changes;
    }
  };
}

/** The board's stages: renamed, win % or outcome changed, moved to another place, added or removed (admin repair). */
function stagesWatcher(doc: Y.Doc): Watcher {
  const stagesArray = doc.getArray('stages');
  let known = readStages(doc);
  let touched = false;
  stagesArray.observeDeep(() => (touched = true));
  return {
    begin: () => (touched = false),
    end() {
      if (!touched) return [];
      const after = readStages(doc);
      const changes = diffStages(known, after);
      known = after;
      return changes;
    }
  };
}

/** What differs between two stage lists, stage by stage; a reorder names only the stages that moved. */
export function diffStages(before: readonly Stage[], after: readonly Stage[]): EntityChange[] {
  const changes: EntityChange[] = [];
  const was = new Map(before.map((stage) => [stage.id, stage]));
  const is = new Map(after.map((stage) => [stage.id, stage]));
  const change = (stage: Stage, field: StageChangeField, from: unknown, to: unknown): EntityChange => ({
    entityId: stage.id,
    title: stage.name,
    kind: 'stage_changed',
    field,
    before: from,
    after: to
  });
  for (const stage of before) if (!is.has(stage.id)) changes.push(change(stage, 'stage', stage, null));
  for (const stage of after) {
    const old = was.get(stage.id);
    if (!old) {
      changes.push(change(stage, 'stage', null, stage));
      continue;
    }
    if (old.name !== stage.name) changes.push(change(stage, 'name', old.name, stage.name));
    if (old.probability !== stage.probability) changes.push(change(stage, 'probability', old.probability, stage.probability));
    if (old.outcome !== stage.outcome) changes.push(change(stage, 'outcome', old.outcome, stage.outcome));
  }
  // Places among the stages both lists hold (1-based); the stages that keep their relative order did not move.
  const oldOrder = before.filter((stage) => is.has(stage.id)).map((stage) => stage.id);
  const newOrder = after.filter((stage) => was.has(stage.id)).map((stage) => stage.id);
  const stayed = longestKeptOrder(newOrder.map((id) => oldOrder.indexOf(id)));
  newOrder.forEach((id, index) => {
    if (!stayed.has(index)) changes.push(change(is.get(id)!, 'position', oldOrder.indexOf(id) + 1, index + 1));
  });
  return changes;
}

/** Indexes of a longest increasing run (not necessarily contiguous) of `values`: the items that kept their order. */
function longestKeptOrder(values: readonly number[]): Set<number> {
  const length = values.map(() => 1);
  const previous = values.map(() => -1);
  let best = -1;
  values.forEach((value, i) => {
    for (let j = 0; j < i; j++) {
      if (values[j] < value && length[j] + 1 > length[i]) {
        length[i] = length[j] + 1;
        previous[i] = j;
      }
    }
    if (best < 0 || length[i] > length[best]) best = i;
  });
  const kept = new Set<number>();
  for (let i = best; i >= 0; i = previous[i]) kept.add(i);
  return kept;
}

/**
 * A board's deals (added, moved — won/lost when the stage has that outcome —, each tracked field edited, removed),
 * typing in their notes, and its stages.
 */
export function boardTracker(doc: Y.Doc, removedEarlier: Iterable<string> = []): ChangeTracker {
  // The valid stages' ids, read once and again only after the stages changed: checking every stage for every deal
  // read made a third of a 10,000-deal board's fold (the watcher reads every deal when it starts).
  let stageIds: ReadonlySet<string> | null = null;
  doc.getArray('stages').observeDeep(() => (stageIds = null));
  const readDeal = (id: string) => readDealRecord(doc, id, (stageIds ??= boardStageIds(doc)));
  return tracker(doc, [
    stagesWatcher(doc),
    mapWatcher<DealRecord>(doc, 'deals', readDeal, (id, before, after, wasRemoved) => diffDeal(doc, id, before, after, wasRemoved), removedEarlier),
    notesWatcher(doc, readDeal)
  ]);
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
  return tracker(doc, [mapWatcher<Contact>(doc, 'contacts', (id) => readContact(doc, id), diffContact, removedEarlier)]);
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
