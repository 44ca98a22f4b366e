import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, initBoard, placeDeal, readDeal, readDealRecord, readStages, restoreDeal, setDealNotesText, withExistingStage } from './board-doc.ts';
import { addContact, deleteContact, readContact, restoreContact } from './contacts-doc.ts';
import { DEFAULT_STAGES } from './sample-pipeline.ts';

function board() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: DEFAULT_STAGES });
  return doc;
}

/** Sync two replicas both ways. */
function sync(a: Y.Doc, b: Y.Doc) {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('restoring from history', () => {
  it('brings a deleted deal back under its id with its fields, place, tags and notes', () => {
    const doc = board();
    const demo = readStages(doc)[2].id;
    const id = addDeal(doc, demo, { title: 'Acme', value: 1200, currency: 'EUR', tags: ['vip', 'q3'] }, { now: 5 });
    dealNotes(doc, id)!.insert(0, 'Call back');
    const kept = readDealRecord(doc, id)!;
    deleteDeal(doc, id);
    expect(readDeal(doc, id)).toBeUndefined();
    restoreDeal(doc, kept, { now: 9 });
    expect(readDeal(doc, id)).toMatchObject({ title: 'Acme', value: 1200, currency: 'EUR', tags: ['q3', 'vip'], stageId: demo, rank: kept.rank, createdAt: 5, updatedAt: 9 });
    expect(dealNotes(doc, id)!.toString()).toBe('Call back');
    expect(() => restoreDeal(doc, kept)).toThrow(/exists/);
  });

  it('sends a restored deal to the first stage when its stage is gone, and refuses invalid fields', () => {
    const doc = board();
    const kept = { ...readDealRecord(doc, addDeal(doc, readStages(doc)[3].id, { title: 'Gone stage' }))!, stageId: 'no-such-stage' };
    deleteDeal(doc, kept.id);
    restoreDeal(doc, withExistingStage(doc, kept));
    expect(readDeal(doc, kept.id)?.stageId).toBe(readStages(doc)[0].id);
    deleteDeal(doc, kept.id);
    expect(() => restoreDeal(doc, withExistingStage(doc, { ...kept, value: -5 }))).toThrow();
    expect(readDeal(doc, kept.id)).toBeUndefined();
  });

  it('places a deal at an exact stage and rank', () => {
    const doc = board();
    const id = addDeal(doc, readStages(doc)[0].id, { title: 'Moved back' });
    placeDeal(doc, id, { stageId: readStages(doc)[4].id, rank: 'a5' });
    expect(readDeal(doc, id)).toMatchObject({ stageId: readStages(doc)[4].id, rank: 'a5' });
    expect(() => placeDeal(doc, id, { stageId: 'nowhere', rank: 'a5' })).toThrow(/no stage/);
  });

  it('rewrites only the differing middle of the notes, so a colleague typing at the same time keeps their text', () => {
    const server = board();
    const id = addDeal(server, readStages(server)[0].id, { title: 'Notes' });
    dealNotes(server, id)!.insert(0, 'Start. Wrong middle. End.');
    const colleague = new Y.Doc();
    sync(server, colleague);
    setDealNotesText(server, id, 'Start. Right middle. End.');
    dealNotes(colleague, id)!.insert(dealNotes(colleague, id)!.length, ' P.S.');
    sync(server, colleague);
    expect(dealNotes(server, id)!.toString()).toBe('Start. Right middle. End. P.S.');
    expect(dealNotes(colleague, id)!.toString()).toBe(dealNotes(server, id)!.toString());
  });

  it('deletes and restores a contact under its id', () => {
    const doc = new Y.Doc();
    const id = addContact(doc, { name: 'Ana Trujillo', email: 'ana@example.com', company: 'Northwind' }, { now: 3 });
    const kept = readContact(doc, id)!;
    deleteContact(doc, id);
    expect(readContact(doc, id)).toBeUndefined();
    restoreContact(doc, kept, { now: 8 });
    expect(readContact(doc, id)).toMatchObject({ name: 'Ana Trujillo', email: 'ana@example.com', company: 'Northwind', createdAt: 3, updatedAt: 8 });
  });
});
