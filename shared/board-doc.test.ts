import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addDeal,
  dealNotes,
  deleteDeal,
  initBoard,
  migrateBoard,
  moveDeal,
  observeBoard,
  readColumn,
  readColumns,
  readDeal,
  readSchemaVersion,
  readStages,
  renameStage,
  updateDeal
} from './board-doc.ts';
import { DEFAULT_STAGES, buildSamplePipeline } from './sample-pipeline.ts';
import { InvalidFieldError } from './deal-fields.ts';
import { writeV1Board } from '../tests/support/board-v1.ts';

function newBoard() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p1', workspaceId: 'w1', name: 'Sales', stages: DEFAULT_STAGES });
  const stages = readStages(doc);
  return { doc, stages, lead: stages[0].id, demo: stages[2].id };
}

const titles = (doc: Y.Doc, stageId: string) => readColumn(doc, stageId).map((deal) => deal.title);

function sync(a: Y.Doc, b: Y.Doc) {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, fromA);
  Y.applyUpdate(a, fromB);
}

describe('board doc accessors', () => {
  it('lays out stages with their win probabilities and a schema version', () => {
    const { doc, stages } = newBoard();
    expect(stages.map((stage) => stage.name)).toEqual(['Lead in', 'Qualified', 'Demo', 'Proposal', 'Negotiation', 'Won', 'Lost']);
    expect(stages[3].probability).toBe(60);
    expect(migrateBoard(doc)).toEqual({ from: 2, to: 2 });
  });

  it('adds deals at the top by default and at the bottom on request', () => {
    const { doc, lead } = newBoard();
    addDeal(doc, lead, { title: 'First' });
    addDeal(doc, lead, { title: 'Second' });
    addDeal(doc, lead, { title: 'Last' }, { position: 'bottom' });
    expect(titles(doc, lead)).toEqual(['Second', 'First', 'Last']);
  });

  it('refuses a deal with bad fields and writes nothing', () => {
    const { doc, lead } = newBoard();
    expect(() => addDeal(doc, lead, { title: '  ' })).toThrow(InvalidFieldError);
    expect(() => addDeal(doc, lead, { title: 'x', value: -5 })).toThrow(/value: cannot be negative/);
    expect(readColumn(doc, lead)).toHaveLength(0);
  });

  it('moves a deal to another column at a given index, rewriting only stage and rank', () => {
    const { doc, lead, demo } = newBoard();
    const a = addDeal(doc, demo, { title: 'A' }, { position: 'bottom' });
    addDeal(doc, demo, { title: 'B' }, { position: 'bottom' });
    const moving = addDeal(doc, lead, { title: 'Moving', value: 10 }, { now: 1 });
    moveDeal(doc, moving, demo, 1, { now: 5 });
    expect(titles(doc, demo)).toEqual(['A', 'Moving', 'B']);
    expect(titles(doc, lead)).toEqual([]);
    const moved = readDeal(doc, moving)!;
    expect(moved).toMatchObject({ stageId: demo, value: 10, lastActivityAt: 5, createdAt: 1 });
    moveDeal(doc, a, demo, 99);
    expect(titles(doc, demo)).toEqual(['Moving', 'B', 'A']);
  });

  it('reorders within a column', () => {
    const { doc, lead } = newBoard();
    const ids = ['A', 'B', 'C', 'D'].map((title) => addDeal(doc, lead, { title }, { position: 'bottom' }));
    moveDeal(doc, ids[3], lead, 0);
    expect(titles(doc, lead)).toEqual(['D', 'A', 'B', 'C']);
    moveDeal(doc, ids[0], lead, 2);
    expect(titles(doc, lead)).toEqual(['D', 'B', 'A', 'C']);
  });

  it('edits only the given fields and keeps tags as a set', () => {
    const { doc, lead } = newBoard();
    const id = addDeal(doc, lead, { title: 'Deal', value: 100, tags: ['b', 'a'] });
    updateDeal(doc, id, { value: 250, tags: ['a', 'c', 'c'] }, { now: 9 });
    expect(readDeal(doc, id)).toMatchObject({ title: 'Deal', value: 250, tags: ['a', 'c'], updatedAt: 9 });
    expect(() => updateDeal(doc, id, { value: Number.NaN })).toThrow(InvalidFieldError);
    expect(() => updateDeal(doc, id, { nonsense: 1 } as never)).toThrow(InvalidFieldError);
    deleteDeal(doc, id);
    expect(readDeal(doc, id)).toBeUndefined();
  });

  it('renames a stage', () => {
    const { doc, lead } = newBoard();
    renameStage(doc, lead, ' New leads ');
    expect(readStages(doc)[0].name).toBe('New leads');
  });

  it('places a deal between two neighbours that share a rank after concurrent inserts', () => {
    const { doc, lead } = newBoard();
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
    addDeal(doc, lead, { title: 'X' });
    addDeal(replica, lead, { title: 'Y' });
    sync(doc, replica);
    const column = readColumn(doc, lead);
    expect(column[0].rank).toBe(column[1].rank);
    const z = addDeal(doc, lead, { title: 'Z' }, { position: 'bottom' });
    moveDeal(doc, z, lead, 1);
    expect(readColumn(doc, lead).map((deal) => deal.title)).toHaveLength(3);
    expect(readColumn(doc, lead)[2].title).toBe('Z');
  });
});

describe('concurrent moves', () => {
  for (const order of ['a then b', 'b then a'] as const) {
    it(`two reps moving the same deal converge to one column and one copy (${order})`, () => {
      const { doc: a, stages } = newBoard();
      const deal = addDeal(a, stages[0].id, { title: 'Contested' });
      const b = new Y.Doc();
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
      const updatesA: Uint8Array[] = [];
      const updatesB: Uint8Array[] = [];
      a.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && updatesA.push(update));
      b.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && updatesB.push(update));
      moveDeal(a, deal, stages[2].id, 0);
      moveDeal(b, deal, stages[4].id, 0);
      const deliver = (target: Y.Doc, updates: Uint8Array[]) => updates.forEach((update) => Y.applyUpdate(target, update, 'remote'));
      if (order === 'a then b') {
        deliver(b, updatesA);
        deliver(a, updatesB);
      } else {
        deliver(a, updatesB);
        deliver(b, updatesA);
      }
      const placesA = [...readColumns(a)].filter(([, deals]) => deals.some((d) => d.id === deal));
      const placesB = [...readColumns(b)].filter(([, deals]) => deals.some((d) => d.id === deal));
      expect(placesA).toHaveLength(1);
      expect(placesA[0][1].filter((d) => d.id === deal)).toHaveLength(1);
      expect(placesB.map(([stage]) => stage)).toEqual(placesA.map(([stage]) => stage));
      expect(readDeal(a, deal)).toEqual(readDeal(b, deal));
    });
  }
});

describe('deal notes (schema v2)', () => {
  it('a new deal starts with empty notes', () => {
    const { doc, lead } = newBoard();
    const id = addDeal(doc, lead, { title: 'Acme' });
    expect(dealNotes(doc, id)?.toString()).toBe('');
    expect(dealNotes(doc, 'no-such-deal')).toBeNull();
  });

  it('a v1 doc migrates to v2 with notes on every deal, and the deals keep their fields', () => {
    const doc = new Y.Doc();
    const ids = writeV1Board(doc, ['Acme', 'Globex', 'Initech']);
    expect(ids.map((id) => dealNotes(doc, id))).toEqual([null, null, null]);
    const before = ids.map((id) => readDeal(doc, id));
    expect(migrateBoard(doc)).toEqual({ from: 1, to: 2 });
    expect(readSchemaVersion(doc)).toBe(2);
    expect(ids.map((id) => dealNotes(doc, id)?.toString())).toEqual(['', '', '']);
    expect(ids.map((id) => readDeal(doc, id))).toEqual(before);
  });

  it('migrating twice changes nothing the second time', () => {
    const doc = new Y.Doc();
    const [id] = writeV1Board(doc, ['Acme']);
    migrateBoard(doc);
    dealNotes(doc, id)!.insert(0, 'Called Tuesday');
    const notes = dealNotes(doc, id);
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    expect(migrateBoard(doc)).toEqual({ from: 2, to: 2 });
    expect(updates).toHaveLength(0);
    expect(dealNotes(doc, id)).toBe(notes);
    expect(notes?.toString()).toBe('Called Tuesday');
  });

  it('gives notes to a deal that a tab still running v1 code added to a v2 doc', () => {
    const { doc, lead } = newBoard();
    const modern = addDeal(doc, lead, { title: 'Modern' });
    dealNotes(doc, modern)!.insert(0, 'keep me');
    const legacy = new Y.Map<unknown>(Object.entries({ id: 'legacy', title: 'Legacy', stageId: lead, rank: 'a0' }));
    doc.getMap<Y.Map<unknown>>('deals').set('legacy', legacy);
    migrateBoard(doc);
    expect(dealNotes(doc, 'legacy')?.toString()).toBe('');
    expect(dealNotes(doc, modern)?.toString()).toBe('keep me');
  });

  it('refuses a doc newer than this code', () => {
    const { doc } = newBoard();
    doc.getMap('meta').set('schemaVersion', 3);
    expect(() => migrateBoard(doc)).toThrow(/newer than this code/);
  });

  it('two people typing in the same notes at once both keep their text', () => {
    const { doc: a, lead } = newBoard();
    const id = addDeal(a, lead, { title: 'Shared' });
    dealNotes(a, id)!.insert(0, 'Budget approved.');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    dealNotes(a, id)!.insert(0, 'Sales: demo on Friday. ');
    dealNotes(b, id)!.insert(dealNotes(b, id)!.length, ' Support: ticket #42 closed.');
    sync(a, b);
    const merged = dealNotes(a, id)!.toString();
    expect(merged).toBe('Sales: demo on Friday. Budget approved. Support: ticket #42 closed.');
    expect(dealNotes(b, id)!.toString()).toBe(merged);
  });

  it('typing in notes does not re-read the board, a field edit does', () => {
    const { doc, lead } = newBoard();
    const id = addDeal(doc, lead, { title: 'Quiet' });
    let reads = 0;
    const stop = observeBoard(doc, () => reads++);
    dealNotes(doc, id)!.insert(0, 'typing');
    expect(reads).toBe(0);
    updateDeal(doc, id, { value: 5 });
    expect(reads).toBe(1);
    stop();
  });
});

describe('sample pipeline', () => {
  it('seeds about 30 deals, each with its contact', () => {
    const { board, contacts } = buildSamplePipeline({ pipelineId: 'p', workspaceId: 'w', ownerId: 'u', now: Date.UTC(2026, 0, 1) });
    const deals = [...readColumns(board).values()].flat();
    expect(deals.length).toBeGreaterThanOrEqual(28);
    const contactIds = new Set(contacts.getMap('contacts').keys());
    expect(deals.every((deal) => deal.contactId && contactIds.has(deal.contactId))).toBe(true);
  });
});
