import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { addDeal, deleteDeal, initBoard, moveDeal, readColumns, readDeals, readStages, renameStage, updateDeal } from './board-doc.ts';
import { compareRanked } from './ranking.ts';

/**
 * Convergence of the board doc under everything a network does to it: 3 to 5 replicas make random edits through the
 * shared accessors while their updates are delivered late, out of order, twice, or not at all until a partition
 * heals. After a full exchange every replica must hold the same board, with every deal in exactly one column.
 */

const STAGES = ['Lead', 'Qualified', 'Proposal', 'Won'].map((name, index) => ({
  id: `stage-${index}`,
  name,
  probability: index * 25,
  outcome: 'open' as const
}));

type Operation =
  | { kind: 'add'; replica: number; stage: number; bottom: boolean }
  | { kind: 'move'; replica: number; deal: number; stage: number; index: number }
  | { kind: 'reorder'; replica: number; deal: number; index: number }
  | { kind: 'edit'; replica: number; deal: number; title: string; value: number }
  | { kind: 'delete'; replica: number; deal: number }
  | { kind: 'rename'; replica: number; stage: number; name: string }
  | { kind: 'deliver'; from: number; to: number; pick: number; duplicate: boolean }
  | { kind: 'partition'; from: number; to: number }
  | { kind: 'heal' };

const replicaIndex = fc.nat(4);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), replica: replicaIndex, stage: fc.nat(3), bottom: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('move' as const), replica: replicaIndex, deal: fc.nat(), stage: fc.nat(3), index: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reorder' as const), replica: replicaIndex, deal: fc.nat(), index: fc.nat(8) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      replica: replicaIndex,
      deal: fc.nat(),
      title: fc.string({ minLength: 1, maxLength: 12 }).filter((title) => title.trim().length > 0),
      value: fc.nat(100_000)
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), replica: replicaIndex, deal: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), replica: replicaIndex, stage: fc.nat(3), name: fc.constantFrom('Lead in', 'Demo', 'Closing', 'Signed') }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), from: replicaIndex, to: replicaIndex, pick: fc.nat(), duplicate: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), from: replicaIndex, to: replicaIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) }
);

/** A network of replicas: each keeps, per peer, the updates it has not delivered there yet. */
class Network {
  readonly replicas: Y.Doc[];
  private readonly outbox = new Map<string, Uint8Array[]>();
  private readonly cut = new Set<string>();
  readonly added = new Set<string>();
  readonly deleted = new Set<string>();
  delivered = 0;

  constructor(count: number, seed: Uint8Array) {
    this.replicas = Array.from({ length: count }, (_, index) => {
      const doc = new Y.Doc();
      doc.clientID = index + 1;
      Y.applyUpdate(doc, seed, 'seed');
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === 'network' || origin === 'seed') return;
        for (let peer = 0; peer < count; peer++) if (peer !== index) this.queue(index, peer).push(update);
      });
      return doc;
    });
  }

  private queue(from: number, to: number): Uint8Array[] {
    const key = `${from}>${to}`;
    let queue = this.outbox.get(key);
    if (!queue) this.outbox.set(key, (queue = []));
    return queue;
  }

  /** Deliver one pending update, chosen at random (so out of order), optionally keeping it queued to arrive again. */
  deliver(from: number, to: number, pick: number, duplicate: boolean): void {
    if (from === to || this.cut.has(`${from}>${to}`)) return;
    const queue = this.queue(from, to);
    if (!queue.length) return;
    const at = pick % queue.length;
    const update = queue[at];
    if (!duplicate) queue.splice(at, 1);
    Y.applyUpdate(this.replicas[to], update, 'network');
    this.delivered++;
  }

  partition(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Heal everything and deliver every pending update (in reverse order, to stress out-of-order integration). */
  exchangeAll(): void {
    this.heal();
    for (const [key, queue] of this.outbox) {
      const to = Number(key.split('>')[1]);
      for (const update of queue.reverse()) Y.applyUpdate(this.replicas[to], update, 'network');
      queue.length = 0;
    }
  }
}

/**
 * Out-of-order delivery can briefly hide a stage's field (a delete applied before the insert that replaces it): the
 * stage is then not shown and a user cannot target it, so the operation is skipped, as in the UI.
 */
function shown(doc: Y.Doc, stageId: string): boolean {
  return readStages(doc).some((stage) => stage.id === stageId);
}

function pickDeal(doc: Y.Doc, index: number): string | undefined {
  const ids = readDeals(doc)
    .map((deal) => deal.id)
    .sort();
  return ids.length ? ids[index % ids.length] : undefined;
}

function apply(network: Network, op: Operation): void {
  if (op.kind === 'deliver') return network.deliver(op.from % network.replicas.length, op.to % network.replicas.length, op.pick, op.duplicate);
  if (op.kind === 'partition') return network.partition(op.from % network.replicas.length, op.to % network.replicas.length);
  if (op.kind === 'heal') return network.heal();
  const doc = network.replicas[op.replica % network.replicas.length];
  const context = { origin: 'local', now: 1_700_000_000_000 };
  switch (op.kind) {
    case 'add': {
      if (!shown(doc, STAGES[op.stage].id)) return;
      const id = addDeal(doc, STAGES[op.stage].id, { title: `Deal ${network.added.size}` }, { ...context, position: op.bottom ? 'bottom' : 'top' });
      network.added.add(id);
      return;
    }
    case 'move': {
      const id = pickDeal(doc, op.deal);
      if (id && shown(doc, STAGES[op.stage].id)) moveDeal(doc, id, STAGES[op.stage].id, op.index, context);
      return;
    }
    case 'reorder': {
      // Reorder within the column the deal is shown in, as the UI does: an update that arrives before an earlier
      // one from the same peer can briefly hide a field (Yjs applies its deletes at once), and readColumns copes.
      const id = pickDeal(doc, op.deal);
      const column = id ? [...readColumns(doc)].find(([, deals]) => deals.some((deal) => deal.id === id)) : undefined;
      if (id && column) moveDeal(doc, id, column[0], op.index, context);
      return;
    }
    case 'edit': {
      const id = pickDeal(doc, op.deal);
      if (id) updateDeal(doc, id, { title: op.title, value: op.value }, context);
      return;
    }
    case 'delete': {
      const id = pickDeal(doc, op.deal);
      if (id) {
        deleteDeal(doc, id, context);
        network.deleted.add(id);
      }
      return;
    }
    case 'rename':
      if (!shown(doc, STAGES[op.stage].id)) return;
      return renameStage(doc, STAGES[op.stage].id, op.name, context);
  }
}

function seedBoard(): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = 1000;
  initBoard(doc, { pipelineId: 'p1', workspaceId: 'w1', name: 'Pipeline', stages: STAGES });
  for (const [index, stage] of STAGES.entries()) {
    for (let n = 0; n < 2; n++) addDeal(doc, stage.id, { title: `Seed ${index}.${n}` }, { id: `seed-${index}-${n}`, position: 'bottom', now: 1 });
  }
  return Y.encodeStateAsUpdate(doc);
}

const columnOrder = (doc: Y.Doc) => [...readColumns(doc)].map(([stageId, deals]) => [stageId, deals.map((deal) => deal.id)] as const);

describe('board doc convergence (property)', () => {
  const seed = seedBoard();

  it('3 to 5 replicas with random edits, reordered, duplicated and partitioned delivery end equal, each deal once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5 }), fc.array(operation, { minLength: 10, maxLength: 120 }), (count, operations) => {
        const network = new Network(count, seed);
        for (const op of operations) apply(network, op);
        network.exchangeAll();

        const [first, ...others] = network.replicas;
        const expectedOrder = columnOrder(first);
        for (const replica of others) {
          expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(first));
          expect(replica.getMap('deals').toJSON()).toEqual(first.getMap('deals').toJSON());
          expect(readStages(replica)).toEqual(readStages(first));
          expect(columnOrder(replica)).toEqual(expectedOrder);
        }

        // Every deal sits in exactly one column, and no deal is lost unless someone deleted it.
        const placed = expectedOrder.flatMap(([, ids]) => ids);
        expect(new Set(placed).size).toBe(placed.length);
        expect(new Set(placed)).toEqual(new Set(readDeals(first).map((deal) => deal.id)));
        for (const id of [...network.added, ...seedIds()]) {
          if (!network.deleted.has(id)) expect(placed).toContain(id);
        }
        for (const id of network.deleted) expect(placed).not.toContain(id);

        // Each column's order is total: strictly increasing by (rank, id), so no two replicas can disagree on it.
        for (const deals of readColumns(first).values()) {
          for (let at = 1; at < deals.length; at++) expect(compareRanked(deals[at - 1], deals[at])).toBeLessThan(0);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) }
    );
  }, 120_000);

  it('a replica that receives its peers’ updates twice and in reverse still agrees (duplicates are idempotent)', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 5, maxLength: 60 }), (operations) => {
        const network = new Network(3, seed);
        for (const op of operations) apply(network, op);
        network.exchangeAll();
        const late = new Y.Doc();
        Y.applyUpdate(late, seed);
        const everything = network.replicas.map((replica) => Y.encodeStateAsUpdate(replica));
        for (const update of [...everything].reverse()) Y.applyUpdate(late, update);
        for (const update of everything) Y.applyUpdate(late, update);
        expect(columnOrder(late)).toEqual(columnOrder(network.replicas[0]));
        expect(late.getMap('deals').toJSON()).toEqual(network.replicas[0].getMap('deals').toJSON());
      }),
      { numRuns: 100 }
    );
  }, 60_000);
});

function seedIds(): string[] {
  return STAGES.flatMap((_, index) => [`seed-${index}-0`, `seed-${index}-1`]);
}
