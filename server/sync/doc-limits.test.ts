import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deleteRanges, everyOther, orphanUpdate } from '../../tests/support/attacks.ts';
import { docLimits, DocRefused, ItemBudget, itemsIn, type DocLimits } from './doc-limits.ts';
import { encodeDocUpdate } from './protocol.ts';
import { Room, type Connection } from './room.ts';

function connection(userId: string) {
  const closed: Array<[number, string]> = [];
  const conn: Connection = { id: userId, userId, send: () => {}, close: (code, reason) => closed.push([code, reason]) };
  return { conn, closed };
}

function makeRoom(limits: DocLimits, name = 'board:test') {
  const stored: Uint8Array[] = [];
  const room = new Room(
    name,
    {
      onUpdate: (_room, update) => stored.push(update),
      onRejected: (target, conn, rejection) => target.disconnect(conn, rejection.code, rejection.message)
    },
    undefined,
    { doc: limits }
  );
  return { room, stored };
}

/** A room whose notes hold one string item of `length` characters, written by `ann`, plus that writer's client id. */
function roomWithLongText(limits: DocLimits, length: number, name?: string) {
  const made = makeRoom(limits, name);
  const ann = connection('ann');
  made.room.join(ann.conn);
  const writer = new Y.Doc();
  writer.getText('notes').insert(0, 'x'.repeat(length));
  made.room.receive(ann.conn, encodeDocUpdate(Y.encodeStateAsUpdate(writer)));
  return { ...made, ann, writerClient: writer.clientID };
}

describe('doc limits: items', () => {
  it('refuses delete ranges that could split the doc past MAX_DOC_ITEMS before applying them, and takes those within it', () => {
    const limits = docLimits({ maxItems: 5_000, budget: new ItemBudget(1_000_000) });
    const { room, stored, writerClient } = roomWithLongText(limits, 10_000);
    expect(room.itemCount).toBe(1);
    const mallory = connection('mallory');
    room.join(mallory.conn);

    // 1,000 single-character deletes can split the string into 2,001 items: within the bound, applied and counted.
    room.receive(mallory.conn, encodeDocUpdate(deleteRanges(writerClient, everyOther(1, 2_001))));
    expect(mallory.closed).toEqual([]);
    expect(room.itemCount).toBe(itemsIn(room.doc));
    expect(room.itemCount).toBeGreaterThan(2_000);
    expect(room.doc.getText('notes').length).toBe(9_000);

    // 2,000 more could add 4,000 items: past 5,000, refused with 4413 and not applied.
    stored.length = 0;
    room.receive(mallory.conn, encodeDocUpdate(deleteRanges(writerClient, everyOther(2_001, 6_001))));
    expect(mallory.closed).toEqual([[4413, expect.stringMatching(/document is full: it would hold more than 5000 items/)]]);
    expect(room.doc.getText('notes').length).toBe(9_000);
    expect(stored).toEqual([]);
  });

  it('counts the items of every room against one process budget (1013), and frees them when a room goes', () => {
    const budget = new ItemBudget(6_000);
    const limits = docLimits({ maxItems: 100_000, budget });
    const first = roomWithLongText(limits, 10_000, 'board:first');
    const mallory = connection('mallory');
    first.room.join(mallory.conn);
    first.room.receive(mallory.conn, encodeDocUpdate(deleteRanges(first.writerClient, everyOther(1, 4_001))));
    expect(mallory.closed).toEqual([]);
    expect(budget.used).toBe(first.room.itemCount);
    expect(budget.used).toBeGreaterThan(4_000);

    const second = roomWithLongText(limits, 10_000, 'board:second');
    const eve = connection('eve');
    second.room.join(eve.conn);
    second.room.receive(eve.conn, encodeDocUpdate(deleteRanges(second.writerClient, everyOther(1, 2_001))));
    expect(eve.closed).toEqual([[1013, expect.stringMatching(/memory budget/)]]);
    expect(second.room.doc.getText('notes').length).toBe(10_000);

    first.room.destroy();
    expect(budget.used).toBe(second.room.itemCount);
    const again = connection('eve');
    second.room.join(again.conn);
    second.room.receive(again.conn, encodeDocUpdate(deleteRanges(second.writerClient, everyOther(1, 2_001))));
    expect(again.closed).toEqual([]);
    expect(second.room.doc.getText('notes').length).toBe(9_000);
  });

  it('refuses to load a stored doc whose structure could pass 5 × MAX_DOC_ITEMS, holding nothing of it', () => {
    const writer = new Y.Doc();
    writer.getText('notes').insert(0, 'x'.repeat(40_000));
    // What a log written before these limits could hold: one long string, then deletes that split it 20,000 times.
    const stored = [Y.encodeStateAsUpdate(writer), deleteRanges(writer.clientID, everyOther(1, 40_000))];
    const budget = new ItemBudget(1_000_000);
    const { room } = makeRoom(docLimits({ maxItems: 5_000, budget }));
    let refusal: unknown;
    try {
      room.load(stored);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DocRefused);
    expect(refusal).toMatchObject({ status: 413, message: expect.stringMatching(/too large to open/) });
    expect(itemsIn(room.doc)).toBe(0);
    expect(budget.used).toBe(0);

    // Short of memory in the process, not too large as such: 503, try later.
    const { room: other } = makeRoom(docLimits({ maxItems: 100_000, budget: new ItemBudget(10_000) }));
    expect(() => other.load(stored)).toThrow(expect.objectContaining({ status: 503 }));
  });

  it('loads again every doc it accepted live, from its log rows or from a snapshot folded from them', () => {
    const limits = docLimits({ maxItems: 5_000, budget: new ItemBudget(1_000_000) });
    const { room, stored, writerClient } = roomWithLongText(limits, 10_000);
    const mallory = connection('mallory');
    room.join(mallory.conn);
    for (let from = 1; mallory.closed.length === 0 && from < 10_000; from += 400) {
      room.receive(mallory.conn, encodeDocUpdate(deleteRanges(writerClient, everyOther(from, from + 400))));
    }
    expect(mallory.closed[0][0]).toBe(4413);
    const text = room.doc.getText('notes').toString();
    for (const replay of [stored, [Y.mergeUpdates(stored)], [Y.encodeStateAsUpdate(room.doc)]]) {
      const { room: reloaded } = makeRoom(docLimits({ maxItems: 5_000, budget: new ItemBudget(1_000_000) }));
      reloaded.load(replay);
      expect(reloaded.doc.getText('notes').toString()).toBe(text);
      expect(reloaded.itemCount).toBeLessThanOrEqual(5_000);
    }
  });
});

describe('doc limits: updates waiting for dependencies', () => {
  it('closes the sender once what waits passes MAX_PENDING_BYTES and keeps nothing of it', () => {
    const limits = docLimits({ maxPendingBytes: 32 * 1024, budget: new ItemBudget(1_000_000) });
    const { room, stored } = makeRoom(limits);
    const ann = connection('ann');
    const mallory = connection('mallory');
    room.join(ann.conn);
    room.join(mallory.conn);
    room.receive(mallory.conn, encodeDocUpdate(orphanUpdate(room.doc, 'o'.repeat(40_000))));
    expect(mallory.closed).toEqual([[1008, expect.stringMatching(/depends on changes the server does not have/)]]);
    expect(room.doc.store.pendingStructs).toBeNull();
    expect(room.doc.store.pendingDs).toBeNull();
    expect(stored).toEqual([]);

    // Deletes of items nobody has wait too (pendingDs): likewise.
    const eve = connection('eve');
    room.join(eve.conn);
    room.receive(eve.conn, encodeDocUpdate(deleteRanges(123_456, everyOther(0, 40_000))));
    expect(eve.closed[0]?.[0]).toBe(1008);
    expect(room.doc.store.pendingDs).toBeNull();
    expect(ann.closed).toEqual([]);
  });

  it('keeps a small update that arrived before its dependency, and applies it when the dependency comes', () => {
    const { room } = makeRoom(docLimits({ budget: new ItemBudget(1_000_000) }));
    const bob = connection('bob');
    room.join(bob.conn);
    const doc = new Y.Doc();
    const notes = doc.getText('notes');
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    notes.insert(0, 'offline ');
    notes.insert(8, 'then live');
    room.receive(bob.conn, encodeDocUpdate(updates[1]));
    expect(bob.closed).toEqual([]);
    expect(room.doc.store.pendingStructs).not.toBeNull();
    room.receive(bob.conn, encodeDocUpdate(updates[0]));
    expect(room.doc.getText('notes').toString()).toBe('offline then live');
    expect(room.doc.store.pendingStructs).toBeNull();
  });
});
