import * as Y from 'yjs';
import { newId } from './ids.ts';
import { contactFieldsSchema, contactPatchSchema, parseOrThrow, type ContactFields, type ContactPatch } from './deal-fields.ts';
import type { WriteContext } from './board-doc.ts';
import { checkContact, CONTACTS_SCHEMA_VERSION, describeProblem, type SchemaProblem } from './doc-schema.ts';

/**
 * The workspace contacts doc (room `contacts:<workspaceId>`), part of the public contract:
 *   getMap('meta')     schemaVersion, workspaceId
 *   getMap('contacts') contactId → Y.Map {id, name, email, company, phone, createdAt, updatedAt}
 */
export { CONTACTS_SCHEMA_VERSION };

export interface Contact extends ContactFields {
  id: string;
  createdAt: number;
  updatedAt: number;
}

const meta = (doc: Y.Doc) => doc.getMap<unknown>('meta');
const contactsMap = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('contacts');

export function initContacts(doc: Y.Doc, workspaceId: string, context: WriteContext = {}): void {
  doc.transact(() => {
    meta(doc).set('schemaVersion', CONTACTS_SCHEMA_VERSION);
    meta(doc).set('workspaceId', workspaceId);
  }, context.origin);
}

export function migrateContacts(doc: Y.Doc): { from: number; to: number } {
  const version = meta(doc).get('schemaVersion');
  const from = typeof version === 'number' ? version : 0;
  if (from > CONTACTS_SCHEMA_VERSION) throw new Error(`contacts doc has schemaVersion ${from}, newer than this code`);
  if (from < CONTACTS_SCHEMA_VERSION) doc.transact(() => meta(doc).set('schemaVersion', CONTACTS_SCHEMA_VERSION), 'migration');
  return { from, to: CONTACTS_SCHEMA_VERSION };
}

function readContactMap(map: Y.Map<unknown>): Contact {
  return {
    id: String(map.get('id')),
    name: String(map.get('name') ?? ''),
    email: String(map.get('email') ?? ''),
    company: String(map.get('company') ?? ''),
    phone: String(map.get('phone') ?? ''),
    createdAt: Number(map.get('createdAt') ?? 0),
    updatedAt: Number(map.get('updatedAt') ?? 0)
  };
}

/** Valid contacts by name, and a problem for every entry that breaks the schema (skipped, listed for an admin). */
export function inspectContacts(doc: Y.Doc): { contacts: Contact[]; problems: SchemaProblem[] } {
  const contacts: Contact[] = [];
  const problems: SchemaProblem[] = [];
  for (const [key, map] of contactsMap(doc).entries()) {
    const problem = checkContact(map, key);
    if (problem) problems.push(problem);
    else contacts.push(readContactMap(map));
  }
  return { contacts: contacts.sort((a, b) => a.name.localeCompare(b.name)), problems };
}

export function readContacts(doc: Y.Doc): Contact[] {
  return inspectContacts(doc).contacts;
}

export function readContact(doc: Y.Doc, contactId: string): Contact | undefined {
  const map = contactsMap(doc).get(contactId);
  return map && !checkContact(map, contactId) ? readContactMap(map) : undefined;
}

export function addContact(
  doc: Y.Doc,
  input: Pick<ContactFields, 'name'> & Partial<ContactFields>,
  context: WriteContext & { id?: string } = {}
): string {
  const fields = parseOrThrow(contactFieldsSchema, { email: '', company: '', phone: '', ...input });
  const id = context.id ?? newId();
  const now = context.now ?? Date.now();
  doc.transact(() => {
    const map = new Y.Map<unknown>(Object.entries({ id, ...fields, createdAt: now, updatedAt: now }));
    contactsMap(doc).set(id, map);
  }, context.origin);
  return id;
}

export function updateContact(doc: Y.Doc, contactId: string, patch: ContactPatch, context: WriteContext = {}): void {
  const map = contactsMap(doc).get(contactId);
  if (!map) throw new Error(`no contact ${contactId}`);
  const problem = checkContact(map, contactId);
  if (problem) throw new Error(`this contact needs repair first: ${describeProblem(problem)}`);
  const fields = parseOrThrow(contactPatchSchema, patch);
  doc.transact(() => {
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) map.set(key, value);
    map.set('updatedAt', context.now ?? Date.now());
  }, context.origin);
}

/** Remove a contact, valid or not. */
export function deleteContact(doc: Y.Doc, contactId: string, context: WriteContext = {}): void {
  if (!contactsMap(doc).has(contactId)) throw new Error(`no contact ${contactId}`);
  doc.transact(() => contactsMap(doc).delete(contactId), context.origin);
}

/** Bring back a deleted contact under its own id, as history kept it: a new change, never a rewrite of history. */
export function restoreContact(doc: Y.Doc, contact: Contact, context: WriteContext = {}): void {
  if (contactsMap(doc).has(contact.id)) throw new Error(`contact ${contact.id} exists`);
  const fields = parseOrThrow(contactFieldsSchema, { name: contact.name, email: contact.email, company: contact.company, phone: contact.phone });
  const now = context.now ?? Date.now();
  doc.transact(() => {
    const map = new Y.Map<unknown>(Object.entries({ id: contact.id, ...fields, createdAt: contact.createdAt || now, updatedAt: now }));
    contactsMap(doc).set(contact.id, map);
  }, context.origin);
}

export function observeContacts(doc: Y.Doc, listener: () => void): () => void {
  const handler = () => listener();
  contactsMap(doc).observeDeep(handler);
  return () => contactsMap(doc).unobserveDeep(handler);
}
