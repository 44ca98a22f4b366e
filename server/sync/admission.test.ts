import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeals, readStages, renameBoard, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { addContact, initContacts } from '../../shared/contacts-doc.ts';
import { buildSamplePipeline } from '../../shared/sample-pipeline.ts';
import { SchemaAdmission } from './admission.ts';
import { encodeDocUpdate } from './protocol.ts';
import { Room, type Connection } from './room.ts';

function connection(userId: string) {
  const closed: Array<[number, string]> = [];
  const conn: Connection = { id: userId, userId, send: () => {}, close: (code, reason) => closed.push([code, reason]) };
  return { conn, closed };
}

/** A room holding the sample board with its schema check, and a member's replica of it. */
function boardRoom() {
  const stored: Uint8Array[] = [];
  const refusals: string[] = [];
  const room = new Room('board:p1', {
    onUpdate: (_room, update) => stored.push(update),
    onRejected: (target, conn, rejection) => {
      refusals.push(`${rejection.code} ${rejection.message}`);
      target.disconnect(conn, rejection.code, rejection.message);
    }
  });
  const { board } = buildSamplePipeline({ pipelineId: 'p1', workspaceId: 'w1', ownerId: 'u1', now: 1_700_000_000_000 });
  room.load([Y.encodeStateAsUpdate(board)]);
  room.guard = new SchemaAdmission('board', room.doc);
  const member = connection('ann');
  room.join(member.conn);
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc));
  /** Make a change on the replica and send exactly that change, as a stock client does. */
  const send = (change: (doc: Y.Doc) => void, who = member) => {
    const before = Y.encodeStateVector(replica);
    change(replica);
    room.receive(who.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica, before)));
  };
  return { room, stored, refusals, member, replica, send };
}

const stateOf = (doc: Y.Doc) => Y.encodeStateAsUpdate(doc);
const dealsOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('deals');

describe('schema admission', () => {
  it('admits a member’s ordinary edits: add, edit, move, tags, notes, delete, stage rename', () => {
    const { room, stored, refusals, send } = boardRoom();
    let id = '';
    send((doc) => (id = addDeal(doc, readStages(doc)[0].id, { title: 'New deal', value: 10, tags: ['a'] })));
    send((doc) => updateDeal(doc, id, { title: 'Renamed', value: 20, tags: ['a', 'b'], expectedCloseDate: '2030-01-01' }));
    send((doc) => moveDeal(doc, id, readStages(doc)[3].id, 0));
    send((doc) => dealNotes(doc, id)!.insert(0, 'Call back on Monday'));
    send((doc) => renameStage(doc, readStages(doc)[1].id, 'Qualified lead'));
    send((doc) => deleteDeal(doc, readDeals(doc)[0].id));
    expect(refusals).toEqual([]);
    expect(stored).toHaveLength(6);
    expect(readStages(room.doc)[1].name).toBe('Qualified lead');
    expect(readDeals(room.doc)).toHaveLength(30);
  });

  it('refuses the malformed deal from the incident as a whole, closing the sender with 4422; earlier edits stay', () => {
    const { room, stored, refusals, member, send } = boardRoom();
    const [victim, other] = readDeals(room.doc);
    send((doc) => updateDeal(doc, victim.id, { value: 999 }));
    const before = stateOf(room.doc);
    send((doc) => {
      doc.transact(() => {
        const deal = dealsOf(doc).get(other.id)!;
        deal.set('title', 42);
        deal.set('value', 'a lot');
        deal.set('stageId', 'no-such-stage');
        dealsOf(doc).set(victim.id, 'not a deal' as unknown as Y.Map<unknown>);
      });
    });
    expect(member.closed[0][0]).toBe(4422);
    expect(refusals[0]).toMatch(/^4422 update breaks the board schema: deals\.\w+( must be a Y\.Map|\.title must be a string)$/);
    expect(stateOf(room.doc)).toEqual(before);
    expect(stored).toHaveLength(1);
    expect(readDeals(room.doc).find((deal) => deal.id === victim.id)?.value).toBe(999);
  });

  const refusedChanges: Array<[string, (doc: Y.Doc) => void, RegExp]> = [
    ['a number as a title', (doc) => dealsOf(doc).values().next().value!.set('title', 42), /deals\.\S+\.title must be a string/],
    ['a string as the value', (doc) => dealsOf(doc).values().next().value!.set('value', '12'), /deals\.\S+\.value must be a number/],
    ['NaN as the value', (doc) => dealsOf(doc).values().next().value!.set('value', NaN), /deals\.\S+\.value must be a number/],
    ['a stageId naming no stage', (doc) => dealsOf(doc).values().next().value!.set('stageId', 'nowhere'), /stageId must name a stage/],
    ['a deleted stageId', (doc) => dealsOf(doc).values().next().value!.delete('stageId'), /stageId is missing/],
    ['an unknown deal field', (doc) => dealsOf(doc).values().next().value!.set('color', 'red'), /color is not a known field/],
    ['a tag that is not true', (doc) => (dealsOf(doc).values().next().value!.get('tags') as Y.Map<unknown>).set('vip', 'yes'), /tags\.vip must be true/],
    ['notes replaced by a string', (doc) => dealsOf(doc).values().next().value!.set('notes', 'text'), /notes (must be a Y\.Text|cannot be replaced or removed by a client)/],
    ['an embed in notes', (doc) => (dealsOf(doc).values().next().value!.get('notes') as Y.Text).insertEmbed(0, { x: 1 }), /notes must hold plain text/],
    ['a deal without fields', (doc) => dealsOf(doc).set('empty', new Y.Map()), /deals\.empty\.id is missing/],
    ['meta.schemaVersion = 99', (doc) => doc.getMap('meta').set('schemaVersion', 99), /meta\.schemaVersion is written by the server only/],
    ['a renamed board', (doc) => renameBoard(doc, 'Mine now'), /meta\.name is written by the server only/],
    ['a new stage', (doc) => doc.getArray('stages').push([new Y.Map(Object.entries({ id: 's9', name: 'X', probability: 5, outcome: 'open' }))]), /stages cannot be added/],
    ['a removed stage', (doc) => doc.getArray('stages').delete(0, 1), /stages cannot be added/],
    ['a stage probability', (doc) => (doc.getArray('stages').get(0) as Y.Map<unknown>).set('probability', 'NaN'), /stages\.\S*probability cannot be changed/],
    ['an unknown top-level type', (doc) => doc.getMap('evil').set('x', 1), /evil is not a top-level type/]
  ];

  it.each(refusedChanges)('refuses %s with a reason naming the record and the rule', (_name, change, reason) => {
    const { room, refusals, member, send } = boardRoom();
    const before = stateOf(room.doc);
    send(change);
    expect(member.closed[0]?.[0]).toBe(4422);
    expect(refusals[0]).toMatch(reason);
    expect(stateOf(room.doc)).toEqual(before);
  });

  it('lets an update wait for changes still on the way (a client resending after a crash), and checks it once they arrive', () => {
    const { room, refusals, replica } = boardRoom();
    const member = connection('bob');
    room.join(member.conn);
    const dealId = readDeals(replica)[0].id;
    // The client's own update events, as y-websocket sends them: each carries only its transaction's changes.
    const sent: Uint8Array[] = [];
    const record = (update: Uint8Array) => sent.push(update);
    replica.on('update', record);
    updateDeal(replica, dealId, { title: 'One' });
    updateDeal(replica, dealId, { title: 'Two' });
    replica.off('update', record);
    // After a crash the second edit reaches the server before the first (resent in the sync handshake).
    room.receive(member.conn, encodeDocUpdate(sent[1]));
    expect(refusals).toEqual([]);
    expect(member.closed).toEqual([]);
    expect(readDeals(room.doc).find((deal) => deal.id === dealId)?.title).not.toBe('Two');
    room.receive(member.conn, encodeDocUpdate(sent[0]));
    expect(member.closed).toEqual([]);
    expect(readDeals(room.doc).find((deal) => deal.id === dealId)?.title).toBe('Two');
  });

  it('follows the server’s own writes, so members’ edits after them are still checked against the right state', () => {
    const { room, refusals, send, replica } = boardRoom();
    renameBoard(room.doc, 'Renamed by an admin');
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc, Y.encodeStateVector(replica)));
    send((doc) => updateDeal(doc, readDeals(doc)[0].id, { title: 'After the rename' }));
    expect(refusals).toEqual([]);
    expect(readDeals(room.doc).some((deal) => deal.title === 'After the rename')).toBe(true);
  });

  it('settles ordinary edits in the first pass, without building the admission copy', () => {
    const { room, refusals, send } = boardRoom();
    const guard = room.guard as SchemaAdmission;
    const [first, second] = readDeals(room.doc);
    send((doc) => updateDeal(doc, first.id, { title: 'Renamed', value: 20, tags: ['a', 'b'] }));
    send((doc) => moveDeal(doc, second.id, readStages(doc)[2].id, 0));
    send((doc) => dealNotes(doc, first.id)!.insert(0, 'Call back'));
    send((doc) => updateDeal(doc, first.id, { tags: ['b'] }));
    send((doc) => deleteDeal(doc, second.id));
    expect(refusals).toEqual([]);
    expect(guard.counts).toEqual({ settledByFirstPass: 5, checkedOnCopy: 0, copiesBuilt: 0 });
  });

  it('refuses a deleted required field, tags or notes from the decoded update alone, without the copy', () => {
    const { room, refusals, send } = boardRoom();
    const guard = room.guard as SchemaAdmission;
    const [deal] = readDeals(room.doc);
    send((doc) => dealsOf(doc).get(deal.id)!.delete('stageId'));
    expect(refusals[0]).toMatch(new RegExp(`deals\\.${deal.id}\\.stageId is missing`));
    expect(guard.counts).toEqual({ settledByFirstPass: 0, checkedOnCopy: 0, copiesBuilt: 0 });
  });

  it('keeps the lazily built copy in step with settled edits and server writes, and drops it after a refusal', () => {
    const { room, refusals, member, send, replica } = boardRoom();
    const guard = room.guard as SchemaAdmission;
    const [first, second] = readDeals(room.doc);
    // A new deal needs the copy: it is built now.
    let added = '';
    send((doc) => (added = addDeal(doc, readStages(doc)[0].id, { title: 'New', value: 1 })));
    expect(guard.counts.copiesBuilt).toBe(1);
    // Settled edits and a server write reach the copy only when the next check needs it.
    send((doc) => updateDeal(doc, added, { title: 'Edited' }));
    send((doc) => deleteDeal(doc, first.id));
    renameStage(room.doc, readStages(room.doc)[0].id, 'Renamed by an admin');
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc, Y.encodeStateVector(replica)));
    // A record with a missing field is judged on the copy: it must hold the edits above (the deal's new title).
    send((doc) => {
      const copy = new Y.Map<unknown>();
      dealsOf(doc).set('copied', copy);
      for (const [key, value] of dealsOf(doc).get(added)!.entries()) if (key !== 'stageId') copy.set(key, key === 'id' ? 'copied' : value instanceof Y.AbstractType ? new Y.Map() : value);
    });
    expect(member.closed[0]?.[0]).toBe(4422);
    expect(refusals[0]).toMatch(/deals\.copied\.(stageId is missing|notes must be a Y\.Text)/);
    expect(guard.counts).toMatchObject({ checkedOnCopy: 2, copiesBuilt: 1 });
    // The refused update reached the copy: it is built again for the next check, from the real doc.
    const colleague = connection('bob');
    room.join(colleague.conn);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(room.doc));
    const before = Y.encodeStateVector(fresh);
    addDeal(fresh, readStages(fresh)[1].id, { title: 'Second new' });
    room.receive(colleague.conn, encodeDocUpdate(Y.encodeStateAsUpdate(fresh, before)));
    expect(colleague.closed).toEqual([]);
    expect(guard.counts.copiesBuilt).toBe(2);
    expect(readDeals(room.doc).map((deal) => deal.title)).toEqual(expect.arrayContaining(['Edited', 'Second new']));
    expect(readDeals(room.doc).some((deal) => deal.id === first.id)).toBe(false);
    expect(readDeals(room.doc).some((deal) => deal.id === second.id)).toBe(true);
  });

  it('checks the contacts doc too', () => {
    const refusals: string[] = [];
    const room = new Room('contacts:w1', {
      onUpdate: () => {},
      onRejected: (target, conn, rejection) => {
        refusals.push(rejection.message);
        target.disconnect(conn, rejection.code, rejection.message);
      }
    });
    const seed = new Y.Doc();
    initContacts(seed, 'w1');
    room.load([Y.encodeStateAsUpdate(seed)]);
    room.guard = new SchemaAdmission('contacts', room.doc);
    // A fresh stock client per change: a refused client's replica holds what the server does not.
    const send = (change: (doc: Y.Doc) => void) => {
      const replica = new Y.Doc();
      Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc));
      const member = connection('ann');
      room.join(member.conn);
      const before = Y.encodeStateVector(replica);
      change(replica);
      room.receive(member.conn, encodeDocUpdate(Y.encodeStateAsUpdate(replica, before)));
    };
    send((doc) => addContact(doc, { name: 'Ana', email: 'ana@example.com' }));
    expect(refusals).toEqual([]);
    send((doc) => doc.getMap<Y.Map<unknown>>('contacts').values().next().value!.set('email', 'not an address'));
    expect(refusals[0]).toMatch(/contacts\.\S+\.email not an e-mail address/);
    send((doc) => doc.getMap('meta').set('workspaceId', 'w2'));
    expect(refusals[1]).toMatch(/meta\.workspaceId is written by the server only/);
  });
});
