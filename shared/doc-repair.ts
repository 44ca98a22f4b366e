import * as Y from 'yjs';
import { newId } from './ids.ts';
import { rankAtEnd } from './ranking.ts';
import { migrateBoard, readColumn, type WriteContext } from './board-doc.ts';
import { migrateContacts } from './contacts-doc.ts';
import {
  BOARD_SCHEMA_VERSION,
  checkContact,
  checkDeal,
  checkStage,
  contactRecordSchema,
  CONTACTS_SCHEMA_VERSION,
  dealRecordSchema,
  boardStageIds,
  inspectStages,
  stageIdsOf,
  stageRecordSchema
} from './doc-schema.ts';
import { CURRENCIES, tagSchema } from './deal-fields.ts';

/**
 * Repairs of records that break the doc schema (doc-schema.ts): each field that breaks its rule gets its obvious
 * default (a title from what was there, value 0, the first stage, null links, now as a timestamp …), unknown fields
 * are dropped. What cannot be repaired (a record that is not a map) is removed. Repairs are ordinary changes: the
 * old state stays in the update log's history. Clients repair one record at a time (an admin's dialog); the server
 * repairs a whole doc (the admin repair routes), meta included.
 */
export interface RepairReport {
  /** Paths of records that were repaired in place, e.g. `deals.d1`. */
  repaired: string[];
  /** Paths of records that were removed. */
  removed: string[];
}

type Fields = Record<string, unknown>;

function fieldValid(schema: { shape: Record<string, { safeParse(value: unknown): { success: boolean } }> }, key: string, value: unknown): boolean {
  return key in schema.shape && schema.shape[key].safeParse(value).success;
}

/** The obvious replacement for a deal field that breaks its rule. */
function dealDefault(key: string, current: unknown, context: { id: string; stageId: string; now: number }): unknown {
  switch (key) {
    case 'id':
      return context.id;
    case 'title': {
      const text = typeof current === 'string' || typeof current === 'number' ? String(current).trim().slice(0, 200) : '';
      return text || 'Untitled deal';
    }
    case 'value': {
      const number = typeof current === 'string' ? Number(current) : NaN;
      return Number.isFinite(number) && number >= 0 && number <= 1e12 ? number : 0;
    }
    case 'currency':
      return CURRENCIES.includes(String(current).toUpperCase() as (typeof CURRENCIES)[number]) ? String(current).toUpperCase() : 'USD';
    case 'stageId':
      return context.stageId;
    case 'contactId':
    case 'ownerId':
    case 'expectedCloseDate':
      return null;
    default:
      return context.now; // createdAt, updatedAt, lastActivityAt
  }
}

const REQUIRED_DEAL_FIELDS = ['id', 'title', 'value', 'currency', 'stageId', 'rank', 'contactId', 'ownerId', 'expectedCloseDate', 'createdAt', 'updatedAt', 'lastActivityAt'];

/** Can a client repair this deal in place (it is a Y.Map and the board has a stage to put it in)? Otherwise remove it. */
export function canRepairDeal(doc: Y.Doc, dealId: string): boolean {
  return doc.getMap<unknown>('deals').get(dealId) instanceof Y.Map && inspectStages(doc).valid.length > 0;
}

/** Repair one deal in place (see canRepairDeal); fields that follow their rule are left as they are. */
export function repairDeal(doc: Y.Doc, dealId: string, context: WriteContext = {}): void {
  const deals = doc.getMap<unknown>('deals');
  const map = deals.get(dealId);
  const stages = inspectStages(doc).valid;
  if (!(map instanceof Y.Map) || !stages.length) throw new Error(`deal ${dealId} cannot be repaired, only removed`);
  const stageIds = stageIdsOf(stages);
  const now = context.now ?? Date.now();
  doc.transact(() => {
    for (const key of [...map.keys()]) if (!REQUIRED_DEAL_FIELDS.includes(key) && key !== 'tags' && key !== 'notes') map.delete(key);
    const stageId = stageIds.has(map.get('stageId') as string) ? (map.get('stageId') as string) : (stages[0].get('id') as string);
    for (const key of REQUIRED_DEAL_FIELDS) {
      if (key === 'rank') continue;
      const value = map.get(key);
      const valid = key === 'id' ? value === dealId : key === 'stageId' ? value === stageId : fieldValid(dealRecordSchema, key, value);
      if (!valid) map.set(key, dealDefault(key, value, { id: dealId, stageId, now }));
    }
    if (!fieldValid(dealRecordSchema, 'rank', map.get('rank'))) {
      map.set('rank', rankAtEnd(readColumn(doc, stageId).filter((deal) => deal.id !== dealId)));
    }
    repairTags(map);
    const notes = map.get('notes');
    if (notes !== undefined && !(notes instanceof Y.Text)) map.set('notes', new Y.Text(typeof notes === 'string' ? notes : ''));
    else if (notes instanceof Y.Text && checkDeal(map, dealId, stageIds)?.path.endsWith('.notes')) map.set('notes', new Y.Text(notes.toString()));
  }, context.origin);
}

function repairTags(deal: Y.Map<unknown>): void {
  const tags = deal.get('tags');
  if (!(tags instanceof Y.Map)) {
    deal.set('tags', new Y.Map<boolean>());
    return;
  }
  for (const [tag, flag] of [...tags.entries()]) {
    const checked = tagSchema.safeParse(tag);
    if (flag !== true || !checked.success || checked.data !== tag) tags.delete(tag);
  }
}

/** Repair one contact in place, or throw when it is not a map (remove it instead). */
export function repairContact(doc: Y.Doc, contactId: string, context: WriteContext = {}): void {
  const map = doc.getMap<unknown>('contacts').get(contactId);
  if (!(map instanceof Y.Map)) throw new Error(`contact ${contactId} cannot be repaired, only removed`);
  const now = context.now ?? Date.now();
  doc.transact(() => {
    for (const key of [...map.keys()]) if (!(key in contactRecordSchema.shape)) map.delete(key);
    for (const key of Object.keys(contactRecordSchema.shape)) {
      const value = map.get(key);
      if (key === 'id' ? value === contactId : fieldValid(contactRecordSchema, key, value)) continue;
      if (key === 'id') map.set(key, contactId);
      else if (key === 'name') map.set(key, (typeof value === 'string' && value.trim().slice(0, 120)) || 'Unnamed contact');
      else if (key === 'createdAt' || key === 'updatedAt') map.set(key, now);
      else map.set(key, '');
    }
  }, context.origin);
}

/** Delete every entry a reader never sees (list items under a map, map entries on a list): only forged updates write them. */
function clearHidden(type: Y.AbstractType<any>, kind: 'map' | 'list', transaction: Y.Transaction): number {
  let cleared = 0;
  if (kind === 'map') {
    for (let item = type._start; item; item = item.right) if (!item.deleted) (item.delete(transaction), cleared++);
  } else {
    for (const item of type._map.values()) if (!item.deleted) (item.delete(transaction), cleared++);
  }
  return cleared;
}

function repairStage(stage: Y.Map<unknown>, index: number, usedIds: Set<string>): void {
  for (const key of [...stage.keys()]) if (!(key in stageRecordSchema.shape)) stage.delete(key);
  const id = stage.get('id');
  if (!fieldValid(stageRecordSchema, 'id', id) || usedIds.has(id as string)) stage.set('id', newId());
  usedIds.add(stage.get('id') as string);
  const name = stage.get('name');
  if (!fieldValid(stageRecordSchema, 'name', name)) stage.set('name', (typeof name === 'string' && name.trim().slice(0, 80)) || `Stage ${index + 1}`);
  if (!fieldValid(stageRecordSchema, 'probability', stage.get('probability'))) stage.set('probability', 0);
  if (!fieldValid(stageRecordSchema, 'outcome', stage.get('outcome'))) stage.set('outcome', 'open');
}

/**
 * The server's whole-board repair (admins only, POST …/pipelines/:id/repair): meta rewritten from the database,
 * stages repaired (or removed when not maps; a board left with none gets one), the notes migration run again, and
 * every deal repaired or removed. One transaction.
 */
export function repairBoard(doc: Y.Doc, meta: { pipelineId: string; workspaceId: string; name: string }, context: WriteContext = {}): RepairReport {
  const report: RepairReport = { repaired: [], removed: [] };
  doc.transact((transaction) => {
    const metaMap = doc.getMap<unknown>('meta');
    clearHidden(metaMap, 'map', transaction);
    const wanted: Fields = { schemaVersion: BOARD_SCHEMA_VERSION, pipelineId: meta.pipelineId, workspaceId: meta.workspaceId, name: meta.name };
    for (const key of [...metaMap.keys()]) if (!(key in wanted)) metaMap.delete(key);
    for (const [key, value] of Object.entries(wanted)) if (metaMap.get(key) !== value) metaMap.set(key, value);

    const stages = doc.getArray<unknown>('stages');
    clearHidden(stages, 'list', transaction);
    const usedIds = new Set<string>();
    for (let index = stages.length - 1; index >= 0; index--) {
      if (!(stages.get(index) instanceof Y.Map)) {
        stages.delete(index, 1);
        report.removed.push(`stages.${index}`);
      }
    }
    stages.forEach((stage, index) => {
      const map = stage as Y.Map<unknown>;
      if (!checkStage(map, index) && !usedIds.has(map.get('id') as string)) {
        usedIds.add(map.get('id') as string);
        return;
      }
      clearHidden(map, 'map', transaction);
      repairStage(map, index, usedIds);
      report.repaired.push(`stages.${index}`);
    });
    if (!stages.length) {
      stages.push([new Y.Map<unknown>(Object.entries({ id: newId(), name: 'Open', probability: 0, outcome: 'open' }))]);
      report.repaired.push('stages');
    }

    migrateBoard(doc);
    const deals = doc.getMap<unknown>('deals');
    clearHidden(deals, 'map', transaction);
    const stageIds = boardStageIds(doc);
    for (const [key, deal] of [...deals.entries()]) {
      if (!checkDeal(deal, key, stageIds)) continue;
      if (deal instanceof Y.Map) {
        clearHidden(deal, 'map', transaction);
        const tags = deal.get('tags');
        if (tags instanceof Y.Map) clearHidden(tags, 'map', transaction);
        repairDeal(doc, key, context);
      }
      if (checkDeal(deals.get(key), key, stageIds)) {
        deals.delete(key);
        report.removed.push(`deals.${key}`);
      } else report.repaired.push(`deals.${key}`);
    }
  }, context.origin);
  return report;
}

/** The server's whole-contacts repair (POST …/contacts/repair): meta from the database, every contact repaired or removed. */
export function repairContacts(doc: Y.Doc, meta: { workspaceId: string }, context: WriteContext = {}): RepairReport {
  const report: RepairReport = { repaired: [], removed: [] };
  doc.transact((transaction) => {
    const metaMap = doc.getMap<unknown>('meta');
    clearHidden(metaMap, 'map', transaction);
    const wanted: Fields = { schemaVersion: CONTACTS_SCHEMA_VERSION, workspaceId: meta.workspaceId };
    for (const key of [...metaMap.keys()]) if (!(key in wanted)) metaMap.delete(key);
    for (const [key, value] of Object.entries(wanted)) if (metaMap.get(key) !== value) metaMap.set(key, value);
    migrateContacts(doc);
    const contacts = doc.getMap<unknown>('contacts');
    clearHidden(contacts, 'map', transaction);
    for (const [key, contact] of [...contacts.entries()]) {
      if (!checkContact(contact, key)) continue;
      if (contact instanceof Y.Map) {
        clearHidden(contact, 'map', transaction);
        repairContact(doc, key, context);
      }
      if (checkContact(contacts.get(key), key)) {
        contacts.delete(key);
        report.removed.push(`contacts.${key}`);
      } else report.repaired.push(`contacts.${key}`);
    }
  }, context.origin);
  return report;
}
