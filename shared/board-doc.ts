import * as Y from 'yjs';
import { newId } from './ids.ts';
import { compareRanked, rankAtEnd, rankBetween } from './ranking.ts';
import { dealFieldsSchema, dealPatchSchema, parseOrThrow, stageFieldsSchema, type DealFields, type DealPatch } from './deal-fields.ts';
import { BOARD_SCHEMA_VERSION, checkDeal, dealRecordSchema, describeProblem, boardStageIds, inspectStages, stageIdsOf, type SchemaProblem } from './doc-schema.ts';

/**
 * The board doc (room `board:<pipelineId>`): a public, versioned contract, documented in the README.
 *   getMap('meta')    schemaVersion, pipelineId, workspaceId, name
 *   getArray('stages') Y.Map {id, name, probability (0-100), outcome: 'open' | 'won' | 'lost'}
 *   getMap('deals')   dealId → Y.Map {id, title, value, currency, stageId, rank, contactId, ownerId,
 *                     expectedCloseDate, tags (Y.Map tag → true), notes (Y.Text, since v2), createdAt,
 *                     updatedAt, lastActivityAt}
 * Only the functions in this file (and the repairs in doc-repair.ts) write that structure; the rules every record
 * must follow are in doc-schema.ts, and readers here skip (and report) what breaks them.
 */
export { BOARD_SCHEMA_VERSION };

export type StageOutcome = 'open' | 'won' | 'lost';

export interface Stage {
  id: string;
  name: string;
  probability: number;
  outcome: StageOutcome;
}

export interface Deal extends DealFields {
  id: string;
  stageId: string;
  rank: string;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
}

export interface BoardMeta {
  schemaVersion: number;
  pipelineId: string;
  workspaceId: string;
  name: string;
}

/** Who and when, for every write: `origin` lets an UndoManager track a user's own changes. */
export interface WriteContext {
  now?: number;
  origin?: unknown;
}

const meta = (doc: Y.Doc) => doc.getMap<unknown>('meta');
const stagesArray = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>('stages');
const dealsMap = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('deals');

/** The board's top-level shared types, everything a user can change: the scope of a per-user UndoManager. */
export function boardTypes(doc: Y.Doc) {
  return [meta(doc), stagesArray(doc), dealsMap(doc)];
}

export class BoardError extends Error {
  override name = 'BoardError';
}

/** Lay out a new pipeline's doc. Only the server does this, once, when the pipeline is created. */
export function initBoard(
  doc: Y.Doc,
  init: { pipelineId: string; workspaceId: string; name: string; stages: Array<Omit<Stage, 'id'> & { id?: string }> },
  context: WriteContext = {}
): void {
  doc.transact(() => {
    const m = meta(doc);
    if (m.has('schemaVersion')) throw new BoardError('board doc is already initialised');
    m.set('schemaVersion', BOARD_SCHEMA_VERSION);
    m.set('pipelineId', init.pipelineId);
    m.set('workspaceId', init.workspaceId);
    m.set('name', init.name);
    stagesArray(doc).push(init.stages.map((stage) => stageMap({ ...stage, id: stage.id ?? newId() })));
  }, context.origin);
}

function stageMap(stage: Stage): Y.Map<unknown> {
  return new Y.Map<unknown>(Object.entries(stage));
}

/**
 * Migrations from each older schemaVersion to the next, run by the server when it loads a doc, so old docs open in
 * new code. Index i migrates version i to i+1; version 0 means a doc written before versioning (none exist yet).
 */
const boardMigrations: Array<(doc: Y.Doc) => void> = [
  (doc) => {
    meta(doc).set('schemaVersion', 1);
  },
  (doc) => {
    giveEveryDealNotes(doc);
    meta(doc).set('schemaVersion', 2);
  }
];

/**
 * Only the server (migrations) and addDeal create a deal's notes: two clients each creating the Y.Text for one deal
 * at once would leave only one of them in the map, and the other's typing would vanish.
 */
function giveEveryDealNotes(doc: Y.Doc): void {
  for (const map of dealsMap(doc).values()) {
    // A record that is not a map cannot take notes; it stays as it is for an admin to see and remove.
    if (map instanceof Y.Map && !(map.get('notes') instanceof Y.Text)) map.set('notes', new Y.Text());
  }
}

export function migrateBoard(doc: Y.Doc): { from: number; to: number } {
  const from = readSchemaVersion(doc);
  if (from > BOARD_SCHEMA_VERSION) {
    throw new BoardError(`board doc has schemaVersion ${from}, newer than this code (${BOARD_SCHEMA_VERSION})`);
  }
  doc.transact(() => {
    for (let version = from; version < BOARD_SCHEMA_VERSION; version++) boardMigrations[version](doc);
    // A tab still running v1 code adds deals without notes to a v2 doc: give them notes at the next load too.
    giveEveryDealNotes(doc);
  }, 'migration');
  return { from, to: BOARD_SCHEMA_VERSION };
}

export function readSchemaVersion(doc: Y.Doc): number {
  const version = meta(doc).get('schemaVersion');
  return typeof version === 'number' ? version : 0;
}

export function readMeta(doc: Y.Doc): BoardMeta {
  const m = meta(doc);
  return {
    schemaVersion: readSchemaVersion(doc),
    pipelineId: String(m.get('pipelineId') ?? ''),
    workspaceId: String(m.get('workspaceId') ?? ''),
    name: String(m.get('name') ?? '')
  };
}

/** Rename the pipeline in its doc; the server does this when an admin renames it, so open boards see it live. */
export function renameBoard(doc: Y.Doc, name: string, context: WriteContext = {}): void {
  const trimmed = name.trim();
  if (!trimmed) throw new BoardError('a pipeline needs a name');
  doc.transact(() => meta(doc).set('name', trimmed.slice(0, 80)), context.origin);
}

function readStageMap(stage: Y.Map<unknown>): Stage {
  return {
    id: stage.get('id') as string,
    name: stage.get('name') as string,
    probability: stage.get('probability') as number,
    outcome: stage.get('outcome') as StageOutcome
  };
}

/** The board's valid stages, in order; an entry that breaks the schema is skipped (inspectBoard reports it). */
export function readStages(doc: Y.Doc): Stage[] {
  return inspectStages(doc).valid.map(readStageMap);
}

export function renameStage(doc: Y.Doc, stageId: string, name: string, context: WriteContext = {}): void {
  const trimmed = name.trim();
  if (!trimmed) throw new BoardError('a stage needs a name');
  const checked = stageFieldsSchema.shape.name.safeParse(trimmed);
  if (!checked.success) throw new BoardError(`a stage name: ${checked.error.issues[0].message}`);
  const stage = inspectStages(doc).valid.find((candidate) => candidate.get('id') === stageId);
  if (!stage) throw new BoardError(`no stage ${stageId}`);
  doc.transact(() => stage.set('name', checked.data), context.origin);
}

function readDealMap(map: Y.Map<unknown>): Deal {
  const tags = map.get('tags');
  return {
    id: String(map.get('id')),
    title: String(map.get('title') ?? ''),
    value: Number(map.get('value') ?? 0),
    currency: (map.get('currency') as Deal['currency']) ?? 'USD',
    stageId: String(map.get('stageId') ?? ''),
    rank: String(map.get('rank') ?? ''),
    contactId: (map.get('contactId') as string | null) ?? null,
    ownerId: (map.get('ownerId') as string | null) ?? null,
    expectedCloseDate: (map.get('expectedCloseDate') as string | null) ?? null,
    tags: tags instanceof Y.Map ? [...tags.keys()].sort() : [],
    createdAt: Number(map.get('createdAt') ?? 0),
    updatedAt: Number(map.get('updatedAt') ?? 0),
    lastActivityAt: Number(map.get('lastActivityAt') ?? 0)
  };
}

/**
 * A deal, or undefined when there is none or it breaks the schema (the board lists it for an admin instead).
 * `stageIds` (the board's valid stages, `boardStageIds`) saves checking every stage again when many deals are read.
 */
export function readDeal(doc: Y.Doc, dealId: string, stageIds: ReadonlySet<string> = boardStageIds(doc)): Deal | undefined {
  const map = dealsMap(doc).get(dealId);
  if (!map || checkDeal(map, dealId, stageIds)) return undefined;
  return readDealMap(map);
}


/**
 * A deal's shared notes, edited as plain text by several people at once; null for an unknown deal or a deal in a
 * doc the server has not migrated to v2 yet (readers show no notes then; they never create them).
 */
export function dealNotes(doc: Y.Doc, dealId: string): Y.Text | null {
  const deal = dealsMap(doc).get(dealId);
  const notes = deal instanceof Y.Map ? deal.get('notes') : undefined;
  return notes instanceof Y.Text ? notes : null;
}

/** The board as its readers see it: valid stages, valid deals, and a problem for every entry that was skipped. */
export interface BoardView {
  stages: Stage[];
  deals: Deal[];
  /** Stages and deals that break the schema (stored before the server checked, or from another schema version). */
  problems: SchemaProblem[];
}

/**
 * One record under `deals.<key>`, checked against the schema and read: the deal, or why it cannot be shown. For
 * readers that re-read only the deals a change touched instead of the whole board (web/lib/board-read-model.ts).
 */
export function inspectDeal(value: unknown, key: string, stageIds: ReadonlySet<string>): { deal: Deal } | { problem: SchemaProblem } {
  const problem = checkDeal(value, key, stageIds);
  return problem ? { problem } : { deal: readDealMap(value as Y.Map<unknown>) };
}

export function inspectBoard(doc: Y.Doc): BoardView {
  const stages = inspectStages(doc);
  const stageIds = stageIdsOf(stages.valid);
  const deals: Deal[] = [];
  const problems = [...stages.problems];
  for (const [key, map] of dealsMap(doc).entries()) {
    const problem = checkDeal(map, key, stageIds);
    if (problem) problems.push(problem);
    else deals.push(readDealMap(map));
  }
  return { stages: stages.valid.map(readStageMap), deals, problems };
}

/** Every valid deal (the others are skipped: see inspectBoard). */
export function readDeals(doc: Y.Doc): Deal[] {
  return inspectBoard(doc).deals;
}

/** Deals of one stage in board order (rank, then id). */
export function readColumn(doc: Y.Doc, stageId: string): Deal[] {
  return readDeals(doc)
    .filter((deal) => deal.stageId === stageId)
    .sort(compareRanked);
}

/** Every stage's deals in board order, from a view (inspectBoard) or the doc. */
export function readColumns(source: Y.Doc | BoardView): Map<string, Deal[]> {
  const view = source instanceof Y.Doc ? inspectBoard(source) : source;
  const columns = new Map<string, Deal[]>(view.stages.map((stage) => [stage.id, []]));
  for (const deal of view.deals) columns.get(deal.stageId)?.push(deal);
  for (const column of columns.values()) column.sort(compareRanked);
  return columns;
}

/**
 * The same check the server runs on every update, before a write: a deal that already breaks the schema cannot be
 * edited or moved (the server would refuse the change), only repaired or removed.
 */
function requireValidDeal(doc: Y.Doc, dealId: string): Y.Map<unknown> {
  const map = dealsMap(doc).get(dealId);
  if (!map) throw new BoardError(`no deal ${dealId}`);
  const problem = checkDeal(map, dealId, boardStageIds(doc));
  if (problem) throw new BoardError(`this deal needs repair first: ${describeProblem(problem)}`);
  return map;
}

function requireStage(doc: Y.Doc, stageId: string): void {
  if (!boardStageIds(doc).has(stageId)) throw new BoardError(`no stage ${stageId}`);
}

function setTags(map: Y.Map<unknown>, tags: readonly string[]): void {
  let tagMap = map.get('tags');
  if (!(tagMap instanceof Y.Map)) {
    tagMap = new Y.Map<boolean>();
    map.set('tags', tagMap);
  }
  const target = tagMap as Y.Map<boolean>;
  const wanted = new Set(tags.map((tag) => tag.trim()).filter(Boolean));
  for (const existing of [...target.keys()]) if (!wanted.has(existing)) target.delete(existing);
  for (const tag of wanted) if (!target.has(tag)) target.set(tag, true);
}

export type NewDeal = Pick<DealFields, 'title'> & Partial<DealFields>;

/** Add a deal to a stage, at the top of the column unless `position` says 'bottom'. Returns the new deal's id. */
export function addDeal(
  doc: Y.Doc,
  stageId: string,
  input: NewDeal,
  context: WriteContext & KnownColumn & { position?: 'top' | 'bottom'; id?: string } = {}
): string {
  requireStage(doc, stageId);
  const fields = parseOrThrow(dealFieldsSchema, {
    value: 0,
    currency: 'USD',
    contactId: null,
    ownerId: null,
    expectedCloseDate: null,
    tags: [],
    ...input
  });
  const column = context.column ?? readColumn(doc, stageId);
  const rank = context.position === 'bottom' ? rankAtEnd(column) : rankBetween(undefined, column[0], column);
  const now = context.now ?? Date.now();
  const id = context.id ?? newId();
  const { tags: _tags, ...plainFields } = fields;
  const record = dealRecordSchema.safeParse({ id, ...plainFields, stageId, rank, createdAt: now, updatedAt: now, lastActivityAt: now });
  if (!record.success) throw new BoardError(`a new deal breaks the schema: ${record.error.issues[0].message}`);
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    dealsMap(doc).set(id, map);
    const { tags, ...scalars } = fields;
    for (const [key, value] of Object.entries({ id, ...scalars, stageId, rank, createdAt: now, updatedAt: now, lastActivityAt: now })) {
      map.set(key, value);
    }
    setTags(map, tags);
    map.set('notes', new Y.Text());
  }, context.origin);
  return id;
}

/**
 * A column as a reader that follows the doc already holds it (readColumn's result, kept up to date): given to a
 * write, it spares re-reading and re-checking every deal of the board, which on a 10,000-deal board takes longer
 * than the write itself.
 */
export interface KnownColumn {
  column?: readonly Deal[];
}

/**
 * Move a deal to `index` in the `toStageId` column (counted without the deal itself). A move only rewrites the
 * deal's stageId and rank, in one transaction, so concurrent moves of one deal converge to one place and one copy.
 */
export function moveDeal(doc: Y.Doc, dealId: string, toStageId: string, index: number, context: WriteContext & KnownColumn = {}): void {
  const map = requireValidDeal(doc, dealId);
  requireStage(doc, toStageId);
  const column = (context.column ?? readColumn(doc, toStageId)).filter((deal) => deal.id !== dealId);
  const at = Math.max(0, Math.min(Math.trunc(index), column.length));
  const rank = rankBetween(column[at - 1], column[at], column);
  const now = context.now ?? Date.now();
  doc.transact(() => {
    map.set('stageId', toStageId);
    map.set('rank', rank);
    map.set('updatedAt', now);
    map.set('lastActivityAt', now);
  }, context.origin);
}

/** Edit some of a deal's fields; only the fields given are written, so concurrent edits of other fields both survive. */
export function updateDeal(doc: Y.Doc, dealId: string, patch: DealPatch, context: WriteContext = {}): void {
  const map = requireValidDeal(doc, dealId);
  const fields = parseOrThrow(dealPatchSchema, patch);
  const now = context.now ?? Date.now();
  doc.transact(() => {
    const { tags, ...scalars } = fields;
    for (const [key, value] of Object.entries(scalars)) {
      if (value !== undefined && map.get(key) !== value) map.set(key, value);
    }
    if (tags) setTags(map, tags);
    map.set('updatedAt', now);
    map.set('lastActivityAt', now);
  }, context.origin);
}

/** Where a deal sits: its column and its rank in that column. */
export interface DealPlace {
  stageId: string;
  rank: string;
}

/**
 * Put a deal at an exact place, e.g. back where it was before a move. Like a move, it rewrites only stageId and rank,
 * in one transaction, and only to an existing stage and a real rank: a deal is never left without a valid place.
 */
export function placeDeal(doc: Y.Doc, dealId: string, place: DealPlace, context: WriteContext = {}): void {
  const map = dealsMap(doc).get(dealId);
  if (!map) throw new BoardError(`no deal ${dealId}`);
  requireStage(doc, place.stageId);
  if (!place.rank) throw new BoardError('a place needs a rank');
  const now = context.now ?? Date.now();
  doc.transact(() => {
    map.set('stageId', place.stageId);
    map.set('rank', place.rank);
    map.set('updatedAt', now);
    map.set('lastActivityAt', now);
  }, context.origin);
}

/** A deal with the text of its notes: everything needed to bring it back after it was deleted. */
export interface DealRecord extends Deal {
  notes: string;
}

export function readDealRecord(doc: Y.Doc, dealId: string, stageIds?: ReadonlySet<string>): DealRecord | undefined {
  const deal = readDeal(doc, dealId, stageIds);
  return deal ? { ...deal, notes: dealNotes(doc, dealId)?.toString() ?? '' } : undefined;
}

/**
 * Bring a deleted deal back under its own id, with its fields, tags, place and notes text (a fresh Y.Text, as addDeal
 * makes one). Refused when the id is taken, its stage is gone or a field is invalid, so nothing half-made is written.
 */
export function restoreDeal(doc: Y.Doc, record: DealRecord, context: WriteContext = {}): void {
  if (dealsMap(doc).has(record.id)) throw new BoardError(`deal ${record.id} exists`);
  requireStage(doc, record.stageId);
  if (!record.rank) throw new BoardError('a deal needs a rank');
  const { tags, ...scalars } = parseOrThrow(dealFieldsSchema, {
    title: record.title,
    value: record.value,
    currency: record.currency,
    contactId: record.contactId,
    ownerId: record.ownerId,
    expectedCloseDate: record.expectedCloseDate,
    tags: record.tags
  });
  const now = context.now ?? Date.now();
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    dealsMap(doc).set(record.id, map);
    const entries = { id: record.id, ...scalars, stageId: record.stageId, rank: record.rank, createdAt: record.createdAt, updatedAt: now, lastActivityAt: now };
    for (const [key, value] of Object.entries(entries)) map.set(key, value);
    setTags(map, tags);
    map.set('notes', new Y.Text(record.notes));
  }, context.origin);
}

/** Remove a deal, valid or not (removing is how an admin gets rid of a record nobody can read). */
export function deleteDeal(doc: Y.Doc, dealId: string, context: WriteContext = {}): void {
  if (!dealsMap(doc).has(dealId)) throw new BoardError(`no deal ${dealId}`);
  doc.transact(() => dealsMap(doc).delete(dealId), context.origin);
}

/**
 * The record moved to a place that exists now: a deal whose stage is gone goes to the end of the first stage (a
 * restore from history must not fail because an admin changed the stages since).
 */
export function withExistingStage(doc: Y.Doc, record: DealRecord): DealRecord {
  const stages = readStages(doc);
  if (!stages.length) throw new BoardError('the board has no stages');
  if (record.rank && stages.some((stage) => stage.id === record.stageId)) return record;
  const stageId = stages[0].id;
  return { ...record, stageId, rank: rankAtEnd(readColumn(doc, stageId)), createdAt: record.createdAt || Date.now() };
}

/**
 * Make a deal's notes read `text`, rewriting only the part that differs (common start and end stay), so a
 * colleague typing elsewhere in the notes at the same time keeps their text.
 */
export function setDealNotesText(doc: Y.Doc, dealId: string, text: string, context: WriteContext = {}): void {
  const notes = dealNotes(doc, dealId);
  if (!notes) throw new BoardError(`deal ${dealId} has no notes`);
  const current = notes.toString();
  if (current === text) return;
  let start = 0;
  while (start < current.length && start < text.length && current[start] === text[start]) start++;
  let end = 0;
  while (end < current.length - start && end < text.length - start && current[current.length - 1 - end] === text[text.length - 1 - end]) end++;
  doc.transact(() => {
    notes.delete(start, current.length - start - end);
    notes.insert(start, text.slice(start, text.length - end));
  }, context.origin);
}

/**
 * Call `listener` after every change to the board's read model (local or remote); returns the unsubscribe function.
 * Typing in notes is not such a change: the notes editor follows its Y.Text itself.
 */
export function observeBoard(doc: Y.Doc, listener: () => void): () => void {
  const handler = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
    if (!events.every((event) => event.target instanceof Y.Text)) listener();
  };
  meta(doc).observeDeep(handler);
  stagesArray(doc).observeDeep(handler);
  dealsMap(doc).observeDeep(handler);
  return () => {
    meta(doc).unobserveDeep(handler);
    stagesArray(doc).unobserveDeep(handler);
    dealsMap(doc).unobserveDeep(handler);
  };
}
