/**
 * `node --import tsx bench/admission-cost.ts`: what the schema admission step costs, in one process (no network, so
 * the shared machine's noise matters less than in `npm run bench`). A room holding the sample board fans every edit
 * out to FAN_OUT stock-client docs that apply it, as the real server's clients do; rounds alternate between a room
 * with and without the admission check. Also: the cost of refusing a bad update (first pass, and via the copy).
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { buildSamplePipeline } from '../shared/sample-pipeline.ts';
import { readDeals, updateDeal } from '../shared/board-doc.ts';
import { SchemaAdmission } from '../server/sync/admission.ts';
import { Room, type Connection } from '../server/sync/room.ts';
import { encodeDocUpdate, isDocUpdateMessage } from '../server/sync/protocol.ts';

import { pathToFileURL } from 'node:url';

const FAN_OUT = 20;

export const { board } = buildSamplePipeline({ pipelineId: 'p', workspaceId: 'w', ownerId: 'u', now: Date.now() });

/** A room holding the sample board, with or without the admission check; a refused update closes its sender unless `onRefused` says otherwise. */
export function room(guarded: boolean, onRefused?: (message: string) => void): Room {
  const target = new Room('board:p', {
    onUpdate() {},
    onRejected: (r, c, rejection) => (onRefused ? onRefused(rejection.message) : r.disconnect(c, rejection.code, rejection.message))
  });
  target.load([Y.encodeStateAsUpdate(board)]);
  if (guarded) target.guard = new SchemaAdmission('board', target.doc);
  return target;
}

/** A connection whose client applies every broadcast update to its own doc, as y-websocket does. */
export function watcher(): Connection {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(board));
  return {
    id: 'w',
    userId: 'w',
    send: (message) => {
      if (!isDocUpdateMessage(message)) return;
      const decoder = decoding.createDecoder(message);
      decoding.readVarUint(decoder);
      syncProtocol.readSyncMessage(decoder, { length: 0 } as never, doc, 'server');
    },
    close() {}
  };
}

function edits(count: number): Uint8Array[] {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(board));
  const ids = readDeals(replica).map((deal) => deal.id);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const before = Y.encodeStateVector(replica);
    updateDeal(replica, ids[i % ids.length], { value: i, title: `Deal ${i}` });
    messages.push(encodeDocUpdate(Y.encodeStateAsUpdate(replica, before)));
  }
  return messages;
}

function fanOutMicros(guarded: boolean, messages: Uint8Array[]): number {
  const target = room(guarded);
  const writer: Connection = { id: 'a', userId: 'a', send() {}, close() {} };
  target.join(writer);
  for (let i = 0; i < FAN_OUT; i++) target.join(watcher());
  const started = performance.now();
  for (const message of messages) target.receive(writer, message);
  const micros = ((performance.now() - started) / messages.length) * 1000;
  target.destroy();
  return micros;
}

function refusalMicros(firstPass: boolean): number {
  const target = room(true);
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(board));
  const before = Y.encodeStateVector(replica);
  const deal = replica.getMap<Y.Map<unknown>>('deals').get(readDeals(replica)[0].id)!;
  // A bad value in a known place is caught by the first pass; a deleted field only by the copy.
  if (firstPass) deal.set('value', 'a lot');
  else deal.delete('stageId');
  const bad = encodeDocUpdate(Y.encodeStateAsUpdate(replica, before));
  let refused = 0;
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    const sender: Connection = { id: `b${i}`, userId: 'b', send() {}, close: () => refused++ };
    target.join(sender);
    target.receive(sender, bad);
  }
  if (refused !== 200) throw new Error(`expected 200 refusals, got ${refused}`);
  return ((performance.now() - started) / 200) * 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export interface AdmissionCost {
  fanOut: number;
  /** µs per edit fanned out, median of the rounds. */
  withoutMicros: number;
  withMicros: number;
  /** (with − without) ÷ without. */
  overhead: number;
  refusalFirstPassMicros: number;
  refusalViaCopyMicros: number;
}

/** Rounds alternate between a room without and with the admission step, so drift of the machine hits both alike. */
export function measureAdmissionCost(options: { edits?: number; rounds?: number } = {}): AdmissionCost {
  const messages = edits(options.edits ?? 500);
  const plain: number[] = [];
  const guarded: number[] = [];
  for (let round = 0; round < (options.rounds ?? 5); round++) {
    plain.push(fanOutMicros(false, messages));
    guarded.push(fanOutMicros(true, messages));
  }
  return {
    fanOut: FAN_OUT,
    withoutMicros: median(plain),
    withMicros: median(guarded),
    overhead: (median(guarded) - median(plain)) / median(plain),
    refusalFirstPassMicros: refusalMicros(true),
    refusalViaCopyMicros: refusalMicros(false)
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cost = measureAdmissionCost();
  console.table({
    [`edit fanned out to ${FAN_OUT} clients, without admission`]: { 'µs per edit (median of rounds)': cost.withoutMicros.toFixed(0) },
    [`edit fanned out to ${FAN_OUT} clients, with admission`]: { 'µs per edit (median of rounds)': cost.withMicros.toFixed(0) },
    'overhead': { 'µs per edit (median of rounds)': `${(cost.overhead * 100).toFixed(1)} %` },
    'refusal, first pass (bad value)': { 'µs per edit (median of rounds)': cost.refusalFirstPassMicros.toFixed(0) },
    'refusal via the copy (deleted field, copy rebuilt)': { 'µs per edit (median of rounds)': cost.refusalViaCopyMicros.toFixed(0) }
  });
}
