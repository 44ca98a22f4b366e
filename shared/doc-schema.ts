import * as Y from 'yjs';
import { z } from 'zod';
import { contactFieldsSchema, dealFieldsSchema, stageFieldsSchema, tagSchema } from './deal-fields.ts';

/**
 * The doc schema as rules: which top-level types a doc has and what every record in them must hold. One definition,
 * run by the server on every client update (server/sync/admission.ts) and at load, and by the browser when it reads
 * a doc (invalid records are skipped and reported) and before it writes. The value rules come from the zod field
 * schemas in deal-fields.ts, so a field's rule exists once.
 */
export const BOARD_SCHEMA_VERSION = 2;
export const CONTACTS_SCHEMA_VERSION = 1;

export type DocKind = 'board' | 'contacts';

/** One thing wrong with a doc: where (`deals.<id>.value`) and why (`must be a number`). */
export interface SchemaProblem {
  path: string;
  reason: string;
}

export function describeProblem(problem: SchemaProblem): string {
  return `${problem.path} ${problem.reason}`;
}

/** The top-level types of each doc kind; anything else is not part of the schema. */
export const TOP_LEVEL_TYPES: Record<DocKind, readonly string[]> = {
  board: ['meta', 'stages', 'deals'],
  contacts: ['meta', 'contacts']
};

const recordId = z.string().min(1, 'must not be empty').max(64, 'at most 64 characters');
const timestamp = z.number().min(0, 'cannot be negative');
const { tags: _tags, ...dealScalarFields } = dealFieldsSchema.shape;

/** A deal's plain fields (tags and notes are Y types, checked apart). */
export const dealRecordSchema = z
  .object({
    id: recordId,
    ...dealScalarFields,
    stageId: recordId,
    rank: z.string().regex(/^[0-9A-Za-z]+$/, 'must be a fractional-index key').max(1024, 'at most 1024 characters'),
    createdAt: timestamp,
    updatedAt: timestamp,
    lastActivityAt: timestamp
  })
  .strict();

export const stageRecordSchema = z.object({ id: recordId, ...stageFieldsSchema.shape }).strict();

/** The rule for a stage's name, the one stage field a client may write (renameStage). */
export const stageFieldsName = stageFieldsSchema.shape.name;

export const contactRecordSchema = z.object({ id: recordId, ...contactFieldsSchema.shape, createdAt: timestamp, updatedAt: timestamp }).strict();

const boardMetaSchema = z
  .object({
    schemaVersion: z.literal(BOARD_SCHEMA_VERSION, `must be ${BOARD_SCHEMA_VERSION}`),
    pipelineId: recordId,
    workspaceId: recordId,
    name: z.string().trim().min(1, 'must not be empty').max(80, 'at most 80 characters')
  })
  .strict();

const contactsMetaSchema = z
  .object({ schemaVersion: z.literal(CONTACTS_SCHEMA_VERSION, `must be ${CONTACTS_SCHEMA_VERSION}`), workspaceId: recordId })
  .strict();

/** The first issue of a failed parse, as a problem under `path`. */
function issueProblem(path: string, error: z.ZodError): SchemaProblem {
  const issue = error.issues[0];
  const at = [path, ...(issue?.path ?? []).map(String)].join('.');
  if (!issue) return { path, reason: 'is invalid' };
  if (issue.code === 'unrecognized_keys') return { path: `${at}.${issue.keys[0]}`, reason: 'is not a known field' };
  if (issue.code === 'invalid_type') {
    return { path: at, reason: issue.message.includes('received undefined') ? 'is missing' : `must be a ${issue.expected}` };
  }
  return { path: at, reason: issue.message };
}

/** Plain (non-Y) entries of a Y.Map, leaving out `except`; a Y type as a value stays as it is, so the rules refuse it. */
function plainEntries(map: Y.Map<unknown>, except: readonly string[] = []): Record<string, unknown> {
  // No prototype: a key like `__proto__` must stay a key the rules see (and refuse), not become the prototype.
  const entries: Record<string, unknown> = Object.create(null);
  for (const [key, value] of map.entries()) if (!except.includes(key)) entries[key] = value;
  return entries;
}

/** Content a reader never sees: list items under a Y.Map, or map entries on a list or text. Only a forged update writes it. */
function hasHiddenContent(type: Y.AbstractType<any>, kind: 'map' | 'list'): boolean {
  if (kind === 'map') {
    for (let item = type._start; item; item = item.right) if (!item.deleted) return true;
    return false;
  }
  for (const item of type._map.values()) if (!item.deleted) return true;
  return false;
}

/** Plain text only: a deal's notes hold strings, no embeds, formats or nested types. */
function isPlainText(text: Y.Text): boolean {
  for (let item = text._start; item; item = item.right) {
    if (!item.deleted && !(item.content instanceof Y.ContentString)) return false;
  }
  return !hasHiddenContent(text, 'list');
}

/**
 * Is the value under `deals.<key>` a valid deal? A Y.Map whose `id` is its key, whose plain fields follow
 * dealRecordSchema, whose stageId names one of `stageIds`, with `tags` a Y.Map of tag → true and, when present (a
 * doc not yet migrated has none), `notes` a plain Y.Text. Tag count is not checked: concurrent valid edits may pass it.
 */
export function checkDeal(value: unknown, key: string, stageIds: ReadonlySet<string>): SchemaProblem | null {
  const path = `deals.${key}`;
  if (!(value instanceof Y.Map)) return { path, reason: 'must be a Y.Map' };
  if (hasHiddenContent(value, 'map')) return { path, reason: 'holds content outside its fields' };
  const fields = plainEntries(value, ['tags', 'notes']);
  const parsed = dealRecordSchema.safeParse(fields);
  if (!parsed.success) return issueProblem(path, parsed.error);
  if (fields.id !== key) return { path: `${path}.id`, reason: 'must equal the deal’s key' };
  if (!stageIds.has(fields.stageId as string)) return { path: `${path}.stageId`, reason: 'must name a stage of this board' };
  const tags = value.get('tags');
  if (!(tags instanceof Y.Map)) return { path: `${path}.tags`, reason: tags === undefined ? 'is missing' : 'must be a Y.Map of tag → true' };
  if (hasHiddenContent(tags, 'map')) return { path: `${path}.tags`, reason: 'holds content outside its tags' };
  for (const [tag, flag] of tags.entries()) {
    const problem = checkTag(`${path}.tags`, tag, flag);
    if (problem) return problem;
  }
  const notes = value.get('notes');
  if (notes !== undefined && !(notes instanceof Y.Text)) return { path: `${path}.notes`, reason: 'must be a Y.Text' };
  if (notes instanceof Y.Text && !isPlainText(notes)) return { path: `${path}.notes`, reason: 'must hold plain text only' };
  return null;
}

/** Is `value` valid for one plain field of a record (`deals.<key>.<field>`)? For checks of a single write. */
export function checkField(record: 'deal' | 'contact', key: string, field: string, value: unknown, stageIds?: ReadonlySet<string>): SchemaProblem | null {
  const path = `${record === 'deal' ? 'deals' : 'contacts'}.${key}.${field}`;
  const shape: Record<string, z.ZodType> = record === 'deal' ? dealRecordSchema.shape : contactRecordSchema.shape;
  if (!Object.hasOwn(shape, field)) return { path, reason: 'is not a known field' };
  const parsed = shape[field].safeParse(value);
  if (!parsed.success) return issueProblem(path, parsed.error);
  if (field === 'id' && value !== key) return { path, reason: `must equal the ${record}’s key` };
  if (field === 'stageId' && stageIds && !stageIds.has(value as string)) return { path, reason: 'must name a stage of this board' };
  return null;
}

export function checkTag(path: string, tag: string | null, flag: unknown): SchemaProblem | null {
  if (flag !== true) return { path: `${path}.${tag}`, reason: 'must be true' };
  const checked = tagSchema.safeParse(tag);
  return checked.success && checked.data === tag ? null : { path: `${path}.${tag}`, reason: 'is not a valid tag (1–32 characters, no outer spaces)' };
}

/** Is the value at `stages[index]` a valid stage? */
export function checkStage(value: unknown, index: number): SchemaProblem | null {
  const path = `stages.${index}`;
  if (!(value instanceof Y.Map)) return { path, reason: 'must be a Y.Map' };
  if (hasHiddenContent(value, 'map')) return { path, reason: 'holds content outside its fields' };
  const parsed = stageRecordSchema.safeParse(plainEntries(value));
  return parsed.success ? null : issueProblem(path, parsed.error);
}

export function checkContact(value: unknown, key: string): SchemaProblem | null {
  const path = `contacts.${key}`;
  if (!(value instanceof Y.Map)) return { path, reason: 'must be a Y.Map' };
  if (hasHiddenContent(value, 'map')) return { path, reason: 'holds content outside its fields' };
  const fields = plainEntries(value);
  const parsed = contactRecordSchema.safeParse(fields);
  if (!parsed.success) return issueProblem(path, parsed.error);
  if (fields.id !== key) return { path: `${path}.id`, reason: 'must equal the contact’s key' };
  return null;
}

/** The meta map of a doc, checked against its kind's rules (after migration: the current schemaVersion). */
export function checkMeta(doc: Y.Doc, kind: DocKind): SchemaProblem[] {
  const meta = doc.getMap<unknown>('meta');
  if (hasHiddenContent(meta, 'map')) return [{ path: 'meta', reason: 'holds content outside its fields' }];
  const parsed = (kind === 'board' ? boardMetaSchema : contactsMetaSchema).safeParse(plainEntries(meta));
  return parsed.success ? [] : [issueProblem('meta', parsed.error)];
}

/** The board's stages: the valid ones (as Y.Maps, in order) and a problem for each other entry. */
export function inspectStages(doc: Y.Doc): { valid: Array<Y.Map<unknown>>; problems: SchemaProblem[] } {
  const valid: Array<Y.Map<unknown>> = [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  const stages = doc.getArray<unknown>('stages');
  if (hasHiddenContent(stages, 'list')) problems.push({ path: 'stages', reason: 'holds content outside its list' });
  stages.forEach((stage, index) => {
    const problem = checkStage(stage, index);
    const id = problem ? null : ((stage as Y.Map<unknown>).get('id') as string);
    if (problem) problems.push(problem);
    else if (seen.has(id!)) problems.push({ path: `stages.${index}.id`, reason: `repeats the id of an earlier stage (${id})` });
    else {
      seen.add(id!);
      valid.push(stage as Y.Map<unknown>);
    }
  });
  return { valid, problems };
}

/**
 * The ids of a board's stages without checking each stage: enough where the stages are known valid (a writable
 * room's doc was checked at load, and clients cannot change a stage's id).
 */
export function currentStageIds(doc: Y.Doc): Set<string> {
  const ids = new Set<string>();
  for (const stage of doc.getArray<unknown>('stages')) if (stage instanceof Y.Map) ids.add(stage.get('id') as string);
  return ids;
}

export function stageIdsOf(stages: ReadonlyArray<Y.Map<unknown>>): Set<string> {
  return new Set(stages.map((stage) => stage.get('id') as string));
}

/** The ids of the board's valid stages: what a deal's stageId must name. */
export function boardStageIds(doc: Y.Doc): Set<string> {
  return stageIdsOf(inspectStages(doc).valid);
}

/**
 * Problems that make a whole doc unsafe to edit: its meta, and for a board its stages (clients cannot change them,
 * so only an admin's repair can fix them). A doc with such problems is opened read-only.
 */
export function docProblems(doc: Y.Doc, kind: DocKind): SchemaProblem[] {
  const problems = checkMeta(doc, kind);
  if (kind === 'board') {
    const stages = inspectStages(doc);
    problems.push(...stages.problems);
    if (!stages.valid.length) problems.push({ path: 'stages', reason: 'must hold at least one stage' });
  }
  return problems;
}

/** Every record (deal or contact) that breaks the rules: each one is skipped by readers and listed for an admin. */
export function recordProblems(doc: Y.Doc, kind: DocKind): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (kind === 'board') {
    const stageIds = boardStageIds(doc);
    const deals = doc.getMap<unknown>('deals');
    if (hasHiddenContent(deals, 'map')) problems.push({ path: 'deals', reason: 'holds content outside its records' });
    for (const [key, deal] of deals.entries()) {
      const problem = checkDeal(deal, key, stageIds);
      if (problem) problems.push(problem);
    }
  } else {
    const contacts = doc.getMap<unknown>('contacts');
    if (hasHiddenContent(contacts, 'map')) problems.push({ path: 'contacts', reason: 'holds content outside its records' });
    for (const [key, contact] of contacts.entries()) {
      const problem = checkContact(contact, key);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** The top-level type a nested type belongs to, and the keys leading to it from there (e.g. `deals` → [dealId, 'tags']). */
export function locate(doc: Y.Doc, type: Y.AbstractType<any>): { root: string | null; keys: Array<string | null> } {
  const keys: Array<string | null> = [];
  let current: Y.AbstractType<any> = type;
  while (current._item) {
    keys.unshift(current._item.parentSub);
    const parent = current._item.parent;
    if (!(parent instanceof Y.AbstractType)) return { root: null, keys };
    current = parent;
  }
  for (const [name, shared] of doc.share) if (shared === current) return { root: name, keys };
  return { root: null, keys };
}

const isMapLike = (type: Y.AbstractType<any>) => type instanceof Y.Map;

/**
 * May a client make this change? `changed` is a transaction's changed types with the keys changed in each (null for
 * list or text positions), after the change was applied to `doc`. Clients may add, edit, move and delete deals,
 * edit tags and notes, rename stages, add and edit contacts; never write meta, add or remove stages, or touch
 * another top-level type. Each record the change touched must be valid afterwards (its whole resulting state, so a
 * deleted field is caught too). Returns the first problem, or null.
 */
export function changeProblem(doc: Y.Doc, kind: DocKind, changed: ReadonlyMap<Y.AbstractType<any>, ReadonlySet<string | null>>): SchemaProblem | null {
  const touched = new Set<string>();
  /** Deals whose own `notes` key changed: notes may be replaced by nobody and removed by nobody (typing would be lost). */
  const notesChanged = new Set<string>();
  let stagesTouched = false;
  for (const [type, changedKeys] of changed) {
    const { root, keys } = locate(doc, type);
    if (root === null) continue; // a change inside a type that is no longer in the doc: nobody sees it
    if (!TOP_LEVEL_TYPES[kind].includes(root)) return { path: root, reason: 'is not a top-level type of this doc' };
    const where = [root, ...keys, [...changedKeys][0]].filter((key) => key !== null && key !== undefined).join('.');
    if (root === 'meta') return { path: where, reason: 'is written by the server only' };
    // Keys must match the type: map entries have a key, list and text positions have none.
    for (const key of changedKeys) {
      if (isMapLike(type) !== (key !== null)) return { path: where, reason: 'was changed in a way its type does not allow' };
    }
    if (root === 'stages') {
      if (keys.length === 0) return { path: 'stages', reason: 'cannot be added, removed or reordered by a client' };
      const fields = keys.length === 1 ? [...changedKeys] : [keys[1]];
      for (const field of fields) if (field !== 'name') return { path: where, reason: 'cannot be changed by a client (only a stage’s name)' };
      stagesTouched = true;
      continue;
    }
    if (keys.length === 0) for (const key of changedKeys) touched.add(key!);
    else touched.add(keys[0]!);
    if (root === 'deals' && keys.length === 1 && changedKeys.has('notes')) notesChanged.add(keys[0]!);
  }
  if (stagesTouched) {
    const stages = inspectStages(doc);
    if (stages.problems.length) return stages.problems[0];
  }
  if (!touched.size) return null;
  if (kind === 'board') {
    const deals = doc.getMap<unknown>('deals');
    const stageIds = currentStageIds(doc);
    for (const key of touched) {
      if (!deals.has(key)) continue; // deleted: a deal may be removed
      const problem = checkDeal(deals.get(key), key, stageIds);
      if (problem) return problem;
      if (notesChanged.has(key)) return { path: `deals.${key}.notes`, reason: 'cannot be replaced or removed by a client' };
    }
  } else {
    const contacts = doc.getMap<unknown>('contacts');
    for (const key of touched) {
      if (!contacts.has(key)) continue;
      const problem = checkContact(contacts.get(key), key);
      if (problem) return problem;
    }
  }
  return null;
}
