import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { addContact, initContacts, updateContact } from '../../shared/contacts-doc.ts';
import { changeProblem, TOP_LEVEL_TYPES, type DocKind } from '../../shared/doc-schema.ts';
import { buildSamplePipeline } from '../../shared/sample-pipeline.ts';
import { firstPass, KnownState } from './first-pass.ts';

/**
 * The first pass may settle an update (skip the admission copy) only when the exact check would accept it, and call
 * a refusal certain (no copy needed to refuse) only when the exact check would refuse it: random
 * edits, valid and invalid, made with the shared accessors and with raw Yjs writes by replicas that are sometimes
 * behind the server (so their writes race others'), checked both ways against the server's doc.
 */

/** The exact check: apply to a copy of the server's doc and check what the transaction touched (admission.ts). */
function exactCheck(server: Y.Doc, kind: DocKind, update: Uint8Array): string | null {
  const copy = new Y.Doc();
  for (const name of TOP_LEVEL_TYPES[kind]) (name === 'stages' ? copy.getArray(name) : copy.getMap(name));
  Y.applyUpdateV2(copy, Y.encodeStateAsUpdateV2(server));
  let refusal: string | null = null;
  try {
    copy.transact((transaction) => {
      Y.applyUpdate(copy, update);
      const problem = changeProblem(copy, kind, transaction.changed);
      if (problem) refusal = `${problem.path} ${problem.reason}`;
    });
  } catch (error) {
    refusal = (error as Error).message;
  }
  copy.destroy();
  return refusal;
}

const VALUES: unknown[] = ['Acme', '', 'x'.repeat(300), 5, -1, 0, NaN, 1e13, null, true, 'USD', 'usd', '2030-01-01', 'tomorrow', 'stage-0', 'no-stage', 'a0', 'a b', [1], { a: 1 }];
const DEAL_FIELDS = ['id', 'title', 'value', 'currency', 'stageId', 'rank', 'contactId', 'ownerId', 'expectedCloseDate', 'createdAt', 'updatedAt', 'lastActivityAt', 'tags', 'notes', 'color'];
const CONTACT_FIELDS = ['id', 'name', 'email', 'company', 'phone', 'createdAt', 'updatedAt', 'extra'];
const TAGS = ['vip', 'hot', '', ' padded'];

type Op = { kind: number; a: number; b: number; c: number; replica: number };
const op = fc.record({ kind: fc.nat(40), a: fc.nat(1000), b: fc.nat(1000), c: fc.nat(1000), replica: fc.nat(2) });

const pick = <T,>(items: readonly T[], n: number): T => items[n % items.length];

function dealIds(doc: Y.Doc): string[] {
  return [...doc.getMap('deals').keys()].sort();
}

/** One edit on a board replica: ordinary accessor writes and raw writes that may break the schema. */
function boardEdit(doc: Y.Doc, { kind, a, b, c }: Op): void {
  const ids = dealIds(doc);
  const stages = doc.getArray<Y.Map<unknown>>('stages');
  const stageId = (n: number) => String(stages.get(n % stages.length).get('id'));
  const id = pick(ids, a);
  const deal = doc.getMap<Y.Map<unknown>>('deals').get(id);
  const raw = deal instanceof Y.Map ? deal : null;
  switch (kind % 21) {
    case 0: return updateDeal(doc, id, { value: b, title: `Deal ${c}` });
    case 1: return moveDeal(doc, id, stageId(b), c % 5);
    case 2: return updateDeal(doc, id, { tags: b % 3 ? ['vip', `t${c % 4}`] : [] });
    case 3: return void dealNotes(doc, id)?.insert(Math.min(b % 5, dealNotes(doc, id)!.length), `n${c}`);
    case 4: {
      const notes = dealNotes(doc, id);
      if (notes && notes.length) notes.delete(b % notes.length, 1 + (c % 3));
      return;
    }
    case 5: return void addDeal(doc, stageId(b), { title: `New ${c}`, value: c });
    case 6: return deleteDeal(doc, id);
    case 7: return renameStage(doc, stageId(b), pick(['Lead', '', 'x'.repeat(90), 'Qualified'], c));
    case 8: return void raw?.set(pick(DEAL_FIELDS, b), pick(VALUES, c));
    case 9: return void raw?.delete(pick(DEAL_FIELDS, b));
    case 10: return void (raw?.get('tags') as Y.Map<unknown> | undefined)?.set(pick(TAGS, b), pick([true, false, 'true', 1], c));
    case 11: return void (raw?.get('tags') as Y.Map<unknown> | undefined)?.delete(pick(TAGS, b));
    case 12: return void (raw?.get('notes') as Y.Text | undefined)?.insertEmbed(0, { image: 'x' });
    case 13: return void (raw?.get('notes') as Y.Text | undefined)?.insert(0, 'bold', b % 2 ? { bold: true } : undefined);
    case 14: return doc.getMap('deals').set(b % 2 ? id : `forged${c}`, pick(['a deal', 5, new Y.Map(), new Y.Text('x')], c));
    case 15: return doc.transact(() => {
      raw?.set('value', b);
      raw?.set('value', pick(VALUES, c)); // the same key twice in one transaction
    });
    case 16: return doc.transact(() => {
      raw?.delete('title');
      raw?.set('title', pick(['Back', 5, ''], c));
    });
    case 17: return doc.getMap('meta').set(pick(['name', 'schemaVersion', 'extra'], b), pick(VALUES, c));
    case 18: return; // nothing: an empty update
    case 19: return void raw?.set(pick(['title', 'value', 'stageId', 'ownerId', 'expectedCloseDate'], b), pick(VALUES, c));
    default: return doc.transact(() => {
      // A field deleted, and the whole record replaced in the same update: the deletion is refilled.
      if (!raw) return;
      raw.delete(pick(['title', 'stageId', 'tags', 'notes', 'ownerId'], b));
      const replacement = new Y.Map<unknown>();
      doc.getMap('deals').set(id, replacement);
      for (const [key, value] of Object.entries(raw.toJSON())) if (key !== 'tags' && key !== 'notes') replacement.set(key, value);
      replacement.set('tags', new Y.Map());
      replacement.set('notes', new Y.Text());
    });
  }
}

function contactEdit(doc: Y.Doc, { kind, a, b, c }: Op): void {
  const ids = [...doc.getMap('contacts').keys()].sort();
  const contact = ids.length ? doc.getMap<Y.Map<unknown>>('contacts').get(pick(ids, a)) : undefined;
  const raw = contact instanceof Y.Map ? contact : null;
  switch (kind % 6) {
    case 0: return void addContact(doc, { name: `Ana ${c}`, email: 'ana@example.com' });
    case 1: if (ids.length) updateContact(doc, pick(ids, a), { phone: `+1 555 ${c}` }); return;
    case 2: return void raw?.set(pick(CONTACT_FIELDS, b), pick([...VALUES, 'a@b.co'], c));
    case 3: return void raw?.delete(pick(CONTACT_FIELDS, b));
    case 4: if (ids.length) doc.getMap('contacts').delete(pick(ids, a)); return;
    default: return void raw?.set('name', pick(['Bo', '', 7], c));
  }
}

/** Replay `ops` against a server doc: every update is checked both ways; the accepted ones reach the server. */
function run(kind: DocKind, seed: Y.Doc, ops: Op[]): { settled: number; copy: number; certain: number } {
  const server = new Y.Doc();
  Y.applyUpdate(server, Y.encodeStateAsUpdate(seed));
  const known = new KnownState();
  const replicas = [0, 1, 2].map(() => {
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(server));
    return replica;
  });
  const counts = { settled: 0, copy: 0, certain: 0 };
  for (const step of ops) {
    const replica = replicas[step.replica];
    const sent: Uint8Array[] = [];
    const record = (update: Uint8Array) => sent.push(update);
    replica.on('update', record);
    try {
      (kind === 'board' ? boardEdit : contactEdit)(replica, step);
    } catch {
      // An accessor refused the edit (say, an unknown deal): nothing was written.
    }
    replica.off('update', record);
    for (const update of sent.length ? sent : [Y.encodeStateAsUpdate(replica, Y.encodeStateVector(replica))]) {
      const pass = firstPass(server, kind, Y.decodeUpdate(update), known);
      const exact = exactCheck(server, kind, update);
      if (pass.settled) {
        counts.settled++;
        expect(exact, 'an update the first pass settled is refused by the exact check').toBeNull();
      } else counts.copy++;
      if (pass.certain) {
        counts.certain++;
        expect(exact, 'a refusal the first pass calls certain is accepted by the exact check').not.toBeNull();
      }
      if (!pass.problem && !exact) Y.applyUpdate(server, update, 'client');
      else {
        // A refused client reconnects and starts from the server's state.
        replicas[step.replica] = new Y.Doc();
        Y.applyUpdate(replicas[step.replica], Y.encodeStateAsUpdate(server));
        break;
      }
    }
    // Now and then a replica catches up with the server; the others stay behind, so their writes race.
    if (step.c % 3 === 0) Y.applyUpdate(replicas[(step.replica + 1) % 3], Y.encodeStateAsUpdate(server));
  }
  return counts;
}

describe('first pass of the admission check', () => {
  const { board } = buildSamplePipeline({ pipelineId: 'p1', workspaceId: 'w1', ownerId: 'u1', now: 1_700_000_000_000 });

  it('settles only board updates the exact check accepts', { timeout: 300_000 }, () => {
    let settled = 0;
    let copy = 0;
    let certain = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60 }), (ops) => {
        const counts = run('board', board, ops);
        settled += counts.settled;
        copy += counts.copy;
        certain += counts.certain;
      }),
      { numRuns: 80 }
    );
    // Both paths are exercised: ordinary edits are settled, the rest goes to the copy.
    expect(settled).toBeGreaterThan(300);
    expect(copy).toBeGreaterThan(300);
    expect(certain).toBeGreaterThan(20);
  });

  it('settles only contacts updates the exact check accepts', { timeout: 300_000 }, () => {
    const seed = new Y.Doc();
    initContacts(seed, 'w1');
    for (let i = 0; i < 5; i++) addContact(seed, { name: `Seed ${i}`, email: `s${i}@example.com` });
    fc.assert(fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), (ops) => void run('contacts', seed, ops)), { numRuns: 50 });
  });

  it('does not settle edits to a record that was invalid before (stored before the schema check)', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(board));
    const id = dealIds(doc)[0];
    doc.getMap<Y.Map<unknown>>('deals').get(id)!.set('value', 'a lot');
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
    const before = Y.encodeStateVector(replica);
    // A raw write: the accessors refuse to edit a deal that needs repair.
    replica.getMap<Y.Map<unknown>>('deals').get(id)!.set('title', 'Still broken');
    const update = Y.encodeStateAsUpdate(replica, before);
    expect(firstPass(doc, 'board', Y.decodeUpdate(update)).settled).toBe(false);
    expect(exactCheck(doc, 'board', update)).toMatch(/value must be a number/);
    // The stage ids of the board are what the deal's stageId is checked against.
    expect(readStages(doc).length).toBeGreaterThan(0);
  });
});
