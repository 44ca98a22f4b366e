/**
 * `node --import tsx bench/hotpath-refusals.ts`: what the schema fuzz costs the server per refused update on a grown
 * board, in one process (CPU time). A room holds a board of DEALS deals with its admission check; each round a
 * client joins, sends one schema-violating update (a wrong value, a deleted field or a new deal missing a field, in
 * turn) and is refused; it reconnects with a fresh sync step 1 (the whole doc), and every 4th round a colleague's valid
 * edit changes the doc in between, as in tests/integration/schema-fuzz.test.ts.
 */
import * as Y from 'yjs';
import { addDeal, readDeals, readStages, updateDeal } from '../shared/board-doc.ts';
import { buildSamplePipeline } from '../shared/sample-pipeline.ts';
import { SchemaAdmission } from '../server/sync/admission.ts';
import { Room, type Connection } from '../server/sync/room.ts';
import { encodeDocUpdate, encodeSyncStep1 } from '../server/sync/protocol.ts';

const DEALS = Number(process.env.DEALS ?? 2000);
const ROUNDS = 300;

const { board } = buildSamplePipeline({ pipelineId: 'p', workspaceId: 'w', ownerId: 'u', now: Date.now() });
const stageIds = readStages(board).map((stage) => stage.id);
for (let i = 0; i < DEALS; i++) addDeal(board, stageIds[i % stageIds.length], { title: `Deal ${i}`, value: i });

const room = new Room('board:p', { onUpdate() {}, onRejected: (target, connection, rejection) => target.disconnect(connection, rejection.code, rejection.message) });
room.load([Y.encodeStateAsUpdate(board)]);
room.guard = new SchemaAdmission('board', room.doc);
const colleague: Connection = { id: 'c', userId: 'c', send() {}, close() {} };
room.join(colleague);
const colleagueDoc = new Y.Doc();
Y.applyUpdate(colleagueDoc, Y.encodeStateAsUpdate(room.doc));
const ids = readDeals(colleagueDoc).map((deal) => deal.id);

/** One bad update made on a replica of the room's doc, as the fuzz makes them. */
function badUpdate(round: number): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc));
  const before = Y.encodeStateVector(replica);
  const deal = replica.getMap<Y.Map<unknown>>('deals').get(ids[round % ids.length])!;
  if (round % 3 === 0) deal.set('value', 'a lot');
  else if (round % 3 === 1) deal.delete('stageId');
  else {
    const copy = new Y.Map<unknown>();
    replica.getMap('deals').set(`forged${round}`, copy);
    for (const [key, value] of deal.entries()) if (key !== 'title' && !(value instanceof Y.AbstractType)) copy.set(key, key === 'id' ? `forged${round}` : value);
  }
  return encodeDocUpdate(Y.encodeStateAsUpdate(replica, before));
}

const updates = Array.from({ length: ROUNDS }, (_, round) => badUpdate(round));
let refused = 0;
let serverMicros = 0;
for (let round = 0; round < ROUNDS; round++) {
  let edit: Uint8Array | null = null;
  if (round % 4 === 0) {
    const before = Y.encodeStateVector(colleagueDoc);
    updateDeal(colleagueDoc, ids[(round * 7) % ids.length], { value: round });
    edit = encodeDocUpdate(Y.encodeStateAsUpdate(colleagueDoc, before));
  }
  const started = process.cpuUsage();
  if (edit) room.receive(colleague, edit);
  const fuzzer: Connection = { id: `f${round}`, userId: 'f', send() {}, close: () => refused++ };
  room.join(fuzzer);
  room.receive(fuzzer, updates[round]);
  const again: Connection = { id: `g${round}`, userId: 'f', send() {}, close() {} };
  room.join(again);
  room.receive(again, encodeSyncStep1(new Y.Doc()));
  room.leave(again);
  const used = process.cpuUsage(started);
  serverMicros += used.user + used.system;
}
if (refused !== ROUNDS) throw new Error(`expected ${ROUNDS} refusals, got ${refused}`);
console.table({ [`board of ${DEALS + 30} deals (${Y.encodeStateAsUpdate(room.doc).length} bytes)`]: { 'server CPU µs per refused update + reconnect': (serverMicros / ROUNDS).toFixed(0) } });
process.exit(0);
